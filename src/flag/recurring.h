/*-------------------------------------------------------------------------
 *
 * recurring.h
 *		The recurring and suppression rules, one row at a time
 *		(recurring.c): shared by the window functions (recurring_sql.c) and
 *		by refresh.c's pass over the bounces.  Backend only.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BOUNCE_RECURRING_H
#define BOUNCE_RECURRING_H

#include "datatype/timestamp.h"

/*
 * A gap or span, with precomputed bounds on its length in microseconds
 * whatever the calendar and time zone, so that most comparisons need no
 * calendar arithmetic.  fast is false when the interval is too large for
 * the bounds to be computed safely.  Shared with refresh.c, which applies
 * the same rules as the window functions.
 */
typedef struct BounceSpan
{
	Interval	iv;
	bool		fast;
	int64		shortest;		/* it is never shorter than this ... */
	int64		longest;		/* ... nor longer than this */
	int64		slack;			/* time zone allowance on both bounds */
} BounceSpan;

/*
 * Error 22023 naming fn and argname when a part of iv is negative
 * (recurring_sql.c: it checks the window functions' arguments too).
 */
extern void bounce_check_span(const Interval *iv, const char *fn, const char *argname);
/* Set up a span from a checked, non-negative interval (session zone). */
extern void bounce_span_init(BounceSpan *s, const Interval *iv);
/* prev <= ts - span, exactly as the SQL operator (needs prev <= ts) */
extern bool bounce_at_least_span_before(TimestampTz prev, TimestampTz ts,
										const BounceSpan *s);
/* prev >= ts - span */
extern bool bounce_at_most_span_before(TimestampTz prev, TimestampTz ts,
									   const BounceSpan *s);

/*
 * The rules themselves, one row at a time, for the window functions and
 * for refresh.c's pass.  A counted bounce is recurring when the previous
 * counted bounce of its address is between min_gap and max_gap before it.
 * The streak counts bounces since the last reset (a delivery); the address
 * is suppressed from the row at which the streak has at least strikes rows
 * spanning more than span, until a reset.
 */
typedef struct BounceStreak
{
	int64		streak;			/* current streak length */
	TimestampTz start;			/* occurred_at of its first row */
	bool		suppressed;		/* on until a reset */
} BounceStreak;

extern bool bounce_is_recurring(TimestampTz prev, TimestampTz ts,
								const BounceSpan *min_gap, const BounceSpan *max_gap);
extern void bounce_streak_advance(BounceStreak *s, TimestampTz ts, bool reset);
extern bool bounce_suppress_check(BounceStreak *s, TimestampTz ts, bool reset,
								  int32 strikes, const BounceSpan *span);

#endif							/* BOUNCE_RECURRING_H */
