/*
 * logit_core.c: training, prediction, contributions and the stored form of L2-
 * regularised logistic regression (see logit_core.h).  Training standardises every
 * feature once into a column-major copy of the rows of positive weight, then takes
 * Newton steps: the (k + 1) x (k + 1) Hessian over the k non-constant features and the
 * intercept is built from column dot products and solved by Cholesky, and each step is
 * halved until the penalised objective falls.
 */
#include "logit_core.h"
#include "le_bytes.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define HEADER_BYTES 28
#define FEATURE_BYTES 24
#define MAX_HALVINGS 50			/* steps down to 2^-50 of the Newton step */
#define PIVOT_RATIO 1e-10		/* a pivot under this share of its diagonal: (nearly) collinear columns */
#define RIDGE_TRIES 12			/* ridge of 1e-10 .. 1e12 times the largest diagonal */

/* Training state; block holds every array below, so one free releases them all. */
typedef struct Fitter
{
	const LogitParams *pr;
	size_t		m;				/* rows of positive weight, the only ones training reads */
	int			k;				/* non-constant features; the unknowns are their coefs, then the intercept */
	double	   *block;
	int		   *active;			/* k feature numbers */
	double	   *z;				/* m * k standardised values, column-major; missing = 0 */
	double	   *w;				/* m weights */
	double	   *y;				/* m labels as 0 or 1 */
	double	   *eta;			/* m margins of beta */
	double	   *eta_new;		/* m margins of cand */
	double	   *r;				/* m: w (p - y), the gradient of each row's loss in its margin */
	double	   *h;				/* m: w p (1 - p), the second derivative */
	double	   *u;				/* m: h times one column */
	double	   *beta;			/* k + 1 each, the intercept last */
	double	   *cand;
	double	   *g;
	double	   *dir;
	double	   *diag;			/* the Hessian's diagonal, which its factor overwrites */
	double	   *hess;			/* (k + 1)^2, row-major: upper triangle the Hessian, lower its Cholesky factor */
	double		wsum;
} Fitter;


/* ------------------------------------------------------------------------
 * Checking inputs and standardising
 * ------------------------------------------------------------------------ */

/* Check every parameter's range; NaN fails each test because comparisons with it are false. */
static int
CheckParams(const LogitParams *pr, char *err, size_t errlen)
{
	if (!(pr->lambda >= 0 && pr->lambda <= LOGIT_MAX_VALUE))
		return CoreFail(err, errlen, LOGIT_EINVAL, "lambda must be in [0, %g], got %g", LOGIT_MAX_VALUE, pr->lambda);
	if (pr->max_iter < 1 || pr->max_iter > LOGIT_MAX_ITER)
		return CoreFail(err, errlen, LOGIT_EINVAL, "max_iter must be between 1 and %d, got %d", LOGIT_MAX_ITER, pr->max_iter);
	if (!(pr->tol >= 0 && pr->tol <= 1))
		return CoreFail(err, errlen, LOGIT_EINVAL, "tol must be in [0, 1], got %g", pr->tol);
	return LOGIT_OK;
}

