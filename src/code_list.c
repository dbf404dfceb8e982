/*
 * code_list.c: named code lists for criteria ("importer in list 'watchlist'").
 * A list is read once per query through SPI; an unknown list is an error.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "code_list.h"

struct CodeList
{
	char	   *name;
	int			n;
	char	  **codes;			/* sorted bytewise */
	int		   *lens;
	struct CodeList *next;
};

/* Read a list from code_list_entry into the cache's memory context. */
static CodeList *
LoadCodeList(CodeListCache *cache, const char *name, int namelen)
{
	CodeList   *cl;
	MemoryContext old;
	char	   *listname = pnstrdup(name, namelen);
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];

	for (cl = cache->lists; cl; cl = cl->next)
		if (strcmp(cl->name, listname) == 0)
			return cl;

	args[0] = CStringGetTextDatum(listname);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute_with_args("SELECT 1 FROM customs_risk.code_list WHERE list_name OPERATOR(pg_catalog.=) $1",
							  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading customs_risk.code_list failed");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("code list \"%s\" does not exist", listname),
				 errhint("Create it in table customs_risk.code_list.")));
	if (SPI_execute_with_args("SELECT code FROM customs_risk.code_list_entry WHERE list_name OPERATOR(pg_catalog.=) $1 "
							  "ORDER BY code COLLATE \"C\"",
							  1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading customs_risk.code_list_entry failed");

	old = MemoryContextSwitchTo(cache->mcxt);
	cl = palloc0(sizeof(CodeList));
	cl->name = pstrdup(listname);
	cl->n = (int) SPI_processed;
	cl->codes = palloc(sizeof(char *) * Max(cl->n, 1));
	cl->lens = palloc(sizeof(int) * Max(cl->n, 1));
	for (int i = 0; i < cl->n; i++)
	{
		bool		isnull;
		text	   *t = DatumGetTextPP(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));

		cl->lens[i] = VARSIZE_ANY_EXHDR(t);
		cl->codes[i] = palloc(cl->lens[i] + 1);
		memcpy(cl->codes[i], VARDATA_ANY(t), cl->lens[i]);
	}
	cl->next = cache->lists;
	cache->lists = cl;
	MemoryContextSwitchTo(old);
	SPI_finish();
	return cl;
}

void
CodeListCacheReset(CodeListCache *cache, MemoryContext parent)
{
	if (cache->mcxt == NULL)
		cache->mcxt = AllocSetContextCreate(parent, "customs_risk code lists", ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(cache->mcxt);
	cache->lists = NULL;
}

bool
TextSetContains(char *const *items, const int *lens, int n, const char *val, int vallen)
{
	int			lo = 0,
				hi = n;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			c = memcmp(val, items[mid], Min(vallen, lens[mid]));

		if (c == 0)
			c = (vallen > lens[mid]) - (vallen < lens[mid]);
		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

int
CodeListLookup(void *ctx, const char *list, int listlen, const char *val, int vallen)
{
	CodeList   *cl = LoadCodeList((CodeListCache *) ctx, list, listlen);

	return TextSetContains(cl->codes, cl->lens, cl->n, val, vallen) ? 1 : 0;
}
