/*
 * selection.c: the keyed random draw behind random selection.
 *
 * draw = first 52 bits of SHA-256(key || declaration id) / 2^52, uniform in
 * [0, 1): the same every time for the same key and id, so an auditor with the
 * key can reproduce every random selection, and unpredictable without it.
 *
 * random_draw(id) reads the key from customs_risk.selection_secret itself, once
 * per transaction, and returns only the draw: it does what a SECURITY DEFINER
 * function owned by the extension's owner would do, without the identity switch
 * that would cost more than the draw on each of a batch's million calls.  Like
 * the key, it is not granted to PUBLIC.  The digest is sha256_core.c's, on the stack:
 * the server's resource-owned hash contexts cost more than the digest of an id.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "selection.h"
#include "sha256_core.h"
#include "singleton_row.h"

/* See selection.h: the draw of id followed by suffix, under the key. */
double
SelectionDraw(const bytea *key, const char *id, int idlen, const char *suffix)
{
	CrSha256	ctx;
	uint8		digest[CR_SHA256_LEN];
	uint64		bits = 0;

	cr_sha256_init(&ctx);
	cr_sha256_update(&ctx, VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key));
	cr_sha256_update(&ctx, id, idlen);
	if (suffix != NULL)
		cr_sha256_update(&ctx, suffix, strlen(suffix));
	cr_sha256_final(&ctx, digest);
	for (int i = 0; i < 7; i++)
		bits = (bits << 8) | digest[i];
	bits >>= 4;					/* the first 52 bits */
	return (double) bits / 4503599627370496.0;
}

PG_FUNCTION_INFO_V1(random_draw_with);
/* random_draw_with(key bytea, declaration_id text) → float8 in [0, 1). */
Datum
random_draw_with(PG_FUNCTION_ARGS)
{
	bytea	   *key = PG_GETARG_BYTEA_PP(0);
	text	   *id = PG_GETARG_TEXT_PP(1);

	PG_RETURN_FLOAT8(SelectionDraw(key, VARDATA_ANY(id), VARSIZE_ANY_EXHDR(id), NULL));
}

PG_FUNCTION_INFO_V1(random_draws_with);
/* random_draws_with(key bytea, declaration_ids text[]) → float8[]: the draws in order, NULL for NULL. */
Datum
random_draws_with(PG_FUNCTION_ARGS)
{
	bytea	   *key = PG_GETARG_BYTEA_PP(0);
	ArrayType  *ids = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	Datum	   *draws;
	int			dims[1],
				lbs[1] = {1};

	if (ARR_NDIM(ids) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("random_draws_with() needs a one-dimensional array of declaration ids")));
	deconstruct_array(ids, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	draws = palloc(sizeof(Datum) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		text	   *id;

		if (nulls[i])
			continue;
		id = DatumGetTextPP(elems[i]);
		draws[i] = Float8GetDatum(SelectionDraw(key, VARDATA_ANY(id), VARSIZE_ANY_EXHDR(id), NULL));
	}
	dims[0] = n;
	if (n == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(FLOAT8OID));
	PG_RETURN_ARRAYTYPE_P(construct_md_array(draws, nulls, 1, dims, lbs, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* See selection.h. */
bytea *
SelectionKey(void)
{
	static bytea *key = NULL;
	static LocalTransactionId key_lxid = InvalidLocalTransactionId;
	static CommandId key_cid;
	Datum		d;

	/* read again in each statement: the key is made lazily, inside a transaction too */
	if (key_lxid == MyProc->lxid && key_cid == GetCurrentCommandId(false))
		return key;
	/* forget the old key first: if reading the new one fails, nothing points at freed memory */
	if (key != NULL)
	{
		bytea	   *old = key;

		key = NULL;
		key_lxid = InvalidLocalTransactionId;
		pfree(old);
	}
	key = SingletonRowValue("selection_secret", "secret", TopMemoryContext, &d, NULL) ? DatumGetByteaPP(d) : NULL;
	key_lxid = MyProc->lxid;
	key_cid = GetCurrentCommandId(false);
	return key;
}

PG_FUNCTION_INFO_V1(random_draw);
/* random_draw(declaration_id text) → the draw under this database's key; NULL before there is one. */
Datum
random_draw(PG_FUNCTION_ARGS)
{
	text	   *id = PG_GETARG_TEXT_PP(0);
	bytea	   *key = SelectionKey();

	if (key == NULL)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(SelectionDraw(key, VARDATA_ANY(id), VARSIZE_ANY_EXHDR(id), NULL));
}
