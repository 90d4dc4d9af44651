# BounceTest.pm -- small helpers for the TAP tests in test/t.
package BounceTest;
use strict;
use warnings;
use Exporter 'import';
our @EXPORT = qw(psql psql_ok psql_fails fresh_db);

my $psql = ($ENV{BINDIR} ? "$ENV{BINDIR}/psql" : 'psql');

# Run SQL in DB; return (exit code, stdout+stderr), tuples only, unaligned.
sub psql {
	my ($db, $sql, %opt) = @_;
	my @env = $opt{user} ? ("PGUSER=$opt{user}") : ();
	open my $fh, '|-', join(' ', @env, qq("$psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" > /tmp/bounce_tap.$$ 2>&1))
		or die "psql: $!";
	print $fh $sql;
	close $fh;
	my $rc = $? >> 8;
	open my $in, '<', "/tmp/bounce_tap.$$" or die;
	local $/;
	my $out = <$in> // '';
	close $in;
	unlink "/tmp/bounce_tap.$$";
	$out =~ s/\s+\z//;
	return wantarray ? ($rc, $out) : $out;
}

sub psql_ok { my ($rc, $out) = psql(@_); die "psql failed: $out\n" if $rc; return $out; }

sub psql_fails { my ($rc, $out) = psql(@_); return $rc ? $out : undef; }

# Drop and create a database; returns its name.
sub fresh_db {
	my ($name) = @_;
	psql_ok('postgres', qq(DROP DATABASE IF EXISTS "$name"; CREATE DATABASE "$name";));
	return $name;
}

1;
