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
 * The PROXY protocol header, versions 1 (a text line) and 2 (binary),
 * parsed strictly and within the bounds of params.h.  It runs in the
 * session process, which reads the header from the balancer: every
 * byte here comes from the network and may be hostile.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "params.h"
#include "proxy.h"

/* Version 2 starts with these twelve bytes, which no text protocol can. */
static const uint8_t	v2sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};
static const char	v1sig[] = "PROXY ";

#define V2_CMD_LOCAL	0x0
#define V2_CMD_PROXY	0x1
#define V2_TCP4		0x11
#define V2_TCP6		0x21
#define V2_ADDR4_LEN	12	/* two addresses, two ports */
#define V2_ADDR6_LEN	36

static int
fail(const char **why, const char *text)
{
	*why = text;
	return (-1);
}

static void
sin_make(struct sockaddr_storage *ss, const uint8_t *a, const uint8_t *port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr, a, 4);
	memcpy(&sin->sin_port, port, 2);	/* network order already */
}

static void
sin6_make(struct sockaddr_storage *ss, const uint8_t *a, const uint8_t *port)
{
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	sin6->sin6_family = AF_INET6;
	memcpy(&sin6->sin6_addr, a, 16);
	memcpy(&sin6->sin6_port, port, 2);
}

/*
 * TLVs after the addresses: nothing pop3d needs is in them, so they are
 * only walked, each required to fit, and skipped.  The length cap of
 * the header bounds the walk.
 */
static int
v2_tlvs(const uint8_t *p, size_t len, const char **why)
{
	size_t	off = 0, vlen;

	while (off < len) {
		if (len - off < 3)
			return (fail(why, "v2 TLV truncated"));
		vlen = (size_t)p[off + 1] << 8 | p[off + 2];
		if (vlen > len - off - 3)
			return (fail(why, "v2 TLV longer than the header"));
		off += 3 + vlen;
	}
	return (0);
}

static int
v2_parse(const uint8_t *buf, size_t len, struct proxy_hdr *h,
    const char **why)
{
	const uint8_t	*p = buf + 16;
	size_t		 plen, alen;

	if (len < 16)
		return (0);
	if (buf[12] >> 4 != 2)
		return (fail(why, "v2 header of another version"));
	if ((buf[12] & 0x0f) != V2_CMD_LOCAL &&
	    (buf[12] & 0x0f) != V2_CMD_PROXY)
		return (fail(why, "v2 command unknown"));
	plen = (size_t)buf[14] << 8 | buf[15];
	if (plen > PROXY_V2_LEN_MAX)
		return (fail(why, "v2 header over the length limit"));
	if (len < 16 + plen)
		return (0);
	h->version = 2;
	/* The balancer's own connection: its address block means nothing. */
	if ((buf[12] & 0x0f) == V2_CMD_LOCAL) {
		h->local = 1;
		return (16 + plen);
	}
	switch (buf[13]) {
	case V2_TCP4:
		if (plen < (alen = V2_ADDR4_LEN))
			return (fail(why, "v2 IPv4 addresses truncated"));
		sin_make(&h->src, p, p + 8);
		sin_make(&h->dst, p + 4, p + 10);
		break;
	case V2_TCP6:
		if (plen < (alen = V2_ADDR6_LEN))
			return (fail(why, "v2 IPv6 addresses truncated"));
		sin6_make(&h->src, p, p + 32);
		sin6_make(&h->dst, p + 16, p + 34);
		break;
	case 0x00:
		return (fail(why, "v2 PROXY without a client address"));
	case 0x12:
	case 0x22:
		return (fail(why, "v2 header for UDP"));
	case 0x31:
	case 0x32:
		return (fail(why, "v2 header for a UNIX socket"));
	default:
		return (fail(why, "v2 address family unknown"));
	}
	if (v2_tlvs(p + alen, plen - alen, why) == -1)
		return (-1);
	return (16 + plen);
}

