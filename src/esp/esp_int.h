/*-------------------------------------------------------------------------
 *
 * esp_int.h
 *		Inside the ESP event reader: the JSON tree (esp_json.c), the
 *		reading context and its helpers (esp.c), and each provider's
 *		reader (esp_<provider>.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef BOUNCE_ESP_INT_H
#define BOUNCE_ESP_INT_H

#include "esp/esp.h"

#if defined(__GNUC__)
#define ESP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define ESP_PRINTF(f, a)
#endif

typedef enum EspJsonType
{
	EJ_NULL, EJ_FALSE, EJ_TRUE, EJ_NUMBER, EJ_STRING, EJ_ARRAY, EJ_OBJECT
} EspJsonType;

/* A JSON value.  Strings are decoded and NUL-terminated (they may hold NUL). */
typedef struct EspJson
{
	EspJsonType type;
	const char *s;				/* string (decoded) or number (as written) */
	size_t		n;
	int			count;			/* elements of an array, members of an object */
	struct EspJson *items;		/* the elements, or the members' values */
	const char **keys;			/* the members' names (decoded) */
	size_t	   *keylens;
} EspJson;

/* What one call of bounce_esp_parse carries. */
typedef struct EspCtx
{
	const EspAllocator *a;
	EspError	err;
	char	   *errmsg;
	EspRow	   *rows;
	int			nrows;
	int			cap;
	int			element;		/* the event being read, from 1 */
	size_t		work;			/* bytes of work since the last interrupt */
} EspCtx;

/* esp_json.c */
extern bool esp_json_parse(EspCtx *c, const char *p, size_t n, EspJson *out);

/* esp.c: memory, errors, rows */
extern void *esp_alloc(EspCtx *c, size_t n);
extern void esp_tick(EspCtx *c, size_t n);
extern bool esp_fail(EspCtx *c, EspError err, const char *fmt,...)
			ESP_PRINTF(3, 4);
extern EspRow *esp_new_row(EspCtx *c, const char *provider);

/* esp.c: reading values */
extern const EspJson *esp_get(const EspJson *obj, const char *key);
extern bool esp_is(const EspJson *v, const char *s);
extern bool esp_get_string(EspCtx *c, const EspJson *obj, const char *key,
						   const char *where, bool required, const char **out);
extern bool esp_get_object(EspCtx *c, const EspJson *obj, const char *key,
						   const char *where, bool required, const EspJson **out);
extern bool esp_get_array(EspCtx *c, const EspJson *obj, const char *key,
						  const char *where, bool required, const EspJson **out);
extern bool esp_get_integer(EspCtx *c, const EspJson *obj, const char *key,
							const char *where, bool required, int64_t *out, bool *found);
extern char *esp_clean(EspCtx *c, const char *p, size_t n);
extern char *esp_untyped(EspCtx *c, const char *v);
extern const char *esp_show(EspCtx *c, const char *s);

/* esp.c: times and codes */
extern bool esp_time_iso(const char *s, int64_t *usec);
extern bool esp_time_number(const char *s, size_t n, int64_t *usec);
extern bool esp_set_time(EspCtx *c, EspRow *r, const EspJson *v, const char *where);
extern void esp_set_status(EspRow *r, const char *s);
extern void esp_codes_from_text(EspRow *r);

/* One provider category: what it states, and whether it is permanent. */
typedef struct EspCategory
{
	const char *name;			/* as the provider writes it */
	const char *action;			/* failed, delayed, delivered, NULL, or
								 * "" for no row (not about delivery) */
	const char *stated;			/* a reason label, or NULL */
	const char *fallback;		/* a reason label for a vague category, or NULL */
	int			permanent;		/* 1, 0, -1 */
} EspCategory;

extern const EspCategory *esp_category(const EspCategory *table, int n, const char *name);

/* the providers, each given one event object */
extern bool esp_read_ses(EspCtx *c, const EspJson *ev);
extern bool esp_read_sendgrid(EspCtx *c, const EspJson *ev);
extern bool esp_read_postmark(EspCtx *c, const EspJson *ev);
extern bool esp_read_mailgun(EspCtx *c, const EspJson *ev);
extern bool esp_read_sparkpost(EspCtx *c, const EspJson *ev);

#endif							/* BOUNCE_ESP_INT_H */
