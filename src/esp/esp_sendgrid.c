/*-------------------------------------------------------------------------
 *
 * esp_sendgrid.c
 *		SendGrid's Event Webhook: an array of events, each with "event",
 *		"email", "timestamp" (Unix seconds), "sg_event_id", "sg_message_id".
 *
 * Source: Twilio SendGrid, "Event Webhook Reference"
 * (twilio.com/docs/sendgrid/for-developers/tracking-events/event): the
 * delivery events processed, dropped (with "reason"), delivered (with
 * "response"), deferred ("response", "attempt") and bounce ("reason",
 * "status", "type": "bounce" or "blocked", "bounce_classification"); the
 * engagement events open, click, spamreport, unsubscribe,
 * group_unsubscribe, group_resubscribe; the account event
 * account_status_change.  The bounce classifications are the enum of the
 * Bounces API ("Retrieve bounces by specific classification",
 * twilio.com/docs/sendgrid/api-reference/bounces-api): Content, Frequency
 * or Volume Too High, Invalid Address, Mailbox Unavailable, Reputation,
 * Technical Failure, Unclassified.
 *
 * The reasons: a classification that names one cause states it (Frequency
 * or Volume Too High: ratelimited); one that names a group of causes is
 * the reason only when the classifier finds none in the reply (Invalid
 * Address: userunknown, Reputation: blocked, Content: spamdetected); the
 * others (Mailbox Unavailable, Technical Failure, Unclassified) leave it
 * to the reply.  A dropped message was not sent because the address is
 * on SendGrid's suppression lists ("Bounced Address", "Unsubscribed
 * Address", "Spam Reporting Address": suppressed); a spamreport is a
 * complaint (feedback).  A "blocked" bounce is temporary in SendGrid's
 * words, a "bounce" permanent.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "esp/esp_int.h"

#define PROVIDER "sendgrid"
#define lengthof(a) ((int) (sizeof(a) / sizeof((a)[0])))

static const EspCategory classifications[] = {
	{"Invalid Address", "failed", NULL, "userunknown", -1},
	{"Mailbox Unavailable", "failed", NULL, NULL, -1},
	{"Reputation", "failed", NULL, "blocked", -1},
	{"Content", "failed", NULL, "spamdetected", -1},
	{"Frequency or Volume Too High", "failed", "ratelimited", NULL, -1},
	{"Frequency or Volume", "failed", "ratelimited", NULL, -1},
	{"Technical Failure", "failed", NULL, NULL, -1},
	{"Technical", "failed", NULL, NULL, -1},
	{"Unclassified", "failed", NULL, NULL, -1},
};

static const EspCategory dropped_reasons[] = {
	{"Bounced Address", "failed", "suppressed", NULL, 1},
	{"Unsubscribed Address", "failed", "suppressed", NULL, 1},
	{"Spam Reporting Address", "failed", "suppressed", NULL, 1},
	{"Invalid", "failed", "userunknown", NULL, 1},
};

bool
esp_read_sendgrid(EspCtx *c, const EspJson *ev)
{
	const char *event,
			   *type = NULL,
			   *class = NULL,
			   *status = NULL,
			   *category;
	EspRow	   *r;

	if (!esp_get_string(c, ev, "event", "", true, &event))
		return false;
	if (strcmp(event, "processed") == 0 || strcmp(event, "open") == 0 ||
		strcmp(event, "click") == 0 || strcmp(event, "unsubscribe") == 0 ||
		strcmp(event, "group_unsubscribe") == 0 || strcmp(event, "group_resubscribe") == 0 ||
		strcmp(event, "account_status_change") == 0)
		return true;			/* not about delivery: no row */
	if (strcmp(event, "bounce") != 0 && strcmp(event, "blocked") != 0 &&
		strcmp(event, "dropped") != 0 && strcmp(event, "deferred") != 0 &&
		strcmp(event, "delivered") != 0 && strcmp(event, "spamreport") != 0)
		return esp_fail(c, ESP_ERR_FIELD,
						"SendGrid \"event\" \"%s\" is none of processed, dropped, delivered, deferred, bounce, open, click, spamreport, unsubscribe, group_unsubscribe, group_resubscribe, account_status_change",
						esp_show(c, event));
	r = esp_new_row(c, PROVIDER);
	if (r == NULL ||
		!esp_get_string(c, ev, "email", "", true, &r->recipient) ||
		!esp_get_string(c, ev, "sg_message_id", "", false, &r->message_id) ||
		!esp_get_string(c, ev, "sg_event_id", "", false, &r->event_id) ||
		!esp_set_time(c, r, esp_get(ev, "timestamp"), "timestamp"))
		return false;
	category = event;
	if (strcmp(event, "bounce") == 0 || strcmp(event, "blocked") == 0)
	{
		const EspCategory *cat;

		if (!esp_get_string(c, ev, "type", "", false, &type) ||
			!esp_get_string(c, ev, "bounce_classification", "", false, &class) ||
			!esp_get_string(c, ev, "reason", "", false, &r->diagnostic) ||
			!esp_get_string(c, ev, "status", "", false, &status))
			return false;
		if (strcmp(event, "blocked") == 0)
			type = "blocked";
		if (type != NULL && strcmp(type, "bounce") != 0 && strcmp(type, "blocked") != 0)
			return esp_fail(c, ESP_ERR_FIELD, "SendGrid bounce \"type\" \"%s\" is not bounce or blocked",
							esp_show(c, type));
		r->action = "failed";
		r->permanent = (type != NULL && strcmp(type, "blocked") == 0) ? 0 : 1;
		cat = esp_category(classifications, lengthof(classifications), class);
		if (class != NULL && cat == NULL)
			return esp_fail(c, ESP_ERR_FIELD,
							"SendGrid \"bounce_classification\" \"%s\" is none of Content, Frequency or Volume Too High, Invalid Address, Mailbox Unavailable, Reputation, Technical Failure, Unclassified",
							esp_show(c, class));
		if (cat != NULL)
		{
			r->stated_reason = cat->stated;
			r->fallback_reason = cat->fallback;
		}
		category = type ? type : "bounce";
	}
	else if (strcmp(event, "dropped") == 0)
	{
		const char *why;
		const EspCategory *cat;

		if (!esp_get_string(c, ev, "reason", "", false, &why))
			return false;
		cat = esp_category(dropped_reasons, lengthof(dropped_reasons), why);
		r->action = "failed";
		r->diagnostic = why;
		r->permanent = 1;
		if (cat != NULL)
			r->stated_reason = cat->stated;
		class = why;
	}
	else if (strcmp(event, "deferred") == 0)
	{
		r->action = "delayed";
		r->permanent = 0;
		if (!esp_get_string(c, ev, "response", "", false, &r->diagnostic))
			return false;
	}
	else if (strcmp(event, "delivered") == 0)
	{
		r->action = "delivered";
		r->stated_reason = "delivered";
		r->permanent = 0;
		if (!esp_get_string(c, ev, "response", "", false, &r->diagnostic))
			return false;
	}
	else
	{
		/* spamreport */
		r->stated_reason = "feedback";
	}
	if (class != NULL)
	{
		size_t		n = strlen(category) + strlen(class) + 2;
		char	   *cs = esp_alloc(c, n);

		if (cs == NULL)
			return false;
		memcpy(cs, category, strlen(category));
		cs[strlen(category)] = '/';
		memcpy(cs + strlen(category) + 1, class, strlen(class) + 1);
		category = cs;
	}
	r->category = category;
	esp_set_status(r, status);
	esp_codes_from_text(r);
	return true;
}
