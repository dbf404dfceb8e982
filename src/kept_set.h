/*
 * kept_set.h: when a backend may keep reference data between statements (kept_set.c): the
 * office tree (office_tree.c) and the channel policies (policy_cache.c) are kept for the
 * profile-set row a statement sees, which every change to them moves.
 */
#ifndef CUSTOMS_RISK_KEPT_SET_H
#define CUSTOMS_RISK_KEPT_SET_H

#include "postgres.h"

/* What a kept set was read under; equal stamps see the same tables. */
typedef struct KeptStamp
{
	Oid			db;
	int64		version;		/* of the profile-set row */
	TransactionId xmin;			/* the raw xmin of that row version */
	uint64		generation;		/* of the catalog: a table or function redefined moves it */
} KeptStamp;

/*
 * The stamp of this statement, or false when it may neither use nor keep a set read from the
 * tables relids[0..n): when its transaction has written anything (its own changes to them are
 * not in the profile-set row until their statement ends), when the user may not read each of
 * them whole or reads one under row-level security, or when the profile-set row is missing.
 */
extern bool KeptStampNow(const Oid *relids, int n, KeptStamp *stamp);

static inline bool
KeptStampEqual(const KeptStamp *a, const KeptStamp *b)
{
	return a->db == b->db && a->version == b->version && a->xmin == b->xmin && a->generation == b->generation;
}

#endif							/* CUSTOMS_RISK_KEPT_SET_H */
