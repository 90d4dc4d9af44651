# pg_regress: sql/*.sql against expected/*.out (make regress_installcheck).
# Counts come from pg_regress's own summary ("All N tests passed." or
# "M of N tests failed."), which per-test lines cannot garble.
cd "$ROOT"
rm -f regression.diffs regression.out
set +e
make -s PG_CONFIG="$PG_CONFIG" regress_installcheck >"$PGWORK/regress.log" 2>&1
rc=$?
set -e
grep -E '^(ok|not ok|test | +[a-z_0-9]+ +\.\.\.)' "$PGWORK/regress.log" || cat "$PGWORK/regress.log"
summary=$(grep -E 'tests? (passed|failed)' "$PGWORK/regress.log" | tail -n 1)
if [[ $summary =~ All\ ([0-9]+)\ tests?\ passed ]]; then
	pass=${BASH_REMATCH[1]} fail=0
elif [[ $summary =~ ([0-9]+)\ of\ ([0-9]+)\ tests?\ failed ]]; then
	fail=${BASH_REMATCH[1]} pass=$((BASH_REMATCH[2] - BASH_REMATCH[1]))
else
	pass=0 fail=1
	cat "$PGWORK/regress.log"
fi
if [ -f regression.diffs ]; then
	echo "---- regression.diffs"
	cat regression.diffs
fi
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
	cat "$PGWORK/regress.log"
	fail=1
fi
echo "$pass passed, $fail failed"
[ "$rc" -eq 0 ]
