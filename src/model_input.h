/*
 * model_input.h: read one column of a training or scored row as a model input, a
 * number or a category.  Training and scoring share this, so a category is spelt the
 * same way in both (its text form) whatever the column's type in each query.
 */
#ifndef CUSTOMS_RISK_MODEL_INPUT_H
#define CUSTOMS_RISK_MODEL_INPUT_H

#include "postgres.h"

#include "fmgr.h"

#define MODEL_INPUT_ENUM_CACHE 16

typedef enum ModelInputKind
{
	MI_INT2, MI_INT4, MI_INT8, MI_FLOAT4, MI_FLOAT8, MI_NUMERIC, MI_BOOL,	/* numbers */
	MI_TEXT,					/* text, varchar: the bytes as they are */
	MI_BPCHAR,					/* char(n): without its padding */
	MI_DATE,					/* dates and timestamps made categorical: keys that no */
	MI_TIMESTAMP,				/* DateStyle or TimeZone setting changes */
	MI_OTHER					/* anything else: its output function (enums cached) */
} ModelInputKind;

typedef struct ModelInput
{
	Oid			type;
	ModelInputKind kind;
	bool		is_enum;
	FmgrInfo	out;			/* MI_OTHER */
	uint32		nenum;			/* enum labels seen, newest replacing the oldest */
	Oid			enum_oid[MODEL_INPUT_ENUM_CACHE];
	char	   *enum_label[MODEL_INPUT_ENUM_CACHE];
} ModelInput;

/*
 * How a category's key is spelt, which a scored column's type must share with the column the
 * model was trained on: integer 0 and numeric 0.0, or the boolean true, would otherwise be
 * keys the model never saw, and score silently as unseen.  Texts, enums and other types are
 * keyed by their text, so they mix.  Stored in models: values never change.
 */
typedef enum ModelKeyClass
{
	MK_TEXT = 0,
	MK_INTEGER = 1,
	MK_FLOAT = 2,
	MK_NUMERIC = 3,
	MK_BOOL = 4,
	MK_DATE = 5,
	MK_TIMESTAMP = 6,
	MK_TIMESTAMPTZ = 7,
	MK_FLOAT4 = 8				/* real's %.17g is not double's for the same decimal */
} ModelKeyClass;

#define MK_LAST MK_FLOAT4

/* The key class of columns read by in, and its name for messages. */
extern ModelKeyClass ModelInputKeyClass(const ModelInput *in);
extern const char *ModelKeyClassName(ModelKeyClass k);

/* True when a column of this type is read as a number (integers, floats, numeric, bool). */
extern bool ModelTypeIsNumber(Oid type);

/* True for date and timestamp types: they bound the training window and are not features. */
extern bool ModelTypeIsTime(Oid type);

/* Prepare to read columns of type `type`; lookups are kept in mcxt. */
extern void ModelInputInit(ModelInput *in, Oid type, MemoryContext mcxt);

/*
 * The value as a double; NaN and infinities are errors naming the column, since a
 * model cannot rank them and must not score them silently.
 */
extern double ModelInputNumber(ModelInput *in, Datum d, const char *column);

/*
 * Whether a varlena is a short one stored inline (a code, typically), read without a call
 * to detoast it.  VARATT_IS_SHORT alone is true of a TOAST pointer too.
 */
static inline bool
ModelInputIsInlineShort(Pointer p)
{
	return VARATT_IS_SHORT(p) && !VARATT_IS_EXTERNAL(p);
}

/* The value's category key: its text form (not terminated); valid until the next call. */
extern const char *ModelInputCategory(ModelInput *in, Datum d, int *len);

#endif							/* CUSTOMS_RISK_MODEL_INPUT_H */
