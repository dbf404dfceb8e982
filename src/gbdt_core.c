/*
 * gbdt_core.c: training, prediction, contributions and the stored form of gradient-
 * boosted trees (see gbdt_core.h).  Training bins every feature once (quantile cut
 * points, a byte per value), then grows each tree from per-node histograms of gradient
 * sums: only the smaller child's histogram is built, its sibling's is the parent's
 * minus it.  Growth recurses depth first, which gives the same trees as growing level
 * by level (every node's split depends on its own rows only) while keeping at most one
 * pending histogram per level.  Every model also gets its trees compiled into perfect
 * trees of one depth (GbdtSplit), which prediction walks without a data-dependent exit.
 */
#include "gbdt_core.h"
#include "le_bytes.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HESS_FLOOR 1e-16
#define POOL_SIZE (GBDT_MAX_DEPTH + 2)
#define HEADER_BYTES 24
#define NODE_BYTES 29
#define FLAT_ROW_MAX 256	/* widest row prediction prepares: 4 kB of stack */

/* One histogram bin: sums of gradient and hessian, and the row count (exact in a double). */
typedef struct Bin
{
	double		g,
				h,
				c;
} Bin;

/* The best split of a node found so far, with the totals of its left side. */
typedef struct Split
{
	double		gain,
				gl,
				hl;
	int			feature,
				bin,
				default_left;
} Split;

/* Training state; every pointer starts NULL so one cleanup frees whatever was allocated. */
typedef struct Trainer
{
	const GbdtData *d;
	const GbdtParams *pr;
	const GbdtAllocator *a;
	size_t		n;
	int			p;
	uint8_t    *bins;			/* n * p bin indexes, column-major like the data */
	double	   *cuts;			/* max_bins - 1 cut points per feature */
	int		   *ncuts;
	double	   *margin;
	double	   *gh;				/* gradient and hessian of row i at 2i and 2i + 1 */
	uint32_t   *rows;			/* the drawn rows, partitioned so every node owns a run */
	double	   *rgh;			/* gh of rows[i] at 2i and 2i + 1: moved along, read in order */
	uint32_t   *tmp;			/* right-hand rows while partitioning, and their rgh */
	double	   *tmpgh;
	uint8_t    *drawn;			/* NULL without row subsampling */
	int		   *feat;			/* the features this tree may split on */
	int			nfeat;
	size_t	   *hoff;			/* where a splittable feature's bins start in a histogram */
	size_t		histlen;		/* bins in a histogram: ncuts + 2 per splittable feature */
	Bin		   *pool[POOL_SIZE];
	uint8_t		busy[POOL_SIZE];
	GbdtNode   *nodes;			/* all trees, one after another */
	uint8_t    *split_bin;		/* per node: bins <= split_bin go left */
	size_t		nnodes,
				capnodes,
				tree0;			/* first node of the tree being grown */
	uint32_t   *tree_start;
	uint64_t	rng;
	double		base,
				wsum;
} Trainer;


/* splitmix64: a tiny PRNG whose stream depends on the seed alone, so training is reproducible. */
static uint64_t
NextRandom(uint64_t *s)
{
	uint64_t	z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* A uniform double in [0, 1) from the top 53 bits. */
static double
Uniform(uint64_t *s)
{
	return (double) (NextRandom(s) >> 11) * 0x1.0p-53;
}

/* ------------------------------------------------------------------------
 * Checking inputs and binning
 * ------------------------------------------------------------------------ */

/* Check every parameter's range; NaN fails each test because comparisons with it are false. */
static int
CheckParams(const GbdtParams *pr, char *err, size_t errlen)
{
	if (pr->n_trees < 1 || pr->n_trees > GBDT_MAX_TREES)
		return CoreFail(err, errlen, GBDT_EINVAL, "n_trees must be between 1 and %d, got %d", GBDT_MAX_TREES, pr->n_trees);
	if (pr->max_depth < 1 || pr->max_depth > GBDT_MAX_DEPTH)
		return CoreFail(err, errlen, GBDT_EINVAL, "max_depth must be between 1 and %d, got %d", GBDT_MAX_DEPTH, pr->max_depth);
	if (pr->max_bins < 2 || pr->max_bins > GBDT_MAX_BINS)
		return CoreFail(err, errlen, GBDT_EINVAL, "max_bins must be between 2 and %d, got %d", GBDT_MAX_BINS, pr->max_bins);
	if (!(pr->eta > 0 && pr->eta <= 1))
		return CoreFail(err, errlen, GBDT_EINVAL, "eta must be in (0, 1], got %g", pr->eta);
	if (!(pr->lambda >= 0 && pr->lambda <= GBDT_MAX_WEIGHT))
		return CoreFail(err, errlen, GBDT_EINVAL, "lambda must be finite and >= 0, got %g", pr->lambda);
	if (!(pr->gamma >= 0 && pr->gamma <= GBDT_MAX_WEIGHT))
		return CoreFail(err, errlen, GBDT_EINVAL, "gamma must be finite and >= 0, got %g", pr->gamma);
	if (!(pr->min_child_weight >= 0 && pr->min_child_weight <= GBDT_MAX_WEIGHT))
		return CoreFail(err, errlen, GBDT_EINVAL, "min_child_weight must be finite and >= 0, got %g", pr->min_child_weight);
	if (!(pr->subsample > 0 && pr->subsample <= 1))
		return CoreFail(err, errlen, GBDT_EINVAL, "subsample must be in (0, 1], got %g", pr->subsample);
	if (!(pr->colsample > 0 && pr->colsample <= 1))
		return CoreFail(err, errlen, GBDT_EINVAL, "colsample must be in (0, 1], got %g", pr->colsample);
	return GBDT_OK;
}

/* Check shape, labels, weights and features; sets the base score and the weight total. */
static int
CheckData(const GbdtData *d, double *base, double *wsum, char *err, size_t errlen)
{
	double		w1 = 0,
				w0 = 0;

	if (d->x == NULL || d->y == NULL)
		return CoreFail(err, errlen, GBDT_EINVAL, "no feature values or no labels");
	if (d->n < 2 || d->n > GBDT_MAX_ROWS)
		return CoreFail(err, errlen, GBDT_EINVAL, "need between 2 and %u rows, got %zu", GBDT_MAX_ROWS, d->n);
	if (d->p < 1 || d->p > GBDT_MAX_FEATURES)
		return CoreFail(err, errlen, GBDT_EINVAL, "need between 1 and %d features, got %d", GBDT_MAX_FEATURES, d->p);
	if (d->n > SIZE_MAX / 16 / (size_t) d->p)
		return CoreFail(err, errlen, GBDT_EINVAL, "%zu rows of %d features do not fit in memory", d->n, d->p);
	for (size_t i = 0; i < d->n; i++)
	{
		double		w = d->w != NULL ? d->w[i] : 1.0;

		if (d->y[i] > 1)
			return CoreFail(err, errlen, GBDT_EINVAL, "label of row %zu is %d, must be 0 or 1", i, d->y[i]);
		if (!(w >= 0 && w <= GBDT_MAX_WEIGHT))
			return CoreFail(err, errlen, GBDT_EINVAL, "weight of row %zu is %g, must be in [0, %g]", i, w, GBDT_MAX_WEIGHT);
		if (d->y[i])
			w1 += w;
		else
			w0 += w;
	}
	if (!(w1 > 0 && w0 > 0))
		return CoreFail(err, errlen, GBDT_EINVAL, "both classes must be present with positive weight (weight of 0s %g, of 1s %g)", w0, w1);
	for (int j = 0; j < d->p; j++)
		for (size_t i = 0; i < d->n; i++)
			if (isinf(d->x[(size_t) j * d->n + i]))
				return CoreFail(err, errlen, GBDT_EINVAL, "feature %d of row %zu is infinite", j, i);
	*base = log(w1 / w0);
	*wsum = w1 + w0;
	return GBDT_OK;
}

/* Order doubles for qsort (no NaN reaches it). */
static int
CompareDouble(const void *x, const void *y)
{
	double		a = *(const double *) x,
				b = *(const double *) y;

	return (a > b) - (a < b);
}

/* A double's bits mapped so unsigned order is numeric order: sign flipped, negatives inverted. */
static uint64_t
OrderKey(double v)
{
	uint64_t	u;

	memcpy(&u, &v, sizeof(u));
	return u >> 63 ? ~u : u | (1ULL << 63);
}

/* The double of an OrderKey. */
static double
KeyValue(uint64_t k)
{
	double		v;

	k = k >> 63 ? k & ~(1ULL << 63) : ~k;
	memcpy(&v, &k, sizeof(v));
	return v;
}

/*
 * The non-missing values of x[0 .. n) in ascending order into out; returns how many.
 * Many values go through an LSD radix sort of their OrderKeys in k1 and k2 (n words
 * each): a few linear passes where a comparison sort of a million values takes many.
 */
static size_t
SortValues(const double *x, size_t n, double *out, uint64_t *k1, uint64_t *k2)
{
	uint64_t   *src = k1,
			   *dst = k2;
	size_t		count[256],
				m = 0;

	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i]))
			out[m++] = x[i];
	if (m < 4096)
	{
		qsort(out, m, sizeof(double), CompareDouble);
		return m;
	}
	for (size_t i = 0; i < m; i++)
		k1[i] = OrderKey(out[i]);
	for (int shift = 0; shift < 64; shift += 8)
	{
		size_t		sum = 0;
		uint64_t   *swap;

		memset(count, 0, sizeof(count));
		for (size_t i = 0; i < m; i++)
			count[(src[i] >> shift) & 255]++;
		if (count[(src[0] >> shift) & 255] == m)
			continue;			/* every key has this digit: the pass would move nothing */
		for (int d = 0; d < 256; d++)
		{
			size_t		c = count[d];

			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < m; i++)
			dst[count[(src[i] >> shift) & 255]++] = src[i];
		swap = src;
		src = dst;
		dst = swap;
	}
	for (size_t i = 0; i < m; i++)
		out[i] = KeyValue(src[i]);
	return m;
}

