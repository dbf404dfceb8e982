/*
 * office_tree.c: district_of(office), the district risk centre an office belongs to.
 *
 * declaration_line_v gives every line its district.  As a join to office that was a nested
 * loop step per line, about 0.3 s per million lines; the tree is a few dozen rows, so each
 * call site reads it once per query (the query's snapshot, as a join would) into a sorted
 * array and finds an office by binary search.  The reading query is planned once per
 * session: decide() reads the view for one declaration, and must not pay a parse and plan.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"

typedef struct OfficeEntry
{
	char	   *code;
	int			len;
	text	   *district;		/* NULL for the national centre */
} OfficeEntry;

typedef struct OfficeTree
{
	int			n;
	OfficeEntry *rows;			/* by code, bytewise (office_code is COLLATE "C") */
} OfficeTree;

static SPIPlanPtr office_plan = NULL;

static int
CompareEntries(const void *a, const void *b)
{
	const OfficeEntry *x = a,
			   *y = b;
	int			c = memcmp(x->code, y->code, Min(x->len, y->len));

	return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

/* Every office with its district (a house's parent, a district itself), into mcxt. */
static OfficeTree *
LoadOfficeTree(MemoryContext mcxt)
{
	OfficeTree *tree = MemoryContextAllocZero(mcxt, sizeof(OfficeTree));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (office_plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare("SELECT office_code, CASE WHEN level OPERATOR(pg_catalog.=) 'house'::customs_risk.office_level "
									   "THEN parent_code WHEN level OPERATOR(pg_catalog.=) 'district'::customs_risk.office_level "
									   "THEN office_code END FROM customs_risk.office", 0, NULL);

		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "district_of(): planning the office tree's query failed");
		office_plan = plan;
	}
	if (SPI_execute_plan(office_plan, NULL, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "district_of(): reading the office tree failed");
	tree->n = (int) SPI_processed;
	tree->rows = MemoryContextAlloc(mcxt, sizeof(OfficeEntry) * Max(tree->n, 1));
	for (int i = 0; i < tree->n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		text	   *code = DatumGetTextPP(SPI_getbinval(tup, desc, 1, &isnull));
		Datum		district = SPI_getbinval(tup, desc, 2, &isnull);
		OfficeEntry *e = &tree->rows[i];

		e->len = VARSIZE_ANY_EXHDR(code);
		e->code = MemoryContextAlloc(mcxt, Max(e->len, 1));
		memcpy(e->code, VARDATA_ANY(code), e->len);
		e->district = isnull ? NULL : (text *) MemoryContextAlloc(mcxt, VARSIZE_ANY(DatumGetPointer(district)));
		if (!isnull)
			memcpy(e->district, DatumGetPointer(district), VARSIZE_ANY(DatumGetPointer(district)));
	}
	SPI_finish();
	qsort(tree->rows, tree->n, sizeof(OfficeEntry), CompareEntries);
	return tree;
}

/* The entry of code s[0..len), or NULL. */
static const OfficeEntry *
FindOffice(const OfficeTree *tree, const char *s, int len)
{
	int			lo = 0,
				hi = tree->n - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		const OfficeEntry *e = &tree->rows[mid];
		int			c = memcmp(e->code, s, Min(e->len, len));

		if (c == 0)
			c = (e->len > len) - (e->len < len);
		if (c == 0)
			return e;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

PG_FUNCTION_INFO_V1(district_of);
/*
 * district_of(office): a customs house's district centre, a district centre itself, NULL for
 * the national centre; 22023 for an office that does not exist.  The result points into the
 * call site's cached tree (read-only, as every function result is).
 */
Datum
district_of(PG_FUNCTION_ARGS)
{
	text	   *office = PG_GETARG_TEXT_PP(0);
	OfficeTree *tree = fcinfo->flinfo->fn_extra;
	const OfficeEntry *e;

	if (tree == NULL)
		fcinfo->flinfo->fn_extra = tree = LoadOfficeTree(fcinfo->flinfo->fn_mcxt);
	e = FindOffice(tree, VARDATA_ANY(office), VARSIZE_ANY_EXHDR(office));
	if (e == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("office %s does not exist", quote_literal_cstr(text_to_cstring(office)))));
	if (e->district == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(e->district);
}
