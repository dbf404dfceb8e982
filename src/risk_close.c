/*
 * risk_close.c: a risk item's unfinished actions as of now, for the check that closes it.
 *
 * Adding an action locks its item (FOR SHARE) and closing updates it, so the two wait for each
 * other.  Under READ COMMITTED the closing trigger's count runs after the wait, with a fresh
 * snapshot, and sees an action committed meanwhile.  Under REPEATABLE READ it counts with the
 * transaction's snapshot, older than that action, and a lock alone raises no serialization
 * failure: the item would close with an open action.  This counts again with the latest
 * snapshot, as PostgreSQL's foreign-key checks do, so the trigger can refuse with 40001.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/snapmgr.h"

static SPIPlanPtr unfinished_plan = NULL;

PG_FUNCTION_INFO_V1(risk_item_unfinished_now);

/* risk_item_unfinished_now(item_id bigint) -> bigint: open or in-progress actions, latest snapshot. */
Datum
risk_item_unfinished_now(PG_FUNCTION_ARGS)
{
	Datum		item_id = PG_GETARG_DATUM(0);
	bool		isnull;
	int64		n;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (unfinished_plan == NULL)
	{
		Oid			argtypes[1] = {INT8OID};
		SPIPlanPtr	plan = SPI_prepare("SELECT pg_catalog.count(*) FROM customs_risk.risk_action a"
									   " WHERE a.item_id OPERATOR(pg_catalog.=) $1"
									   " AND a.status OPERATOR(pg_catalog.=) ANY"
									   " ('{open,in_progress}'::customs_risk.risk_action_status[])",
									   1, argtypes);

		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "risk_item_unfinished_now(): could not prepare its query: %s",
				 SPI_result_code_string(SPI_result));
		unfinished_plan = plan;
	}
	if (SPI_execute_snapshot(unfinished_plan, &item_id, NULL, GetLatestSnapshot(), InvalidSnapshot,
							 true, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "risk_item_unfinished_now(): its count returned no row");
	n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	PG_RETURN_INT64(n);
}
