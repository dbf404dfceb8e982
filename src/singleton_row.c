/*
 * singleton_row.c: read a column of one of the extension's one-row tables directly.
 *
 * Read once per statement by the matcher (the profile-set version) and the random draw (the
 * key): a heap scan of a one-row table costs a few microseconds, SPI several times more, and
 * the draw must not need the caller to have the privilege to read the key.  Where the row
 * was last found is remembered and looked at first: every profile change updates the
 * profile-set row, and a thousand changes in one transaction leave it at the end of a
 * table of empty pages that VACUUM cannot cut off, so a scan would read them all.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "storage/bufmgr.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "singleton_row.h"

/* Where each table's row was last seen (two tables use this). */
typedef struct RowPlace
{
	Oid			relid;
	ItemPointerData tid;
} RowPlace;

static RowPlace places[4];

static RowPlace *
PlaceOf(Oid relid)
{
	for (int i = 0; i < (int) lengthof(places); i++)
		if (places[i].relid == relid || !OidIsValid(places[i].relid))
		{
			places[i].relid = relid;
			return &places[i];
		}
	return NULL;
}

/*
 * The row at the remembered place, if it is there and visible to the snapshot (not updated
 * since); *buf then holds its page, to be released by the caller.
 */
static bool
FetchAtPlace(Relation rel, const RowPlace *place, HeapTuple tuple, Buffer *buf)
{
	if (place == NULL || !ItemPointerIsValid(&place->tid) ||
		ItemPointerGetBlockNumber(&place->tid) >= RelationGetNumberOfBlocks(rel))
		return false;
	tuple->t_self = place->tid;
	return heap_fetch(rel, GetActiveSnapshot(), tuple, buf, false);
}

bool
SingletonRowValue(const char *table, const char *column, MemoryContext cxt, Datum *value, TransactionId *xmin)
{
	Oid			relid = get_relname_relid(table, get_namespace_oid("customs_risk", false));
	Relation	rel;
	TableScanDesc scan = NULL;
	HeapTupleData fetched;
	Buffer		buf = InvalidBuffer;
	HeapTuple	tuple = NULL;
	RowPlace   *place;
	bool		found = false;

	if (!OidIsValid(relid))
		elog(ERROR, "customs_risk.%s is missing", table);
	rel = table_open(relid, AccessShareLock);
	place = PlaceOf(relid);
	if (FetchAtPlace(rel, place, &fetched, &buf))
		tuple = &fetched;
	else
	{
		scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
		tuple = heap_getnext(scan, ForwardScanDirection);
		if (tuple != NULL && place != NULL)
			place->tid = tuple->t_self;
	}
	if (xmin != NULL)
		*xmin = tuple ? HeapTupleHeaderGetRawXmin(tuple->t_data) : InvalidTransactionId;	/* raw: frozen rows differ too */
	if (tuple != NULL)
	{
		AttrNumber	attnum = get_attnum(relid, column);
		Form_pg_attribute att;
		bool		isnull;
		Datum		d;

		if (attnum == InvalidAttrNumber)
			elog(ERROR, "customs_risk.%s has no column %s", table, column);
		att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
		d = heap_getattr(tuple, attnum, RelationGetDescr(rel), &isnull);
		if (!isnull)
		{
			MemoryContext old = MemoryContextSwitchTo(cxt);

			/* detoasted first: the copy must not point into the table */
			if (att->attlen == -1)
				d = PointerGetDatum(PG_DETOAST_DATUM_COPY(d));
			else
				d = datumCopy(d, att->attbyval, att->attlen);
			MemoryContextSwitchTo(old);
			*value = d;
			found = true;
		}
	}
	if (BufferIsValid(buf))
		ReleaseBuffer(buf);
	if (scan != NULL)
		table_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}
