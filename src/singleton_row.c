/*
 * singleton_row.c: read a column of one of the extension's one-row tables directly.
 *
 * Read once per statement by the matcher (the profile-set version) and the random draw (the
 * key): a heap scan of a one-row table costs a few microseconds, SPI several times more, and
 * the draw must not need the caller to have the privilege to read the key.
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "singleton_row.h"

bool
SingletonRowValue(const char *table, const char *column, MemoryContext cxt, Datum *value, TransactionId *xmin)
{
	Oid			relid = get_relname_relid(table, get_namespace_oid("customs_risk", false));
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;

	if (!OidIsValid(relid))
		elog(ERROR, "customs_risk.%s is missing", table);
	rel = table_open(relid, AccessShareLock);
	scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	tuple = heap_getnext(scan, ForwardScanDirection);
	if (xmin != NULL)
		*xmin = tuple ? HeapTupleHeaderGetXmin(tuple->t_data) : InvalidTransactionId;
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
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}
