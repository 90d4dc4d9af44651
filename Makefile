# bounce -- PGXS build.
#
# The install script src/bounce--$(EXTVERSION).sql is assembled from the
# per-concern fragments in src/sql/ (in file-name order), as pgvector builds
# its script from one source: each feature owns one fragment.

EXTENSION = bounce
PG_CONFIG ?= pg_config
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" bounce.control)

MODULE_big = bounce
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))

SQL_FRAGMENTS = $(sort $(wildcard src/sql/*.sql))
DATA_built = src/$(EXTENSION)--$(EXTVERSION).sql
DATA = $(filter-out $(DATA_built),$(wildcard src/$(EXTENSION)--*--*.sql))

# One pg_regress file per feature; each is self-contained.
REGRESS = $(sort $(basename $(notdir $(wildcard sql/*.sql))))
REGRESS_OPTS = --load-extension=bounce

# Our own code is held to -Wall -Wextra -Werror; the server's headers are
# included as system headers, since they trip -Wunused-parameter.
PG_CPPFLAGS = -Isrc -isystem $(shell $(PG_CONFIG) --includedir-server) -Wall -Wextra -Werror
SHLIB_LINK =

EXTRA_CLEAN = src/$(EXTENSION)--$(EXTVERSION).sql results regression.diffs regression.out

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

src/$(EXTENSION)--$(EXTVERSION).sql: $(SQL_FRAGMENTS)
	cat $^ > $@

$(OBJS): src/bounce.h
