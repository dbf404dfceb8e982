/*
 * hscode.c: SQL interface of the hscode type (I/O, comparison, hashing,
 * containment and the hierarchy functions).  The logic is in hscode_core.c.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/sortsupport.h"

#include "hscode.h"

#define HS_ARG(n) DatumGetHsKey(PG_GETARG_DATUM(n))

/* A datum that did not come from hscode_in/recv (a binary-coercible cast, say) is refused. */
static HsKey
CheckedKey(Datum d)
{
	HsKey		key = DatumGetHsKey(d);

	if (!hs_key_valid(key))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid hscode value " INT64_FORMAT, (int64) key)));
	return key;
}

/* Report a rejected input; the detail says what and where. */
static void
ReportBadInput(const char *str, HsParseError err, int pos)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 /* quoted up to a code's length and a little: the input may be any text, of any size */
			 errmsg("invalid input syntax for type hscode: \"%.*s%s\"",
					pg_mbcliplen(str, strlen(str), 40), str, strlen(str) > 40 ? "..." : ""),
			 errdetail("%s, at character %d.", hs_parse_error_text(err), pos),
			 errhint("An HS code has 2, 4, 6, 8 or 10 digits, optionally grouped "
					 "with dots or spaces, as in 8471, 8471.30 or 8471 30 00 00.")));
}

/* Parse text into an hscode Datum, raising 22P02 on bad input. */
HsKey
HsKeyFromCString(const char *str)
{
	HsKey		key;
	int			pos;
	HsParseError err = hs_parse(str, &key, &pos);

	if (err != HS_OK)
		ReportBadInput(str, err, pos);
	return key;
}

PG_FUNCTION_INFO_V1(hscode_in);
/* Text input: 2/4/6/8/10 digits with optional dot or space group separators. */
Datum
hscode_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_HSKEY(HsKeyFromCString(PG_GETARG_CSTRING(0)));
}

PG_FUNCTION_INFO_V1(hscode_out);
/* Text output: digits only. */
Datum
hscode_out(PG_FUNCTION_ARGS)
{
	char	   *buf = palloc(HS_KEY_DIGITS + 1);

	hs_format(CheckedKey(PG_GETARG_DATUM(0)), buf);
	PG_RETURN_CSTRING(buf);
}

PG_FUNCTION_INFO_V1(hscode_recv);
/* Binary input: one byte digit count, then the digits as an int8; validated. */
Datum
hscode_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			ndigits = pq_getmsgbyte(buf);
	int64		digits = pq_getmsgint64(buf);
	HsKey		key;

	if (!hs_key_from_parts(ndigits, digits, &key))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid external hscode value"),
				 errdetail("Digit count %d with digits " INT64_FORMAT
						   " is not an HS code.", ndigits, digits)));
	PG_RETURN_HSKEY(key);
}

PG_FUNCTION_INFO_V1(hscode_send);
/* Binary output, the inverse of hscode_recv. */
Datum
hscode_send(PG_FUNCTION_ARGS)
{
	HsKey		key = CheckedKey(PG_GETARG_DATUM(0));
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, (uint8) hs_ndigits(key));
	pq_sendint64(&buf, hs_digits_value(key));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(hscode_from_text);
/* Cast text to hscode. */
Datum
hscode_from_text(PG_FUNCTION_ARGS)
{
	char	   *str = text_to_cstring(PG_GETARG_TEXT_PP(0));

	PG_RETURN_HSKEY(HsKeyFromCString(str));
}

PG_FUNCTION_INFO_V1(hscode_to_text);
/* Cast hscode to text. */
Datum
hscode_to_text(PG_FUNCTION_ARGS)
{
	char		buf[HS_KEY_DIGITS + 1];

	hs_format(CheckedKey(PG_GETARG_DATUM(0)), buf);
	PG_RETURN_TEXT_P(cstring_to_text(buf));
}

/* Comparison: keys compare as the digit strings do. */
#define HS_COMPARE_FN(name, op) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(HS_ARG(0) op HS_ARG(1)); \
}

HS_COMPARE_FN(hscode_eq, ==)
HS_COMPARE_FN(hscode_ne, !=)
HS_COMPARE_FN(hscode_lt, <)
HS_COMPARE_FN(hscode_le, <=)
HS_COMPARE_FN(hscode_gt, >)
HS_COMPARE_FN(hscode_ge, >=)