/* Check shape, labels, weights and features; sets the weight of each class. */
static int
CheckData(const LogitData *d, double *w0, double *w1, char *err, size_t errlen)
{
	*w0 = *w1 = 0;
	if (d->x == NULL || d->y == NULL)
		return CoreFail(err, errlen, LOGIT_EINVAL, "no feature values or no labels");
	if (d->n < 2)
		return CoreFail(err, errlen, LOGIT_EINVAL, "need at least 2 rows, got %zu", d->n);
	if (d->p < 1 || d->p > LOGIT_MAX_FEATURES)
		return CoreFail(err, errlen, LOGIT_EINVAL, "need between 1 and %d features, got %d", LOGIT_MAX_FEATURES, d->p);
	/* the fitter's block: n (p + 7) doubles, then (p + 1) (p + 7) more at most */
	if (d->n > (SIZE_MAX / sizeof(double) - ((size_t) d->p + 1) * ((size_t) d->p + 7)) / ((size_t) d->p + 7))
		return CoreFail(err, errlen, LOGIT_EINVAL, "%zu rows of %d features do not fit in memory", d->n, d->p);
	for (size_t i = 0; i < d->n; i++)
	{
		double		w = d->w != NULL ? d->w[i] : 1.0;

		if (d->y[i] > 1)
			return CoreFail(err, errlen, LOGIT_EINVAL, "label of row %zu is %d, must be 0 or 1", i, d->y[i]);
		if (!(w >= 0 && w <= LOGIT_MAX_VALUE))
			return CoreFail(err, errlen, LOGIT_EINVAL, "weight of row %zu is %g, must be in [0, %g]", i, w, LOGIT_MAX_VALUE);
		if (d->y[i])
			*w1 += w;
		else
			*w0 += w;
	}
	if (!(*w1 > 0 && *w0 > 0))
		return CoreFail(err, errlen, LOGIT_EINVAL, "both classes must be present with positive weight (weight of 0s %g, of 1s %g)", *w0, *w1);
	for (int j = 0; j < d->p; j++)
		for (size_t i = 0; i < d->n; i++)
		{
			double		v = d->x[(size_t) j * d->n + i];

			if (isinf(v))
				return CoreFail(err, errlen, LOGIT_EINVAL, "feature %d of row %zu is infinite", j, i);
			/* the bound keeps sums of squares finite and every stored value in range */
			if (fabs(v) > LOGIT_MAX_VALUE)
				return CoreFail(err, errlen, LOGIT_EINVAL, "feature %d of row %zu is %g, beyond +-%g", j, i, v, LOGIT_MAX_VALUE);
		}
	return LOGIT_OK;
}

/*
 * Weighted mean and sd of feature j over its non-missing rows of positive weight;
 * returns 0 for a constant feature (mean its one value, or 0 with none; sd 1).
 */
static int
Moments(const LogitData *d, int j, double *mean, double *sd)
{
	const double *x = d->x + (size_t) j * d->n;
	double		wsum = 0,
				wx = 0,
				lo = 0,
				hi = 0,
				var = 0,
				mu,
				s;

	for (size_t i = 0; i < d->n; i++)
	{
		double		w = d->w != NULL ? d->w[i] : 1.0;

		if (w == 0 || isnan(x[i]))
			continue;
		if (wsum == 0 || x[i] < lo)
			lo = x[i];
		if (wsum == 0 || x[i] > hi)
			hi = x[i];
		wsum += w;
		wx += w * x[i];			/* at most 1e200 a row: no overflow */
	}
	*mean = lo;
	*sd = 1;
	/* equal values exactly: a rounded mean would give them a spread of rounding noise */
	if (lo == hi)
		return 0;
	/* rounding can push the mean just outside the values, and past LOGIT_MAX_VALUE */
	mu = fmin(fmax(wx / wsum, lo), hi);
	for (size_t i = 0; i < d->n; i++)
	{
		double		w = d->w != NULL ? d->w[i] : 1.0;

		/* w / wsum <= 1, so the sum of squares cannot overflow */
		if (w != 0 && !isnan(x[i]))
			var += w / wsum * (x[i] - mu) * (x[i] - mu);
	}
	s = sqrt(var);
	if (!(s >= LOGIT_MIN_SD))
		return 0;
	*mean = mu;
	*sd = fmin(s, LOGIT_MAX_VALUE);
	return 1;
}

/* Round a size up so the next part of a model block is aligned for doubles. */
static size_t
AlignUp(size_t x)
{
	return (x + 15) & ~(size_t) 15;
}

/* One block for the model and its three arrays of p doubles; NULL when out of memory. */
static LogitModel *
ModelAlloc(const LogitAllocator *a, int p)
{
	size_t		off = AlignUp(sizeof(LogitModel));
	char	   *block = a->alloc(off + 3 * sizeof(double) * (size_t) p);
	LogitModel *m = (LogitModel *) block;

	if (m == NULL)
		return NULL;
	memset(m, 0, sizeof(LogitModel));
	m->p = p;
	m->mean = (double *) (block + off);
	m->sd = m->mean + p;
	m->coef = m->sd + p;
	memset(m->mean, 0, 3 * sizeof(double) * (size_t) p);
	return m;
}

/* The next count doubles of a block being carved up. */
static double *
Take(double **next, size_t count)
{
	double	   *p = *next;

	*next += count;
	return p;
}

