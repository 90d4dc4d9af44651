-- ---------------------------------------------------------------------
-- Registry: what a registrar reads
--
-- A registrar's role has no privilege on any table or view (see
-- 51_registry_security.sql).  It reads its reports through these
-- functions, one per scoring view, each returning the view's own row type
-- (so they follow the views as they change) with the rows of the
-- registrars my_registrars() gives the session's role:
--
--   SELECT * FROM bounce.my_quarterly_score() WHERE quarter = '2025-01-01';
--
-- Why they cannot leak another registrar's rows:
--   - They are SECURITY DEFINER (they run as the extension's owner, who
--     reads every table), and the planner never inlines such a function:
--     the caller's WHERE clause is applied to the rows it returns, after
--     it has run, never inside it.  So the caller's predicates, operators
--     and subplans see, count and time only the caller's own rows.
--   - They take no argument: what they read is decided by role_map and
--     the session's role alone, never by a value the caller gives (a
--     lookup by a given value in an index that holds other registrars'
--     rows would show in the statistics counters).
--   - They are driven from the registrar's own rows: its attribution rows
--     (by attribution_registrar_idx), then its bounces by id; the
--     per-registrar views are read for its registrar ids.  They never
--     look up another registrar's bounces, not even those at an address
--     the registrar shares: fix_list and address_status are computed from
--     the registrar's own bounces.
--   - search_path is pg_catalog, pg_temp and every name is qualified.
-- What a registrar can still learn is written in doc/bounce.md, 5.6.
--
-- EXECUTE is not granted to PUBLIC; grant_registrar() grants every
-- function of the schema whose name starts with my_.
-- ---------------------------------------------------------------------

-- The registrar's bounces, with their flags.
CREATE FUNCTION @extschema@.my_flagged_event() RETURNS SETOF @extschema@.flagged_event
	LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT f.*
	  FROM (SELECT DISTINCT a.address, a.event_id FROM @extschema@.attribution a
	         WHERE a.registrar_id = ANY ((SELECT @extschema@.my_registrars())::integer[])) own
	 CROSS JOIN LATERAL (SELECT * FROM @extschema@.flagged_event f WHERE f.address = own.address AND f.id = own.event_id) f $$;
COMMENT ON FUNCTION @extschema@.my_flagged_event() IS 'flagged_event for the registrars of the session''s role: its own bounces and their flags';
REVOKE EXECUTE ON FUNCTION @extschema@.my_flagged_event() FROM PUBLIC;

CREATE FUNCTION @extschema@.my_monthly_score() RETURNS SETOF @extschema@.monthly_score
	LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT s.* FROM @extschema@.monthly_score s WHERE s.registrar_id = ANY ((SELECT @extschema@.my_registrars())::integer[]) $$;
COMMENT ON FUNCTION @extschema@.my_monthly_score() IS 'monthly_score for the registrars of the session''s role';
REVOKE EXECUTE ON FUNCTION @extschema@.my_monthly_score() FROM PUBLIC;

CREATE FUNCTION @extschema@.my_top_errors() RETURNS SETOF @extschema@.top_errors
	LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT s.* FROM @extschema@.top_errors s WHERE s.registrar_id = ANY ((SELECT @extschema@.my_registrars())::integer[]) $$;
COMMENT ON FUNCTION @extschema@.my_top_errors() IS 'top_errors for the registrars of the session''s role';
REVOKE EXECUTE ON FUNCTION @extschema@.my_top_errors() FROM PUBLIC;

CREATE FUNCTION @extschema@.my_quarterly_score() RETURNS SETOF @extschema@.quarterly_score
	LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT s.* FROM @extschema@.quarterly_score s WHERE s.registrar_id = ANY ((SELECT @extschema@.my_registrars())::integer[]) $$;
COMMENT ON FUNCTION @extschema@.my_quarterly_score() IS 'quarterly_score for the registrars of the session''s role';
REVOKE EXECUTE ON FUNCTION @extschema@.my_quarterly_score() FROM PUBLIC;

CREATE FUNCTION @extschema@.my_benchmark() RETURNS SETOF @extschema@.benchmark
	LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT s.* FROM @extschema@.benchmark s WHERE s.registrar_id = ANY ((SELECT @extschema@.my_registrars())::integer[]) $$;
