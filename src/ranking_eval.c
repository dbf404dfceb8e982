/*
 * ranking_eval.c: how good is a ranking of declarations by risk score?  The aggregates
 * precision_at, recall_at, revenue_at (at an inspection rate) and auc, over (score, label
 * [, revenue]) rows.
 *
 * Ties are scored as the expectation over random tie-breaking, the only fair reading of a
 * score that cannot tell two declarations apart: a tie group that straddles the cut counts
 * the share of it that falls inside (so equal scores never depend on row order); for AUC a
 * tied positive-negative pair counts one half.  Rows with a NULL score, label or revenue
 * are skipped.  The state keeps the rows (16 bytes each) and sorts them once at the end;
 * it combines, serializes and deserializes for parallel query.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"

typedef struct EvalRow
{
	double		score;
	double		gain;			/* the label (0 or 1), or the revenue */
} EvalRow;

typedef struct EvalState
{
	int64		n;
	int64		cap;
	double		fraction;		/* NaN until the first row */
	EvalRow    *rows;
} EvalState;

static EvalState *
GetState(FunctionCallInfo fcinfo, MemoryContext *aggcxt)
{
	if (!AggCheckCallContext(fcinfo, aggcxt))
		elog(ERROR, "ranking evaluation function called in a non-aggregate context");
	if (PG_ARGISNULL(0))
	{
		EvalState  *st = MemoryContextAllocZero(*aggcxt, sizeof(EvalState));

		st->fraction = get_float8_nan();
		return st;
	}
	return (EvalState *) PG_GETARG_POINTER(0);
}

static void
AddRow(EvalState *st, MemoryContext cxt, double score, double gain)
{
	if (st->n == st->cap)
	{
		st->cap = st->cap ? st->cap * 2 : 1024;
		if ((Size) st->cap * sizeof(EvalRow) > MaxAllocHugeSize)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many rows for a ranking evaluation")));
		st->rows = st->rows ? repalloc_huge(st->rows, st->cap * sizeof(EvalRow))
			: MemoryContextAllocHuge(cxt, st->cap * sizeof(EvalRow));
	}
	st->rows[st->n].score = score;
	st->rows[st->n].gain = gain;
	st->n++;
}

/* The inspection rate: the same on every row, in (0, 1]. */
static void
CheckFraction(EvalState *st, double fraction)
{
	if (!(fraction > 0 && fraction <= 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the fraction inspected must lie in (0, 1], not %s", float8out_internal(fraction)),
				 errhint("0 inspects nothing, so precision is undefined; 1 inspects everything.")));
	if (isnan(st->fraction))
		st->fraction = fraction;
	else if (st->fraction != fraction)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the fraction must be the same on every row (%s, then %s)", float8out_internal(st->fraction), float8out_internal(fraction))));
}

static void
CheckScore(double score)
{
	if (isnan(score))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a score must not be NaN")));
}

