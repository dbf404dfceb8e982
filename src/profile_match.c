/*
 * profile_match.c: which active targeting profiles a declaration line matches,
 * without testing every profile.
 *
 * The active profiles are compiled once per profile-set version into an
 * in-memory matcher kept for the backend's life.  Each profile is filed under
 * its most selective conjunct (cr_anchor): a trader, an HS code or prefix, an
 * origin, a procedure code, a transport mode or a numeric range.  A line then
 * gathers its candidates with a few hash lookups (its own codes, the ancestors
 * of its HS code) and range scans, and only those are evaluated.  The version
 * is read with the profiles in one statement, and keyed by the writing
 * transaction too, so a cached matcher always equals one committed profile set.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/acl.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rls.h"

#include "anchor_table.h"
#include "channel.h"
#include "code_list.h"
#include "criteria_core.h"
#include "hscode.h"
#include "profile_match.h"
#include "row_reader.h"
#include "singleton_row.h"

typedef struct MProfile
{
	int64		id;
	double		weight;
	int			channel;		/* 1 blue, 2 yellow, 3 red */
	DateADT		valid_from;
	DateADT		valid_to;		/* DATEVAL_NOEND when open-ended */
	int			nhouses;		/* -1: every office */
	char	  **houses;			/* sorted bytewise */
	int		   *house_lens;
	char	   *description;
	char	   *bytes;
	CrProgram	prog;
} MProfile;

/*
 * A profile filed under an anchor, with its guards (cr_guards): other conjuncts tested
 * here, from the entry, so that most candidates a line finds are dropped without touching
 * the profile.  CODES guards compare a hash of the value: a collision only lets a
 * candidate through to the full test, unless the entry is exact (then the code itself is
 * compared too).
 */
#define GUARD_CODE_BYTES 16

typedef struct Guard
{
	uint8		kind;			/* CR_ANCHOR_NONE, _CODES, _HS or _RANGE */
	uint8		field;			/* CODES, RANGE */
	uint8		op;				/* RANGE: CR_OP_LT, _LE, _GT or _GE */
	uint8		len;			/* HS: the prefix's digits; CODES: the code's length if in u.code */
	uint32		hash;			/* CODES: hash of the value */
	union
	{
		int64		hs;			/* HS: the prefix */
		double		bound;		/* RANGE */
		char		code[GUARD_CODE_BYTES];	/* CODES, when the entry is exact */
	}			u;
} Guard;

/*
 * An exact entry (a profile valid for every office that is only its anchor and its guards
 * joined by "and": "importer = X", "hs <@ 8471 and origin = CN", "value > 1e6") is a match
 * as soon as a line finds it within its validity window and passes its guards, with no
 * evaluation; the profile itself is not touched.
 */
typedef struct Entry
{
	int			idx;
	uint32		fieldmask:31;	/* the fields the profile reads, without touching it */
	uint32		exact:1;		/* the anchor and the guards are the whole criteria: finding decides */
	DateADT		valid_from;
	DateADT		valid_to;
	Guard		g[CR_MAX_GUARDS];
} Entry;

/*
 * A line reads the entries it finds at random: one cache line each (bucket entries are laid
 * out on 64-byte boundaries), not two.
 */
#define ENTRY_ALIGN 64
StaticAssertDecl(sizeof(Entry) == ENTRY_ALIGN, "Entry is one cache line");
StaticAssertDecl(CR_NFIELDS <= 31, "a field mask fits Entry.fieldmask");

/*
 * The entries filed under one key, while the matcher is built.  tag[k] packs entry k's
 * first guard when it is a code (field and 27 bits of the value's hash), so a line skips
 * most entries by reading four bytes each, not the entry.  Once built, the buckets are laid
 * out in one array (Matcher.bucket_words).
 */
#define TAG_ANY 0xffffffffu		/* no code guard: look at the entry */
#define TAG_NONE 0xfffffffeu	/* a line without the field: no code tag equals it */
#define TAG_HASH_BITS 27

typedef struct Bucket
{
	int			n;
	int			cap;
	uint32	   *tag;
	Entry	   *e;
} Bucket;

typedef struct RangeItem
{
	double		lo;
	double		hi;
	bool		lo_open;		/* the bound itself is outside (> rather than >=) */
	bool		hi_open;
	Entry		e;
} RangeItem;

/* What the guards look at in a line: hashes of code fields, ancestors of the HS code. */
typedef struct LineKeys
{
	DateADT		date;			/* declared_on, when the matcher has exact entries */
	bool		has_date;
	uint32		hash[CR_NFIELDS];
	bool		has[CR_NFIELDS];
	uint32		tag[CR_NFIELDS];	/* as Bucket.tag packs them, or TAG_NONE */
	double		num[CR_NFIELDS];	/* numbers range guards compare (NaN: unknown) */
	const CrValue *v;			/* the line's values, for exact entries' codes */
	int64		anc[HS_MAX_DIGITS / 2 + 1];	/* anc[d / 2]: the d-digit prefix, or -1 */
} LineKeys;

typedef struct Matcher
{
	MemoryContext cxt;
	Oid			dbid;
	int64		version;
	TransactionId xmin;
	Oid			rls_user;		/* role whose row-level security chose the profiles; 0: none applied */
	uint32		rls_roles;		/* its memberships in the roles the policies name, then */
	int			n;
	MProfile   *p;
	AnchorTable codes;			/* field and code → bucket */
	AnchorTable hs;				/* HS code → bucket */
	int			nbuckets;
	int			largest_bucket; /* the most entries under one key */
	int			bucket_cap;
	Bucket	   *buckets;		/* while building */
	/*
	 * Built: bucket b as words [n, its first entry in bucket_entries, n tags], and the anchor
	 * tables give the offset of those words, so a line reads a bucket's count and tags from
	 * one cache line with no header in between.
	 */
	uint32	   *bucket_words;
	Entry	   *bucket_entries;
	int64	   *ids;			/* ids[i] = p[i].id, dense for building results */
	double	   *weights;		/* p[i].weight and p[i].channel, dense: a batch sums them per */
	uint8	   *channels;		/* declaration, and reading p[i] for them missed the cache */
	int32	   *index_of;		/* index_of[id - id_base]: the profile's index, or -1; NULL */
	int64		id_base;		/* when the ids are too sparse for it (a search then) */
	int64		id_span;		/* ids[n - 1] - ids[0] + 1 */
	uint64	   *bits;			/* scratch: a bit per profile, for sorting many matches */
	uint32		hs_levels;		/* bit d / 2: some profile is filed under a d-digit code */
	uint32		code_fields;
	/* range anchors per field: with a lower bound (sorted by it), or with an upper bound only
	 * (sorted by it, descending); a line scans each list only as far as its value allows */
	int			nrange[CR_NFIELDS];
	RangeItem  *ranges[CR_NFIELDS];
	int			nupper[CR_NFIELDS];
	RangeItem  *uppers[CR_NFIELDS];
	uint32		range_fields;
	int			nfree;
	Entry	   *free_e;
	uint32		guard_fields;	/* code fields some guard hashes */
	uint32		guard_num_fields;	/* number fields some guard compares */
	bool		exact_entries;	/* some entry decides alone (needs the line's date) */
	int			nexact;			/* profiles whose entries decide */
	bool		hs_guards;		/* some guard tests the HS code */
	uint32		fieldmask;
	uint32		anchor_fields;	/* fields read before a line's candidates are known */
	/* scratch of one line, shared by every call site: lines are matched one at a time */
	int		   *cand;			/* cand[-1] is the count */
	int		   *matched;
	int			nmatched;		/* exact entries found, then evaluated matches */
	uint32	   *seen;			/* seen[i] == stamp: profile i is a candidate of this line */
	uint32		stamp;
	uint32		need;			/* fields the line's candidates read */
	struct Matcher *next_retired;
} Matcher;

