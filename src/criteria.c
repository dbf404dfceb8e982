/*
 * criteria.c: SQL interface of the criteria type (I/O and the row-matching
 * operator x @@ criteria).  The language itself is in criteria_core.c.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "criteria_core.h"
#include "hscode.h"

/* Allocators for the core: the current memory context. */
static void *
PallocWrap(size_t size)
{
	return palloc(size);
}

static void *
RepallocWrap(void *p, size_t size)
{
	return repalloc(p, size);
}

static void
PfreeWrap(void *p)
{
	pfree(p);
}

static const CrAllocator pg_allocator = {PallocWrap, RepallocWrap, PfreeWrap};

/* Raise a core error as a PostgreSQL error, with the position in characters. */
static void
ReportCrError(const CrError *err, const char *text)
{
	int			sqlstate;
	int			charpos = err->pos;

	if (text != NULL && err->pos > 1)
		charpos = pg_mbstrlen_with_len(text, err->pos - 1) + 1;
	switch (err->kind)
	{
		case CR_ERR_SYNTAX:
			sqlstate = ERRCODE_SYNTAX_ERROR;
			break;
		case CR_ERR_LIMIT:
			sqlstate = ERRCODE_PROGRAM_LIMIT_EXCEEDED;
			break;
		case CR_ERR_CORRUPT:
			sqlstate = ERRCODE_INVALID_BINARY_REPRESENTATION;
			break;
		default:
			sqlstate = ERRCODE_INVALID_TEXT_REPRESENTATION;
	}
	if (text != NULL && charpos > 0)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("invalid input syntax for type criteria: %s at character %d", err->message, charpos),
				 errdetail("Criteria: %.*s%s", pg_mbcliplen(text, strlen(text), 200), text,
						   strlen(text) > 200 ? "..." : "")));
	ereport(ERROR, (errcode(sqlstate), errmsg("%s", err->message)));
}

/* Validate a criteria datum's bytes (detoasted, 4-byte header, so aligned). */
static void
ProgramFromDatum(Datum d, CrProgram *prog, bytea **out)
{
	bytea	   *v = (bytea *) PG_DETOAST_DATUM(d);
	CrError		err;

	if (!cr_validate(VARDATA(v), VARSIZE(v) - VARHDRSZ, prog, &err))
		ReportCrError(&err, NULL);
	if (out)
		*out = v;
}

PG_FUNCTION_INFO_V1(criteria_in);
/* Text input: compile and check the targeting language. */
Datum
criteria_in(PG_FUNCTION_ARGS)
{
	char	   *text = PG_GETARG_CSTRING(0);
	CrError		err;
	size_t		size;
	void	   *bytes = cr_compile(text, strlen(text), &pg_allocator, &size, &err);
	bytea	   *result;

	if (bytes == NULL)
		ReportCrError(&err, text);
	result = palloc(VARHDRSZ + size);
	SET_VARSIZE(result, VARHDRSZ + size);
	memcpy(VARDATA(result), bytes, size);
	PG_RETURN_BYTEA_P(result);
}

PG_FUNCTION_INFO_V1(criteria_out);
/* Text output: the canonical form, which reads back as the same value. */
Datum
criteria_out(PG_FUNCTION_ARGS)
{
	CrProgram	prog;

	ProgramFromDatum(PG_GETARG_DATUM(0), &prog, NULL);
	PG_RETURN_CSTRING(cr_to_text(&prog, &pg_allocator));
}

PG_FUNCTION_INFO_V1(criteria_recv);
/* Binary input: the stored form, validated completely before it is accepted. */
Datum
criteria_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len = buf->len - buf->cursor;
	bytea	   *result = palloc(VARHDRSZ + len);
	CrProgram	prog;
	CrError		err;

	SET_VARSIZE(result, VARHDRSZ + len);
	pq_copymsgbytes(buf, VARDATA(result), len);
	if (!cr_validate(VARDATA(result), len, &prog, &err))
		ReportCrError(&err, NULL);
	PG_RETURN_BYTEA_P(result);
}

PG_FUNCTION_INFO_V1(criteria_send);
/* Binary output: the stored form. */
Datum
criteria_send(PG_FUNCTION_ARGS)
{
	bytea	   *v = PG_GETARG_BYTEA_P_COPY(0);

	PG_RETURN_BYTEA_P(v);
}

/* ------------------------------------------------------------------------
 * x @@ criteria
 * ------------------------------------------------------------------------ */

