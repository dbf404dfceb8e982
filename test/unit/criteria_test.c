/*
 * criteria_test.c: unit tests of the criteria compiler, validator, printer and
 * evaluator (no server), TAP output; ends with a fuzz loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "criteria_core.h"
#include "hscode_core.h"


static void NoFree(void *p) { free(p); }
static const CrAllocator mem = {malloc, realloc, NoFree};

/* Compile and print; returns the canonical text or NULL (err filled). */
static char *
Canon(const char *text, CrError *err, CrProgram *prog, void **bytes)
{
	size_t		size;
	void	   *b = cr_compile(text, strlen(text), &mem, &size, err);

	if (b == NULL)
		return NULL;
	if (!cr_validate(b, size, prog, err))
		return NULL;
	*bytes = b;
	return cr_to_text(prog, &mem);
}

static int
RoundTrips(const char *text, const char *expect)
{
	CrError		err;
	CrProgram	p1,
				p2;
	void	   *b1,
			   *b2;
	char	   *c1 = Canon(text, &err, &p1, &b1);
	char	   *c2;

	if (c1 == NULL)
	{
		printf("# %s: %s at %d\n", text, err.message, err.pos);
		return 0;
	}
	c2 = Canon(c1, &err, &p2, &b2);
	if (c2 == NULL || strcmp(c1, c2) != 0 || (expect && strcmp(c1, expect) != 0))
	{
		printf("# got '%s' then '%s'\n", c1, c2 ? c2 : "(error)");
		return 0;
	}
	return 1;
}

static int
Rejects(const char *text, CrErrorKind kind, int pos)
{
	CrError		err;
	size_t		size;
	void	   *b = cr_compile(text, strlen(text), &mem, &size, &err);

	if (b != NULL || err.kind != kind || err.pos != pos)
	{
		printf("# '%s': kind %d pos %d: %s\n", text, err.kind, err.pos, err.message);
		return 0;
	}
	return 1;
}

static int
AlwaysIn(void *ctx, const char *list, int listlen, const char *val, int vallen)
{
	return vallen == 7 && memcmp(val, "QLRUBN9", 7) == 0 && listlen == 9 && memcmp(list, "watchlist", 9) == 0;
}

/* The anchor kind and number of anchoring instructions of a text. */
static int
AnchorOf(const char *text, int *ninstr)
{
	CrError		err;
	CrProgram	p;
	void	   *b;
	CrAnchor	a;

	if (Canon(text, &err, &p, &b) == NULL)
		return -1;
	cr_anchor(&p, &a);
	*ninstr = a.ninstr;
	return a.kind;
}

/* Evaluate text against a line: 8471300000 from CN by air, value 1,500,000, mass 100 kg, importer QLRUBN9. */
static int
Eval(const char *text)
{
	CrError		err;
	CrProgram	p;
	void	   *b;
	CrValue		v[CR_NFIELDS];
	HsKey		k;
	int			pos;

	if (Canon(text, &err, &p, &b) == NULL)
		return -1;
	memset(v, 0, sizeof(v));
	for (int i = 0; i < CR_NFIELDS; i++)
		v[i].isnull = true;
	hs_parse("8471300000", &k, &pos);
	v[CRF_HS].isnull = false, v[CRF_HS].i = k;
	v[CRF_ORIGIN].isnull = false, v[CRF_ORIGIN].s = "CN", v[CRF_ORIGIN].len = 2;
	v[CRF_TRANSPORT].isnull = false, v[CRF_TRANSPORT].s = "air", v[CRF_TRANSPORT].len = 3;
	v[CRF_VALUE].isnull = false, v[CRF_VALUE].f = 1500000;
	v[CRF_NET_MASS].isnull = false, v[CRF_NET_MASS].f = 100;
	v[CRF_UNIT_VALUE].isnull = false, v[CRF_UNIT_VALUE].f = 15000;
	v[CRF_IMPORTER].isnull = false, v[CRF_IMPORTER].s = "QLRUBN9", v[CRF_IMPORTER].len = 7;
	v[CRF_ORIGIN_INDICATOR].isnull = false, v[CRF_ORIGIN_INDICATOR].s = "N", v[CRF_ORIGIN_INDICATOR].len = 1;
	v[CRF_DECLARED_ON].isnull = false, v[CRF_DECLARED_ON].i = 7670;	/* 2021-01-01 */
	return cr_eval(&p, v, AlwaysIn, NULL);
}

