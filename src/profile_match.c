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
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "code_list.h"
#include "criteria_core.h"
#include "hscode.h"
#include "row_reader.h"

#define CODE_KEY_MAX 46

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

typedef struct CodeKey
{
	uint8		field;
	uint8		len;
	char		s[CODE_KEY_MAX];
} CodeKey;

typedef struct Bucket
{
	union
	{
		CodeKey		code;
		int64		hs;
	}			key;
	int			n;
	int			cap;
	int		   *idx;
} Bucket;

typedef struct RangeItem
{
	double		lo;
	double		hi;
	int			idx;
} RangeItem;

typedef struct Matcher
{
	MemoryContext cxt;
	Oid			dbid;
	int64		version;
	TransactionId xmin;
	int			n;
	MProfile   *p;
	HTAB	   *codes;
	HTAB	   *hs;
	uint32		code_fields;
	/* range anchors per field: with a lower bound (sorted by it), or with an upper bound only
	 * (sorted by it, descending); a line scans each list only as far as its value allows */
	int			nrange[CR_NFIELDS];
	RangeItem  *ranges[CR_NFIELDS];
	int			nupper[CR_NFIELDS];
	RangeItem  *uppers[CR_NFIELDS];
	uint32		range_fields;
	int			nfree;
	int		   *free_idx;
	uint32		fieldmask;
	LocalTransactionId built_lxid;	/* the transaction that built it */
	struct Matcher *next_retired;
} Matcher;

static Matcher *current_matcher = NULL;
static SPIPlanPtr version_plan = NULL;	/* kept: read once per statement, so keep it cheap */
static Matcher *retired_matchers = NULL;
static bool xact_callback_registered = false;

/* Free matchers replaced during the transaction, once no query can hold them. */
static void
MatcherXactCallback(XactEvent event, void *arg)
{
	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PARALLEL_COMMIT && event != XACT_EVENT_PARALLEL_ABORT)
		return;
	/* a matcher built inside an aborted transaction may hold profiles that never committed */
	if ((event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT) &&
		current_matcher && current_matcher->built_lxid == MyProc->lxid)
	{
		current_matcher->next_retired = retired_matchers;
		retired_matchers = current_matcher;
		current_matcher = NULL;
	}
	while (retired_matchers)
	{
		Matcher    *m = retired_matchers;

		retired_matchers = m->next_retired;
		MemoryContextDelete(m->cxt);
	}
}

static void
BucketAdd(MemoryContext cxt, Bucket *b, bool found, int idx)
{
	if (!found)
	{
		b->n = 0;
		b->cap = 4;
		b->idx = MemoryContextAlloc(cxt, sizeof(int) * b->cap);
	}
	if (b->n == b->cap)
	{
		b->cap *= 2;
		b->idx = repalloc(b->idx, sizeof(int) * b->cap);
	}
	b->idx[b->n++] = idx;
}

static bool
MakeCodeKey(CodeKey *k, int field, const char *s, int len)
{
	if (len > CODE_KEY_MAX)
		return false;
	memset(k, 0, sizeof(*k));
	k->field = (uint8) field;
	k->len = (uint8) len;
	memcpy(k->s, s, len);
	return true;
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

/* File profile i under its anchor. */
static void
IndexProfile(Matcher *m, int i, int **free_list, int *nfree, int *free_cap)
{
	MProfile   *mp = &m->p[i];
	CrAnchor	a;
	bool		filed = true;

	cr_anchor(&mp->prog, &a);

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
				filed = (s & 0xffffffff) <= CODE_KEY_MAX;
			}
		}
		for (int j = 0; j < a.ninstr && filed; j++)
		{
			const CrInstr *ij = &mp->prog.instr[a.instrs[j]];

			for (uint32 k = 0; k < ij->nslots; k++)
			{
				int64		s;
				CodeKey		key;
				bool		found;
				Bucket	   *b;

				memcpy(&s, mp->prog.slots + ij->slot + k, sizeof(s));
				MakeCodeKey(&key, a.field, mp->prog.strings + (s >> 32), (int) (s & 0xffffffff));
				b = hash_search(m->codes, &key, HASH_ENTER, &found);
				/* one profile per bucket once, even when two leaves name the same value */
				if (!found || b->idx[b->n - 1] != i)
					BucketAdd(m->cxt, b, found, i);
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
				Bucket	   *b;

				memcpy(&key, mp->prog.slots + ij->slot + k, sizeof(key));
				b = hash_search(m->hs, &key, HASH_ENTER, &found);
				if (!found || b->idx[b->n - 1] != i)
					BucketAdd(m->cxt, b, found, i);
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
		(*list)[*n].idx = i;
		(*n)++;
		m->range_fields |= (uint32) 1 << f;
		MemoryContextSwitchTo(old);
	}
	else
		filed = false;

	if (!filed)
	{
		if (*nfree == *free_cap)
		{
			*free_cap = *free_cap ? *free_cap * 2 : 16;
			*free_list = *free_list ? repalloc(*free_list, sizeof(int) * *free_cap)
				: MemoryContextAlloc(m->cxt, sizeof(int) * *free_cap);
		}
		(*free_list)[(*nfree)++] = i;
	}
}

