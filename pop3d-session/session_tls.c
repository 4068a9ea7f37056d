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
 * What makes pop3d-session-tls: libtls, initialised before the chroot
 * while OpenSSL can still read its configuration, the server context
 * built from the parent's certificate and key, and TLS on the client
 * socket for implicit TLS listeners and for connections handed over
 * after STLS.  pop3d-session links session_plain.c instead.
 */

#include <sys/types.h>

#include <stdint.h>
#include <time.h>
#include <tls.h>

#include "session.h"
#include "tlsctx.h"

static struct tls	*ctx;

void
session_tls_init(void)
{
	if (tls_init() == -1)
		fatalx("tls_init");
}

void
session_tls_ctx(const struct sess_conf *sc, const uint8_t *cert,
    size_t certlen, const uint8_t *key, size_t keylen)
{
	const char	*why;

	if ((ctx = tlsctx_new(sc->tls_protocols, sc->tls_ciphers, cert,
	    certlen, key, keylen, &why)) == NULL)
		fatalx("%s: %s", __func__, why);
}

int
session_tls_accept(struct io *io, time_t deadline)
{
	if (ctx == NULL)
		fatalx("%s: TLS without a context", __func__);
	return (io_starttls(io, ctx, deadline));
}

static int
session_tls_stls(struct pop3 *p)
{
	return (session_tls_accept(p->io, pop3_deadline(p)));
}

int
(*session_starttls(const struct sess_conf *sc))(struct pop3 *)
{
	return (ctx != NULL ? session_tls_stls : NULL);
}
