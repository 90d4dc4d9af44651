/*-------------------------------------------------------------------------
 *
 * bounce_module.c
 *		The one PG_MODULE_MAGIC and _PG_init() of bounce.so, in a file of
 *		their own so that no module's source has to be the one that
 *		carries them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "refresher/refresher.h"

PG_MODULE_MAGIC;

#if PG_VERSION_NUM < 160000
void		_PG_init(void);
#endif

/*
 * Loading bounce.so: when preloaded (shared_preload_libraries), the
 * refresher's settings and worker.  Nothing otherwise.
 */
void
_PG_init(void)
{
	bounce_refresher_init();
}
