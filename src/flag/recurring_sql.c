/*-------------------------------------------------------------------------
 *
 * recurring_sql.c
 *		Window functions that flag recurring bounces and suppressed
 *		addresses: bounce.recurring, bounce.suppress and bounce.streak.
 *
 * All three are used as
 *		f(occurred_at, ...) OVER (PARTITION BY address ORDER BY occurred_at)
 *
 * and walk the partition once, in order.  Each keeps a few words of state
 * in partition-local memory (the previous timestamp, the current streak)
 * and sets the window mark on the current row, so the executor's
 * tuplestore may forget every earlier row: the cost per row is O(1) and
 * memory does not grow with the partition.  They read only the current
 * row, so they never move the window's read pointer.  The rules
 * themselves are in recurring.c.
 *
 * Arguments other than occurred_at (gaps, strikes, span) must be the same
 * on every row of a partition, and rows must come in ascending occurred_at
 * order; both are checked (the arguments on every row unless they are
 * constants or parameters, which cannot change), since a silently wrong
 * flag is worse than an error.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"
#include "windowapi.h"

#include "flag/recurring.h"

/*
 * State for one partition.  WinGetPartitionLocalMemory hands it out zeroed
 * at the start of each partition.
 */
typedef struct RecurState
{
	bool		started;		/* arguments have been read and checked */
	bool		args_stable;	/* they cannot change: skip re-reading them */
	bool		have_prev;		/* prev is set */
	TimestampTz prev;			/* last non-NULL occurred_at */
	BounceSpan	a;				/* recurring: min_gap; suppress: min_span */
	BounceSpan	b;				/* recurring: max_gap */
	int32		strikes;		/* suppress */
	BounceStreak streak;		/* suppress, streak */
} RecurState;

/* Text of an interval, for messages. */
static char *
interval_text(const Interval *iv)
{
	return DatumGetCString(DirectFunctionCall1(interval_out,
											   IntervalPGetDatum((Interval *) iv)));
}

/* Text of a timestamptz, for messages. */
static char *
tstz_text(TimestampTz ts)
{
	return DatumGetCString(DirectFunctionCall1(timestamptz_out,
											   TimestampTzGetDatum(ts)));
}

/*
 * Read interval argument argno of the current row; reject NULL and any
 * negative part with 22023.
 */
static Interval *
get_interval_arg(WindowObject winobj, int argno, const char *fn,
				 const char *argname)
{
	bool		isnull;
	Datum		d = WinGetFuncArgCurrent(winobj, argno, &isnull);
	Interval   *iv;

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s must not be NULL", fn, argname)));
	iv = DatumGetIntervalP(d);
	bounce_check_span(iv, fn, argname);
	return iv;
}

/* Reject a gap or span with a negative part (22023), naming it. */
void
bounce_check_span(const Interval *iv, const char *fn, const char *argname)
{
	if (iv->month < 0 || iv->day < 0 || iv->time < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s must not be negative: \"%s\"", fn, argname,
						interval_text(iv)),
				 errdetail("Every part of the interval (months, days, time) must be zero or positive.")));
}

/* Error unless the argument is the same as on the partition's first row. */
static void
check_same_interval(const Interval *now, const Interval *first,
					const char *fn, const char *argname)
{
	if (now->month != first->month || now->day != first->day ||
		now->time != first->time)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s changes within a partition, from \"%s\" to \"%s\"",
						fn, argname, interval_text(first), interval_text(now)),
				 errhint("Pass the same %s on every row of a partition, for example a constant.",
						 argname)));
}

/*
 * Check that ts does not go back from the previous non-NULL row, then make
 * it the previous row.  Ties are allowed.
 */
static void
check_order(RecurState *st, TimestampTz ts, const char *fn)
{
	if (st->have_prev && ts < st->prev)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: rows are not in ascending occurred_at order: \"%s\" comes after \"%s\"",
						fn, tstz_text(ts), tstz_text(st->prev)),
				 errhint("Call it as %s(occurred_at, ...) OVER (PARTITION BY address ORDER BY occurred_at): the window must be ordered by that occurred_at, ascending.",
						 fn)));
}

/* Let the tuplestore drop every row before the current one. */
static inline void
release_old_rows(WindowObject winobj)
{
	WinSetMarkPosition(winobj, WinGetCurrentPosition(winobj));
}

/*
 * bounce.recurring(occurred_at, min_gap, max_gap): true when the previous
 * non-NULL row of the partition has prev with
 *		occurred_at - max_gap <= prev <= occurred_at - min_gap.
 */
