/*-------------------------------------------------------------------------
 *
 * event_flags.h
 *		The flag byte that refresh() keeps per bounce, and how the
 *		event_flags table packs those bytes.
 *
 * This is the one definition.  refresh.c writes the bytes; the SQL that
 * reads them (the flagged_event view, event_flags' CHECK) names each value
 * as @BOUNCE_FLAG_...@, and make writes the numbers below into the install
 * script in their place.  So the values are plain decimal numbers, one
 * #define per line.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BOUNCE_EVENT_FLAGS_H
#define BOUNCE_EVENT_FLAGS_H

/*
 * One byte per bounce, BOUNCE_FLAG_BLOCK bytes to an event_flags row: row
 * "block" holds the bounces with id >> BOUNCE_FLAG_BLOCK_BITS = block, at
 * byte id & BOUNCE_FLAG_BLOCK_MASK.  A zero byte is a bounce not refreshed
 * yet (or no bounce).
 */
#define BOUNCE_FLAG_BLOCK_BITS	8
#define BOUNCE_FLAG_BLOCK		256		/* 1 << BOUNCE_FLAG_BLOCK_BITS */
#define BOUNCE_FLAG_BLOCK_MASK	255		/* BOUNCE_FLAG_BLOCK - 1 */

/* The bits of a flag byte. */
#define BOUNCE_FLAG_REFRESHED	1		/* refresh() has seen the bounce */
#define BOUNCE_FLAG_COUNTED		2		/* permanent or hard, per config */
#define BOUNCE_FLAG_RECURRING	4		/* counted, and recurring() */
#define BOUNCE_FLAG_SUPPRESSED	8		/* suppress() was on at this bounce */

#endif							/* BOUNCE_EVENT_FLAGS_H */
