-- ---------------------------------------------------------------------
-- Registry model: the tables
--
-- Tables the registry fills (registered with pg_extension_config_dump, so
-- pg_dump keeps them): config, registrar, role_map, registration, event,
-- attribution.  Derived tables that CALL refresh() rebuilds (not dumped):
-- pending, quarter_queue, event_flags, monthly_status, quarterly,
-- group_score, refresh_state (monthly is a view over monthly_status, in
-- 54_registry_views.sql).  Row-level security (51_registry_security.sql) limits a
-- registrar's role to its own rows.
-- ---------------------------------------------------------------------

-- ---- configuration ---------------------------------------------------

-- config's CHECK of time_zone: a full zone name, as refresh() sets it as
-- its TimeZone (which takes no abbreviation) and the month boundaries
-- follow the zone's daylight-saving rules.  Raises 22023 naming the value,
-- with a hint; STABLE: it reads the server's time zone database.
CREATE FUNCTION bounce_internal.valid_time_zone(tz text) RETURNS boolean
	LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_offset interval;
	v_spelled text;
BEGIN
	IF EXISTS (SELECT FROM pg_timezone_names z WHERE z.name = tz) THEN
		RETURN true;
	END IF;
	SELECT a.utc_offset INTO v_offset FROM pg_timezone_abbrevs a WHERE lower(a.abbrev) = lower(tz) LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'time zone "%" is an abbreviation, not a zone', tz
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('%s is a fixed offset from UTC (%s), without the daylight-saving rules that month and quarter boundaries follow; refresh() could not set it as its TimeZone.', tz, v_offset),
				HINT = 'Use a full zone name from pg_timezone_names, such as Europe/Brussels.';
	END IF;
	SELECT z.name INTO v_spelled FROM pg_timezone_names z WHERE lower(z.name) = lower(tz) LIMIT 1;
	RAISE EXCEPTION 'unknown time zone: "%"', left(tz, 80)
		USING ERRCODE = 'invalid_parameter_value',
			HINT = CASE WHEN v_spelled IS NOT NULL THEN format('Zone names are spelled as in pg_timezone_names: %s.', v_spelled)
			            ELSE 'Use a full zone name from pg_timezone_names, such as Europe/Brussels or UTC.' END;
END $$;
COMMENT ON FUNCTION bounce_internal.valid_time_zone(text) IS 'true for a full time zone name (pg_timezone_names), else error 22023 naming the value (an abbreviation such as CEST is refused)';

-- config's CHECK of the gaps and the suppression span: refresh() refuses
-- an interval with a negative part (months, days or time), so such a
-- setting would make every refresh fail.  Raises 22023 naming it.
CREATE FUNCTION bounce_internal.valid_span(span interval, setting text) RETURNS boolean
	LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	IF extract(year FROM span) * 12 + extract(month FROM span) < 0 OR extract(day FROM span) < 0
	   OR extract(hour FROM span) * 3600 + extract(minute FROM span) * 60 + extract(second FROM span) < 0 THEN
		RAISE EXCEPTION '% must not be negative: "%"', setting, span
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = 'Every part of the interval (months, days, time) must be zero or positive.';
	END IF;
	RETURN true;
END $$;
COMMENT ON FUNCTION bounce_internal.valid_span(interval, text) IS 'true for an interval with no negative part (months, days, time), else error 22023 naming the setting';

