/*
 * hscode.h: the hscode type as the backend sees it (a pass-by-value int8 key).
 */
#ifndef CUSTOMS_RISK_HSCODE_H
#define CUSTOMS_RISK_HSCODE_H

#include "postgres.h"
#include "hscode_core.h"

#define DatumGetHsKey(d) ((HsKey) DatumGetInt64(d))
#define HsKeyGetDatum(k) Int64GetDatum((int64) (k))
#define PG_RETURN_HSKEY(k) return HsKeyGetDatum(k)

/* Parse text into a key, raising 22P02 naming the type on bad input. */
extern HsKey HsKeyFromCString(const char *str);

#endif							/* CUSTOMS_RISK_HSCODE_H */
