/*
 * criteria_core.h: the targeting-criteria language, free of backend calls.
 *
 * A criteria text such as
 *     hs <@ 8471 and origin in (CN, VN) and unit_value < 20
 * is parsed, checked against the field table and compiled into a compact
 * postfix program: fixed-size instructions, a pool of 8-byte literal slots and
 * a string area.  The same bytes are the stored form of the SQL type, so the
 * binary receive path validates them with cr_validate() before use.
 * Evaluation is a small stack machine over three-valued (SQL) logic.
 */
#ifndef CRITERIA_CORE_H
#define CRITERIA_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CR_FORMAT_VERSION 1
#define CR_MAX_TEXT (1024 * 1024)	/* longest criteria text accepted: a 10,000-value list prints within it */
#define CR_MAX_INSTR 4096			/* instructions in one program */
#define CR_MAX_DEPTH 64				/* nesting of parentheses and not */
#define CR_MAX_LIST 10000			/* literals in one in (...) list */
#define CR_MAX_STRING 200			/* bytes in one code or list name */

/* Value types of fields. */
typedef enum CrType
{
	CR_HS = 1,					/* hscode: key as in hscode_core.h */
	CR_CODE,					/* free code text (trader ids, procedure codes) */
	CR_COUNTRY,					/* ISO 3166-1 alpha-2 */
	CR_TRANSPORT,				/* sea, rail, road, air, mail, other */
	CR_NUMBER,					/* double */
	CR_DATE						/* days since 2000-01-01, as PostgreSQL dates */
} CrType;

/* Field ids are stored in programs: append only, never renumber. */
typedef enum CrFieldId
{
	CRF_DECLARATION_ID = 0, CRF_DECLARED_ON, CRF_OFFICE, CRF_DISTRICT, CRF_IMPORTER,
	CRF_DECLARANT, CRF_SELLER, CRF_COURIER, CRF_PROCESS_TYPE, CRF_IMPORT_TYPE,
	CRF_IMPORT_USE, CRF_PAYMENT_TYPE, CRF_TRANSPORT, CRF_DEPARTURE, CRF_HS, CRF_ORIGIN,
	CRF_ORIGIN_INDICATOR, CRF_TAX_TYPE, CRF_TAX_RATE, CRF_NET_MASS, CRF_VALUE,
	CRF_UNIT_VALUE, CRF_DUTY, CRF_MODEL_SCORE,
	CR_NFIELDS
} CrFieldId;

/* Operations, stored in programs: append only. */
typedef enum CrOp
{
	CR_OP_AND = 1, CR_OP_OR, CR_OP_NOT,
	CR_OP_EQ, CR_OP_NE, CR_OP_LT, CR_OP_LE, CR_OP_GT, CR_OP_GE,
	CR_OP_BETWEEN, CR_OP_IN, CR_OP_NOT_IN, CR_OP_WITHIN,
	CR_OP_IN_LIST, CR_OP_NOT_IN_LIST, CR_OP_IS_NULL, CR_OP_IS_NOT_NULL,
	CR_OP_LAST = CR_OP_IS_NOT_NULL
} CrOp;

/* One instruction; leaf predicates name a field and a run of literal slots. */
typedef struct CrInstr
{
	uint8_t		op;
	uint8_t		field;
	uint16_t	reserved;		/* zero; room for flags */
	uint32_t	nslots;
	uint32_t	slot;
} CrInstr;

/* Header of the stored form, followed by instructions, slots and strings. */
typedef struct CrHeader
{
	uint8_t		version;
	uint8_t		flags;			/* zero; room to grow */
	uint16_t	ninstr;
	uint32_t	nslots;
	uint32_t	strbytes;
	uint32_t	fieldmask;		/* fields the program reads */
} CrHeader;

/* Where a program's parts are, once validated. */
typedef struct CrProgram
{
	const CrHeader *header;
	const CrInstr *instr;
	const int64_t *slots;
	const char *strings;
} CrProgram;

/* Why an input or a stored form was rejected. */
typedef enum CrErrorKind
{
	CR_ERR_NONE = 0,
	CR_ERR_SYNTAX,				/* grammar: SQLSTATE 42601 */
	CR_ERR_VALUE,				/* unknown field, bad literal, type mismatch: 22P02 */
	CR_ERR_LIMIT,				/* too long, too deep, too many: 54000 */
	CR_ERR_CORRUPT				/* stored form does not validate: 22P03 */
} CrErrorKind;

