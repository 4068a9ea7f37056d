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
#include <sys/uio.h>
#include <sys/wait.h>

#include <atf-c.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "proto.h"
#include "frame.h"
#include "log.h"
#include "util.h"

#define PAYLOAD_MAX	(FRAME_MAX - FRAME_HDR_SIZE)

/* Descriptors 0 .. FD_SCAN-1 are checked for leaks. */
#define FD_SCAN		256

/* Frames queued to overflow a socket in the non-blocking tests. */
#define FLOOD		2000

struct fdset {
	char	open[FD_SCAN];
};

static void
seqpair(int sv[2])
{
	ATF_REQUIRE_MSG(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0,
	    "socketpair: %s", strerror(errno));
}

static void
nonblock(int fd)
{
	int	fl;

	ATF_REQUIRE((fl = fcntl(fd, F_GETFL)) != -1);
	ATF_REQUIRE(fcntl(fd, F_SETFL, fl | O_NONBLOCK) != -1);
}

static int
fd_is_open(int fd)
{
	return (fcntl(fd, F_GETFD) != -1);
}

static void
fd_snapshot(struct fdset *s)
{
	int	i;

	for (i = 0; i < FD_SCAN; i++)
		s->open[i] = fd_is_open(i);
}

/* Nothing was opened since the snapshot: a refused frame leaked no fd. */
static void
fd_require_no_leak(const struct fdset *before, const char *what)
{
	int	i;

	for (i = 0; i < FD_SCAN; i++)
		ATF_REQUIRE_MSG(before->open[i] || !fd_is_open(i),
		    "%s: fd %d leaked", what, i);
}

/* One datagram exactly as given, with fds attached when nfds > 0. */
static void
raw_send(int s, const void *buf, size_t len, const int *fds, int nfds)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 16)];
	} cbuf;
	ssize_t		 n;

	ATF_REQUIRE(nfds >= 0 && nfds <= 16);
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfds > 0) {
		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
	}
	n = sendmsg(s, &msg, 0);
	ATF_REQUIRE_MSG(n == (ssize_t)len, "sendmsg %zu bytes, %d fds: %s",
	    len, nfds, n == -1 ? strerror(errno) : "short");
}

/* A header followed by plen payload bytes of 'x', as raw bytes. */
static size_t
raw_frame(unsigned char *buf, uint32_t type, uint32_t len, uint32_t flags,
    size_t plen)
{
	struct frame_hdr	hdr;

	hdr.type = type;
	hdr.len = len;
	hdr.peerid = 7;
	hdr.flags = flags;
	memcpy(buf, &hdr, sizeof(hdr));
	memset(buf + sizeof(hdr), 'x', plen);
	return (sizeof(hdr) + plen);
}

/*
 * The frame is refused with EBADMSG, no fd it carried survives, and the
 * next well-formed frame still reads: datagrams keep the reader in step.
 */
static void
require_refused(struct chan *ib, int s, const struct fdset *before,
    const char *what)
{
	struct frame	fr;
	int		n;

	errno = 0;
	n = chan_read(ib, &fr);
	ATF_REQUIRE_MSG(n == -1 && errno == EBADMSG,
	    "%s: chan_read %d, errno %s, want -1 EBADMSG", what, n,
	    strerror(errno));
	ATF_REQUIRE_MSG(fr.fd == -1, "%s: fr.fd %d", what, fr.fd);
	fd_require_no_leak(before, what);

	raw_send(s, "\x2a\0\0\0\x10\0\0\0\0\0\0\0\0\0\0\0", 16, NULL, 0);
	n = chan_read(ib, &fr);
	ATF_REQUIRE_MSG(n == 1 && fr.hdr.type == 42,
	    "%s: frame after it: %d type %u", what, n, fr.hdr.type);
}

