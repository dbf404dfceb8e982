/*
 * model_train.c: train a risk model from any query (the C half of train_model).
 *
 * The query's rows stream into a DestReceiver (SPI with parallel query allowed, nothing
 * materialised twice): numbers into column arrays, categories into ids.  Then every
 * categorical column is target encoded out of fold (row i is in fold RowFold(i, seed), and
 * its rate comes from the other folds only, so a tree cannot learn the label from its own
 * row), the core model is trained, and the model is returned in its stored form with its
 * feature list and training metrics; train_model (SQL) stores the row.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/plancache.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "anchor_table.h"
#include "model_codec.h"
#include "model_input.h"

/* A column of the training query and what it becomes. */
typedef enum TrainRole
{
	TR_SKIP, TR_LABEL, TR_WINDOW, TR_NUMBER, TR_CATEGORY
} TrainRole;

typedef struct TrainColumn
{
	const char *name;			/* as the query names it: a row's descriptor may not (UNION) */
	TrainRole	role;
	int			index;			/* among the feature columns */
	int			feature;		/* its first feature: one for a number, two for a category */
	ModelInput	in;
	double	   *num;			/* TR_NUMBER: a value per row, NaN for NULL */
	int32	   *cat;			/* TR_CATEGORY: a category id per row */
	int32		null_id;		/* the id NULL got, -1 until seen */
	int			ordinal;		/* among the categorical columns */
	int64		nonnull;
	bool		is_date;		/* TR_WINDOW: date, else timestamp */
	bool		is_tz;			/* TR_WINDOW: timestamptz */
} TrainColumn;

typedef struct Trainer
{
	DestReceiver pub;
	MemoryContext cxt;			/* the training data */
	MemoryContext rowcxt;		/* reset per row: text forms of values */
	/* what the caller asked for */
	const char *label;
	const char *window;			/* NULL: the first date or timestamp column */
	ArrayType  *categorical;	/* text[] forced categorical */
	ArrayType  *exclude;		/* text[] ignored */
	/* the query's columns */
	bool		started;
	int			natts;
	TrainColumn *cols;
	char	  **names;			/* feature columns, in order */
	bool	   *is_cat;
	int			nfeat;			/* feature columns */
	int			p;				/* features */
	int			ncatcols;
	/* rows */
	size_t		n;
	size_t		cap;
	unsigned char *y;
	int64		positives;
	bool		have_window;	/* a column gives the window */
	bool		window_seen;	/* and it had a value */
	Timestamp	window_from;
	Timestamp	window_to;
	/* categories over all categorical columns */
	AnchorTable lookup;
	int32		ncat;
	int32		catcap;
	int32	   *cat_col;		/* its column (index into cols) */
	char	  **cat_str;
	int		   *cat_len;
} Trainer;

/* True when name is one of the elements of the text array (NULL array: none). */
static bool
InTextArray(ArrayType *arr, const char *name)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (arr == NULL)
		return false;
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
		if (!nulls[i] && strcmp(TextDatumGetCString(elems[i]), name) == 0)
			return true;
	return false;
}

/* Every name in the array must be a column of the query: a typo must not pass silently. */
static void
CheckNamesExist(ArrayType *arr, TupleDesc td, const char *option)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (arr == NULL)
		return;
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		char	   *name = nulls[i] ? NULL : TextDatumGetCString(elems[i]);
		bool		found = false;

		for (int a = 0; name != NULL && a < td->natts; a++)
			found |= strcmp(NameStr(TupleDescAttr(td, a)->attname), name) == 0;
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("option \"%s\" names column \"%s\", which the training query does not return",
							option, name ? name : "NULL")));
	}
}

