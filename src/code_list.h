/*
 * code_list.h: named code lists (table code_list_entry) for "in list 'name'",
 * loaded once per query and searched with binary search.
 */
#ifndef CUSTOMS_RISK_CODE_LIST_H
#define CUSTOMS_RISK_CODE_LIST_H

#include "postgres.h"

typedef struct CodeList CodeList;

/* The lists one statement has read, in a context of their own (zero: none read yet). */
typedef struct CodeListCache
{
	MemoryContext mcxt;
	CodeList   *lists;
} CodeListCache;

/*
 * Forget the lists read so far and free them, so the next statement reads them again; the
 * first call makes the cache's context under parent.  A call site that outlives statements
 * (a PL/pgSQL loop) would otherwise keep every statement's copy.
 */
extern void CodeListCacheReset(CodeListCache *cache, MemoryContext parent);

/* Binary search of a bytewise-sorted set of texts for val. */
extern bool TextSetContains(char *const *items, const int *lens, int n, const char *val, int vallen);

/* The criteria core's list callback; ctx is a CodeListCache. */
extern int	CodeListLookup(void *ctx, const char *list, int listlen, const char *val, int vallen);

#endif							/* CUSTOMS_RISK_CODE_LIST_H */
