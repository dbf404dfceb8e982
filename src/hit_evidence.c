/*
 * hit_evidence.c: the hit_evidence type, the inspection evidence about an entity (an
 * importer, an HS code, a route, ...): hits out of inspections, optionally time-decayed.
 *
 * It is a beta-binomial state: with a Beta(prior_hits, prior_misses) prior the posterior is
 * Beta(prior_hits + hits, prior_misses + inspections - hits), whose mean is the smoothed hit
 * rate.  The state is a SQL type and the aggregates' state at once, so daily states can be
 * stored and merged into a quarter later without reading lines again.
 *
 * Decayed evidence weighs an inspection at time t by 2^-((as_of - t) / half_life): the
 * weights are kept relative to as_of, the latest time seen, and rescaled when a later
 * observation or state arrives, so merging in any order gives the same state.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/float.h"
#include "utils/timestamp.h"

#include "beta_core.h"

#define HE_VERSION 1

typedef struct HitEvidence
{
	uint32		version;		/* HE_VERSION: room to grow */
	uint32		flags;			/* unused, 0 */
	double		hits;			/* weighted hits */
	double		trials;			/* weighted inspections */
	double		half_life;		/* seconds; 0 for evidence that does not decay */
	TimestampTz as_of;			/* decayed: the time weights are relative to, or HE_NO_TIME */
} HitEvidence;

/* A decayed state's time before it has one (only when it holds no inspection). */
#define HE_NO_TIME DT_NOBEGIN

#define PG_GETARG_HE(n) ((HitEvidence *) PG_GETARG_POINTER(n))

static HitEvidence *
NewEvidence(double half_life)
{
	HitEvidence *e = palloc0(sizeof(HitEvidence));

	e->version = HE_VERSION;
	e->half_life = half_life;
	return e;
}

/* Is the state one the functions below could have made?  Else say what is wrong. */
static const char *
EvidenceProblem(const HitEvidence *e)
{
	if (e->version != HE_VERSION || e->flags != 0)
		return "unknown version";
	if (!isfinite(e->hits) || !isfinite(e->trials) || !isfinite(e->half_life))
		return "counts and half-life must be finite";
	if (e->hits < 0 || e->trials < 0 || e->hits > e->trials)
		return "hits must lie between 0 and the inspections";
	if (e->half_life < 0)
		return "the half-life must be positive";
	if (e->half_life == 0 && (e->hits != floor(e->hits) || e->trials != floor(e->trials)))
		return "evidence that does not decay counts whole inspections";
	if (e->half_life == 0 && e->trials > 9007199254740992.0)
		return "more than 2^53 inspections";
	if (e->half_life == 0 && e->as_of != 0)
		return "only decayed evidence has a time";
	if (e->half_life > 0 && (e->as_of == HE_NO_TIME ? e->trials > 0
							 : TIMESTAMP_NOT_FINITE(e->as_of) || !IS_VALID_TIMESTAMP(e->as_of)))
		return "the time must be finite and in range";
	return NULL;
}

/* Seconds from a to b, in doubles: the two ends of the timestamp range overflow an int64. */
static inline double
SecondsBetween(TimestampTz a, TimestampTz b)
{
	return ((double) b - (double) a) / USECS_PER_SEC;
}

/*
 * Weights relative to a later time: everything shrinks by 2^-(elapsed / half_life).  The
 * time only moves forward, even for a state whose weights have all decayed to nothing, so
 * merging it keeps its time instead of taking an earlier one.
 */
static void
DecayTo(HitEvidence *e, TimestampTz t)
{
	if (e->as_of != HE_NO_TIME && t <= e->as_of)
		return;
	if (e->trials > 0)
	{
		double		factor = exp2(-SecondsBetween(e->as_of, t) / e->half_life);

		e->hits *= factor;
		e->trials *= factor;
	}
	e->as_of = t;
}

/* A double's shortest text that reads back exactly (float8out's depends on a setting). */
static char *
ShortestText(double x)
{
	char	   *buf = palloc(DOUBLE_SHORTEST_DECIMAL_LEN);

	double_to_shortest_decimal_buf(x, buf);
	return buf;
}

/* A half-life as text: whole days in days, anything else in seconds. */
static char *
HalfLifeText(double seconds)
{
	if (fmod(seconds, SECS_PER_DAY) == 0)
		return psprintf("%s days", ShortestText(seconds / SECS_PER_DAY));
	return psprintf("%s s", ShortestText(seconds));
}

/* ---------------------------------------------------------------- I/O */

