/*
 * compliance.c: the compliance type, a trader's (or an office's, a month's, ...) record of
 * declarations, inspections and findings, and the aggregates that build and merge it.
 *
 * What a row counts (compliance(inspected, hit[, critical, extra_revenue])):
 *   - inspected NULL: nothing, the row is skipped (not even a declaration);
 *   - otherwise a declaration; inspected true also an inspection;
 *   - an inspection with hit true is a hit, with hit false a clean one, with hit NULL a
 *     pending inspection (no known result): it counts in the inspection rate but not in
 *     the hit rate, which is hits / (inspections - pending);
 *   - a hit with critical true is a critical finding, false a minor one, NULL neither;
 *   - extra_revenue adds to the sum for every declaration counted (NULL adds nothing).
 * hit and critical on rows that are not inspections are ignored.
 *
 * The state is the SQL type itself, so daily states can be stored and merged into months
 * later (compliance_merge) without reading the lines again.  An empty group gives the
 * all-zero state, never NULL.  Counts are int64 and overflow is an error; the extra revenue
 * is kept exactly, as whole units and billionths, so that sums do not depend on the order
 * rows arrive in: serial, parallel and merged results are identical.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/int.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "normal_core.h"

#define COMPLIANCE_VERSION 1
#define NANOS_PER_UNIT 1000000000
#define NANO_DIGITS 9

typedef struct Compliance
{
	uint8		version;		/* COMPLIANCE_VERSION */
	uint8		flags;			/* none defined yet: 0 */
	uint16		spare16;		/* 0: room to grow */
	int32		revenue_nanos;	/* extra revenue, billionths: 0 .. 999,999,999 */
	int64		declarations;	/* rows with inspected not NULL */
	int64		inspections;	/* ... of which inspected */
	int64		pending;		/* ... of which with no known result (hit NULL) */
	int64		hits;			/* inspections with hit true */
	int64		minor;			/* hits with a minor finding (critical false) */
	int64		critical;		/* hits with a critical finding (critical true) */
	int64		revenue_units;	/* extra revenue, whole units */
	int64		spare[2];		/* 0: room to grow */
} Compliance;

StaticAssertDecl(sizeof(Compliance) == 80, "compliance is 80 bytes: INTERNALLENGTH in 86_compliance.sql");

#define PG_GETARG_COMPLIANCE(n) ((Compliance *) PG_GETARG_POINTER(n))

/* The all-zero state of the current version. */
static Compliance *
NewCompliance(void)
{
	Compliance *c = palloc0(sizeof(Compliance));

	c->version = COMPLIANCE_VERSION;
	return c;
}

/*
 * Is the state one the functions below could have made?  Else say what is wrong, and set
 * *field (if not NULL) to the index in FieldNames of the count that breaks an invariant.
 */
static const char *
ComplianceProblem(const Compliance *c, int *field)
{
	int			dummy;

	if (field == NULL)
		field = &dummy;
	*field = 0;
	if (c->version != COMPLIANCE_VERSION)
		return psprintf("unknown version %d", c->version);
	if (c->flags != 0 || c->spare16 != 0 || c->spare[0] != 0 || c->spare[1] != 0)
		return "unknown flags";
	if (c->declarations < 0 || c->inspections < 0 || c->pending < 0 || c->hits < 0 ||
		c->minor < 0 || c->critical < 0 || c->revenue_units < 0)
		return "counts must be at least 0";
	if (c->revenue_nanos < 0 || c->revenue_nanos >= NANOS_PER_UNIT)
		return "the billionths of the extra revenue must lie in 0 .. 999999999";
	*field = 1;
	if (c->inspections > c->declarations)
		return psprintf("inspections (" INT64_FORMAT ") exceed declarations (" INT64_FORMAT ")",
						c->inspections, c->declarations);
	*field = 2;
	if (c->pending > c->inspections)
		return psprintf("pending inspections (" INT64_FORMAT ") exceed inspections (" INT64_FORMAT ")",
						c->pending, c->inspections);
	*field = 3;
	if (c->hits > c->inspections - c->pending)
		return psprintf("hits (" INT64_FORMAT ") exceed the inspections with a result (" INT64_FORMAT ")",
						c->hits, c->inspections - c->pending);
	*field = c->minor > c->hits ? 4 : 5;
	if (c->minor > c->hits || c->critical > c->hits - c->minor)
		return psprintf("minor (" INT64_FORMAT ") and critical (" INT64_FORMAT ") findings exceed hits (" INT64_FORMAT ")",
						c->minor, c->critical, c->hits);
	return NULL;
}

