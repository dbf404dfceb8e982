/*
 * batch_rank.c: the orders a batch ranks its declarations by, and a partial sort.
 *
 * The orders are select_for_day()'s ORDER BY clauses, the same comparisons PostgreSQL makes:
 * float8 as float8_cmp (NaN last ascending), declaration ids bytewise as COLLATE "C".  The id
 * breaks every tie, so each order is total and a batch's result does not depend on how the
 * rows came in.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/float.h"

#include "batch_rank.h"

static inline int
CompareIds(const BatchRow *a, const BatchRow *b)
{
	int			la = VARSIZE_ANY_EXHDR(a->declaration_id);
	int			lb = VARSIZE_ANY_EXHDR(b->declaration_id);
	int			c = memcmp(VARDATA_ANY(a->declaration_id), VARDATA_ANY(b->declaration_id), Min(la, lb));

	return c != 0 ? c : (la > lb) - (la < lb);
}

/* model_score DESC NULLS LAST */
static inline int
ModelScoreDesc(const BatchRow *a, const BatchRow *b)
{
	if (a->model_score_null || b->model_score_null)
		return (int) a->model_score_null - (int) b->model_score_null;
	return float8_cmp_internal(b->model_score, a->model_score);
}

/* ORDER BY score DESC, model_score DESC NULLS LAST, draw, declaration_id */
int
CapacityOrder(const void *pa, const void *pb, void *arg)
{
	const RankContext *cx = arg;
	const BatchRow *a = &cx->rows[*(const int32 *) pa];
	const BatchRow *b = &cx->rows[*(const int32 *) pb];
	int			c = float8_cmp_internal(b->score, a->score);

	if (c == 0)
		c = ModelScoreDesc(a, b);
	if (c == 0)
		c = float8_cmp_internal(a->draw, b->draw);
	return c != 0 ? c : CompareIds(a, b);
}

/* ORDER BY (model_score where the office tops up by it) DESC NULLS LAST, score DESC, draw, declaration_id */
int
TopUpOrder(const void *pa, const void *pb, void *arg)
{
	const RankContext *cx = arg;
	const BatchRow *a = &cx->rows[*(const int32 *) pa];
	const BatchRow *b = &cx->rows[*(const int32 *) pb];
	int			c = cx->by_model ? ModelScoreDesc(a, b) : 0;

	if (c == 0)
		c = float8_cmp_internal(b->score, a->score);
	if (c == 0)
		c = float8_cmp_internal(a->draw, b->draw);
	return c != 0 ? c : CompareIds(a, b);
}

static inline void
Swap(int32 *a, int32 i, int32 j)
{
	int32		t = a[i];

	a[i] = a[j];
	a[j] = t;
}

/*
 * Puts the k first of a[0..n-1] (by cmp, a total order) in a[0..k-1], in no particular order:
 * quickselect, linear on average.  A top-up takes a tenth of an office's greens; sorting them
 * all would cost several times more.
 */
void
SelectFirst(int32 *a, int32 n, int32 k, int (*cmp) (const void *, const void *, void *), void *arg)
{
	int32		lo = 0;
	int32		hi = n - 1;

	if (k <= 0 || k >= n)
		return;
	while (lo < hi)
	{
		int32		mid = lo + (hi - lo) / 2;
		int32		pivot;
		int32		i = lo;
		int32		j = hi;

		/* the median of three as the pivot; it also keeps both scans inside lo..hi */
		if (cmp(&a[mid], &a[lo], arg) < 0)
			Swap(a, lo, mid);
		if (cmp(&a[hi], &a[lo], arg) < 0)
			Swap(a, lo, hi);
		if (cmp(&a[hi], &a[mid], arg) < 0)
			Swap(a, mid, hi);
		pivot = a[mid];
		while (i <= j)
		{
			while (cmp(&a[i], &pivot, arg) < 0)
				i++;
			while (cmp(&a[j], &pivot, arg) > 0)
				j--;
			if (i <= j)
			{
				Swap(a, i, j);
				i++;
				j--;
			}
		}
		/* now a[lo..j] <= pivot <= a[i..hi], and what lies between equals the pivot */
		if (k - 1 <= j)
			hi = j;
		else if (k - 1 >= i)
			lo = i;
		else
			break;
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * The row numbers that keep() keeps, grouped by office in order[]: on entry start[o + 1]
 * counts office o's; on return office o's are order[start[o] .. start[o + 1] - 1], in row order.
 */
void
GroupByOffice(const BatchRow *rows, int32 nrows, int32 *order, int32 *start, int32 noffices,
			  bool (*keep) (const BatchRow *, const void *), const void *arg)
{
	int32	   *next = palloc(sizeof(int32) * Max(noffices, 1));

	for (int32 o = 0; o < noffices; o++)
		start[o + 1] += start[o];
	memcpy(next, start, sizeof(int32) * noffices);
	for (int32 i = 0; i < nrows; i++)
		if (keep(&rows[i], arg))
			order[next[rows[i].office]++] = i;
	pfree(next);
}
