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
 * SASL (RFC 5034) mechanisms, server side: PLAIN (RFC 4616) and
 * SCRAM-SHA-256 (RFC 5802, RFC 7677).  The session decodes base64 and
 * relays; every byte it relays is the client's, so every field here is
 * parsed strictly, and a malformed message is a failed login, never a
 * crash or a hint about which users exist.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base64.h"
#include "auth.h"

enum sasl_mech {
	MECH_PLAIN = 1,
	MECH_SCRAM_SHA256,
};

/* SCRAM steps: client-first, client-final, the empty last response. */
enum scram_step {
	SCRAM_FIRST,
	SCRAM_FINAL,
	SCRAM_ACK,
};

/*
 * Keys the fake salt of a user without SCRAM keys, so that the salt
 * a name gets stays the same from one try to the next (a changing one
 * would tell that the name has no keys).  New at every start.
 */
static unsigned char	scram_secret[SCRAM_KEY_LEN];

/*
 * OpenSSL sets itself up on first use (its configuration file, its
 * providers); do that before the sandbox.
 */
void
auth_sasl_init(void)
{
	unsigned char	stored[SCRAM_KEY_LEN], server[SCRAM_KEY_LEN];

	arc4random_buf(scram_secret, sizeof(scram_secret));
	if (scram_keys("preload", scram_secret, SCRAM_SALT_LEN, 1, stored,
	    server) == -1)
		fatalx("%s: libcrypto does not work", __func__);
	explicit_bzero(stored, sizeof(stored));
	explicit_bzero(server, sizeof(server));
}

/*
 * RFC 4616: [authzid] NUL authcid NUL passwd.  An authzid is allowed
 * only if it names the authcid: nobody acts for another here.
 * Returns 0, or -1 for a malformed message.
 */
int
sasl_plain_parse(const unsigned char *msg, size_t len, char *user,
    size_t usersz, char *pass, size_t passsz)
{
	const unsigned char	*n1, *n2, *end = msg + len;
	size_t			 zlen, clen, plen;

	if ((n1 = memchr(msg, '\0', len)) == NULL ||
	    (n2 = memchr(n1 + 1, '\0', end - n1 - 1)) == NULL ||
	    memchr(n2 + 1, '\0', end - n2 - 1) != NULL)
		return (-1);
	zlen = n1 - msg;
	clen = n2 - n1 - 1;
	plen = end - n2 - 1;
	if (clen == 0 || clen >= usersz || plen == 0 || plen >= passsz)
		return (-1);
	if (zlen != 0 && (zlen != clen || memcmp(msg, n1 + 1, clen) != 0))
		return (-1);
	memcpy(user, n1 + 1, clen);
	user[clen] = '\0';
	memcpy(pass, n2 + 1, plen);
	pass[plen] = '\0';
	return (0);
}

/* RFC 5802 saslname: ',' and '=' come as "=2C" and "=3D". */
static int
scram_saslname(const char *p, size_t len, char *out, size_t outsz)
{
	size_t	i, o = 0;
	char	c;

	for (i = 0; i < len; i++) {
		c = p[i];
		if (c == '=') {
			if (len - i < 3)
				return (-1);
			if (p[i + 1] == '2' && p[i + 2] == 'C')
				c = ',';
			else if (p[i + 1] == '3' && p[i + 2] == 'D')
				c = '=';
			else
				return (-1);
			i += 2;
		}
		if (o + 1 >= outsz)
			return (-1);
		out[o++] = c;
	}
	out[o] = '\0';
	return (o == 0 ? -1 : 0);
}

