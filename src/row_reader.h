/*
 * row_reader.h: read the fields criteria use from rows of any composite type.
 * The column map is built once per row type, not once per row.
 */
#ifndef CUSTOMS_RISK_ROW_READER_H
#define CUSTOMS_RISK_ROW_READER_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "fmgr.h"

#include "criteria_core.h"

/*
 * A row passed as separate columns (the planner rewrites match_profiles(t) and t @@ c into
 * that form, see column_args.c): the row type, the first column argument, and each
 * column's field name and type.
 */
typedef struct ArgColumns
{
	Oid			rowtype;		/* InvalidOid until read from the call */
	int			first;
	int			n;
	char	  **names;
	Oid		   *types;
} ArgColumns;

/* Start zeroed.  Binds to a row type (RowReaderEnsure) or to argument columns (RowReaderEnsureArgs). */
typedef struct RowReader
{
	MemoryContext mcxt;
	Oid			typid;			/* InvalidOid until bound */
	int32		typmod;
	uint32		requested;		/* fields asked for */
	uint32		fieldmask;		/* fields bound: those asked for, less optional ones the row lacks */
	TupleDesc	tupdesc;		/* row mode only */
	int			attnum[CR_NFIELDS];	/* 0-based column, -1 when not read */
	int			reader[CR_NFIELDS];
	int			ncols;
	int			capacity;		/* of values and nulls */
	Datum	   *values;			/* row mode: the deformed row */
	bool	   *nulls;
	NullableDatum *args;		/* argument mode: the call's columns */
	int			nenum;			/* labels of enum columns (transport) */
	Oid		   *enum_oids;
	char	  **enum_labels;
	int		   *enum_label_lens;
	Oid			hscode_oid;
} RowReader;

/* Map fields to the row type's columns; every field in fieldmask must exist. */
extern void RowReaderBind(RowReader *rr, MemoryContext mcxt, Oid typid, int32 typmod, uint32 fieldmask);

/* Bind again only when the row type changed or needs more fields. */
extern void RowReaderEnsure(RowReader *rr, MemoryContext mcxt, HeapTupleHeader rec, uint32 fieldmask);

/*
 * Read only the fields in mask (all bound fields: ~0).  RowReaderDeform must have run
 * for this row first; reading numerics costs a conversion, so callers read lazily.
 */
extern void RowReaderDeform(RowReader *rr, HeapTupleHeader rec);
extern void RowReaderFields(RowReader *rr, CrValue *values, uint32 mask);

/* Argument-column mode: bind (again) when needed, then load one call's arguments. */
extern void RowReaderBindArgs(RowReader *rr, MemoryContext mcxt, const ArgColumns *ac, uint32 fieldmask);
extern void RowReaderEnsureArgs(RowReader *rr, MemoryContext mcxt, const ArgColumns *ac, uint32 fieldmask);
extern void RowReaderSetArgs(RowReader *rr, const ArgColumns *ac, FunctionCallInfo fcinfo);

/* Read the call's constant row type and column names once per call site (column_args.c). */
extern void ArgColumnsInit(ArgColumns *ac, FunctionCallInfo fcinfo, MemoryContext mcxt,
						   int typearg, int namesarg, int first);

#endif							/* CUSTOMS_RISK_ROW_READER_H */
