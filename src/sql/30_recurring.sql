-- ---------------------------------------------------------------------
-- Recurring bounces and suppression: C window functions
-- (src/flag/recurring_sql.c).  Use them as
--   f(occurred_at, ...) OVER (PARTITION BY address ORDER BY occurred_at)
-- STABLE: the gaps are applied as timestamptz - interval in the session
-- time zone.  Not STRICT: a NULL occurred_at gives NULL for that row only.
-- ---------------------------------------------------------------------

CREATE FUNCTION @extschema@.recurring(occurred_at timestamptz,
		min_gap interval DEFAULT '14 days', max_gap interval DEFAULT '3 months')
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'bounce_recurring' LANGUAGE C WINDOW STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.recurring(timestamptz, interval, interval) IS
	'window function: true when the previous non-NULL row of the partition is at least min_gap and at most max_gap before this one (occurred_at - max_gap <= prev <= occurred_at - min_gap, session time zone, calendar months); use OVER (PARTITION BY address ORDER BY occurred_at)';

CREATE FUNCTION @extschema@.suppress(occurred_at timestamptz, strikes integer DEFAULT 3,
		min_span interval DEFAULT '15 days', reset boolean DEFAULT false)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'bounce_suppress' LANGUAGE C WINDOW STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.suppress(timestamptz, integer, interval, boolean) IS
	'window function: true from the row at which the current streak of bounces has at least strikes rows spanning more than min_span, until a reset row; use OVER (PARTITION BY address ORDER BY occurred_at)';

CREATE FUNCTION @extschema@.streak(occurred_at timestamptz, reset boolean DEFAULT false)
	RETURNS integer
	AS 'MODULE_PATHNAME', 'bounce_streak' LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.streak(timestamptz, boolean) IS
	'window function: running length of the current streak of bounces (rows since the last reset row, 0 on a reset row); use OVER (PARTITION BY address ORDER BY occurred_at)';
