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

#ifndef POP3D_PROXY_H
#define POP3D_PROXY_H

/*
 * The PROXY protocol header (versions 1 and 2) that a load balancer
 * sends before the client's first byte.  Pure parsing, no I/O: the
 * session reads the bytes, this says what they are.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

struct proxy_hdr {
	int			version;	/* 1 or 2 */
	/*
	 * 1: v2 LOCAL (the balancer's own health check) or v1 UNKNOWN:
	 * no client address; the connection's own address stands.
	 */
	int			local;
	struct sockaddr_storage	src;	/* the client, when !local */
	struct sockaddr_storage	dst;	/* the address it connected to */
};

/*
 * The header at the start of buf[0..len): its length when it is whole
 * and valid, 0 when every byte so far may begin one and more must come
 * (so all of them belong to the header, none to what follows), -1 with
 * *why when it is not one.
 */
int	proxy_parse(const uint8_t *, size_t, struct proxy_hdr *,
	    const char **);

#endif /* POP3D_PROXY_H */
