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

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "session.h"

time_t
io_now(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	/*
	 * Rounded up: a deadline of io_now() + n is never less than n
	 * seconds away, so that a timer never fires early.
	 */
	return (ts.tv_sec + (ts.tv_nsec > 0));
}

/* Milliseconds from now until the deadline, capped at a day. */
static int
io_left_ms(time_t deadline)
{
	struct timespec	ts;
	int64_t		left;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	left = ((int64_t)deadline - ts.tv_sec) * 1000 - ts.tv_nsec / 1000000;
	if (left > 86400000)
		left = 86400000;
	return (left < 0 ? 0 : (int)left);
}

void
io_init(struct io *io, int fd)
{
	memset(io, 0, sizeof(*io));
	io->fd = fd;
}

/* Wait for fd to be ready until the deadline: 1 ready, 0 timeout. */
int
io_wait(int fd, short events, time_t deadline)
{
	struct pollfd	pfd;
	int		left, n;

	for (;;) {
		if ((left = io_left_ms(deadline)) == 0)
			return (0);
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, left);
		if (n == -1 && errno != EINTR)
			return (-1);
		if (n > 0)
			return (1);
	}
}

/*
 * One read, plain or TLS.  Returns bytes read, 0 at end of file, or
 * -1 with *want set to what to poll for before trying again (0: a real
 * error).  TLS may want to write while reading, and the other way round.
 */
static ssize_t
io_read(struct io *io, void *buf, size_t len, short *want)
{
	ssize_t	n;

	*want = 0;
	if (io->tls != NULL)
		return (io->tlsops->read(io, buf, len, want));
	if ((n = read(io->fd, buf, len)) == -1 &&
	    (errno == EAGAIN || errno == EINTR))
		*want = POLLIN;
	return (n);
}

static ssize_t
io_write_some(struct io *io, const void *buf, size_t len, short *want)
{
	ssize_t	n;

	*want = 0;
	if (io->tls != NULL)
		return (io->tlsops->write(io, buf, len, want));
	if ((n = write(io->fd, buf, len)) == -1 &&
	    (errno == EAGAIN || errno == EINTR))
		*want = POLLOUT;
	return (n);
}

/* Read before polling: TLS may hold decrypted bytes the socket lacks. */
static int
io_fill(struct io *io, time_t deadline)
{
	ssize_t	n;
	short	want;

	for (;;) {
		n = io_read(io, io->in + io->inlen,
		    sizeof(io->in) - io->inlen, &want);
		if (n > 0) {
			io->inlen += n;
			return (0);
		}
		if (n == 0)
			return (IO_EOF);
		if (want == 0)
			return (IO_ERROR);
		switch (io_wait(io->fd, want, deadline)) {
		case 0:
			return (IO_TIMEOUT);
		case -1:
			return (IO_ERROR);
		}
	}
}

/*
 * After a line over the limit: read on to its end, or until it is
 * known to be longer than AUTODENY_LINE characters before the CRLF.
 */
static enum io_status
io_measure(struct io *io, time_t deadline)
{
	char	*lf;
	size_t	 len;
	int	 st;

	for (;;) {
		if ((lf = memchr(io->in, '\n', io->inlen)) != NULL) {
			len = lf - io->in;
			if (len > 0 && lf[-1] == '\r')
				len--;
			return (len > AUTODENY_LINE ? IO_HACK : IO_TOOLONG);
		}
		if (io->inlen > AUTODENY_LINE + 1)
			return (IO_HACK);
		if ((st = io_fill(io, deadline)) != 0)
			return (IO_TOOLONG);
	}
}

/*
 * The next line, without its CRLF (a bare LF is accepted too), of at
 * most max octets with its CRLF.  RFC 2449 bounds command lines to
 * POP3_LINE_MAX; a longer one is refused whole, never split, and with
 * hackcheck it is measured so that the caller can tell an attack
 * (IO_HACK) from a clumsy client (IO_TOOLONG).  Pending replies are
 * flushed only when we must wait for input, so a pipelined batch is
 * answered in one write.
 */