/* How to read one field from the row. */
typedef enum FieldReader
{
	FR_NONE, FR_HSCODE, FR_TEXT, FR_BPCHAR, FR_ENUM, FR_NUMERIC, FR_FLOAT8, FR_FLOAT4,
	FR_INT2, FR_INT4, FR_INT8, FR_DATE
} FieldReader;

/* A named code list, loaded once per query. */
typedef struct CodeList
{
	char	   *name;
	int			n;
	char	  **codes;			/* sorted bytewise */
	int		   *lens;
	struct CodeList *next;
} CodeList;

/* Per-call-site cache: the compiled program, the row type's field map, the code lists. */
typedef struct MatchCache
{
	MemoryContext mcxt;
	/* program */
	char	   *bytes;
	size_t		size;
	CrProgram	prog;
	/* row type */
	Oid			typid;
	int32		typmod;
	TupleDesc	tupdesc;
	int			attnum[CR_NFIELDS];	/* 0-based attribute, -1 when unused */
	FieldReader reader[CR_NFIELDS];
	Oid			enumtype[CR_NFIELDS];
	Datum	   *values;
	bool	   *nulls;
	/* enum labels (transport) */
	int			nenum;
	Oid		   *enum_oids;
	char	  **enum_labels;
	Oid			hscode_oid;
	CodeList   *lists;
} MatchCache;

/* The reader for an attribute type, for a field of the given criteria type. */
static FieldReader
ReaderFor(MatchCache *mc, CrType type, Oid atttype)
{
	Oid			base = getBaseType(atttype);

	switch (type)
	{
		case CR_HS:
			return base == mc->hscode_oid ? FR_HSCODE : FR_NONE;
		case CR_CODE:
		case CR_COUNTRY:
		case CR_TRANSPORT:
			if (base == TEXTOID || base == VARCHAROID || base == NAMEOID)
				return base == NAMEOID ? FR_NONE : FR_TEXT;
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
LoadEnumLabels(MatchCache *mc, Oid enumtype)
{
	CatCList   *list = SearchSysCacheList1(ENUMTYPOIDNAME, ObjectIdGetDatum(enumtype));
	MemoryContext old = MemoryContextSwitchTo(mc->mcxt);
	int			base = mc->nenum;

	mc->nenum += list->n_members;
	mc->enum_oids = mc->enum_oids ? repalloc(mc->enum_oids, sizeof(Oid) * mc->nenum) : palloc(sizeof(Oid) * mc->nenum);
	mc->enum_labels = mc->enum_labels ? repalloc(mc->enum_labels, sizeof(char *) * mc->nenum) : palloc(sizeof(char *) * mc->nenum);
	for (int i = 0; i < list->n_members; i++)
	{
		HeapTuple	tup = &list->members[i]->tuple;
		Form_pg_enum en = (Form_pg_enum) GETSTRUCT(tup);

		mc->enum_oids[base + i] = en->oid;
		mc->enum_labels[base + i] = pstrdup(NameStr(en->enumlabel));
	}
	MemoryContextSwitchTo(old);
	ReleaseSysCacheList(list);
}

/* Map the program's fields to the row type's attributes, once per row type. */
static void
BindRowType(MatchCache *mc, Oid typid, int32 typmod)
{
	TupleDesc	td = lookup_rowtype_tupdesc(typid, typmod);
	MemoryContext old = MemoryContextSwitchTo(mc->mcxt);
	uint32_t	mask = mc->prog.header->fieldmask;

	mc->tupdesc = CreateTupleDescCopy(td);
	ReleaseTupleDesc(td);
	mc->typid = typid;
	mc->typmod = typmod;
	mc->values = palloc(sizeof(Datum) * mc->tupdesc->natts);
	mc->nulls = palloc(sizeof(bool) * mc->tupdesc->natts);
	MemoryContextSwitchTo(old);

	for (int f = 0; f < CR_NFIELDS; f++)
	{
		const char *name = cr_field_name(f);

		mc->attnum[f] = -1;
		mc->reader[f] = FR_NONE;
		if (!(mask & ((uint32_t) 1 << f)))
			continue;
		for (int a = 0; a < mc->tupdesc->natts; a++)
		{
			Form_pg_attribute att = TupleDescAttr(mc->tupdesc, a);

			if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			{
				mc->attnum[f] = a;
				mc->reader[f] = ReaderFor(mc, cr_field_type(f), att->atttypid);
				if (mc->reader[f] == FR_ENUM)
					LoadEnumLabels(mc, getBaseType(att->atttypid));
				if (mc->reader[f] == FR_NONE)
					ereport(ERROR,
							(errcode(ERRCODE_DATATYPE_MISMATCH),
							 errmsg("column \"%s\" of %s has type %s, which criteria cannot compare",
									name, format_type_be(typid), format_type_be(att->atttypid))));
				break;
			}
		}
		if (mc->attnum[f] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("criteria use field \"%s\", which %s does not have", name, format_type_be(typid)),
					 errhint("Match rows of customs_risk.declaration_line_v, or of any row type with the named columns.")));
	}
}

/* Load a code list from table code_list_entry; unknown lists are an error. */
static CodeList *
LoadCodeList(MatchCache *mc, const char *name, int namelen)
{
	CodeList   *cl;
	MemoryContext old;
	char	   *listname = pnstrdup(name, namelen);
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	int			rc;

	for (cl = mc->lists; cl; cl = cl->next)
		if (strcmp(cl->name, listname) == 0)
			return cl;

	args[0] = CStringGetTextDatum(listname);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_with_args("SELECT 1 FROM customs_risk.code_list WHERE list_name = $1",
							   1, argtypes, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading customs_risk.code_list failed");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("code list \"%s\" does not exist", listname),
				 errhint("Create it in table customs_risk.code_list.")));
	rc = SPI_execute_with_args("SELECT code FROM customs_risk.code_list_entry WHERE list_name = $1 ORDER BY code COLLATE \"C\"",
							   1, argtypes, args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading customs_risk.code_list_entry failed");

	old = MemoryContextSwitchTo(mc->mcxt);
	cl = palloc0(sizeof(CodeList));
	cl->name = pstrdup(listname);
	cl->n = (int) SPI_processed;
	cl->codes = palloc(sizeof(char *) * Max(cl->n, 1));
	cl->lens = palloc(sizeof(int) * Max(cl->n, 1));
	for (int i = 0; i < cl->n; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
		text	   *t = DatumGetTextPP(d);

		cl->lens[i] = VARSIZE_ANY_EXHDR(t);
		cl->codes[i] = palloc(cl->lens[i] + 1);
		memcpy(cl->codes[i], VARDATA_ANY(t), cl->lens[i]);
	}
	cl->next = mc->lists;
	mc->lists = cl;
	MemoryContextSwitchTo(old);
	SPI_finish();
	return cl;
}

