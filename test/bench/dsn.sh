#!/usr/bin/env bash
# test/bench/dsn.sh -- speed of the DSN parser.
#
# Over the corpus e-mails (test/corpus/eml), repeated:
#   1. bounce.parse_dsn_fields in the server (the C parser, one message per
#      call, rows materialised), and bounce.parse_dsn (plus the classifier);
#   2. the same C core outside the server (test/bench/dsn_native.c);
#   3. Sisimai's make() (Debian's libsisimai-perl) on the same messages, the
#      baseline, each message passed as a string so no file I/O is timed.
# Prints messages/second for each and the ratios to Sisimai.  Single
# backend, so the rates are per core.  Each figure is the best of 3 runs,
# so that a machine shared with other work disturbs the ratios less.
#
#   test/bench/dsn.sh [ROUNDS]     ROUNDS times over the corpus (default 40)
source "$(dirname "$0")/../lib.sh"
ROUNDS=${1:-40}
EML="$ROOT/test/corpus/eml"
[ -f "$EML/expected.tsv" ] || die "DSN corpus not found at $EML"
ensure_packages libsisimai-perl
build_install
start_cluster

work="$PGWORK/bench"
mkdir -p "$work"
# the parser core: every src/dsn/ file but its SQL face
cc -O2 -I"$ROOT/src" -o "$work/dsn_native" "$ROOT/test/bench/dsn_native.c" \
	$(ls "$ROOT"/src/dsn/*.c | grep -v _sql.c) "$ROOT/src/status/status.c" "$ROOT/src/status/status_codes.c"
nfiles=$(ls "$EML"/*.eml | wc -l)

psql_db postgres -q -c 'CREATE DATABASE bench_dsn' >/dev/null
{
	echo "CREATE EXTENSION bounce;"
	echo "CREATE TABLE eml (file text PRIMARY KEY, msg bytea);"
	echo "COPY eml FROM STDIN;"
	perl -e 'for my $f (@ARGV) { open my $h, "<:raw", $f or die; local $/; my $d = <$h>;
		(my $n = $f) =~ s{.*/}{}; print "$n\t\\\\x", unpack("H*", $d), "\n"; }' "$EML"/*.eml
	echo '\.'
	echo "ALTER TABLE eml ALTER msg SET STORAGE EXTERNAL; VACUUM FULL eml;"
} | psql_db bench_dsn -q >/dev/null

log "server: parse_dsn_fields and parse_dsn, $ROUNDS rounds of $nfiles messages"
read -r sql_fields sql_full < <(psql_db bench_dsn -q -At -F ' ' <<SQL
CREATE FUNCTION rate(fn text, rounds int) RETURNS float8 LANGUAGE plpgsql AS \$\$
DECLARE t0 timestamptz; n bigint := 0; c bigint;
BEGIN
  t0 := clock_timestamp();
  FOR i IN 1..rounds LOOP
    EXECUTE format('SELECT count(*) FROM (SELECT msg FROM eml) e, LATERAL bounce.%I(e.msg) p', fn) INTO c;
    n := n + (SELECT count(*) FROM eml);
  END LOOP;
  RETURN n / extract(epoch FROM clock_timestamp() - t0);
END \$\$;
SELECT round(greatest(rate('parse_dsn_fields', $ROUNDS), rate('parse_dsn_fields', $ROUNDS), rate('parse_dsn_fields', $ROUNDS))),
       round(greatest(rate('parse_dsn', $ROUNDS), rate('parse_dsn', $ROUNDS), rate('parse_dsn', $ROUNDS)));
SQL
)
log "native C core"
native=$(for i in 1 2 3; do "$work/dsn_native" -n "$ROUNDS" "$EML"/*.eml; done |
	sed -n 's/.*: \([0-9]*\) messages\/s/\1/p' | sort -n | tail -n 1)
log "Sisimai $(perl -MSisimai -e 'print $Sisimai::VERSION') make(), best of 3 x $(( (ROUNDS + 19) / 20 )) rounds"
sisimai=$(perl -MSisimai -MTime::HiRes=time -e '
	my $rounds = shift; my @m;
	for my $f (@ARGV) { open my $h, "<:raw", $f or die; local $/; push @m, scalar <$h>; }
	my $best = 0;
	for my $try (1 .. 3) {
		my ($n, $t0) = (0, time);
		for (1 .. $rounds) { for my $s (@m) { my $copy = $s; Sisimai->make(\$copy); $n++; } }
		my $r = $n / (time - $t0); $best = $r if $r > $best;
	}
	printf "%.0f\n", $best;' "$(( (ROUNDS + 19) / 20 ))" "$EML"/*.eml)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
echo "DSN parser, $nfiles corpus messages, messages/second on one core:"
printf '  %-44s %10s msg/s  %6sx Sisimai\n' \
	"bounce.parse_dsn_fields (server, C)" "$sql_fields" "$(ratio "$sql_fields" "$sisimai")" \
	"bounce.parse_dsn (server, C + classifier)" "$sql_full" "$(ratio "$sql_full" "$sisimai")" \
	"C core alone (dsn_native)" "$native" "$(ratio "$native" "$sisimai")" \
	"Sisimai make() (Perl, baseline)" "$sisimai" "1.0"
