/*
 * customs_risk.c: module entry point.  Each domain noun has its own file.
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;
