/*
 * chi_square.c: the chi-square upper tail as a SQL function, the p-value of the
 * harmonisation report's tests (extension/91_performance.sql).  The maths is in gamma_core.c.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"

#include "gamma_core.h"

/* chi_square_p(statistic, df): P(X >= statistic) for X ~ chi-square(df). */
PG_FUNCTION_INFO_V1(chi_square_p);
Datum
chi_square_p(PG_FUNCTION_ARGS)
{
	float8		x = PG_GETARG_FLOAT8(0);
	float8		df = PG_GETARG_FLOAT8(1);

	if (isnan(x) || isinf(x) || x < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("chi_square_p: the statistic must be a finite number >= 0, not %g", x)));
	if (isnan(df) || isinf(df) || df <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("chi_square_p: the degrees of freedom must be a finite number > 0, not %g", df)));
	PG_RETURN_FLOAT8(chi_square_upper(x, df));
}