/* "r=" value: printable ASCII but ','; the client's part of the nonce. */
static int
scram_nonce(const char *p, const char *end, struct scram *s)
{
	const char	*c;
	size_t		 i, len;

	if (end - p < 2 || strncmp(p, "r=", 2) != 0)
		return (-1);
	p += 2;
	c = memchr(p, ',', end - p);
	len = (c == NULL ? end : c) - p;
	if (len == 0 || len > SCRAM_NONCE_MAX)
		return (-1);
	for (i = 0; i < len; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return (-1);
	memcpy(s->nonce, p, len);
	s->nonce[len] = '\0';
	s->cnoncelen = len;
	return (0);
}

/*
 * client-first-message = gs2-header client-first-message-bare.  The
 * gs2 header is "n,," (no channel binding) or "y,," (the client could
 * bind but thinks we cannot, which is so); "p=" asks for a binding we
 * do not offer, and an authzid is refused.  The bare message is
 * "n=user,r=nonce[,extensions]"; the reserved "m=" fails, as RFC 5802
 * requires.  Extensions are kept (they are part of AuthMessage).
 */
int
scram_parse_first(struct scram *s, const unsigned char *msg, size_t len)
{
	const char	*p = (const char *)msg, *end = p + len, *bare, *c;
	size_t		 blen;

	memset(s, 0, sizeof(*s));
	if (len < 3 || memchr(msg, '\0', len) != NULL ||
	    (p[0] != 'n' && p[0] != 'y') || p[1] != ',' || p[2] != ',')
		return (-1);
	memcpy(s->gs2, p, 3);
	s->gs2[3] = '\0';
	bare = p + 3;
	blen = end - bare;
	if (blen > SASL_LINE_MAX || blen < 2 || strncmp(bare, "n=", 2) != 0)
		return (-1);
	memcpy(s->bare, bare, blen);
	s->bare[blen] = '\0';
	if ((c = memchr(bare + 2, ',', blen - 2)) == NULL ||
	    scram_saslname(bare + 2, c - bare - 2, s->user,
	    sizeof(s->user)) == -1)
		return (-1);
	return (scram_nonce(c + 1, end, s));
}

void
scram_set_keys(struct scram *s, const struct userdb_scram *keys)
{
	s->keys = *keys;
	s->fake = 0;
}

/*
 * For a name without SCRAM keys: a salt that depends only on the name
 * and our secret, our usual iteration count, and keys no proof can
 * match.  The exchange then runs as for a real user and fails at the
 * proof, like a wrong password.
 */
void
scram_set_fake(struct scram *s)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	len = sizeof(md);

	if (HMAC(EVP_sha256(), scram_secret, sizeof(scram_secret),
	    (const unsigned char *)s->user, strlen(s->user), md, &len) ==
	    NULL || len < SCRAM_SALT_LEN)
		fatalx("%s: HMAC failed", __func__);
	memset(&s->keys, 0, sizeof(s->keys));
	memcpy(s->keys.salt, md, SCRAM_SALT_LEN);
	s->keys.saltlen = SCRAM_SALT_LEN;
	s->keys.iter = SCRAM_ITER_DEFAULT;
	arc4random_buf(s->keys.stored_key, sizeof(s->keys.stored_key));
	arc4random_buf(s->keys.server_key, sizeof(s->keys.server_key));
	s->fake = 1;
	explicit_bzero(md, sizeof(md));
}

/*
 * server-first-message = "r=" client nonce + snonce ",s=" salt ",i="
 * count.  snonce is ours (random; given by the caller so that the
 * RFC 7677 test vector can be replayed).  Returns its length.
 */
int
scram_server_first(struct scram *s, const char *snonce, char *out,
    size_t outsz)
{
	char	salt[SCRAM_SALT_MAX * 2];
	size_t	i;
	int	n;

	for (i = 0; snonce[i] != '\0'; i++)
		if (snonce[i] < 0x21 || snonce[i] > 0x7e || snonce[i] == ',')
			return (-1);
	if (i == 0 || i > SCRAM_NONCE_MAX ||
	    base64_encode(s->keys.salt, s->keys.saltlen, salt,
	    sizeof(salt)) == -1)
		return (-1);
	s->nonce[s->cnoncelen] = '\0';
	strlcat(s->nonce, snonce, sizeof(s->nonce));
	n = snprintf(s->server_first, sizeof(s->server_first),
	    "r=%s,s=%s,i=%u", s->nonce, salt, s->keys.iter);
	if (n < 0 || (size_t)n >= sizeof(s->server_first) ||
	    (size_t)n >= outsz)
		return (-1);
	memcpy(out, s->server_first, n + 1);
	return (n);
}

/* The last ",p=" starts the proof; what comes before it is signed. */
static char *
scram_proof(char *buf)
{
	char	*p, *last = NULL;

	for (p = buf; (p = strstr(p, ",p=")) != NULL; p++)
		last = p;
	return (last);
}