/* The core's callback: is val in the named list? */
static int
ListLookup(void *ctx, const char *list, int listlen, const char *val, int vallen)
{
	CodeList   *cl = LoadCodeList((MatchCache *) ctx, list, listlen);
	int			lo = 0,
				hi = cl->n;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			c = memcmp(val, cl->codes[mid], Min(vallen, cl->lens[mid]));

		if (c == 0)
			c = (vallen > cl->lens[mid]) - (vallen < cl->lens[mid]);
		if (c == 0)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/* Read the fields the program uses from one row. */
static void
ReadRow(MatchCache *mc, HeapTupleHeader rec, CrValue *values)
{
	HeapTupleData tuple;

	tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&(tuple.t_self));
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = rec;
	heap_deform_tuple(&tuple, mc->tupdesc, mc->values, mc->nulls);

	for (int f = 0; f < CR_NFIELDS; f++)
	{
		int			a = mc->attnum[f];
		Datum		d;
		CrValue    *v = &values[f];

		if (a < 0)
			continue;
		v->isnull = mc->nulls[a];
		if (v->isnull)
			continue;
		d = mc->values[a];
		switch (mc->reader[f])
		{
			case FR_HSCODE:
				v->i = DatumGetHsKey(d);
				break;
			case FR_TEXT:
				{
					text	   *t = DatumGetTextPP(d);

					v->s = VARDATA_ANY(t);
					v->len = VARSIZE_ANY_EXHDR(t);
					break;
				}
			case FR_BPCHAR:
				{
					text	   *t = DatumGetTextPP(d);

					v->s = VARDATA_ANY(t);
					v->len = bpchartruelen((char *) VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
					break;
				}
			case FR_ENUM:
				{
					Oid			o = DatumGetObjectId(d);

					v->s = "";
					v->len = 0;
					for (int k = 0; k < mc->nenum; k++)
						if (mc->enum_oids[k] == o)
						{
							v->s = mc->enum_labels[k];
							v->len = (int) strlen(v->s);
							break;
						}
					break;
				}
			case FR_NUMERIC:
				{
					Datum		fd = DirectFunctionCall1(numeric_float8_no_overflow, d);

					v->f = DatumGetFloat8(fd);
					if (isnan(v->f))
						v->isnull = true;	/* NaN compares as unknown */
					break;
				}
			case FR_FLOAT8:
				v->f = DatumGetFloat8(d);
				if (isnan(v->f))
					v->isnull = true;
				break;
			case FR_FLOAT4:
				v->f = DatumGetFloat4(d);
				if (isnan(v->f))
					v->isnull = true;
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
			case FR_NONE:
				v->isnull = true;
				break;
		}
	}
}

/* The cache of this call site, with the program of this criteria value. */
static MatchCache *
GetMatchCache(FunctionCallInfo fcinfo, Datum crit)
{
	MatchCache *mc = (MatchCache *) fcinfo->flinfo->fn_extra;
	bytea	   *v = (bytea *) PG_DETOAST_DATUM(crit);
	size_t		size = VARSIZE(v) - VARHDRSZ;

	if (mc == NULL)
	{
		mc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(MatchCache));
		mc->mcxt = fcinfo->flinfo->fn_mcxt;
		mc->hscode_oid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("hscode"),
										 ObjectIdGetDatum(get_namespace_oid("customs_risk", false)));
		fcinfo->flinfo->fn_extra = mc;
	}
	if (mc->bytes == NULL || mc->size != size || memcmp(mc->bytes, VARDATA(v), size) != 0)
	{
		CrProgram	prog;
		CrError		err;

		if (!cr_validate(VARDATA(v), size, &prog, &err))
			ReportCrError(&err, NULL);
		if (mc->bytes)
			pfree(mc->bytes);
		mc->bytes = MemoryContextAlloc(mc->mcxt, size);
		memcpy(mc->bytes, VARDATA(v), size);
		mc->size = size;
		cr_validate(mc->bytes, size, &mc->prog, &err);
		mc->typid = InvalidOid;	/* the field set may differ: bind the row type again */
	}
	return mc;
}

