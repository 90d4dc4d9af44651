/*-------------------------------------------------------------------------
 *
 * esp_postmark.c
 *		Postmark's bounce webhook: one JSON object per bounce, with
 *		"RecordType": "Bounce", "Type" and "TypeCode" (the bounce type),
 *		"Email", "Description", "Details" (the receiving server's reply),
 *		"BouncedAt", "MessageID", "ID".  Also its spam complaint webhook
 *		("RecordType": "SpamComplaint") and delivery webhook ("Delivery").
 *
 * Sources: Postmark API documentation, "Bounce webhook"
 * (postmarkapp.com/developer/webhooks/bounce-webhook) for the fields, and
 * "Bounces API: bounce types" (postmarkapp.com/developer/api/bounce-api,
 * the table of Type, TypeCode, name and description) for the types.
 *
 * The reasons: HardBounce ("unknown user, mailbox not found") is
 * userunknown unless the reply says more; Blocked ("ISP block ... due to
 * content or blacklisting") is blocked unless the reply says more;
 * SoftBounce and Unknown leave it to the reply; the others state their
 * cause (DnsError: networkerror, SpamNotification: spamdetected,
 * VirusNotification: virusdetected, AddressChange: hasmoved,
 * BadEmailAddress: userunknown, ManuallyDeactivated: suppressed,
 * DMARCPolicy: authfailure, AutoResponder: vacation, SpamComplaint:
 * feedback).  Transient and DnsError are temporary.  The types that are
 * not about delivering to the recipient (Subscribe, Unsubscribe,
 * OpenRelayTest, ChallengeVerification, Unconfirmed, SMTPApiError,
 * InboundError, TemplateRenderingFailed) give no row.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "esp/esp_int.h"

#define PROVIDER "postmark"
#define lengthof(a) ((int) (sizeof(a) / sizeof((a)[0])))

typedef struct PostmarkType
{
	EspCategory cat;
	int			code;			/* TypeCode */
} PostmarkType;

static const PostmarkType types[] = {
	{{"HardBounce", "failed", NULL, "userunknown", 1}, 1},
	{{"Transient", "delayed", NULL, NULL, 0}, 2},
	{{"Unsubscribe", "", NULL, NULL, -1}, 16},
	{{"Subscribe", "", NULL, NULL, -1}, 32},
	{{"AutoResponder", NULL, "vacation", NULL, -1}, 64},
	{{"AddressChange", "failed", "hasmoved", NULL, 1}, 128},
	{{"DnsError", "delayed", "networkerror", NULL, 0}, 256},
	{{"SpamNotification", "failed", "spamdetected", NULL, -1}, 512},
	{{"OpenRelayTest", "", NULL, NULL, -1}, 1024},
	{{"Unknown", "failed", NULL, NULL, -1}, 2048},
	{{"SoftBounce", "failed", NULL, NULL, 0}, 4096},
	{{"VirusNotification", "failed", "virusdetected", NULL, -1}, 8192},
	{{"ChallengeVerification", "", NULL, NULL, -1}, 16384},
	{{"BadEmailAddress", "failed", "userunknown", NULL, 1}, 100000},
	{{"SpamComplaint", NULL, "feedback", NULL, -1}, 100001},
	{{"ManuallyDeactivated", "failed", "suppressed", NULL, 1}, 100002},
	{{"Unconfirmed", "", NULL, NULL, -1}, 100003},
	{{"Blocked", "failed", NULL, "blocked", -1}, 100006},
	{{"SMTPApiError", "", NULL, NULL, -1}, 100007},
	{{"InboundError", "", NULL, NULL, -1}, 100008},
	{{"DMARCPolicy", "failed", "authfailure", NULL, 1}, 100009},
	{{"TemplateRenderingFailed", "", NULL, NULL, -1}, 100010},
};

