#!/usr/bin/env perl
# doctest.pl -- run the SQL examples of the reference manual.
#
# Usage: doctest.pl DB FILE.md...
#
# Every ```sql block in the given Markdown files is run with psql in database
# DB, in file order, each block in its own session.  When a ```text block
# follows it (blank lines between are allowed), psql's output must equal that
# block, trailing blanks ignored.  A block with no ```text block after it must
# run without an ERROR.  Prints "ok"/"not ok" per block and ends with
# "N passed, N failed".
#
# With --update as first argument, rewrites each ```text block that follows a
# ```sql block with the output actually produced (review the diff!).
use strict;
use warnings;
use File::Temp qw(tempfile);

my $update = @ARGV && $ARGV[0] eq '--update' ? shift @ARGV : 0;
my ($db, @files) = @ARGV;
die "usage: $0 DB FILE.md...\n" unless $db && @files;
my $psql = ($ENV{BINDIR} ? "$ENV{BINDIR}/psql" : 'psql');
my ($pass, $fail) = (0, 0);

sub norm {
	my ($s) = @_;
	$s =~ s/[ \t]+$//mg;
	$s =~ s/\n+\z//;
	$s =~ s/\A\n+//;
	return $s;
}

for my $file (@files) {
	open my $fh, '<:encoding(UTF-8)', $file or die "$file: $!";
	my @lines = <$fh>;
	close $fh;
	my @blocks;    # [kind, text, first line, last line (0-based, exclusive)]
	for (my $i = 0; $i < @lines; $i++) {
		next unless $lines[$i] =~ /^```(\w*)\s*$/;
		my ($kind, $start, $body) = ($1, $i + 1, '');
		$i++;
		while ($i < @lines && $lines[$i] !~ /^```\s*$/) { $body .= $lines[$i++]; }
		push @blocks, [$kind, $body, $start, $i];
	}
	my %replace;    # first line of a text block -> [end, new text]
	for (my $b = 0; $b < @blocks; $b++) {
		my ($kind, $sql, $line) = @{ $blocks[$b] };
		next unless $kind eq 'sql';
		my $expect;
		$expect = $blocks[$b + 1][1] if $b + 1 < @blocks && $blocks[$b + 1][0] eq 'text';
		my ($tfh, $tname) = tempfile();
		binmode $tfh, ':encoding(UTF-8)';
		print $tfh $sql;
		close $tfh;
		my $got = `"$psql" -X -q -d "$db" < "$tname" 2>&1`;
		unlink $tname;
		utf8::decode($got);
		my $ok = defined $expect ? norm($got) eq norm($expect) : $got !~ /^(ERROR|FATAL|psql:)/m;
		my $where = "$file:$line";
		if ($update && defined $expect && !$ok) {
			my $new = norm($got);
			$new =~ s/[ \t]+$//mg;
			$replace{ $blocks[$b + 1][2] } = [ $blocks[$b + 1][3], "$new\n" ];
		}
		if ($ok) {
			$pass++;
			print "ok   $where\n";
		} else {
			$fail++;
			print "FAIL $where\n";
			binmode STDOUT, ':encoding(UTF-8)';
			print "---- sql\n$sql---- expected\n", ($expect // "(no error)\n"), "---- got\n$got----\n";
		}
	}
	if (my $n = keys %replace) {
		my @out;
		for (my $i = 0; $i < @lines; $i++) {
			if (my $r = delete $replace{$i}) {
				# an empty block has no lines: insert, then go on with its closing fence
				push @out, $r->[1];
				$i = $r->[0] - 1;
				next;
			}
			push @out, $lines[$i];
		}
		open my $w, '>:encoding(UTF-8)', $file or die "$file: $!";
		print $w @out;
		close $w;
		print "updated $n block(s) in $file\n";
	}
}
print "$pass passed, $fail failed\n";
exit($fail ? 1 : 0);
