/*
 * model_input.c: read a column of any type as a model input, a number or a category.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/timestamp.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "model_input.h"
#include "numeric_double.h"

bool
ModelTypeIsNumber(Oid type)
{
	switch (type)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
		case BOOLOID:
			return true;
		default:
			return false;
	}
}

bool
ModelTypeIsTime(Oid type)
{
	return type == DATEOID || type == TIMESTAMPOID || type == TIMESTAMPTZOID;
}

void
ModelInputInit(ModelInput *in, Oid type, MemoryContext mcxt)
{
	Oid			base = getBaseType(type);	/* a domain reads as its base type */
	Oid			outfn;
	bool		varlena;

	memset(in, 0, sizeof(*in));
	in->type = type;
	/* every kind may be read as a category (a number the model treats as a code) */
	getTypeOutputInfo(type, &outfn, &varlena);
	fmgr_info_cxt(outfn, &in->out, mcxt);
	switch (base)
	{
		case INT2OID:
			in->kind = MI_INT2;
			break;
		case INT4OID:
			in->kind = MI_INT4;
			break;
		case INT8OID:
			in->kind = MI_INT8;
			break;
		case FLOAT4OID:
			in->kind = MI_FLOAT4;
			break;
		case FLOAT8OID:
			in->kind = MI_FLOAT8;
			break;
		case NUMERICOID:
			in->kind = MI_NUMERIC;
			break;
		case BOOLOID:
			in->kind = MI_BOOL;
			break;
		case TEXTOID:
		case VARCHAROID:
			in->kind = MI_TEXT;
			break;
		case DATEOID:
			in->kind = MI_DATE;
			break;
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			in->kind = MI_TIMESTAMP;
			break;
		case BPCHAROID:
			in->kind = MI_BPCHAR;
			break;
		default:
			in->kind = MI_OTHER;
			in->is_enum = type_is_enum(base);
	}
}

double
ModelInputNumber(ModelInput *in, Datum d, const char *column)
{
	double		v;

	switch (in->kind)
	{
		case MI_INT2:
			return DatumGetInt16(d);
		case MI_INT4:
			return DatumGetInt32(d);
		case MI_INT8:
			return (double) DatumGetInt64(d);
		case MI_BOOL:
			return DatumGetBool(d) ? 1.0 : 0.0;
		case MI_FLOAT4:
			v = DatumGetFloat4(d);
			break;
		case MI_FLOAT8:
			v = DatumGetFloat8(d);
			break;
		case MI_NUMERIC:
			v = NumericToDouble(d);
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" is a number in the model but has type %s",
							column, format_type_be(in->type))));
	}
	if (isnan(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("column \"%s\" is NaN", column),
				 errhint("Use NULL for a missing value.")));
	if (isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 in->kind == MI_NUMERIC && !numeric_is_inf(DatumGetNumeric(d))
				 ? errmsg("column \"%s\" is beyond the range of double precision, which models compute in", column)
				 : errmsg("column \"%s\" is infinite", column)));
	return v;
}

/* An enum's label, from a small cache: an enum has few labels, and enum_out costs a syscache lookup. */
static const char *
EnumLabel(ModelInput *in, Datum d)
{
	Oid			oid = DatumGetObjectId(d);
	int			slot;

	for (uint32 i = 0; i < in->nenum && i < MODEL_INPUT_ENUM_CACHE; i++)
		if (in->enum_oid[i] == oid)
			return in->enum_label[i];
	slot = in->nenum++ % MODEL_INPUT_ENUM_CACHE;
	if (in->nenum >= 2 * MODEL_INPUT_ENUM_CACHE)	/* a ring: keep the count small, all slots full */
		in->nenum -= MODEL_INPUT_ENUM_CACHE;
	if (in->enum_label[slot] != NULL)
		pfree(in->enum_label[slot]);
	in->enum_oid[slot] = oid;
	in->enum_label[slot] = MemoryContextStrdup(in->out.fn_mcxt, OutputFunctionCall(&in->out, d));
	return in->enum_label[slot];
}

ModelKeyClass
ModelInputKeyClass(const ModelInput *in)
{
	switch (in->kind)
	{
		case MI_INT2:
		case MI_INT4:
		case MI_INT8:
			return MK_INTEGER;
		case MI_FLOAT4:
			return MK_FLOAT4;
		case MI_FLOAT8:
			return MK_FLOAT;
		case MI_NUMERIC:
			return MK_NUMERIC;
		case MI_BOOL:
			return MK_BOOL;
		case MI_DATE:
			return MK_DATE;
		case MI_TIMESTAMP:
			return getBaseType(in->type) == TIMESTAMPTZOID ? MK_TIMESTAMPTZ : MK_TIMESTAMP;
		default:
			return MK_TEXT;
	}
}

const char *
ModelKeyClassName(ModelKeyClass k)
{
	static const char *const names[] = {"text", "an integer", "double precision", "numeric", "boolean", "date",
	"timestamp", "timestamptz", "real"};

	return k <= MK_LAST ? names[k] : "?";
}

const char *
ModelInputCategory(ModelInput *in, Datum d, int *len)
{
	const char *s;

	switch (in->kind)
	{
		case MI_TEXT:
		case MI_BPCHAR:
			{
				text	   *t;

				/* a short text stored inline, as codes are: no call to detoast it */
				if (in->kind == MI_TEXT && ModelInputIsInlineShort(DatumGetPointer(d)))
				{
					*len = VARSIZE_SHORT(DatumGetPointer(d)) - VARHDRSZ_SHORT;
					return VARDATA_SHORT(DatumGetPointer(d));
				}
				t = DatumGetTextPP(d);

				s = VARDATA_ANY(t);
				*len = VARSIZE_ANY_EXHDR(t);
				if (in->kind == MI_BPCHAR)
					while (*len > 0 && s[*len - 1] == ' ')
						(*len)--;
				return s;
			}
		case MI_FLOAT4:
		case MI_FLOAT8:
			/* not float8out: its digits follow extra_float_digits, and a key must not move */
			s = psprintf("%.17g", in->kind == MI_FLOAT4 ? (double) DatumGetFloat4(d) : DatumGetFloat8(d));
			*len = strlen(s);
			return s;
		case MI_DATE:
			/* the day number, not date_out's DateStyle-dependent text */
			s = psprintf("d%d", (int) DatumGetDateADT(d));
			*len = strlen(s);
			return s;
		case MI_TIMESTAMP:
			s = psprintf("t" INT64_FORMAT, (int64) DatumGetTimestamp(d));
			*len = strlen(s);
			return s;
		case MI_OTHER:
			s = in->is_enum ? EnumLabel(in, d) : OutputFunctionCall(&in->out, d);
			*len = strlen(s);
			return s;
		default:
			/* integers, numeric and bool forced to be categories: their text form, which no
			 * setting changes */
			s = OutputFunctionCall(&in->out, d);
			*len = strlen(s);
			return s;
	}
}