PG_FUNCTION_INFO_V1(criteria_match);
/* row @@ criteria: does the row satisfy the criteria?  NULL when unknown. */
Datum
criteria_match(PG_FUNCTION_ARGS)
{
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(0);
	MatchCache *mc = GetMatchCache(fcinfo, PG_GETARG_DATUM(1));
	Oid			typid = HeapTupleHeaderGetTypeId(rec);
	int32		typmod = HeapTupleHeaderGetTypMod(rec);
	CrValue		values[CR_NFIELDS];
	int			r;

	if (mc->typid != typid || mc->typmod != typmod)
		BindRowType(mc, typid, typmod);
	ReadRow(mc, rec, values);
	r = cr_eval(&mc->prog, values, ListLookup, mc);
	if (r == 2)
		PG_RETURN_NULL();
	PG_RETURN_BOOL(r == 1);
}

PG_FUNCTION_INFO_V1(criteria_fields);
/* The fields criteria read, for documentation and for indexing profiles. */
Datum
criteria_fields(PG_FUNCTION_ARGS)
{
	CrProgram	prog;
	Datum	   *names = palloc(sizeof(Datum) * CR_NFIELDS);
	int			n = 0;

	ProgramFromDatum(PG_GETARG_DATUM(0), &prog, NULL);
	for (int f = 0; f < CR_NFIELDS; f++)
		if (prog.header->fieldmask & ((uint32_t) 1 << f))
			names[n++] = CStringGetTextDatum(cr_field_name(f));
	PG_RETURN_ARRAYTYPE_P(construct_array(names, n, TEXTOID, -1, false, TYPALIGN_INT));
}

PG_FUNCTION_INFO_V1(criteria_lists);
/* The code lists criteria name. */
Datum
criteria_lists(PG_FUNCTION_ARGS)
{
	CrProgram	prog;
	Datum	   *names;
	int			n = 0;

	ProgramFromDatum(PG_GETARG_DATUM(0), &prog, NULL);
	names = palloc(sizeof(Datum) * (prog.header->ninstr + 1));
	for (int i = 0; i < prog.header->ninstr; i++)
	{
		const CrInstr *in = &prog.instr[i];

		if (in->op == CR_OP_IN_LIST || in->op == CR_OP_NOT_IN_LIST)
		{
			int64		s;

			memcpy(&s, prog.slots + in->slot, sizeof(s));
			names[n++] = PointerGetDatum(cstring_to_text_with_len(prog.strings + (s >> 32), (int) (s & 0xffffffff)));
		}
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(names, n, TEXTOID, -1, false, TYPALIGN_INT));
}
