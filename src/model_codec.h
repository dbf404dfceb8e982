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
 *   "CRMD", u32 version (3), u32 CRC-32C of every byte after it, u8 kind (1 gbdt,
 *   2 logistic), f64 prior, f64 smoothing,
 *   u32 column count; per column: u8 categorical, u16 name length, name bytes, and for
 *   a categorical column u8 key class (ModelKeyClass), u32 category count, u8 has-null,
 *   [f64 rate, f64 count of NULL],
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

#define MODEL_FORMAT_VERSION 3		/* 2: a checksum; 3: categories' key class */
#define MODEL_KIND_GBDT 1
#define MODEL_KIND_LOGIT 2
#define MODEL_MAX_COLUMNS 1600		/* a row has at most that many */
#define MODEL_MAX_CATEGORICAL 255	/* training keys its lookup by one byte per column */
#define MODEL_MAX_CATEGORY_LEN 65535

/*
 * A slot of a column's category lookup (open addressing, kept at most half full): 32
 * bytes on a 32-byte boundary, so one cache line holds it whole, with the first 16 bytes
 * of the text inline (zero padded).  A lookup of a short code (customs codes are) thus
 * reads one line, and finds its bins there too; a longer text compares its rest in the
 * column's arena.
 */
#define CATEGORY_INLINE 16

typedef struct CategorySlot
{
	uint64		key[2];			/* the text's first CATEGORY_INLINE bytes, zero padded (CategoryWord) */
	uint32		hash;
	int32		index;			/* -1: empty */
	uint32		offset;			/* of the whole text in the column's arena */
	uint16		len;
	uint8		bins[2];		/* binned models: the bins of the category's two features */
} CategorySlot;

/* A text to look up: its first bytes as the slots hold them, and its hash. */
typedef struct CategoryKey
{
	uint64		key[2];
	const char *s;
	int			len;
	uint32		hash;
} CategoryKey;

