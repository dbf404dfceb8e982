/*
 * gbdt_test.c: unit tests of the gradient-boosted trees (no server), TAP output: small
 * problems with known answers, missing values, determinism, contributions, the stored
 * form under every single-byte corruption, input and allocation errors, the compiled
 * trees against the node walk, and timing.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gbdt_core.h"
#include "tap.h"

static const GbdtAllocator mem = {malloc, realloc, free};

/* A data set owned by the test: column-major x, labels, optional weights. */
typedef struct Set
{
	GbdtData	d;
	double	   *x;
	unsigned char *y;
} Set;

static uint64_t rng = 12345;

/* splitmix64, so the data sets are the same on every run. */
static double
Rand(void)
{
	uint64_t	z = (rng += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return (double) ((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

/* An empty set of n rows and p features. */
static Set
NewSet(size_t n, int p)
{
	Set			s;

	s.x = calloc(n * (size_t) p, sizeof(double));
	s.y = calloc(n, 1);
	s.d.n = n;
	s.d.p = p;
	s.d.x = s.x;
	s.d.y = s.y;
	s.d.w = NULL;
	return s;
}

/* Release a set. */
static void
FreeSet(Set *s)
{
	free(s->x);
	free(s->y);
}

/* Feature j of row i. */
#define X(s, i, j) ((s)->x[(size_t) (j) * (s)->d.n + (i)])

/* Row i of a set as p values, the layout prediction takes. */
static void
Row(const Set *s, size_t i, double *row)
{
	for (int j = 0; j < s->d.p; j++)
		row[j] = X(s, i, j);
}

/* Train, printing the error as a TAP comment on failure. */
static GbdtModel *
Train(const Set *s, const GbdtParams *pr)
{
	GbdtModel  *m;
	char		err[256];

	if (gbdt_train(&s->d, pr, &mem, &m, err, sizeof(err)) != GBDT_OK)
	{
		printf("# training failed: %s\n", err);
		return NULL;
	}
	return m;
}

/* Probability for a row of two values. */
static double
P2(const GbdtModel *m, double a, double b)
{
	double		row[2] = {a, b};

	return gbdt_predict_proba(m, row);
}

/* Whether contributions sum to the margin (to 1e-9) on every row of s. */
static int
ContributionsSum(const GbdtModel *m, const Set *s)
{
	double		row[16],
				c[17];
	int			good = 1;

	for (size_t i = 0; i < s->d.n; i++)
	{
		double		sum = 0;

		Row(s, i, row);
		gbdt_contributions(m, row, c);
		for (int j = 0; j <= s->d.p; j++)
			sum += c[j];
		good &= fabs(sum - gbdt_predict_margin(m, row)) <= 1e-9;
	}
	return good;
}

/* The stored form of a model, malloc'd; *len its size. */
static unsigned char *
Bytes(const GbdtModel *m, size_t *len)
{
	unsigned char *b;

	*len = gbdt_serialize(m, NULL);
	b = malloc(*len);
	if (gbdt_serialize(m, b) != *len)
		*len = 0;
	return b;
}

/* Whether two models serialize to identical bytes. */
static int
SameBytes(const GbdtModel *m1, const GbdtModel *m2)
{
	size_t		l1,
				l2;
	unsigned char *b1 = Bytes(m1, &l1),
			   *b2 = Bytes(m2, &l2);
	int			same = l1 == l2 && memcmp(b1, b2, l1) == 0;

	free(b1);
	free(b2);
	return same;
}

/* A mixed set: 5 features, some missing, a logistic label from three of them. */
static Set
Mixed(size_t n)
{
	Set			s = NewSet(n, 5);

	for (size_t i = 0; i < n; i++)
	{
		double		z;

		for (int j = 0; j < 5; j++)
			X(&s, i, j) = Rand() < 0.1 ? NAN : floor(Rand() * 50) / 10;
		z = (isnan(X(&s, i, 0)) ? 1 : X(&s, i, 0) - 2.5) + (isnan(X(&s, i, 1)) ? 0 : (X(&s, i, 1) > 3) * 2 - 1) +
			(isnan(X(&s, i, 2)) ? 0 : (X(&s, i, 2) < 1.5));
		s.y[i] = Rand() < 1 / (1 + exp(-2 * z));
	}
	return s;
}

/* Two binary features with cell sizes n00..n11 and the label of each cell. */
static Set
Cells(const int *count, const int *label)
{
	Set			s = NewSet((size_t) (count[0] + count[1] + count[2] + count[3]), 2);
	size_t		i = 0;

	for (int c = 0; c < 4; c++)
		for (int k = 0; k < count[c]; k++, i++)
		{
			X(&s, i, 0) = c >> 1;
			X(&s, i, 1) = c & 1;
			s.y[i] = (unsigned char) label[c];
		}
	return s;
}

/* AND and XOR of two binary features: a depth-2 tree per round reaches near certainty. */
static void
TestLogic(void)
{
	int			even[4] = {1000, 1000, 1000, 1000},
				uneven[4] = {1200, 800, 600, 1400},
				and[4] = {0, 0, 0, 1},
				xor[4] = {0, 1, 1, 0};
	Set			s = Cells(even, and);
	GbdtParams	pr;
	GbdtModel  *m;

	gbdt_default_params(&pr);
	pr.max_depth = 2;
	pr.eta = 0.3;
	m = Train(&s, &pr);
	ok(m && P2(m, 1, 1) > 0.97 && P2(m, 0, 0) < 0.03 && P2(m, 0, 1) < 0.03 && P2(m, 1, 0) < 0.03,
	   "AND of two binary features learned to within 0.03 of certainty");
	gbdt_free(m, &mem);
	FreeSet(&s);

	/* uneven cells: with even ones no single split of XOR gains, so greedy growth never starts */
	s = Cells(uneven, xor);
	m = Train(&s, &pr);
	ok(m && P2(m, 0, 1) > 0.97 && P2(m, 1, 0) > 0.97 && P2(m, 0, 0) < 0.03 && P2(m, 1, 1) < 0.03,
	   "XOR of two binary features learned to within 0.03 of certainty");
	ok(m && ContributionsSum(m, &s), "contributions sum to the margin on the XOR rows");
	gbdt_free(m, &mem);
	FreeSet(&s);
}

/* A noisy threshold on feature 0 next to a pure-noise feature 1. */
static void
TestThreshold(void)
{
	Set			s = NewSet(20000, 2),
				test = NewSet(2000, 2);
	GbdtParams	pr;
	GbdtModel  *m;
	double		c0 = 0,
				c1 = 0,
				c[3],
				row[2];
	char		name[160];

	for (size_t i = 0; i < s.d.n; i++)
	{
		X(&s, i, 0) = Rand();
		X(&s, i, 1) = Rand();
		s.y[i] = (X(&s, i, 0) > 0.5) ^ (Rand() < 0.1);	/* 10% of labels flipped */
	}
	for (size_t i = 0; i < test.d.n; i++)
	{
		X(&test, i, 0) = Rand();
		X(&test, i, 1) = Rand();
	}
	gbdt_default_params(&pr);
	pr.max_depth = 3;
	pr.n_trees = 60;
	pr.min_child_weight = 20;
	m = Train(&s, &pr);
	if (m == NULL)
	{
		ok(0, "training on the threshold set");
		return;
	}
	ok(m->nodes[0].feature == 0 && fabs(m->nodes[0].threshold - 0.5) < 0.01,
	   "the first split is on feature 0 within 0.01 of the true threshold 0.5");
	snprintf(name, sizeof(name), "P(y | x0 = 0.25) = %.3f and P(y | x0 = 0.75) = %.3f, within 0.04 of 0.1 and 0.9",
			 P2(m, 0.25, 0.5), P2(m, 0.75, 0.5));
	ok(fabs(P2(m, 0.25, 0.5) - 0.1) < 0.04 && fabs(P2(m, 0.75, 0.5) - 0.9) < 0.04, name);
	for (size_t i = 0; i < test.d.n; i++)
	{
		Row(&test, i, row);
		gbdt_contributions(m, row, c);
		c0 += fabs(c[0]);
		c1 += fabs(c[1]);
	}
	snprintf(name, sizeof(name), "the noise feature's total |contribution| is %.4f of the signal's", c1 / c0);
	ok(c1 < 0.05 * c0, name);
	ok(ContributionsSum(m, &test), "contributions sum to the margin on 2,000 fresh rows");
	gbdt_free(m, &mem);
	FreeSet(&s);
	FreeSet(&test);
}

/* Missing means positive: y = 1 when x0 is missing or on one side of 0.5, the side given by low. */
static GbdtModel *
MissingModel(int low)
{
	Set			s = NewSet(4000, 2);
	GbdtParams	pr;
	GbdtModel  *m;

	for (size_t i = 0; i < s.d.n; i++)
	{
		X(&s, i, 0) = Rand() < 0.3 ? NAN : Rand();
		X(&s, i, 1) = Rand();
		s.y[i] = isnan(X(&s, i, 0)) || (low ? X(&s, i, 0) < 0.5 : X(&s, i, 0) >= 0.5);
	}
	gbdt_default_params(&pr);
	pr.max_depth = 2;
	pr.eta = 0.3;
	m = Train(&s, &pr);
	FreeSet(&s);
	return m;
}

/* The default direction of a split is learned: missing joins the side it behaves like. */
static void
TestMissing(void)
{
	GbdtModel  *lo = MissingModel(1),
			   *hi = MissingModel(0);

	ok(lo && hi && lo->nodes[0].feature == 0 && lo->nodes[0].default_left == 1 &&
	   hi->nodes[0].feature == 0 && hi->nodes[0].default_left == 0,
	   "missing goes left when positives are below the threshold, right when above");
	ok(lo && hi && P2(lo, NAN, 0.5) > 0.97 && P2(hi, NAN, 0.5) > 0.97 && P2(lo, 0.8, 0.5) < 0.03 &&
	   P2(hi, 0.2, 0.5) < 0.03 && P2(lo, 0.2, NAN) > 0.97,
	   "a missing value predicts positive, the negative side predicts negative");
	gbdt_free(lo, &mem);
	gbdt_free(hi, &mem);
}

/* Reproducible for a seed, different for another seed once rows and columns are drawn. */
static void
TestDeterminism(void)
{
	Set			s = Mixed(3000);
	GbdtParams	pr;
	GbdtModel  *a,
			   *b,
			   *c,
			   *full1,
			   *full2;

	gbdt_default_params(&pr);
	pr.n_trees = 20;
	full1 = Train(&s, &pr);
	pr.seed = 99;
	full2 = Train(&s, &pr);
	pr.subsample = 0.7;
	pr.colsample = 0.6;
	pr.seed = 42;
	a = Train(&s, &pr);
	b = Train(&s, &pr);
	pr.seed = 43;
	c = Train(&s, &pr);
	ok(a && b && SameBytes(a, b), "two runs with seed 42 and subsampling give identical bytes");
	ok(a && c && !SameBytes(a, c), "seed 43 gives a different model");
	ok(a && full1 && !SameBytes(a, full1), "subsampling changes the model");
	ok(full1 && full2 && SameBytes(full1, full2), "without subsampling the seed does not matter");
	ok(a && c && full1 && ContributionsSum(a, &s) && ContributionsSum(c, &s) && ContributionsSum(full1, &s),
	   "contributions sum to the margin on every row, with and without subsampling");
	gbdt_free(a, &mem);
	gbdt_free(b, &mem);
	gbdt_free(c, &mem);
	gbdt_free(full1, &mem);
	gbdt_free(full2, &mem);
	FreeSet(&s);
}

/* Features with one distinct value are never split; max_bins caps the thresholds per feature. */
static void
TestBinning(void)
{
	Set			s = Mixed(3000);
	GbdtParams	pr;
	GbdtModel  *m;
	double		thr[64];
	int			nthr = 0,
				on_const = 0;

	for (size_t i = 0; i < s.d.n; i++)
		X(&s, i, 3) = isnan(X(&s, i, 3)) ? NAN : 7;
	gbdt_default_params(&pr);
	pr.n_trees = 30;
	pr.max_bins = 4;
	m = Train(&s, &pr);
	for (uint32_t k = 0; m && k < m->tree_start[m->n_trees]; k++)
	{
		int			seen = 0;

		on_const += m->nodes[k].feature == 3;
		if (m->nodes[k].feature != 0)
			continue;
		for (int i = 0; i < nthr; i++)
			seen |= thr[i] == m->nodes[k].threshold;
		if (!seen && nthr < 64)
			thr[nthr++] = m->nodes[k].threshold;
	}
	ok(m && on_const == 0, "a feature with a single distinct value is never split on");
	ok(m && nthr >= 1 && nthr <= 3, "max_bins 4 leaves at most 3 distinct thresholds on a 50-valued feature");
	gbdt_free(m, &mem);
	FreeSet(&s);
}

static double losses[64];
static int	nlosses;

/* Record the log-loss reported after each tree. */
static void
OnTree(void *ctx, int tree, double loss)
{
	(void) ctx;
	if (tree == nlosses && nlosses < 64)
		losses[nlosses++] = loss;
}

/* The log-loss callback: once per tree, in order, falling, and agreeing with prediction. */
static void
TestLoss(void)
{
	Set			s = Mixed(2000);
	GbdtParams	pr;
	GbdtModel  *m;
	int			falling = 1;
	double		loss = 0,
				row[5];
	char		name[160];

	gbdt_default_params(&pr);
	pr.n_trees = 30;
	pr.subsample = 0.8;
	pr.on_tree = OnTree;
	m = Train(&s, &pr);
	for (int t = 1; t < nlosses; t++)
		falling &= losses[t] < losses[t - 1];
	ok(m && nlosses == 30 && falling && losses[0] < log(2) && losses[29] < 0.8 * losses[0],
	   "the training log-loss is reported after each of 30 trees and falls every time");

	/* training routes rows by bins, prediction by thresholds: the margins must agree */
	for (size_t i = 0; m && i < s.d.n; i++)
	{
		double		f;

		Row(&s, i, row);
		f = gbdt_predict_margin(m, row);
		loss += s.y[i] ? log1p(exp(-f)) : log1p(exp(f));
	}
	loss /= (double) s.d.n;
	snprintf(name, sizeof(name), "the last reported loss %.12f is the loss of the model's predictions %.12f",
			 losses[29], loss);
	ok(m && fabs(loss - losses[29]) < 1e-12, name);
	gbdt_free(m, &mem);
	FreeSet(&s);
}

/* A row of weight 2 counts as the same row twice. */
static void
TestWeights(void)
{
	Set			s = Mixed(1500),
				dup = NewSet(2000, 5);
	double	   *w = malloc(sizeof(double) * s.d.n),
				row[5];
	GbdtParams	pr;
	GbdtModel  *m1,
			   *m2;
	size_t		k = 0;
	int			close = 1;

	for (size_t i = 0; i < s.d.n; i++)
	{
		w[i] = i % 3 == 0 ? 2 : 1;
		for (int copies = 0; copies < w[i]; copies++, k++)
		{
			for (int j = 0; j < 5; j++)
				X(&dup, k, j) = X(&s, i, j);
			dup.y[k] = s.y[i];
		}
	}
	s.d.w = w;
	gbdt_default_params(&pr);
	pr.n_trees = 30;
	m1 = Train(&s, &pr);
	m2 = Train(&dup, &pr);
	for (size_t i = 0; m1 && m2 && i < s.d.n; i++)
	{
		Row(&s, i, row);
		close &= fabs(gbdt_predict_margin(m1, row) - gbdt_predict_margin(m2, row)) < 1e-9;
	}
	ok(m1 && m2 && k == dup.d.n && close, "weight 2 predicts as a duplicated row does (to 1e-9)");
	gbdt_free(m1, &mem);
	gbdt_free(m2, &mem);
	free(w);
	FreeSet(&s);
	FreeSet(&dup);
}

/* Serialize, deserialize: the same predictions and the same bytes again. */
static void
TestRoundTrip(void)
{
	Set			s = Mixed(2000);
	GbdtParams	pr;
	GbdtModel  *m,
			   *back = NULL;
	unsigned char *b;
	size_t		len;
	char		err[256];
	double		row[5];
	int			same = 1;

	gbdt_default_params(&pr);
	pr.n_trees = 40;
	m = Train(&s, &pr);
	b = Bytes(m, &len);
	ok(gbdt_deserialize(b, len, &mem, &back, err, sizeof(err)) == GBDT_OK && back != NULL,
	   "a serialized model deserializes");
	for (size_t i = 0; back && i < s.d.n; i++)
	{
		Row(&s, i, row);
		same &= gbdt_predict_margin(m, row) == gbdt_predict_margin(back, row);
	}
	ok(back && same && SameBytes(m, back), "the round trip predicts identically on every row and re-serializes identically");
	gbdt_free(m, &mem);
	gbdt_free(back, &mem);
	free(b);
	FreeSet(&s);
}

/*
 * Whether an accepted (possibly corrupted) model predicts finite values on every row of s.
 * A flip can change the model's width p; callers pass rows of model->p values, so rows
 * are padded with missing values (or cut) to that width.
 */
static int
PredictsFinite(const GbdtModel *m, const Set *s)
{
	size_t		width = (size_t) m->p > 5 ? (size_t) m->p : 5;
	double	   *row = malloc(sizeof(double) * width),
			   *c = malloc(sizeof(double) * ((size_t) m->p + 1));
	int			good = 1;

	for (size_t k = 5; k < width; k++)
		row[k] = NAN;
	for (size_t i = 0; i < s->d.n; i++)
	{
		double		p;

		Row(s, i, row);
		p = gbdt_predict_proba(m, row);
		gbdt_contributions(m, row, c);
		good &= isfinite(gbdt_predict_margin(m, row)) && p >= 0 && p <= 1;
		for (int j = 0; j <= m->p; j++)
			good &= isfinite(c[j]);
	}
	free(row);
	free(c);
	return good;
}

/* Every single-byte corruption and every truncation of a small model: rejected, or harmless. */
static void
TestCorruption(void)
{
	Set			s = Mixed(300);
	GbdtParams	pr;
	GbdtModel  *m,
			   *back;
	unsigned char *b,
			   *copy;
	size_t		len;
	char		err[256],
				name[160];
	const unsigned char masks[3] = {0x01, 0x80, 0xff};
	int			good = 1,
				accepted = 0,
				rejected = 0;

	gbdt_default_params(&pr);
	pr.n_trees = 3;
	pr.max_depth = 2;
	pr.eta = 0.5;
	m = Train(&s, &pr);
	b = Bytes(m, &len);
	copy = malloc(len);
	for (size_t i = 0; i < len; i++)
		for (int k = 0; k < 3; k++)
		{
			memcpy(copy, b, len);
			copy[i] ^= masks[k];
			if (gbdt_deserialize(copy, len, &mem, &back, err, sizeof(err)) == GBDT_OK)
			{
				accepted++;
				good &= PredictsFinite(back, &s);
				gbdt_free(back, &mem);
			}
			else
			{
				rejected++;
				good &= back == NULL && (strncmp(err, "corrupt model", 13) == 0 || strncmp(err, "model format", 12) == 0);
			}
		}
	snprintf(name, sizeof(name), "%zu bytes x 3 bit flips: %d rejected with a message, %d accepted and predict finite values",
			 len, rejected, accepted);
	ok(good && rejected > 0, name);
	good = 1;
	for (size_t l = 0; l < len; l++)
	{
		memcpy(copy, b, l);
		good &= gbdt_deserialize(copy, l, &mem, &back, err, sizeof(err)) == GBDT_ECORRUPT && back == NULL;
	}
	ok(good, "every truncation is rejected");
	memcpy(copy, b, len);
	copy[4] = 2;
	ok(gbdt_deserialize(copy, len, &mem, &back, err, sizeof(err)) == GBDT_ECORRUPT && strstr(err, "version") != NULL,
	   "another format version is rejected by name");
	gbdt_free(m, &mem);
	free(b);
	free(copy);
	FreeSet(&s);
}

/* Whether training on s with pr fails with EINVAL, no model, and a message containing what. */
static int
Rejects(const Set *s, const GbdtParams *pr, const char *what)
{
	GbdtModel  *m = (GbdtModel *) &m;	/* not NULL, so a failure must clear it */
	char		err[256] = "";
	int			rc = gbdt_train(&s->d, pr, &mem, &m, err, sizeof(err));

	printf("# %s\n", rc == GBDT_OK ? "trained" : err);
	if (rc == GBDT_OK)
		gbdt_free(m, &mem);
	return rc == GBDT_EINVAL && m == NULL && strstr(err, what) != NULL;
}

/* Bad data and parameters are rejected, each with a message naming the problem. */
static void
TestBadInput(void)
{
	Set			s = Mixed(100);
	GbdtParams	pr,
				bad;
	unsigned char y3 = s.y[3];

	gbdt_default_params(&pr);
	pr.n_trees = 2;
	memset(s.y, 0, s.d.n);
	ok(Rejects(&s, &pr, "both classes"), "one class only is rejected");
	s.y[0] = 1;
	s.y[3] = 2;
	ok(Rejects(&s, &pr, "label of row 3 is 2"), "label 2 is rejected, naming the row");
	s.y[3] = y3;
	X(&s, 7, 2) = INFINITY;
	ok(Rejects(&s, &pr, "feature 2 of row 7 is infinite"), "an infinite feature value is rejected, naming it");
	X(&s, 7, 2) = 1;
	s.d.n = 1;
	ok(Rejects(&s, &pr, "rows"), "one row is rejected");
	s.d.n = 100;
	{
		double		w[100];

		for (int i = 0; i < 100; i++)
			w[i] = i == 5 ? -1 : 1;
		s.d.w = w;
		ok(Rejects(&s, &pr, "weight of row 5"), "a negative weight is rejected, naming the row");
		s.d.w = NULL;
	}
	bad = pr;
	bad.max_depth = 0;
	ok(Rejects(&s, &bad, "max_depth"), "max_depth 0 is rejected");
	bad = pr;
	bad.eta = 0;
	ok(Rejects(&s, &bad, "eta"), "eta 0 is rejected");
	bad.eta = -0.1;
	ok(Rejects(&s, &bad, "eta"), "eta -0.1 is rejected");
	bad.eta = NAN;
	ok(Rejects(&s, &bad, "eta"), "eta NaN is rejected");
	bad = pr;
	bad.max_bins = 256;
	ok(Rejects(&s, &bad, "max_bins"), "max_bins 256 is rejected");
	bad = pr;
	bad.subsample = 0;
	ok(Rejects(&s, &bad, "subsample"), "subsample 0 is rejected");
	ok(Rejects(&s, &pr, "") == 0, "the repaired input trains");
	FreeSet(&s);
}

static long fail_at,
			calls,
			live;

/* malloc that fails on call number fail_at and counts live blocks. */
static void *
FailAlloc(size_t size)
{
	void	   *p = calls++ == fail_at ? NULL : malloc(size);

	live += p != NULL;
	return p;
}

/* realloc that fails on call number fail_at. */
static void *
FailRealloc(void *ptr, size_t size)
{
	return calls++ == fail_at ? NULL : realloc(ptr, size);
}

/* free that counts live blocks. */
static void
FailFree(void *ptr)
{
	live--;
	free(ptr);
}

/* Out of memory at every allocation in turn: an error with a message, nothing leaked. */
static void
TestOutOfMemory(void)
{
	const GbdtAllocator failing = {FailAlloc, FailRealloc, FailFree};
	Set			s = Mixed(400);
	GbdtParams	pr;
	GbdtModel  *m = NULL;
	unsigned char *b = NULL;
	size_t		len = 0;
	char		err[256],
				name[128];
	int			good = 1,
				rc = GBDT_ENOMEM;

	gbdt_default_params(&pr);
	pr.n_trees = 12;			/* enough nodes to grow the node arrays twice */
	pr.subsample = 0.5;
	for (fail_at = 0; rc == GBDT_ENOMEM; fail_at++)
	{
		calls = live = 0;
		err[0] = '\0';
		rc = gbdt_train(&s.d, &pr, &failing, &m, err, sizeof(err));
		if (rc == GBDT_ENOMEM)
			good &= m == NULL && live == 0 && strstr(err, "out of memory") != NULL;
	}
	snprintf(name, sizeof(name), "training fails cleanly at each of its %ld allocations", fail_at - 1);
	ok(good && rc == GBDT_OK && live == 1, name);
	if (m != NULL)
		b = Bytes(m, &len);
	gbdt_free(m, &failing);
	good = 1;
	rc = GBDT_ENOMEM;
	for (fail_at = 0; rc == GBDT_ENOMEM && b != NULL; fail_at++)
	{
		calls = live = 0;
		rc = gbdt_deserialize(b, len, &failing, &m, err, sizeof(err));
		if (rc == GBDT_ENOMEM)
			good &= m == NULL && live == 0;
	}
	ok(good && rc == GBDT_OK && live == 1, "deserializing fails cleanly at each allocation");
	gbdt_free(m, &failing);
	free(b);
	FreeSet(&s);
}

/* ------------------------------------------------------------------------
 * The compiled layout against the node walk
 * ------------------------------------------------------------------------ */

/* The margin by walking each tree's nodes one tree at a time, as prediction did before it was compiled. */
static double
RefMargin(const GbdtModel *m, const double *x)
{
	double		margin = m->base_score;

	for (int t = 0; t < m->n_trees; t++)
	{
		const GbdtNode *tree = m->nodes + m->tree_start[t];
		int32_t		k = 0;

		while (tree[k].feature >= 0)
		{
			double		v = x[tree[k].feature];

			k = v < tree[k].threshold || (isnan(v) && tree[k].default_left) ? tree[k].left : tree[k].right;
		}
		margin += tree[k].value;
	}
	return margin;
}

/* A copy of a model's header without its compiled form, so gbdt_predict_margin walks the nodes. */
static GbdtModel
WalkOnly(const GbdtModel *m)
{
	GbdtModel	w = *m;

	w.splits = NULL;
	w.leaves = NULL;
	w.bin_columns = NULL;
	w.bin_bounds = NULL;
	return w;
}

/* The margin of x through m's binned form: x binned as gbdt_core.h says. */
static double
BinnedMargin(const GbdtModel *m, const double *x)
{
	uint8_t    *row = malloc(2 * (size_t) m->p);
	double		margin;

	for (int j = 0; j < m->p; j++)
		if (isnan(x[j]))
			gbdt_bin_set_missing(row, j);
		else
			gbdt_bin_set(row, j, gbdt_bin(m, j, x[j]));
	margin = gbdt_predict_margin_binned(m, row);
	free(row);
	return margin;
}

/*
 * n rows of m->p values that probe m's splits: missing, exactly a threshold of the model
 * (which goes right), the double just below one (which goes left), or anything in
 * [-5, 5).
 */
static double *
ProbeRows(const GbdtModel *m, size_t n)
{
	double	   *rows = malloc(sizeof(double) * n * (size_t) m->p);
	uint32_t	nnodes = m->tree_start[m->n_trees];

	for (size_t i = 0; i < n * (size_t) m->p; i++)
	{
		double		r = Rand(),
					thr = m->nodes[(uint32_t) (Rand() * nnodes)].threshold;

		rows[i] = r < 0.15 ? NAN : r < 0.4 ? thr : r < 0.5 ? nextafter(thr, -INFINITY) : Rand() * 10 - 5;
	}
	return rows;
}

/* Whether two doubles have the same bits. */
static int
SameBits(double a, double b)
{
	return memcmp(&a, &b, sizeof(double)) == 0;
}

/*
 * How many of the n rows get a margin from m that differs from the reference walk or the
 * library's own walk in any bit, through the compiled form and (when m has one) the binned form.
 */
static size_t
Mismatches(const GbdtModel *m, const double *rows, size_t n)
{
	GbdtModel	w = WalkOnly(m);
	size_t		bad = 0;

	for (size_t i = 0; i < n; i++)
	{
		const double *x = rows + i * (size_t) m->p;
		double		f = gbdt_predict_margin(m, x);

		bad += !SameBits(f, RefMargin(m, x)) || !SameBits(f, gbdt_predict_margin(&w, x)) ||
			(m->bin_columns != NULL && !SameBits(f, BinnedMargin(m, x)));
	}
	return bad;
}

/* Deserialize the stored form of m; NULL (with a comment) on failure. */
static GbdtModel *
RoundTrip(const GbdtModel *m)
{
	size_t		len;
	unsigned char *b = Bytes(m, &len);
	GbdtModel  *back = NULL;
	char		err[256];

	if (gbdt_deserialize(b, len, &mem, &back, err, sizeof(err)) != GBDT_OK)
		printf("# deserializing failed: %s\n", err);
	free(b);
	return back;
}

/* Whether some tree of m has a leaf above its compiled depth (shallower than the deepest leaf). */
static int
Unbalanced(const GbdtModel *m)
{
	int		   *depth = calloc(m->tree_start[m->n_trees], sizeof(int));
	int			found = 0;

	/* children come after their parent, so one pass finds every node's depth */
	for (int t = 0; t < m->n_trees; t++)
	{
		const GbdtNode *tree = m->nodes + m->tree_start[t];
		int		   *d = depth + m->tree_start[t];

		for (uint32_t k = 0; k < m->tree_start[t + 1] - m->tree_start[t]; k++)
			if (tree[k].feature >= 0)
				d[tree[k].left] = d[tree[k].right] = d[k] + 1;
			else
				found |= d[k] < m->flat_depth;
	}
	free(depth);
	return found;
}

/* How many internal nodes of m send missing values left (dl 1) or right (dl 0). */
static int
DefaultsCount(const GbdtModel *m, int dl)
{
	int			c = 0;

	for (uint32_t k = 0; k < m->tree_start[m->n_trees]; k++)
		c += m->nodes[k].feature >= 0 && m->nodes[k].default_left == dl;
	return c;
}

/*
 * n rows of p features in [-5, 5), a fifth missing.  A missing even feature behaves like
 * a high value and a missing odd one like a low value, so the learned default directions
 * go both ways; thresholds of both signs tell -inf from 0 for a missing value.
 */
static Set
Missing(size_t n, int p)
{
	Set			s = NewSet(n, p);

	for (size_t i = 0; i < n; i++)
	{
		double		z = 0;

		for (int j = 0; j < p; j++)
		{
			double		v = Rand() < 0.2 ? NAN : floor(Rand() * 1000) / 100 - 5;

			X(&s, i, j) = v;
			z += (j < 6 ? 1.0 : 0.2) * (isnan(v) ? (j % 2 == 0 ? 1 : -1) : sin(v + j));
		}
		s.y[i] = Rand() < 1 / (1 + exp(-2 * z));
	}
	return s;
}

/*
 * Check one trained model: the expected compiled depth, missing values sent both ways,
 * and (when asked) a leaf above that depth; the compiled margin equals the node walk bit
 * for bit on 5,000 probing rows; and the deserialized model compiles to the same depth
 * and predicts the same bits.
 */
static void
CheckCompiled(const char *what, const Set *s, const GbdtParams *pr, int depth, int unbalanced)
{
	GbdtModel  *m = Train(s, pr),
			   *back = m != NULL ? RoundTrip(m) : NULL;
	size_t		n = 5000,
				bad = 0,
				differ = 0;
	double	   *rows = m != NULL ? ProbeRows(m, n) : NULL;
	char		name[256];

	for (size_t i = 0; back != NULL && i < n; i++)
		differ += !SameBits(gbdt_predict_margin(m, rows + i * (size_t) m->p),
							gbdt_predict_margin(back, rows + i * (size_t) m->p));
	if (m != NULL)
		bad = Mismatches(m, rows, n);
	snprintf(name, sizeof(name), "%s: compiled to depth %d (%s, %s), missing goes left at %d splits, right at %d; "
			 "%zu of %zu margins differ from the node walk",
			 what, m ? m->flat_depth : -1, m && m->leaves ? "compiled" : "not compiled",
			 m && m->bin_columns ? "binned" : "not binned",
			 m ? DefaultsCount(m, 1) : 0, m ? DefaultsCount(m, 0) : 0, bad, n);
	ok(m && m->flat_depth == depth && m->leaves != NULL && m->bin_columns != NULL &&
	   DefaultsCount(m, 1) > 0 && DefaultsCount(m, 0) > 0 &&
	   (!unbalanced || Unbalanced(m)) && bad == 0, name);
	snprintf(name, sizeof(name), "%s: deserialized, compiled to the same depth, %zu of %zu margins differ", what, differ, n);
	ok(back && back->flat_depth == m->flat_depth && back->leaves != NULL && back->bin_columns != NULL && differ == 0 &&
	   Mismatches(back, rows, n) == 0,
	   name);
	free(rows);
	gbdt_free(m, &mem);
	gbdt_free(back, &mem);
}

/* Trained models of depths 1 to 10, balanced or not, narrow or wide: compiled prediction is the node walk's. */
static void
TestCompiled(void)
{
	Set			s = Missing(20000, 6),
				wide = Missing(3000, 300);
	GbdtParams	pr;

	gbdt_default_params(&pr);
	pr.max_depth = 1;
	pr.n_trees = 5;				/* 6 features > 5 trees of 1 step: rows are not prepared */
	CheckCompiled("5 stumps", &s, &pr, 1, 0);
	pr.n_trees = 30;
	CheckCompiled("30 stumps", &s, &pr, 1, 0);
	pr.max_depth = 3;
	pr.n_trees = 21;			/* two groups of eight and five trees left over */
	CheckCompiled("21 trees of depth 3", &s, &pr, 3, 0);
	pr.max_depth = 6;
	pr.n_trees = 100;
	CheckCompiled("100 trees of depth 6", &s, &pr, 6, 0);
	pr.max_depth = 10;
	pr.n_trees = 20;
	pr.min_child_weight = 0;
	pr.lambda = 0.1;
	CheckCompiled("20 trees of depth 10", &s, &pr, 10, 1);
	pr.max_depth = 8;
	pr.n_trees = 30;
	pr.min_child_weight = 40;	/* small nodes stop early: leaves at many depths */
	pr.lambda = 1;
	CheckCompiled("30 unbalanced trees of depth 8", &s, &pr, 8, 1);
	pr.max_depth = 4;
	pr.n_trees = 20;
	pr.min_child_weight = 1;
	pr.colsample = 0.5;
	CheckCompiled("20 trees of depth 4 on 300 features (rows too wide to prepare)", &wide, &pr, 4, 0);
	FreeSet(&s);
	FreeSet(&wide);
}

/* Append v least significant byte first, as the stored form does. */
static void
Put(unsigned char *b, size_t *off, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		b[(*off)++] = (unsigned char) (v >> (8 * i));
}

/* Append one node of the stored form. */
static void
PutNode(unsigned char *b, size_t *off, int32_t feature, int dl, int32_t left, int32_t right, double thr, double value)
{
	uint64_t	u;

	Put(b, off, (uint32_t) feature, 4);
	Put(b, off, (uint64_t) dl, 1);
	Put(b, off, (uint32_t) left, 4);
	Put(b, off, (uint32_t) right, 4);
	memcpy(&u, &thr, sizeof(u));
	Put(b, off, u, 8);
	memcpy(&u, &value, sizeof(u));
	Put(b, off, u, 8);
}

/*
 * The stored form of 10 trees over 3 features: chains (each split ends one side in a
 * leaf, the side and the default direction alternating) between single leaves and
 * depth-2 trees.  Trees 0, 3, 6 and 9 are chains, only one of them (the first or the
 * last) of the given depth, so a model depth that misses it shows.  Built by hand:
 * training never makes a chain.
 */
static unsigned char *
Chains(int depth, int deepest_first, size_t *len)
{
	unsigned char *b = malloc(24 + 10 * (4 + 29 * (size_t) (2 * depth + 7)));
	size_t		off = 4;

	memcpy(b, "GBDT", 4);
	Put(b, &off, 1, 4);
	Put(b, &off, 3, 4);
	Put(b, &off, 10, 4);
	Put(b, &off, 0x3FB999999999999AULL, 8);	/* base score 0.1 */
	for (int t = 0; t < 10; t++)
		if (t % 3 == 0)
		{
			int			d = t == (deepest_first ? 0 : 9) ? depth : depth - 1 - t / 6;

			Put(b, &off, (uint64_t) (2 * d + 1), 4);
			for (int i = 0; i < d; i++)
			{
				int32_t		leaf = 2 * i + 1,
							next = 2 * i + 2;

				PutNode(b, &off, (i + t) % 3, i % 2, i % 2 ? next : leaf, i % 2 ? leaf : next,
						(i % 8) - 3.5, 0.01 * i);
				PutNode(b, &off, -1, 0, -1, -1, 0, 0.1 * (t + 1) - 0.03 * i);
			}
			PutNode(b, &off, -1, 0, -1, -1, 0, -0.2 * t - 0.5);
		}
		else if (t % 3 == 1)
		{
			Put(b, &off, 1, 4);
			PutNode(b, &off, -1, 0, -1, -1, 0, 0.07 * t);
		}
		else
		{
			Put(b, &off, 7, 4);
			PutNode(b, &off, t % 3, 1, 1, 2, -0.5, 0);
			PutNode(b, &off, 1, 0, 3, 4, -2.5, 0);
			PutNode(b, &off, 2, 1, 5, 6, 1.5, 0);
			PutNode(b, &off, -1, 0, -1, -1, 0, 0.3 + t);
			PutNode(b, &off, -1, 0, -1, -1, 0, -0.7);
			PutNode(b, &off, -1, 0, -1, -1, 0, 1.0 / (t + 3));
			PutNode(b, &off, -1, 0, -1, -1, 0, -0.125);
		}
	*len = off;
	return b;
}

/*
 * n stumps on feature 0 of 2, stump t splitting at t / 8 - 20.0625 (t = 0 and 1 at 0 and -0
 * when signed_zero), missing going left on odd trees: n distinct thresholds (one fewer
 * with signed_zero).
 */
static unsigned char *
Stumps(int n, int signed_zero, size_t *len)
{
	unsigned char *b = malloc(24 + (size_t) n * (4 + 3 * 29));
	size_t		off = 4;

	memcpy(b, "GBDT", 4);
	Put(b, &off, 1, 4);
	Put(b, &off, 2, 4);
	Put(b, &off, (uint64_t) n, 4);
	Put(b, &off, 0, 8);
	for (int t = 0; t < n; t++)
	{
		double		thr = signed_zero && t < 2 ? (t == 0 ? 0.0 : -0.0) : t / 8.0 - 20.0625;

		Put(b, &off, 3, 4);
		PutNode(b, &off, 0, t % 2, 1, 2, thr, 0);
		PutNode(b, &off, -1, 0, -1, -1, 0, 0.001 * t);
		PutNode(b, &off, -1, 0, -1, -1, 0, -0.002 * t);
	}
	*len = off;
	return b;
}

/*
 * The binned form's limit: 254 distinct thresholds on a feature are binned, 255 are not
 * (prediction stays compiled); 0 and -0 count once.  Each predicts as the node walk.
 */
static void
TestBinLimit(void)
{
	const int	counts[3] = {254, 255, 256};
	const int	zero[3] = {0, 0, 1};

	for (int c = 0; c < 3; c++)
	{
		size_t		len,
					n = 3000,
					bad;
		unsigned char *b = Stumps(counts[c], zero[c], &len);
		GbdtModel  *m = NULL;
		char		err[256] = "",
					name[256];
		int			rc = gbdt_deserialize(b, len, &mem, &m, err, sizeof(err));
		double	   *rows = rc == GBDT_OK ? ProbeRows(m, n) : NULL;
		int			binned = counts[c] - zero[c] <= GBDT_MAX_BIN_CUTS;

		/* probe the signed zeros too */
		for (size_t i = 0; rows != NULL && i < 200; i++)
			rows[i * 2] = i % 2 ? 0.0 : -0.0;
		bad = rc == GBDT_OK ? Mismatches(m, rows, n) : n;
		snprintf(name, sizeof(name), "%d stumps at %d distinct thresholds: %.100s, %s, %zu of %zu margins differ",
				 counts[c], counts[c] - zero[c], rc == GBDT_OK ? "read" : err,
				 rc == GBDT_OK && m->bin_columns ? "binned" : "not binned", bad, n);
		ok(rc == GBDT_OK && m->leaves != NULL && (m->bin_columns != NULL) == binned &&
		   (!binned || m->cut_start[1] - m->cut_start[0] == (uint32_t) (counts[c] - zero[c])) && bad == 0, name);
		free(rows);
		free(b);
		if (rc == GBDT_OK)
			gbdt_free(m, &mem);
	}
}

/*
 * gbdt_bin against counting: for features with 1 to 254 cuts, every cut, the double just
 * below it, values between, outside and the signed zeros get the number of cuts <= them.
 */
static void
TestBinCount(void)
{
	const int	counts[] = {1, 2, 3, 7, 16, 17, 100, 253, 254};
	int			bad = 0,
				probes = 0;
	char		name[128];

	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++)
	{
		size_t		len;
		unsigned char *b = Stumps(counts[c], counts[c] > 2, &len);
		GbdtModel  *m = NULL;
		char		err[256] = "";

		if (gbdt_deserialize(b, len, &mem, &m, err, sizeof(err)) != GBDT_OK || m->cut_start == NULL)
		{
			bad++;
			free(b);
			continue;
		}
		for (uint32_t i = 0; i < m->cut_start[1]; i++)
		{
			double		cut = m->cuts[i],
						probe[4] = {cut, nextafter(cut, -INFINITY), nextafter(cut, INFINITY), -cut};

			for (int k = 0; k < 4; k++)
			{
				uint32_t	count = 0;

				for (uint32_t q = 0; q < m->cut_start[1]; q++)
					count += m->cuts[q] <= probe[k];
				bad += gbdt_bin(m, 0, probe[k]) != count;
				probes++;
			}
		}
		bad += gbdt_bin(m, 0, -1e300) != 0 || gbdt_bin(m, 0, 1e300) != m->cut_start[1];
		probes += 2;
		gbdt_free(m, &mem);
		free(b);
	}
	snprintf(name, sizeof(name), "gbdt_bin counts the cuts at or below a value: %d of %d probes wrong", bad, probes);
	ok(bad == 0, name);
}

/* Hand-built chains of depth 10 (compiled) and 11 and 40 (walked), and a trained model deeper than 10. */
static void
TestDeep(void)
{
	const int	depths[4] = {10, 10, 11, 40};
	Set			s = Missing(20000, 6);
	GbdtParams	pr;
	GbdtModel  *m;
	double	   *rows;
	size_t		n = 5000,
				bad;
	char		name[256];

	for (int c = 0; c < 4; c++)
	{
		size_t		len;
		unsigned char *b = Chains(depths[c], c == 0, &len);
		char		err[256] = "";
		int			rc = gbdt_deserialize(b, len, &mem, &m, err, sizeof(err));

		rows = rc == GBDT_OK ? ProbeRows(m, n) : NULL;
		bad = rc == GBDT_OK ? Mismatches(m, rows, n) : n;
		snprintf(name, sizeof(name), "hand-built chains, the %s of depth %d: %.100s (%s), %zu of %zu margins differ "
				 "from the node walk", c == 0 ? "first" : "last", depths[c], rc == GBDT_OK ? "read" : err,
				 rc == GBDT_OK && m->leaves ? "compiled" : "walked", bad, n);
		ok(rc == GBDT_OK && (m->leaves != NULL) == (depths[c] <= 10) &&
		   m->flat_depth == (depths[c] <= 10 ? depths[c] : 11) && Unbalanced(m) && bad == 0, name);
		free(rows);
		free(b);
		if (rc == GBDT_OK)
			gbdt_free(m, &mem);
	}

	gbdt_default_params(&pr);
	pr.max_depth = 13;
	pr.n_trees = 10;
	pr.min_child_weight = 0;
	pr.lambda = 0.1;
	m = Train(&s, &pr);
	rows = m != NULL ? ProbeRows(m, n) : NULL;
	bad = m != NULL ? Mismatches(m, rows, n) : n;
	snprintf(name, sizeof(name), "10 trained trees of depth up to 13 are walked, not compiled: %zu of %zu margins differ",
			 bad, n);
	ok(m && m->leaves == NULL && m->flat_depth == 11 && bad == 0, name);
	if (m != NULL)
	{
		GbdtModel  *back = RoundTrip(m);
		size_t		differ = 0;

		for (size_t i = 0; back != NULL && i < n; i++)
			differ += !SameBits(gbdt_predict_margin(m, rows + i * 6), gbdt_predict_margin(back, rows + i * 6));
		ok(back && back->leaves == NULL && differ == 0, "deserialized, the deep model predicts the same bits");
		gbdt_free(back, &mem);
	}
	else
		ok(0, "deserialized, the deep model predicts the same bits");
	free(rows);
	gbdt_free(m, &mem);
	FreeSet(&s);
}

/*
 * CPU seconds for predicting reps passes over n rows of width p, the binned rows (2p
 * bytes each) when brows is not NULL; *sink keeps the work.
 */
static double
PredictSeconds(const GbdtModel *m, const double *rows, const uint8_t *brows, size_t n, int p, int reps,
			   double *sink)
{
	clock_t		t0 = clock();

	for (int r = 0; r < reps; r++)
		for (size_t i = 0; i < n; i++)
			*sink += brows != NULL ? gbdt_predict_margin_binned(m, brows + i * 2 * (size_t) p)
				: gbdt_predict_margin(m, rows + i * (size_t) p);
	return (double) (clock() - t0) / CLOCKS_PER_SEC;
}

/*
 * 100 trees of depth 6 on 10 features: microseconds per row walking the nodes, compiled,
 * and binned (rows binned beforehand, as a scored row's categories are) (no assertion on speed).
 */
static void
TestCompiledTiming(void)
{
	size_t		n = 20000;
	Set			s = Missing(n, 10);
	GbdtParams	pr;
	GbdtModel  *m,
				w;
	double	   *rows = malloc(sizeof(double) * n * 10),
				walk = 1e9,
				flat = 1e9,
				binned = 1e9,
				sum1 = 0,
				sum2 = 0,
				sum3 = 0;
	uint8_t    *brows = malloc(2 * n * 10);

	gbdt_default_params(&pr);
	m = Train(&s, &pr);
	if (m == NULL)
	{
		ok(0, "training the timing model");
		return;
	}
	for (size_t i = 0; i < n; i++)
	{
		Row(&s, i, rows + i * 10);
		for (int j = 0; j < 10; j++)
			if (isnan(rows[i * 10 + j]))
				gbdt_bin_set_missing(brows + i * 20, j);
			else
				gbdt_bin_set(brows + i * 20, j, gbdt_bin(m, j, rows[i * 10 + j]));
	}
	w = WalkOnly(m);
	/* the best of three, alternating, so a busy moment elsewhere does not decide */
	for (int k = 0; k < 3; k++)
	{
		double		a = PredictSeconds(&w, rows, NULL, n, 10, 2, &sum1),
					b = PredictSeconds(m, rows, NULL, n, 10, 2, &sum2),
					c = PredictSeconds(m, NULL, brows, n, 10, 2, &sum3);

		walk = a < walk ? a : walk;
		flat = b < flat ? b : flat;
		binned = c < binned ? c : binned;
	}
	printf("# 100 trees of depth %d: %.3f us per row walking the nodes, %.3f us compiled (%.2fx), %.3f us binned (%.2fx)\n",
		   m->flat_depth, walk * 1e6 / (2.0 * n), flat * 1e6 / (2.0 * n), walk / flat,
		   binned * 1e6 / (2.0 * n), walk / binned);
	ok(SameBits(sum1, sum2) && SameBits(sum1, sum3),
	   "the timed walks, compiled and binned predictions add up to the same bits");
	gbdt_free(m, &mem);
	free(rows);
	free(brows);
	FreeSet(&s);
}

/* 200,000 rows of 10 features, 50 trees of depth 6: time training and prediction. */
static void
TestTiming(void)
{
	size_t		n = 200000;
	Set			s = NewSet(n, 10);
	GbdtParams	pr;
	GbdtModel  *m;
	clock_t		t0;
	double		secs,
				row[10],
				sink = 0;
	size_t		right = 0;

	for (size_t i = 0; i < n; i++)
	{
		double		z;

		for (int j = 0; j < 10; j++)
			X(&s, i, j) = Rand() < 0.05 ? NAN : Rand() * 10;
		z = (isnan(X(&s, i, 0)) ? 0 : sin(X(&s, i, 0))) * 2 + (isnan(X(&s, i, 1)) ? 1 : X(&s, i, 1) > 6) -
			(isnan(X(&s, i, 2)) ? 0 : X(&s, i, 2) * X(&s, i, 3) / 25) + 0.5;
		s.y[i] = Rand() < 1 / (1 + exp(-2 * z));
	}
	gbdt_default_params(&pr);
	pr.n_trees = 50;
	t0 = clock();
	m = Train(&s, &pr);
	secs = (double) (clock() - t0) / CLOCKS_PER_SEC;
	printf("# trained %zu rows in %.2f s\n", n, secs);
	t0 = clock();
	for (size_t i = 0; m && i < n; i++)
	{
		double		p;

		Row(&s, i, row);
		p = gbdt_predict_proba(m, row);
		sink += p;
		right += (p > 0.5) == s.y[i];
	}
	secs = (double) (clock() - t0) / CLOCKS_PER_SEC;
	printf("# predicted in %.0f ns per row per 10 trees (sum %.3f)\n", secs * 1e9 / n / 5, sink);
	ok(m && right > 0.75 * n, "the timing model classifies over 75% of its rows correctly");
	gbdt_free(m, &mem);
	FreeSet(&s);
}

/* Run every group of tests, then print the plan. */
int
main(void)
{
	TestLogic();
	TestThreshold();
	TestMissing();
	TestDeterminism();
	TestBinning();
	TestLoss();
	TestWeights();
	TestRoundTrip();
	TestCorruption();
	TestBadInput();
	TestOutOfMemory();
	TestTiming();
	TestCompiled();
	TestDeep();
	TestBinLimit();
	TestBinCount();
	TestCompiledTiming();
	return done_testing();
}
