/*-------------------------------------------------------------------------
 *
 * esp.c
 *		The ESP event reader's entry point: which provider wrote an event,
 *		batches and SNS envelopes, and the helpers the providers' readers
 *		share (memory, errors, rows, typed fields, times, codes).
 *
 * An event is recognised by the fields its provider documents:
 *	- an SNS envelope: "Type" and "Message" (a string of JSON), with
 *	  "TopicArn" or "MessageId" (docs.aws.amazon.com/sns, "HTTP/S
 *	  notification JSON format"); Type "Notification" holds an Amazon SES
 *	  event, the confirmations hold none;
 *	- Amazon SES: "notificationType" (notifications) or "eventType" (event
 *	  publishing);
 *	- SparkPost: "msys" (an event wrapped in its kind: message_event, ...);
 *	- Postmark: "RecordType" (or "TypeCode", the bounce type's number);
 *	- Mailgun: "event-data" (a webhook's body), or "event" with "recipient"
 *	  (an element of the Events API's "items");
 *	- SendGrid: "event" with "email".
 * A JSON array is a batch of events, and so is an object whose "items" is
 * an array (a page of Mailgun's Events API).  Anything else is an error
 * naming the event: the caller learns what it sent, and nothing is
 * recorded from a payload that is only partly understood.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "esp/esp_int.h"
#include "classify/classify.h"
#include "status/status.h"

#define ESP_ERRMSG_MAX	600

/* ---- memory, errors, rows ---------------------------------------------- */

void *
esp_alloc(EspCtx *c, size_t n)
{
	void	   *p;

	if (c->err != ESP_OK)
		return NULL;
	p = c->a->alloc(c->a->opaque, n ? n : 1);
	if (p == NULL)
		esp_fail(c, ESP_ERR_NOMEM, "out of memory");
	return p;
}

void
esp_tick(EspCtx *c, size_t n)
{
	c->work += n;
	if (c->work >= ESP_INTERRUPT_SPAN)
	{
		c->work = 0;
		if (c->a->interrupt)
			c->a->interrupt(c->a->opaque);
	}
}

/* Record the first error, with its message; always false. */
bool
esp_fail(EspCtx *c, EspError err, const char *fmt,...)
{
	va_list		ap;
	char	   *m;

	if (c->err != ESP_OK)
		return false;
	c->err = err;
	if (err == ESP_ERR_NOMEM)
		return false;
	m = c->a->alloc(c->a->opaque, ESP_ERRMSG_MAX);
	if (m == NULL)
	{
		c->err = ESP_ERR_NOMEM;
		return false;
	}
	va_start(ap, fmt);
	vsnprintf(m, ESP_ERRMSG_MAX, fmt, ap);
	va_end(ap);
	c->errmsg = m;
	return false;
}

EspRow *
esp_new_row(EspCtx *c, const char *provider)
{
	EspRow	   *r;

	if (c->nrows >= ESP_MAX_ROWS)
	{
		esp_fail(c, ESP_ERR_ROWS, "more than %d recipients in one payload", ESP_MAX_ROWS);
		return NULL;
	}
	if (c->nrows == c->cap)
	{
		int			cap = c->cap ? c->cap * 2 : 8;
		EspRow	   *rows = esp_alloc(c, sizeof(EspRow) * cap);

		if (rows == NULL)
			return NULL;
		if (c->nrows)
			memcpy(rows, c->rows, sizeof(EspRow) * c->nrows);
		c->rows = rows;
		c->cap = cap;
	}
	r = &c->rows[c->nrows++];
	memset(r, 0, sizeof(EspRow));
	r->element = c->element;
	r->provider = provider;
	r->permanent = -1;
	return r;
}

/* ---- strings ------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned char b = p[0];

	if (b < 0x80)
		return 1;
	if (b >= 0xC2 && b <= 0xDF)
		return (n >= 2 && (p[1] & 0xC0) == 0x80) ? 2 : 0;
	if (b >= 0xE0 && b <= 0xEF)
	{
		if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		if ((b == 0xE0 && p[1] < 0xA0) || (b == 0xED && p[1] > 0x9F))
			return 0;			/* overlong, or a surrogate */
		return 3;
	}
	if (b >= 0xF0 && b <= 0xF4)
	{
		if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
			return 0;
		if ((b == 0xF0 && p[1] < 0x90) || (b == 0xF4 && p[1] > 0x8F))
			return 0;
		return 4;
	}
	return 0;
}

