/*
 * criteria_core.c: compiler, validator, evaluator and printer of targeting
 * criteria.  Pure C (see criteria_core.h); the grammar is
 *
 *   expr      := and_expr ('or' and_expr)*
 *   and_expr  := unary ('and' unary)*
 *   unary     := 'not' unary | '(' expr ')' | predicate
 *   predicate := field cmp literal              cmp: = <> != < <= > >=
 *              | field 'between' literal 'and' literal
 *              | field ['not'] 'in' '(' literal (',' literal)* ')'
 *              | field ['not'] 'in' 'list' string
 *              | field '<@' literal | field '<@' '(' literal (',' literal)* ')'
 *              | field 'is' ['not'] 'null'
 *
 * Keywords are case-insensitive; a literal is a bare word or a quoted string.
 */
#include "criteria_core.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hscode_core.h"

static const struct
{
	const char *name;
	CrType		type;
}			fields[CR_NFIELDS] = {
	{"declaration_id", CR_CODE}, {"declared_on", CR_DATE}, {"office", CR_CODE},
	{"district", CR_CODE}, {"importer", CR_CODE}, {"declarant", CR_CODE},
	{"seller", CR_CODE}, {"courier", CR_CODE}, {"process_type", CR_CODE},
	{"import_type", CR_CODE}, {"import_use", CR_CODE}, {"payment_type", CR_CODE},
	{"transport", CR_TRANSPORT}, {"departure", CR_COUNTRY}, {"hs", CR_HS},
	{"origin", CR_COUNTRY}, {"origin_indicator", CR_CODE}, {"tax_type", CR_CODE},
	{"tax_rate", CR_NUMBER}, {"net_mass", CR_NUMBER}, {"value", CR_NUMBER},
	{"unit_value", CR_NUMBER}, {"duty", CR_NUMBER}, {"model_score", CR_NUMBER}
};

static const char *const transport_labels[] = {"sea", "rail", "road", "air", "mail", "other"};

static const char *const keywords[] = {"and", "or", "not", "in", "list", "between", "is", "null"};

const char *
cr_field_name(int field)
{
	return (field >= 0 && field < CR_NFIELDS) ? fields[field].name : NULL;
}

CrType
cr_field_type(int field)
{
	return fields[field].type;
}

const char *
cr_transport_label(int mode)
{
	return (mode >= 0 && mode < 6) ? transport_labels[mode] : NULL;
}

/* ------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------ */

