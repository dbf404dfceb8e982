/*
 * tap.h: the few lines of TAP the C unit tests share.  Header-only: each test is one file.
 */
#ifndef CUSTOMS_RISK_TAP_H
#define CUSTOMS_RISK_TAP_H

#include <stdio.h>

static int	tap_tests = 0;
static int	tap_failures = 0;

/* Record one TAP assertion. */
static void
ok(int cond, const char *name)
{
	tap_tests++;
	if (!cond)
		tap_failures++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_tests, name);
}

/* Print the plan and return the exit status. */
static int
done_testing(void)
{
	printf("1..%d\n", tap_tests);
	return tap_failures == 0 ? 0 : 1;
}

#endif							/* CUSTOMS_RISK_TAP_H */