PG_FUNCTION_INFO_V1(hit_evidence_in);
/* Text input: "3/10", or decayed "2.5/7.25 half-life 30 days at 2021-03-31 00:00:00+00". */
Datum
hit_evidence_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	char	   *copy = pstrdup(str);
	char	   *p = copy,
			   *end;
	HitEvidence *e = NewEvidence(0);
	const char *problem;

#define BAD(why) ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION), \
		errmsg("invalid input syntax for type hit_evidence: \"%s\"", str), errdetail why))

	while (*p == ' ')
		p++;
	/* decimal numbers only: strtod would also take hexadecimal, "inf" and "nan" */
	for (const char *q = p; *q && *q != ' '; q++)
		if (!strchr("0123456789.eE+-/", *q))
			BAD(("Expected hits/inspections in decimal, as in 3/10."));
	e->hits = strtod(p, &end);
	if (end == p || *end != '/')
		BAD(("Expected hits/inspections, as in 3/10."));
	p = end + 1;
	e->trials = strtod(p, &end);
	if (end == p)
		BAD(("Expected hits/inspections, as in 3/10."));
	p = end;
	while (*p == ' ')
		p++;
	if (strncmp(p, "half-life ", 10) == 0)
	{
		double		n;

		p += 10;
		if (strspn(p, "0123456789.eE+-") == 0 || (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')))
			BAD(("The half-life must be a positive decimal number of days or seconds."));
		n = strtod(p, &end);
		if (end == p || !(n > 0) || !isfinite(n))
			BAD(("The half-life must be a positive number of days or seconds."));
		p = end;
		while (*p == ' ')
			p++;
		if (strncmp(p, "days", 4) == 0)
		{
			e->half_life = n * SECS_PER_DAY;
			p += 4;
		}
		else if (*p == 's')
		{
			e->half_life = n;
			p += 1;
		}
		else
			BAD(("The half-life needs a unit: days or s."));
		while (*p == ' ')
			p++;
		if (strncmp(p, "at ", 3) == 0)
		{
			e->as_of = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in, CStringGetDatum(p + 3),
															   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
			if (TIMESTAMP_NOT_FINITE(e->as_of))
				BAD(("The time must be finite."));
			p += strlen(p);
		}
		else if (e->trials > 0)
			BAD(("Decayed evidence needs the time its weights are relative to: ... at <timestamp>."));
		else
			e->as_of = HE_NO_TIME;
	}
	while (*p == ' ')
		p++;
	if (*p != '\0')
		BAD(("Unexpected \"%s\".", p));
	if ((problem = EvidenceProblem(e)) != NULL)
		BAD(("%s.", problem));
	e->hits += 0.0;				/* -0 is 0 */
	e->trials += 0.0;
	PG_RETURN_POINTER(e);
#undef BAD
}

PG_FUNCTION_INFO_V1(hit_evidence_out);
/* Text output, read back by hit_evidence_in. */
Datum
hit_evidence_out(PG_FUNCTION_ARGS)
{
	HitEvidence *e = PG_GETARG_HE(0);
	StringInfoData buf;

	initStringInfo(&buf);
	if (e->half_life == 0)
	{
		appendStringInfo(&buf, "%.0f/%.0f", e->hits, e->trials);
		PG_RETURN_CSTRING(buf.data);
	}
	/* shortest exact digits, whatever extra_float_digits is: the text must read back the same */
	appendStringInfo(&buf, "%s/%s half-life %s", ShortestText(e->hits), ShortestText(e->trials),
					 HalfLifeText(e->half_life));
	if (e->as_of != HE_NO_TIME)
		appendStringInfo(&buf, " at %s", DatumGetCString(DirectFunctionCall1(timestamptz_out, TimestampTzGetDatum(e->as_of))));
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(hit_evidence_recv);
/* Binary input, validated as text input is. */
Datum
hit_evidence_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	HitEvidence *e = NewEvidence(0);
	const char *problem;

	e->version = pq_getmsgint(buf, 4);
	e->flags = pq_getmsgint(buf, 4);
	e->hits = pq_getmsgfloat8(buf);
	e->trials = pq_getmsgfloat8(buf);
	e->half_life = pq_getmsgfloat8(buf);
	e->as_of = pq_getmsgint64(buf);
	if ((problem = EvidenceProblem(e)) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary hit_evidence: %s", problem)));
	e->hits += 0.0;				/* -0 is 0, as in text input */
	e->trials += 0.0;
	PG_RETURN_POINTER(e);
}

PG_FUNCTION_INFO_V1(hit_evidence_send);
/* Binary output. */
Datum
hit_evidence_send(PG_FUNCTION_ARGS)
{
	HitEvidence *e = PG_GETARG_HE(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, e->version);
	pq_sendint32(&buf, e->flags);
	pq_sendfloat8(&buf, e->hits);
	pq_sendfloat8(&buf, e->trials);
	pq_sendfloat8(&buf, e->half_life);
	pq_sendint64(&buf, e->as_of);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---------------------------------------------------------------- aggregates */

/* Whole counts past 2^53 would stop adding up in a double: an error, not a silent stall. */
static void
CheckRoom(const HitEvidence *e, double more)
{
	if (e->half_life == 0 && more > 9007199254740992.0 - e->trials)	/* exact: whole numbers <= 2^53 */
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("hit_evidence counts more than 2^53 inspections")));
}

/* The state to change: in place inside an aggregate, else a copy. */
static HitEvidence *
WritableState(FunctionCallInfo fcinfo)
{
	HitEvidence *e = PG_GETARG_HE(0);

	if (AggCheckCallContext(fcinfo, NULL))
		return e;
	{
		HitEvidence *copy = palloc(sizeof(HitEvidence));

		memcpy(copy, e, sizeof(HitEvidence));
		return copy;
	}
}

PG_FUNCTION_INFO_V1(hit_evidence_add);
/* hit_evidence(hit): one inspection's outcome (NULL, not inspected, is skipped: strict). */
Datum
hit_evidence_add(PG_FUNCTION_ARGS)
{
	HitEvidence *e = WritableState(fcinfo);

	if (e->half_life != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot add an undecayed inspection to decayed evidence")));
	CheckRoom(e, 1);
	e->trials += 1;
	e->hits += PG_GETARG_BOOL(1) ? 1 : 0;
	PG_RETURN_POINTER(e);
}

/* The half-life of an interval in seconds: days and time only, months have no fixed length. */
static double
HalfLifeSeconds(const Interval *iv)
{
	double		s;

	if (iv->month != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a half-life must be given in days or shorter units, not months or years")));
	s = (double) iv->day * SECS_PER_DAY + (double) iv->time / USECS_PER_SEC;
	if (!(s > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a half-life must be positive")));
	return s;
}

PG_FUNCTION_INFO_V1(hit_evidence_add_decayed);
/* hit_evidence(hit, at, half_life): one inspection at time at, weighed by its age. */
Datum
hit_evidence_add_decayed(PG_FUNCTION_ARGS)
{
	HitEvidence *e = WritableState(fcinfo);
	TimestampTz at = PG_GETARG_TIMESTAMPTZ(2);
	double		half_life = HalfLifeSeconds(PG_GETARG_INTERVAL_P(3));
	double		w;

	if (TIMESTAMP_NOT_FINITE(at))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("an inspection time must be finite")));
	if (e->trials == 0 && e->half_life == 0)
	{
		e->half_life = half_life;	/* the empty start state takes the half-life, no time yet */
		e->as_of = HE_NO_TIME;
	}
	else if (e->half_life != half_life)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("every inspection of decayed evidence needs the same half-life"),
				 errdetail("The evidence has %s, this row %s.", HalfLifeText(e->half_life), HalfLifeText(half_life))));
	DecayTo(e, at);
	w = exp2(-SecondsBetween(at, e->as_of) / half_life);
	e->trials += w;
	e->hits += PG_GETARG_BOOL(1) ? w : 0;
	PG_RETURN_POINTER(e);
}

PG_FUNCTION_INFO_V1(hit_evidence_merge);
/* Merge two states (the combine function, and the merge aggregate's transition). */
Datum
hit_evidence_merge(PG_FUNCTION_ARGS)
{
	HitEvidence *a = WritableState(fcinfo);
	HitEvidence *b = PG_GETARG_HE(1);
	HitEvidence bb;

	/* an empty undecayed state (the aggregates' start) takes on the other's kind */
	if (a->trials == 0 && a->half_life == 0)
	{
		memcpy(a, b, sizeof(HitEvidence));
		PG_RETURN_POINTER(a);
	}
	if (b->trials == 0 && b->half_life == 0)
		PG_RETURN_POINTER(a);
	if (a->half_life != b->half_life)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge hit_evidence with different half-lives"),
				 errdetail("One %s, the other %s.",
						   a->half_life > 0 ? psprintf("has a half-life of %s", HalfLifeText(a->half_life)) : "does not decay",
						   b->half_life > 0 ? psprintf("has a half-life of %s", HalfLifeText(b->half_life)) : "does not decay")));
	if (a->half_life > 0)
	{
		/* both to the later of their times (each only moves forward) */
		memcpy(&bb, b, sizeof(HitEvidence));
		if (bb.as_of != HE_NO_TIME)
			DecayTo(a, bb.as_of);
		if (a->as_of != HE_NO_TIME)
			DecayTo(&bb, a->as_of);
		b = &bb;
	}
	CheckRoom(a, b->trials);
	a->hits += b->hits;
	a->trials += b->trials;
	PG_RETURN_POINTER(a);
}

