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
 * What a client sends pop3d-auth through AUTH (auth_sasl.c), once the
 * session has decoded its base64: a PLAIN message, or SCRAM-SHA-256's
 * client-first and client-final messages.  The first byte chooses:
 * even for PLAIN, odd for SCRAM, whose two messages are then split at
 * the first newline.  The user's keys are those of RFC 7677's example
 * and the server nonce is fixed, so that a seed reaches a good proof.
 */

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "fuzz.h"

#define SNONCE		"%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"

static struct userdb_scram	keys;

static void
fuzz_init(void)
{
	static const unsigned char salt[] = {
		0x5b, 0x6d, 0x99, 0x68, 0x9d, 0x12, 0x35, 0x8e,
		0xec, 0xa0, 0x4b, 0x14, 0x12, 0x36, 0xfa, 0x81
	};

	fuzz_quiet();
	auth_sasl_init();
	memcpy(keys.salt, salt, sizeof(salt));
	keys.saltlen = sizeof(salt);
	keys.iter = 4096;
	if (scram_keys("pencil", keys.salt, keys.saltlen, keys.iter,
	    keys.stored_key, keys.server_key) == -1)
		abort();
}

static void
fuzz_scram(const uint8_t *data, size_t size)
{
	static struct scram	 s;
	const uint8_t		*nl;
	char			 out[SASL_LINE_MAX + 1];
	size_t			 first;

	nl = memchr(data, '\n', size);
	first = nl == NULL ? size : (size_t)(nl - data);
	if (scram_parse_first(&s, data, first) == -1)
		return;
	if (strcmp(s.user, "user") == 0)
		scram_set_keys(&s, &keys);
	else
		scram_set_fake(&s);
	if (scram_server_first(&s, SNONCE, out, sizeof(out)) == -1 ||
	    nl == NULL)
		return;
	(void)scram_client_final(&s, nl + 1, size - first - 1, out,
	    sizeof(out));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 inited;
	char		 user[POP3_USER_MAX + 1], pass[POP3_PASS_MAX + 1];

	if (!inited) {
		fuzz_init();
		inited = 1;
	}
	if (size == 0)
		return (0);
	if (data[0] % 2 == 0)
		(void)sasl_plain_parse(data + 1, size - 1, user, sizeof(user),
		    pass, sizeof(pass));
	else
		fuzz_scram(data + 1, size - 1);
	return (0);
}
