/*
 * beta_core.c: the Beta distribution's CDF (the regularized incomplete beta function,
 * by its continued fraction evaluated with the modified Lentz method) and its quantile
 * (bisection on the CDF, which is monotone, so it cannot fail to converge).
 */
#include <math.h>

#include "beta_core.h"

#define CF_MAX_ITER 400
#define CF_EPS 1e-15
#define CF_TINY 1e-300

/* One step of the modified Lentz method: fold the term num into the fraction f; returns the factor. */
static double
LentzStep(double num, double *c, double *d, double *f)
{
	double		delta;

	*d = 1.0 + num * *d;
	*c = 1.0 + num / *c;
	if (fabs(*d) < CF_TINY)
		*d = CF_TINY;
	if (fabs(*c) < CF_TINY)
		*c = CF_TINY;
	*d = 1.0 / *d;
	delta = *d * *c;
	*f *= delta;
	return delta;
}

/* The continued fraction of I_x(a, b), good where x < (a + 1) / (a + b + 2). */
static double
BetaFraction(double x, double a, double b)
{
	double		c = 1.0,
				d = 1.0 - (a + b) * x / (a + 1.0),
				f;

	if (fabs(d) < CF_TINY)
		d = CF_TINY;
	d = 1.0 / d;
	f = d;
	for (int m = 1; m <= CF_MAX_ITER; m++)
	{
		/* even term m (b - m) x / ((a + 2m - 1)(a + 2m)), then odd -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)) */
		LentzStep(m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m)), &c, &d, &f);
		if (fabs(LentzStep(-(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0)), &c, &d, &f) - 1.0) < CF_EPS)
			break;
	}
	return f;
}

double
beta_cdf(double x, double a, double b)
{
	double		front;

	if (x <= 0.0)
		return 0.0;
	if (x >= 1.0)
		return 1.0;
	/* x^a (1-x)^b / (a B(a, b)), in logs so large a and b do not overflow */
	front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
	if (x < (a + 1.0) / (a + b + 2.0))
		return front * BetaFraction(x, a, b) / a;
	/* the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) keeps the fraction where it converges fast */
	return 1.0 - front * BetaFraction(1.0 - x, b, a) / b;
}

double
beta_quantile(double p, double a, double b)
{
	double		lo = 0.0,
				hi = 1.0;

	if (p <= 0.0)
		return 0.0;
	if (p >= 1.0)
		return 1.0;
	/* halve until the bracket is tight relative to the nearer edge: quantiles of skewed shapes
	 * sit within 1e-10 of 0 or 1, where an absolute tolerance would say nothing */
	for (int i = 0; i < 200 && hi - lo > 1e-14 * fmin(hi, 1.0 - lo); i++)
	{
		double		mid = 0.5 * (lo + hi);

		if (beta_cdf(mid, a, b) < p)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}