int
main(void)
{
	unsigned	seed = 2463534242u;
	int			bad = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);

	ok(RoundTrips("hs <@ 8471 and origin in (CN, VN) and unit_value < 20",
				  "hs <@ 8471 and origin in (CN, VN) and unit_value < 20"), "issue example 1 is canonical and round-trips");
	ok(RoundTrips("importer in list 'watchlist' or (transport = air and value > 1000000 and origin_indicator = N)",
				  "importer in list 'watchlist' or (transport = air and value > 1000000 and origin_indicator = N)"),
	   "issue example 2 is canonical and round-trips");
	ok(RoundTrips("HS <@ 8471 AND Origin = CN", "hs <@ 8471 and origin = CN"), "field names and keywords are case-insensitive");
	ok(RoundTrips("hs<@8471.30 AND origin IN (VN,CN,CN) Or NOT transport='AIR'",
				  "(hs <@ 847130 and origin in (CN, VN)) or not transport = air"), "keywords fold, lists sort and de-duplicate");
	ok(RoundTrips("(a_b)", NULL) == 0, "unknown field in parentheses");
	ok(RoundTrips("value between 10 and 20.5 and declared_on >= '2021-01-01' and seller is null and courier is not null",
				  "value between 10 and 20.5 and declared_on >= 2021-01-01 and seller is null and courier is not null"),
	   "between, dates, is null");
	ok(RoundTrips("not (hs <@ (85, 8471) or tax_rate <> 0.1)", "not (hs <@ (8471, 85) or tax_rate <> 0.1)"),
	   "not over a parenthesised or; <@ over a list");
	ok(RoundTrips("a_b = 1", NULL) == 0, "unknown field");
	ok(RoundTrips("importer = 'in' or importer = 'O''Brien'", "importer = 'in' or importer = 'O''Brien'"),
	   "keywords and quotes inside codes are quoted");
	ok(RoundTrips("origin = IN or origin in (IS, CN) or departure = 'IN'", "origin = IN or origin in (CN, IS) or departure = IN"),
	   "country codes that spell keywords (India, Iceland) are values where a value must come");
	ok(RoundTrips("(origin = CN or origin = VN) and (hs <@ 61 or hs <@ 62)",
				  "(origin = CN or origin = VN) and (hs <@ 61 or hs <@ 62)"), "parentheses kept where needed");
	ok(RoundTrips("origin = CN and (hs <@ 61 and value > 5)", "origin = CN and (hs <@ 61 and value > 5)"),
	   "the grouping written is the grouping kept");
	ok(RoundTrips("((origin = CN)) and ((value > 5))", "origin = CN and value > 5"), "redundant parentheses go");

	ok(Rejects("", CR_ERR_SYNTAX, 1), "empty");
	ok(Rejects("hs", CR_ERR_SYNTAX, 3), "field without operator");
	ok(Rejects("hs <@", CR_ERR_SYNTAX, 6), "operator without value");
	ok(Rejects("hs <@ 847", CR_ERR_VALUE, 7), "bad HS literal");
	ok(Rejects("value <@ 8471", CR_ERR_VALUE, 7), "<@ on a number");
	ok(Rejects("origin < CN", CR_ERR_VALUE, 8), "< on a country");
	ok(Rejects("origin = cn", CR_ERR_VALUE, 10), "lower-case country");
	ok(Rejects("transport = boat", CR_ERR_VALUE, 13), "unknown transport");
	ok(Rejects("value > abc", CR_ERR_VALUE, 9), "number expected");
	ok(Rejects("value > 1e999", CR_ERR_VALUE, 9), "infinite number");
	ok(Rejects("value > NaN", CR_ERR_VALUE, 9), "NaN");
	ok(Rejects("declared_on > 2021-02-30", CR_ERR_VALUE, 15), "impossible date");
	ok(Rejects("hs <@ 8471 and", CR_ERR_SYNTAX, 15), "dangling and");
	ok(Rejects("hs <@ 8471 origin = CN", CR_ERR_SYNTAX, 12), "missing and");
	ok(Rejects("(hs <@ 8471", CR_ERR_SYNTAX, 12), "unclosed parenthesis");
	ok(Rejects("hs <@ 8471)", CR_ERR_SYNTAX, 11), "extra parenthesis");
	ok(Rejects("origin in (CN,", CR_ERR_SYNTAX, 15), "unfinished list");
	ok(Rejects("origin in ()", CR_ERR_SYNTAX, 12), "empty list");
	ok(Rejects("importer in list watchlist", CR_ERR_SYNTAX, 18), "list name must be quoted");
	ok(Rejects("value in list 'x'", CR_ERR_VALUE, 7), "in list on a number");
	ok(Rejects("importer = 'unterminated", CR_ERR_SYNTAX, 12), "unterminated string");
	ok(Rejects("value between 5 and 1", CR_ERR_VALUE, 21), "between bounds reversed");
	ok(Rejects("value between 5 or 1", CR_ERR_SYNTAX, 17), "between without and");
	ok(Rejects("seller is nothing", CR_ERR_SYNTAX, 11), "is without null");
	ok(Rejects("hs ; drop table x", CR_ERR_SYNTAX, 4), "a semicolon is no operator");
	ok(Rejects("not", CR_ERR_SYNTAX, 4), "not alone");
	ok(Rejects("and hs <@ 84", CR_ERR_SYNTAX, 1), "leading and");
	ok(Rejects("origin not CN", CR_ERR_SYNTAX, 12), "not without in");
	{
		char		deep[400];
		int			n = 0;

		for (int i = 0; i < 100; i++)
			deep[n++] = '(';
		strcpy(deep + n, "hs <@ 84");
		ok(Rejects(deep, CR_ERR_LIMIT, CR_MAX_DEPTH + 1), "nesting deeper than the limit");
		n = 0;
		for (int i = 0; i < CR_MAX_DEPTH; i++)
			deep[n++] = '(';
		n += sprintf(deep + n, "hs <@ 84");
		for (int i = 0; i < CR_MAX_DEPTH; i++)
			deep[n++] = ')';
		deep[n] = '\0';
		ok(RoundTrips(deep, "hs <@ 84"), "nesting as deep as the limit, in brackets");
		n = 0;
		for (int i = 0; i < CR_MAX_DEPTH; i++)
			n += sprintf(deep + n, "not ");
		strcpy(deep + n, "hs <@ 84");
		ok(RoundTrips(deep, NULL) && Eval(deep) == 1, "... and in nots (an even number: true as without them)");
	}

	ok(Eval("hs <@ 8471 and origin in (CN, VN) and unit_value < 20") == 0, "example 1 is false for a dear line");
	ok(Eval("hs <@ 8471 and origin in (CN, VN) and unit_value > 20") == 1, "and true");
	ok(Eval("importer in list 'watchlist' or (transport = air and value > 1000000 and origin_indicator = N)") == 1,
	   "example 2 is true");
	ok(Eval("seller = X") == 2, "comparison with NULL is unknown");
	ok(Eval("not seller = X") == 2, "not unknown is unknown");
	ok(Eval("seller = X or hs <@ 84") == 1, "unknown or true is true");
	ok(Eval("seller = X and hs <@ 85") == 0, "unknown and false is false");
	ok(Eval("seller is null and courier is null") == 1, "is null");
	ok(Eval("hs <@ (85, 8471, 9503)") == 1 && Eval("hs <@ (85, 847131)") == 0, "<@ any of a list");
	ok(Eval("declared_on between 2020-12-31 and 2021-01-01") == 1, "date between");
	ok(Eval("importer not in list 'watchlist'") == 0, "not in list");
	ok(RoundTrips("value > 4.9406564584124654e-324", "value > 5e-324"), "a subnormal number reads back, shortest form");
	{
		int			n = 0;

		ok(AnchorOf("importer = A or importer in (B, C)", &n) == CR_ANCHOR_CODES && n == 2,
		   "an or of equalities on one field anchors on its values");
		ok(AnchorOf("hs <@ 84 or hs = 8517", &n) == CR_ANCHOR_HS && n == 2, "an or of HS codes anchors on them");
		ok(AnchorOf("importer = A or origin = CN", &n) == CR_ANCHOR_NONE, "an or over two fields cannot anchor");
		ok(AnchorOf("(importer = A or importer = B) and value > 5", &n) == CR_ANCHOR_CODES && n == 2,
		   "a trader disjunction outranks a range");
		ok(AnchorOf("hs <@ 84 and origin = CN", &n) == CR_ANCHOR_HS && n == 1, "a chapter outranks an origin");
		ok(AnchorOf("not importer = A", &n) == CR_ANCHOR_NONE, "a negation cannot anchor");
	}
	{
		/* many quoted strings: memory stays proportional to the text, not to its square */
		static char big[CR_MAX_TEXT];
		int			n = 0;
		CrError		err;
		size_t		size;

		n += snprintf(big + n, sizeof(big) - n, "importer in (");
		/* 9,000 codes of some 110 bytes: the text limit nearly reached, the list limit not */
		for (int i = 0; i < 9000 && n < (int) sizeof(big) - 160; i++)
			n += snprintf(big + n, sizeof(big) - n, "'%0100d%08d',", 0, i);
		big[n - 1] = ')';
		big[n] = '\0';
		ok(n > (int) sizeof(big) * 9 / 10 && cr_compile(big, strlen(big), &mem, &size, &err) != NULL,
		   "a text of quoted codes near the length limit compiles without blowing up");
	}

	/* Every single-byte corruption of a stored form is caught or still valid. */
	{
		CrError		err;
		CrProgram	p;
		size_t		size;
		const char *text = "hs <@ (8471, 85) and origin in (CN, VN) and value between 1 and 2";
		unsigned char *b = cr_compile(text, strlen(text), &mem, &size, &err);
		int			crashes = 0;

		for (size_t i = 0; b && i < size; i++)
			for (int bit = 0; bit < 8; bit++)
			{
				b[i] ^= (unsigned char) (1 << bit);
				if (cr_validate(b, size, &p, &err))
				{
					char	   *t = cr_to_text(&p, &mem);

					if (t == NULL)
						crashes++;
					free(t);
				}
				else if (err.kind != CR_ERR_CORRUPT)
					crashes++;
				b[i] ^= (unsigned char) (1 << bit);
			}
		if (b == NULL || crashes != 0 || cr_validate(b, size - 1, &p, &err))
			printf("# b=%p crashes=%d size=%zu\n", (void *) b, crashes, size);
		ok(b != NULL && crashes == 0 && !cr_validate(b, size - 1, &p, &err), "bit flips in a stored form never crash; truncation is caught");
	}

	/* Fuzz: random token soup compiles or fails with a position inside the text. */
	for (int i = 0; i < 100000; i++)
	{
		static const char *const words[] = {"hs", "origin", "value", "and", "or", "not", "(", ")", "<@", "=",
			"in", "list", "'w'", "8471", "CN", ",", "between", "1", "is", "null", "<", "air", "transport", "'"};
		char		text[400];
		int			n = 0,
					len = (int) ((seed = seed * 1103515245u + 12345u) >> 16) % 12;
		CrError		err;
		CrProgram	p;
		size_t		size;
		void	   *b;

		text[0] = '\0';
		for (int j = 0; j < len; j++)
		{
			seed = seed * 1103515245u + 12345u;
			n += snprintf(text + n, sizeof(text) - n, "%s ", words[(seed >> 16) % (sizeof(words) / sizeof(words[0]))]);
		}
		b = cr_compile(text, strlen(text), &mem, &size, &err);
		if (b == NULL)
		{
			if (err.kind == CR_ERR_NONE || err.pos < 1 || err.pos > (int) strlen(text) + 1)
				bad++;
		}
		else if (!cr_validate(b, size, &p, &err))
			bad++;
		else
		{
			char	   *t = cr_to_text(&p, &mem);
			size_t		size2;
			void	   *b2 = cr_compile(t, strlen(t), &mem, &size2, &err);

			if (b2 == NULL || size2 != size || memcmp(b, b2, size) != 0)
				bad++;
		}
	}
	ok(bad == 0, "fuzz: 100000 random texts fail with a position or round-trip to identical bytes");

	return done_testing();
}
