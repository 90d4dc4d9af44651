-- ---------------------------------------------------------------------
-- Registry: refresh
--
-- CALL refresh() brings event_flags and the summaries up to date: the
-- per-bounce work is refresh_scan() in C (src/flag/refresh.c), the
-- quarterly summary and the benchmark groups are SQL.
-- ---------------------------------------------------------------------

-- In C (src/score/sparkline.c): refresh() draws one trend per rewritten quarter.
CREATE FUNCTION @extschema@.sparkline(vals numeric[]) RETURNS text
	AS 'MODULE_PATHNAME', 'bounce_sparkline'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sparkline(numeric[]) IS 'a small bar chart of the values, one block character each (U+2581 to U+2588), scaled from 0 to the largest; NULL is a blank';

-- The per-bounce work of refresh(), in C (src/flag/refresh.c): one ordered pass
-- over event_address_idx that applies the rules of recurring() and
-- suppress() and counts per registrar, month and status.
CREATE FUNCTION @extschema@.refresh_scan(new_ids bigint[], min_gap interval, max_gap interval,
		strikes integer, span interval, count_hard boolean)
	RETURNS TABLE (block bigint, flags bytea, registrar_id integer, month date,
	               status @extschema@.smtp_status, counted bigint, recurring bigint)
	AS 'MODULE_PATHNAME', 'bounce_refresh_scan'
	LANGUAGE C STABLE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.refresh_scan(bigint[], interval, interval, integer, interval, boolean) IS
	'internal to refresh(): with new_ids NULL, every event_flags row and the counted and recurring bounces per registrar, month and status; with new_ids, only the event_flags rows that change and the count differences, for the addresses of those bounces from each one''s first new bounce on (a dense run of ids is read as one range: older bounces inside it are compared too, and found unchanged); plus one row with only counted set: the bounces flagged';

-- Recompute the flags of the bounces of the addresses of the given new
-- bounces and apply the differences to the summaries.  The rules look only
-- backwards, so a bounce earlier than an address's first new one keeps its
-- flags: refresh_scan() reads every bounce of the address (for its state)
-- but compares only those from the first new one on.
CREATE FUNCTION @extschema@.refresh_addresses(new_ids bigint[]) RETURNS bigint
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	c @extschema@.config;
	n bigint;
	zr integer[];
	zm date[];
	zs @extschema@.smtp_status[];
	mr integer[];
	mm date[];