/* Refuse a state that is not valid: from storage, a corrupted one. */
static void
CheckCompliance(const Compliance *c)
{
	const char *problem = ComplianceProblem(c, NULL);

	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid compliance value: %s", problem)));
}

/* a += b, an error on overflow. */
static void
AddCount(int64 *a, int64 b)
{
	if (unlikely(pg_add_s64_overflow(*a, b, a)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("compliance count out of range"),
				 errdetail("A count would exceed " INT64_FORMAT ".", PG_INT64_MAX)));
}

/* Add units and billionths to the extra revenue, exactly. */
static void
AddRevenue(Compliance *c, int64 units, int32 nanos)
{
	c->revenue_nanos += nanos;
	if (c->revenue_nanos >= NANOS_PER_UNIT)
	{
		c->revenue_nanos -= NANOS_PER_UNIT;
		if (unlikely(pg_add_s64_overflow(units, 1, &units)))
			goto overflow;
	}
	if (unlikely(pg_add_s64_overflow(c->revenue_units, units, &c->revenue_units)))
		goto overflow;
	return;
overflow:
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("compliance extra revenue out of range"),
			 errdetail("The sum would reach 2^63 units.")));
}

/* The extra revenue as an exact decimal: units, then the billionths without trailing zeros. */
static char *
RevenueText(const Compliance *c)
{
	char		frac[NANO_DIGITS + 2];
	int			n;

	if (c->revenue_nanos == 0)
		return psprintf(INT64_FORMAT, c->revenue_units);
	snprintf(frac, sizeof(frac), ".%09d", c->revenue_nanos);
	for (n = NANO_DIGITS + 1; frac[n - 1] == '0'; n--)
		frac[n - 1] = '\0';
	return psprintf(INT64_FORMAT "%s", c->revenue_units, frac);
}

/* ---------------------------------------------------------------- I/O */

static const char *const FieldNames[] = {
	"declarations", "inspections", "pending", "hits", "minor", "critical", "extra_revenue"
};

#define N_COUNT_FIELDS 6

/* Text input context: the whole input, for messages that name a character position. */
typedef struct Parse
{
	const char *str;
	const char *p;
} Parse;

/* The 1-based character position of a place in the input. */
static int
Position(const Parse *ps, const char *at)
{
	return pg_mbstrlen_with_len(ps->str, at - ps->str) + 1;
}

#define BAD_INPUT(ps, at, ...) \
	ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION), \
			errmsg("invalid input syntax for type compliance: \"%s\"", (ps)->str), \
			errdetail("At character %d: %s", Position(ps, at), psprintf(__VA_ARGS__))))

#define OUT_OF_RANGE(ps, at, field) \
	ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), \
			errmsg("value out of range for type compliance: \"%s\"", (ps)->str), \
			errdetail("At character %d: %s exceeds " INT64_FORMAT ".", Position(ps, at), field, PG_INT64_MAX)))

/* Skip "name=" (after at least one space unless first), or say what was expected. */
static void
ParseName(Parse *ps, int field)
{
	const char *name = FieldNames[field];
	size_t		len = strlen(name);

	if (field > 0)
	{
		if (*ps->p != ' ')
			BAD_INPUT(ps, ps->p, "expected a space, then \"%s=\".", name);
		while (*ps->p == ' ')
			ps->p++;
	}
	if (strncmp(ps->p, name, len) != 0 || ps->p[len] != '=')
		BAD_INPUT(ps, ps->p, "expected \"%s=\".", name);
	ps->p += len + 1;
}

/* A whole number of at least 0, digits only. */
static int64
ParseWhole(Parse *ps, int field)
{
	const char *start = ps->p;
	int64		v = 0;

	if (!isdigit((unsigned char) *ps->p))
		BAD_INPUT(ps, start, "%s must be a %s of at least 0.", FieldNames[field],
				  field == N_COUNT_FIELDS ? "decimal number" : "whole number");
	while (isdigit((unsigned char) *ps->p))
	{
		if (pg_mul_s64_overflow(v, 10, &v) || pg_add_s64_overflow(v, *ps->p - '0', &v))
			OUT_OF_RANGE(ps, start, FieldNames[field]);
		ps->p++;
	}
	if (*ps->p != ' ' && *ps->p != '\0' && !(*ps->p == '.' && field == N_COUNT_FIELDS))
		BAD_INPUT(ps, start, "%s must be a %s of at least 0.", FieldNames[field],
				  field == N_COUNT_FIELDS ? "decimal number" : "whole number");
	return v;
}

