/*
 * hscode_test.c: unit tests of the pure HS code core (no server), TAP output.
 * Also a cheap fuzz: random byte strings never crash the parser, and every
 * string it accepts prints back to a string that parses to the same key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "hscode_core.h"


/* xorshift32: a small deterministic generator, the same on every platform. */
static unsigned
NextRandom(unsigned *state)
{
	unsigned	x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

/* Parse or die trying: the key of a text known to be valid. */
static HsKey
K(const char *s)
{
	HsKey		k = -1;
	int			pos;

	if (hs_parse(s, &k, &pos) != HS_OK)
	{
		printf("Bail out! '%s' did not parse\n", s);
		exit(1);
	}
	return k;
}

/* True when s prints as expect. */
static int
prints_as(const char *s, const char *expect)
{
	char		buf[HS_MAX_DIGITS + 1];

	hs_format(K(s), buf);
	return strcmp(buf, expect) == 0;
}

/* True when s is rejected with err at position pos. */
static int
rejects(const char *s, HsParseError err, int pos)
{
	HsKey		k;
	int			p;

	return hs_parse(s, &k, &p) == err && p == pos;
}

int
main(void)
{
	const char *accepted[] = {"84", "8471", "847130", "84713000", "8471300000",
	"8471.30", "8471.30.00.00", "8471 30 00 00", "  8471 ", "01", "0101.21"};
	char		buf[64];
	unsigned	seed = 12345;
	int			i,
				crashes_or_mismatch = 0,
				accepted_count = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* a crash still leaves every result printed */

	for (i = 0; i < (int) (sizeof(accepted) / sizeof(accepted[0])); i++)
	{
		HsKey		k;
		int			pos;

		snprintf(buf, sizeof(buf), "accepts '%s'", accepted[i]);
		ok(hs_parse(accepted[i], &k, &pos) == HS_OK && hs_key_valid(k), buf);
	}
	ok(prints_as("8471.30.00.00", "8471300000"), "prints digits only");
	ok(prints_as("0101", "0101"), "keeps the leading zero");

	ok(rejects("", HS_ERR_EMPTY, 1), "empty is rejected");
	ok(rejects("   ", HS_ERR_EMPTY, 1), "blank is rejected");
	ok(rejects("847", HS_ERR_BAD_LENGTH, 3), "odd length is rejected at its end");
	ok(rejects("847130000000", HS_ERR_BAD_LENGTH, 11), "12 digits are rejected at the 11th");
	ok(rejects("84a1", HS_ERR_BAD_CHAR, 3), "a letter is rejected where it is");
	ok(rejects("-8471", HS_ERR_BAD_CHAR, 1), "a sign is rejected");
	ok(rejects("8.471", HS_ERR_BAD_SEPARATOR, 2), "a separator inside a pair is rejected");
	ok(rejects("8471..30", HS_ERR_BAD_SEPARATOR, 6), "a double separator is rejected");
	ok(rejects("8471.", HS_ERR_BAD_SEPARATOR, 5), "a trailing separator is rejected");
	ok(rejects("0012", HS_ERR_CHAPTER_ZERO, 1), "chapter 00 is rejected");
	ok(rejects("123456789012345678901234567890123", HS_ERR_TOO_LONG, HS_MAX_TEXT + 1),
	   "over-long text is rejected");

	ok(K("84") < K("8471") && K("8471") < K("847130") && K("847130") < K("8472"),
	   "a prefix sorts before its descendants: 84 < 8471 < 847130 < 8472");
	ok(K("8499") < K("85") && K("85") < K("8500"), "8499 < 85 < 8500");
	ok(K("8471.30") == K("847130"), "separators do not change the code");
	ok(hs_within(K("847130"), K("8471")) && hs_within(K("8471"), K("8471")), "within: descendant and self");
	ok(!hs_within(K("8471"), K("847130")) && !hs_within(K("8472"), K("8471")), "within: not ancestor, not sibling");
	ok(hs_last_descendant(K("8471")) == K("8471999999"), "last descendant of 8471 is 8471999999");
	ok(hs_last_descendant(K("99")) == K("9999999999"), "last descendant of 99 is 9999999999");
	ok(hs_chapter_number(K("0101.21")) == 1 && hs_chapter_number(K("97")) == 97, "chapter numbers");
	ok(hs_section_of_chapter(1) == 1 && hs_section_of_chapter(15) == 3 && hs_section_of_chapter(85) == 16 &&
	   hs_section_of_chapter(97) == 21 && hs_section_of_chapter(98) == 0, "sections of chapters");
	{
		HsKey		h;

		ok(hs_truncate(K("8471300000"), 4, &h) && h == K("8471") && !hs_truncate(K("84"), 4, &h),
		   "truncate to a heading");
	}
	ok(!hs_key_valid(K("8471") + 8) && !hs_key_valid(-1) && !hs_key_valid(K("84") | 7),
	   "malformed keys are detected");

	/* fuzz: random strings over a small alphabet */
	for (i = 0; i < 200000; i++)
	{
		static const char alphabet[] = "0123456789. \ta-+";
		char		s[20];
		int			len = (int) (NextRandom(&seed) % 16),
					j,
					pos;
		HsKey		k,
					k2;

		for (j = 0; j < len; j++)
			s[j] = alphabet[NextRandom(&seed) % (sizeof(alphabet) - 1)];
		s[len] = '\0';
		if (hs_parse(s, &k, &pos) == HS_OK)
		{
			accepted_count++;
			hs_format(k, buf);
			if (!hs_key_valid(k) || hs_parse(buf, &k2, &pos) != HS_OK || k2 != k)
				crashes_or_mismatch++;
		}
		else if (pos < 1 || pos > HS_MAX_TEXT + 1)
			crashes_or_mismatch++;
	}
	ok(crashes_or_mismatch == 0 && accepted_count > 0,
	   "fuzz: 200000 random strings, accepted ones round-trip, rejected ones have a position");

	return done_testing();
}