/* Allocate the fitter's arrays, standardise into the model's mean and sd, and fill z, w and y. */
static int
Setup(Fitter *f, const LogitData *d, const LogitAllocator *a, LogitModel *model)
{
	size_t		m = 0,
				n = d->n,
				k1 = (size_t) d->p + 1;
	double	   *next;

	for (size_t i = 0; i < n; i++)
		m += d->w == NULL || d->w[i] > 0;
	/* sized for every feature before knowing which are constant; CheckData bounded the size */
	f->block = a->alloc(sizeof(double) * (m * (size_t) d->p + 7 * m + 5 * k1 + k1 * k1) + sizeof(int) * k1);
	if (f->block == NULL)
		return LOGIT_ENOMEM;
	f->m = m;
	next = f->block;
	f->z = Take(&next, m * (size_t) d->p);
	f->w = Take(&next, m);
	f->y = Take(&next, m);
	f->eta = Take(&next, m);
	f->eta_new = Take(&next, m);
	f->r = Take(&next, m);
	f->h = Take(&next, m);
	f->u = Take(&next, m);
	f->beta = Take(&next, k1);
	f->cand = Take(&next, k1);
	f->g = Take(&next, k1);
	f->dir = Take(&next, k1);
	f->diag = Take(&next, k1);
	f->hess = Take(&next, k1 * k1);
	f->active = (int *) next;

	f->k = 0;
	for (int j = 0; j < d->p; j++)
	{
		const double *x = d->x + (size_t) j * n;
		double	   *col = f->z + (size_t) f->k * m,
					mean,
					sd;
		size_t		r = 0;

		if (!Moments(d, j, &model->mean[j], &model->sd[j]))
			continue;
		mean = model->mean[j];
		sd = model->sd[j];
		for (size_t i = 0; i < n; i++)
			if (d->w == NULL || d->w[i] > 0)
				col[r++] = isnan(x[i]) ? 0 : (x[i] - mean) / sd;
		f->active[f->k++] = j;
	}
	for (size_t i = 0, r = 0; i < n; i++)
		if (d->w == NULL || d->w[i] > 0)
		{
			f->w[r] = d->w != NULL ? d->w[i] : 1.0;
			f->y[r++] = d->y[i];
		}
	return LOGIT_OK;
}

/* ------------------------------------------------------------------------
 * Newton iterations
 * ------------------------------------------------------------------------ */

/* The dot product of x and y over n values, in four partial sums whose additions overlap. */
static double
Dot(const double *x, const double *y, size_t n)
{
	double		s0 = 0,
				s1 = 0,
				s2 = 0,
				s3 = 0;
	size_t		i = 0;

	for (; i + 4 <= n; i += 4)
	{
		s0 += x[i] * y[i];
		s1 += x[i + 1] * y[i + 1];
		s2 += x[i + 2] * y[i + 2];
		s3 += x[i + 3] * y[i + 3];
	}
	for (; i < n; i++)
		s0 += x[i] * y[i];
	return (s0 + s1) + (s2 + s3);
}

/* log(1 + exp(t)), without overflow for large t or loss of precision for very negative t. */
static double
Softplus(double t)
{
	return t > 0 ? t + log1p(exp(-t)) : log1p(exp(t));
}

/* The margins of coefficients b (intercept last) for every row into eta. */
static void
Margins(const Fitter *f, const double *b, double *eta)
{
	for (size_t i = 0; i < f->m; i++)
		eta[i] = b[f->k];
	for (int c = 0; c < f->k; c++)
	{
		const double *col = f->z + (size_t) c * f->m;
		double		bc = b[c];

		for (size_t i = 0; i < f->m; i++)
			eta[i] += bc * col[i];
	}
}

/* The penalised objective of coefficients b whose margins are eta; infinite or NaN if they overflow. */
static double
Objective(const Fitter *f, const double *b, const double *eta)
{
	double		loss = 0;

	for (size_t i = 0; i < f->m; i++)
		loss += f->w[i] * Softplus(f->y[i] != 0 ? -eta[i] : eta[i]);
	return loss + f->pr->lambda / 2 * Dot(b, b, (size_t) f->k);
}