/* A cut strictly above u and at most v, so u's bin and v's bin are told apart exactly. */
static double
Midpoint(double u, double v)
{
	double		m = u * 0.5 + v * 0.5;	/* halves first: u + v could overflow */

	return m > u && m <= v ? m : v;
}

/* Cut points from the sorted values s[0 .. m): between all distinct values if few, else at quantiles. */
static int
MakeCuts(const double *s, size_t m, int max_bins, double *cuts)
{
	size_t		distinct = m > 0;
	int			nc = 0;

	for (size_t i = 1; i < m; i++)
		distinct += s[i] > s[i - 1];
	if (distinct <= (size_t) max_bins)
	{
		for (size_t i = 1; i < m; i++)
			if (s[i] > s[i - 1])
				cuts[nc++] = Midpoint(s[i - 1], s[i]);
		return nc;
	}
	for (int k = 1; k < max_bins; k++)
	{
		size_t		idx = (size_t) ((double) k * (double) m / max_bins),
					lo = 0,
					hi = idx;
		double		cut;

		/* cut just below the run of values equal to s[idx], so a heavy value keeps one bin */
		while (lo < hi)
		{
			size_t		mid = lo + (hi - lo) / 2;

			if (s[mid] < s[idx])
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == 0)
			continue;
		cut = Midpoint(s[lo - 1], s[lo]);
		if (nc == 0 || cut > cuts[nc - 1])
			cuts[nc++] = cut;
	}
	return nc;
}

/*
 * The bin of a value: how many of the nc cuts are <= v, or nc + 1 for missing, so a
 * feature's histogram needs only nc + 2 bins; top is the largest power of 2 <= nc.
 */
static uint8_t
BinOf(const double *cuts, int nc, int top, double v)
{
	int			lo = 0;

	if (isnan(v))
		return (uint8_t) (nc + 1);
	/* a fixed sequence of halving steps the compiler can make branch free */
	for (int step = top; step > 0; step >>= 1)
		lo += (lo + step <= nc && cuts[lo + step - 1] <= v) ? step : 0;
	return (uint8_t) lo;
}

/* Allocate what every round needs, and bin each feature from a sorted copy of its values. */
static int
Setup(Trainer *t)
{
	const GbdtAllocator *a = t->a;
	size_t		n = t->n,
				ncut = (size_t) t->pr->max_bins - 1;
	double	   *sorted;
	uint64_t   *k1,
			   *k2;

	t->bins = a->alloc(n * (size_t) t->p);
	t->cuts = a->alloc(sizeof(double) * ncut * (size_t) t->p);
	t->ncuts = a->alloc(sizeof(int) * (size_t) t->p);
	t->feat = a->alloc(sizeof(int) * (size_t) t->p);
	t->hoff = a->alloc(sizeof(size_t) * (size_t) t->p);
	t->margin = a->alloc(sizeof(double) * n);
	t->gh = a->alloc(sizeof(double) * 2 * n);
	t->rgh = a->alloc(sizeof(double) * 2 * n);
	t->tmpgh = a->alloc(sizeof(double) * 2 * n);
	t->rows = a->alloc(sizeof(uint32_t) * n);
	t->tmp = a->alloc(sizeof(uint32_t) * n);
	t->tree_start = a->alloc(sizeof(uint32_t) * ((size_t) t->pr->n_trees + 1));
	if (t->pr->subsample < 1)
		t->drawn = a->alloc(n);
	if (!t->bins || !t->cuts || !t->ncuts || !t->feat || !t->hoff || !t->margin || !t->gh || !t->rgh || !t->tmpgh ||
		!t->rows || !t->tmp || !t->tree_start || (t->pr->subsample < 1 && !t->drawn))
		return GBDT_ENOMEM;
	sorted = a->alloc(sizeof(double) * n);
	k1 = sorted != NULL ? a->alloc(sizeof(uint64_t) * n) : NULL;
	k2 = k1 != NULL ? a->alloc(sizeof(uint64_t) * n) : NULL;
	if (k2 == NULL)
	{
		if (k1 != NULL)
			a->free(k1);
		if (sorted != NULL)
			a->free(sorted);
		return GBDT_ENOMEM;
	}
	for (int j = 0; j < t->p; j++)
	{
		const double *x = t->d->x + (size_t) j * n;
		double	   *cuts = t->cuts + (size_t) j * ncut;
		uint8_t    *col = t->bins + (size_t) j * n;
		size_t		m = SortValues(x, n, sorted, k1, k2);
		int			top = 1;

		t->ncuts[j] = MakeCuts(sorted, m, t->pr->max_bins, cuts);
		while (top * 2 <= t->ncuts[j])
			top *= 2;
		for (size_t i = 0; i < n; i++)
			col[i] = BinOf(cuts, t->ncuts[j], top, x[i]);
		t->hoff[j] = t->histlen;
		if (t->ncuts[j] > 0)
			t->histlen += (size_t) t->ncuts[j] + 2;
	}
	a->free(sorted);
	a->free(k1);
	a->free(k2);
	for (size_t i = 0; i < n; i++)
		t->margin[i] = t->base;
	return GBDT_OK;
}

/* ------------------------------------------------------------------------
 * Growing one tree
 * ------------------------------------------------------------------------ */

/* G^2 / (H + lambda), the loss reduction a leaf over these rows achieves (0 for no weight). */
static double
Score(const Trainer *t, double g, double h)
{
	double		den = h + t->pr->lambda;

	return den > 0 ? g * g / den : 0;
}

/* The leaf value of a node: the Newton step -G / (H + lambda), shrunk by eta. */
static double
NodeValue(const Trainer *t, double g, double h)
{
	double		den = h + t->pr->lambda;

	return den > 0 ? -g / den * t->pr->eta : 0;
}

/* A free histogram buffer's index, allocated on first use; -1 when out of memory. */
static int
Acquire(Trainer *t)
{
	for (int i = 0; i < POOL_SIZE; i++)
		if (!t->busy[i])
		{
			if (t->pool[i] == NULL)
				t->pool[i] = t->a->alloc(sizeof(Bin) * t->histlen);
			if (t->pool[i] == NULL)
				return -1;
			t->busy[i] = 1;
			return i;
		}
	return -1;					/* cannot happen: at most one pending buffer per level */
}

/* Give a histogram buffer back (-1 is no buffer). */
static void
Release(Trainer *t, int b)
{
	if (b >= 0)
		t->busy[b] = 0;
}

