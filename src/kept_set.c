/*
 * kept_set.c: when a backend may keep reference data between statements, and the stamp it
 * keeps it under.
 *
 * A set read in one statement holds for another when both see the same profile-set row version
 * (every change to profiles, offices, channel policies and user scopes moves it, in the
 * changing transaction) and the catalog has not changed the tables' or the functions'
 * definitions since.  A transaction that has written anything uses none: until its statement
 * ends, its own changes to the tables are visible but not yet in the profile-set row, and a set
 * read then would be kept under the old row and outlive a rollback.  Invalidation callbacks
 * only move a counter: a kept set is never freed under a caller.
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/inval.h"
#include "utils/rls.h"
#include "utils/syscache.h"

#include "kept_set.h"
#include "singleton_row.h"

static uint64 catalog_generation = 0;
static bool callbacks_registered = false;
/* the tables kept sets are read from (a ring of the last ones asked about): redefining one moves the counter */
static Oid	watched[4];
static int	next_watched = 0;

static void
RelationChanged(Datum arg, Oid relid)
{
	if (!OidIsValid(relid))
		catalog_generation++;
	else
		for (int i = 0; i < (int) lengthof(watched); i++)
			if (watched[i] == relid)
				catalog_generation++;
}

static void
FunctionChanged(Datum arg, int cacheid, uint32 hashvalue)
{
	catalog_generation++;		/* effective_policy_read() replaced, say: rare, so any function */
}

bool
KeptStampNow(const Oid *relids, int n, KeptStamp *stamp)
{
	Datum		version;

	if (!callbacks_registered)
	{
		CacheRegisterRelcacheCallback(RelationChanged, (Datum) 0);
		CacheRegisterSyscacheCallback(PROCOID, FunctionChanged, (Datum) 0);
		callbacks_registered = true;
	}
	if (TransactionIdIsValid(GetTopTransactionIdIfAny()))
		return false;
	for (int i = 0; i < n; i++)
	{
		if (!OidIsValid(relids[i]) || pg_class_aclcheck(relids[i], GetUserId(), ACL_SELECT) != ACLCHECK_OK ||
			check_enable_rls(relids[i], InvalidOid, true) != RLS_NONE)
			return false;
		{
			int			w;

			for (w = 0; w < (int) lengthof(watched) && watched[w] != relids[i]; w++)
				;
			if (w == (int) lengthof(watched))
			{
				/* a ring: the tables asked about now stay in it, old ones (a dropped extension's) leave */
				watched[next_watched] = relids[i];
				next_watched = (next_watched + 1) % (int) lengthof(watched);
			}
		}
	}
	if (!SingletonRowValue("profile_set", "version", CurrentMemoryContext, &version, &stamp->xmin))
		return false;
	stamp->db = MyDatabaseId;
	stamp->version = DatumGetInt64(version);
	stamp->generation = catalog_generation;
	return true;
}
