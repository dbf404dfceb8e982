/*
 * batch_rank.h: a batch's declarations in memory, and their orders for capacity and the top-up.
 */
#ifndef BATCH_RANK_H
#define BATCH_RANK_H

#include "channel.h"

/* One declaration of a batch: its first pass, then what capacity and the top-up made of it. */
typedef struct BatchRow
{
	struct varlena *declaration_id; /* copies, as the first pass gave them */
	struct varlena *ids;
	double		score;
	double		draw;
	double		model_score;
	int32		office;			/* index into the batch's offices */
	bool		model_score_null;
	bool		eligible;		/* may be topped up if green: no grade's draw keeps it out */
	bool		hit;
	bool		by_model;
	bool		rnd;
	bool		by_grade;
	uint8		ch0;			/* the first channel */
	uint8		channel;		/* the final one */
	bool		held;			/* held back by capacity */
	bool		topped;			/* topped up */
} BatchRow;

/* the rows, and whether the office ranks its top-up by model score first */
typedef struct RankContext
{
	const BatchRow *rows;
	bool		by_model;
} RankContext;

/* qsort_arg comparators of row numbers: first is first */
extern int	CapacityOrder(const void *a, const void *b, void *arg);
extern int	TopUpOrder(const void *a, const void *b, void *arg);

extern int32 *GroupByOffice(const BatchRow *rows, int32 nrows, int32 *order, int32 noffices,
							bool (*keep) (const BatchRow *, const void *), const void *arg);

#endif
