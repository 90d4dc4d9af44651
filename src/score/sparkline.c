/*-------------------------------------------------------------------------
 *
 * sparkline.c
 *		bounce.sparkline(numeric[]): a small bar chart in block characters,
 *		for the trend column of the quarterly scoreboard.
 *
 * It was a SQL function (unnest, max, string_agg); refresh() draws one
 * trend per rewritten quarter, up to a few thousand per refresh, and the
 * SQL version cost about 20 microseconds each, a large share of a small
 * incremental refresh.  This is the same definition in C, computed with the
 * same numeric operators, so the output is identical, the errors included
 * (a NaN cannot be drawn):
 *
 *		NULL element			' '
 *		largest value <= 0		U+2581 for every non-NULL element
 *		otherwise				U+2581 + round(7 * greatest(v, 0) / largest)
 *
 * An empty array gives NULL, as string_agg over no rows did.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

#define SPARK_FIRST		0x2581	/* LOWER ONE EIGHTH BLOCK */
#define SPARK_LEVELS	8		/* up to U+2588 FULL BLOCK */

/* A small integer as a numeric Datum. */
static Datum
numeric_of(int32 v)
{
	return DirectFunctionCall1(int4_numeric, Int32GetDatum(v));
}

/* Append code point c in the database encoding. */
static void
append_char(StringInfo buf, pg_wchar c)
{
	unsigned char s[MAX_MULTIBYTE_CHAR_LEN + 1];

	pg_unicode_to_server(c, s);
	appendStringInfoString(buf, (const char *) s);
}

/*
 * bounce.sparkline(vals numeric[]) RETURNS text
 * IMMUTABLE STRICT PARALLEL SAFE.
 */
PG_FUNCTION_INFO_V1(bounce_sparkline);
Datum
bounce_sparkline(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	bool		have_max = false;
	Datum		mx = (Datum) 0;
	Datum		zero = numeric_of(0);
	Datum		seven = numeric_of(SPARK_LEVELS - 1);
	bool		flat;
	StringInfoData buf;

	deconstruct_array(arr, NUMERICOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n == 0)
		PG_RETURN_NULL();

	/* the largest value, in numeric order (NaN is above every number) */
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			continue;
		if (!have_max || DatumGetInt32(DirectFunctionCall2(numeric_cmp, elems[i], mx)) > 0)
			mx = elems[i];
		have_max = true;
	}
	flat = !have_max || DatumGetInt32(DirectFunctionCall2(numeric_cmp, mx, zero)) <= 0;

	initStringInfo(&buf);
	for (i = 0; i < n; i++)
	{
		int32		level;
		Datum		x;

		if (nulls[i])
		{
			appendStringInfoChar(&buf, ' ');
			continue;
		}
		if (flat)
		{
			append_char(&buf, SPARK_FIRST);
			continue;
		}
		x = DirectFunctionCall2(numeric_larger, elems[i], zero);
		x = DirectFunctionCall2(numeric_mul, seven, x);
		x = DirectFunctionCall2(numeric_div, x, mx);
		x = DirectFunctionCall2(numeric_round, x, Int32GetDatum(0));
		level = DatumGetInt32(DirectFunctionCall1(numeric_int4, x));
		/* 0 <= v <= largest keeps it in range; substr() gave '' outside */
		if (level >= 0 && level < SPARK_LEVELS)
			append_char(&buf, SPARK_FIRST + level);
	}
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf.data, buf.len));
}
