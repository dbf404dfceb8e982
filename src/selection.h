/*
 * selection.h: the keyed random draws behind random selection (selection.c), for the batch.
 */
#ifndef CUSTOMS_RISK_SELECTION_H
#define CUSTOMS_RISK_SELECTION_H

#include "postgres.h"

/* The key as this statement sees it, or NULL when none has been made yet. */
extern bytea *SelectionKey(void);

/*
 * The draw in [0, 1) of id followed by suffix (NULL for none) under key: random_draw(id) is
 * the draw of id, grade_draw(id) that of id || '#grade'.
 */
extern double SelectionDraw(const bytea *key, const char *id, int idlen, const char *suffix);

#endif							/* CUSTOMS_RISK_SELECTION_H */
