/*
 * model_codec.c: a trained risk model in memory, and its checked stored form.
 */
#include "postgres.h"

#include <math.h>

#include "mb/pg_wchar.h"
#include "utils/memutils.h"

#include "model_codec.h"

/* ------------------------------------------------------------------------
 * Allocators for the cores: palloc in the current context, huge sizes allowed
 * ------------------------------------------------------------------------ */

static void *
CoreAlloc(size_t size)
{
	return MemoryContextAllocExtended(CurrentMemoryContext, size, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

static void *
CoreRealloc(void *ptr, size_t size)
{
	return repalloc_huge(ptr, size);
}

static void
CoreFree(void *ptr)
{
	pfree(ptr);
}

const GbdtAllocator ModelGbdtAllocator = {CoreAlloc, CoreRealloc, CoreFree};
const LogitAllocator ModelLogitAllocator = {CoreAlloc, CoreRealloc, CoreFree};

/* ------------------------------------------------------------------------
 * Building
 * ------------------------------------------------------------------------ */

ModelDef *
ModelDefCreate(MemoryContext cxt, int kind, int ncols, char **names, const bool *categorical,
			   double prior, double smoothing)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	ModelDef   *m = palloc0(sizeof(ModelDef));
	int			ordinal = 0;

	m->cxt = cxt;
	m->kind = kind;
	m->prior = prior;
	m->smoothing = smoothing;
	m->ncols = ncols;
	m->cols = palloc0(sizeof(ModelColumn) * Max(ncols, 1));
	for (int c = 0; c < ncols; c++)
	{
		ModelColumn *col = &m->cols[c];

		col->name = pstrdup(names[c]);
		col->categorical = categorical[c];
		col->feature = m->p;
		m->p += col->categorical ? 2 : 1;
		if (col->categorical)
			col->ordinal = ordinal++;
	}
	if (ordinal > MODEL_MAX_CATEGORICAL)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a model can have at most %d categorical columns, not %d", MODEL_MAX_CATEGORICAL, ordinal)));
	AnchorTableInit(&m->lookup, cxt);
	MemoryContextSwitchTo(old);
	return m;
}

void
ModelDefAddCategory(ModelDef *m, int c, const char *s, int len, double rate, double count)
{
	MemoryContext old = MemoryContextSwitchTo(m->cxt);
	int32	   *slot;
	bool		found;
	char	   *copy;

	if (len > MODEL_MAX_CATEGORY_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a category of column \"%s\" is %d bytes long; the limit is %d",
						m->cols[c].name, len, MODEL_MAX_CATEGORY_LEN)));
	if ((m->ncat & (m->ncat - 1)) == 0)	/* 0, 1, 2, 4, ...: grow by doubling */
	{
		int			cap = Max(m->ncat * 2, 8);

		m->cat_rate = m->cat_rate ? repalloc_huge(m->cat_rate, sizeof(double) * cap) : palloc(sizeof(double) * cap);
		m->cat_count = m->cat_count ? repalloc_huge(m->cat_count, sizeof(double) * cap) : palloc(sizeof(double) * cap);
	}
	copy = palloc(Max(len, 1));
	memcpy(copy, s, len);
	slot = AnchorEnterCode(&m->lookup, m->cols[c].ordinal, copy, len, &found);
	if (found)
		elog(ERROR, "category of column \"%s\" entered twice", m->cols[c].name);
	*slot = m->ncat;
	m->cat_rate[m->ncat] = rate;
	m->cat_count[m->ncat] = count;
	m->ncat++;
	MemoryContextSwitchTo(old);
}

void
ModelDefCategoryFeatures(const ModelDef *m, const ModelColumn *col, int32 cat, bool isnull, double *x)
{
	if (isnull)
	{
		x[0] = col->has_null ? col->null_rate : m->prior;
		x[1] = col->has_null ? col->null_count : 0;
	}
	else if (cat < 0)
	{
		x[0] = m->prior;
		x[1] = 0;
	}
	else
	{
		x[0] = m->cat_rate[cat];
		x[1] = m->cat_count[cat];
	}
}

double
ModelDefMargin(const ModelDef *m, const double *x)
{
	return m->kind == MODEL_KIND_GBDT ? gbdt_predict_margin(m->gbdt, x) : logit_predict_margin(m->logit, x);
}

void
ModelDefContributions(const ModelDef *m, const double *x, double *out)
{
	if (m->kind == MODEL_KIND_GBDT)
		gbdt_contributions(m->gbdt, x, out);
	else
		logit_contributions(m->logit, x, out);
}

/* ------------------------------------------------------------------------
 * Stored form
 * ------------------------------------------------------------------------ */

