# BounceTest.pm -- the node every TAP test in test/t starts, and psql
# helpers that return what the tests compare.
#
# A node is a PostgreSQL::Test::Cluster (PostgreSQL's own TAP framework,
# shipped with the server's development files) set up as a registry's
# server: pg_cron preloaded (test/temp_instance.conf, the file make check
# gives pg_regress), its extension created in the postgres database, UTF-8
# in the C locale, TimeZone UTC.  It listens on a unix socket only and is
# removed when the test ends.
package BounceTest;
use strict;
use warnings;
use Exporter 'import';
use File::Basename qw(dirname);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;

our @EXPORT = qw(bounce_node psql psql_ok psql_fails fresh_db);

my $temp_instance_conf = dirname(__FILE__) . '/../temp_instance.conf';

# Start a node named NAME with bounce's test settings; returns it.
sub bounce_node {
	my ($name) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(extra => ['--locale=C', '--encoding=UTF8']);
	$node->append_conf('postgresql.conf', slurp_file($temp_instance_conf));
	$node->append_conf('postgresql.conf', "timezone = 'UTC'\n");
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION pg_cron');
	return $node;
}

# Run SQL in DB, as role USER if given (user => ...), tuples only,
# unaligned; returns (exit code, stdout, stderr), trailing blanks removed.
sub psql {
	my ($node, $db, $sql, %opt) = @_;
	my ($rc, $out, $err) = $node->psql($db, $sql, extra_params => $opt{user} ? ['-U', $opt{user}] : []);
	s/\s+\z// for $out, $err;
	return ($rc, $out, $err);
}

# stdout of SQL that must succeed (dies with psql's errors otherwise).
sub psql_ok {
	my ($rc, $out, $err) = psql(@_);
	die "psql failed: $err\n" if $rc;
	return $out;
}

# The errors of SQL that must fail, or undef if it succeeded.
sub psql_fails {
	my ($rc, $out, $err) = psql(@_);
	return $rc ? $err : undef;
}

# Create a database; returns its name.
sub fresh_db {
	my ($node, $name) = @_;
	psql_ok($node, 'postgres', qq(CREATE DATABASE "$name"));
	return $name;
}

1;
