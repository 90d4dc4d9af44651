#!/usr/bin/env bash
# test/bench/load.sh -- speed of bounce-load, end to end.
#
# Builds a maildir of COPIES x the corpus e-mails (test/corpus/eml/*.eml),
# each copy with fresh Message-IDs and a header of its own, so that every
# message gives new idempotency keys; then times bounce-load loading it
# into a fresh database of the private cluster (unix socket, one backend):
#   1. the first load (every recipient recorded), best of 3, each into an
#      empty registry;
#   2. a second load of the same maildir (everything already known);
#   3. the same messages sent one by one to record_dsn, for comparison
#      (a sample of 2,000, as psql statements over the same socket).
# Prints messages/second for each, and for the first load the CPU time of
# the server's backend (log_statement_stats) and of bounce-load itself: on
# a machine shared with other work the wall-clock rate varies with the
# load, the CPU time much less.  The target is 5,000 messages/s for the
# first load.
#
#   test/bench/load.sh [COPIES] [BATCH]   (defaults 70, 500: about 20,000 messages)
source "$(dirname "$0")/../lib.sh"
COPIES=${1:-70}
BATCH=${2:-500}
EML="$ROOT/test/corpus/eml"
[ -f "$EML/expected.tsv" ] || die "corpus not found at $EML"
build_install
start_cluster
LOADER="$BINDIR/bounce-load"
[ -x "$LOADER" ] || die "bounce-load not installed in $BINDIR"

work="$PGWORK/bench-load"
mkdir -p "$work/maildir/cur" "$work/maildir/new" "$work/maildir/tmp"
log "building a maildir of $COPIES copies of the corpus"
perl -e '
	my ($copies, $dir, @files) = @ARGV;
	my @msgs = map { open my $h, "<:raw", $_ or die "$_: $!"; local $/; scalar <$h> } @files;
	my $n = 0;
	for my $c (1 .. $copies) {
		for my $m (@msgs) {
			(my $x = $m) =~ s/^(Message-ID:\s*<)/$1bench$c./mgi;
			# a header of its own (after the From_ line some of them start with)
			$x =~ s/\A((?:From [^\n]*\n)?)/$1X-Bench-Copy: $c\n/;
			open my $o, ">:raw", sprintf("%s/cur/%d.%06d.bench:2,S", $dir, 1700000000 + $c, $n++) or die;
			print $o $x;
		}
	}' "$COPIES" "$work/maildir" "$EML"/*.eml
[ "$(id -u)" -eq 0 ] && chown -R postgres: "$work"
nmsg=$(ls "$work/maildir/cur" | wc -l)
mb=$(du -sm "$work/maildir" | cut -f1)

fresh() {
	psql_db postgres -q -c 'DROP DATABASE IF EXISTS bench_load' -c 'CREATE DATABASE bench_load' >/dev/null
	psql_db bench_load -q -c 'CREATE EXTENSION bounce' -c "INSERT INTO bounce.registrar VALUES (1, 'A'), (2, 'B')" >/dev/null
}
# messages/s of one run of bounce-load (its own summary line)
rate() { sed -n 's/^messages .*, \([0-9]*\) messages\/s)$/\1/p'; }

# backend CPU seconds (user + system) logged since line $1 of the server log
backend_cpu() {
	tail -n +"$1" "$PGWORK/server.log" | grep -E 's elapsed' |
		grep -oE '[0-9.]+ s user, [0-9.]+ s system' | awk '{ t += $1 + $4 } END { printf "%.2f", t }'
}
log "first load: $nmsg messages ($mb MB), batches of $BATCH, best of 3"
best=0
TIMEFORMAT='%U %S'
for i in 1 2 3; do
	fresh
	line=$(($(wc -l <"$PGWORK/server.log") + 1))
	{ time PGOPTIONS='-c log_statement_stats=on -c log_min_messages=log -c client_min_messages=warning' \
		"$LOADER" -d bench_load -r 1,2 -b "$BATCH" "$work/maildir" >"$work/load$i.out"; } 2>"$work/time$i"
	r=$(rate <"$work/load$i.out")
	if [ "$r" -gt "$best" ]; then
		best=$r
		cpu_backend=$(backend_cpu "$line")
		cpu_client=$(awk '{ printf "%.2f", $1 + $2 }' "$work/time$i")
		cp "$work/load$i.out" "$work/first.out"
	fi
done
cat "$work/first.out"
log "second load of the same maildir"
again=$("$LOADER" -d bench_load -r 1,2 -b "$BATCH" "$work/maildir" | tee "$work/second.out" | rate)
grep -E '^(recorded|already known)' "$work/second.out"

log "record_dsn one message per statement (2,000 messages)"
fresh
ls "$work/maildir/cur" >"$work/all"
head -n 2000 "$work/all" | sed "s|^|$work/maildir/cur/|" >"$work/sample"
t0=$(date +%s.%N)
sed "s/.*/SELECT count(*) FROM bounce.record_dsn(pg_read_binary_file('&'), '{1,2}');/" "$work/sample" |
	psql_db bench_load -q -At >/dev/null
t1=$(date +%s.%N)
single=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", 2000 / (b - a) }')

echo "bounce-load, first load:  $best messages/s ($nmsg messages, batch $BATCH)"
echo "  CPU: backend $cpu_backend s ($(awk -v n="$nmsg" -v t="$cpu_backend" 'BEGIN { printf "%d", n / t }') messages per backend CPU second), bounce-load $cpu_client s"
echo "bounce-load, second load: $again messages/s (all already known)"
echo "record_dsn one by one:    $single messages/s"