/* Room for k more nodes; the arrays may move, so callers hold indexes, never pointers. */
static int
AddNodes(Trainer *t, size_t k)
{
	if (t->nnodes + k > t->capnodes)
	{
		size_t		cap = t->capnodes < 64 ? 64 : t->capnodes * 2;
		GbdtNode   *nodes;
		uint8_t    *sb;

		/* the first time through alloc: repalloc, unlike realloc, takes no NULL */
		nodes = t->nodes == NULL ? t->a->alloc(sizeof(GbdtNode) * cap) : t->a->realloc(t->nodes, sizeof(GbdtNode) * cap);
		if (nodes == NULL)
			return GBDT_ENOMEM;
		t->nodes = nodes;
		sb = t->split_bin == NULL ? t->a->alloc(cap) : t->a->realloc(t->split_bin, cap);
		if (sb == NULL)
			return GBDT_ENOMEM;
		t->split_bin = sb;
		t->capnodes = cap;
	}
	memset(t->nodes + t->nnodes, 0, sizeof(GbdtNode) * k);
	for (size_t i = t->nnodes; i < t->nnodes + k; i++)
		t->nodes[i].feature = t->nodes[i].left = t->nodes[i].right = -1;
	t->nnodes += k;
	return GBDT_OK;
}

/* Add one row's gradient pair to a bin. */
static inline void
AddRow(Bin *b, double g, double h)
{
	b->g += g;
	b->h += h;
	b->c += 1;
}

/* Sum gradients per bin of each feature this tree may split on, over rows[lo, hi). */
static void
BuildHist(Trainer *t, Bin *hist, size_t lo, size_t hi)
{
	const uint32_t *rows = t->rows + lo;
	const double *ogh = t->rgh + 2 * lo;
	size_t		m = hi - lo;
	int			f = 0;

	for (int k = 0; k < t->nfeat; k++)
		memset(hist + t->hoff[t->feat[k]], 0, sizeof(Bin) * ((size_t) t->ncuts[t->feat[k]] + 2));
	/* four features per pass: four independent chains of additions hide each other's latency */
	for (; f + 4 <= t->nfeat; f += 4)
	{
		Bin		   *h0 = hist + t->hoff[t->feat[f]],
				   *h1 = hist + t->hoff[t->feat[f + 1]],
				   *h2 = hist + t->hoff[t->feat[f + 2]],
				   *h3 = hist + t->hoff[t->feat[f + 3]];
		const uint8_t *c0 = t->bins + (size_t) t->feat[f] * t->n,
				   *c1 = t->bins + (size_t) t->feat[f + 1] * t->n,
				   *c2 = t->bins + (size_t) t->feat[f + 2] * t->n,
				   *c3 = t->bins + (size_t) t->feat[f + 3] * t->n;

		for (size_t i = 0; i < m; i++)
		{
			uint32_t	r = rows[i];
			double		g = ogh[2 * i],
						h = ogh[2 * i + 1];

			AddRow(h0 + c0[r], g, h);
			AddRow(h1 + c1[r], g, h);
			AddRow(h2 + c2[r], g, h);
			AddRow(h3 + c3[r], g, h);
		}
	}
	for (; f < t->nfeat; f++)
	{
		Bin		   *h0 = hist + t->hoff[t->feat[f]];
		const uint8_t *c0 = t->bins + (size_t) t->feat[f] * t->n;

		for (size_t i = 0; i < m; i++)
			AddRow(h0 + c0[rows[i]], ogh[2 * i], ogh[2 * i + 1]);
	}
}

/* parent -= child over every bin of the tree's features: the sibling's histogram without reading its rows. */
static void
Subtract(Trainer *t, Bin *parent, const Bin *child)
{
	for (int f = 0; f < t->nfeat; f++)
	{
		Bin		   *p = parent + t->hoff[t->feat[f]];
		const Bin  *c = child + t->hoff[t->feat[f]];

		for (int b = 0; b < t->ncuts[t->feat[f]] + 2; b++)
		{
			p[b].g -= c[b].g;
			p[b].h -= c[b].h;
			p[b].c -= c[b].c;
			if (p[b].c == 0)	/* rounding residue in an emptied bin would fake a gain */
				p[b].g = p[b].h = 0;
		}
	}
}

/* Keep a candidate split if both children are non-empty and heavy enough and it beats s. */
static void
TrySplit(const Trainer *t, Split *s, const double *tot, double gl, double hl, double cl,
		 int feature, int bin, int dl)
{
	double		gain,
				mcw = t->pr->min_child_weight;

	if (cl <= 0 || cl >= tot[2] || hl < mcw || tot[1] - hl < mcw)
		return;
	gain = Score(t, gl, hl) + Score(t, tot[0] - gl, tot[1] - hl) - tot[3] - t->pr->gamma;
	if (gain > s->gain)
	{
		s->gain = gain;
		s->gl = gl;
		s->hl = hl;
		s->feature = feature;
		s->bin = bin;
		/* no missing value here: send future ones to the heavier side */
		s->default_left = dl >= 0 ? dl : hl >= tot[1] - hl;
	}
}

/* The best split of a node with totals g, h over c rows; 0 if none has positive gain. */
static int
BestSplit(const Trainer *t, const Bin *hist, double g, double h, double c, Split *s)
{
	double		tot[4] = {g, h, c, Score(t, g, h)};

	s->gain = 0;
	s->feature = -1;
	for (int f = 0; f < t->nfeat; f++)
	{
		int			j = t->feat[f];
		const Bin  *hb = hist + t->hoff[j];
		const Bin  *miss = hb + t->ncuts[j] + 1;
		double		gl = 0,
					hl = 0,
					cl = 0;

		for (int k = 0; k < t->ncuts[j]; k++)
		{
			gl += hb[k].g;
			hl += hb[k].h;
			cl += hb[k].c;
			if (miss->c == 0)
				TrySplit(t, s, tot, gl, hl, cl, j, k, -1);
			else
			{
				/* missing right first; left must gain strictly more to win */
				TrySplit(t, s, tot, gl, hl, cl, j, k, 0);
				TrySplit(t, s, tot, gl + miss->g, hl + miss->h, cl + miss->c, j, k, 1);
			}
		}
	}
	return s->feature >= 0;
}

/* Reorder rows[lo, hi) stably into the split's left rows then its right rows; returns the boundary. */
static size_t
Partition(Trainer *t, size_t lo, size_t hi, const Split *s)
{
	const uint8_t *col = t->bins + (size_t) s->feature * t->n;
	int			missing = t->ncuts[s->feature] + 1;
	double	   *rgh = t->rgh;
	size_t		w = lo,
				r = 0;

	for (size_t i = lo; i < hi; i++)
	{
		uint32_t	row = t->rows[i];
		uint8_t		b = col[row];
		double		g = rgh[2 * i],
					h = rgh[2 * i + 1];

		if (b == missing ? s->default_left : b <= s->bin)
		{
			t->rows[w] = row;
			rgh[2 * w] = g;
			rgh[2 * w++ + 1] = h;
		}
		else
		{
			t->tmp[r] = row;
			t->tmpgh[2 * r] = g;
			t->tmpgh[2 * r++ + 1] = h;
		}
	}
	memcpy(t->rows + w, t->tmp, sizeof(uint32_t) * r);
	memcpy(rgh + 2 * w, t->tmpgh, sizeof(double) * 2 * r);
	return w;
}

/* Whether a child could split at all, so its histogram is worth having. */
static int
MaySplit(const Trainer *t, int depth, size_t count, double h)
{
	/* a hair of slack: h is a rounded sum, the exact test is in TrySplit */
	return depth < t->pr->max_depth && count >= 2 && t->nfeat > 0 &&
		h * (1 + 1e-9) >= 2 * t->pr->min_child_weight;
}

