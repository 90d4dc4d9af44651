# Doc tests: every SQL example of README.md and doc/*.md runs, and its shown
# output matches (test/doctest.pl).
#   README.md  in a new database named mydb, as its examples say, with
#              nothing set up beforehand: they create the extension, set
#              the search_path, add what they record against, schedule the
#              refresh and create roles.  What they leave in the cluster
#              (the pg_cron job, the roles, the database) is removed after.
#   doc/*.md   in a database set up as the README tells users to: bounce
#              on search_path.
psql_db() { "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$@"; }
readme_roles='bounce_app, bounce_analyst, registrar_42'
readme_cleanup() {
	psql_db postgres -c "SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = 'bounce-refresh'" >/dev/null
	psql_db postgres -c "DROP DATABASE IF EXISTS mydb" -c "DROP ROLE IF EXISTS $readme_roles" 2>/dev/null
}
readme_cleanup
psql_db postgres -c "CREATE DATABASE mydb" >/dev/null
perl "$ROOT/test/doctest.pl" mydb "$ROOT/README.md" | tee "$PGWORK/doctest-readme.out"
readme_cleanup

psql_db postgres -c "DROP DATABASE IF EXISTS bounce_doc" 2>/dev/null; psql_db postgres -c "CREATE DATABASE bounce_doc" >/dev/null
psql_db bounce_doc -c 'CREATE EXTENSION bounce' \
	-c "ALTER DATABASE bounce_doc SET search_path = bounce, public" \
	-c "ALTER DATABASE bounce_doc SET TimeZone = 'UTC'" \
	-c "ALTER DATABASE bounce_doc SET DateStyle = 'ISO, YMD'" >/dev/null
perl "$ROOT/test/doctest.pl" bounce_doc "$ROOT"/doc/*.md | tee "$PGWORK/doctest-doc.out"

# one result line for both runs
read -r pass fail < <(cat "$PGWORK/doctest-readme.out" "$PGWORK/doctest-doc.out" |
	sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' | awk '{ p += $1; f += $2; n++ } END { print p + 0, f + (n == 2 ? 0 : 1) }')
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
