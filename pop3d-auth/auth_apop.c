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
 * APOP (RFC 1939 section 7): the greeting's timestamp, and the check of
 * MD5(timestamp secret).  Only users of our own database have a secret;
 * it is plaintext-equivalent by the nature of APOP, so it is opt-in per
 * user and kept apart from the password hash.
 */

#include <sys/types.h>

#include <ctype.h>
#include <md5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

#define APOP_DIGEST_LEN		(MD5_DIGEST_LENGTH * 2)

/*
 * What a user without a secret is checked against, so that the check
 * costs the same; no digest can match it, since the result is ignored.
 */
static const unsigned char apop_dummy[] = "pop3d-apop-dummy-secret";

/* A host name as RFC 1939's msg-id wants it: no '>', space or control. */
static int
apop_host_ok(const char *host)
{
	const char	*p;

	if (host[0] == '\0')
		return (0);
	for (p = host; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			return (0);
	return (1);
}

/*
 * "<pid.clock.random@host>".  The random part is a sequence number
 * (unique within this process; pid and clock make it unique across
 * processes) and 64 bits from arc4random (unpredictable).  A host name
 * too long for APOP_CHALLENGE_MAX loses its last labels.  Returns the
 * length, or -1 if buf is too small.
 */
int
apop_challenge(char *buf, size_t sz, long pid, time_t now, const char *host)
{
	static uint32_t	 seq;
	char		 h[APOP_CHALLENGE_MAX + 1], *dot;
	int		 n;
	size_t		 room;

	if (sz < APOP_CHALLENGE_MAX + 1)
		return (-1);
	if (!apop_host_ok(host))
		host = "localhost";
	n = snprintf(buf, sz, "<%ld.%lld.%08x%08x%08x@", pid, (long long)now,
	    ++seq, arc4random(), arc4random());
	if (n < 0 || (size_t)n + 2 >= APOP_CHALLENGE_MAX)
		return (-1);
	room = APOP_CHALLENGE_MAX - n - 1;
	strlcpy(h, host, sizeof(h));
	if (strlen(h) > room) {
		h[room] = '\0';
		if ((dot = strrchr(h, '.')) != NULL && dot != h)
			*dot = '\0';
	}
	strlcat(buf, h, sz);
	strlcat(buf, ">", sz);
	return ((int)strlen(buf));
}

static int
apop_digest_valid(const char *digest)
{
	size_t	i;

	for (i = 0; i < APOP_DIGEST_LEN; i++)
		if (!isdigit((unsigned char)digest[i]) &&
		    (digest[i] < 'a' || digest[i] > 'f'))
			return (0);
	return (digest[i] == '\0');
}

/*
 * 1 if digest is MD5(challenge secret) in 32 lowercase hex digits.  A
 * malformed digest is compared all the same, then refused.
 */
int
apop_digest_match(const char *challenge, const unsigned char *secret,
    size_t len, const char *digest)
{
	static const char	 hex[] = "0123456789abcdef";
	MD5_CTX			 ctx;
	unsigned char		 md[MD5_DIGEST_LENGTH];
	char			 want[APOP_DIGEST_LEN];
	char			 got[APOP_DIGEST_LEN];
	size_t			 i;
	int			 valid, same;

	MD5Init(&ctx);
	MD5Update(&ctx, (const unsigned char *)challenge, strlen(challenge));
	MD5Update(&ctx, secret, len);
	MD5Final(md, &ctx);
	for (i = 0; i < sizeof(md); i++) {
		want[i * 2] = hex[md[i] >> 4];
		want[i * 2 + 1] = hex[md[i] & 0xf];
	}
	valid = apop_digest_valid(digest);
	memset(got, 0, sizeof(got));
	if (valid)
		memcpy(got, digest, sizeof(got));
	same = timingsafe_bcmp(want, got, sizeof(want)) == 0;
	explicit_bzero(&ctx, sizeof(ctx));
	explicit_bzero(md, sizeof(md));
	explicit_bzero(want, sizeof(want));
	return (valid && same);
}

/*
 * The decision for APOP user digest against challenge.  Unknown users,
 * users without a secret and locked users cost one digest, as the
 * others do, and fail.
 */
enum auth_result
auth_apop(const char *challenge, const char *user, const char *digest)
{
	struct userdb_entry	 ent;
	enum auth_lookup	 lk;
	const unsigned char	*secret = apop_dummy;
	size_t			 len = sizeof(apop_dummy) - 1;
	int			 real = 0, match;

	lk = auth_file_entry(user, &ent);
	if (lk == LOOKUP_TEMPFAIL)
		return (AUTH_TEMPFAIL);
	if (lk == LOOKUP_FOUND && ent.apoplen > 0 && ent.hash[0] != '!') {
		secret = ent.apop;
		len = ent.apoplen;
		real = 1;
	} else
		log_debug("%s: %s: no such user or no APOP secret", __func__,
		    user);
	match = apop_digest_match(challenge, secret, len, digest);
	explicit_bzero(&ent, sizeof(ent));
	return (real && match ? AUTH_OK : AUTH_FAIL);
}