/* ---------------------------------------------------------------- functions */

PG_FUNCTION_INFO_V1(hit_evidence_hits);
/* hits(e): the (weighted) hits. */
Datum
hit_evidence_hits(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(PG_GETARG_HE(0)->hits);
}

PG_FUNCTION_INFO_V1(hit_evidence_inspections);
/* inspections(e): the (weighted) inspections. */
Datum
hit_evidence_inspections(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(PG_GETARG_HE(0)->trials);
}

PG_FUNCTION_INFO_V1(hit_evidence_decay_to);
/* decay_to(e, t): decayed evidence with weights relative to a later time t. */
Datum
hit_evidence_decay_to(PG_FUNCTION_ARGS)
{
	HitEvidence *e = PG_GETARG_HE(0);
	TimestampTz t = PG_GETARG_TIMESTAMPTZ(1);
	HitEvidence *r = palloc(sizeof(HitEvidence));

	/* no evidence at all (a group of uninspected declarations, or the aggregate's initial
	 * state) has nothing to decay: it stays empty, so such a group does not fail a query */
	if (e->half_life == 0 && e->trials == 0 && e->hits == 0)
	{
		memcpy(r, e, sizeof(HitEvidence));
		PG_RETURN_POINTER(r);
	}
	if (e->half_life == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("this evidence does not decay"),
				 errhint("Aggregate with hit_evidence(hit, at, half_life) for decayed evidence.")));
	if (TIMESTAMP_NOT_FINITE(t))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("the time to decay to must be finite")));
	if (e->as_of != HE_NO_TIME && t < e->as_of)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("evidence can only be decayed forward in time"),
				 errdetail("It is as of %s.", DatumGetCString(DirectFunctionCall1(timestamptz_out, TimestampTzGetDatum(e->as_of))))));
	memcpy(r, e, sizeof(HitEvidence));
	DecayTo(r, t);
	PG_RETURN_POINTER(r);
}