CREATE TABLE @extschema@.config (
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	star3_max numeric NOT NULL DEFAULT 150 CHECK (star3_max >= 0),
	star2_max numeric NOT NULL DEFAULT 400,
	star1_max numeric NOT NULL DEFAULT 1000,
	count_kind text NOT NULL DEFAULT 'permanent' CHECK (count_kind IN ('permanent', 'hard')),
	recurring_min_gap interval NOT NULL DEFAULT '14 days' CHECK (bounce_internal.valid_span(recurring_min_gap, 'recurring_min_gap')),
	recurring_max_gap interval NOT NULL DEFAULT '3 months' CHECK (bounce_internal.valid_span(recurring_max_gap, 'recurring_max_gap')),
	suppress_strikes integer NOT NULL DEFAULT 3 CHECK (suppress_strikes >= 1),
	suppress_span interval NOT NULL DEFAULT '15 days' CHECK (bounce_internal.valid_span(suppress_span, 'suppress_span')),
	-- a bounce dated more than a day ahead is a clock or zone error; a
	-- tolerance of centuries would overflow now() + tolerance in record_bounce()
	future_tolerance interval NOT NULL DEFAULT '1 hour'
		CONSTRAINT future_tolerance_range CHECK (future_tolerance BETWEEN '0' AND '1 day'),
	time_zone text NOT NULL DEFAULT 'UTC' CHECK (bounce_internal.valid_time_zone(time_zone)),
	trend_quarters integer NOT NULL DEFAULT 8 CHECK (trend_quarters BETWEEN 2 AND 40),
	CONSTRAINT star_bands_ordered CHECK (star3_max <= star2_max AND star2_max <= star1_max),
	CONSTRAINT recurring_gaps_ordered CHECK (recurring_min_gap <= recurring_max_gap)
);
COMMENT ON TABLE @extschema@.config IS 'bounce settings, one row; change with one UPDATE (placeholders: DNS Belgium does not publish its thresholds); CALL refresh() applies them';
COMMENT ON COLUMN @extschema@.config.star3_max IS 'recurring bounces per 1M registrations per quarter at or below which a registrar gets 3 stars';
COMMENT ON COLUMN @extschema@.config.star2_max IS 'at or below: 2 stars';
COMMENT ON COLUMN @extschema@.config.star1_max IS 'at or below: 1 star; above: 0 stars';
COMMENT ON COLUMN @extschema@.config.count_kind IS 'which bounces count: permanent (SMTP 5xx / 5.x.x, the default) or hard (the address itself is bad)';
COMMENT ON COLUMN @extschema@.config.recurring_min_gap IS 'a counted bounce is recurring when the previous counted bounce of its address is at least this long before it';
COMMENT ON COLUMN @extschema@.config.recurring_max_gap IS 'and at most this long before it (calendar arithmetic in time_zone)';
COMMENT ON COLUMN @extschema@.config.suppress_strikes IS 'suppress an address after this many consecutive bounces';
COMMENT ON COLUMN @extschema@.config.suppress_span IS 'spanning more than this';
COMMENT ON COLUMN @extschema@.config.future_tolerance IS 'record_bounce() refuses a bounce time later than now() plus this (0 to 1 day)';
COMMENT ON COLUMN @extschema@.config.time_zone IS 'time zone of month and quarter boundaries and of the recurring-gap arithmetic: a full zone name from pg_timezone_names, not an abbreviation';
COMMENT ON COLUMN @extschema@.config.trend_quarters IS 'quarters shown in the quarterly_score trend sparkline';
COMMENT ON COLUMN @extschema@.config.singleton IS 'always true: the table holds one row';

INSERT INTO @extschema@.config DEFAULT VALUES;

-- pg_restore loads the dumped config row after CREATE EXTENSION has made
-- the default one: an INSERT into the singleton replaces it.
CREATE FUNCTION bounce_internal.config_upsert() RETURNS trigger
	LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	IF EXISTS (SELECT FROM @extschema@.config) THEN
		DELETE FROM @extschema@.config;
	END IF;
	RETURN NEW;
END $$;
COMMENT ON FUNCTION bounce_internal.config_upsert() IS 'trigger: an INSERT into the one-row config table replaces the row (so pg_restore keeps the dumped settings)';
CREATE TRIGGER config_upsert BEFORE INSERT ON @extschema@.config
	FOR EACH ROW EXECUTE FUNCTION bounce_internal.config_upsert();

-- ---- registrars, roles, registrations -------------------------------

CREATE TABLE @extschema@.registrar (
	id integer PRIMARY KEY CHECK (id > 0),
	name text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
	category text NOT NULL DEFAULT 'unspecified' CHECK (btrim(category) <> '')
);
COMMENT ON TABLE @extschema@.registrar IS 'registrars, by the registry''s own registrar id; category is the business model used as benchmark group';
COMMENT ON COLUMN @extschema@.registrar.id IS 'the registry''s own registrar id (positive)';
COMMENT ON COLUMN @extschema@.registrar.name IS 'the registrar''s name, unique, shown in every report';
COMMENT ON COLUMN @extschema@.registrar.category IS 'business model (e.g. reseller, hosting): the registrar''s category benchmark group';

