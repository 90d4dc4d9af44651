-- ---------------------------------------------------------------------
-- Registry: refresh
--
-- CALL refresh() brings event_flags and the summaries up to date: the
-- per-bounce work is refresh_scan() in C (src/flag/refresh.c), the
-- quarterly summary and the benchmark groups are SQL.  The quarters it
-- rescores are those the new bounces moved and those quarter_queue holds,
-- which the triggers below fill when a registration or a registrar
-- changes.
-- ---------------------------------------------------------------------

-- ---- what queues a registrar-quarter ---------------------------------
--
-- The triggers only insert into quarter_queue.  Who fires them: the
-- registration rows are written by record_registration() (SECURITY
-- DEFINER, so as the extension's owner) or by the owner; registrars and
-- config by the owner alone.  So the owner inserts the queue rows, and no
-- other role needs a privilege on quarter_queue.

-- A registration row decides its registrar's quarter (its rating and the
-- benchmark groups of that quarter): queue the quarter of the old and the
-- new row.
CREATE FUNCTION bounce_internal.registration_changed() RETURNS trigger
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	IF TG_OP = 'TRUNCATE' THEN
		INSERT INTO @extschema@.quarter_queue VALUES (NULL, NULL);
		RETURN NULL;
	END IF;
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		INSERT INTO @extschema@.quarter_queue VALUES (OLD.registrar_id, date_trunc('quarter', OLD.month)::date);
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') AND NOT (TG_OP = 'UPDATE' AND (OLD.registrar_id, OLD.month) = (NEW.registrar_id, NEW.month)) THEN
		INSERT INTO @extschema@.quarter_queue VALUES (NEW.registrar_id, date_trunc('quarter', NEW.month)::date);
	END IF;
	RETURN NULL;
END $$;
COMMENT ON FUNCTION bounce_internal.registration_changed() IS 'trigger on registration: queue the changed registrar-quarters for the next refresh()';
CREATE TRIGGER registration_changed AFTER INSERT OR UPDATE OR DELETE ON @extschema@.registration
	FOR EACH ROW EXECUTE FUNCTION bounce_internal.registration_changed();
CREATE TRIGGER registration_truncated AFTER TRUNCATE ON @extschema@.registration
	FOR EACH STATEMENT EXECUTE FUNCTION bounce_internal.registration_changed();

