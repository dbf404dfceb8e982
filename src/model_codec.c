/*
 * model_codec.c: a trained risk model in memory, and its checked stored form.
 */
#include "postgres.h"

#include <math.h>

#include "mb/pg_wchar.h"
#include "port/pg_crc32c.h"
#include "utils/memutils.h"

#include "model_codec.h"
#include "model_input.h"

/* The checksum covers the bytes from here on: all but the header and itself. */
#define MODEL_CHECKED_FROM 12

/* CRC-32C of a stored form's checked bytes. */
static uint32
BodyChecksum(const void *p, size_t len)
{
	pg_crc32c	crc;

	INIT_CRC32C(crc);
	COMP_CRC32C(crc, p, len);
	FIN_CRC32C(crc);
	return crc;
}

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

const CoreAllocator ModelCoreAllocator = {CoreAlloc, CoreRealloc, CoreFree};

/* ------------------------------------------------------------------------
 * Building
 * ------------------------------------------------------------------------ */

/* Empty slots for a column's lookup, on a 32-byte boundary (palloc aligns to 8 only). */
static void
AllocSlots(ModelColumn *col, uint32 count)
{
	col->slots_alloc = palloc_extended(sizeof(CategorySlot) * count + 31, MCXT_ALLOC_HUGE);
	col->slots = (CategorySlot *) TYPEALIGN(32, col->slots_alloc);
	for (uint32 i = 0; i < count; i++)
		col->slots[i].index = -1;
}

ModelDef *
ModelDefCreate(MemoryContext cxt, int kind, int ncols, char **names, const bool *categorical,
			   double prior, double smoothing)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	ModelDef   *m = palloc0(sizeof(ModelDef));
	int			ncategorical = 0;

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
		{
			ncategorical++;
			col->mask = 15;
			AllocSlots(col, col->mask + 1);
		}
	}
	if (ncategorical > MODEL_MAX_CATEGORICAL)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a model can have at most %d categorical columns, not %d", MODEL_MAX_CATEGORICAL, ncategorical)));
	MemoryContextSwitchTo(old);
	return m;
}

int32
ModelDefFindCategory(const ModelColumn *col, const char *s, int len)
{
	CategoryKey k;
	const CategorySlot *slot;

	ModelDefCategoryStart(col, s, len, &k);
	slot = ModelDefCategorySlot(col, &k);
	return slot != NULL ? slot->index : -1;
}

/* Double a column's lookup: kept at most half full, so probes stay short. */
static void
GrowLookup(ModelColumn *col)
{
	CategorySlot *old = col->slots;
	void	   *old_alloc = col->slots_alloc;
	uint32		oldcap = col->mask + 1;

	col->mask = oldcap * 2 - 1;
	AllocSlots(col, col->mask + 1);
	for (uint32 i = 0; i < oldcap; i++)
	{
		uint32		j;

		if (old[i].index < 0)
			continue;
		for (j = old[i].hash & col->mask; col->slots[j].index >= 0; j = (j + 1) & col->mask)
			;
		col->slots[j] = old[i];
	}
	pfree(old_alloc);
}

