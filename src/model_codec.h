/*
 * model_codec.h: a trained risk model as the backend holds it, and its stored form
 * (model.body).  The stored form is self-contained: the columns the model reads, the
 * target encoding of every categorical column learned in training, and the core model
 * (gbdt_core or logit_core), so scoring reads nothing but the model.
 *
 * Each numeric column gives one feature (NULL = missing).  Each categorical column gives
 * two: the smoothed hit rate of its category (target encoding, (hits + s * prior) /
 * (count + s), out of fold in training) and how often the category occurred in training;
 * a category never seen scores as the prior with count 0.
 *
 * Stored form, integers and doubles little-endian byte by byte (doubles as IEEE bits):
 *   "CRMD", u32 version (1), u8 kind (1 gbdt, 2 logistic), f64 prior, f64 smoothing,
 *   u32 column count; per column: u8 categorical, u16 name length, name bytes, and for
 *   a categorical column u32 category count, u8 has-null, [f64 rate, f64 count of NULL],
 *   then per category u16 length, bytes, f64 rate, f64 count;
 *   u32 core length, core bytes.
 */
#ifndef CUSTOMS_RISK_MODEL_CODEC_H
#define CUSTOMS_RISK_MODEL_CODEC_H

#include "postgres.h"

#include "common/hashfn.h"
#include "lib/stringinfo.h"

#include "gbdt_core.h"
#include "logit_core.h"

#define MODEL_FORMAT_VERSION 1
#define MODEL_KIND_GBDT 1
#define MODEL_KIND_LOGIT 2
#define MODEL_MAX_COLUMNS 1600		/* a row has at most that many */
#define MODEL_MAX_CATEGORICAL 255	/* training keys its lookup by one byte per column */
#define MODEL_MAX_CATEGORY_LEN 65535

/* A slot of a column's category lookup: open addressing, 16 bytes, the text in an arena. */
typedef struct CategorySlot
{
	uint32		hash;
	int32		index;			/* -1: empty */
	uint32		offset;			/* of the text in the column's arena */
	uint32		len;
} CategorySlot;

typedef struct ModelColumn
{
	char	   *name;
	bool		categorical;
	int			feature;		/* its first feature */
	/* categorical only: the categories in training order, and a lookup by text */
	bool		has_null;		/* NULL was seen in training and has its own rate */
	double		null_rate;
	double		null_count;
	int32		ncat;
	int32		capacity;
	double	   *stats;			/* per category: rate, count (adjacent: one cache line) */
	uint32	   *offset;
	CategorySlot *slots;
	uint32		mask;			/* slots - 1, a power of two, kept at most half full */
	char	   *arena;
	size_t		arena_len;
	size_t		arena_cap;
} ModelColumn;

/* A decoded model; everything lives in cxt, so deleting cxt frees it. */
typedef struct ModelDef
{
	MemoryContext cxt;
	int			kind;
	double		prior;			/* mean label in training: the rate of an unseen category */
	double		smoothing;
	int			ncols;
	ModelColumn *cols;
	int			p;				/* features */
	int			nused;			/* columns the core reads: scoring skips the others */
	int		   *used;
	GbdtModel  *gbdt;
	LogitModel *logit;
} ModelDef;

/* palloc-backed allocator for the cores (huge allocations allowed: big training sets). */
extern const CoreAllocator ModelCoreAllocator;

/* Lay out columns (name, categorical) in a new ModelDef in cxt; categories come next. */
extern ModelDef *ModelDefCreate(MemoryContext cxt, int kind, int ncols, char **names, const bool *categorical,
								double prior, double smoothing);

/* Add a category of column c (its text, not NUL-terminated) with its rate and count. */
extern void ModelDefAddCategory(ModelDef *m, int c, const char *s, int len, double rate, double count);

/* The category index of a column's value, or -1 when it was not seen in training. */
extern int32 ModelDefFindCategory(const ModelColumn *col, const char *s, int len);

/*
 * The same in steps, for a row's many columns at once: a lookup table misses the cache
 * on big columns, and starting every column's fetch before waiting on any overlaps the
 * misses.  Step 1 hashes the text and prefetches its slot; step 2 finds the first slot
 * that may hold it and prefetches the text to compare; step 3 compares (and probes on).
 */
static inline uint32
ModelDefCategoryHashStart(const ModelColumn *col, const char *s, int len)
{
	uint32		hash = hash_bytes((const unsigned char *) s, len);

	__builtin_prefetch(&col->slots[hash & col->mask]);
	return hash;
}

static inline uint32
ModelDefCategoryCandidate(const ModelColumn *col, uint32 hash, int len)
{
	uint32		i = hash & col->mask;

	while (col->slots[i].index >= 0 && (col->slots[i].hash != hash || col->slots[i].len != (uint32) len))
		i = (i + 1) & col->mask;
	if (col->slots[i].index >= 0)
	{
		__builtin_prefetch(col->arena + col->slots[i].offset);
		__builtin_prefetch(col->stats + 2 * col->slots[i].index);
	}
	return i;
}

extern int32 ModelDefCategoryResolve(const ModelColumn *col, uint32 hash, const char *s, int len, uint32 i);

/* Fill the two features of a categorical column: its index (-1 unseen), or NULL. */
extern void ModelDefCategoryFeatures(const ModelDef *m, const ModelColumn *col, int32 cat, bool isnull, double *x);

/* The margin (log-odds) and probability of one feature vector. */
extern double ModelDefMargin(const ModelDef *m, const double *x);

/* Contributions to the margin per feature (p of them) and the bias at out[p]. */
extern void ModelDefContributions(const ModelDef *m, const double *x, double *out);

/* The stored form. */
extern bytea *ModelDefSerialize(const ModelDef *m);

/* Decode and check a stored form into a new context under parent; ERROR (XX001) if corrupt. */
extern ModelDef *ModelDefDeserialize(const bytea *body, MemoryContext parent, const char *model_name);

#endif							/* CUSTOMS_RISK_MODEL_CODEC_H */
