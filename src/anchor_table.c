/*
 * anchor_table.c: open-addressing hash table from anchor keys to bucket numbers.
 */
#include "postgres.h"

#include "common/hashfn.h"

#include "anchor_table.h"

uint32
AnchorHashHs(int64 key)
{
	return (uint32) (hash_bytes_uint32((uint32) key) ^ murmurhash32((uint32) ((uint64) key >> 32)));
}

/* value_hash: hash_bytes() of the code, which the matcher's guards compute anyway */
uint32
AnchorHashCode(int field, uint32 value_hash)
{
	return value_hash ^ murmurhash32((uint32) field);
}

static inline uint32
HashCode(int field, const char *s, int len)
{
	return AnchorHashCode(field, hash_bytes((const unsigned char *) s, len));
}

static inline void
FilterSet(AnchorTable *t, uint32 hash)
{
	uint32		bit = hash & t->filter_mask;

	t->filter[bit >> 6] |= (uint64) 1 << (bit & 63);
}

/* A filter of 4 bits per slot (at least one word), empty. */
static void
FilterAlloc(AnchorTable *t)
{
	uint32		words = Max((t->mask + 1) * 4 / 64, 1);

	t->filter = MemoryContextAllocZero(t->cxt, sizeof(uint64) * words);
	t->filter_mask = words * 64 - 1;
}

static inline bool
SlotIs(const AnchorSlot *slot, uint32 hash, int64 key, int field, const char *s, int len)
{
	if (slot->hash != hash)
		return false;
	if (s == NULL)
		return slot->s == NULL && slot->key == key;
	return slot->s != NULL && slot->field == field && slot->len == len && memcmp(slot->s, s, len) == 0;
}

static int32
Find(const AnchorTable *t, uint32 hash, int64 key, int field, const char *s, int len)
{
	for (uint32 i = hash & t->mask;; i = (i + 1) & t->mask)
	{
		const AnchorSlot *slot = &t->slots[i];

		if (slot->value < 0)
			return -1;
		if (SlotIs(slot, hash, key, field, s, len))
			return slot->value;
	}
}

void
AnchorTableInit(AnchorTable *t, MemoryContext cxt)
{
	t->cxt = cxt;
	t->mask = 63;
	t->n = 0;
	t->slots = MemoryContextAlloc(cxt, sizeof(AnchorSlot) * (t->mask + 1));
	for (uint32 i = 0; i <= t->mask; i++)
		t->slots[i].value = -1;
	FilterAlloc(t);
}

/* Double the capacity: kept at most half full, so probes stay short. */
static void
Grow(AnchorTable *t)
{
	AnchorSlot *old = t->slots;
	uint32		oldcap = t->mask + 1;

	t->mask = oldcap * 2 - 1;
	t->slots = MemoryContextAlloc(t->cxt, sizeof(AnchorSlot) * (t->mask + 1));
	for (uint32 i = 0; i <= t->mask; i++)
		t->slots[i].value = -1;
	pfree(t->filter);
	FilterAlloc(t);
	for (uint32 i = 0; i < oldcap; i++)
	{
		uint32		j;

		if (old[i].value < 0)
			continue;
		FilterSet(t, old[i].hash);
		for (j = old[i].hash & t->mask; t->slots[j].value >= 0; j = (j + 1) & t->mask)
			;
		t->slots[j] = old[i];
	}
	pfree(old);
}

static int32 *
Enter(AnchorTable *t, uint32 hash, int64 key, int field, const char *s, int len, bool *found)
{
	uint32		i;

	if ((t->n + 1) * 2 > t->mask + 1)
		Grow(t);
	for (i = hash & t->mask; t->slots[i].value >= 0; i = (i + 1) & t->mask)
		if (SlotIs(&t->slots[i], hash, key, field, s, len))
		{
			*found = true;
			return &t->slots[i].value;
		}
	t->slots[i].hash = hash;
	t->slots[i].key = key;
	t->slots[i].s = s;
	t->slots[i].len = (uint16) len;
	t->slots[i].field = (uint8) field;
	t->slots[i].value = 0;		/* taken; the caller sets the value */
	t->n++;
	FilterSet(t, hash);
	*found = false;
	return &t->slots[i].value;
}

int32 *
AnchorEnterHs(AnchorTable *t, int64 key, bool *found)
{
	return Enter(t, AnchorHashHs(key), key, 0, NULL, 0, found);
}

int32 *
AnchorEnterCode(AnchorTable *t, int field, const char *s, int len, bool *found)
{
	return Enter(t, HashCode(field, s, len), 0, field, s, len, found);
}

int32
AnchorFindHs(const AnchorTable *t, int64 key)
{
	return Find(t, AnchorHashHs(key), key, 0, NULL, 0);
}

int32
AnchorFindCode(const AnchorTable *t, int field, const char *s, int len)
{
	return Find(t, HashCode(field, s, len), 0, field, s, len);
}

int32
AnchorFindHsHashed(const AnchorTable *t, uint32 hash, int64 key)
{
	return Find(t, hash, key, 0, NULL, 0);
}

int32
AnchorFindCodeHashed(const AnchorTable *t, uint32 hash, int field, const char *s, int len)
{
	return Find(t, hash, 0, field, s, len);
}

void
AnchorMapValues(AnchorTable *t, const int32 *map)
{
	for (uint32 i = 0; i <= t->mask; i++)
		if (t->slots[i].value >= 0)
			t->slots[i].value = map[t->slots[i].value];
}
