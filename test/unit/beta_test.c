/*
 * beta_test.c: the Beta CDF and quantile against closed forms and their own identities.
 */
#include <math.h>
#include <stdio.h>

#include "beta_core.h"
#include "gamma_core.h"
#include "tap.h"

static int
close_to(double x, double y, double tol)
{
	return fabs(x - y) <= tol;
}

int
main(void)
{
	int			good;
	char		name[128];

	/* closed forms: Beta(1, 1) is uniform, Beta(2, 1) has CDF x^2, Beta(1, 3) has 1 - (1 - x)^3 */
	good = 1;
	for (double x = 0.0; x <= 1.0; x += 0.03125)
		good &= close_to(beta_cdf(x, 1, 1), x, 1e-12) && close_to(beta_cdf(x, 2, 1), x * x, 1e-12) &&
			close_to(beta_cdf(x, 1, 3), 1 - pow(1 - x, 3), 1e-12);
	ok(good, "CDF equals the closed forms of Beta(1,1), Beta(2,1), Beta(1,3)");

	good = 1;
	for (double p = 0.01; p < 1.0; p += 0.01)
		good &= close_to(beta_quantile(p, 1, 1), p, 1e-11) && close_to(beta_quantile(p, 2, 1), sqrt(p), 1e-11) &&
			close_to(beta_quantile(p, 1, 3), 1 - cbrt(1 - p), 1e-11);
	ok(good, "quantile equals the closed forms");

	/* symmetric shapes have their median at 1/2; I_x(a, b) = 1 - I_{1-x}(b, a) */
	good = 1;
	for (double a = 0.5; a < 2000; a *= 3)
		good &= close_to(beta_cdf(0.5, a, a), 0.5, 1e-12) && close_to(beta_quantile(0.5, a, a), 0.5, 1e-11);
	ok(good, "Beta(a, a) has median 1/2, from a = 0.5 to 1,000");
	good = 1;
	for (double a = 0.3; a < 5000; a *= 2.7)
		for (double b = 0.4; b < 5000; b *= 3.1)
			for (double x = 0.001; x < 1; x *= 1.9)
				good &= close_to(beta_cdf(x, a, b), 1 - beta_cdf(1 - x, b, a), 1e-12);
	ok(good, "CDF reflection identity over a grid of shapes");

	/* the quantile inverts the CDF, and both are monotone */
	good = 1;
	for (double a = 0.5; a < 3000; a *= 2.3)
		for (double b = 0.5; b < 3000; b *= 2.9)
		{
			double		prev = -1;

			for (double p = 0.0005; p < 1; p += 0.0713)
			{
				double		q = beta_quantile(p, a, b);

				good &= close_to(beta_cdf(q, a, b), p, 1e-9) && q >= prev;
				prev = q;
			}
		}
	ok(good, "CDF(quantile(p)) = p and the quantile rises with p, over a grid of shapes");

	/* a known value: Beta(3, 7), P(X <= 0.3), as a sum of binomial terms */
	{
		double		exact = 0;

		/* I_x(a, b) for integers = P(Binomial(a + b - 1, x) >= a) */
		for (int k = 3; k <= 9; k++)
		{
			double		c = tgamma(10) / (tgamma(k + 1) * tgamma(10 - k));

			exact += c * pow(0.3, k) * pow(0.7, 9 - k);
		}
		snprintf(name, sizeof(name), "Beta(3,7) CDF at 0.3 equals the binomial sum %.7f", exact);
		ok(close_to(beta_cdf(0.3, 3, 7), exact, 1e-13), name);
	}

	/* edges */
	ok(beta_cdf(0, 2, 3) == 0 && beta_cdf(1, 2, 3) == 1 && beta_cdf(-1, 2, 3) == 0 && beta_cdf(2, 2, 3) == 1,
	   "CDF is 0 at and below 0, 1 at and above 1");
	ok(beta_quantile(0, 2, 3) == 0 && beta_quantile(1, 2, 3) == 1, "quantile of 0 is 0, of 1 is 1");
	/* evidence far from the prior: 1 hit in 1,000,000, and 999,999 in 1,000,000 */
	ok(beta_quantile(0.975, 2, 1000000) < 1e-5 && beta_quantile(0.025, 1000000, 2) > 1 - 1e-5,
	   "tight intervals near 0 and 1 with a million observations");
	{
		/* both shapes past a million: the normal approximation with its skewness term, against
		 * the continued fraction (which this checks the approximation by, not the other way) */
		const double shapes[][2] = {{2e6, 2e6}, {1.5e6, 4e6}, {1.1e6, 9e6}};
		const double ps[] = {0.025, 0.5, 0.975};
		int			good = 1;

		for (int i = 0; i < 3; i++)
			for (int j = 0; j < 3; j++)
				good &= fabs(beta_cdf(beta_quantile(ps[j], shapes[i][0], shapes[i][1]), shapes[i][0], shapes[i][1]) - ps[j]) < 1e-6;
		ok(good, "large shapes: CDF(quantile(p)) = p within 1e-6, where both are computed");
	}
	{
		/* 5e8 / 5e8: past where the continued fraction converges; the interval must hold the mean */
		double		lo = beta_quantile(0.025, 5e8, 5e8),
					hi = beta_quantile(0.975, 5e8, 5e8),
					sd = sqrt(0.25 / (1e9 + 1));

		ok(beta_quantile(0.5, 5e8, 5e8) == 0.5 && close_to(0.5 - lo, 1.959963984540054 * sd, 1e-6 * sd) &&
		   close_to(hi - 0.5, 1.959963984540054 * sd, 1e-6 * sd),
		   "Beta(5e8, 5e8): median 1/2 and a 95% interval of 1.96 standard deviations each side");
	}
	{
		/* Beta(10, 1e15): b X is Gamma(10) to within 1e-14; lgamma's cancellation had put the
		 * whole 95% interval above the mean */
		const double ps[] = {0.025, 0.5, 0.975};
		int			good = 1;

		for (int j = 0; j < 3; j++)
			good &= close_to(gamma_q(10, beta_quantile(ps[j], 10, 1e15) * 1e15), 1 - ps[j], 1e-9);
		ok(good, "Beta(10, 1e15): quantiles are Gamma(10)'s scaled by 1/b");
		ok(fabs(beta_cdf(17.0848 / 1e15, 10, 1e12 * 1000) - 0.975) < 0.02 &&
		   close_to(beta_cdf(9.66871461471 / 1e12, 10, 1e12), 1 - gamma_q(10, 9.66871461471), 1e-4),
		   "the CDF with one huge shape: log B(a, b) without lgamma's cancellation");
	}
	return done_testing();
}
