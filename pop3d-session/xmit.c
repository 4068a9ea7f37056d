/*
 * Copyright (c) 2026 The pop3d developers
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * XTND XMIT: an old client sends mail through its POP3 session.  The
 * session only collects the message into an anonymous file, with a
 * Received: header naming the user; the parent runs the submission
 * program as that user.  The session never executes anything.
 */

#include <sys/types.h>
#include <sys/mman.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "session.h"

struct xmit {
	int		fd;
	int		toolarge;
	int		werr;
	uint64_t	total;
	uint64_t	max;
	size_t		len;
	char		buf[65536];
};

/* Where the byte stream is, relative to lines and the final dot. */
enum xmit_state {
	XS_BOL,		/* at the start of a line, after CRLF */
	XS_MID,		/* inside a line */
	XS_CR,		/* after a CR inside a line */
	XS_DOT,		/* a line started with '.' */
	XS_DOTCR,	/* a line started with ".\r" */
};

static void
xmit_flush(struct xmit *x)
{
	size_t	off = 0;
	ssize_t	n;

	while (off < x->len && !x->werr) {
		if ((n = write(x->fd, x->buf + off, x->len - off)) <= 0)
			x->werr = 1;
		else
			off += n;
	}
	x->len = 0;
}

/* Past the size limit the rest is read and dropped, not stored. */
static void
xmit_put(struct xmit *x, char c)
{
	if (x->toolarge)
		return;
	if (x->total >= x->max) {
		x->toolarge = 1;
		return;
	}
	x->buf[x->len++] = c;
	x->total++;
	if (x->len == sizeof(x->buf))
		xmit_flush(x);
}

/*
 * One byte of the client's data: dot-unstuffing (RFC 1939 3), CRLF to
 * the LF that a local sendmail expects.  Lines end at CRLF only: a bare
 * LF is a byte of the message, so that no "LF . CRLF" in mail a client
 * passes on can end the message early and smuggle POP3 commands in.
 * Returns 1 at CRLF "." CRLF.
 */
static int
xmit_byte(struct xmit *x, enum xmit_state *st, char c)
{
	switch (*st) {
	case XS_BOL:
		if (c == '.') {
			*st = XS_DOT;
			return (0);
		}
		break;
	case XS_DOT:
		if (c == '\r') {
			*st = XS_DOTCR;
			return (0);
		}
		break;			/* the stuffed dot is dropped */
	case XS_DOTCR:
		if (c == '\n')
			return (1);
		/* FALLTHROUGH */
	case XS_CR:
		if (c == '\n') {
			xmit_put(x, '\n');
			*st = XS_BOL;
			return (0);
		}
		xmit_put(x, '\r');
		break;
	case XS_MID:
		break;
	}
	if (c == '\r') {
		*st = XS_CR;
		return (0);
	}
	xmit_put(x, c);
	*st = XS_MID;
	return (0);
}

/* Read to the final dot; -1 if the client went away first. */
static int
xmit_read(struct pop3 *p, struct xmit *x)
{
	enum xmit_state	 st = XS_BOL;
	char		*buf;
	size_t		 n, i;

	for (;;) {
		if (io_peek(p->io, io_now() + p->conf->timeout_idle, &buf,
		    &n) != IO_LINE)
			return (-1);
		p->last = io_now();
		for (i = 0; i < n; i++)
			if (xmit_byte(x, &st, buf[i])) {
				io_consume(p->io, i + 1);
				xmit_flush(x);
				return (0);
			}
		io_consume(p->io, n);
	}
}

static void
xmit_header(struct pop3 *p, struct xmit *x)
{
	char		date[64];
	struct tm	tm;
	time_t		now = time(NULL);

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000",
	    &tm) == 0)
		date[0] = '\0';
	dprintf(x->fd, "Received: from %s by %s (pop3d)\n"
	    "\twith XTND XMIT for authenticated user %s;\n\t%s\n",
	    p->peeraddr, p->conf->hostname, p->authuser, date);
}

void
xmit_command(struct pop3 *p)
{
	static struct xmit	x;
	int			status;

	memset(&x, 0, sizeof(x));
	x.max = p->conf->xmit_max_size;
	if ((x.fd = memfd_create("xmit", MFD_CLOEXEC)) == -1) {
		log_warn("%s: XTND XMIT: memfd_create", p->peer);
		pop3_reply(p, "-ERR [SYS/TEMP] cannot take a message now");
		return;
	}
	xmit_header(p, &x);
	pop3_reply(p, "+OK send the message, end with a line holding a "
	    "single dot");
	if (xmit_read(p, &x) == -1) {
		/* Half a message is no message: nothing is run. */
		close(x.fd);
		p->end.reason = SESS_END_DROPPED;
		p->state = POP3_UPDATE;
		return;
	}
	if (x.toolarge || x.werr) {
		close(x.fd);
		if (x.toolarge)
			pop3_reply(p, "-ERR message too large (max %" PRIu64
			    " octets)", x.max);
		else
			pop3_reply(p, "-ERR [SYS/TEMP] message not submitted");
		return;
	}
	lseek(x.fd, 0, SEEK_SET);
	/* The fd goes to the parent with the request. */
	status = p->be->xmit(p->bearg, x.fd);
	if (status == 0)
		pop3_reply(p, "+OK message submitted");
	else
		pop3_reply(p, "-ERR [SYS/TEMP] message not submitted");
}