/* Build a matcher from the rows of the load query (already in SPI_tuptable). */
static Matcher *
BuildMatcher(int64 version, TransactionId xmin)
{
	/* built under the current context, so an error on the way leaks nothing; kept on success */
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "customs_risk profile matcher",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	Matcher    *m = palloc0(sizeof(Matcher));
	HASHCTL		ctl;
	int			free_cap = 0;
	TupleDesc	td = SPI_tuptable->tupdesc;

	m->cxt = cxt;
	m->dbid = MyDatabaseId;
	m->version = version;
	m->xmin = xmin;
	m->n = (int) SPI_processed;
	m->p = palloc0(sizeof(MProfile) * Max(m->n, 1));
	m->fieldmask = ((uint32) 1 << CRF_OFFICE) | ((uint32) 1 << CRF_DECLARED_ON);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(CodeKey);
	ctl.entrysize = sizeof(Bucket);
	ctl.hcxt = cxt;
	m->codes = hash_create("customs_risk code anchors", 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.keysize = sizeof(int64);
	m->hs = hash_create("customs_risk hs anchors", 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

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
		mp->channel = strcmp(channel, "red") == 0 ? 3 : strcmp(channel, "yellow") == 0 ? 2 : 1;
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
		IndexProfile(m, i, &m->free_idx, &m->nfree, &free_cap);
	}
	for (int f = 0; f < CR_NFIELDS; f++)
	{
		if (m->nrange[f] > 1)
			qsort(m->ranges[f], m->nrange[f], sizeof(RangeItem), CompareRange);
		if (m->nupper[f] > 1)
			qsort(m->uppers[f], m->nupper[f], sizeof(RangeItem), CompareRangeHiDesc);
	}
	m->built_lxid = MyProc->lxid;
	MemoryContextSwitchTo(old);
	MemoryContextSetParent(cxt, TopMemoryContext);
	return m;
}

/* The matcher of the profile set the current snapshot sees. */
static Matcher *
CurrentMatcher(void)
{
	int64		version;
	TransactionId xmin;
	bool		isnull;
	Matcher    *m;

	if (!xact_callback_registered)
	{
		RegisterXactCallback(MatcherXactCallback, NULL);
		xact_callback_registered = true;
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (version_plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare("SELECT version, xmin::text::bigint FROM customs_risk.profile_set", 0, NULL);

		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "preparing the profile-set version query failed");
		version_plan = plan;
	}
	if (SPI_execute_plan(version_plan, NULL, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "reading customs_risk.profile_set failed");
	version = SPI_processed ? DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) : 0;
	xmin = SPI_processed ? (TransactionId) DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)) : InvalidTransactionId;

	m = current_matcher;
	if (m == NULL || m->dbid != MyDatabaseId || m->version != version || m->xmin != xmin)
	{
		/* read-only SPI runs in the calling query's snapshot: version and profiles agree */
		if (SPI_execute(
			"SELECT p.profile_id, p.criteria, p.weight, p.channel::text, p.valid_from, p.valid_to, "
			"       CASE WHEN o.level = 'national' AND p.scope_offices IS NULL THEN NULL "
			"            ELSE ARRAY(SELECT h.office_code::text FROM customs_risk.office h "
			"                        WHERE h.level = 'house' "
			"                          AND (o.level = 'national' OR h.parent_code = p.owner_office) "
			"                          AND (p.scope_offices IS NULL OR h.office_code = ANY (p.scope_offices) "
			"                               OR h.parent_code = ANY (p.scope_offices))) END, "
			"       p.description "
			"  FROM customs_risk.profile p JOIN customs_risk.office o ON o.office_code = p.owner_office "
			" WHERE p.status = 'active' ORDER BY p.profile_id", true, 0) != SPI_OK_SELECT)
			elog(ERROR, "reading customs_risk.profile failed");
		m = BuildMatcher(version, xmin);
		if (current_matcher)
		{
			current_matcher->next_retired = retired_matchers;
			retired_matchers = current_matcher;
		}
		current_matcher = m;
	}
	SPI_finish();
	return m;
}