static Matcher *current_matcher = NULL;
static bool current_built_in_xact = false;	/* built by the transaction in progress */
/*
 * The matcher of the row-level security key used before, kept beside the current one: decide()
 * matches as its owner, and a district analyst's own queries under its policies, so a session
 * that does both would otherwise rebuild at every switch.
 */
static Matcher *other_matcher = NULL;
static bool other_built_in_xact = false;
static Matcher *retired_matchers = NULL;
static bool xact_callback_registered = false;

/* Put a matcher on the list freed at the end of the transaction. */
static void
Retire(Matcher *m)
{
	m->next_retired = retired_matchers;
	retired_matchers = m;
}

/* Free matchers replaced during the transaction, once no query can hold them. */
static void
MatcherXactCallback(XactEvent event, void *arg)
{
	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PARALLEL_COMMIT && event != XACT_EVENT_PARALLEL_ABORT)
		return;
	/*
	 * A matcher built inside an aborted transaction may hold profiles that never committed.
	 * (A flag, not the transaction's lxid: that is already cleared when abort callbacks run.)
	 */
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
	{
		if (current_matcher && current_built_in_xact)
		{
			Retire(current_matcher);
			current_matcher = NULL;
		}
		if (other_matcher && other_built_in_xact)
		{
			Retire(other_matcher);
			other_matcher = NULL;
		}
	}
	current_built_in_xact = false;
	other_built_in_xact = false;
	while (retired_matchers)
	{
		Matcher    *m = retired_matchers;

		retired_matchers = m->next_retired;
		MemoryContextDelete(m->cxt);
	}
}

/* Add an entry to the bucket a table slot names, making the bucket if the key is new. */
static void
BucketAdd(Matcher *m, int32 *slot, bool found, const Entry *e)
{
	Bucket	   *b;

	if (!found)
	{
		if (m->nbuckets == m->bucket_cap)
		{
			m->bucket_cap = m->bucket_cap ? m->bucket_cap * 2 : 256;
			m->buckets = m->buckets ? repalloc(m->buckets, sizeof(Bucket) * m->bucket_cap)
				: MemoryContextAlloc(m->cxt, sizeof(Bucket) * m->bucket_cap);
		}
		*slot = m->nbuckets++;
		b = &m->buckets[*slot];
		b->n = 0;
		b->cap = 4;
		b->e = MemoryContextAlloc(m->cxt, sizeof(Entry) * b->cap);
		b->tag = MemoryContextAlloc(m->cxt, sizeof(uint32) * b->cap);
	}
	b = &m->buckets[*slot];
	/* one entry per profile, even when two leaves name the same value */
	if (b->n > 0 && b->e[b->n - 1].idx == e->idx)
		return;
	if (b->n == b->cap)
	{
		b->cap *= 2;
		b->e = repalloc(b->e, sizeof(Entry) * b->cap);
		b->tag = repalloc(b->tag, sizeof(uint32) * b->cap);
	}
	b->tag[b->n] = e->g[0].kind == CR_ANCHOR_CODES ?
		((uint32) e->g[0].field << TAG_HASH_BITS) | (e->g[0].hash & ((1u << TAG_HASH_BITS) - 1)) : TAG_ANY;
	b->e[b->n++] = *e;
}

/*
 * Does passing guard g decide its conjunct, as cr_eval would?  An HS prefix and a number's
 * comparison do (a NULL number is NaN in LineKeys and fails every comparison; the reader
 * takes a stored NaN for NULL); a code does when it is short enough to keep and compare.
 */
static bool
GuardDecides(const CrGuard *g)
{
	switch (g->kind)
	{
		case CR_ANCHOR_HS:
		case CR_ANCHOR_RANGE:
			return true;
		case CR_ANCHOR_CODES:
			return g->len <= GUARD_CODE_BYTES;
		default:
			return false;
	}
}

/*
 * Is the program the anchor's one conjunct and guards g[0..ng) joined by "and", with every
 * guard deciding?  Then a line that finds the entry and passes its guards matches.
 */
static bool
AnchorAndGuardsAreAll(const CrProgram *prog, const CrAnchor *a, const CrGuard *g, int ng)
{
	if (a->ninstr != 1 ||
		!(a->kind == CR_ANCHOR_CODES || a->kind == CR_ANCHOR_RANGE ||
		  (a->kind == CR_ANCHOR_HS && prog->instr[a->instrs[0]].op == CR_OP_WITHIN)))
		return false;
	for (int k = 0; k < ng; k++)
		if (!GuardDecides(&g[k]))
			return false;
	for (int i = 0; i < prog->header->ninstr; i++)
	{
		bool		covered = prog->instr[i].op == CR_OP_AND || i == a->instrs[0];

		for (int k = 0; k < ng && !covered; k++)
			covered = g[k].instr == i;
		if (!covered)
			return false;
	}
	return true;
}

