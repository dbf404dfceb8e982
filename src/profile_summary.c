/*
 * profile_summary.c: from matched profile ids to a declaration's decision inputs, in C,
 * so the batch need not unnest and join millions of hits: the union of its lines' ids
 * (an aggregate), and the score (sum of weights), channel (the most intrusive) and
 * reasons (the descriptions) of an id set under the statement's profile set.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "profile_match.h"
#include "profile_summary.h"

/* See profile_summary.h. */
int64 *
SortedIds(ArrayType *a, int *n, const char *what)
{
	int64	   *ids;

	if (ARR_ELEMTYPE(a) != INT8OID)
		elog(ERROR, "expected bigint[]");
	if (ARR_NDIM(a) > 1 || array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a one-dimensional array of profile ids without NULLs", what)));
	*n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	ids = (int64 *) ((char *) a + ARR_OVERHEAD_NONULLS(ARR_NDIM(a)));	/* no NULLs: no bitmap */
	for (int i = 1; i < *n; i++)
		if (ids[i] <= ids[i - 1])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s needs profile ids in ascending order without repeats", what),
					 errdetail("%lld follows %lld.", (long long) ids[i], (long long) ids[i - 1])));
	return ids;
}

static ArrayType *
MakeIds(const int64 *ids, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));

	ArrayType  *a;

	for (int i = 0; i < n; i++)
		d[i] = Int64GetDatum(ids[i]);
	a = construct_array(d, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	pfree(d);					/* the batch merges lines in a context that lasts the whole pass */
	return a;
}

/* See profile_summary.h. */
ArrayType *
ProfileIdsUnion(ArrayType *a, ArrayType *b, const char *what)
{
	int			na,
				nb,
				i = 0,
				j = 0,
				n = 0;
	int64	   *x = SortedIds(a, &na, what);
	int64	   *y = SortedIds(b, &nb, what);
	int64	   *out;
	ArrayType  *u;

	/* most lines add nothing new: keep the state as it is */
	if (nb == 0)
		return a;
	if (na == 0)
		return b;
	out = palloc(sizeof(int64) * (na + nb));
	while (i < na || j < nb)
	{
		if (j == nb || (i < na && x[i] < y[j]))
			out[n++] = x[i++];
		else if (i == na || y[j] < x[i])
			out[n++] = y[j++];
		else
		{
			out[n++] = x[i++];
			j++;
		}
	}
	u = MakeIds(out, n);
	pfree(out);
	return u;
}

PG_FUNCTION_INFO_V1(profile_union_merge);
/* profile_union(ids): transition and combine function, a merge of two sorted id sets. */
Datum
profile_union_merge(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(ProfileIdsUnion(PG_GETARG_ARRAYTYPE_P(0), PG_GETARG_ARRAYTYPE_P(1), "profile_union()"));
}

/*
 * Sum of weights, the most intrusive channel and the profile-set version of ids[0..n), and
 * their descriptions when descriptions is not NULL; errors on an id not active.
 */
static void
Summarise(FunctionCallInfo fcinfo, const int64 *ids, int n, double *score, int *channel, int64 *version,
		  const char **descriptions)
{
	int			missing = ActiveProfilesSummary(fcinfo, ids, n, score, channel, version, descriptions);

	if (missing >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("profile %lld is not active in profile-set version %lld",
						(long long) ids[missing], (long long) *version)));
}

/* The ids of argument 0, checked. */
static int64 *
ArgIds(FunctionCallInfo fcinfo, int *n, const char *what)
{
	return SortedIds(PG_GETARG_ARRAYTYPE_P(0), n, what);
}

PG_FUNCTION_INFO_V1(profile_score);
/* profile_score(ids) → the sum of the active profiles' weights. */
Datum
profile_score(PG_FUNCTION_ARGS)
{
	int			n;
	int64	   *ids = ArgIds(fcinfo, &n, "a profile score");
	double		score;
	int			channel;
	int64		version;

	Summarise(fcinfo, ids, n, &score, &channel, &version, NULL);
	PG_RETURN_FLOAT8(score);
}

PG_FUNCTION_INFO_V1(profile_channel);
/* profile_channel(ids) → the most intrusive channel they send to; NULL for no ids. */
Datum
profile_channel(PG_FUNCTION_ARGS)
{
	int			n;
	int64	   *ids = ArgIds(fcinfo, &n, "a profile channel");
	double		score;
	int			channel;
	int64		version;

	Summarise(fcinfo, ids, n, &score, &channel, &version, NULL);
	if (channel == 0)
		PG_RETURN_NULL();
	return ObjectIdGetDatum(ChannelLabelOid(fcinfo, channel, get_fn_expr_rettype(fcinfo->flinfo)));
}

PG_FUNCTION_INFO_V1(profile_summary);
/*
 * profile_summary(ids) → (score, channel, reasons, profile_set_version): what decide() needs
 * of the matched profiles, in one call under the statement's profile set.
 */
Datum
profile_summary(PG_FUNCTION_ARGS)
{
	int			n;
	int64	   *ids = ArgIds(fcinfo, &n, "profile_summary()");
	double		score;
	int			channel;
	int64		version;
	const char **desc;
	Datum	   *texts;
	TupleDesc	td;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	desc = palloc(sizeof(char *) * Max(n, 1));
	texts = palloc(sizeof(Datum) * Max(n, 1));
	Summarise(fcinfo, ids, n, &score, &channel, &version, desc);
	for (int i = 0; i < n; i++)
		texts[i] = CStringGetTextDatum(desc[i]);
	values[0] = Float8GetDatum(score);
	if (channel == 0)
		nulls[1] = true;
	else
		values[1] = ObjectIdGetDatum(ChannelLabelOid(fcinfo, channel, TupleDescAttr(td, 1)->atttypid));
	values[2] = PointerGetDatum(construct_array(texts, n, TEXTOID, -1, false, TYPALIGN_INT));
	values[3] = Int64GetDatum(version);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}
