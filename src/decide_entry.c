/*
 * decide_entry.c: decide(), the entry to decide_as_owner() with the caller's identity.
 *
 * A decision is logged with the extension owner's rights, so that no analyst may insert one of
 * its choosing into decision_log, and must still be one its caller may make.  Inside a
 * SECURITY DEFINER function current_user is the owner and nothing names the role that called
 * it (the session's outer role is not it: a definer function of an analyst's own, or an index
 * expression run by ANALYZE, calls with another outer role).  So decide() is this invoker C
 * function: it passes GetUserId(), the role in effect where decide() was called, to the
 * definer body, which EXECUTE keeps from everyone else (fmgr calls it without that check).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/pg_list.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(decide_entry);

/* decide(declaration_id text) -> decision: decide_as_owner(declaration_id, the calling role). */
Datum
decide_entry(PG_FUNCTION_ARGS)
{
	FmgrInfo   *body = fcinfo->flinfo->fn_extra;
	LOCAL_FCINFO(call, 2);
	Datum		result;

	if (body == NULL)
	{
		Oid			argtypes[2] = {TEXTOID, OIDOID};
		Oid			fn = LookupFuncName(list_make2(makeString("customs_risk"), makeString("decide_as_owner")),
										2, argtypes, false);

		body = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(FmgrInfo));
		fmgr_info_cxt(fn, body, fcinfo->flinfo->fn_mcxt);
		fcinfo->flinfo->fn_extra = body;
	}
	/* no collation: the body compares the id with declaration_id (COLLATE "C"), and a caller's
	 * non-default collation on the argument would conflict with it (42P22) */
	InitFunctionCallInfoData(*call, body, 2, InvalidOid, NULL, NULL);
	call->args[0] = fcinfo->args[0];
	call->args[1].value = ObjectIdGetDatum(GetUserId());
	call->args[1].isnull = false;
	result = FunctionCallInvoke(call);
	if (call->isnull)
		PG_RETURN_NULL();
	return result;
}
