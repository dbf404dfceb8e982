/*
 * model_score.c: score rows with a stored risk model, and explain a score.
 *
 * A model is decoded once per backend and kept while its row in customs_risk.model is
 * unchanged; each query that scores checks that once (an index lookup of the row's
 * identity, no decoding), so retraining takes effect at the next query everywhere and a
 * query never sees two versions.  A decoded model is pinned by the queries using it and
 * freed when the last of them ends after it was replaced.
 */
#include "postgres.h"

#include <math.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/typcache.h"

#include "model_bins.h"
#include "model_codec.h"
#include "model_input.h"
#include "row_reader.h"

/* A decoded model and the identity of the row it came from. */
typedef struct CachedModel
{
	char		name[NAMEDATALEN * 2];
	TransactionId xmin;
	ItemPointerData tid;
	ModelDef   *def;
	int			pins;			/* queries using it */
	bool		current;		/* still the cache's entry for its name */
	struct CachedModel *next;
} CachedModel;

static CachedModel *model_cache = NULL;

/* Free a model nobody uses that has been replaced. */
static void
ReleaseIfUnused(CachedModel *cm)
{
	if (cm->pins > 0 || cm->current)
		return;
	for (CachedModel **p = &model_cache; *p != NULL; p = &(*p)->next)
		if (*p == cm)
		{
			*p = cm->next;
			break;
		}
	MemoryContextDelete(cm->def->cxt);
	pfree(cm);
}

/* The query's memory is going away: unpin its model. */
static void
Unpin(void *arg)
{
	CachedModel *cm = arg;

	cm->pins--;
	ReleaseIfUnused(cm);
}

/*
 * The model of that name, decoded from the row the statement's snapshot sees (from the
 * cache while that row is unchanged).  The caller needs SELECT on customs_risk.model.
 */
static CachedModel *
CurrentModel(const char *name)
{
	Oid			nsp = get_namespace_oid("customs_risk", false);
	Oid			relid = get_relname_relid("model", nsp);
	Oid			indexid = get_relname_relid("model_pkey", nsp);
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tuple;
	CachedModel *cm;

	if (!OidIsValid(relid) || !OidIsValid(indexid))
		elog(ERROR, "customs_risk.model is missing");
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read risk models"),
				 errhint("Scoring needs SELECT on customs_risk.model.")));
	if (strlen(name) >= sizeof(cm->name))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("risk model \"%.40s...\" does not exist", name)));

	rel = table_open(relid, AccessShareLock);
	{
		/* compare with the index's collation: the key must search the tree as it was built */
		Relation	irel = index_open(indexid, AccessShareLock);

		ScanKeyEntryInitialize(&key, 0, 1, BTEqualStrategyNumber, InvalidOid, irel->rd_indcollation[0],
							   F_TEXTEQ, CStringGetTextDatum(name));
		index_close(irel, AccessShareLock);
	}
	scan = systable_beginscan(rel, indexid, true, GetActiveSnapshot(), 1, &key);
	tuple = systable_getnext(scan);

	for (cm = model_cache; cm != NULL; cm = cm->next)
		if (cm->current && strcmp(cm->name, name) == 0)
			break;
	/* the raw xmin: a frozen row reports FrozenTransactionId, and a reused tid would then match */
	if (cm != NULL && (!HeapTupleIsValid(tuple) || cm->xmin != HeapTupleHeaderGetRawXmin(tuple->t_data) ||
					   !ItemPointerEquals(&cm->tid, &tuple->t_self)))
	{
		cm->current = false;	/* replaced or gone: freed once no query uses it */
		ReleaseIfUnused(cm);
		cm = NULL;
	}
	if (!HeapTupleIsValid(tuple))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("risk model \"%s\" does not exist", name),
				 errhint("Train it with customs_risk.train_model.")));
	if (cm == NULL)
	{
		bool		isnull;
		AttrNumber	attnum = get_attnum(relid, "body");
		Datum		body = heap_getattr(tuple, attnum, RelationGetDescr(rel), &isnull);
		CachedModel *entry;

		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("stored model \"%s\" has no body", name)));
		/* the entry first: decoding may fail, and an entry made after it could leak the model */
		entry = MemoryContextAllocZero(TopMemoryContext, sizeof(CachedModel));
		PG_TRY();
		{
			entry->def = ModelDefDeserialize(DatumGetByteaPP(body), TopMemoryContext, name);
		}
		PG_CATCH();
		{
			pfree(entry);
			PG_RE_THROW();
		}
		PG_END_TRY();
		cm = entry;
		strlcpy(cm->name, name, sizeof(cm->name));
		cm->xmin = HeapTupleHeaderGetRawXmin(tuple->t_data);
		cm->tid = tuple->t_self;
		cm->current = true;
		cm->next = model_cache;
		model_cache = cm;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return cm;
}

