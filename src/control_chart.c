/*
 * control_chart.c: the daily_series type, a series of one value per day, the aggregates
 * that build and merge it, and the EWMA and CUSUM control charts over it (the math is in
 * control_chart_core.c).
 *
 * daily_series(day, value) collects (day, value) pairs in any order (parallel workers each
 * collect some; combining concatenates) and its final function sorts them by day: a day with
 * two values is an error (21000), rows with a NULL day or value are skipped, NaN or infinite
 * values are refused (22023), and so are infinite days (22008).  An empty group gives the empty
 * series, never NULL.  The series is a SQL type, so daily series can be stored and merged
 * (daily_series_merge: months into a year; the same day twice is an error there too).
 *
 * The charts take the series and their parameters: ewma_chart and cusum_chart list every
 * point with its statistic, limits and alert; ewma_summary and cusum_summary give the first
 * alert, the number of alert days, the last statistic and the baseline.  The baseline is the
 * median and robust sigma of the first baseline_days points; monitoring starts after it.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "control_chart_core.h"

#define DS_VERSION 1

/*
 * The on-disk series: a header, the days (ascending, distinct, finite), then, at the next
 * MAXALIGN boundary, the values (finite).  Padding is zero, so equal series are equal bytes.
 */
typedef struct DailySeries
{
	int32		vl_len_;		/* varlena header */
	uint8		version;		/* DS_VERSION */
	uint8		flags;			/* none defined yet: 0 */
	uint16		spare16;		/* 0: room to grow */
	int32		n;				/* points */
	int32		spare32;		/* 0: room to grow */
} DailySeries;

StaticAssertDecl(sizeof(DailySeries) == 16, "the daily_series header is 16 bytes");

#define DS_DAYS(s) ((DateADT *) ((char *) (s) + sizeof(DailySeries)))
#define DS_VALUES(s) ((double *) ((char *) (s) + sizeof(DailySeries) + MAXALIGN(sizeof(DateADT) * (s)->n)))
#define DS_SIZE(n) (sizeof(DailySeries) + MAXALIGN(sizeof(DateADT) * (Size) (n)) + sizeof(double) * (Size) (n))
/* the most points a series (and its 12-bytes-a-point serialized form) can hold in 1 GB */
#define DS_MAX_POINTS ((int32) ((MaxAllocSize - 1024) / (sizeof(DateADT) + sizeof(double))))

#define PG_GETARG_SERIES(n) ((DailySeries *) PG_DETOAST_DATUM(PG_GETARG_DATUM(n)))

/* A series of n points, zeroed, of the current version. */
static DailySeries *
NewSeries(int32 n)
{
	DailySeries *s = palloc0(DS_SIZE(n));

	SET_VARSIZE(s, DS_SIZE(n));
	s->version = DS_VERSION;
	s->n = n;
	return s;
}

/* A day in the text form: YYYY-MM-DD, the year astronomical (0 is 1 BC, -1 is 2 BC). */
static void
AppendDay(StringInfo buf, DateADT day)
{
	int			y,
				m,
				d;

	j2date(day + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	if (y < 0)
		appendStringInfo(buf, "-%04d-%02d-%02d", -y, m, d);
	else
		appendStringInfo(buf, "%04d-%02d-%02d", y, m, d);
}

/* A day as the server shows dates, for messages. */
static char *
DayText(DateADT day)
{
	return DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(day)));
}

/* Is the series one the functions below could have made?  Else say what is wrong. */
static const char *
SeriesProblem(const DailySeries *s, Size size)
{
	const DateADT *days;
	const double *values;

	if (size < sizeof(DailySeries))
		return "too short";
	if (s->version != DS_VERSION)
		return psprintf("unknown version %d", s->version);
	if (s->flags != 0 || s->spare16 != 0 || s->spare32 != 0)
		return "unknown flags";
	if (s->n < 0 || s->n > DS_MAX_POINTS)
		return psprintf("%d points", s->n);
	if (size != DS_SIZE(s->n))
		return psprintf("%d points in %zu bytes", s->n, size);
	days = DS_DAYS(s);
	values = DS_VALUES(s);
	for (int32 i = 0; i < s->n; i++)
	{
		if (DATE_NOT_FINITE(days[i]) || !IS_VALID_DATE(days[i]))
			return psprintf("point %d has a day out of range", i + 1);
		if (i > 0 && days[i] <= days[i - 1])
			return psprintf("the days of points %d and %d are not ascending", i, i + 1);
		if (!isfinite(values[i]))
			return psprintf("point %d has a value that is not finite", i + 1);
	}
	return NULL;
}

