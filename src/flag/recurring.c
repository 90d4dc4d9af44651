/*-------------------------------------------------------------------------
 *
 * recurring.c
 *		The recurring and suppression rules, one row at a time: gaps and
 *		spans, the streak of bounces of an address, and when it suppresses
 *		the address.  The window functions (recurring_sql.c) and refresh.c's
 *		pass over the bounces both apply them through these functions.
 *
 * Gaps and spans are applied as timestamptz - interval in the session time
 * zone, exactly as the SQL operator does (calendar months, local days
 * across DST changes).  Since that is comparatively costly, a conservative
 * bound on how long an interval can be lets most rows be decided from the
 * raw microsecond difference; only rows close to a bound pay for the exact
 * calendar arithmetic.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/int.h"
#include "datatype/timestamp.h"
#include "pgtime.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"

#include "flag/recurring.h"

/*
 * Margin for the out-of-range clamp in ts_minus: more than twice the
 * widest spread of UTC offsets any zone can have (POSIX TZ strings allow
 * +-167 hours).
 */
#define RECUR_CLAMP_SLACK	(INT64CONST(30) * USECS_PER_DAY)

/* Beyond these the fast path is not used (and cannot overflow). */
#define RECUR_FAST_MAX_MONTHS	120000	/* 10000 years */
#define RECUR_FAST_MAX_DAYS		3650000
#define RECUR_FAST_MAX_TIME		(INT64CONST(100000) * USECS_PER_DAY * 365)

/*
 * Bounds on the number of local days that n >= 0 calendar months span.
 * n = 12q + r months cover q years (365 or 366 days) and r consecutive
 * months (28 to 31 days each), from the first of the target month to the
 * first of the start month; clamping the day of month to the end of a
 * shorter target month (31 March - 1 month = 28 February) adds 0 to 3 days.
 */
static inline int64
months_shortest_days(int64 n)
{
	return (n / 12) * 365 + (n % 12) * 28;
}

static inline int64
months_longest_days(int64 n)
{
	return (n / 12) * 366 + (n % 12) * 31 + 3;
}

/*
 * The spread of UTC offsets of the session time zone (largest minus
 * smallest offset it ever uses, and UTC), in microseconds, or -1 when
 * unknown.
 * Computed once per zone by walking its transitions; pg_tz objects live
 * for the whole session, so the pointer identifies the zone.
 */
static int64
session_tz_spread(void)
{
	static pg_tz *cached_tz = NULL;
	static int64 cached_spread = -1;
	long		gmtoff;
	long		lo;
	long		hi;
	pg_time_t	t;
	int			i;

	if (session_timezone == NULL)
		return -1;
	if (session_timezone == cached_tz)
		return cached_spread;

	/*
	 * UTC (offset 0) always counts: PostgreSQL falls back to it for local
	 * dates it cannot place (around 4714 BC).
	 */
	if (pg_get_timezone_offset(session_timezone, &gmtoff))
		cached_spread = (int64) (gmtoff < 0 ? -gmtoff : gmtoff) * USECS_PER_SEC;
	else
	{
		/*
		 * Walk every transition from the start of the timestamp range.  A
		 * zone has at most a few thousand (its table, then its POSIX rule,
		 * which only repeats offsets already seen); give up beyond that.
		 */
		t = (pg_time_t) ((MIN_TIMESTAMP / USECS_PER_SEC) +
						 (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY);
		lo = 0;
		hi = 0;
		cached_spread = -1;
		for (i = 0; i < 10000; i++)
		{
			long		before_gmtoff;
			long		after_gmtoff;
			int			before_isdst;
			int			after_isdst;
			pg_time_t	boundary;
			int			r;

			r = pg_next_dst_boundary(&t, &before_gmtoff, &before_isdst,
									 &boundary, &after_gmtoff, &after_isdst,
									 session_timezone);
			if (r < 0)
				break;
			lo = Min(lo, before_gmtoff);
			hi = Max(hi, before_gmtoff);
			if (r == 0)
			{
				cached_spread = (int64) (hi - lo) * USECS_PER_SEC;
				break;
			}
			lo = Min(lo, after_gmtoff);
			hi = Max(hi, after_gmtoff);
			if (boundary <= t)
				break;			/* no progress: do not trust it */
			t = boundary;
		}
		/* A rule that goes on forever: we have seen all its offsets. */
		if (i == 10000)
			cached_spread = (int64) (hi - lo) * USECS_PER_SEC;
	}
	cached_tz = session_timezone;
	return cached_spread;
}

/* Set up a BounceSpan from a checked, non-negative interval. */
void
bounce_span_init(BounceSpan *s, const Interval *iv)
{
	int64		spread = session_tz_spread();

	s->iv = *iv;
	s->fast = (spread >= 0 &&
			   iv->month >= 0 && iv->month <= RECUR_FAST_MAX_MONTHS &&
			   iv->day >= 0 && iv->day <= RECUR_FAST_MAX_DAYS &&
			   iv->time >= 0 && iv->time <= RECUR_FAST_MAX_TIME);
	if (s->fast)
	{
		/*
		 * timestamptz - interval goes through local time twice (once for
		 * the months, once for the days), and each time the UTC offset may
		 * change by at most the zone's spread; an hour more covers
		 * rounding and the choice made in a DST gap.
		 */
		s->shortest = (months_shortest_days(iv->month) + iv->day) * USECS_PER_DAY + iv->time;
		s->longest = (months_longest_days(iv->month) + iv->day) * USECS_PER_DAY + iv->time;
		s->slack = 2 * spread + USECS_PER_HOUR;
	}
}

/* ts - iv, the SQL timestamptz - interval operator (session time zone). */
static inline TimestampTz
ts_minus(TimestampTz ts, const Interval *iv)
{
	if (!TIMESTAMP_NOT_FINITE(ts))
	{
		double		shortest;

		/* Gaps are never negative, so only the start of the range matters. */
		if (iv->month == 0 && iv->day == 0)
		{
			TimestampTz r;

			if (pg_sub_s64_overflow(ts, iv->time, &r) || r < MIN_TIMESTAMP)
				return MIN_TIMESTAMP - 1;
			return r;
		}

		/*
		 * A gap longer than the distance to the start of the timestamp range
		 * would make the operator fail with "timestamp out of range".  The
		 * bound is then below every valid timestamp, but above -infinity,
		 * and MIN_TIMESTAMP - 1 stands for it (it is only compared).
		 */
		shortest = ((double) months_shortest_days(iv->month) + iv->day) * USECS_PER_DAY +
			iv->time;
		if ((double) ts - shortest < (double) MIN_TIMESTAMP - RECUR_CLAMP_SLACK)
			return MIN_TIMESTAMP - 1;
	}
	return DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
												   TimestampTzGetDatum(ts),
												   IntervalPGetDatum((Interval *) iv)));
}