/*
 * p[0..n) as an output string: valid UTF-8 (a bad byte becomes U+FFFD),
 * control characters as spaces, runs of blanks as one, no blanks around,
 * at most ESP_MAX_STRING bytes (cut at a character); NULL when empty.
 */
char *
esp_clean(EspCtx *c, const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *) p;
	char	   *o;
	size_t		i = 0,
				k = 0;
	bool		space = false;

	if (p == NULL)
		return NULL;
	esp_tick(c, n);
	/* a bad byte (1) can become 3: bound the copy */
	o = esp_alloc(c, (n < ESP_MAX_STRING ? n : ESP_MAX_STRING) * 3 + 4);
	if (o == NULL)
		return NULL;
	while (i < n)
	{
		size_t		l = utf8_len(s + i, n - i);

		if (l == 1 && (s[i] < 0x20 || s[i] == 0x7F || s[i] == ' '))
		{
			space = (k > 0);
			i++;
			continue;
		}
		if (k + (space ? 1 : 0) + (l ? l : 3) > ESP_MAX_STRING)
			break;
		if (space)
		{
			o[k++] = ' ';
			space = false;
		}
		if (l == 0)
		{
			memcpy(o + k, "\xEF\xBF\xBD", 3);
			k += 3;
			i++;
		}
		else
		{
			memcpy(o + k, s + i, l);
			k += l;
			i += l;
		}
	}
	o[k] = '\0';
	return k ? o : NULL;
}

/*
 * A value to quote in an error message: cleaned, at most 60 bytes, cut at
 * a character boundary.
 */
const char *
esp_show(EspCtx *c, const char *s)
{
	char	   *o;
	size_t		n;

	if (s == NULL)
		return "";
	n = strlen(s);
	if (n <= 60)
		return s;
	n = 60;
	while (n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80)
		n--;
	o = esp_alloc(c, n + 4);
	if (o == NULL)
		return "";
	memcpy(o, s, n);
	memcpy(o + n, "...", 4);
	return o;
}

/* A value such as "dns; a1-2.smtp-out.example" without its "dns; " type. */
char *
esp_untyped(EspCtx *c, const char *v)
{
	const char *semi;
	size_t		i;

	if (v == NULL || (semi = strchr(v, ';')) == NULL)
		return (char *) v;
	for (i = 0; v + i < semi; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
			  (v[i] >= '0' && v[i] <= '9') || v[i] == '-'))
			return (char *) v;
	if (i == 0)
		return (char *) v;
	return esp_clean(c, semi + 1, strlen(semi + 1));
}

/* ---- fields ---------------------------------------------------------------- */

const EspJson *
esp_get(const EspJson *obj, const char *key)
{
	size_t		kl = strlen(key);
	int			i;

	if (obj == NULL || obj->type != EJ_OBJECT)
		return NULL;
	for (i = 0; i < obj->count; i++)
		if (obj->keylens[i] == kl && memcmp(obj->keys[i], key, kl) == 0)
			return &obj->items[i];
	return NULL;
}

bool
esp_is(const EspJson *v, const char *s)
{
	return v != NULL && v->type == EJ_STRING && v->n == strlen(s) && memcmp(v->s, s, v->n) == 0;
}

static const char *
type_name(const EspJson *v)
{
	switch (v->type)
	{
		case EJ_NULL:
			return "null";
		case EJ_FALSE:
		case EJ_TRUE:
			return "a boolean";
		case EJ_NUMBER:
			return "a number";
		case EJ_STRING:
			return "a string";
		case EJ_ARRAY:
			return "an array";
		case EJ_OBJECT:
			return "an object";
	}
	return "?";
}

/* where.key, or key alone */
#define FIELD_FMT		"\"%s%s%s\""
#define FIELD_ARGS(where, key)	(where), (*(where) ? "." : ""), (key)

/* A string member (a number is taken as written); NULL when absent or null. */
bool
esp_get_string(EspCtx *c, const EspJson *obj, const char *key, const char *where,
			   bool required, const char **out)
{
	const EspJson *v = esp_get(obj, key);

	*out = NULL;
	if (v == NULL || v->type == EJ_NULL)
	{
		if (required)
			return esp_fail(c, ESP_ERR_FIELD, FIELD_FMT " is missing", FIELD_ARGS(where, key));
		return true;
	}
	if (v->type != EJ_STRING && v->type != EJ_NUMBER)
		return esp_fail(c, ESP_ERR_FIELD, FIELD_FMT " must be a string, not %s",
						FIELD_ARGS(where, key), type_name(v));
	*out = esp_clean(c, v->s, v->n);
	if (*out == NULL && required && c->err == ESP_OK)
		return esp_fail(c, ESP_ERR_FIELD, FIELD_FMT " is empty", FIELD_ARGS(where, key));
	return c->err == ESP_OK;
}

