/*
 * model_bins.h: a scored row's columns as the binned row a binned tree model reads (see
 * gbdt_core.h), the per-row half of scoring with such a model.
 */
#ifndef CUSTOMS_RISK_MODEL_BINS_H
#define CUSTOMS_RISK_MODEL_BINS_H

#include "postgres.h"

#include "fmgr.h"

#include "model_codec.h"
#include "model_input.h"

/* How a column reaches its bins: a common type read inline, or through model_input.c. */
typedef enum BinHow
{
	BIN_TEXT,					/* categorical text or varchar */
	BIN_CATEGORY,				/* categorical, any other type */
	BIN_FLOAT8,					/* a number of type float8 */
	BIN_NUMBER					/* a number of any other type */
} BinHow;

typedef struct BinInput
{
	const ModelColumn *col;
	ModelInput *in;
	int			arg;			/* the column's place among the row's columns */
	BinHow		how;
} BinInput;

/*
 * The columns of a binned model that its trees split on, categorical ones first, bound
 * to a row's columns once per call site; and room for a row's category lookups.
 */
typedef struct BinPlan
{
	const ModelDef *m;
	int			n;
	int			ncategorical;
	BinInput   *cols;
	CategoryKey *keys;			/* per categorical column; s NULL when the value is NULL */
} BinPlan;

/* Plan m's used columns, found at attnum[c] among a row's columns and read by in[c]. */
extern void BinPlanInit(BinPlan *plan, const ModelDef *m, const int *attnum, ModelInput *in, MemoryContext mcxt);

/*
 * The binned row (2 * p bytes) of a row's columns; only the planned columns' bytes are
 * written, the others are never read.  Errors as model_input.c's for NaN or infinities.
 */
extern void BinPlanRow(const BinPlan *plan, const NullableDatum *args, uint8 *row);

#endif							/* CUSTOMS_RISK_MODEL_BINS_H */
