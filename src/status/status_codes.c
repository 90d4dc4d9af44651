/*-------------------------------------------------------------------------
 *
 * status_codes.c
 *		The IANA "SMTP Enhanced Status Codes" registry as a data table.
 *
 * Source: IANA registry (RFC 5248 procedure), codes X.0.0 .. X.7.30 as
 * transcribed in test/reference/iana-enhanced-status-codes.tsv.  Each row
 * is subject, detail, IANA sample text, associated basic reply codes and the
 * defining reference.  Sorted by (subject, detail): lookups bisect.
 *
 * To add a code the IANA registers: add one row, keeping the order.
 *
 *-------------------------------------------------------------------------
 */
#include "status/status.h"

const BounceStatusCode bounce_status_codes[] = {
	{0, 0, "Other undefined Status", "Any", "RFC3463"},
	{1, 0, "Other address status", "-", "RFC3463"},
	{1, 1, "Bad destination mailbox address", "451,550", "RFC3463"},
	{1, 2, "Bad destination system address", "-", "RFC3463"},
	{1, 3, "Bad destination mailbox address syntax", "501", "RFC3463"},
	{1, 4, "Destination mailbox address ambiguous", "-", "RFC3463"},
	{1, 5, "Destination address valid", "250", "RFC3463"},
	{1, 6, "Destination mailbox has moved, No forwarding address", "-", "RFC3463"},
	{1, 7, "Bad sender's mailbox address syntax", "-", "RFC3463"},
	{1, 8, "Bad sender's system address", "451,501", "RFC3463"},
	{1, 9, "Message relayed to non-compliant mailer", "-", "RFC3886"},
	{1, 10, "Recipient address has null MX", "556", "RFC7505;RFC7504"},
	{2, 0, "Other or undefined mailbox status", "-", "RFC3463"},
	{2, 1, "Mailbox disabled, not accepting messages", "-", "RFC3463"},
	{2, 2, "Mailbox full", "552", "RFC3463"},
	{2, 3, "Message length exceeds administrative limit", "552", "RFC3463"},
	{2, 4, "Mailing list expansion problem", "450,452", "RFC3463"},
	{3, 0, "Other or undefined mail system status", "221,250,421,451,550,554", "RFC3463"},
	{3, 1, "Mail system full", "452", "RFC3463"},
	{3, 2, "System not accepting network messages", "453,521", "RFC3463;RFC7504"},
	{3, 3, "System not capable of selected features", "-", "RFC3463"},
	{3, 4, "Message too big for system", "552,554", "RFC3463"},
	{3, 5, "System incorrectly configured", "-", "RFC3463"},
	{3, 6, "Requested priority was changed", "250,251", "RFC6710"},
	{4, 0, "Other or undefined network or routing status", "-", "RFC3463"},
	{4, 1, "No answer from host", "451", "RFC3463"},
	{4, 2, "Bad connection", "421", "RFC3463"},
	{4, 3, "Directory server failure", "451,550", "RFC3463"},
	{4, 4, "Unable to route", "-", "RFC3463"},
	{4, 5, "Mail system congestion", "451", "RFC3463"},
	{4, 6, "Routing loop detected", "-", "RFC3463"},
	{4, 7, "Delivery time expired", "-", "RFC3463"},
	{5, 0, "Other or undefined protocol status", "220,250,251,252,253,451,452,454,458,459,501,502,503,554", "RFC3463"},
	{5, 1, "Invalid command", "430,500,501,503,530,550,554,555", "RFC3463"},
	{5, 2, "Syntax error", "500,501,502,550,555", "RFC3463"},
	{5, 3, "Too many recipients", "451", "RFC3463"},
	{5, 4, "Invalid command arguments", "451,501,502,503,504,550,555", "RFC3463"},
	{5, 5, "Wrong protocol version", "-", "RFC3463"},
	{5, 6, "Authentication Exchange line is too long", "500", "RFC4954"},
	{6, 0, "Other or undefined media error", "-", "RFC3463"},
	{6, 1, "Media not supported", "-", "RFC3463"},
	{6, 2, "Conversion required and prohibited", "-", "RFC3463"},
	{6, 3, "Conversion required but not supported", "554", "RFC3463"},
	{6, 4, "Conversion with loss performed", "250", "RFC3463"},
	{6, 5, "Conversion Failed", "-", "RFC3463"},
	{6, 6, "Message content not available", "554", "RFC4468"},
	{6, 7, "Non-ASCII addresses not permitted for that sender/recipient", "553,550", "RFC6531"},
	{6, 8, "UTF-8 string reply is required, but not permitted by the SMTP client", "252,553,550", "RFC6531"},
	{6, 9, "UTF-8 header message cannot be transferred to one or more recipients, so the message must be rejected", "550", "RFC6531"},
	{6, 10, "(deprecated: duplicate of X.6.8)", "-", "RFC6531"},
	{7, 0, "Other or undefined security status", "220,235,450,454,500,501,503,504,530,535,550", "RFC3463"},
	{7, 1, "Delivery not authorized, message refused", "451,454,502,503,533,550,551", "RFC3463"},
	{7, 2, "Mailing list expansion prohibited", "550", "RFC3463"},
	{7, 3, "Security conversion required but not possible", "-", "RFC3463"},
	{7, 4, "Security features not supported", "504", "RFC3463"},
	{7, 5, "Cryptographic failure", "-", "RFC3463"},
	{7, 6, "Cryptographic algorithm not supported", "-", "RFC3463"},
	{7, 7, "Message integrity failure", "-", "RFC3463"},
	{7, 8, "Authentication credentials invalid", "535,554", "RFC4954"},
	{7, 9, "Authentication mechanism is too weak", "534", "RFC4954"},
	{7, 10, "Encryption Needed", "523", "RFC5248"},
	{7, 11, "Encryption required for requested authentication mechanism", "524,538", "RFC4954"},
	{7, 12, "A password transition is needed", "422,432", "RFC4954"},
	{7, 13, "User Account Disabled", "525", "RFC5248"},
	{7, 14, "Trust relationship required", "535,554", "RFC5248"},
	{7, 15, "Priority Level is too low", "450,550 (other 4XX/5XX allowed)", "RFC6710"},
	{7, 16, "Message is too big for the specified priority", "552 (other 4XX/5XX allowed)", "RFC6710"},
	{7, 17, "Mailbox owner has changed", "5XX", "RFC7293"},
	{7, 18, "Domain owner has changed", "5XX", "RFC7293"},
	{7, 19, "RRVS test cannot be completed", "5XX", "RFC7293"},
	{7, 20, "No passing DKIM signature found", "550", "RFC7372;RFC6376"},
	{7, 21, "No acceptable DKIM signature found", "550", "RFC7372;RFC6376"},
	{7, 22, "No valid author-matched DKIM signature found", "550", "RFC7372;RFC6376"},
	{7, 23, "SPF validation failed", "550", "RFC7372;RFC7208"},
	{7, 24, "SPF validation error", "451,550", "RFC7372;RFC7208"},
	{7, 25, "Reverse DNS validation failed", "550", "RFC7372;RFC7601"},
	{7, 26, "Multiple authentication checks failed", "550", "RFC7372"},
	{7, 27, "Sender address has null MX", "550", "RFC7505"},
	{7, 28, "Mail flood detected", "(not transcribed; check registry)", "draft-levine-mailbomb-header"},
	{7, 29, "ARC validation failure", "(550 in practice; check registry)", "RFC8617"},
	{7, 30, "REQUIRETLS support required", "(550 in practice; check registry)", "RFC8689"},
};

const int bounce_status_codes_count = (int) (sizeof(bounce_status_codes) / sizeof(bounce_status_codes[0]));
