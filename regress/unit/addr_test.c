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
 * lib/addr.c: networks as pop3d.conf writes them, addresses as rules
 * and tables hold them (a mapped IPv6 address is its IPv4 address).
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <atf-c.h>
#include <string.h>

#include "compat.h"
#include "addr.h"

/* text parses to the network want (as addr_net_text writes it). */
static void
net_ok(const char *text, const char *want, int want_hostbits)
{
	struct addr	net;
	char		err[128];
	int		plen, hostbits;

	ATF_REQUIRE_MSG(addr_parse_net(text, &net, &plen, &hostbits, err,
	    sizeof(err)) == 0, "%s: %s", text, err);
	ATF_REQUIRE_MSG(strcmp(addr_net_text(&net, plen), want) == 0,
	    "%s: parsed as %s, want %s", text, addr_net_text(&net, plen),
	    want);
	ATF_REQUIRE_MSG(hostbits == want_hostbits, "%s: host bits %d", text,
	    hostbits);
}

static void
net_bad(const char *text, const char *why)
{
	struct addr	net;
	char		err[128];
	int		plen, hostbits;

	ATF_REQUIRE_MSG(addr_parse_net(text, &net, &plen, &hostbits, err,
	    sizeof(err)) == -1, "%s: accepted", text);
	ATF_REQUIRE_MSG(strstr(err, why) != NULL, "%s: \"%s\", want \"%s\"",
	    text, err, why);
}

ATF_TC_WITHOUT_HEAD(addr__parse_net);
ATF_TC_BODY(addr__parse_net, tc)
{
	net_ok("192.0.2.7", "192.0.2.7", 0);
	net_ok("192.0.2.0/24", "192.0.2.0/24", 0);
	net_ok("156.21.50.0/255.255.255.0", "156.21.50.0/24", 0);
	net_ok("192.0.2.7/24", "192.0.2.0/24", 1);
	net_ok("0.0.0.0/0", "0.0.0.0/0", 0);
	net_ok("2001:db8::/32", "2001:db8::/32", 0);
	net_ok("2001:db8::1/64", "2001:db8::/64", 1);
	net_ok("::1", "::1", 0);
	/* A mapped network is kept as IPv4. */
	net_ok("::ffff:192.0.2.0/120", "192.0.2.0/24", 0);
	net_ok("::ffff:192.0.2.9", "192.0.2.9", 0);
}

ATF_TC_WITHOUT_HEAD(addr__parse_net_bad);
ATF_TC_BODY(addr__parse_net_bad, tc)
{
	net_bad("mail.example.org", "not a numeric");
	net_bad("192.0.2.300", "not a numeric");
	net_bad("", "not a numeric");
	net_bad("192.0.2.0/33", "prefix length 33 is too large");
	net_bad("2001:db8::/129", "prefix length 129 is too large");
	net_bad("192.0.2.0/", "neither a prefix length nor a netmask");
	net_bad("192.0.2.0/-1", "neither a prefix length nor a netmask");
	net_bad("192.0.2.0/255.0.255.0", "not contiguous");
	net_bad("192.0.2.0/255.255.300.0", "not an IPv4 address");
	net_bad("2001:db8::/255.255.0.0", "an IPv6 mask must be a prefix");
}

ATF_TC_WITHOUT_HEAD(addr__in_net);
ATF_TC_BODY(addr__in_net, tc)
{
	struct addr	net, a;
	char		err[128];
	int		plen, hostbits;

	ATF_REQUIRE(addr_parse_net("10.1.0.0/16", &net, &plen, &hostbits, err,
	    sizeof(err)) == 0);
	ATF_REQUIRE(addr_from_text("10.1.255.3", &a) == 0);
	ATF_REQUIRE(addr_in_net(&a, &net, plen));
	ATF_REQUIRE(addr_from_text("10.2.0.1", &a) == 0);
	ATF_REQUIRE(!addr_in_net(&a, &net, plen));
	/* A mapped client is its IPv4 address. */
	ATF_REQUIRE(addr_from_text("::ffff:10.1.2.3", &a) == 0);
	ATF_REQUIRE(a.family == AF_INET);
	ATF_REQUIRE(addr_in_net(&a, &net, plen));
	/* Families never match; out-of-range prefixes match nothing. */
	ATF_REQUIRE(addr_from_text("2001:db8::1", &a) == 0);
	ATF_REQUIRE(!addr_in_net(&a, &net, plen));
	ATF_REQUIRE(addr_from_text("10.1.2.3", &a) == 0);
	ATF_REQUIRE(!addr_in_net(&a, &net, 33));
	ATF_REQUIRE(!addr_in_net(&a, &net, -1));
	ATF_REQUIRE(addr_in_net(&a, &net, 0));
	ATF_REQUIRE(addr_from_text("10.1.2.3/8", &a) == -1);
	ATF_REQUIRE(addr_from_text("localhost", &a) == -1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, addr__parse_net);
	ATF_TP_ADD_TC(tp, addr__parse_net_bad);
	ATF_TP_ADD_TC(tp, addr__in_net);
	return (atf_no_error());
}
