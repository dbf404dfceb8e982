/*
 * batch_channels.c: batch_channels(day, office), the body of select_for_day().
 *
 * It reads the offices' and the graded importers' policies, then the first pass,
 * batch_first_channels() in SQL: the day's lines in declaration order with their matched
 * profiles and model score, read as the pass produces them (all read-only, so in the caller's
 * one snapshot).  It gathers each declaration's lines and gives the declaration its score,
 * draws and first channel here, as decide() gives them; then
 * inspections past an office's capacity are held back and the would-be-greens ranked for the
 * top-up, in memory; and the log's INSERT reads the decisions from a tuplestore, as an
 * ephemeral named relation, so the log is still written by an ordinary INSERT under the
 * caller's rights and policies.
 * Memory: about 100 bytes a declaration plus its ids; the log's rows spill past work_mem.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "common/hashfn.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"
#include "utils/queryenvironment.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "batch_rank.h"
#include "profile_match.h"
#include "profile_summary.h"
#include "select_first_core.h"
#include "selection.h"

/* the columns of batch_first_channels(), in order */
enum
{
	C_DECL, C_OFFICE, C_IMPORTER, C_IDS, C_MODEL_SCORE, N_FIRST_COLUMNS
};

/* the columns of the policies' query (LoadPolicies), in order */
enum
{
	P_CODE, P_SHARE_RED, P_SHARE_YELLOW, P_SHARE_BLUE, P_RANDOM_RATE, P_RANDOM_CHANNEL, P_MAX_HITS_GREEN,
	P_CAPACITY, P_MODEL_NAME, P_MODEL_YELLOW, P_MODEL_RED, P_TOPUP_MODEL, N_POLICY_COLUMNS
};

/* what set a decision's channel: decision_log.selected_by, in the order the log names it */
enum
{
	BY_RANDOM, BY_CAPACITY, BY_TOPUP, BY_GRADE, BY_PROFILE, BY_MODEL, BY_GREEN, BY_COUNT
};
static const char *const selected_by_names[BY_COUNT] = {
	"batch-random", "batch-capacity", "batch-topup", "batch-grade", "batch-profile", "batch-model", "batch-green"
};

/* Text keys (copies in the batch's arena) to their index, by open addressing on the hash. */
typedef struct TextIndex
{
	struct varlena **keys;		/* by slot, NULL when free */
	int32	   *index;
	uint32		mask;
} TextIndex;

/* An optional number of the policies: SQL's NULL is no bound, and compares false. */
typedef struct MaybeDouble
{
	bool		isnull;
	double		value;
} MaybeDouble;

typedef struct BatchOffice
{
	Datum		office_code;	/* text */
	Datum		model_name;		/* text, 0 for none */
	bool		topup_model;	/* tops up by model score */
	bool		has_capacity;
	int64		capacity;
	double		share[CH_COUNT];	/* expected shares of red, yellow, blue (green unused) */
	double		random_rate;
	uint8		random_channel;
	int32		max_hits_green;
	MaybeDouble model_yellow;
	MaybeDouble model_red;
	int64		n;
	int64		n_ch[CH_COUNT]; /* by channel after capacity, before the top-up */
	int64		up[CH_COUNT];	/* topped up to each channel */
	int64		n_hit;
	int64		n_rnd;
	int64		n_held;
	int64		n_model;
} BatchOffice;

typedef struct Batch
{
	MemoryContext mcxt;
	BatchRow   *rows;
	int32		nrows;
	int32		maxrows;
	BatchOffice *offices;		/* the customs houses in office code order */
	int32		noffices;
	TextIndex	office_index;	/* office code -> offices[] */
	TextIndex	grade_index;	/* graded importer on the day -> grade_rate_factor[], _min_rate[] */
	MaybeDouble *grade_rate_factor;
	MaybeDouble *grade_min_rate;
	MaybeDouble general_rate_factor;	/* general credit's grade policy: for the ungraded */
	MaybeDouble general_min_rate;
	FunctionCallInfo fcinfo;	/* batch_channels()'s: the profile summaries keep state in it */
	bytea	   *key;			/* the selection secret (a copy) */
	/* the declaration whose lines are being read: rows[nrows], its ids so far, its grade */
	bool		pending;
	ArrayType  *pending_ids;	/* in ids_buf */
	Size		ids_buf_size;
	bool		ids_merged;		/* from more than one line: rows[nrows].ids is replaced */
	MaybeDouble pending_rate_factor;
	MaybeDouble pending_min_rate;
	Oid			channel_type;
	Oid			channel_oids[CH_COUNT];
	int64		version;
	char	   *arena;			/* bump allocation for the copied varlenas */
	Size		arena_left;
} Batch;

/* an inspection to count against its office's capacity: not a random one, those are kept */
static bool
CapacityCandidate(const BatchRow *r, const void *arg)
{
	const BatchOffice *offices = arg;

	return r->ch0 >= CH_YELLOW && !r->rnd && offices[r->office].has_capacity;
}