/* Grow node id over rows[lo, hi) with totals g, h; hb holds its histogram, or is -1 if it stays a leaf. */
static int
Grow(Trainer *t, size_t id, size_t lo, size_t hi, double g, double h, int depth, int hb)
{
	Split		s;
	size_t		mid,
				kid;
	int			sb = -1,
				small_left = 1,
				need_l,
				need_r,
				rc;

	t->nodes[id].value = NodeValue(t, g, h);
	if (hb < 0 || !BestSplit(t, t->pool[hb], g, h, (double) (hi - lo), &s))
	{
		Release(t, hb);
		for (size_t i = lo; i < hi; i++)
			t->margin[t->rows[i]] += t->nodes[id].value;
		return GBDT_OK;
	}
	mid = Partition(t, lo, hi, &s);
	if ((rc = AddNodes(t, 2)) != GBDT_OK)
		return rc;
	kid = t->nnodes - 2;
	t->nodes[id].feature = s.feature;
	t->nodes[id].threshold = t->cuts[(size_t) s.feature * ((size_t) t->pr->max_bins - 1) + s.bin];
	t->nodes[id].default_left = (uint8_t) s.default_left;
	t->nodes[id].left = (int32_t) (kid - t->tree0);
	t->nodes[id].right = (int32_t) (kid + 1 - t->tree0);
	t->split_bin[id] = (uint8_t) s.bin;

	need_l = MaySplit(t, depth + 1, mid - lo, s.hl);
	need_r = MaySplit(t, depth + 1, hi - mid, h - s.hl);
	if (need_l || need_r)
	{
		/* build the smaller child; the larger is the parent minus it, in the parent's buffer */
		small_left = mid - lo <= hi - mid;
		if ((sb = Acquire(t)) < 0)
			return GBDT_ENOMEM;
		BuildHist(t, t->pool[sb], small_left ? lo : mid, small_left ? mid : hi);
		if (small_left ? need_r : need_l)
			Subtract(t, t->pool[hb], t->pool[sb]);
		else
		{
			Release(t, hb);
			hb = -1;
		}
		if (!(small_left ? need_l : need_r))
		{
			Release(t, sb);
			sb = -1;
		}
	}
	else
	{
		Release(t, hb);
		hb = -1;
	}
	if ((rc = Grow(t, kid, lo, mid, s.gl, s.hl, depth + 1, small_left ? sb : hb)) != GBDT_OK)
		return rc;
	return Grow(t, kid + 1, mid, hi, g - s.gl, h - s.hl, depth + 1, small_left ? hb : sb);
}

/* ------------------------------------------------------------------------
 * Boosting rounds
 * ------------------------------------------------------------------------ */

/* Gradients and hessians of the log-loss at the current margins; returns the mean loss if asked. */
static double
Gradients(Trainer *t, int want_loss)
{
	double		loss = 0;

	for (size_t i = 0; i < t->n; i++)
	{
		double		f = t->margin[i],
					e = exp(-fabs(f)),
					q = 1 / (1 + e),
					p1 = f >= 0 ? q : e * q,	/* p and 1 - p without cancellation */
					p0 = f >= 0 ? e * q : q,
					w = t->d->w != NULL ? t->d->w[i] : 1.0,
					h = p1 * p0;
		int			y = t->d->y[i];

		t->gh[2 * i] = (y ? -p0 : p1) * w;
		t->gh[2 * i + 1] = (h < HESS_FLOOR ? HESS_FLOOR : h) * w;
		if (want_loss)			/* log(1 + exp(-f)) for a 1, log(1 + exp(f)) for a 0 */
			loss += w * (log1p(e) + (y ? (f < 0 ? -f : 0) : (f > 0 ? f : 0)));
	}
	return loss / t->wsum;
}

/* Draw this tree's features (exactly round(colsample * p), in order: selection sampling) and rows. */
static size_t
Draw(Trainer *t)
{
	int			k = t->p;
	size_t		m = 0;

	if (t->pr->colsample < 1)
	{
		k = (int) floor(t->pr->colsample * t->p + 0.5);
		if (k < 1)
			k = 1;
	}
	t->nfeat = 0;
	for (int j = 0, chosen = 0; j < t->p && chosen < k; j++)
		if (k == t->p || Uniform(&t->rng) * (t->p - j) < k - chosen)
		{
			chosen++;
			if (t->ncuts[j] > 0)
				t->feat[t->nfeat++] = j;
		}
	for (size_t i = 0; i < t->n; i++)
	{
		if (t->drawn != NULL)
		{
			t->drawn[i] = Uniform(&t->rng) < t->pr->subsample;
			if (!t->drawn[i])
				continue;
		}
		t->rows[m] = (uint32_t) i;
		t->rgh[2 * m] = t->gh[2 * i];
		t->rgh[2 * m++ + 1] = t->gh[2 * i + 1];
	}
	return m;
}

/* Add the tree just grown to the margins of the rows it was not grown from. */
static void
UpdateUndrawn(Trainer *t)
{
	const GbdtNode *tree = t->nodes + t->tree0;
	const uint8_t *sbin = t->split_bin + t->tree0;

	for (size_t i = 0; i < t->n; i++)
	{
		int32_t		k = 0;

		if (t->drawn[i])
			continue;
		while (tree[k].feature >= 0)
		{
			int			j = tree[k].feature,
						b = t->bins[(size_t) j * t->n + i];

			k = (b == t->ncuts[j] + 1 ? tree[k].default_left : b <= sbin[k]) ? tree[k].left : tree[k].right;
		}
		t->margin[i] += tree[k].value;
	}
}

/* Grow all trees. */
static int
Boost(Trainer *t)
{
	GbdtTreeCallback cb = t->pr->on_tree;
	int			rc;

	for (int tree = 0; tree < t->pr->n_trees; tree++)
	{
		double		loss = Gradients(t, cb != NULL && tree > 0),
					g = 0,
					h = 0;
		size_t		m;
		int			hb = -1;

		/* the loss of the margins after tree - 1 comes free with this round's gradients */
		if (cb != NULL && tree > 0)
			cb(t->pr->ctx, tree - 1, loss);
		m = Draw(t);
		t->tree0 = t->nnodes;
		t->tree_start[tree] = (uint32_t) t->nnodes;
		if ((rc = AddNodes(t, 1)) != GBDT_OK)
			return rc;
		for (size_t i = 0; i < m; i++)
		{
			g += t->rgh[2 * i];
			h += t->rgh[2 * i + 1];
		}
		if (MaySplit(t, 0, m, h))
		{
			if ((hb = Acquire(t)) < 0)
				return GBDT_ENOMEM;
			BuildHist(t, t->pool[hb], 0, m);
		}
		if ((rc = Grow(t, t->tree0, 0, m, g, h, 0, hb)) != GBDT_OK)
			return rc;
		if (t->drawn != NULL)
			UpdateUndrawn(t);
	}
	t->tree_start[t->pr->n_trees] = (uint32_t) t->nnodes;
	if (cb != NULL)
		cb(t->pr->ctx, t->pr->n_trees - 1, Gradients(t, 1));
	return GBDT_OK;
}

/* Round a size up so the next part of a model block is aligned for doubles and pointers. */
static size_t
AlignUp(size_t x)
{
	return (x + 15) & ~(size_t) 15;
}

/* Where the parts of a model block start, and its size. */
typedef struct Layout
{
	size_t		starts,
				nodes,
				splits,
				leaves,
				cut_start,
				cuts,
				bin_columns,
				bin_bounds,
				size;
} Layout;

/* Whether a model of this depth gets the compiled layout. */
static int
Flat(int depth)
{
	return depth >= 0 && depth <= GBDT_MAX_FLAT_DEPTH;
}

/*
 * The parts of a block for n_trees trees of nnodes nodes in all over p features, compiled
 * too if Flat(depth) (with room for a binned form: a model has no more distinct thresholds
 * than nodes).
 */
static Layout
ModelLayout(int n_trees, size_t nnodes, int depth, int p)
{
	Layout		l;
	size_t		slots = Flat(depth) ? (size_t) 1 << depth : 0,
				trees = ((size_t) n_trees + GBDT_FLAT_GROUP - 1) / GBDT_FLAT_GROUP * GBDT_FLAT_GROUP;

	l.starts = AlignUp(sizeof(GbdtModel));
	l.nodes = l.starts + AlignUp(sizeof(uint32_t) * ((size_t) n_trees + 1));
	l.splits = l.nodes + AlignUp(sizeof(GbdtNode) * nnodes);
	l.leaves = l.splits + (slots > 0 ? AlignUp(sizeof(GbdtSplit) * (slots - 1) * trees) : 0);
	l.cut_start = l.leaves + AlignUp(sizeof(double) * slots * trees);
	l.cuts = l.cut_start + (slots > 0 ? AlignUp(sizeof(uint32_t) * ((size_t) p + 1)) : 0);
	l.bin_columns = l.cuts + (slots > 0 ? AlignUp(sizeof(double) * nnodes) : 0);
	l.bin_bounds = l.bin_columns + (slots > 0 ? AlignUp(sizeof(uint16_t) * slots * (size_t) n_trees) : 0);
	l.size = l.bin_bounds + (slots > 0 ? slots * (size_t) n_trees : 0);
	return l;
}