-- A role is kept by its OID (regrole): a renamed role keeps its mapping,
-- and a new role that takes an old name inherits nothing.  pg_dump writes
-- the role's name, and pg_restore finds the role of that name.
CREATE TABLE @extschema@.role_map (
	role_name regrole PRIMARY KEY,
	kind text NOT NULL CHECK (kind IN ('registrar', 'analyst', 'writer')),
	registrar_id integer REFERENCES @extschema@.registrar ON DELETE CASCADE,
	CHECK ((kind = 'registrar') = (registrar_id IS NOT NULL))
);
COMMENT ON TABLE @extschema@.role_map IS 'which database role represents which registrar, and which roles are analysts or the application''s writers; maintained by grant_registrar(), grant_analyst(), grant_writer(), revoke_role()';
COMMENT ON COLUMN @extschema@.role_map.role_name IS 'the role, by OID: renaming it keeps the mapping, a new role of an old name has none';
COMMENT ON COLUMN @extschema@.role_map.kind IS 'registrar (reads its own reports), analyst (reads everything) or writer (the application: records bounces and registrations)';
COMMENT ON COLUMN @extschema@.role_map.registrar_id IS 'the registrar a registrar role represents; NULL for analysts and writers';

CREATE TABLE @extschema@.registration (
	registrar_id integer NOT NULL REFERENCES @extschema@.registrar,
	month date NOT NULL CHECK (month = date_trunc('month', month)::date),
	registrations bigint NOT NULL CHECK (registrations >= 0),
	PRIMARY KEY (registrar_id, month)
);
COMMENT ON TABLE @extschema@.registration IS 'registrations (domains) of a registrar at the end of a month: the denominator of every per-million figure; month is the first day of the month';
COMMENT ON COLUMN @extschema@.registration.registrar_id IS 'registrar';
COMMENT ON COLUMN @extschema@.registration.month IS 'first day of the month whose end the count describes';
COMMENT ON COLUMN @extschema@.registration.registrations IS 'registrations (domains) of the registrar at the end of that month';

-- ---- bounces ---------------------------------------------------------

CREATE TABLE @extschema@.event (
	id bigint GENERATED BY DEFAULT AS IDENTITY,
	idempotency_key text NOT NULL CHECK (idempotency_key <> ''),
	address text NOT NULL,
	occurred_at timestamptz NOT NULL CHECK (occurred_at >= '1970-01-01 00:00+00' AND isfinite(occurred_at)),
	reply_code @extschema@.reply_code,
	status @extschema@.smtp_status,
	diagnostic text,
	reason @extschema@.reason NOT NULL,
	hard boolean,
	permanent boolean,
	recorded_at timestamptz NOT NULL DEFAULT now(),
	-- Both keys hold the address, the column a Citus cluster distributes
	-- the bounces by (distribute(), doc/scaling.md): one schema on one
	-- node and on a cluster.  The idempotency key is unique per address;
	-- a source's key (Message-ID plus recipient) names the address anyway.
	PRIMARY KEY (address, id),
	CONSTRAINT event_idempotency_key_key UNIQUE (address, idempotency_key)
);
-- a bounce by id alone (record_attribution(), the my_ functions)
CREATE INDEX event_id_idx ON @extschema@.event (id);
-- The refresh window reads every bounce in this order: the included
-- columns (all it needs) let it scan the index alone, without visiting
-- the table in address order (about a third of a full refresh).
CREATE INDEX event_address_idx ON @extschema@.event (address, occurred_at, id)
	INCLUDE (reason, hard, permanent, status, reply_code);
