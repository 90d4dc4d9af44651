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
DATA = $(filter-out $(DATA_built),$(wildcard src/$(EXTENSION)--*--*.sql))

# One pg_regress file per feature; each is self-contained.
REGRESS = $(sort $(basename $(notdir $(wildcard sql/*.sql))))
REGRESS_OPTS = --load-extension=bounce

# Our own code is held to -Wall -Wextra; the server's headers are included
# as system headers, since they trip -Wunused-parameter.  The test build
# (test/lib.sh) adds WERROR=1, so a warning fails the tests, while a
# packager's build with a newer compiler is not broken by a new warning.
PG_CPPFLAGS = -Isrc -isystem $(shell $(PG_CONFIG) --includedir-server) -Wall -Wextra
ifeq ($(WERROR),1)
PG_CPPFLAGS += -Werror
endif
SHLIB_LINK =

EXTRA_CLEAN = src/$(EXTENSION)--$(EXTVERSION).sql src/$(EXTENSION)--$(EXTVERSION).sql.sed \
	src/$(EXTENSION)--$(EXTVERSION).sql.tmp results regression.diffs regression.out

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

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
	mv $@.tmp $@

$(OBJS): $(wildcard src/*.h src/*/*.h)
