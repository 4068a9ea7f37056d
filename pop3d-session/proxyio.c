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
 * The PROXY header on a proxy-protocol listener, read from the socket
 * before anything else (before the TLS handshake on a TLS listener),
 * up to its last byte and not one byte further: what follows is the
 * client's, a ClientHello or a POP3 command.  Bytes are peeked, judged
 * by proxy_parse() (lib/proxy.c), and only those of the header are
 * taken from the socket.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "session.h"
#include "proxy.h"

/* Take n bytes the peek showed are there. */
static int
proxy_take(int fd, uint8_t *buf, size_t n)
{
	ssize_t	r;

	while (n > 0) {
		if ((r = read(fd, buf, n)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		if (r == 0)
			return (-1);
		buf += r;
		n -= r;
	}
	return (0);
}

/*
 * 0 with *h filled, or why not as an enum sess_end_reason with *why:
 * SESS_END_TIMEOUT past the deadline, SESS_END_DROPPED if the balancer
 * closed or reset, SESS_END_ERROR for bytes that are not a header.
 */
int
proxy_read_header(int fd, time_t deadline, struct proxy_hdr *h,
    const char **why)
{
	uint8_t	buf[PROXY_HDR_MAX];
	size_t	have = 0, take;
	ssize_t	n;
	int	r;

	for (;;) {
		n = recv(fd, buf + have, sizeof(buf) - have, MSG_PEEK);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				*why = "read error";
				return (SESS_END_DROPPED);
			}
			if ((r = io_wait(fd, POLLIN, deadline)) == -1)
				fatal("%s: poll", __func__);
			if (r == 0) {
				*why = "no complete header in time";
				return (SESS_END_TIMEOUT);
			}
			continue;
		}
		if (n == 0) {
			*why = "closed before the header was complete";
			return (SESS_END_DROPPED);
		}
		if ((r = proxy_parse(buf, have + n, h, why)) == -1)
			return (SESS_END_ERROR);
		/* Incomplete: every byte seen belongs to the header. */
		take = r > 0 ? r - have : (size_t)n;
		if (proxy_take(fd, buf + have, take) == -1) {
			*why = "read error";
			return (SESS_END_DROPPED);
		}
		have += take;
		if (r > 0)
			return (0);
		if (have >= sizeof(buf)) {
			/* proxy_parse() refuses sooner; never loop on it. */
			*why = "header over the limit";
			return (SESS_END_ERROR);
		}
	}
}
