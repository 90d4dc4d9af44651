/*-------------------------------------------------------------------------
 *
 * esp_sparkpost.c
 *		SparkPost's webhook events: a batch (JSON array) of {"msys":
 *		{"message_event": {...}}} (or track_event, unsubscribe_event, ...).
 *
 * Sources: SparkPost documentation, "Webhook event types" / "Events API"
 * (developers.sparkpost.com/api/webhooks and /api/events: the message
 * events bounce, delivery, injection, spam_complaint, out_of_band,
 * policy_rejection, delay, with "rcpt_to", "raw_rcpt_to", "bounce_class",
 * "raw_reason", "reason", "error_code", "timestamp", "message_id",
 * "event_id"), and "Bounce Classification Codes"
 * (support.sparkpost.com/docs/deliverability/bounce-classification-codes:
 * each class's number, name, description and category Hard, Soft, Block,
 * Admin or Undetermined).
 *
 * The reasons: a class that names one cause states it (22 Mailbox Full:
 * mailboxfull, 23 Too Large: emailtoolarge, 24 Timeout: expired, 25 Admin
 * Failure: suppressed, 51 Spam Block: blocked, 52 Spam Content:
 * spamdetected, 53 Prohibited Attachment: contenterror, 54 Relaying Denied:
 * norelaying, 60 Auto-Reply: vacation); a class that names a group is the
 * reason only when the classifier finds none in the reply (10 Invalid
 * Recipient and 30 Generic Bounce: No RCPT: userunknown, 21 DNS Failure:
 * networkerror, 50 Mail Block: blocked); 1 Undetermined, 20 Soft Bounce,
 * 40 Generic Bounce and 70 Transient Failure leave it to the reply; 80
 * Subscribe, 90 Unsubscribe and 100 Challenge-Response are not about
 * delivery and give no row.  Hard and Admin classes are permanent, the
 * others temporary; a delay event is delayed.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "esp/esp_int.h"
#include "status/status.h"

#define PROVIDER "sparkpost"
#define lengthof(a) ((int) (sizeof(a) / sizeof((a)[0])))

typedef struct BounceClass
{
	int			number;
	EspCategory cat;
} BounceClass;

static const BounceClass classes[] = {
	{1, {"1 Undetermined", "failed", NULL, NULL, 0}},
	{10, {"10 Invalid Recipient", "failed", NULL, "userunknown", 1}},
	{20, {"20 Soft Bounce", "failed", NULL, NULL, 0}},
	{21, {"21 DNS Failure", "failed", NULL, "networkerror", 0}},
	{22, {"22 Mailbox Full", "failed", "mailboxfull", NULL, 0}},
	{23, {"23 Too Large", "failed", "emailtoolarge", NULL, 0}},
	{24, {"24 Timeout", "failed", "expired", NULL, 0}},
	{25, {"25 Admin Failure", "failed", "suppressed", NULL, 1}},
	{30, {"30 Generic Bounce: No RCPT", "failed", NULL, "userunknown", 1}},
	{40, {"40 Generic Bounce", "failed", NULL, NULL, 0}},
	{50, {"50 Mail Block", "failed", NULL, "blocked", 0}},
	{51, {"51 Spam Block", "failed", "blocked", NULL, 0}},
	{52, {"52 Spam Content", "failed", "spamdetected", NULL, 0}},
	{53, {"53 Prohibited Attachment", "failed", "contenterror", NULL, 0}},
	{54, {"54 Relaying Denied", "failed", "norelaying", NULL, 0}},
	{60, {"60 Auto-Reply", NULL, "vacation", NULL, 0}},
	{70, {"70 Transient Failure", "failed", NULL, NULL, 0}},
	{80, {"80 Subscribe", "", NULL, NULL, -1}},
	{90, {"90 Unsubscribe", "", NULL, NULL, -1}},
	{100, {"100 Challenge-Response", "", NULL, NULL, -1}},
};

static const EspCategory *
class_of(int64_t n)
{
	int			i;

	for (i = 0; i < lengthof(classes); i++)
		if (classes[i].number == n)
			return &classes[i].cat;
	return NULL;
}

bool
esp_read_sparkpost(EspCtx *c, const EspJson *body)
{
	const EspJson *msys,
			   *ev = NULL;
	const char *type,
			   *kind = NULL,
			   *error_code = NULL;
	int64_t		bclass = 0;
	bool		has_class;
	EspRow	   *r;
	int			i;

	if (!esp_get_object(c, body, "msys", "", true, &msys))
		return false;
	/* {"msys": {}} is the test SparkPost posts when a webhook is created */
	for (i = 0; i < msys->count; i++)
	{
		if (msys->items[i].type == EJ_OBJECT)
		{
			kind = msys->keys[i];
			ev = &msys->items[i];
			break;
		}
	}
	if (ev == NULL)
		return true;
	if (strcmp(kind, "message_event") != 0)
		return true;			/* track_event, unsubscribe_event, ...: no row */
	if (!esp_get_string(c, ev, "type", "msys.message_event", true, &type))
		return false;
	if (strcmp(type, "injection") == 0 || strcmp(type, "sms_status") == 0)
		return true;
	if (strcmp(type, "bounce") != 0 && strcmp(type, "out_of_band") != 0 &&
		strcmp(type, "policy_rejection") != 0 && strcmp(type, "delay") != 0 &&
		strcmp(type, "delivery") != 0 && strcmp(type, "spam_complaint") != 0)
		return esp_fail(c, ESP_ERR_FIELD,
						"SparkPost \"msys.message_event.type\" \"%s\" is none of bounce, delivery, injection, spam_complaint, out_of_band, policy_rejection, delay",
						esp_show(c, type));
	if (!esp_get_integer(c, ev, "bounce_class", "msys.message_event", false, &bclass, &has_class))
		return false;
	if (has_class)
	{
		const EspCategory *cat = class_of(bclass);

		if (cat != NULL && cat->action != NULL && cat->action[0] == '\0')
			return true;		/* not about delivery: no row */
	}
	r = esp_new_row(c, PROVIDER);
	if (r == NULL ||
		!esp_get_string(c, ev, "rcpt_to", "msys.message_event", true, &r->recipient) ||
		!esp_get_string(c, ev, "raw_reason", "msys.message_event", false, &r->diagnostic) ||
		!esp_get_string(c, ev, "error_code", "msys.message_event", false, &error_code) ||
		!esp_get_string(c, ev, "message_id", "msys.message_event", false, &r->message_id) ||
		!esp_get_string(c, ev, "event_id", "msys.message_event", false, &r->event_id) ||
		!esp_set_time(c, r, esp_get(ev, "timestamp"), "msys.message_event.timestamp"))
		return false;
	if (r->diagnostic == NULL &&
		!esp_get_string(c, ev, "reason", "msys.message_event", false, &r->diagnostic))
		return false;
	if (error_code != NULL)
	{
		int			v = 0;

		for (i = 0; error_code[i] >= '0' && error_code[i] <= '9' && i < 4; i++)
			v = v * 10 + (error_code[i] - '0');
		if (i == 3 && error_code[3] == '\0' && bounce_reply_code_valid(v))
			r->reply_code = v;
	}
	r->category = type;
	if (strcmp(type, "delivery") == 0)
	{
		r->action = "delivered";
		r->stated_reason = "delivered";
		r->permanent = 0;
	}
	else if (strcmp(type, "spam_complaint") == 0)
		r->stated_reason = "feedback";
	else
	{
		const EspCategory *cat = has_class ? class_of(bclass) : NULL;

		r->action = strcmp(type, "delay") == 0 ? "delayed" : "failed";
		if (cat != NULL)
		{
			char		buf[96];

			if (strcmp(type, "delay") != 0)
				r->action = cat->action;
			r->stated_reason = cat->stated;
			r->fallback_reason = cat->fallback;
			r->permanent = strcmp(type, "delay") == 0 ? 0 : cat->permanent;
			snprintf(buf, sizeof(buf), "%s/%s", type, cat->name);
			r->category = esp_clean(c, buf, strlen(buf));
		}
		else if (has_class)
		{
			char		buf[96];

			/* a class SparkPost adds later: the reply says why */
			snprintf(buf, sizeof(buf), "%s/%lld", type, (long long) bclass);
			r->category = esp_clean(c, buf, strlen(buf));
		}
		else if (strcmp(type, "delay") == 0)
			r->permanent = 0;
	}
	esp_codes_from_text(r);
	return c->err == ESP_OK;
}
