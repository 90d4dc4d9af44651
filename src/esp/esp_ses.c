/*-------------------------------------------------------------------------
 *
 * esp_ses.c
 *		Amazon SES events: the notifications SES publishes to SNS
 *		("notificationType": Bounce, Complaint, Delivery) and the
 *		event-publishing format ("eventType": also DeliveryDelay, Reject).
 *
 * Sources, the Amazon SES Developer Guide:
 *	- "Amazon SNS notification contents for Amazon SES"
 *	  (docs.aws.amazon.com/ses/latest/dg/notification-contents.html): the
 *	  top-level object, the bounce object (bounceType, bounceSubType,
 *	  bouncedRecipients with emailAddress, action, status, diagnosticCode;
 *	  timestamp, feedbackId, remoteMtaIp, reportingMTA), the table of bounce
 *	  types, the complaint object (complainedRecipients,
 *	  complaintFeedbackType) and the delivery object (recipients,
 *	  smtpResponse, remoteMtaIp, reportingMTA);
 *	- "Contents of event data that Amazon SES publishes to Amazon SNS"
 *	  (docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html):
 *	  eventType, the DeliveryDelay object (delayType, delayedRecipients,
 *	  expirationTime, reportingMTA, timestamp) and its table of delay
 *	  types, and the Reject object (reason).
 * The reasons: each bounce type (bounceType/bounceSubType) and delay type
 * whose description names a cause maps to that reason; "General" and
 * "Undetermined" say nothing beyond the class, so the diagnostic is
 * classified.  A Transient bounce is reported as delayed, as the DSN
 * parser reads SES notifications in e-mails (dsn_ses.c), unless the
 * recipient's own "action" says otherwise.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "esp/esp_int.h"

#define PROVIDER "amazonses"

/* "bounce types" table: bounceType/bounceSubType */
static const EspCategory bounce_types[] = {
	{"Undetermined/Undetermined", "failed", NULL, NULL, -1},
	{"Permanent/General", "failed", NULL, NULL, 1},
	{"Permanent/NoEmail", "failed", "userunknown", NULL, 1},
	{"Permanent/Suppressed", "failed", "suppressed", NULL, 1},
	{"Permanent/OnAccountSuppressionList", "failed", "suppressed", NULL, 1},
	{"Transient/General", "delayed", NULL, NULL, 0},
	{"Transient/MailboxFull", "delayed", "mailboxfull", NULL, 0},
	{"Transient/MessageTooLarge", "delayed", "emailtoolarge", NULL, 0},
	{"Transient/ContentRejected", "delayed", "contenterror", NULL, 0},
	{"Transient/AttachmentRejected", "delayed", "contenterror", NULL, 0},
};

/* DeliveryDelay's delayType table */
static const EspCategory delay_types[] = {
	{"InternalFailure", "delayed", NULL, NULL, 0},
	{"General", "delayed", NULL, NULL, 0},
	{"MailboxFull", "delayed", "mailboxfull", NULL, 0},
	{"SpamDetected", "delayed", "spamdetected", NULL, 0},
	{"RecipientServerError", "delayed", "systemerror", NULL, 0},
	{"IPFailure", "delayed", "blocked", NULL, 0},
	{"TransientCommunicationFailure", "delayed", "networkerror", NULL, 0},
	{"BYOIPHostNameLookupUnavailable", "delayed", "networkerror", NULL, 0},
	{"Undetermined", "delayed", NULL, NULL, 0},
	{"SendingDeferral", "delayed", NULL, NULL, 0},
};

#define lengthof(a) ((int) (sizeof(a) / sizeof((a)[0])))

/* What every recipient of the event shares. */
typedef struct SesEvent
{
	const char *kind;			/* bounce, complaint, delivery, deliveryDelay, reject */
	const EspJson *sub;			/* the object of that name */
	const char *category;
	const EspCategory *cat;
	const char *message_id;
	const char *event_id;
	const char *reporting;
	const char *remote;
	const char *smtp_response;
} SesEvent;

