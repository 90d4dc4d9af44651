/*-------------------------------------------------------------------------
 *
 * esp.h
 *		The reader of e-mail service providers' events, pure C: the JSON a
 *		provider posts to a webhook (or publishes to a queue) in, one row
 *		per recipient out, in the shape of the DSN parser's rows.
 *
 *		Amazon SES		notifications (Bounce, Complaint, Delivery), bare or in
 *						an SNS envelope, and the event-publishing format
 *						(eventType, DeliveryDelay, Reject): esp_ses.c
 *		SendGrid		the Event Webhook's delivery events: esp_sendgrid.c
 *		Postmark		the bounce (and spam complaint) webhook: esp_postmark.c
 *		Mailgun			failed (and delivered, complained) events: esp_mailgun.c
 *		SparkPost		message events (bounce classes): esp_sparkpost.c
 *
 * A JSON array is a batch: each element is one event (SendGrid and
 * SparkPost post their events so).  esp.c tells the providers apart,
 * esp_json.c reads the JSON, esp_sql.c is the SQL face.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BOUNCE_ESP_H
#define BOUNCE_ESP_H

#include "bounce.h"

/* Limits on untrusted payloads: past them, an error. */
#define ESP_MAX_DEPTH		64		/* nested arrays and objects */
#define ESP_MAX_ROWS		100000	/* rows from one payload */
#define ESP_MAX_STRING		65536	/* bytes of one output string (cut beyond) */

/* Work (bytes read, roughly) between two calls of the interrupt hook. */
#define ESP_INTERRUPT_SPAN	(256 * 1024)

/*
 * Allocator hook, as the DSN parser's: the reader allocates only through
 * it and never frees; the caller releases everything at once.  alloc may
 * return NULL (ESP_ERR_NOMEM).  interrupt, if set, is called every
 * ESP_INTERRUPT_SPAN bytes of work and may not return.
 */
typedef struct EspAllocator
{
	void	   *(*alloc) (void *opaque, size_t size);
	void	   *opaque;
	void		(*interrupt) (void *opaque);
} EspAllocator;

typedef enum EspError
{
	ESP_OK = 0,
	ESP_ERR_JSON,				/* not JSON (an SNS Message that does not parse) */
	ESP_ERR_DEPTH,				/* nested deeper than ESP_MAX_DEPTH */
	ESP_ERR_ROWS,				/* more than ESP_MAX_ROWS rows */
	ESP_ERR_UNKNOWN,			/* no provider's event */
	ESP_ERR_FIELD,				/* a field missing, of the wrong type, or of
								 * a value the provider does not document */
	ESP_ERR_NOMEM				/* the allocator returned NULL */
} EspError;

/*
 * One recipient of one event.  Strings are NUL-terminated valid UTF-8
 * without control characters, at most ESP_MAX_STRING bytes, or NULL.
 */
typedef struct EspRow
{
	int			element;		/* the event's position in a batch, from 1 */
	const char *recipient;
	const char *action;			/* failed, delayed, delivered; NULL for a
								 * complaint or an auto-reply */
	int32_t		status;			/* packed smtp_status, or 0 */
	int			reply_code;		/* or 0 */
	const char *diagnostic;		/* the receiving server's reply, as given */
	const char *remote_mta;
	const char *reporting_mta;
	bool		has_time;
	int64_t		time_usec;		/* the event's time, microseconds since 1970 UTC */
	const char *provider;		/* amazonses, sendgrid, postmark, mailgun, sparkpost */
	const char *category;		/* the provider's own category, as written */
	const char *stated_reason;	/* the reason the category states, or NULL */
	const char *fallback_reason;	/* the reason of a vague category, for
									 * when the classifier finds nothing */
	int			permanent;		/* what the provider says: 1, 0, -1 unknown */
	const char *message_id;		/* the provider's id of the message sent */
	const char *event_id;		/* the provider's id of the event */
} EspRow;

typedef struct EspResult
{
	int			nrows;
	EspRow	   *rows;
	const char *error;			/* why, when the result is not ESP_OK: names
								 * the event and the field */
} EspResult;

/* Read json[0..len) (need not be NUL-terminated). */
extern EspError bounce_esp_parse(const char *json, size_t len,
								 const EspAllocator *alloc, EspResult *out);

#endif							/* BOUNCE_ESP_H */