/* Record the first error; later ones are ignored. */
#ifdef __GNUC__
static void SetError(CrError *err, CrErrorKind kind, int pos, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));
#endif
static void
SetError(CrError *err, CrErrorKind kind, int pos, const char *fmt,...)
{
	va_list		ap;

	if (err->kind != CR_ERR_NONE)
		return;
	err->kind = kind;
	err->pos = pos;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------------
 * Lexer
 * ------------------------------------------------------------------------ */

typedef enum TokKind
{
	TK_END, TK_WORD, TK_STRING, TK_LPAREN, TK_RPAREN, TK_COMMA,
	TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE, TK_WITHIN, TK_BAD
} TokKind;

typedef struct Token
{
	TokKind		kind;
	int			pos;			/* 1-based byte offset */
	const char *start;			/* WORD: the text; STRING: inside the quotes */
	int			len;
	char	   *unquoted;		/* STRING: '' folded to ' */
} Token;

typedef struct Builder
{
	const CrAllocator *mem;
	CrError    *err;
	const char *text;
	size_t		textlen;
	size_t		at;				/* lexer position */
	Token		tok;			/* current token */
	int			depth;
	CrInstr    *instr;
	int			ninstr,
				maxinstr;
	int64_t    *slots;
	int			nslots,
				maxslots;
	char	   *strings;
	int			strbytes,
				maxstr;
	uint32_t	fieldmask;
} Builder;

static bool
IsWordChar(char c)
{
	return isalnum((unsigned char) c) || c == '_' || c == '.' || c == '-' || c == '+' || c == ':';
}

/* Advance to the next token. */
static void
NextToken(Builder *b)
{
	const char *t = b->text;
	size_t		n = b->textlen;
	Token	   *tok = &b->tok;

	while (b->at < n && isspace((unsigned char) t[b->at]))
		b->at++;
	tok->pos = (int) b->at + 1;
	tok->start = t + b->at;
	tok->len = 0;
	tok->unquoted = NULL;
	if (b->at >= n)
	{
		tok->kind = TK_END;
		return;
	}
	switch (t[b->at])
	{
		case '(':
			tok->kind = TK_LPAREN;
			b->at++;
			return;
		case ')':
			tok->kind = TK_RPAREN;
			b->at++;
			return;
		case ',':
			tok->kind = TK_COMMA;
			b->at++;
			return;
		case '=':
			tok->kind = TK_EQ;
			b->at++;
			return;
		case '!':
			if (b->at + 1 < n && t[b->at + 1] == '=')
			{
				tok->kind = TK_NE;
				b->at += 2;
				return;
			}
			break;
		case '<':
			b->at++;
			tok->kind = TK_LT;
			if (b->at < n && t[b->at] == '=')
				tok->kind = TK_LE, b->at++;
			else if (b->at < n && t[b->at] == '>')
				tok->kind = TK_NE, b->at++;
			else if (b->at < n && t[b->at] == '@')
				tok->kind = TK_WITHIN, b->at++;
			return;
		case '>':
			b->at++;
			tok->kind = TK_GT;
			if (b->at < n && t[b->at] == '=')
				tok->kind = TK_GE, b->at++;
			return;
		case '\'':
			{
				size_t		i = b->at + 1;
				size_t		end = i;
				int			out = 0;
				char	   *buf;

				/* find the closing quote first, so the buffer is no longer than the string */
				while (end < n && (t[end] != '\'' || (end + 1 < n && t[end + 1] == '\'')))
					end += t[end] == '\'' ? 2 : 1;
				buf = b->mem->alloc(end - b->at + 1);
				for (;;)
				{
					if (i >= n)
					{
						SetError(b->err, CR_ERR_SYNTAX, tok->pos, "unterminated quoted string");
						tok->kind = TK_BAD;
						return;
					}
					if (t[i] == '\'')
					{
						if (i + 1 < n && t[i + 1] == '\'')
						{
							buf[out++] = '\'';
							i += 2;
							continue;
						}
						break;
					}
					if (t[i] == '\0')
					{
						SetError(b->err, CR_ERR_SYNTAX, (int) i + 1, "NUL byte in a quoted string");
						tok->kind = TK_BAD;
						return;
					}
					buf[out++] = t[i++];
				}
				buf[out] = '\0';
				tok->kind = TK_STRING;
				tok->unquoted = buf;
				tok->len = out;
				b->at = i + 1;
				return;
			}
		default:
			if (IsWordChar(t[b->at]))
			{
				size_t		i = b->at;

				while (i < n && IsWordChar(t[i]))
					i++;
				tok->kind = TK_WORD;
				tok->len = (int) (i - b->at);
				b->at = i;
				return;
			}
			break;
	}
	SetError(b->err, CR_ERR_SYNTAX, tok->pos, "unexpected character \"%c\"",
			 isprint((unsigned char) t[b->at]) ? t[b->at] : '?');
	tok->kind = TK_BAD;
}

/* Bytes of s to show in a message: at most max, never cutting a UTF-8 sequence. */
static int
ClipLen(const char *s, int len, int max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char) s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

/* True when the current token is the given keyword. */
static bool
IsKeyword(const Token *tok, const char *kw)
{
	size_t		kl = strlen(kw);

	if (tok->kind != TK_WORD || (size_t) tok->len != kl)
		return false;
	for (size_t i = 0; i < kl; i++)
		if (tolower((unsigned char) tok->start[i]) != kw[i])
			return false;
	return true;
}

static bool
IsAnyKeyword(const char *s, int len)
{
	Token		tok = {TK_WORD, 0, s, len, NULL};

	for (size_t k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++)
		if (IsKeyword(&tok, keywords[k]))
			return true;
	return false;
}

/* Describe the current token for "at or near" messages. */
static void
NearText(const Token *tok, char *buf, size_t size)
{
	if (tok->kind == TK_END)
		snprintf(buf, size, "end of input");
	else if (tok->kind == TK_STRING)
		snprintf(buf, size, "\"'%.*s'\"", ClipLen(tok->unquoted, tok->len, 40), tok->unquoted);
	else
	{
		int			len = tok->kind == TK_WORD ? tok->len : 1;

		if (tok->kind == TK_LE || tok->kind == TK_GE || tok->kind == TK_WITHIN ||
			(tok->kind == TK_NE))
			len = 2;
		snprintf(buf, size, "\"%.*s\"", ClipLen(tok->start, len, 40), tok->start);
	}
}

static void
SyntaxError(Builder *b, const char *expected)
{
	char		near[64];

	NearText(&b->tok, near, sizeof(near));
	SetError(b->err, CR_ERR_SYNTAX, b->tok.pos, "syntax error at or near %s: expected %s", near, expected);
}

/* ------------------------------------------------------------------------
 * Program builder
 * ------------------------------------------------------------------------ */

static bool
Emit(Builder *b, int op, int field, int nslots, int slot)
{
	if (b->ninstr >= CR_MAX_INSTR)
	{
		SetError(b->err, CR_ERR_LIMIT, b->tok.pos, "criteria are too long: more than %d operations", CR_MAX_INSTR);
		return false;
	}
	if (b->ninstr == b->maxinstr)
	{
		b->maxinstr *= 2;
		b->instr = b->mem->realloc(b->instr, sizeof(CrInstr) * b->maxinstr);
	}
	b->instr[b->ninstr].op = (uint8_t) op;
	b->instr[b->ninstr].field = (uint8_t) field;
	b->instr[b->ninstr].reserved = 0;
	b->instr[b->ninstr].nslots = (uint32_t) nslots;
	b->instr[b->ninstr].slot = (uint32_t) slot;
	b->ninstr++;
	return true;
}

static int
AddSlot(Builder *b, int64_t v)
{
	if (b->nslots == b->maxslots)
	{
		b->maxslots *= 2;
		b->slots = b->mem->realloc(b->slots, sizeof(int64_t) * b->maxslots);
	}
	b->slots[b->nslots] = v;
	return b->nslots++;
}

/* Store a string; the slot value packs its offset and length. */
static int64_t
AddString(Builder *b, const char *s, int len)
{
	int			off;

	while (b->strbytes + len > b->maxstr)
	{
		b->maxstr *= 2;
		b->strings = b->mem->realloc(b->strings, b->maxstr);
	}
	off = b->strbytes;
	memcpy(b->strings + off, s, len);
	b->strbytes += len;
	return ((int64_t) off << 32) | (uint32_t) len;
}

/* ------------------------------------------------------------------------
 * Literals
 * ------------------------------------------------------------------------ */

/* Days since 2000-01-01 of a proleptic Gregorian date (as PostgreSQL's date). */
static int64_t
DaysFromCivil(int y, int m, int d)
{
	int			era;
	unsigned	yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned) (y - era * 400);
	doy = (unsigned) ((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int64_t) era * 146097 + (int64_t) doe - 719468 - 10957;
}

/* The inverse of DaysFromCivil. */
static void
CivilFromDays(int64_t days, int *y, int *m, int *d)
{
	int64_t		z = days + 719468 + 10957;
	int64_t		era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned	doe = (unsigned) (z - era * 146097);
	unsigned	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned	mp = (5 * doy + 2) / 153;

	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = (int) (yoe + era * 400 + (*m <= 2));
}

static bool
ParseDate(const char *s, int len, int64_t *days)
{
	int			y,
				m,
				d;
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char) s[i]))
			return false;
	y = atoi(s);
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1)
		return false;
	if (d > mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
		return false;
	*days = DaysFromCivil(y, m, d);
	return true;
}