PG_FUNCTION_INFO_V1(compliance_in);
/* Text input: "declarations=10 inspections=4 pending=0 hits=1 minor=1 critical=0 extra_revenue=0". */
Datum
compliance_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	Parse		ps = {str, str};
	Compliance *c = NewCompliance();
	int64	   *counts[N_COUNT_FIELDS] = {&c->declarations, &c->inspections, &c->pending, &c->hits, &c->minor, &c->critical};
	const char *at[N_COUNT_FIELDS + 1];
	const char *problem;
	int			field;

	while (*ps.p == ' ')
		ps.p++;
	for (int f = 0; f < N_COUNT_FIELDS; f++)
	{
		ParseName(&ps, f);
		at[f] = ps.p;
		*counts[f] = ParseWhole(&ps, f);
	}
	ParseName(&ps, N_COUNT_FIELDS);
	at[N_COUNT_FIELDS] = ps.p;
	/* the extra revenue: a decimal of at least 0 with at most 9 places, kept exactly */
	c->revenue_units = ParseWhole(&ps, N_COUNT_FIELDS);
	if (*ps.p == '.')
	{
		const char *frac = ++ps.p;
		int			nanos = 0;

		while (isdigit((unsigned char) *ps.p) && ps.p - frac < NANO_DIGITS)
			nanos = nanos * 10 + (*ps.p++ - '0');
		if (ps.p == frac || (*ps.p != ' ' && *ps.p != '\0'))
			BAD_INPUT(&ps, at[N_COUNT_FIELDS], "extra_revenue must be a decimal number of at least 0 with 1 to 9 decimal places.");
		for (int i = ps.p - frac; i < NANO_DIGITS; i++)
			nanos *= 10;
		c->revenue_nanos = nanos;
	}
	while (*ps.p == ' ')
		ps.p++;
	if (*ps.p != '\0')
		BAD_INPUT(&ps, ps.p, "unexpected \"%s\" after the last field.", ps.p);
	if ((problem = ComplianceProblem(c, &field)) != NULL)
		BAD_INPUT(&ps, at[field], "%s.", problem);
	PG_RETURN_POINTER(c);
}

PG_FUNCTION_INFO_V1(compliance_out);
/* Text output, read back by compliance_in. */
Datum
compliance_out(PG_FUNCTION_ARGS)
{
	Compliance *c = PG_GETARG_COMPLIANCE(0);

	PG_RETURN_CSTRING(psprintf("declarations=" INT64_FORMAT " inspections=" INT64_FORMAT " pending=" INT64_FORMAT
							   " hits=" INT64_FORMAT " minor=" INT64_FORMAT " critical=" INT64_FORMAT " extra_revenue=%s",
							   c->declarations, c->inspections, c->pending, c->hits, c->minor, c->critical,
							   RevenueText(c)));
}

