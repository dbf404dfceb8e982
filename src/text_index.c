/*
 * text_index.c: text keys to small integers (see text_index.h).
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"

#include "text_index.h"

void
TextIndexInit(TextIndex *ti, MemoryContext mcxt, int32 n)
{
	uint32		nslots = 8;

	while (nslots < 2 * (uint32) n)
		nslots *= 2;
	ti->keys = MemoryContextAllocZero(mcxt, sizeof(struct varlena *) * nslots);
	ti->index = MemoryContextAlloc(mcxt, sizeof(int32) * nslots);
	ti->mask = nslots - 1;
}

/* The slot of key, or the free slot where it would go. */
static uint32
TextIndexSlot(const TextIndex *ti, const char *s, Size len)
{
	uint32		h = hash_bytes((const unsigned char *) s, (int) len);

	for (;; h++)
	{
		const struct varlena *k = ti->keys[h & ti->mask];

		if (k == NULL || (VARSIZE_ANY_EXHDR(k) == len && memcmp(VARDATA_ANY(k), s, len) == 0))
			return h & ti->mask;
	}
}

bool
TextIndexAdd(TextIndex *ti, struct varlena *key, int32 index)
{
	uint32		slot = TextIndexSlot(ti, VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key));

	if (ti->keys[slot] != NULL)
		return false;
	ti->keys[slot] = key;
	ti->index[slot] = index;
	return true;
}

int32
TextIndexFind(const TextIndex *ti, Datum d)
{
	text	   *t = DatumGetTextPP(d);
	uint32		slot = TextIndexSlot(ti, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));

	return ti->keys[slot] == NULL ? -1 : ti->index[slot];
}
