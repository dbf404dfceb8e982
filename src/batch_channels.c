/*
 * batch_channels.c: batch_channels(day, office), the body of select_for_day().
 *
 * batch_read.c reads the day's declarations with their first channels.  Here inspections
 * past an office's capacity are held back and the would-be-greens ranked for the top-up, in
 * memory; and the log's INSERT reads the decisions from a tuplestore, as an ephemeral named
 * relation, so the log is still written by an ordinary INSERT under the caller's rights and
 * policies.  The log's rows spill past work_mem.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/queryenvironment.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "batch.h"
#include "select_first_core.h"
#include "selection.h"

/* what set a decision's channel: decision_log.selected_by, in the order the log names it */
enum
{
	BY_RANDOM, BY_CAPACITY, BY_TOPUP, BY_GRADE, BY_PROFILE, BY_MODEL, BY_GREEN, BY_COUNT
};
static const char *const selected_by_names[BY_COUNT] = {
	"batch-random", "batch-capacity", "batch-topup", "batch-grade", "batch-profile", "batch-model", "batch-green"
};

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

/* The owner of customs_risk.decision_log. */
static Oid
LogOwner(void)
{
	Oid			relid = get_relname_relid("decision_log", get_namespace_oid("customs_risk", false));
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "customs_risk.decision_log is missing");
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
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
	Oid			save_user;
	int			save_sec;
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

	/*
	 * Logged as the log's owner: no analyst may insert into decision_log, so that every row is
	 * one the extension computed (here from what the caller may read, for a day and an office
	 * it names, nothing else).  The caller's identity is restored at the end, and by the
	 * (sub)transaction's abort on an error.
	 */
	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(LogOwner(), save_sec | SECURITY_LOCAL_USERID_CHANGE);
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
	SetUserIdAndSecContext(save_user, save_sec);
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
	BatchRead(&b, PG_GETARG_DATUM(0), PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1), PG_ARGISNULL(1));
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
