# Classifier accuracy on the development corpus (test/corpus/dev.tsv):
# agreement with Sisimai's labels on the reason, its group and the hard
# flag, and the top disagreements.  Fails below the floors, which sit just
# under what the classifier reaches, so that a regression is caught.
#   floors: reason >= REASON_FLOOR %, group >= GROUP_FLOOR %, hard >= HARD_FLOOR %
REASON_FLOOR=${REASON_FLOOR:-98.0}
GROUP_FLOOR=${GROUP_FLOOR:-99.4}
HARD_FLOOR=${HARD_FLOOR:-98.5}
corpus="$ROOT/test/corpus/dev.tsv"
if [ ! -f "$corpus" ]; then
	echo "FAIL: corpus not found: $corpus"
	echo "0 passed, 1 failed"
	exit 1
fi
db=bounce_accuracy
psql() { "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
psql -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
psql -d postgres -c "CREATE DATABASE $db"
psql -d $db -c "CREATE EXTENSION bounce"
psql -d $db <<SQL
CREATE TABLE dev (id text, recipient text, replycode text, status text, command text,
                  rhost text, diagnostic text, reason text, hard int, reason_v5 text);
\copy dev FROM '$corpus' WITH (FORMAT csv, HEADER true, DELIMITER E'\t', QUOTE E'\x01')
CREATE TABLE result AS
SELECT d.*, p.reason::text AS got, p.reason_group AS got_group, p.hard AS got_hard,
       bounce.reason_group(d.reason::bounce.reason) AS want_group, p.rule
  FROM dev d,
       LATERAL bounce.classify_explain(d.diagnostic, nullif(d.replycode, '')::int,
                            nullif(d.status, '')::bounce.smtp_status,
                            nullif(d.command, ''), nullif(d.rhost, '')) p;
SQL
read -r n reason group hard < <(psql -d $db -At -F' ' -c "
SELECT count(*),
       round(100.0 * count(*) FILTER (WHERE got = reason) / count(*), 1),
       round(100.0 * count(*) FILTER (WHERE got_group = want_group) / count(*), 1),
       round(100.0 * count(*) FILTER (WHERE coalesce(got_hard, false) = (hard = 1)) / count(*), 1)
  FROM result")
echo "rows: $n   reason: $reason %   reason_group: $group %   hard flag: $hard %"
echo "top disagreements (expected -> got):"
psql -d $db -c "
SELECT reason AS expected, got, count(*) AS n, min(left(diagnostic, 70)) AS example
  FROM result WHERE got <> reason
 GROUP BY 1, 2 ORDER BY n DESC, 1, 2 LIMIT 15"
pass=0 fail=0
check() { # name value floor
	if awk -v v="$2" -v f="$3" 'BEGIN { exit !(v >= f) }'; then
		echo "ok   $1 $2 % >= $3 %"; pass=$((pass + 1))
	else
		echo "FAIL $1 $2 % < $3 %"; fail=$((fail + 1))
	fi
}
check "reason agreement" "$reason" "$REASON_FLOOR"
check "reason_group agreement" "$group" "$GROUP_FLOOR"
check "hard flag agreement" "$hard" "$HARD_FLOOR"
[ "$n" -ge 300 ] && { echo "ok   corpus rows $n"; pass=$((pass + 1)); } || { echo "FAIL corpus rows $n < 300"; fail=$((fail + 1)); }
[ -n "${KEEP_DB:-}" ] || psql -d postgres -c "DROP DATABASE $db"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