/* The entry of profile i: its validity, its guards, whether finding it decides. */
static void
MakeEntry(Matcher *m, int i, const CrAnchor *a, Entry *e)
{
	CrGuard		g[CR_MAX_GUARDS];
	int			ng;

	memset(e, 0, sizeof(*e));
	e->idx = i;
	e->fieldmask = m->p[i].prog.header->fieldmask;
	e->valid_from = m->p[i].valid_from;
	e->valid_to = m->p[i].valid_to;
	ng = cr_guards(&m->p[i].prog, a, g);
	e->exact = m->p[i].nhouses < 0 && AnchorAndGuardsAreAll(&m->p[i].prog, a, g, ng);
	m->exact_entries |= e->exact;
	m->nexact += e->exact;
	for (int k = 0; k < ng; k++)
	{
		Guard	   *eg = &e->g[k];

		eg->kind = (uint8) g[k].kind;
		eg->field = (uint8) g[k].field;
		if (g[k].kind == CR_ANCHOR_CODES)
		{
			eg->hash = hash_bytes((const unsigned char *) g[k].s, g[k].len);
			if (e->exact)
			{
				eg->len = (uint8) g[k].len;
				memcpy(eg->u.code, g[k].s, g[k].len);
			}
			m->guard_fields |= (uint32) 1 << g[k].field;
		}
		else if (g[k].kind == CR_ANCHOR_HS)
		{
			eg->len = (uint8) hs_ndigits(g[k].hs);
			eg->u.hs = g[k].hs;
			m->hs_guards = true;
		}
		else
		{
			eg->op = (uint8) g[k].op;
			eg->u.bound = g[k].bound;
			m->guard_num_fields |= (uint32) 1 << g[k].field;
		}
	}
}

static int
CompareRange(const void *a, const void *b)
{
	double		x = ((const RangeItem *) a)->lo,
				y = ((const RangeItem *) b)->lo;

	return x < y ? -1 : x > y;
}

static int
CompareRangeHiDesc(const void *a, const void *b)
{
	double		x = ((const RangeItem *) a)->hi,
				y = ((const RangeItem *) b)->hi;

	return x > y ? -1 : x < y;
}