typedef struct ModelColumn
{
	char	   *name;
	bool		categorical;
	int			feature;		/* its first feature */
	/* categorical only: the categories in training order, and a lookup by text */
	uint8		key_class;		/* ModelKeyClass of the column trained on */
	bool		has_null;		/* NULL was seen in training and has its own rate */
	double		null_rate;
	double		null_count;
	int32		ncat;
	int32		capacity;
	double	   *stats;			/* per category: rate, count (adjacent: one cache line) */
	uint32	   *offset;
	CategorySlot *slots;
	void	   *slots_alloc;	/* the allocation slots lie in */
	uint32		mask;			/* slots - 1, a power of two, kept at most half full */
	char	   *arena;
	size_t		arena_len;
	size_t		arena_cap;
	/* binned models: the bins of the two features of NULL and of an unseen category (a
	 * category's own are in its slot) */
	uint8		null_bins[2];
	uint8		unseen_bins[2];
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
	bool		binned;			/* a tree model with a binned form: scoring reads binned rows */
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
 * Bytes 0 .. n - 1 (n <= 8) of s as a word, byte i at bits 8i, the rest zero, without
 * reading past them or through memory (a word stored bytewise and read back whole would
 * wait on the stores): two overlapping 4-byte reads, or three bytes.
 */
static inline uint64
CategoryWord(const char *s, int n)
{
	const unsigned char *u = (const unsigned char *) s;

	if (n >= 4)
	{
		uint32		a = (uint32) u[0] | (uint32) u[1] << 8 | (uint32) u[2] << 16 | (uint32) u[3] << 24,
					b = (uint32) u[n - 4] | (uint32) u[n - 3] << 8 | (uint32) u[n - 2] << 16 | (uint32) u[n - 1] << 24;

		return (uint64) a | (uint64) b << (8 * (n - 4));
	}
	if (n > 0)
		return (uint64) u[0] | (uint64) u[n / 2] << (8 * (n / 2)) | (uint64) u[n - 1] << (8 * (n - 1));
	return 0;
}

/*
 * The same in two steps, for a row's many columns at once: a big column's lookup misses
 * the cache, and starting every column's fetch (ModelDefCategoryStart) before waiting on
 * any (ModelDefCategorySlot) overlaps the misses.  A text of up to CATEGORY_INLINE bytes
 * hashes by a multiply-mix of its two words, a longer one by hash_bytes.
 */
static inline void
ModelDefCategoryStart(const ModelColumn *col, const char *s, int len, CategoryKey *k)
{
	uint64		h;

	k->key[0] = CategoryWord(s, Min(len, 8));
	k->key[1] = len > 8 ? CategoryWord(s + 8, Min(len - 8, 8)) : 0;
	k->s = s;
	k->len = len;
	if (len > CATEGORY_INLINE)
		k->hash = hash_bytes((const unsigned char *) s, len);
	else
	{
		h = k->key[0] * UINT64CONST(0x9E3779B97F4A7C15) ^ (k->key[1] + (uint64) len) * UINT64CONST(0xC2B2AE3D27D4EB4F);
		h ^= h >> 32;
		h *= UINT64CONST(0xD6E8FEB86659FD93);
		h ^= h >> 32;
		k->hash = (uint32) h;
	}
	__builtin_prefetch(&col->slots[k->hash & col->mask]);
}

/* The slot of a started key's category, or NULL when it was not seen in training. */
static inline const CategorySlot *
ModelDefCategorySlot(const ModelColumn *col, const CategoryKey *k)
{
	for (uint32 i = k->hash & col->mask;; i = (i + 1) & col->mask)
	{
		const CategorySlot *slot = &col->slots[i];

		if (slot->index < 0)
			return NULL;
		if (slot->hash == k->hash && slot->len == k->len && slot->key[0] == k->key[0] && slot->key[1] == k->key[1] &&
			(k->len <= CATEGORY_INLINE ||
			 memcmp(col->arena + slot->offset + CATEGORY_INLINE, k->s + CATEGORY_INLINE, k->len - CATEGORY_INLINE) == 0))
			return slot;
	}
}

/* Fill the two features of a categorical column: its index (-1 unseen), or NULL. */
extern void ModelDefCategoryFeatures(const ModelDef *m, const ModelColumn *col, int32 cat, bool isnull, double *x);

/*
 * The same for a binned row (2 bytes a feature, see gbdt_core.h), from the bins worked out
 * once per category when the model was loaded (slot NULL: unseen); and a numeric
 * column's value or NULL.
 */
static inline void
ModelDefCategoryBins(const ModelColumn *col, const CategorySlot *slot, bool isnull, uint8 *row)
{
	const uint8 *b = isnull ? col->null_bins : slot == NULL ? col->unseen_bins : slot->bins;

	gbdt_bin_set(row, col->feature, b[0]);
	gbdt_bin_set(row, col->feature + 1, b[1]);
}

static inline void
ModelDefNumberBins(const ModelDef *m, const ModelColumn *col, double v, bool isnull, uint8 *row)
{
	if (isnull)
		gbdt_bin_set_missing(row, col->feature);
	else
		gbdt_bin_set(row, col->feature, gbdt_bin(m->gbdt, col->feature, v));
}

/* The margin (log-odds) and probability of one feature vector. */
extern double ModelDefMargin(const ModelDef *m, const double *x);

/* Contributions to the margin per feature (p of them) and the bias at out[p]. */
extern void ModelDefContributions(const ModelDef *m, const double *x, double *out);

/* The stored form. */
extern bytea *ModelDefSerialize(const ModelDef *m);

/* Decode and check a stored form into a new context under parent; ERROR (XX001) if corrupt. */
extern ModelDef *ModelDefDeserialize(const bytea *body, MemoryContext parent, const char *model_name);

#endif							/* CUSTOMS_RISK_MODEL_CODEC_H */
