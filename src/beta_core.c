/*
 * beta_core.c: the Beta distribution's CDF (the regularized incomplete beta function,
 * by its continued fraction evaluated with the modified Lentz method) and its quantile
 * (bisection on the CDF, which is monotone, so it cannot fail to converge).
 */
#include <math.h>

#include "beta_core.h"
#include "gamma_core.h"

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

/* lgamma(x) less Stirling's ((x - 0.5) log x - x + log sqrt(2 pi)), for x >= 10: its series */
static double
StirlingRest(double x)
{
	double		r = 1.0 / (x * x);

	return (1.0 / 12 - r * (1.0 / 360 - r * (1.0 / 1260 - r * (1.0 / 1680 - r * (1.0 / 1188 - r * (691.0 / 360360 - r / 156)))))) / x;
}

/*
 * log B(a, b).  lgamma(a + b) - lgamma(a) - lgamma(b) cancels to nothing when one shape is
 * huge (at b = 1e15 its error is e^2.6 in the CDF); Stirling's forms keep the large terms
 * apart, as R's lbeta does.
 */
static double
LogBeta(double a, double b)
{
	double		p = fmin(a, b),
				q = fmax(a, b);

	if (p >= 10)
		return -0.5 * log(q) + 0.918938533204672742 + StirlingRest(p) + StirlingRest(q) - StirlingRest(p + q) +
			(p - 0.5) * log(p / (p + q)) + q * log1p(-p / (p + q));
	if (q >= 10)
		return lgamma(p) + StirlingRest(q) - StirlingRest(p + q) + p - p * log(p + q) + (q - 0.5) * log1p(-p / (p + q));
	return lgamma(p) + lgamma(q) - lgamma(p + q);
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
	front = exp(a * log(x) + b * log1p(-x) - LogBeta(a, b));
	if (x < (a + 1.0) / (a + b + 2.0))
		return front * BetaFraction(x, a, b) / a;
	/* the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) keeps the fraction where it converges fast */
	return 1.0 - front * BetaFraction(1.0 - x, b, a) / b;
}

/* The standard normal quantile (Acklam's rational approximation, refined by one Halley step). */
static double
NormalQuantile(double p)
{
	static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
	1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
	6.680131188771972e+01, -1.328068155288572e+01};
	static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
	-2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
	static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
	3.754408661907416e+00};
	double		q,
				r,
				x,
				e;

	if (p < 0.02425)
	{
		q = sqrt(-2 * log(p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
			((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	else if (p > 1 - 0.02425)
	{
		q = sqrt(-2 * log1p(-p));
		x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
			((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	else
	{
		q = p - 0.5;
		r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
			(((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
	}
	e = 0.5 * erfc(-x / sqrt(2)) - p;
	r = e * 2.5066282746310002 * exp(x * x / 2);	/* sqrt(2 pi) */
	return x - r / (1 + x * r / 2);
}

/* The quantile p of Gamma(a, 1): bisection on the regularized upper tail. */
static double
GammaQuantile(double p, double a)
{
	double		lo = 0.0,
				hi = a + 60.0 * sqrt(a) + 100.0;

	for (int i = 0; i < 200 && hi - lo > 1e-14 * hi; i++)
	{
		double		mid = 0.5 * (lo + hi);

		if (1.0 - gamma_q(a, mid) < p)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
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

	/*
	 * With both shapes past a million the continued fraction needs more steps than it is
	 * given near the mean (it stopped short past some 4e8 inspections), while the shape is
	 * normal to within its skewness, O(1/sqrt(a)): the normal quantile with Cornish-Fisher's
	 * skewness term leaves an error of order sigma / a, below 1e-9 here.
	 */
	/*
	 * One shape past 1e12 and the other at most a million: the continued fraction cancels
	 * to a few digits there, while X = G / (G + H), G ~ Gamma(a) and H ~ Gamma(b) with H
	 * within a millionth of b: X is G / (G + b).
	 */
	if (fmax(a, b) > 1e12 && fmin(a, b) <= 1e6)
	{
		double		g = a < b ? GammaQuantile(p, a) : GammaQuantile(1.0 - p, b);

		return a < b ? g / (g + b) : a / (a + g);
	}
	if (a > 1e6 && b > 1e6)
	{
		double		n = a + b,
					mean = a / n,
					sd = sqrt(a / n * (b / n) / (n + 1)),
					skew = 2 * (b - a) * sqrt(n + 1) / ((n + 2) * sqrt(a) * sqrt(b)),
					z = NormalQuantile(p),
					x = mean + sd * (z + skew * (z * z - 1) / 6);

		return fmin(fmax(x, 0.0), 1.0);
	}
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
