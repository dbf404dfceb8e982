/*
 * singleton_row.h: read a column of one of the extension's one-row tables (profile_set,
 * selection_secret) directly, under the statement's snapshot.
 */
#ifndef CUSTOMS_RISK_SINGLETON_ROW_H
#define CUSTOMS_RISK_SINGLETON_ROW_H

#include "postgres.h"

/*
 * The column of customs_risk.<table>'s row, copied into cxt (by value for by-value types);
 * false when the table has no row or the value is NULL.  *xmin, when not NULL, gets the
 * transaction that wrote the row (its raw xmin: a frozen row keeps its own).  No privilege
 * check: callers expose only what they derive.
 */
extern bool SingletonRowValue(const char *table, const char *column, MemoryContext cxt,
							  Datum *value, TransactionId *xmin);

#endif							/* CUSTOMS_RISK_SINGLETON_ROW_H */