BEGIN
	SELECT * INTO STRICT c FROM @extschema@.config;
	-- One statement, no temp tables (creating them costs more than a day's
	-- work); the summaries that drop to zero are collected for the DELETE.
	WITH r AS MATERIALIZED (
		SELECT * FROM @extschema@.refresh_scan(new_ids, c.recurring_min_gap, c.recurring_max_gap,
		                                       c.suppress_strikes, c.suppress_span, c.count_kind = 'hard')
	), f AS (
		INSERT INTO @extschema@.event_flags AS b (block, flags)
		SELECT r.block, r.flags FROM r WHERE r.block IS NOT NULL
		ON CONFLICT (block) DO UPDATE SET flags = excluded.flags
	), ms AS (
		INSERT INTO @extschema@.monthly_status AS m (registrar_id, month, status, counted, recurring)
		SELECT r.registrar_id, r.month, r.status, r.counted, r.recurring FROM r WHERE r.registrar_id IS NOT NULL
		ON CONFLICT (registrar_id, month, status) DO UPDATE
		   SET counted = m.counted + excluded.counted, recurring = m.recurring + excluded.recurring
		RETURNING m.registrar_id, m.month, m.status, m.counted, m.recurring
	), mo AS (
		INSERT INTO @extschema@.monthly AS m (registrar_id, month, counted, recurring)
		SELECT r.registrar_id, r.month, sum(r.counted), sum(r.recurring) FROM r WHERE r.registrar_id IS NOT NULL GROUP BY 1, 2
		ON CONFLICT (registrar_id, month) DO UPDATE
		   SET counted = m.counted + excluded.counted, recurring = m.recurring + excluded.recurring
		RETURNING m.registrar_id, m.month, m.counted, m.recurring
	)
	SELECT (SELECT r.counted FROM r WHERE r.block IS NULL AND r.registrar_id IS NULL),
	       (SELECT array_agg(ms.registrar_id) FROM ms WHERE ms.counted = 0 AND ms.recurring = 0),
	       (SELECT array_agg(ms.month) FROM ms WHERE ms.counted = 0 AND ms.recurring = 0),
	       (SELECT array_agg(ms.status) FROM ms WHERE ms.counted = 0 AND ms.recurring = 0),
	       (SELECT array_agg(mo.registrar_id) FROM mo WHERE mo.counted = 0 AND mo.recurring = 0),
	       (SELECT array_agg(mo.month) FROM mo WHERE mo.counted = 0 AND mo.recurring = 0)
	  INTO n, zr, zm, zs, mr, mm;
	-- after the statement above, so that it sees the new sums
	IF zr IS NOT NULL THEN
		DELETE FROM @extschema@.monthly_status m USING unnest(zr, zm, zs) z(r, mo, st)
		 WHERE m.registrar_id = z.r AND m.month = z.mo AND m.status OPERATOR(@extschema@.=) z.st AND m.counted = 0 AND m.recurring = 0;
	END IF;
	IF mr IS NOT NULL THEN
		DELETE FROM @extschema@.monthly m USING unnest(mr, mm) z(r, mo)
		 WHERE m.registrar_id = z.r AND m.month = z.mo AND m.counted = 0 AND m.recurring = 0;
	END IF;
	RETURN coalesce(n, 0);
END $$;
COMMENT ON FUNCTION @extschema@.refresh_addresses(bigint[]) IS 'internal to refresh(): recompute the flags of the bounces of these new bounces'' addresses, from each address''s first new bounce on, and apply the differences to the summaries';

-- Full recompute of event_flags and the summaries.
CREATE FUNCTION @extschema@.refresh_full() RETURNS bigint
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	c @extschema@.config;
	n bigint;
