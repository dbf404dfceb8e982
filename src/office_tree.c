/*
 * office_tree.c: district_of(office), the district risk centre an office belongs to.
 *
 * declaration_line_v gives every line its district.  As a join to office that was a nested
 * loop step per line, about 0.3 s per million lines; the tree is a few dozen rows, so each
 * call site takes it once per snapshot (as the query's snapshot sees it, as a join would) as a
 * sorted array and finds an office by binary search.
 *
 * Reading the tree with SPI was about a tenth of a decide() (one declaration, one query), so
 * the tree last read is kept for the backend, under the stamp of kept_set.h: every change to
 * office moves the profile-set version (office_moves_profile_set), so a query whose snapshot
 * sees the same row version sees the same tree, and takes a copy of the kept one.  Where no
 * stamp may be taken (a role that may not read the whole table, a transaction that has
 * written), the tree is read each query, as before.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "kept_set.h"

/* An office: its code and its district, as offsets into the tree's block. */
typedef struct OfficeEntry
{
	uint32		code;
	int			len;
	int32		district;		/* a text varlena, -1 for NULL (the national centre) */
} OfficeEntry;

/* The tree in one block of size bytes, so that a copy is one memcpy. */
typedef struct OfficeTree
{
	Size		size;
	int			n;
	OfficeEntry rows[FLEXIBLE_ARRAY_MEMBER];	/* by code, bytewise (office_code is COLLATE "C") */
} OfficeTree;

#define TREE_CHAR(tree, off) ((const char *) (tree) + (off))

static SPIPlanPtr office_plan = NULL;

/* The tree last read by a role that may read it all, and the stamp it was read under. */
static OfficeTree *kept_tree = NULL;
static KeptStamp kept_stamp;

/* Order of entries by code; arg is their tree. */
static int
CompareEntries(const void *a, const void *b, void *arg)
{
	const OfficeEntry *x = a,
			   *y = b;
	int			c = memcmp(TREE_CHAR(arg, x->code), TREE_CHAR(arg, y->code), Min(x->len, y->len));

	return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

/* Every office with its district (a house's parent, a district itself), read with SPI, into mcxt. */
static OfficeTree *
ReadOfficeTree(MemoryContext mcxt)
{
	OfficeTree *tree;
	Size		size;
	Size		off;
	int			n;

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
	n = (int) SPI_processed;
	/* one block: the entries, then each code, then each district as a varlena, aligned */
	size = MAXALIGN(offsetof(OfficeTree, rows) + sizeof(OfficeEntry) * n);
	for (int i = 0; i < n; i++)
	{
		bool		isnull;
		Datum		code = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
		Datum		district = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull);

		size += MAXALIGN(VARSIZE_ANY_EXHDR(DatumGetPointer(code)));
		if (!isnull)
			size += MAXALIGN(VARSIZE_ANY(DatumGetPointer(district)));
	}
	tree = MemoryContextAllocZero(mcxt, size);
	tree->size = size;
	tree->n = n;
	off = MAXALIGN(offsetof(OfficeTree, rows) + sizeof(OfficeEntry) * n);
	for (int i = 0; i < n; i++)
	{
		bool		isnull;
		text	   *code = DatumGetTextPP(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		Datum		district = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull);
		OfficeEntry *e = &tree->rows[i];

		e->code = (uint32) off;
		e->len = VARSIZE_ANY_EXHDR(code);
		memcpy((char *) tree + off, VARDATA_ANY(code), e->len);
		off += MAXALIGN(e->len);
		e->district = -1;
		if (!isnull)
		{
			e->district = (int32) off;
			memcpy((char *) tree + off, DatumGetPointer(district), VARSIZE_ANY(DatumGetPointer(district)));
			off += MAXALIGN(VARSIZE_ANY(DatumGetPointer(district)));
		}
	}
	SPI_finish();
	qsort_arg(tree->rows, tree->n, sizeof(OfficeEntry), CompareEntries, tree);
	return tree;
}

static OfficeTree *
CopyTree(const OfficeTree *tree, MemoryContext mcxt)
{
	OfficeTree *copy = MemoryContextAlloc(mcxt, tree->size);

	memcpy(copy, tree, tree->size);
	return copy;
}

/* The tree for a call site, in mcxt: a copy of the kept one while it holds. */
static OfficeTree *
CallSiteTree(MemoryContext mcxt)
{
	Oid			relid = get_relname_relid("office", get_namespace_oid("customs_risk", false));
	KeptStamp	stamp;
	OfficeTree *tree;
	OfficeTree *keep;

	if (!KeptStampNow(&relid, 1, &stamp))
		return ReadOfficeTree(mcxt);
	if (kept_tree != NULL && KeptStampEqual(&kept_stamp, &stamp))
		return CopyTree(kept_tree, mcxt);
	/* read into the call site's memory and copied before the old one goes: an error leaves it as it was */
	tree = ReadOfficeTree(mcxt);
	keep = CopyTree(tree, TopMemoryContext);
	if (kept_tree != NULL)
		pfree(kept_tree);
	kept_tree = keep;
	kept_stamp = stamp;
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
		int			c = memcmp(TREE_CHAR(tree, e->code), s, Min(e->len, len));

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

/*
 * A call site's tree and the snapshot it was taken under: a PL/pgSQL expression keeps its call
 * site for a whole transaction, and each of its statements must see the tree as it is then.
 */
typedef struct OfficeSite
{
	OfficeTree *tree;
	CommandId	cid;
	TransactionId xmin;
	TransactionId xmax;
} OfficeSite;

PG_FUNCTION_INFO_V1(district_of);
/*
 * district_of(office): a customs house's district centre, a district centre itself, NULL for
 * the national centre; 22023 for an office that does not exist.  The result points into the
 * call site's tree (read-only, as every function result is; a caller copies what it keeps
 * before the call site's next statement, when the tree may be taken again).
 */
Datum
district_of(PG_FUNCTION_ARGS)
{
	text	   *office = PG_GETARG_TEXT_PP(0);
	OfficeSite *site = fcinfo->flinfo->fn_extra;
	Snapshot	snap = ActiveSnapshotSet() ? GetActiveSnapshot() : NULL;
	const OfficeEntry *e;

	if (site == NULL)
		fcinfo->flinfo->fn_extra = site = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(OfficeSite));
	if (site->tree == NULL ||
		(snap != NULL && (snap->curcid != site->cid || snap->xmin != site->xmin || snap->xmax != site->xmax)))
	{
		OfficeTree *old = site->tree;

		site->tree = CallSiteTree(fcinfo->flinfo->fn_mcxt);
		if (old != NULL)
			pfree(old);
		if (snap != NULL)
		{
			site->cid = snap->curcid;
			site->xmin = snap->xmin;
			site->xmax = snap->xmax;
		}
	}
	e = FindOffice(site->tree, VARDATA_ANY(office), VARSIZE_ANY_EXHDR(office));
	if (e == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("office %s does not exist", quote_literal_cstr(text_to_cstring(office)))));
	if (e->district < 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P((text *) TREE_CHAR(site->tree, e->district));
}
