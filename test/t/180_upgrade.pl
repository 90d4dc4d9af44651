# Upgrade: every released version (its frozen install script in
# src/release/) upgrades to the current one with ALTER EXTENSION bounce
# UPDATE, and the result is the same extension as a fresh install, with
# the registry's data kept.
#
# For each release R before the current version:
#   - a database installs R, records a registry through the API every
#     release has (registrars, registrations, record_bounce, record_batch,
#     settings), refreshes and keeps a fingerprint of every user table;
#   - ALTER EXTENSION bounce UPDATE;
#   - its catalog equals a fresh install's: pg_dump --binary-upgrade
#     --schema-only (the one mode that dumps an extension's member objects
#     one by one) of both, entries sorted, OIDs left out;
#   - every user table holds the same rows (over the columns R had);
#   - after a full refresh its scores equal those of a fresh install that
#     recorded the same registry.
# With no release before the current version there is nothing to upgrade
# from: the test says so and skips.
use strict;
use warnings;
use File::Basename qw(dirname);
use IPC::Run;
use Test::More;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use BounceTest;

my $root = dirname(__FILE__) . '/../..';
my ($current) = slurp_file("$root/bounce.control") =~ /^default_version = '([^']+)'/m;
my @releases = sort map { m{/bounce--([0-9.]+)\.sql$} ? $1 : () } glob("$root/src/release/bounce--*.sql");
ok(scalar(@releases) > 0, 'src/release holds the frozen script of at least one release: ' . join(', ', @releases));

