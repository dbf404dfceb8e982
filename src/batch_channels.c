/*
 * batch_channels.c: batch_channels(day, office), the body of select_for_day().
 *
 * The first pass, batch_first_channels() in SQL, gives one row per declaration of the day with
 * its first channel.  The rest of a batch needs those rows three times: to hold inspections
 * past an office's capacity back, to rank the would-be-greens for the top-up, and to log them.
 * Kept in a temp table they were written once and read three times, with a counting pass and
 * two ranking queries besides: about a fifth of a million-declaration batch.  Here they are
 * read once, as the pass produces them, into an array; capacity and the top-up rank in memory;
 * and the log's INSERT reads the decisions from a tuplestore, as an ephemeral named relation,
 * so the log is still written by an ordinary INSERT under the caller's rights and policies.
 * Memory: about 100 bytes a declaration plus its ids; the log's rows spill past work_mem.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/memutils.h"
#include "utils/queryenvironment.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "batch_rank.h"
#include "select_first_core.h"

/* the columns of batch_first_channels(), in order */
enum
{
	C_DECL, C_OFFICE_NO, C_OFFICE, C_IDS, C_SCORE, C_DRAW, C_MODEL_SCORE, C_MODEL_NAME,
	C_TOPUP_MODEL, C_HIT, C_BY_MODEL, C_RND, C_RATE_FACTOR, C_GDRAW, C_BY_GRADE, C_CH0,
	C_VERSION, C_CAPACITY, C_SHARE_RED, C_SHARE_YELLOW, C_SHARE_BLUE, N_FIRST_COLUMNS
};

/* what set a decision's channel: decision_log.selected_by, in the order the log names it */
enum
{
	BY_RANDOM, BY_CAPACITY, BY_TOPUP, BY_GRADE, BY_PROFILE, BY_MODEL, BY_GREEN, BY_COUNT
};
static const char *const selected_by_names[BY_COUNT] = {
	"batch-random", "batch-capacity", "batch-topup", "batch-grade", "batch-profile", "batch-model", "batch-green"
};

