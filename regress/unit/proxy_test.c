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
 * lib/proxy.c: the PROXY protocol header, v1 and v2, whole, in pieces,
 * cut short, too long, with bad signatures, IPv4, IPv6, LOCAL.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <atf-c.h>
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "params.h"
#include "proxy.h"

static const uint8_t	sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* Every strict prefix of a valid header is "more to come". */
static void
prefixes_incomplete(const uint8_t *buf, size_t len)
{
	struct proxy_hdr	h;
	const char		*why;
	size_t			i;

	for (i = 0; i < len; i++)
		ATF_REQUIRE_MSG(proxy_parse(buf, i, &h, &why) == 0,
		    "prefix of %zu bytes of %zu: %s", i, len,
		    why ? why : "complete");
}

static void
src_is(const struct proxy_hdr *h, int family, const char *addr,
    unsigned int port)
{
	char	text[INET6_ADDRSTRLEN];

	ATF_REQUIRE_EQ(h->src.ss_family, family);
	if (family == AF_INET) {
		const struct sockaddr_in *s =
		    (const struct sockaddr_in *)&h->src;
		inet_ntop(AF_INET, &s->sin_addr, text, sizeof(text));
		ATF_REQUIRE_EQ(ntohs(s->sin_port), port);
	} else {
		const struct sockaddr_in6 *s =
		    (const struct sockaddr_in6 *)&h->src;
		inet_ntop(AF_INET6, &s->sin6_addr, text, sizeof(text));
		ATF_REQUIRE_EQ(ntohs(s->sin6_port), port);
	}
	ATF_REQUIRE_STREQ(text, addr);
}

static void
v1_ok(const char *line, int family, const char *addr, unsigned int port)
{
	struct proxy_hdr	h;
	const char		*why;
	uint8_t			buf[256];
	size_t			len = strlen(line);

	/* What follows the header is the client's, and left alone. */
	memcpy(buf, line, len);
	memcpy(buf + len, "USER x\r\n", 8);
	ATF_REQUIRE_EQ_MSG(proxy_parse(buf, len + 8, &h, &why), (int)len,
	    "%s: %s", line, why ? why : "wrong length");
	ATF_REQUIRE_EQ(h.version, 1);
	if (family == 0)
		ATF_REQUIRE(h.local);
	else {
		ATF_REQUIRE(!h.local);
		src_is(&h, family, addr, port);
	}
	prefixes_incomplete(buf, len);
}

static void
v1_bad(const char *line, const char *want)
{
	struct proxy_hdr	h;
	const char		*why;

	ATF_REQUIRE_EQ_MSG(proxy_parse((const uint8_t *)line, strlen(line),
	    &h, &why), -1, "accepted: %s", line);
	ATF_REQUIRE_MSG(strstr(why, want) != NULL, "%s: \"%s\", want \"%s\"",
	    line, why, want);
}

ATF_TC_WITHOUT_HEAD(proxy__v1);
ATF_TC_BODY(proxy__v1, tc)
{
	v1_ok("PROXY TCP4 192.0.2.1 198.51.100.2 56324 110\r\n", AF_INET,
	    "192.0.2.1", 56324);
	v1_ok("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n", AF_INET,
	    "0.0.0.0", 0);
	v1_ok("PROXY TCP6 2001:db8::1 2001:db8::2 1024 995\r\n", AF_INET6,
	    "2001:db8::1", 1024);
	v1_ok("PROXY TCP6 ::ffff:192.0.2.9 ::1 7 110\r\n", AF_INET6,
	    "::ffff:192.0.2.9", 7);
	v1_ok("PROXY UNKNOWN\r\n", 0, NULL, 0);
	v1_ok("PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n",
	    0, NULL, 0);
}