/* The gradient g and the Hessian (upper triangle and diag) of the objective at beta, whose margins are eta. */
static void
Derivatives(Fitter *f)
{
	size_t		m = f->m,
				k1 = (size_t) f->k + 1;
	int			k = f->k;
	double		lambda = f->pr->lambda,
				rsum = 0,
				hsum = 0;

	for (size_t i = 0; i < m; i++)
	{
		/* p and p (1 - p) from exp(-|eta|), which cannot overflow */
		double		e = exp(-fabs(f->eta[i])),
					q = 1 / (1 + e),
					p = f->eta[i] >= 0 ? q : e * q;

		f->r[i] = f->w[i] * (p - f->y[i]);
		f->h[i] = f->w[i] * e * q * q;
		rsum += f->r[i];
		hsum += f->h[i];
	}
	for (int a = 0; a < k; a++)
	{
		const double *za = f->z + (size_t) a * m;
		double		ua = 0;

		for (size_t i = 0; i < m; i++)
		{
			f->u[i] = f->h[i] * za[i];
			ua += f->u[i];
		}
		f->g[a] = Dot(f->r, za, m) + lambda * f->beta[a];
		f->diag[a] = Dot(f->u, za, m) + lambda;
		for (int b = a + 1; b < k; b++)
			f->hess[a * k1 + b] = Dot(f->u, f->z + (size_t) b * m, m);
		f->hess[a * k1 + k] = ua;	/* the intercept's column is all ones */
	}
	f->g[k] = rsum;
	f->diag[k] = hsum;			/* not penalised */
}

/*
 * Factor the Hessian plus mu on its diagonal: L[i][j] (j <= i) goes to hess[i * (k + 1) + j],
 * below the diagonal, so the Hessian above it survives for a retry with a larger mu.
 * Returns 0 when a pivot is too small.
 */
static int
Cholesky(Fitter *f, double mu)
{
	size_t		k1 = (size_t) f->k + 1;
	double	   *A = f->hess;

	for (size_t i = 0; i < k1; i++)
	{
		double	   *Li = A + i * k1,
					d = f->diag[i] + mu,
					s;

		for (size_t j = 0; j < i; j++)
			Li[j] = (A[j * k1 + i] - Dot(Li, A + j * k1, j)) / A[j * k1 + j];
		s = d - Dot(Li, Li, i);
		/* a small pivot: the column is (nearly) in the span of the earlier ones, its step would be noise */
		if (!(s > PIVOT_RATIO * d))
			return 0;
		Li[i] = sqrt(s);
	}
	return 1;
}

/* The Newton direction dir = -H^-1 g from the factor: forward, then back substitution. */
static void
Solve(Fitter *f)
{
	size_t		k1 = (size_t) f->k + 1;
	const double *L = f->hess;

	for (size_t i = 0; i < k1; i++)
		f->dir[i] = (-f->g[i] - Dot(L + i * k1, f->dir, i)) / L[i * k1 + i];
	for (size_t i = k1; i-- > 0;)
	{
		double		s = f->dir[i];

		for (size_t t = i + 1; t < k1; t++)
			s -= L[t * k1 + i] * f->dir[t];
		f->dir[i] = s / L[i * k1 + i];
	}
}

/*
 * The Newton direction into dir; when the Hessian is (nearly) singular, as with lambda 0
 * and collinear features, a growing ridge makes it positive definite, which keeps the
 * direction one of descent.  Returns 0 if even the largest ridge fails (a non-finite Hessian).
 */
static int
Direction(Fitter *f)
{
	double		scale = 0,
				mu = 0;

	for (int i = 0; i <= f->k; i++)
		scale = fmax(scale, f->diag[i]);
	if (!(scale > 0))
		scale = 1;
	for (int t = 0; t <= RIDGE_TRIES; t++)
	{
		if (Cholesky(f, mu))
		{
			Solve(f);
			return 1;
		}
		mu = t == 0 ? scale * 1e-10 : mu * 100;
	}
	return 0;
}

/* Halve the step along dir until the objective falls below obj; 1 with cand, eta_new and *fell set, or 0. */
static int
LineSearch(Fitter *f, double obj, double *fell)
{
	size_t		k1 = (size_t) f->k + 1;
	double		t = 1;

	for (int halving = 0; halving <= MAX_HALVINGS; halving++, t *= 0.5)
	{
		int			inside = 1;
		double		o;

		for (size_t c = 0; c < k1; c++)
		{
			f->cand[c] = f->beta[c] + t * f->dir[c];
			inside &= fabs(f->cand[c]) <= LOGIT_MAX_VALUE;	/* false for NaN too */
		}
		if (!inside)
			continue;
		Margins(f, f->cand, f->eta_new);
		o = Objective(f, f->cand, f->eta_new);
		if (o < obj)			/* false for NaN and overflow */
		{
			*fell = o;
			return 1;
		}
	}
	return 0;
}