/* A code: printable, no control characters, bounded. */
static bool
ValidCode(const char *s, int len)
{
	if (len < 1 || len > CR_MAX_STRING)
		return false;
	for (int i = 0; i < len; i++)
		if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/*
 * Parse the current token as a literal for a field type into a slot value.
 * Returns false (with the error set) when the token is no such literal.
 */
static bool
ParseLiteral(Builder *b, CrType type, const char *fieldname, int64_t *out)
{
	Token	   *tok = &b->tok;
	const char *s;
	int			len;
	char		buf[CR_MAX_STRING + 1];

	/* where a value must come, a keyword is a value: origin = IN is India */
	if (tok->kind == TK_STRING)
		s = tok->unquoted, len = tok->len;
	else if (tok->kind == TK_WORD)
		s = tok->start, len = tok->len;
	else
	{
		SyntaxError(b, "a value");
		return false;
	}
	if (len > CR_MAX_STRING)
	{
		SetError(b->err, CR_ERR_VALUE, tok->pos, "value for %s is longer than %d bytes", fieldname, CR_MAX_STRING);
		return false;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';

	switch (type)
	{
		case CR_HS:
			{
				HsKey		key;
				int			pos;
				HsParseError e = hs_parse(buf, &key, &pos);

				if (e != HS_OK)
				{
					SetError(b->err, CR_ERR_VALUE, tok->pos, "invalid HS code \"%s\" for %s: %s",
							 buf, fieldname, hs_parse_error_text(e));
					return false;
				}
				*out = key;
				return true;
			}
		case CR_NUMBER:
			{
				char	   *end;
				double		v;

				errno = 0;
				v = strtod(buf, &end);

				/*
				 * Decimal only (strtod also reads hexadecimal); ERANGE also flags subnormal
				 * results, which are fine, but not overflow, nor underflow to 0 (as float8 input)
				 */
				if (len == 0 || *end != '\0' || !isfinite(v) || (errno == ERANGE && (fabs(v) >= 1.0 || v == 0)) ||
					strspn(buf, "0123456789.eE+-") != (size_t) len ||
					!(isdigit((unsigned char) buf[0]) || buf[0] == '-' || buf[0] == '.'))
				{
					SetError(b->err, CR_ERR_VALUE, tok->pos, "%s takes a finite decimal number within the range of float8, not \"%s\"", fieldname, buf);
					return false;
				}
				if (v == 0)
					v = 0;		/* fold -0 */
				memcpy(out, &v, sizeof(v));
				return true;
			}
		case CR_DATE:
			if (!ParseDate(buf, len, out))
			{
				SetError(b->err, CR_ERR_VALUE, tok->pos, "%s takes a date written YYYY-MM-DD (1900 to 2200), not \"%s\"",
						 fieldname, buf);
				return false;
			}
			return true;
		case CR_COUNTRY:
			if (len != 2 || !isupper((unsigned char) buf[0]) || !isupper((unsigned char) buf[1]))
			{
				SetError(b->err, CR_ERR_VALUE, tok->pos, "%s takes a two-letter ISO 3166-1 code in capitals, not \"%s\"",
						 fieldname, buf);
				return false;
			}
			*out = AddString(b, buf, len);
			return true;
		case CR_TRANSPORT:
			for (int i = 0; i < 6; i++)
			{
				int			j;

				if ((size_t) len != strlen(transport_labels[i]))
					continue;
				for (j = 0; j < len && tolower((unsigned char) buf[j]) == transport_labels[i][j]; j++)
					;
				if (j == len)
				{
					*out = AddString(b, transport_labels[i], len);
					return true;
				}
			}
			SetError(b->err, CR_ERR_VALUE, tok->pos,
					 "%s is one of sea, rail, road, air, mail, other, not \"%s\"", fieldname, buf);
			return false;
		case CR_CODE:
			if (!ValidCode(buf, len))
			{
				SetError(b->err, CR_ERR_VALUE, tok->pos, "invalid code for %s", fieldname);
				return false;
			}
			*out = AddString(b, buf, len);
			return true;
	}
	return false;
}

/* Order of two slot values of a type (numbers, keys and dates numerically, strings bytewise). */
static int
CompareSlots(const char *strings, CrType type, int64_t a, int64_t b)
{
	if (type == CR_NUMBER)
	{
		double		x,
					y;

		memcpy(&x, &a, sizeof(x));
		memcpy(&y, &b, sizeof(y));
		return x < y ? -1 : x > y;
	}
	if (type == CR_HS || type == CR_DATE)
		return a < b ? -1 : a > b;
	{
		int			la = (int) (a & 0xffffffff),
					lb = (int) (b & 0xffffffff);
		int			c = memcmp(strings + (a >> 32), strings + (b >> 32), la < lb ? la : lb);

		return c != 0 ? c : (la > lb) - (la < lb);
	}
}

/* Sort a run of slots (insertion sort is fine: lists are short, and this runs once). */
static int
SortUnique(const char *strings, CrType type, int64_t *v, int n)
{
	int			out = 0;

	for (int i = 1; i < n; i++)
	{
		int64_t		x = v[i];
		int			j = i - 1;

		while (j >= 0 && CompareSlots(strings, type, v[j], x) > 0)
		{
			v[j + 1] = v[j];
			j--;
		}
		v[j + 1] = x;
	}
	for (int i = 0; i < n; i++)
		if (out == 0 || CompareSlots(strings, type, v[out - 1], v[i]) != 0)
			v[out++] = v[i];
	return out;
}

/* ------------------------------------------------------------------------
 * Parser
 * ------------------------------------------------------------------------ */

static bool ParseOr(Builder *b);

/* Parse '(' literal, ... ')' into consecutive sorted, de-duplicated slots. */
static bool
ParseLiteralList(Builder *b, CrType type, const char *fieldname, int *first, int *count)
{
	int			start = b->nslots;
	int			n;

	if (b->tok.kind != TK_LPAREN)
	{
		SyntaxError(b, "\"(\"");
		return false;
	}
	NextToken(b);
	for (;;)
	{
		int64_t		v;

		if (b->nslots - start >= CR_MAX_LIST)
		{
			SetError(b->err, CR_ERR_LIMIT, b->tok.pos, "a list has more than %d values", CR_MAX_LIST);
			return false;
		}
		if (!ParseLiteral(b, type, fieldname, &v))
			return false;
		AddSlot(b, v);
		NextToken(b);
		if (b->tok.kind == TK_COMMA)
		{
			NextToken(b);
			continue;
		}
		if (b->tok.kind == TK_RPAREN)
			break;
		SyntaxError(b, "\",\" or \")\"");
		return false;
	}
	n = SortUnique(b->strings, type, b->slots + start, b->nslots - start);
	b->nslots = start + n;
	*first = start;
	*count = n;
	return true;
}

/* Which operators a type supports. */
static bool
OpAllowed(CrType type, int op)
{
	switch (op)
	{
		case CR_OP_LT:
		case CR_OP_LE:
		case CR_OP_GT:
		case CR_OP_GE:
		case CR_OP_BETWEEN:
			return type == CR_NUMBER || type == CR_DATE;
		case CR_OP_WITHIN:
			return type == CR_HS;
		case CR_OP_IN_LIST:
		case CR_OP_NOT_IN_LIST:
			return type == CR_CODE || type == CR_COUNTRY || type == CR_HS;
		default:
			return true;
	}
}

static const char *
OpName(int op)
{
	switch (op)
	{
		case CR_OP_EQ: return "=";
		case CR_OP_NE: return "<>";
		case CR_OP_LT: return "<";
		case CR_OP_LE: return "<=";
		case CR_OP_GT: return ">";
		case CR_OP_GE: return ">=";
		case CR_OP_BETWEEN: return "between";
		case CR_OP_IN: return "in";
		case CR_OP_NOT_IN: return "not in";
		case CR_OP_WITHIN: return "<@";
		case CR_OP_IN_LIST: return "in list";
		case CR_OP_NOT_IN_LIST: return "not in list";
		case CR_OP_IS_NULL: return "is null";
		case CR_OP_IS_NOT_NULL: return "is not null";
		case CR_OP_AND: return "and";
		case CR_OP_OR: return "or";
		case CR_OP_NOT: return "not";
	}
	return "?";
}

static const char *
TypeName(CrType type)
{
	switch (type)
	{
		case CR_HS: return "an HS code";
		case CR_CODE: return "a code";
		case CR_COUNTRY: return "a country";
		case CR_TRANSPORT: return "a transport mode";
		case CR_NUMBER: return "a number";
		case CR_DATE: return "a date";
	}
	return "?";
}

/* predicate := field operator literal(s) */
static bool
ParsePredicate(Builder *b)
{
	int			field = -1;
	int			fieldpos = b->tok.pos;
	int			op;
	int			oppos;
	CrType		type;
	const char *fname;
	int64_t		v;
	int			first,
				count;

	if (b->tok.kind != TK_WORD || IsAnyKeyword(b->tok.start, b->tok.len))
	{
		SyntaxError(b, "a field name, \"not\" or \"(\"");
		return false;
	}
	/* field names are case-insensitive, as unquoted SQL identifiers are */
	for (int i = 0; i < CR_NFIELDS && field < 0; i++)
		if ((size_t) b->tok.len == strlen(fields[i].name) &&
			strncasecmp(b->tok.start, fields[i].name, b->tok.len) == 0)
			field = i;
	if (field < 0)
	{
		SetError(b->err, CR_ERR_VALUE, fieldpos, "unknown field \"%.*s\"", ClipLen(b->tok.start, b->tok.len, 60),
				 b->tok.start);
		return false;
	}
	type = fields[field].type;
	fname = fields[field].name;
	b->fieldmask |= (uint32_t) 1 << field;
	NextToken(b);
	oppos = b->tok.pos;

	switch (b->tok.kind)
	{
		case TK_EQ: op = CR_OP_EQ; break;
		case TK_NE: op = CR_OP_NE; break;
		case TK_LT: op = CR_OP_LT; break;
		case TK_LE: op = CR_OP_LE; break;
		case TK_GT: op = CR_OP_GT; break;
		case TK_GE: op = CR_OP_GE; break;
		case TK_WITHIN: op = CR_OP_WITHIN; break;
		default:
			if (IsKeyword(&b->tok, "between"))
				op = CR_OP_BETWEEN;
			else if (IsKeyword(&b->tok, "is"))
			{
				NextToken(b);
				op = CR_OP_IS_NULL;
				if (IsKeyword(&b->tok, "not"))
				{
					op = CR_OP_IS_NOT_NULL;
					NextToken(b);
				}
				if (!IsKeyword(&b->tok, "null"))
				{
					SyntaxError(b, "\"null\"");
					return false;
				}
				NextToken(b);
				return Emit(b, op, field, 0, 0);
			}
			else if (IsKeyword(&b->tok, "in") || IsKeyword(&b->tok, "not"))
			{
				bool		negated = IsKeyword(&b->tok, "not");

				if (negated)
				{
					NextToken(b);
					if (!IsKeyword(&b->tok, "in"))
					{
						SyntaxError(b, "\"in\"");
						return false;
					}
				}
				NextToken(b);
				if (IsKeyword(&b->tok, "list"))
				{
					op = negated ? CR_OP_NOT_IN_LIST : CR_OP_IN_LIST;
					if (!OpAllowed(type, op))
					{
						SetError(b->err, CR_ERR_VALUE, oppos, "operator %s does not apply to %s (%s)",
								 OpName(op), fname, TypeName(type));
						return false;
					}
					NextToken(b);
					if (b->tok.kind != TK_STRING)
					{
						SyntaxError(b, "a quoted list name");
						return false;
					}
					if (!ValidCode(b->tok.unquoted, b->tok.len))
					{
						SetError(b->err, CR_ERR_VALUE, b->tok.pos, "invalid list name");
						return false;
					}
					v = AddString(b, b->tok.unquoted, b->tok.len);
					NextToken(b);
					return Emit(b, op, field, 1, AddSlot(b, v));
				}
				op = negated ? CR_OP_NOT_IN : CR_OP_IN;
				if (!ParseLiteralList(b, type, fname, &first, &count))
					return false;
				NextToken(b);
				return Emit(b, op, field, count, first);
			}
			else
			{
				SyntaxError(b, "an operator (=, <>, <, <=, >, >=, <@, between, in, not in, is)");
				return false;
			}
	}
	if (!OpAllowed(type, op))
	{
		SetError(b->err, CR_ERR_VALUE, oppos, "operator %s does not apply to %s (%s)", OpName(op), fname,
				 TypeName(type));
		return false;
	}
	NextToken(b);
	if (op == CR_OP_WITHIN && b->tok.kind == TK_LPAREN)
	{
		if (!ParseLiteralList(b, type, fname, &first, &count))
			return false;
		NextToken(b);
		return Emit(b, op, field, count, first);
	}
	if (!ParseLiteral(b, type, fname, &v))
		return false;
	first = AddSlot(b, v);
	NextToken(b);
	if (op == CR_OP_BETWEEN)
	{
		if (!IsKeyword(&b->tok, "and"))
		{
			SyntaxError(b, "\"and\"");
			return false;
		}
		NextToken(b);
		if (!ParseLiteral(b, type, fname, &v))
			return false;
		AddSlot(b, v);
		if (CompareSlots(b->strings, type, b->slots[first], v) > 0)
		{
			SetError(b->err, CR_ERR_VALUE, b->tok.pos, "the lower bound of between is above the upper bound");
			return false;
		}
		NextToken(b);
		return Emit(b, op, field, 2, first);
	}
	return Emit(b, op, field, 1, first);
}

/* unary := 'not' unary | '(' expr ')' | predicate; each 'not' and '(' is a level of nesting */
static bool
ParseUnary(Builder *b)
{
	bool		ok;
	bool		nests = IsKeyword(&b->tok, "not") || b->tok.kind == TK_LPAREN;

	if (nests && ++b->depth > CR_MAX_DEPTH)
	{
		SetError(b->err, CR_ERR_LIMIT, b->tok.pos, "criteria are nested more than %d deep", CR_MAX_DEPTH);
		return false;
	}
	if (IsKeyword(&b->tok, "not"))
	{
		NextToken(b);
		ok = ParseUnary(b) && Emit(b, CR_OP_NOT, 0, 0, 0);
	}
	else if (b->tok.kind == TK_LPAREN)
	{
		NextToken(b);
		ok = ParseOr(b);
		if (ok && b->tok.kind != TK_RPAREN)
		{
			SyntaxError(b, "\")\"");
			ok = false;
		}
		if (ok)
			NextToken(b);
	}
	else
		ok = ParsePredicate(b);
	b->depth -= nests;
	return ok;
}

/* and_expr := unary ('and' unary)* */
static bool
ParseAnd(Builder *b)
{
	if (!ParseUnary(b))
		return false;
	while (IsKeyword(&b->tok, "and"))
	{
		NextToken(b);
		if (!ParseUnary(b) || !Emit(b, CR_OP_AND, 0, 0, 0))
			return false;
	}
	return true;
}

/* expr := and_expr ('or' and_expr)* */
static bool
ParseOr(Builder *b)
{
	if (!ParseAnd(b))
		return false;
	while (IsKeyword(&b->tok, "or"))
	{
		NextToken(b);
		if (!ParseAnd(b) || !Emit(b, CR_OP_OR, 0, 0, 0))
			return false;
	}
	return true;
}

void *
cr_compile(const char *text, size_t len, const CrAllocator *mem, size_t *size, CrError *err)
{
	Builder		b;
	CrHeader	h;
	char	   *out;
	size_t		total;

	memset(err, 0, sizeof(*err));
	if (len > CR_MAX_TEXT)
	{
		SetError(err, CR_ERR_LIMIT, 0, "criteria text is longer than %d bytes", CR_MAX_TEXT);
		return NULL;
	}
	memset(&b, 0, sizeof(b));
	b.mem = mem;
	b.err = err;
	b.text = text;
	b.textlen = len;
	b.maxinstr = 16;
	b.instr = mem->alloc(sizeof(CrInstr) * b.maxinstr);
	b.maxslots = 16;
	b.slots = mem->alloc(sizeof(int64_t) * b.maxslots);
	b.maxstr = 256;
	b.strings = mem->alloc(b.maxstr);

	NextToken(&b);
	if (b.tok.kind == TK_END)
		SetError(err, CR_ERR_SYNTAX, 1, "criteria are empty");
	else if (ParseOr(&b) && b.tok.kind != TK_END)
		SyntaxError(&b, "\"and\", \"or\" or the end");
	if (err->kind != CR_ERR_NONE)
		return NULL;

	h.version = CR_FORMAT_VERSION;
	h.flags = 0;
	h.ninstr = (uint16_t) b.ninstr;
	h.nslots = (uint32_t) b.nslots;
	h.strbytes = (uint32_t) b.strbytes;
	h.fieldmask = b.fieldmask;
	total = sizeof(h) + sizeof(CrInstr) * b.ninstr + sizeof(int64_t) * b.nslots + b.strbytes;
	out = mem->alloc(total);
	memcpy(out, &h, sizeof(h));
	memcpy(out + sizeof(h), b.instr, sizeof(CrInstr) * b.ninstr);
	memcpy(out + sizeof(h) + sizeof(CrInstr) * b.ninstr, b.slots, sizeof(int64_t) * b.nslots);
	memcpy(out + sizeof(h) + sizeof(CrInstr) * b.ninstr + sizeof(int64_t) * b.nslots, b.strings, b.strbytes);
	*size = total;
	return out;
}

/* ------------------------------------------------------------------------
 * Validation of a stored form
 * ------------------------------------------------------------------------ */

/* Check that one literal slot is well formed for its type. */
static bool
SlotValid(const CrProgram *p, CrType type, int64_t v, bool list_name)
{
	if (list_name || type == CR_CODE || type == CR_COUNTRY || type == CR_TRANSPORT)
	{
		uint64_t	off = (uint64_t) v >> 32;
		uint32_t	len = (uint32_t) (v & 0xffffffff);
		const char *s;

		if (off > p->header->strbytes || len > p->header->strbytes - off)
			return false;
		s = p->strings + off;
		if (!ValidCode(s, (int) len))
			return false;
		if (list_name || type == CR_CODE)
			return true;
		if (type == CR_COUNTRY)
			return len == 2 && isupper((unsigned char) s[0]) && isupper((unsigned char) s[1]);
		for (int i = 0; i < 6; i++)
			if (strlen(transport_labels[i]) == len && memcmp(s, transport_labels[i], len) == 0)
				return true;
		return false;
	}
	if (type == CR_HS)
		return hs_key_valid(v);
	if (type == CR_NUMBER)
	{
		double		f;

		memcpy(&f, &v, sizeof(f));
		return isfinite(f);
	}
	return v >= DaysFromCivil(1900, 1, 1) && v <= DaysFromCivil(2200, 12, 31);
}

bool
cr_validate(const void *data, size_t size, CrProgram *prog, CrError *err)
{
	const char *bytes = data;
	CrHeader	h;
	size_t		need;
	int			depth = 0;
	uint32_t	mask = 0;

	memset(err, 0, sizeof(*err));
	if (size < sizeof(CrHeader))
		goto corrupt;
	memcpy(&h, bytes, sizeof(h));
	if (h.version != CR_FORMAT_VERSION || h.flags != 0 || h.ninstr == 0 || h.ninstr > CR_MAX_INSTR)
		goto corrupt;
	need = sizeof(h) + sizeof(CrInstr) * (size_t) h.ninstr + sizeof(int64_t) * (size_t) h.nslots + h.strbytes;
	if (need != size || h.nslots > size || h.strbytes > size)
		goto corrupt;
	/* The varlena payload is int-aligned; instructions and slots are read through memcpy-safe pointers. */
	prog->header = (const CrHeader *) bytes;
	prog->instr = (const CrInstr *) (bytes + sizeof(h));
	prog->slots = (const int64_t *) (bytes + sizeof(h) + sizeof(CrInstr) * h.ninstr);
	prog->strings = bytes + sizeof(h) + sizeof(CrInstr) * h.ninstr + sizeof(int64_t) * h.nslots;

	for (int i = 0; i < h.ninstr; i++)
	{
		CrInstr		in;

		memcpy(&in, prog->instr + i, sizeof(in));
		if (in.op < CR_OP_AND || in.op > CR_OP_LAST || in.reserved != 0)
			goto corrupt;
		if (in.op == CR_OP_AND || in.op == CR_OP_OR)
		{
			if (depth < 2 || in.field || in.nslots || in.slot)
				goto corrupt;
			depth--;
			continue;
		}
		if (in.op == CR_OP_NOT)
		{
			if (depth < 1 || in.field || in.nslots || in.slot)
				goto corrupt;
			continue;
		}
		if (in.field >= CR_NFIELDS || !OpAllowed(fields[in.field].type, in.op))
			goto corrupt;
		if (in.slot > h.nslots || in.nslots > h.nslots - in.slot)
			goto corrupt;
		switch (in.op)
		{
			case CR_OP_IS_NULL:
			case CR_OP_IS_NOT_NULL:
				if (in.nslots != 0 || in.slot != 0)
					goto corrupt;
				break;
			case CR_OP_BETWEEN:
				if (in.nslots != 2)
					goto corrupt;
				{
					int64_t		lo,
								hi;

					memcpy(&lo, prog->slots + in.slot, sizeof(lo));
					memcpy(&hi, prog->slots + in.slot + 1, sizeof(hi));
					if (SlotValid(prog, fields[in.field].type, lo, false) &&
						SlotValid(prog, fields[in.field].type, hi, false) &&
						CompareSlots(prog->strings, fields[in.field].type, lo, hi) > 0)
						goto corrupt;
				}
				break;
			case CR_OP_IN:
			case CR_OP_NOT_IN:
			case CR_OP_WITHIN:
				if (in.nslots < 1 || in.nslots > CR_MAX_LIST)
					goto corrupt;
				break;
			default:
				if (in.nslots != 1)
					goto corrupt;
		}
		for (uint32_t k = 0; k < in.nslots; k++)
		{
			int64_t		v;

			memcpy(&v, prog->slots + in.slot + k, sizeof(v));
			if (!SlotValid(prog, fields[in.field].type, v,
						   in.op == CR_OP_IN_LIST || in.op == CR_OP_NOT_IN_LIST))
				goto corrupt;
			/* lists must be sorted and unique, as binary search relies on it */
			if (k > 0 && in.op != CR_OP_BETWEEN)
			{
				int64_t		prev;

				memcpy(&prev, prog->slots + in.slot + k - 1, sizeof(prev));
				if (CompareSlots(prog->strings, fields[in.field].type, prev, v) >= 0)
					goto corrupt;
			}
		}
		mask |= (uint32_t) 1 << in.field;
		if (++depth > CR_MAX_INSTR)
			goto corrupt;
	}
	if (depth != 1 || mask != h.fieldmask)
		goto corrupt;
	return true;

corrupt:
	SetError(err, CR_ERR_CORRUPT, 0, "invalid stored criteria");
	return false;
}

/* ------------------------------------------------------------------------
 * Evaluation
 * ------------------------------------------------------------------------ */

#define T_FALSE 0
#define T_TRUE 1
#define T_NULL 2

static int64_t
Slot(const CrProgram *p, uint32_t i)
{
	int64_t		v;

	memcpy(&v, p->slots + i, sizeof(v));
	return v;
}

/* Compare a row value with a slot of its field's type. */
static int
CompareValue(const CrProgram *p, CrType type, const CrValue *val, int64_t slot)
{
	if (type == CR_NUMBER)
	{
		double		y;

		memcpy(&y, &slot, sizeof(y));
		return val->f < y ? -1 : val->f > y;
	}
	if (type == CR_HS || type == CR_DATE)
		return val->i < slot ? -1 : val->i > slot;
	{
		int			lb = (int) (slot & 0xffffffff);
		int			c = memcmp(val->s, p->strings + (slot >> 32), val->len < lb ? val->len : lb);

		return c != 0 ? c : (val->len > lb) - (val->len < lb);
	}
}

/* Binary search of a sorted run of slots. */
static bool
InSorted(const CrProgram *p, CrType type, const CrValue *val, uint32_t first, uint32_t n)
{
	uint32_t	lo = 0,
				hi = n;

	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo) / 2;
		int			c = CompareValue(p, type, val, Slot(p, first + mid));

		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/* Within any of a sorted run of HS codes: the candidates are the code's own ancestors. */
static bool
WithinAny(const CrProgram *p, HsKey key, uint32_t first, uint32_t n)
{
	HsKey		anc[HS_MAX_DIGITS / 2 + 1];

	if (n == 1)
		return hs_within(key, Slot(p, first));
	hs_ancestors(key, anc);
	for (int d = 1; d <= hs_ndigits(key) / 2; d++)
	{
		CrValue		v;

		v.i = anc[d];
		if (InSorted(p, CR_HS, &v, first, n))
			return true;
	}
	return false;
}

static int
EvalLeaf(const CrProgram *p, const CrInstr *in, const CrValue *values, CrListLookup lookup, void *ctx)
{
	const CrValue *val = &values[in->field];
	CrType		type = fields[in->field].type;
	int			c;

	if (in->op == CR_OP_IS_NULL)
		return val->isnull ? T_TRUE : T_FALSE;
	if (in->op == CR_OP_IS_NOT_NULL)
		return val->isnull ? T_FALSE : T_TRUE;
	if (val->isnull)
		return T_NULL;
	switch (in->op)
	{
		case CR_OP_EQ:
			return CompareValue(p, type, val, Slot(p, in->slot)) == 0;
		case CR_OP_NE:
			return CompareValue(p, type, val, Slot(p, in->slot)) != 0;
		case CR_OP_LT:
			return CompareValue(p, type, val, Slot(p, in->slot)) < 0;
		case CR_OP_LE:
			return CompareValue(p, type, val, Slot(p, in->slot)) <= 0;
		case CR_OP_GT:
			return CompareValue(p, type, val, Slot(p, in->slot)) > 0;
		case CR_OP_GE:
			return CompareValue(p, type, val, Slot(p, in->slot)) >= 0;
		case CR_OP_BETWEEN:
			c = CompareValue(p, type, val, Slot(p, in->slot));
			return c >= 0 && CompareValue(p, type, val, Slot(p, in->slot + 1)) <= 0;
		case CR_OP_IN:
			return InSorted(p, type, val, in->slot, in->nslots);
		case CR_OP_NOT_IN:
			return !InSorted(p, type, val, in->slot, in->nslots);
		case CR_OP_WITHIN:
			return WithinAny(p, val->i, in->slot, in->nslots);
		case CR_OP_IN_LIST:
		case CR_OP_NOT_IN_LIST:
			{
				int64_t		s = Slot(p, in->slot);
				char		buf[HS_MAX_DIGITS + 1];
				const char *v = val->s;
				int			vlen = val->len;
				int			r;

				if (type == CR_HS)
				{
					hs_format(val->i, buf);
					v = buf;
					vlen = (int) strlen(buf);
				}
				r = lookup(ctx, p->strings + (s >> 32), (int) (s & 0xffffffff), v, vlen);
				return in->op == CR_OP_IN_LIST ? r != 0 : r == 0;
			}
	}
	return T_NULL;
}

int
cr_eval(const CrProgram *p, const CrValue *values, CrListLookup lookup, void *ctx)
{
	uint8_t		stack[CR_MAX_INSTR];
	int			sp = 0;

	for (int i = 0; i < p->header->ninstr; i++)
	{
		const CrInstr *in = &p->instr[i];
		int			a,
					b;

		switch (in->op)
		{
			case CR_OP_AND:
				b = stack[--sp];
				a = stack[sp - 1];
				stack[sp - 1] = (a == T_FALSE || b == T_FALSE) ? T_FALSE :
					(a == T_TRUE && b == T_TRUE) ? T_TRUE : T_NULL;
				break;
			case CR_OP_OR:
				b = stack[--sp];
				a = stack[sp - 1];
				stack[sp - 1] = (a == T_TRUE || b == T_TRUE) ? T_TRUE :
					(a == T_FALSE && b == T_FALSE) ? T_FALSE : T_NULL;
				break;
			case CR_OP_NOT:
				a = stack[sp - 1];
				stack[sp - 1] = a == T_NULL ? T_NULL : !a;
				break;
			default:
				stack[sp++] = (uint8_t) EvalLeaf(p, in, values, lookup, ctx);
		}
	}
	return stack[0];
}

/* ------------------------------------------------------------------------
 * Canonical text
 * ------------------------------------------------------------------------ */

typedef struct Out
{
	const CrAllocator *mem;
	char	   *buf;
	size_t		len,
				cap;
} Out;

static void
Put(Out *o, const char *s, size_t n)
{
	while (o->len + n + 1 > o->cap)
	{
		o->cap *= 2;
		o->buf = o->mem->realloc(o->buf, o->cap);
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void
PutS(Out *o, const char *s)
{
	Put(o, s, strlen(s));
}

/* A code bare when it lexes back as one word and is no keyword, else quoted. */
static void
PutCode(Out *o, const char *s, int len, bool force_quote)
{
	bool		bare = !force_quote && len > 0 && !IsAnyKeyword(s, len);

	for (int i = 0; bare && i < len; i++)
		if (!(isalnum((unsigned char) s[i]) || s[i] == '_' || (i > 0 && (s[i] == '-' || s[i] == '.'))))
			bare = false;
	if (bare)
	{
		Put(o, s, len);
		return;
	}
	Put(o, "'", 1);
	for (int i = 0; i < len; i++)
	{
		if (s[i] == '\'')
			Put(o, "'", 1);
		Put(o, s + i, 1);
	}
	Put(o, "'", 1);
}

static void
PutLiteral(Out *o, const CrProgram *p, CrType type, int64_t v)
{
	char		buf[64];

	switch (type)
	{
		case CR_HS:
			hs_format(v, buf);
			PutS(o, buf);
			return;
		case CR_NUMBER:
			{
				double		f;

				memcpy(&f, &v, sizeof(f));
				/* whole numbers plainly; others as the shortest text that reads back the same */
				if (f == floor(f) && fabs(f) < 1e15)
					snprintf(buf, sizeof(buf), "%.0f", f);
				else
					for (int prec = 1; prec <= 17; prec++)
					{
						snprintf(buf, sizeof(buf), "%.*g", prec, f);
						if (strtod(buf, NULL) == f)
							break;
					}
				PutS(o, buf);
				return;
			}
		case CR_DATE:
			{
				int			y,
							m,
							d;

				CivilFromDays(v, &y, &m, &d);
				snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
				PutS(o, buf);
				return;
			}
		case CR_COUNTRY:
			/* two capitals, always bare: IN and IS are countries, not keywords, here */
			Put(o, p->strings + (v >> 32), (size_t) (v & 0xffffffff));
			return;
		default:
			PutCode(o, p->strings + (v >> 32), (int) (v & 0xffffffff), false);
	}
}

/*
 * Print the subtree ending at instruction i.  Brackets keep the grouping that
 * was written, and an "and" inside an "or" is always bracketed: analysts should
 * not need the precedence table to read a profile.
 */
static void
PrintNode(Out *o, const CrProgram *p, const int *start, int i, int parent_op, bool is_right)
{
	const CrInstr *in = &p->instr[i];
	bool		paren = false;

	if (in->op == CR_OP_OR)
		paren = parent_op == CR_OP_AND || parent_op == CR_OP_NOT || (parent_op == CR_OP_OR && is_right);
	else if (in->op == CR_OP_AND)
		paren = parent_op == CR_OP_NOT || parent_op == CR_OP_OR || (parent_op == CR_OP_AND && is_right);
	if (paren)
		PutS(o, "(");
	if (in->op == CR_OP_AND || in->op == CR_OP_OR)
	{
		int			right = i - 1;
		int			left = start[right] - 1;

		PrintNode(o, p, start, left, in->op, false);
		PutS(o, in->op == CR_OP_AND ? " and " : " or ");
		PrintNode(o, p, start, right, in->op, true);
	}
	else if (in->op == CR_OP_NOT)
	{
		PutS(o, "not ");
		PrintNode(o, p, start, i - 1, CR_OP_NOT, false);
	}
	else
	{
		CrType		type = fields[in->field].type;

		PutS(o, fields[in->field].name);
		PutS(o, " ");
		PutS(o, OpName(in->op));
		switch (in->op)
		{
			case CR_OP_IS_NULL:
			case CR_OP_IS_NOT_NULL:
				break;
			case CR_OP_BETWEEN:
				PutS(o, " ");
				PutLiteral(o, p, type, Slot(p, in->slot));
				PutS(o, " and ");
				PutLiteral(o, p, type, Slot(p, in->slot + 1));
				break;
			case CR_OP_IN_LIST:
			case CR_OP_NOT_IN_LIST:
				{
					int64_t		s = Slot(p, in->slot);

					PutS(o, " ");
					PutCode(o, p->strings + (s >> 32), (int) (s & 0xffffffff), true);
					break;
				}
			case CR_OP_IN:
			case CR_OP_NOT_IN:
			case CR_OP_WITHIN:
				if (in->op != CR_OP_WITHIN || in->nslots > 1)
				{
					PutS(o, " (");
					for (uint32_t k = 0; k < in->nslots; k++)
					{
						if (k > 0)
							PutS(o, ", ");
						PutLiteral(o, p, type, Slot(p, in->slot + k));
					}
					PutS(o, ")");
					break;
				}
				/* FALLTHROUGH */
			default:
				PutS(o, " ");
				PutLiteral(o, p, type, Slot(p, in->slot));
		}
	}
	if (paren)
		PutS(o, ")");
}

char *
cr_to_text(const CrProgram *p, const CrAllocator *mem)
{
	Out			o;
	int			n = p->header->ninstr;
	int		   *start = mem->alloc(sizeof(int) * n);
	int		   *stack = mem->alloc(sizeof(int) * n);
	int			sp = 0;

	/* start[i]: the first instruction of the subtree that instruction i closes */
	for (int i = 0; i < n; i++)
	{
		int			op = p->instr[i].op;

		if (op == CR_OP_AND || op == CR_OP_OR)
		{
			sp--;
			start[i] = stack[sp - 1];
			stack[sp - 1] = start[i];
		}
		else if (op == CR_OP_NOT)
			start[i] = stack[sp - 1];
		else
		{
			start[i] = i;
			stack[sp++] = i;
		}
	}
	o.mem = mem;
	o.cap = 64;
	o.len = 0;
	o.buf = mem->alloc(o.cap);
	o.buf[0] = '\0';
	PrintNode(&o, p, start, n - 1, 0, false);
	mem->free(start);
	mem->free(stack);
	return o.buf;
}

/* ------------------------------------------------------------------------
 * Anchors
 * ------------------------------------------------------------------------ */

/* How selective a conjunct is as an anchor; 0 when it cannot be one. */
static int
AnchorRank(const CrProgram *p, const CrInstr *in)
{
	CrType		type = fields[in->field].type;

	if (type == CR_HS && (in->op == CR_OP_EQ || in->op == CR_OP_IN || in->op == CR_OP_WITHIN))
	{
		int			shortest = HS_MAX_DIGITS;

		for (uint32_t k = 0; k < in->nslots; k++)
		{
			int			nd = hs_ndigits(Slot(p, in->slot + k));

			if (nd < shortest)
				shortest = nd;
		}
		/* even a chapter narrows more than an origin, whose traffic is skewed (half is CN) */
		return shortest >= 6 ? 90 : shortest == 4 ? 80 : 65;
	}
	if ((type == CR_CODE || type == CR_COUNTRY || type == CR_TRANSPORT) &&
		(in->op == CR_OP_EQ || in->op == CR_OP_IN))
	{
		switch (in->field)
		{
			case CRF_IMPORTER:
			case CRF_DECLARANT:
			case CRF_SELLER:
			case CRF_COURIER:
			case CRF_DECLARATION_ID:
				return 100;
			case CRF_ORIGIN:
			case CRF_DEPARTURE:
				return 60;
			case CRF_OFFICE:
			case CRF_DISTRICT:
				return 55;
			case CRF_TRANSPORT:
				return 30;
			default:
				return 40;
		}
	}
	/* a range narrows more than a transport mode: lines are found by scanning sorted bounds */
	if ((type == CR_NUMBER || type == CR_DATE) &&
		(in->op == CR_OP_EQ || in->op == CR_OP_LT || in->op == CR_OP_LE || in->op == CR_OP_GT ||
		 in->op == CR_OP_GE || in->op == CR_OP_BETWEEN))
		return 35;
	return 0;
}

/* A slot as a double, for range bounds. */
static double
SlotNumber(const CrProgram *p, CrType type, uint32_t i)
{
	int64_t		v = Slot(p, i);
	double		f;

	if (type == CR_DATE)
		return (double) v;
	memcpy(&f, &v, sizeof(f));
	return f;
}

/*
 * Collect the leaves of an "or" tree under instruction i when every one is an equality
 * (or HS containment) on one code or HS field: such a disjunction anchors like an "in".
 * Returns the lowest leaf rank, or 0 when the tree is no such disjunction.
 */
static int
OrLeaves(const CrProgram *p, const int *start, int i, int *leaves, int *n, int *field)
{
	const CrInstr *in = &p->instr[i];
	int			rank;

	if (in->op == CR_OP_OR)
	{
		int			right = i - 1;
		int			a = OrLeaves(p, start, start[right] - 1, leaves, n, field);
		int			b = a ? OrLeaves(p, start, right, leaves, n, field) : 0;

		return a < b ? a : b;
	}
	if (in->op == CR_OP_AND || in->op == CR_OP_NOT || *n >= CR_ANCHOR_MAX_OR)
		return 0;
	rank = AnchorRank(p, in);
	if (rank == 0 || fields[in->field].type == CR_NUMBER || fields[in->field].type == CR_DATE ||
		(*field >= 0 && *field != in->field))
		return 0;
	*field = in->field;
	leaves[(*n)++] = i;
	return rank;
}

/* Walk the "and" tree under instruction i, keeping the best-ranked conjunct. */
static void
BestConjunct(const CrProgram *p, const int *start, int i, CrAnchor *best, int *best_rank)
{
	const CrInstr *in = &p->instr[i];

	if (in->op == CR_OP_AND)
	{
		int			right = i - 1;

		BestConjunct(p, start, start[right] - 1, best, best_rank);
		BestConjunct(p, start, right, best, best_rank);
	}
	else if (in->op == CR_OP_OR)
	{
		int			leaves[CR_ANCHOR_MAX_OR];
		int			n = 0,
					field = -1;
		int			rank = OrLeaves(p, start, i, leaves, &n, &field);

		if (rank > *best_rank)
		{
			*best_rank = rank;
			best->ninstr = n;
			memcpy(best->instrs, leaves, sizeof(int) * n);
		}
	}
	else if (in->op != CR_OP_NOT)
	{
		int			rank = AnchorRank(p, in);

		if (rank > *best_rank)
		{
			*best_rank = rank;
			best->ninstr = 1;
			best->instrs[0] = i;
		}
	}
}

/* start[i]: the first instruction of the subtree that instruction i closes (postfix order). */
static void
SubtreeStarts(const CrProgram *p, int *start)
{
	int			stack[CR_MAX_INSTR];
	int			sp = 0;

	for (int i = 0; i < p->header->ninstr; i++)
	{
		int			op = p->instr[i].op;

		if (op == CR_OP_AND || op == CR_OP_OR)
		{
			sp--;
			start[i] = stack[sp - 1];
		}
		else if (op == CR_OP_NOT)
			start[i] = stack[sp - 1];
		else
		{
			start[i] = i;
			stack[sp++] = i;
		}
	}
}

void
cr_anchor(const CrProgram *p, CrAnchor *a)
{
	int			n = p->header->ninstr;
	int			start[CR_MAX_INSTR];
	int			best_rank = 0;
	CrAnchor	found;
	const CrInstr *in;
	CrType		type;

	SubtreeStarts(p, start);
	memset(a, 0, sizeof(*a));
	memset(&found, 0, sizeof(found));
	BestConjunct(p, start, n - 1, &found, &best_rank);
	if (found.ninstr == 0)
		return;
	in = &p->instr[found.instrs[0]];
	type = fields[in->field].type;
	a->field = in->field;
	a->instr = found.instrs[0];
	a->ninstr = found.ninstr;
	memcpy(a->instrs, found.instrs, sizeof(int) * found.ninstr);
	if (type == CR_HS)
		a->kind = CR_ANCHOR_HS;
	else if (type == CR_NUMBER || type == CR_DATE)
	{
		a->kind = CR_ANCHOR_RANGE;
		a->lo = -HUGE_VAL;
		a->hi = HUGE_VAL;
		switch (in->op)
		{
			case CR_OP_EQ:
				a->lo = a->hi = SlotNumber(p, type, in->slot);
				break;
			case CR_OP_LT:
			case CR_OP_LE:
				a->hi = SlotNumber(p, type, in->slot);
				break;
			case CR_OP_GT:
			case CR_OP_GE:
				a->lo = SlotNumber(p, type, in->slot);
				break;
			default:			/* between */
				a->lo = SlotNumber(p, type, in->slot);
				a->hi = SlotNumber(p, type, in->slot + 1);
		}
	}
	else
		a->kind = CR_ANCHOR_CODES;
}

/* Walk the "and" tree under instruction i for the best guard leaves that are not the anchor. */
static void
BestGuards(const CrProgram *p, const int *start, int i, const CrAnchor *a, CrGuard *g, int *rank, int *n)
{
	const CrInstr *in = &p->instr[i];
	CrType		type;
	int			r;
	CrGuard		cand;
	int			pos;

	if (in->op == CR_OP_AND)
	{
		BestGuards(p, start, start[i - 1] - 1, a, g, rank, n);
		BestGuards(p, start, i - 1, a, g, rank, n);
		return;
	}
	if (in->op == CR_OP_OR || in->op == CR_OP_NOT || in->nslots != 1)
		return;
	for (int k = 0; k < a->ninstr; k++)
		if (a->instrs[k] == i)
			return;
	type = fields[in->field].type;
	memset(&cand, 0, sizeof(cand));
	cand.instr = i;
	cand.field = in->field;
	if (type == CR_HS && in->op == CR_OP_WITHIN)
	{
		cand.kind = CR_ANCHOR_HS;
		cand.hs = Slot(p, in->slot);
		r = AnchorRank(p, in);
	}
	else if ((type == CR_CODE || type == CR_COUNTRY || type == CR_TRANSPORT) &&
			 (in->op == CR_OP_EQ || in->op == CR_OP_IN))
	{
		int64_t		v = Slot(p, in->slot);

		cand.kind = CR_ANCHOR_CODES;
		cand.s = p->strings + (v >> 32);
		cand.len = (int) (v & 0xffffffff);
		r = AnchorRank(p, in);
	}
	else if (type == CR_NUMBER &&
			 (in->op == CR_OP_LT || in->op == CR_OP_LE || in->op == CR_OP_GT || in->op == CR_OP_GE))
	{
		cand.kind = CR_ANCHOR_RANGE;
		cand.op = in->op;
		cand.bound = SlotNumber(p, type, in->slot);
		r = AnchorRank(p, in);
	}
	else
		return;
	/* keep the best CR_MAX_GUARDS, best first */
	for (pos = *n; pos > 0 && rank[pos - 1] < r; pos--)
		;
	if (pos >= CR_MAX_GUARDS)
		return;
	for (int k = (*n < CR_MAX_GUARDS - 1 ? *n : CR_MAX_GUARDS - 1); k > pos; k--)
	{
		g[k] = g[k - 1];
		rank[k] = rank[k - 1];
	}
	g[pos] = cand;
	rank[pos] = r;
	if (*n < CR_MAX_GUARDS)
		(*n)++;
}

int
cr_guards(const CrProgram *p, const CrAnchor *a, CrGuard *g)
{
	int			start[CR_MAX_INSTR];
	int			rank[CR_MAX_GUARDS];
	int			n = 0;

	if (p->header->ninstr == 0)
		return 0;
	SubtreeStarts(p, start);
	BestGuards(p, start, p->header->ninstr - 1, a, g, rank, &n);
	return n;
}