/* Keep a model until query_cxt is reset. */
static void
PinModel(CachedModel *cm, MemoryContext query_cxt)
{
	/* the callback first: a pin without its unpin would keep the model forever */
	MemoryContextCallback *cb = MemoryContextAlloc(query_cxt, sizeof(*cb));

	cb->func = Unpin;
	cb->arg = cm;
	cm->pins++;
	MemoryContextRegisterResetCallback(query_cxt, cb);
}

/* Per call site: the pinned model and where its columns are in the row type. */
typedef struct ScoreSite
{
	struct ScoreSite *next;		/* a call site that scores with several models keeps each */
	char	   *name;
	size_t		name_len;
	CachedModel *cm;
	/* the snapshot the model was checked under: a PL/pgSQL expression lives for a whole
	 * transaction, and must see a model retrained by an earlier statement */
	CommandId	cid;
	TransactionId snap_xmin;
	TransactionId snap_xmax;
	bool		recheck_type;	/* row mode: compare the row type's columns again */
	Oid			typid;
	int32		typmod;
	TupleDesc	tupdesc;
	int		   *attnum;			/* per model column, 0-based in the row */
	ModelInput *in;
	Datum	   *values;			/* row mode: the deformed row */
	bool	   *nulls;
	NullableDatum *args;		/* row mode: the same as the columns a rewritten call gets */
	double	   *x;
	uint8	   *qx;				/* the binned row, for a binned model */
	BinPlan		bins;			/* a binned model: how the row becomes qx */
	double	   *contrib;
	CategoryKey *cat_key;		/* per model column, for the staged category lookups */
} ScoreSite;

/*
 * Map the model's columns to a row's: natts columns with names (NULL: dropped) and types.
 * A missing column, or text where the model reads a number, is an error.
 */
static void
BindColumns(ScoreSite *site, MemoryContext mcxt, int natts, const char *const *names, const Oid *types)
{
	const ModelDef *m = site->cm->def;
	MemoryContext old = MemoryContextSwitchTo(mcxt);

	site->attnum = palloc(sizeof(int) * m->ncols);
	site->in = palloc(sizeof(ModelInput) * m->ncols);
	site->cat_key = palloc(sizeof(CategoryKey) * m->ncols);
	site->values = palloc(sizeof(Datum) * Max(natts, 1));
	site->nulls = palloc(sizeof(bool) * Max(natts, 1));
	site->args = palloc(sizeof(NullableDatum) * Max(natts, 1));
	for (int c = 0; c < m->ncols; c++)
	{
		const ModelColumn *col = &m->cols[c];
		int			a;

		for (a = 0; a < natts; a++)
			if (names[a] != NULL && strcmp(names[a], col->name) == 0)
				break;
		if (a == natts)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("risk model \"%s\" needs column \"%s\", which the row does not have",
							site->name, col->name)));
		site->attnum[c] = a;
		ModelInputInit(&site->in[c], types[a], mcxt);
		if (!col->categorical && !ModelTypeIsNumber(getBaseType(types[a])))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("risk model \"%s\" reads column \"%s\" as a number, but the row's is %s",
							site->name, col->name, format_type_be(types[a]))));
		if (col->categorical && ModelInputKeyClass(&site->in[c]) != col->key_class)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("risk model \"%s\" was trained on column \"%s\" as %s, but the row's is %s",
							site->name, col->name, ModelKeyClassName(col->key_class), format_type_be(types[a])),
					 errhint("Cast the column to the type it had in training: its categories are spelt by type.")));
	}
	if (m->binned)
		BinPlanInit(&site->bins, m, site->attnum, site->in, mcxt);
	MemoryContextSwitchTo(old);
}

