/*-------------------------------------------------------------------------
 *
 * dsn_ses.c
 *		The reader of Amazon SES notifications: JSON in the body of an
 *		e-mail, with a small JSON reader of its own.
 *
 * SES (through SNS e-mail subscriptions) reports bounces, complaints and
 * deliveries as one JSON object, not as a DSN (docs.aws.amazon.com/ses,
 * "Amazon SES notification contents"): notificationType, then "bounce"
 * with bounceType and bouncedRecipients [{emailAddress, action, status,
 * diagnosticCode}], "complaint" with complainedRecipients, or "delivery"
 * with recipients and smtpResponse.  A small reader, no JSON library:
 * strings are decoded (escapes, \uXXXX with surrogates), other values
 * skipped, nesting limited (JSON_MAX_DEPTH).  JSON it cannot read (too
 * deep, not JSON) leaves the message to the plain-text reading; a
 * notification cut short gives the recipients read before the cut.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "dsn/dsn_int.h"

#define JSON_MAX_DEPTH 64

typedef struct Json
{
	const char *p;
	const char *end;
	bool		bad;
	Ctx		   *c;				/* counts the work (dsn_tick) */
} Json;

static void
json_ws(Json *j)
{
	const char *st = j->p;

	while (j->p < j->end && is_space(*j->p))
		j->p++;
	dsn_tick(j->c, j->p - st);
}