COMMENT ON TABLE @extschema@.event IS 'every bounce, recorded once (by idempotency_key), with its classification computed at ingest; write through record_bounce(), record_batch() or COPY into ingest';
COMMENT ON COLUMN @extschema@.event.address IS 'recipient, as normalize_address() gives it';
COMMENT ON COLUMN @extschema@.event.idempotency_key IS 'the source''s unique key of the bounce, e.g. Message-ID plus recipient; unique per address: a key repeated for the same address is not recorded again';
COMMENT ON COLUMN @extschema@.event.reply_code IS 'SMTP reply code as the caller gave it, or, when it gave none, the one the diagnostic text states (classify_explain() at ingest); NULL if neither';
COMMENT ON COLUMN @extschema@.event.status IS 'enhanced status code as the caller gave it, or, when it gave none, the one the diagnostic text states (classify_explain() at ingest); NULL if neither';
COMMENT ON COLUMN @extschema@.event.reason IS 'the reason the source stated (record_bounce(..., reason)), else classify(diagnostic, reply_code, status, command, remote_host) at ingest';
COMMENT ON COLUMN @extschema@.event.hard IS 'is_hard(reason, reply_code, status) at ingest: the address itself is bad';
COMMENT ON COLUMN @extschema@.event.permanent IS 'is_permanent(reply_code, status) at ingest, over the stored codes: SMTP 5xx or 5.x.x';
COMMENT ON COLUMN @extschema@.event.id IS 'bounce id, from event_id_seq; record_bounce() and record_batch() return it';
COMMENT ON COLUMN @extschema@.event.occurred_at IS 'when the bounce happened (the source''s time, e.g. the report''s Arrival-Date), not when it was recorded';
COMMENT ON COLUMN @extschema@.event.diagnostic IS 'the diagnostic text as the source gave it, e.g. the remote server''s reply';
COMMENT ON COLUMN @extschema@.event.recorded_at IS 'when the bounce was recorded (the recording transaction''s start)';

CREATE TABLE @extschema@.attribution (
	event_id bigint NOT NULL,
	registrar_id integer NOT NULL REFERENCES @extschema@.registrar,
	domains text[],
	-- keyed by the bounce's address, as event: co-located with it on a
	-- Citus cluster (last, as the 1.1.0 upgrade adds it after domains)
	address text NOT NULL,
	PRIMARY KEY (address, event_id, registrar_id),
	FOREIGN KEY (address, event_id) REFERENCES @extschema@.event (address, id) ON DELETE CASCADE
);
CREATE INDEX attribution_registrar_idx ON @extschema@.attribution (registrar_id);
-- the registrars of the bounces an incremental refresh() recounts, read
-- by id: the new bounces are a run of ids, one range of this index
-- (src/flag/refresh.c), which the primary key, led by the address, is not
CREATE INDEX attribution_event_idx ON @extschema@.attribution (event_id) INCLUDE (registrar_id);
COMMENT ON COLUMN @extschema@.attribution.address IS 'the bounce''s address (as in event): the key a Citus cluster distributes by';
COMMENT ON TABLE @extschema@.attribution IS 'a bounce counts against every registrar with a registration using the address at the time (each is notified): one row per (bounce, registrar)';
COMMENT ON COLUMN @extschema@.attribution.event_id IS 'the bounce';
COMMENT ON COLUMN @extschema@.attribution.registrar_id IS 'a registrar it counts against';
COMMENT ON COLUMN @extschema@.attribution.domains IS 'the domains of the registrar''s contacts (contact) that used the address at the bounce''s time, when the bounce was attributed from them (registrars NULL); NULL when the caller named the registrar';

-- Bounces recorded since the last refresh (a queue: refresh() deletes
-- what it has seen, so a bounce committed late is never skipped).  A
-- bounce queued with recount has new registrars (record_attribution()):
-- the incremental pass counts a bounce for its registrars only when its
-- flags change, so the next refresh is a full one.
CREATE TABLE @extschema@.pending (
	event_id bigint NOT NULL,
	recount boolean NOT NULL DEFAULT false,
	address text NOT NULL	-- last, as the 1.1.0 upgrade adds it
);
COMMENT ON TABLE @extschema@.pending IS 'queue of bounces recorded since the last refresh(); internal';
COMMENT ON COLUMN @extschema@.pending.address IS 'the bounce''s address: the key a Citus cluster distributes by';
COMMENT ON COLUMN @extschema@.pending.event_id IS 'a bounce recorded since the last refresh()';
COMMENT ON COLUMN @extschema@.pending.recount IS 'the bounce was given registrars after it was recorded: the next refresh is a full one';