COMMENT ON FUNCTION @extschema@.my_benchmark() IS 'benchmark for the registrars of the session''s role: its quarters beside the benchmark groups (aggregates of all registrars)';
REVOKE EXECUTE ON FUNCTION @extschema@.my_benchmark() FROM PUBLIC;

-- fix_list per registrar counts only that registrar's bounces of each
-- address, so it is computed here from them alone, as the view computes
-- it (the view finds them through every bounce of the address): figured
-- on the counted bounces, the others apart.
CREATE FUNCTION @extschema@.my_fix_list() RETURNS SETOF @extschema@.fix_list
	LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
	WITH own AS MATERIALIZED (
		SELECT a.registrar_id, a.domains, f.*
		  FROM @extschema@.attribution a
		 CROSS JOIN LATERAL (SELECT * FROM @extschema@.flagged_event f WHERE f.address = a.address AND f.id = a.event_id) f
		 WHERE a.registrar_id = ANY ((SELECT @extschema@.my_registrars())::integer[])
	), per AS (
		SELECT o.registrar_id, o.address,
		       count(*) FILTER (WHERE o.counted) AS counted_bounces,
		       count(*) FILTER (WHERE o.recurring) AS recurring_bounces,
		       min(o.occurred_at) FILTER (WHERE o.counted) AS first_bounce,
		       max(o.occurred_at) FILTER (WHERE o.counted) AS last_bounce,
		       (array_agg(o.reason ORDER BY o.occurred_at DESC, o.id DESC) FILTER (WHERE o.counted))[1] AS last_reason,
		       (array_agg(o.status ORDER BY o.occurred_at DESC, o.id DESC) FILTER (WHERE o.counted))[1] AS last_status,
		       (array_agg(o.suppressed ORDER BY o.occurred_at DESC, o.id DESC))[1] AS suppressed,
		       count(*) FILTER (WHERE NOT o.counted) AS uncounted_bounces,
		       max(o.occurred_at) FILTER (WHERE NOT o.counted) AS last_uncounted_bounce
		  FROM own o
		 GROUP BY o.registrar_id, o.address
		HAVING bool_or(o.recurring)
	), dom AS (
		SELECT o.registrar_id, o.address, array_agg(DISTINCT d.domain ORDER BY d.domain) AS domains
		  FROM own o CROSS JOIN LATERAL unnest(o.domains) AS d(domain)
		 GROUP BY o.registrar_id, o.address
	)
	SELECT per.registrar_id, r.name AS registrar,
	       rank() OVER (PARTITION BY per.registrar_id ORDER BY per.recurring_bounces DESC, per.counted_bounces DESC, per.last_bounce DESC) AS rank,
	       per.address, per.recurring_bounces, per.counted_bounces, per.first_bounce, per.last_bounce,
	       per.last_reason, per.last_status, per.suppressed, per.uncounted_bounces, per.last_uncounted_bounce,
	       dom.domains
	  FROM per JOIN @extschema@.registrar r ON r.id = per.registrar_id
	  LEFT JOIN dom ON dom.registrar_id = per.registrar_id AND dom.address = per.address $$;
COMMENT ON FUNCTION @extschema@.my_fix_list() IS 'fix_list for the registrars of the session''s role, computed from their own bounces';
REVOKE EXECUTE ON FUNCTION @extschema@.my_fix_list() FROM PUBLIC;

-- address_status over the registrar's own bounces: the last one it had
-- at each address, and the streak counted over its own bounces, as a
-- registrar's role saw it through row-level security.
CREATE FUNCTION @extschema@.my_address_status() RETURNS SETOF @extschema@.address_status
	LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
	SELECT DISTINCT ON (x.address) x.address, x.occurred_at AS last_bounce, x.reason AS last_reason,
	       x.status AS last_status, x.hard AS last_hard, x.streak, coalesce(x.suppressed, false) AS suppressed
	  FROM (SELECT e.*, @extschema@.streak(e.occurred_at, e.reason OPERATOR(pg_catalog.=) 'delivered'::@extschema@.reason)
	                    OVER (PARTITION BY e.address ORDER BY e.occurred_at, e.id) AS streak
	          FROM @extschema@.my_flagged_event() e) x
	 ORDER BY x.address, x.occurred_at DESC, x.id DESC $$;
COMMENT ON FUNCTION @extschema@.my_address_status() IS 'address_status over the own bounces of the registrars of the session''s role';
REVOKE EXECUTE ON FUNCTION @extschema@.my_address_status() FROM PUBLIC;