/* Point a model's parts into its block, again whenever the block has moved. */
static void
ModelPoint(GbdtModel *m, const Layout *l, int depth)
{
	char	   *block = (char *) m;

	m->tree_start = (uint32_t *) (block + l->starts);
	m->nodes = (GbdtNode *) (block + l->nodes);
	m->flat_depth = depth;
	m->splits = Flat(depth) ? (GbdtSplit *) (block + l->splits) : NULL;
	m->leaves = Flat(depth) ? (double *) (block + l->leaves) : NULL;
	m->cut_start = Flat(depth) ? (uint32_t *) (block + l->cut_start) : NULL;
	m->cuts = Flat(depth) ? (double *) (block + l->cuts) : NULL;
	m->bin_columns = Flat(depth) ? (uint16_t *) (block + l->bin_columns) : NULL;
	m->bin_bounds = Flat(depth) ? (uint8_t *) (block + l->bin_bounds) : NULL;
}

/* One block for the model, its tree offsets, its nodes and their compiled form; NULL when out of memory. */
static GbdtModel *
ModelAlloc(const GbdtAllocator *a, int n_trees, size_t nnodes, int depth, int p)
{
	Layout		l = ModelLayout(n_trees, nnodes, depth, p);
	GbdtModel  *m = a->alloc(l.size);

	if (m == NULL)
		return NULL;
	memset(m, 0, sizeof(GbdtModel));
	m->n_trees = n_trees;
	ModelPoint(m, &l, depth);
	return m;
}

/*
 * The depth of the subtree at node k, or cap + 1 if it is deeper: the recursion stops
 * there, so a long chain in a stored model cannot exhaust the stack.
 */
static int
SubtreeDepth(const GbdtNode *tree, int32_t k, int cap)
{
	int			l,
				r;

	if (tree[k].feature < 0)
		return 0;
	if (cap == 0)
		return 1;
	l = SubtreeDepth(tree, tree[k].left, cap - 1);
	r = SubtreeDepth(tree, tree[k].right, cap - 1);
	return 1 + (l > r ? l : r);
}

/*
 * The depth of the deepest tree, or GBDT_MAX_FLAT_DEPTH + 1 for any deeper, or when the
 * compiled form would pass GBDT_MAX_FLAT_SLOTS (a scoring backend keeps it in memory).
 */
static int
ModelDepth(const GbdtNode *nodes, const uint32_t *tree_start, int n_trees)
{
	int			depth = 0;

	for (int t = 0; t < n_trees && depth <= GBDT_MAX_FLAT_DEPTH; t++)
	{
		int			d = SubtreeDepth(nodes + tree_start[t], 0, GBDT_MAX_FLAT_DEPTH);

		if (d > depth)
			depth = d;
	}
	if (depth <= GBDT_MAX_FLAT_DEPTH && ((size_t) n_trees << depth) > GBDT_MAX_FLAT_SLOTS)
		depth = GBDT_MAX_FLAT_DEPTH + 1;
	return depth;
}

/*
 * Collect every feature's distinct thresholds, ascending, into cuts; false (and no binned
 * form) when a feature has more than GBDT_MAX_BIN_CUTS.  0 and -0 are one threshold: no
 * value is below one and not the other.
 */
static int
CollectCuts(GbdtModel *m)
{
	uint32_t	nnodes = m->tree_start[m->n_trees],
				internal = 0,
				out = 0;

	memset(m->cut_start, 0, sizeof(uint32_t) * ((size_t) m->p + 1));
	for (uint32_t k = 0; k < nnodes; k++)
		if (m->nodes[k].feature >= 0)
		{
			m->cut_start[m->nodes[k].feature + 1]++;
			internal++;
		}
	for (int j = 0; j < m->p; j++)
		m->cut_start[j + 1] += m->cut_start[j];
	/* fill each run from its back, so cut_start[j + 1] ends where run j starts */
	for (uint32_t k = nnodes; k-- > 0;)
		if (m->nodes[k].feature >= 0)
			m->cuts[--m->cut_start[m->nodes[k].feature + 1]] = m->nodes[k].threshold;
	/* now cut_start[j + 1] is where run j starts; sort and squeeze each run in place */
	for (int j = 0; j < m->p; j++)
	{
		uint32_t	from = m->cut_start[j + 1],
					to = j + 1 < m->p ? m->cut_start[j + 2] : internal;
		uint32_t	start = out;

		qsort(m->cuts + from, to - from, sizeof(double), CompareDouble);
		for (uint32_t k = from; k < to; k++)
			if (out == start || m->cuts[out - 1] != m->cuts[k])
				m->cuts[out++] = m->cuts[k];
		m->cut_start[j] = start;
		if (out - start > GBDT_MAX_BIN_CUTS)
			return 0;
	}
	m->cut_start[m->p] = out;
	return 1;
}

