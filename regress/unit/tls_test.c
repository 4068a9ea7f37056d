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

/* The ClientHello ALPN check that keeps other protocols' clients out. */

#include <sys/types.h>

#include <atf-c.h>
#include <stdint.h>
#include <string.h>

#include "session.h"

/* Build a ClientHello with the given extensions block (may be NULL). */
static size_t
hello(unsigned char *buf, const unsigned char *ext, size_t extlen)
{
	size_t	n = 0, body, hs;

	buf[n++] = 22;				/* handshake record */
	buf[n++] = 3;
	buf[n++] = 1;
	n += 2;					/* record length, below */
	buf[n++] = 1;				/* ClientHello */
	n += 3;					/* handshake length */
	buf[n++] = 3;
	buf[n++] = 3;				/* legacy_version */
	memset(buf + n, 0xab, 32);		/* random */
	n += 32;
	buf[n++] = 0;				/* session id */
	buf[n++] = 0;
	buf[n++] = 2;
	buf[n++] = 0x13;
	buf[n++] = 0x01;			/* TLS_AES_128_GCM_SHA256 */
	buf[n++] = 1;
	buf[n++] = 0;				/* null compression */
	if (ext != NULL) {
		buf[n++] = extlen >> 8;
		buf[n++] = extlen & 0xff;
		memcpy(buf + n, ext, extlen);
		n += extlen;
	}
	body = n - 5;
	hs = body - 4;
	buf[3] = body >> 8;
	buf[4] = body & 0xff;
	buf[6] = 0;
	buf[7] = hs >> 8;
	buf[8] = hs & 0xff;
	return (n);
}

/* An ALPN extension (type 16) naming the given protocols. */
static size_t
alpn(unsigned char *ext, const char **names, int count)
{
	size_t	n = 4 + 2, len;
	int	i;

	for (i = 0; i < count; i++) {
		len = strlen(names[i]);
		ext[n++] = len;
		memcpy(ext + n, names[i], len);
		n += len;
	}
	ext[0] = 0;
	ext[1] = 16;
	ext[2] = (n - 4) >> 8;
	ext[3] = (n - 4) & 0xff;
	ext[4] = (n - 6) >> 8;
	ext[5] = (n - 6) & 0xff;
	return (n);
}

ATF_TC_WITHOUT_HEAD(tls__alpn);
ATF_TC_BODY(tls__alpn, tc)
{
	unsigned char	 buf[1024], ext[256];
	/* SNI for "x" first, so that ALPN is not the first extension. */
	const unsigned char sni[] = { 0, 0, 0, 6, 0, 4, 0, 0, 1, 'x' };
	const char	*pop3[] = { "pop3" }, *http[] = { "http/1.1" };
	const char	*both[] = { "h2", "pop3" }, *near[] = { "pop3s" };
	size_t		 n, e;

	n = hello(buf, NULL, 0);
	ATF_REQUIRE_MSG(tlshello_alpn(buf, n) == 1, "no extensions");

	memcpy(ext, sni, sizeof(sni));
	n = hello(buf, ext, sizeof(sni));
	ATF_REQUIRE_MSG(tlshello_alpn(buf, n) == 1, "SNI only");

	e = sizeof(sni) + alpn(ext + sizeof(sni), pop3, 1);
	n = hello(buf, ext, e);
	ATF_REQUIRE_MSG(tlshello_alpn(buf, n) == 1, "ALPN pop3");

	e = sizeof(sni) + alpn(ext + sizeof(sni), http, 1);
	n = hello(buf, ext, e);
	ATF_REQUIRE_MSG(tlshello_alpn(buf, n) == 0, "ALPN http/1.1");

	e = alpn(ext, both, 2);
	n = hello(buf, ext, e);
	ATF_REQUIRE_MSG(tlshello_alpn(buf, n) == 1, "ALPN h2,pop3");

	e = alpn(ext, near, 1);
	n = hello(buf, ext, e);
	ATF_REQUIRE_MSG(tlshello_alpn(buf, n) == 0, "ALPN pop3s");

	/* A list length that lies is refused, not trusted. */
	e = alpn(ext, pop3, 1);
	ext[5]++;
	n = hello(buf, ext, e);
	ATF_REQUIRE_MSG(tlshello_alpn(buf, n) == 0, "bad ALPN list length");
}