BEGIN
	SELECT * INTO STRICT c FROM @extschema@.config;
	DELETE FROM @extschema@.pending;
	-- Rows are replaced in place, only where they differ, and removed where
	-- they are no longer produced; no TRUNCATE, so readers of the views keep
	-- the previous state until this commits instead of waiting for a lock,
	-- and a full refresh that changes little writes little.
	WITH r AS MATERIALIZED (
		SELECT * FROM @extschema@.refresh_scan(NULL, c.recurring_min_gap, c.recurring_max_gap,
		                                       c.suppress_strikes, c.suppress_span, c.count_kind = 'hard')
	), mr AS MATERIALIZED (
		SELECT r.registrar_id, r.month, sum(r.counted) AS counted, sum(r.recurring) AS recurring
		  FROM r WHERE r.registrar_id IS NOT NULL GROUP BY 1, 2
	), df AS MATERIALIZED (	-- blocks that differ from the stored ones, or are gone
		SELECT n.block AS nb, n.flags, o.block AS ob
		  FROM (SELECT r.block, r.flags FROM r WHERE r.block IS NOT NULL) n
		  FULL JOIN @extschema@.event_flags o ON o.block = n.block
		 WHERE n.flags IS DISTINCT FROM o.flags
	), f AS (	-- plain INSERT for new keys (refreshes are serialised: no conflict)
		INSERT INTO @extschema@.event_flags (block, flags)
		SELECT df.nb, df.flags FROM df WHERE df.ob IS NULL
	), fu AS (
		UPDATE @extschema@.event_flags b SET flags = df.flags
		  FROM df WHERE df.nb IS NOT NULL AND b.block = df.ob
	), fd AS (
		DELETE FROM @extschema@.event_flags b USING df WHERE df.nb IS NULL AND b.block = df.ob
	), dms AS MATERIALIZED (	-- the same for monthly_status
		SELECT n.registrar_id AS nr, n.month AS nm, n.status AS ns, n.counted, n.recurring,
		       o.registrar_id AS orr, o.month AS om, o.status AS os
		  FROM (SELECT r.registrar_id, r.month, r.status, r.counted, r.recurring FROM r WHERE r.registrar_id IS NOT NULL) n
		  FULL JOIN @extschema@.monthly_status o
		         ON o.registrar_id = n.registrar_id AND o.month = n.month AND o.status OPERATOR(@extschema@.=) n.status
		 WHERE (n.counted, n.recurring) IS DISTINCT FROM (o.counted, o.recurring)
	), ms AS (
		INSERT INTO @extschema@.monthly_status (registrar_id, month, status, counted, recurring)
		SELECT d.nr, d.nm, d.ns, d.counted, d.recurring FROM dms d WHERE d.orr IS NULL
	), msu AS (
		UPDATE @extschema@.monthly_status m SET counted = d.counted, recurring = d.recurring
		  FROM dms d
		 WHERE d.nr IS NOT NULL AND m.registrar_id = d.orr AND m.month = d.om AND m.status OPERATOR(@extschema@.=) d.os
	), msd AS (
		DELETE FROM @extschema@.monthly_status m USING dms d
		 WHERE d.nr IS NULL AND m.registrar_id = d.orr AND m.month = d.om AND m.status OPERATOR(@extschema@.=) d.os
	), dmo AS MATERIALIZED (	-- and for monthly
		SELECT n.registrar_id AS nr, n.month AS nm, n.counted, n.recurring, o.registrar_id AS orr, o.month AS om
		  FROM mr n FULL JOIN @extschema@.monthly o ON o.registrar_id = n.registrar_id AND o.month = n.month
		 WHERE (n.counted, n.recurring) IS DISTINCT FROM (o.counted, o.recurring)
	), mo AS (
		INSERT INTO @extschema@.monthly (registrar_id, month, counted, recurring)
		SELECT d.nr, d.nm, d.counted, d.recurring FROM dmo d WHERE d.orr IS NULL
	), mou AS (
		UPDATE @extschema@.monthly m SET counted = d.counted, recurring = d.recurring
		  FROM dmo d WHERE d.nr IS NOT NULL AND m.registrar_id = d.orr AND m.month = d.om
	), mod AS (
		DELETE FROM @extschema@.monthly m USING dmo d
		 WHERE d.nr IS NULL AND m.registrar_id = d.orr AND m.month = d.om
	)
	SELECT r.counted INTO n FROM r WHERE r.block IS NULL AND r.registrar_id IS NULL;
	RETURN coalesce(n, 0);
END $$;
COMMENT ON FUNCTION @extschema@.refresh_full() IS 'internal to refresh(): recompute every bounce''s flags and all summaries';