typedef struct CrError
{
	CrErrorKind kind;
	int			pos;			/* 1-based byte offset into the text, 0 if none */
	char		message[240];
} CrError;

/* Memory for the compiler: palloc/repalloc in the backend, malloc/realloc in tests. */
typedef struct CrAllocator
{
	void	   *(*alloc) (size_t size);
	void	   *(*realloc) (void *ptr, size_t size);
	void		(*free) (void *ptr);
} CrAllocator;

/* One field's value in a row: the fmgr layer fills these for the fields a program reads. */
typedef struct CrValue
{
	bool		isnull;
	int64_t		i;				/* hscode key, date */
	double		f;				/* number */
	const char *s;				/* code text (not NUL-terminated) */
	int			len;
} CrValue;

/* Membership of a value in a named code list; returns 1 yes, 0 no. */
typedef int (*CrListLookup) (void *ctx, const char *list, int listlen, const char *val, int vallen);

/*
 * Compile text into a stored form.  On success returns the bytes (allocated
 * with the allocator) and their size; on failure NULL with *err filled.
 */
extern void *cr_compile(const char *text, size_t len, const CrAllocator *mem, size_t *size, CrError *err);

/* Check a stored form completely; fills *prog on success. */
extern bool cr_validate(const void *data, size_t size, CrProgram *prog, CrError *err);

/* Canonical text of a validated program; allocated with the allocator. */
extern char *cr_to_text(const CrProgram *prog, const CrAllocator *mem);

/* Evaluate: 1 true, 0 false, 2 unknown (SQL NULL). values is indexed by field id. */
extern int	cr_eval(const CrProgram *prog, const CrValue *values, CrListLookup lookup, void *ctx);

/*
 * An anchor: one top-level conjunct every match must satisfy, used to find the
 * profiles a line may match without testing all of them.  CODES and HS anchors
 * name an instruction whose slots are the values (codes, or HS codes the line's
 * code must equal or lie within); a RANGE anchor bounds a number or date field.
 */
typedef enum CrAnchorKind
{
	CR_ANCHOR_NONE = 0, CR_ANCHOR_CODES, CR_ANCHOR_HS, CR_ANCHOR_RANGE
} CrAnchorKind;

#define CR_ANCHOR_MAX_OR 16		/* leaves of an "or" of equalities that can anchor */

typedef struct CrAnchor
{
	CrAnchorKind kind;
	int			field;
	int			instr;			/* the conjunct's instruction (the first, for an "or") */
	int			ninstr;			/* CODES, HS: instructions whose values anchor, "or"-ed */
	int			instrs[CR_ANCHOR_MAX_OR];
	double		lo,
				hi;				/* RANGE: inclusive bounds (days for dates) */
} CrAnchor;

/* The most selective anchor of a validated program (kind NONE if it has none). */
extern void cr_anchor(const CrProgram *prog, CrAnchor *anchor);

/*
 * A guard: another top-level conjunct, cheap to test before the whole program runs on a
 * line the anchor found: a code field equal to one value (CODES: s, len), the HS code
 * within one prefix (HS: hs), or a number compared with one bound (RANGE: op, bound).  A
 * line that fails a guard cannot satisfy the program.
 */
typedef struct CrGuard
{
	CrAnchorKind kind;
	int			instr;			/* the conjunct's instruction */
	int			field;
	const char *s;
	int			len;
	int64_t		hs;
	int			op;				/* RANGE: CR_OP_LT, _LE, _GT or _GE */
	double		bound;
} CrGuard;

#define CR_MAX_GUARDS 2

/* The most selective guards (at most CR_MAX_GUARDS, best first); returns how many. */
extern int	cr_guards(const CrProgram *prog, const CrAnchor *anchor, CrGuard *guards);

/* The field table. */
extern const char *cr_field_name(int field);
extern CrType cr_field_type(int field);

/* Label of a transport mode 0..5 (sea, rail, road, air, mail, other), or NULL. */
extern const char *cr_transport_label(int mode);

#endif							/* CRITERIA_CORE_H */
