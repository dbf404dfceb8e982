/*
 * select_first_test.c: cr_select_first puts exactly the k first rows in front, for any k and
 * any arrangement (sorted, reversed, organ pipe, few distinct keys, all keys equal), through
 * quickselect and through its heap-sort fallback.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "select_first_core.h"
#include "tap.h"

/* rows ordered by key, then by row number (the batch's id tie-break): a total order */
static int
by_key(const void *pa, const void *pb, void *arg)
{
	const int32_t *key = arg;
	int32_t		a = *(const int32_t *) pa;
	int32_t		b = *(const int32_t *) pb;

	if (key[a] != key[b])
		return key[a] < key[b] ? -1 : 1;
	return (a > b) - (a < b);
}

static uint64_t rng = 88172645463325252ULL;

static uint32_t
next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t) rng;
}

/* the keys of one arrangement of n rows */
static void
make_keys(int32_t *key, int32_t n, int pattern)
{
	for (int32_t i = 0; i < n; i++)
		switch (pattern)
		{
			case 0: key[i] = (int32_t) (next_random() % 1000000); break;	/* random */
			case 1: key[i] = i; break;	/* sorted */
			case 2: key[i] = n - i; break;	/* reversed */
			case 3: key[i] = i < n / 2 ? i : n - i; break;	/* organ pipe */
			case 4: key[i] = (int32_t) (next_random() % 3); break;	/* few distinct */
			default: key[i] = 7; break; /* all equal: the row number decides */
		}
}

/* a[0..k-1] are the k first: no row after them comes before the last of them, and none repeats */
static int
first_k_in_front(const int32_t *a, int32_t n, int32_t k, int32_t *key)
{
	char	   *seen = calloc(n, 1);
	int32_t		worst = -1;
	int			good = 1;

	for (int32_t i = 0; i < n; i++)
	{
		if (a[i] < 0 || a[i] >= n || seen[a[i]])
			good = 0;
		else
			seen[a[i]] = 1;
	}
	for (int32_t i = 0; i < k; i++)
		if (worst < 0 || by_key(&a[i], &worst, key) > 0)
			worst = a[i];
	for (int32_t i = k; i < n && good && worst >= 0; i++)
		if (by_key(&a[i], &worst, key) < 0)
			good = 0;
	free(seen);
	return good;
}

int
main(void)
{
	static const int32_t sizes[] = {1, 2, 3, 10, 101, 1000, 65537};
	static const char *const patterns[] = {"random", "sorted", "reversed", "organ pipe", "few distinct", "all equal"};
	char		name[200];

	for (int s = 0; s < (int) (sizeof(sizes) / sizeof(sizes[0])); s++)
		for (int p = 0; p < 6; p++)
		{
			int32_t		n = sizes[s];
			int32_t    *key = malloc(sizeof(int32_t) * n);
			int32_t    *a = malloc(sizeof(int32_t) * n);
			int32_t		ks[] = {0, 1, n / 10, n / 2, n - 1, n};
			int			all = 1;
			int			all_fallback = 1;

			make_keys(key, n, p);
			for (int j = 0; j < 6; j++)
			{
				for (int32_t i = 0; i < n; i++)
					a[i] = i;
				cr_select_first(a, n, ks[j], by_key, key);
				all &= first_k_in_front(a, n, ks[j], key);
				/* a budget of one round: the heap sort takes over at once */
				for (int32_t i = 0; i < n; i++)
					a[i] = i;
				cr_select_first_rounds(a, n, ks[j], by_key, key, 1);
				all_fallback &= first_k_in_front(a, n, ks[j], key);
			}
			snprintf(name, sizeof(name), "%d rows, %s: the k first in front for k = 0, 1, n/10, n/2, n-1, n", n, patterns[p]);
			ok(all, name);
			snprintf(name, sizeof(name), "%d rows, %s: the same through the heap-sort fallback", n, patterns[p]);
			ok(all_fallback, name);
			free(key);
			free(a);
		}
	return done_testing();
}
