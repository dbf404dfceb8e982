/*
 * price_ref.c: the price_ref type, a reference distribution of unit values (for one group,
 * say an HS-6 code and an origin) against which a declared unit value is judged.
 *
 * It is a log-bucket sketch: a positive value x falls in bucket ceil(log_g(x)) with
 * g = (1 + a) / (1 - a), a = 1%, so any quantile it returns is within 1% (relative) of a
 * value of that rank, whatever the spread; zeros are counted apart.  Buckets add, so sketches
 * merge exactly (daily into yearly, shard into whole), and the state is small: one bucket per
 * 2% of range actually used.  The robust z-score works in log space (unit values are
 * skewed): (ln x - median) / (1.4826 MAD), over the positive values.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "common/int.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"
#include "port.h"

#define PR_VERSION 1
#define PR_ALPHA 0.01
#define PR_MIN_INDEX (-37300)	/* below the bucket of the smallest double, 4.9e-324 */
#define PR_MAX_INDEX 35500		/* above the bucket of the largest, 1.8e308 */

typedef struct PriceBucket
{
	int32		index;
	int32		pad;
	int64		count;
} PriceBucket;

typedef struct PriceRef
{
	int32		vl_len_;
	uint16		version;
	uint16		flags;
	int32		nbuckets;
	double		alpha;
	int64		n;				/* every value: zeros and buckets */
	int64		zeros;
	PriceBucket b[FLEXIBLE_ARRAY_MEMBER];	/* index ascending, count > 0 */
} PriceRef;

#define PR_SIZE(nb) (offsetof(PriceRef, b) + sizeof(PriceBucket) * (nb))

/* The aggregate's working state: counts over a dense window of bucket indexes. */
typedef struct PriceState
{
	int64		n;
	int64		zeros;
	int32		lo;				/* index of counts[0] */
	int32		len;
	int64	   *counts;
} PriceState;

static double
LogGamma(void)
{
	return log((1 + PR_ALPHA) / (1 - PR_ALPHA));
}

/* The bucket of a positive value. */
static int32
BucketOf(double x)
{
	return (int32) ceil(log(x) / LogGamma());
}

/* The value a bucket stands for: within alpha of every value in it (2 g^i / (1 + g), in logs). */
static double
BucketValue(int32 index)
{
	double		v = exp(index * LogGamma() + log(2 / (1 + (1 + PR_ALPHA) / (1 - PR_ALPHA))));

	return Min(v, DBL_MAX);
}

/* Is the stored form one the functions here could have made?  Else what is wrong. */
static const char *
RefProblem(const PriceRef *r, Size size)
{
	int64		sum;

	if (size < offsetof(PriceRef, b) || r->version != PR_VERSION || r->flags != 0)
		return "unknown version";
	if (r->nbuckets < 0 || size != PR_SIZE(r->nbuckets))
		return "wrong length";
	if (r->alpha != PR_ALPHA)
		return "unknown accuracy";
	if (r->n < 0 || r->zeros < 0 || r->zeros > r->n)
		return "bad counts";
	sum = r->zeros;
	for (int i = 0; i < r->nbuckets; i++)
	{
		if (r->b[i].count <= 0 || r->b[i].pad != 0 || r->b[i].index < PR_MIN_INDEX || r->b[i].index > PR_MAX_INDEX ||
			(i > 0 && r->b[i].index <= r->b[i - 1].index))
			return "bad bucket";
		if (r->b[i].count > r->n - sum)
			return "bucket counts exceed the total";
		sum += r->b[i].count;
	}
	if (sum != r->n)
		return "bucket counts do not add up to the total";
	return NULL;
}

static PriceRef *
NewRef(int nbuckets)
{
	PriceRef   *r = palloc0(PR_SIZE(nbuckets));

	SET_VARSIZE(r, PR_SIZE(nbuckets));
	r->version = PR_VERSION;
	r->alpha = PR_ALPHA;
	r->nbuckets = nbuckets;
	return r;
}

#define PG_GETARG_PRICEREF(n) ((PriceRef *) PG_DETOAST_DATUM(PG_GETARG_DATUM(n)))

/* ---------------------------------------------------------------- I/O */

