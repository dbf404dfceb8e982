/*
 * gbdt_core.h: gradient-boosted decision trees for binary classification (logistic
 * loss), histogram based like XGBoost's hist method.  Pure C99 (libm only) and free of
 * backend calls: memory comes from the caller's allocator (palloc in the backend),
 * errors come back as a code and a message.  Unit tested on its own
 * (test/unit/gbdt_test.c).
 *
 * Stored form (gbdt_serialize), every integer and double written byte by byte,
 * least significant byte first, doubles as their IEEE 754 bit pattern:
 *
 *   header  "GBDT" (4 bytes), u32 version (1), u32 p, u32 n_trees, f64 base_score
 *   n_trees times:
 *     u32 node count, then per node (29 bytes):
 *       i32 feature (-1 for a leaf), u8 default_left, i32 left, i32 right,
 *       f64 threshold, f64 value
 *
 * A leaf has left = right = -1, default_left 0 and threshold 0; an internal node's
 * children lie after it in its tree and every node but the root has exactly one
 * parent.  gbdt_deserialize checks all of this, so any accepted bytes predict finite
 * values.  Rows and features are numbered from 0 in error messages.
 */
#ifndef GBDT_CORE_H
#define GBDT_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "core_common.h"

#define GBDT_FORMAT_VERSION 1
#define GBDT_MAX_TREES 10000
#define GBDT_MAX_DEPTH 16
#define GBDT_MAX_BINS 255
#define GBDT_MAX_FEATURES 100000
#define GBDT_MAX_ROWS 4294967294u	/* row indexes are 32 bits */
#define GBDT_MAX_TREE_NODES 131071	/* a full tree of depth 16 */
#define GBDT_MAX_WEIGHT 1e100		/* keeps sums of squared gradients finite */
#define GBDT_MAX_VALUE 1e100		/* node values and base score; training stays far below */
#define GBDT_MAX_FLAT_SLOTS (1 << 21)	/* leaves over all trees: 56 MB compiled and binned at most */
#define GBDT_MAX_FLAT_DEPTH 10		/* deeper models keep the node walk: 2^D slots a tree grow fast */
#define GBDT_FLAT_GROUP 8			/* trees walked at once, their compiled slots interleaved */
#define GBDT_MAX_BIN_CUTS 254		/* distinct thresholds of a feature the binned form takes */
#define GBDT_MAX_BIN_FEATURES 32768	/* a binned row's 2p columns are 16-bit */

/* Return codes; 0 is success. */
#define GBDT_OK 0
#define GBDT_EINVAL 1			/* bad data or parameters */
#define GBDT_ENOMEM 2			/* the allocator returned NULL */
#define GBDT_ECORRUPT 3			/* stored form does not validate */

/* Memory: see core_common.h. */
typedef CoreAllocator GbdtAllocator;

/* Training data: n rows of p features, column-major. */
typedef struct GbdtData
{
	size_t		n;				/* rows, 2 .. GBDT_MAX_ROWS */
	int			p;				/* features, 1 .. GBDT_MAX_FEATURES */
	const double *x;			/* feature j of row i is x[j * n + i]; NaN = missing, no infinities */
	const unsigned char *y;		/* labels, 0 or 1; both classes present */
	const double *w;			/* row weights in [0, GBDT_MAX_WEIGHT]; NULL = all 1 */
} GbdtData;

/*
 * Called after each tree with the weighted mean training log-loss; ctx is GbdtParams.ctx.
 * It may also check for interrupts and leave by longjmp (ereport) when the allocator's
 * memory is reclaimed by its owner, as palloc's is with its memory context.
 */
typedef void (*GbdtTreeCallback) (void *ctx, int tree, double logloss);

/* Training parameters; gbdt_default_params fills the defaults shown. */
typedef struct GbdtParams
{
	int			n_trees;		/* 100, 1 .. GBDT_MAX_TREES */
	int			max_depth;		/* 6, 1 .. GBDT_MAX_DEPTH */
	int			max_bins;		/* 255, 2 .. GBDT_MAX_BINS, not counting the missing bin */
	double		eta;			/* 0.1, learning rate in (0, 1] */
	double		lambda;			/* 1, L2 penalty on leaf values, >= 0 */
	double		gamma;			/* 0, least gain of a split, >= 0 */
	double		min_child_weight;	/* 1, least hessian sum of a child, >= 0 */
	double		subsample;		/* 1, fraction of rows drawn per tree, (0, 1] */
	double		colsample;		/* 1, fraction of features drawn per tree, (0, 1] */
	uint64_t	seed;			/* 0; same seed, data and libm: bit-identical model */
	GbdtTreeCallback on_tree;	/* NULL: the log-loss is not computed */
	void	   *ctx;
} GbdtParams;

/* One tree node; every node keeps the value it would have as a leaf. */
typedef struct GbdtNode
{
	double		threshold;		/* internal: go left when x[feature] < threshold */
	double		value;			/* -G / (H + lambda) * eta over the node's rows */
	int32_t		feature;		/* -1 for a leaf */
	int32_t		left;			/* child indexes within the tree; -1 for a leaf */
	int32_t		right;
	uint8_t		default_left;	/* internal: a missing value goes left */
} GbdtNode;

