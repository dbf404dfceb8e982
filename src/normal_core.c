/*
 * normal_core.c: the standard normal quantile by Acklam's rational approximations
 * (relative error below 1.15e-9), refined by one step of Halley's method on
 * Phi(z) = p with Phi from erfc, which brings it to about 1e-15.
 *
 * The lower half is computed directly and the upper half by symmetry,
 * z(p) = -z(1 - p): 1 - p is exact for p >= 0.5, and Phi(z) = erfc(-z / sqrt 2) / 2 is
 * accurate in the lower tail, so the refinement step does not lose digits to cancellation.
 */
#include <math.h>

#include "normal_core.h"

#define SQRT_2PI 2.50662827463100050242
#define SQRT_2 1.41421356237309504880
#define P_LOW 0.02425

/* central region, |p - 0.5| <= 0.5 - P_LOW */
static const double A[6] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
static const double B[5] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
6.680131188771972e+01, -1.328068155288572e+01};

/* lower tail, p < P_LOW */
static const double C[6] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
-2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
static const double D[4] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
3.754408661907416e+00};

/* Acklam's approximation for 0 < p <= 0.5. */
static double
AcklamLower(double p)
{
	double		q,
				r;

	if (p < P_LOW)
	{
		q = sqrt(-2.0 * log(p));
		return (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) /
			((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0);
	}
	q = p - 0.5;
	r = q * q;
	return (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q /
		(((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0);
}

double
normal_quantile(double p)
{
	double		z,
				e,
				u;

	if (isnan(p))
		return p;
	if (p <= 0.0)
		return -INFINITY;
	if (p >= 1.0)
		return INFINITY;
	if (p > 0.5)
		return -normal_quantile(1.0 - p);
	z = AcklamLower(p);
	/*
	 * one Halley step: e = Phi(z) - p, u = e / phi(z).  Near the centre Phi(z) - p is
	 * taken as erf(z / sqrt 2) / 2 - (p - 0.5), where p - 0.5 is exact, to keep its digits.
	 */
	if (p >= P_LOW)
		e = 0.5 * erf(z / SQRT_2) - (p - 0.5);
	else
		e = 0.5 * erfc(-z / SQRT_2) - p;
	u = e * SQRT_2PI * exp(z * z / 2.0);
	z = z - u / (1.0 + z * u / 2.0);
	return z;
}