PG_FUNCTION_INFO_V1(price_ref_out);
/* Text output: "n=5 zeros=1 buckets=-12:1,230:3". */
Datum
price_ref_out(PG_FUNCTION_ARGS)
{
	PriceRef   *r = PG_GETARG_PRICEREF(0);
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "n=" INT64_FORMAT " zeros=" INT64_FORMAT " buckets=", r->n, r->zeros);
	for (int i = 0; i < r->nbuckets; i++)
		appendStringInfo(&buf, "%s%d:" INT64_FORMAT, i ? "," : "", r->b[i].index, r->b[i].count);
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(price_ref_in);
/* Text input, as price_ref_out writes it; checked completely. */
Datum
price_ref_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	const char *p = str;
	int64		n,
				zeros;
	int			cap = 16,
				nb = 0;
	PriceBucket *b = palloc(sizeof(PriceBucket) * cap);
	PriceRef   *r;
	const char *problem;
	char	   *end;

#define BAD(why) ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION), \
		errmsg("invalid input syntax for type price_ref: \"%s\"", str), errdetail why))

	if (strncmp(p, "n=", 2) != 0)
		BAD(("Expected n=<count> zeros=<count> buckets=<index>:<count>,..."));
	errno = 0;
	n = strtoll(p + 2, &end, 10);
	if (end == p + 2 || errno != 0 || strncmp(end, " zeros=", 7) != 0)
		BAD(("Expected n=<count> zeros=<count> buckets=<index>:<count>,..."));
	p = end + 7;
	errno = 0;
	zeros = strtoll(p, &end, 10);
	if (end == p || errno != 0 || strncmp(end, " buckets=", 9) != 0)
		BAD(("Expected zeros=<count> buckets=..."));
	p = end + 9;
	while (*p != '\0')
	{
		long		index;
		int64		count;

		if (nb > 0)
		{
			if (*p != ',')
				BAD(("Expected a comma between buckets at \"%s\".", p));
			p++;
		}
		errno = 0;
		index = strtol(p, &end, 10);
		if (end == p || *end != ':' || errno != 0 || index < PR_MIN_INDEX || index > PR_MAX_INDEX)
			BAD(("Expected <index>:<count> at \"%s\".", p));
		p = end + 1;
		errno = 0;
		count = strtoll(p, &end, 10);
		if (end == p || errno != 0)
			BAD(("Expected a count at \"%s\".", p));
		p = end;
		if (nb == cap)
		{
			cap *= 2;
			b = repalloc(b, sizeof(PriceBucket) * cap);
		}
		b[nb].index = (int32) index;
		b[nb].pad = 0;
		b[nb].count = count;
		nb++;
	}
	r = NewRef(nb);
	r->n = n;
	r->zeros = zeros;
	memcpy(r->b, b, sizeof(PriceBucket) * nb);
	if ((problem = RefProblem(r, VARSIZE(r))) != NULL)
		BAD(("%s.", problem));
	PG_RETURN_POINTER(r);
#undef BAD
}

/* The stored form from the wire format (price_ref_send's), checked completely. */
static PriceRef *
RefFromWire(StringInfo buf)
{
	uint16		version = pq_getmsgint(buf, 2);
	uint16		flags = pq_getmsgint(buf, 2);
	int32		nb = pq_getmsgint(buf, 4);
	PriceRef   *r;
	const char *problem;

	/* each bucket takes 12 bytes on the wire: the count cannot exceed what is left */
	if (nb < 0 || nb > (buf->len - buf->cursor) / 12)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary price_ref: %d buckets in %d bytes", nb, buf->len - buf->cursor)));
	r = NewRef(nb);
	r->version = version;
	r->flags = flags;
	r->alpha = pq_getmsgfloat8(buf);
	r->n = pq_getmsgint64(buf);
	r->zeros = pq_getmsgint64(buf);
	for (int i = 0; i < nb; i++)
	{
		r->b[i].index = pq_getmsgint(buf, 4);
		r->b[i].count = pq_getmsgint64(buf);
	}
	pq_getmsgend(buf);
	if ((problem = RefProblem(r, VARSIZE(r))) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary price_ref: %s", problem)));
	return r;
}

/* The wire format: fields one by one in network byte order, so no alignment is assumed. */
static bytea *
RefToWire(const PriceRef *r)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint16(&buf, r->version);
	pq_sendint16(&buf, r->flags);
	pq_sendint32(&buf, r->nbuckets);
	pq_sendfloat8(&buf, r->alpha);
	pq_sendint64(&buf, r->n);
	pq_sendint64(&buf, r->zeros);
	for (int i = 0; i < r->nbuckets; i++)
	{
		pq_sendint32(&buf, r->b[i].index);
		pq_sendint64(&buf, r->b[i].count);
	}
	return pq_endtypsend(&buf);
}

