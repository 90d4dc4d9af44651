# A hostile registrar with a psql prompt learns nothing of another
# registrar's bounces.  Registrar B (role bt_reg_b) runs, on everything it
# may read in schema bounce, the techniques that get past row-level
# security on plain tables:
#   - EXPLAIN ANALYZE: "Rows Removed by Filter" and row estimates;
#   - the statistics counters of its own transaction
#     (pg_stat_get_xact_tuples_fetched and friends, per table and index);
#   - range predicates (a prefix search of addresses and diagnostics);
#   - a subplan that reads "never executed" when no row reached it;
#   - pg_stats (histograms and most common values of every column);
#   - plain SELECTs on every relation of the schema.
# Each probe is run twice, once with a value only registrar A has and once
# with a value nobody has: everything B sees must be the same.  Then the
# same registry is built twice with A's bounces different (other
# addresses, texts and codes, some at B's own address after B's last
# bounce, the same numbers of rows): everything B can run must give the
# same output, plans and counters in both.
use strict;
use warnings;
use Test::More;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use BounceTest;

my $node = bounce_node('exfiltration');
# no statistics gathered behind the test's back: plans, and so the counters,
# depend only on what the test does
$node->append_conf('postgresql.conf', "autovacuum = off\n");
$node->reload;
psql_ok($node, 'postgres', 'CREATE ROLE bt_reg_a LOGIN; CREATE ROLE bt_reg_b LOGIN');

# Two registries, the same for B; A's bounces differ.  A's counted bounces
# (and so every summary and benchmark group) are the same in both; A's
# other bounces differ in address, text and code, have the same lengths,
# and in the second registry fall on B's own address after B's last bounce
# (so they change none of B's flags).
sub registry {
	my ($db, $variant) = @_;
	fresh_db($node, $db);
	my ($addr, $diag, $st, $rc, $day) = $variant == 1
		? ('q@bee.be', 'secret alpha one', '4.2.2', 452, '2025-01-2')
		: ('b@bee.be', 'secret alpha two', '4.4.1', 451, '2025-05-2');
	my $varying = join(",\n", map {
		qq({"key": "av$_", "address": "$addr", "occurred_at": "$day$_ 10:00+00", "registrars": [1], "reply_code": $rc, "status": "$st", "diagnostic": "$diag"})
	} 1 .. 4);
	psql_ok($node, $db, qq{
		CREATE EXTENSION bounce;
		INSERT INTO bounce.registrar VALUES (1, 'Alpha', 'reseller'), (2, 'Beta', 'hosting'), (3, 'Gamma', 'reseller');
		INSERT INTO bounce.registration SELECT r, m, 1000 FROM generate_series(1, 3) r,
		       generate_series('2025-01-01'::date, '2025-06-01', '1 month') m;
		SELECT bounce.grant_registrar(1, 'bt_reg_a');
		SELECT bounce.grant_registrar(2, 'bt_reg_b');
		-- B's bounces first, so that they get the same ids in both registries
		SELECT count(*) FROM bounce.record_batch('[
		  {"key": "b1", "address": "b\@bee.be", "occurred_at": "2025-01-05 10:00+00", "registrars": [2], "reply_code": 550, "status": "5.1.1", "diagnostic": "user unknown"},
		  {"key": "b2", "address": "b\@bee.be", "occurred_at": "2025-02-05 10:00+00", "registrars": [2], "reply_code": 550, "status": "5.1.1", "diagnostic": "user unknown"},
		  {"key": "b3", "address": "b\@bee.be", "occurred_at": "2025-03-05 10:00+00", "registrars": [2], "reply_code": 550, "status": "5.1.1", "diagnostic": "user unknown"},
		  {"key": "b4", "address": "t\@bee.be", "occurred_at": "2025-01-20 10:00+00", "registrars": [2], "reply_code": 451, "status": "4.2.2", "diagnostic": "mailbox full"},
		  {"key": "s1", "address": "s\@shared.be", "occurred_at": "2025-01-10 10:00+00", "registrars": [1, 2], "reply_code": 550, "status": "5.1.1"},
		  {"key": "s2", "address": "s\@shared.be", "occurred_at": "2025-02-10 10:00+00", "registrars": [1, 2], "reply_code": 550, "status": "5.1.1"}]');
		SELECT count(*) FROM bounce.record_batch('[
		  {"key": "a1", "address": "a\@alpha.be", "occurred_at": "2025-01-07 10:00+00", "registrars": [1], "reply_code": 550, "status": "5.1.1", "diagnostic": "user unknown here"},
		  {"key": "a2", "address": "a\@alpha.be", "occurred_at": "2025-02-07 10:00+00", "registrars": [1], "reply_code": 550, "status": "5.1.1", "diagnostic": "user unknown here"},
		  {"key": "a3", "address": "a\@alpha.be", "occurred_at": "2025-03-07 10:00+00", "registrars": [1], "reply_code": 550, "status": "5.1.1", "diagnostic": "user unknown here"}]');
		SELECT count(*) FROM bounce.record_batch('[$varying]');
		CALL bounce.refresh();
	});
}
registry('bounce_tap_x1', 1);
registry('bounce_tap_x2', 2);
my $db = 'bounce_tap_x1';

# As B: run SQL, return what psql printed, errors included.
sub as_b {
	my ($d, $sql) = @_;
	my ($rc, $out, $err) = psql($node, $d, $sql, user => 'bt_reg_b');
	return "$out\n$err";
}

