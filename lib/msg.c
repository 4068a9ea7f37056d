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

#include <stdint.h>
#include <string.h>

#include "proto.h"
#include "log.h"
#include "util.h"
#include "msg.h"

void
m_init(struct mbuf *m)
{
	m->len = 0;
}

static void
m_add(struct mbuf *m, const void *p, size_t len)
{
	if (len > sizeof(m->buf) - m->len)
		fatalx("%s: payload over %zu bytes", __func__,
		    sizeof(m->buf));
	memcpy(m->buf + m->len, p, len);
	m->len += len;
}

void
m_add_u32(struct mbuf *m, uint32_t v)
{
	m_add(m, &v, sizeof(v));
}

void
m_add_u64(struct mbuf *m, uint64_t v)
{
	m_add(m, &v, sizeof(v));
}

/* A length, then the bytes and their NUL. */
void
m_add_string(struct mbuf *m, const char *s)
{
	size_t	len = strlen(s) + 1;

	m_add_u32(m, (uint32_t)len);
	m_add(m, s, len);
}

void
m_add_data(struct mbuf *m, const void *p, size_t len)
{
	m_add(m, p, len);
}

void
m_compose(struct chan *chan, uint32_t type, uint32_t peerid, int fd,
    struct mbuf *m)
{
	if (chan_queue(chan, type, peerid, fd, m->buf, m->len) == -1)
		fatal("%s: %s", __func__, msg_name(type));
}

/* For payloads that held a secret. */
void
m_wipe(struct mbuf *m)
{
	explicit_bzero(m->buf, m->len);
	m->len = 0;
}

void
m_read(struct mreader *r, struct frame *fr, const char *who)
{
	r->p = fr->data;
	r->left = fr->datalen;
	r->type = fr->hdr.type;
	r->who = who;
	r->soft = 0;
	r->failed = 0;
}

void
m_read_soft(struct mreader *r, struct frame *fr, const char *who)
{
	m_read(r, fr, who);
	r->soft = 1;
}

void
m_error(struct mreader *r, const char *what)
{
	if (!r->soft)
		fatalx("bad %s message from %s: %s", msg_name(r->type),
		    r->who, what);
	if (!r->failed)
		log_warnx("bad %s message from %s: %s", msg_name(r->type),
		    r->who, what);
	r->failed = 1;
	r->left = 0;
}

void
m_get_data(struct mreader *r, void *p, size_t len)
{
	if (r->left < len) {
		m_error(r, "short message");
		memset(p, 0, len);
		return;
	}
	/*
	 * An empty frame has no data at all: r->p is NULL, and even
	 * NULL + 0 is undefined behaviour in C.
	 */
	if (len == 0)
		return;
	memcpy(p, r->p, len);
	r->p += len;
	r->left -= len;
}

void
m_get_u32(struct mreader *r, uint32_t *v)
{
	m_get_data(r, v, sizeof(*v));
}

void
m_get_u64(struct mreader *r, uint64_t *v)
{
	m_get_data(r, v, sizeof(*v));
}

/*
 * The string stays in the frame; it must end with its only NUL, and be
 * at most max bytes long without it.
 */
void
m_get_string(struct mreader *r, const char **s, size_t max)
{
	uint32_t	len;

	*s = "";
	m_get_u32(r, &len);
	if (r->failed)
		return;
	if (len == 0 || len > r->left)
		m_error(r, "bad string length");
	else if (memchr(r->p, '\0', len) != r->p + len - 1)
		m_error(r, "unterminated string");
	else if (len - 1 > max)
		m_error(r, "string too long");
	else {
		*s = (const char *)r->p;
		r->p += len;
		r->left -= len;
	}
}

int
m_end(struct mreader *r)
{
	if (!r->failed && r->left != 0)
		m_error(r, "trailing data");
	return (r->failed ? -1 : 0);
}
