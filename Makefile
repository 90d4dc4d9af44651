# bounce -- PGXS build.
#
# The install script src/bounce--$(EXTVERSION).sql is assembled from the
# per-concern fragments in src/sql/ (in file-name order), as pgvector builds
# its script from one source: each feature owns one fragment.

EXTENSION = bounce
PG_CONFIG ?= pg_config
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" bounce.control)

MODULE_big = bounce
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c src/*/*.c)))

SQL_FRAGMENTS = $(sort $(wildcard src/sql/*.sql))
DATA_built = src/$(EXTENSION)--$(EXTVERSION).sql

# Releases (doc/releasing.md): the install script of each released version
# is frozen in src/release/, and src/$(EXTENSION)--A--B.sql takes one
# version to the next.  Both are installed, so that an older release can
# be created (the upgrade test does) and updated; the current version's
# script is always the one built from the fragments (when it is a release,
# test/t/180_upgrade.pl checks that the two are identical).
RELEASED = $(filter-out src/release/$(EXTENSION)--$(EXTVERSION).sql,$(wildcard src/release/$(EXTENSION)--*.sql))
DATA = $(RELEASED) $(wildcard src/$(EXTENSION)--*--*.sql)

# Tests on PostgreSQL's own tools (doc/testing.md):
#   pg_regress  sql/*.sql against expected/*.out, one file per feature
#   isolation   concurrent sessions: test/isolation/specs/*.spec against
#               test/isolation/expected/*.out (pg_isolation_regress)
#   TAP         test/t/*.pl on PostgreSQL::Test::Cluster, run by prove; each
#               test starts its own node.  They live under test/ with the
#               rest of the harness: PROVE_TESTS names them (PGXS's default
#               is t/*.pl), and PG_PROVE_FLAGS finds their helper module.
# `make installcheck` runs all three against the running server (PGHOST,
# PGPORT); `make check` runs them on temporary instances (see below).
REGRESS = $(sort $(basename $(notdir $(wildcard sql/*.sql))))
REGRESS_OPTS = --load-extension=bounce
ISOLATION = $(sort $(basename $(notdir $(wildcard test/isolation/specs/*.spec))))
ISOLATION_OPTS = --inputdir=$(srcdir)/test/isolation
TAP_TESTS = 1
PROVE_TESTS ?= test/t/*.pl

# Our own code is held to -Wall -Wextra; the server's headers are included
# as system headers, since they trip -Wunused-parameter.  The test build
# (test/lib.sh) adds WERROR=1, so a warning fails the tests, while a
# packager's build with a newer compiler is not broken by a new warning.
PG_CPPFLAGS = -Isrc -isystem $(shell $(PG_CONFIG) --includedir-server) -Wall -Wextra
ifeq ($(WERROR),1)
PG_CPPFLAGS += -Werror
endif
SHLIB_LINK =

# The loader, a libpq client (tools/bounce-load/, doc/bounce-load.md).
# PGXS builds one PROGRAM per Makefile, and not beside a MODULE_big: it is
# built by the rule below and installed into the server's bindir as a
# built script (SCRIPTS_built), which is what PGXS does with those.
LOAD_SRCS = $(sort $(wildcard tools/bounce-load/*.c))
SCRIPTS_built = tools/bounce-load/bounce-load

EXTRA_CLEAN = src/$(EXTENSION)--$(EXTVERSION).sql src/$(EXTENSION)--$(EXTVERSION).sql.sed \
	src/$(EXTENSION)--$(EXTVERSION).sql.tmp results regression.diffs regression.out

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The install script is ASCII (bounce.control says encoding = UTF8): in a
# database of another encoding PostgreSQL converts it before running it, and
# only an ASCII script reaches the check that refuses that database with a
# clear error.

# The flag bits that refresh() stores and flagged_event reads are defined
# once, in src/flag/event_flags.h: each @BOUNCE_FLAG_...@ in a fragment
# becomes the number that header gives it, and a name it does not define
# stops the build.
FLAG_HEADER = src/flag/event_flags.h

src/$(EXTENSION)--$(EXTVERSION).sql: $(SQL_FRAGMENTS) $(FLAG_HEADER)
	sed -n 's/^#define \(BOUNCE_FLAG_[A-Z_]*\)[[:space:]]\{1,\}\([0-9]\{1,\}\).*/s|@\1@|\2|g/p' \
		$(FLAG_HEADER) > $@.sed
	cat $(SQL_FRAGMENTS) | sed -f $@.sed > $@.tmp
	rm -f $@.sed
	@if grep -nE '@BOUNCE_[A-Z_]+@' $@.tmp >&2; then \
		echo "$@: not defined in $(FLAG_HEADER)" >&2; rm -f $@.tmp; exit 1; fi
	@if LC_ALL=C grep -n "$$(printf '[\200-\377]')" $@.tmp >&2; then \
		echo "$@: non-ASCII bytes; the script must be ASCII so that its encoding check runs in any database" >&2; \
		rm -f $@.tmp; exit 1; fi
	mv $@.tmp $@

