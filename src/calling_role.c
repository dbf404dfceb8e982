/*
 * calling_role.c: the role a session acts as, seen from inside a SECURITY DEFINER function.
 *
 * decide() runs with its owner's rights, so that only the extension's code writes a decision
 * to the log, and must still decide only what its caller may: current_user inside it is the
 * owner, while the "outer" user, the one SET ROLE (or the login) established, is the caller's.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"

PG_FUNCTION_INFO_V1(calling_role);

/* calling_role() -> regrole: the role in effect outside any SECURITY DEFINER function. */
Datum
calling_role(PG_FUNCTION_ARGS)
{
	PG_RETURN_OID(GetOuterUserId());
}
