/*
 * control_chart_test.c: the robust baseline, EWMA and CUSUM charts against hand-computed
 * values, closed forms, and the published average run lengths of both charts.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "control_chart_core.h"
#include "tap.h"

#define PI 3.14159265358979323846

static int
close_to(double x, double y, double tol)
{
	return fabs(x - y) <= tol;
}

/* splitmix64: a small deterministic generator, so every run draws the same numbers */
static uint64_t rng_state;

static double
uniform01(void)
{
	uint64_t	z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return ((double) (z >> 11) + 0.5) / 9007199254740992.0;
}

/* A standard normal draw (Box-Muller). */
static double
gaussian(void)
{
	double		u = uniform01(),
				v = uniform01();

	return sqrt(-2 * log(u)) * cos(2 * PI * v);
}

/*
 * The mean run length, over runs independent series of N(shift, 1) charted with the known
 * baseline mean 0 and sigma 1, until the first alert: the chart's average run length.  The
 * CUSUM uses its own alerts; the EWMA is held to its asymptotic limits
 * -+ L sqrt(lambda / (2 - lambda)), as published run lengths assume.
 */
static double
mean_run_length(int ewma, double a, double b, double shift, int runs)
{
	enum
	{
		CHUNK = 256, MAXLEN = 100000
	};
	static double series[MAXLEN];
	static CcPoint out[MAXLEN];
	double		limit = ewma ? b * sqrt(a / (2 - a)) : 0;
	double		total = 0;

	rng_state = 12345;
	for (int r = 0; r < runs; r++)
	{
		int			t = 0,
					found = 0;

		/* a chart restarts at t = 1 on every call, so the run so far is charted whole */
		while (!found && t + CHUNK <= MAXLEN)
		{
			for (int i = 0; i < CHUNK; i++)
				series[t + i] = gaussian() + shift;
			t += CHUNK;
			if (ewma)
				cc_ewma(series, t, 0, 1, a, b, out);
			else
				cc_cusum(series, t, 0, 1, a, b, out);
			for (int i = t - CHUNK; i < t && !found; i++)
				if (ewma ? fabs(out[i].statistic) > limit : out[i].alert != 0)
				{
					total += i + 1;
					found = 1;
				}
		}
	}
	return total / runs;
}

