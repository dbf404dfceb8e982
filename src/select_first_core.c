/*
 * select_first_core.c: puts the k first of a[0..n-1] (by cmp, a total order) in a[0..k-1], in no
 * particular order.  A batch's top-up takes about a tenth of an office's would-be greens; sorting
 * them all cost several times more than choosing the tenth and sorting only that.
 *
 * Quickselect with a median-of-three pivot, linear on average.  After a budget of rounds
 * (three times log2 n: each round should about halve the range) what is left is heap-sorted
 * instead, so no input can make it quadratic.
 */
#include "select_first_core.h"

static inline void
swap_rows(int32_t *a, int32_t i, int32_t j)
{
	int32_t		t = a[i];

	a[i] = a[j];
	a[j] = t;
}

static void
sift_down(int32_t *a, int32_t root, int32_t n, cr_row_cmp cmp, void *arg)
{
	for (;;)
	{
		int32_t		child = 2 * root + 1;

		if (child >= n)
			return;
		if (child + 1 < n && cmp(&a[child], &a[child + 1], arg) < 0)
			child++;
		if (cmp(&a[root], &a[child], arg) >= 0)
			return;
		swap_rows(a, root, child);
		root = child;
	}
}

/* the whole of a[0..n-1] in order: the fallback */
static void
heap_sort(int32_t *a, int32_t n, cr_row_cmp cmp, void *arg)
{
	for (int32_t i = n / 2 - 1; i >= 0; i--)
		sift_down(a, i, n, cmp, arg);
	for (int32_t end = n - 1; end > 0; end--)
	{
		swap_rows(a, 0, end);
		sift_down(a, 0, end, cmp, arg);
	}
}

void
cr_select_first(int32_t *a, int32_t n, int32_t k, cr_row_cmp cmp, void *arg)
{
	int			budget = 4;

	for (int32_t m = n; m > 1; m /= 2)
		budget += 3;
	cr_select_first_rounds(a, n, k, cmp, arg, budget);
}

/* the same within a given number of quickselect rounds (the unit tests try small ones) */
void
cr_select_first_rounds(int32_t *a, int32_t n, int32_t k, cr_row_cmp cmp, void *arg, int budget)
{
	int32_t		lo = 0;
	int32_t		hi = n - 1;
	int			rounds = 0;

	if (k <= 0 || k >= n)
		return;
	while (lo < hi)
	{
		int32_t		mid = lo + (hi - lo) / 2;
		int32_t		pivot;
		int32_t		i = lo;
		int32_t		j = hi;

		if (++rounds > budget)
		{
			heap_sort(a + lo, hi - lo + 1, cmp, arg);
			return;
		}
		/* the median of three as the pivot; it also keeps both scans inside lo..hi */
		if (cmp(&a[mid], &a[lo], arg) < 0)
			swap_rows(a, lo, mid);
		if (cmp(&a[hi], &a[lo], arg) < 0)
			swap_rows(a, lo, hi);
		if (cmp(&a[hi], &a[mid], arg) < 0)
			swap_rows(a, mid, hi);
		pivot = a[mid];
		while (i <= j)
		{
			while (cmp(&a[i], &pivot, arg) < 0)
				i++;
			while (cmp(&a[j], &pivot, arg) > 0)
				j--;
			if (i <= j)
			{
				swap_rows(a, i, j);
				i++;
				j--;
			}
		}
		/* now a[lo..j] <= pivot <= a[i..hi], and what lies between equals the pivot */
		if (k - 1 <= j)
			hi = j;
		else if (k - 1 >= i)
			lo = i;
		else
			return;
	}
}
