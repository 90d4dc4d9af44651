# Release metadata: what a packager or PGXN reads agrees with the extension.
#   - META.json parses, has the fields PGXN requires, and its version and
#     provides.bounce.version equal bounce.control's default_version;
#   - CHANGELOG.md has an entry for that version, LICENSE exists;
#   - no file of the project refers to a folder beside the repository
#     (../shared), and none speaks of the work's history (numbered sessions,
#     issue numbers): that belongs in git and CHANGELOG.md.
# Reads files only; needs no cluster.
pass=0 fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
nok() { echo "FAIL $*"; fail=$((fail + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else nok "$what"; fi; }

cd "$ROOT" || exit 1
control=$(sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" bounce.control)
check "bounce.control has a default_version ($control)" test -n "$control"

# META.json, read with JSON::PP: one line "key<TAB>value" per field checked
meta=$(perl -MJSON::PP -e '
	local $/; open my $f, "<", "META.json" or die "META.json: $!\n";
	my $m = eval { JSON::PP->new->decode(<$f>) } or die "META.json does not parse: $@";
	my $p = $m->{provides}{bounce} // {};
	my $req = ($m->{prereqs}{runtime}{requires} // {})->{PostgreSQL};
	my $rec = ($m->{prereqs}{runtime}{recommends} // {})->{pg_cron};
	my $mnt = ref $m->{maintainer} eq "ARRAY" ? join(", ", @{ $m->{maintainer} }) : $m->{maintainer};
	my %f = (name => $m->{name}, abstract => $m->{abstract}, version => $m->{version},
	         maintainer => $mnt, license => $m->{license},
	         "meta-spec" => ($m->{"meta-spec"} // {})->{version},
	         "provides.bounce.version" => $p->{version}, "provides.bounce.file" => $p->{file},
	         "provides.bounce.abstract" => $p->{abstract},
	         "prereqs.runtime.requires.PostgreSQL" => $req,
	         "prereqs.runtime.recommends.pg_cron" => $rec,
	         resources => (ref $m->{resources} eq "HASH" && %{ $m->{resources} } ? "yes" : undef));
	print "$_\t", ($f{$_} // ""), "\n" for sort keys %f;
' 2>&1)
rc=$?
check "META.json parses" test "$rc" -eq 0
[ "$rc" -eq 0 ] || echo "$meta"
field() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' <<<"$meta"; }
for k in name abstract version maintainer license meta-spec provides.bounce.version \
	provides.bounce.file provides.bounce.abstract prereqs.runtime.requires.PostgreSQL \
	prereqs.runtime.recommends.pg_cron resources; do
	check "META.json has $k ($(field "$k"))" test -n "$(field "$k")"
done
check "META.json name is bounce" test "$(field name)" = bounce
check "META.json license is postgresql" test "$(field license)" = postgresql
check "META.json meta-spec is 1.0.0" test "$(field meta-spec)" = 1.0.0
check "META.json version equals default_version $control" test "$(field version)" = "$control"
check "provides.bounce.version equals default_version $control" test "$(field provides.bounce.version)" = "$control"
check "provides.bounce.file $(field provides.bounce.file) exists" test -f "$(field provides.bounce.file)"
# PGXN versions are semantic versions: three numbers
check "META.json version is a semantic version" grep -qE '^[0-9]+\.[0-9]+\.[0-9]+$' <<<"$(field version)"
check "the PostgreSQL prerequisite is a version" grep -qE '^[0-9]+\.[0-9]+\.[0-9]+$' <<<"$(field prereqs.runtime.requires.PostgreSQL)"

# the version's entry in the changelog: "## [X.Y.Z] - YYYY-MM-DD"
check "CHANGELOG.md has an entry for $control" \
	grep -qE "^## \[?${control//./\\.}\]? - [0-9]{4}-[0-9]{2}-[0-9]{2}" CHANGELOG.md
check "LICENSE exists and is the PostgreSQL licence" grep -q 'Permission to use, copy, modify, and distribute' LICENSE

# the files of the project: those git tracks, or every file outside .git
# when the tree is not a git checkout (an unpacked release)
files() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -z -- . ':!test/corpus' ':!test/vendor' ':!test/suites/12-release.sh'
	else
		find . -path ./.git -prune -o -path ./test/corpus -prune -o -path ./test/vendor -prune \
			-o -path ./test/suites/12-release.sh -prune -o -type f -print0
	fi
}
shared=$(files | xargs -0 grep -I -l -F '../shared' 2>/dev/null)
check "no file refers to ../shared" test -z "$shared"
[ -z "$shared" ] || echo "$shared"
diary_re='[Ss]ession [0-9]|(first|second|third|fourth|fifth|this|last|next) session|[Ii]ssue #?[0-9]+'
# the pattern itself: it finds diary words, and not the names that merely contain them
check "the diary pattern finds 'the third session', 'Session 4' and 'issue #18'" \
	test "$(printf 'the third session\nSession 4\nsee issue #18\n' | grep -c -E "$diary_re")" -eq 3
check "the diary pattern leaves session_role() and 'a new session' alone" \
	test "$(printf 'session_role()\neach query in a new session\n' | grep -c -E "$diary_re")" -eq 0
diary=$(files | xargs -0 grep -I -n -E "$diary_re" 2>/dev/null)
check "no file speaks of numbered sessions or issue numbers" test -z "$diary"
[ -z "$diary" ] || echo "$diary"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
