/*
 * hscode_core.h: pure logic of the Harmonized System code type.
 *
 * No backend calls, so the parser and ordering can be unit tested and fuzzed
 * outside PostgreSQL (see test/unit/hscode_test.c).
 *
 * Encoding: a code is a 64-bit key  V * 8 + (ndigits / 2 - 1), where V is the
 * code's digits right-padded with zeros to HS_KEY_DIGITS digits.  Comparing
 * keys as integers compares codes as digit strings, so a prefix sorts before
 * its descendants (84 < 8471 < 847130 < 8472) and all descendants of a code
 * form one contiguous key range.  HS_KEY_DIGITS is 12 although input stops at
 * 10, leaving room for longer national lines without changing the order.
 */
#ifndef HSCODE_CORE_H
#define HSCODE_CORE_H

#include <stdbool.h>
#include <stdint.h>

#define HS_MAX_DIGITS 10		/* longest code accepted today */
#define HS_KEY_DIGITS 12		/* digits the key has room for */
#define HS_MAX_TEXT 32			/* longest accepted input text, separators included */

typedef int64_t HsKey;

/* Why an input was rejected; HS_OK when it was not. */
typedef enum HsParseError
{
	HS_OK = 0,
	HS_ERR_EMPTY,				/* nothing but whitespace */
	HS_ERR_BAD_CHAR,			/* not a digit, dot or space */
	HS_ERR_BAD_SEPARATOR,		/* separator not between two-digit groups */
	HS_ERR_BAD_LENGTH,			/* digit count not 2, 4, 6, 8 or 10 */
	HS_ERR_CHAPTER_ZERO,		/* chapter 00 does not exist */
	HS_ERR_TOO_LONG				/* more than HS_MAX_TEXT characters */
} HsParseError;

/* Parse text into a key; on error *errpos is the 1-based character position. */
extern HsParseError hs_parse(const char *str, HsKey *key, int *errpos);

/* Human-readable reason for a parse error. */
extern const char *hs_parse_error_text(HsParseError err);

/* Write the digits of a valid key into buf (at least HS_MAX_DIGITS + 1 bytes). */
extern void hs_format(HsKey key, char *buf);

/* True when the key is one that hs_parse could have produced. */
extern bool hs_key_valid(HsKey key);

/* Build a key from a digit count and the code's digits read as a number. */
extern bool hs_key_from_parts(int ndigits, int64_t digits, HsKey *key);

/* The code's digits read as a number (8471 for '8471'). */
extern int64_t hs_digits_value(HsKey key);

/* Number of digits: 2, 4, 6, 8 or 10. */
extern int	hs_ndigits(HsKey key);

/* The ancestor with ndigits digits; false when the code is shorter. */
extern bool hs_truncate(HsKey key, int ndigits, HsKey *result);

/* All ancestors at once, the code itself included: out[d / 2] for d = 2 .. its digits. */
extern void hs_ancestors(HsKey key, HsKey *out);

/* True when a lies within b (b is a prefix of a, or equal). */
extern bool hs_within(HsKey a, HsKey b);

/* The largest key within b: b padded with nines to HS_MAX_DIGITS digits. */
extern HsKey hs_last_descendant(HsKey b);

/* Chapter number 1..99. */
extern int	hs_chapter_number(HsKey key);

/* WCO section 1..21 of a chapter (77, reserved, falls in XV's range), or 0 for 98 and 99. */
extern int	hs_section_of_chapter(int chapter);

/* First and last chapter of a section; false for an unknown section. */
extern bool hs_section_chapters(int section, int *first, int *last);

#endif							/* HSCODE_CORE_H */
