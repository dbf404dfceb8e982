/*
 * control_chart_core.h: EWMA and tabular CUSUM control charts over a series in day order,
 * with a robust baseline (median, scaled MAD) from the series' first points.  Pure C (libc
 * and libm only), unit tested on its own (test/unit/control_chart_test.c).
 */
#ifndef CONTROL_CHART_CORE_H
#define CONTROL_CHART_CORE_H

/* 1 / Phi^-1(3/4): the MAD of a normal sample times this estimates its standard deviation */
#define CC_MAD_SCALE 1.4826
/* sqrt(pi / 2): likewise for the mean absolute deviation, used when the MAD is 0 */
#define CC_MEANAD_SCALE 1.2533
/* sigma is at least this times max(|median|, 1): a constant baseline gets a tiny, positive sigma */
#define CC_SIGMA_FLOOR 1e-9

/* What the functions below return. */
#define CC_OK 0
#define CC_OVERFLOW 1			/* a statistic or limit is not finite: values too large */

/* One point of a chart: the statistic, its control limits, and the alert it raises. */
typedef struct CcPoint
{
	double		statistic;		/* EWMA: z_t in the series' units; CUSUM: S+ or -S-, in sigmas */
	double		lower;			/* the statistic is in control from lower ... */
	double		upper;			/* ... to upper, both included */
	int			alert;			/* 0 in control, +1 above upper (up), -1 below lower (down) */
} CcPoint;

/*
 * The baseline of x[0 .. m-1], m >= 1: *mean its median, *sigma 1.4826 times the median
 * absolute deviation from it; if that is 0 (more than half the values equal), 1.2533 times
 * the mean absolute deviation from the median; at least CC_SIGMA_FLOOR * max(|median|, 1).
 * work holds m doubles.  CC_OVERFLOW if the deviations are not finite.
 */
extern int	cc_baseline(const double *x, int m, double *work, double *mean, double *sigma);

/*
 * EWMA chart of x[0 .. n-1], the points after the baseline: z_0 = mean,
 * z_t = z_{t-1} + lambda (x_t - z_{t-1}) (= lambda x_t + (1 - lambda) z_{t-1}), limits
 * mean -+ limit sigma sqrt(lambda / (2 - lambda) (1 - (1 - lambda)^(2t))); 0 < lambda <= 1,
 * limit > 0, sigma > 0.  Fills out[0 .. n-1].
 */
extern int	cc_ewma(const double *x, int n, double mean, double sigma, double lambda, double limit,
					CcPoint *out);

/*
 * Two-sided tabular CUSUM of x[0 .. n-1]: u_t = (x_t - mean) / sigma,
 * S+_t = max(0, S+_{t-1} + u_t - k), S-_t = max(0, S-_{t-1} - u_t - k), S+_0 = S-_0 = 0;
 * the statistic is S+_t when S+_t >= S-_t, else -S-_t, with limits -h and h: an alert when
 * S+ or S- exceeds h, in the direction of the larger.  k >= 0, h > 0, sigma > 0.
 */
extern int	cc_cusum(const double *x, int n, double mean, double sigma, double k, double h, CcPoint *out);

#endif							/* CONTROL_CHART_CORE_H */
