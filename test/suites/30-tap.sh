# TAP tests: test/t/*.t, each a perl script using Test::More against the
# running cluster (PGHOST/PGPORT/PGUSER are set).  Counts every assertion.
pass=0 fail=0
for t in "$ROOT"/test/t/*.t; do
	[ -e "$t" ] || continue
	echo "# $(basename "$t")"
	out=$(perl -I"$ROOT/test/t" "$t" 2>&1) && rc=0 || rc=$?
	echo "$out" | grep -vE '^ok ' || true
	p=$(echo "$out" | grep -cE '^ok ' || true)
	f=$(echo "$out" | grep -cE '^not ok ' || true)
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	echo "  $p ok, $f not ok"
	pass=$((pass + p)); fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
