/*
 * select_first_core.h: the k first of an array of row numbers, by a caller's order.  No
 * PostgreSQL dependencies, so the C unit tests exercise it directly.
 */
#ifndef SELECT_FIRST_CORE_H
#define SELECT_FIRST_CORE_H

#include <stdint.h>

typedef int (*cr_row_cmp) (const void *a, const void *b, void *arg);

extern void cr_select_first(int32_t *a, int32_t n, int32_t k, cr_row_cmp cmp, void *arg);
extern void cr_select_first_rounds(int32_t *a, int32_t n, int32_t k, cr_row_cmp cmp, void *arg, int budget);

#endif