CREATE FUNCTION @extschema@.refresh_quarters() RETURNS void
	LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
	-- Recompute every quarter's figures (cheap: they come from monthly),
	-- but rewrite, with their trend, only the quarters that differ from
	-- what is stored and the later quarters of the same registrar (or all,
	-- when trend_quarters changed): the trend sparkline is most of the cost.
	WITH m AS (
		SELECT m.registrar_id, date_trunc('quarter', m.month)::date AS quarter,
		       sum(m.counted) AS counted, sum(m.recurring) AS recurring
		  FROM @extschema@.monthly m GROUP BY 1, 2
	), q AS (
		SELECT g.registrar_id, (g.month - interval '2 months')::date AS quarter, g.registrations,
		       coalesce(m.counted, 0) AS counted, coalesce(m.recurring, 0) AS recurring
		  FROM @extschema@.registration g
		  LEFT JOIN m ON m.registrar_id = g.registrar_id AND m.quarter = (g.month - interval '2 months')::date
		 WHERE extract(month FROM g.month) IN (3, 6, 9, 12)
	), s AS (
		SELECT q.*, round(q.recurring * 1000000.0 / nullif(q.registrations, 0), 1) AS per_1m FROM q
	), dirty AS (	-- per registrar, the first quarter that changed (the trend of later ones moves too)
		SELECT coalesce(s.registrar_id, o.registrar_id) AS registrar_id,
		       CASE WHEN (SELECT r.trend_quarters IS DISTINCT FROM (SELECT trend_quarters FROM @extschema@.config)
		                    FROM @extschema@.refresh_state r)
		            THEN '-infinity' ELSE min(coalesce(s.quarter, o.quarter)) END AS since
		  FROM s FULL JOIN @extschema@.quarterly o ON o.registrar_id = s.registrar_id AND o.quarter = s.quarter
		 WHERE (s.registrations, s.counted, s.recurring, s.per_1m) IS DISTINCT FROM (o.registrations, o.counted, o.recurring, o.per_1m)
		    OR (SELECT r.trend_quarters IS DISTINCT FROM (SELECT trend_quarters FROM @extschema@.config)
		          FROM @extschema@.refresh_state r)
		 GROUP BY 1
	), t AS (
		SELECT s.registrar_id, s.quarter, s.registrations, s.counted, s.recurring, s.per_1m, d.since,
		       (array_agg(s.per_1m) OVER w)[greatest(1, (count(*) OVER w)::integer - c.trend_quarters + 1):] AS vals
		  FROM s JOIN dirty d ON d.registrar_id = s.registrar_id
		 CROSS JOIN (SELECT * FROM @extschema@.config LIMIT 1) c	-- one row: keeps estimates (and JIT) sane
		WINDOW w AS (PARTITION BY s.registrar_id ORDER BY s.quarter)
	)
	INSERT INTO @extschema@.quarterly AS o (registrar_id, quarter, registrations, counted, recurring, per_1m, trend)
	SELECT t.registrar_id, t.quarter, t.registrations, t.counted, t.recurring, t.per_1m, @extschema@.sparkline(t.vals)
	  FROM t
	 WHERE t.quarter >= t.since
	ON CONFLICT (registrar_id, quarter) DO UPDATE
	   SET registrations = excluded.registrations, counted = excluded.counted, recurring = excluded.recurring,
	       per_1m = excluded.per_1m, trend = excluded.trend
	 WHERE (o.registrations, o.counted, o.recurring, o.per_1m, o.trend)
	       IS DISTINCT FROM (excluded.registrations, excluded.counted, excluded.recurring, excluded.per_1m, excluded.trend);
	-- quarters whose quarter-end registrations are gone (their registrar's
	-- trend was rewritten above without them)
	DELETE FROM @extschema@.quarterly o
	 WHERE NOT EXISTS (SELECT FROM @extschema@.registration g
	                    WHERE g.registrar_id = o.registrar_id AND g.month = (o.quarter + interval '2 months')::date);

	DELETE FROM @extschema@.group_score;
	WITH q AS (
		SELECT q.registrar_id, r.category, q.quarter, q.registrations, q.recurring,
		       row_number() OVER (PARTITION BY q.quarter ORDER BY q.registrations DESC NULLS LAST, q.registrar_id) AS portfolio_rank
		  FROM @extschema@.quarterly q JOIN @extschema@.registrar r ON r.id = q.registrar_id
	)
	INSERT INTO @extschema@.group_score (quarter, group_name, members, recurring, registrations)
	SELECT quarter, grp, count(*), sum(recurring), sum(registrations)
	  FROM q, LATERAL (VALUES ('all'), ('category ' || category),
	                          (CASE WHEN portfolio_rank <= 10 THEN 'top 10' END),
	                          (CASE WHEN portfolio_rank <= 50 THEN 'top 50' END)) v(grp)
	 WHERE grp IS NOT NULL
	 GROUP BY 1, 2 $$;