static bool
ses_row(EspCtx *c, const SesEvent *e, const EspJson *el, const char *where)
{
	EspRow	   *r = esp_new_row(c, PROVIDER);
	const char *status = NULL;

	if (r == NULL)
		return false;
	r->category = e->category;
	r->message_id = e->message_id;
	r->event_id = e->event_id;
	r->reporting_mta = e->reporting;
	r->remote_mta = e->remote;
	if (e->cat)
	{
		r->action = e->cat->action;
		r->stated_reason = e->cat->stated;
		r->fallback_reason = e->cat->fallback;
		r->permanent = e->cat->permanent;
	}
	if (el->type == EJ_STRING)
	{
		/* delivery.recipients and mail.destination: plain addresses */
		r->recipient = esp_clean(c, el->s, el->n);
		if (r->recipient == NULL)
			return esp_fail(c, ESP_ERR_FIELD, "\"%s\" is empty", where);
	}
	else if (el->type == EJ_OBJECT)
	{
		const char *action;

		if (!esp_get_string(c, el, "emailAddress", where, true, &r->recipient) ||
			!esp_get_string(c, el, "action", where, false, &action) ||
			!esp_get_string(c, el, "status", where, false, &status) ||
			!esp_get_string(c, el, "diagnosticCode", where, false, &r->diagnostic))
			return false;
		if (action != NULL && strcmp(e->kind, "bounce") == 0)
			r->action = action;
		r->diagnostic = esp_untyped(c, (char *) r->diagnostic);
	}
	else
		return esp_fail(c, ESP_ERR_FIELD, "\"%s\" must be an object or an address", where);
	if (r->diagnostic == NULL)
		r->diagnostic = e->smtp_response;
	esp_set_status(r, status);
	esp_codes_from_text(r);
	return esp_set_time(c, r, esp_get(e->sub, "timestamp"), "timestamp");
}

static bool
ses_rows(EspCtx *c, const SesEvent *e, const EspJson *list, const char *list_name)
{
	char		where[96];
	int			i;

	for (i = 0; i < list->count; i++)
	{
		snprintf(where, sizeof(where), "%s.%s[%d]", e->kind, list_name, i + 1);
		if (!ses_row(c, e, &list->items[i], where))
			return false;
	}
	return true;
}