static int
CompareCString(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* File profile i under its anchor, with its guard. */
static void
IndexProfile(Matcher *m, int i, int *free_cap)
{
	MProfile   *mp = &m->p[i];
	CrAnchor	a;
	Entry		e;
	bool		filed = true;

	cr_anchor(&mp->prog, &a);
	MakeEntry(m, i, &a, &e);

	if (a.kind == CR_ANCHOR_CODES)
	{
		/* every value must fit a key, or the profile is tested for every line */
		for (int j = 0; j < a.ninstr && filed; j++)
		{
			const CrInstr *ij = &mp->prog.instr[a.instrs[j]];

			for (uint32 k = 0; k < ij->nslots && filed; k++)
			{
				int64		s;

				memcpy(&s, mp->prog.slots + ij->slot + k, sizeof(s));
				filed = (s & 0xffffffff) <= PG_UINT16_MAX;
			}
		}
		for (int j = 0; j < a.ninstr && filed; j++)
		{
			const CrInstr *ij = &mp->prog.instr[a.instrs[j]];

			for (uint32 k = 0; k < ij->nslots; k++)
			{
				int64		s;
				bool		found;
				int32	   *slot;

				memcpy(&s, mp->prog.slots + ij->slot + k, sizeof(s));
				slot = AnchorEnterCode(&m->codes, a.field, mp->prog.strings + (s >> 32),
									   (int) (s & 0xffffffff), &found);
				BucketAdd(m, slot, found, &e);
			}
		}
		if (filed)
			m->code_fields |= (uint32) 1 << a.field;
	}
	else if (a.kind == CR_ANCHOR_HS)
	{
		for (int j = 0; j < a.ninstr; j++)
		{
			const CrInstr *ij = &mp->prog.instr[a.instrs[j]];

			for (uint32 k = 0; k < ij->nslots; k++)
			{
				int64		key;
				bool		found;
				int32	   *slot;

				memcpy(&key, mp->prog.slots + ij->slot + k, sizeof(key));
				slot = AnchorEnterHs(&m->hs, key, &found);
				BucketAdd(m, slot, found, &e);
				m->hs_levels |= (uint32) 1 << (hs_ndigits(key) / 2);
			}
		}
	}
	else if (a.kind == CR_ANCHOR_RANGE)
	{
		int			f = a.field;
		bool		upper_only = isinf(a.lo);
		RangeItem **list = upper_only ? &m->uppers[f] : &m->ranges[f];
		int		   *n = upper_only ? &m->nupper[f] : &m->nrange[f];
		MemoryContext old = MemoryContextSwitchTo(m->cxt);

		*list = *list ? repalloc(*list, sizeof(RangeItem) * (*n + 1)) : palloc(sizeof(RangeItem));
		(*list)[*n].lo = a.lo;
		(*list)[*n].hi = a.hi;
		(*list)[*n].lo_open = mp->prog.instr[a.instr].op == CR_OP_GT;
		(*list)[*n].hi_open = mp->prog.instr[a.instr].op == CR_OP_LT;
		(*list)[*n].e = e;
		(*n)++;
		m->range_fields |= (uint32) 1 << f;
		MemoryContextSwitchTo(old);
	}
	else
		filed = false;

	if (!filed)
	{
		if (m->nfree == *free_cap)
		{
			*free_cap = *free_cap ? *free_cap * 2 : 16;
			m->free_e = m->free_e ? repalloc(m->free_e, sizeof(Entry) * *free_cap)
				: MemoryContextAlloc(m->cxt, sizeof(Entry) * *free_cap);
		}
		m->free_e[m->nfree++] = e;
	}
}

/*
 * A bucket this large (an origin most origin-and-chapter profiles name) is laid out sorted
 * by tag, TAG_ANY last, and a line looks its tags up rather than reading them all.
 */
#define BUCKET_SEARCH_MIN 16

static int
TagOrder(const void *a, const void *b, void *arg)
{
	const uint32 *tag = arg;
	uint32		x = tag[*(const int *) a],
				y = tag[*(const int *) b];

	return x < y ? -1 : x > y;
}

/* Lay the buckets out in one array (Matcher.bucket_words) and point the anchors there. */
static void
PackBuckets(Matcher *m)
{
	int			nwords = 0,
				nentries = 0,
				w = 0,
				e = 0;
	int32	   *map = palloc(sizeof(int32) * Max(m->nbuckets, 1));

	for (int b = 0; b < m->nbuckets; b++)
	{
		nwords += 2 + m->buckets[b].n;
		nentries += m->buckets[b].n;
	}
	m->bucket_words = palloc(sizeof(uint32) * Max(nwords, 1));
	m->bucket_entries = (Entry *) TYPEALIGN(ENTRY_ALIGN, palloc(sizeof(Entry) * Max(nentries, 1) + ENTRY_ALIGN - 1));
	for (int b = 0; b < m->nbuckets; b++)
	{
		Bucket	   *bk = &m->buckets[b];

		map[b] = w;
		m->largest_bucket = Max(m->largest_bucket, bk->n);
		m->bucket_words[w] = bk->n;
		m->bucket_words[w + 1] = e;
		if (bk->n >= BUCKET_SEARCH_MIN)
		{
			int		   *order = palloc(sizeof(int) * bk->n);

			for (int k = 0; k < bk->n; k++)
				order[k] = k;
			qsort_arg(order, bk->n, sizeof(int), TagOrder, bk->tag);
			for (int k = 0; k < bk->n; k++)
			{
				m->bucket_words[w + 2 + k] = bk->tag[order[k]];
				m->bucket_entries[e + k] = bk->e[order[k]];
			}
			pfree(order);
		}
		else
		{
			memcpy(&m->bucket_words[w + 2], bk->tag, sizeof(uint32) * bk->n);
			memcpy(&m->bucket_entries[e], bk->e, sizeof(Entry) * bk->n);
		}
		w += 2 + bk->n;
		e += bk->n;
		pfree(bk->tag);
		pfree(bk->e);
	}
	AnchorMapValues(&m->codes, map);
	AnchorMapValues(&m->hs, map);
	if (m->buckets)
		pfree(m->buckets);
	m->buckets = NULL;
	pfree(map);
}

/* Build a matcher from the rows of the load query (already in SPI_tuptable). */
static Matcher *
BuildMatcher(int64 version, TransactionId xmin, Oid rls_user, uint32 rls_roles)
{
	/* built under the current context, so an error on the way leaks nothing; kept on success */
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "customs_risk profile matcher",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	Matcher    *m = palloc0(sizeof(Matcher));
	int			free_cap = 0;
	TupleDesc	td = SPI_tuptable->tupdesc;

	m->cxt = cxt;
	m->dbid = MyDatabaseId;
	m->version = version;
	m->xmin = xmin;
	m->rls_user = rls_user;
	m->rls_roles = rls_roles;
	m->n = (int) SPI_processed;
	m->p = palloc0(sizeof(MProfile) * Max(m->n, 1));
	m->fieldmask = ((uint32) 1 << CRF_OFFICE) | ((uint32) 1 << CRF_DECLARED_ON);

	AnchorTableInit(&m->codes, cxt);
	AnchorTableInit(&m->hs, cxt);

	for (int i = 0; i < m->n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		MProfile   *mp = &m->p[i];
		bool		isnull;
		bytea	   *crit;
		CrError		err;
		Datum		d;
		char	   *channel;

		mp->id = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
		crit = DatumGetByteaPCopy(SPI_getbinval(tup, td, 2, &isnull));
		mp->bytes = VARDATA(crit);
		if (!cr_validate(mp->bytes, VARSIZE(crit) - VARHDRSZ, &mp->prog, &err))
			ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
							errmsg("profile " INT64_FORMAT " has invalid stored criteria", mp->id)));
		mp->weight = DatumGetFloat8(SPI_getbinval(tup, td, 3, &isnull));
		channel = SPI_getvalue(tup, td, 4);
		mp->channel = strcmp(channel, ChannelLabel(CH_RED)) == 0 ? CH_RED
			: strcmp(channel, ChannelLabel(CH_YELLOW)) == 0 ? CH_YELLOW : CH_BLUE;
		mp->valid_from = DatumGetDateADT(SPI_getbinval(tup, td, 5, &isnull));
		d = SPI_getbinval(tup, td, 6, &isnull);
		mp->valid_to = isnull ? DATEVAL_NOEND : DatumGetDateADT(d);
		d = SPI_getbinval(tup, td, 7, &isnull);
		if (isnull)
			mp->nhouses = -1;
		else
		{
			ArrayType  *arr = DatumGetArrayTypeP(d);
			Datum	   *elems;
			bool	   *nulls;

			deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &mp->nhouses);
			mp->houses = palloc(sizeof(char *) * Max(mp->nhouses, 1));
			mp->house_lens = palloc(sizeof(int) * Max(mp->nhouses, 1));
			for (int k = 0; k < mp->nhouses; k++)
				mp->houses[k] = TextDatumGetCString(elems[k]);
			qsort(mp->houses, mp->nhouses, sizeof(char *), CompareCString);
			for (int k = 0; k < mp->nhouses; k++)
				mp->house_lens[k] = (int) strlen(mp->houses[k]);
		}
		mp->description = SPI_getvalue(tup, td, 8);
		m->fieldmask |= mp->prog.header->fieldmask;
		IndexProfile(m, i, &free_cap);
	}
	for (int f = 0; f < CR_NFIELDS; f++)
	{
		if (m->nrange[f] > 1)
			qsort(m->ranges[f], m->nrange[f], sizeof(RangeItem), CompareRange);
		if (m->nupper[f] > 1)
			qsort(m->uppers[f], m->nupper[f], sizeof(RangeItem), CompareRangeHiDesc);
	}
	PackBuckets(m);
	m->ids = palloc(sizeof(int64) * Max(m->n, 1));
	m->weights = palloc(sizeof(double) * Max(m->n, 1));
	m->channels = palloc(sizeof(uint8) * Max(m->n, 1));
	for (int i = 0; i < m->n; i++)
	{
		m->ids[i] = m->p[i].id;
		m->weights[i] = m->p[i].weight;
		m->channels[i] = (uint8) m->p[i].channel;
	}
	/* active profiles are mostly the recent ids: look them up directly while that is compact */
	if (m->n > 0 && (uint64) m->ids[m->n - 1] - (uint64) m->ids[0] < (uint64) 8 * m->n + 64)
	{
		m->id_base = m->ids[0];
		m->id_span = (int64) ((uint64) m->ids[m->n - 1] - (uint64) m->ids[0]) + 1;
		m->index_of = palloc(sizeof(int32) * m->id_span);
		memset(m->index_of, -1, sizeof(int32) * m->id_span);
		for (int i = 0; i < m->n; i++)
			m->index_of[m->ids[i] - m->id_base] = i;
	}
	/* each profile is a candidate at most once, so there are at most n */
	m->cand = (int *) palloc(sizeof(int) * (m->n + 2)) + 1;
	m->matched = palloc(sizeof(int) * (m->n + 1));
	m->seen = palloc0(sizeof(uint32) * Max(m->n, 1));
	m->bits = palloc0(sizeof(uint64) * (m->n / 64 + 1));
	m->anchor_fields = m->code_fields | m->range_fields | m->guard_fields | m->guard_num_fields |
		(m->hs.n > 0 || m->hs_guards ? ((uint32) 1 << CRF_HS) : 0) |
		(m->exact_entries ? ((uint32) 1 << CRF_DECLARED_ON) : 0);
	MemoryContextSwitchTo(old);
	MemoryContextSetParent(cxt, TopMemoryContext);
	return m;
}