PG_FUNCTION_INFO_V1(compliance_recv);
/* Binary input, validated as text input is; a version byte first so the format can grow. */
Datum
compliance_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	Compliance *c = NewCompliance();
	const char *problem;

	c->version = pq_getmsgbyte(buf);
	if (c->version != COMPLIANCE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary compliance: unknown version %d", c->version)));
	c->flags = pq_getmsgbyte(buf);
	c->declarations = pq_getmsgint64(buf);
	c->inspections = pq_getmsgint64(buf);
	c->pending = pq_getmsgint64(buf);
	c->hits = pq_getmsgint64(buf);
	c->minor = pq_getmsgint64(buf);
	c->critical = pq_getmsgint64(buf);
	c->revenue_units = pq_getmsgint64(buf);
	c->revenue_nanos = pq_getmsgint(buf, 4);
	pq_getmsgend(buf);
	if ((problem = ComplianceProblem(c, NULL)) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary compliance: %s", problem)));
	PG_RETURN_POINTER(c);
}

PG_FUNCTION_INFO_V1(compliance_send);
/* Binary output: version, flags, the six counts, the extra revenue's units and billionths. */
Datum
compliance_send(PG_FUNCTION_ARGS)
{
	Compliance *c = PG_GETARG_COMPLIANCE(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, c->version);
	pq_sendbyte(&buf, c->flags);
	pq_sendint64(&buf, c->declarations);
	pq_sendint64(&buf, c->inspections);
	pq_sendint64(&buf, c->pending);
	pq_sendint64(&buf, c->hits);
	pq_sendint64(&buf, c->minor);
	pq_sendint64(&buf, c->critical);
	pq_sendint64(&buf, c->revenue_units);
	pq_sendint32(&buf, c->revenue_nanos);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---------------------------------------------------------------- aggregates */

/* The state to change: in place inside an aggregate, else a copy; the zero state for NULL. */
static Compliance *
WritableState(FunctionCallInfo fcinfo)
{
	Compliance *c;

	if (PG_ARGISNULL(0))
	{
		MemoryContext aggcontext;

		/* the aggregates have an INITCOND, so only a direct call gets here */
		if (AggCheckCallContext(fcinfo, &aggcontext))
		{
			c = MemoryContextAllocZero(aggcontext, sizeof(Compliance));
			c->version = COMPLIANCE_VERSION;
			return c;
		}
		return NewCompliance();
	}
	c = PG_GETARG_COMPLIANCE(0);
	if (AggCheckCallContext(fcinfo, NULL))
		return c;
	{
		Compliance *copy = palloc(sizeof(Compliance));

		memcpy(copy, c, sizeof(Compliance));
		return copy;
	}
}

/* Count one row: inspected, hit and critical as the header comment says. */
static void
AddRow(Compliance *c, FunctionCallInfo fcinfo, bool with_findings)
{
	AddCount(&c->declarations, 1);
	if (!PG_GETARG_BOOL(1))
		return;
	AddCount(&c->inspections, 1);
	if (PG_ARGISNULL(2))
	{
		AddCount(&c->pending, 1);
		return;
	}
	if (!PG_GETARG_BOOL(2))
		return;
	AddCount(&c->hits, 1);
	if (with_findings && !PG_ARGISNULL(3))
		AddCount(PG_GETARG_BOOL(3) ? &c->critical : &c->minor, 1);
}

PG_FUNCTION_INFO_V1(compliance_add);
/* compliance(inspected, hit): transition, one declaration (skipped when inspected is NULL). */
Datum
compliance_add(PG_FUNCTION_ARGS)
{
	Compliance *c = WritableState(fcinfo);

	if (!PG_ARGISNULL(1))
		AddRow(c, fcinfo, false);
	PG_RETURN_POINTER(c);
}

PG_FUNCTION_INFO_V1(compliance_add_findings);
/* compliance(inspected, hit, critical, extra_revenue): transition, with findings and revenue. */
Datum
compliance_add_findings(PG_FUNCTION_ARGS)
{
	Compliance *c = WritableState(fcinfo);

	double		x,
				whole;
	int64		units = 0;
	int32		nanos = 0;

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(c);
	if (!PG_ARGISNULL(4))
	{
		x = PG_GETARG_FLOAT8(4);

		if (!(x >= 0) || isinf(x))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("extra revenue must be a finite number of at least 0, not %s", float8out_internal(x))));
		if (x >= 9223372036854775808.0)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("extra revenue %s out of range for type compliance", float8out_internal(x)),
					 errdetail("Extra revenue must stay below 2^63 units.")));
		/* x - floor(x) is exact; the billionths are rounded to the nearest */
		whole = floor(x);
		units = (int64) whole;
		nanos = (int32) rint((x - whole) * NANOS_PER_UNIT);
		if (nanos == NANOS_PER_UNIT)
		{
			/* x < 2^53 here, as larger doubles have no fraction: no overflow */
			nanos = 0;
			units++;
		}
	}
	AddRow(c, fcinfo, true);
	AddRevenue(c, units, nanos);
	PG_RETURN_POINTER(c);
}

PG_FUNCTION_INFO_V1(compliance_merge);
/* Merge two states: the combine function, compliance_merge's transition, and the + operator. */
Datum
compliance_merge(PG_FUNCTION_ARGS)
{
	Compliance *a = WritableState(fcinfo);
	Compliance *b = PG_GETARG_COMPLIANCE(1);

	/* a stored state that is not valid is a corrupted one: do not let it spread */
	CheckCompliance(b);
	AddCount(&a->declarations, b->declarations);
	AddCount(&a->inspections, b->inspections);
	AddCount(&a->pending, b->pending);
	AddCount(&a->hits, b->hits);
	AddCount(&a->minor, b->minor);
	AddCount(&a->critical, b->critical);
	AddRevenue(a, b->revenue_units, b->revenue_nanos);
	PG_RETURN_POINTER(a);
}