/* a would-be green that may be topped up */
static bool
TopUpCandidate(const BatchRow *r, const void *arg)
{
	return r->ch0 == CH_GREEN && r->eligible;
}

typedef struct BatchReceiver
{
	DestReceiver pub;
	Batch	   *batch;
} BatchReceiver;

/* A copy of a varlena datum in the batch's arena: most are a dozen bytes, too small to palloc. */
static struct varlena *
ArenaCopy(Batch *b, Datum d)
{
	struct varlena *v = (struct varlena *) PG_DETOAST_DATUM_PACKED(d);
	Size		len = VARSIZE_ANY(v);
	Size		need = MAXALIGN(len);
	struct varlena *copy;

	if (need > b->arena_left)
	{
		Size		block = Max(need, 1024 * 1024);

		b->arena = MemoryContextAlloc(b->mcxt, block);
		b->arena_left = block;
	}
	copy = (struct varlena *) b->arena;
	memcpy(copy, v, len);
	b->arena += need;
	b->arena_left -= need;
	if ((Pointer) v != DatumGetPointer(d))
		pfree(v);				/* a detoasted copy */
	return copy;
}

static void
TextIndexInit(TextIndex *ti, MemoryContext mcxt, int32 n)
{
	uint32		nslots = 8;

	while (nslots < 2 * (uint32) n)
		nslots *= 2;
	ti->keys = MemoryContextAllocZero(mcxt, sizeof(struct varlena *) * nslots);
	ti->index = MemoryContextAlloc(mcxt, sizeof(int32) * nslots);
	ti->mask = nslots - 1;
}

/* The slot of key, or the free slot where it would go. */
static uint32
TextIndexSlot(const TextIndex *ti, const char *s, Size len)
{
	uint32		h = hash_bytes((const unsigned char *) s, (int) len);

	for (;; h++)
	{
		const struct varlena *k = ti->keys[h & ti->mask];

		if (k == NULL || (VARSIZE_ANY_EXHDR(k) == len && memcmp(VARDATA_ANY(k), s, len) == 0))
			return h & ti->mask;
	}
}

/* Add key (kept, not copied) with its index; false when the key is there already. */
static bool
TextIndexAdd(TextIndex *ti, struct varlena *key, int32 index)
{
	uint32		slot = TextIndexSlot(ti, VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key));

	if (ti->keys[slot] != NULL)
		return false;
	ti->keys[slot] = key;
	ti->index[slot] = index;
	return true;
}

/* The index of the text d, or -1. */
static int32
TextIndexFind(const TextIndex *ti, Datum d)
{
	text	   *t = DatumGetTextPP(d);
	uint32		slot = TextIndexSlot(ti, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));

	return ti->keys[slot] == NULL ? -1 : ti->index[slot];
}

static MaybeDouble
MaybeOf(HeapTuple tup, TupleDesc td, int col)
{
	MaybeDouble m;
	Datum		d = SPI_getbinval(tup, td, col + 1, &m.isnull);

	m.value = m.isnull ? 0 : DatumGetFloat8(d);
	return m;
}

static uint8
ChannelOfLabel(const char *label)
{
	for (int c = 0; c < CH_COUNT; c++)
		if (strcmp(ChannelLabel(c), label) == 0)
			return (uint8) c;
	elog(ERROR, "batch_channels(): unknown channel \"%s\"", label);
	return CH_GREEN;			/* keep the compiler quiet */
}

/*
 * The policy of each customs house (one, with office), general credit's grade policy and the
 * graded importers' on the day, read-only: in the caller's snapshot, as the first pass after it.
 */