-- Registrar-quarters whose scores may have changed since the last refresh,
-- so that refresh() recomputes only those (a queue, as pending: claimed in
-- one statement).  Fed by the triggers on registration and registrar
-- (53_registry_refresh.sql), and by refresh_addresses() for the months its
-- bounces moved.
CREATE TABLE @extschema@.quarter_queue (
	registrar_id integer,
	quarter date,
	CHECK (quarter IS NULL OR quarter = date_trunc('quarter', quarter)::date)
);
COMMENT ON TABLE @extschema@.quarter_queue IS 'queue of registrar-quarters to rescore at the next refresh(); a row with registrar_id NULL rescores every quarter; internal';
COMMENT ON COLUMN @extschema@.quarter_queue.registrar_id IS 'the registrar whose quarter changed; NULL: every registrar';
COMMENT ON COLUMN @extschema@.quarter_queue.quarter IS 'first day of the quarter that changed';

-- ---- derived state (rebuilt by refresh) ------------------------------

-- One flag byte per bounce, BOUNCE_FLAG_BLOCK (256) bounces by id to a
-- row: a full refresh of 10M bounces writes 40k rows instead of 10M.  The
-- layout and the bits are defined once, in src/flag/event_flags.h; make
-- writes their values in place of each @BOUNCE_FLAG_...@ in the install
-- script.  flagged_event reads it; nobody needs to decode it by hand.
CREATE TABLE @extschema@.event_flags (
	block bigint PRIMARY KEY,
	flags bytea NOT NULL CHECK (octet_length(flags) = @BOUNCE_FLAG_BLOCK@)
);
ALTER TABLE @extschema@.event_flags ALTER COLUMN flags SET STORAGE PLAIN;	-- read in place, never compressed
COMMENT ON TABLE @extschema@.event_flags IS 'flags of every bounce as of the last refresh(), packed one byte per bounce and @BOUNCE_FLAG_BLOCK@ bounces to a row (see flagged_event); internal, written by refresh()';
COMMENT ON COLUMN @extschema@.event_flags.block IS 'bounce id divided by @BOUNCE_FLAG_BLOCK@: the row holds the flags of the bounces with ids block * @BOUNCE_FLAG_BLOCK@ up to the next block';
COMMENT ON COLUMN @extschema@.event_flags.flags IS 'one flag byte per bounce of the block, in id order (bits in src/flag/event_flags.h)';

CREATE TABLE @extschema@.monthly_status (
	registrar_id integer NOT NULL,
	month date NOT NULL,
	status @extschema@.smtp_status NOT NULL,
	counted bigint NOT NULL,
	recurring bigint NOT NULL,
	PRIMARY KEY (registrar_id, month, status)
);
COMMENT ON TABLE @extschema@.monthly_status IS 'summary kept by refresh(): counted and recurring bounces per registrar, month and status code';
COMMENT ON COLUMN @extschema@.monthly_status.registrar_id IS 'registrar';
COMMENT ON COLUMN @extschema@.monthly_status.month IS 'first day of the month (in config.time_zone)';
COMMENT ON COLUMN @extschema@.monthly_status.status IS 'enhanced status code of the bounces; those that had none: 4.0.0 after a 4xx reply, else 5.0.0';
COMMENT ON COLUMN @extschema@.monthly_status.counted IS 'counted bounces of the registrar with this status in the month';
COMMENT ON COLUMN @extschema@.monthly_status.recurring IS 'of which recurring';

