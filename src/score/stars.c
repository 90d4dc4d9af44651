/*-------------------------------------------------------------------------
 *
 * stars.c
 *		bounce.stars(per_1m, star3_max, star2_max, star1_max): the star
 *		bands of the quarterly score, defined once.
 *
 * stars(per_1m) applies them with the bands in config, and the
 * quarterly_score view per row with the config row it reads.  In C so that
 * the view pays an operator per row, not an SQL function call: a SQL
 * function with a pinned search_path is never inlined.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/fmgrprotos.h"

/*
 * 3 stars at or below star3_max, 2 at or below star2_max, 1 at or below
 * star1_max, else 0 (NaN included: it sorts above every number).
 * IMMUTABLE STRICT PARALLEL SAFE.
 */
PG_FUNCTION_INFO_V1(bounce_stars);
Datum
bounce_stars(PG_FUNCTION_ARGS)
{
	Datum		per_1m = PG_GETARG_DATUM(0);
	int			stars;

	/* argument 1 is the bound of 3 stars, 2 of 2, 3 of 1 */
	for (stars = 3; stars >= 1; stars--)
		if (DatumGetBool(DirectFunctionCall2(numeric_le, per_1m,
											 PG_GETARG_DATUM(4 - stars))))
			PG_RETURN_INT32(stars);
	PG_RETURN_INT32(0);
}