# A released script never changes: each has the checksum SHA256SUMS gives
# it, and every frozen script is listed there.
my %sum = map { /^([0-9a-f]{64})  (\S+)$/ ? ($2 => $1) : () } split /\n/, slurp_file("$root/src/release/SHA256SUMS");
for my $r (@releases) {
	my ($digest) = split ' ', `sha256sum "$root/src/release/bounce--$r.sql"`;
	is($digest, $sum{"bounce--$r.sql"} // 'not listed', "the frozen script of $r has its checksum in src/release/SHA256SUMS");
}

# While the current version is a release, the script built from src/sql/
# (the one make installs) is its frozen script: a change to the SQL needs
# a new version and an upgrade script (doc/releasing.md).
if (grep { $_ eq $current } @releases) {
	chomp(my $sharedir = `pg_config --sharedir`);
	my $built = slurp_file("$sharedir/extension/bounce--$current.sql");
	ok($built eq slurp_file("$root/src/release/bounce--$current.sql"),
		"$current is released: the installed script is its frozen script (changed SQL needs a new version and bounce--$current--<next>.sql)");
}

my @older = grep { $_ ne $current } @releases;
if (!@older) {
	note("no release before $current: nothing to upgrade from");
	done_testing();
	exit 0;
}

my $node = bounce_node('upgrade');

# The registry every release can record: a late bounce, soft and permanent
# ones, a batch, settings changed from their defaults.
my $registry = q{
	UPDATE bounce.config SET star3_max = 10, star2_max = 20, star1_max = 30, time_zone = 'Europe/Brussels';
	INSERT INTO bounce.registrar VALUES (1, 'Alpha', 'reseller'), (2, 'Beta', 'hosting'), (3, 'Gamma', 'reseller');
	SELECT count(bounce.record_registration(r, m::date, 1000 * r)) FROM generate_series(1, 3) r,
	       generate_series('2025-01-01'::date, '2025-09-01', '1 month') m;
	SELECT count(bounce.record_bounce('k' || i, 'u' || (i % 11) || '@x.be', timestamptz '2025-01-01' + i * interval '4 days',
	       ARRAY[1 + i % 3], CASE WHEN i % 5 = 0 THEN 452 ELSE 550 END, CASE WHEN i % 5 = 0 THEN '4.2.2' ELSE '5.1.1' END,
	       CASE WHEN i % 5 = 0 THEN 'mailbox full' ELSE 'user unknown' END)) FROM generate_series(1, 60) i;
	SELECT count(*) FROM bounce.record_batch('[{"key": "b1", "address": "late@x.be", "occurred_at": "2025-02-01", "registrars": [2], "diagnostic": "550 5.1.1 no such user"},
	                                           {"key": "b2", "address": "late@x.be", "occurred_at": "2025-03-01", "registrars": [2], "diagnostic": "550 5.1.1 no such user"}]');
	CALL bounce.refresh();
	SELECT bounce.record_bounce('late', 'u3@x.be', '2025-01-02', ARRAY[3], 550, '5.1.1', 'user unknown') > 0;
	CALL bounce.refresh();
};

# The user tables (pg_extension_config_dump) and, for each, its columns.
sub user_tables {
	my ($db) = @_;
	my %cols;
	for (split /\n/, psql_ok($node, $db, q{
		SELECT c.relname, string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
		  FROM pg_extension e, unnest(e.extconfig) t(oid) JOIN pg_class c ON c.oid = t.oid
		  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		 WHERE e.extname = 'bounce' AND c.relkind = 'r' GROUP BY 1 ORDER BY 1}))
	{
		my ($t, $c) = split /\|/;
		$cols{$t} = $c;
	}
	return \%cols;
}

# A fingerprint of each user table over the given columns.
sub fingerprint {
	my ($db, $cols) = @_;
	my %fp;
	for my $t (sort keys %$cols) {
		$fp{$t} = psql_ok($node, $db, "SELECT count(*) || ' ' || coalesce(md5(string_agg(x, ';' ORDER BY x)), '')
			FROM (SELECT row($cols->{$t})::text AS x FROM bounce.$t) r");
	}
	return \%fp;
}

# The extension's catalog as pg_dump --binary-upgrade writes it (the one
# mode that dumps an extension's members one by one, with their comments,
# privileges and the order of enum labels): its entries (split on their
# "-- Name:" headers) sorted, with OIDs, transaction ids and ownership
# left out.
sub catalog {
	my ($db) = @_;
	my ($dump, $stderr) = ('', '');
	# the whole database (it holds bounce alone): with --schema, binary
	# upgrade mode leaves the extension's members out
	IPC::Run::run([ 'pg_dump', '--schema-only', '--binary-upgrade', '--no-owner', '-h', $node->host, '-p', $node->port, $db ],
		'>', \$dump, '2>', \$stderr)
	  or die "pg_dump: $stderr";
	$dump =~ s/^.*binary_upgrade_set_next.*\n//mg;
	$dump =~ s/^.*relfrozenxid.*\n//mg;             # transaction ids and
	$dump =~ s/^WHERE oid = '\d+';\n//mg;           # OIDs of the objects
	$dump =~ s/(binary_upgrade_create_empty_extension\('bounce', 'bounce', false, '[^']*', )'\{[\d,]*\}'/$1'{}'/g;
	$dump =~ s/^\\(un)?restrict .*\n//mg;       # a random key per dump
	$dump =~ s/^--\n//mg;
	my @entries = grep { !/Type: SEQUENCE SET;/ }    # the sequence's position is data
	  map { s/\n+\z//r } split /^(?=-- Name: )/m, $dump;
	shift @entries;                                 # the SETs before the first entry
	return [ sort @entries ];
}

# What one list of catalog entries has that the other has not.
sub catalog_diff {
	my ($got, $want) = @_;
	my %want = map { $_ => 1 } @$want;
	my %got = map { $_ => 1 } @$got;
	return join("\n", (map { "only after the upgrade:\n$_" } grep { !$want{$_} } @$got),
		(map { "only in a fresh install:\n$_" } grep { !$got{$_} } @$want));
}

my $views = q{
	SELECT md5(string_agg(x, ';' ORDER BY x)) FROM (
		SELECT row(q.registrar_id, q.quarter, q.registrations, q.counted, q.recurring, q.recurring_per_1m, q.stars, q.trend)::text AS x
		  FROM bounce.quarterly_score q
		UNION ALL SELECT row(f.registrar_id, f.rank, f.address, f.recurring_bounces, f.counted_bounces, f.last_status)::text FROM bounce.fix_list f
		UNION ALL SELECT row(t.period, t.period_start, t.registrar_id, t.status, t.errors, t.per_1m, t.rank)::text FROM bounce.top_errors t
		UNION ALL SELECT row(b.registrar_id, b.quarter, b.top10_per_1m, b.all_per_1m, b.category_per_1m, b.portfolio_rank)::text FROM bounce.benchmark b
		UNION ALL SELECT row(e.id, e.counted, e.recurring, e.suppressed)::text FROM bounce.flagged_event e) u
};

my $fresh = fresh_db($node, 'bounce_tap_fresh');
psql_ok($node, $fresh, 'CREATE EXTENSION bounce');
is(psql_ok($node, $fresh, q{SELECT extversion FROM pg_extension WHERE extname = 'bounce'}), $current, "a fresh install is $current");
my $fresh_catalog = catalog($fresh);
psql_ok($node, $fresh, $registry);
psql_ok($node, $fresh, 'CALL bounce.refresh(full => true)');
my $fresh_views = psql_ok($node, $fresh, $views);

for my $r (@older) {
	my $db = fresh_db($node, "bounce_tap_from_$r" =~ s/\./_/gr);
	psql_ok($node, $db, "CREATE EXTENSION bounce VERSION '$r'");
	is(psql_ok($node, $db, q{SELECT extversion FROM pg_extension WHERE extname = 'bounce'}), $r, "$r installs from its frozen script");
	psql_ok($node, $db, $registry);
	my $cols = user_tables($db);
	my $before = fingerprint($db, $cols);
	ok(psql_ok($node, $db, 'SELECT count(*) FROM bounce.event') > 50, "$r: the registry is recorded");

	psql_ok($node, $db, 'ALTER EXTENSION bounce UPDATE');
	is(psql_ok($node, $db, q{SELECT extversion FROM pg_extension WHERE extname = 'bounce'}), $current, "$r: ALTER EXTENSION bounce UPDATE reaches $current");

	my $diff = catalog_diff(catalog($db), $fresh_catalog);
	is($diff, '', "$r -> $current: the catalog equals a fresh install's (" . scalar(@$fresh_catalog) . ' entries)');
	is_deeply(fingerprint($db, $cols), $before, "$r -> $current: every user table keeps its rows (" . join(', ', sort keys %$cols) . ')');
	psql_ok($node, $db, 'CALL bounce.refresh(full => true)');
	is(psql_ok($node, $db, $views), $fresh_views, "$r -> $current: after a full refresh, the scores, fix lists, top errors, benchmark and flags equal a fresh install's");
}

done_testing();
