/*
 * row_reader.c: read the fields criteria use from rows of any composite type.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "port/pg_bitutils.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "hscode.h"
#include "numeric_double.h"
#include "row_reader.h"

/* How one column is read. */
enum
{
	FR_NONE, FR_HSCODE, FR_TEXT, FR_BPCHAR, FR_ENUM, FR_NUMERIC, FR_FLOAT8, FR_FLOAT4,
	FR_INT2, FR_INT4, FR_INT8, FR_DATE
};

/* The reader for a column type, for a field of the given criteria type. */
static int
ReaderFor(RowReader *rr, CrType type, Oid atttype)
{
	Oid			base = getBaseType(atttype);

	switch (type)
	{
		case CR_HS:
			return base == rr->hscode_oid ? FR_HSCODE : FR_NONE;
		case CR_CODE:
		case CR_COUNTRY:
		case CR_TRANSPORT:
			if (base == TEXTOID || base == VARCHAROID)
				return FR_TEXT;
			if (base == BPCHAROID)
				return FR_BPCHAR;
			if (type == CR_TRANSPORT && type_is_enum(base))
				return FR_ENUM;
			return FR_NONE;
		case CR_NUMBER:
			switch (base)
			{
				case NUMERICOID: return FR_NUMERIC;
				case FLOAT8OID: return FR_FLOAT8;
				case FLOAT4OID: return FR_FLOAT4;
				case INT2OID: return FR_INT2;
				case INT4OID: return FR_INT4;
				case INT8OID: return FR_INT8;
				default: return FR_NONE;
			}
		case CR_DATE:
			return base == DATEOID ? FR_DATE : FR_NONE;
	}
	return FR_NONE;
}

/* Remember the labels of an enum type, to read its values as text. */
static void
LoadEnumLabels(RowReader *rr, Oid enumtype)
{
	CatCList   *list = SearchSysCacheList1(ENUMTYPOIDNAME, ObjectIdGetDatum(enumtype));
	MemoryContext old = MemoryContextSwitchTo(rr->mcxt);
	int			base = rr->nenum;

	rr->nenum += list->n_members;
	rr->enum_oids = rr->enum_oids ? repalloc(rr->enum_oids, sizeof(Oid) * rr->nenum)
		: palloc(sizeof(Oid) * rr->nenum);
	rr->enum_labels = rr->enum_labels ? repalloc(rr->enum_labels, sizeof(char *) * rr->nenum)
		: palloc(sizeof(char *) * rr->nenum);
	rr->enum_label_lens = rr->enum_label_lens ? repalloc(rr->enum_label_lens, sizeof(int) * rr->nenum)
		: palloc(sizeof(int) * rr->nenum);
	for (int i = 0; i < list->n_members; i++)
	{
		Form_pg_enum en = (Form_pg_enum) GETSTRUCT(&list->members[i]->tuple);

		rr->enum_oids[base + i] = en->oid;
		rr->enum_labels[base + i] = pstrdup(NameStr(en->enumlabel));
		rr->enum_label_lens[base + i] = (int) strlen(rr->enum_labels[base + i]);
	}
	MemoryContextSwitchTo(old);
	ReleaseSysCacheList(list);
}

/*
 * Map the fields in fieldmask to columns: names[i] and types[i] describe column i (names[i]
 * NULL for a dropped column).  typid names the row type in messages.
 */
static void
BindColumns(RowReader *rr, MemoryContext mcxt, Oid typid, int ncols,
			const char *const *names, const Oid *types, uint32 fieldmask)
{
	MemoryContext old = MemoryContextSwitchTo(mcxt);
	uint32		requested = fieldmask;

	/* the reader's own arrays are kept across binds of the same shape */
	if (rr->capacity < ncols)
	{
		if (rr->values)
		{
			pfree(rr->values);
			pfree(rr->nulls);
		}
		rr->capacity = Max(ncols, 1);
		rr->values = palloc(sizeof(Datum) * rr->capacity);
		rr->nulls = palloc(sizeof(bool) * rr->capacity);
	}
	MemoryContextSwitchTo(old);
	rr->mcxt = mcxt;
	rr->ncols = ncols;
	rr->nenum = 0;
	rr->hscode_oid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("hscode"),
									 ObjectIdGetDatum(get_namespace_oid("customs_risk", false)));
	rr->typid = InvalidOid;

	for (int f = 0; f < CR_NFIELDS; f++)
	{
		const char *name = cr_field_name(f);

		rr->attnum[f] = -1;
		rr->reader[f] = FR_NONE;
		if (!(fieldmask & ((uint32) 1 << f)))
			continue;
		for (int a = 0; a < ncols; a++)
		{
			if (names[a] == NULL || strcmp(names[a], name) != 0)
				continue;
			rr->attnum[f] = a;
			rr->reader[f] = ReaderFor(rr, cr_field_type(f), types[a]);
			if (rr->reader[f] == FR_NONE)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("column \"%s\" of %s has type %s, which criteria cannot compare",
								name, format_type_be(typid), format_type_be(types[a]))));
			if (rr->reader[f] == FR_ENUM)
				LoadEnumLabels(rr, getBaseType(types[a]));
			break;
		}
		/* a model score is optional: a row without one has none (unknown), so profiles that
		 * use it stay silent where no model scored the line */
		if (rr->attnum[f] < 0 && f == CRF_MODEL_SCORE)
		{
			fieldmask &= ~((uint32) 1 << f);
			continue;
		}
		if (rr->attnum[f] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("criteria use field \"%s\", which %s does not have", name, format_type_be(typid)),
					 errhint("Match rows of customs_risk.declaration_line_v, or of any row type with the named columns.")));
	}
	/* bound last: an error above leaves the reader unbound */
	rr->typid = typid;
	rr->requested = requested;
	rr->fieldmask = fieldmask;
}