/* Argument n as a series, refused if it is not valid: from storage, a corrupted one. */
static DailySeries *
GetSeries(FunctionCallInfo fcinfo, int n)
{
	DailySeries *s = PG_GETARG_SERIES(n);
	const char *problem = SeriesProblem(s, VARSIZE(s));

	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid daily_series value: %s", problem)));
	return s;
}

/* ---------------------------------------------------------------- I/O */

/* Text input context: the whole input, for messages that name a character position. */
typedef struct Parse
{
	const char *str;
	const char *p;
} Parse;

/* The 1-based character position of a place in the input. */
static int
Position(const Parse *ps, const char *at)
{
	return pg_mbstrlen_with_len(ps->str, at - ps->str) + 1;
}

/* The input for a message: a long one cut after 60 bytes. */
static char *
Shown(const char *str)
{
	int			len = strlen(str);

	if (len <= 64)
		return pstrdup(str);
	return psprintf("%s...", pnstrdup(str, pg_mbcliplen(str, len, 60)));
}

#define BAD_INPUT(ps, at, ...) \
	ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION), \
			errmsg("invalid input syntax for type daily_series: \"%s\"", Shown((ps)->str)), \
			errdetail("At character %d: %s", Position(ps, at), psprintf(__VA_ARGS__))))

/* min_digits to max_digits digits; -1 if there are fewer or more. */
static int64
ParseDigits(Parse *ps, int min_digits, int max_digits)
{
	int64		v = 0;
	int			n = 0;

	while (isdigit((unsigned char) *ps->p))
	{
		if (++n > max_digits)
			return -1;
		v = v * 10 + (*ps->p++ - '0');
	}
	return n < min_digits ? -1 : v;
}

/* A day: YYYY-MM-DD, the year astronomical and possibly negative, as AppendDay writes it. */
static DateADT
ParseDay(Parse *ps)
{
	const char *start = ps->p;
	bool		negative = false;
	int			y,
				m,
				d,
				y2,
				m2,
				d2;
	int			jd;

	if (*ps->p == '-')
	{
		negative = true;
		ps->p++;
	}
	y = (int) ParseDigits(ps, 4, 7);
	if (y < 0 || *ps->p++ != '-' || (m = (int) ParseDigits(ps, 2, 2)) < 0 || *ps->p++ != '-' ||
		(d = (int) ParseDigits(ps, 2, 2)) < 0)
		BAD_INPUT(ps, start, "expected a day as YYYY-MM-DD.");
	if (negative)
		y = -y;
	if (!IS_VALID_JULIAN(y, m, d) || m < 1 || m > 12 || d < 1 || d > 31)
		BAD_INPUT(ps, start, "the day is out of range.");
	jd = date2j(y, m, d);
	j2date(jd, &y2, &m2, &d2);
	if (y2 != y || m2 != m || d2 != d || !IS_VALID_DATE(jd - POSTGRES_EPOCH_JDATE))
		BAD_INPUT(ps, start, "the day is out of range.");
	return jd - POSTGRES_EPOCH_JDATE;
}

