# The refresher (src/refresher/refresher.c): with bounce preloaded and
# bounce.refresh_database set, a background worker calls refresh() in
# that database every bounce.refresh_interval, in one long-lived session,
# as the extension's owner.  A reload wakes it at once.  It waits for the
# extension to be created, carries on when it is dropped, logs each
# refresh's duration from bounce.refresh_log_min_duration on, and its
# results equal those of refresh() called by hand.
use strict;
use warnings;
use Test::More;
use Time::HiRes qw(usleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use BounceTest;

my $node = bounce_node('refresher');
fresh_db($node, 'reg');
fresh_db($node, 'byhand');
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pg_cron,bounce'
bounce.refresh_database = 'reg'
bounce.refresh_interval = '1h'
bounce.refresh_log_min_duration = 0
});
$node->restart;

# wait until the server log has more than N lines matching RE; their count
sub log_lines {
	my ($re) = @_;
	my @m = grep { /$re/ } split /\n/, slurp_file($node->logfile);
	return scalar @m;
}
sub wait_log {
	my ($re, $n) = @_;
	for (1 .. 300) {
		my $c = log_lines($re);
		return $c if $c > $n;
		usleep(100_000);
	}
	return log_lines($re);
}
my $took = qr/bounce refresher: refresh in database "reg" took [0-9.]+ ms/;
my $absent = qr/bounce refresher: extension "bounce" is not installed in database "reg"/;

is(psql_ok($node, 'postgres', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'bounce refresher' AND datname = 'reg'}),
	'1', 'the refresher runs, connected to bounce.refresh_database');
ok(wait_log(qr/bounce refresher started in database "reg", every 3600000 ms/, 0) >= 1, 'and says so in the log');
ok(wait_log($absent, 0) >= 1, 'it finds no extension in the database yet, and logs it once');

# a registry, and the same one refreshed by hand in another database
my $setup = q{
	INSERT INTO bounce.registrar VALUES (1, 'Alpha'), (2, 'Beta');
	INSERT INTO bounce.registration SELECT r, m, 1000 FROM generate_series(1, 2) r,
	       generate_series('2025-01-01'::date, '2025-12-01', '1 month') m;
	SELECT count(bounce.record_bounce('k' || i, 'u' || (i % 7) || '@x.be',
	                                  timestamptz '2025-01-03 00:00+00' + i * interval '9 days', ARRAY[1 + i % 2], 550, '5.1.1'))
	  FROM generate_series(1, 40) i;
};
# in "reg", the extension's owner is a role other than the bootstrap
# superuser the worker connects as; a trigger notes who updates
# refresh_state (each refresh that does work does)
psql_ok($node, 'reg', q{
	CREATE ROLE regowner SUPERUSER;
	SET ROLE regowner;
	CREATE EXTENSION bounce;
	RESET ROLE;
	CREATE TABLE public.refreshed_by (who name);
	CREATE FUNCTION public.note_refresher() RETURNS trigger LANGUAGE plpgsql AS
		$$BEGIN INSERT INTO public.refreshed_by VALUES (current_user); RETURN NULL; END$$;
	CREATE TRIGGER note_refresher AFTER UPDATE ON bounce.refresh_state FOR EACH ROW EXECUTE FUNCTION public.note_refresher();
});
psql_ok($node, 'byhand', 'CREATE EXTENSION bounce');
psql_ok($node, $_, $setup) for ('reg', 'byhand');
psql_ok($node, 'byhand', 'CALL bounce.refresh()');
is(psql_ok($node, 'reg', 'SELECT count(*) FROM bounce.pending'), '40', 'bounces recorded, not refreshed yet (the interval is an hour)');

# a reload wakes the refresher: it refreshes at once
my $n = log_lines($took);
psql_ok($node, 'postgres', 'SELECT pg_reload_conf()');
is(wait_log($took, $n), $n + 1, 'a reload wakes it: one refresh, its duration logged');
my $state = q{
	SELECT md5(string_agg(x, ';' ORDER BY x)) FROM (
		SELECT row(m.*)::text AS x FROM bounce.monthly_status m
		UNION ALL SELECT row(q.*)::text FROM bounce.quarterly_score q
		UNION ALL SELECT row(f.*)::text FROM bounce.fix_list f) u
};
is(psql_ok($node, 'reg', 'SELECT count(*) FROM bounce.pending'), '0', 'the queue is claimed');
is(psql_ok($node, 'reg', $state), psql_ok($node, 'byhand', $state), 'and the scores equal a refresh by hand');