PG_FUNCTION_INFO_V1(bounce_recurring);
Datum
bounce_recurring(PG_FUNCTION_ARGS)
{
	static const char fn[] = "bounce.recurring";
	WindowObject winobj = PG_WINDOW_OBJECT();
	RecurState *st;
	Interval   *min_gap;
	Interval   *max_gap;
	TimestampTz ts;
	bool		isnull;
	bool		result;

	st = (RecurState *) WinGetPartitionLocalMemory(winobj, sizeof(RecurState));
	release_old_rows(winobj);

	/*
	 * The gaps are read and checked on the first row of each partition,
	 * and on every row only when they are not constants (or parameters).
	 */
	if (!st->started)
	{
		min_gap = get_interval_arg(winobj, 1, fn, "min_gap");
		max_gap = get_interval_arg(winobj, 2, fn, "max_gap");
		if (DatumGetBool(DirectFunctionCall2(interval_gt,
											 IntervalPGetDatum(min_gap),
											 IntervalPGetDatum(max_gap))))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: min_gap \"%s\" is greater than max_gap \"%s\"",
							fn, interval_text(min_gap), interval_text(max_gap))));
		bounce_span_init(&st->a, min_gap);
		bounce_span_init(&st->b, max_gap);
		st->args_stable = get_fn_expr_arg_stable(fcinfo->flinfo, 1) &&
			get_fn_expr_arg_stable(fcinfo->flinfo, 2);
		st->started = true;
	}
	else if (!st->args_stable)
	{
		min_gap = get_interval_arg(winobj, 1, fn, "min_gap");
		max_gap = get_interval_arg(winobj, 2, fn, "max_gap");
		check_same_interval(min_gap, &st->a.iv, fn, "min_gap");
		check_same_interval(max_gap, &st->b.iv, fn, "max_gap");
	}

	ts = DatumGetTimestampTz(WinGetFuncArgCurrent(winobj, 0, &isnull));
	if (isnull)
		PG_RETURN_NULL();
	check_order(st, ts, fn);

	result = st->have_prev && bounce_is_recurring(st->prev, ts, &st->a, &st->b);

	st->prev = ts;
	st->have_prev = true;
	PG_RETURN_BOOL(result);
}

/*
 * Shared by suppress and streak: read occurred_at and reset, check the
 * order and advance the streak.  Returns false (and the caller returns
 * NULL) when occurred_at or reset is NULL; such a row is skipped.
 */
static bool
advance_streak(WindowObject winobj, RecurState *st, int reset_argno,
			   const char *fn, TimestampTz *ts_out, bool *is_reset)
{
	bool		isnull;
	TimestampTz ts;
	Datum		r;

	ts = DatumGetTimestampTz(WinGetFuncArgCurrent(winobj, 0, &isnull));
	if (isnull)
		return false;
	r = WinGetFuncArgCurrent(winobj, reset_argno, &isnull);
	if (isnull)
		return false;
	check_order(st, ts, fn);
	st->prev = ts;
	st->have_prev = true;

	*ts_out = ts;
	*is_reset = DatumGetBool(r);
	bounce_streak_advance(&st->streak, ts, *is_reset);
	return true;
}

/*
 * bounce.suppress(occurred_at, strikes, min_span, reset): true from the row
 * at which the current streak of bounces has at least strikes rows and
 * spans more than min_span, until a reset row.
 */
PG_FUNCTION_INFO_V1(bounce_suppress);
Datum
bounce_suppress(PG_FUNCTION_ARGS)
{
	static const char fn[] = "bounce.suppress";
	WindowObject winobj = PG_WINDOW_OBJECT();
	RecurState *st;
	Interval   *min_span;
	int32		strikes;
	bool		isnull;
	TimestampTz ts;
	bool		is_reset;

	st = (RecurState *) WinGetPartitionLocalMemory(winobj, sizeof(RecurState));
	release_old_rows(winobj);

	/* Arguments: read on each partition's first row, as for recurring. */
	if (!st->started || !st->args_stable)
	{
		strikes = DatumGetInt32(WinGetFuncArgCurrent(winobj, 1, &isnull));
		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: strikes must not be NULL", fn)));
		if (strikes < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: strikes must be at least 1, not %d", fn, strikes)));
		min_span = get_interval_arg(winobj, 2, fn, "min_span");
		if (!st->started)
		{
			st->strikes = strikes;
			bounce_span_init(&st->a, min_span);
			st->args_stable = get_fn_expr_arg_stable(fcinfo->flinfo, 1) &&
				get_fn_expr_arg_stable(fcinfo->flinfo, 2);
			st->started = true;
		}
		else
		{
			if (strikes != st->strikes)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s: strikes changes within a partition, from %d to %d",
								fn, st->strikes, strikes),
						 errhint("Pass the same strikes on every row of a partition, for example a constant.")));
			check_same_interval(min_span, &st->a.iv, fn, "min_span");
		}
	}

	if (!advance_streak(winobj, st, 3, fn, &ts, &is_reset))
		PG_RETURN_NULL();

	PG_RETURN_BOOL(bounce_suppress_check(&st->streak, ts, is_reset, st->strikes, &st->a));
}

/*
 * bounce.streak(occurred_at, reset): running length of the current streak
 * of bounces; 0 on a reset row.
 */
PG_FUNCTION_INFO_V1(bounce_streak);
Datum
bounce_streak(PG_FUNCTION_ARGS)
{
	static const char fn[] = "bounce.streak";
	WindowObject winobj = PG_WINDOW_OBJECT();
	RecurState *st;
	TimestampTz ts;
	bool		is_reset;

	st = (RecurState *) WinGetPartitionLocalMemory(winobj, sizeof(RecurState));
	release_old_rows(winobj);

	if (!advance_streak(winobj, st, 1, fn, &ts, &is_reset))
		PG_RETURN_NULL();
	if (st->streak.streak > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: streak longer than %d rows", fn, PG_INT32_MAX)));
	PG_RETURN_INT32((int32) st->streak.streak);
}
