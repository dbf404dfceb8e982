/*
 * gamma_core.h: the regularized incomplete gamma function and the chi-square upper tail,
 * for the p-values of the harmonisation test.  Pure C (libm only), unit tested on its own
 * (test/unit/gamma_test.c).
 */
#ifndef GAMMA_CORE_H
#define GAMMA_CORE_H

/* Q(a, x) = Gamma(a, x) / Gamma(a), the upper regularized incomplete gamma, a > 0, x >= 0. */
extern double gamma_q(double a, double x);

/* P(X >= x) for X ~ chi-square with df > 0 degrees of freedom: Q(df / 2, x / 2); 1 for x <= 0. */
extern double chi_square_upper(double x, double df);

#endif							/* GAMMA_CORE_H */