/* Decide what each column of the query is, when the first row arrives. */
static void
TrainStartup(DestReceiver *self, int operation, TupleDesc td)
{
	Trainer    *t = (Trainer *) self;
	MemoryContext old;
	bool		have_label = false;

	if (t->started)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("the training query must be a single SELECT")));
	t->started = true;
	old = MemoryContextSwitchTo(t->cxt);
	CheckNamesExist(t->categorical, td, "categorical");
	CheckNamesExist(t->exclude, td, "exclude");
	t->natts = td->natts;
	t->cols = palloc0(sizeof(TrainColumn) * Max(td->natts, 1));
	t->names = palloc(sizeof(char *) * Max(td->natts, 1));
	t->is_cat = palloc(sizeof(bool) * Max(td->natts, 1));
	for (int a = 0; a < td->natts; a++)
	{
		Form_pg_attribute att = TupleDescAttr(td, a);
		const char *name = NameStr(att->attname);
		TrainColumn *col = &t->cols[a];
		Oid			base = getBaseType(att->atttypid);

		col->name = pstrdup(name);

		for (int b = 0; b < a; b++)
			if (strcmp(NameStr(TupleDescAttr(td, b)->attname), name) == 0 && !att->attisdropped)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("the training query returns two columns named \"%s\"", name),
						 errhint("Give every column its own name with AS.")));
		col->null_id = -1;
		if (att->attisdropped || InTextArray(t->exclude, name))
			col->role = TR_SKIP;
		else if (strcmp(name, t->label) == 0)
		{
			if (!ModelTypeIsNumber(base))
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("label column \"%s\" has type %s; it must be boolean or a number 0 / 1",
								name, format_type_be(att->atttypid))));
			col->role = TR_LABEL;
			have_label = true;
		}
		else if (ModelTypeIsTime(base) && !InTextArray(t->categorical, name))
		{
			/* a model must not learn the calendar: dates bound the window only */
			if (!t->have_window && (t->window == NULL || strcmp(t->window, name) == 0))
			{
				col->role = TR_WINDOW;
				col->is_date = base == DATEOID;
				col->is_tz = base == TIMESTAMPTZOID;
				t->have_window = true;
			}
			else
				col->role = TR_SKIP;
		}
		else
		{
			col->role = ModelTypeIsNumber(base) && !InTextArray(t->categorical, name) ? TR_NUMBER : TR_CATEGORY;
			col->index = t->nfeat;
			col->feature = t->p;
			t->p += col->role == TR_CATEGORY ? 2 : 1;
			t->names[t->nfeat] = pstrdup(name);
			t->is_cat[t->nfeat] = col->role == TR_CATEGORY;
			t->nfeat++;
			if (col->role == TR_CATEGORY)
				col->ordinal = t->ncatcols++;
		}
		ModelInputInit(&col->in, att->atttypid, t->cxt);
	}
	if (!have_label)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("the training query has no label column \"%s\"", t->label)));
	if (t->window != NULL && !t->have_window)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("option \"window\" names column \"%s\", which is not a date or timestamp column of the training query",
						t->window)));
	if (t->nfeat == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the training query has no feature columns besides the label")));
	if (t->nfeat > MODEL_MAX_COLUMNS || t->ncatcols > MODEL_MAX_CATEGORICAL)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a model can read at most %d columns, %d of them categorical",
						MODEL_MAX_COLUMNS, MODEL_MAX_CATEGORICAL)));
	AnchorTableInit(&t->lookup, t->cxt);
	MemoryContextSwitchTo(old);
}

