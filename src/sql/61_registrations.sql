-- ---------------------------------------------------------------------
-- Month-end registration counts from the registry's own domain table.
-- record_registration() (52_registry_ingest.sql) records one number;
-- load_registrations() counts them, for every registrar of a table or
-- view of domains with their created and deleted times, and writes them
-- into registration, whose triggers queue the quarters to rescore.
-- ---------------------------------------------------------------------

-- A domain counts at the end of a month when it was created before the
-- month's end and not deleted by then (deleted NULL: still registered);
-- the month ends at midnight in config.time_zone, as every month
-- boundary of bounce does.  A registrar of the source with no domain at a
-- month's end gets 0; registrars absent from the source are left alone.
-- Only months that have ended are counted.  SECURITY DEFINER, for
-- writers (grant_writer()); the source is read as the owner, so the
-- session's role must itself be allowed to read it.
CREATE FUNCTION @extschema@.load_registrations(domains regclass, from_month date DEFAULT NULL,
		to_month date DEFAULT NULL,
		OUT months integer, OUT inserted bigint, OUT updated bigint, OUT unchanged bigint)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_tz text;
	v_last date;
	v_from date;
	v_to date;
	v_missing text;
	v_expr text[] := '{}';
	v_col text;
	v_type regtype;
	v_bad text;