/*
 * Is prev <= ts - span?  Decided from the raw difference when it is far
 * from the span's possible lengths, else by the exact arithmetic.  Needs
 * prev <= ts, both finite or not.
 */
bool
bounce_at_least_span_before(TimestampTz prev, TimestampTz ts, const BounceSpan *s)
{
	if (s->fast && !TIMESTAMP_NOT_FINITE(ts) && !TIMESTAMP_NOT_FINITE(prev))
	{
		int64		diff;

		/* >= 0, but may overflow between the ends of the range */
		if (!pg_sub_s64_overflow(ts, prev, &diff))
		{
			if (diff > s->longest + s->slack)
				return true;
			if (diff < s->shortest - s->slack)
				return false;
		}
	}
	return prev <= ts_minus(ts, &s->iv);
}

/* Is prev >= ts - span?  Same approach. */
bool
bounce_at_most_span_before(TimestampTz prev, TimestampTz ts, const BounceSpan *s)
{
	if (s->fast && !TIMESTAMP_NOT_FINITE(ts) && !TIMESTAMP_NOT_FINITE(prev))
	{
		int64		diff;

		if (!pg_sub_s64_overflow(ts, prev, &diff))
		{
			if (diff < s->shortest - s->slack)
				return true;
			if (diff > s->longest + s->slack)
				return false;
		}
	}
	return prev >= ts_minus(ts, &s->iv);
}

/* Is a counted bounce at ts recurring, the previous counted one being at prev? */
bool
bounce_is_recurring(TimestampTz prev, TimestampTz ts,
					const BounceSpan *min_gap, const BounceSpan *max_gap)
{
	return bounce_at_least_span_before(prev, ts, min_gap) &&
		bounce_at_most_span_before(prev, ts, max_gap);
}

/* One row of the streak: a reset ends it, anything else extends it. */
void
bounce_streak_advance(BounceStreak *s, TimestampTz ts, bool reset)
{
	if (reset)
	{
		s->streak = 0;
		s->suppressed = false;
	}
	else
	{
		if (s->streak == 0)
			s->start = ts;
		s->streak++;
	}
}

/*
 * After bounce_streak_advance on the same row: switch suppression on once
 * the streak has strikes rows spanning more than span (start < ts - span).
 */
bool
bounce_suppress_check(BounceStreak *s, TimestampTz ts, bool reset,
					  int32 strikes, const BounceSpan *span)
{
	if (!reset && !s->suppressed && s->streak >= strikes &&
		s->start < ts && !bounce_at_most_span_before(s->start, ts, span))
		s->suppressed = true;
	return s->suppressed;
}
