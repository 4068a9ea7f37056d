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
 * A libtls server context from certificate and key bytes.  The parent
 * builds one once to check the files it read; each session builds its
 * own from the bytes the parent sends, and wipes them, so no session
 * ever opens a key file.
 */

#include <sys/types.h>

#include <stdint.h>
#include <string.h>
#include <tls.h>

#include "tlsctx.h"

/*
 * A server context for the given certificate (chain appended) and key.
 * Returns NULL with the reason in *why.  The caller wipes its buffers;
 * libtls keeps its own copy of the key only until tls_configure()
 * has loaded it, and tls_config_clear_keys() drops that copy.
 */
struct tls *
tlsctx_new(const char *protocols, const char *ciphers, const uint8_t *cert,
    size_t certlen, const uint8_t *key, size_t keylen, const char **why)
{
	static char		 err[256];
	struct tls_config	*cfg;
	struct tls		*ctx = NULL;
	uint32_t		 protos;

	*why = "out of memory";
	if ((cfg = tls_config_new()) == NULL)
		return (NULL);
	if (tls_config_parse_protocols(&protos, protocols) == -1 ||
	    tls_config_set_protocols(cfg, protos) == -1 ||
	    tls_config_set_ciphers(cfg, ciphers) == -1 ||
	    tls_config_set_keypair_mem(cfg, cert, certlen, key,
	    keylen) == -1 ||
	    /* RFC 7301 for ALPACA: a pop3 client may say what it speaks. */
	    tls_config_set_alpn(cfg, "pop3") == -1) {
		strlcpy(err, tls_config_error(cfg) ? tls_config_error(cfg) :
		    "bad TLS settings", sizeof(err));
		*why = err;
		goto done;
	}
	if ((ctx = tls_server()) == NULL)
		goto done;
	if (tls_configure(ctx, cfg) == -1) {
		strlcpy(err, tls_error(ctx) ? tls_error(ctx) :
		    "tls_configure failed", sizeof(err));
		*why = err;
		tls_free(ctx);
		ctx = NULL;
	}
 done:
	tls_config_clear_keys(cfg);
	tls_config_free(cfg);
	return (ctx);
}