BEGIN
	IF domains IS NULL THEN
		RAISE EXCEPTION 'domain source must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT has_table_privilege(@extschema@.session_role(), domains, 'SELECT') THEN
		RAISE EXCEPTION 'permission denied to read the domain source %', domains
			USING ERRCODE = 'insufficient_privilege',
				HINT = 'load_registrations reads the source as its caller may: grant SELECT on it to the role that calls it.';
	END IF;
	SELECT string_agg(c, ', ' ORDER BY o) INTO v_missing
	  FROM unnest(ARRAY['registrar_id', 'created', 'deleted']) WITH ORDINALITY AS w(c, o)
	 WHERE NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = domains AND a.attname = w.c
	                      AND a.attnum > 0 AND NOT a.attisdropped);
	IF v_missing IS NOT NULL THEN
		RAISE EXCEPTION 'domain source % has no column %', domains, v_missing
			USING ERRCODE = 'undefined_column',
				HINT = 'Give a table or view with one row per domain and columns registrar_id (integer), created and deleted (timestamptz, timestamp or date; deleted NULL while registered).';
	END IF;
	-- created and deleted as instants: a date or a timestamp without zone
	-- is read in config.time_zone, whatever the session's TimeZone
	SELECT c.time_zone INTO v_tz FROM @extschema@.config c;
	FOREACH v_col IN ARRAY ARRAY['created', 'deleted'] LOOP
		SELECT a.atttypid::regtype INTO v_type FROM pg_attribute a WHERE a.attrelid = domains AND a.attname = v_col;
		IF v_type = 'timestamptz'::regtype THEN
			v_expr := v_expr || format('s.%I', v_col);
		ELSIF v_type IN ('timestamp'::regtype, 'date'::regtype) THEN
			v_expr := v_expr || format('(s.%I::timestamp AT TIME ZONE %L)', v_col, v_tz);
		ELSE
			RAISE EXCEPTION 'column % of the domain source % is of type %, not a time', v_col, domains, v_type
				USING ERRCODE = 'datatype_mismatch',
					HINT = 'created and deleted must be timestamptz, timestamp or date.';
		END IF;
	END LOOP;

	-- the months: the last one that has ended, unless told
	v_last := (date_trunc('month', now() AT TIME ZONE v_tz) - interval '1 month')::date;
	v_to := coalesce(to_month, from_month, v_last);
	v_from := coalesce(from_month, v_to);
	IF v_from <> date_trunc('month', v_from)::date OR v_to <> date_trunc('month', v_to)::date THEN
		RAISE EXCEPTION 'months must be given as their first day, not %',
				CASE WHEN v_from <> date_trunc('month', v_from)::date THEN v_from ELSE v_to END
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Give e.g. 2025-03-01 for March.';
	END IF;
	IF v_from > v_to THEN
		RAISE EXCEPTION 'from_month % is after to_month %', v_from, v_to
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF v_to > v_last THEN
		RAISE EXCEPTION 'month % has not ended yet (in %)', v_to, v_tz
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('The last month that has ended is %s.', v_last),
				HINT = 'A month-end count is taken once the month is over.';
	END IF;
	IF v_from < '1970-01-01' THEN
		RAISE EXCEPTION 'month % is before 1970-01-01', v_from
			USING ERRCODE = 'invalid_parameter_value';
	END IF;

	-- Check the rows, so that the error names one.
	EXECUTE format($q$
		SELECT CASE WHEN s.registrar_id IS NULL THEN '23502 registrar_id is NULL'
		            WHEN NOT EXISTS (SELECT FROM @extschema@.registrar g WHERE g.id = s.registrar_id)
		                 THEN '23503 unknown registrar ' || s.registrar_id
		            WHEN %1$s IS NULL THEN '23502 created is NULL'
		            ELSE '22023 ' || pg_catalog.format('deleted %%s is before created %%s', %2$s, %1$s) END
		  FROM %3$s s
		 WHERE s.registrar_id IS NULL OR %1$s IS NULL OR %2$s < %1$s
		    OR NOT EXISTS (SELECT FROM @extschema@.registrar g WHERE g.id = s.registrar_id)
		 LIMIT 1 $q$, v_expr[1], v_expr[2], domains) INTO v_bad;
	IF v_bad IS NOT NULL THEN
		RAISE EXCEPTION 'domain source %: %', domains, substr(v_bad, 7)
			USING ERRCODE = left(v_bad, 5), DETAIL = 'No registration was changed.';
	END IF;

	months := (extract(year FROM age(v_to, v_from)) * 12 + extract(month FROM age(v_to, v_from)))::integer + 1;
	EXECUTE format($q$
		WITH m AS (
			SELECT x::date AS month, (x + interval '1 month') AT TIME ZONE $3 AS month_end
			  FROM generate_series($1::timestamp, $2::timestamp, interval '1 month') x
		), src AS (
			SELECT s.registrar_id::integer AS r, %1$s AS c, %2$s AS d FROM %3$s s
		), n AS (
			SELECT m.month, s.r, count(*) AS registrations
			  FROM src s JOIN m ON s.c < m.month_end AND (s.d IS NULL OR s.d >= m.month_end)
			 GROUP BY m.month, s.r
		), counted AS (
			SELECT m.month, g.r, coalesce(n.registrations, 0) AS registrations
			  FROM m CROSS JOIN (SELECT DISTINCT s.r FROM src s) g
			  LEFT JOIN n ON n.month = m.month AND n.r = g.r
		), up AS (
			INSERT INTO @extschema@.registration AS t (registrar_id, month, registrations)
			SELECT c.r, c.month, c.registrations FROM counted c ORDER BY c.r, c.month
			ON CONFLICT ON CONSTRAINT registration_pkey DO UPDATE SET registrations = excluded.registrations
			 WHERE t.registrations IS DISTINCT FROM excluded.registrations
			RETURNING t.xmax = 0 AS is_new
		)
		SELECT count(*) FILTER (WHERE up.is_new), count(*) FILTER (WHERE NOT up.is_new),
		       (SELECT count(*) FROM counted) - count(*)
		  FROM up $q$, v_expr[1], v_expr[2], domains)
		INTO inserted, updated, unchanged USING v_from, v_to, v_tz;
END $$;
COMMENT ON FUNCTION @extschema@.load_registrations(regclass, date, date) IS
	'count the registrations at the end of each month from from_month to to_month (first days; default: the last month that has ended) for every registrar of a domain table or view (columns registrar_id, created, deleted; deleted NULL while registered; month ends in config.time_zone) and write them into registration; returns the months and how many rows were inserted, updated and left unchanged; bad rows are an error naming one, and nothing changes';
REVOKE EXECUTE ON FUNCTION @extschema@.load_registrations(regclass, date, date) FROM PUBLIC;
