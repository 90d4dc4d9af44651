/*-------------------------------------------------------------------------
 *
 * address.h
 *		E-mail addresses as the registry stores them: why an address is
 *		malformed, and its normal form (address.c, pure C, on UTF-8), with
 *		the SQL face bounce.address_problem / bounce.normalize_address
 *		(address_sql.c).
 *
 * Nothing here depends on the locale: the domain is case-folded with
 * Unicode simple case folding from a generated table (unicode_data.h), so
 * the same address has the same normal form under every ctype, collation
 * and database, and an index on it survives a restore elsewhere.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BOUNCE_ADDRESS_H
#define BOUNCE_ADDRESS_H

#include "bounce.h"

/* Room for any problem text, NUL included. */
#define BOUNCE_ADDRESS_PROBLEM_BUFLEN	512

/* The Unicode version of the tables (unicode_data.h). */
extern const char *const bounce_unicode_version;

/*
 * Why addr[0..len) (UTF-8) is not an address the registry stores: a
 * sentence written into buf (BOUNCE_ADDRESS_PROBLEM_BUFLEN bytes), which
 * is returned; NULL when the address is fine.
 */
extern const char *bounce_address_problem(const char *addr, size_t len,
										  char *buf);

/*
 * The normal form of an address that has no problem, into out (room for
 * 2 * len + 1 bytes, since folding can lengthen a character by half):
 * blanks around it trimmed, the local part kept exactly, the domain
 * case-folded without its trailing dots.  Returns its length; out is
 * NUL-terminated.
 */
extern size_t bounce_address_normalize(const char *addr, size_t len, char *out);

/* Unicode simple case folding of one code point. */
extern uint32_t bounce_casefold(uint32_t cp);

#endif							/* BOUNCE_ADDRESS_H */
