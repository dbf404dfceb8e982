/*
 * gamma_core.c: the regularized incomplete gamma function, by its power series below
 * x = a + 1 and by its continued fraction (modified Lentz) above, where each converges
 * fast, and past a = 1e5 by Wilson and Hilferty's normal approximation; the chi-square
 * upper tail is Q(df / 2, x / 2).
 */
#include <math.h>

#include "gamma_core.h"

#define G_MAX_ITER 100000			/* some sqrt(a) terms near x = a: 1,000 fell short past a = 1e5 */
#define G_EPS 1e-16
#define G_TINY 1e-300

/* P(a, x) by its series: e^-x x^a / Gamma(a + 1) * sum x^n / ((a + 1) ... (a + n)). */
static double
GammaSeriesP(double a, double x)
{
	double		term = 1.0 / a,
				sum = term;

	for (int n = 1; n <= G_MAX_ITER; n++)
	{
		term *= x / (a + n);
		sum += term;
		if (fabs(term) < fabs(sum) * G_EPS)
			break;
	}
	return sum * exp(-x + a * log(x) - lgamma(a));
}

/* Q(a, x) by its continued fraction e^-x x^a / Gamma(a) * 1 / (x + 1 - a - 1 (1 - a) / (x + 3 - a - ...)). */
static double
GammaFractionQ(double a, double x)
{
	double		b = x + 1.0 - a,
				c = 1.0 / G_TINY,
				d = 1.0 / b,
				f = d;

	for (int n = 1; n <= G_MAX_ITER; n++)
	{
		double		an = -n * (n - a),
					delta;

		b += 2.0;
		d = an * d + b;
		if (fabs(d) < G_TINY)
			d = G_TINY;
		c = b + an / c;
		if (fabs(c) < G_TINY)
			c = G_TINY;
		d = 1.0 / d;
		delta = d * c;
		f *= delta;
		if (fabs(delta - 1.0) < G_EPS)
			break;
	}
	return f * exp(-x + a * log(x) - lgamma(a));
}

double
gamma_q(double a, double x)
{
	double		q;

	if (isnan(a) || isnan(x) || a <= 0.0)
		return NAN;
	if (x <= 0.0)
		return 1.0;
	if (isinf(x))
		return 0.0;
	if (a > 1e5)
	{
		/*
		 * Wilson and Hilferty: (X / a)^(1/3) is normal to within O(1/a), past where the series
		 * and the fraction take too many steps and lgamma(a) too many digits
		 */
		double		z = (cbrt(x / a) - (1.0 - 1.0 / (9.0 * a))) * 3.0 * sqrt(a);

		return 0.5 * erfc(z / sqrt(2.0));
	}
	q = x < a + 1.0 ? 1.0 - GammaSeriesP(a, x) : GammaFractionQ(a, x);
	return fmin(fmax(q, 0.0), 1.0);		/* a probability, whatever the last digits did */
}

double
chi_square_upper(double x, double df)
{
	if (isnan(x) || isnan(df) || df <= 0.0)
		return NAN;
	if (x <= 0.0)
		return 1.0;
	return gamma_q(df / 2.0, x / 2.0);
}
