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

#ifndef POP3D_IMSG_H
#define POP3D_IMSG_H

/*
 * pop3d's own message layer, in the spirit of OpenBSD's imsg API.  Each
 * frame is one datagram on an AF_UNIX SOCK_SEQPACKET socketpair: a fixed
 * header, then at most MAX_IMSGSIZE - header bytes of payload, and at
 * most one file descriptor.  The datagram boundary makes a frame arrive
 * whole or not at all, so the fd travels with exactly its own frame.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>

struct imsg_hdr {
	uint32_t	type;
	uint32_t	len;		/* header included */
	uint32_t	peerid;		/* session id, or IMSG_VERSION */
	uint32_t	flags;
};
#define IMSG_HEADER_SIZE	sizeof(struct imsg_hdr)
#define IMSGF_HASFD		0x1

struct imsg {
	struct imsg_hdr	 hdr;
	int		 fd;		/* -1 unless the frame carried one */
	void		*data;		/* points into the imsgbuf */
	size_t		 datalen;
};

struct imsg_out {
	TAILQ_ENTRY(imsg_out)	 entry;
	int			 fd;	/* closed once sent */
	size_t			 len;
	unsigned char		 buf[];
};

struct imsgbuf {
	int			 fd;
	int			 allow_fdpass;
	int			 eof;
	size_t			 queued;	/* frames waiting to be sent */
	TAILQ_HEAD(, imsg_out)	 out;
	unsigned char		*in;		/* MAX_IMSGSIZE bytes */
};

void	imsgbuf_init(struct imsgbuf *, int);
void	imsgbuf_allow_fdpass(struct imsgbuf *);
void	imsgbuf_clear(struct imsgbuf *);
int	imsg_compose(struct imsgbuf *, uint32_t, uint32_t, int,
	    const void *, size_t);
int	imsgbuf_write(struct imsgbuf *);
int	imsgbuf_flush(struct imsgbuf *);
int	imsg_read(struct imsgbuf *, struct imsg *);
int	imsg_get_data(struct imsg *, void *, size_t);
void	imsg_free(struct imsg *);

#endif /* POP3D_IMSG_H */
