/*
 * batch.h: a batch in memory (select_for_day()), shared by its two halves: batch_read.c reads
 * the policies and the day's lines and decides each declaration's first channel;
 * batch_channels.c applies capacity and the top-up, logs and sums up.
 */
#ifndef CUSTOMS_RISK_BATCH_H
#define CUSTOMS_RISK_BATCH_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"

#include "batch_rank.h"
#include "text_index.h"

/* An optional number of the policies: SQL's NULL is no bound, and compares false. */
typedef struct MaybeDouble
{
	bool		isnull;
	double		value;
} MaybeDouble;

/* A customs house of the batch: its policy, then its counts. */
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

/* A batch: its declarations, offices and grades, and what reading them needs. */
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
	ArrayType  *pending_ids;	/* a copy, in a buffer of ids_buf_size bytes kept from one to the next */
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

/* A copy of varlena d in the batch's arena. */
extern struct varlena *ArenaCopy(Batch *b, Datum d);

/*
 * The day's declarations (of one office, unless office_null) into b->rows, each with its
 * first channel, and b->offices with their policies: all read in the caller's snapshot.
 */
extern void BatchRead(Batch *b, Datum day, Datum office, bool office_null);

#endif							/* CUSTOMS_RISK_BATCH_H */
