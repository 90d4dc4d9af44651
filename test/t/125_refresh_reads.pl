# An incremental refresh on one node reads what its new bounces touch,
# not the whole registry.  In a registry of 200,000 bounces, a refresh of
# a few new ones reads event, attribution and event_flags through their
# indexes only (no sequential scan), whether the new ids are one run
# (read as a range) or far apart (read id by id).
# pg_stat_xact_user_tables counts the scans of the refreshing
# transaction itself, so nothing else running on the node can disturb it.
use strict;
use warnings;
use Test::More;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use BounceTest;

my $node = bounce_node('reads');
my $db = fresh_db($node, 'bounce_tap_reads');
psql_ok($node, $db, q{
	CREATE EXTENSION bounce;
	SET search_path = bounce, public;
	SELECT setseed(0.25);
	INSERT INTO registrar SELECT i, 'R' || i FROM generate_series(1, 50) i;
	INSERT INTO registration SELECT i, ('2024-01-01'::date + k * interval '1 month')::date, 1000 * i
	  FROM generate_series(1, 50) i, generate_series(0, 23) k;
	INSERT INTO event (idempotency_key, address, occurred_at, reply_code, status, reason, hard, permanent)
	SELECT 'k' || g, 'user' || a || '@d' || (a % 100) || '.example',
	       timestamptz '2024-01-01 00:00+00' + random() * interval '700 days', 550, '5.1.1', 'userunknown', true, true
	  FROM (SELECT g, floor(random() * 50000)::bigint AS a FROM generate_series(1, 200000) g) s;
	INSERT INTO attribution (address, event_id, registrar_id)
	SELECT e.address, e.id, 1 + abs(hashtext(e.address)) % 50 FROM event e;
	CALL refresh(full => true);
	VACUUM ANALYZE;
});

# record N bounces of addresses already in the registry, late ones among them
my $n = 0;
sub record_few {
	my ($count) = @_;
	$n++;
	return psql_ok($node, $db, qq{
		SELECT count(bounce.record_bounce('new$n/' || g, 'user' || (g * 997) || '\@d' || ((g * 997) % 100) || '.example',
		                                  timestamptz '2025-12-20 00:00+00' - (g % 3) * interval '20 days', ARRAY[1 + g % 50], 550, '5.1.1'))
		  FROM generate_series(1, $count) g});
}

# refresh in one transaction; the sequential and index scans it made of
# the tables that grow with the bounces, the kind of refresh, and whether
# it compared at least the NEW bounces (it compares each address's
# bounces from its first new one on)
sub reads {
	my ($new) = @_;
	return psql_ok($node, $db, qq{
		BEGIN;
		CALL bounce.refresh();
		SELECT string_agg(relname || ' seq ' || seq_scan || ' idx ' || (idx_scan > 0), ', ' ORDER BY relname)
		  FROM pg_stat_xact_user_tables
		 WHERE schemaname = 'bounce' AND relname IN ('event', 'attribution', 'event_flags');
		SELECT last_kind, last_events >= $new FROM bounce.refresh_state;
		COMMIT;
	});
}

is(record_few(10), '10', 'ten new bounces recorded');
is(reads(10),
	"attribution seq 0 idx true, event seq 0 idx true, event_flags seq 0 idx true\nincremental|t",
	'a run of new ids: event, attribution and event_flags read through their indexes only');

# new ids far apart (values of the identity used up between them): the
# pass reads them id by id
is(record_few(3), '3', 'three new bounces');
psql_ok($node, $db, q{SELECT count(nextval('bounce.event_id_seq')) FROM generate_series(1, 5000)});
is(record_few(3), '3', 'three more, 5,000 ids later');
is(reads(6),
	"attribution seq 0 idx true, event seq 0 idx true, event_flags seq 0 idx true\nincremental|t",
	'new ids far apart: read through the indexes only too');

# and what they read is right: the incremental result equals a full one
my $state = q{
	SELECT md5(string_agg(x, ';' ORDER BY x)) FROM (
		SELECT row(m.*)::text AS x FROM bounce.monthly_status m
		UNION ALL SELECT row(f.*)::text FROM bounce.event_flags f
		UNION ALL SELECT row(q.*)::text FROM bounce.quarterly q) u
};
my $incremental = psql_ok($node, $db, $state);
psql_ok($node, $db, 'TRUNCATE bounce.event_flags, bounce.monthly_status, bounce.quarterly; CALL bounce.refresh(full => true)');
is(psql_ok($node, $db, $state), $incremental, 'the incremental refreshes equal a full one');

done_testing();