-- A registrar's category names one of its benchmark groups: a change
-- rescores every quarter (rare, and done by the extension's owner).
CREATE FUNCTION bounce_internal.registrar_changed() RETURNS trigger
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	INSERT INTO @extschema@.quarter_queue VALUES (NULL, NULL);
	RETURN NULL;
END $$;
COMMENT ON FUNCTION bounce_internal.registrar_changed() IS 'trigger on registrar: a changed category or id queues every quarter for the next refresh()';
CREATE TRIGGER registrar_changed AFTER UPDATE OF id, category OR DELETE ON @extschema@.registrar
	FOR EACH STATEMENT EXECUTE FUNCTION bounce_internal.registrar_changed();

-- A change of the settings that the stored flags and summaries depend on
-- (all but the star bands and future_tolerance, which are read when used)
-- queues a mark, so that the next refresh() finds work without reading
-- config: it then compares the settings and refreshes in full, or redraws
-- the trends.
CREATE FUNCTION bounce_internal.config_changed() RETURNS trigger
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	IF TG_OP = 'INSERT'
	   OR to_jsonb(OLD) - 'star3_max' - 'star2_max' - 'star1_max' - 'future_tolerance'
	      IS DISTINCT FROM to_jsonb(NEW) - 'star3_max' - 'star2_max' - 'star1_max' - 'future_tolerance' THEN
		INSERT INTO @extschema@.quarter_queue VALUES (NULL, NULL);
	END IF;
	RETURN NULL;
END $$;
COMMENT ON FUNCTION bounce_internal.config_changed() IS 'trigger on config: a changed setting that refresh() depends on queues a mark in quarter_queue for the next refresh()';
CREATE TRIGGER config_changed AFTER INSERT OR UPDATE ON @extschema@.config
	FOR EACH ROW EXECUTE FUNCTION bounce_internal.config_changed();

-- ---- the refresh -----------------------------------------------------

-- In C (src/score/sparkline.c): refresh() draws one trend per rewritten quarter.
CREATE FUNCTION @extschema@.sparkline(vals numeric[]) RETURNS text
	AS 'MODULE_PATHNAME', 'bounce_sparkline'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sparkline(numeric[]) IS 'a small bar chart of the values, one block character each (U+2581 to U+2588), scaled from 0 to the largest; NULL is a blank';

-- The per-bounce work of refresh(), in C (src/flag/refresh.c): one ordered pass
-- over event_address_idx that applies the rules of recurring() and
-- suppress() and counts per registrar, month and status.
CREATE FUNCTION bounce_internal.refresh_scan(new_ids bigint[], min_gap interval, max_gap interval,
		strikes integer, span interval, count_hard boolean)
	RETURNS TABLE (block bigint, flags bytea, registrar_id integer, month date,
	               status @extschema@.smtp_status, counted bigint, recurring bigint)
	AS 'MODULE_PATHNAME', 'bounce_refresh_scan'
	LANGUAGE C STABLE PARALLEL UNSAFE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION bounce_internal.refresh_scan(bigint[], interval, interval, integer, interval, boolean) IS
	'internal to refresh(): with new_ids NULL, every event_flags row and the counted and recurring bounces per registrar, month and status; with new_ids, only the event_flags rows that change and the count differences, for the addresses of those bounces from each one''s first new bounce on (a dense run of ids is read as one range: older bounces inside it are compared too, and found unchanged); plus one row with only counted set: the bounces flagged';

-- Recompute the flags of the bounces of the addresses of the given new
-- bounces and apply the differences to the summaries.  The rules look only
-- backwards, so a bounce earlier than an address's first new one keeps its
-- flags: refresh_scan() reads every bounce of the address (for its state)
-- but compares only those from the first new one on.  Returns how many
-- bounces it compared and the registrar-months whose counts moved (one
-- pair per summary row written: refresh_quarters() takes their quarters
-- and drops the repeats, so this statement needs no DISTINCT of its own,
-- which a new session pays for in catalog lookups).
CREATE FUNCTION bounce_internal.refresh_addresses(new_ids bigint[], OUT compared bigint,
		OUT registrar_ids integer[], OUT months date[])
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	c @extschema@.config;
	zr integer[];
	zm date[];
	zs @extschema@.smtp_status[];
BEGIN
	SELECT * INTO STRICT c FROM @extschema@.config;
	-- One statement, no temp tables (creating them costs more than a day's
	-- work); the summaries that drop to zero are collected for the DELETE.
	WITH r AS MATERIALIZED (
		SELECT * FROM bounce_internal.refresh_scan(new_ids, c.recurring_min_gap, c.recurring_max_gap,
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
	)
	SELECT (SELECT r.counted FROM r WHERE r.block IS NULL AND r.registrar_id IS NULL),
	       a.registrar_ids, a.months, a.zr, a.zm, a.zs
	  INTO compared, registrar_ids, months, zr, zm, zs
	  FROM (SELECT array_agg(ms.registrar_id) AS registrar_ids, array_agg(ms.month) AS months,
	               array_agg(ms.registrar_id) FILTER (WHERE ms.counted = 0 AND ms.recurring = 0) AS zr,
	               array_agg(ms.month) FILTER (WHERE ms.counted = 0 AND ms.recurring = 0) AS zm,
	               array_agg(ms.status) FILTER (WHERE ms.counted = 0 AND ms.recurring = 0) AS zs
	          FROM ms) a;
	compared := coalesce(compared, 0);
	-- after the statement above, so that it sees the new sums
	IF zr IS NOT NULL THEN
		DELETE FROM @extschema@.monthly_status m USING unnest(zr, zm, zs) z(r, mo, st)
		 WHERE m.registrar_id = z.r AND m.month = z.mo AND m.status OPERATOR(@extschema@.=) z.st AND m.counted = 0 AND m.recurring = 0;
	END IF;
END $$;
COMMENT ON FUNCTION bounce_internal.refresh_addresses(bigint[]) IS 'internal to refresh(): recompute the flags of the bounces of these new bounces'' addresses, from each address''s first new bounce on, apply the differences to the summaries, and return how many bounces were compared and the registrar-months whose counts moved (one pair per summary row written)';

-- Full recompute of event_flags and the summaries.
CREATE FUNCTION bounce_internal.refresh_full() RETURNS bigint
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
		SELECT * FROM bounce_internal.refresh_scan(NULL, c.recurring_min_gap, c.recurring_max_gap,
		                                       c.suppress_strikes, c.suppress_span, c.count_kind = 'hard')
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
	)
	SELECT r.counted INTO n FROM r WHERE r.block IS NULL AND r.registrar_id IS NULL;
	RETURN coalesce(n, 0);
END $$;
COMMENT ON FUNCTION bounce_internal.refresh_full() IS 'internal to refresh(): recompute every bounce''s flags and all summaries';

-- Rescore the given registrar-quarters (or all of them), redraw the
-- trends they move and recompute the benchmark groups of their quarters
-- (and the portfolio ranks, where a registration count moved).  Each
-- statement costs its planning in the new session a pg_cron job runs in,
-- so those a small refresh does not need are skipped.
CREATE FUNCTION bounce_internal.refresh_quarters(all_quarters boolean, trend_quarters integer,
		registrar_ids integer[], quarters date[]) RETURNS void
	LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_all boolean := all_quarters;
	v_everything boolean;
	v_r integer[];
	v_q date[];
	v_dq date[];
	v_rq date[];
BEGIN
	-- the pairs to rescore, once each (a date stands for its quarter); a
	-- NULL one (a mark) means all
	SELECT coalesce(bool_or(d.r IS NULL OR d.q IS NULL), false),
	       array_agg(d.r), array_agg(d.q), array_agg(DISTINCT d.q)
	  INTO v_everything, v_r, v_q, v_dq
	  FROM (SELECT DISTINCT u.r, date_trunc('quarter', u.q)::date AS q FROM unnest(registrar_ids, quarters) u(r, q)) d;
	IF v_all OR v_everything THEN
		-- every registrar-quarter with data, or with a row to remove
		v_all := true;
		SELECT array_agg(u.registrar_id), array_agg(u.quarter), array_agg(DISTINCT u.quarter)
		  INTO v_r, v_q, v_dq
		  FROM (SELECT g.registrar_id, date_trunc('quarter', g.month)::date AS quarter FROM @extschema@.registration g
		        UNION
		        SELECT m.registrar_id, date_trunc('quarter', m.month)::date FROM @extschema@.monthly_status m
		        UNION
		        SELECT o.registrar_id, o.quarter FROM @extschema@.quarterly o) u;
	END IF;
	IF v_r IS NULL THEN
		-- nothing to rescore: new bounces that moved no count, or (all
		-- quarters) a registry without registrations or bounces, which
		-- leaves no group
		IF v_all THEN
			DELETE FROM @extschema@.group_score;
		END IF;
		RETURN;
	END IF;

	-- The registrar-quarters to rescore, their figures now, and the trend
	-- of every later quarter of the same registrars (a trend looks back).
	-- Returns the quarters whose registrations moved, for the ranks.
	WITH d AS MATERIALIZED (
		SELECT u.r AS registrar_id, u.q AS quarter FROM unnest(v_r, v_q) u(r, q) WHERE u.r IS NOT NULL AND u.q IS NOT NULL
	), nf AS MATERIALIZED (	-- present: the registrar has a registration row or bounces in the quarter
		SELECT d.registrar_id, d.quarter, g.registrations, coalesce(m.counted, 0) AS counted,
		       coalesce(m.recurring, 0) AS recurring,
		       m.counted IS NOT NULL OR EXISTS (
		           SELECT FROM @extschema@.registration x
		            WHERE x.registrar_id = d.registrar_id AND x.month >= d.quarter
		              AND x.month < (d.quarter + interval '3 months')::date) AS present
		  FROM d
		  LEFT JOIN @extschema@.registration g
		         ON g.registrar_id = d.registrar_id AND g.month = (d.quarter + interval '2 months')::date
		  LEFT JOIN LATERAL (
		       SELECT sum(m.counted) AS counted, sum(m.recurring) AS recurring FROM @extschema@.monthly_status m
		        WHERE m.registrar_id = d.registrar_id AND m.month >= d.quarter
		          AND m.month < (d.quarter + interval '3 months')::date) m ON true
	), since AS (	-- per registrar, its first rescored quarter
		SELECT d.registrar_id, min(d.quarter) AS since FROM d GROUP BY 1
	), cur AS (	-- every quarter of those registrars as it will be
		SELECT nf.registrar_id, nf.quarter, nf.registrations, nf.counted, nf.recurring,
		       nf.recurring * 1000000.0 / nullif(nf.registrations, 0) AS per_1m
		  FROM nf WHERE nf.present
		UNION ALL
		SELECT o.registrar_id, o.quarter, o.registrations, o.counted, o.recurring, o.per_1m
		  FROM @extschema@.quarterly o JOIN since s ON s.registrar_id = o.registrar_id
		 WHERE NOT EXISTS (SELECT FROM d WHERE d.registrar_id = o.registrar_id AND d.quarter = o.quarter)
	), dense AS (	-- and the quarters between them with no row: blanks in the trend
		SELECT b.registrar_id, q.quarter::date AS quarter
		  FROM (SELECT cur.registrar_id, min(cur.quarter) AS lo, max(cur.quarter) AS hi FROM cur GROUP BY 1) b,
		       generate_series(b.lo, b.hi, interval '3 months') q(quarter)
	), t AS (
		SELECT dense.registrar_id, dense.quarter, cur.registrations, cur.counted, cur.recurring, cur.per_1m,
		       cur.registrar_id IS NOT NULL AS present,
		       array_agg(cur.per_1m) OVER (PARTITION BY dense.registrar_id ORDER BY dense.quarter
		                                   ROWS BETWEEN trend_quarters - 1 PRECEDING AND CURRENT ROW) AS vals
		  FROM dense LEFT JOIN cur ON cur.registrar_id = dense.registrar_id AND cur.quarter = dense.quarter
	), gone AS (
		DELETE FROM @extschema@.quarterly o USING nf
		 WHERE NOT nf.present AND o.registrar_id = nf.registrar_id AND o.quarter = nf.quarter
	), w AS (
		INSERT INTO @extschema@.quarterly AS o (registrar_id, quarter, registrations, counted, recurring, per_1m, trend)
		SELECT t.registrar_id, t.quarter, t.registrations, t.counted, t.recurring, t.per_1m, @extschema@.sparkline(t.vals)
		  FROM t JOIN since s ON s.registrar_id = t.registrar_id
		 WHERE t.present AND t.quarter >= s.since
		ON CONFLICT (registrar_id, quarter) DO UPDATE
		   SET registrations = excluded.registrations, counted = excluded.counted, recurring = excluded.recurring,
		       per_1m = excluded.per_1m, trend = excluded.trend
		 WHERE (o.registrations, o.counted, o.recurring, o.per_1m, o.trend)
		       IS DISTINCT FROM (excluded.registrations, excluded.counted, excluded.recurring, excluded.per_1m, excluded.trend)
	)
	SELECT array_agg(DISTINCT nf.quarter) INTO v_rq
	  FROM nf LEFT JOIN @extschema@.quarterly o ON o.registrar_id = nf.registrar_id AND o.quarter = nf.quarter
	 WHERE (CASE WHEN nf.present THEN nf.registrations END) IS DISTINCT FROM o.registrations
	    OR nf.present <> (o.registrar_id IS NOT NULL) OR v_all;

	-- Portfolio ranks of the quarters whose registrations moved: the
	-- registrars with a rating by registrations at quarter end, larger
	-- first; ties by registrar id.
	IF v_rq IS NOT NULL THEN
		WITH rk AS (
			SELECT q.registrar_id, q.quarter,
			       CASE WHEN q.registrations > 0 THEN
			            row_number() OVER (PARTITION BY q.quarter ORDER BY q.registrations DESC NULLS LAST, q.registrar_id) END AS r
			  FROM @extschema@.quarterly q
			 WHERE q.quarter = ANY (v_rq)
		)
		UPDATE @extschema@.quarterly o SET portfolio_rank = rk.r
		  FROM rk
		 WHERE o.registrar_id = rk.registrar_id AND o.quarter = rk.quarter AND o.portfolio_rank IS DISTINCT FROM rk.r;
	END IF;

	-- The benchmark groups of the quarters touched, over the registrars with
	-- a rating, replacing the stored ones (and those of quarters now empty).
	WITH n AS (
		SELECT q.quarter, v.grp, count(*) AS members, sum(q.recurring) AS recurring, sum(q.registrations) AS registrations
		  FROM @extschema@.quarterly q JOIN @extschema@.registrar r ON r.id = q.registrar_id,
		       LATERAL (VALUES ('all'), ('category ' || r.category),
		                       (CASE WHEN q.portfolio_rank <= 10 THEN 'top 10' END),
		                       (CASE WHEN q.portfolio_rank <= 50 THEN 'top 50' END)) v(grp)
		 WHERE q.registrations > 0 AND v.grp IS NOT NULL AND q.quarter = ANY (v_dq)
		 GROUP BY 1, 2
	), del AS (
		DELETE FROM @extschema@.group_score g
		 WHERE (g.quarter = ANY (v_dq) OR v_all)
		   AND NOT EXISTS (SELECT FROM n WHERE n.quarter = g.quarter AND n.grp = g.group_name)
	)
	INSERT INTO @extschema@.group_score AS g (quarter, group_name, members, recurring, registrations)
	SELECT n.quarter, n.grp, n.members, n.recurring, n.registrations FROM n
	ON CONFLICT (quarter, group_name) DO UPDATE
	   SET members = excluded.members, recurring = excluded.recurring, registrations = excluded.registrations
	 WHERE (g.members, g.recurring, g.registrations) IS DISTINCT FROM (excluded.members, excluded.recurring, excluded.registrations);
END $$;
COMMENT ON FUNCTION bounce_internal.refresh_quarters(boolean, integer, integer[], date[]) IS 'internal to refresh(): rescore the given registrar-quarters (a registrar and any day of the quarter; all_quarters, or a NULL pair: every one), redraw their trends (of trend_quarters quarters) from each one on, and recompute the benchmark groups of their quarters and, where registrations moved, the portfolio ranks';

-- The refresh's internals are for refresh() alone, which its owner (or the
-- pg_cron job) runs.
REVOKE EXECUTE ON FUNCTION bounce_internal.refresh_scan(bigint[], interval, interval, integer, interval, boolean),
	bounce_internal.refresh_addresses(bigint[]), bounce_internal.refresh_full(),
	bounce_internal.refresh_quarters(boolean, integer, integer[], date[]) FROM PUBLIC;