bool
esp_read_ses(EspCtx *c, const EspJson *ev)
{
	const char *type,
			   *type_field = esp_get(ev, "eventType") ? "eventType" : "notificationType";
	const EspJson *mail,
			   *list;
	SesEvent	e;
	char		cat[160];

	memset(&e, 0, sizeof(e));
	if (!esp_get_string(c, ev, type_field, "", true, &type) ||
		!esp_get_object(c, ev, "mail", "", false, &mail) ||
		!esp_get_string(c, mail, "messageId", "mail", false, &e.message_id))
		return false;

	if (strcmp(type, "Bounce") == 0)
	{
		const char *bt,
				   *bst;

		e.kind = "bounce";
		if (!esp_get_object(c, ev, "bounce", "", true, &e.sub) ||
			!esp_get_string(c, e.sub, "bounceType", "bounce", true, &bt) ||
			!esp_get_string(c, e.sub, "bounceSubType", "bounce", false, &bst) ||
			!esp_get_array(c, e.sub, "bouncedRecipients", "bounce", true, &list))
			return false;
		snprintf(cat, sizeof(cat), "%s/%s", bt, bst ? bst : "General");
		e.cat = esp_category(bounce_types, lengthof(bounce_types), cat);
		if (e.cat == NULL)
		{
			/* a subtype SES adds later: what its type says, no more */
			char		general[64];

			if (strcmp(bt, "Permanent") != 0 && strcmp(bt, "Transient") != 0 &&
				strcmp(bt, "Undetermined") != 0)
				return esp_fail(c, ESP_ERR_FIELD, "\"bounce.bounceType\" \"%s\" is not Permanent, Transient or Undetermined",
								esp_show(c, bt));
			snprintf(general, sizeof(general), "%s/%s", bt, strcmp(bt, "Undetermined") == 0 ? "Undetermined" : "General");
			e.cat = esp_category(bounce_types, lengthof(bounce_types), general);
		}
		e.category = esp_clean(c, cat, strlen(cat));
		if (!esp_get_string(c, e.sub, "feedbackId", "bounce", false, &e.event_id) ||
			!esp_get_string(c, e.sub, "reportingMTA", "bounce", false, &e.reporting) ||
			!esp_get_string(c, e.sub, "remoteMtaIp", "bounce", false, &e.remote))
			return false;
		e.reporting = esp_untyped(c, (char *) e.reporting);
		return ses_rows(c, &e, list, "bouncedRecipients");
	}
	if (strcmp(type, "Complaint") == 0)
	{
		const char *fbt;
		static const EspCategory complaint = {"Complaint", NULL, "feedback", NULL, -1};

		e.kind = "complaint";
		e.cat = &complaint;
		if (!esp_get_object(c, ev, "complaint", "", true, &e.sub) ||
			!esp_get_array(c, e.sub, "complainedRecipients", "complaint", true, &list) ||
			!esp_get_string(c, e.sub, "complaintFeedbackType", "complaint", false, &fbt) ||
			!esp_get_string(c, e.sub, "feedbackId", "complaint", false, &e.event_id))
			return false;
		snprintf(cat, sizeof(cat), "Complaint%s%s", fbt ? "/" : "", fbt ? fbt : "");
		e.category = esp_clean(c, cat, strlen(cat));
		return ses_rows(c, &e, list, "complainedRecipients");
	}
	if (strcmp(type, "Delivery") == 0)
	{
		static const EspCategory delivery = {"Delivery", "delivered", "delivered", NULL, 0};

		e.kind = "delivery";
		e.cat = &delivery;
		e.category = "Delivery";
		if (!esp_get_object(c, ev, "delivery", "", true, &e.sub) ||
			!esp_get_array(c, e.sub, "recipients", "delivery", true, &list) ||
			!esp_get_string(c, e.sub, "smtpResponse", "delivery", false, &e.smtp_response) ||
			!esp_get_string(c, e.sub, "reportingMTA", "delivery", false, &e.reporting) ||
			!esp_get_string(c, e.sub, "remoteMtaIp", "delivery", false, &e.remote))
			return false;
		e.reporting = esp_untyped(c, (char *) e.reporting);
		return ses_rows(c, &e, list, "recipients");
	}
	if (strcmp(type, "DeliveryDelay") == 0)
	{
		const char *dt;

		e.kind = "deliveryDelay";
		if (!esp_get_object(c, ev, "deliveryDelay", "", true, &e.sub) ||
			!esp_get_string(c, e.sub, "delayType", "deliveryDelay", true, &dt) ||
			!esp_get_array(c, e.sub, "delayedRecipients", "deliveryDelay", true, &list) ||
			!esp_get_string(c, e.sub, "reportingMTA", "deliveryDelay", false, &e.reporting))
			return false;
		e.cat = esp_category(delay_types, lengthof(delay_types), dt);
		if (e.cat == NULL)
			e.cat = esp_category(delay_types, lengthof(delay_types), "Undetermined");
		snprintf(cat, sizeof(cat), "DeliveryDelay/%s", dt);
		e.category = esp_clean(c, cat, strlen(cat));
		e.reporting = esp_untyped(c, (char *) e.reporting);
		return ses_rows(c, &e, list, "delayedRecipients");
	}
	if (strcmp(type, "Reject") == 0)
	{
		/* SES found a virus and sent nothing: to every destination */
		static const EspCategory reject = {"Reject", "failed", "virusdetected", NULL, 1};
		const char *why;

		e.kind = "reject";
		e.cat = &reject;
		if (!esp_get_object(c, ev, "reject", "", true, &e.sub) ||
			!esp_get_string(c, e.sub, "reason", "reject", false, &why) ||
			!esp_get_array(c, mail, "destination", "mail", true, &list))
			return false;
		snprintf(cat, sizeof(cat), "Reject%s%s", why ? "/" : "", why ? why : "");
		e.category = esp_clean(c, cat, strlen(cat));
		e.smtp_response = why;
		e.sub = mail;
		return ses_rows(c, &e, list, "destination");
	}
	/* events about sending and engagement, not about delivery: no rows */
	if (strcmp(type, "Send") == 0 || strcmp(type, "Open") == 0 || strcmp(type, "Click") == 0 ||
		strcmp(type, "Rendering Failure") == 0 || strcmp(type, "Subscription") == 0 ||
		strcmp(type, "AmazonSnsSubscriptionSucceeded") == 0)
		return true;
	return esp_fail(c, ESP_ERR_FIELD,
					"Amazon SES \"%s\" \"%s\" is none of Bounce, Complaint, Delivery, DeliveryDelay, Reject, Send, Open, Click, Rendering Failure, Subscription",
					type_field, esp_show(c, type));
}