static void
PutU(StringInfo b, uint64 v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		appendStringInfoChar(b, (char) (v >> (8 * i)));
}

static void
PutF(StringInfo b, double v)
{
	uint64		bits;

	memcpy(&bits, &v, sizeof(bits));
	PutU(b, bits, 8);
}

bytea *
ModelDefSerialize(const ModelDef *m)
{
	StringInfoData b;
	size_t		corelen;
	bytea	   *out;
	int32	   *order = palloc(sizeof(int32) * Max(m->ncat, 1));

	/* categories in entry order per column: walk the table once */
	for (uint32 i = 0; i <= m->lookup.mask; i++)
		if (m->lookup.slots[i].value >= 0)
			order[m->lookup.slots[i].value] = (int32) i;

	initStringInfo(&b);
	appendBinaryStringInfo(&b, "CRMD", 4);
	PutU(&b, MODEL_FORMAT_VERSION, 4);
	PutU(&b, m->kind, 1);
	PutF(&b, m->prior);
	PutF(&b, m->smoothing);
	PutU(&b, m->ncols, 4);
	for (int c = 0; c < m->ncols; c++)
	{
		const ModelColumn *col = &m->cols[c];
		int			len = strlen(col->name);
		uint32		n = 0;

		PutU(&b, col->categorical, 1);
		PutU(&b, len, 2);
		appendBinaryStringInfo(&b, col->name, len);
		if (!col->categorical)
			continue;
		for (int k = 0; k < m->ncat; k++)
			n += m->lookup.slots[order[k]].field == col->ordinal;
		PutU(&b, n, 4);
		PutU(&b, col->has_null, 1);
		if (col->has_null)
		{
			PutF(&b, col->null_rate);
			PutF(&b, col->null_count);
		}
		for (int k = 0; k < m->ncat; k++)
		{
			const AnchorSlot *slot = &m->lookup.slots[order[k]];

			if (slot->field != col->ordinal)
				continue;
			PutU(&b, slot->len, 2);
			appendBinaryStringInfo(&b, slot->s, slot->len);
			PutF(&b, m->cat_rate[k]);
			PutF(&b, m->cat_count[k]);
		}
	}
	corelen = m->kind == MODEL_KIND_GBDT ? gbdt_serialize(m->gbdt, NULL) : logit_serialize(m->logit, NULL);
	if (corelen > MaxAllocSize / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the model is too large to store (%zu bytes)", corelen)));
	PutU(&b, corelen, 4);
	enlargeStringInfo(&b, (int) corelen);
	if (m->kind == MODEL_KIND_GBDT)
		gbdt_serialize(m->gbdt, (unsigned char *) b.data + b.len);
	else
		logit_serialize(m->logit, (unsigned char *) b.data + b.len);
	b.len += (int) corelen;

	out = palloc(VARHDRSZ + b.len);
	SET_VARSIZE(out, VARHDRSZ + b.len);
	memcpy(VARDATA(out), b.data, b.len);
	pfree(b.data);
	pfree(order);
	return out;
}

/* A bounded reader over the stored form; any overrun or bad value is corruption. */
typedef struct Reader
{
	const unsigned char *p;
	size_t		left;
	const char *model;
} Reader;

static void pg_attribute_noreturn()
Corrupt(const Reader *r, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("stored model \"%s\" is corrupt: %s", r->model, what),
			 errhint("Train the model again.")));
}

static uint64
GetU(Reader *r, int bytes)
{
	uint64		v = 0;

	if (r->left < (size_t) bytes)
		Corrupt(r, "it ends early");
	for (int i = 0; i < bytes; i++)
		v |= (uint64) r->p[i] << (8 * i);
	r->p += bytes;
	r->left -= bytes;
	return v;
}

static double
GetF(Reader *r)
{
	uint64		bits = GetU(r, 8);
	double		v;

	memcpy(&v, &bits, sizeof(v));
	return v;
}

static const char *
GetBytes(Reader *r, size_t n)
{
	const char *s = (const char *) r->p;

	if (r->left < n)
		Corrupt(r, "it ends early");
	r->p += n;
	r->left -= n;
	return s;
}

/* A rate in [0, 1] and a count >= 0, both finite. */
static void
CheckStats(Reader *r, double rate, double count)
{
	if (!(rate >= 0 && rate <= 1) || !(count >= 0 && count < 1e300))
		Corrupt(r, "a category's rate or count is out of range");
}

