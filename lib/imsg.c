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
#include "imsg.h"

void
imsgbuf_init(struct imsgbuf *ibuf, int fd)
{
	memset(ibuf, 0, sizeof(*ibuf));
	ibuf->fd = fd;
	TAILQ_INIT(&ibuf->out);
	if ((ibuf->in = malloc(MAX_IMSGSIZE)) == NULL)
		abort();
}

/* Without this, a frame that carries an fd is refused. */
void
imsgbuf_allow_fdpass(struct imsgbuf *ibuf)
{
	ibuf->allow_fdpass = 1;
}

void
imsgbuf_clear(struct imsgbuf *ibuf)
{
	struct imsg_out	*o;

	while ((o = TAILQ_FIRST(&ibuf->out)) != NULL) {
		TAILQ_REMOVE(&ibuf->out, o, entry);
		if (o->fd != -1)
			close(o->fd);
		freezero(o, sizeof(*o) + o->len);
	}
	ibuf->queued = 0;
	freezero(ibuf->in, MAX_IMSGSIZE);
	ibuf->in = NULL;
}

/*
 * Queue one frame.  The fd, if any, is owned by the queue from here on
 * and closed once sent.  A payload over the cap is a caller bug.
 */
int
imsg_compose(struct imsgbuf *ibuf, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t datalen)
{
	struct imsg_out	*o;
	struct imsg_hdr	 hdr;

	if (datalen > MAX_IMSGSIZE - IMSG_HEADER_SIZE ||
	    (datalen > 0 && data == NULL)) {
		errno = ERANGE;
		return (-1);
	}
	if ((o = malloc(sizeof(*o) + IMSG_HEADER_SIZE + datalen)) == NULL)
		return (-1);
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = IMSG_HEADER_SIZE + datalen;
	hdr.peerid = peerid;
	hdr.flags = fd == -1 ? 0 : IMSGF_HASFD;
	o->fd = fd;
	o->len = hdr.len;
	memcpy(o->buf, &hdr, sizeof(hdr));
	if (datalen > 0)
		memcpy(o->buf + IMSG_HEADER_SIZE, data, datalen);
	TAILQ_INSERT_TAIL(&ibuf->out, o, entry);
	ibuf->queued++;
	return (0);
}

static int
imsg_send_one(struct imsgbuf *ibuf, struct imsg_out *o)
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
		n = sendmsg(ibuf->fd, &msg, MSG_NOSIGNAL);
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
imsgbuf_write(struct imsgbuf *ibuf)
{
	struct imsg_out	*o;

	while ((o = TAILQ_FIRST(&ibuf->out)) != NULL) {
		if (imsg_send_one(ibuf, o) == -1)
			return ((errno == EAGAIN || errno == EWOULDBLOCK) ?
			    0 : -1);
		TAILQ_REMOVE(&ibuf->out, o, entry);
		ibuf->queued--;
		if (o->fd != -1)
			close(o->fd);
		freezero(o, sizeof(*o) + o->len);
	}
	return (0);
}

/* Send everything, waiting for room if the socket is non-blocking. */
int
imsgbuf_flush(struct imsgbuf *ibuf)
{
	struct pollfd	 pfd;

	while (ibuf->queued > 0) {
		if (imsgbuf_write(ibuf) == -1)
			return (-1);
		if (ibuf->queued == 0)
			break;
		pfd.fd = ibuf->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			return (-1);
	}
	return (0);
}

static int
imsg_take_fd(struct msghdr *msg, int *fd)
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
 * Read one frame.  Returns 1 with *imsg filled, 0 on end of file, -1 on
 * error: EAGAIN when nothing is waiting on a non-blocking socket,
 * EBADMSG for a malformed frame (which the caller treats as fatal for an
 * internal peer).  imsg->data stays valid until the next imsg_read().
 */
int
imsg_read(struct imsgbuf *ibuf, struct imsg *imsg)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 8)];
	} cmsgbuf;
	ssize_t		 n;
	int		 fd;

	memset(imsg, 0, sizeof(*imsg));
	imsg->fd = -1;
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = ibuf->in;
	iov.iov_len = MAX_IMSGSIZE;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = &cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);
	do {
		n = recvmsg(ibuf->fd, &msg, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return (-1);
	if (imsg_take_fd(&msg, &fd) == -1)
		goto bad;
	/* An empty datagram that smuggles an fd is no end of file. */
	if (n == 0 && fd == -1) {
		ibuf->eof = 1;
		return (0);
	}
	if (fd != -1 && !ibuf->allow_fdpass) {
		close(fd);
		goto bad;
	}
	if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    (size_t)n < IMSG_HEADER_SIZE)
		goto badfd;
	memcpy(&imsg->hdr, ibuf->in, IMSG_HEADER_SIZE);
	if (imsg->hdr.len != (size_t)n ||
	    (imsg->hdr.flags & ~IMSGF_HASFD) != 0 ||
	    ((imsg->hdr.flags & IMSGF_HASFD) != 0) != (fd != -1))
		goto badfd;
	imsg->fd = fd;
	imsg->datalen = n - IMSG_HEADER_SIZE;
	imsg->data = imsg->datalen ? ibuf->in + IMSG_HEADER_SIZE : NULL;
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
imsg_get_data(struct imsg *imsg, void *data, size_t len)
{
	if (imsg->datalen != len) {
		errno = EBADMSG;
		return (-1);
	}
	if (len > 0)
		memcpy(data, imsg->data, len);
	return (0);
}

/* Close an fd that the frame carried and nobody took. */
void
imsg_free(struct imsg *imsg)
{
	if (imsg->fd != -1) {
		close(imsg->fd);
		imsg->fd = -1;
	}
}
