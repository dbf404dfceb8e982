/*
 * beta_core.h: the Beta distribution's CDF and quantile, for credible intervals of hit
 * rates.  Pure C (libm only), unit tested on its own (test/unit/beta_test.c).
 */
#ifndef BETA_CORE_H
#define BETA_CORE_H

/* P(X <= x) for X ~ Beta(a, b), a > 0, b > 0: the regularized incomplete beta I_x(a, b). */
extern double beta_cdf(double x, double a, double b);

/* The p-quantile of Beta(a, b), 0 <= p <= 1: the x with beta_cdf(x, a, b) = p (to 1e-12). */
extern double beta_quantile(double p, double a, double b);

#endif							/* BETA_CORE_H */
