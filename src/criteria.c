/*
 * criteria.c: SQL interface of the criteria type (I/O and the row-matching
 * operator x @@ criteria).  The language itself is in criteria_core.c.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "code_list.h"
#include "criteria_core.h"
#include "row_reader.h"

/* Allocators for the core: the current memory context. */
static void *
PallocWrap(size_t size)
{
	return palloc(size);
}

static void *
RepallocWrap(void *p, size_t size)
{
	return repalloc(p, size);
}

static void
PfreeWrap(void *p)
{
	pfree(p);
}

static const CrAllocator pg_allocator = {PallocWrap, RepallocWrap, PfreeWrap};

/* Raise a core error as a PostgreSQL error, with the position in characters. */
static void
ReportCrError(const CrError *err, const char *text)
{
	int			sqlstate;
	int			charpos = err->pos;
	const char *message = err->message;

	if (text != NULL && err->pos > 1)
		charpos = pg_mbstrlen_with_len(text, err->pos - 1) + 1;
	switch (err->kind)
	{
		case CR_ERR_SYNTAX:
			sqlstate = ERRCODE_SYNTAX_ERROR;
			break;
		case CR_ERR_LIMIT:
			sqlstate = ERRCODE_PROGRAM_LIMIT_EXCEEDED;
			break;
		case CR_ERR_CORRUPT:
			sqlstate = ERRCODE_INVALID_BINARY_REPRESENTATION;
			break;
		default:
			sqlstate = ERRCODE_INVALID_TEXT_REPRESENTATION;
	}
	/* a message quoting part of a bad input must itself be valid in the server encoding */
	if (!pg_verifymbstr(message, strlen(message), true))
		message = "invalid criteria";
	if (text != NULL && charpos > 0)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("invalid input syntax for type criteria: %s at character %d", message, charpos),
				 errdetail("Criteria: %.*s%s", pg_mbcliplen(text, strlen(text), 200), text,
						   strlen(text) > 200 ? "..." : "")));
	ereport(ERROR, (errcode(sqlstate), errmsg("%s", message)));
}

/* Validate a criteria datum's bytes (detoasted, 4-byte header, so aligned). */
static void
ProgramFromDatum(Datum d, CrProgram *prog, bytea **out)
{
	bytea	   *v = (bytea *) PG_DETOAST_DATUM(d);
	CrError		err;

	if (!cr_validate(VARDATA(v), VARSIZE(v) - VARHDRSZ, prog, &err))
		ReportCrError(&err, NULL);
	if (out)
		*out = v;
}

