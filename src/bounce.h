/*-------------------------------------------------------------------------
 *
 * bounce.h
 *		What every bounce source file shares.
 *
 * The C99 integer and boolean types, for the pure-C cores (which have no
 * PostgreSQL dependency, so that the fuzz targets in test/fuzz link them
 * without a server), and, compiled only inside the backend (postgres.h
 * came first), the glue shared by the modules' SQL faces (bounce_sql.c).
 *
 * Each module has a header of its own, by layer:
 *		status/status.h			status codes and reply codes
 *		address/address.h		e-mail addresses: checks, normal form
 *		dsn/dsn.h				parse: the DSN parser
 *		esp/esp.h				parse: e-mail service providers' JSON events
 *		classify/classify.h		classify: reasons, rules, the classifier
 *		classify/matcher.h		classify: the multi-pattern matcher
 *		flag/recurring.h		flag: the recurring and suppression rules
 *		flag/event_flags.h		flag: the flag byte that refresh() stores
 *
 *-------------------------------------------------------------------------
 */
#ifndef BOUNCE_H
#define BOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef PG_VERSION_NUM

#include "fmgr.h"

/* First call of a set-returning function listing a static table. */
struct FuncCallContext;
extern struct FuncCallContext *bounce_table_srf_init(FunctionCallInfo fcinfo,
													 uint64 rows);

/*
 * The interrupt hook the pure-C cores call in their long loops:
 * CHECK_FOR_INTERRUPTS(), so a cancel or statement_timeout stops them.
 */
extern void bounce_check_interrupts(void *arg);

/* The schema of the bounce extension, where its tables and types live. */
extern Oid	bounce_extension_schema(void);

/* Its owner and schema; false when it is not installed in this database. */
extern bool bounce_extension_lookup(Oid *owner, Oid *schema);

#endif							/* PG_VERSION_NUM */

#endif							/* BOUNCE_H */