/* Bind to a row value's type, again only when it changes. */
static void
BindRow(ScoreSite *site, MemoryContext mcxt, HeapTupleHeader rec)
{
	Oid			typid = HeapTupleHeaderGetTypeId(rec);
	int32		typmod = HeapTupleHeaderGetTypMod(rec);
	TupleDesc	td;
	const char **names;
	Oid		   *types;

	if (site->tupdesc != NULL && site->typid == typid && site->typmod == typmod && !site->recheck_type)
		return;
	td = lookup_rowtype_tupdesc(typid, typmod);
	site->recheck_type = false;
	if (site->tupdesc != NULL && site->typid == typid && site->typmod == typmod &&
		equalTupleDescs(site->tupdesc, td))
	{
		ReleaseTupleDesc(td);	/* a new statement, the same columns: the binding holds */
		return;
	}
	{
		MemoryContext old = MemoryContextSwitchTo(mcxt);

		site->tupdesc = CreateTupleDescCopy(td);
		MemoryContextSwitchTo(old);
	}
	ReleaseTupleDesc(td);
	names = palloc(sizeof(char *) * Max(site->tupdesc->natts, 1));
	types = palloc(sizeof(Oid) * Max(site->tupdesc->natts, 1));
	for (int a = 0; a < site->tupdesc->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(site->tupdesc, a);

		names[a] = att->attisdropped ? NULL : NameStr(att->attname);
		types[a] = att->atttypid;
	}
	BindColumns(site, mcxt, site->tupdesc->natts, names, types);
	site->typid = typid;
	site->typmod = typmod;
}

/* The call site's state for the model named by argument 0, pinned for this query. */
static ScoreSite *
Site(FunctionCallInfo fcinfo)
{
	ScoreSite  *first = fcinfo->flinfo->fn_extra;
	ScoreSite  *site;
	text	   *name = PG_GETARG_TEXT_PP(0);
	size_t		len = VARSIZE_ANY_EXHDR(name);
	MemoryContext mcxt = fcinfo->flinfo->fn_mcxt;

	Snapshot	snap = GetActiveSnapshot();
	CachedModel *cm;

	for (site = first; site != NULL; site = site->next)
		if (site->name_len == len && memcmp(site->name, VARDATA_ANY(name), len) == 0)
			break;
	if (site != NULL && (snap == NULL || (snap->curcid == site->cid && snap->xmin == site->snap_xmin &&
										  snap->xmax == site->snap_xmax)))
		return site;			/* the same statement: nothing to check */
	if (site == NULL)
	{
		/* a model this call site has not used yet */
		site = MemoryContextAllocZero(mcxt, sizeof(ScoreSite));
		site->name = MemoryContextStrdup(mcxt, text_to_cstring(name));
		site->name_len = strlen(site->name);
		site->next = first;
		fcinfo->flinfo->fn_extra = site;
	}
	cm = CurrentModel(site->name);
	if (cm != site->cm)
	{
		/* new, or retrained since this call site last scored: bind afresh */
		PinModel(cm, mcxt);
		site->cm = cm;
		site->x = MemoryContextAllocZero(mcxt, sizeof(double) * (cm->def->p + 1));
		site->qx = MemoryContextAllocZero(mcxt, 2 * (Size) cm->def->p);
		site->contrib = MemoryContextAlloc(mcxt, sizeof(double) * (cm->def->p + 1));
		site->attnum = NULL;
		site->tupdesc = NULL;
	}
	site->recheck_type = true;
	if (snap != NULL)
	{
		site->cid = snap->curcid;
		site->snap_xmin = snap->xmin;
		site->snap_xmax = snap->xmax;
	}
	return site;
}

/* Deform a row value into the site's values and nulls, and args. */
static void
DeformRow(ScoreSite *site, HeapTupleHeader rec)
{
	HeapTupleData tuple;

	tuple.t_len = HeapTupleHeaderGetDatumLength(rec);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = rec;
	heap_deform_tuple(&tuple, site->tupdesc, site->values, site->nulls);
	for (int a = 0; a < site->tupdesc->natts; a++)
	{
		site->args[a].value = site->values[a];
		site->args[a].isnull = site->nulls[a];
	}
}

/*
 * The row's features (into x), from its columns in args: the n columns listed in cols (those
 * the core reads; the features of the others are never read, or zero to explain).  A binned
 * model scores from BinPlanRow's binned row instead.
 */
static void
RowFeatures(ScoreSite *site, const NullableDatum *args, const int *cols, int n)
{
	const ModelDef *m = site->cm->def;

	/* numbers, and the first step of every category lookup */
	for (int i = 0; i < n; i++)
	{
		int			c = cols[i];
		const ModelColumn *col = &m->cols[c];
		const NullableDatum *arg = &args[site->attnum[c]];

		if (!col->categorical)
			site->x[col->feature] = arg->isnull ? NAN : ModelInputNumber(&site->in[c], arg->value, col->name);
		else if (!arg->isnull)
		{
			int			len;
			const char *s = ModelInputCategory(&site->in[c], arg->value, &len);

			ModelDefCategoryStart(col, s, len, &site->cat_key[c]);
		}
	}
	for (int i = 0; i < n; i++)
	{
		int			c = cols[i];
		const ModelColumn *col = &m->cols[c];
		bool		isnull = args[site->attnum[c]].isnull;
		const CategorySlot *slot;

		if (!col->categorical)
			continue;
		slot = isnull ? NULL : ModelDefCategorySlot(col, &site->cat_key[c]);
		ModelDefCategoryFeatures(m, col, slot != NULL ? slot->index : -1, isnull, site->x + col->feature);
	}
}