PG_FUNCTION_INFO_V1(hscode_cmp);
/* btree support 1: three-way comparison. */
Datum
hscode_cmp(PG_FUNCTION_ARGS)
{
	HsKey		a = HS_ARG(0);
	HsKey		b = HS_ARG(1);

	PG_RETURN_INT32(a < b ? -1 : (a > b ? 1 : 0));
}

PG_FUNCTION_INFO_V1(hscode_sortsupport);
/* btree support 2: sort on the key as a signed integer, no fmgr call per pair. */
Datum
hscode_sortsupport(PG_FUNCTION_ARGS)
{
	SortSupport ssup = (SortSupport) PG_GETARG_POINTER(0);

	ssup->comparator = ssup_datum_signed_cmp;
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(hscode_hash);
/* hash support 1: equal codes have equal keys, so hash the key. */
Datum
hscode_hash(PG_FUNCTION_ARGS)
{
	return DirectFunctionCall1(hashint8, Int64GetDatum(HS_ARG(0)));
}

PG_FUNCTION_INFO_V1(hscode_hash_extended);
/* hash support 2: seeded 64-bit hash, used by hash partitioning. */
Datum
hscode_hash_extended(PG_FUNCTION_ARGS)
{
	return DirectFunctionCall2(hashint8extended, Int64GetDatum(HS_ARG(0)),
							   PG_GETARG_DATUM(1));
}

PG_FUNCTION_INFO_V1(hscode_within);
/* a <@ b: a lies within b. */
Datum
hscode_within(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(hs_within(HS_ARG(0), HS_ARG(1)));
}

PG_FUNCTION_INFO_V1(hscode_contains);
/* b @> a: b contains a. */
Datum
hscode_contains(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(hs_within(HS_ARG(1), HS_ARG(0)));
}

PG_FUNCTION_INFO_V1(hs_range_end);
/* The last code within b; with b itself it bounds b's descendants in an index. */
Datum
hs_range_end(PG_FUNCTION_ARGS)
{
	PG_RETURN_HSKEY(hs_last_descendant(HS_ARG(0)));
}

PG_FUNCTION_INFO_V1(hs_level);
/* Number of digits of the code. */
Datum
hs_level(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(hs_ndigits(HS_ARG(0)));
}

PG_FUNCTION_INFO_V1(hs_chapter);
/* Chapter number, 1..99. */
Datum
hs_chapter(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(hs_chapter_number(HS_ARG(0)));
}

PG_FUNCTION_INFO_V1(hs_section);
/* WCO section 1..21; NULL for chapters outside the sections (98, 99). */
Datum
hs_section(PG_FUNCTION_ARGS)
{
	int			section = hs_section_of_chapter(hs_chapter_number(HS_ARG(0)));

	if (section == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(section);
}

/* The ancestor with n digits, or NULL when the code is shorter. */
static Datum
AncestorOrNull(FunctionCallInfo fcinfo, int ndigits)
{
	HsKey		result;

	if (!hs_truncate(HS_ARG(0), ndigits, &result))
		PG_RETURN_NULL();
	PG_RETURN_HSKEY(result);
}

PG_FUNCTION_INFO_V1(hs_heading);
/* The 4-digit heading; NULL for a chapter. */
Datum
hs_heading(PG_FUNCTION_ARGS)
{
	return AncestorOrNull(fcinfo, 4);
}

PG_FUNCTION_INFO_V1(hs_subheading);
/* The 6-digit subheading; NULL for a chapter or heading. */
Datum
hs_subheading(PG_FUNCTION_ARGS)
{
	return AncestorOrNull(fcinfo, 6);
}

PG_FUNCTION_INFO_V1(hs_truncate_to);
/* The ancestor with the given number of digits (2, 4, 6, 8 or 10). */
Datum
hs_truncate_to(PG_FUNCTION_ARGS)
{
	int32		ndigits = PG_GETARG_INT32(1);

	if (ndigits < 2 || ndigits > HS_MAX_DIGITS || ndigits % 2 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hs_truncate digit count must be 2, 4, 6, 8 or 10, not %d", ndigits)));
	return AncestorOrNull(fcinfo, ndigits);
}