PG_FUNCTION_INFO_V1(price_ref_recv);
/* Binary input, checked completely. */
Datum
price_ref_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(RefFromWire((StringInfo) PG_GETARG_POINTER(0)));
}

PG_FUNCTION_INFO_V1(price_ref_send);
/* Binary output. */
Datum
price_ref_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(RefToWire(PG_GETARG_PRICEREF(0)));
}

/* ---------------------------------------------------------------- aggregate */

static PriceState *
GetState(FunctionCallInfo fcinfo, MemoryContext *cxt)
{
	if (!AggCheckCallContext(fcinfo, cxt))
		elog(ERROR, "price_ref aggregate function called in a non-aggregate context");
	if (PG_ARGISNULL(0))
		return MemoryContextAllocZero(*cxt, sizeof(PriceState));
	return (PriceState *) PG_GETARG_POINTER(0);
}

/* Make the window cover [lo, hi], growing it by half again at least, so widening is rare. */
static void
StateCover(PriceState *st, MemoryContext cxt, int32 lo, int32 hi)
{
	int32		newlo,
				newhi;
	int64	   *c;

	if (st->len > 0 && lo >= st->lo && hi < st->lo + st->len)
		return;
	if (st->len > 0)
	{
		int32		slack = st->len / 2 + 1;

		newlo = Min(lo, st->lo);
		newhi = Max(hi, st->lo + st->len - 1);
		if (newlo < st->lo)
			newlo = Max(Min(newlo, st->lo - slack), PR_MIN_INDEX);
		if (newhi > st->lo + st->len - 1)
			newhi = Min(Max(newhi, st->lo + st->len - 1 + slack), PR_MAX_INDEX);
	}
	else
	{
		newlo = lo;
		newhi = hi;
	}
	c = MemoryContextAllocZero(cxt, sizeof(int64) * (newhi - newlo + 1));
	if (st->len > 0)
	{
		memcpy(c + (st->lo - newlo), st->counts, sizeof(int64) * st->len);
		pfree(st->counts);
	}
	st->counts = c;
	st->lo = newlo;
	st->len = newhi - newlo + 1;
}

/* a += b, or an error: counts past 2^63 cannot be stored (nor restored) */
static void
AddCount(int64 *a, int64 b)
{
	if (pg_add_s64_overflow(*a, b, a))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("price_ref count out of range")));
}

/* Add count to a bucket, widening the window when needed. */
static void
StateAdd(PriceState *st, MemoryContext cxt, int32 index, int64 count)
{
	StateCover(st, cxt, index, index);
	AddCount(&st->counts[index - st->lo], count);
}

/* Add a whole stored form: the window is sized once, not bucket by bucket. */
static void
StateAddRef(PriceState *st, MemoryContext cxt, const PriceRef *r)
{
	AddCount(&st->n, r->n);
	AddCount(&st->zeros, r->zeros);
	if (r->nbuckets == 0)
		return;
	StateCover(st, cxt, r->b[0].index, r->b[r->nbuckets - 1].index);
	for (int i = 0; i < r->nbuckets; i++)
		AddCount(&st->counts[r->b[i].index - st->lo], r->b[i].count);
}