/*
 * One internal node of a model's compiled form (16 bytes), which prediction walks in
 * exactly D steps a tree, D the depth of the model's deepest tree.  Each tree becomes a
 * perfect binary tree of 2^D - 1 such nodes, breadth first (slot k's children are 2k + 1
 * and 2k + 2), over 2^D leaf values: 24 kB a tree at depth 10.  A leaf above depth D is
 * copied into every leaf slot below it, and the padding nodes above those copies test
 * column 0 at 0.  The trees go in groups of GBDT_FLAT_GROUP (8), interleaved slot by
 * slot: slot k of tree t = 8g + i is splits[(g * (2^D - 1) + k) * 8 + i] and its leaf
 * slot j is leaves[(g * 2^D + j) * 8 + i].  The last group is filled up with zeros.
 */
typedef struct GbdtSplit
{
	double		threshold;		/* go left when x[feature] < threshold */
	int32_t		column;			/* 2 * feature, plus 1 when a missing value goes right */
} GbdtSplit;

/*
 * The binned form of a compiled model, when no feature is split at more than
 * GBDT_MAX_BIN_CUTS distinct thresholds (training makes at most max_bins - 1) and p is at
 * most GBDT_MAX_BIN_FEATURES.  A value's bin is how many of its feature's thresholds are
 * at or below it, so "x < the k-th threshold (0-based, ascending)" is "bin < k + 1": a
 * byte compare.  A binned row holds feature j twice, at 2j and 2j + 1, and a missing value
 * as 0 at 2j (below every bound: it goes left) and 255 at 2j + 1 (above every bound: it
 * goes right), so a split reads the copy its default direction needs.  Each tree has 2^D
 * slots in two arrays, tree after tree: slot k of tree t is bin_columns[t * 2^D + k], the
 * row byte it reads (column as in GbdtSplit), and bin_bounds[t * 2^D + k], its bound
 * k + 1; bound 0 (padding, and the spare slot 2^D - 1) sends everything right.  A tree's
 * slots take 3 * 2^D bytes (192 at depth 6), so a hundred trees stay in the L1 cache.
 */
#define GBDT_BIN_MISSING_LEFT 0
#define GBDT_BIN_MISSING_RIGHT 255

/* A trained model: one allocation, released by gbdt_free. */
typedef struct GbdtModel
{
	int			p;				/* features a row must have */
	int			n_trees;
	double		base_score;		/* log-odds of the weighted mean label */
	uint32_t   *tree_start;		/* n_trees + 1: tree t is nodes[tree_start[t] .. tree_start[t + 1]) */
	GbdtNode   *nodes;
	/* compiled from the nodes whenever a model is made, never stored */
	int			flat_depth;		/* D; GBDT_MAX_FLAT_DEPTH + 1 stands for any deeper */
	GbdtSplit  *splits;			/* (2^D - 1) * n_trees rounded up to whole groups */
	double	   *leaves;			/* 2^D * as many; NULL (splits too) past GBDT_MAX_FLAT_DEPTH: prediction walks the nodes */
	uint32_t   *cut_start;		/* p + 1: feature j's thresholds are cuts[cut_start[j] .. cut_start[j + 1]) */
	double	   *cuts;			/* ascending, distinct */
	uint16_t   *bin_columns;	/* the binned form; NULL (cuts too) when the model has none */
	uint8_t    *bin_bounds;
} GbdtModel;

/* Fill params with the defaults. */
extern void gbdt_default_params(GbdtParams *params);

/* Train a model; returns GBDT_OK and sets *out, or an error code with err filled (*out NULL). */
extern int	gbdt_train(const GbdtData *data, const GbdtParams *params, const GbdtAllocator *a,
					   GbdtModel **out, char *err, size_t errlen);

/* The margin (log-odds) of one row of p values, NaN for missing. */
extern double gbdt_predict_margin(const GbdtModel *model, const double *x);

/* The bin of a value (not NaN) of feature j; the model must have a binned form. */
extern uint8_t gbdt_bin(const GbdtModel *model, int j, double v);

/* Set feature j of a binned row (2 * p bytes): to a bin, or missing. */
static inline void
gbdt_bin_set(uint8_t *row, int j, uint8_t bin)
{
	row[2 * j] = bin;
	row[2 * j + 1] = bin;
}

static inline void
gbdt_bin_set_missing(uint8_t *row, int j)
{
	row[2 * j] = GBDT_BIN_MISSING_LEFT;
	row[2 * j + 1] = GBDT_BIN_MISSING_RIGHT;
}

/* The margin of a binned row: bit for bit gbdt_predict_margin of the row it bins. */
extern double gbdt_predict_margin_binned(const GbdtModel *model, const uint8_t *row);

/* The probability of class 1: 1 / (1 + exp(-margin)). */
extern double gbdt_predict_proba(const GbdtModel *model, const double *x);

/*
 * Per-feature contributions to the margin by the path method (Saabas): out[j] for
 * feature j, out[p] the bias (base score plus the root values).  They sum to the margin.
 */
extern void gbdt_contributions(const GbdtModel *model, const double *x, double *out);

/* Write the stored form into buf (NULL: nothing written); returns its size in bytes. */
extern size_t gbdt_serialize(const GbdtModel *model, unsigned char *buf);

/* Read and check a stored form; returns GBDT_OK and sets *out, or GBDT_ECORRUPT/ENOMEM with err filled. */
extern int	gbdt_deserialize(const unsigned char *buf, size_t len, const GbdtAllocator *a,
							 GbdtModel **out, char *err, size_t errlen);

/* Release a model (NULL is fine). */
extern void gbdt_free(GbdtModel *model, const GbdtAllocator *a);

#endif							/* GBDT_CORE_H */
