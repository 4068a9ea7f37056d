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
 * Addresses, in one place for every program: socket addresses (text,
 * port, length, comparison), struct addr as rules and tables hold an
 * address, and "ADDR[/PREFIX]" or "ADDR/NETMASK" networks as pop3d.conf
 * and pop3ctl write them.  Only numeric addresses: a rule that depended
 * on DNS would change with every answer, and could be steered by
 * whoever controls the answer.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "addr.h"

/* Numeric text of an address, for logs and access lists. */
const char *
ss_to_text(const struct sockaddr_storage *ss)
{
	static char	buf[NI_MAXHOST];
	const void	*a;

	switch (ss->ss_family) {
	case AF_INET:
		a = &((const struct sockaddr_in *)ss)->sin_addr;
		break;
	case AF_INET6:
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		break;
	default:
		return ("unknown");
	}
	if (inet_ntop(ss->ss_family, a, buf, sizeof(buf)) == NULL)
		return ("unknown");
	return (buf);
}

in_port_t
ss_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohs(((const struct sockaddr_in *)ss)->sin_port));
	if (ss->ss_family == AF_INET6)
		return (ntohs(((const struct sockaddr_in6 *)ss)->sin6_port));
	return (0);
}

/* Same address, ports aside. */
int
ss_same_addr(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return (0);
	if (a->ss_family == AF_INET)
		return (((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr);
	if (a->ss_family == AF_INET6)
		return (memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr,
		    sizeof(struct in6_addr)) == 0);
	return (0);
}

socklen_t
ss_len(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (sizeof(struct sockaddr_in));
	if (ss->ss_family == AF_INET6)
		return (sizeof(struct sockaddr_in6));
	return (sizeof(*ss));
}

/* 0, or -1 for a family that no rule and no table can hold. */
int
addr_from_ss(const struct sockaddr_storage *ss, struct addr *a)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	memset(a, 0, sizeof(*a));
	switch (ss->ss_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)ss;
		a->family = AF_INET;
		memcpy(a->a, &sin->sin_addr, 4);
		return (0);
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)ss;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			a->family = AF_INET;
			memcpy(a->a, &sin6->sin6_addr.s6_addr[12], 4);
		} else {
			a->family = AF_INET6;
			memcpy(a->a, &sin6->sin6_addr, 16);
		}
		return (0);
	}
	return (-1);
}

/* A numeric IPv4 or IPv6 address; 0, or -1 if s is none. */
int
addr_from_text(const char *s, struct addr *a)
{
	struct sockaddr_storage		 ss;
	struct sockaddr_in		*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6		*sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	else
		return (-1);
	return (addr_from_ss(&ss, a));
}

void
addr_text(const struct addr *a, char *buf, size_t len)
{
	if (inet_ntop(a->family, a->a, buf, len) == NULL)
		strlcpy(buf, "unknown", len);
}

int
addr_cmp(const struct addr *a, const struct addr *b)
{
	if (a->family != b->family)
		return (a->family < b->family ? -1 : 1);
	return (memcmp(a->a, b->a, sizeof(a->a)));
}

int
addr_bits(const struct addr *a)
{
	return (a->family == AF_INET ? 32 : 128);
}

/* The first prefixlen bits of a and net are the same. */
int
addr_in_net(const struct addr *a, const struct addr *net, int prefixlen)
{
	int	bytes = prefixlen / 8, bits = prefixlen % 8;
	uint8_t	mask;

	if (a->family != net->family || prefixlen < 0 ||
	    prefixlen > addr_bits(net))
		return (0);
	if (bytes > 0 && memcmp(a->a, net->a, bytes) != 0)
		return (0);
	if (bits == 0)
		return (1);
	mask = (uint8_t)(0xff << (8 - bits));
	return ((a->a[bytes] & mask) == (net->a[bytes] & mask));
}

