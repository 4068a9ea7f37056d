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
 * The PROXY protocol header parser (lib/proxy.c), as the session of a
 * proxy-protocol listener runs it on a balancer's first bytes.  The
 * input is those bytes.  Besides memory errors, the properties the
 * session's reader relies on are checked: a header is never longer
 * than what was given nor than PROXY_HDR_MAX, it parses to the same
 * length alone, and "more to come" is only said of fewer bytes than
 * the bound, so that the reader can never wait for ever.
 */

#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "proxy.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_hdr	h, h2;
	const char		*why;
	int			 r;

	r = proxy_parse(data, size, &h, &why);
	if (r == -1) {
		if (why == NULL)
			abort();
		return (0);
	}
	if (r == 0) {
		if (size >= PROXY_HDR_MAX)
			abort();
		return (0);
	}
	if ((size_t)r > size || r > PROXY_HDR_MAX ||
	    (h.version == 1 && r > PROXY_V1_MAX))
		abort();
	if (proxy_parse(data, r, &h2, &why) != r || h2.local != h.local ||
	    memcmp(&h2.src, &h.src, sizeof(h.src)) != 0)
		abort();
	if (!h.local && h.src.ss_family != AF_INET &&
	    h.src.ss_family != AF_INET6)
		abort();
	return (0);
}