/* A decimal port: 0 to 65535, no sign, no leading zero. */
static int
v1_port(const char *s, uint16_t *port)
{
	size_t		n = strlen(s), i;
	unsigned long	v = 0;

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return (-1);
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	if (v > 65535)
		return (-1);
	*port = htons((uint16_t)v);
	return (0);
}

static int
v1_addr(int family, const char *s, const char *port,
    struct sockaddr_storage *ss)
{
	uint8_t		a[16];
	uint16_t	p;

	if (strlen(s) >= INET6_ADDRSTRLEN || inet_pton(family, s, a) != 1 ||
	    v1_port(port, &p) == -1)
		return (-1);
	if (family == AF_INET)
		sin_make(ss, a, (uint8_t *)&p);
	else
		sin6_make(ss, a, (uint8_t *)&p);
	return (0);
}

/* "PROXY TCP4 SRC DST SPORT DPORT": single spaces, nothing else. */
static int
v1_line(char *line, struct proxy_hdr *h, const char **why)
{
	char	*tok[7], *s = line;
	int	 n = 0, family;

	h->version = 1;
	if (strncmp(line, "PROXY UNKNOWN", 13) == 0 &&
	    (line[13] == '\0' || line[13] == ' ')) {
		/* What follows UNKNOWN is to be ignored (the balancer's). */
		h->local = 1;
		return (0);
	}
	while (n < 7 && (tok[n] = strsep(&s, " ")) != NULL) {
		if (*tok[n] == '\0')
			return (fail(why, "v1 header with an empty field"));
		n++;
	}
	if (n != 6 || s != NULL)
		return (fail(why, "v1 header with the wrong number of fields"));
	if (strcmp(tok[1], "TCP4") == 0)
		family = AF_INET;
	else if (strcmp(tok[1], "TCP6") == 0)
		family = AF_INET6;
	else
		return (fail(why, "v1 protocol unknown"));
	if (v1_addr(family, tok[2], tok[4], &h->src) == -1 ||
	    v1_addr(family, tok[3], tok[5], &h->dst) == -1)
		return (fail(why, "v1 address or port invalid"));
	return (0);
}

static int
v1_parse(const uint8_t *buf, size_t len, struct proxy_hdr *h,
    const char **why)
{
	char		 line[PROXY_V1_MAX];
	const uint8_t	*eol;
	size_t		 n, i;

	n = MINIMUM(len, PROXY_V1_MAX);
	/* Text only; a CR only before the LF.  Early, so garbage waits not. */
	for (i = 0; i < n && buf[i] != '\n'; i++)
		if ((buf[i] < 0x20 || buf[i] > 0x7e) &&
		    (buf[i] != '\r' || (i + 1 < n && buf[i + 1] != '\n')))
			return (fail(why,
			    "v1 header with a control character"));
	if ((eol = memchr(buf, '\n', n)) == NULL) {
		if (len >= PROXY_V1_MAX)
			return (fail(why, "v1 header over 107 bytes"));
		return (0);
	}
	n = eol - buf + 1;
	if (n < 2 || buf[n - 2] != '\r')
		return (fail(why, "v1 header without CRLF"));
	memcpy(line, buf, n - 2);
	line[n - 2] = '\0';
	if (v1_line(line, h, why) == -1)
		return (-1);
	return (n);
}

int
proxy_parse(const uint8_t *buf, size_t len, struct proxy_hdr *h,
    const char **why)
{
	memset(h, 0, sizeof(*h));
	*why = NULL;
	if (len == 0)
		return (0);
	if (memcmp(buf, v2sig, MINIMUM(len, sizeof(v2sig))) == 0)
		return (len < sizeof(v2sig) ? 0 : v2_parse(buf, len, h, why));
	if (memcmp(buf, v1sig, MINIMUM(len, sizeof(v1sig) - 1)) == 0)
		return (len < sizeof(v1sig) - 1 ? 0 :
		    v1_parse(buf, len, h, why));
	return (fail(why, "not a PROXY protocol header"));
}