COMMENT ON FUNCTION @extschema@.refresh_quarters() IS 'internal to refresh(): recompute the quarterly summary of every quarter, rewriting (with the trend) only from the first quarter that changed, and the benchmark groups';

-- The refresh's internals are for refresh() alone, which its owner (or the
-- pg_cron job) runs.
REVOKE EXECUTE ON FUNCTION @extschema@.refresh_scan(bigint[], interval, interval, integer, interval, boolean),
	@extschema@.refresh_addresses(bigint[]), @extschema@.refresh_full(), @extschema@.refresh_quarters() FROM PUBLIC;

-- jit off: the refresh's statements are index scans feeding C and joins
-- of a few thousand summary rows, whose 10M-row estimates cross
-- jit_above_cost; compiling them cost about 150 ms of a 5 s full refresh
-- at 10M and bought nothing.
CREATE PROCEDURE @extschema@.refresh(full boolean DEFAULT false)
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET jit = off
	AS $$
DECLARE
	c @extschema@.config;
	v_settings jsonb;
	v_ids bigint[];
	v_kind text;
	n bigint;
	v_tz text := current_setting('TimeZone');
BEGIN
	-- One refresh at a time; a second one waits, then finds little to do.
	-- The lock is the row of refresh_state, which only roles with UPDATE
	-- on it (the owner's) can lock: an advisory lock, which any role may
	-- take, would let any login role stop the scores from updating.
	PERFORM FROM @extschema@.refresh_state FOR UPDATE;
	-- the read policies' roles, as role_map says (after a restore they
	-- are the installing role's alone; a no-op otherwise).  ALTER POLICY
	-- needs the table to itself: when a reader holds it, the refresh goes
	-- on without and the next one tries again.
	BEGIN
		PERFORM @extschema@.apply_policies(wait => false);
	EXCEPTION WHEN lock_not_available THEN
		RAISE WARNING 'bounce.refresh: the read policies could not be brought in step with role_map now (a table is in use); the next refresh tries again';
	END;
	SELECT * INTO STRICT c FROM @extschema@.config;
	v_settings := to_jsonb(c) - 'star3_max' - 'star2_max' - 'star1_max' - 'future_tolerance' - 'trend_quarters' - 'singleton';
	-- the window functions' calendar arithmetic runs in the configured zone
	PERFORM set_config('TimeZone', c.time_zone, true);
	IF refresh.full OR (SELECT settings IS DISTINCT FROM v_settings FROM @extschema@.refresh_state)
	   OR EXISTS (SELECT FROM @extschema@.pending p WHERE p.recount) THEN
		v_kind := 'full';
		n := @extschema@.refresh_full();
	ELSE
		v_kind := 'incremental';
		-- claim the queue in one statement: bounces committed later stay
		-- queued, and so do those to recount (committed since the check
		-- above), for the next refresh, a full one
		WITH claimed AS (DELETE FROM @extschema@.pending p WHERE NOT p.recount RETURNING p.event_id)
		SELECT array_agg(event_id) INTO v_ids FROM claimed;
		n := CASE WHEN v_ids IS NULL THEN 0 ELSE @extschema@.refresh_addresses(v_ids) END;
	END IF;
	PERFORM @extschema@.refresh_quarters();
	UPDATE @extschema@.refresh_state
	   SET settings = v_settings, refreshed_at = now(), last_kind = v_kind, last_events = n,
	       trend_quarters = c.trend_quarters;
	PERFORM set_config('TimeZone', v_tz, true);
END $$;
COMMENT ON PROCEDURE @extschema@.refresh(boolean) IS
	'bring the summaries up to date: recompute only the addresses with new bounces (full => true, or changed settings, recomputes everything); one at a time (it locks the row of refresh_state); run it from pg_cron as the extension''s owner';