/* The prior's parameters from arguments i and i + 1, checked. */
static void
Prior(FunctionCallInfo fcinfo, int i, double *a, double *b)
{
	*a = PG_GETARG_FLOAT8(i);
	*b = PG_GETARG_FLOAT8(i + 1);
	/* 1e15 inspections' worth is far past any real prior, and keeps the sums exact enough */
	if (!(*a > 0) || !(*b > 0) || !(*a <= 1e15) || !(*b <= 1e15))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the prior needs prior_hits and prior_misses above 0 and at most 1e15, not %g and %g", *a, *b),
				 errhint("For a prior hit rate r worth k inspections, use prior_hits = r * k, prior_misses = (1 - r) * k.")));
}

PG_FUNCTION_INFO_V1(hit_evidence_posterior_mean);
/* posterior_mean(e, prior_hits, prior_misses): the smoothed hit rate. */
Datum
hit_evidence_posterior_mean(PG_FUNCTION_ARGS)
{
	HitEvidence *e = PG_GETARG_HE(0);
	double		a,
				b;

	Prior(fcinfo, 1, &a, &b);
	PG_RETURN_FLOAT8((a + e->hits) / (a + b + e->trials));
}

PG_FUNCTION_INFO_V1(hit_evidence_credible_interval);
/* credible_interval(e, level, prior_hits, prior_misses): the equal-tailed interval {lower, upper}. */
Datum
hit_evidence_credible_interval(PG_FUNCTION_ARGS)
{
	HitEvidence *e = PG_GETARG_HE(0);
	double		level = PG_GETARG_FLOAT8(1);
	double		a,
				b;
	Datum		bounds[2];

	if (!(level > 0 && level < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the credible level must lie strictly between 0 and 1, not %g", level)));
	Prior(fcinfo, 2, &a, &b);
	a += e->hits;
	b += e->trials - e->hits;
	bounds[0] = Float8GetDatum(beta_quantile((1 - level) / 2, a, b));
	bounds[1] = Float8GetDatum(beta_quantile((1 + level) / 2, a, b));
	PG_RETURN_ARRAYTYPE_P(construct_array(bounds, 2, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