ATF_TC_WITHOUT_HEAD(tls__incomplete);
ATF_TC_BODY(tls__incomplete, tc)
{
	unsigned char	buf[1024], ext[64];
	const char	*http[] = { "http/1.1" };
	size_t		n, cut;

	n = hello(buf, ext, alpn(ext, http, 1));
	for (cut = 0; cut < n; cut++)
		ATF_REQUIRE_MSG(tlshello_alpn(buf, cut) == -1,
		    "%zu of %zu bytes decided", cut, n);
	buf[0] = 23;	/* application data, not a handshake */
	ATF_REQUIRE_MSG(tlshello_alpn(buf, n) == -2, "not a handshake");
	memcpy(buf, "USER x\r\n", 8);
	ATF_REQUIRE_MSG(tlshello_alpn(buf, 8) == -2, "plaintext");
}

/*
 * The handshake message of the one-record hello in buf, cut into
 * records of at most frag bytes each, into out.
 */
static size_t
resplit(const unsigned char *buf, size_t n, size_t frag, unsigned char *out)
{
	size_t	off, len, o = 0;

	for (off = 5; off < n; off += len) {
		len = n - off < frag ? n - off : frag;
		out[o++] = 22;
		out[o++] = 3;
		out[o++] = 3;
		out[o++] = len >> 8;
		out[o++] = len & 0xff;
		memcpy(out + o, buf + off, len);
		o += len;
	}
	return (o);
}

/*
 * A hello cut across records (RFC 8446 5.1) is judged whole, whatever
 * the cut; one that cannot be judged is refused, not waved through.
 */
ATF_TC_WITHOUT_HEAD(tls__split);
ATF_TC_BODY(tls__split, tc)
{
	static unsigned char	 big[5 + TLS_HELLO_MAX + 64];
	unsigned char		 buf[1024], ext[64], out[8192];
	const char		*http[] = { "http/1.1" }, *pop3[] = { "pop3" };
	size_t			 n, m, frag, cut;

	n = hello(buf, ext, alpn(ext, http, 1));
	for (frag = 1; frag < n; frag++) {
		m = resplit(buf, n, frag, out);
		ATF_REQUIRE_MSG(tlshello_alpn(out, m) == 0,
		    "http/1.1 in records of %zu bytes passed", frag);
		for (cut = 0; cut < m; cut++)
			ATF_REQUIRE_MSG(tlshello_alpn(out, cut) == -1,
			    "records of %zu: %zu of %zu bytes decided", frag,
			    cut, m);
	}
	n = hello(buf, ext, alpn(ext, pop3, 1));
	for (frag = 1; frag < n; frag++) {
		m = resplit(buf, n, frag, out);
		ATF_REQUIRE_MSG(tlshello_alpn(out, m) == 1,
		    "pop3 in records of %zu bytes refused", frag);
	}

	/* Between the fragments, only handshake records, none empty. */
	m = resplit(buf, n, 16, out);
	out[21] = 23;
	ATF_REQUIRE_MSG(tlshello_alpn(out, m) == -2, "alert amid the hello");
	memmove(out + 26, out + 21, m - 21);
	memcpy(out + 21, "\026\003\003\000\000", 5);
	out[26] = 22;
	ATF_REQUIRE_MSG(tlshello_alpn(out, m + 5) == -2, "empty record");

	/* Not a ClientHello; longer than TLS_HELLO_MAX. */
	n = hello(buf, NULL, 0);
	buf[5] = 2;
	ATF_REQUIRE_MSG(tlshello_alpn(buf, n) == -2, "a ServerHello");
	buf[5] = 1;
	buf[6] = (TLS_HELLO_MAX - 3) >> 16;
	buf[7] = ((TLS_HELLO_MAX - 3) >> 8) & 0xff;
	buf[8] = (TLS_HELLO_MAX - 3) & 0xff;
	memcpy(big, buf, n);
	ATF_REQUIRE_MSG(tlshello_alpn(big, n) == -2, "%d bytes",
	    TLS_HELLO_MAX + 1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, tls__alpn);
	ATF_TP_ADD_TC(tp, tls__incomplete);
	ATF_TP_ADD_TC(tp, tls__split);
	return (atf_no_error());
}
