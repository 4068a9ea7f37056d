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
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "params.h"
#include "frame.h"

void
chan_init(struct chan *chan, int fd)
{
	memset(chan, 0, sizeof(*chan));
	chan->fd = fd;
	TAILQ_INIT(&chan->out);
	if ((chan->in = malloc(FRAME_MAX)) == NULL)
		abort();
}

/* Without this, a frame that carries an fd is refused. */
void
chan_allow_fd(struct chan *chan)
{
	chan->allow_fdpass = 1;
}

void
chan_clear(struct chan *chan)
{
	struct frame_out	*o;

	while ((o = TAILQ_FIRST(&chan->out)) != NULL) {
		TAILQ_REMOVE(&chan->out, o, entry);
		if (o->fd != -1)
			close(o->fd);
		freezero(o, sizeof(*o) + o->len);
	}
	chan->queued = 0;
	freezero(chan->in, FRAME_MAX);
	chan->in = NULL;
}

/*
 * Queue one frame.  The fd, if any, is owned by the queue from here on
 * and closed once sent.  A payload over the cap is a caller bug.
 */
int
chan_queue(struct chan *chan, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t datalen)
{
	struct frame_out	*o;
	struct frame_hdr	 hdr;

	if (datalen > FRAME_MAX - FRAME_HDR_SIZE ||
	    (datalen > 0 && data == NULL)) {
		errno = ERANGE;
		return (-1);
	}
	if ((o = malloc(sizeof(*o) + FRAME_HDR_SIZE + datalen)) == NULL)
		return (-1);
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = FRAME_HDR_SIZE + datalen;
	hdr.peerid = peerid;
	hdr.flags = fd == -1 ? 0 : FRAME_HASFD;
	o->fd = fd;
	o->len = hdr.len;
	memcpy(o->buf, &hdr, sizeof(hdr));
	if (datalen > 0)
		memcpy(o->buf + FRAME_HDR_SIZE, data, datalen);
	TAILQ_INSERT_TAIL(&chan->out, o, entry);
	chan->queued++;
	return (0);
}

static int
frame_send(struct chan *chan, struct frame_out *o)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	ssize_t		 n;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = o->buf;
	iov.iov_len = o->len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (o->fd != -1) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = &cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cmsg), &o->fd, sizeof(int));
	}
	do {
		n = sendmsg(chan->fd, &msg, MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return (-1);
	/* A seqpacket send is all or nothing. */
	if ((size_t)n != o->len) {
		errno = EPROTO;
		return (-1);
	}
	return (0);
}

/*
 * Send what the socket takes now.  Returns 0 when the queue is empty or
 * the socket is full (errno EAGAIN), -1 on a real error.
 */
int
chan_write(struct chan *chan)
{
	struct frame_out	*o;

	while ((o = TAILQ_FIRST(&chan->out)) != NULL) {
		if (frame_send(chan, o) == -1)
			return ((errno == EAGAIN || errno == EWOULDBLOCK) ?
			    0 : -1);
		TAILQ_REMOVE(&chan->out, o, entry);
		chan->queued--;
		if (o->fd != -1)
			close(o->fd);
		freezero(o, sizeof(*o) + o->len);
	}
	return (0);
}

/* Send everything, waiting for room if the socket is non-blocking. */
int
chan_flush(struct chan *chan)
{
	struct pollfd	 pfd;

	while (chan->queued > 0) {
		if (chan_write(chan) == -1)
			return (-1);
		if (chan->queued == 0)
			break;
		pfd.fd = chan->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			return (-1);
	}
	return (0);
}

static int
frame_take_fd(struct msghdr *msg, int *fd)
{
	struct cmsghdr	*cmsg;
	int		 i, n, fds[8];

	*fd = -1;
	for (cmsg = CMSG_FIRSTHDR(msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (n > (int)(sizeof(fds) / sizeof(fds[0])))
			n = sizeof(fds) / sizeof(fds[0]);
		memcpy(fds, CMSG_DATA(cmsg), n * sizeof(int));
		for (i = 0; i < n; i++) {
			if (*fd == -1)
				*fd = fds[i];
			else {
				/* More than one fd: keep none. */
				close(fds[i]);
				close(*fd);
				*fd = -2;
			}
		}
	}
	return (*fd == -2 ? -1 : 0);
}

/*
 * Read one frame.  Returns 1 with *fr filled, 0 on end of file, -1 on
 * error: EAGAIN when nothing is waiting on a non-blocking socket,
 * EBADMSG for a malformed frame (which the caller treats as fatal for an
 * internal peer).  fr->data stays valid until the next chan_read().
 */
int
chan_read(struct chan *chan, struct frame *fr)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 8)];
	} cmsgbuf;
	ssize_t		 n;
	int		 fd;

	memset(fr, 0, sizeof(*fr));
	fr->fd = -1;
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = chan->in;
	iov.iov_len = FRAME_MAX;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = &cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	do {
		n = recvmsg(chan->fd, &msg, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return (-1);
	if (frame_take_fd(&msg, &fd) == -1)
		goto bad;
	/* An empty datagram that smuggles an fd is no end of file. */
	if (n == 0 && fd == -1) {
		chan->eof = 1;
		return (0);
	}
	if (fd != -1 && !chan->allow_fdpass) {
		close(fd);
		goto bad;
	}
	if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    (size_t)n < FRAME_HDR_SIZE)
		goto badfd;
	memcpy(&fr->hdr, chan->in, FRAME_HDR_SIZE);
	if (fr->hdr.len != (size_t)n ||
	    (fr->hdr.flags & ~FRAME_HASFD) != 0 ||
	    ((fr->hdr.flags & FRAME_HASFD) != 0) != (fd != -1))
		goto badfd;
	fr->fd = fd;
	fr->datalen = n - FRAME_HDR_SIZE;
	fr->data = fr->datalen ? chan->in + FRAME_HDR_SIZE : NULL;
	return (1);
 badfd:
	if (fd != -1)
		close(fd);
 bad:
	errno = EBADMSG;
	return (-1);
}

/* Fixed-size payloads: anything but the exact size is refused. */
int
frame_get(struct frame *fr, void *data, size_t len)
{
	if (fr->datalen != len) {
		errno = EBADMSG;
		return (-1);
	}
	if (len > 0)
		memcpy(data, fr->data, len);
	return (0);
}

/* Close an fd that the frame carried and nobody took. */
void
frame_done(struct frame *fr)
{
	if (fr->fd != -1) {
		close(fr->fd);
		fr->fd = -1;
	}
}