static int
json_hex4(const char *p)
{
	int			v = 0,
				k;

	for (k = 0; k < 4; k++)
	{
		int			h = dsn_hexval(p[k]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* Read a string at j->p; decoded into *out (c's memory), unless out is NULL (skip). */
static bool
json_string(Json *j, Ctx *c, char **out, size_t *out_len)
{
	const char *q;
	char	   *o = NULL;
	size_t		n = 0;

	json_ws(j);
	if (j->p >= j->end || *j->p != '"')
		return (j->bad = true, false);
	q = ++j->p;
	if (out != NULL && c != NULL)
	{
		/* the decoded string is never longer than the raw one */
		const char *e = q;

		while (e < j->end && *e != '"')
			e += (*e == '\\' && e + 1 < j->end) ? 2 : 1;
		dsn_tick(c, e - q);
		o = dsn_alloc(c, (e - q) + 1);
		if (o == NULL)
			return (j->bad = true, false);
	}
	while (j->p < j->end && *j->p != '"')
	{
		char		ch = *j->p++;

		dsn_tick(j->c, 1);
		if (ch == '\\')
		{
			if (j->p >= j->end)
				break;
			ch = *j->p++;
			if (ch == 'u')
			{
				int			u = (j->end - j->p >= 4) ? json_hex4(j->p) : -1;

				if (u < 0)
					return (j->bad = true, false);
				j->p += 4;
				if (u >= 0xD800 && u <= 0xDBFF && j->end - j->p >= 6 &&
					j->p[0] == '\\' && j->p[1] == 'u')
				{
					int			lo = json_hex4(j->p + 2);

					if (lo >= 0xDC00 && lo <= 0xDFFF)
					{
						u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
						j->p += 6;
					}
				}
				if (u >= 0xD800 && u <= 0xDFFF)
					u = 0xFFFD;
				if (o)
				{
					/* 6 raw bytes (or 12) become at most 4 */
					if (u < 0x80)
						o[n++] = (char) u;
					else if (u < 0x800)
					{
						o[n++] = (char) (0xC0 | (u >> 6));
						o[n++] = (char) (0x80 | (u & 0x3F));
					}
					else if (u < 0x10000)
					{
						o[n++] = (char) (0xE0 | (u >> 12));
						o[n++] = (char) (0x80 | ((u >> 6) & 0x3F));
						o[n++] = (char) (0x80 | (u & 0x3F));
					}
					else
					{
						o[n++] = (char) (0xF0 | (u >> 18));
						o[n++] = (char) (0x80 | ((u >> 12) & 0x3F));
						o[n++] = (char) (0x80 | ((u >> 6) & 0x3F));
						o[n++] = (char) (0x80 | (u & 0x3F));
					}
				}
				continue;
			}
			switch (ch)
			{
				case 'n':
					ch = '\n';
					break;
				case 't':
					ch = '\t';
					break;
				case 'r':
					ch = '\r';
					break;
				case 'b':
				case 'f':
					ch = ' ';
					break;
				default:
					break;		/* \" \\ \/ and anything else: the character */
			}
		}
		if (o)
			o[n++] = ch;
	}
	if (j->p >= j->end)
		return (j->bad = true, false);
	j->p++;						/* the closing quote */
	if (o)
	{
		o[n] = '\0';
		*out = o;
		*out_len = n;
	}
	return true;
}

/* Skip one value of any type, nesting at most JSON_MAX_DEPTH deep. */
static void
json_skip(Json *j, int depth)
{
	json_ws(j);
	if (j->p >= j->end || depth > JSON_MAX_DEPTH)
	{
		j->bad = true;
		return;
	}
	if (*j->p == '"')
		json_string(j, NULL, NULL, NULL);
	else if (*j->p == '{' || *j->p == '[')
	{
		char		close = (*j->p == '{') ? '}' : ']';
		bool		obj = (*j->p == '{');

		j->p++;
		json_ws(j);
		if (j->p < j->end && *j->p == close)
		{
			j->p++;
			return;
		}
		while (!j->bad)
		{
			if (obj)
			{
				json_string(j, NULL, NULL, NULL);
				json_ws(j);
				if (j->bad || j->p >= j->end || *j->p != ':')
				{
					j->bad = true;
					return;
				}
				j->p++;
			}
			json_skip(j, depth + 1);
			json_ws(j);
			if (j->bad || j->p >= j->end)
			{
				j->bad = true;
				return;
			}
			if (*j->p == ',')
			{
				j->p++;
				continue;
			}
			if (*j->p == close)
			{
				j->p++;
				return;
			}
			j->bad = true;
		}
	}
	else
	{
		/* number, true, false, null */
		const char *st = j->p;

		while (j->p < j->end && (is_alpha(*j->p) || is_digit(*j->p) ||
								 *j->p == '-' || *j->p == '+' || *j->p == '.'))
			j->p++;
		dsn_tick(j->c, j->p - st);
		if (j->p == st)
			j->bad = true;
	}
}

/*
 * In the object that starts at j->p, position j->p on the value of member
 * key (true), or report it absent (false; j->p unchanged).
 */
static bool
json_member(Json *j, const char *key)
{
	Json		k = *j;
	size_t		kl = strlen(key);

	json_ws(&k);
	if (k.p >= k.end || *k.p != '{')
		return false;
	k.p++;
	json_ws(&k);
	if (k.p < k.end && *k.p == '}')
		return false;
	while (!k.bad)
	{
		const char *name;
		size_t		nl;

		json_ws(&k);
		if (k.p >= k.end || *k.p != '"')
			return false;
		name = k.p + 1;
		json_string(&k, NULL, NULL, NULL);
		nl = k.p - name - 1;
		json_ws(&k);
		if (k.bad || k.p >= k.end || *k.p != ':')
			return false;
		k.p++;
		json_ws(&k);
		if (nl == kl && memcmp(name, key, kl) == 0)
		{
			j->p = k.p;
			return true;
		}
		json_skip(&k, 1);
		json_ws(&k);
		if (k.bad || k.p >= k.end || *k.p != ',')
			return false;
		k.p++;
	}
	return false;
}

/* The string member key of the object at o, decoded, or NULL. */
static char *
json_get_string(Ctx *c, Json o, const char *key)
{
	char	   *v = NULL;
	size_t		n;

	if (!json_member(&o, key) || o.p >= o.end || *o.p != '"')
		return NULL;
	if (!json_string(&o, c, &v, &n))
		return NULL;
	return dsn_clean(c, v, n);
}

/* Strip "type; " from an SES value such as "dsn; a1-2.smtp-out..." */
static char *
ses_untyped(Ctx *c, char *v)
{
	char	   *semi;

	if (v == NULL)
		return NULL;
	semi = strchr(v, ';');
	if (semi && dsn_is_type_atom(v, semi - v))
	{
		Str			t = dsn_trim((Str) {semi + 1, strlen(semi + 1)});

		return t.n ? dsn_clean(c, t.p, t.n) : NULL;
	}
	return v;
}

/* What a notification says of all its recipients. */
typedef struct SesNotice
{
	const char *kind;			/* "bounce", "complaint" or "delivery" */
	char	   *reporting;		/* reportingMTA, untyped */
	char	   *remote;			/* remoteMtaIp */
	char	   *smtp_response;	/* a delivery's smtpResponse */
	char	   *bounce_type;	/* Permanent, Transient, Undetermined */
	const char *stated;			/* the reason bounceSubType states, or NULL */
} SesNotice;

/*
 * The bounce subtypes Amazon SES documents ("Amazon SES notification
 * contents", bounce types: docs.aws.amazon.com/ses/latest/dg/
 * notification-contents.html) that name a reason, and that reason.
 * General, NoEmail and Undetermined name none: the diagnostic decides.
 * An attachment SES refuses is a security refusal in Sisimai's taxonomy
 * (Sisimai::Lhost::AmazonSES, its subtype table; Sisimai::Reason::
 * SecurityError's "illegal attachment").
 */
static const struct
{
	const char *subtype;
	const char *reason;
}			ses_subtypes[] = {
	{"Suppressed", "suppressed"},
	{"OnAccountSuppressionList", "suppressed"},
	{"MailboxFull", "mailboxfull"},
	{"MessageTooLarge", "emailtoolarge"},
	{"ContentRejected", "contenterror"},
	{"AttachmentRejected", "securityerror"},
};

static const char *
ses_subtype_reason(const char *subtype)
{
	size_t		i;

	for (i = 0; subtype != NULL && i < sizeof(ses_subtypes) / sizeof(ses_subtypes[0]); i++)
		if (strcmp(subtype, ses_subtypes[i].subtype) == 0)
			return ses_subtypes[i].reason;
	return NULL;
}

/*
 * An SNS "e-mail-json" subscription wraps the notification as a string:
 * {"Type": "Notification", ..., "Message": "{\"notificationType\": ...}"}.
 * Read the notification in it, as dsn_read_ses() does.
 */
static bool
read_sns_envelope(Ctx *c, const char *t, size_t n)
{
	const char *env = dsn_ci_find_long(c, t, n, "\"type\"");
	Json		top;
	char	   *inner;

	if (env == NULL || dsn_ci_find_long(c, t, n, "notificationtype") == NULL)
		return false;
	while (env > t && env[-1] != '{')
	{
		env--;
		dsn_tick(c, 1);
	}
	if (env == t)
		return false;
	top.p = env - 1;
	top.end = t + n;
	top.bad = false;
	top.c = c;
	inner = json_get_string(c, top, "Message");
	if (inner == NULL || dsn_ci_find_long(c, inner, strlen(inner), "\"notificationtype\"") == NULL)
		return false;
	return dsn_read_ses(c, inner, strlen(inner));
}

/*
 * The notification's kind ("bounce", "complaint" or "delivery": also the
 * name of its member object) and the member that lists its recipients;
 * NULL for any other notificationType.
 */
static const char *
notice_kind(Ctx *c, Json top, const char **list_key)
{
	char	   *type = json_get_string(c, top, "notificationType");

	if (type == NULL)
		return NULL;
	if (strcmp(type, "Bounce") == 0)
	{
		*list_key = "bouncedRecipients";
		return "bounce";
	}
	if (strcmp(type, "Complaint") == 0)
	{
		*list_key = "complainedRecipients";
		return "complaint";
	}
	if (strcmp(type, "Delivery") == 0)
	{
		*list_key = "recipients";
		return "delivery";
	}
	return NULL;
}

/*
 * Fill row r from the recipient element at el: an object, or for a
 * delivery a plain address string.  False when the element cannot be
 * read (the list ends there).
 */
static bool
ses_row(Ctx *c, DsnRecipient *r, Json el, const SesNotice *ntc)
{
	if (*el.p == '"')
	{
		/* delivery.recipients: plain address strings */
		char	   *a = NULL;
		size_t		an;

		if (!json_string(&el, c, &a, &an))
			return false;
		r->recipient = dsn_clean(c, a, an);
	}
	else
	{
		char	   *sv;
		int32_t		code;

		r->recipient = json_get_string(c, el, "emailAddress");
		r->action = json_get_string(c, el, "action");
		r->diagnostic = ses_untyped(c, json_get_string(c, el, "diagnosticCode"));
		sv = json_get_string(c, el, "status");
		if (sv && bounce_status_parse(sv, strlen(sv), &code) == BSE_OK)
			r->status = code;
	}
	if (strcmp(ntc->kind, "delivery") == 0)
	{
		r->action = "delivered";
		r->diagnostic = ntc->smtp_response;
	}
	else if (strcmp(ntc->kind, "complaint") == 0)
		r->stated_reason = "feedback";
	else
	{
		if (r->action == NULL)
			r->action = (ntc->bounce_type && strcmp(ntc->bounce_type, "Transient") == 0)
				? "delayed" : "failed";
		r->stated_reason = ntc->stated;
	}
	r->reporting_mta = ntc->reporting;
	r->remote_mta = ntc->remote;
	if (r->diagnostic)
		dsn_fill_from_text(c, r, r->diagnostic, strlen(r->diagnostic), false);
	return true;
}

/*
 * One row per element of the recipient list that starts after arr.p
 * (the '[' read); sub is the notification's kind object.
 */
static void
ses_rows(Ctx *c, Json sub, Json arr, const char *kind)
{
	SesNotice	ntc;

	ntc.kind = kind;
	ntc.reporting = ses_untyped(c, json_get_string(c, sub, "reportingMTA"));
	ntc.remote = json_get_string(c, sub, "remoteMtaIp");
	ntc.smtp_response = json_get_string(c, sub, "smtpResponse");
	ntc.bounce_type = json_get_string(c, sub, "bounceType");
	ntc.stated = ses_subtype_reason(json_get_string(c, sub, "bounceSubType"));
	while (c->err == DSN_OK)
	{
		DsnRecipient *r;

		json_ws(&arr);
		if (arr.p >= arr.end || *arr.p == ']')
			break;
		r = dsn_new_rcpt(c);
		if (r == NULL)
			return;
		if (!ses_row(c, r, arr, &ntc))
			break;
		if (r->recipient == NULL)
			c->nrcpt--;			/* an element without an address: no row */
		json_skip(&arr, 1);
		json_ws(&arr);
		if (arr.bad || arr.p >= arr.end || *arr.p != ',')
			break;
		arr.p++;
	}
}

/*
 * Rows from an SES notification in t[0..n); true when it was one (even
 * with no recipients), false to read the message as plain text.
 */
bool
dsn_read_ses(Ctx *c, const char *t, size_t n)
{
	const char *key = dsn_ci_find_long(c, t, n, "\"notificationtype\"");
	const char *st;
	const char *kind;
	const char *list_key;
	Json		top,
				sub,
				arr;

	if (key == NULL)
		return read_sns_envelope(c, t, n);
	/* the object that holds it: the '{' just before, blanks aside */
	st = key;
	while (st > t && is_space(st[-1]))
	{
		st--;
		dsn_tick(c, 1);
	}
	if (st == t || st[-1] != '{')
		return false;
	top.p = st - 1;
	top.end = t + n;
	top.bad = false;
	top.c = c;
	kind = notice_kind(c, top, &list_key);
	if (kind == NULL)
		return false;
	sub = top;
	if (!json_member(&sub, kind) || sub.p >= sub.end || *sub.p != '{')
		return false;
	arr = sub;
	if (!json_member(&arr, list_key) || arr.p >= arr.end || *arr.p != '[')
		return false;
	arr.p++;
	ses_rows(c, sub, arr, kind);
	return true;
}
