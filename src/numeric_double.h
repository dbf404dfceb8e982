/*
 * numeric_double.h: numeric to double precision, fast and correctly rounded.
 */
#ifndef CUSTOMS_RISK_NUMERIC_DOUBLE_H
#define CUSTOMS_RISK_NUMERIC_DOUBLE_H

#include "postgres.h"

/* The double nearest the numeric's value (the same as numeric_float8_no_overflow). */
extern double NumericToDouble(Datum d);

#endif							/* CUSTOMS_RISK_NUMERIC_DOUBLE_H */