bool
esp_get_object(EspCtx *c, const EspJson *obj, const char *key, const char *where,
			   bool required, const EspJson **out)
{
	const EspJson *v = esp_get(obj, key);

	*out = NULL;
	if (v == NULL || v->type == EJ_NULL)
	{
		if (required)
			return esp_fail(c, ESP_ERR_FIELD, FIELD_FMT " is missing", FIELD_ARGS(where, key));
		return true;
	}
	if (v->type != EJ_OBJECT)
		return esp_fail(c, ESP_ERR_FIELD, FIELD_FMT " must be an object, not %s",
						FIELD_ARGS(where, key), type_name(v));
	*out = v;
	return true;
}

bool
esp_get_array(EspCtx *c, const EspJson *obj, const char *key, const char *where,
			  bool required, const EspJson **out)
{
	const EspJson *v = esp_get(obj, key);

	*out = NULL;
	if (v == NULL || v->type == EJ_NULL)
	{
		if (required)
			return esp_fail(c, ESP_ERR_FIELD, FIELD_FMT " is missing", FIELD_ARGS(where, key));
		return true;
	}
	if (v->type != EJ_ARRAY)
		return esp_fail(c, ESP_ERR_FIELD, FIELD_FMT " must be an array, not %s",
						FIELD_ARGS(where, key), type_name(v));
	*out = v;
	return true;
}

/* An integer member: a JSON integer, or a string of digits. */
bool
esp_get_integer(EspCtx *c, const EspJson *obj, const char *key, const char *where,
				bool required, int64_t *out, bool *found)
{
	const EspJson *v = esp_get(obj, key);
	int64_t		x = 0;
	size_t		i = 0;

	*found = false;
	if (v == NULL || v->type == EJ_NULL)
	{
		if (required)
			return esp_fail(c, ESP_ERR_FIELD, FIELD_FMT " is missing", FIELD_ARGS(where, key));
		return true;
	}
	if (v->type != EJ_NUMBER && v->type != EJ_STRING)
		return esp_fail(c, ESP_ERR_FIELD, FIELD_FMT " must be a number, not %s",
						FIELD_ARGS(where, key), type_name(v));
	while (i < v->n && v->s[i] == ' ')
		i++;
	if (i == v->n)
		return esp_fail(c, ESP_ERR_FIELD, FIELD_FMT " must be a number, not an empty string",
						FIELD_ARGS(where, key));
	for (; i < v->n; i++)
	{
		if (v->s[i] < '0' || v->s[i] > '9' || x > 100000000000000LL)
		{
			const char *shown = esp_clean(c, v->s, v->n > 40 ? 40 : v->n);

			return esp_fail(c, ESP_ERR_FIELD, FIELD_FMT " must be a whole number, not \"%s\"",
							FIELD_ARGS(where, key), shown ? shown : "");
		}
		x = x * 10 + (v->s[i] - '0');
	}
	*out = x;
	*found = true;
	return true;
}

/* ---- categories --------------------------------------------------------- */

const EspCategory *
esp_category(const EspCategory *table, int n, const char *name)
{
	int			i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

/* ---- times ---------------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's method). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era,
				yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool
digits(const char *s, int n, int *v)
{
	int			i;

	*v = 0;
	for (i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/*
 * An ISO 8601 / RFC 3339 time: YYYY-MM-DDTHH:MM:SS, a fraction of any
 * length, and Z, +HH:MM, +HHMM or no zone (UTC).  A space for the T too.
 */
bool
esp_time_iso(const char *s, int64_t *usec)
{
	int			y,
				mo,
				d,
				h,
				mi,
				se = 0,
				zh = 0,
				zm = 0;
	int64_t		frac = 0,
				scale = 1000000;
	size_t		n = strlen(s),
				i = 19;
	int			sign = 0;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (n < 16 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
		!digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
		!digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi))
		return false;
	if (n >= 19 && s[16] == ':')
	{
		if (!digits(s + 17, 2, &se))
			return false;
	}
	else
		i = 16;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 60 || y < 1)
		return false;
	if (i < n && s[i] == '.')
	{
		i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return false;
		while (i < n && s[i] >= '0' && s[i] <= '9')
		{
			if (scale > 1)
			{
				scale /= 10;
				frac += (s[i] - '0') * scale;
			}
			i++;
		}
	}
	if (i < n && (s[i] == 'Z' || s[i] == 'z'))
		i++;
	else if (i < n && (s[i] == '+' || s[i] == '-'))
	{
		sign = s[i] == '-' ? -1 : 1;
		i++;
		if (n - i == 5 && s[i + 2] == ':' && digits(s + i, 2, &zh) && digits(s + i + 3, 2, &zm))
			i += 5;
		else if (n - i == 4 && digits(s + i, 2, &zh) && digits(s + i + 2, 2, &zm))
			i += 4;
		else if (n - i == 2 && digits(s + i, 2, &zh))
			i += 2;
		else
			return false;
		if (zh > 23 || zm > 59)
			return false;
	}
	if (i != n)
		return false;
	*usec = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se)
			 - sign * (zh * 3600 + zm * 60)) * 1000000 + frac;
	return true;
}