void
RowReaderBind(RowReader *rr, MemoryContext mcxt, Oid typid, int32 typmod, uint32 fieldmask)
{
	TupleDesc	td = lookup_rowtype_tupdesc(typid, typmod);
	MemoryContext old = MemoryContextSwitchTo(mcxt);
	const char **names;
	Oid		   *types;

	if (rr->tupdesc)
		FreeTupleDesc(rr->tupdesc);
	rr->tupdesc = CreateTupleDescCopy(td);
	ReleaseTupleDesc(td);
	names = palloc(sizeof(char *) * Max(rr->tupdesc->natts, 1));
	types = palloc(sizeof(Oid) * Max(rr->tupdesc->natts, 1));
	MemoryContextSwitchTo(old);
	for (int a = 0; a < rr->tupdesc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(rr->tupdesc, a);

		names[a] = att->attisdropped ? NULL : NameStr(att->attname);
		types[a] = att->atttypid;
	}
	BindColumns(rr, mcxt, typid, rr->tupdesc->natts, names, types, fieldmask);
	rr->typmod = typmod;
	pfree(names);
	pfree(types);
}

void
RowReaderBindArgs(RowReader *rr, MemoryContext mcxt, const ArgColumns *ac, uint32 fieldmask)
{
	BindColumns(rr, mcxt, ac->rowtype, ac->n, (const char *const *) ac->names, ac->types, fieldmask);
	rr->typmod = -1;
}

void
RowReaderEnsureArgs(RowReader *rr, MemoryContext mcxt, const ArgColumns *ac, uint32 fieldmask)
{
	if (rr->typid != ac->rowtype || (fieldmask & ~rr->requested) != 0)
		RowReaderBindArgs(rr, mcxt, ac, fieldmask | (rr->typid == ac->rowtype ? rr->requested : 0));
}

void
RowReaderSetArgs(RowReader *rr, const ArgColumns *ac, FunctionCallInfo fcinfo)
{
	rr->args = fcinfo->args + ac->first;
}

void
RowReaderEnsure(RowReader *rr, MemoryContext mcxt, HeapTupleHeader rec, uint32 fieldmask)
{
	Oid			typid = HeapTupleHeaderGetTypeId(rec);
	int32		typmod = HeapTupleHeaderGetTypMod(rec);

	if (rr->tupdesc == NULL || rr->typid != typid || rr->typmod != typmod || (fieldmask & ~rr->requested) != 0)
		RowReaderBind(rr, mcxt, typid, typmod, fieldmask | (rr->typid == typid ? rr->requested : 0));
}

void
RowReaderDeform(RowReader *rr, HeapTupleHeader rec)
{
	HeapTupleData tuple;

	tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&(tuple.t_self));
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = rec;
	heap_deform_tuple(&tuple, rr->tupdesc, rr->values, rr->nulls);
	rr->args = NULL;
}

void
RowReaderFields(RowReader *rr, CrValue *values, uint32 mask)
{
	/* fields not bound read as unknown */
	for (uint32 bits = mask & ~rr->fieldmask & (((uint32) 1 << CR_NFIELDS) - 1); bits; bits &= bits - 1)
		values[pg_rightmost_one_pos32(bits)].isnull = true;
	for (uint32 bits = mask & rr->fieldmask; bits; bits &= bits - 1)
	{
		int			f = pg_rightmost_one_pos32(bits);
		int			a = rr->attnum[f];
		CrValue    *v = &values[f];
		Datum		d;

		v->isnull = rr->args ? rr->args[a].isnull : rr->nulls[a];
		if (v->isnull)
			continue;
		d = rr->args ? rr->args[a].value : rr->values[a];
		switch (rr->reader[f])
		{
			case FR_HSCODE:
				v->i = DatumGetHsKey(d);
				if (!hs_key_valid(v->i))	/* only a binary-coercible cast can make one */
					ereport(ERROR,
							(errcode(ERRCODE_DATA_CORRUPTED),
							 errmsg("invalid hscode value " INT64_FORMAT, (int64) v->i)));
				break;
			case FR_TEXT:
			case FR_BPCHAR:
				{
					text	   *t = DatumGetTextPP(d);

					v->s = VARDATA_ANY(t);
					v->len = VARSIZE_ANY_EXHDR(t);
					if (rr->reader[f] == FR_BPCHAR)
						v->len = bpchartruelen((char *) v->s, v->len);
					break;
				}
			case FR_ENUM:
				{
					Oid			o = DatumGetObjectId(d);

					v->s = "";
					v->len = 0;
					for (int k = 0; k < rr->nenum; k++)
						if (rr->enum_oids[k] == o)
						{
							v->s = rr->enum_labels[k];
							v->len = rr->enum_label_lens[k];	/* measured once, not per row */
							break;
						}
					break;
				}
			case FR_NUMERIC:
				v->f = NumericToDouble(d);
				v->isnull = isnan(v->f);	/* NaN compares as unknown */
				break;
			case FR_FLOAT8:
				v->f = DatumGetFloat8(d);
				v->isnull = isnan(v->f);
				break;
			case FR_FLOAT4:
				v->f = DatumGetFloat4(d);
				v->isnull = isnan(v->f);
				break;
			case FR_INT2:
				v->f = DatumGetInt16(d);
				break;
			case FR_INT4:
				v->f = DatumGetInt32(d);
				break;
			case FR_INT8:
				v->f = (double) DatumGetInt64(d);
				break;
			case FR_DATE:
				v->i = DatumGetDateADT(d);
				break;
			default:
				v->isnull = true;
		}
	}
}