void
ModelDefAddCategory(ModelDef *m, int c, const char *s, int len, double rate, double count)
{
	ModelColumn *col = &m->cols[c];
	MemoryContext old = MemoryContextSwitchTo(m->cxt);
	CategoryKey k;
	CategorySlot *slot;
	uint32		i;

	if (len > MODEL_MAX_CATEGORY_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a category of column \"%s\" is %d bytes long; the limit is %d",
						col->name, len, MODEL_MAX_CATEGORY_LEN)));
	if (col->ncat == col->capacity)
	{
		col->capacity = Max(col->capacity * 2, 8);
		col->stats = col->stats ? repalloc_huge(col->stats, sizeof(double) * 2 * col->capacity)
			: palloc(sizeof(double) * 2 * col->capacity);
		col->offset = col->offset ? repalloc_huge(col->offset, sizeof(uint32) * col->capacity) : palloc(sizeof(uint32) * col->capacity);
	}
	if ((uint32) (col->ncat + 1) * 2 > col->mask + 1)
		GrowLookup(col);
	if (col->arena_len + len > col->arena_cap)
	{
		col->arena_cap = Max(col->arena_cap * 2, col->arena_len + len + 64);
		if (col->arena_cap > PG_UINT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("the categories of column \"%s\" take more than 4 GB", col->name)));
		col->arena = col->arena ? repalloc_huge(col->arena, col->arena_cap) : palloc_extended(col->arena_cap, MCXT_ALLOC_HUGE);
	}
	memcpy(col->arena + col->arena_len, s, len);
	ModelDefCategoryStart(col, col->arena + col->arena_len, len, &k);
	if (ModelDefCategorySlot(col, &k) != NULL)
		elog(ERROR, "category of column \"%s\" entered twice", col->name);
	for (i = k.hash & col->mask; col->slots[i].index >= 0; i = (i + 1) & col->mask)
		;
	slot = &col->slots[i];
	slot->key[0] = k.key[0];
	slot->key[1] = k.key[1];
	slot->hash = k.hash;
	slot->index = col->ncat;
	slot->offset = (uint32) col->arena_len;
	slot->len = (uint16) len;
	slot->bins[0] = slot->bins[1] = 0;
	col->offset[col->ncat] = (uint32) col->arena_len;
	col->stats[2 * col->ncat] = rate;
	col->stats[2 * col->ncat + 1] = count;
	col->arena_len += len;
	col->ncat++;
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
		x[0] = col->stats[2 * cat];
		x[1] = col->stats[2 * cat + 1];
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

	initStringInfo(&b);
	appendBinaryStringInfo(&b, "CRMD", 4);
	PutU(&b, MODEL_FORMAT_VERSION, 4);
	PutU(&b, 0, 4);				/* the checksum, set once the rest is written */
	PutU(&b, m->kind, 1);
	PutF(&b, m->prior);
	PutF(&b, m->smoothing);
	PutU(&b, m->ncols, 4);
	for (int c = 0; c < m->ncols; c++)
	{
		const ModelColumn *col = &m->cols[c];
		int			len = strlen(col->name);

		PutU(&b, col->categorical, 1);
		PutU(&b, len, 2);
		appendBinaryStringInfo(&b, col->name, len);
		if (!col->categorical)
			continue;
		PutU(&b, col->key_class, 1);
		PutU(&b, col->ncat, 4);
		PutU(&b, col->has_null, 1);
		if (col->has_null)
		{
			PutF(&b, col->null_rate);
			PutF(&b, col->null_count);
		}
		for (int k = 0; k < col->ncat; k++)
		{
			uint32		end = k + 1 < col->ncat ? col->offset[k + 1] : (uint32) col->arena_len;

			PutU(&b, end - col->offset[k], 2);
			appendBinaryStringInfo(&b, col->arena + col->offset[k], end - col->offset[k]);
			PutF(&b, col->stats[2 * k]);
			PutF(&b, col->stats[2 * k + 1]);
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
	{
		uint32		crc = BodyChecksum(b.data + MODEL_CHECKED_FROM, b.len - MODEL_CHECKED_FROM);

		for (int i = 0; i < 4; i++)
			b.data[MODEL_CHECKED_FROM - 4 + i] = (char) (crc >> (8 * i));
	}

	out = palloc(VARHDRSZ + b.len);
	SET_VARSIZE(out, VARHDRSZ + b.len);
	memcpy(VARDATA(out), b.data, b.len);
	pfree(b.data);
	return out;
}

/*
 * The columns whose features the core reads: a tree model rarely splits on all of them, and
 * a column no tree splits on need not be looked up to score or to explain.
 */
static void
FindUsedColumns(ModelDef *m)
{
	bool	   *feature_used = palloc0(sizeof(bool) * Max(m->p, 1));

	if (m->kind == MODEL_KIND_GBDT)
	{
		uint32		nodes = m->gbdt->tree_start[m->gbdt->n_trees];

		for (uint32 i = 0; i < nodes; i++)
			if (m->gbdt->nodes[i].feature >= 0)
				feature_used[m->gbdt->nodes[i].feature] = true;
	}
	else
		for (int j = 0; j < m->p; j++)
			feature_used[j] = m->logit->coef[j] != 0;
	m->used = MemoryContextAlloc(m->cxt, sizeof(int) * Max(m->ncols, 1));
	m->nused = 0;
	for (int c = 0; c < m->ncols; c++)
	{
		const ModelColumn *col = &m->cols[c];

		if (feature_used[col->feature] || (col->categorical && feature_used[col->feature + 1]))
			m->used[m->nused++] = c;
	}
	pfree(feature_used);
}

/*
 * A tree model with a binned form: work out each category's bins now, so scoring a row
 * looks its categories' bins up instead of binning their rates and counts.
 */
static void
PrepareBins(ModelDef *m)
{
	m->binned = m->kind == MODEL_KIND_GBDT && m->gbdt->bin_columns != NULL;
	if (!m->binned)
		return;
	for (int c = 0; c < m->ncols; c++)
	{
		ModelColumn *col = &m->cols[c];
		double		x[2];

		if (!col->categorical)
			continue;
		for (uint32 i = 0; i <= col->mask; i++)
		{
			CategorySlot *slot = &col->slots[i];

			if (slot->index < 0)
				continue;
			ModelDefCategoryFeatures(m, col, slot->index, false, x);
			slot->bins[0] = gbdt_bin(m->gbdt, col->feature, x[0]);
			slot->bins[1] = gbdt_bin(m->gbdt, col->feature + 1, x[1]);
		}
		ModelDefCategoryFeatures(m, col, -1, true, x);
		col->null_bins[0] = gbdt_bin(m->gbdt, col->feature, x[0]);
		col->null_bins[1] = gbdt_bin(m->gbdt, col->feature + 1, x[1]);
		ModelDefCategoryFeatures(m, col, -1, false, x);
		col->unseen_bins[0] = gbdt_bin(m->gbdt, col->feature, x[0]);
		col->unseen_bins[1] = gbdt_bin(m->gbdt, col->feature + 1, x[1]);
	}
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
	{
		/*
		 * Most damage to the bytes still decodes (a leaf value, a category's rate), and
		 * would score silently wrong: the checksum turns it into this error.
		 */
		uint32		stored = (uint32) GetU(&r, 4);

		if (BodyChecksum(r.p, r.left) != stored)
			Corrupt(&r, "its checksum does not match its bytes");
	}
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
			uint64		key_class = GetU(&r, 1);
			uint64		n = GetU(&r, 4);
			uint64		has_null = GetU(&r, 1);

			if (has_null > 1)
				Corrupt(&r, "bad NULL flag");
			if (key_class > MK_LAST)
				Corrupt(&r, "bad key class");
			if (has_null == 1)
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
		col->key_class = (uint8) GetU(&r, 1);
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
			if (ModelDefFindCategory(col, s, len) >= 0)
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
			rc = gbdt_deserialize(r.p, corelen, &ModelCoreAllocator, &m->gbdt, err, sizeof(err));
		else
			rc = logit_deserialize(r.p, corelen, &ModelCoreAllocator, &m->logit, err, sizeof(err));
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
	FindUsedColumns(m);
	PrepareBins(m);
	pfree(names);
	pfree(categorical);
	MemoryContextSetParent(cxt, parent);
	return m;
}
