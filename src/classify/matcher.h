/*-------------------------------------------------------------------------
 *
 * matcher.h
 *		Multi-pattern matcher (Aho-Corasick over case-folded bytes, runs of
 *		blanks collapsed), built once from the classifier's text patterns
 *		(matcher.c).  Pure C.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BOUNCE_MATCHER_H
#define BOUNCE_MATCHER_H

#include "bounce.h"

/*
 * A full transition table over byte classes, states numbered breadth first,
 * the states that report patterns last (from out_start on).
 */
typedef struct BounceMatcher
{
	int			nstates;
	int			out_start;		/* states >= out_start report patterns */
	int			nclasses;		/* row width, 1 << shift */
	int			shift;
	uint8_t		cls[256];		/* byte -> class; folds ASCII case */
	uint8_t		space_class;	/* class of the blanks (runs are collapsed) */
	uint16_t   *delta;			/* nstates rows of nclasses transitions */
	uint8_t    *depth;			/* per state: length of its prefix, at most 255 */
	int32_t    *out_first;		/* per reporting state: index into out */
	int32_t    *out;			/* pattern ids, each list ends with -1 */
	const char *const *patterns;	/* as given to bounce_matcher_build */
	int			npatterns;
	uint32_t   *verify;			/* per pattern: 0, or its length if hits are verified */
	void	   *mem;			/* the one block the arrays live in */
	size_t		memsize;
} BounceMatcher;

/* Called for each occurrence; end is the offset just past its last byte. */
typedef void (*BounceMatchFn) (int pattern, size_t end, void *arg);

/* Called every tick_span bytes of a scan (an interrupt check); may be NULL. */
typedef void (*BounceMatchTick) (void *arg);

extern bool bounce_matcher_build(BounceMatcher *m, const char *const *patterns,
								 int npatterns);
extern void bounce_matcher_free(BounceMatcher *m);
extern void bounce_matcher_scan(const BounceMatcher *m, const char *text,
								size_t len, BounceMatchFn fn, void *arg,
								BounceMatchTick tick, void *tick_arg,
								size_t tick_span);

#endif							/* BOUNCE_MATCHER_H */