ATF_TC_WITHOUT_HEAD(frame__roundtrip);
ATF_TC_BODY(frame__roundtrip, tc)
{
	struct chan	 a, b;
	struct frame	 fr;
	const char	*payload[] = { "one", "two two", "three three three" };
	int		 sv[2], i;

	seqpair(sv);
	chan_init(&a, sv[0]);
	chan_init(&b, sv[1]);
	for (i = 0; i < 3; i++)
		ATF_REQUIRE(chan_queue(&a, 100 + i, 1000 + i, -1,
		    payload[i], strlen(payload[i]) + 1) == 0);
	ATF_REQUIRE_MSG(a.queued == 3, "queued %zu", a.queued);
	ATF_REQUIRE(chan_flush(&a) == 0);
	ATF_REQUIRE_MSG(a.queued == 0, "queued %zu after flush", a.queued);
	for (i = 0; i < 3; i++) {
		ATF_REQUIRE_MSG(chan_read(&b, &fr) == 1, "frame %d", i);
		ATF_REQUIRE_MSG(fr.hdr.type == (uint32_t)(100 + i) &&
		    fr.hdr.peerid == (uint32_t)(1000 + i) &&
		    fr.hdr.flags == 0 &&
		    fr.hdr.len == FRAME_HDR_SIZE + fr.datalen,
		    "frame %d: type %u peerid %u flags %u len %u", i,
		    fr.hdr.type, fr.hdr.peerid, fr.hdr.flags,
		    fr.hdr.len);
		ATF_REQUIRE_MSG(fr.datalen == strlen(payload[i]) + 1 &&
		    memcmp(fr.data, payload[i], fr.datalen) == 0,
		    "frame %d: payload \"%s\", %zu bytes", i, payload[i],
		    fr.datalen);
		ATF_REQUIRE(fr.fd == -1);
	}
	chan_clear(&a);
	chan_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

ATF_TC_WITHOUT_HEAD(frame__zero_length);
ATF_TC_BODY(frame__zero_length, tc)
{
	struct chan	a, b;
	struct frame	fr;
	char		c;
	int		sv[2];

	seqpair(sv);
	chan_init(&a, sv[0]);
	chan_init(&b, sv[1]);
	ATF_REQUIRE(chan_queue(&a, 5, 6, -1, NULL, 0) == 0);
	ATF_REQUIRE(chan_flush(&a) == 0);
	ATF_REQUIRE(chan_read(&b, &fr) == 1);
	ATF_REQUIRE_MSG(fr.hdr.type == 5 && fr.hdr.peerid == 6 &&
	    fr.hdr.len == FRAME_HDR_SIZE,
	    "type %u peerid %u len %u", fr.hdr.type, fr.hdr.peerid,
	    fr.hdr.len);
	ATF_REQUIRE_MSG(fr.datalen == 0 && fr.data == NULL,
	    "datalen %zu data %p", fr.datalen, fr.data);
	ATF_REQUIRE(frame_get(&fr, NULL, 0) == 0);
	errno = 0;
	ATF_REQUIRE_MSG(frame_get(&fr, &c, 1) == -1 &&
	    errno == EBADMSG, "1 byte from an empty frame accepted");
	chan_clear(&a);
	chan_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

ATF_TC_WITHOUT_HEAD(frame__max_payload);
ATF_TC_BODY(frame__max_payload, tc)
{
	struct chan	 a, b;
	struct frame	 fr;
	unsigned char	*p;
	size_t		 i;
	int		 sv[2];

	ATF_REQUIRE((p = malloc(PAYLOAD_MAX + 1)) != NULL);
	for (i = 0; i < PAYLOAD_MAX + 1; i++)
		p[i] = (unsigned char)(i * 7 + 3);
	seqpair(sv);
	chan_init(&a, sv[0]);
	chan_init(&b, sv[1]);

	ATF_REQUIRE_MSG(chan_queue(&a, 1, 2, -1, p, PAYLOAD_MAX) == 0,
	    "%zu bytes refused", (size_t)PAYLOAD_MAX);
	errno = 0;
	ATF_REQUIRE_MSG(chan_queue(&a, 1, 2, -1, p, PAYLOAD_MAX + 1) == -1 &&
	    errno == ERANGE, "%zu bytes accepted", (size_t)PAYLOAD_MAX + 1);
	errno = 0;
	ATF_REQUIRE_MSG(chan_queue(&a, 1, 2, -1, NULL, 1) == -1 &&
	    errno == ERANGE, "NULL data with length 1 accepted");
	ATF_REQUIRE_MSG(a.queued == 1, "queued %zu", a.queued);

	ATF_REQUIRE(chan_flush(&a) == 0);
	ATF_REQUIRE(chan_read(&b, &fr) == 1);
	ATF_REQUIRE_MSG(fr.datalen == PAYLOAD_MAX &&
	    fr.hdr.len == FRAME_MAX, "datalen %zu len %u",
	    fr.datalen, fr.hdr.len);
	ATF_REQUIRE(memcmp(fr.data, p, PAYLOAD_MAX) == 0);
	free(p);
	chan_clear(&a);
	chan_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

ATF_TC_WITHOUT_HEAD(frame__short_datagram);
ATF_TC_BODY(frame__short_datagram, tc)
{
	struct chan	b;
	struct fdset	before;
	size_t		len;
	int		sv[2];
	char		what[64];

	seqpair(sv);
	chan_init(&b, sv[1]);
	fd_snapshot(&before);
	for (len = 1; len < FRAME_HDR_SIZE; len++) {
		raw_send(sv[0], "0123456789abcdef", len, NULL, 0);
		snprintf(what, sizeof(what), "%zu-byte datagram", len);
		require_refused(&b, sv[0], &before, what);
	}
	chan_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

ATF_TC_WITHOUT_HEAD(frame__oversize_datagram);
ATF_TC_BODY(frame__oversize_datagram, tc)
{
	struct chan	 b;
	struct fdset	 before;
	unsigned char	*buf;
	size_t		 n;
	int		 sv[2], p[2];

	ATF_REQUIRE((buf = malloc(FRAME_MAX + 1)) != NULL);
	seqpair(sv);
	chan_init(&b, sv[1]);
	chan_allow_fd(&b);
	fd_snapshot(&before);
	n = raw_frame(buf, 1, FRAME_MAX + 1, 0, PAYLOAD_MAX + 1);
	raw_send(sv[0], buf, n, NULL, 0);
	require_refused(&b, sv[0], &before, "FRAME_MAX + 1 datagram");

	/* Cut to FRAME_MAX, it would agree with this header. */
	n = raw_frame(buf, 1, FRAME_MAX, 0, PAYLOAD_MAX + 1);
	raw_send(sv[0], buf, n, NULL, 0);
	require_refused(&b, sv[0], &before,
	    "FRAME_MAX + 1 datagram, header says FRAME_MAX");

	/* Truncated, the fd it carried must not stay behind. */
	ATF_REQUIRE(pipe(p) == 0);
	n = raw_frame(buf, 1, FRAME_MAX + 1, FRAME_HASFD, PAYLOAD_MAX + 1);
	raw_send(sv[0], buf, n, &p[0], 1);
	close(p[0]);
	close(p[1]);
	/* After the closes: a leaked fd would reuse their numbers. */
	fd_snapshot(&before);
	require_refused(&b, sv[0], &before, "oversize datagram with an fd");
	free(buf);
	chan_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

ATF_TC_WITHOUT_HEAD(frame__len_mismatch);
ATF_TC_BODY(frame__len_mismatch, tc)
{
	struct chan	b;
	struct fdset	before;
	unsigned char	buf[64];
	const uint32_t	lens[] = { 0, 15, 16, 23, 25, 64, FRAME_MAX,
			    UINT32_MAX };
	size_t		i, n;
	int		sv[2];
	char		what[64];

	seqpair(sv);
	chan_init(&b, sv[1]);
	fd_snapshot(&before);
	/* The datagram is 24 bytes; its header says otherwise. */
	for (i = 0; i < nitems(lens); i++) {
		n = raw_frame(buf, 1, lens[i], 0, 8);
		raw_send(sv[0], buf, n, NULL, 0);
		snprintf(what, sizeof(what), "len %u for 24 bytes", lens[i]);
		require_refused(&b, sv[0], &before, what);
	}
	chan_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

ATF_TC_WITHOUT_HEAD(frame__unknown_flags);
ATF_TC_BODY(frame__unknown_flags, tc)
{
	struct chan	b;
	struct fdset	before;
	unsigned char	buf[64];
	const uint32_t	flags[] = { 0x2, 0x4, 0x80000000, 0xfffffffe };
	size_t		i, n;
	int		sv[2];
	char		what[64];

	seqpair(sv);
	chan_init(&b, sv[1]);
	chan_allow_fd(&b);
	fd_snapshot(&before);
	for (i = 0; i < nitems(flags); i++) {
		n = raw_frame(buf, 1, 20, flags[i], 4);
		raw_send(sv[0], buf, n, NULL, 0);
		snprintf(what, sizeof(what), "flags %#x", flags[i]);
		require_refused(&b, sv[0], &before, what);
	}
	chan_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

ATF_TC_WITHOUT_HEAD(frame__hasfd_without_fd);
ATF_TC_BODY(frame__hasfd_without_fd, tc)
{
	struct chan	b;
	struct fdset	before;
	unsigned char	buf[64];
	size_t		n;
	int		sv[2];

	seqpair(sv);
	chan_init(&b, sv[1]);
	chan_allow_fd(&b);
	fd_snapshot(&before);
	n = raw_frame(buf, 1, 20, FRAME_HASFD, 4);
	raw_send(sv[0], buf, n, NULL, 0);
	require_refused(&b, sv[0], &before, "FRAME_HASFD, no fd");
	chan_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

ATF_TC_WITHOUT_HEAD(frame__fd_without_flag);
ATF_TC_BODY(frame__fd_without_flag, tc)
{
	struct chan	b;
	struct fdset	before;
	unsigned char	buf[64];
	size_t		n;
	int		sv[2], p[2];

	seqpair(sv);
	chan_init(&b, sv[1]);
	chan_allow_fd(&b);
	ATF_REQUIRE(pipe(p) == 0);
	fd_snapshot(&before);
	n = raw_frame(buf, 1, 20, 0, 4);
	raw_send(sv[0], buf, n, &p[0], 1);
	require_refused(&b, sv[0], &before, "fd without FRAME_HASFD");
	close(p[0]);
	close(p[1]);
	chan_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

ATF_TC_WITHOUT_HEAD(frame__fd_not_allowed);
ATF_TC_BODY(frame__fd_not_allowed, tc)
{
	struct chan	a, b;
	struct fdset	before;
	int		sv[2], p[2];

	seqpair(sv);
	chan_init(&a, sv[0]);
	chan_init(&b, sv[1]);
	ATF_REQUIRE(pipe(p) == 0);
	close(p[0]);
	/* Taken before the frame leaves, so p[1] counts as closed. */
	ATF_REQUIRE(chan_queue(&a, 1, 2, p[1], "x", 1) == 0);
	ATF_REQUIRE(chan_flush(&a) == 0);
	ATF_REQUIRE_MSG(!fd_is_open(p[1]), "sent fd %d not closed", p[1]);
	fd_snapshot(&before);
	require_refused(&b, sv[0], &before, "fd to a reader without fdpass");
	chan_clear(&a);
	chan_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

ATF_TC_WITHOUT_HEAD(frame__many_fds);
ATF_TC_BODY(frame__many_fds, tc)
{
	struct chan	b;
	struct fdset	before;
	unsigned char	buf[64];
	const int	counts[] = { 2, 8, 9, 16 };
	int		fds[16], sv[2], p[2];
	size_t		i, n;
	int		k;
	char		what[64];

	seqpair(sv);
	chan_init(&b, sv[1]);
	chan_allow_fd(&b);
	ATF_REQUIRE(pipe(p) == 0);
	for (k = 0; k < 16; k++)
		fds[k] = p[k % 2];
	fd_snapshot(&before);
	for (i = 0; i < nitems(counts); i++) {
		n = raw_frame(buf, 1, 20, FRAME_HASFD, 4);
		raw_send(sv[0], buf, n, fds, counts[i]);
		snprintf(what, sizeof(what), "%d fds in one frame", counts[i]);
		require_refused(&b, sv[0], &before, what);
	}
	close(p[0]);
	close(p[1]);
	chan_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

ATF_TC_WITHOUT_HEAD(frame__fd_passing);
ATF_TC_BODY(frame__fd_passing, tc)
{
	struct chan	a, b;
	struct frame	fr;
	char		got[8];
	int		sv[2], p[2], fd, flags;

	seqpair(sv);
	chan_init(&a, sv[0]);
	chan_init(&b, sv[1]);
	chan_allow_fd(&b);
	ATF_REQUIRE(pipe(p) == 0);
	ATF_REQUIRE(chan_queue(&a, 9, 10, p[1], "w", 1) == 0);
	ATF_REQUIRE(chan_flush(&a) == 0);
	ATF_REQUIRE_MSG(!fd_is_open(p[1]),
	    "fd %d still open after it was sent", p[1]);

	ATF_REQUIRE(chan_read(&b, &fr) == 1);
	ATF_REQUIRE_MSG(fr.hdr.flags == FRAME_HASFD && fr.fd >= 0,
	    "flags %#x fd %d", fr.hdr.flags, fr.fd);
	ATF_REQUIRE((flags = fcntl(fr.fd, F_GETFD)) != -1);
	ATF_REQUIRE_MSG(flags & FD_CLOEXEC, "received fd without FD_CLOEXEC");
	ATF_REQUIRE_MSG(write(fr.fd, "hello", 5) == 5,
	    "write to passed fd: %s", strerror(errno));
	memset(got, 0, sizeof(got));
	ATF_REQUIRE(read(p[0], got, sizeof(got)) == 5);
	ATF_REQUIRE_MSG(memcmp(got, "hello", 5) == 0, "read \"%s\"", got);

	fd = fr.fd;
	frame_done(&fr);
	ATF_REQUIRE_MSG(fr.fd == -1 && !fd_is_open(fd),
	    "frame_done left fd %d open", fd);
	/* The write end is gone everywhere: the pipe reads EOF. */
	ATF_REQUIRE(read(p[0], got, sizeof(got)) == 0);
	close(p[0]);
	chan_clear(&a);
	chan_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

ATF_TC_WITHOUT_HEAD(frame__clear_closes_queued_fd);
ATF_TC_BODY(frame__clear_closes_queued_fd, tc)
{
	struct chan	a;
	int		sv[2], p[2];

	seqpair(sv);
	chan_init(&a, sv[0]);
	ATF_REQUIRE(pipe(p) == 0);
	ATF_REQUIRE(chan_queue(&a, 1, 0, p[1], NULL, 0) == 0);
	ATF_REQUIRE(fd_is_open(p[1]));
	chan_clear(&a);
	ATF_REQUIRE_MSG(!fd_is_open(p[1]), "queued fd %d not closed", p[1]);
	ATF_REQUIRE(a.queued == 0);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}

ATF_TC_WITHOUT_HEAD(frame__eof);
ATF_TC_BODY(frame__eof, tc)
{
	struct chan	a, b;
	struct frame	fr;
	int		sv[2];

	seqpair(sv);
	chan_init(&a, sv[0]);
	chan_init(&b, sv[1]);
	ATF_REQUIRE(chan_queue(&a, 1, 0, -1, "last", 4) == 0);
	ATF_REQUIRE(chan_flush(&a) == 0);
	chan_clear(&a);
	close(sv[0]);
	/* What was sent before the close still arrives, then EOF. */
	ATF_REQUIRE(chan_read(&b, &fr) == 1);
	ATF_REQUIRE(b.eof == 0);
	ATF_REQUIRE_MSG(chan_read(&b, &fr) == 0, "no EOF after close");
	ATF_REQUIRE(b.eof == 1);
	chan_clear(&b);
	close(sv[1]);
}

ATF_TC_WITHOUT_HEAD(frame__eagain);
ATF_TC_BODY(frame__eagain, tc)
{
	struct chan	b;
	struct frame	fr;
	int		sv[2], n;

	seqpair(sv);
	nonblock(sv[1]);
	chan_init(&b, sv[1]);
	errno = 0;
	n = chan_read(&b, &fr);
	ATF_REQUIRE_MSG(n == -1 && errno == EAGAIN,
	    "empty non-blocking read: %d, %s", n, strerror(errno));
	ATF_REQUIRE(b.eof == 0);
	chan_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

/* A full socket is not an error: frames wait in the queue. */
ATF_TC_WITHOUT_HEAD(frame__write_full_socket);
ATF_TC_BODY(frame__write_full_socket, tc)
{
	struct chan	a, b;
	struct frame	fr;
	uint32_t	i, next = 0;
	int		sv[2], n;

	seqpair(sv);
	nonblock(sv[0]);
	nonblock(sv[1]);
	chan_init(&a, sv[0]);
	chan_init(&b, sv[1]);
	for (i = 0; i < FLOOD; i++)
		ATF_REQUIRE(chan_queue(&a, 1, i, -1, &i, sizeof(i)) == 0);
	ATF_REQUIRE(chan_write(&a) == 0);
	ATF_REQUIRE_MSG(a.queued > 0 && a.queued < FLOOD,
	    "%zu of %d frames still queued", a.queued, FLOOD);
	while (next < FLOOD) {
		n = chan_read(&b, &fr);
		if (n == -1 && errno == EAGAIN) {
			ATF_REQUIRE(chan_write(&a) == 0);
			continue;
		}
		ATF_REQUIRE_MSG(n == 1, "read %d: %s", n, strerror(errno));
		ATF_REQUIRE_MSG(fr.hdr.peerid == next,
		    "frame %u arrived as %u", next, fr.hdr.peerid);
		next++;
	}
	ATF_REQUIRE(a.queued == 0);
	chan_clear(&a);
	chan_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

/* chan_flush on a non-blocking socket waits for a slow reader. */
ATF_TC_WITHOUT_HEAD(frame__flush_waits);
ATF_TC_BODY(frame__flush_waits, tc)
{
	struct chan	a, b;
	struct frame	fr;
	uint32_t	i;
	pid_t		pid;
	int		sv[2], status;

	seqpair(sv);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		close(sv[0]);
		chan_init(&b, sv[1]);
		usleep(100000);
		for (i = 0; i < FLOOD; i++)
			if (chan_read(&b, &fr) != 1 ||
			    fr.hdr.peerid != i)
				_exit(2);
		_exit(0);
	}
	close(sv[1]);
	nonblock(sv[0]);
	chan_init(&a, sv[0]);
	for (i = 0; i < FLOOD; i++)
		ATF_REQUIRE(chan_queue(&a, 1, i, -1, &i, sizeof(i)) == 0);
	ATF_REQUIRE_MSG(chan_flush(&a) == 0, "flush: %s",
	    strerror(errno));
	ATF_REQUIRE(a.queued == 0);
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_REQUIRE_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "reader saw frames out of order or missing (status %#x)",
	    status);
	chan_clear(&a);
	close(sv[0]);
}

ATF_TC_WITHOUT_HEAD(frame__write_epipe);
ATF_TC_BODY(frame__write_epipe, tc)
{
	struct chan	a;
	int		sv[2], n;

	/* The default action, whatever we inherited: SIGPIPE kills. */
	ATF_REQUIRE(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
	seqpair(sv);
	chan_init(&a, sv[0]);
	close(sv[1]);
	ATF_REQUIRE(chan_queue(&a, 1, 0, -1, "x", 1) == 0);
	/* MSG_NOSIGNAL: an error, not a SIGPIPE that kills us. */
	errno = 0;
	n = chan_write(&a);
	ATF_REQUIRE_MSG(n == -1 && errno == EPIPE, "write to closed peer: "
	    "%d, %s", n, strerror(errno));
	ATF_REQUIRE(a.queued == 1);
	chan_clear(&a);
	close(sv[0]);
}

ATF_TC_WITHOUT_HEAD(frame__get_data_exact);
ATF_TC_BODY(frame__get_data_exact, tc)
{
	struct chan	a, b;
	struct frame	fr;
	struct {
		uint32_t	x;
		uint64_t	y;
	} in, out;
	unsigned char	big[sizeof(in) + 1];
	int		sv[2];

	memset(&in, 0, sizeof(in));
	in.x = 0xdeadbeef;
	in.y = 0x0123456789abcdefULL;
	seqpair(sv);
	chan_init(&a, sv[0]);
	chan_init(&b, sv[1]);
	ATF_REQUIRE(chan_queue(&a, 1, 0, -1, &in, sizeof(in)) == 0);
	ATF_REQUIRE(chan_flush(&a) == 0);
	ATF_REQUIRE(chan_read(&b, &fr) == 1);

	errno = 0;
	ATF_REQUIRE_MSG(frame_get(&fr, &out, sizeof(out) - 1) == -1 &&
	    errno == EBADMSG, "%zu bytes read as %zu", sizeof(in),
	    sizeof(out) - 1);
	errno = 0;
	ATF_REQUIRE_MSG(frame_get(&fr, big, sizeof(big)) == -1 &&
	    errno == EBADMSG, "%zu bytes read as %zu", sizeof(in),
	    sizeof(big));
	memset(&out, 0, sizeof(out));
	ATF_REQUIRE(frame_get(&fr, &out, sizeof(out)) == 0);
	ATF_REQUIRE(out.x == in.x && out.y == in.y);
	chan_clear(&a);
	chan_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

/*
 * A zero-length datagram carrying an fd: recvmsg returns 0 with the fd
 * installed.  It must be refused like any datagram shorter than the
 * header, and the fd closed.
 */
ATF_TC_WITHOUT_HEAD(frame__empty_datagram_with_fd);
ATF_TC_BODY(frame__empty_datagram_with_fd, tc)
{
	struct chan	b;
	struct frame	fr;
	struct fdset	before;
	int		sv[2], p[2], n, saved_errno;

	seqpair(sv);
	chan_init(&b, sv[1]);
	ATF_REQUIRE(pipe(p) == 0);
	raw_send(sv[0], "", 0, &p[0], 1);
	close(p[0]);
	close(p[1]);
	fd_snapshot(&before);
	errno = 0;
	n = chan_read(&b, &fr);
	saved_errno = errno;
	fd_require_no_leak(&before, "empty datagram with an fd");
	ATF_REQUIRE_MSG(n == -1 && saved_errno == EBADMSG,
	    "empty datagram with an fd: %d, %s", n, strerror(saved_errno));
	chan_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, frame__roundtrip);
	ATF_TP_ADD_TC(tp, frame__zero_length);
	ATF_TP_ADD_TC(tp, frame__max_payload);
	ATF_TP_ADD_TC(tp, frame__short_datagram);
	ATF_TP_ADD_TC(tp, frame__oversize_datagram);
	ATF_TP_ADD_TC(tp, frame__len_mismatch);
	ATF_TP_ADD_TC(tp, frame__unknown_flags);
	ATF_TP_ADD_TC(tp, frame__hasfd_without_fd);
	ATF_TP_ADD_TC(tp, frame__fd_without_flag);
	ATF_TP_ADD_TC(tp, frame__fd_not_allowed);
	ATF_TP_ADD_TC(tp, frame__many_fds);
	ATF_TP_ADD_TC(tp, frame__fd_passing);
	ATF_TP_ADD_TC(tp, frame__clear_closes_queued_fd);
	ATF_TP_ADD_TC(tp, frame__eof);
	ATF_TP_ADD_TC(tp, frame__eagain);
	ATF_TP_ADD_TC(tp, frame__write_full_socket);
	ATF_TP_ADD_TC(tp, frame__flush_waits);
	ATF_TP_ADD_TC(tp, frame__write_epipe);
	ATF_TP_ADD_TC(tp, frame__get_data_exact);
	ATF_TP_ADD_TC(tp, frame__empty_datagram_with_fd);
	return (atf_no_error());
}
