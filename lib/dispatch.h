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


#ifndef POP3D_DISPATCH_H
#define POP3D_DISPATCH_H

/*
 * One table per receiving channel says what it takes: each message
 * type, the receiver's states in which it is allowed, whether it may
 * come only once, and the function that handles it.  dispatch() holds
 * every frame to the contract of proto.h (payload size, descriptor) and
 * to the table before any handler sees it; a type missing from the
 * table is refused.  What a refusal costs the sender is the caller's
 * decision (see ARCHITECTURE, "Channels").  A receiver that waits for
 * one answer (the session, a child reading its configuration) uses
 * frame_expect() or frame_check() instead of a table.
 */

#include <stddef.h>
#include <stdint.h>

#include "frame.h"

/* A receiver's state is a set of bits; a rule lists those it allows. */
#define D_ANY		0xffffffffU

/* Rule flags. */
#define D_ONCE		0x1	/* at most once per sender */

struct dispatch_rule {
	uint32_t	 type;
	uint32_t	 states;	/* allowed when it holds all state bits */
	int		 flags;
	/* 0, or -1 when the payload's values break the protocol */
	int		(*fn)(void *, struct frame *);
};

struct dispatch_table {
	const char			*from;	/* the sender, for log lines */
	const struct dispatch_rule	*rules;
	size_t				 nrules;
};

/* At most 64 rules a table, one bit each in the D_ONCE record. */
#define DISPATCH_TABLE(from, rules)					\
	{ from, rules, nitems(rules) +					\
	    0 * sizeof(char [nitems(rules) <= 64 ? 1 : -1]) }

int	frame_check(const struct frame *, const char **);
int	frame_expect(const struct frame *, uint32_t, const char **);
int	dispatch(const struct dispatch_table *, void *, struct frame *,
	    uint32_t, uint64_t *, const char **);

#endif /* POP3D_DISPATCH_H */
