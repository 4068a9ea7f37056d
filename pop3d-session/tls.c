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
 * TLS on the client connection, in pop3d-session-tls only: the
 * handshake, reads and writes through libtls, close_notify, and a look
 * at the ClientHello before libtls takes it: a client that offers ALPN
 * without "pop3" speaks another protocol (the ALPACA cross-protocol
 * attack) and is refused.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <tls.h>
#include <unistd.h>

#include "session.h"

static uint32_t
get16(const unsigned char *p)
{
	return ((uint32_t)p[0] << 8 | p[1]);
}

/* Step over a vector with a len-byte length prefix; -1 if it overruns. */
static int
skip_vec(const unsigned char **p, const unsigned char *end, int len)
{
	size_t	n;

	if (end - *p < len)
		return (-1);
	n = len == 1 ? **p : get16(*p);
	*p += len;
	if ((size_t)(end - *p) < n)
		return (-1);
	*p += n;
	return (0);
}

/* ALPN extension data (RFC 7301): does its list name "pop3"? */
static int
alpn_has_pop3(const unsigned char *p, const unsigned char *end)
{
	size_t	n;

	if (end - p < 2 || get16(p) != (size_t)(end - p - 2))
		return (0);
	for (p += 2; p < end; p += n) {
		n = *p++;
		if (n == 0 || (size_t)(end - p) < n)
			return (0);
		if (n == 4 && memcmp(p, "pop3", 4) == 0)
			return (1);
	}
	return (0);
}

/*
 * The ClientHello message out of the handshake records at the start of
 * buf: RFC 8446 5.1 (and RFC 5246 6.2.1) lets a sender cut a handshake
 * message across records, each of type handshake and none empty.
 * 1: msg holds it, *msglen long; -1: buf ends before it does; -2: not
 * a ClientHello, a record that is not a handshake one, or longer than
 * TLS_HELLO_MAX.
 */
static int
tlshello_gather(const unsigned char *buf, size_t len, unsigned char *msg,
    size_t *msglen)
{
	size_t	off = 0, have = 0, need, rlen, take;

	for (;;) {
		if (have >= 4) {
			if (msg[0] != 1)
				return (-2);
			need = 4 + ((size_t)msg[1] << 16 |
			    (size_t)msg[2] << 8 | msg[3]);
			if (need > TLS_HELLO_MAX)
				return (-2);
			if (have >= need) {
				*msglen = need;
				return (1);
			}
		}
		if (len - off < 5)
			return (-1);
		rlen = get16(buf + off + 3);
		if (buf[off] != 22 || rlen == 0 || rlen > TLS_RECORD_MAX)
			return (-2);
		if (len - off - 5 < rlen)
			return (-1);
		take = rlen < TLS_HELLO_MAX - have ? rlen : TLS_HELLO_MAX - have;
		memcpy(msg + have, buf + off + 5, take);
		have += take;
		off += 5 + rlen;
	}
}

/*
 * Look at a TLS ClientHello (RFC 8446 4.1.2), reassembled from as many
 * records as it takes.  Returns 1 when it may proceed (no ALPN, or ALPN
 * listing "pop3"), 0 when it offers ALPN without "pop3" (a client of
 * another protocol, the ALPACA cross-protocol attack), -1 when buf ends
 * before the hello does, -2 when it is no ClientHello, is malformed or
 * is longer than TLS_HELLO_MAX: one that cannot be judged is refused.
 */
int
tlshello_alpn(const unsigned char *buf, size_t len)
{
	static unsigned char	 msg[TLS_HELLO_MAX];
	const unsigned char	*p, *end, *ext;
	uint32_t		 type, elen;
	size_t			 msglen;
	int			 rc;

	if ((rc = tlshello_gather(buf, len, msg, &msglen)) != 1)
		return (rc);
	end = msg + msglen;
	p = msg + 4 + 2 + 32;	/* header, legacy_version, random */
	if (p > end || skip_vec(&p, end, 1) == -1 ||	/* session id */
	    skip_vec(&p, end, 2) == -1 ||		/* cipher suites */
	    skip_vec(&p, end, 1) == -1)			/* compression */
		return (-2);
	if (p == end)
		return (1);	/* no extensions at all */
	if (end - p < 2 || get16(p) != (size_t)(end - p - 2))
		return (-2);
	for (p += 2; end - p >= 4; p = ext + elen) {
		type = get16(p);
		elen = get16(p + 2);
		ext = p + 4;
		if ((size_t)(end - ext) < elen)
			return (-2);
		if (type == 16)
			return (alpn_has_pop3(ext, ext + elen));
	}
	return (p == end ? 1 : -2);
}

