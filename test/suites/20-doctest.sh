# Doc tests: every SQL example in doc/*.md runs, and its shown output matches.
# The database is set up as the README tells users to: bounce on search_path.
psql_db() { "$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$@"; }
psql_db postgres -c "DROP DATABASE IF EXISTS bounce_doc" 2>/dev/null; psql_db postgres -c "CREATE DATABASE bounce_doc" >/dev/null
psql_db bounce_doc -c 'CREATE EXTENSION bounce' \
	-c "ALTER DATABASE bounce_doc SET search_path = bounce, public" \
	-c "ALTER DATABASE bounce_doc SET TimeZone = 'UTC'" \
	-c "ALTER DATABASE bounce_doc SET DateStyle = 'ISO, YMD'" >/dev/null
perl "$ROOT/test/doctest.pl" bounce_doc "$ROOT"/doc/*.md
