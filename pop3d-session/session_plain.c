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
 * What makes pop3d-session: no TLS library at all, so that a session
 * in the clear neither maps nor initialises OpenSSL (about 750 KB of
 * memory and some milliseconds of start-up each).  STLS hands the
 * connection over to a pop3d-session-tls through the parent.
 */

#include <sys/types.h>

#include <stdint.h>
#include <time.h>

#include "session.h"

void
session_tls_init(void)
{
}

void
session_tls_ctx(const struct sess_conf *sc, const uint8_t *cert,
    size_t certlen, const uint8_t *key, size_t keylen)
{
	fatalx("%s: TLS material for a plain-text session", __func__);
}

int
session_tls_accept(struct io *io, time_t deadline)
{
	fatalx("%s: TLS connection for a plain-text session", __func__);
}

int
(*session_starttls(const struct sess_conf *sc))(struct pop3 *)
{
	return (sc->tls ? session_handoff : NULL);
}