/* The probability of a hit for a row's columns in args. */
static double
RowScore(ScoreSite *site, const NullableDatum *args)
{
	const ModelDef *m = site->cm->def;
	double		margin;

	if (m->binned)
	{
		BinPlanRow(&site->bins, args, site->qx);
		margin = gbdt_predict_margin_binned(m->gbdt, site->qx);
	}
	else
	{
		RowFeatures(site, args, m->used, m->nused);
		margin = ModelDefMargin(m, site->x);
	}
	return 1.0 / (1.0 + exp(-margin));
}

PG_FUNCTION_INFO_V1(model_score);

/* score(model text, row record) -> float8: the probability of a hit. */
Datum
model_score(PG_FUNCTION_ARGS)
{
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(1);
	ScoreSite  *site = Site(fcinfo);

	BindRow(site, fcinfo->flinfo->fn_mcxt, rec);
	DeformRow(site, rec);
	PG_RETURN_FLOAT8(RowScore(site, site->args));
}

PG_FUNCTION_INFO_V1(model_score_columns);

/*
 * score_columns(model text, row_type regtype, present tid, names text[], VARIADIC "any"):
 * score() of a row given as its columns, as the planner rewrites score(m, t) (column_args.c):
 * the scan's columns are read directly instead of a whole-row value built and taken apart.
 * NULL when present is NULL (the row itself is NULL), as the strict score() would give.
 */
Datum
model_score_columns(PG_FUNCTION_ARGS)
{
	ScoreSite  *site;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	site = Site(fcinfo);
	if (site->attnum == NULL)
	{
		ArgColumns	ac;

		ArgColumnsInit(&ac, fcinfo, fcinfo->flinfo->fn_mcxt, 1, 3, 4);
		BindColumns(site, fcinfo->flinfo->fn_mcxt, ac.n, (const char *const *) ac.names, ac.types);
	}
	PG_RETURN_FLOAT8(RowScore(site, fcinfo->args + 4));
}

/* Order of explanation rows: largest effect first. */
typedef struct Contribution
{
	int			column;			/* -1: the bias */
	double		value;
} Contribution;

static int
CompareContribution(const void *a, const void *b)
{
	double		x = fabs(((const Contribution *) a)->value),
				y = fabs(((const Contribution *) b)->value);

	return (x < y) - (x > y);
}

PG_FUNCTION_INFO_V1(model_explain);

/*
 * score_explain(model text, row record) -> setof (feature, value, contribution): how much
 * each column moved the score's log-odds (a categorical column's two features summed),
 * and the bias, largest first; they sum to the log-odds of score().
 */
Datum
model_explain(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(1);
	ScoreSite  *site;
	const ModelDef *m;
	Contribution *rows;

	InitMaterializedSRF(fcinfo, 0);
	site = Site(fcinfo);
	BindRow(site, fcinfo->flinfo->fn_mcxt, rec);
	DeformRow(site, rec);
	m = site->cm->def;
	/* the columns score() reads, and no others: a column the model never uses contributes 0,
	 * and a NaN there is no more an error here than in score() */
	memset(site->x, 0, sizeof(double) * (m->p + 1));
	RowFeatures(site, site->args, m->used, m->nused);
	ModelDefContributions(m, site->x, site->contrib);
	rows = palloc(sizeof(Contribution) * (m->ncols + 1));
	for (int c = 0; c < m->ncols; c++)
	{
		const ModelColumn *col = &m->cols[c];

		rows[c].column = c;
		rows[c].value = site->contrib[col->feature] + (col->categorical ? site->contrib[col->feature + 1] : 0);
	}
	rows[m->ncols].column = -1;
	rows[m->ncols].value = site->contrib[m->p];
	qsort(rows, m->ncols + 1, sizeof(Contribution), CompareContribution);
	for (int r = 0; r <= m->ncols; r++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};
		int			c = rows[r].column;

		if (c < 0)
		{
			values[0] = CStringGetTextDatum("(base)");
			nulls[1] = true;
		}
		else
		{
			int			a = site->attnum[c];

			values[0] = CStringGetTextDatum(m->cols[c].name);
			if (site->nulls[a])
				nulls[1] = true;
			else
				values[1] = CStringGetTextDatum(OutputFunctionCall(&site->in[c].out, site->values[a]));
		}
		values[2] = Float8GetDatum(rows[r].value);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
