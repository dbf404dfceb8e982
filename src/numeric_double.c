/*
 * numeric_double.c: numeric to double precision without going through text, and the
 * line view's derived values (unit value, duty) computed with it.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"

#include "numeric_double.h"

/*
 * numeric to double without going through text, exact where it is cheap: the digits
 * (base 10000) are gathered into an integer below 2^53 and scaled by one power of ten up
 * to 10^22, both exact in a double, so the one multiplication or division is correctly
 * rounded, the same double strtod gives the decimal text (Clinger's fast path).  Other
 * values (more digits, NaN, infinities) go the slow way.  Reads the on-disk layout of
 * numeric (numeric.c), which pg_upgrade keeps stable.
 */
#define NUM_SIGN_MASK	0xC000
#define NUM_NEG			0x4000
#define NUM_SHORT		0x8000
#define NUM_SPECIAL		0xC000
#define NUM_SHORT_SIGN	0x2000
#define NUM_SHORT_WSIGN	0x0040
#define NUM_SHORT_WMASK	0x003F

static inline uint16
ReadU16(const char *p)
{
	uint16		x;

	memcpy(&x, p, sizeof(x));
	return x;
}

double
NumericToDouble(Datum d)
{
	static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
	struct varlena *v = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(d));
	const char *p = VARDATA_ANY(v);
	int			len = VARSIZE_ANY_EXHDR(v);
	uint16		header;
	bool		neg;
	int			weight,
				ndigits,
				exp10;
	uint64		mant = 0;
	double		x;

	if (len < (int) sizeof(uint16))
		goto slow;
	header = ReadU16(p);
	if ((header & NUM_SIGN_MASK) == NUM_SPECIAL)
		goto slow;
	if ((header & NUM_SIGN_MASK) == NUM_SHORT)
	{
		neg = (header & NUM_SHORT_SIGN) != 0;
		weight = (header & NUM_SHORT_WSIGN) ? (int) (~NUM_SHORT_WMASK | (header & NUM_SHORT_WMASK))
			: (int) (header & NUM_SHORT_WMASK);
		p += sizeof(uint16);
		len -= sizeof(uint16);
	}
	else
	{
		if (len < (int) (2 * sizeof(uint16)))
			goto slow;
		neg = (header & NUM_SIGN_MASK) == NUM_NEG;
		weight = (int16) ReadU16(p + sizeof(uint16));
		p += 2 * sizeof(uint16);
		len -= 2 * sizeof(uint16);
	}
	ndigits = len / (int) sizeof(int16);
	if (ndigits == 0)
		return 0.0;
	for (int i = 0; i < ndigits; i++)
	{
		uint16		digit = ReadU16(p + i * sizeof(int16));

		if (digit > 9999 || mant > ((UINT64CONST(1) << 53) - 9999) / 10000)
			goto slow;
		mant = mant * 10000 + digit;
	}
	exp10 = 4 * (weight - ndigits + 1);
	if (exp10 >= 0 && exp10 <= 22)
		x = (double) mant * pow10[exp10];
	else if (exp10 < 0 && exp10 >= -22)
		x = (double) mant / pow10[-exp10];
	else
		goto slow;
	return neg ? -x : x;

slow:
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, d));
}

/*
 * The double of a numeric expression, the slow way: for the rare operands a double cannot
 * hold (beyond 1e308, or so small they would round to 0), so that those still give what
 * numeric arithmetic gives (or its error), never a silent Infinity or a lost value.
 */
static double
NumericResult(Datum result)
{
	return DatumGetFloat8(DirectFunctionCall1(numeric_float8, result));
}

/* The numeric's sign (-1, 0, 1), compared the numeric way with a zero made once. */
static int
NumericSign(Datum d)
{
	static Datum zero = (Datum) 0;

	if (zero == (Datum) 0)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		zero = DirectFunctionCall1(int4_numeric, Int32GetDatum(0));
		MemoryContextSwitchTo(old);
	}
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, d, zero));
}

/* Can both operands and the result be trusted as doubles (no overflow, no underflow to 0)? */
static bool
DoublesHold(double a, Datum an, double b, Datum bn, double result)
{
	return isfinite(result) && isfinite(a) && isfinite(b) &&
		(a != 0 || NumericSign(an) == 0) && (b != 0 || NumericSign(bn) == 0);
}

PG_FUNCTION_INFO_V1(unit_value_of);
/*
 * unit_value_of(value, net_mass) → value / net_mass in double precision (from the doubles
 * nearest each operand, so it may differ from numeric division in the last bit); NULL when
 * the mass is not positive.
 */
Datum
unit_value_of(PG_FUNCTION_ARGS)
{
	Datum		vn = PG_GETARG_DATUM(0),
				mn = PG_GETARG_DATUM(1);
	double		value = NumericToDouble(vn);
	double		mass = NumericToDouble(mn);
	double		result;

	if (!(mass > 0) && NumericSign(mn) <= 0)
		PG_RETURN_NULL();
	result = value / mass;
	if (!DoublesHold(value, vn, mass, mn, result) || (result == 0 && value != 0))
		result = NumericResult(DirectFunctionCall2(numeric_div, vn, mn));
	PG_RETURN_FLOAT8(result);
}

PG_FUNCTION_INFO_V1(duty_of);
/* duty_of(value, tax_rate) → value × rate / 100 in double precision. */
Datum
duty_of(PG_FUNCTION_ARGS)
{
	Datum		vn = PG_GETARG_DATUM(0),
				rn = PG_GETARG_DATUM(1);
	double		value = NumericToDouble(vn);
	double		rate = NumericToDouble(rn);
	double		result = value * rate / 100;

	if (!DoublesHold(value, vn, rate, rn, result) || (result == 0 && value != 0 && rate != 0))
		result = NumericResult(DirectFunctionCall2(numeric_div, DirectFunctionCall2(numeric_mul, vn, rn),
												   DirectFunctionCall1(int4_numeric, Int32GetDatum(100))));
	PG_RETURN_FLOAT8(result);
}