/* "c=" base64(gs2 header) ",r=" our combined nonce, then extensions. */
static int
scram_final_fields(const struct scram *s, const char *wo)
{
	char		 cb[16];
	const char	*c, *r;
	size_t		 nlen = strlen(s->nonce);

	if (base64_encode(s->gs2, strlen(s->gs2), cb, sizeof(cb)) == -1 ||
	    strncmp(wo, "c=", 2) != 0 || (c = strchr(wo, ',')) == NULL ||
	    (size_t)(c - wo - 2) != strlen(cb) ||
	    strncmp(wo + 2, cb, c - wo - 2) != 0)
		return (-1);
	r = c + 1;
	if (strncmp(r, "r=", 2) != 0 || strncmp(r + 2, s->nonce, nlen) != 0 ||
	    (r[2 + nlen] != '\0' && r[2 + nlen] != ','))
		return (-1);
	return (0);
}

static int
scram_hmac(const unsigned char *key, const char *msg, size_t len,
    unsigned char *md)
{
	unsigned int	mdlen = SCRAM_KEY_LEN;

	if (HMAC(EVP_sha256(), key, SCRAM_KEY_LEN, (const unsigned char *)msg,
	    len, md, &mdlen) == NULL || mdlen != SCRAM_KEY_LEN)
		return (-1);
	return (0);
}

/*
 * RFC 5802 section 3: ClientKey = ClientProof XOR
 * HMAC(StoredKey, AuthMessage), and SHA-256(ClientKey) must be the
 * StoredKey.  Compared in constant time; a fake user fails after the
 * same work.  On success the ServerSignature goes to sig.
 */
static int
scram_verify(struct scram *s, const char *authmsg, size_t len,
    const unsigned char *proof, unsigned char *sig)
{
	unsigned char	csig[SCRAM_KEY_LEN], ckey[SCRAM_KEY_LEN];
	unsigned char	stored[SCRAM_KEY_LEN];
	size_t		i;
	int		ok = 0;

	if (scram_hmac(s->keys.stored_key, authmsg, len, csig) == -1)
		fatalx("%s: HMAC failed", __func__);
	for (i = 0; i < SCRAM_KEY_LEN; i++)
		ckey[i] = proof[i] ^ csig[i];
	if (EVP_Digest(ckey, sizeof(ckey), stored, NULL, EVP_sha256(),
	    NULL) != 1)
		fatalx("%s: SHA-256 failed", __func__);
	if (timingsafe_bcmp(stored, s->keys.stored_key, SCRAM_KEY_LEN) == 0 &&
	    !s->fake)
		ok = 1;
	if (scram_hmac(s->keys.server_key, authmsg, len, sig) == -1)
		fatalx("%s: HMAC failed", __func__);
	explicit_bzero(csig, sizeof(csig));
	explicit_bzero(ckey, sizeof(ckey));
	explicit_bzero(stored, sizeof(stored));
	return (ok);
}

/*
 * client-final-message: check it against our state and the stored
 * keys.  Returns 1 with the server-final-message ("v=" signature) in
 * out, 0 for a wrong proof, -1 for a malformed message.
 */
int
scram_client_final(struct scram *s, const unsigned char *msg, size_t len,
    char *out, size_t outsz)
{
	char		 buf[SASL_LINE_MAX + 1], *proof, *authmsg = NULL;
	unsigned char	 p[SCRAM_KEY_LEN], sig[SCRAM_KEY_LEN];
	int		 n, rv = -1;

	if (len == 0 || len > SASL_LINE_MAX || memchr(msg, '\0', len) != NULL)
		return (-1);
	memcpy(buf, msg, len);
	buf[len] = '\0';
	if ((proof = scram_proof(buf)) == NULL)
		goto done;
	*proof = '\0';
	proof += 3;
	if (scram_final_fields(s, buf) == -1 ||
	    base64_decode(proof, strlen(proof), p, sizeof(p)) != sizeof(p))
		goto done;
	n = xasprintf(&authmsg, "%s,%s,%s", s->bare, s->server_first, buf);
	rv = scram_verify(s, authmsg, n, p, sig);
	freezero(authmsg, n + 1);
	if (rv == 1 && (outsz < 3 ||
	    base64_encode(sig, sizeof(sig), out + 2, outsz - 2) == -1))
		rv = -1;
	if (rv == 1)
		memcpy(out, "v=", 2);
 done:
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(p, sizeof(p));
	explicit_bzero(sig, sizeof(sig));
	return (rv);
}

struct sasl *
sasl_new(const char *mech)
{
	struct sasl	*sx;
	int		 m;

	if (strcasecmp(mech, "PLAIN") == 0)
		m = MECH_PLAIN;
	else if (strcasecmp(mech, "SCRAM-SHA-256") == 0)
		m = MECH_SCRAM_SHA256;
	else
		return (NULL);
	sx = xcalloc(1, sizeof(*sx));
	sx->mech = m;
	if (m == MECH_SCRAM_SHA256)
		sx->scram = xcalloc(1, sizeof(*sx->scram));
	return (sx);
}