/* Per query: the matcher, the row reader and code lists, and scratch space. */
typedef struct MatchState
{
	Matcher    *m;
	RowReader	reader;
	CodeListCache lists;
	int		   *cand;			/* cand[-1] is the count */
	int		   *matched;
	uint32	   *seen;			/* seen[i] == stamp: profile i is a candidate of this line */
	uint32		stamp;
	uint32		anchor_fields;	/* fields read before the candidates are known */
	LocalTransactionId lxid;	/* statement the matcher was checked in */
	CommandId	cid;
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

/* Add a candidate once: a profile filed under 84 and 8471 is found twice by an 8471 line. */
static inline void
AddCandidate(MatchState *st, int idx)
{
	if (st->seen[idx] != st->stamp)
	{
		st->seen[idx] = st->stamp;
		st->cand[++st->cand[-1]] = idx;
	}
}

static void
AddCandidates(MatchState *st, const Bucket *b)
{
	for (int k = 0; k < b->n; k++)
		AddCandidate(st, b->idx[k]);
}

/* The indexes of the profiles the row matches, sorted by profile id; returns the count. */
static int
MatchLine(MatchState *st, HeapTupleHeader rec, int *matched)
{
	Matcher    *m = st->m;
	CrValue		v[CR_NFIELDS];
	int			nmatched = 0;
	int			ncand;

	uint32		need = 0;

	RowReaderEnsure(&st->reader, st->lists.mcxt, rec, m->fieldmask);
	RowReaderDeform(&st->reader, rec);
	/* the anchor fields now; the others only if some candidate reads them */
	RowReaderFields(&st->reader, v, st->anchor_fields);

	/* candidate list: position -1 holds the count */
	st->cand[-1] = 0;
	if (++st->stamp == 0)
	{
		memset(st->seen, 0, sizeof(uint32) * Max(m->n, 1));
		st->stamp = 1;
	}
	for (int f = 0; f < CR_NFIELDS; f++)
	{
		CodeKey		key;
		Bucket	   *b;

		if (!(m->code_fields & ((uint32) 1 << f)) || v[f].isnull)
			continue;
		if (MakeCodeKey(&key, f, v[f].s, v[f].len) &&
			(b = hash_search(m->codes, &key, HASH_FIND, NULL)) != NULL)
			AddCandidates(st, b);
	}
	if (!v[CRF_HS].isnull && hash_get_num_entries(m->hs) > 0)
	{
		for (int digits = 2; digits <= hs_ndigits(v[CRF_HS].i); digits += 2)
		{
			HsKey		anc;
			Bucket	   *b;

			if (hs_truncate(v[CRF_HS].i, digits, &anc) &&
				(b = hash_search(m->hs, &anc, HASH_FIND, NULL)) != NULL)
				AddCandidates(st, b);
		}
	}
	for (int f = 0; f < CR_NFIELDS; f++)
	{
		double		x;

		if (!(m->range_fields & ((uint32) 1 << f)) || v[f].isnull)
			continue;
		x = cr_field_type(f) == CR_DATE ? (double) v[f].i : v[f].f;
		for (int k = 0; k < m->nrange[f] && m->ranges[f][k].lo <= x; k++)
			if (m->ranges[f][k].hi >= x)
				AddCandidate(st, m->ranges[f][k].idx);
		for (int k = 0; k < m->nupper[f] && m->uppers[f][k].hi >= x; k++)
			AddCandidate(st, m->uppers[f][k].idx);
	}
	for (int k = 0; k < m->nfree; k++)
		AddCandidate(st, m->free_idx[k]);

	ncand = st->cand[-1];
	for (int k = 1; k <= ncand; k++)
		need |= m->p[st->cand[k]].prog.header->fieldmask;
	if (need & ~st->anchor_fields)
		RowReaderFields(&st->reader, v, need & ~st->anchor_fields);
	for (int k = 1; k <= ncand; k++)
	{
		MProfile   *mp = &m->p[st->cand[k]];

		/* a line without a date is in no profile's validity window */
		if (v[CRF_DECLARED_ON].isnull ||
			v[CRF_DECLARED_ON].i < mp->valid_from || v[CRF_DECLARED_ON].i > mp->valid_to)
			continue;
		if (!InScope(mp, &v[CRF_OFFICE]))
			continue;
		if (cr_eval(&mp->prog, v, CodeListLookup, &st->lists) == 1)
			matched[nmatched++] = st->cand[k];
	}
	/* profiles are loaded in id order, each filed once: sorting indexes sorts ids */
	for (int i = 1; i < nmatched; i++)
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
	return nmatched;
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

	if (st != NULL && st->lxid == MyProc->lxid && st->cid == GetCurrentCommandId(false))
		return st;
	m = CurrentMatcher();
	if (st == NULL || st->m != m)
	{
		if (st == NULL)
			st = MemoryContextAllocZero(mcxt, sizeof(MatchState));
		else
		{
			pfree(st->cand - 1);
			pfree(st->matched);
			pfree(st->seen);
		}
		st->m = m;
		st->lists.mcxt = mcxt;
		st->lists.lists = NULL;
		/* each profile is a candidate at most once, so there are at most n */
		st->cand = (int *) MemoryContextAlloc(mcxt, sizeof(int) * (m->n + 2)) + 1;
		st->matched = MemoryContextAlloc(mcxt, sizeof(int) * (m->n + 1));
		st->seen = MemoryContextAllocZero(mcxt, sizeof(uint32) * Max(m->n, 1));
		st->stamp = 0;
		st->anchor_fields = m->code_fields | m->range_fields | ((uint32) 1 << CRF_OFFICE) |
			((uint32) 1 << CRF_DECLARED_ON) | (hash_get_num_entries(m->hs) > 0 ? ((uint32) 1 << CRF_HS) : 0);
		fcinfo->flinfo->fn_extra = st;
	}
	else
		st->lists.lists = NULL;	/* code lists are read again in each statement */
	st->lxid = MyProc->lxid;
	st->cid = GetCurrentCommandId(false);
	return st;
}

PG_FUNCTION_INFO_V1(match_profiles);
/* match_profiles(line record) → the ids of the active profiles the line matches. */
Datum
match_profiles(PG_FUNCTION_ARGS)
{
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(0);
	MatchState *st = GetMatchState(fcinfo);
	int		   *matched = st->matched;
	int			n = MatchLine(st, rec, matched);
	Datum	   *ids = palloc(sizeof(Datum) * (n + 1));

	for (int i = 0; i < n; i++)
		ids[i] = Int64GetDatum(st->m->p[matched[i]].id);
	PG_RETURN_ARRAYTYPE_P(construct_array(ids, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

PG_FUNCTION_INFO_V1(match_profile_rows);
/* match_profile_rows(line record) → one row per matched profile, from the same profile set. */
Datum
match_profile_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HeapTupleHeader rec = PG_GETARG_HEAPTUPLEHEADER(0);
	MatchState *st = GetMatchState(fcinfo);
	int		   *matched = st->matched;
	int			n = MatchLine(st, rec, matched);
	static const char *const channels[] = {"green", "blue", "yellow", "red"};

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < n; i++)
	{
		MProfile   *mp = &st->m->p[matched[i]];
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		values[0] = Int64GetDatum(mp->id);
		values[1] = CStringGetTextDatum(channels[mp->channel]);
		values[2] = Float8GetDatum(mp->weight);
		values[3] = CStringGetTextDatum(mp->description);
		values[4] = Int64GetDatum(st->m->version);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(profile_matcher_stats);
/* How the current matcher filed the active profiles (for tuning and tests). */
Datum
profile_matcher_stats(PG_FUNCTION_ARGS)
{
	Matcher    *m = CurrentMatcher();
	TupleDesc	td;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};
	int			nrange = 0;

	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	for (int f = 0; f < CR_NFIELDS; f++)
		nrange += m->nrange[f] + m->nupper[f];
	values[0] = Int64GetDatum(m->version);
	values[1] = Int32GetDatum(m->n);
	values[2] = Int64GetDatum(hash_get_num_entries(m->codes));
	values[3] = Int64GetDatum(hash_get_num_entries(m->hs));
	values[4] = Int32GetDatum(nrange);
	values[5] = Int32GetDatum(m->nfree);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}