-- The refresh proper, for refresh() when there is work.  jit off: the
-- refresh's statements are index scans feeding C and joins of a few
-- thousand summary rows, whose 10M-row estimates cross jit_above_cost;
-- compiling them cost about 150 ms of a 5 s full refresh at 10M and
-- bought nothing.
CREATE PROCEDURE bounce_internal.refresh_run(full boolean)
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET jit = off
	AS $$
DECLARE
	c @extschema@.config;
	v_settings jsonb;
	v_ids bigint[];
	v_kind text;
	n bigint;
	v_tz text;
	v_full boolean;
	v_trend boolean;
	v_behind boolean := false;
	v_qr integer[];
	v_qq date[];
	v_ar integer[];
	v_aq date[];
BEGIN
	-- One refresh at a time; a second one waits, then finds little to do.
	-- The lock is the row of refresh_state, which only roles with UPDATE
	-- on it (the owner's) can lock: an advisory lock, which any role may
	-- take, would let any login role stop the scores from updating.
	PERFORM FROM @extschema@.refresh_state FOR UPDATE;
	-- the read policies' roles, as role_map says (after a restore they
	-- are the installing role's alone; otherwise they are in step, which
	-- policies_in_step() finds at a fraction of apply_policies()' cost in
	-- a new session).  ALTER POLICY needs the table to itself: when a
	-- reader holds it, the refresh goes on without, and policies_behind
	-- makes the next refresh try again.
	IF NOT bounce_internal.policies_in_step() THEN
		BEGIN
			PERFORM bounce_internal.apply_policies(wait => false);
		EXCEPTION WHEN lock_not_available THEN
			v_behind := true;
			RAISE WARNING 'bounce.refresh: the read policies could not be brought in step with role_map now (a table is in use); the next refresh tries again';
		END;
	END IF;
	v_tz := current_setting('TimeZone');
	SELECT * INTO STRICT c FROM @extschema@.config;
	v_settings := to_jsonb(c) - 'star3_max' - 'star2_max' - 'star1_max' - 'future_tolerance' - 'trend_quarters' - 'singleton';
	-- the window functions' calendar arithmetic runs in the configured zone
	PERFORM set_config('TimeZone', c.time_zone, true);
	SELECT refresh_run.full OR s.settings IS DISTINCT FROM v_settings, s.trend_quarters IS DISTINCT FROM c.trend_quarters
	  INTO v_full, v_trend FROM @extschema@.refresh_state s;
	-- SELECT 1, not SELECT: Citus plans no empty target list
	v_full := v_full OR EXISTS (SELECT 1 FROM @extschema@.pending p WHERE p.recount);
	-- Claim both queues in one statement: what is committed later stays
	-- queued for the next refresh, and so do bounces to recount committed
	-- since the check above (the next refresh is then a full one).
	WITH p AS (DELETE FROM @extschema@.pending p WHERE v_full OR NOT p.recount RETURNING p.event_id),
	     q AS (DELETE FROM @extschema@.quarter_queue RETURNING registrar_id, quarter)
	SELECT (SELECT array_agg(p.event_id) FROM p), (SELECT array_agg(q.registrar_id) FROM q),
	       (SELECT array_agg(q.quarter) FROM q)
	  INTO v_ids, v_qr, v_qq;
	IF v_full THEN
		v_kind := 'full';
		n := bounce_internal.refresh_full();
		PERFORM bounce_internal.refresh_quarters(true, c.trend_quarters, NULL, NULL);
	ELSE
		v_kind := 'incremental';
		n := 0;
		IF v_ids IS NOT NULL THEN
			SELECT a.compared, a.registrar_ids, a.months INTO n, v_ar, v_aq
			  FROM bounce_internal.refresh_addresses(v_ids) a;
		END IF;
		-- a new trend length redraws every trend
		PERFORM bounce_internal.refresh_quarters(v_trend, c.trend_quarters, v_qr || v_ar, v_qq || v_aq);
	END IF;
	UPDATE @extschema@.refresh_state
	   SET settings = v_settings, refreshed_at = now(), last_kind = v_kind, last_events = n,
	       trend_quarters = c.trend_quarters, policies_behind = v_behind;
	PERFORM set_config('TimeZone', v_tz, true);