PG_FUNCTION_INFO_V1(criteria_in);
/* Text input: compile and check the targeting language. */
Datum
criteria_in(PG_FUNCTION_ARGS)
{
	char	   *text = PG_GETARG_CSTRING(0);
	CrError		err;
	size_t		size;
	void	   *bytes = cr_compile(text, strlen(text), &pg_allocator, &size, &err);
	bytea	   *result;

	if (bytes == NULL)
		ReportCrError(&err, text);

	/*
	 * The value is the compiled canonical text, not the input as written: lists in any order
	 * or with repeats give the same bytes, so binary output reads back (criteria_recv accepts
	 * only what text input produces), and a value whose canonical text would break a limit
	 * (longer, or nested deeper with its brackets) is refused now rather than by a restore.
	 */
	{
		CrProgram	prog;
		char	   *canonical;

		if (!cr_validate(bytes, size, &prog, &err))
			ReportCrError(&err, NULL);
		canonical = cr_to_text(&prog, &pg_allocator);
		bytes = cr_compile(canonical, strlen(canonical), &pg_allocator, &size, &err);
		if (bytes == NULL)
			ereport(ERROR,
					(errcode(err.kind == CR_ERR_LIMIT ? ERRCODE_PROGRAM_LIMIT_EXCEEDED : ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("criteria would print as text that cannot be read back: %s", err.message),
					 errdetail("Criteria: %.*s%s", pg_mbcliplen(text, strlen(text), 200), text,
							   strlen(text) > 200 ? "..." : "")));
	}
	result = palloc(VARHDRSZ + size);
	SET_VARSIZE(result, VARHDRSZ + size);
	memcpy(VARDATA(result), bytes, size);
	PG_RETURN_BYTEA_P(result);
}

PG_FUNCTION_INFO_V1(criteria_out);
/* Text output: the canonical form, which reads back as the same value. */
Datum
criteria_out(PG_FUNCTION_ARGS)
{
	CrProgram	prog;

	ProgramFromDatum(PG_GETARG_DATUM(0), &prog, NULL);
	PG_RETURN_CSTRING(cr_to_text(&prog, &pg_allocator));
}

PG_FUNCTION_INFO_V1(criteria_recv);
/* Binary input: the stored form, validated completely before it is accepted. */
Datum
criteria_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len = buf->len - buf->cursor;
	bytea	   *result = palloc(VARHDRSZ + len);
	CrProgram	prog;
	CrError		err;

	SET_VARSIZE(result, VARHDRSZ + len);
	pq_copymsgbytes(buf, VARDATA(result), len);
	if (!cr_validate(VARDATA(result), len, &prog, &err))
		ReportCrError(&err, NULL);

	/*
	 * Accept only what text input could have produced: the canonical text must be valid in the
	 * server encoding and compile back to the same bytes, or a dump would not restore.
	 */
	{
		char	   *text = cr_to_text(&prog, &pg_allocator);
		size_t		size2;
		void	   *again;

		if (!pg_verifymbstr(text, strlen(text), true) ||
			(again = cr_compile(text, strlen(text), &pg_allocator, &size2, &err)) == NULL ||
			size2 != (size_t) len || memcmp(again, VARDATA(result), len) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid stored criteria"),
					 errdetail("The value is not one that criteria text input produces.")));
	}
	PG_RETURN_BYTEA_P(result);
}

PG_FUNCTION_INFO_V1(criteria_send);
/* Binary output: the stored form. */
Datum
criteria_send(PG_FUNCTION_ARGS)
{
	bytea	   *v = PG_GETARG_BYTEA_P_COPY(0);

	PG_RETURN_BYTEA_P(v);
}

/* ------------------------------------------------------------------------
 * x @@ criteria
 * ------------------------------------------------------------------------ */

/* Per-call-site cache: the compiled program, the row type's column map, the code lists. */
typedef struct MatchCache
{
	MemoryContext mcxt;
	char	   *bytes;
	size_t		size;
	CrProgram	prog;
	RowReader	reader;
	ArgColumns	cols;			/* criteria_match_columns: the columns passed */
	CodeListCache lists;
	LocalTransactionId lxid;	/* statement the code lists were read in */
	CommandId	cid;
} MatchCache;

/* The cache of this call site, with the program of this criteria value. */
static MatchCache *
GetMatchCache(FunctionCallInfo fcinfo, Datum crit)
{
	MatchCache *mc = (MatchCache *) fcinfo->flinfo->fn_extra;
	bytea	   *v = (bytea *) PG_DETOAST_DATUM(crit);
	size_t		size = VARSIZE(v) - VARHDRSZ;

	if (mc == NULL)
	{
		mc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(MatchCache));
		mc->mcxt = fcinfo->flinfo->fn_mcxt;
		fcinfo->flinfo->fn_extra = mc;
	}
	/* a criteria column changes from row to row: compare the bytes, they are short */
	if (mc->bytes == NULL || mc->size != size || memcmp(mc->bytes, VARDATA(v), size) != 0)
	{
		CrError		err;
		CrProgram	check;
		char	   *copy;

		/* check into a local first: on failure the cache keeps its old, valid program */
		if (!cr_validate(VARDATA(v), size, &check, &err))
			ReportCrError(&err, NULL);
		copy = MemoryContextAlloc(mc->mcxt, size);
		memcpy(copy, VARDATA(v), size);
		if (mc->bytes)
			pfree(mc->bytes);
		mc->bytes = copy;
		mc->size = size;
		cr_validate(mc->bytes, size, &mc->prog, &err);
	}
	return mc;
}