PG_FUNCTION_INFO_V1(daily_series_in);
/* Text input: "points=4 2022-01-01:10,11.5,12 2022-01-05:13", runs of consecutive days. */
Datum
daily_series_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	Parse		ps = {str, str};
	DailySeries *s;
	DateADT    *days;
	double	   *values;
	const char *at;
	int64		n;
	int			i = 0;

	while (*ps.p == ' ')
		ps.p++;
	at = ps.p;
	if (strncmp(ps.p, "points=", 7) != 0)
		BAD_INPUT(&ps, at, "expected \"points=\".");
	ps.p += 7;
	n = ParseDigits(&ps, 1, 18);
	if (n < 0 || (*ps.p != ' ' && *ps.p != '\0'))
		BAD_INPUT(&ps, at + 7, "points must be a whole number of at least 0.");
	if (n > DS_MAX_POINTS)
		BAD_INPUT(&ps, at + 7, "a daily_series holds at most %d points.", DS_MAX_POINTS);
	/* every value takes at least two characters: no allocation for points the input cannot hold */
	if (n > (int64) strlen(ps.p) / 2)
		BAD_INPUT(&ps, at + 7, "points=%d, but the input is too short for that many values.", (int) n);
	s = NewSeries((int32) n);
	days = DS_DAYS(s);
	values = DS_VALUES(s);
	for (;;)
	{
		const char *run = NULL;
		int64		day;

		if (*ps.p != ' ' && *ps.p != '\0')
			BAD_INPUT(&ps, ps.p, "expected \",\" and the next value, or a space and the next run of days.");
		while (*ps.p == ' ')
			ps.p++;
		if (*ps.p == '\0')
			break;
		run = ps.p;
		day = ParseDay(&ps);
		if (i > 0 && day <= days[i - 1])
			BAD_INPUT(&ps, run, "the days must ascend, but this run starts on or before the last day before it.");
		if (*ps.p != ':')
			BAD_INPUT(&ps, ps.p, "expected \":\" and the values of consecutive days after the day.");
		do
		{
			char	   *end;
			double		v;

			ps.p++;				/* the ':' or ',' */
			at = ps.p;
			if (*ps.p == '\0' || *ps.p == ',' || isspace((unsigned char) *ps.p))
				BAD_INPUT(&ps, at, "expected a number.");
			errno = 0;
			v = strtod(ps.p, &end);
			if (end == ps.p)
				BAD_INPUT(&ps, at, "expected a number.");
			/* NaN and infinity written out; a number too large to hold is out of range below */
			if (!isfinite(v) && errno != ERANGE)
				BAD_INPUT(&ps, at, "values must be finite numbers.");
			/* decimal only: strtod also reads hexadecimal, which output never writes */
			for (const char *c = ps.p; c < end; c++)
				if (!isdigit((unsigned char) *c) && *c != '-' && *c != '+' && *c != '.' && *c != 'e' && *c != 'E')
					BAD_INPUT(&ps, at, "expected a decimal number.");
			/* as float8in: a value that underflows to 0 or overflows is out of range (subnormals pass) */
			if (errno == ERANGE && (v == 0.0 || isinf(v)))
				BAD_INPUT(&ps, at, "this value is out of range for double precision.");
			ps.p = end;
			if (i == n)
				BAD_INPUT(&ps, at, "more values than points=%d.", (int) n);
			if (!IS_VALID_DATE(day))
				BAD_INPUT(&ps, at, "this value's day is out of range.");
			days[i] = (DateADT) day++;
			values[i++] = v;
		} while (*ps.p == ',');
	}
	if (i != n)
		BAD_INPUT(&ps, ps.p, "points=%d, but %d %s.", (int) n, i, i == 1 ? "value" : "values");
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(daily_series_out);
/* Text output, read back by daily_series_in: each value exactly, in the fewest digits. */
Datum
daily_series_out(PG_FUNCTION_ARGS)
{
	DailySeries *s = PG_GETARG_SERIES(0);
	const DateADT *days = DS_DAYS(s);
	const double *values = DS_VALUES(s);
	StringInfoData buf;
	char		num[DOUBLE_SHORTEST_DECIMAL_LEN];

	initStringInfo(&buf);
	appendStringInfo(&buf, "points=%d", s->n);
	for (int32 i = 0; i < s->n; i++)
	{
		if (i > 0 && days[i] == days[i - 1] + 1)
			appendStringInfoChar(&buf, ',');
		else
		{
			appendStringInfoChar(&buf, ' ');
			AppendDay(&buf, days[i]);
			appendStringInfoChar(&buf, ':');
		}
		double_to_shortest_decimal_buf(values[i], num);
		appendStringInfoString(&buf, num);
	}
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(daily_series_recv);
/* Binary input, validated as text input is. */
Datum
daily_series_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version,
				flags;
	int32		n;
	DailySeries *s;
	const char *problem;

	version = pq_getmsgbyte(buf);
	if (version != DS_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary daily_series: unknown version %d", version)));
	flags = pq_getmsgbyte(buf);
	if (flags != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary daily_series: unknown flags")));
	n = pq_getmsgint(buf, 4);
	/* then exactly n (day, value) pairs of 4 + 8 bytes: check before allocating */
	if (n < 0 || n > DS_MAX_POINTS || (int64) (buf->len - buf->cursor) != (int64) n * 12)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary daily_series: %d points in %d bytes", n, buf->len - buf->cursor)));
	s = NewSeries(n);
	for (int32 i = 0; i < n; i++)
	{
		DS_DAYS(s)[i] = pq_getmsgint(buf, 4);
		DS_VALUES(s)[i] = pq_getmsgfloat8(buf);
	}
	pq_getmsgend(buf);
	if ((problem = SeriesProblem(s, VARSIZE(s))) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary daily_series: %s", problem)));
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(daily_series_send);
/* Binary output: version, flags, the number of points, then (day as int4, value as float8). */
Datum
daily_series_send(PG_FUNCTION_ARGS)
{
	DailySeries *s = PG_GETARG_SERIES(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, s->version);
	pq_sendbyte(&buf, s->flags);
	pq_sendint32(&buf, s->n);
	for (int32 i = 0; i < s->n; i++)
	{
		pq_sendint32(&buf, DS_DAYS(s)[i]);
		pq_sendfloat8(&buf, DS_VALUES(s)[i]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---------------------------------------------------------------- aggregates */

typedef struct SeriesPoint
{
	DateADT		day;
	double		value;
} SeriesPoint;

/* The aggregates' state: the points so far, in the order they came. */
typedef struct SeriesState
{
	int64		n;
	int64		cap;
	SeriesPoint *points;
} SeriesState;

/* The state of an aggregate call: argument 0, or a new empty one in the aggregate context. */
static SeriesState *
GetState(FunctionCallInfo fcinfo, MemoryContext *cxt, const char *caller)
{
	if (!AggCheckCallContext(fcinfo, cxt))
		elog(ERROR, "%s called in a non-aggregate context", caller);
	if (PG_ARGISNULL(0))
		return MemoryContextAllocZero(*cxt, sizeof(SeriesState));
	return (SeriesState *) PG_GETARG_POINTER(0);
}

/* Append a point, growing the array (in the aggregate context) by doubling. */
static void
AddPoint(SeriesState *st, MemoryContext cxt, DateADT day, double value)
{
	if (st->n == st->cap)
	{
		if (st->n >= DS_MAX_POINTS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("a daily_series holds at most %d points", DS_MAX_POINTS)));
		st->cap = st->cap ? Min(st->cap * 2, (int64) DS_MAX_POINTS) : 32;
		st->points = st->points ? repalloc_huge(st->points, st->cap * sizeof(SeriesPoint))
			: MemoryContextAllocHuge(cxt, st->cap * sizeof(SeriesPoint));
	}
	st->points[st->n].day = day;
	st->points[st->n].value = value;
	st->n++;
}

PG_FUNCTION_INFO_V1(daily_series_add);
/* daily_series(day, value): transition, one point (skipped when the day or value is NULL). */
Datum
daily_series_add(PG_FUNCTION_ARGS)
{
	MemoryContext cxt;
	SeriesState *st = GetState(fcinfo, &cxt, "daily_series_add");
	DateADT		day;
	double		value;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(st);
	day = PG_GETARG_DATEADT(1);
	value = PG_GETARG_FLOAT8(2);
	if (DATE_NOT_FINITE(day))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("a daily_series day must be finite, not %s", DayText(day))));
	if (!isfinite(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a daily_series value must be finite, not %s", float8out_internal(value)),
				 errdetail("On %s.", DayText(day))));
	AddPoint(st, cxt, day, value);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(daily_series_add_series);
/* daily_series_merge(series): transition, every point of a stored series (NULL is skipped). */
Datum
daily_series_add_series(PG_FUNCTION_ARGS)
{
	MemoryContext cxt;
	SeriesState *st = GetState(fcinfo, &cxt, "daily_series_add_series");
	DailySeries *s;

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);
	s = GetSeries(fcinfo, 1);
	for (int32 i = 0; i < s->n; i++)
		AddPoint(st, cxt, DS_DAYS(s)[i], DS_VALUES(s)[i]);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(daily_series_combine);
/* Combine two partial states (parallel query): the points of both. */
Datum
daily_series_combine(PG_FUNCTION_ARGS)
{
	MemoryContext cxt;
	SeriesState *a,
			   *b;

	if (!AggCheckCallContext(fcinfo, &cxt))
		elog(ERROR, "daily_series_combine called in a non-aggregate context");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = (SeriesState *) PG_GETARG_POINTER(1);
	a = PG_ARGISNULL(0) ? MemoryContextAllocZero(cxt, sizeof(SeriesState)) : (SeriesState *) PG_GETARG_POINTER(0);
	for (int64 i = 0; i < b->n; i++)
		AddPoint(a, cxt, b->points[i].day, b->points[i].value);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(daily_series_serialize);
/* The state as bytes: the number of points, then (day as int4, value as float8), unsorted. */
Datum
daily_series_serialize(PG_FUNCTION_ARGS)
{
	SeriesState *st = (SeriesState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	/* AddPoint keeps n within DS_MAX_POINTS, so the bytes stay within 1 GB */
	pq_begintypsend(&buf);
	pq_sendint32(&buf, (int32) st->n);
	for (int64 i = 0; i < st->n; i++)
	{
		pq_sendint32(&buf, st->points[i].day);
		pq_sendfloat8(&buf, st->points[i].value);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(daily_series_deserialize);
/* The state from bytes, checked. */
Datum
daily_series_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	MemoryContext cxt;
	StringInfoData buf;
	SeriesState *st;
	int32		n;

	if (!AggCheckCallContext(fcinfo, &cxt))
		elog(ERROR, "daily_series_deserialize called in a non-aggregate context");
	buf.data = VARDATA_ANY(b);
	buf.len = VARSIZE_ANY_EXHDR(b);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	n = pq_getmsgint(&buf, 4);
	if (n < 0 || n > DS_MAX_POINTS || (int64) (buf.len - buf.cursor) != (int64) n * 12)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid daily_series aggregate state: %d points in %d bytes", n, buf.len)));
	st = MemoryContextAllocZero(cxt, sizeof(SeriesState));
	for (int32 i = 0; i < n; i++)
	{
		DateADT		day = pq_getmsgint(&buf, 4);
		double		value = pq_getmsgfloat8(&buf);

		if (DATE_NOT_FINITE(day) || !IS_VALID_DATE(day) || !isfinite(value))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid daily_series aggregate state: bad point %d", i + 1)));
		AddPoint(st, cxt, day, value);
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

/* Earlier day first, for qsort. */
static int
ComparePoints(const void *a, const void *b)
{
	DateADT		x = ((const SeriesPoint *) a)->day,
				y = ((const SeriesPoint *) b)->day;

	return (x > y) - (x < y);
}

PG_FUNCTION_INFO_V1(daily_series_final);
/* The series in day order, from a sorted copy of the state; the empty series for no rows. */
Datum
daily_series_final(PG_FUNCTION_ARGS)
{
	SeriesState *st = PG_ARGISNULL(0) ? NULL : (SeriesState *) PG_GETARG_POINTER(0);
	int32		n = st ? (int32) st->n : 0;
	SeriesPoint *sorted;
	DailySeries *s;

	if (n == 0)
		PG_RETURN_POINTER(NewSeries(0));
	sorted = palloc_extended(n * sizeof(SeriesPoint), MCXT_ALLOC_HUGE);
	memcpy(sorted, st->points, n * sizeof(SeriesPoint));
	qsort(sorted, n, sizeof(SeriesPoint), ComparePoints);
	s = NewSeries(n);
	for (int32 i = 0; i < n; i++)
	{
		if (i > 0 && sorted[i].day == sorted[i - 1].day)
			ereport(ERROR,
					(errcode(ERRCODE_CARDINALITY_VIOLATION),
					 errmsg("a daily_series has one value a day, but %s has more than one", DayText(sorted[i].day)),
					 errhint("Aggregate to one row a day first: a sum for counts and amounts, a ratio of sums for rates and unit values.")));
		DS_DAYS(s)[i] = sorted[i].day;
		DS_VALUES(s)[i] = sorted[i].value;
	}
	pfree(sorted);
	PG_RETURN_POINTER(s);
}

/* ---------------------------------------------------------------- charts */

typedef enum ChartMethod
{
	CHART_EWMA,
	CHART_CUSUM
} ChartMethod;

/* A chart of a series: the baseline, then a CcPoint for each point after it. */
typedef struct Chart
{
	DailySeries *series;
	int32		baseline_days;
	bool		has_baseline;	/* at least baseline_days points */
	double		mean;			/* the baseline's median, or the given target ... */
	double		sigma;			/* ... and robust standard deviation, or the given sigma */
	CcPoint    *points;			/* points[i] is the series' point baseline_days + i */
} Chart;

/* A parameter that is not valid: 22023, naming it. */
#define BAD_PARAMETER(...) \
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg(__VA_ARGS__)))

/*
 * The chart of argument 0 with the method's parameters in arguments 1 to 3, checked, and the
 * in-control mean and sigma in arguments 4 and 5: both NULL to estimate them from the
 * baseline points, or both given (a known process, or a series already standardised), when
 * the baseline points are only skipped and baseline_days may be 0.  False, and no chart, when
 * one of arguments 0 to 3 is NULL: the functions are strict in those.
 */
static bool
MakeChart(FunctionCallInfo fcinfo, ChartMethod method, Chart *c)
{
	double		a,
				b;
	int32		bd;
	bool		known;
	DailySeries *s;
	int			rc = CC_OK;

	for (int i = 0; i <= 3; i++)
		if (PG_ARGISNULL(i))
			return false;
	a = PG_GETARG_FLOAT8(1);
	b = PG_GETARG_FLOAT8(2);
	bd = PG_GETARG_INT32(3);
	if (method == CHART_EWMA)
	{
		if (!(a > 0 && a <= 1))
			BAD_PARAMETER("lambda must lie in (0, 1], not %s", float8out_internal(a));
		if (!(b > 0) || isinf(b))
			BAD_PARAMETER("limit_sigma must be a positive finite number, not %s", float8out_internal(b));
	}
	else
	{
		if (!(a >= 0) || isinf(a))
			BAD_PARAMETER("k must be a finite number of at least 0, not %s", float8out_internal(a));
		if (!(b > 0) || isinf(b))
			BAD_PARAMETER("h must be a positive finite number, not %s", float8out_internal(b));
	}
	if (PG_ARGISNULL(4) != PG_ARGISNULL(5))
		BAD_PARAMETER("give both target and sigma, or neither");
	known = !PG_ARGISNULL(4);
	if (known)
	{
		c->mean = PG_GETARG_FLOAT8(4);
		c->sigma = PG_GETARG_FLOAT8(5);
		if (isnan(c->mean) || isinf(c->mean))
			BAD_PARAMETER("target must be a finite number, not %s", float8out_internal(c->mean));
		if (!(c->sigma > 0) || isinf(c->sigma))
			BAD_PARAMETER("sigma must be a positive finite number, not %s", float8out_internal(c->sigma));
		if (bd < 0)
			BAD_PARAMETER("baseline_days must be at least 0, not %d", bd);
	}
	else if (bd < 2)
		BAD_PARAMETER("baseline_days must be at least 2, not %d", bd);
	s = GetSeries(fcinfo, 0);
	c->series = s;
	c->baseline_days = bd;
	c->has_baseline = s->n >= bd;
	c->points = NULL;
	if (!c->has_baseline)
		return true;
	if (!known)
		rc = cc_baseline(DS_VALUES(s), bd, palloc(sizeof(double) * Max(bd, 1)), &c->mean, &c->sigma);
	if (rc == CC_OK && s->n > bd)
	{
		c->points = palloc_extended(sizeof(CcPoint) * (s->n - bd), MCXT_ALLOC_HUGE);
		if (method == CHART_EWMA)
			rc = cc_ewma(DS_VALUES(s) + bd, s->n - bd, c->mean, c->sigma, a, b, c->points);
		else
			rc = cc_cusum(DS_VALUES(s) + bd, s->n - bd, c->mean, c->sigma, a, b, c->points);
	}
	if (rc != CC_OK)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("control chart statistic out of range"),
				 errdetail("The series' values are too large in magnitude.")));
	return true;
}

/* The point of the chart on the series' point i, NULL for a baseline point. */
static const CcPoint *
ChartPoint(const Chart *c, int32 i)
{
	return c->has_baseline && i >= c->baseline_days ? &c->points[i - c->baseline_days] : NULL;
}

/* Every point: day, value, statistic, lower, upper, alert, direction. */
static Datum
ChartPoints(FunctionCallInfo fcinfo, ChartMethod method)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Chart		c;

	InitMaterializedSRF(fcinfo, 0);
	if (!MakeChart(fcinfo, method, &c))
		return (Datum) 0;		/* a NULL argument: no points */
	for (int32 i = 0; i < c.series->n; i++)
	{
		const CcPoint *p = ChartPoint(&c, i);
		Datum		values[7];
		bool		nulls[7] = {false, false, false, false, false, false, false};

		values[0] = DateADTGetDatum(DS_DAYS(c.series)[i]);
		values[1] = Float8GetDatum(DS_VALUES(c.series)[i]);
		values[5] = BoolGetDatum(p != NULL && p->alert != 0);
		if (p == NULL)
			nulls[2] = nulls[3] = nulls[4] = true;
		else
		{
			values[2] = Float8GetDatum(p->statistic);
			values[3] = Float8GetDatum(p->lower);
			values[4] = Float8GetDatum(p->upper);
		}
		if (p == NULL || p->alert == 0)
			nulls[6] = true;
		else
			values[6] = CStringGetTextDatum(p->alert > 0 ? "up" : "down");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * The summary: points, baseline_mean, baseline_sigma, first_alert, direction (of the first
 * alert), alert_days, last_day, last_statistic, last_alert.
 */
static Datum
ChartSummary(FunctionCallInfo fcinfo, ChartMethod method)
{
	TupleDesc	desc;
	Chart		c;
	Datum		values[9];
	bool		nulls[9] = {false, true, true, true, true, false, true, true, false};
	int32		n,
				alert_days = 0;
	const CcPoint *last;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "a chart summary must return a composite type");
	if (!MakeChart(fcinfo, method, &c))
		PG_RETURN_NULL();
	n = c.series->n;
	values[0] = Int32GetDatum(n);
	if (c.has_baseline)
	{
		values[1] = Float8GetDatum(c.mean);
		values[2] = Float8GetDatum(c.sigma);
		nulls[1] = nulls[2] = false;
		for (int32 i = c.baseline_days; i < n; i++)
		{
			const CcPoint *p = ChartPoint(&c, i);

			if (p->alert == 0)
				continue;
			if (alert_days++ == 0)
			{
				values[3] = DateADTGetDatum(DS_DAYS(c.series)[i]);
				values[4] = CStringGetTextDatum(p->alert > 0 ? "up" : "down");
				nulls[3] = nulls[4] = false;
			}
		}
	}
	values[5] = Int32GetDatum(alert_days);
	if (n > 0)
	{
		values[6] = DateADTGetDatum(DS_DAYS(c.series)[n - 1]);
		nulls[6] = false;
	}
	last = n > 0 ? ChartPoint(&c, n - 1) : NULL;
	if (last != NULL)
	{
		values[7] = Float8GetDatum(last->statistic);
		nulls[7] = false;
	}
	values[8] = BoolGetDatum(last != NULL && last->alert != 0);
	desc = BlessTupleDesc(desc);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

PG_FUNCTION_INFO_V1(ewma_chart);
/* ewma_chart(series, lambda, limit_sigma, baseline_days, target, sigma): every point with its EWMA and limits. */
Datum
ewma_chart(PG_FUNCTION_ARGS)
{
	return ChartPoints(fcinfo, CHART_EWMA);
}

PG_FUNCTION_INFO_V1(cusum_chart);
/* cusum_chart(series, k, h, baseline_days, target, sigma): every point with its CUSUM and limits. */
Datum
cusum_chart(PG_FUNCTION_ARGS)
{
	return ChartPoints(fcinfo, CHART_CUSUM);
}

PG_FUNCTION_INFO_V1(ewma_summary);
/* ewma_summary(series, lambda, limit_sigma, baseline_days, target, sigma): the EWMA chart's alerts and baseline. */
Datum
ewma_summary(PG_FUNCTION_ARGS)
{
	return ChartSummary(fcinfo, CHART_EWMA);
}

PG_FUNCTION_INFO_V1(cusum_summary);
/* cusum_summary(series, k, h, baseline_days, target, sigma): the CUSUM chart's alerts and baseline. */
Datum
cusum_summary(PG_FUNCTION_ARGS)
{
	return ChartSummary(fcinfo, CHART_CUSUM);
}