/* ---------------------------------------------------------------- accessors */

PG_FUNCTION_INFO_V1(compliance_declarations);
/* declarations(c): the declarations counted. */
Datum
compliance_declarations(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(PG_GETARG_COMPLIANCE(0)->declarations);
}

PG_FUNCTION_INFO_V1(compliance_inspections);
/* inspections(c): the declarations inspected, pending ones included. */
Datum
compliance_inspections(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(PG_GETARG_COMPLIANCE(0)->inspections);
}

PG_FUNCTION_INFO_V1(compliance_pending);
/* pending_inspections(c): the inspections with no known result. */
Datum
compliance_pending(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(PG_GETARG_COMPLIANCE(0)->pending);
}

PG_FUNCTION_INFO_V1(compliance_hits);
/* hits(c): the inspections that found something. */
Datum
compliance_hits(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(PG_GETARG_COMPLIANCE(0)->hits);
}

PG_FUNCTION_INFO_V1(compliance_minor);
/* minor_findings(c): hits with a minor finding. */
Datum
compliance_minor(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(PG_GETARG_COMPLIANCE(0)->minor);
}

PG_FUNCTION_INFO_V1(compliance_critical);
/* critical_findings(c): hits with a critical finding. */
Datum
compliance_critical(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(PG_GETARG_COMPLIANCE(0)->critical);
}

PG_FUNCTION_INFO_V1(compliance_extra_revenue);
/* extra_revenue(c): the exact sum, rounded once to the nearest float8. */
Datum
compliance_extra_revenue(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(strtod(RevenueText(PG_GETARG_COMPLIANCE(0)), NULL));
}

PG_FUNCTION_INFO_V1(compliance_inspection_rate);
/* inspection_rate(c): inspections / declarations; NULL with no declarations. */
Datum
compliance_inspection_rate(PG_FUNCTION_ARGS)
{
	Compliance *c = PG_GETARG_COMPLIANCE(0);

	if (c->declarations == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) c->inspections / (double) c->declarations);
}

PG_FUNCTION_INFO_V1(compliance_hit_rate);
/* hit_rate(c): hits / inspections with a result; NULL with none. */
Datum
compliance_hit_rate(PG_FUNCTION_ARGS)
{
	Compliance *c = PG_GETARG_COMPLIANCE(0);
	int64		n = c->inspections - c->pending;

	if (n == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) c->hits / (double) n);
}

/* The Wilson score interval's lower bound for x successes in n trials at quantile z. */
static double
WilsonLower(double x, double n, double z)
{
	double		s = sqrt(x * (n - x) / n + z * z / 4);

	if (x == 0)
		return 0;				/* none: 0 at any level, even one so small that z is 0 */
	/*
	 * (x + z^2/2 - z s) / (n + z^2), rewritten as x^2 / (n (x + z^2/2 + z s)) so that it
	 * does not cancel for few hits and is exactly 0 for none
	 */
	return x * x / (n * (x + z * z / 2 + z * s));
}

PG_FUNCTION_INFO_V1(compliance_wilson_interval);
/* wilson_interval(c, level): {lower, upper} of the hit rate; NULL with no inspections with a result. */
Datum
compliance_wilson_interval(PG_FUNCTION_ARGS)
{
	Compliance *c = PG_GETARG_COMPLIANCE(0);
	double		level = PG_GETARG_FLOAT8(1);
	int64		n = c->inspections - c->pending;
	double		z;
	Datum		bounds[2];

	if (!(level > 0 && level < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the confidence level must lie strictly between 0 and 1, not %s", float8out_internal(level))));
	if (n == 0)
		PG_RETURN_NULL();
	z = -normal_quantile((1 - level) / 2);
	/* the upper bound by symmetry, from the misses: exactly 1 when every inspection hit */
	bounds[0] = Float8GetDatum(WilsonLower((double) c->hits, (double) n, z));
	bounds[1] = Float8GetDatum(1 - WilsonLower((double) (n - c->hits), (double) n, z));
	PG_RETURN_ARRAYTYPE_P(construct_array(bounds, 2, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
