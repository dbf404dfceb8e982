/*
 * normal_core.h: the standard normal distribution's quantile (inverse CDF), for Wilson
 * confidence intervals of hit rates.  Pure C (libm only).
 */
#ifndef NORMAL_CORE_H
#define NORMAL_CORE_H

/*
 * The p-quantile of N(0, 1): the z with Phi(z) = p, to a relative error near 1e-15.
 * p <= 0 gives -infinity, p >= 1 +infinity, NaN gives NaN.
 */
extern double normal_quantile(double p);

#endif							/* NORMAL_CORE_H */
