/*
 * text_index.h: text keys to small integers, by open addressing on the key's hash: the
 * batch's offices by code and graded importers by id, looked up once per line.
 */
#ifndef CUSTOMS_RISK_TEXT_INDEX_H
#define CUSTOMS_RISK_TEXT_INDEX_H

#include "postgres.h"

typedef struct TextIndex
{
	struct varlena **keys;		/* by slot, NULL when free; kept, not copied */
	int32	   *index;
	uint32		mask;
} TextIndex;

/* Room for n keys (at most half the slots are used, so a search always ends). */
extern void TextIndexInit(TextIndex *ti, MemoryContext mcxt, int32 n);

/* Add key with its index; false when the key is there already. */
extern bool TextIndexAdd(TextIndex *ti, struct varlena *key, int32 index);

/* The index of the text d, or -1. */
extern int32 TextIndexFind(const TextIndex *ti, Datum d);

#endif							/* CUSTOMS_RISK_TEXT_INDEX_H */