/* Make room for one more row in every column array. */
static void
GrowRows(Trainer *t)
{
	size_t		cap = Max(t->cap * 2, 1024);

	if (t->n >= GBDT_MAX_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a model can be trained on at most %u rows", GBDT_MAX_ROWS)));
	t->y = t->y ? repalloc_huge(t->y, cap) : MemoryContextAllocHuge(t->cxt, cap);
	for (int a = 0; a < t->natts; a++)
	{
		TrainColumn *col = &t->cols[a];

		if (col->role == TR_NUMBER)
			col->num = col->num ? repalloc_huge(col->num, sizeof(double) * cap)
				: MemoryContextAllocHuge(t->cxt, sizeof(double) * cap);
		else if (col->role == TR_CATEGORY)
			col->cat = col->cat ? repalloc_huge(col->cat, sizeof(int32) * cap)
				: MemoryContextAllocHuge(t->cxt, sizeof(int32) * cap);
	}
	t->cap = cap;
}

/* The id of a category of column a (NULL: s == NULL), entering it when new. */
static int32
CategoryId(Trainer *t, int a, const char *s, int len)
{
	TrainColumn *col = &t->cols[a];
	int32	   *slot = NULL;
	bool		found = false;
	char	   *copy = NULL;

	if (s == NULL && col->null_id >= 0)
		return col->null_id;
	if (s != NULL)
	{
		int32		id = AnchorFindCode(&t->lookup, col->ordinal, s, len);

		if (id >= 0)
			return id;
		if (len > MODEL_MAX_CATEGORY_LEN)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("a value of column \"%s\" is %d bytes long; a category may have at most %d",
							t->names[col->index], len, MODEL_MAX_CATEGORY_LEN)));
		copy = MemoryContextAlloc(t->cxt, Max(len, 1));
		memcpy(copy, s, len);
		slot = AnchorEnterCode(&t->lookup, col->ordinal, copy, len, &found);
	}
	if (t->ncat == t->catcap)
	{
		t->catcap = Max(t->catcap * 2, 256);
		t->cat_col = t->cat_col ? repalloc_huge(t->cat_col, sizeof(int32) * t->catcap)
			: MemoryContextAllocHuge(t->cxt, sizeof(int32) * t->catcap);
		t->cat_str = t->cat_str ? repalloc_huge(t->cat_str, sizeof(char *) * t->catcap)
			: MemoryContextAllocHuge(t->cxt, sizeof(char *) * t->catcap);
		t->cat_len = t->cat_len ? repalloc_huge(t->cat_len, sizeof(int) * t->catcap)
			: MemoryContextAllocHuge(t->cxt, sizeof(int) * t->catcap);
	}
	t->cat_col[t->ncat] = a;
	t->cat_str[t->ncat] = copy;
	t->cat_len[t->ncat] = len;
	if (slot != NULL)
		*slot = t->ncat;
	else
		col->null_id = t->ncat;
	return t->ncat++;
}

/* The label of a row: 0 or 1, anything else is an error naming the row. */
static unsigned char
ReadLabel(Trainer *t, TrainColumn *col, Datum d, bool isnull, const char *name)
{
	double		v;

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("label column \"%s\" is NULL in row %zu of the training query", name, t->n + 1),
				 errhint("Train on inspected declarations only, or map NULL to 0 or 1 in the query.")));
	v = ModelInputNumber(&col->in, d, name);
	if (v != 0 && v != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("label column \"%s\" is %g in row %zu of the training query; it must be 0 or 1",
						name, v, t->n + 1)));
	return (unsigned char) v;
}

/*
 * A timestamptz as the session's wall-clock time, as a cast gives it (not UTC's); *overflow
 * set, as for dates, when that falls outside the timestamp range.
 */
static Timestamp
SessionWallClock(TimestampTz t, int *overflow)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;
	Timestamp	result;

	if (TIMESTAMP_NOT_FINITE(t) || timestamp2tm(t, &tz, &tm, &fsec, NULL, NULL) != 0 ||
		tm2timestamp(&tm, fsec, NULL, &result) != 0)
	{
		*overflow = 1;
		return 0;
	}
	return result;
}

