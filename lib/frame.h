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

#ifndef POP3D_FRAME_H
#define POP3D_FRAME_H

/*
 * pop3d's own frame layer.  A channel (struct chan) is one end of an
 * AF_UNIX SOCK_SEQPACKET socketpair, and each frame is one datagram on
 * it: a fixed header, then at most FRAME_MAX - header bytes of payload,
 * and at most one file descriptor.  The datagram boundary makes a
 * frame arrive whole or not at all, so the fd travels with exactly its
 * own frame.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>

struct frame_hdr {
	uint32_t	type;
	uint32_t	len;		/* header included */
	uint32_t	peerid;		/* session id, or PROTO_VERSION */
	uint32_t	flags;
};
#define FRAME_HDR_SIZE		sizeof(struct frame_hdr)
#define FRAME_HASFD		0x1

struct frame {
	struct frame_hdr	 hdr;
	int		 fd;		/* -1 unless the frame carried one */
	void		*data;		/* points into the channel */
	size_t		 datalen;
};

struct frame_out {
	TAILQ_ENTRY(frame_out)	 entry;
	int			 fd;	/* closed once sent */
	size_t			 len;
	unsigned char		 buf[];
};

struct chan {
	int			 fd;
	int			 allow_fdpass;
	int			 eof;
	size_t			 queued;	/* frames waiting to be sent */
	TAILQ_HEAD(, frame_out)	 out;
	unsigned char		*in;		/* FRAME_MAX bytes */
};

void	chan_init(struct chan *, int);
void	chan_allow_fd(struct chan *);
void	chan_clear(struct chan *);
int	chan_queue(struct chan *, uint32_t, uint32_t, int,
	    const void *, size_t);
int	chan_write(struct chan *);
int	chan_flush(struct chan *);
int	chan_read(struct chan *, struct frame *);
int	frame_get(struct frame *, void *, size_t);
void	frame_done(struct frame *);

#endif /* POP3D_FRAME_H */
