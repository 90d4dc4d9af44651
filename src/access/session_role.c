/*-------------------------------------------------------------------------
 *
 * session_role.c
 *		bounce.session_role(): the role the session acts as, also inside a
 *		SECURITY DEFINER function.
 *
 * A registrar reads its reports through SECURITY DEFINER functions, which
 * run as the extension's owner: inside them current_user is the owner, and
 * session_user ignores SET ROLE (a connection pool that logs in as one
 * role and sets the registrar's role per request would see every
 * registrar).  The server keeps what is wanted, the role of the last SET
 * ROLE (or the session user when there was none), as the "outer" user ID,
 * which a SECURITY DEFINER call leaves alone; SQL cannot read it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"

/*
 * The outer user ID: the role of the last SET ROLE, else the session user.
 * STABLE (SET ROLE cannot run inside a query), STRICT, PARALLEL SAFE
 * (parallel workers take the leader's outer user ID).
 */
PG_FUNCTION_INFO_V1(bounce_session_role);
Datum
bounce_session_role(PG_FUNCTION_ARGS)
{
	(void) fcinfo;				/* no arguments */
	PG_RETURN_OID(GetOuterUserId());
}