ModelDef *
ModelDefDeserialize(const bytea *body, MemoryContext parent, const char *model_name)
{
	Reader		r = {(const unsigned char *) VARDATA_ANY(body), VARSIZE_ANY_EXHDR(body), model_name};
	MemoryContext cxt;
	ModelDef   *m;
	int			kind,
				ncols;
	double		prior,
				smoothing;
	char	  **names;
	bool	   *categorical;
	const unsigned char *cols_start;
	size_t		cols_left;
	uint32		corelen;
	char		err[256];
	int			rc;

	if (r.left < 4 || memcmp(r.p, "CRMD", 4) != 0)
		Corrupt(&r, "it does not start with the model header");
	GetBytes(&r, 4);
	if (GetU(&r, 4) != MODEL_FORMAT_VERSION)
		Corrupt(&r, "unknown format version");
	kind = (int) GetU(&r, 1);
	if (kind != MODEL_KIND_GBDT && kind != MODEL_KIND_LOGIT)
		Corrupt(&r, "unknown model kind");
	prior = GetF(&r);
	smoothing = GetF(&r);
	if (!(prior > 0 && prior < 1) || !(smoothing >= 0 && smoothing < 1e300))
		Corrupt(&r, "prior or smoothing out of range");
	ncols = (int) GetU(&r, 4);
	if (ncols < 1 || ncols > MODEL_MAX_COLUMNS)
		Corrupt(&r, "bad column count");

	/* first pass: the columns' names and kinds, so the layout can be made */
	names = palloc(sizeof(char *) * ncols);
	categorical = palloc(sizeof(bool) * ncols);
	cols_start = r.p;
	cols_left = r.left;
	for (int c = 0; c < ncols; c++)
	{
		uint64		flag = GetU(&r, 1);
		int			len = (int) GetU(&r, 2);
		const char *s = GetBytes(&r, len);

		if (flag > 1 || len == 0 || memchr(s, '\0', len) != NULL || !pg_verifymbstr(s, len, true))
			Corrupt(&r, "bad column");
		names[c] = pnstrdup(s, len);
		for (int e = 0; e < c; e++)
			if (strcmp(names[e], names[c]) == 0)
				Corrupt(&r, "a column appears twice");
		categorical[c] = flag == 1;
		if (categorical[c])
		{
			uint64		n = GetU(&r, 4);

			if (GetU(&r, 1) == 1)
				GetBytes(&r, 16);
			for (uint64 k = 0; k < n; k++)
				GetBytes(&r, 16 + GetU(&r, 2));
		}
	}

	/* made under the current context, moved under parent once whole: an error frees it */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "customs_risk model", ALLOCSET_DEFAULT_SIZES);
	m = ModelDefCreate(cxt, kind, ncols, names, categorical, prior, smoothing);
	MemoryContextSetIdentifier(cxt, MemoryContextStrdup(cxt, model_name));

	/* second pass: the categories */
	r.p = cols_start;
	r.left = cols_left;
	for (int c = 0; c < ncols; c++)
	{
		ModelColumn *col = &m->cols[c];
		uint64		n;

		GetU(&r, 1);
		GetBytes(&r, GetU(&r, 2));
		if (!col->categorical)
			continue;
		n = GetU(&r, 4);
		col->has_null = GetU(&r, 1) != 0;
		if (col->has_null)
		{
			col->null_rate = GetF(&r);
			col->null_count = GetF(&r);
			CheckStats(&r, col->null_rate, col->null_count);
		}
		for (uint64 k = 0; k < n; k++)
		{
			int			len = (int) GetU(&r, 2);
			const char *s = GetBytes(&r, len);
			double		rate = GetF(&r),
						count = GetF(&r);

			CheckStats(&r, rate, count);
			if (ModelDefFindCategory(m, col, s, len) >= 0)
				Corrupt(&r, "a category appears twice");
			ModelDefAddCategory(m, c, s, len, rate, count);
		}
	}

	corelen = (uint32) GetU(&r, 4);
	if (corelen != r.left)
		Corrupt(&r, "the core model's length does not match");
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		if (kind == MODEL_KIND_GBDT)
			rc = gbdt_deserialize(r.p, corelen, &ModelGbdtAllocator, &m->gbdt, err, sizeof(err));
		else
			rc = logit_deserialize(r.p, corelen, &ModelLogitAllocator, &m->logit, err, sizeof(err));
		MemoryContextSwitchTo(old);
	}
	if (rc != 0)
	{
		if (rc == GBDT_ENOMEM)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory loading model \"%s\"", model_name)));
		Corrupt(&r, err);
	}
	if ((kind == MODEL_KIND_GBDT ? m->gbdt->p : m->logit->p) != m->p)
		Corrupt(&r, "the core model's feature count does not match its columns");
	pfree(names);
	pfree(categorical);
	MemoryContextSetParent(cxt, parent);
	return m;
}