/* Seconds since 1970, with a fraction or not ("1513299569", "1521233195.3756"). */
bool
esp_time_number(const char *s, size_t n, int64_t *usec)
{
	int64_t		secs = 0,
				frac = 0,
				scale = 1000000;
	size_t		i = 0;

	if (n == 0 || n > 40)
		return false;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
	{
		if (secs > 100000000000LL)	/* past the year 5000 */
			return false;
		secs = secs * 10 + (s[i] - '0');
	}
	if (i == 0)
		return false;
	if (i < n && s[i] == '.')
	{
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (scale > 1)
			{
				scale /= 10;
				frac += (s[i] - '0') * scale;
			}
	}
	if (i != n)
		return false;
	*usec = secs * 1000000 + frac;
	return true;
}

/* The event's time from v (a string, ISO or a number of seconds, or a number). */
bool
esp_set_time(EspCtx *c, EspRow *r, const EspJson *v, const char *where)
{
	int64_t		t;

	if (v == NULL || v->type == EJ_NULL)
		return true;
	if (v->type == EJ_NUMBER || v->type == EJ_STRING)
	{
		char	   *s = esp_clean(c, v->s, v->n);

		if (s != NULL && (esp_time_iso(s, &t) || esp_time_number(s, strlen(s), &t)))
		{
			r->has_time = true;
			r->time_usec = t;
			return true;
		}
		if (c->err != ESP_OK)
			return false;
		return esp_fail(c, ESP_ERR_FIELD, "\"%s\" is not a time: \"%s\"", where, esp_show(c, s));
	}
	return esp_fail(c, ESP_ERR_FIELD, "\"%s\" must be a time, not %s", where, type_name(v));
}

/* ---- codes ------------------------------------------------------------------ */

/* An enhanced status code as the provider gives it ("5.1.1"); ignored if not one. */
void
esp_set_status(EspRow *r, const char *s)
{
	int32_t		code;

	if (s != NULL && bounce_status_parse(s, strlen(s), &code) == BSE_OK)
		r->status = code;
}

/* The codes the provider does not give apart, from the diagnostic's text. */
void
esp_codes_from_text(EspRow *r)
{
	int			reply = 0;
	int32_t		status = -1;

	if (r->diagnostic == NULL || (r->reply_code != 0 && r->status != 0))
		return;
	bounce_extract_codes(r->diagnostic, strlen(r->diagnostic), &reply, &status);
	if (r->reply_code == 0 && reply != 0 && bounce_reply_code_valid(reply))
		r->reply_code = reply;
	if (r->status == 0 && status > 0)
		r->status = status;
}

/* ---- the entry point ---------------------------------------------------- */

static bool read_event(EspCtx *c, const EspJson *ev, bool in_envelope);

/*
 * An SNS envelope: Type "Notification" carries an SES event as a string
 * of JSON in Message; the subscription confirmations carry none.
 */
static bool
read_sns(EspCtx *c, const EspJson *ev)
{
	const char *type;
	const EspJson *msg = esp_get(ev, "Message");
	EspJson		inner;

	if (!esp_get_string(c, ev, "Type", "", true, &type))
		return false;
	if (strcmp(type, "SubscriptionConfirmation") == 0 || strcmp(type, "UnsubscribeConfirmation") == 0)
		return true;
	if (strcmp(type, "Notification") != 0)
		return esp_fail(c, ESP_ERR_FIELD, "SNS \"Type\" \"%s\" is not Notification, SubscriptionConfirmation or UnsubscribeConfirmation", esp_show(c, type));
	if (msg == NULL || msg->type != EJ_STRING)
		return esp_fail(c, ESP_ERR_FIELD, "SNS \"Message\" must be a string of JSON");
	if (!esp_json_parse(c, msg->s, msg->n, &inner))
	{
		if (c->err == ESP_ERR_JSON && c->errmsg != NULL)
		{
			char	   *m = c->errmsg;

			c->err = ESP_OK;
			return esp_fail(c, ESP_ERR_JSON, "SNS \"Message\" is %s", m);
		}
		return false;
	}
	if (inner.type != EJ_OBJECT)
		return esp_fail(c, ESP_ERR_FIELD, "SNS \"Message\" must hold a JSON object, not %s", type_name(&inner));
	return read_event(c, &inner, true);
}