/* Store one row of the query. */
static bool
TrainReceive(TupleTableSlot *slot, DestReceiver *self)
{
	Trainer    *t = (Trainer *) self;
	MemoryContext old;

	CHECK_FOR_INTERRUPTS();
	if (t->n == t->cap)
		GrowRows(t);
	slot_getallattrs(slot);
	MemoryContextReset(t->rowcxt);
	old = MemoryContextSwitchTo(t->rowcxt);
	for (int a = 0; a < t->natts; a++)
	{
		TrainColumn *col = &t->cols[a];
		Datum		d = slot->tts_values[a];
		bool		isnull = slot->tts_isnull[a];
		const char *name = col->name;

		switch (col->role)
		{
			case TR_SKIP:
				break;
			case TR_LABEL:
				t->y[t->n] = ReadLabel(t, col, d, isnull, name);
				t->positives += t->y[t->n];
				break;
			case TR_WINDOW:
				/* infinite dates and timestamps (and dates past the timestamp range) say nothing
				 * about the window */
				if (!isnull)
				{
					int			overflow = 0;
					Timestamp	ts;

					if (col->is_date)
						ts = date2timestamp_opt_overflow(DatumGetDateADT(d), &overflow);
					else if (col->is_tz)
						ts = SessionWallClock(DatumGetTimestampTz(d), &overflow);
					else
						ts = DatumGetTimestamp(d);
					if (overflow != 0 || TIMESTAMP_NOT_FINITE(ts))
						break;

					if (!t->window_seen || ts < t->window_from)
						t->window_from = ts;
					if (!t->window_seen || ts > t->window_to)
						t->window_to = ts;
					t->window_seen = true;
				}
				break;
			case TR_NUMBER:
				col->num[t->n] = isnull ? NAN : ModelInputNumber(&col->in, d, name);
				col->nonnull += !isnull;
				break;
			case TR_CATEGORY:
				if (isnull)
					col->cat[t->n] = CategoryId(t, a, NULL, 0);
				else
				{
					int			len;
					const char *s = ModelInputCategory(&col->in, d, &len);

					col->cat[t->n] = CategoryId(t, a, s, len);
					col->nonnull++;
				}
				break;
		}
	}
	MemoryContextSwitchTo(old);
	t->n++;
	return true;
}

static void
TrainShutdown(DestReceiver *self)
{
}

static void
TrainDestroy(DestReceiver *self)
{
}

/* ------------------------------------------------------------------------
 * Encoding and training
 * ------------------------------------------------------------------------ */

/*
 * The fold of row i: a mix of its number and the seed (splitmix64), not i mod folds, which
 * put every row of a category that repeats with the folds' period (rows ordered by
 * something tied to it) in one fold, so its rate came from no rows of its own and the
 * column taught the trees nothing.  bench/xgb_peer.py computes the same folds.
 */
