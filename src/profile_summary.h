/*
 * profile_summary.h: sets of matched profile ids (profile_summary.c), for the batch.
 */
#ifndef CUSTOMS_RISK_PROFILE_SUMMARY_H
#define CUSTOMS_RISK_PROFILE_SUMMARY_H

#include "postgres.h"

#include "utils/array.h"

/*
 * The ids of a bigint[] and how many: ascending, without repeats or NULLs, as match_profiles
 * returns them, or an error (22023) naming what needed them.
 */
extern int64 *SortedIds(ArrayType *a, int *n, const char *what);

/* The union of two such sets, as profile_union gives it: a itself or b itself when the other is empty. */
extern ArrayType *ProfileIdsUnion(ArrayType *a, ArrayType *b, const char *what);

#endif							/* CUSTOMS_RISK_PROFILE_SUMMARY_H */