enum io_status
io_getline(struct io *io, time_t deadline, char **line, size_t max,
    int hackcheck)
{
	char	*lf;
	size_t	 len;
	int	 st;

	if (io->consumed > 0) {
		io->inlen -= io->consumed;
		memmove(io->in, io->in + io->consumed, io->inlen);
		io->consumed = 0;
	}
	if (max > sizeof(io->in))
		max = sizeof(io->in);
	for (;;) {
		if ((lf = memchr(io->in, '\n', io->inlen)) != NULL) {
			len = lf - io->in + 1;
			if (len > max)
				break;
			*lf = '\0';
			io->linelen = len - 1;
			if (len > 1 && lf[-1] == '\r') {
				lf[-1] = '\0';
				io->linelen--;
			}
			io->consumed = len;
			*line = io->in;
			return (IO_LINE);
		}
		if (io->inlen >= max)
			break;
		if (io_flush(io) == -1)
			return (IO_ERROR);
		if ((st = io_fill(io, deadline)) != 0)
			return (st);
	}
	/* Measuring is worth a short wait only, never the idle timer. */
	if (deadline > io_now() + AUTODENY_MEASURE_WAIT)
		deadline = io_now() + AUTODENY_MEASURE_WAIT;
	return (hackcheck ? io_measure(io, deadline) : IO_TOOLONG);
}

/* The input buffered after the last line returned. */
size_t
io_pending(struct io *io, const char **p)
{
	*p = io->in + io->consumed;
	return (io->inlen - io->consumed);
}

/* Whether a whole line is already buffered (pipelined input). */
int
io_line_pending(struct io *io)
{
	return (memchr(io->in + io->consumed, '\n',
	    io->inlen - io->consumed) != NULL);
}

/* Forget input the client sent ahead, e.g. after STLS. */
void
io_discard_input(struct io *io)
{
	io->inlen = 0;
	io->consumed = 0;
}

void
io_write(struct io *io, const char *p, size_t len)
{
	size_t	n;

	while (len > 0 && !io->error) {
		if (io->outlen == sizeof(io->out) && io_flush(io) == -1)
			return;
		n = MINIMUM(len, sizeof(io->out) - io->outlen);
		memcpy(io->out + io->outlen, p, n);
		io->outlen += n;
		p += n;
		len -= n;
	}
}

void
io_printf(struct io *io, const char *fmt, ...)
{
	char	buf[1024];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	io_write(io, buf, MINIMUM((size_t)n, sizeof(buf) - 1));
}

/* A client that does not read its replies is dropped, not waited for. */
int
io_flush(struct io *io)
{
	time_t	deadline = io_now() + TIMEOUT_WRITE;
	size_t	off = 0;
	ssize_t	n;
	short	want;

	if (io->error)
		return (-1);
	while (off < io->outlen) {
		n = io_write_some(io, io->out + off, io->outlen - off, &want);
		if (n > 0) {
			off += n;
			continue;
		}
		if (want == 0 || io_wait(io->fd, want, deadline) != 1)
			goto fail;
	}
	io->outlen = 0;
	return (0);
 fail:
	io->error = 1;
	io->outlen = 0;
	return (-1);
}

/* End the connection: a TLS close_notify first, so clients see no cut. */
void
io_close(struct io *io)
{
	io_flush(io);
	if (io->tls != NULL) {
		io->tlsops->close(io, io_now() + 5);
		io->tls = NULL;
	}
	shutdown(io->fd, SHUT_RDWR);
	close(io->fd);
}

/*
 * Raw input for message data (XTND XMIT): what is buffered, or else
 * what one read brings.  IO_LINE with *p and *n set, or the reason
 * there is nothing.
 */
int
io_peek(struct io *io, time_t deadline, char **p, size_t *n)
{
	int	st;

	if (io->consumed > 0) {
		io->inlen -= io->consumed;
		memmove(io->in, io->in + io->consumed, io->inlen);
		io->consumed = 0;
	}
	if (io->inlen == 0) {
		if (io_flush(io) == -1)
			return (IO_ERROR);
		if ((st = io_fill(io, deadline)) != 0)
			return (st);
	}
	*p = io->in;
	*n = io->inlen;
	return (IO_LINE);
}

void
io_consume(struct io *io, size_t n)
{
	io->consumed += MINIMUM(n, io->inlen - io->consumed);
}