static inline int
RowFold(uint64 i, uint64 seed, int folds)
{
	uint64		z = i + (seed + 1) * UINT64CONST(0x9E3779B97F4A7C15);

	z = (z ^ (z >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94D049BB133111EB);
	z ^= z >> 31;
	return (int) (z % (uint64) folds);
}

/*
 * The feature matrix, column-major: numbers as they are; per categorical column the
 * out-of-fold smoothed hit rate and the category's count over all rows (a count does
 * not see the label, so it needs no folds).  *cat_n and *cat_pos get each category's
 * rows and hits over all rows, for the stored encoding.
 */
static double *
EncodeFeatures(Trainer *t, int folds, uint64 seed, double smoothing, double prior, double **cat_n, double **cat_pos)
{
	size_t		n = t->n;
	size_t		ncat = Max(t->ncat, 1);
	double	   *x = MemoryContextAllocHuge(t->cxt, sizeof(double) * n * t->p);
	uint8	   *fold = MemoryContextAllocHuge(t->cxt, Max(n, 1));	/* folds <= 100 */
	double	   *fn = MemoryContextAllocExtended(t->cxt, sizeof(double) * ncat * folds, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	double	   *fp = MemoryContextAllocExtended(t->cxt, sizeof(double) * ncat * folds, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	double	   *tn = MemoryContextAllocExtended(t->cxt, sizeof(double) * ncat, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	double	   *tp = MemoryContextAllocExtended(t->cxt, sizeof(double) * ncat, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);

	for (size_t i = 0; i < n; i++)
		fold[i] = (uint8) RowFold(i, seed, folds);
	for (int a = 0; a < t->natts; a++)
	{
		TrainColumn *col = &t->cols[a];

		if (col->role != TR_CATEGORY)
			continue;
		for (size_t i = 0; i < n; i++)
		{
			size_t		k = col->cat[i];

			fn[k * folds + fold[i]] += 1;
			fp[k * folds + fold[i]] += t->y[i];
			tn[k] += 1;
			tp[k] += t->y[i];
		}
	}
	for (int a = 0; a < t->natts; a++)
	{
		TrainColumn *col = &t->cols[a];
		double	   *out = x + (size_t) col->feature * n;

		CHECK_FOR_INTERRUPTS();
		if (col->role == TR_NUMBER)
			memcpy(out, col->num, sizeof(double) * n);
		else if (col->role == TR_CATEGORY)
			for (size_t i = 0; i < n; i++)
			{
				size_t		k = col->cat[i];
				size_t		f = fold[i];
				double		rows = tn[k] - fn[k * folds + f];
				double		hits = tp[k] - fp[k * folds + f];

				/* no smoothing and no other rows of the category: nothing but the prior is known */
				out[i] = rows + smoothing > 0 ? (hits + smoothing * prior) / (rows + smoothing) : prior;
				out[n + i] = tn[k];
			}
	}
	pfree(fold);
	*cat_n = tn;
	*cat_pos = tp;
	pfree(fn);
	pfree(fp);
	return x;
}

/* The stored model: its columns, the full-data encoding of every category, and the core. */
static ModelDef *
BuildModelDef(Trainer *t, int kind, double prior, double smoothing, const double *cat_n, const double *cat_pos)
{
	ModelDef   *m = ModelDefCreate(t->cxt, kind, t->nfeat, t->names, t->is_cat, prior, smoothing);

	for (int a = 0; a < t->natts; a++)
		if (t->cols[a].role == TR_CATEGORY)
			m->cols[t->cols[a].index].key_class = (uint8) ModelInputKeyClass(&t->cols[a].in);
	for (int32 k = 0; k < t->ncat; k++)
	{
		TrainColumn *col = &t->cols[t->cat_col[k]];
		ModelColumn *mc = &m->cols[col->index];
		double		rate = cat_n[k] + smoothing > 0 ? (cat_pos[k] + smoothing * prior) / (cat_n[k] + smoothing) : prior;

		Assert(mc->feature == col->feature);
		if (k == col->null_id)
		{
			mc->has_null = true;
			mc->null_rate = rate;
			mc->null_count = cat_n[k];
		}
		else
			ModelDefAddCategory(m, col->index, t->cat_str[k], t->cat_len[k], rate, cat_n[k]);
	}
	return m;
}

/* Called after each tree: let a cancel in, keep the last training log-loss. */
static void
OnTree(void *ctx, int tree, double logloss)
{
	*(double *) ctx = logloss;
	CHECK_FOR_INTERRUPTS();
	elog(DEBUG1, "customs_risk: tree %d, training log-loss %.6f", tree + 1, logloss);
}

/* Ranks of the scores, ties averaged, compared with the labels: the ROC AUC. */
static int
CompareScore(const void *a, const void *b)
{
	double		x = ((const double *) a)[0],
				y = ((const double *) b)[0];

	return (x > y) - (x < y);
}

static double
RocAuc(const double *score, const unsigned char *y, size_t n, int64 positives)
{
	double	   *pairs = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(double) * 2 * n);
	double		ranksum = 0;
	size_t		i = 0;

	for (size_t k = 0; k < n; k++)
	{
		pairs[2 * k] = score[k];
		pairs[2 * k + 1] = y[k];
	}
	qsort(pairs, n, sizeof(double) * 2, CompareScore);
	while (i < n)
	{
		size_t		j = i;
		double		hits = 0;

		while (j < n && pairs[2 * j] == pairs[2 * i])
			hits += pairs[2 * j++ + 1];
		ranksum += hits * ((double) (i + 1 + j) / 2.0);	/* the tie group's mean rank */
		i = j;
	}
	pfree(pairs);
	return (ranksum - (double) positives * (positives + 1) / 2.0) /
		((double) positives * (double) ((int64) n - positives));
}

/* The features as a JSON array: each column, its kind and, for a category, how many were seen. */
static Datum
FeaturesJson(Trainer *t)
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfoChar(&b, '[');
	for (int a = 0, f = 0; a < t->natts; a++)
	{
		TrainColumn *col = &t->cols[a];
		int64		ncat = 0;

		if (col->role != TR_NUMBER && col->role != TR_CATEGORY)
			continue;
		if (f++ > 0)
			appendStringInfoString(&b, ", ");
		appendStringInfoString(&b, "{\"column\": ");
		escape_json(&b, t->names[col->index]);
		if (col->role == TR_NUMBER)
			appendStringInfoString(&b, ", \"type\": \"number\"}");
		else
		{
			for (int32 k = 0; k < t->ncat; k++)
				ncat += t->cat_col[k] == a && k != col->null_id;
			appendStringInfo(&b, ", \"type\": \"category\", \"categories\": " INT64_FORMAT "}", ncat);
		}
	}
	appendStringInfoChar(&b, ']');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(b.data));
}

/* Every feature column must have a value somewhere, or it is a mistake in the query. */
static void
CheckColumnsHaveValues(Trainer *t)
{
	for (int a = 0; a < t->natts; a++)
	{
		TrainColumn *col = &t->cols[a];

		if ((col->role == TR_NUMBER || col->role == TR_CATEGORY) && col->nonnull == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("feature column \"%s\" is NULL in every row of the training query", t->names[col->index]),
					 errhint("Leave it out of the query or list it in option \"exclude\".")));
	}
}