$(OBJS): $(wildcard src/*.h src/*/*.h)

# libpq's header is in pg_config --includedir, the library in --libdir
# (or the linker's default path, where Debian puts it).
LOAD_CFLAGS = -O2 -g -Wall -Wextra -std=gnu99 $(if $(filter 1,$(WERROR)),-Werror)
tools/bounce-load/bounce-load: $(LOAD_SRCS) tools/bounce-load/load.h
	$(CC) $(LOAD_CFLAGS) -I$(includedir) -o $@ $(LOAD_SRCS) -L$(libdir) $(LDFLAGS_EX) -lpq

# ---- tests ------------------------------------------------------------

PG_PROVE_FLAGS += -I test/t

# The test databases are UTF-8 whatever the server's default encoding:
# the registry's sparklines are block characters.  NO_LOCALE=1 makes them
# (and make check's instances) C-locale.
ENCODING ?= UTF8

# Settings of the temporary instances: pg_cron preloaded, as on a
# registry's server (pg_cron's own Makefile does the same).
TEMP_INSTANCE_CONF = test/temp_instance.conf

# One part alone, against the running server:
#   make regress_installcheck | isolation_installcheck | prove_installcheck
# or on a temporary instance of the installed server (after make install;
# initdb takes its locale from the environment, NO_LOCALE=1 gives C):
#   make regress_check | isolation_check | prove_check
# TAP tests always start their own nodes, so prove_check is
# prove_installcheck.  Pick files with REGRESS=..., ISOLATION=...,
# PROVE_TESTS=...; a single TAP test's log is in tmp_check/log.
.PHONY: regress_installcheck isolation_installcheck prove_installcheck \
	regress_check isolation_check prove_check

regress_installcheck:
	$(pg_regress_installcheck) $(REGRESS_OPTS) $(REGRESS)

isolation_installcheck:
	$(pg_isolation_regress_installcheck) $(ISOLATION_OPTS) $(ISOLATION)

prove_installcheck prove_check:
	$(prove_installcheck)

regress_check:
	$(pg_regress_installcheck) --temp-instance=./tmp_check \
		--temp-config=$(abspath $(srcdir)/$(TEMP_INSTANCE_CONF)) $(REGRESS_OPTS) $(REGRESS)

isolation_check:
	$(pg_isolation_regress_installcheck) --temp-instance=./tmp_check_iso \
		--temp-config=$(abspath $(srcdir)/$(TEMP_INSTANCE_CONF)) $(ISOLATION_OPTS) $(ISOLATION)

# PGXS answers `make check` with "not supported" (it has no temporary
# install of the server to test in).  bounce's check uses the installed
# server's binaries on temporary instances instead, so it replaces that
# recipe; make then warns that it overrides it, which is why the rule is
# only read when check is asked for.
ifneq ($(filter check,$(MAKECMDGOALS)),)
check: regress_check isolation_check prove_check
	@echo "make check: pg_regress, isolation and TAP tests passed"
endif
