/*
 * logit_test.c: unit tests of the L2-regularised logistic regression (no server), TAP
 * output: a closed-form fit, recovery of known coefficients, the optimality conditions,
 * the penalty's shrinkage, separable data, missing values and constant features,
 * weights, the stored form under every truncation and single-byte corruption, input and
 * allocation errors, and timing.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logit_core.h"
#include "tap.h"

static const LogitAllocator mem = {malloc, realloc, free};

/* A data set owned by the test: column-major x, labels, optional weights. */
typedef struct Set
{
	LogitData	d;
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

/* A standard normal draw (Box-Muller; 1 - Rand() is never 0). */
static double
Normal(void)
{
	double		u = 1 - Rand(),
				v = Rand();

	return sqrt(-2 * log(u)) * cos(2 * 3.14159265358979323846 * v);
}

/* Draw a label with P(1) = 1 / (1 + exp(-margin)). */
static unsigned char
Label(double margin)
{
	return Rand() < 1 / (1 + exp(-margin));
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
static LogitModel *
Train(const Set *s, const LogitParams *pr)
{
	LogitModel *m;
	char		err[256];

	if (logit_train(&s->d, pr, &mem, &m, err, sizeof(err)) != LOGIT_OK)
	{
		printf("# training failed: %s\n", err);
		return NULL;
	}
	return m;
}

/* Train with the default parameters but lambda. */
static LogitModel *
TrainLambda(const Set *s, double lambda)
{
	LogitParams pr;

	logit_default_params(&pr);
	pr.lambda = lambda;
	return Train(s, &pr);
}

/* The coefficient of feature j on the original scale. */
static double
Slope(const LogitModel *m, int j)
{
	return m->coef[j] / m->sd[j];
}

/* The intercept on the original scale: the margin of a row of zeros. */
static double
Intercept(const LogitModel *m)
{
	double		b = m->intercept;

	for (int j = 0; j < m->p; j++)
		b -= m->coef[j] * m->mean[j] / m->sd[j];
	return b;
}

/* The Euclidean norm of the standardised coefficients. */
static double
Norm(const LogitModel *m)
{
	double		s = 0;

	for (int j = 0; j < m->p; j++)
		s += m->coef[j] * m->coef[j];
	return sqrt(s);
}

/* Whether contributions add up, in order, to exactly the margin on every row of s. */
static int
ContributionsSum(const LogitModel *m, const Set *s)
{
	double	   *row = malloc(sizeof(double) * (size_t) s->d.p),
			   *c = malloc(sizeof(double) * ((size_t) s->d.p + 1));
	int			good = 1;

	for (size_t i = 0; i < s->d.n; i++)
	{
		double		sum = 0;

		Row(s, i, row);
		logit_contributions(m, row, c);
		for (int j = 0; j <= s->d.p; j++)
			sum += c[j];
		good &= sum == logit_predict_margin(m, row);
	}
	free(row);
	free(c);
	return good;
}

/* Whether every row of s gets a finite margin and a probability strictly inside (0, 1). */
static int
ProbaInside(const LogitModel *m, const Set *s)
{
	double	   *row = malloc(sizeof(double) * (size_t) s->d.p);
	int			good = 1;

	for (size_t i = 0; i < s->d.n; i++)
	{
		double		p;

		Row(s, i, row);
		p = logit_predict_proba(m, row);
		good &= isfinite(logit_predict_margin(m, row)) && p > 0 && p < 1;
	}
	free(row);
	return good;
}

/*
 * The largest component of the penalised objective's gradient at the model, divided by
 * the total weight, computed from predictions: 0 at the optimum.
 */
static double
Gradient(const LogitModel *m, const Set *s, double lambda)
{
	double	   *g = calloc((size_t) m->p + 1, sizeof(double)),
			   *row = malloc(sizeof(double) * (size_t) m->p),
				wsum = 0,
				worst = 0;

	for (size_t i = 0; i < s->d.n; i++)
	{
		double		w = s->d.w != NULL ? s->d.w[i] : 1,
					r;

		Row(s, i, row);
		r = w * (logit_predict_proba(m, row) - s->y[i]);
		for (int j = 0; j < m->p; j++)
			g[j] += isnan(row[j]) ? 0 : r * (row[j] - m->mean[j]) / m->sd[j];
		g[m->p] += r;
		wsum += w;
	}
	for (int j = 0; j <= m->p; j++)
	{
		if (j < m->p)
			g[j] += lambda * m->coef[j];
		worst = fmax(worst, fabs(g[j]) / wsum);
	}
	free(g);
	free(row);
	return worst;
}

/* The stored form of a model, malloc'd; *len its size. */
static unsigned char *
Bytes(const LogitModel *m, size_t *len)
{
	unsigned char *b;

	*len = logit_serialize(m, NULL);
	b = malloc(*len);
	if (logit_serialize(m, b) != *len)
		*len = 0;
	return b;
}

/* Whether two models serialize to identical bytes. */
static int
SameBytes(const LogitModel *m1, const LogitModel *m2)
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

/* n rows: x0 ~ N(0, 1), x1 ~ N(1, 2^2), x2 ~ U(0, 10) noise; true margin 0.5 + 2 x0 - x1. */
static Set
Linear(size_t n)
{
	Set			s = NewSet(n, 3);

	for (size_t i = 0; i < n; i++)
	{
		X(&s, i, 0) = Normal();
		X(&s, i, 1) = 1 + 2 * Normal();
		X(&s, i, 2) = 10 * Rand();
		s.y[i] = Label(0.5 + 2 * X(&s, i, 0) - X(&s, i, 1));
	}
	return s;
}

/* One binary feature, no penalty: the fit is the 2x2 table's log-odds exactly. */
static void
TestClosedForm(void)
{
	/* x = 0: 30 ones of 100; x = 1: 60 ones of 100 */
	Set			s = NewSet(200, 1);
	LogitModel *m;
	char		name[200];

	for (size_t i = 0; i < 200; i++)
	{
		X(&s, i, 0) = i >= 100;
		s.y[i] = i < 100 ? i < 30 : i < 160;
	}
	m = TrainLambda(&s, 0);
	if (m == NULL)
	{
		ok(0, "training on the 2x2 table");
		return;
	}
	snprintf(name, sizeof(name), "lambda 0 gives the table's log-odds: intercept %.9f, slope %.9f (to 1e-7)",
			 Intercept(m), Slope(m, 0));
	ok(fabs(Intercept(m) - log(30.0 / 70)) < 1e-7 && fabs(Slope(m, 0) - (log(60.0 / 40) - log(30.0 / 70))) < 1e-7, name);
	ok(fabs(m->mean[0] - 0.5) < 1e-15 && fabs(m->sd[0] - 0.5) < 1e-15 && m->converged && m->iterations <= 10,
	   "mean and sd of a 50/50 binary feature are 0.5 and 0.5; converged within 10 iterations");
	logit_free(m, &mem);
	FreeSet(&s);
}

static double objectives[64];
static int	nobjectives;

/* Record the objective reported after each iteration. */
static void
OnIter(void *ctx, int iteration, double objective)
{
	(void) ctx;
	if (iteration == nobjectives && nobjectives < 64)
		objectives[nobjectives++] = objective;
}

/* The penalised objective per unit weight of a model on s, computed from its predictions. */
static double
ObjectiveOf(const LogitModel *m, const Set *s, double lambda)
{
	double		row[3],
				loss = 0;

	for (size_t i = 0; i < s->d.n; i++)
	{
		double		f;

		Row(s, i, row);
		f = logit_predict_margin(m, row);
		loss += s->y[i] ? log1p(exp(-f)) : log1p(exp(f));
	}
	return (loss + lambda / 2 * Norm(m) * Norm(m)) / (double) s->d.n;
}

/* 20,000 rows from a known model: the coefficients come back, the gradient vanishes. */
static void
TestRecovery(void)
{
	Set			s = Linear(20000);
	LogitParams pr;
	LogitModel *m;
	double		mean = 0,
				var = 0,
				obj;
	int			falling = 1;
	char		name[200];

	logit_default_params(&pr);
	pr.on_iter = OnIter;
	nobjectives = 0;
	m = Train(&s, &pr);
	if (m == NULL)
	{
		ok(0, "training on the linear set");
		return;
	}
	printf("# %d iterations; slopes %.4f %.4f %.4f, intercept %.4f\n", m->iterations,
		   Slope(m, 0), Slope(m, 1), Slope(m, 2), Intercept(m));
	ok(m->converged && m->iterations >= 3 && m->iterations <= 12, "converged in 3 to 12 Newton iterations");
	snprintf(name, sizeof(name), "slopes %.3f and %.3f within 0.1 of the true 2 and -1", Slope(m, 0), Slope(m, 1));
	ok(fabs(Slope(m, 0) - 2) < 0.1 && fabs(Slope(m, 1) + 1) < 0.1, name);
	snprintf(name, sizeof(name), "intercept %.3f within 0.1 of the true 0.5, noise slope %.4f within 0.02 of 0",
			 Intercept(m), Slope(m, 2));
	ok(fabs(Intercept(m) - 0.5) < 0.1 && fabs(Slope(m, 2)) < 0.02, name);

	for (size_t i = 0; i < s.d.n; i++)
		mean += X(&s, i, 1);
	mean /= (double) s.d.n;
	for (size_t i = 0; i < s.d.n; i++)
		var += (X(&s, i, 1) - mean) * (X(&s, i, 1) - mean);
	var /= (double) s.d.n;
	ok(fabs(m->mean[1] - mean) < 1e-12 && fabs(m->sd[1] - sqrt(var)) < 1e-12,
	   "the stored mean and sd are the feature's mean and (population) standard deviation");
	snprintf(name, sizeof(name), "the penalised gradient at the fit is %.2e per unit weight, under 1e-7", Gradient(m, &s, 1));
	ok(Gradient(m, &s, 1) < 1e-7, name);
	ok(ProbaInside(m, &s), "every row predicts a finite margin and a probability inside (0, 1)");
	ok(ContributionsSum(m, &s), "contributions add up to exactly the margin on every row");

	for (int t = 1; t < nobjectives; t++)
		falling &= objectives[t] <= objectives[t - 1];
	obj = ObjectiveOf(m, &s, 1);
	snprintf(name, sizeof(name), "the objective is reported after each of %d iterations, never rises, and ends at the model's %.12f",
			 nobjectives, obj);
	ok(nobjectives == m->iterations && falling && objectives[0] < log(2) &&
	   fabs(objectives[nobjectives - 1] - obj) < 1e-12, name);
	logit_free(m, &mem);

	/* too few iterations: still a model, marked as not converged */
	pr.max_iter = 2;
	pr.on_iter = NULL;
	m = Train(&s, &pr);
	ok(m && m->iterations == 2 && !m->converged && ProbaInside(m, &s),
	   "max_iter 2 gives a usable model with iterations 2 and converged 0");
	logit_free(m, &mem);
	FreeSet(&s);
}

/* A larger lambda shrinks the coefficients toward 0 and the intercept toward the base log-odds. */
static void
TestShrinkage(void)
{
	Set			s = Linear(2000);
	double		lambdas[5] = {0, 1, 100, 1e4, 1e7},
				norms[5],
				ones = 0;
	LogitModel *m[5];
	int			shrinking = 1,
				good = 1;
	char		name[200];

	for (int t = 0; t < 5; t++)
	{
		m[t] = TrainLambda(&s, lambdas[t]);
		good &= m[t] != NULL;
		norms[t] = m[t] ? Norm(m[t]) : 0;
		if (t > 0)
			shrinking &= norms[t] < norms[t - 1];
	}
	for (size_t i = 0; i < s.d.n; i++)
		ones += s.y[i];
	snprintf(name, sizeof(name), "|coef| falls with lambda 0, 1, 100, 1e4, 1e7: %.4f %.4f %.4f %.4f %.6f",
			 norms[0], norms[1], norms[2], norms[3], norms[4]);
	ok(good && shrinking && norms[4] < 0.001 * norms[0], name);
	ok(good && fabs(m[4]->intercept - log(ones / ((double) s.d.n - ones))) < 1e-3,
	   "with lambda 1e7 the intercept is the log-odds of the labels");
	ok(good && Gradient(m[2], &s, 100) < 1e-7 && Gradient(m[0], &s, 0) < 1e-7,
	   "the fits with lambda 100 and lambda 0 are optimal (gradient under 1e-7)");
	for (int t = 0; t < 5; t++)
		logit_free(m[t], &mem);
	FreeSet(&s);
}

/* Perfectly separable labels: the penalty keeps the coefficients finite. */
static void
TestSeparable(void)
{
	Set			s = NewSet(1000, 2);
	LogitModel *m,
			   *m0;
	double		row[2];
	size_t		right = 0;
	int			right0 = 1;
	char		name[200];

	for (size_t i = 0; i < s.d.n; i++)
	{
		X(&s, i, 0) = Rand();
		X(&s, i, 1) = Rand();
		s.y[i] = X(&s, i, 0) > 0.3;
	}
	m = TrainLambda(&s, 1);
	m0 = TrainLambda(&s, 0);
	for (size_t i = 0; m && m0 && i < s.d.n; i++)
	{
		Row(&s, i, row);
		right += (logit_predict_proba(m, row) > 0.5) == s.y[i];
		right0 &= (logit_predict_proba(m0, row) > 0.5) == s.y[i];
	}
	snprintf(name, sizeof(name), "separable data, lambda 1: converged in %d iterations to a finite coef %.2f, %zu of 1000 rows right",
			 m ? m->iterations : 0, m ? m->coef[0] : 0, right);
	ok(m && m->converged && isfinite(m->coef[0]) && m->coef[0] > 1 && m->coef[0] < 1000 && right >= 980, name);
	snprintf(name, sizeof(name), "separable data, lambda 0: a model all the same (converged %d, coef %.1f, larger), every row right",
			 m0 ? m0->converged : 0, m0 ? m0->coef[0] : 0);
	ok(m0 && isfinite(m0->coef[0]) && fabs(m0->coef[0]) <= LOGIT_MAX_VALUE && m0->coef[0] > m->coef[0] && right0 &&
	   ProbaInside(m, &s), name);
	logit_free(m, &mem);
	logit_free(m0, &mem);
	FreeSet(&s);
}

/* Missing values count as the mean; constant and all-missing features get coefficient 0. */
static void
TestMissing(void)
{
	Set			s = NewSet(5000, 4);
	LogitModel *m;
	double		mean = 0,
				count = 0,
				row[4],
				c[5];
	int			same = 1,
				zero = 1;
	char		name[200];

	for (size_t i = 0; i < s.d.n; i++)
	{
		double		x0 = Normal();

		X(&s, i, 0) = Rand() < 0.3 ? NAN : x0;
		X(&s, i, 1) = Normal();
		X(&s, i, 2) = Rand() < 0.5 ? NAN : 7;	/* one value when present */
		X(&s, i, 3) = NAN;
		s.y[i] = Label(1.5 * x0 + X(&s, i, 1));
		if (!isnan(X(&s, i, 0)))
		{
			mean += X(&s, i, 0);
			count++;
		}
	}
	mean /= count;
	m = TrainLambda(&s, 1);
	if (m == NULL)
	{
		ok(0, "training with missing values");
		return;
	}
	printf("# slopes %.3f %.3f with x0 30%% missing\n", Slope(m, 0), Slope(m, 1));
	ok(fabs(m->mean[0] - mean) < 1e-12 && Slope(m, 0) > 1 && Slope(m, 0) < 1.6,
	   "the mean of x0 skips its missing values; its slope stays positive (1 .. 1.6 for a true 1.5)");
	ok(m->coef[2] == 0 && m->sd[2] == 1 && m->mean[2] == 7 && m->coef[3] == 0 && m->sd[3] == 1 && m->mean[3] == 0,
	   "a one-valued feature and an all-missing one get coef 0, sd 1 and mean 7 and 0");
	for (size_t i = 0; i < s.d.n; i++)
	{
		double		with_mean;

		Row(&s, i, row);
		if (!isnan(row[0]))
			continue;
		logit_contributions(m, row, c);
		zero &= c[0] == 0 && c[3] == 0;
		row[0] = m->mean[0];
		with_mean = logit_predict_margin(m, row);
		row[0] = NAN;
		same &= with_mean == logit_predict_margin(m, row);
	}
	ok(same && zero, "a missing value predicts as the mean does and contributes exactly 0");
	snprintf(name, sizeof(name), "the gradient with missing values is %.2e, under 1e-7", Gradient(m, &s, 1));
	ok(Gradient(m, &s, 1) < 1e-7 && ContributionsSum(m, &s), name);
	logit_free(m, &mem);
	FreeSet(&s);
}

/* A row of weight 2 counts as the same row twice; rows of weight 0 count not at all. */
static void
TestWeights(void)
{
	Set			s = Linear(1500),
				dup = NewSet(2000, 3),
				padded = NewSet(1600, 3);
	double	   *w = malloc(sizeof(double) * s.d.n),
			   *pw = malloc(sizeof(double) * padded.d.n),
				row[3],
				worst = 0;
	LogitModel *m1,
			   *m2,
			   *m3;
	size_t		k = 0;
	char		name[200];

	for (size_t i = 0; i < s.d.n; i++)
	{
		w[i] = i % 3 == 0 ? 2 : 1;
		for (int copies = 0; copies < w[i]; copies++, k++)
		{
			for (int j = 0; j < 3; j++)
				X(&dup, k, j) = X(&s, i, j);
			dup.y[k] = s.y[i];
		}
	}
	/* the weighted rows again, with 100 rows of weight 0, extreme values and label 1 in between */
	for (size_t i = 0, r = 0; i < padded.d.n; i++)
	{
		int			junk = i % 16 == 5;

		for (int j = 0; j < 3; j++)
			X(&padded, i, j) = junk ? (j == 1 ? NAN : 1e100) : X(&s, r, j);
		padded.y[i] = junk ? 1 : s.y[r];
		pw[i] = junk ? 0 : w[r];
		r += !junk;
	}
	s.d.w = w;
	padded.d.w = pw;
	m1 = TrainLambda(&s, 1);
	m2 = TrainLambda(&dup, 1);
	m3 = TrainLambda(&padded, 1);
	for (size_t i = 0; m1 && m2 && i < s.d.n; i++)
	{
		Row(&s, i, row);
		worst = fmax(worst, fabs(logit_predict_margin(m1, row) - logit_predict_margin(m2, row)));
	}
	snprintf(name, sizeof(name), "weight 2 predicts as a duplicated row does (largest difference %.1e, under 1e-9)", worst);
	ok(m1 && m2 && k == dup.d.n && worst < 1e-9, name);
	ok(m1 && m3 && SameBytes(m1, m3), "rows of weight 0, however extreme, leave the model bit-identical");
	ok(m1 && Gradient(m1, &s, 1) < 1e-7, "the weighted fit is optimal (weighted gradient under 1e-7)");
	logit_free(m1, &mem);
	logit_free(m2, &mem);
	logit_free(m3, &mem);
	free(w);
	free(pw);
	FreeSet(&s);
	FreeSet(&dup);
	FreeSet(&padded);
}

/* Collinear features with lambda 0: a singular Hessian still gives a finite fit. */
static void
TestCollinear(void)
{
	Set			s = NewSet(3000, 3);
	LogitModel *m;
	char		name[200];

	for (size_t i = 0; i < s.d.n; i++)
	{
		X(&s, i, 0) = Normal();
		X(&s, i, 1) = 3 * X(&s, i, 0) + 1;	/* the same standardised column */
		X(&s, i, 2) = Normal();
		s.y[i] = Label(X(&s, i, 0) - X(&s, i, 2));
	}
	m = TrainLambda(&s, 0);
	snprintf(name, sizeof(name), "a duplicated column with lambda 0: finite, slopes on x0 (both copies) %.3f and x2 %.3f",
			 m ? Slope(m, 0) + 3 * Slope(m, 1) : 0, m ? Slope(m, 2) : 0);
	ok(m && isfinite(m->coef[0]) && isfinite(m->coef[1]) && fabs(Slope(m, 0) + 3 * Slope(m, 1) - 1) < 0.15 &&
	   fabs(Slope(m, 2) + 1) < 0.15 && ProbaInside(m, &s), name);
	logit_free(m, &mem);
	FreeSet(&s);
}

/* The most features allowed, more than rows: the penalty makes the problem solvable. */
static void
TestWide(void)
{
	Set			s = NewSet(300, LOGIT_MAX_FEATURES);
	LogitModel *m;
	clock_t		t0;
	char		name[200];

	for (size_t i = 0; i < s.d.n; i++)
	{
		for (int j = 0; j < s.d.p; j++)
			X(&s, i, j) = Rand() < 0.2 ? NAN : Normal();
		s.y[i] = Label((isnan(X(&s, i, 0)) ? 0 : X(&s, i, 0)) * 2);
	}
	t0 = clock();
	m = TrainLambda(&s, 1);
	snprintf(name, sizeof(name), "%d features on 300 rows train in %.2f s, %d iterations, to finite predictions",
			 LOGIT_MAX_FEATURES, (double) (clock() - t0) / CLOCKS_PER_SEC, m ? m->iterations : 0);
	ok(m && m->converged && ProbaInside(m, &s) && ContributionsSum(m, &s), name);
	snprintf(name, sizeof(name), "... at the optimum (gradient %.2e, under 1e-7)", m ? Gradient(m, &s, 1) : 1);
	ok(m && Gradient(m, &s, 1) < 1e-7, name);
	logit_free(m, &mem);
	FreeSet(&s);
}

/* Serialize, deserialize: the same predictions and the same bytes again. */
static void
TestRoundTrip(void)
{
	Set			s = Linear(2000);
	LogitModel *m,
			   *back = NULL;
	unsigned char *b;
	size_t		len;
	char		err[256];
	double		row[3];
	int			same = 1;

	X(&s, 0, 2) = NAN;
	m = TrainLambda(&s, 1);
	b = Bytes(m, &len);
	ok(len == 28 + 24 * 3 && memcmp(b, "LOGT\1\0\0\0\3\0\0\0", 12) == 0,
	   "the stored form is 28 + 24 p bytes, starting LOGT, version 1, p 3, little-endian");
	ok(logit_deserialize(b, len, &mem, &back, err, sizeof(err)) == LOGIT_OK && back != NULL,
	   "a serialized model deserializes");
	for (size_t i = 0; back && i < s.d.n; i++)
	{
		Row(&s, i, row);
		same &= logit_predict_margin(m, row) == logit_predict_margin(back, row);
	}
	ok(back && same && SameBytes(m, back) && back->iterations == m->iterations && back->converged == m->converged,
	   "the round trip predicts identically on every row and re-serializes identically");
	logit_free(m, &mem);
	logit_free(back, &mem);
	free(b);
	FreeSet(&s);
}

/* Whether an accepted (possibly corrupted) model predicts finite values on rows of its width, values near the limits included. */
static int
PredictsFinite(const LogitModel *m, const Set *s)
{
	double	   *row = malloc(sizeof(double) * (size_t) m->p),
			   *c = malloc(sizeof(double) * ((size_t) m->p + 1));
	int			good = 1;

	for (size_t i = 0; i < s->d.n + 3; i++)
	{
		double		p,
					margin;

		for (int j = 0; j < m->p; j++)
			row[j] = i == s->d.n ? 1e100 : i == s->d.n + 1 ? -INFINITY : i == s->d.n + 2 ? NAN :
				j < s->d.p ? X(s, i, j) : NAN;
		margin = logit_predict_margin(m, row);
		p = logit_predict_proba(m, row);
		logit_contributions(m, row, c);
		good &= isfinite(margin) && p >= 0 && p <= 1;
		for (int j = 0; j <= m->p; j++)
			good &= isfinite(c[j]);
	}
	free(row);
	free(c);
	return good;
}

/* Every truncation and every single-byte corruption: rejected with a message, or harmless. */
static void
TestCorruption(void)
{
	Set			s = Linear(300);
	LogitModel *m,
			   *back;
	unsigned char *b,
			   *copy;
	size_t		len;
	char		err[256],
				name[200];
	const unsigned char masks[4] = {0x01, 0x10, 0x80, 0xff};
	int			good = 1,
				accepted = 0,
				rejected = 0;

	m = TrainLambda(&s, 1);
	b = Bytes(m, &len);
	copy = malloc(len + 1);
	for (size_t i = 0; i < len; i++)
		for (int k = 0; k < 4; k++)
		{
			memcpy(copy, b, len);
			copy[i] ^= masks[k];
			if (logit_deserialize(copy, len, &mem, &back, err, sizeof(err)) == LOGIT_OK)
			{
				accepted++;
				good &= PredictsFinite(back, &s);
				logit_free(back, &mem);
			}
			else
			{
				rejected++;
				good &= back == NULL && (strncmp(err, "corrupt model", 13) == 0 || strncmp(err, "model format", 12) == 0);
			}
		}
	snprintf(name, sizeof(name), "%zu bytes x 4 xor masks: %d rejected with a message, %d accepted and predict finite values",
			 len, rejected, accepted);
	ok(good && rejected > 0 && accepted > 0, name);
	good = 1;
	for (size_t l = 0; l < len; l++)
	{
		memcpy(copy, b, l);
		good &= logit_deserialize(copy, l, &mem, &back, err, sizeof(err)) == LOGIT_ECORRUPT && back == NULL;
	}
	memcpy(copy, b, len);
	copy[len] = 0;
	good &= logit_deserialize(copy, len + 1, &mem, &back, err, sizeof(err)) == LOGIT_ECORRUPT && strstr(err, "bytes") != NULL;
	ok(good, "every truncation, and one extra byte, is rejected");
	copy[4] = 2;
	ok(logit_deserialize(copy, len, &mem, &back, err, sizeof(err)) == LOGIT_ECORRUPT && strstr(err, "version") != NULL,
	   "another format version is rejected by name");
	memcpy(copy, b, len);
	memcpy(copy + 28 + 24 + 8, "\0\0\0\0\0\0\0\0", 8);	/* sd of feature 1 */
	ok(logit_deserialize(copy, len, &mem, &back, err, sizeof(err)) == LOGIT_ECORRUPT && strstr(err, "feature 1") != NULL,
	   "an sd of 0 is rejected, naming the feature");
	logit_free(m, &mem);
	free(b);
	free(copy);
	FreeSet(&s);
}

/* Whether training on s with pr fails with EINVAL, no model, and a message containing what. */
static int
Rejects(const Set *s, const LogitParams *pr, const char *what)
{
	LogitModel *m = (LogitModel *) &m;	/* not NULL, so a failure must clear it */
	char		err[256] = "";
	int			rc = logit_train(&s->d, pr, &mem, &m, err, sizeof(err));

	printf("# %s\n", rc == LOGIT_OK ? "trained" : err);
	if (rc == LOGIT_OK)
		logit_free(m, &mem);
	return rc == LOGIT_EINVAL && m == NULL && strstr(err, what) != NULL;
}

/* Bad data and parameters are rejected, each with a message naming the problem. */
static void
TestBadInput(void)
{
	Set			s = Linear(100);
	LogitParams pr,
				bad;
	unsigned char y3 = s.y[3];
	double		w[100];

	logit_default_params(&pr);
	memset(s.y, 0, s.d.n);
	ok(Rejects(&s, &pr, "both classes"), "one class only is rejected");
	s.y[0] = 1;
	s.y[3] = 2;
	ok(Rejects(&s, &pr, "label of row 3 is 2"), "label 2 is rejected, naming the row");
	s.y[3] = y3;
	X(&s, 7, 2) = INFINITY;
	ok(Rejects(&s, &pr, "feature 2 of row 7 is infinite"), "an infinite feature value is rejected, naming it");
	X(&s, 7, 2) = -1e101;
	ok(Rejects(&s, &pr, "feature 2 of row 7 is -1e+101"), "a value beyond 1e100 is rejected, naming it");
	X(&s, 7, 2) = 1;
	s.d.n = 1;
	ok(Rejects(&s, &pr, "rows"), "one row is rejected");
	s.d.n = 100;
	s.d.p = 0;
	ok(Rejects(&s, &pr, "features"), "no features is rejected");
	s.d.p = LOGIT_MAX_FEATURES + 1;
	ok(Rejects(&s, &pr, "features"), "more than LOGIT_MAX_FEATURES features is rejected");
	s.d.p = 3;
	for (int i = 0; i < 100; i++)
		w[i] = i == 5 ? -1 : 1;
	s.d.w = w;
	ok(Rejects(&s, &pr, "weight of row 5"), "a negative weight is rejected, naming the row");
	w[5] = NAN;
	ok(Rejects(&s, &pr, "weight of row 5"), "a NaN weight is rejected, naming the row");
	for (int i = 0; i < 100; i++)
		w[i] = s.y[i] ? 0 : 1;
	ok(Rejects(&s, &pr, "both classes"), "a class of weight 0 only is rejected");
	s.d.w = NULL;
	bad = pr;
	bad.lambda = -1;
	ok(Rejects(&s, &bad, "lambda"), "lambda -1 is rejected");
	bad.lambda = NAN;
	ok(Rejects(&s, &bad, "lambda"), "lambda NaN is rejected");
	bad = pr;
	bad.max_iter = 0;
	ok(Rejects(&s, &bad, "max_iter"), "max_iter 0 is rejected");
	bad = pr;
	bad.tol = NAN;
	ok(Rejects(&s, &bad, "tol"), "tol NaN is rejected");
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
	const LogitAllocator failing = {FailAlloc, FailRealloc, FailFree};
	Set			s = Linear(400);
	LogitParams pr;
	LogitModel *m = NULL;
	unsigned char *b = NULL;
	size_t		len = 0;
	char		err[256],
				name[128];
	int			good = 1,
				rc = LOGIT_ENOMEM;

	logit_default_params(&pr);
	for (fail_at = 0; rc == LOGIT_ENOMEM; fail_at++)
	{
		calls = live = 0;
		err[0] = '\0';
		rc = logit_train(&s.d, &pr, &failing, &m, err, sizeof(err));
		if (rc == LOGIT_ENOMEM)
			good &= m == NULL && live == 0 && strstr(err, "out of memory") != NULL;
	}
	snprintf(name, sizeof(name), "training fails cleanly at each of its %ld allocations, and frees its scratch", fail_at - 1);
	ok(good && fail_at - 1 > 0 && rc == LOGIT_OK && live == 1, name);
	if (m != NULL)
		b = Bytes(m, &len);
	logit_free(m, &failing);
	good = 1;
	rc = LOGIT_ENOMEM;
	for (fail_at = 0; rc == LOGIT_ENOMEM && b != NULL; fail_at++)
	{
		calls = live = 0;
		rc = logit_deserialize(b, len, &failing, &m, err, sizeof(err));
		if (rc == LOGIT_ENOMEM)
			good &= m == NULL && live == 0;
	}
	ok(good && rc == LOGIT_OK && live == 1, "deserializing fails cleanly at its allocation");
	logit_free(m, &failing);
	free(b);
	FreeSet(&s);
}

/* 200,000 rows of 20 features: time training and prediction. */
static void
TestTiming(void)
{
	size_t		n = 200000;
	Set			s = NewSet(n, 20);
	LogitModel *m;
	clock_t		t0;
	double		secs,
				row[20],
				sink = 0;
	size_t		right = 0;

	for (size_t i = 0; i < n; i++)
	{
		double		z = 0.3;

		for (int j = 0; j < 20; j++)
		{
			X(&s, i, j) = Rand() < 0.05 ? NAN : Normal() * (j + 1);
			if (j < 5 && !isnan(X(&s, i, j)))
				z += X(&s, i, j) / (j + 1) * (j % 2 ? -1 : 1);
		}
		s.y[i] = Label(z);
	}
	t0 = clock();
	m = TrainLambda(&s, 1);
	secs = (double) (clock() - t0) / CLOCKS_PER_SEC;
	printf("# trained %zu rows of 20 features in %.2f s, %d iterations\n", n, secs, m ? m->iterations : 0);
	t0 = clock();
	for (size_t i = 0; m && i < n; i++)
	{
		double		p;

		Row(&s, i, row);
		p = logit_predict_proba(m, row);
		sink += p;
		right += (p > 0.5) == s.y[i];
	}
	secs = (double) (clock() - t0) / CLOCKS_PER_SEC;
	printf("# predicted in %.0f ns per row (sum %.3f)\n", secs * 1e9 / n, sink);
	ok(m && m->converged && right > 0.7 * n, "the timing model converges and classifies over 70% of its rows correctly");
	logit_free(m, &mem);
	FreeSet(&s);
}

/* Run every group of tests, then print the plan. */
int
main(void)
{
	TestClosedForm();
	TestRecovery();
	TestShrinkage();
	TestSeparable();
	TestMissing();
	TestWeights();
	TestCollinear();
	TestWide();
	TestRoundTrip();
	TestCorruption();
	TestBadInput();
	TestOutOfMemory();
	TestTiming();
	return done_testing();
}
