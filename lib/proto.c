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
 * The contract of proto.h as a table, made from PROTO_MESSAGES so that
 * every type has its name, payload size and descriptor rule.
 */

#include <sys/types.h>

#include <stdio.h>

#include "proto.h"

static const struct msg_spec specs[MSG_TYPE_MAX] = {
#define PROTO_SPEC(type, size, fd)	[type] = { #type, size, fd },
	PROTO_MESSAGES(PROTO_SPEC)
#undef PROTO_SPEC
};

const struct msg_spec *
msg_spec(uint32_t type)
{
	if (type >= MSG_TYPE_MAX || specs[type].name == NULL)
		return (NULL);
	return (&specs[type]);
}

const char *
msg_name(uint32_t type)
{
	static char		 buf[32];
	const struct msg_spec	*s;

	if ((s = msg_spec(type)) != NULL)
		return (s->name);
	snprintf(buf, sizeof(buf), "MSG_??? (%u)", type);
	return (buf);
}

/*
 * RFC 1939 section 7: 1 to 70 characters in the range 0x21 to 0x7E.
 * The store makes them so and the session checks them on receipt.
 */
int
uidl_valid(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > UIDL_MAX)
		return (0);
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return (0);
	return (1);
}
