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

typedef struct AnchorTable
{
	MemoryContext cxt;
	AnchorSlot *slots;
	uint32		mask;			/* capacity - 1, a power of two */
	uint32		n;
} AnchorTable;

extern void AnchorTableInit(AnchorTable *t, MemoryContext cxt);

/* Insert or find: the value slot of the key; *found false when it was just inserted. */
extern int32 *AnchorEnterHs(AnchorTable *t, int64 key, bool *found);
extern int32 *AnchorEnterCode(AnchorTable *t, int field, const char *s, int len, bool *found);

/* The value of the key, or -1. */
extern int32 AnchorFindHs(const AnchorTable *t, int64 key);
extern int32 AnchorFindCode(const AnchorTable *t, int field, const char *s, int len);

#endif							/* CUSTOMS_RISK_ANCHOR_TABLE_H */