# more bounces: an incremental refresh in the same session
psql_ok($node, $_, q{SELECT count(bounce.record_bounce('n' || i, 'u' || i || '@x.be', '2025-12-20 00:00+00', '{2}', 550, '5.1.1'))
                       FROM generate_series(1, 10) i}) for ('reg', 'byhand');
psql_ok($node, 'byhand', 'CALL bounce.refresh()');
my $pid = psql_ok($node, 'postgres', q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'bounce refresher'});
$n = log_lines($took);
psql_ok($node, 'postgres', 'SELECT pg_reload_conf()');
is(wait_log($took, $n), $n + 1, 'new bounces, a reload: one more refresh');
is(psql_ok($node, 'reg', 'SELECT last_kind, last_events >= 10 FROM bounce.refresh_state'), 'incremental|t', 'an incremental one');
is(psql_ok($node, 'reg', $state), psql_ok($node, 'byhand', $state), 'equal to the refresh by hand');
is(psql_ok($node, 'postgres', q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'bounce refresher'}), $pid,
	'in the same session as before');

# it refreshes as the extension's owner, not as the role it connects as
is(psql_ok($node, 'reg', 'SELECT string_agg(DISTINCT who::text, \',\') FROM public.refreshed_by'), 'regowner',
	'it refreshes as the extension\'s owner');

# a refresh that fails: the error is logged and the worker ends (the
# postmaster starts it again a minute later); nothing is half written
psql_ok($node, 'reg', q{SELECT count(bounce.record_bounce('f' || i, 'v' || i || '@x.be', '2025-12-21 00:00+00', '{1}', 550, '5.1.1'))
                          FROM generate_series(1, 3) i});
psql_ok($node, 'reg', 'ALTER TABLE bounce.monthly_status ADD CONSTRAINT no_december CHECK (month < \'2025-12-01\') NOT VALID');
my $failed = qr/(ERROR|FATAL):.*no_december/;
my $errors = log_lines($failed);
psql_ok($node, 'postgres', 'SELECT pg_reload_conf()');
ok(wait_log($failed, $errors) > $errors, 'a failing refresh logs its error');
ok($node->poll_query_until('postgres', q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'bounce refresher'}),
	'and the worker ends');
is(psql_ok($node, 'reg', 'SELECT count(*) FROM bounce.pending'), '3', 'the failed refresh wrote nothing: its bounces stay queued');
psql_ok($node, 'reg', 'ALTER TABLE bounce.monthly_status DROP CONSTRAINT no_december');

# started again (here by a server restart) it refreshes at once
$n = log_lines($took);
$node->restart;
ok(wait_log($took, $n) > $n, 'a refresher started again refreshes at once');
ok($node->poll_query_until('reg', 'SELECT count(*) = 0 FROM bounce.pending'), 'and the bounces left queued are refreshed');

# dropped extension: the refresher logs it and waits
psql_ok($node, 'reg', 'DROP EXTENSION bounce CASCADE');
$n = log_lines($absent);
psql_ok($node, 'postgres', 'SELECT pg_reload_conf()');
is(wait_log($absent, $n), $n + 1, 'after DROP EXTENSION it logs that the extension is not installed');
is(psql_ok($node, 'postgres', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'bounce refresher'}),
	'1', 'and keeps running');

# a bad setting is refused by the server
my ($rc, $out, $err) = BounceTest::psql($node, 'postgres', q{ALTER SYSTEM SET bounce.refresh_interval = '10ms'});
like($err, qr/10 ms is outside the valid range for parameter "bounce.refresh_interval" \(100 \.\. /,
	'a refresh_interval below 100 ms is refused');
($rc, $out, $err) = BounceTest::psql($node, 'postgres', q{SET bounce.refresh_database = 'other'});
like($err, qr/parameter "bounce.refresh_database" cannot be changed without restarting the server/,
	'refresh_database is set at server start');

# the refresher's settings without bounce preloaded: no refresher, and a
# session that loads bounce is warned
my $plain = bounce_node('refresher_not_preloaded');
$plain->append_conf('postgresql.conf', "bounce.refresh_database = 'postgres'\n");
$plain->restart;
is(psql_ok($plain, 'postgres', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'bounce refresher'}),
	'0', 'without bounce preloaded, no refresher runs');
($rc, $out, $err) = BounceTest::psql($plain, 'postgres', q{LOAD 'bounce'});
like($err, qr/WARNING:  bounce.refresh_database is set to "postgres", but bounce is not in shared_preload_libraries: no refresher runs/,
	'and a session that loads bounce is warned');

done_testing();