/* Where threshold v (one of feature j's) is among the feature's cuts. */
static uint32_t
CutIndex(const GbdtModel *m, int j, double v)
{
	const double *c = m->cuts + m->cut_start[j];
	uint32_t	lo = 0,
				hi = m->cut_start[j + 1] - m->cut_start[j] - 1;

	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo) / 2;

		if (c[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Compile node i of a tree into slot k, at the given level, of a perfect tree of the
 * model's depth; the tree's slots are GBDT_FLAT_GROUP apart in splits and leaves, and
 * adjacent in the binned form (columns and bounds, NULL without one).  A leaf above the
 * bottom stands for both of its slot's children, so every path below it ends at a copy
 * of its value whatever the padding splits test.
 */
static void
FlattenNode(const GbdtModel *m, const GbdtNode *tree, int32_t i, uint32_t k, int level, GbdtSplit *splits,
			uint16_t *columns, uint8_t *bounds, double *leaves)
{
	int			depth = m->flat_depth;
	const GbdtNode *nd = tree + i;
	int			leaf = nd->feature < 0;

	if (level == depth)
	{
		leaves[(size_t) (k - (((uint32_t) 1 << depth) - 1)) * GBDT_FLAT_GROUP] = nd->value;
		return;
	}
	if (!leaf)
	{
		GbdtSplit  *sp = splits + (size_t) k * GBDT_FLAT_GROUP;

		sp->threshold = nd->threshold;
		sp->column = 2 * nd->feature + !nd->default_left;
		if (columns != NULL)
		{
			columns[k] = (uint16_t) sp->column;
			bounds[k] = (uint8_t) (CutIndex(m, nd->feature, nd->threshold) + 1);
		}
	}
	FlattenNode(m, tree, leaf ? i : nd->left, 2 * k + 1, level + 1, splits, columns, bounds, leaves);
	FlattenNode(m, tree, leaf ? i : nd->right, 2 * k + 2, level + 1, splits, columns, bounds, leaves);
}

/*
 * Fill the compiled layout of a model that has one (its nodes are in place and checked),
 * binned too if it can be: no feature has more than GBDT_MAX_BIN_CUTS thresholds and a
 * binned row's columns fit 16 bits.
 */
static void
Flatten(GbdtModel *m)
{
	size_t		ns = ((size_t) 1 << m->flat_depth) - 1,
				groups = ((size_t) m->n_trees + GBDT_FLAT_GROUP - 1) / GBDT_FLAT_GROUP;

	if (m->leaves == NULL)
		return;
	if (m->p > GBDT_MAX_BIN_FEATURES || !CollectCuts(m))
	{
		m->cut_start = NULL;
		m->cuts = NULL;
		m->bin_columns = NULL;
		m->bin_bounds = NULL;
	}
	/* padding splits stay zero (column 0, threshold 0; binned: bound 0), as do the last group's spare trees */
	memset(m->splits, 0, sizeof(GbdtSplit) * ns * groups * GBDT_FLAT_GROUP);
	if (m->bin_columns != NULL)
	{
		memset(m->bin_columns, 0, sizeof(uint16_t) * (ns + 1) * m->n_trees);
		memset(m->bin_bounds, 0, (ns + 1) * m->n_trees);
	}
	memset(m->leaves, 0, sizeof(double) * (ns + 1) * groups * GBDT_FLAT_GROUP);
	for (int t = 0; t < m->n_trees; t++)
	{
		size_t		g = (size_t) t / GBDT_FLAT_GROUP,
					i = (size_t) t % GBDT_FLAT_GROUP;

		FlattenNode(m, m->nodes + m->tree_start[t], 0, 0, 0, m->splits + g * ns * GBDT_FLAT_GROUP + i,
					m->bin_columns != NULL ? m->bin_columns + (ns + 1) * t : NULL,
					m->bin_columns != NULL ? m->bin_bounds + (ns + 1) * t : NULL,
					m->leaves + g * (ns + 1) * GBDT_FLAT_GROUP + i);
	}
}

/* Free what training allocated. */
static void
Cleanup(Trainer *t)
{
	void	   *ptrs[] = {t->bins, t->cuts, t->ncuts, t->feat, t->hoff, t->margin, t->gh, t->rgh, t->rows,
	t->tmp, t->tmpgh, t->drawn, t->nodes, t->split_bin, t->tree_start};

	for (size_t i = 0; i < sizeof(ptrs) / sizeof(ptrs[0]); i++)
		if (ptrs[i] != NULL)
			t->a->free(ptrs[i]);
	for (int i = 0; i < POOL_SIZE; i++)
		if (t->pool[i] != NULL)
			t->a->free(t->pool[i]);
}

/* The defaults: 100 trees of depth 6, 255 bins, eta 0.1, lambda 1, min_child_weight 1, no subsampling. */
void
gbdt_default_params(GbdtParams *params)
{
	memset(params, 0, sizeof(*params));
	params->n_trees = 100;
	params->max_depth = 6;
	params->max_bins = 255;
	params->eta = 0.1;
	params->lambda = 1;
	params->gamma = 0;
	params->min_child_weight = 1;
	params->subsample = 1;
	params->colsample = 1;
}

/* Check the inputs, bin the features, boost, and copy the trees into one model block with their compiled form. */
int
gbdt_train(const GbdtData *data, const GbdtParams *params, const GbdtAllocator *a,
		   GbdtModel **out, char *err, size_t errlen)
{
	Trainer		t;
	int			rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL)
		return CoreFail(err, errlen, GBDT_EINVAL, "no place for the model");
	*out = NULL;
	if (data == NULL || params == NULL || a == NULL)
		return CoreFail(err, errlen, GBDT_EINVAL, "no data, parameters or allocator");
	memset(&t, 0, sizeof(t));
	if ((rc = CheckParams(params, err, errlen)) != GBDT_OK ||
		(rc = CheckData(data, &t.base, &t.wsum, err, errlen)) != GBDT_OK)
		return rc;
	t.d = data;
	t.pr = params;
	t.a = a;
	t.n = data->n;
	t.p = data->p;
	t.rng = params->seed;
	if ((rc = Setup(&t)) == GBDT_OK && (rc = Boost(&t)) == GBDT_OK)
	{
		GbdtModel  *m = ModelAlloc(a, params->n_trees, t.nnodes,
								   ModelDepth(t.nodes, t.tree_start, params->n_trees), t.p);

		if (m == NULL)
			rc = GBDT_ENOMEM;
		else
		{
			m->p = t.p;
			m->base_score = t.base;
			memcpy(m->tree_start, t.tree_start, sizeof(uint32_t) * ((size_t) params->n_trees + 1));
			memcpy(m->nodes, t.nodes, sizeof(GbdtNode) * t.nnodes);
			Flatten(m);
			*out = m;
		}
	}
	Cleanup(&t);
	if (rc == GBDT_ENOMEM)
		return CoreFail(err, errlen, rc, "out of memory training on %zu rows of %d features", t.n, t.p);
	return rc;
}

/* ------------------------------------------------------------------------
 * Prediction and contributions
 * ------------------------------------------------------------------------ */

/* The child a row goes to from internal node nd, as arithmetic: random data would mispredict branches. */
static inline int32_t
Child(const GbdtNode *nd, const double *x)
{
	double		v = x[nd->feature];
	int32_t		left = (v < nd->threshold) | ((v != v) & nd->default_left);	/* v != v: missing */

	return nd->right ^ ((nd->left ^ nd->right) & -left);
}

/* The leaf a row reaches in one tree, from node k on. */
static inline const GbdtNode *
Leaf(const GbdtNode *tree, int32_t k, const double *x)
{
	while (tree[k].feature >= 0)
		k = Child(tree + k, x);
	return tree + k;
}

/* Base score plus the leaf value each tree gives the row, walking the nodes: for models too deep to compile. */
static double
WalkMargin(const GbdtModel *model, const double *x)
{
	const GbdtNode *nodes = model->nodes;
	const uint32_t *start = model->tree_start;
	double		margin = model->base_score;
	int			t = 0;

	/* four walks at once: each step waits on a load, so independent walks overlap */
	for (; t + 4 <= model->n_trees; t += 4)
	{
		const GbdtNode *a = nodes + start[t],
				   *b = nodes + start[t + 1],
				   *c = nodes + start[t + 2],
				   *d = nodes + start[t + 3];
		int32_t		ka = 0,
					kb = 0,
					kc = 0,
					kd = 0;

		while (a[ka].feature >= 0 && b[kb].feature >= 0 && c[kc].feature >= 0 && d[kd].feature >= 0)
		{
			ka = Child(a + ka, x);
			kb = Child(b + kb, x);
			kc = Child(c + kc, x);
			kd = Child(d + kd, x);
		}
		/* same order of additions as one tree at a time, so margins do not depend on the grouping */
		margin += Leaf(a, ka, x)->value;
		margin += Leaf(b, kb, x)->value;
		margin += Leaf(c, kc, x)->value;
		margin += Leaf(d, kd, x)->value;
	}
	for (; t < model->n_trees; t++)
		margin += Leaf(nodes + start[t], 0, x)->value;
	return margin;
}

#if GBDT_FLAT_GROUP != 8
#error "FlatMargin walks eight trees at once"
#endif

/* What a compiled walk reads: the row itself or a prepared row (see gbdt_predict_margin). */
#define FLAT_RAW 0
#define FLAT_PREPARED 1

/*
 * The slot a row goes to from slot k of a compiled tree, its slot 0 at tree: 2k + 1 on the
 * left, 2k + 2 on the right.  A prepared row holds each feature twice with missing values
 * made infinite, so the split's column alone routes them; otherwise x is the row itself
 * and Child's test applies.
 */
static inline uint32_t
Step(const GbdtSplit *tree, uint32_t k, const double *x, int mode)
{
	size_t		slot = (size_t) k * GBDT_FLAT_GROUP;
	uint32_t	left;

	if (mode == FLAT_PREPARED)
		left = x[tree[slot].column] < tree[slot].threshold;
	else
	{
		double		v = x[tree[slot].column >> 1];

		left = (v < tree[slot].threshold) | ((v != v) & ~tree[slot].column & 1);	/* v != v: missing */
	}
	return 2 * k + 2 - left;
}

/*
 * margin plus the leaves a group's eight walks reached (slots k0 .. k7 of a perfect tree
 * of ns internal slots), in tree order, as the walk adds them, so the margin is the same
 * to the bit.
 */
static inline double
AddLeaves(double margin, const double *leaf, size_t ns, uint32_t k0, uint32_t k1, uint32_t k2, uint32_t k3,
		  uint32_t k4, uint32_t k5, uint32_t k6, uint32_t k7)
{
	margin += leaf[(size_t) (k0 - ns) * GBDT_FLAT_GROUP];
	margin += leaf[(size_t) (k1 - ns) * GBDT_FLAT_GROUP + 1];
	margin += leaf[(size_t) (k2 - ns) * GBDT_FLAT_GROUP + 2];
	margin += leaf[(size_t) (k3 - ns) * GBDT_FLAT_GROUP + 3];
	margin += leaf[(size_t) (k4 - ns) * GBDT_FLAT_GROUP + 4];
	margin += leaf[(size_t) (k5 - ns) * GBDT_FLAT_GROUP + 5];
	margin += leaf[(size_t) (k6 - ns) * GBDT_FLAT_GROUP + 6];
	return margin + leaf[(size_t) (k7 - ns) * GBDT_FLAT_GROUP + 7];
}

/*
 * Base score plus the leaf value each compiled tree gives the row.  Every tree takes
 * exactly D steps, so the loop has no exit that depends on the data, and a group's eight
 * trees go at once: each step waits on the load before it, and independent chains
 * overlap.  Slot k of the group's trees lies together, so tree i's slot is at a fixed
 * offset from k's and the eight walks need no base pointers of their own.  Inlined into
 * each caller, so mode is a constant and the tests in Step cost nothing.
 */
#ifdef __GNUC__
static inline double FlatMargin(const GbdtModel *model, const double *x, int mode)
			__attribute__((always_inline));
#endif
static inline double
FlatMargin(const GbdtModel *model, const double *x, int mode)
{
	const int	depth = model->flat_depth;
	const size_t ns = ((size_t) 1 << depth) - 1;
	const GbdtSplit *s = model->splits;
	const double *leaf = model->leaves;
	double		margin = model->base_score;
	int			t = 0;

	for (; t + GBDT_FLAT_GROUP <= model->n_trees;
		 t += GBDT_FLAT_GROUP, s += ns * GBDT_FLAT_GROUP, leaf += (ns + 1) * GBDT_FLAT_GROUP)
	{
		uint32_t	k0 = 0,
					k1 = 0,
					k2 = 0,
					k3 = 0,
					k4 = 0,
					k5 = 0,
					k6 = 0,
					k7 = 0;

		for (int d = 0; d < depth; d++)
		{
			k0 = Step(s + 0, k0, x, mode);
			k1 = Step(s + 1, k1, x, mode);
			k2 = Step(s + 2, k2, x, mode);
			k3 = Step(s + 3, k3, x, mode);
			k4 = Step(s + 4, k4, x, mode);
			k5 = Step(s + 5, k5, x, mode);
			k6 = Step(s + 6, k6, x, mode);
			k7 = Step(s + 7, k7, x, mode);
		}
		margin = AddLeaves(margin, leaf, ns, k0, k1, k2, k3, k4, k5, k6, k7);
	}
	/* the last group's trees one at a time: walking its spare trees too would cost a small model dearly */
	for (int i = 0; t + i < model->n_trees; i++)
	{
		uint32_t	k = 0;

		for (int d = 0; d < depth; d++)
			k = Step(s + i, k, x, mode);
		margin += leaf[(size_t) (k - ns) * GBDT_FLAT_GROUP + i];
	}
	return margin;
}

/*
 * Base score plus the leaf value each tree gives the row.  A compiled model reads a
 * prepared row when the row is narrow enough for the stack and preparing it costs no
 * more than a step per tree level: feature j at 2j and 2j + 1, a missing value as -inf
 * at 2j (below every threshold, which are finite: it goes left) and +inf at 2j + 1 (it
 * goes right), so one comparison replaces Child's test for missing values.
 */
double
gbdt_predict_margin(const GbdtModel *model, const double *x)
{
	double		row[2 * FLAT_ROW_MAX];

	if (model->leaves == NULL)
		return WalkMargin(model, x);
	if (model->p > FLAT_ROW_MAX || model->p > model->n_trees * model->flat_depth)
		return FlatMargin(model, x, FLAT_RAW);
	for (int j = 0; j < model->p; j++)
	{
		double		v = x[j];

		row[2 * j] = v != v ? -INFINITY : v;
		row[2 * j + 1] = v != v ? INFINITY : v;
	}
	return FlatMargin(model, row, FLAT_PREPARED);
}

/*
 * How many cuts are <= v, by a binary search without branches: the trip count depends on
 * the feature's number of cuts only, and each step's choice is a conditional move, so a
 * row's values cost no mispredicted branches (an early-exit loop over the cuts did).
 */
uint8_t
gbdt_bin(const GbdtModel *model, int j, double v)
{
	const double *c = model->cuts + model->cut_start[j],
			   *base = c;
	uint32_t	n = model->cut_start[j + 1] - model->cut_start[j];

	if (n == 0)
		return 0;
	/* the last cut <= v, if any, is in [base, base + n) */
	while (n > 1)
	{
		uint32_t	half = n / 2;

		base = base[half] <= v ? base + half : base;
		n -= half;
	}
	return (uint8_t) (base - c + (*base <= v));
}

/*
 * The slot a binned row goes to from slot k of a tree's binned form (its columns and
 * bounds): one 16-bit load, one byte load of the row and a byte compare.
 */
static inline uint32_t
BinnedStep(const uint16_t *columns, const uint8_t *bounds, uint32_t k, const uint8_t *row)
{
	return 2 * k + 2 - (row[columns[k]] < bounds[k]);
}

/*
 * FlatMargin for a binned row, with the depth D a constant (each depth its own copy, from
 * the switch below): the D steps of a walk unroll, and a tree's slots, 2^D apart, are at a
 * fixed offset from the first tree of its group, so eight walks share one base pointer and
 * the slot index k addresses a step's column and bound directly.  That step is five
 * instructions; the leaves and the order of the additions are FlatMargin's.
 */
#ifdef __GNUC__
static inline double BinnedMargin(const GbdtModel *model, const uint8_t *row, int depth)
			__attribute__((always_inline));
#endif
static inline double
BinnedMargin(const GbdtModel *model, const uint8_t *row, int depth)
{
	const size_t ns = ((size_t) 1 << depth) - 1;
	const uint16_t *c = model->bin_columns;
	const uint8_t *b = model->bin_bounds;
	const double *leaf = model->leaves;
	double		margin = model->base_score;
	int			t = 0;

	for (; t + GBDT_FLAT_GROUP <= model->n_trees;
		 t += GBDT_FLAT_GROUP, c += (ns + 1) * GBDT_FLAT_GROUP, b += (ns + 1) * GBDT_FLAT_GROUP,
		 leaf += (ns + 1) * GBDT_FLAT_GROUP)
	{
		uint32_t	k0 = 0,
					k1 = 0,
					k2 = 0,
					k3 = 0,
					k4 = 0,
					k5 = 0,
					k6 = 0,
					k7 = 0;

		for (int d = 0; d < depth; d++)
		{
			k0 = BinnedStep(c, b, k0, row);
			k1 = BinnedStep(c + (ns + 1), b + (ns + 1), k1, row);
			k2 = BinnedStep(c + 2 * (ns + 1), b + 2 * (ns + 1), k2, row);
			k3 = BinnedStep(c + 3 * (ns + 1), b + 3 * (ns + 1), k3, row);
			k4 = BinnedStep(c + 4 * (ns + 1), b + 4 * (ns + 1), k4, row);
			k5 = BinnedStep(c + 5 * (ns + 1), b + 5 * (ns + 1), k5, row);
			k6 = BinnedStep(c + 6 * (ns + 1), b + 6 * (ns + 1), k6, row);
			k7 = BinnedStep(c + 7 * (ns + 1), b + 7 * (ns + 1), k7, row);
		}
		margin = AddLeaves(margin, leaf, ns, k0, k1, k2, k3, k4, k5, k6, k7);
	}
	for (int i = 0; t + i < model->n_trees; i++)
	{
		uint32_t	k = 0;

		for (int d = 0; d < depth; d++)
			k = BinnedStep(c + i * (ns + 1), b + i * (ns + 1), k, row);
		margin += leaf[(size_t) (k - ns) * GBDT_FLAT_GROUP + i];
	}
	return margin;
}

#if GBDT_MAX_FLAT_DEPTH != 10
#error "gbdt_predict_margin_binned has a case for each depth up to 10"
#endif

double
gbdt_predict_margin_binned(const GbdtModel *model, const uint8_t *row)
{
	switch (model->flat_depth)
	{
		case 0:
			return BinnedMargin(model, row, 0);
		case 1:
			return BinnedMargin(model, row, 1);
		case 2:
			return BinnedMargin(model, row, 2);
		case 3:
			return BinnedMargin(model, row, 3);
		case 4:
			return BinnedMargin(model, row, 4);
		case 5:
			return BinnedMargin(model, row, 5);
		case 6:
			return BinnedMargin(model, row, 6);
		case 7:
			return BinnedMargin(model, row, 7);
		case 8:
			return BinnedMargin(model, row, 8);
		case 9:
			return BinnedMargin(model, row, 9);
		default:
			return BinnedMargin(model, row, 10);
	}
}

/* The margin through the logistic function. */
double
gbdt_predict_proba(const GbdtModel *model, const double *x)
{
	return 1 / (1 + exp(-gbdt_predict_margin(model, x)));
}

/* Saabas contributions: the value changes along each tree's path, credited to the split features. */
void
gbdt_contributions(const GbdtModel *model, const double *x, double *out)
{
	memset(out, 0, sizeof(double) * ((size_t) model->p + 1));
	out[model->p] = model->base_score;
	for (int t = 0; t < model->n_trees; t++)
	{
		const GbdtNode *tree = model->nodes + model->tree_start[t];
		int32_t		k = 0;

		out[model->p] += tree[0].value;
		/* each split moves the prediction from the parent's value to the child's */
		while (tree[k].feature >= 0)
		{
			int32_t		c = Child(tree + k, x);

			out[tree[k].feature] += tree[c].value - tree[k].value;
			k = c;
		}
	}
}

/* ------------------------------------------------------------------------
 * Stored form
 * ------------------------------------------------------------------------ */

/* Read an int32 written as its two's complement u32, without relying on how casts wrap. */
static int32_t
GetI32(const unsigned char *b, size_t *off)
{
	uint32_t	v = GetU32(b, off);

	return v <= INT32_MAX ? (int32_t) v : -(int32_t) (~v) - 1;
}

/* Write the stored form described in gbdt_core.h; with buf NULL, only its size. */
size_t
gbdt_serialize(const GbdtModel *model, unsigned char *buf)
{
	size_t		nnodes = model->tree_start[model->n_trees],
				off = 0;

	if (buf == NULL)
		return HEADER_BYTES + 4 * (size_t) model->n_trees + NODE_BYTES * nnodes;
	memcpy(buf, "GBDT", 4);
	off = 4;
	PutU32(buf, &off, GBDT_FORMAT_VERSION);
	PutU32(buf, &off, (uint32_t) model->p);
	PutU32(buf, &off, (uint32_t) model->n_trees);
	PutF64(buf, &off, model->base_score);
	for (int t = 0; t < model->n_trees; t++)
	{
		PutU32(buf, &off, model->tree_start[t + 1] - model->tree_start[t]);
		for (uint32_t k = model->tree_start[t]; k < model->tree_start[t + 1]; k++)
		{
			const GbdtNode *nd = model->nodes + k;

			PutU32(buf, &off, (uint32_t) nd->feature);
			buf[off++] = nd->default_left;
			PutU32(buf, &off, (uint32_t) nd->left);
			PutU32(buf, &off, (uint32_t) nd->right);
			PutF64(buf, &off, nd->feature >= 0 ? nd->threshold : 0);
			PutF64(buf, &off, nd->value);
		}
	}
	return off;
}

/* Read and check the nodes of one tree (count nodes at *off) into nodes; seen is count bytes of scratch. */
static int
ReadTree(const unsigned char *buf, size_t *off, int t, uint32_t count, int p, GbdtNode *nodes,
		 uint8_t *seen, char *err, size_t errlen)
{
	uint32_t	refs = 0;

	memset(seen, 0, count);
	for (uint32_t k = 0; k < count; k++)
	{
		GbdtNode   *nd = nodes + k;
		uint64_t	thr;

		nd->feature = GetI32(buf, off);
		nd->default_left = buf[(*off)++];
		nd->left = GetI32(buf, off);
		nd->right = GetI32(buf, off);
		thr = GetBits(buf, off);
		nd->threshold = BitsToDouble(thr);
		nd->value = BitsToDouble(GetBits(buf, off));
		if (!(fabs(nd->value) <= GBDT_MAX_VALUE))
			return CoreFail(err, errlen, GBDT_ECORRUPT, "corrupt model: node %u of tree %d has value %g", k, t, nd->value);
		if (nd->feature == -1)
		{
			if (nd->left != -1 || nd->right != -1 || nd->default_left != 0 || thr != 0)
				return CoreFail(err, errlen, GBDT_ECORRUPT, "corrupt model: leaf %u of tree %d has split fields", k, t);
			continue;
		}
		if (nd->feature < 0 || nd->feature >= p)
			return CoreFail(err, errlen, GBDT_ECORRUPT, "corrupt model: node %u of tree %d splits on feature %d of %d", k, t, nd->feature, p);
		if (nd->default_left > 1 || !isfinite(nd->threshold))
			return CoreFail(err, errlen, GBDT_ECORRUPT, "corrupt model: node %u of tree %d has a bad threshold or default side", k, t);
		/* children after the parent, so no walk can cycle; each node has one parent */
		if (nd->left <= (int32_t) k || (uint32_t) nd->left >= count || nd->right <= (int32_t) k ||
			(uint32_t) nd->right >= count || nd->left == nd->right || seen[nd->left] || seen[nd->right])
			return CoreFail(err, errlen, GBDT_ECORRUPT, "corrupt model: node %u of tree %d has bad children", k, t);
		seen[nd->left] = seen[nd->right] = 1;
		refs += 2;
	}
	if (refs != count - 1)
		return CoreFail(err, errlen, GBDT_ECORRUPT, "corrupt model: tree %d has nodes no split reaches", t);
	return GBDT_OK;
}

/* Check a stored form completely, copy it into one model block, then compile it there. */
int
gbdt_deserialize(const unsigned char *buf, size_t len, const GbdtAllocator *a,
				 GbdtModel **out, char *err, size_t errlen)
{
	size_t		off = 4,
				total = 0,
				largest = 0;
	uint32_t	version,
				p,
				n_trees;
	double		base;
	GbdtModel  *m;
	uint8_t    *seen;
	int			rc = GBDT_OK,
				depth;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL || a == NULL)
		return CoreFail(err, errlen, GBDT_EINVAL, "no place for the model or no allocator");
	*out = NULL;
	if (buf == NULL || len < HEADER_BYTES || memcmp(buf, "GBDT", 4) != 0)
		return CoreFail(err, errlen, GBDT_ECORRUPT, "corrupt model: too short or no GBDT magic");
	version = GetU32(buf, &off);
	p = GetU32(buf, &off);
	n_trees = GetU32(buf, &off);
	base = BitsToDouble(GetBits(buf, &off));
	if (version != GBDT_FORMAT_VERSION)
		return CoreFail(err, errlen, GBDT_ECORRUPT, "model format version %u, expected %d", version, GBDT_FORMAT_VERSION);
	if (p < 1 || p > GBDT_MAX_FEATURES || n_trees < 1 || n_trees > GBDT_MAX_TREES || !(fabs(base) <= GBDT_MAX_VALUE))
		return CoreFail(err, errlen, GBDT_ECORRUPT, "corrupt model: %u features, %u trees, base score %g", p, n_trees, base);

	/* first pass: the node counts must account for the length exactly, before anything is allocated */
	for (uint32_t t = 0; t < n_trees; t++)
	{
		uint32_t	count;

		if (len - off < 4)
			return CoreFail(err, errlen, GBDT_ECORRUPT, "corrupt model: truncated at tree %u", t);
		count = GetU32(buf, &off);
		if (count < 1 || count > GBDT_MAX_TREE_NODES || (len - off) / NODE_BYTES < count)
			return CoreFail(err, errlen, GBDT_ECORRUPT, "corrupt model: tree %u claims %u nodes", t, count);
		off += (size_t) count * NODE_BYTES;
		total += count;
		if (count > largest)
			largest = count;
	}
	if (off != len)
		return CoreFail(err, errlen, GBDT_ECORRUPT, "corrupt model: %zu bytes after the last tree", len - off);

	m = ModelAlloc(a, (int) n_trees, total, -1, (int) p);
	seen = a->alloc(largest);
	if (m == NULL || seen == NULL)
	{
		if (m != NULL)
			a->free(m);
		if (seen != NULL)
			a->free(seen);
		return CoreFail(err, errlen, GBDT_ENOMEM, "out of memory reading a model of %zu nodes", total);
	}
	m->p = (int) p;
	m->base_score = base;
	off = HEADER_BYTES;
	total = 0;
	for (uint32_t t = 0; t < n_trees && rc == GBDT_OK; t++)
	{
		uint32_t	count = GetU32(buf, &off);

		m->tree_start[t] = (uint32_t) total;
		rc = ReadTree(buf, &off, (int) t, count, (int) p, m->nodes + total, seen, err, errlen);
		total += count;
	}
	m->tree_start[n_trees] = (uint32_t) total;
	a->free(seen);
	if (rc != GBDT_OK)
	{
		a->free(m);
		return rc;
	}
	/* the depth is known once the trees are checked: only then can the block grow to hold the compiled form */
	depth = ModelDepth(m->nodes, m->tree_start, (int) n_trees);
	m->flat_depth = depth;
	if (Flat(depth))
	{
		Layout		l = ModelLayout((int) n_trees, total, depth, (int) p);
		GbdtModel  *grown = a->realloc(m, l.size);

		if (grown == NULL)
		{
			a->free(m);
			return CoreFail(err, errlen, GBDT_ENOMEM, "out of memory compiling a model of %zu nodes", total);
		}
		m = grown;
		ModelPoint(m, &l, depth);
		Flatten(m);
	}
	*out = m;
	return GBDT_OK;
}

/* Release a model's single block. */
void
gbdt_free(GbdtModel *model, const GbdtAllocator *a)
{
	if (model != NULL)
		a->free(model);
}
