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

#ifndef POP3D_XFORM_H
#define POP3D_XFORM_H

/*
 * A message as stored -> the octets a POP3 client is sent.  One code
 * path serves the store (which only counts, for LIST and STAT) and the
 * session (which sends), so the size announced is the size transmitted:
 *  - a bare LF becomes CRLF; a CRLF stays; a lone CR is passed through;
 *  - mboxrd: a line matching ^>+From  loses one '>';
 *  - byte-stuffing (session only): a line starting with '.' gets another
 *    '.' in front; stuffing is not counted in sizes (RFC 1939);
 *  - TOP: the header, the blank line, then at most n body lines;
 *  - a last line without a newline gets a CRLF, which is counted.
 * Input may arrive in chunks of any size, split anywhere.
 */

#include <stddef.h>
#include <stdint.h>

typedef void (*xform_emit)(void *, const char *, size_t);

struct xform {
	int		 mboxrd;	/* unquote >From */
	int		 stuff;		/* dot-stuff */
	int64_t		 toplines;	/* -1: all */
	uint64_t	 out;		/* octets emitted, stuffing excluded */

	/* private */
	int		 bol;		/* at the beginning of a line */
	int		 lastcr;	/* last input byte was CR */
	int		 inbody;	/* past the blank line */
	int		 done;		/* TOP limit reached */
	int		 emptyline;	/* current line is empty so far */
	size_t		 ngt;		/* '>' seen at line start */
	size_t		 nfrom;		/* bytes of "From " matched */
	int64_t		 bodylines;
};

void	xform_init(struct xform *, int, int, int64_t);
/* Returns 1 once TOP's limit is reached: further input is ignored. */
int	xform_feed(struct xform *, const char *, size_t, xform_emit, void *);
void	xform_finish(struct xform *, xform_emit, void *);
/* The transmitted size of a whole buffer (no stuffing, no TOP). */
uint64_t xform_size(const char *, size_t, int);

#endif /* POP3D_XFORM_H */