/* Whether a query or any query inside it (subqueries, CTEs, sublinks) locks rows. */
static bool
LocksRows(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
		return ((Query *) node)->rowMarks != NIL ||
			query_tree_walker((Query *) node, LocksRows, context, 0);
	return expression_tree_walker(node, LocksRows, context);
}

/*
 * The training query must be one SELECT that neither writes nor locks.  Read-only execution
 * would refuse the rest too, but in words about "a non-volatile function" the caller never
 * wrote; this names what the query is.  The statements are counted before any is analysed
 * (a second may name a table the first would make); the rest is read off the analysed query,
 * where SELECT INTO anywhere in a UNION has become CREATE TABLE AS.
 */
static void
CheckTrainingQuery(const char *src, SPIPlanPtr *plan)
{
	List	   *raw = raw_parser(src, RAW_PARSE_DEFAULT);
	List	   *sources;
	CachedPlanSource *ps;
	Query	   *q;

	if (list_length(raw) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("the training query must be a single SELECT, not %d statements", list_length(raw))));
	/* parallel-safe plans allowed, as SPI_execute would plan it */
	*plan = SPI_prepare_cursor(src, 0, NULL, CURSOR_OPT_PARALLEL_OK);
	if (*plan == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the training query could not be prepared: %s", SPI_result_code_string(SPI_result))));
	sources = SPI_plan_get_plan_sources(*plan);
	ps = linitial(sources);
	if (list_length(sources) != 1 || list_length(ps->query_list) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("the training query must be a single SELECT")));
	q = linitial_node(Query, ps->query_list);
	if (q->commandType == CMD_UTILITY && q->utilityStmt != NULL && IsA(q->utilityStmt, CreateTableAsStmt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the training query must not write: SELECT INTO creates a table")));
	if (q->commandType != CMD_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the training query must be a SELECT, not %s", GetCommandTagName(ps->commandTag))));
	if (q->hasModifyingCTE)
	{
		ListCell   *lc;

		/* a data-modifying WITH is allowed only at the top level, so it is one of these */
		foreach(lc, q->cteList)
		{
			CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);

			if (castNode(Query, cte->ctequery)->commandType != CMD_SELECT)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("the training query must not write: WITH query \"%s\" is a data-modifying statement",
								cte->ctename)));
		}
	}
	if (LocksRows((Node *) q, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the training query must not lock rows (FOR UPDATE, FOR SHARE)")));
}

/*
 * A logistic model standardises its numbers and bounds them (LOGIT_MAX_VALUE), as its stored
 * form does: a larger one is an error naming its column and row, as the query numbers rows.
 */
static void
CheckLogitRange(Trainer *t)
{
	for (int a = 0; a < t->natts; a++)
	{
		TrainColumn *col = &t->cols[a];

		if (col->role != TR_NUMBER)
			continue;
		for (size_t i = 0; i < t->n; i++)
			if (fabs(col->num[i]) > LOGIT_MAX_VALUE)	/* false for NaN, a missing value */
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("column \"%s\" is %s in row %zu of the training query, beyond the logistic model's bound of +-%g",
								col->name, float8out_internal(col->num[i]), i + 1, LOGIT_MAX_VALUE),
						 errhint("Rescale the column in the query (a logarithm, a unit), or train kind \"gbdt\", which has no bound.")));
	}
}