static bool
read_event(EspCtx *c, const EspJson *ev, bool in_envelope)
{
	if (ev->type != EJ_OBJECT)
		return esp_fail(c, ESP_ERR_UNKNOWN, "an event must be a JSON object, not %s", type_name(ev));
	if (!in_envelope && esp_get(ev, "Type") && esp_get(ev, "Message") &&
		(esp_get(ev, "TopicArn") || esp_get(ev, "MessageId")))
		return read_sns(c, ev);
	if (esp_get(ev, "notificationType") || esp_get(ev, "eventType"))
		return esp_read_ses(c, ev);
	if (in_envelope)
		return esp_fail(c, ESP_ERR_UNKNOWN, "SNS \"Message\" is not an Amazon SES event: it has no \"notificationType\" or \"eventType\"");
	if (esp_get(ev, "msys"))
		return esp_read_sparkpost(c, ev);
	if (esp_get(ev, "RecordType") || esp_get(ev, "TypeCode"))
		return esp_read_postmark(c, ev);
	if (esp_get(ev, "event-data") || (esp_get(ev, "event") && esp_get(ev, "recipient")))
		return esp_read_mailgun(c, ev);
	if (esp_get(ev, "event") && esp_get(ev, "email"))
		return esp_read_sendgrid(c, ev);
	return esp_fail(c, ESP_ERR_UNKNOWN,
					"not an event of a known provider: none of the fields \"notificationType\" or \"eventType\" (Amazon SES), "
					"\"Type\" and \"Message\" (SNS), \"msys\" (SparkPost), \"RecordType\" (Postmark), \"event-data\" or \"event\" "
					"with \"recipient\" (Mailgun), \"event\" with \"email\" (SendGrid)");
}

static bool
read_batch(EspCtx *c, const EspJson *arr)
{
	int			i;

	for (i = 0; i < arr->count; i++)
	{
		c->element = i + 1;
		if (!read_event(c, &arr->items[i], false))
			return false;
	}
	return true;
}

EspError
bounce_esp_parse(const char *json, size_t len, const EspAllocator *alloc, EspResult *out)
{
	EspCtx		c;
	EspJson		root;
	const EspJson *items = NULL;
	bool		ok;

	memset(&c, 0, sizeof(c));
	c.a = alloc;
	c.element = 1;
	out->nrows = 0;
	out->rows = NULL;
	out->error = NULL;
	ok = esp_json_parse(&c, json, len, &root);
	if (ok)
	{
		items = esp_get(&root, "items");
		if (root.type == EJ_ARRAY)
			ok = read_batch(&c, &root);
		else if (root.type == EJ_OBJECT && items != NULL && items->type == EJ_ARRAY &&
				 !esp_get(&root, "event") && !esp_get(&root, "event-data"))
			ok = read_batch(&c, items);
		else if (root.type == EJ_OBJECT)
			ok = read_event(&c, &root, false);
		else
			ok = esp_fail(&c, ESP_ERR_UNKNOWN, "an ESP payload is a JSON object or an array of them, not %s",
						  type_name(&root));
	}
	if (!ok || c.err != ESP_OK)
	{
		EspError	err = c.err != ESP_OK ? c.err : ESP_ERR_UNKNOWN;

		if (c.errmsg != NULL && (root.type == EJ_ARRAY || (items != NULL && root.type == EJ_OBJECT)) &&
			err != ESP_ERR_JSON && err != ESP_ERR_NOMEM)
		{
			/* name the event of the batch */
			char	   *m = alloc->alloc(alloc->opaque, ESP_ERRMSG_MAX + 32);

			if (m != NULL)
			{
				snprintf(m, ESP_ERRMSG_MAX + 32, "event %d: %s", c.element, c.errmsg);
				c.errmsg = m;
			}
		}
		out->error = c.errmsg;
		return err;
	}
	out->nrows = c.nrows;
	out->rows = c.rows;
	return ESP_OK;
}
