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
 * The one checker every receiving channel uses; see dispatch.h.
 */

#include <sys/types.h>

#include <stdio.h>

#include "compat.h"
#include "proto.h"
#include "dispatch.h"

/*
 * The frame against proto.h alone: a known type, its payload size and
 * its descriptor rule.  0, or -1 with why set.
 */
int
frame_check(const struct frame *f, const char **why)
{
	static char		 buf[128];
	const struct msg_spec	*spec;

	if ((spec = msg_spec(f->hdr.type)) == NULL) {
		snprintf(buf, sizeof(buf), "unknown message type %u",
		    f->hdr.type);
		goto bad;
	}
	if (spec->size != P_VAR && f->datalen != spec->size) {
		snprintf(buf, sizeof(buf), "%s of %zu bytes, expected %zu",
		    spec->name, f->datalen, spec->size);
		goto bad;
	}
	if ((f->fd != -1) != (spec->fd == P_FD)) {
		snprintf(buf, sizeof(buf), "%s %s a descriptor", spec->name,
		    f->fd == -1 ? "without" : "with");
		goto bad;
	}
	return (0);
 bad:
	*why = buf;
	return (-1);
}

/*
 * For a receiver that waits for one answer: the frame must be of this
 * type and meet the contract.  0, or -1 with why set.
 */
int
frame_expect(const struct frame *f, uint32_t type, const char **why)
{
	static char	buf[128];

	if (f->hdr.type != type) {
		snprintf(buf, sizeof(buf), "%s where %s was expected",
		    msg_name(f->hdr.type), msg_name(type));
		*why = buf;
		return (-1);
	}
	return (frame_check(f, why));
}

/*
 * Check a frame against the contract and the receiver's table, then
 * hand it to the rule's function.  state is the receiver's state bits;
 * seen records the D_ONCE rules that were used.  0, or -1 with why
 * set: the frame was refused, or its handler found it bad.
 */
int
dispatch(const struct dispatch_table *t, void *arg, struct frame *f,
    uint32_t state, uint64_t *seen, const char **why)
{
	static char			 buf[128];
	const struct dispatch_rule	*r = NULL;
	size_t				 i;

	for (i = 0; i < t->nrules; i++)
		if (t->rules[i].type == f->hdr.type) {
			r = &t->rules[i];
			break;
		}
	if (r == NULL) {
		snprintf(buf, sizeof(buf), "unexpected %s",
		    msg_name(f->hdr.type));
		goto bad;
	}
	if (frame_check(f, why) == -1)
		return (-1);
	if ((r->states & state) != state) {
		snprintf(buf, sizeof(buf), "%s not allowed now",
		    msg_name(f->hdr.type));
		goto bad;
	}
	if ((r->flags & D_ONCE) && (*seen & (1ULL << i))) {
		snprintf(buf, sizeof(buf), "second %s",
		    msg_name(f->hdr.type));
		goto bad;
	}
	*seen |= 1ULL << i;
	if (r->fn(arg, f) == -1) {
		snprintf(buf, sizeof(buf), "bad %s", msg_name(f->hdr.type));
		goto bad;
	}
	return (0);
 bad:
	*why = buf;
	return (-1);
}