/* A prefix length, or for IPv4 a contiguous dotted netmask. */
static int
net_mask(const char *mask, int family, int *plen, char *err, size_t len)
{
	struct in_addr	 m;
	const char	*errstr;
	uint32_t	 bits;
	int		 max = family == AF_INET ? 32 : 128;

	if (strchr(mask, '.') != NULL) {
		if (family != AF_INET) {
			snprintf(err, len, "an IPv6 mask must be a prefix "
			    "length");
			return (-1);
		}
		if (inet_pton(AF_INET, mask, &m) != 1) {
			snprintf(err, len, "netmask %s is not an IPv4 address",
			    mask);
			return (-1);
		}
		bits = ntohl(m.s_addr);
		/* Contiguous: the zero bits below are all the zero bits. */
		if ((~bits & (uint32_t)(~bits + 1)) != 0) {
			snprintf(err, len, "netmask %s is not contiguous",
			    mask);
			return (-1);
		}
		for (*plen = 0; (bits & 0x80000000U) != 0; bits <<= 1)
			(*plen)++;
		return (0);
	}
	if (mask[0] == '\0' || mask[strspn(mask, "0123456789")] != '\0') {
		snprintf(err, len, "mask \"%s\" is neither a prefix length "
		    "nor a netmask", mask);
		return (-1);
	}
	*plen = strtonum(mask, 0, max, &errstr);
	if (errstr != NULL) {
		snprintf(err, len, "prefix length %s is %s (allowed 0 to %d)",
		    mask, errstr, max);
		return (-1);
	}
	return (0);
}

/* Clear the bits past the prefix; say whether any was set. */
static int
net_zero(uint8_t *b, int plen, size_t len)
{
	size_t	i;
	uint8_t	keep;
	int	set = 0;

	for (i = 0; i < len; i++) {
		if (plen >= 8)
			keep = 0xff;
		else if (plen <= 0)
			keep = 0;
		else
			keep = (uint8_t)(0xff << (8 - plen));
		if ((b[i] & ~keep) != 0)
			set = 1;
		b[i] &= keep;
		plen -= 8;
	}
	return (set);
}

/*
 * The network of a's first plen bits, as the parent counts a source:
 * the host bits cleared, so that every address of a /64 is one key.
 */
void
addr_mask(struct addr *a, int plen)
{
	net_zero(a->a, plen, a->family == AF_INET ? 4 : 16);
}

/*
 * "ADDR[/MASK]" into a network with its host bits zero; *hostbits says
 * whether any had to be cleared.  A mapped IPv6 network of IPv4
 * addresses is kept as IPv4, so that one rule matches a client however
 * a dual-stack listener sees it.  0, or -1 with the reason in err.
 */
int
addr_parse_net(const char *text, struct addr *net, int *plen, int *hostbits,
    char *err, size_t errlen)
{
	char		 buf[INET6_ADDRSTRLEN];
	struct in6_addr	 in6;
	const char	*slash;
	size_t		 len;
	int		 family;

	slash = strchr(text, '/');
	len = slash != NULL ? (size_t)(slash - text) : strlen(text);
	memset(net, 0, sizeof(*net));
	family = AF_UNSPEC;
	if (len < sizeof(buf)) {
		memcpy(buf, text, len);
		buf[len] = '\0';
		if (inet_pton(AF_INET, buf, net->a) == 1)
			family = AF_INET;
		else if (inet_pton(AF_INET6, buf, net->a) == 1)
			family = AF_INET6;
	}
	if (family == AF_UNSPEC) {
		snprintf(err, errlen, "not a numeric IPv4 or IPv6 address "
		    "(host names are not allowed)");
		return (-1);
	}
	*plen = family == AF_INET ? 32 : 128;
	if (slash != NULL &&
	    net_mask(slash + 1, family, plen, err, errlen) == -1)
		return (-1);
	*hostbits = net_zero(net->a, *plen, family == AF_INET ? 4 : 16);
	/* A copy: net->a has no alignment, the macro reads 32-bit words. */
	memcpy(&in6, net->a, sizeof(in6));
	if (family == AF_INET6 && *plen >= 96 && IN6_IS_ADDR_V4MAPPED(&in6)) {
		memmove(net->a, net->a + 12, 4);
		memset(net->a + 4, 0, 12);
		family = AF_INET;
		*plen -= 96;
	}
	net->family = family;
	return (0);
}

/* As pop3d.conf and pop3ctl write it: no mask for a single host. */
const char *
addr_net_text(const struct addr *net, int plen)
{
	static char	buf[INET6_ADDRSTRLEN + sizeof("/128")];
	char		a[INET6_ADDRSTRLEN];

	addr_text(net, a, sizeof(a));
	if (plen == addr_bits(net))
		strlcpy(buf, a, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "%s/%d", a, plen);
	return (buf);
}
