# pg_regress: sql/*.sql against expected/*.out, one file per feature, on the
# running cluster (C locale): make regress_installcheck.
log="$PGWORK/regress-c.log"
make_tests regress_installcheck >"$log" 2>&1 && rc=0 || rc=$?
regress_summary "$log" "$rc"