/* The longest header the specification allows is 107 bytes. */
ATF_TC_WITHOUT_HEAD(proxy__v1_longest);
ATF_TC_BODY(proxy__v1_longest, tc)
{
	struct proxy_hdr	h;
	const char		*why;
	char			line[256];

	snprintf(line, sizeof(line), "PROXY UNKNOWN %s %s 65535 65535\r\n",
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	ATF_REQUIRE_EQ(strlen(line), PROXY_V1_MAX);
	ATF_REQUIRE_EQ(proxy_parse((uint8_t *)line, strlen(line), &h, &why),
	    PROXY_V1_MAX);
	v1_ok("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
	    AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 65535);
	/* One byte more, and it is no header. */
	memset(line, 'x', sizeof(line));
	memcpy(line, "PROXY UNKNOWN ", 14);
	ATF_REQUIRE_EQ(proxy_parse((uint8_t *)line, PROXY_V1_MAX - 1, &h,
	    &why), 0);
	ATF_REQUIRE_EQ(proxy_parse((uint8_t *)line, PROXY_V1_MAX, &h, &why),
	    -1);
}

ATF_TC_WITHOUT_HEAD(proxy__v1_bad);
ATF_TC_BODY(proxy__v1_bad, tc)
{
	char	line[256];

	v1_bad("GET / HTTP/1.0\r\n", "not a PROXY");
	v1_bad("proxy TCP4 192.0.2.1 192.0.2.2 1 2\r\n", "not a PROXY");
	v1_bad("PROXY  TCP4 192.0.2.1 192.0.2.2 1 2\r\n", "empty field");
	v1_bad("PROXY TCP4 192.0.2.1 192.0.2.2 1 2 \r\n", "empty field");
	v1_bad("PROXY TCP4 192.0.2.1 192.0.2.2 1\r\n", "number of fields");
	v1_bad("PROXY TCP4 192.0.2.1 192.0.2.2 1 2 3\r\n", "number of fields");
	v1_bad("PROXY TCP5 192.0.2.1 192.0.2.2 1 2\r\n", "protocol unknown");
	v1_bad("PROXY UDP4 192.0.2.1 192.0.2.2 1 2\r\n", "protocol unknown");
	v1_bad("PROXY TCP4 2001:db8::1 192.0.2.2 1 2\r\n", "address");
	v1_bad("PROXY TCP6 192.0.2.1 2001:db8::2 1 2\r\n", "address");
	v1_bad("PROXY TCP4 192.0.2.256 192.0.2.2 1 2\r\n", "address");
	v1_bad("PROXY TCP4 example.org 192.0.2.2 1 2\r\n", "address");
	v1_bad("PROXY TCP4 192.0.2.1 192.0.2.2 65536 2\r\n", "port");
	v1_bad("PROXY TCP4 192.0.2.1 192.0.2.2 0110 2\r\n", "port");
	v1_bad("PROXY TCP4 192.0.2.1 192.0.2.2 -1 2\r\n", "port");
	v1_bad("PROXY TCP4 192.0.2.1 192.0.2.2 1 2\n", "CRLF");
	v1_bad("PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\r\n", "control");
	v1_bad("PROXY TCP4 192.0.2.1\t192.0.2.2 1 2\r\n", "control");
	/* A NUL is refused as soon as it is seen, without the CRLF. */
	v1_bad("PROXY TCP4 \x01", "control");
	/* Too long: 107 bytes and no LF. */
	memset(line, 'a', sizeof(line));
	memcpy(line, "PROXY UNKNOWN ", 14);
	line[PROXY_V1_MAX] = '\0';
	v1_bad(line, "over 107");
	line[PROXY_V1_MAX + 20] = '\0';
	line[PROXY_V1_MAX + 18] = '\r';
	line[PROXY_V1_MAX + 19] = '\n';
	v1_bad(line, "over 107");
}

/* A v2 header: command, family, address block, then TLVs. */
static size_t
v2_make(uint8_t *buf, int cmd, int fam, const uint8_t *block, size_t blen)
{
	memcpy(buf, sig, sizeof(sig));
	buf[12] = 0x20 | cmd;
	buf[13] = fam;
	buf[14] = blen >> 8;
	buf[15] = blen & 0xff;
	if (blen > 0)
		memcpy(buf + 16, block, blen);
	return (16 + blen);
}

static size_t
block4(uint8_t *b, const char *src, unsigned int sport)
{
	inet_pton(AF_INET, src, b);
	inet_pton(AF_INET, "203.0.113.1", b + 4);
	b[8] = sport >> 8;
	b[9] = sport & 0xff;
	b[10] = 0;
	b[11] = 110;
	return (12);
}

static size_t
block6(uint8_t *b, const char *src, unsigned int sport)
{
	inet_pton(AF_INET6, src, b);
	inet_pton(AF_INET6, "2001:db8::995", b + 16);
	b[32] = sport >> 8;
	b[33] = sport & 0xff;
	b[34] = 995 >> 8;
	b[35] = 995 & 0xff;
	return (36);
}

static void
v2_bad(const uint8_t *buf, size_t len, const char *want)
{
	struct proxy_hdr	h;
	const char		*why;

	ATF_REQUIRE_EQ_MSG(proxy_parse(buf, len, &h, &why), -1,
	    "accepted, want \"%s\"", want);
	ATF_REQUIRE_MSG(strstr(why, want) != NULL, "\"%s\", want \"%s\"",
	    why, want);
}

ATF_TC_WITHOUT_HEAD(proxy__v2);
ATF_TC_BODY(proxy__v2, tc)
{
	struct proxy_hdr	h;
	const char		*why;
	uint8_t			buf[PROXY_HDR_MAX + 64], blk[PROXY_HDR_MAX];
	size_t			len, blen;

	blen = block4(blk, "192.0.2.77", 40000);
	len = v2_make(buf, 1, 0x11, blk, blen);
	memcpy(buf + len, "\x16\x03\x01", 3);	/* a ClientHello follows */
	ATF_REQUIRE_EQ(proxy_parse(buf, len + 3, &h, &why), (int)len);
	ATF_REQUIRE_EQ(h.version, 2);
	ATF_REQUIRE(!h.local);
	src_is(&h, AF_INET, "192.0.2.77", 40000);
	prefixes_incomplete(buf, len);

	blen = block6(blk, "2001:db8:1::5", 65535);
	len = v2_make(buf, 1, 0x21, blk, blen);
	ATF_REQUIRE_EQ(proxy_parse(buf, len, &h, &why), (int)len);
	src_is(&h, AF_INET6, "2001:db8:1::5", 65535);
	prefixes_incomplete(buf, len);

	/* TLVs: ALPN, authority, a NOOP, skipped. */
	blen = block4(blk, "192.0.2.78", 1);
	memcpy(blk + blen, "\x01\x00\x04pop3", 7);
	blen += 7;
	memcpy(blk + blen, "\x02\x00\x0b" "example.org", 14);
	blen += 14;
	memcpy(blk + blen, "\x04\x00\x00", 3);
	blen += 3;
	len = v2_make(buf, 1, 0x11, blk, blen);
	ATF_REQUIRE_EQ(proxy_parse(buf, len, &h, &why), (int)len);
	src_is(&h, AF_INET, "192.0.2.78", 1);

	/* The largest allowed, all one padding TLV. */
	blen = block4(blk, "192.0.2.79", 2);
	blk[blen] = 0x04;
	blk[blen + 1] = (PROXY_V2_LEN_MAX - blen - 3) >> 8;
	blk[blen + 2] = (PROXY_V2_LEN_MAX - blen - 3) & 0xff;
	memset(blk + blen + 3, 0, PROXY_V2_LEN_MAX - blen - 3);
	len = v2_make(buf, 1, 0x11, blk, PROXY_V2_LEN_MAX);
	ATF_REQUIRE_EQ(len, PROXY_HDR_MAX);
	ATF_REQUIRE_EQ(proxy_parse(buf, len, &h, &why), (int)len);
}

/* LOCAL: the balancer's own check; whatever its block holds is ignored. */
ATF_TC_WITHOUT_HEAD(proxy__v2_local);
ATF_TC_BODY(proxy__v2_local, tc)
{
	struct proxy_hdr	h;
	const char		*why;
	uint8_t			buf[128], blk[64];
	size_t			len;

	len = v2_make(buf, 0, 0x00, NULL, 0);
	ATF_REQUIRE_EQ(proxy_parse(buf, len, &h, &why), 16);
	ATF_REQUIRE(h.local);
	ATF_REQUIRE_EQ(h.version, 2);
	len = v2_make(buf, 0, 0x11, blk, block4(blk, "192.0.2.1", 5));
	ATF_REQUIRE_EQ(proxy_parse(buf, len, &h, &why), (int)len);
	ATF_REQUIRE(h.local);
	prefixes_incomplete(buf, len);
}

ATF_TC_WITHOUT_HEAD(proxy__v2_bad);
ATF_TC_BODY(proxy__v2_bad, tc)
{
	uint8_t		buf[PROXY_HDR_MAX + 64], blk[PROXY_HDR_MAX];
	size_t		len, blen;

	/* Signatures: one byte off in each place. */
	len = v2_make(buf, 1, 0x11, blk, block4(blk, "192.0.2.1", 5));
	buf[0] = 0x0a;
	v2_bad(buf, len, "not a PROXY");
	buf[0] = 0x0d;
	buf[11] = 0x0d;
	v2_bad(buf, len, "not a PROXY");
	v2_bad(buf, 12, "not a PROXY");
	buf[11] = 0x0a;
	/* Version and command. */
	buf[12] = 0x11;
	v2_bad(buf, len, "version");
	buf[12] = 0x22;
	v2_bad(buf, len, "command");
	buf[12] = 0x2f;
	v2_bad(buf, len, "command");
	/* Families other than TCP over IPv4 and IPv6. */
	len = v2_make(buf, 1, 0x00, NULL, 0);
	v2_bad(buf, len, "without a client");
	len = v2_make(buf, 1, 0x12, blk, block4(blk, "192.0.2.1", 5));
	v2_bad(buf, len, "UDP");
	len = v2_make(buf, 1, 0x22, blk, block6(blk, "2001:db8::1", 5));
	v2_bad(buf, len, "UDP");
	memset(blk, 'a', 216);
	len = v2_make(buf, 1, 0x31, blk, 216);
	v2_bad(buf, len, "UNIX");
	len = v2_make(buf, 1, 0x41, blk, 12);
	v2_bad(buf, len, "family unknown");
	/* Address blocks shorter than their family. */
	len = v2_make(buf, 1, 0x11, blk, 11);
	v2_bad(buf, len, "truncated");
	len = v2_make(buf, 1, 0x21, blk, 35);
	v2_bad(buf, len, "truncated");
	len = v2_make(buf, 1, 0x21, blk, 12);
	v2_bad(buf, len, "truncated");
	/* TLVs that do not fit. */
	blen = block4(blk, "192.0.2.1", 5);
	memcpy(blk + blen, "\x01\x00", 2);
	len = v2_make(buf, 1, 0x11, blk, blen + 2);
	v2_bad(buf, len, "TLV truncated");
	memcpy(blk + blen, "\x01\x00\x05pop", 6);
	len = v2_make(buf, 1, 0x11, blk, blen + 6);
	v2_bad(buf, len, "TLV longer");
	/* Over the cap: refused from the 16 bytes, before any more come. */
	len = v2_make(buf, 1, 0x11, blk, 0);
	buf[14] = (PROXY_V2_LEN_MAX + 1) >> 8;
	buf[15] = (PROXY_V2_LEN_MAX + 1) & 0xff;
	v2_bad(buf, 16, "length limit");
	buf[14] = buf[15] = 0xff;
	v2_bad(buf, 16, "length limit");
}

/* Cut short: never complete, never an error while it may still come. */
ATF_TC_WITHOUT_HEAD(proxy__truncated);
ATF_TC_BODY(proxy__truncated, tc)
{
	struct proxy_hdr	h;
	const char		*why;
	uint8_t			buf[128], blk[64];
	size_t			len;

	ATF_REQUIRE_EQ(proxy_parse((const uint8_t *)"", 0, &h, &why), 0);
	ATF_REQUIRE_EQ(proxy_parse((const uint8_t *)"PROX", 4, &h, &why), 0);
	ATF_REQUIRE_EQ(proxy_parse((const uint8_t *)"PROXY TCP4 192.0.2",
	    18, &h, &why), 0);
	ATF_REQUIRE_EQ(proxy_parse((const uint8_t *)"PROXY TCP4 1 2 3 4\r",
	    19, &h, &why), 0);
	len = v2_make(buf, 1, 0x21, blk, block6(blk, "2001:db8::1", 5));
	ATF_REQUIRE_EQ(proxy_parse(buf, len - 1, &h, &why), 0);
	ATF_REQUIRE_EQ(proxy_parse(buf, 15, &h, &why), 0);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, proxy__v1);
	ATF_TP_ADD_TC(tp, proxy__v1_longest);
	ATF_TP_ADD_TC(tp, proxy__v1_bad);
	ATF_TP_ADD_TC(tp, proxy__v2);
	ATF_TP_ADD_TC(tp, proxy__v2_local);
	ATF_TP_ADD_TC(tp, proxy__v2_bad);
	ATF_TP_ADD_TC(tp, proxy__truncated);
	return (atf_no_error());
}
