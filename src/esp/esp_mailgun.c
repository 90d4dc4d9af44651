/*-------------------------------------------------------------------------
 *
 * esp_mailgun.c
 *		Mailgun's events: a webhook's body {"signature": ..., "event-data":
 *		{...}}, or an element of the Events API's "items".
 *
 * Source: Mailgun documentation, "Webhook Payloads" and "Events"
 * (documentation.mailgun.com/docs/mailgun/user-manual/webhooks/webhook-payloads,
 * .../user-manual/events/): the event "failed" with "severity"
 * ("permanent" or "temporary"), "reason", "recipient", "timestamp" (Unix
 * seconds with a fraction), "id", "delivery-status" ("code", "message",
 * "description", "enhanced-code", "mx-host", "attempt-no") and
 * "message"."headers"."message-id"; the events "delivered" and
 * "complained"; and the reasons of a failure: "bounce" and "generic" (the
 * receiving server's reply says why), "suppress-bounce",
 * "suppress-unsubscribe" and "suppress-complaint" (Mailgun did not send:
 * the address is on its suppression lists), "old" (retried until it
 * expired), "espblock" (refused by Mailgun's ESP-level block).
 *
 * The reasons: the suppressions are suppressed, "old" is expired; the
 * others leave it to the reply.  A temporary failure is delayed.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "esp/esp_int.h"
#include "status/status.h"

#define PROVIDER "mailgun"
#define lengthof(a) ((int) (sizeof(a) / sizeof((a)[0])))

static const EspCategory failure_reasons[] = {
	{"bounce", "failed", NULL, NULL, -1},
	{"generic", "failed", NULL, NULL, -1},
	{"espblock", "failed", NULL, "blocked", -1},
	{"suppress-bounce", "failed", "suppressed", NULL, 1},
	{"suppress-unsubscribe", "failed", "suppressed", NULL, 1},
	{"suppress-complaint", "failed", "suppressed", NULL, 1},
	{"old", "failed", "expired", NULL, 1},
};

bool
esp_read_mailgun(EspCtx *c, const EspJson *body)
{
	const EspJson *ev = body,
			   *ds = NULL,
			   *msg,
			   *headers;
	const char *event,
			   *severity = NULL,
			   *why = NULL,
			   *enhanced = NULL,
			   *description = NULL;
	const char *where = "";
	int64_t		code = 0;
	bool		has_code = false;
	EspRow	   *r;

	if (esp_get(body, "event-data"))
	{
		if (!esp_get_object(c, body, "event-data", "", true, &ev))
			return false;
		where = "event-data";
	}
	if (!esp_get_string(c, ev, "event", where, true, &event))
		return false;
	if (strcmp(event, "accepted") == 0 || strcmp(event, "rejected") == 0 ||
		strcmp(event, "opened") == 0 || strcmp(event, "clicked") == 0 ||
		strcmp(event, "unsubscribed") == 0 || strcmp(event, "stored") == 0 ||
		strcmp(event, "list_member_uploaded") == 0 || strcmp(event, "list_member_upload_error") == 0 ||
		strcmp(event, "list_uploaded") == 0)
		return true;			/* not about delivery: no row */
	if (strcmp(event, "failed") != 0 && strcmp(event, "delivered") != 0 &&
		strcmp(event, "complained") != 0)
		return esp_fail(c, ESP_ERR_FIELD,
						"Mailgun \"event\" \"%s\" is none of accepted, rejected, delivered, failed, opened, clicked, unsubscribed, complained, stored",
						esp_show(c, event));
	r = esp_new_row(c, PROVIDER);
	if (r == NULL ||
		!esp_get_string(c, ev, "recipient", where, true, &r->recipient) ||
		!esp_get_string(c, ev, "id", where, false, &r->event_id) ||
		!esp_set_time(c, r, esp_get(ev, "timestamp"), "timestamp") ||
		!esp_get_object(c, ev, "message", where, false, &msg) ||
		!esp_get_object(c, msg, "headers", "message", false, &headers) ||
		!esp_get_string(c, headers, "message-id", "message.headers", false, &r->message_id) ||
		!esp_get_object(c, ev, "delivery-status", where, false, &ds))
		return false;
	if (ds != NULL &&
		(!esp_get_integer(c, ds, "code", "delivery-status", false, &code, &has_code) ||
		 !esp_get_string(c, ds, "message", "delivery-status", false, &r->diagnostic) ||
		 !esp_get_string(c, ds, "description", "delivery-status", false, &description) ||
		 !esp_get_string(c, ds, "enhanced-code", "delivery-status", false, &enhanced) ||
		 !esp_get_string(c, ds, "mx-host", "delivery-status", false, &r->remote_mta)))
		return false;
	if (r->diagnostic == NULL)
		r->diagnostic = description;
	if (has_code && bounce_reply_code_valid(code))
		r->reply_code = (int) code;
	esp_set_status(r, enhanced);
	if (strcmp(event, "delivered") == 0)
	{
		r->action = "delivered";
		r->stated_reason = "delivered";
		r->category = "delivered";
		r->permanent = 0;
	}
	else if (strcmp(event, "complained") == 0)
	{
		r->stated_reason = "feedback";
		r->category = "complained";
	}
	else
	{
		const EspCategory *cat;

		if (!esp_get_string(c, ev, "severity", where, false, &severity) ||
			!esp_get_string(c, ev, "reason", where, false, &why))
			return false;
		if (severity != NULL && strcmp(severity, "permanent") != 0 && strcmp(severity, "temporary") != 0)
			return esp_fail(c, ESP_ERR_FIELD, "Mailgun \"severity\" \"%s\" is not permanent or temporary",
							esp_show(c, severity));
		cat = esp_category(failure_reasons, lengthof(failure_reasons), why);
		r->action = (severity != NULL && strcmp(severity, "temporary") == 0) ? "delayed" : "failed";
		r->permanent = severity == NULL ? -1 : strcmp(severity, "permanent") == 0;
		if (cat != NULL)
		{
			r->stated_reason = cat->stated;
			r->fallback_reason = cat->fallback;
		}
		r->category = why ? why : "failed";
		if (severity != NULL)
		{
			size_t		a = strlen(severity),
						b = strlen(r->category);
			char	   *cs = esp_alloc(c, a + b + 2);

			if (cs == NULL)
				return false;
			memcpy(cs, severity, a);
			cs[a] = '/';
			memcpy(cs + a + 1, r->category, b + 1);
			r->category = cs;
		}
	}
	esp_codes_from_text(r);
	return true;
}
