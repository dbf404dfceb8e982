/*
 * batch_rank.c: the orders a batch ranks its declarations by, and a partial sort.
 *
 * The orders are select_for_day()'s ORDER BY clauses, the same comparisons PostgreSQL makes:
 * float8 as float8_cmp (NaN last ascending), declaration ids bytewise as COLLATE "C".  The id
 * breaks every tie, so each order is total and a batch's result does not depend on how the
 * rows came in.
 */
#include "postgres.h"

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

/*
 * The row numbers that keep() keeps, grouped by office in order[].  Returns start[0..noffices]:
 * office o's are order[start[o] .. start[o + 1] - 1], in row order.
 */
int32 *
GroupByOffice(const BatchRow *rows, int32 nrows, int32 *order, int32 noffices,
			  bool (*keep) (const BatchRow *, const void *), const void *arg)
{
	int32	   *start = palloc0(sizeof(int32) * (noffices + 1));
	int32	   *next = palloc(sizeof(int32) * Max(noffices, 1));

	for (int32 i = 0; i < nrows; i++)
		if (keep(&rows[i], arg))
			start[rows[i].office + 1]++;
	for (int32 o = 0; o < noffices; o++)
		start[o + 1] += start[o];
	memcpy(next, start, sizeof(int32) * noffices);
	for (int32 i = 0; i < nrows; i++)
		if (keep(&rows[i], arg))
			order[next[rows[i].office]++] = i;
	pfree(next);
	return start;
}
