# Isolation: test/isolation/specs/*.spec, concurrent sessions stepped in a
# fixed order by pg_isolation_regress, on the running cluster: make
# isolation_installcheck.  Counts specs; each holds several permutations.
log="$PGWORK/isolation.log"
make_tests isolation_installcheck >"$log" 2>&1 && rc=0 || rc=$?
regress_summary "$log" "$rc"
