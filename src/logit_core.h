/*
 * logit_core.h: L2-regularised logistic regression for binary classification, fit by
 * Newton-Raphson (IRLS) on standardised features.  Pure C99 (libm only) and free of
 * backend calls: memory comes from the caller's allocator (palloc in the backend),
 * errors come back as a code and a message.  Unit tested on its own
 * (test/unit/logit_test.c).
 *
 * The model: margin = intercept + sum over j of coef[j] * (x[j] - mean[j]) / sd[j], a
 * missing x[j] contributing 0 (imputed with the mean).  mean and sd are the weighted
 * mean and standard deviation of feature j's non-missing training values; a feature
 * with a single distinct value (or none, or a spread under LOGIT_MIN_SD) gets sd 1 and
 * coef 0.  Training minimises
 *
 *   sum over rows of w * logloss + lambda / 2 * sum over j of coef[j]^2
 *
 * over coef and the unpenalised intercept.  The log-loss is summed, not averaged, so as
 * with gbdt's lambda the penalty weighs less as the data grows.
 *
 * Stored form (logit_serialize), every integer and double written byte by byte,
 * least significant byte first, doubles as their IEEE 754 bit pattern:
 *
 *   header  "LOGT" (4 bytes), u32 version (1), u32 p, u32 iterations, u32 converged,
 *           f64 intercept                                     (28 bytes)
 *   p times: f64 mean, f64 sd, f64 coef                       (24 bytes each)
 *
 * logit_deserialize checks the length is exactly 28 + 24 p, p is 1 .. LOGIT_MAX_FEATURES,
 * iterations 1 .. LOGIT_MAX_ITER, converged 0 or 1, |intercept|, |mean| and |coef| at
 * most LOGIT_MAX_VALUE and sd in [LOGIT_MIN_SD, LOGIT_MAX_VALUE].  Training only makes
 * models within these bounds, and prediction clamps values to +-LOGIT_MAX_VALUE, so any
 * accepted bytes predict finite margins: each term is at most 1e100 * 2e100 / 1e-100.
 * Rows and features are numbered from 0 in error messages.
 */
#ifndef LOGIT_CORE_H
#define LOGIT_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "core_common.h"

#define LOGIT_FORMAT_VERSION 1
#define LOGIT_MAX_FEATURES 1000		/* the Hessian is dense: (p + 1)^2 doubles, O(p^3) to solve */
#define LOGIT_MAX_ITER 1000
#define LOGIT_MAX_VALUE 1e100		/* bound on |x|, weights, lambda and every stored value */
#define LOGIT_MIN_SD 1e-100			/* a feature spread less than this counts as constant */

/* Return codes; 0 is success. */
#define LOGIT_OK 0
#define LOGIT_EINVAL 1			/* bad data or parameters */
#define LOGIT_ENOMEM 2			/* the allocator returned NULL */
#define LOGIT_ECORRUPT 3		/* stored form does not validate */

/* Memory: see core_common.h. */
typedef CoreAllocator LogitAllocator;

/* Training data: n rows of p features, column-major. */
typedef struct LogitData
{
	size_t		n;				/* rows, at least 2 */
	int			p;				/* features, 1 .. LOGIT_MAX_FEATURES */
	const double *x;			/* feature j of row i is x[j * n + i]; NaN = missing, else |x| <= LOGIT_MAX_VALUE */
	const unsigned char *y;		/* labels, 0 or 1; both classes present */
	const double *w;			/* row weights in [0, LOGIT_MAX_VALUE]; NULL = all 1 */
} LogitData;

/*
 * Called after each Newton iteration (numbered from 0) with the penalised objective
 * divided by the total weight: the weighted mean log-loss plus lambda / 2 * |coef|^2 /
 * total weight; it never increases.  ctx is LogitParams.ctx.  It may also check for
 * interrupts and leave by longjmp (ereport) when the allocator's memory is reclaimed by
 * its owner, as palloc's is with its memory context.
 */
typedef void (*LogitIterCallback) (void *ctx, int iteration, double objective);

/* Training parameters; logit_default_params fills the defaults shown. */
typedef struct LogitParams
{
	double		lambda;			/* 1, L2 penalty on the standardised coefficients, 0 .. LOGIT_MAX_VALUE */
	int			max_iter;		/* 50, Newton iterations, 1 .. LOGIT_MAX_ITER */
	double		tol;			/* 1e-8, in [0, 1]: stop when an iteration lowers the objective by at most tol of it */
	LogitIterCallback on_iter;	/* NULL: not called */
	void	   *ctx;
} LogitParams;

/* A trained model: one allocation, released by logit_free. */
typedef struct LogitModel
{
	int			p;				/* features a row must have */
	double		intercept;		/* the margin of a row of means (or missing values) */
	double	   *mean;			/* p: weighted means of the training values */
	double	   *sd;				/* p: weighted standard deviations, 1 for a constant feature */
	double	   *coef;			/* p: coefficients of the standardised features */
	int			iterations;		/* Newton iterations used, 1 .. max_iter */
	int			converged;		/* 1: the objective settled within tol; 0: max_iter ran out first, or
								 * the Hessian vanished (weights so small that it underflows) */
} LogitModel;

/* Fill params with the defaults. */
extern void logit_default_params(LogitParams *params);

/* Train a model; returns LOGIT_OK and sets *out, or an error code with err filled (*out NULL). */
extern int	logit_train(const LogitData *data, const LogitParams *params, const LogitAllocator *a,
						LogitModel **out, char *err, size_t errlen);

/* The margin (log-odds) of one row of p values, NaN for missing. */
extern double logit_predict_margin(const LogitModel *model, const double *x);

/* The probability of class 1: 1 / (1 + exp(-margin)). */
extern double logit_predict_proba(const LogitModel *model, const double *x);

/*
 * Per-feature contributions to the margin: out[j] = coef[j] * (x[j] - mean[j]) / sd[j],
 * 0 when x[j] is missing, and out[p] the intercept.  Added up in order they give the
 * margin exactly, as logit_predict_margin adds them up the same way.
 */
extern void logit_contributions(const LogitModel *model, const double *x, double *out);

/* Write the stored form into buf (NULL: nothing written); returns its size in bytes. */
extern size_t logit_serialize(const LogitModel *model, unsigned char *buf);

/* Read and check a stored form; returns LOGIT_OK and sets *out, or LOGIT_ECORRUPT/ENOMEM with err filled. */
extern int	logit_deserialize(const unsigned char *buf, size_t len, const LogitAllocator *a,
							  LogitModel **out, char *err, size_t errlen);

/* Release a model (NULL is fine). */
extern void logit_free(LogitModel *model, const LogitAllocator *a);

#endif							/* LOGIT_CORE_H */
