/*-------------------------------------------------------------------------
 *
 * mbox.c
 *		An mbox split into its messages.
 *
 * The mbox family (RFC 4155 and the qmail and mutt documentation of its
 * variants): each message starts with a "From " line (the From_ line) at
 * the start of the file or after a blank line.
 *	- mboxo and mboxrd quote a body line that would look like one: mboxo
 *	  writes ">From " for "From ", mboxrd adds one '>' to every line
 *	  matching ^>*From .  Reading removes one '>' from each line matching
 *	  ^>+From , which undoes both.
 *	- mboxcl2 does not quote; a Content-Length header gives the length of
 *	  the body.  It is trusted when the body it gives ends at the end of
 *	  the file or right before the next From_ line (one blank line
 *	  between allowed); otherwise the message ends at the next From_ line
 *	  after a blank line, as in the other variants.
 * A "From " line that does not follow a blank line is body text.  The
 * blank line before a From_ line is the separator, not part of the
 * message.  LF and CR LF line ends are both read.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "load.h"

/* The end of the line that starts at p: the index after its '\n' (or len). */
static size_t
line_end(const char *buf, size_t len, size_t p)
{
	const char *nl = memchr(buf + p, '\n', len - p);

	return nl ? (size_t) (nl - buf) + 1 : len;
}

static bool
is_from_line(const char *buf, size_t len, size_t p)
{
	return len - p >= 5 && memcmp(buf + p, "From ", 5) == 0;
}

/* The line buf[p..e) is empty: "\n", "\r\n" (or nothing, at the end). */
static bool
is_blank_line(const char *buf, size_t p, size_t e)
{
	return e == p || (e - p == 1 && buf[p] == '\n') ||
		(e - p == 2 && buf[p] == '\r' && buf[p + 1] == '\n');
}

static size_t
count_lines(const char *buf, size_t from, size_t to)
{
	size_t		n = 0;
	const char *p = buf + from;
	const char *end = buf + to;

	while (p < end && (p = memchr(p, '\n', end - p)) != NULL)
	{
		n++;
		p++;
	}
	return n;
}

/*
 * The Content-Length of the header block buf[h..), and where its body
 * starts; false when there is none (or the block has no end).
 */
static bool
content_length(const char *buf, size_t len, size_t h, size_t *body, uint64_t *clen)
{
	size_t		p = h;
	bool		found = false;

	while (p < len)
	{
		size_t		e = line_end(buf, len, p);

		if (is_blank_line(buf, p, e))
		{
			*body = e;
			return found;
		}
		if (e - p > 15 && strncasecmp(buf + p, "Content-Length:", 15) == 0)
		{
			size_t		q = p + 15;
			uint64_t	v = 0;
			int			digits = 0;

			while (q < e && (buf[q] == ' ' || buf[q] == '\t'))
				q++;
			while (q < e && buf[q] >= '0' && buf[q] <= '9' && digits < 18)
			{
				v = v * 10 + (uint64_t) (buf[q] - '0');
				q++;
				digits++;
			}
			if (digits > 0 && (q == e || buf[q] == '\r' || buf[q] == '\n' ||
							   buf[q] == ' ' || buf[q] == '\t'))
			{
				*clen = v;
				found = true;
			}
		}
		p = e;
	}
	return false;
}

/*
 * Where the next From_ line is after a message that ends at end: end
 * itself, or after one blank line; len at the end of the file; (size_t)
 * -1 when neither follows (the Content-Length is wrong).
 */
static size_t
next_after_body(const char *buf, size_t len, size_t end)
{
	size_t		e;

	if (end == len || is_from_line(buf, len, end))
		return end;
	e = line_end(buf, len, end);
	if (is_blank_line(buf, end, e) && (e == len || is_from_line(buf, len, e)))
		return e;
	return (size_t) -1;
}

/* Copy buf[from..to) into out, undoing the ^>+From quoting if unquote. */
static bool
copy_message(const char *buf, size_t from, size_t to, bool unquote, LoadMessage *out)
{
	char	   *o = malloc(to - from + 1);
	size_t		n = 0,
				p = from;

	if (o == NULL)
		return false;
	while (p < to)
	{
		size_t		e = line_end(buf, to, p);

		if (unquote && buf[p] == '>')
		{
			size_t		q = p;

			while (q < e && buf[q] == '>')
				q++;
			if (e - q >= 5 && memcmp(buf + q, "From ", 5) == 0)
				p++;			/* one '>' less */
		}
		memcpy(o + n, buf + p, e - p);
		n += e - p;
		p = e;
	}
	o[n] = '\0';
	out->data = o;
	out->len = n;
	return true;
}

MboxStatus
mbox_next(const char *buf, size_t len, size_t *pos, size_t *line,
		  size_t *from_line, LoadMessage *out)
{
	size_t		p = *pos,
				h,
				body,
				end,
				next;
	uint64_t	clen;
	bool		unquote = true;

	out->data = NULL;
	out->len = 0;
	if (p >= len)
		return MBOX_END;
	if (!is_from_line(buf, len, p))
		return MBOX_NOT_MBOX;
	*from_line = *line;
	h = line_end(buf, len, p);
	*line += 1;

	if (content_length(buf, len, h, &body, &clen) && clen <= len - body &&
		(next = next_after_body(buf, len, body + (size_t) clen)) != (size_t) -1)
	{
		end = body + (size_t) clen;
		unquote = false;
	}
	else
	{
		/* the next From_ line after a blank line; the blank line is the separator */
		size_t		q = h,
					prev = (size_t) -1;

		end = next = len;
		while (q < len)
		{
			size_t		e = line_end(buf, len, q);

			if (prev != (size_t) -1 && is_blank_line(buf, prev, q) &&
				is_from_line(buf, len, q))
			{
				end = prev;
				next = q;
				break;
			}
			prev = q;
			q = e;
		}
	}
	*line += count_lines(buf, h, next);
	*pos = next;
	if (!copy_message(buf, h, end, unquote, out))
		out->data = NULL;		/* out of memory: the caller says so */
	return MBOX_MESSAGE;
}