# What B can read: relations it has SELECT on, and the set-returning
# functions without arguments it may run that return rows of a table or
# view type (the registrar's reports).  Each with its columns.
my %surface;
for my $row (split /\n/, psql_ok($node, $db, q{
	SELECT format('bounce.%I', c.relname), string_agg(a.attname, ',' ORDER BY a.attnum)
	  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	 WHERE c.relnamespace = 'bounce'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p')
	   AND has_table_privilege('bt_reg_b', c.oid, 'SELECT')
	 GROUP BY c.relname
	UNION ALL
	SELECT format('bounce.%I()', p.proname), string_agg(a.attname, ',' ORDER BY a.attnum)
	  FROM pg_proc p JOIN pg_type t ON t.oid = p.prorettype
	  JOIN pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
	 WHERE p.pronamespace = 'bounce'::regnamespace AND p.proretset AND p.pronargs = 0
	   AND has_function_privilege('bt_reg_b', p.oid, 'EXECUTE')
	 GROUP BY p.proname}))
{
	my ($name, $cols) = split /\|/, $row;
	$surface{$name} = { map { $_ => 1 } split /,/, $cols };
}
ok(scalar(grep { /address/ } map { join(',', keys %$_) } values %surface) > 0, 'B has something to read that holds addresses')
	or diag(join(', ', sort keys %surface));
diag('B reads: ' . join(', ', sort keys %surface));

# Every relation and index of the schema, for the counters.
my $counters = q{
	SELECT string_agg(format('%s %s/%s/%s/%s', c.relname, pg_stat_get_xact_numscans(c.oid),
	                         pg_stat_get_xact_tuples_returned(c.oid), pg_stat_get_xact_tuples_fetched(c.oid),
	                         pg_stat_get_xact_blocks_fetched(c.oid)), ' ' ORDER BY c.relname)
	  FROM pg_class c WHERE c.relnamespace = 'bounce'::regnamespace
};

# Everything B sees of one query: its rows, its plan as EXPLAIN ANALYZE
# prints it (estimates and removed rows; timings off), and what its own
# transaction's statistics counters say it read.  VALUE, where given, is
# replaced by a placeholder in the conditions EXPLAIN prints: the probe
# pairs differ in it.
sub observe {
	my ($d, $query, $value) = @_;
	my $out = as_b($d, qq{
		SELECT * FROM ($query) q ORDER BY 1;
		EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF) $query;
		BEGIN;
		SELECT count(*) FROM ($query) q;
		$counters;
		COMMIT;
	});
	# in the conditions EXPLAIN prints, where the probe's value appears
	$out =~ s/^(.*(?:Cond|Filter): .*)$/(my $l = $1) =~ s{\Q$value\E}{<value>}g; $l/gme if defined $value;
	return $out;
}

# The probes: a value only A has, and a value nobody has.
my @probes;
for my $s (sort keys %surface) {
	my $c = $surface{$s};
	if ($c->{address}) {
		push @probes,
			["$s: address equals", "SELECT * FROM $s WHERE address = '%s'", 'a@alpha.be', 'n@alpha.be'],
			["$s: address range", "SELECT * FROM $s WHERE address >= '%s' AND address < '%s~'", 'a@al', 'n@al'],
			["$s: a subplan after the address", "SELECT * FROM $s WHERE address = '%s' AND address <> (SELECT 'x'::text)", 'a@alpha.be', 'n@alpha.be'];
	}
	if ($c->{diagnostic}) {
		push @probes,
			["$s: diagnostic prefix", "SELECT * FROM $s WHERE diagnostic >= '%s' AND diagnostic < '%s~' AND id <> (SELECT 0)", 'secret alpha', 'secret omega'];
	}
	if ($c->{registrar_id}) {
		push @probes, ["$s: registrar id", "SELECT * FROM $s WHERE registrar_id = %s", '1', '77'];
	}
}
ok(@probes > 5, scalar(@probes) . ' probe pairs');
for my $p (@probes) {
	my ($what, $tmpl, $a_value, $nobody) = @$p;
	(my $qa = $tmpl) =~ s/%s/$a_value/g;
	(my $qn = $tmpl) =~ s/%s/$nobody/g;
	my ($seen_a, $seen_n) = (observe($db, $qa, $a_value), observe($db, $qn, $nobody));
	is($seen_a, $seen_n, "$what: A's value and a value nobody has look the same to B");
}

# pg_stats shows the histograms and most common values of the columns a
# role may read
psql_ok($node, $db, 'ANALYZE');
is(as_b($db, q{SELECT count(*) FROM pg_stats WHERE schemaname = 'bounce'}), "0\n", 'pg_stats shows B nothing of the schema');
psql_ok($node, 'bounce_tap_x2', 'ANALYZE');

# Non-interference: B's view of the two registries is the same.
for my $s (sort keys %surface) {
	is(observe('bounce_tap_x1', "SELECT * FROM $s"), observe('bounce_tap_x2', "SELECT * FROM $s"),
		"$s: rows, plan and counters are the same whatever A's bounces are");
}

# No relation of the schema can be read at all, nor the sequence.
my @rels = split /\n/, psql_ok($node, $db, q{
	SELECT format('bounce.%I', relname) FROM pg_class
	 WHERE relnamespace = 'bounce'::regnamespace AND relkind IN ('r', 'v', 'm', 'p', 'S') ORDER BY 1});
ok(@rels >= 20, scalar(@rels) . ' relations in schema bounce');
for my $r (@rels) {
	like(as_b($db, "SELECT * FROM $r LIMIT 1"), qr/permission denied/, "SELECT on $r is denied to B");
}

done_testing();