/* Newton iterations from the intercept-only optimum; fills the model's coef, intercept and counts. */
static void
Fit(Fitter *f, double w0, double w1, LogitModel *model)
{
	const LogitParams *pr = f->pr;
	double		obj;

	memset(f->beta, 0, sizeof(double) * ((size_t) f->k + 1));
	f->beta[f->k] = log(w1) - log(w0);	/* w1 / w0 could overflow */
	Margins(f, f->beta, f->eta);
	obj = Objective(f, f->beta, f->eta);
	for (int it = 0; it < pr->max_iter; it++)
	{
		double		before = obj,
				   *swap;
		int			solved,
					found;

		Derivatives(f);
		solved = Direction(f);
		found = solved && LineSearch(f, before, &obj);
		if (found)
		{
			swap = f->beta;
			f->beta = f->cand;
			f->cand = swap;
			swap = f->eta;
			f->eta = f->eta_new;
			f->eta_new = swap;
		}
		model->iterations = it + 1;
		if (pr->on_iter != NULL)
			pr->on_iter(pr->ctx, it, obj / f->wsum);
		/* no step lowers the objective: at its minimum as closely as rounding allows (or no direction) */
		if (!found)
		{
			model->converged = solved;
			break;
		}
		if (before - obj <= pr->tol * obj)
		{
			model->converged = 1;
			break;
		}
	}
	for (int c = 0; c < f->k; c++)
		model->coef[f->active[c]] = f->beta[c];
	model->intercept = f->beta[f->k];
}

/* The defaults: lambda 1, up to 50 iterations, tol 1e-8. */
void
logit_default_params(LogitParams *params)
{
	memset(params, 0, sizeof(*params));
	params->lambda = 1;
	params->max_iter = 50;
	params->tol = 1e-8;
}

/* Check the inputs, standardise, and fit into a freshly allocated model. */
int
logit_train(const LogitData *data, const LogitParams *params, const LogitAllocator *a,
			LogitModel **out, char *err, size_t errlen)
{
	Fitter		f;
	LogitModel *model;
	double		w0,
				w1;
	int			rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL)
		return CoreFail(err, errlen, LOGIT_EINVAL, "no place for the model");
	*out = NULL;
	if (data == NULL || params == NULL || a == NULL)
		return CoreFail(err, errlen, LOGIT_EINVAL, "no data, parameters or allocator");
	memset(&f, 0, sizeof(f));
	if ((rc = CheckParams(params, err, errlen)) != LOGIT_OK ||
		(rc = CheckData(data, &w0, &w1, err, errlen)) != LOGIT_OK)
		return rc;
	model = ModelAlloc(a, data->p);
	if (model == NULL || Setup(&f, data, a, model) != LOGIT_OK)
	{
		if (model != NULL)
			a->free(model);
		return CoreFail(err, errlen, LOGIT_ENOMEM, "out of memory training on %zu rows of %d features", data->n, data->p);
	}
	f.pr = params;
	f.wsum = w0 + w1;
	Fit(&f, w0, w1, model);
	a->free(f.block);
	*out = model;
	return LOGIT_OK;
}

/* ------------------------------------------------------------------------
 * Prediction and contributions
 * ------------------------------------------------------------------------ */

/* Feature j's term of the margin: 0 when missing; values clamped so a valid model's terms stay finite. */
static inline double
Term(const LogitModel *m, int j, double v)
{
	if (isnan(v))
		return 0;				/* imputed with the mean */
	if (v > LOGIT_MAX_VALUE)
		v = LOGIT_MAX_VALUE;
	else if (v < -LOGIT_MAX_VALUE)
		v = -LOGIT_MAX_VALUE;
	return m->coef[j] * ((v - m->mean[j]) / m->sd[j]);
}

/* The terms added up in feature order, then the intercept: the order contributions sum in. */
double
logit_predict_margin(const LogitModel *model, const double *x)
{
	double		margin = 0;

	for (int j = 0; j < model->p; j++)
		margin += Term(model, j, x[j]);
	return margin + model->intercept;
}

/* The margin through the logistic function. */
double
logit_predict_proba(const LogitModel *model, const double *x)
{
	return 1 / (1 + exp(-logit_predict_margin(model, x)));
}

/* Each feature's term of the margin, then the intercept. */
void
logit_contributions(const LogitModel *model, const double *x, double *out)
{
	for (int j = 0; j < model->p; j++)
		out[j] = Term(model, j, x[j]);
	out[model->p] = model->intercept;
}

