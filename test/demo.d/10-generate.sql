-- Demo data: a registry of about 500 registrars of Zipf-like sizes with
-- 1.8M registrations, and two years of bounces (2024-2025) recorded
-- through bounce.record_batch().  Deterministic (setseed).
SET search_path = bounce, public;
SET client_min_messages = warning;
SELECT setseed(0.42) \g /dev/null

-- registrars: size ~ 1/rank^1.07, scaled to 1.8M registrations at the end
CREATE TEMP TABLE demo_registrar AS
SELECT i AS id,
       (ARRAY['Nord','Blue','Delta','Kempen','Meuse','Polder','Atom','Flanders','Brussels','Ardenne','Schelde','Euro','Quick','Prime','Orange','Iris'])[1 + (i * 7) % 16]
       || ' ' || (ARRAY['Hosting','Domains','Web','Net','Names','Digital','Cloud','ICT','Media','Online'])[1 + (i * 3) % 10] AS name,
       (ARRAY['hosting','reseller','web agency','brand protection','telecom'])[1 + floor(random() * 5)::int] AS category,
       1.0 / power(i, 1.07) AS weight,
       exp(random() * 3.2 - 1.6) AS badness           -- how careless it is with contact data
  FROM generate_series(1, 500) i;
INSERT INTO registrar (id, name, category)
SELECT id, CASE WHEN row_number() OVER (PARTITION BY name ORDER BY id) > 1 THEN name || ' ' || id ELSE name END, category FROM demo_registrar;
CREATE TEMP TABLE demo_size AS
SELECT id, greatest(20, round(1800000 * weight / sum(weight) OVER ()))::bigint AS final_size, badness FROM demo_registrar;
INSERT INTO registration (registrar_id, month, registrations)
SELECT id, ('2024-01-01'::date + k * interval '1 month')::date,
       round(final_size * (0.85 + 0.15 * k / 23.0) * (0.98 + random() * 0.04))::bigint
  FROM demo_size, generate_series(0, 23) k;

-- the kinds of bounce, with a weight and the text a mail server sends
CREATE TEMP TABLE demo_kind (k int, w float, reply int, status text, diag text, repeats boolean);
INSERT INTO demo_kind VALUES
 (1, 40, 550, '5.1.1',  '550 5.1.1 <{a}>: Recipient address rejected: User unknown in virtual mailbox table', true),
 (2, 10, 550, '5.1.1',  '550-5.1.1 The email account that you tried to reach does not exist.', true),
 (3,  8, 550, '5.1.10', '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup', true),
 (4,  8, 550, '5.4.4',  '550 5.4.4 Host or domain name not found. Name service error for name={d} type=MX', true),
 (5,  6, 550, '5.2.1',  '550 5.2.1 The email account that you tried to reach is disabled.', true),
 (6,  8, 552, '5.2.2',  '552 5.2.2 The email account that you tried to reach is over quota.', false),
 (7,  7, 554, '5.7.1',  '554 5.7.1 Service unavailable; Client host blocked using Spamhaus', false),
 (8,  6, 451, '4.2.2',  '451 4.2.2 Mailbox full, try again later', false),
 (9,  4, 421, '4.7.0',  '421 4.7.0 Temporary System Problem. Try again later.', false),
 (10, 3, 550, '5.7.26', '550 5.7.26 This message does not pass authentication checks (SPF and DKIM both fail).', false);
CREATE TEMP TABLE demo_kind_cdf AS
SELECT k, sum(w) OVER (ORDER BY k) / sum(w) OVER () AS hi FROM demo_kind;

-- bad addresses: per registrar proportional to size and carelessness;
-- each is mailed on a few occasions, every 2 to 16 weeks, until fixed
CREATE TEMP TABLE demo_addr AS
SELECT s.id AS registrar_id, s.id * 100000 + n AS aid,
       'contact' || n || '.r' || s.id || '@' || (ARRAY['gmail.com','telenet.be','skynet.be','hotmail.com','outlook.com','proximus.be','yahoo.com'])[1 + floor(random() * 7)::int] AS address,
       timestamptz '2024-01-01 00:00+00' + random() * interval '700 days' AS first_at,
       1 + floor(random() * random() * 7)::int AS mails,
       random() AS pick
  FROM demo_size s, generate_series(1, greatest(1, round(s.final_size * 0.0012 * s.badness))::int) n;
-- one-off bounces of otherwise good addresses
INSERT INTO demo_addr
SELECT s.id, s.id * 100000 + 50000 + n,
       'owner' || n || '.r' || s.id || '@' || (ARRAY['gmail.com','telenet.be','skynet.be','hotmail.com'])[1 + floor(random() * 4)::int],
       timestamptz '2024-01-01 00:00+00' + random() * interval '725 days', 1, random()
  FROM demo_size s, generate_series(1, greatest(1, round(s.final_size * 0.012))::int) n;

CREATE TEMP TABLE demo_bounce AS
SELECT a.registrar_id, a.aid, a.address, i,
       a.first_at + (SELECT sum(g) FROM unnest(ARRAY[0, 14 + random() * 100, 14 + random() * 100, 14 + random() * 100,
                                                 14 + random() * 100, 14 + random() * 100, 14 + random() * 100]) WITH ORDINALITY u(g, o) WHERE o <= i) * interval '1 day' AS at,
       (SELECT k FROM demo_kind_cdf WHERE hi >= a.pick ORDER BY hi LIMIT 1) AS k
  FROM demo_addr a, generate_series(1, a.mails) i;
DELETE FROM demo_bounce WHERE at >= '2026-01-01';
-- a bad address keeps bouncing the same way; a soft one varies per mail
UPDATE demo_bounce b SET k = 6 + floor(random() * 5)::int
  FROM demo_kind dk WHERE dk.k = b.k AND NOT dk.repeats AND b.i > 1;

-- record them through the API, in batches of 20000; one address in 23
-- is also used by a registration at a second registrar
DO $$
DECLARE lo bigint := 0;
BEGIN
	LOOP
		PERFORM count(*) FROM bounce.record_batch((
			SELECT jsonb_agg(jsonb_build_object(
				'key', '<' || b.aid || '.' || b.i || '@mail.dns.be>/' || b.address,
				'address', b.address, 'occurred_at', b.at,
				'registrars', ARRAY[b.registrar_id] || CASE WHEN b.aid % 23 = 0 AND 1 + (b.aid % 97)::int <> b.registrar_id
				                                          THEN ARRAY[1 + (b.aid % 97)::int] ELSE '{}' END,
				'reply_code', dk.reply, 'status', dk.status,
				'diagnostic', replace(replace(dk.diag, '{a}', b.address), '{d}', split_part(b.address, '@', 2))))
			  FROM (SELECT * FROM demo_bounce ORDER BY aid, i OFFSET lo LIMIT 20000) b JOIN demo_kind dk USING (k)));
		lo := lo + 20000;
		EXIT WHEN lo >= (SELECT count(*) FROM demo_bounce);
	END LOOP;
END $$;
CALL refresh();

\echo
\echo 'Demo registry'
SELECT (SELECT count(*) FROM registrar) AS registrars,
       (SELECT sum(registrations) FROM registration WHERE month = '2025-12-01') AS registrations,
       (SELECT count(*) FROM event) AS bounces,
       (SELECT count(DISTINCT address) FROM event) AS addresses,
       (SELECT count(*) FROM flagged_event WHERE recurring) AS recurring;
