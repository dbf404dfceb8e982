/*
 * control_chart_core.c: EWMA and tabular CUSUM charts and their robust baseline.  Every
 * step is a fixed sequence of IEEE operations (no pow: (1 - lambda)^(2t) is a running
 * product), so a chart is the same however often it is computed.
 */
#include <math.h>
#include <stdlib.h>

#include "control_chart_core.h"

/* Ascending doubles, for qsort. */
static int
CompareDoubles(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

/* The median of w[0 .. m-1], m >= 1, which it sorts. */
static double
SortedMedian(double *w, int m)
{
	qsort(w, m, sizeof(double), CompareDoubles);
	if (m % 2 == 1)
		return w[m / 2];
	/* halves first: the sum of two large values must not overflow */
	return 0.5 * w[m / 2 - 1] + 0.5 * w[m / 2];
}

/* The robust baseline: see control_chart_core.h. */
int
cc_baseline(const double *x, int m, double *work, double *mean, double *sigma)
{
	double		med,
				s,
				floor_;

	for (int i = 0; i < m; i++)
		work[i] = x[i];
	med = SortedMedian(work, m);
	for (int i = 0; i < m; i++)
		work[i] = fabs(x[i] - med);
	s = CC_MAD_SCALE * SortedMedian(work, m);
	if (s == 0)
	{
		double		sum = 0;

		/* work is sorted: add the smallest first */
		for (int i = 0; i < m; i++)
			sum += work[i];
		s = CC_MEANAD_SCALE * (sum / m);
	}
	floor_ = CC_SIGMA_FLOOR * (fabs(med) > 1 ? fabs(med) : 1);
	if (!(s >= floor_))
		s = floor_;
	*mean = med;
	*sigma = s;
	return isfinite(s) ? CC_OK : CC_OVERFLOW;
}

/* The alert of a statistic against its limits: +1 above, -1 below, 0 within. */
static int
AlertOf(double statistic, double lower, double upper)
{
	return statistic > upper ? 1 : statistic < lower ? -1 : 0;
}

/* The EWMA chart: see control_chart_core.h. */
int
cc_ewma(const double *x, int n, double mean, double sigma, double lambda, double limit, CcPoint *out)
{
	double		z = mean,
				decay2 = (1 - lambda) * (1 - lambda),
				power = 1,		/* (1 - lambda)^(2t) */
				c = lambda / (2 - lambda);

	for (int t = 0; t < n; t++)
	{
		double		half;

		/* the same as lambda x + (1 - lambda) z, and exact when x = z or lambda = 1 */
		z = lambda == 1 ? x[t] : z + lambda * (x[t] - z);
		power *= decay2;
		half = limit * sigma * sqrt(c * (1 - power));
		out[t].statistic = z;
		out[t].lower = mean - half;
		out[t].upper = mean + half;
		if (!isfinite(z) || !isfinite(out[t].lower) || !isfinite(out[t].upper))
			return CC_OVERFLOW;
		out[t].alert = AlertOf(z, out[t].lower, out[t].upper);
	}
	return CC_OK;
}

/* The two-sided tabular CUSUM: see control_chart_core.h. */
int
cc_cusum(const double *x, int n, double mean, double sigma, double k, double h, CcPoint *out)
{
	double		sp = 0,
				sm = 0;

	for (int t = 0; t < n; t++)
	{
		double		u = (x[t] - mean) / sigma;

		if (!isfinite(u))
			return CC_OVERFLOW;
		sp = fmax(0, sp + u - k);
		sm = fmax(0, sm - u - k);
		if (!isfinite(sp) || !isfinite(sm))
			return CC_OVERFLOW;
		out[t].statistic = sp >= sm ? sp : -sm;
		out[t].lower = -h;
		out[t].upper = h;
		out[t].alert = AlertOf(out[t].statistic, -h, h);
	}
	return CC_OK;
}
