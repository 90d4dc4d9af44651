/*-------------------------------------------------------------------------
 *
 * refresher.h
 *		The refresher: a background worker of bounce's own that calls
 *		refresh() in one long-lived session (src/refresher/refresher.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef BOUNCE_REFRESHER_H
#define BOUNCE_REFRESHER_H

/*
 * Define the refresher's settings and, when bounce is in
 * shared_preload_libraries and bounce.refresh_database names a
 * database, register its worker.  Called by _PG_init().
 */
extern void bounce_refresher_init(void);

#endif							/* BOUNCE_REFRESHER_H */
