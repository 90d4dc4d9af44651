/*-------------------------------------------------------------------------
 *
 * bounce_module.c
 *		The one PG_MODULE_MAGIC of bounce.so, in a file of its own so that
 *		no module's source has to be the one that carries it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;
