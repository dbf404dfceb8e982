/*
 * policy_cache.c: effective_policy(house), the channel policy that applies to an office, kept.
 *
 * decide() needs its office's policy: the house's row, else its district's, else the national
 * one, else the built-in defaults.  Read by effective_policy_read() (SQL) that was a plpgsql
 * call and a five-table query, about a sixth of a decision.  The backend keeps every office's
 * policy, read in one query, under the stamp of kept_set.h: every change to channel_policy and
 * to office moves the profile-set version (the triggers *_moves_profile_set), so a statement
 * whose snapshot sees the same row version sees the same policies.
 *
 * Where no stamp may be taken (a role that may not read both tables whole, a transaction that
 * has written), and for offices the tree does not have, effective_policy_read() answers, as
 * before.  The built-in defaults are kept as read, with updated_at set to the statement's now()
 * when handed out, as the query gives it.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "kept_set.h"
#include "text_index.h"

/* Every office's policy, as one query read them. */
typedef struct PolicySet
{
	MemoryContext cxt;
	KeptStamp	stamp;			/* what it was read under */
	TextIndex	index;			/* office code -> rows[] */
	HeapTupleHeader *rows;		/* channel_policy values */
	bool	   *defaults;		/* the built-in defaults: updated_at is now() */
} PolicySet;

static PolicySet *kept = NULL;
static SPIPlanPtr policies_plan = NULL;

/* effective_policy_read(text), for the calls the kept set does not serve (rare: looked up each time). */
static Oid
ReadFunction(void)
{
	Oid			argtype = TEXTOID;

	return LookupFuncName(list_make2(makeString("customs_risk"), makeString("effective_policy_read")),
						  1, &argtype, false);
}

/* Every office's policy under the statement's snapshot, into a new set. */
static PolicySet *
ReadPolicies(const KeptStamp *stamp)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "customs_risk policies",
											  ALLOCSET_SMALL_SIZES);
	PolicySet  *set = MemoryContextAllocZero(cxt, sizeof(PolicySet));

	set->cxt = cxt;
	set->stamp = *stamp;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (policies_plan == NULL)
	{
		/* a defaults row is the one whose office has no row of its own in channel_policy */
		SPIPlanPtr	plan = SPI_prepare("SELECT o.office_code, p, NOT EXISTS (SELECT FROM customs_risk.channel_policy c"
									   "  WHERE c.office_code OPERATOR(pg_catalog.=) p.office_code)"
									   "  FROM customs_risk.office o,"
									   "       LATERAL customs_risk.effective_policy_read(o.office_code) p", 0, NULL);

		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "effective_policy(): planning the policies' query failed");
		policies_plan = plan;
	}
	if (SPI_execute_plan(policies_plan, NULL, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "effective_policy(): reading the policies failed");
	TextIndexInit(&set->index, cxt, (int32) SPI_processed);
	set->rows = MemoryContextAlloc(cxt, sizeof(HeapTupleHeader) * Max(SPI_processed, 1));
	set->defaults = MemoryContextAlloc(cxt, sizeof(bool) * Max(SPI_processed, 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull[3];
		Datum		code = SPI_getbinval(tup, td, 1, &isnull[0]);
		Datum		row = SPI_getbinval(tup, td, 2, &isnull[1]);
		Datum		defaults = SPI_getbinval(tup, td, 3, &isnull[2]);
		MemoryContext old;

		if (isnull[0] || isnull[1] || isnull[2])
			elog(ERROR, "effective_policy(): an office without its code or policy");
		old = MemoryContextSwitchTo(cxt);

		set->rows[i] = DatumGetHeapTupleHeaderCopy(row);
		set->defaults[i] = DatumGetBool(defaults);
		(void) TextIndexAdd(&set->index, PG_DETOAST_DATUM_COPY(code), (int32) i);	/* codes are unique */
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return set;
}

/*
 * The kept policies when this statement may use them (NULL otherwise: kept_set.h): the ones read
 * under its stamp, read again when the stamp moved.
 */
static PolicySet *
CurrentPolicies(void)
{
	Oid			nsp = get_namespace_oid("customs_risk", false);
	Oid			rels[2] = {get_relname_relid("channel_policy", nsp), get_relname_relid("office", nsp)};
	KeptStamp	stamp;

	/* the kept rows are what effective_policy_read() gave: only for those who may call it */
	if (!KeptStampNow(rels, 2, &stamp) || pg_proc_aclcheck(ReadFunction(), GetUserId(), ACL_EXECUTE) != ACLCHECK_OK)
		return NULL;
	if (kept == NULL || !KeptStampEqual(&kept->stamp, &stamp))
	{
		/* read under the statement first: an error there leaves the kept set as it was */
		PolicySet  *set = ReadPolicies(&stamp);

		MemoryContextSetParent(set->cxt, TopMemoryContext);
		if (kept != NULL)
			MemoryContextDelete(kept->cxt);
		kept = set;
	}
	return kept;
}

PG_FUNCTION_INFO_V1(effective_policy);

/*
 * effective_policy(house) -> channel_policy: the house's policy, else its district's, else the
 * national one, else the built-in defaults (effective_policy_read(), kept for the backend).
 */
Datum
effective_policy(PG_FUNCTION_ARGS)
{
	Datum		house = PG_GETARG_DATUM(0);
	PolicySet  *set = CurrentPolicies();
	int32		i = set != NULL ? TextIndexFind(&set->index, house) : -1;
	HeapTupleHeader row;
	HeapTupleData tuple;
	TupleDesc	td;

	if (i < 0)
	{
		Oid			fn = ReadFunction();

		if (pg_proc_aclcheck(fn, GetUserId(), ACL_EXECUTE) != ACLCHECK_OK)
			aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_FUNCTION, "effective_policy_read");
		return OidFunctionCall1Coll(fn, PG_GET_COLLATION(), house);
	}
	row = set->rows[i];
	if (!set->defaults[i])
		PG_RETURN_HEAPTUPLEHEADER(DatumGetHeapTupleHeaderCopy(PointerGetDatum(row)));
	/* the defaults carry the statement's time, as the query gives them */
	td = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(row), HeapTupleHeaderGetTypMod(row));
	tuple.t_len = HeapTupleHeaderGetDatumLength(row);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = row;
	{
		int			natts = td->natts;
		Datum	   *values = palloc(sizeof(Datum) * natts);
		bool	   *nulls = palloc(sizeof(bool) * natts);
		int			at = SPI_fnumber(td, "updated_at");
		HeapTuple	copy;

		if (at <= 0)
			elog(ERROR, "channel_policy has no column updated_at");
		heap_deform_tuple(&tuple, td, values, nulls);
		values[at - 1] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
		nulls[at - 1] = false;
		copy = heap_form_tuple(td, values, nulls);
		ReleaseTupleDesc(td);
		PG_RETURN_DATUM(HeapTupleGetDatum(copy));
	}
}