void
sasl_free(struct sasl *sx)
{
	if (sx == NULL)
		return;
	if (sx->scram != NULL)
		freezero(sx->scram, sizeof(*sx->scram));
	freezero(sx, sizeof(*sx));
}

/* PLAIN: one message, then the same decision as USER and PASS. */
static enum sasl_status
plain_step(struct sasl *sx, const unsigned char *in, size_t len)
{
	char			 pass[POP3_PASS_MAX + 1];
	enum auth_result	 res;
	enum sasl_status	 st = SASL_FAIL;

	if (sasl_plain_parse(in, len, sx->user, sizeof(sx->user), pass,
	    sizeof(pass)) == -1) {
		log_debug("%s: malformed PLAIN message", __func__);
		sx->user[0] = '\0';
		return (SASL_FAIL);
	}
	res = auth_userpass(sx->user, pass, &sx->backend);
	explicit_bzero(pass, sizeof(pass));
	if (res == AUTH_OK)
		st = SASL_OK;
	else if (res == AUTH_TEMPFAIL)
		st = SASL_TEMPFAIL;
	return (st);
}

/* client-first: find the user's keys, or make fake ones; server-first. */
static enum sasl_status
scram_first(struct sasl *sx, const unsigned char *in, size_t len,
    unsigned char *out, size_t outsz, size_t *outlen)
{
	struct scram		*s = sx->scram;
	struct userdb_entry	 ent;
	unsigned char		 rnd[SCRAM_SNONCE_BYTES];
	char			 snonce[SCRAM_SNONCE_BYTES * 2];
	enum auth_lookup	 lk;
	int			 n;

	if (scram_parse_first(s, in, len) == -1) {
		log_debug("%s: malformed client-first-message", __func__);
		return (SASL_FAIL);
	}
	strlcpy(sx->user, s->user, sizeof(sx->user));
	if ((lk = auth_file_entry(s->user, &ent)) == LOOKUP_TEMPFAIL)
		return (SASL_TEMPFAIL);
	if (lk == LOOKUP_FOUND && ent.has_scram && ent.hash[0] != '!')
		scram_set_keys(s, &ent.scram);
	else {
		log_debug("%s: %s: no such user or no SCRAM keys", __func__,
		    s->user);
		scram_set_fake(s);
	}
	explicit_bzero(&ent, sizeof(ent));
	arc4random_buf(rnd, sizeof(rnd));
	if (base64_encode(rnd, sizeof(rnd), snonce, sizeof(snonce)) == -1 ||
	    (n = scram_server_first(s, snonce, (char *)out, outsz)) == -1)
		return (SASL_FAIL);
	*outlen = n;
	sx->step = SCRAM_FINAL;
	return (SASL_CONTINUE);
}

static enum sasl_status
scram_step(struct sasl *sx, const unsigned char *in, size_t len,
    unsigned char *out, size_t outsz, size_t *outlen)
{
	int	rv;

	switch (sx->step) {
	case SCRAM_FIRST:
		return (scram_first(sx, in, len, out, outsz, outlen));
	case SCRAM_FINAL:
		rv = scram_client_final(sx->scram, in, len, (char *)out,
		    outsz);
		if (rv != 1) {
			log_debug("%s: %s: %s", __func__, sx->user, rv == 0 ?
			    "proof does not verify" :
			    "malformed client-final-message");
			return (SASL_FAIL);
		}
		*outlen = strlen((char *)out);
		sx->step = SCRAM_ACK;
		return (SASL_CONTINUE);
	case SCRAM_ACK:
		/* RFC 5034 section 4: the client acknowledges empty. */
		if (len != 0)
			return (SASL_FAIL);
		sx->backend = AUTH_BACKEND_FILE;
		return (SASL_OK);
	}
	return (SASL_FAIL);
}

/*
 * The client's next message; on SASL_CONTINUE out holds the next
 * challenge (*outlen bytes, maybe none).
 */
enum sasl_status
sasl_step(struct sasl *sx, const unsigned char *in, size_t len,
    unsigned char *out, size_t outsz, size_t *outlen)
{
	*outlen = 0;
	if (sx->mech == MECH_PLAIN)
		return (plain_step(sx, in, len));
	return (scram_step(sx, in, len, out, outsz, outlen));
}