/* Evaluate the program on the values read; NULL when unknown. */
static Datum
MatchResult(FunctionCallInfo fcinfo, MatchCache *mc)
{
	CrValue		values[CR_NFIELDS];
	int			r;

	/* code lists are read once per statement: a PL/pgSQL expression outlives one */
	if (mc->lxid != MyProc->lxid || mc->cid != GetCurrentCommandId(false))
	{
		CodeListCacheReset(&mc->lists, mc->mcxt);
		mc->lxid = MyProc->lxid;
		mc->cid = GetCurrentCommandId(false);
	}
	RowReaderFields(&mc->reader, values, mc->prog.header->fieldmask);
	r = cr_eval(&mc->prog, values, CodeListLookup, &mc->lists);
	if (r == 2)
		PG_RETURN_NULL();
	PG_RETURN_BOOL(r == 1);
}

PG_FUNCTION_INFO_V1(criteria_match);
/* row @@ criteria: does the row satisfy the criteria?  NULL when unknown. */
Datum
criteria_match(PG_FUNCTION_ARGS)
{
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(0);
	MatchCache *mc = GetMatchCache(fcinfo, PG_GETARG_DATUM(1));

	RowReaderEnsure(&mc->reader, mc->mcxt, rec, mc->prog.header->fieldmask);
	RowReaderDeform(&mc->reader, rec);
	return MatchResult(fcinfo, mc);
}

PG_FUNCTION_INFO_V1(criteria_match_columns);
/*
 * criteria_match_columns(row type, present, names, criteria, VARIADIC columns): row @@
 * criteria for a row given as its columns (the planner's rewrite, column_args.c).
 */
Datum
criteria_match_columns(PG_FUNCTION_ARGS)
{
	MatchCache *mc;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(3))
		PG_RETURN_NULL();
	mc = GetMatchCache(fcinfo, PG_GETARG_DATUM(3));
	if (!OidIsValid(mc->cols.rowtype))
		ArgColumnsInit(&mc->cols, fcinfo, mc->mcxt, 0, 2, 4);
	RowReaderEnsureArgs(&mc->reader, mc->mcxt, &mc->cols, mc->prog.header->fieldmask);
	RowReaderSetArgs(&mc->reader, &mc->cols, fcinfo);
	return MatchResult(fcinfo, mc);
}

PG_FUNCTION_INFO_V1(criteria_fields);
/* The fields criteria read, for documentation and for indexing profiles. */
Datum
criteria_fields(PG_FUNCTION_ARGS)
{
	CrProgram	prog;
	Datum	   *names = palloc(sizeof(Datum) * CR_NFIELDS);
	int			n = 0;

	ProgramFromDatum(PG_GETARG_DATUM(0), &prog, NULL);
	for (int f = 0; f < CR_NFIELDS; f++)
		if (prog.header->fieldmask & ((uint32_t) 1 << f))
			names[n++] = CStringGetTextDatum(cr_field_name(f));
	PG_RETURN_ARRAYTYPE_P(construct_array(names, n, TEXTOID, -1, false, TYPALIGN_INT));
}

PG_FUNCTION_INFO_V1(criteria_lists);
/* The code lists criteria name. */
Datum
criteria_lists(PG_FUNCTION_ARGS)
{
	CrProgram	prog;
	Datum	   *names;
	int			n = 0;

	ProgramFromDatum(PG_GETARG_DATUM(0), &prog, NULL);
	names = palloc(sizeof(Datum) * (prog.header->ninstr + 1));
	for (int i = 0; i < prog.header->ninstr; i++)
	{
		const CrInstr *in = &prog.instr[i];

		if (in->op == CR_OP_IN_LIST || in->op == CR_OP_NOT_IN_LIST)
		{
			int64		s;

			memcpy(&s, prog.slots + in->slot, sizeof(s));
			names[n++] = PointerGetDatum(cstring_to_text_with_len(prog.strings + (s >> 32), (int) (s & 0xffffffff)));
		}
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(names, n, TEXTOID, -1, false, TYPALIGN_INT));
}
