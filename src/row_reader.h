/*
 * row_reader.h: read the fields criteria use from rows of any composite type.
 * The column map is built once per row type, not once per row.
 */
#ifndef CUSTOMS_RISK_ROW_READER_H
#define CUSTOMS_RISK_ROW_READER_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"

#include "criteria_core.h"

typedef struct RowReader
{
	MemoryContext mcxt;
	Oid			typid;			/* InvalidOid until bound */
	int32		typmod;
	uint32		fieldmask;		/* fields bound */
	TupleDesc	tupdesc;
	int			attnum[CR_NFIELDS];	/* 0-based attribute, -1 when not read */
	int			reader[CR_NFIELDS];
	Datum	   *values;
	bool	   *nulls;
	int			nenum;			/* labels of enum columns (transport) */
	Oid		   *enum_oids;
	char	  **enum_labels;
	Oid			hscode_oid;
} RowReader;

/* Map fields to the row type's columns; every field in fieldmask must exist. */
extern void RowReaderBind(RowReader *rr, MemoryContext mcxt, Oid typid, int32 typmod, uint32 fieldmask);

/* Bind again only when the row type changed or needs more fields. */
extern void RowReaderEnsure(RowReader *rr, MemoryContext mcxt, HeapTupleHeader rec, uint32 fieldmask);

/* Read the bound fields of one row into values (indexed by field id). */
extern void RowReaderRead(RowReader *rr, HeapTupleHeader rec, CrValue *values);

/*
 * Read only the fields in mask (all bound fields: ~0).  RowReaderDeform must have run
 * for this row first; reading numerics costs a conversion, so callers read lazily.
 */
extern void RowReaderDeform(RowReader *rr, HeapTupleHeader rec);
extern void RowReaderFields(RowReader *rr, CrValue *values, uint32 mask);

#endif							/* CUSTOMS_RISK_ROW_READER_H */