typedef struct BatchOffice
{
	Datum		office_code;	/* text; 0 until a declaration of the office is seen */
	Datum		model_name;		/* text, 0 for none */
	bool		topup_model;	/* tops up by model score */
	bool		has_capacity;
	int64		capacity;
	double		share[CH_COUNT];	/* expected shares of red, yellow, blue (green unused) */
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
	BatchOffice *offices;		/* by office_no - 1 */
	int32		noffices;
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

/* The office of office_no, its policy taken from the first of its rows. */
static BatchOffice *
OfficeOf(Batch *b, int64 office_no, Datum *v, bool *isnull)
{
	BatchOffice *o;

	if (office_no < 1 || office_no > PG_INT32_MAX / 2)
		elog(ERROR, "batch_channels(): office number " INT64_FORMAT " out of range", office_no);
	if (office_no > b->noffices)
	{
		int32		n = Max((int32) office_no, b->noffices * 2);

		b->offices = b->offices == NULL
			? MemoryContextAllocZero(b->mcxt, sizeof(BatchOffice) * n)
			: repalloc(b->offices, sizeof(BatchOffice) * n);
		memset(b->offices + b->noffices, 0, sizeof(BatchOffice) * (n - b->noffices));
		b->noffices = n;
	}
	o = &b->offices[office_no - 1];
	if (o->office_code == (Datum) 0)
	{
		if (isnull[C_OFFICE] || isnull[C_SHARE_RED] || isnull[C_SHARE_YELLOW] || isnull[C_SHARE_BLUE])
			elog(ERROR, "batch_channels(): an office's policy came without its code or shares");
		o->office_code = PointerGetDatum(ArenaCopy(b, v[C_OFFICE]));
		o->model_name = isnull[C_MODEL_NAME] ? (Datum) 0 : PointerGetDatum(ArenaCopy(b, v[C_MODEL_NAME]));
		o->topup_model = !isnull[C_TOPUP_MODEL] && DatumGetBool(v[C_TOPUP_MODEL]);
		o->has_capacity = !isnull[C_CAPACITY];
		o->capacity = o->has_capacity ? DatumGetInt32(v[C_CAPACITY]) : 0;
		o->share[CH_RED] = DatumGetFloat8(v[C_SHARE_RED]);
		o->share[CH_YELLOW] = DatumGetFloat8(v[C_SHARE_YELLOW]);
		o->share[CH_BLUE] = DatumGetFloat8(v[C_SHARE_BLUE]);
	}
	return o;
}

/* The first pass's result columns, and the channel labels' OIDs from its ch0 column. */
static void
StartupReceiver(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	Batch	   *b = ((BatchReceiver *) self)->batch;

	/* the types the receiver reads them as (the channel is an enum: its OID is looked up) */
	static const Oid types[N_FIRST_COLUMNS] = {
		TEXTOID, INT8OID, TEXTOID, INT8ARRAYOID, FLOAT8OID, FLOAT8OID, FLOAT8OID, TEXTOID,
		BOOLOID, BOOLOID, BOOLOID, BOOLOID, FLOAT8OID, FLOAT8OID, BOOLOID, InvalidOid,
		INT8OID, INT4OID, FLOAT8OID, FLOAT8OID, FLOAT8OID
	};

	if (typeinfo->natts != N_FIRST_COLUMNS)
		elog(ERROR, "batch_channels(): batch_first_channels() returns %d columns, not %d",
			 typeinfo->natts, N_FIRST_COLUMNS);
	for (int i = 0; i < N_FIRST_COLUMNS; i++)
		if (OidIsValid(types[i]) && TupleDescAttr(typeinfo, i)->atttypid != types[i])
			elog(ERROR, "batch_channels(): column %d of batch_first_channels() has type %u, not %u",
				 i + 1, TupleDescAttr(typeinfo, i)->atttypid, types[i]);
	b->channel_type = TupleDescAttr(typeinfo, C_CH0)->atttypid;
	for (int c = 0; c < CH_COUNT; c++)
		b->channel_oids[c] = DatumGetObjectId(DirectFunctionCall2(enum_in, CStringGetDatum(ChannelLabel(c)),
																  ObjectIdGetDatum(b->channel_type)));
}

static uint8
ChannelOf(Batch *b, Datum d)
{
	Oid			oid = DatumGetObjectId(d);

	for (int c = 0; c < CH_COUNT; c++)
		if (b->channel_oids[c] == oid)
			return (uint8) c;
	elog(ERROR, "batch_channels(): unknown channel %u", oid);
	return CH_GREEN;			/* keep the compiler quiet */
}

/* One declaration of the first pass, kept. */
static bool
ReceiveRow(TupleTableSlot *slot, DestReceiver *self)
{
	Batch	   *b = ((BatchReceiver *) self)->batch;
	Datum	   *v;
	bool	   *isnull;
	BatchRow   *r;
	BatchOffice *of;
	static const int required[] = {C_DECL, C_OFFICE_NO, C_IDS, C_SCORE, C_DRAW, C_HIT, C_BY_MODEL,
	C_RND, C_BY_GRADE, C_CH0, C_VERSION};

	slot_getallattrs(slot);
	v = slot->tts_values;
	isnull = slot->tts_isnull;
	if (isnull[C_DRAW])
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						errmsg("a batch needs the selection secret for its random draws"),
						errhint("Run select_for_day(), which creates it, not batch_channels().")));
	for (int i = 0; i < (int) lengthof(required); i++)
		if (isnull[required[i]])
			elog(ERROR, "batch_channels(): the first pass gave a NULL in column %d", required[i] + 1);
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
	of = OfficeOf(b, DatumGetInt64(v[C_OFFICE_NO]), v, isnull);	/* may move b->offices */
	r->office = (int32) (of - b->offices);
	r->declaration_id = ArenaCopy(b, v[C_DECL]);
	r->ids = ArenaCopy(b, v[C_IDS]);
	r->score = DatumGetFloat8(v[C_SCORE]);
	r->draw = DatumGetFloat8(v[C_DRAW]);
	r->model_score_null = isnull[C_MODEL_SCORE];
	r->model_score = isnull[C_MODEL_SCORE] ? 0 : DatumGetFloat8(v[C_MODEL_SCORE]);
	/* a green of a grade whose draw keeps it out is no top-up candidate */
	r->eligible = isnull[C_RATE_FACTOR] ||
		(!isnull[C_GDRAW] && float8_lt(DatumGetFloat8(v[C_GDRAW]), DatumGetFloat8(v[C_RATE_FACTOR])));
	r->hit = DatumGetBool(v[C_HIT]);
	r->by_model = DatumGetBool(v[C_BY_MODEL]);
	r->rnd = DatumGetBool(v[C_RND]);
	r->by_grade = DatumGetBool(v[C_BY_GRADE]);
	r->ch0 = ChannelOf(b, v[C_CH0]);
	r->channel = r->ch0;
	if (b->nrows == 0)
		b->version = DatumGetInt64(v[C_VERSION]);
	b->nrows++;
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
					false, 1) != SPI_OK_SELECT || SPI_processed != 1)
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

	INSTR_TIME_SET_CURRENT(t);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ReadFirstPass(&b, PG_GETARG_DATUM(0), PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1), PG_ARGISNULL(1));
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