/*
 * Which of the roles the profile policies name a role has the privileges of: granting or
 * revoking one changes what the policies let it see without moving the profile-set version,
 * so a session's matcher must not outlive the change.
 */
static uint32
PolicyRoles(Oid user)
{
	static const char *const roles[] = {"customs_risk_admin", "customs_risk_national", "customs_risk_district",
	"customs_risk_officer", "customs_risk_bi"};
	uint32		sig = 0;

	for (int i = 0; i < (int) lengthof(roles); i++)
	{
		Oid			role = get_role_oid(roles[i], true);

		if (OidIsValid(role) && has_privs_of_role(user, role))
			sig |= 1u << i;
	}
	return sig;
}

/*
 * Make m the current matcher: the current one is kept as the other if it is of the same
 * profile set (another key), else retired, as is the other it displaces.
 */
static void
KeepAsCurrent(Matcher *m, int64 version, TransactionId xmin)
{
	if (other_matcher)
		Retire(other_matcher);
	other_matcher = NULL;
	other_built_in_xact = false;
	if (current_matcher && current_matcher->version == version && current_matcher->xmin == xmin &&
		current_matcher->dbid == MyDatabaseId)
	{
		other_matcher = current_matcher;
		other_built_in_xact = current_built_in_xact;
	}
	else if (current_matcher)
		Retire(current_matcher);
	current_matcher = m;
}

