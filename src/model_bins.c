/*
 * model_bins.c: a scored row's columns as a binned row, for a binned tree model.
 *
 * This is the per-row work ahead of the trees, so it is planned once per call site: the
 * columns the trees split on, categorical ones first, each with how its type is read.
 * Per row, short texts (codes) and float8 values are read inline; every categorical
 * column's lookup is started (hashed, its slot fetched) before any is waited on, so the
 * cache misses of a row's big code lists overlap.
 */
#include "postgres.h"

#include <math.h>

#include "utils/memutils.h"

#include "model_bins.h"

void
BinPlanInit(BinPlan *plan, const ModelDef *m, const int *attnum, ModelInput *in, MemoryContext mcxt)
{
	int			n = 0;

	plan->m = m;
	plan->cols = MemoryContextAlloc(mcxt, sizeof(BinInput) * Max(m->nused, 1));
	plan->keys = MemoryContextAlloc(mcxt, sizeof(CategoryKey) * Max(m->nused, 1));
	/* categorical columns first: the second pass of BinPlanRow walks just those */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < m->nused; i++)
		{
			int			c = m->used[i];
			const ModelColumn *col = &m->cols[c];
			BinInput   *b;

			if (col->categorical != (pass == 0))
				continue;
			b = &plan->cols[n++];
			b->col = col;
			b->in = &in[c];
			b->arg = attnum[c];
			if (col->categorical)
				b->how = in[c].kind == MI_TEXT ? BIN_TEXT : BIN_CATEGORY;
			else
				b->how = in[c].kind == MI_FLOAT8 ? BIN_FLOAT8 : BIN_NUMBER;
			if (pass == 0)
				plan->ncategorical = n;
		}
	plan->n = n;
}

void
BinPlanRow(const BinPlan *plan, const NullableDatum *args, uint8 *row)
{
	const BinInput *cols = plan->cols;
	CategoryKey *keys = plan->keys;
	int			i;

	/* start every category's lookup */
	for (i = 0; i < plan->ncategorical; i++)
	{
		const NullableDatum *a = &args[cols[i].arg];
		const char *s;
		int			len;

		if (a->isnull)
		{
			keys[i].s = NULL;
			continue;
		}
		if (cols[i].how == BIN_TEXT && ModelInputIsInlineShort(DatumGetPointer(a->value)))
		{
			/* a short text stored inline, as codes are */
			s = VARDATA_SHORT(DatumGetPointer(a->value));
			len = VARSIZE_SHORT(DatumGetPointer(a->value)) - VARHDRSZ_SHORT;
		}
		else
			s = ModelInputCategory(cols[i].in, a->value, &len);
		ModelDefCategoryStart(cols[i].col, s, len, &keys[i]);
	}
	/* the numbers, while the lookups' slots arrive */
	for (; i < plan->n; i++)
	{
		const BinInput *b = &cols[i];
		const NullableDatum *a = &args[b->arg];
		double		v = 0;

		if (!a->isnull)
			v = b->how == BIN_FLOAT8 && likely(isfinite(DatumGetFloat8(a->value))) ? DatumGetFloat8(a->value)
				: ModelInputNumber(b->in, a->value, b->col->name);	/* NaN, infinities: its errors */
		ModelDefNumberBins(plan->m, b->col, v, a->isnull, row);
	}
	/* finish the lookups */
	for (i = 0; i < plan->ncategorical; i++)
		ModelDefCategoryBins(cols[i].col, keys[i].s == NULL ? NULL : ModelDefCategorySlot(cols[i].col, &keys[i]),
							 keys[i].s == NULL, row);
}