-- A row for every quarter in which a registrar has a registration row or
-- a counted bounce: a registrar with bounces but no usable quarter-end
-- count is kept, unrated, rather than dropped.
CREATE TABLE @extschema@.quarterly (
	registrar_id integer NOT NULL,
	quarter date NOT NULL,
	registrations bigint,
	counted bigint NOT NULL,
	recurring bigint NOT NULL,
	per_1m numeric,
	trend text,
	portfolio_rank integer,
	PRIMARY KEY (registrar_id, quarter)
);
-- the benchmark groups and portfolio ranks are recomputed per quarter
CREATE INDEX quarterly_quarter_idx ON @extschema@.quarterly (quarter);
COMMENT ON TABLE @extschema@.quarterly IS 'summary kept by refresh(): per registrar and quarter with a registration row or a counted bounce, registrations at quarter end, counted and recurring bounces, recurring per 1M (unrounded), the trend sparkline and the portfolio rank';
COMMENT ON COLUMN @extschema@.quarterly.registrar_id IS 'registrar';
COMMENT ON COLUMN @extschema@.quarterly.quarter IS 'first day of the quarter (in config.time_zone)';
COMMENT ON COLUMN @extschema@.quarterly.registrations IS 'registrations at the end of the quarter''s last month; NULL when that month has no registration row';
COMMENT ON COLUMN @extschema@.quarterly.counted IS 'counted bounces in the quarter';
COMMENT ON COLUMN @extschema@.quarterly.recurring IS 'recurring bounces in the quarter';
COMMENT ON COLUMN @extschema@.quarterly.per_1m IS 'recurring bounces per 1M registrations, unrounded; NULL (no rating) when registrations is NULL or 0';
COMMENT ON COLUMN @extschema@.quarterly.trend IS 'sparkline of per_1m over the last config.trend_quarters quarters, oldest first, from the registrar''s first quarter; a quarter without a rating is a blank';
COMMENT ON COLUMN @extschema@.quarterly.portfolio_rank IS 'rank among the quarter''s rated registrars by registrations, larger first, ties by smaller registrar id; NULL when unrated';

CREATE TABLE @extschema@.group_score (
	quarter date NOT NULL,
	group_name text NOT NULL,
	members integer NOT NULL,
	recurring bigint NOT NULL,
	registrations bigint NOT NULL,
	PRIMARY KEY (quarter, group_name)
);
COMMENT ON TABLE @extschema@.group_score IS 'summary kept by refresh(): each benchmark group (top 10, top 50, all, category ...) as one virtual registrar per quarter, over the registrars with a rating; aggregate figures, readable by every registrar';
COMMENT ON COLUMN @extschema@.group_score.quarter IS 'first day of the quarter';
COMMENT ON COLUMN @extschema@.group_score.group_name IS '''top 10'', ''top 50'' (by portfolio_rank), ''all'', or ''category '' and the category';
COMMENT ON COLUMN @extschema@.group_score.members IS 'registrars with a rating in the group';
COMMENT ON COLUMN @extschema@.group_score.recurring IS 'their recurring bounces in the quarter';
COMMENT ON COLUMN @extschema@.group_score.registrations IS 'their registrations at quarter end';

CREATE TABLE @extschema@.refresh_state (
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	settings jsonb,
	refreshed_at timestamptz,
	last_kind text,
	last_events bigint,
	trend_quarters integer,
	policies_behind boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.refresh_state IS 'what the last refresh() that found work did, and with which settings (a settings change forces a full refresh); a refresh with nothing new leaves it as it is';
COMMENT ON COLUMN @extschema@.refresh_state.policies_behind IS 'the last refresh could not bring the read policies in step with role_map (a table was in use): the next refresh does not end early, and tries again';
COMMENT ON COLUMN @extschema@.refresh_state.singleton IS 'always true: the table holds one row';
COMMENT ON COLUMN @extschema@.refresh_state.settings IS 'the config settings the stored flags and summaries were computed with';
COMMENT ON COLUMN @extschema@.refresh_state.refreshed_at IS 'when the last refresh that found work ran';
COMMENT ON COLUMN @extschema@.refresh_state.last_kind IS 'full or incremental: the kind of that refresh';
COMMENT ON COLUMN @extschema@.refresh_state.last_events IS 'bounces that refresh compared';
COMMENT ON COLUMN @extschema@.refresh_state.trend_quarters IS 'config.trend_quarters the trends were drawn with';
INSERT INTO @extschema@.refresh_state DEFAULT VALUES;

SELECT pg_catalog.pg_extension_config_dump('@extschema@.config', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.registrar', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.role_map', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.registration', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.event', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.event_id_seq', '');
COMMENT ON SEQUENCE @extschema@.event_id_seq IS 'ids of event';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.attribution', '');