PG_FUNCTION_INFO_V1(model_train_body);

/*
 * model_train_body(query, label, kind, categorical text[], exclude text[], window text,
 *                  folds, smoothing, trees, depth, bins, eta, lambda, gamma,
 *                  min_child_weight, subsample, colsample, seed, logit_lambda)
 *   -> (body bytea, features jsonb, metrics jsonb, train_from timestamp, train_to timestamp)
 * Options arrive checked by train_model (SQL); the data is checked here.
 */
Datum
model_train_body(PG_FUNCTION_ARGS)
{
	SPIPlanPtr	plan;
	Trainer		t;
	SPIExecuteOptions opts;
	TupleDesc	rettd;
	const char *kindname;
	int			kind;
	int			folds;
	double		smoothing;
	double		prior;
	double	   *x,
			   *cat_n,
			   *cat_pos,
			   *score;
	double		logloss = NAN;
	ModelDef   *m;
	char		err[256];
	int			rc;
	instr_time	start,
				read_done,
				train_done;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};
	StringInfoData metrics;

	if (get_call_result_type(fcinfo, NULL, &rettd) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "model_train_body must return a row");
	/* train_model passes checked options; a direct call must not get further with bad ones */
	for (int i = 0; i < PG_NARGS(); i++)
		if (PG_ARGISNULL(i) && i != 3 && i != 4 && i != 5)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("model_train_body argument %d must not be NULL", i + 1),
					 errhint("Call customs_risk.train_model.")));
	kindname = text_to_cstring(PG_GETARG_TEXT_PP(2));
	kind = strcmp(kindname, "logistic") == 0 ? MODEL_KIND_LOGIT : MODEL_KIND_GBDT;
	folds = PG_GETARG_INT32(6);
	smoothing = PG_GETARG_FLOAT8(7);
	if ((strcmp(kindname, "gbdt") != 0 && strcmp(kindname, "logistic") != 0) || folds < 2 || folds > 100 ||
		!(smoothing >= 0 && smoothing <= 1e6))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model_train_body needs kind gbdt or logistic, folds 2 to 100 and smoothing 0 to 1e6"),
				 errhint("Call customs_risk.train_model.")));
	memset(&t, 0, sizeof(t));
	t.pub.receiveSlot = TrainReceive;
	t.pub.rStartup = TrainStartup;
	t.pub.rShutdown = TrainShutdown;
	t.pub.rDestroy = TrainDestroy;
	t.pub.mydest = DestNone;
	t.cxt = AllocSetContextCreate(CurrentMemoryContext, "customs_risk training", ALLOCSET_DEFAULT_SIZES);
	t.rowcxt = AllocSetContextCreate(t.cxt, "customs_risk training row", ALLOCSET_SMALL_SIZES);
	t.label = text_to_cstring(PG_GETARG_TEXT_PP(1));
	t.categorical = PG_ARGISNULL(3) ? NULL : PG_GETARG_ARRAYTYPE_P(3);
	t.exclude = PG_ARGISNULL(4) ? NULL : PG_GETARG_ARRAYTYPE_P(4);
	t.window = PG_ARGISNULL(5) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(5));

	/* read-only: a training query may not write (nor hide a write in a CTE) */
	INSTR_TIME_SET_CURRENT(start);
	memset(&opts, 0, sizeof(opts));
	opts.read_only = true;
	opts.dest = &t.pub;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	CheckTrainingQuery(text_to_cstring(PG_GETARG_TEXT_PP(0)), &plan);
	rc = SPI_execute_plan_extended(plan, &opts);
	if (rc < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the training query could not run: %s", SPI_result_code_string(rc))));
	if (!t.started)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("the training query must be a SELECT")));
	SPI_finish();
	INSTR_TIME_SET_CURRENT(read_done);

	if (t.n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the training query returned no rows")));
	if (t.positives == 0 || t.positives == (int64) t.n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("label column \"%s\" is %d in all %zu rows; training needs both 0 and 1",
						t.label, t.positives == 0 ? 0 : 1, t.n)));
	CheckColumnsHaveValues(&t);
	if (kind != MODEL_KIND_GBDT)
		CheckLogitRange(&t);
	prior = (double) t.positives / (double) t.n;
	x = EncodeFeatures(&t, folds, (uint64) PG_GETARG_INT64(17), smoothing, prior, &cat_n, &cat_pos);
	m = BuildModelDef(&t, kind, prior, smoothing, cat_n, cat_pos);

	{
		MemoryContext old = MemoryContextSwitchTo(t.cxt);

		if (kind == MODEL_KIND_GBDT)
		{
			GbdtData	data = {t.n, t.p, x, t.y, NULL};
			GbdtParams	params;

			gbdt_default_params(&params);
			params.n_trees = PG_GETARG_INT32(8);
			params.max_depth = PG_GETARG_INT32(9);
			params.max_bins = PG_GETARG_INT32(10);
			params.eta = PG_GETARG_FLOAT8(11);
			params.lambda = PG_GETARG_FLOAT8(12);
			params.gamma = PG_GETARG_FLOAT8(13);
			params.min_child_weight = PG_GETARG_FLOAT8(14);
			params.subsample = PG_GETARG_FLOAT8(15);
			params.colsample = PG_GETARG_FLOAT8(16);
			params.seed = (uint64) PG_GETARG_INT64(17);
			params.on_tree = OnTree;
			params.ctx = &logloss;
			rc = gbdt_train(&data, &params, &ModelCoreAllocator, &m->gbdt, err, sizeof(err));
		}
		else
		{
			LogitData	data = {t.n, t.p, x, t.y, NULL};
			LogitParams params;

			logit_default_params(&params);
			params.lambda = PG_GETARG_FLOAT8(18);
			rc = logit_train(&data, &params, &ModelCoreAllocator, &m->logit, err, sizeof(err));
		}
		MemoryContextSwitchTo(old);
	}
	if (rc == GBDT_ENOMEM)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory training on %zu rows of %d features", t.n, t.p)));
	if (rc != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("training failed: %s", err)));
	INSTR_TIME_SET_CURRENT(train_done);

	/* in-sample figures, on the out-of-fold encoding the trees were grown on */
	score = MemoryContextAllocHuge(t.cxt, sizeof(double) * t.n);
	{
		double	   *row = palloc(sizeof(double) * t.p);
		double		ll = 0;

		for (size_t i = 0; i < t.n; i++)
		{
			double		pr;

			for (int j = 0; j < t.p; j++)
				row[j] = x[(size_t) j * t.n + i];
			score[i] = ModelDefMargin(m, row);
			pr = 1.0 / (1.0 + exp(-score[i]));
			ll -= t.y[i] ? log(Max(pr, 1e-15)) : log(Max(1 - pr, 1e-15));
		}
		if (kind == MODEL_KIND_LOGIT || isnan(logloss))
			logloss = ll / t.n;
		pfree(row);
	}
	initStringInfo(&metrics);
	appendStringInfo(&metrics,
					 "{\"rows\": %zu, \"positives\": " INT64_FORMAT ", \"base_rate\": %.6f, \"features\": %d, "
					 "\"train_logloss\": %.6f, \"train_auc\": %.6f, \"read_seconds\": %.3f, \"train_seconds\": %.3f}",
					 t.n, t.positives, prior, t.p, logloss, RocAuc(score, t.y, t.n, t.positives),
					 INSTR_TIME_GET_DOUBLE(read_done) - INSTR_TIME_GET_DOUBLE(start),
					 INSTR_TIME_GET_DOUBLE(train_done) - INSTR_TIME_GET_DOUBLE(read_done));

	values[0] = PointerGetDatum(ModelDefSerialize(m));
	values[1] = FeaturesJson(&t);
	values[2] = DirectFunctionCall1(jsonb_in, CStringGetDatum(metrics.data));
	values[3] = TimestampGetDatum(t.window_from);
	values[4] = TimestampGetDatum(t.window_to);
	nulls[3] = nulls[4] = !t.window_seen;
	{
		HeapTuple	tuple = heap_form_tuple(BlessTupleDesc(rettd), values, nulls);
		Datum		result = HeapTupleGetDatum(tuple);

		return result;
	}
}
