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

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xform.h"

/*
 * The one place that decides what a stored message looks like on the
 * wire.  Text between line ends goes out as whole spans; only line
 * starts and line ends are looked at byte by byte, so a large message
 * costs a memchr() and one or two emits per line, and no copy.
 *
 * A quoted ">From " at a line start can be split across feeds, so the
 * '>'s (counted in ngt) and the matched part of "From " (nfrom) are held
 * back until the line proves to be, or not to be, a quoted From_ line.
 * A CR is always sent at once: whether an LF follows only decides if
 * that LF needs a CR of its own.
 */

static const char	gts[] = ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>";
static const char	from_[] = "From ";
#define GTS_LEN		(sizeof(gts) - 1)
#define FROM_LEN	(sizeof(from_) - 1)

static void
xemit(struct xform *x, const char *p, size_t n, xform_emit emit, void *arg)
{
	if (n == 0)
		return;
	x->out += n;
	emit(arg, p, n);
}

static void
xemit_gts(struct xform *x, size_t n, xform_emit emit, void *arg)
{
	size_t	k;

	while (n > 0) {
		k = n < GTS_LEN ? n : GTS_LEN;
		xemit(x, gts, k, emit, arg);
		n -= k;
	}
}

/* The held-back '>'s were not a quoted From_ after all. */
static void
quote_flush(struct xform *x, xform_emit emit, void *arg)
{
	xemit_gts(x, x->ngt, emit, arg);
	xemit(x, from_, x->nfrom, emit, arg);
	x->ngt = 0;
	x->nfrom = 0;
}

/*
 * Match ^>+From  at a line start; returns the bytes consumed.  Leaves
 * the quote state (ngt == 0) once the line is decided, possibly without
 * consuming the byte that decided it.
 */
static size_t
quote_feed(struct xform *x, const char *p, size_t len, xform_emit emit,
    void *arg)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (x->nfrom == 0 && p[i] == '>' && x->ngt < SIZE_MAX / 2) {
			x->ngt++;
			continue;
		}
		if (p[i] != from_[x->nfrom]) {
			quote_flush(x, emit, arg);
			break;
		}
		if (++x->nfrom == FROM_LEN) {
			xemit_gts(x, x->ngt - 1, emit, arg);
			xemit(x, from_, FROM_LEN, emit, arg);
			x->ngt = 0;
			x->nfrom = 0;
			i++;
			break;
		}
	}
	if (i > 0) {
		x->emptyline = 0;
		x->lastcr = 0;
	}
	return (i);
}

/*
 * Bytes of the current line other than its LF.  emptyline is 1 while
 * nothing was seen, 2 after a single CR (a CRLF line is still empty).
 */
static void
line_bytes(struct xform *x, const char *p, size_t n)
{
	if (n == 0)
		return;
	if (x->emptyline == 1 && n == 1 && p[0] == '\r')
		x->emptyline = 2;
	else
		x->emptyline = 0;
	x->lastcr = p[n - 1] == '\r';
}

/* An LF went out: count the line for TOP.  Returns 1 when done. */
static int
line_end(struct xform *x)
{
	int	empty = x->emptyline != 0;

	x->bol = 1;
	x->lastcr = 0;
	x->emptyline = 1;
	if (x->toplines < 0)
		return (0);
	if (!x->inbody) {
		if (empty) {
			x->inbody = 1;
			x->done = x->toplines == 0;
		}
	} else if (++x->bodylines >= x->toplines)
		x->done = 1;
	return (x->done);
}

void
xform_init(struct xform *x, int mboxrd, int stuff, int64_t toplines)
{
	memset(x, 0, sizeof(*x));
	x->mboxrd = mboxrd;
	x->stuff = stuff;
	x->toplines = toplines < 0 ? -1 : toplines;
	x->bol = 1;
	x->emptyline = 1;
}

int
xform_feed(struct xform *x, const char *buf, size_t len, xform_emit emit,
    void *arg)
{
	const char	*p = buf, *end = buf + len, *lf;
	size_t		 n;

	if (x->done)
		return (1);
	while (p < end) {
		if (x->bol) {
			x->bol = 0;
			/* The dot is never counted: RFC 1939 sizes exclude it. */
			if (x->stuff && *p == '.')
				emit(arg, ".", 1);
			else if (x->mboxrd && *p == '>') {
				p += quote_feed(x, p, end - p, emit, arg);
				continue;
			}
		}
		if (x->ngt > 0) {
			p += quote_feed(x, p, end - p, emit, arg);
			continue;
		}
		if ((lf = memchr(p, '\n', end - p)) == NULL) {
			line_bytes(x, p, end - p);
			xemit(x, p, end - p, emit, arg);
			break;
		}
		n = lf - p;
		line_bytes(x, p, n);
		if (x->lastcr)
			xemit(x, p, n + 1, emit, arg);
		else {
			xemit(x, p, n, emit, arg);
			xemit(x, "\r\n", 2, emit, arg);
		}
		p = lf + 1;
		if (line_end(x))
			return (1);
	}
	return (0);
}

void
xform_finish(struct xform *x, xform_emit emit, void *arg)
{
	if (x->done)
		return;
	if (x->ngt > 0)
		quote_flush(x, emit, arg);
	if (!x->bol) {
		/* Even after a lone CR: that CR was text, not a line end. */
		xemit(x, "\r\n", 2, emit, arg);
		x->bol = 1;
	}
}

static void
xform_discard(void *arg, const char *p, size_t n)
{
}

uint64_t
xform_size(const char *buf, size_t len, int mboxrd)
{
	struct xform	x;

	xform_init(&x, mboxrd, 0, -1);
	xform_feed(&x, buf, len, xform_discard, NULL);
	xform_finish(&x, xform_discard, NULL);
	return (x.out);
}