static const PostmarkType *
type_of(const char *name, int64_t code, bool by_code)
{
	int			i;

	for (i = 0; i < lengthof(types); i++)
		if (by_code ? types[i].code == code : strcmp(types[i].cat.name, name) == 0)
			return &types[i];
	return NULL;
}

bool
esp_read_postmark(EspCtx *c, const EspJson *ev)
{
	const char *record,
			   *name;
	int64_t		code = 0;
	bool		has_code;
	const PostmarkType *t;
	EspRow	   *r;

	if (!esp_get_string(c, ev, "RecordType", "", false, &record) ||
		!esp_get_string(c, ev, "Type", "", false, &name) ||
		!esp_get_integer(c, ev, "TypeCode", "", false, &code, &has_code))
		return false;
	if (record != NULL && strcmp(record, "Bounce") != 0 && strcmp(record, "SpamComplaint") != 0 &&
		strcmp(record, "Delivery") != 0)
	{
		if (strcmp(record, "Open") == 0 || strcmp(record, "Click") == 0 ||
			strcmp(record, "SubscriptionChange") == 0)
			return true;		/* not about delivery: no row */
		return esp_fail(c, ESP_ERR_FIELD,
						"Postmark \"RecordType\" \"%s\" is none of Bounce, SpamComplaint, Delivery, Open, Click, SubscriptionChange",
						esp_show(c, record));
	}
	if (record != NULL && strcmp(record, "Delivery") == 0)
	{
		r = esp_new_row(c, PROVIDER);
		if (r == NULL ||
			!esp_get_string(c, ev, "Recipient", "", true, &r->recipient) ||
			!esp_get_string(c, ev, "Details", "", false, &r->diagnostic) ||
			!esp_get_string(c, ev, "MessageID", "", false, &r->message_id) ||
			!esp_set_time(c, r, esp_get(ev, "DeliveredAt"), "DeliveredAt"))
			return false;
		r->action = "delivered";
		r->stated_reason = "delivered";
		r->category = "Delivery";
		r->permanent = 0;
		esp_codes_from_text(r);
		return true;
	}
	if (name == NULL && !has_code)
		return esp_fail(c, ESP_ERR_FIELD, "Postmark \"Type\" (or \"TypeCode\") is missing");
	t = name ? type_of(name, 0, false) : type_of(NULL, code, true);
	if (t == NULL && name != NULL)
		return esp_fail(c, ESP_ERR_FIELD, "Postmark \"Type\" \"%s\" is not a Postmark bounce type", esp_show(c, name));
	if (t == NULL)
		return esp_fail(c, ESP_ERR_FIELD, "Postmark \"TypeCode\" %lld is not a Postmark bounce type code", (long long) code);
	if (name != NULL && has_code && t->code != code)
		return esp_fail(c, ESP_ERR_FIELD, "Postmark \"TypeCode\" %lld is not the code of \"Type\" %s (%d)",
						(long long) code, t->cat.name, t->code);
	if (t->cat.action != NULL && t->cat.action[0] == '\0')
		return true;			/* not about delivery: no row */
	r = esp_new_row(c, PROVIDER);
	if (r == NULL ||
		!esp_get_string(c, ev, "Email", "", true, &r->recipient) ||
		!esp_get_string(c, ev, "Details", "", false, &r->diagnostic) ||
		!esp_get_string(c, ev, "MessageID", "", false, &r->message_id) ||
		!esp_get_string(c, ev, "ID", "", false, &r->event_id) ||
		!esp_set_time(c, r, esp_get(ev, "BouncedAt"), "BouncedAt"))
		return false;
	if (r->diagnostic == NULL && !esp_get_string(c, ev, "Description", "", false, &r->diagnostic))
		return false;
	r->category = t->cat.name;
	r->action = t->cat.action;
	r->stated_reason = t->cat.stated;
	r->fallback_reason = t->cat.fallback;
	r->permanent = t->cat.permanent;
	esp_codes_from_text(r);
	return true;
}