int
main(void)
{
	double		work[64],
				mean,
				sigma;
	CcPoint		out[64];
	char		name[160];
	int			good;

	/* the baseline: median, 1.4826 MAD */
	{
		double		odd[] = {3, 1, 2};
		double		even[] = {10, 4, 1, 7};

		ok(cc_baseline(odd, 3, work, &mean, &sigma) == CC_OK && mean == 2 && close_to(sigma, 1.4826, 1e-15),
		   "baseline of {3, 1, 2}: median 2, sigma 1.4826 x MAD 1");
		/* median (4 + 7) / 2 = 5.5; deviations 4.5 1.5 4.5 1.5: MAD 3 */
		ok(cc_baseline(even, 4, work, &mean, &sigma) == CC_OK && mean == 5.5 && close_to(sigma, 3 * 1.4826, 1e-14),
		   "baseline of {10, 4, 1, 7}: median 5.5, sigma 1.4826 x 3");
		ok(odd[0] == 3 && odd[1] == 1 && even[0] == 10, "the baseline leaves its input alone");
	}
	/* MAD 0: the mean absolute deviation; all equal: the floor */
	{
		double		sparse[] = {0, 0, 1, 0, 2, 0};
		double		constant[] = {5, 5, 5, 5};
		double		zeros[] = {0, 0, 0};
		double		big[] = {-2e9, -2e9, -2e9};

		ok(cc_baseline(sparse, 6, work, &mean, &sigma) == CC_OK && mean == 0 && close_to(sigma, 1.2533 * 3 / 6, 1e-15),
		   "mostly zero: MAD 0, so sigma is 1.2533 x the mean absolute deviation 0.5");
		ok(cc_baseline(constant, 4, work, &mean, &sigma) == CC_OK && mean == 5 && sigma == 5 * CC_SIGMA_FLOOR,
		   "a constant baseline: sigma is the floor, 1e-9 x |median|");
		ok(cc_baseline(zeros, 3, work, &mean, &sigma) == CC_OK && mean == 0 && sigma == CC_SIGMA_FLOOR,
		   "a zero baseline: sigma is the floor, 1e-9");
		ok(cc_baseline(big, 3, work, &mean, &sigma) == CC_OK && mean == -2e9 && sigma == 2e9 * CC_SIGMA_FLOOR,
		   "a constant negative baseline: the floor scales with |median|");
	}

	/*
	 * EWMA by hand: mean 2, sigma 1.4826, lambda 0.2, L 3 on 4, 5, 6:
	 * z = 2.4, 2.92, 3.536; half-widths 3 sigma sqrt(0.2 / 1.8 (1 - 0.8^(2t))) = 0.88956,
	 * 1.139192639..., 1.273531825...
	 */
	{
		double		x[] = {4, 5, 6};

		ok(cc_ewma(x, 3, 2, 1.4826, 0.2, 3, out) == CC_OK, "EWMA runs");
		ok(close_to(out[0].statistic, 2.4, 1e-15) && close_to(out[1].statistic, 2.92, 1e-15) &&
		   close_to(out[2].statistic, 3.536, 1e-15), "EWMA statistics 2.4, 2.92, 3.536");
		ok(close_to(out[0].upper - 2, 0.88956, 1e-14) && close_to(2 - out[0].lower, 0.88956, 1e-14) &&
		   close_to(out[1].upper - 2, 4.4478 * sqrt((1 - pow(0.8, 4)) / 9), 1e-14) &&
		   close_to(out[2].upper - 2, 4.4478 * sqrt((1 - pow(0.8, 6)) / 9), 1e-14),
		   "EWMA limits 2 -+ 3 sigma sqrt(lambda / (2 - lambda) (1 - (1 - lambda)^(2t)))");
		ok(out[0].alert == 0 && out[1].alert == 0 && out[2].alert == 1, "EWMA alerts up on the third point only");
	}
	/* the limits widen to the asymptote L sigma sqrt(lambda / (2 - lambda)) */
	{
		double		x[64] = {0};

		cc_ewma(x, 64, 10, 2, 0.1, 2.5, out);
		good = 1;
		for (int t = 1; t < 64; t++)
			good &= out[t].upper > out[t - 1].upper && out[t].upper < 10 + 2.5 * 2 * sqrt(0.1 / 1.9);
		ok(good && close_to(out[63].upper, 10 + 2.5 * 2 * sqrt(0.1 / 1.9), 1e-3),
		   "EWMA limits widen towards L sigma sqrt(lambda / (2 - lambda))");
		ok(out[0].alert == -1 && out[0].statistic == 9, "a drop from 10 to 0 with lambda 0.1: z = 9, down");
	}
	/* lambda 1 is a Shewhart chart: the statistic is the value, the limits mean -+ L sigma */
	{
		double		x[] = {1.5, 4.25, -2.5, 13};

		cc_ewma(x, 4, 1, 4, 1, 3, out);
		good = 1;
		for (int t = 0; t < 4; t++)
			good &= out[t].statistic == x[t] && out[t].lower == -11 && out[t].upper == 13;
		ok(good && out[3].alert == 0, "lambda 1: statistic = value, limits mean -+ 3 sigma, the limit itself in control");
	}
	/* a constant series at a constant baseline never alerts, however small the floor sigma */
	{
		double		x[64];

		for (int t = 0; t < 64; t++)
			x[t] = 0.1;
		cc_baseline(x, 28, work, &mean, &sigma);
		cc_ewma(x + 28, 36, mean, sigma, 0.2, 3, out);
		good = 1;
		for (int t = 0; t < 36; t++)
			good &= out[t].alert == 0 && out[t].statistic == 0.1;
		cc_cusum(x + 28, 36, mean, sigma, 0.5, 5, out);
		for (int t = 0; t < 36; t++)
			good &= out[t].alert == 0 && out[t].statistic == 0;
		ok(good, "constant 0.1 after a constant baseline: no alert, EWMA stays 0.1, CUSUM 0");
		x[40] = 0.1000001;
		cc_ewma(x + 28, 36, mean, sigma, 0.2, 3, out);
		ok(out[11].alert == 0 && out[12].alert == 1, "... and a change of 1e-7 from it alerts");
	}

	/*
	 * CUSUM by hand: mean 10, sigma 2, k 0.5, h 2 on 13, 14, 6, 4, 4:
	 * u = 1.5, 2, -2, -3, -3; S+ = 1, 2.5, 0, 0, 0; S- = 0, 0, 1.5, 4, 6.5
	 */
	{
		double		x[] = {13, 14, 6, 4, 4};
		double		stat[] = {1, 2.5, -1.5, -4, -6.5};
		int			alert[] = {0, 1, 0, -1, -1};

		ok(cc_cusum(x, 5, 10, 2, 0.5, 2, out) == CC_OK, "CUSUM runs");
		good = 1;
		for (int t = 0; t < 5; t++)
			good &= out[t].statistic == stat[t] && out[t].alert == alert[t] && out[t].lower == -2 && out[t].upper == 2;
		ok(good, "CUSUM statistics 1, 2.5, -1.5, -4, -6.5; alerts up on the second, down on the last two");
	}
	/* both sides at once: the statistic is the larger, signed */
	{
		double		x[] = {10, 10, -4};

		/* u = 10, 10, -4 with k 0: S+ = 10, 20, 16; S- = 0, 0, 4 */
		cc_cusum(x, 3, 0, 1, 0, 15, out);
		ok(out[2].statistic == 16 && out[2].alert == 1, "k 0: S+ 16 beats S- 4, up");
		/* then a long drop: S+ falls by u + k, S- rises by -u - k */
		{
			double		y[] = {10, 10, -20};

			cc_cusum(y, 3, 0, 1, 0, 15, out);
			ok(out[2].statistic == 0 - 20 && out[2].alert == -1 && out[1].alert == 1,
			   "k 0: after 10, 10, -20 S+ is 0 and S- 20: down");
		}
	}
	/* overflow is reported, not returned as infinity */
	{
		double		x[] = {1e308, -1e308, 1e308};

		ok(cc_baseline(x, 3, work, &mean, &sigma) == CC_OVERFLOW, "baseline of +-1e308: overflow");
		ok(cc_cusum(x, 3, 0, 1e-300, 0.5, 5, out) == CC_OVERFLOW, "CUSUM of 1e308 with sigma 1e-300: overflow");
		ok(cc_ewma(x, 3, -1e308, 1, 0.5, 3, out) == CC_OVERFLOW, "EWMA of 1e308 from -1e308: overflow");
	}

	/*
	 * Average run lengths with known parameters against published ones: the two-sided CUSUM
	 * with k 0.5 and h 5 runs 465 points in control and 10.4 after a 1-sigma shift
	 * (Montgomery, Introduction to Statistical Quality Control, the ARL table of the tabular
	 * CUSUM); the EWMA with lambda 0.25 and L 3 (asymptotic limits) 11.154 after a 1-sigma
	 * shift (Crowder's method, as SAS's EWMAARL(1, 0.25, 3) computes it).
	 */
	{
		double		arl;

		arl = mean_run_length(0, 0.5, 5, 0, 2000);
		snprintf(name, sizeof(name), "CUSUM k 0.5 h 5 in control: average run length %.0f within 10%% of 465", arl);
		ok(close_to(arl, 465, 46.5), name);
		arl = mean_run_length(0, 0.5, 5, 1, 2000);
		snprintf(name, sizeof(name), "CUSUM after a 1-sigma shift: average run length %.2f within 5%% of 10.4", arl);
		ok(close_to(arl, 10.4, 0.52), name);
		arl = mean_run_length(1, 0.25, 3, 1, 2000);
		snprintf(name, sizeof(name), "EWMA lambda 0.25 L 3 after a 1-sigma shift: average run length %.2f within 5%% of 11.154", arl);
		ok(close_to(arl, 11.154, 0.56), name);
	}
	return done_testing();
}