/*
 * Peek at the client's first TLS records before libtls consumes them,
 * until the ClientHello is complete or the deadline.  0: go on; -1:
 * refuse.
 */
int
tlshello_check(int fd, time_t deadline)
{
	static unsigned char	buf[TLS_HELLO_PEEK];
	const struct timespec	nap = { 0, 20 * 1000 * 1000 };
	struct pollfd		pfd;
	ssize_t			n, last = 0;
	int			rc;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_PEEK);
		if (n == 0)
			return (-1);
		/* Anything but a handshake record is no TLS client. */
		if (n > 0 && buf[0] != 22)
			return (-1);
		if (n > 0) {
			rc = tlshello_alpn(buf, n);
			if (rc == 1)
				return (0);
			if (rc == 0) {
				log_info("TLS: ClientHello offers ALPN "
				    "without pop3, refused");
				return (-1);
			}
			if (rc == -2) {
				log_info("TLS: ClientHello malformed or over "
				    "%d bytes, refused", TLS_HELLO_MAX);
				return (-1);
			}
			if ((size_t)n == sizeof(buf)) {
				log_info("TLS: ClientHello cut into records "
				    "over %zu bytes, refused", sizeof(buf));
				return (-1);
			}
		} else if (errno != EAGAIN && errno != EINTR)
			return (-1);
		if (deadline - io_now() <= 0)
			return (-1);
		/*
		 * Peeked bytes keep the socket readable, so poll(2) only
		 * helps while nothing has arrived; after that, nap.
		 */
		if (n > 0 && n == last) {
			nanosleep(&nap, NULL);
			continue;
		}
		last = n > 0 ? n : last;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 1000) == -1 && errno != EINTR)
			return (-1);
	}
}

static ssize_t
tlsio_result(ssize_t n, short *want)
{
	if (n == TLS_WANT_POLLIN)
		*want = POLLIN;
	else if (n == TLS_WANT_POLLOUT)
		*want = POLLOUT;
	return (n < 0 ? -1 : n);
}

static ssize_t
tlsio_read(struct io *io, void *buf, size_t len, short *want)
{
	return (tlsio_result(tls_read(io->tls, buf, len), want));
}

static ssize_t
tlsio_write(struct io *io, const void *buf, size_t len, short *want)
{
	return (tlsio_result(tls_write(io->tls, buf, len), want));
}

/* A close_notify first, so clients see no cut. */
static void
tlsio_close(struct io *io, time_t deadline)
{
	int	rc;

	while ((rc = tls_close(io->tls)) == TLS_WANT_POLLIN ||
	    rc == TLS_WANT_POLLOUT)
		if (io_wait(io->fd, rc == TLS_WANT_POLLIN ? POLLIN :
		    POLLOUT, deadline) != 1)
			break;
	tls_free(io->tls);
}

static const struct io_tlsops tlsio_ops = {
	tlsio_read,
	tlsio_write,
	tlsio_close,
};

/*
 * The TLS handshake on the client socket, for STLS or an implicit TLS
 * listener.  Buffered plaintext is dropped first: whatever a client (or
 * a man in the middle) pipelined behind STLS must never run as if it
 * had come through TLS.  A ClientHello that offers ALPN without "pop3"
 * is refused before libtls sees it.
 */
int
io_starttls(struct io *io, struct tls *ctx, time_t deadline)
{
	struct tls	*cctx;
	int		 rc;

	io_discard_input(io);
	if (deadline > io_now() + TIMEOUT_TLS_HANDSHAKE)
		deadline = io_now() + TIMEOUT_TLS_HANDSHAKE;
	if (tlshello_check(io->fd, deadline) == -1)
		return (-1);
	if (tls_accept_socket(ctx, &cctx, io->fd) == -1)
		return (-1);
	for (;;) {
		rc = tls_handshake(cctx);
		if (rc == 0)
			break;
		if ((rc != TLS_WANT_POLLIN && rc != TLS_WANT_POLLOUT) ||
		    io_wait(io->fd, rc == TLS_WANT_POLLIN ? POLLIN : POLLOUT,
		    deadline) != 1) {
			tls_free(cctx);
			return (-1);
		}
	}
	io->tls = cctx;
	io->tlsops = &tlsio_ops;
	return (0);
}

