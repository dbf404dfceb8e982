/*
 * profile_match.h: what other files need of the matcher (profile_match.c).
 */
#ifndef CUSTOMS_RISK_PROFILE_MATCH_H
#define CUSTOMS_RISK_PROFILE_MATCH_H

#include "postgres.h"

#include "fmgr.h"

/*
 * The sum of the weights and the most intrusive channel (0 none, 1 blue, 2 yellow, 3 red) of
 * the active profiles ids[0..n) (ascending, without repeats), and the profile-set version,
 * from the matcher this call site's statement uses; their descriptions too when descriptions
 * (n entries) is not NULL.  Returns -1, or the position of the first id that is not active
 * there.
 */
extern int	ActiveProfilesSummary(FunctionCallInfo fcinfo, const int64 *ids, int n, double *score,
								  int *channel, int64 *version, const char **descriptions);

/*
 * The OID of channel label 0 green .. 3 red of enum type enumtype (the same at every call of
 * a call site), looked up once per call site: enum_in per row would be a catalog lookup.
 */
extern Oid	ChannelLabelOid(FunctionCallInfo fcinfo, int channel, Oid enumtype);

#endif							/* CUSTOMS_RISK_PROFILE_MATCH_H */