static void
LoadPolicies(Batch *b, Datum day, Datum office, bool office_null)
{
	/* the types the policies are read as */
	static const Oid policy_types[N_POLICY_COLUMNS] = {
		TEXTOID, FLOAT8OID, FLOAT8OID, FLOAT8OID, FLOAT8OID, TEXTOID, INT4OID, INT4OID, TEXTOID,
		FLOAT8OID, FLOAT8OID, BOOLOID
	};
	Oid			types[1] = {TEXTOID};
	Datum		args[1] = {office};
	char		nulls[1] = {office_null ? 'n' : ' '};

	if (SPI_execute_with_args("SELECT h.office_code, p.share_red, p.share_yellow, p.share_blue, p.random_rate,"
							  "       p.random_channel::text, p.max_hits_green, p.daily_capacity, p.model_name,"
							  "       p.model_yellow, p.model_red, p.topup_by = 'model'"
							  "  FROM customs_risk.office h, LATERAL customs_risk.effective_policy(h.office_code) p"
							  " WHERE h.level = 'house' AND ($1 IS NULL OR h.office_code = $1)"
							  " ORDER BY h.office_code COLLATE \"C\"",
							  1, types, args, nulls, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "batch_channels(): reading the channel policies failed");
	if (SPI_tuptable->tupdesc->natts != N_POLICY_COLUMNS)
		elog(ERROR, "batch_channels(): the policies came with %d columns", SPI_tuptable->tupdesc->natts);
	for (int c = 0; c < N_POLICY_COLUMNS; c++)
		if (SPI_gettypeid(SPI_tuptable->tupdesc, c + 1) != policy_types[c])
			elog(ERROR, "batch_channels(): policy column %d has type %u, not %u",
				 c + 1, SPI_gettypeid(SPI_tuptable->tupdesc, c + 1), policy_types[c]);
	b->noffices = (int32) SPI_processed;
	b->offices = MemoryContextAllocZero(b->mcxt, sizeof(BatchOffice) * Max(b->noffices, 1));
	TextIndexInit(&b->office_index, b->mcxt, b->noffices);
	for (int32 o = 0; o < b->noffices; o++)
	{
		HeapTuple	tup = SPI_tuptable->vals[o];
		TupleDesc	td = SPI_tuptable->tupdesc;
		BatchOffice *of = &b->offices[o];
		bool		isnull[N_POLICY_COLUMNS];
		Datum		v[N_POLICY_COLUMNS];

		for (int c = 0; c < N_POLICY_COLUMNS; c++)
			v[c] = SPI_getbinval(tup, td, c + 1, &isnull[c]);
		/* the policy columns are NOT NULL but for the capacity, the model and its thresholds */
		for (int c = P_CODE; c <= P_MAX_HITS_GREEN; c++)
			if (isnull[c])
				elog(ERROR, "batch_channels(): an office's policy has a NULL in column %d", c + 1);
		of->office_code = PointerGetDatum(ArenaCopy(b, v[P_CODE]));
		of->share[CH_RED] = DatumGetFloat8(v[P_SHARE_RED]);
		of->share[CH_YELLOW] = DatumGetFloat8(v[P_SHARE_YELLOW]);
		of->share[CH_BLUE] = DatumGetFloat8(v[P_SHARE_BLUE]);
		of->random_rate = DatumGetFloat8(v[P_RANDOM_RATE]);
		of->random_channel = ChannelOfLabel(TextDatumGetCString(v[P_RANDOM_CHANNEL]));
		of->max_hits_green = DatumGetInt32(v[P_MAX_HITS_GREEN]);
		of->has_capacity = !isnull[P_CAPACITY];
		of->capacity = of->has_capacity ? DatumGetInt32(v[P_CAPACITY]) : 0;
		of->model_name = isnull[P_MODEL_NAME] ? (Datum) 0 : PointerGetDatum(ArenaCopy(b, v[P_MODEL_NAME]));
		of->model_yellow = MaybeOf(tup, td, P_MODEL_YELLOW);
		of->model_red = MaybeOf(tup, td, P_MODEL_RED);
		of->topup_model = !isnull[P_TOPUP_MODEL] && DatumGetBool(v[P_TOPUP_MODEL]);
		(void) TextIndexAdd(&b->office_index, (struct varlena *) DatumGetPointer(of->office_code), o);	/* codes are unique */
	}

	if (SPI_execute("SELECT p.rate_factor, p.min_rate FROM customs_risk.grade_policies() p"
					" WHERE p.grade = 'general_credit'", true, 0) != SPI_OK_SELECT || SPI_processed > 1)
		elog(ERROR, "batch_channels(): reading general credit's grade policy failed");
	b->general_rate_factor.isnull = b->general_min_rate.isnull = true;
	if (SPI_processed == 1)
	{
		b->general_rate_factor = MaybeOf(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 0);
		b->general_min_rate = MaybeOf(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	}

	/* the graded importers on the day */
	types[0] = DATEOID;
	args[0] = day;
	if (SPI_execute_with_args("SELECT h.trader_id, p.rate_factor, p.min_rate"
							  "  FROM customs_risk.trader_grade_history h"
							  "  JOIN customs_risk.grade_policies() p ON p.grade = h.grade"
							  " WHERE h.valid_from <= $1 AND (h.valid_to IS NULL OR h.valid_to > $1)"
							  " ORDER BY h.trader_id",
							  1, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "batch_channels(): reading the importers' grades failed");
	TextIndexInit(&b->grade_index, b->mcxt, (int32) SPI_processed);
	b->grade_rate_factor = MemoryContextAlloc(b->mcxt, sizeof(MaybeDouble) * Max(SPI_processed, 1));
	b->grade_min_rate = MemoryContextAlloc(b->mcxt, sizeof(MaybeDouble) * Max(SPI_processed, 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		trader = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		b->grade_rate_factor[i] = MaybeOf(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		b->grade_min_rate[i] = MaybeOf(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
		if (!TextIndexAdd(&b->grade_index, ArenaCopy(b, trader), (int32) i))
			ereport(ERROR, (errcode(ERRCODE_CARDINALITY_VIOLATION),
							errmsg("importer %s has more than one grade on the day",
								   TextDatumGetCString(trader)),
							errhint("Rows of trader_grade_history must not overlap; decide() refuses them too.")));
	}
}

/*
 * A declaration's score, draws and first channel under its office's policy and its importer's
 * grade policy: decide()'s rules (85_decide.sql), in C for a million declarations.
 *   - profile hits past max_hits_green send it to their most intrusive channel;
 *   - the model score, to yellow or red at or above the office's thresholds;
 *   - a grade keeps an inspection only when its draw is below the grade's factor, and sends
 *     an otherwise green one to yellow when the draw is below the grade's least rate;
 *   - the random draw, below the office's rate times the grade's factor, to the random channel.
 */
static void
FirstChannel(Batch *b, BatchRow *r, const BatchOffice *of, int nids, const int64 *ids,
			 MaybeDouble rate_factor, MaybeDouble min_rate)
{
	const char *id = VARDATA_ANY(r->declaration_id);
	int			idlen = VARSIZE_ANY_EXHDR(r->declaration_id);
	int			profile_channel;
	int64		version;
	uint8		model_channel = CH_GREEN;
	uint8		selected;
	uint8		graded_channel;
	MaybeDouble gdraw = {true, 0};

	if (ActiveProfilesSummary(b->fcinfo, ids, nids, &r->score, &profile_channel, &version, NULL) >= 0)
		elog(ERROR, "batch_channels(): a matched profile is not in the matcher's profile set");
	b->version = version;
	/* comparisons with a NULL (no threshold, no model score) are false, as in SQL */
	if (!r->model_score_null && !of->model_red.isnull && float8_ge(r->model_score, of->model_red.value))
		model_channel = CH_RED;
	else if (!r->model_score_null && !of->model_yellow.isnull && float8_ge(r->model_score, of->model_yellow.value))
		model_channel = CH_YELLOW;
	r->by_model = model_channel > CH_GREEN;
	r->hit = nids > of->max_hits_green;
	selected = Max(r->hit ? (uint8) profile_channel : CH_GREEN, model_channel);

	r->draw = SelectionDraw(b->key, id, idlen, NULL);
	r->rnd = float8_lt(r->draw, of->random_rate * (rate_factor.isnull ? 1.0 : rate_factor.value));
	if (!rate_factor.isnull || !min_rate.isnull)
	{
		gdraw.isnull = false;
		gdraw.value = SelectionDraw(b->key, id, idlen, "#grade");
	}
	graded_channel = selected;
	if (selected >= CH_YELLOW && !gdraw.isnull && !rate_factor.isnull && float8_ge(gdraw.value, rate_factor.value))
		graded_channel = CH_GREEN;
	else if (selected < CH_YELLOW && !gdraw.isnull && !min_rate.isnull && float8_lt(gdraw.value, min_rate.value))
		graded_channel = CH_YELLOW;
	r->by_grade = graded_channel != selected;
	r->ch0 = Max(graded_channel, r->rnd ? of->random_channel : CH_GREEN);
	/* a green of a grade whose draw keeps it out is no top-up candidate */
	r->eligible = rate_factor.isnull || (!gdraw.isnull && float8_lt(gdraw.value, rate_factor.value));
}

/* The first pass's result columns, checked. */
static void
StartupReceiver(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	/* the types the receiver reads them as */
	static const Oid types[N_FIRST_COLUMNS] = {TEXTOID, TEXTOID, TEXTOID, INT8ARRAYOID, FLOAT8OID};

	if (typeinfo->natts != N_FIRST_COLUMNS)
		elog(ERROR, "batch_channels(): batch_first_channels() returns %d columns, not %d",
			 typeinfo->natts, N_FIRST_COLUMNS);
	for (int i = 0; i < N_FIRST_COLUMNS; i++)
		if (TupleDescAttr(typeinfo, i)->atttypid != types[i])
			elog(ERROR, "batch_channels(): column %d of batch_first_channels() has type %u, not %u",
				 i + 1, TupleDescAttr(typeinfo, i)->atttypid, types[i]);
}

/* Is the text d the same as t? */
static bool
SameText(const struct varlena *t, Datum d)
{
	Size		len = VARSIZE_ANY_EXHDR(t);

	return VARSIZE_ANY_EXHDR(DatumGetPointer(d)) == len &&
		memcmp(VARDATA_ANY(t), VARDATA_ANY(DatumGetPointer(d)), len) == 0;
}

/* Keep a as the pending declaration's ids, in ids_buf. */
static void
KeepIds(Batch *b, const ArrayType *a)
{
	Size		size = VARSIZE(a);

	if (size > b->ids_buf_size)
	{
		b->ids_buf_size = Max(size, 2 * b->ids_buf_size);
		if (b->pending_ids != NULL)
			pfree(b->pending_ids);
		b->pending_ids = MemoryContextAlloc(b->mcxt, b->ids_buf_size);
	}
	memcpy(b->pending_ids, a, size);
}

/* The pending declaration, all its lines read: decided and kept. */
static void
FinishDeclaration(Batch *b)
{
	BatchRow   *r = &b->rows[b->nrows];
	int			n;
	int64	   *ids;

	if (!b->pending)
		return;
	if (b->ids_merged)
		r->ids = ArenaCopy(b, PointerGetDatum(b->pending_ids));
	ids = SortedIds(b->pending_ids, &n, "select_for_day()");
	FirstChannel(b, r, &b->offices[r->office], n, ids, b->pending_rate_factor, b->pending_min_rate);
	r->channel = r->ch0;
	b->nrows++;
	b->pending = false;
}

/*
 * One line of the first pass.  A declaration's lines come together (the pass is in declaration
 * order): the first starts it, the others add their profiles and model score, and the next
 * declaration's first line finishes it.  Its office and importer are the declaration's, the
 * same on every line.  A declaration of an office that is not a house of the batch is skipped.
 */
static bool
ReceiveRow(TupleTableSlot *slot, DestReceiver *self)
{
	Batch	   *b = ((BatchReceiver *) self)->batch;
	Datum	   *v;
	bool	   *isnull;
	BatchRow   *r;
	int32		office;
	int32		grade;
	ArrayType  *ids;

	slot_getallattrs(slot);
	v = slot->tts_values;
	isnull = slot->tts_isnull;
	if (isnull[C_DECL] || isnull[C_OFFICE] || isnull[C_IDS])
		elog(ERROR, "batch_channels(): the first pass gave a line without its declaration, office or ids");
	ids = DatumGetArrayTypeP(v[C_IDS]); /* as arrays are read: a 4-byte header */
	if (b->pending && SameText(b->rows[b->nrows].declaration_id, v[C_DECL]))
	{
		/* another line of the declaration: the union of the ids, the highest model score */
		ArrayType  *u = ProfileIdsUnion(b->pending_ids, ids, "select_for_day()");

		r = &b->rows[b->nrows];

		if (u != b->pending_ids)
		{
			KeepIds(b, u);
			b->ids_merged = true;
			if (u != ids)
				pfree(u);
		}
		if (!isnull[C_MODEL_SCORE] &&
			(r->model_score_null || !float8_gt(r->model_score, DatumGetFloat8(v[C_MODEL_SCORE]))))
		{
			r->model_score = DatumGetFloat8(v[C_MODEL_SCORE]);
			r->model_score_null = false;
		}
	}
	else
	{
		FinishDeclaration(b);
		office = TextIndexFind(&b->office_index, v[C_OFFICE]);
		if (office >= 0)
		{
			if (b->nrows == b->maxrows)
			{
				if (b->maxrows >= PG_INT32_MAX / 2)
					ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
									errmsg("select_for_day() decides at most %d declarations at once", b->maxrows),
									errhint("Select for one office at a time.")));
				b->maxrows = b->maxrows == 0 ? 4096 : b->maxrows * 2;
				b->rows = b->rows == NULL
					? MemoryContextAllocHuge(b->mcxt, sizeof(BatchRow) * b->maxrows)
					: repalloc_huge(b->rows, sizeof(BatchRow) * b->maxrows);
			}
			r = &b->rows[b->nrows];
			memset(r, 0, sizeof(BatchRow));
			r->office = office;
			r->declaration_id = ArenaCopy(b, v[C_DECL]);
			r->ids = ArenaCopy(b, v[C_IDS]);	/* as the log stores it */
			r->model_score_null = isnull[C_MODEL_SCORE];
			r->model_score = isnull[C_MODEL_SCORE] ? 0 : DatumGetFloat8(v[C_MODEL_SCORE]);
			KeepIds(b, ids);
			b->ids_merged = false;
			/* the importer's grade policy on the day, else general credit's */
			grade = isnull[C_IMPORTER] ? -1 : TextIndexFind(&b->grade_index, v[C_IMPORTER]);
			b->pending_rate_factor = grade >= 0 ? b->grade_rate_factor[grade] : b->general_rate_factor;
			b->pending_min_rate = grade >= 0 ? b->grade_min_rate[grade] : b->general_min_rate;
			b->pending = true;
		}
	}
	if ((Pointer) ids != DatumGetPointer(v[C_IDS]))
		pfree(ids);				/* an unpacked copy */
	return true;
}

static void
ShutdownReceiver(DestReceiver *self)
{
}

static void
DestroyReceiver(DestReceiver *self)
{
}

static void
ConstParam(ParamListInfo params, int i, Oid type, Datum value, bool isnull)
{
	params->params[i].value = value;
	params->params[i].isnull = isnull;
	params->params[i].pflags = PARAM_FLAG_CONST;	/* plan for these values */
	params->params[i].ptype = type;
}

/* The first pass, read into b.  Constant parameters: the planner drops the unused branch. */
static void
ReadFirstPass(Batch *b, Datum day, Datum office, bool office_null)
{
	BatchReceiver recv;
	SPIExecuteOptions options;
	bool		with_model;
	bool		isnull;

	if (SPI_execute("SELECT EXISTS (SELECT 1 FROM customs_risk.channel_policy cp WHERE cp.model_name IS NOT NULL)",
					true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "batch_channels(): reading the channel policies failed");
	with_model = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	memset(&recv, 0, sizeof(recv));
	recv.pub.receiveSlot = ReceiveRow;
	recv.pub.rStartup = StartupReceiver;
	recv.pub.rShutdown = ShutdownReceiver;
	recv.pub.rDestroy = DestroyReceiver;
	recv.pub.mydest = DestNone;
	recv.batch = b;

	memset(&options, 0, sizeof(options));
	options.params = makeParamList(3);
	options.params->numParams = 3;
	ConstParam(options.params, 0, DATEOID, day, false);
	ConstParam(options.params, 1, TEXTOID, office, office_null);
	ConstParam(options.params, 2, BOOLOID, BoolGetDatum(with_model), false);
	options.dest = (DestReceiver *) &recv;
	options.read_only = true;	/* the caller's snapshot: the one the policies were read in */
	/* (a SELECT whose rows go to a receiver of mydest DestNone reports SPI_OK_UTILITY) */
	if (SPI_execute_extended("SELECT * FROM customs_risk.batch_first_channels($1, $2, $3)", &options) < 0)
		elog(ERROR, "batch_channels(): the first pass failed");
}

/*
 * Capacity: in an office with a daily capacity, its random inspections are kept (the control
 * sample) and counted first; then its profile and model selections by score, model score, draw
 * and id; those past the capacity are held back to blue (post-clearance audit).
 */
static void
ApplyCapacity(Batch *b, int32 *order)
{
	int32	   *start = GroupByOffice(b->rows, b->nrows, order, b->noffices, CapacityCandidate, b->offices);
	int64	   *rnd_inspect = palloc0(sizeof(int64) * b->noffices);

	for (int32 i = 0; i < b->nrows; i++)
		if (b->rows[i].ch0 >= CH_YELLOW && b->rows[i].rnd)
			rnd_inspect[b->rows[i].office]++;
	for (int32 o = 0; o < b->noffices; o++)
	{
		BatchOffice *of = &b->offices[o];
		int32		n = start[o + 1] - start[o];
		int64		keep = Max(0, of->capacity - rnd_inspect[o]);
		RankContext cx = {b->rows, false};

		if (!of->has_capacity || keep >= n)
			continue;
		cr_select_first(order + start[o], n, (int32) keep, CapacityOrder, &cx);
		for (int32 k = (int32) keep; k < n; k++)
		{
			BatchRow   *r = &b->rows[order[start[o] + k]];

			r->held = true;
			r->channel = CH_BLUE;
		}
	}
	pfree(start);
	pfree(rnd_inspect);
}

/*
 * The top-up to the expected shares: each office's counts after capacity give how many reds,
 * yellows and blues are missing (red and yellow within the room capacity leaves); they come from
 * its would-be-green declarations by model score where the office tops up by it, then score,
 * draw and id.
 */
static void
ApplyTopUp(Batch *b, int32 *order)
{
	int32	   *start = GroupByOffice(b->rows, b->nrows, order, b->noffices, TopUpCandidate, NULL);

	for (int32 i = 0; i < b->nrows; i++)
	{
		BatchRow   *r = &b->rows[i];
		BatchOffice *of = &b->offices[r->office];

		of->n++;
		of->n_ch[r->channel]++;
		of->n_rnd += r->rnd;
		of->n_held += r->held;
		of->n_hit += r->hit && !r->held;
		of->n_model += r->by_model && !r->hit && !r->held;
	}
	for (int32 o = 0; o < b->noffices; o++)
	{
		BatchOffice *of = &b->offices[o];
		int32		n = start[o + 1] - start[o];
		int64		room = of->has_capacity ? of->capacity - (of->n_ch[CH_RED] + of->n_ch[CH_YELLOW]) : of->n;
		int64		want[CH_COUNT] = {0};
		int64		quota;
		RankContext cx = {b->rows, of->topup_model};

		if (n == 0)
			continue;
		/* as SQL's round(float8): half to even */
		want[CH_RED] = Max(0, Min((int64) rint(of->share[CH_RED] * (double) of->n) - of->n_ch[CH_RED], room));
		want[CH_YELLOW] = Max(0, Min((int64) rint(of->share[CH_YELLOW] * (double) of->n) - of->n_ch[CH_YELLOW],
									 room - want[CH_RED]));
		want[CH_BLUE] = Max(0, (int64) rint(of->share[CH_BLUE] * (double) of->n) - of->n_ch[CH_BLUE]);
		quota = Min(want[CH_RED] + want[CH_YELLOW] + want[CH_BLUE], n);
		if (quota == 0)
			continue;
		cr_select_first(order + start[o], n, (int32) quota, TopUpOrder, &cx);
		qsort_arg(order + start[o], quota, sizeof(int32), TopUpOrder, &cx);
		for (int32 k = 0; k < quota; k++)
		{
			BatchRow   *r = &b->rows[order[start[o] + k]];

			r->channel = k < want[CH_RED] ? CH_RED : k < want[CH_RED] + want[CH_YELLOW] ? CH_YELLOW : CH_BLUE;
			r->topped = true;
			of->up[r->channel]++;
		}
	}
	pfree(start);
}

static int
SelectedBy(const BatchRow *r)
{
	return r->rnd ? BY_RANDOM : r->held ? BY_CAPACITY : r->topped ? BY_TOPUP : r->by_grade ? BY_GRADE
		: r->hit ? BY_PROFILE : r->by_model ? BY_MODEL : BY_GREEN;
}

/*
 * The log: every decision into a tuplestore, read by an INSERT as the ephemeral relation
 * "batch_decisions".  One decision_id for the batch, taken now, after any decide() that ran
 * during it: the key (declaration_id, decision_id) stays unique, as a batch decides a
 * declaration once.
 */
static void
LogDecisions(Batch *b, TimestampTz batch_at)
{
	TupleDesc	td = CreateTemplateTupleDesc(9);
	Tuplestorestate *ts;
	EphemeralNamedRelation enr;
	Datum		by_text[BY_COUNT];
	Datum		args[4];
	Oid			types[4] = {INT8OID, INT8OID, TIMESTAMPTZOID, TEXTOID};
	bool		isnull;
	MemoryContext old = MemoryContextSwitchTo(b->mcxt);

	TupleDescInitEntry(td, 1, "declaration_id", TEXTOID, -1, 0);
	TupleDescInitEntry(td, 2, "office_code", TEXTOID, -1, 0);
	TupleDescInitEntry(td, 3, "channel", b->channel_type, -1, 0);
	TupleDescInitEntry(td, 4, "score", FLOAT8OID, -1, 0);
	TupleDescInitEntry(td, 5, "profile_ids", INT8ARRAYOID, -1, 0);
	TupleDescInitEntry(td, 6, "random", BOOLOID, -1, 0);
	TupleDescInitEntry(td, 7, "selected_by", TEXTOID, -1, 0);
	TupleDescInitEntry(td, 8, "model_name", TEXTOID, -1, 0);
	TupleDescInitEntry(td, 9, "model_score", FLOAT8OID, -1, 0);
	for (int i = 0; i < BY_COUNT; i++)
		by_text[i] = CStringGetTextDatum(selected_by_names[i]);

	ts = tuplestore_begin_heap(false, false, work_mem);
	for (int32 i = 0; i < b->nrows; i++)
	{
		BatchRow   *r = &b->rows[i];
		BatchOffice *of = &b->offices[r->office];
		Datum		values[9];
		bool		nulls[9] = {false};

		values[0] = PointerGetDatum(r->declaration_id);
		values[1] = of->office_code;
		values[2] = ObjectIdGetDatum(b->channel_oids[r->channel]);
		values[3] = Float8GetDatum(r->score);
		values[4] = PointerGetDatum(r->ids);
		values[5] = BoolGetDatum(r->rnd);
		values[6] = by_text[SelectedBy(r)];
		values[7] = of->model_name;
		nulls[7] = of->model_name == (Datum) 0;
		values[8] = Float8GetDatum(r->model_score);
		nulls[8] = r->model_score_null;
		tuplestore_putvalues(ts, td, values, nulls);
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}

	if (SPI_execute("SELECT pg_catalog.nextval('customs_risk.decision_log_decision_id_seq'::pg_catalog.regclass)",
					false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "batch_channels(): taking the batch's decision_id failed");
	args[0] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	args[1] = Int64GetDatum(b->version);
	args[2] = TimestampTzGetDatum(batch_at);
	args[3] = CStringGetTextDatum(GetUserNameFromId(GetSessionUserId(), false));

	enr = palloc0(sizeof(EphemeralNamedRelationData));
	enr->md.name = "batch_decisions";
	enr->md.reliddesc = InvalidOid;
	enr->md.tupdesc = td;
	enr->md.enrtype = ENR_NAMED_TUPLESTORE;
	enr->md.enrtuples = b->nrows;
	enr->reldata = ts;
	if (SPI_register_relation(enr) != SPI_OK_REL_REGISTER)
		elog(ERROR, "batch_channels(): registering the batch's decisions failed");
	MemoryContextSwitchTo(old);

	if (SPI_execute_with_args("INSERT INTO customs_risk.decision_log"
							  " (decision_id, declaration_id, office_code, channel, score, profile_ids, random,"
							  "  selected_by, profile_set_version, decided_at, decided_by, model_name, model_score)"
							  " OVERRIDING SYSTEM VALUE"
							  " SELECT $1, d.declaration_id, d.office_code, d.channel, d.score, d.profile_ids, d.random,"
							  "        d.selected_by, $2, $3, $4, d.model_name, d.model_score"
							  "   FROM batch_decisions d",
							  4, types, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "batch_channels(): logging the batch's decisions failed");
	if (SPI_processed != (uint64) b->nrows)
		elog(ERROR, "batch_channels(): logged " UINT64_FORMAT " decisions of %d", SPI_processed, b->nrows);
	if (SPI_unregister_relation(enr->md.name) != SPI_OK_REL_UNREGISTER)
		elog(ERROR, "batch_channels(): unregistering the batch's decisions failed");
	tuplestore_end(ts);			/* and its temp file, if it spilled */
}

/* The summary, one row per office with declarations, by office code. */
static void
ReturnSummary(FunctionCallInfo fcinfo, Batch *b)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int32 o = 0; o < b->noffices; o++)
	{
		BatchOffice *of = &b->offices[o];
		int64		up = of->up[CH_RED] + of->up[CH_YELLOW] + of->up[CH_BLUE];
		Datum		values[12];
		bool		nulls[12] = {false};

		if (of->n == 0)
			continue;
		values[0] = of->office_code;
		values[1] = Int64GetDatum(of->n);
		values[2] = Int64GetDatum(of->n_ch[CH_RED] + of->up[CH_RED]);
		values[3] = Int64GetDatum(of->n_ch[CH_YELLOW] + of->up[CH_YELLOW]);
		values[4] = Int64GetDatum(of->n_ch[CH_BLUE] + of->up[CH_BLUE]);
		values[5] = Int64GetDatum(of->n_ch[CH_GREEN] - up);
		values[6] = Int64GetDatum(of->n_hit);
		values[7] = Int64GetDatum(of->n_rnd);
		values[8] = Int64GetDatum(up);
		values[9] = Int64GetDatum(of->n_held);
		values[10] = Int32GetDatum((int32) of->capacity);
		nulls[10] = !of->has_capacity;
		values[11] = Int64GetDatum(of->n_model);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

static long
MsSince(instr_time start)
{
	instr_time	now;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, start);
	return (long) INSTR_TIME_GET_MILLISEC(now);
}

PG_FUNCTION_INFO_V1(batch_channels);
/* batch_channels(day, office) → the summary per office; decides and logs the day's declarations. */
Datum
batch_channels(PG_FUNCTION_ARGS)
{
	TimestampTz batch_at = GetCurrentTimestamp();
	Batch		b;
	int32	   *order;
	instr_time	t;

	if (PG_ARGISNULL(0))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("select_for_day() needs a day, not NULL")));
	memset(&b, 0, sizeof(b));
	b.mcxt = AllocSetContextCreate(CurrentMemoryContext, "select_for_day", ALLOCSET_DEFAULT_SIZES);

	b.fcinfo = fcinfo;
	b.key = SelectionKey();
	if (b.key != NULL)
		b.key = (bytea *) ArenaCopy(&b, PointerGetDatum(b.key));	/* SelectionKey() may free its copy */
	if (b.key == NULL)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("a batch needs the selection secret for its random draws"),
						errhint("Run select_for_day(), which creates it, not batch_channels().")));
	b.channel_type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("channel"),
									 ObjectIdGetDatum(get_namespace_oid("customs_risk", false)));
	if (!OidIsValid(b.channel_type))
		elog(ERROR, "batch_channels(): type customs_risk.channel is missing");
	for (int c = 0; c < CH_COUNT; c++)
		b.channel_oids[c] = DatumGetObjectId(DirectFunctionCall2(enum_in, CStringGetDatum(ChannelLabel(c)),
																 ObjectIdGetDatum(b.channel_type)));

	INSTR_TIME_SET_CURRENT(t);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	LoadPolicies(&b, PG_GETARG_DATUM(0), PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1), PG_ARGISNULL(1));
	ReadFirstPass(&b, PG_GETARG_DATUM(0), PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1), PG_ARGISNULL(1));
	FinishDeclaration(&b);		/* the last one */
	elog(DEBUG1, "select_for_day: matched, scored and first channels in %ld ms", MsSince(t));

	INSTR_TIME_SET_CURRENT(t);
	order = MemoryContextAllocHuge(b.mcxt, sizeof(int32) * Max(b.nrows, 1));
	ApplyCapacity(&b, order);
	elog(DEBUG1, "select_for_day: capacity in %ld ms", MsSince(t));
	INSTR_TIME_SET_CURRENT(t);
	ApplyTopUp(&b, order);
	elog(DEBUG1, "select_for_day: top-up in %ld ms", MsSince(t));

	INSTR_TIME_SET_CURRENT(t);
	LogDecisions(&b, batch_at);
	elog(DEBUG1, "select_for_day: logged in %ld ms", MsSince(t));
	SPI_finish();

	ReturnSummary(fcinfo, &b);
	MemoryContextDelete(b.mcxt);
	return (Datum) 0;
}