END $$;
COMMENT ON PROCEDURE bounce_internal.refresh_run(boolean) IS 'internal to refresh(): the refresh when there may be work: take the lock, apply the read policies, claim both queues, and refresh incrementally or (full, changed settings, a bounce to recount) in full';

-- Bring the summaries up to date.  With nothing to do it ends after one
-- statement; refresh_run() is the rest, so that a pg_cron run with
-- nothing new does not compile it either.
CREATE PROCEDURE @extschema@.refresh(full boolean DEFAULT false)
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	-- Nothing new and nothing queued (a change of settings queues a mark,
	-- see config_changed()), after a first refresh and with the read
	-- policies in step: a pg_cron run ends here, after one statement that
	-- reads refresh_state and two empty queues, and writes nothing (no lock
	-- taken, no transaction id, no commit to flush).  In a new session, as
	-- pg_cron's, every statement pays its catalog lookups and planning.
	-- It needs no lock: a queue row is deleted only by a refresh, in the
	-- transaction that writes what it found, so empty queues in this
	-- statement's snapshot mean that every change committed before it is
	-- in the summaries; a refresh still running has not committed its
	-- DELETE, so its rows are still seen here, and this one goes on to wait
	-- for it in refresh_run().
	IF NOT refresh.full
	   AND (SELECT s.settings IS NOT NULL AND NOT s.policies_behind FROM @extschema@.refresh_state s)
	   AND NOT EXISTS (SELECT 1 FROM @extschema@.pending) AND NOT EXISTS (SELECT 1 FROM @extschema@.quarter_queue) THEN
		RETURN;
	END IF;
	CALL bounce_internal.refresh_run(refresh.full);
END $$;
COMMENT ON PROCEDURE @extschema@.refresh(boolean) IS
	'bring the summaries up to date: recompute only the addresses with new bounces and the registrar-quarters queued (full => true, or changed settings, recomputes everything); with nothing new it writes nothing and takes no lock; one at a time (it locks the row of refresh_state); run it from pg_cron as the extension''s owner';

-- refresh() is the owner's (the pg_cron job runs as it).  Its row lock
-- stops any other role that finds work; a refresh with nothing new ends
-- before taking it, so EXECUTE is taken from PUBLIC as well: another role
-- gets a plain "permission denied" either way.
REVOKE EXECUTE ON PROCEDURE @extschema@.refresh(boolean), bounce_internal.refresh_run(boolean) FROM PUBLIC;