PG_FUNCTION_INFO_V1(price_ref_add);
/* Transition: one unit value (NULL skipped; negative, NaN and infinite values refused). */
Datum
price_ref_add(PG_FUNCTION_ARGS)
{
	MemoryContext cxt;
	PriceState *st = GetState(fcinfo, &cxt);
	double		x;

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);
	x = PG_GETARG_FLOAT8(1);
	if (!(x >= 0) || isinf(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a unit value must be a finite number of at least 0, not %s", float8out_internal(x))));
	st->n++;
	if (x == 0)
		st->zeros++;
	else
		StateAdd(st, cxt, BucketOf(x), 1);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(price_ref_add_ref);
/* Transition of price_ref_merge: a stored sketch. */
Datum
price_ref_add_ref(PG_FUNCTION_ARGS)
{
	MemoryContext cxt;
	PriceState *st = GetState(fcinfo, &cxt);
	PriceRef   *r;

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);
	r = PG_GETARG_PRICEREF(1);
	StateAddRef(st, cxt, r);
	PG_RETURN_POINTER(st);
}

/* The working state as the stored form. */
static PriceRef *
StateToRef(const PriceState *st)
{
	int			nb = 0;
	PriceRef   *r;

	for (int i = 0; i < st->len; i++)
		nb += st->counts[i] > 0;
	r = NewRef(nb);
	r->n = st->n;
	r->zeros = st->zeros;
	nb = 0;
	for (int i = 0; i < st->len; i++)
		if (st->counts[i] > 0)
		{
			r->b[nb].index = st->lo + i;
			r->b[nb].count = st->counts[i];
			nb++;
		}
	return r;
}

PG_FUNCTION_INFO_V1(price_ref_final);
/* Final: the sketch (an empty one for no values). */
Datum
price_ref_final(PG_FUNCTION_ARGS)
{
	PriceState	empty = {0};

	PG_RETURN_POINTER(StateToRef(PG_ARGISNULL(0) ? &empty : (PriceState *) PG_GETARG_POINTER(0)));
}

PG_FUNCTION_INFO_V1(price_ref_combine);
/* Combine two working states (parallel query). */
Datum
price_ref_combine(PG_FUNCTION_ARGS)
{
	MemoryContext cxt;
	PriceState *a,
			   *b;

	if (!AggCheckCallContext(fcinfo, &cxt))
		elog(ERROR, "price_ref_combine called in a non-aggregate context");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = (PriceState *) PG_GETARG_POINTER(1);
	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(b);	/* already in the aggregate context */
	a = (PriceState *) PG_GETARG_POINTER(0);
	AddCount(&a->n, b->n);
	AddCount(&a->zeros, b->zeros);
	if (b->len > 0)
		StateCover(a, cxt, b->lo, b->lo + b->len - 1);
	for (int i = 0; i < b->len; i++)
		if (b->counts[i] > 0)
			AddCount(&a->counts[b->lo + i - a->lo], b->counts[i]);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(price_ref_serialize);
/* The working state as bytes: the wire format, which assumes no alignment. */
Datum
price_ref_serialize(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(RefToWire(StateToRef((PriceState *) PG_GETARG_POINTER(0))));
}

PG_FUNCTION_INFO_V1(price_ref_deserialize);
/* The working state from bytes, checked. */
Datum
price_ref_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	MemoryContext cxt;
	StringInfoData buf;
	PriceState *st;

	if (!AggCheckCallContext(fcinfo, &cxt))
		elog(ERROR, "price_ref_deserialize called in a non-aggregate context");
	buf.data = VARDATA_ANY(bytes);
	buf.len = VARSIZE_ANY_EXHDR(bytes);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	st = MemoryContextAllocZero(cxt, sizeof(PriceState));
	StateAddRef(st, cxt, RefFromWire(&buf));
	PG_RETURN_POINTER(st);
}

/* ---------------------------------------------------------------- functions */

PG_FUNCTION_INFO_V1(price_ref_count);
/* count(ref): how many unit values it holds. */
Datum
price_ref_count(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(PG_GETARG_PRICEREF(0)->n);
}

PG_FUNCTION_INFO_V1(price_ref_quantile);
/* quantile(ref, p): the unit value at rank p (within 1%); NULL for an empty reference. */
Datum
price_ref_quantile(PG_FUNCTION_ARGS)
{
	PriceRef   *r = PG_GETARG_PRICEREF(0);
	double		p = PG_GETARG_FLOAT8(1);
	int64		rank,
				seen;

	if (!(p >= 0 && p <= 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a quantile must lie in [0, 1], not %s", float8out_internal(p))));
	if (r->n == 0)
		PG_RETURN_NULL();
	/* the value of rank ceil(p n) (1-based), as percentile_disc takes it; the smallest for p = 0 */
	{
		/* in doubles, clamped to n: p n for n near 2^63 rounds past INT64_MAX, and the cast wrapped */
		double		want = ceil(p * (double) r->n);

		rank = want >= (double) r->n ? r->n : Max((int64) want, 1);
	}
	if (rank <= r->zeros)
		PG_RETURN_FLOAT8(0);
	seen = r->zeros;
	for (int i = 0; i < r->nbuckets; i++)
	{
		seen += r->b[i].count;
		if (seen >= rank)
			PG_RETURN_FLOAT8(BucketValue(r->b[i].index));
	}
	/* counts add up to n (checked on input), so only rounding can reach here */
	PG_RETURN_FLOAT8(r->nbuckets > 0 ? BucketValue(r->b[r->nbuckets - 1].index) : 0);
}

PG_FUNCTION_INFO_V1(price_ref_percentile_of);
/* percentile_of(ref, x): the share of reference values below x, half of those equal to it (to the bucket). */
Datum
price_ref_percentile_of(PG_FUNCTION_ARGS)
{
	PriceRef   *r = PG_GETARG_PRICEREF(0);
	double		x = PG_GETARG_FLOAT8(1);
	double		below = 0,
				same = 0;

	if (!(x >= 0) || isinf(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a unit value must be a finite number of at least 0, not %s", float8out_internal(x))));
	if (r->n == 0)
		PG_RETURN_NULL();
	if (x == 0)
		same = (double) r->zeros;
	else
	{
		int32		k = BucketOf(x);

		below = (double) r->zeros;
		for (int i = 0; i < r->nbuckets && r->b[i].index <= k; i++)
		{
			if (r->b[i].index < k)
				below += (double) r->b[i].count;
			else
				same = (double) r->b[i].count;
		}
	}
	PG_RETURN_FLOAT8((below + same / 2) / (double) r->n);
}

static int
CompareByKey(const void *a, const void *b, void *arg)
{
	const double *key = (const double *) arg;
	double		x = key[*(const int *) a],
				y = key[*(const int *) b];

	return (x > y) - (x < y);
}

/* The weighted median of key[i] over the buckets, each weighing its count (total in all). */
static double
WeightedMedian(const PriceRef *r, const double *key, int64 total)
{
	int64		half = (total + 1) / 2,
				seen = 0;
	int		   *order = palloc(sizeof(int) * Max(r->nbuckets, 1));
	double		result = 0;

	for (int i = 0; i < r->nbuckets; i++)
		order[i] = i;
	qsort_arg(order, r->nbuckets, sizeof(int), CompareByKey, (void *) key);
	for (int i = 0; i < r->nbuckets; i++)
	{
		seen += r->b[order[i]].count;
		if (seen >= half)
		{
			result = key[order[i]];
			break;
		}
	}
	pfree(order);
	return result;
}

PG_FUNCTION_INFO_V1(price_ref_robust_z);
/*
 * robust_z(ref, x): (ln x - median) / (1.4826 MAD) in log space over the positive values;
 * far below zero is undervaluation.  NULL for x = 0 (no logarithm) or no positive values.
 */
Datum
price_ref_robust_z(PG_FUNCTION_ARGS)
{
	PriceRef   *r = PG_GETARG_PRICEREF(0);
	double		x = PG_GETARG_FLOAT8(1);
	int64		positive = r->n - r->zeros;
	double	   *key;
	double		median,
				mad;

	if (!(x >= 0) || isinf(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a unit value must be a finite number of at least 0, not %s", float8out_internal(x))));
	if (x == 0 || positive == 0)
		PG_RETURN_NULL();
	/* positions in units of log g: a bucket's values lie within (index - 1, index], centre - 0.5 */
	key = palloc(sizeof(double) * Max(r->nbuckets, 1));
	for (int i = 0; i < r->nbuckets; i++)
		key[i] = r->b[i].index - 0.5;
	median = WeightedMedian(r, key, positive);
	for (int i = 0; i < r->nbuckets; i++)
		key[i] = fabs(key[i] - median);
	/* no spread finer than a bucket can be seen: the MAD is at least one bucket */
	mad = Max(WeightedMedian(r, key, positive), 1.0);
	pfree(key);
	PG_RETURN_FLOAT8((log(x) / LogGamma() - median) / (1.4826 * mad));
}
