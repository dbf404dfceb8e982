/*
 * batch_read.c: the first half of batch_channels(), select_for_day()'s body.
 *
 * It reads the houses' policies and the importers' grade policies on the day, then the first
 * pass, batch_first_channels() in SQL: the day's lines in declaration order with their
 * matched profiles and model score, as the pass produces them (all read-only, so in the
 * caller's one snapshot).  It gathers each declaration's lines and gives the declaration its
 * score, draws and first channel by decide()'s rules.  In SQL, the grouping, the joins to the
 * policies and the per-declaration expressions were most of the pass apart from matching.
 * Memory: about 100 bytes a declaration plus its ids.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "batch.h"
#include "channel.h"
#include "profile_match.h"
#include "profile_summary.h"
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

typedef struct BatchReceiver
{
	DestReceiver pub;
	Batch	   *batch;
} BatchReceiver;

/* A copy of a varlena datum in the batch's arena: most are a dozen bytes, too small to palloc. */
struct varlena *
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

/* See batch.h. */
void
BatchRead(Batch *b, Datum day, Datum office, bool office_null)
{
	LoadPolicies(b, day, office, office_null);
	ReadFirstPass(b, day, office, office_null);
	FinishDeclaration(b);		/* the last one */
}
