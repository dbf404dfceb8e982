/*
 * profile_match.h: what other files need of the matcher (profile_match.c).
 */
#ifndef CUSTOMS_RISK_PROFILE_MATCH_H
#define CUSTOMS_RISK_PROFILE_MATCH_H

#include "postgres.h"

#include "fmgr.h"

/*
 * Weight, channel (1 blue, 2 yellow, 3 red) and profile-set version of an active profile,
 * from the matcher this call site's statement uses; false when the id is not active there.
 */
extern bool ActiveProfileInfo(FunctionCallInfo fcinfo, int64 id, double *weight, int *channel, int64 *version);

#endif							/* CUSTOMS_RISK_PROFILE_MATCH_H */
