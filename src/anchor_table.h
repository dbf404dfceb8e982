/*
 * anchor_table.h: the matcher's lookup from a line's key (an HS code or ancestor, or a
 * field's code) to the bucket of profiles filed under it.  Open addressing, built once
 * per profile set and then only read, so a lookup is one hash and a probe or two, with
 * no function pointers and no key copying (dynahash costs several times that).
 */
#ifndef CUSTOMS_RISK_ANCHOR_TABLE_H
#define CUSTOMS_RISK_ANCHOR_TABLE_H

#include "postgres.h"

typedef struct AnchorSlot
{
	int64		key;			/* HS key; for a code, unused */
	const char *s;				/* code bytes (kept by the caller), NULL for HS */
	uint32		hash;
	int32		value;			/* -1: empty */
	uint16		len;
	uint8		field;
} AnchorSlot;

/*
 * Beside the slots, a filter of 4 bits per slot (a bit set for each key's hash) small enough
 * to stay in the core's cache while the lines stream past: most of a line's keys (its HS
 * ancestors, its codes) are filed under no profile, and the filter answers that without
 * reading the slots.
 */
typedef struct AnchorTable
{
	MemoryContext cxt;
	AnchorSlot *slots;
	uint32		mask;			/* capacity - 1, a power of two */
	uint32		n;
	uint64	   *filter;
	uint32		filter_mask;	/* bits in the filter - 1 */
} AnchorTable;

extern void AnchorTableInit(AnchorTable *t, MemoryContext cxt);

/* Insert or find: the value slot of the key; *found false when it was just inserted. */
extern int32 *AnchorEnterHs(AnchorTable *t, int64 key, bool *found);
extern int32 *AnchorEnterCode(AnchorTable *t, int field, const char *s, int len, bool *found);

/* The value of the key, or -1. */
extern int32 AnchorFindHs(const AnchorTable *t, int64 key);
extern int32 AnchorFindCode(const AnchorTable *t, int field, const char *s, int len);

/* Replace every value v by map[v] (the caller renumbers what the values name). */
extern void AnchorMapValues(AnchorTable *t, const int32 *map);

/*
 * Lookups in two steps, so that a caller with several keys can start every slot's read
 * before it waits for the first: AnchorProbe takes the key's hash (AnchorHash*) and returns
 * false when the filter says the key is absent, else prefetches its slot; AnchorFind*Hashed
 * then looks.
 */
extern uint32 AnchorHashHs(int64 key);
extern uint32 AnchorHashCode(int field, uint32 value_hash);

static inline bool
AnchorProbe(const AnchorTable *t, uint32 hash)
{
	uint32		bit = hash & t->filter_mask;

	if (!(t->filter[bit >> 6] & ((uint64) 1 << (bit & 63))))
		return false;
	__builtin_prefetch(&t->slots[hash & t->mask]);
	return true;
}

extern int32 AnchorFindHsHashed(const AnchorTable *t, uint32 hash, int64 key);
extern int32 AnchorFindCodeHashed(const AnchorTable *t, uint32 hash, int field, const char *s, int len);

#endif							/* CUSTOMS_RISK_ANCHOR_TABLE_H */
