# pg_regress again, under C.UTF-8 (the locale of a default Debian cluster),
# on a temporary instance that pg_regress starts itself: make regress_check,
# initdb taking its locale from the environment.  lower(), upper() and the
# regular expressions' letter classes follow the locale; the expected files
# must hold under both.
log="$PGWORK/regress-c-utf8.log"
LC_ALL=C.UTF-8 make_tests regress_check >"$log" 2>&1 && rc=0 || rc=$?
regress_summary "$log" "$rc"
