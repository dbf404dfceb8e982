/*
 * selection.c: the keyed random draw behind random selection.
 *
 * draw = first 52 bits of SHA-256(key || declaration id) / 2^52, uniform in
 * [0, 1): the same every time for the same key and id, so an auditor with the
 * key can reproduce every random selection, and unpredictable without it.
 */
#include "postgres.h"

#include "common/cryptohash.h"
#include "common/sha2.h"
#include "fmgr.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(random_draw_with);
/* random_draw_with(key bytea, declaration_id text) → float8 in [0, 1). */
Datum
random_draw_with(PG_FUNCTION_ARGS)
{
	bytea	   *key = PG_GETARG_BYTEA_PP(0);
	text	   *id = PG_GETARG_TEXT_PP(1);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	uint64		bits = 0;

	if (ctx == NULL ||
		pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key)) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) VARDATA_ANY(id), VARSIZE_ANY_EXHDR(id)) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
	{
		pg_cryptohash_free(ctx);
		elog(ERROR, "could not compute SHA-256 for the random draw");
	}
	pg_cryptohash_free(ctx);
	for (int i = 0; i < 7; i++)
		bits = (bits << 8) | digest[i];
	bits >>= 4;					/* the first 52 bits */
	PG_RETURN_FLOAT8((double) bits / 4503599627370496.0);
}