PG_FUNCTION_INFO_V1(ranking_add_label);
/* Transition (score, label, fraction) of precision_at and recall_at, and (score, label) of auc. */
Datum
ranking_add_label(PG_FUNCTION_ARGS)
{
	MemoryContext cxt;
	EvalState  *st = GetState(fcinfo, &cxt);

	if (PG_NARGS() > 3 && !PG_ARGISNULL(3))
		CheckFraction(st, PG_GETARG_FLOAT8(3));
	if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2))
	{
		CheckScore(PG_GETARG_FLOAT8(1));
		AddRow(st, cxt, PG_GETARG_FLOAT8(1), PG_GETARG_BOOL(2) ? 1 : 0);
	}
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(ranking_add_revenue);
/* Transition (score, revenue, fraction): for revenue_at. */
Datum
ranking_add_revenue(PG_FUNCTION_ARGS)
{
	MemoryContext cxt;
	EvalState  *st = GetState(fcinfo, &cxt);

	if (!PG_ARGISNULL(3))
		CheckFraction(st, PG_GETARG_FLOAT8(3));
	if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2))
	{
		double		revenue = PG_GETARG_FLOAT8(2);

		CheckScore(PG_GETARG_FLOAT8(1));
		if (!(revenue >= 0) || isinf(revenue))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("revenue must be a finite amount of at least 0, not %s", float8out_internal(revenue))));
		AddRow(st, cxt, PG_GETARG_FLOAT8(1), revenue);
	}
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(ranking_combine);
/* Combine two partial states (parallel query). */
Datum
ranking_combine(PG_FUNCTION_ARGS)
{
	MemoryContext cxt;
	EvalState  *a,
			   *b;

	if (!AggCheckCallContext(fcinfo, &cxt))
		elog(ERROR, "ranking_combine called in a non-aggregate context");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = (EvalState *) PG_GETARG_POINTER(1);
	if (PG_ARGISNULL(0))
	{
		a = MemoryContextAllocZero(cxt, sizeof(EvalState));
		a->fraction = get_float8_nan();
	}
	else
		a = (EvalState *) PG_GETARG_POINTER(0);
	if (!isnan(b->fraction))
		CheckFraction(a, b->fraction);
	for (int64 i = 0; i < b->n; i++)
		AddRow(a, cxt, b->rows[i].score, b->rows[i].gain);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(ranking_serialize);
/* The state as bytes: count, fraction, then (score, gain) pairs. */
Datum
ranking_serialize(PG_FUNCTION_ARGS)
{
	EvalState  *st = (EvalState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	/* one bytea holds at most 1 GB */
	if (st->n > (int64) ((MaxAllocSize - 1024) / (2 * sizeof(double))))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a parallel worker cannot pass on more than %d rows of a ranking evaluation",
						(int) ((MaxAllocSize - 1024) / (2 * sizeof(double)))),
				 errhint("Evaluate without parallel workers: SET max_parallel_workers_per_gather = 0.")));
	pq_begintypsend(&buf);
	pq_sendint64(&buf, st->n);
	pq_sendfloat8(&buf, st->fraction);
	for (int64 i = 0; i < st->n; i++)
	{
		pq_sendfloat8(&buf, st->rows[i].score);
		pq_sendfloat8(&buf, st->rows[i].gain);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(ranking_deserialize);
/* The state from bytes, checked. */
Datum
ranking_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	MemoryContext cxt;
	StringInfoData buf;
	EvalState  *st;
	int64		n;

	if (!AggCheckCallContext(fcinfo, &cxt))
		elog(ERROR, "ranking_deserialize called in a non-aggregate context");
	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	n = pq_getmsgint64(&buf);
	/* then the fraction and n pairs: exactly 8 + 16 n bytes */
	if (n < 0 || buf.len - buf.cursor < 8 || (uint64) n != (uint64) (buf.len - buf.cursor - 8) / (2 * sizeof(double)) ||
		(buf.len - buf.cursor - 8) % (2 * sizeof(double)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid ranking evaluation state: %lld rows in %d bytes", (long long) n, buf.len)));
	st = MemoryContextAllocZero(cxt, sizeof(EvalState));
	st->fraction = pq_getmsgfloat8(&buf);
	for (int64 i = 0; i < n; i++)
	{
		double		score = pq_getmsgfloat8(&buf);
		double		gain = pq_getmsgfloat8(&buf);

		if (isnan(score) || !(gain >= 0) || isinf(gain))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid ranking evaluation state: bad row %lld", (long long) i)));
		AddRow(st, cxt, score, gain);
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

/*
 * Highest score first, and within a score by gain: a total order, so the sorted rows, and
 * every sum taken over them, are the same whatever order the rows came in (serial,
 * parallel, hashed or sorted grouping).
 */
static int
CompareRows(const void *a, const void *b)
{
	const EvalRow *x = a,
			   *y = b;

	if (x->score != y->score)
		return (x->score < y->score) - (x->score > y->score);
	return (x->gain > y->gain) - (x->gain < y->gain);
}

/* The rows, highest score first: a sorted copy, so the final functions leave the state alone. */
static EvalRow *
SortedRows(const EvalState *st)
{
	EvalRow    *rows = palloc_extended(Max(st->n, 1) * sizeof(EvalRow), MCXT_ALLOC_HUGE);

	memcpy(rows, st->rows, st->n * sizeof(EvalRow));
	qsort(rows, st->n, sizeof(EvalRow), CompareRows);
	return rows;
}

/*
 * The gain inside the top k = ceil(fraction * n) rows and in all rows, in units of the
 * largest gain (*scale): revenues near the top of the double range would overflow their
 * sum.  A tie group across the cut contributes the share of it that lies inside.  Both sums
 * add the same group sums in the same order, so at fraction 1 they are equal to the bit.
 */
static void
TopGain(const EvalState *st, double *top, double *total, double *k_out, double *scale)
{
	/* a margin relative to the product keeps 0.05 * 100 from rounding up to 6, and
	 * 0.28 * 7e7 too; at least one row is inspected */
	double		kf = st->fraction * (double) st->n;
	double		k = Max(ceil(kf - 1e-12 * kf - 1e-9), 1.0);
	EvalRow    *rows = SortedRows(st);
	double		largest = 0;
	int64		i = 0;

	for (int64 j = 0; j < st->n; j++)
		largest = Max(largest, rows[j].gain);
	*scale = largest > 0 ? largest : 1;
	*top = 0;
	*total = 0;
	while (i < st->n)
	{
		int64		end = i;
		double		group = 0;

		while (end < st->n && rows[end].score == rows[i].score)
			group += rows[end++].gain / *scale;
		if ((double) end <= k)
			*top += group;
		else if ((double) i < k)
			*top += group * (k - (double) i) / (double) (end - i);
		*total += group;
		i = end;
	}
	*k_out = k;
	pfree(rows);
}

/* The state, or NULL when there is nothing to measure: no rows, or no fraction on any row. */
static EvalState *
MeasurableState(FunctionCallInfo fcinfo)
{
	EvalState  *st = PG_ARGISNULL(0) ? NULL : (EvalState *) PG_GETARG_POINTER(0);

	return st == NULL || st->n == 0 || isnan(st->fraction) ? NULL : st;
}

PG_FUNCTION_INFO_V1(ranking_precision_final);
/* precision_at: the hit rate among the top fraction. */
Datum
ranking_precision_final(PG_FUNCTION_ARGS)
{
	EvalState  *st = MeasurableState(fcinfo);
	double		top,
				total,
				k,
				scale;

	if (st == NULL)
		PG_RETURN_NULL();
	TopGain(st, &top, &total, &k, &scale);
	PG_RETURN_FLOAT8(top * scale / k);
}

PG_FUNCTION_INFO_V1(ranking_share_final);
/* recall_at and revenue_at: the share of all hits (revenue) in the top fraction. */
Datum
ranking_share_final(PG_FUNCTION_ARGS)
{
	EvalState  *st = MeasurableState(fcinfo);
	double		top,
				total,
				k,
				scale;

	if (st == NULL)
		PG_RETURN_NULL();
	TopGain(st, &top, &total, &k, &scale);
	if (total == 0)
		PG_RETURN_NULL();		/* nothing to find: the share is undefined */
	PG_RETURN_FLOAT8(top / total);
}

PG_FUNCTION_INFO_V1(ranking_auc_final);
/* auc: the chance a random hit outranks a random miss, ties counting one half. */
Datum
ranking_auc_final(PG_FUNCTION_ARGS)
{
	EvalState  *st;
	double		pos_total = 0,
				neg_total,
				neg_seen = 0,
				wins = 0;
	int64		i = 0;
	EvalRow    *rows;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (EvalState *) PG_GETARG_POINTER(0);
	for (int64 j = 0; j < st->n; j++)
		pos_total += st->rows[j].gain;
	if (pos_total == 0 || pos_total == (double) st->n)
		PG_RETURN_NULL();		/* one class only: undefined */
	rows = SortedRows(st);
	/* walk from the top: each positive beats every negative below it */
	neg_total = (double) st->n - pos_total;
	while (i < st->n)
	{
		int64		end = i;
		double		pos = 0,
					neg = 0;

		while (end < st->n && rows[end].score == rows[i].score)
		{
			pos += rows[end].gain;
			neg += 1 - rows[end].gain;
			end++;
		}
		wins += pos * (neg_total - neg_seen - neg) + 0.5 * pos * neg;
		neg_seen += neg;
		i = end;
	}
	pfree(rows);
	PG_RETURN_FLOAT8(wins / (pos_total * neg_total));
}
