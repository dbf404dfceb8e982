/*
 * hscode_core.c: parsing, printing, ordering and hierarchy of HS codes.
 *
 * Pure C on purpose: no backend calls (see hscode_core.h).
 */
#include "hscode_core.h"

#include <stddef.h>

#define HS_LEVEL_BITS 3
#define HS_LEVEL_MASK ((HsKey) 7)

/* 10^n for n = 0..HS_KEY_DIGITS */
static const int64_t pow10_table[HS_KEY_DIGITS + 1] = {
	1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL,
	100000000LL, 1000000000LL, 10000000000LL, 100000000000LL, 1000000000000LL
};

/* The 21 WCO sections as chapter ranges (HS 2022 nomenclature). */
static const struct
{
	int			first;
	int			last;
}			section_ranges[21] = {
	{1, 5}, {6, 14}, {15, 15}, {16, 24}, {25, 27}, {28, 38}, {39, 40},
	{41, 43}, {44, 46}, {47, 49}, {50, 63}, {64, 67}, {68, 70}, {71, 71},
	{72, 83}, {84, 85}, {86, 89}, {90, 92}, {93, 93}, {94, 96}, {97, 97}
};

/* Whitespace as the backend's scanner understands it. */
static bool
IsSpace(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

HsParseError
hs_parse(const char *str, HsKey *key, int *errpos)
{
	const char *p = str;
	const char *end;
	int64_t		digits = 0;
	int			ndigits = 0;
	bool		after_separator = false;
	size_t		len = 0;

	*errpos = 0;
	while (str[len] != '\0')
	{
		if (++len > HS_MAX_TEXT)
		{
			*errpos = HS_MAX_TEXT + 1;
			return HS_ERR_TOO_LONG;
		}
	}

	/* Leading and trailing whitespace is ignored, as for the numeric types. */
	while (*p && IsSpace(*p))
		p++;
	end = str + len;
	while (end > p && IsSpace(end[-1]))
		end--;
	if (p == end)
	{
		*errpos = 1;
		return HS_ERR_EMPTY;
	}

	for (; p < end; p++)
	{
		char		c = *p;

		if (c >= '0' && c <= '9')
		{
			if (ndigits == HS_MAX_DIGITS)
			{
				*errpos = (int) (p - str) + 1;
				return HS_ERR_BAD_LENGTH;
			}
			digits = digits * 10 + (c - '0');
			ndigits++;
			after_separator = false;
		}
		else if (c == '.' || c == ' ')
		{
			/* A separator may only close a group of two digits, once. */
			if (ndigits == 0 || ndigits % 2 != 0 || after_separator)
			{
				*errpos = (int) (p - str) + 1;
				return HS_ERR_BAD_SEPARATOR;
			}
			after_separator = true;
		}
		else
		{
			*errpos = (int) (p - str) + 1;
			return HS_ERR_BAD_CHAR;
		}
	}

	if (after_separator)
	{
		*errpos = (int) (end - str);
		return HS_ERR_BAD_SEPARATOR;
	}
	if (ndigits % 2 != 0)
	{
		*errpos = (int) (end - str);
		return HS_ERR_BAD_LENGTH;
	}
	if (digits / pow10_table[ndigits - 2] == 0)
	{
		/* point at the chapter: the first non-space character */
		for (p = str; IsSpace(*p); p++)
			;
		*errpos = (int) (p - str) + 1;
		return HS_ERR_CHAPTER_ZERO;
	}
	hs_key_from_parts(ndigits, digits, key);
	return HS_OK;
}

const char *
hs_parse_error_text(HsParseError err)
{
	switch (err)
	{
		case HS_OK:
			return "no error";
		case HS_ERR_EMPTY:
			return "the code is empty";
		case HS_ERR_BAD_CHAR:
			return "only digits, dots and spaces are allowed";
		case HS_ERR_BAD_SEPARATOR:
			return "a dot or space may only separate groups of two digits";
		case HS_ERR_BAD_LENGTH:
			return "a code has 2, 4, 6, 8 or 10 digits";
		case HS_ERR_CHAPTER_ZERO:
			return "chapter 00 does not exist";
		case HS_ERR_TOO_LONG:
			return "the text is too long for an HS code";
	}
	return "unknown error";
}

bool
hs_key_from_parts(int ndigits, int64_t digits, HsKey *key)
{
	if (ndigits < 2 || ndigits > HS_MAX_DIGITS || ndigits % 2 != 0)
		return false;
	if (digits < 0 || digits >= pow10_table[ndigits])
		return false;
	if (digits / pow10_table[ndigits - 2] == 0)
		return false;
	*key = ((digits * pow10_table[HS_KEY_DIGITS - ndigits]) << HS_LEVEL_BITS)
		| (ndigits / 2 - 1);
	return true;
}

int
hs_ndigits(HsKey key)
{
	return (int) ((key & HS_LEVEL_MASK) + 1) * 2;
}

int64_t
hs_digits_value(HsKey key)
{
	return (key >> HS_LEVEL_BITS) / pow10_table[HS_KEY_DIGITS - hs_ndigits(key)];
}

bool
hs_key_valid(HsKey key)
{
	int64_t		level = key & HS_LEVEL_MASK;
	int64_t		padded;
	int			nd;

	if (key < 0 || level > 4)
		return false;
	nd = (int) (level + 1) * 2;
	padded = key >> HS_LEVEL_BITS;
	if (padded >= pow10_table[HS_KEY_DIGITS])
		return false;
	/* digits beyond the code's length must be zero, and chapter non-zero */
	if (padded % pow10_table[HS_KEY_DIGITS - nd] != 0)
		return false;
	return padded / pow10_table[HS_KEY_DIGITS - 2] != 0;
}

void
hs_format(HsKey key, char *buf)
{
	int			nd = hs_ndigits(key);
	int64_t		v = hs_digits_value(key);
	int			i;

	for (i = nd - 1; i >= 0; i--)
	{
		buf[i] = (char) ('0' + v % 10);
		v /= 10;
	}
	buf[nd] = '\0';
}

bool
hs_truncate(HsKey key, int ndigits, HsKey *result)
{
	int			nd = hs_ndigits(key);

	if (ndigits > nd || ndigits < 2 || ndigits % 2 != 0)
		return false;
	return hs_key_from_parts(ndigits, hs_digits_value(key) / pow10_table[nd - ndigits], result);
}

void
hs_ancestors(HsKey key, HsKey *out)
{
	int			nd = hs_ndigits(key);
	int64_t		padded = key >> HS_LEVEL_BITS;

	for (int d = 2; d <= nd; d += 2)
	{
		int64_t		step = pow10_table[HS_KEY_DIGITS - d];

		out[d / 2] = ((padded / step * step) << HS_LEVEL_BITS) | (d / 2 - 1);
	}
}

bool
hs_within(HsKey a, HsKey b)
{
	int			nb = hs_ndigits(b);
	int64_t		step = pow10_table[HS_KEY_DIGITS - nb];

	if (hs_ndigits(a) < nb)
		return false;
	return (a >> HS_LEVEL_BITS) / step == (b >> HS_LEVEL_BITS) / step;
}

HsKey
hs_last_descendant(HsKey b)
{
	int			nb = hs_ndigits(b);
	int64_t		tail = pow10_table[HS_MAX_DIGITS - nb] - 1;	/* the nines */
	HsKey		result;

	hs_key_from_parts(HS_MAX_DIGITS, hs_digits_value(b) * pow10_table[HS_MAX_DIGITS - nb] + tail,
					  &result);
	return result;
}

int
hs_chapter_number(HsKey key)
{
	return (int) ((key >> HS_LEVEL_BITS) / pow10_table[HS_KEY_DIGITS - 2]);
}

int
hs_section_of_chapter(int chapter)
{
	int			lo = 0;
	int			hi = 20;

	/* binary search over the ordered, gap-free ranges */
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (chapter < section_ranges[mid].first)
			hi = mid - 1;
		else if (chapter > section_ranges[mid].last)
			lo = mid + 1;
		else
			return mid + 1;
	}
	return 0;
}

bool
hs_section_chapters(int section, int *first, int *last)
{
	if (section < 1 || section > 21)
		return false;
	*first = section_ranges[section - 1].first;
	*last = section_ranges[section - 1].last;
	return true;
}
