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
 * RFC 4648 base64, the one implementation of every program: the user
 * database's secrets and keys, and the session's SASL exchange.
 * The resolver library does the coding (it is in libc on the BSDs), so
 * that a program without TLS needs no libcrypto; the decoder here adds
 * the strictness it lacks.
 */

#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/nameser.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <resolv.h>

#include "util.h"
#include "base64.h"

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* RFC 4648 base64 with padding; returns the length written. */
int
base64_encode(const void *in, size_t len, char *out, size_t outsz)
{
	if (len > INT_MAX / 2 || outsz < (len + 2) / 3 * 4 + 1)
		return (-1);
	return (b64_ntop(in, len, out, outsz));
}

static int
base64_valid(const char *in, size_t len, size_t *pad)
{
	size_t	i;

	*pad = 0;
	if (len % 4 != 0)
		return (0);
	if (len > 0 && in[len - 1] == '=')
		(*pad)++;
	if (len > 1 && in[len - 2] == '=') {
		if (*pad == 0)
			return (0);
		(*pad)++;
	}
	for (i = 0; i < len - *pad; i++)
		if (in[i] == '\0' || strchr(b64chars, in[i]) == NULL)
			return (0);
	return (1);
}

/*
 * Strict: padding required, no whitespace, nothing but the alphabet,
 * and unused bits zero, so that a value has one spelling only.
 * b64_pton() alone would skip blanks and accept nonzero unused bits.
 */
int
base64_decode(const char *in, size_t len, void *out, size_t outsz)
{
	unsigned char	*tmp;
	char		*again;
	size_t		 pad, n;
	int		 rv = -1;

	if (len > INT_MAX / 2 || !base64_valid(in, len, &pad))
		return (-1);
	if (len == 0)
		return (0);
	n = len / 4 * 3;
	if (n - pad > outsz)
		return (-1);
	tmp = xcalloc(1, n + 1);
	again = xcalloc(1, len + 1);
	memcpy(again, in, len);		/* b64_pton() wants a string */
	if (b64_pton(again, tmp, n) == (int)(n - pad) &&
	    base64_encode(tmp, n - pad, again, len + 1) == (int)len &&
	    memcmp(again, in, len) == 0) {
		rv = (int)(n - pad);
		memcpy(out, tmp, rv);
	}
	freezero(tmp, n + 1);
	freezero(again, len + 1);
	return (rv);
}
