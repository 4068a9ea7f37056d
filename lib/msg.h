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

#ifndef POP3D_MSG_H
#define POP3D_MSG_H

/*
 * Variable payloads, packed field by field.  Every getter kills the
 * process (through m_error) on a short, long or unterminated field: a
 * malformed frame from an internal peer means that peer is not ours.
 * The one exception is a peer that is less trusted than we are and
 * whose death must not take us along (pop3d-auth reading a session):
 * m_read_soft() makes errors stick in r->failed, getters then yield
 * zeroes and "", and m_end() returns -1.
 */

#include <stdint.h>

#include "params.h"
#include "frame.h"

struct mbuf {
	size_t		len;
	unsigned char	buf[FRAME_MAX - FRAME_HDR_SIZE];
};

struct mreader {
	const unsigned char	*p;
	size_t			 left;
	uint32_t		 type;
	const char		*who;	/* the peer, for the fatal message */
	int			 soft;	/* m_read_soft(): fail, don't die */
	int			 failed;
};

void	m_init(struct mbuf *);
void	m_add_u32(struct mbuf *, uint32_t);
void	m_add_u64(struct mbuf *, uint64_t);
void	m_add_string(struct mbuf *, const char *);
void	m_add_data(struct mbuf *, const void *, size_t);
void	m_compose(struct chan *, uint32_t, uint32_t, int, struct mbuf *);
void	m_wipe(struct mbuf *);

void	m_read(struct mreader *, struct frame *, const char *);
void	m_read_soft(struct mreader *, struct frame *, const char *);
void	m_get_u32(struct mreader *, uint32_t *);
void	m_get_u64(struct mreader *, uint64_t *);
void	m_get_string(struct mreader *, const char **, size_t);
void	m_get_data(struct mreader *, void *, size_t);
int	m_end(struct mreader *);
void	m_error(struct mreader *, const char *);

#endif /* POP3D_MSG_H */