/* The matcher of the profile set the current snapshot sees. */
static Matcher *
CurrentMatcher(void)
{
	int64		version;
	TransactionId xmin;
	Datum		d;
	Matcher    *m;
	Oid			relid;
	Oid			rls_user;
	uint32		rls_roles;

	if (!xact_callback_registered)
	{
		RegisterXactCallback(MatcherXactCallback, NULL);
		xact_callback_registered = true;
	}
	/* the version is read once per statement: directly, SPI would cost more than a line */
	if (SingletonRowValue("profile_set", "version", CurrentMemoryContext, &d, &xmin))
		version = DatumGetInt64(d);
	else
		version = 0;
	m = current_matcher;
	/*
	 * Row-level security gives a district the profiles that can apply to it: a matcher built
	 * under one role's policies is not handed to another role (SET ROLE, a pooled session).
	 */
	relid = get_relname_relid("profile", get_namespace_oid("customs_risk", false));
	rls_user = check_enable_rls(relid, InvalidOid, false) == RLS_ENABLED ? GetUserId() : InvalidOid;
	rls_roles = OidIsValid(rls_user) ? PolicyRoles(rls_user) : 0;
	if (m != NULL && m->dbid == MyDatabaseId && m->version == version && m->xmin == xmin &&
		m->rls_user == rls_user && m->rls_roles == rls_roles)
		return m;
	m = other_matcher;
	if (m != NULL && m->dbid == MyDatabaseId && m->version == version && m->xmin == xmin &&
		m->rls_user == rls_user && m->rls_roles == rls_roles)
	{
		bool		built = other_built_in_xact;

		other_matcher = current_matcher;
		other_built_in_xact = current_built_in_xact;
		current_matcher = m;
		current_built_in_xact = built;
		return m;
	}
	/*
	 * One retired in this transaction for the same key and profile set (three or more roles
	 * taking turns in one statement): taken back, not built again.  Retired matchers are freed
	 * only when the transaction ends, so it is whole; taken back, it counts as built in the
	 * transaction (an abort retires it again).
	 */
	for (Matcher **p = &retired_matchers; *p != NULL; p = &(*p)->next_retired)
	{
		m = *p;
		if (m->dbid == MyDatabaseId && m->version == version && m->xmin == xmin &&
			m->rls_user == rls_user && m->rls_roles == rls_roles)
		{
			*p = m->next_retired;
			KeepAsCurrent(m, version, xmin);
			current_built_in_xact = true;
			return m;
		}
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	{
		/* read-only SPI runs in the calling query's snapshot: version and profiles agree */
		if (SPI_execute(
			"SELECT p.profile_id, p.criteria, p.weight, p.channel::pg_catalog.text, p.valid_from, p.valid_to, "
			"       CASE WHEN o.level OPERATOR(pg_catalog.=) 'national' AND p.scope_offices IS NULL THEN NULL "
			"            ELSE ARRAY(SELECT h.office_code::pg_catalog.text FROM customs_risk.office h "
			"                        WHERE h.level OPERATOR(pg_catalog.=) 'house' "
			"                          AND (o.level OPERATOR(pg_catalog.=) 'national' "
			"                               OR h.parent_code OPERATOR(pg_catalog.=) p.owner_office) "
			"                          AND (p.scope_offices IS NULL "
			"                               OR h.office_code OPERATOR(pg_catalog.=) ANY (p.scope_offices) "
			"                               OR h.parent_code OPERATOR(pg_catalog.=) ANY (p.scope_offices))) END, "
			"       p.description "
			"  FROM customs_risk.profile p "
			"  JOIN customs_risk.office o ON o.office_code OPERATOR(pg_catalog.=) p.owner_office "
			" WHERE p.status OPERATOR(pg_catalog.=) 'active' ORDER BY p.profile_id", true, 0) != SPI_OK_SELECT)
			elog(ERROR, "reading customs_risk.profile failed");
		m = BuildMatcher(version, xmin, rls_user, rls_roles);
		KeepAsCurrent(m, version, xmin);
		current_built_in_xact = true;
	}
	SPI_finish();
	return m;
}

/* Per query: the matcher, the row reader and code lists, and scratch space. */
typedef struct MatchState
{
	Matcher    *m;
	MemoryContext mcxt;			/* the call site's: the reader's and columns' memory */
	RowReader	reader;
	ArgColumns	cols;			/* match_profiles_columns: the columns passed */
	CodeListCache lists;
	LocalTransactionId lxid;	/* statement the matcher was checked in */
	CommandId	cid;
	Oid			user;			/* and the role it was checked for */
	Oid			channel_oids[CH_COUNT];	/* profile_channel: the labels' OIDs, once looked up */
} MatchState;

/* Is the line's office in the profile's scope? */
static bool
InScope(const MProfile *mp, const CrValue *office)
{
	if (mp->nhouses < 0)
		return true;
	return !office->isnull &&
		TextSetContains(mp->houses, mp->house_lens, mp->nhouses, office->s, office->len);
}

/* Can the line pass the guard? */
static inline bool
GuardPasses(const Guard *g, const LineKeys *lk)
{
	switch (g->kind)
	{
		case CR_ANCHOR_CODES:
			return lk->has[g->field] && lk->hash[g->field] == g->hash;
		case CR_ANCHOR_HS:
			return lk->anc[g->len / 2] == g->u.hs;
		case CR_ANCHOR_RANGE:
			{
				double		x = lk->num[g->field];	/* NaN fails every comparison */

				switch (g->op)
				{
					case CR_OP_LT: return x < g->u.bound;
					case CR_OP_LE: return x <= g->u.bound;
					case CR_OP_GT: return x > g->u.bound;
					default: return x >= g->u.bound;
				}
			}
		default:
			return true;
	}
}

/* The code a passed CODES guard of an exact entry hashed: is it the line's? */
static inline bool
GuardCodeIs(const Guard *g, const LineKeys *lk)
{
	const CrValue *x = &lk->v[g->field];

	return g->kind != CR_ANCHOR_CODES || (x->len == g->len && memcmp(x->s, g->u.code, g->len) == 0);
}

/*
 * Add a candidate once (a profile filed under 84 and 8471 is found twice by an 8471 line),
 * if it passes its guards.
 */
static inline void
AddCandidate(Matcher *m, const LineKeys *lk, const Entry *e, bool decided)
{
	if (GuardPasses(&e->g[0], lk) && GuardPasses(&e->g[1], lk) && m->seen[e->idx] != m->stamp)
	{
		if (decided && e->exact)
		{
			/* a hash collision leaves the profile to be found another way, or not at all */
			if (!GuardCodeIs(&e->g[0], lk) || !GuardCodeIs(&e->g[1], lk))
				return;
			m->seen[e->idx] = m->stamp;
			if (lk->has_date && lk->date >= e->valid_from && lk->date <= e->valid_to)
				m->matched[m->nmatched++] = e->idx;
			return;
		}
		m->seen[e->idx] = m->stamp;
		m->cand[++m->cand[-1]] = e->idx;
		m->need |= e->fieldmask;
	}
}

/* The first of tag[lo..hi) not below x (tag[] sorted). */
static inline uint32
TagLowerBound(const uint32 *tag, uint32 lo, uint32 hi, uint32 x)
{
	while (lo < hi)
	{
		uint32		mid = lo + (hi - lo) / 2;

		if (tag[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The candidates of the bucket at bucket_words[w]. */
static void
AddCandidates(Matcher *m, const LineKeys *lk, uint32 w)
{
	uint32		n = m->bucket_words[w];
	const uint32 *tag = &m->bucket_words[w + 2];
	const Entry *e = &m->bucket_entries[m->bucket_words[w + 1]];

	if (n >= BUCKET_SEARCH_MIN)
	{
		uint32		k = 0;

		/* sorted: field by field, the entries whose tag is the line's, then the TAG_ANY ones */
		while (k < n && tag[k] != TAG_ANY)
		{
			uint32		f = tag[k] >> TAG_HASH_BITS;
			uint32		end = TagLowerBound(tag, k, n, (f + 1) << TAG_HASH_BITS);
			uint32		want = lk->tag[f];

			for (uint32 j = TagLowerBound(tag, k, end, want); j < end && tag[j] == want; j++)
				AddCandidate(m, lk, &e[j], true);
			k = end;
		}
		for (; k < n; k++)
			AddCandidate(m, lk, &e[k], true);
		return;
	}
	for (uint32 k = 0; k < n; k++)
	{
		uint32		t = tag[k];

		if (t == TAG_ANY || t == lk->tag[t >> TAG_HASH_BITS])
			AddCandidate(m, lk, &e[k], true);
	}
}

/* Is x within the item's range, open bounds respected (then an exact entry is a match)? */
static inline bool
InRange(const RangeItem *r, double x)
{
	return (r->lo_open ? x > r->lo : x >= r->lo) && (r->hi_open ? x < r->hi : x <= r->hi);
}

/*
 * The indexes of the profiles the line matches, sorted by profile id; returns the count.
 * The reader holds the line: a row (LoadRow) or the call's columns (LoadColumns).
 */
static int
MatchLine(MatchState *st)
{
	Matcher    *m = st->m;
	CrValue		v[CR_NFIELDS];
	LineKeys	lk;
	int		   *matched = m->matched;
	int			ncand;
	struct
	{
		uint32		hash;
		int			field;		/* a code field, or -d: the HS ancestor anc[d] */
	}			probe[CR_NFIELDS + HS_MAX_DIGITS / 2];
	int			nprobe;
	int32		found[CR_NFIELDS + HS_MAX_DIGITS / 2];
	int			nfound;

	/* the anchor fields now; the others only if some candidate reads them */
	RowReaderFields(&st->reader, v, m->anchor_fields);

	/* candidate list: position -1 holds the count */
	m->cand[-1] = 0;
	m->need = 0;
	m->nmatched = 0;
	if (++m->stamp == 0)
	{
		memset(m->seen, 0, sizeof(uint32) * Max(m->n, 1));
		m->stamp = 1;
	}
	/* the line's keys for the guards: code hashes, HS ancestors; its date for exact entries */
	lk.v = v;
	lk.has_date = (m->anchor_fields & ((uint32) 1 << CRF_DECLARED_ON)) && !v[CRF_DECLARED_ON].isnull;
	if (lk.has_date)
		lk.date = (DateADT) v[CRF_DECLARED_ON].i;
	for (uint32 bits = m->guard_fields; bits; bits &= bits - 1)
	{
		int			f = pg_rightmost_one_pos32(bits);

		lk.has[f] = !v[f].isnull;
		lk.tag[f] = TAG_NONE;
		if (lk.has[f])
		{
			lk.hash[f] = hash_bytes((const unsigned char *) v[f].s, v[f].len);
			lk.tag[f] = ((uint32) f << TAG_HASH_BITS) | (lk.hash[f] & ((1u << TAG_HASH_BITS) - 1));
		}
	}
	for (uint32 bits = m->guard_num_fields; bits; bits &= bits - 1)
	{
		int			f = pg_rightmost_one_pos32(bits);

		lk.num[f] = v[f].isnull ? get_float8_nan() :
			cr_field_type(f) == CR_DATE ? (double) v[f].i : v[f].f;
	}
	for (int d = 0; d <= HS_MAX_DIGITS / 2; d++)
		lk.anc[d] = -1;		/* no ancestor at that length */
	if ((m->anchor_fields & ((uint32) 1 << CRF_HS)) && !v[CRF_HS].isnull)
		hs_ancestors(v[CRF_HS].i, lk.anc);

	/*
	 * The line's keys some profile may be filed under: the filter drops most of them, and the
	 * slots of the others are all being read before the first is looked at.
	 */
	nprobe = 0;
	for (uint32 bits = m->code_fields; bits; bits &= bits - 1)
	{
		int			f = pg_rightmost_one_pos32(bits);
		uint32		h;

		if (v[f].isnull)
			continue;
		h = (m->guard_fields & ((uint32) 1 << f)) ? lk.hash[f] :
			hash_bytes((const unsigned char *) v[f].s, v[f].len);
		probe[nprobe].hash = AnchorHashCode(f, h);
		probe[nprobe].field = f;
		if (AnchorProbe(&m->codes, probe[nprobe].hash))
			nprobe++;
	}
	for (int d = 1; d <= HS_MAX_DIGITS / 2 && lk.anc[d] >= 0; d++)
	{
		if (!(m->hs_levels & ((uint32) 1 << d)))
			continue;
		probe[nprobe].hash = AnchorHashHs(lk.anc[d]);
		probe[nprobe].field = -d;
		if (AnchorProbe(&m->hs, probe[nprobe].hash))
			nprobe++;
	}
	nfound = 0;
	for (int k = 0; k < nprobe; k++)
	{
		int			f = probe[k].field;
		int32		b = f >= 0 ?
			AnchorFindCodeHashed(&m->codes, probe[k].hash, f, v[f].s, v[f].len) :
			AnchorFindHsHashed(&m->hs, probe[k].hash, lk.anc[-f]);

		if (b >= 0)
		{
			found[nfound++] = b;
			__builtin_prefetch(&m->bucket_words[b]);
		}
	}
	for (int k = 0; k < nfound; k++)
		AddCandidates(m, &lk, (uint32) found[k]);
	for (uint32 bits = m->range_fields; bits; bits &= bits - 1)
	{
		int			f = pg_rightmost_one_pos32(bits);
		double		x;

		if (v[f].isnull)
			continue;
		x = cr_field_type(f) == CR_DATE ? (double) v[f].i : v[f].f;
		for (int k = 0; k < m->nrange[f] && m->ranges[f][k].lo <= x; k++)
			if (m->ranges[f][k].hi >= x)
				AddCandidate(m, &lk, &m->ranges[f][k].e, InRange(&m->ranges[f][k], x));
		for (int k = 0; k < m->nupper[f] && m->uppers[f][k].hi >= x; k++)
			AddCandidate(m, &lk, &m->uppers[f][k].e, InRange(&m->uppers[f][k], x));
	}
	for (int k = 0; k < m->nfree; k++)
		AddCandidate(m, &lk, &m->free_e[k], false);

	ncand = m->cand[-1];
	if (ncand == 0 && m->nmatched <= 1)
		return m->nmatched;
	/* validity and scope need the date and the office */
	if (ncand > 0)
		m->need |= ((uint32) 1 << CRF_OFFICE) | ((uint32) 1 << CRF_DECLARED_ON);
	if (m->need & ~m->anchor_fields)
		RowReaderFields(&st->reader, v, m->need & ~m->anchor_fields);
	for (int k = 1; k <= ncand; k++)
	{
		MProfile   *mp = &m->p[m->cand[k]];

		/* a line without a date is in no profile's validity window */
		if (v[CRF_DECLARED_ON].isnull ||
			v[CRF_DECLARED_ON].i < mp->valid_from || v[CRF_DECLARED_ON].i > mp->valid_to)
			continue;
		if (!InScope(mp, &v[CRF_OFFICE]))
			continue;
		if (cr_eval(&mp->prog, v, CodeListLookup, &st->lists) == 1)
			matched[m->nmatched++] = m->cand[k];
	}
	/*
	 * Profiles are loaded in id order, so sorting indexes sorts ids.  Many matches (a line
	 * past many value thresholds) are sorted through a bitmap, cheaper than comparing.
	 */
	if (m->nmatched > 16)
	{
		int			n = 0;

		for (int i = 0; i < m->nmatched; i++)
			m->bits[matched[i] >> 6] |= (uint64) 1 << (matched[i] & 63);
		for (int w = 0; w <= m->n / 64; w++)
			for (; m->bits[w]; m->bits[w] &= m->bits[w] - 1)
				matched[n++] = w * 64 + pg_rightmost_one_pos64(m->bits[w]);
		return n;
	}
	for (int i = 1; i < m->nmatched; i++)
	{
		int			x = matched[i],
					j = i - 1;

		while (j >= 0 && matched[j] > x)
		{
			matched[j + 1] = matched[j];
			j--;
		}
		matched[j + 1] = x;
	}
	return m->nmatched;
}

/*
 * The per-call-site state.  The profile-set version is checked on the first row of each
 * statement (a PL/pgSQL expression keeps its state across statements of a transaction).
 */
static MatchState *
GetMatchState(FunctionCallInfo fcinfo)
{
	MatchState *st = (MatchState *) fcinfo->flinfo->fn_extra;
	MemoryContext mcxt = fcinfo->flinfo->fn_mcxt;
	Matcher    *m;

	/* the same statement and the same role: a plpgsql call site is shared by every role that
	 * runs the function (a SECURITY DEFINER caller, then the invoker), and each has its own
	 * matcher and its own right to read the profiles */
	if (st != NULL && st->lxid == MyProc->lxid && st->cid == GetCurrentCommandId(false) &&
		st->user == GetUserId())
		return st;
	/*
	 * The cached matcher holds the profiles: whoever uses it must be allowed to read them,
	 * as the query that built it had to be (checked once per statement; SET ROLE changes it).
	 */
	{
		Oid			relid = get_relname_relid("profile", get_namespace_oid("customs_risk", false));
		AclResult	acl = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);

		if (acl != ACLCHECK_OK)
			aclcheck_error(acl, OBJECT_TABLE, "profile");
	}
	m = CurrentMatcher();
	if (st == NULL || st->m != m)
	{
		if (st == NULL)
			st = MemoryContextAllocZero(mcxt, sizeof(MatchState));
		st->m = m;
		st->mcxt = mcxt;
		fcinfo->flinfo->fn_extra = st;
	}
	CodeListCacheReset(&st->lists, mcxt);	/* code lists are read again in each statement */
	st->lxid = MyProc->lxid;
	st->cid = GetCurrentCommandId(false);
	st->user = GetUserId();
	return st;
}

/* The line is a row value. */
static void
LoadRow(MatchState *st, HeapTupleHeader rec)
{
	RowReaderEnsure(&st->reader, st->mcxt, rec, st->m->fieldmask);
	RowReaderDeform(&st->reader, rec);
}

/* The line is the call's columns (the planner's rewrite, column_args.c). */
static void
LoadColumns(MatchState *st, FunctionCallInfo fcinfo)
{
	if (!OidIsValid(st->cols.rowtype))
		ArgColumnsInit(&st->cols, fcinfo, st->mcxt, 0, 2, 3);
	RowReaderEnsureArgs(&st->reader, st->mcxt, &st->cols, st->m->fieldmask);
	RowReaderSetArgs(&st->reader, &st->cols, fcinfo);
}

/* The matched profiles' ids as a bigint[]. */
static Datum
MatchedIds(MatchState *st, int n)
{
	ArrayType  *a;
	int64	   *ids;

	/* built directly: construct_array's generic path costs more than the matching */
	a = (ArrayType *) palloc0(ARR_OVERHEAD_NONULLS(1) + sizeof(int64) * Max(n, 1));
	if (n == 0)
	{
		SET_VARSIZE(a, ARR_OVERHEAD_NONULLS(0));
		a->ndim = 0;
		a->dataoffset = 0;
		a->elemtype = INT8OID;
		return PointerGetDatum(a);
	}
	SET_VARSIZE(a, ARR_OVERHEAD_NONULLS(1) + sizeof(int64) * n);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = INT8OID;
	*ARR_DIMS(a) = n;
	*ARR_LBOUND(a) = 1;
	ids = (int64 *) ((char *) a + ARR_OVERHEAD_NONULLS(1));
	for (int i = 0; i < n; i++)
		ids[i] = st->m->ids[st->m->matched[i]];
	return PointerGetDatum(a);
}

PG_FUNCTION_INFO_V1(match_profiles);
/* match_profiles(line record) → the ids of the active profiles the line matches. */
Datum
match_profiles(PG_FUNCTION_ARGS)
{
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(0);
	MatchState *st = GetMatchState(fcinfo);

	LoadRow(st, rec);
	PG_RETURN_DATUM(MatchedIds(st, MatchLine(st)));
}

PG_FUNCTION_INFO_V1(match_profiles_columns);
/*
 * match_profiles_columns(row type, present, names, VARIADIC columns): match_profiles()
 * of a row given as its columns.  NULL when present is NULL (a row an outer join made up).
 */
Datum
match_profiles_columns(PG_FUNCTION_ARGS)
{
	MatchState *st;

	if (PG_ARGISNULL(1))
		PG_RETURN_NULL();
	st = GetMatchState(fcinfo);
	LoadColumns(st, fcinfo);
	PG_RETURN_DATUM(MatchedIds(st, MatchLine(st)));
}

/* Index of profile id in the matcher, searched for from index from on; -1 when not active. */
static int
FindProfile(const Matcher *m, int64 id, int from)
{
	int			lo = from,
				hi,
				step = 1;

	if (m->index_of != NULL)
		return (uint64) id - (uint64) m->id_base < (uint64) m->id_span ?
			m->index_of[(uint64) id - (uint64) m->id_base] : -1;
	/*
	 * Profiles are loaded in id order and callers look for ascending ids, each from where
	 * the last was found: gallop to a range that holds it, then halve.  A line with
	 * hundreds of hits then costs a few steps per id, not a search of them all.
	 */
	while (lo + step < m->n && m->ids[lo + step] < id)
	{
		lo += step;
		step *= 2;
	}
	hi = Min(lo + step, m->n);
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (m->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->n && m->ids[lo] == id ? lo : -1;
}

/* See profile_match.h: ids ascending, each found from where the previous one was. */
int
ActiveProfilesSummary(FunctionCallInfo fcinfo, const int64 *ids, int n, double *score, int *channel,
					  int64 *version, const char **descriptions)
{
	Matcher    *m = GetMatchState(fcinfo)->m;
	int			at = 0;

	*version = m->version;
	*score = 0;
	*channel = 0;
	for (int i = 0; i < n; i++)
	{
		if ((at = FindProfile(m, ids[i], at)) < 0)
			return i;
		*score += m->weights[at];
		*channel = Max(*channel, m->channels[at]);
		if (descriptions != NULL)
			descriptions[i] = m->p[at].description;
		at++;
	}
	return -1;
}

Oid
ChannelLabelOid(FunctionCallInfo fcinfo, int channel, Oid enumtype)
{
	MatchState *st = GetMatchState(fcinfo);

	Assert(channel >= CH_GREEN && channel < CH_COUNT);
	if (!OidIsValid(st->channel_oids[channel]))
		st->channel_oids[channel] =
			DatumGetObjectId(DirectFunctionCall2(enum_in, CStringGetDatum(ChannelLabel(channel)),
												 ObjectIdGetDatum(enumtype)));
	return st->channel_oids[channel];
}

PG_FUNCTION_INFO_V1(match_profile_rows);
/* match_profile_rows(line record) → one row per matched profile, from the same profile set. */
Datum
match_profile_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(0);
	MatchState *st = GetMatchState(fcinfo);
	int		   *matched = st->m->matched;
	int			n;

	LoadRow(st, rec);
	n = MatchLine(st);
	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < n; i++)
	{
		MProfile   *mp = &st->m->p[matched[i]];
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		values[0] = Int64GetDatum(mp->id);
		values[1] = CStringGetTextDatum(ChannelLabel(mp->channel));
		values[2] = Float8GetDatum(mp->weight);
		values[3] = CStringGetTextDatum(mp->description);
		values[4] = Int64GetDatum(st->m->version);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(profile_set_version);
/*
 * profile_set_version() → the version the statement's matcher holds: read where the matcher
 * reads it, not by a scan of profile_set (its row moves with every profile change, and a
 * table of many emptied pages is slow to scan).
 */
Datum
profile_set_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(GetMatchState(fcinfo)->m->version);
}

PG_FUNCTION_INFO_V1(profile_matcher_stats);
/* How the current matcher filed the active profiles (for tuning and tests). */
Datum
profile_matcher_stats(PG_FUNCTION_ARGS)
{
	Matcher    *m = CurrentMatcher();
	TupleDesc	td;
	Datum		values[8];
	bool		nulls[8] = {false, false, false, false, false, false, false, false};
	int			nrange = 0;

	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	for (int f = 0; f < CR_NFIELDS; f++)
		nrange += m->nrange[f] + m->nupper[f];
	values[0] = Int64GetDatum(m->version);
	values[1] = Int32GetDatum(m->n);
	values[2] = Int64GetDatum(m->codes.n);
	values[3] = Int64GetDatum(m->hs.n);
	values[4] = Int32GetDatum(nrange);
	values[5] = Int32GetDatum(m->nfree);
	values[6] = Int32GetDatum(m->nexact);
	values[7] = Int32GetDatum(m->largest_bucket);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}