/* ------------------------------------------------------------------------
 * Stored form
 * ------------------------------------------------------------------------ */

/* Write the stored form described in logit_core.h; with buf NULL, only its size. */
size_t
logit_serialize(const LogitModel *model, unsigned char *buf)
{
	size_t		off = 4;

	if (buf == NULL)
		return HEADER_BYTES + FEATURE_BYTES * (size_t) model->p;
	memcpy(buf, "LOGT", 4);
	PutU32(buf, &off, LOGIT_FORMAT_VERSION);
	PutU32(buf, &off, (uint32_t) model->p);
	PutU32(buf, &off, (uint32_t) model->iterations);
	PutU32(buf, &off, (uint32_t) model->converged);
	PutF64(buf, &off, model->intercept);
	for (int j = 0; j < model->p; j++)
	{
		PutF64(buf, &off, model->mean[j]);
		PutF64(buf, &off, model->sd[j]);
		PutF64(buf, &off, model->coef[j]);
	}
	return off;
}

/* Check a stored form completely, copying it into one model block. */
int
logit_deserialize(const unsigned char *buf, size_t len, const LogitAllocator *a,
				  LogitModel **out, char *err, size_t errlen)
{
	size_t		off = 4;
	uint32_t	version,
				p,
				iterations,
				converged;
	double		intercept;
	LogitModel *m;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL || a == NULL)
		return CoreFail(err, errlen, LOGIT_EINVAL, "no place for the model or no allocator");
	*out = NULL;
	if (buf == NULL || len < HEADER_BYTES || memcmp(buf, "LOGT", 4) != 0)
		return CoreFail(err, errlen, LOGIT_ECORRUPT, "corrupt model: too short or no LOGT magic");
	version = GetU32(buf, &off);
	p = GetU32(buf, &off);
	iterations = GetU32(buf, &off);
	converged = GetU32(buf, &off);
	intercept = GetF64(buf, &off);
	if (version != LOGIT_FORMAT_VERSION)
		return CoreFail(err, errlen, LOGIT_ECORRUPT, "model format version %u, expected %d", version, LOGIT_FORMAT_VERSION);
	if (p < 1 || p > LOGIT_MAX_FEATURES)
		return CoreFail(err, errlen, LOGIT_ECORRUPT, "corrupt model: %u features", p);
	if (len != HEADER_BYTES + FEATURE_BYTES * (size_t) p)
		return CoreFail(err, errlen, LOGIT_ECORRUPT, "corrupt model: %zu bytes for %u features, expected %zu",
					len, p, HEADER_BYTES + FEATURE_BYTES * (size_t) p);
	if (iterations < 1 || iterations > LOGIT_MAX_ITER || converged > 1)
		return CoreFail(err, errlen, LOGIT_ECORRUPT, "corrupt model: %u iterations, converged %u", iterations, converged);
	if (!(fabs(intercept) <= LOGIT_MAX_VALUE))
		return CoreFail(err, errlen, LOGIT_ECORRUPT, "corrupt model: intercept %g", intercept);

	m = ModelAlloc(a, (int) p);
	if (m == NULL)
		return CoreFail(err, errlen, LOGIT_ENOMEM, "out of memory reading a model of %u features", p);
	m->iterations = (int) iterations;
	m->converged = (int) converged;
	m->intercept = intercept;
	for (uint32_t j = 0; j < p; j++)
	{
		double		mean = GetF64(buf, &off),
					sd = GetF64(buf, &off),
					coef = GetF64(buf, &off);

		/* the bounds that keep every term of a margin finite; NaN fails them all */
		if (!(fabs(mean) <= LOGIT_MAX_VALUE && sd >= LOGIT_MIN_SD && sd <= LOGIT_MAX_VALUE &&
			  fabs(coef) <= LOGIT_MAX_VALUE))
		{
			a->free(m);
			return CoreFail(err, errlen, LOGIT_ECORRUPT, "corrupt model: feature %u has mean %g, sd %g, coef %g",
						j, mean, sd, coef);
		}
		m->mean[j] = mean;
		m->sd[j] = sd;
		m->coef[j] = coef;
	}
	*out = m;
	return LOGIT_OK;
}

/* Release a model's single block. */
void
logit_free(LogitModel *model, const LogitAllocator *a)
{
	if (model != NULL)
		a->free(model);
}
