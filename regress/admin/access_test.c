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
 * access.c without a daemon: rule matching in both modes, IPv4-mapped
 * addresses, prefix edges, the auto-deny list and its bound, the
 * penalties with their doubling, expiry and bound, and the runtime
 * list (access_rt.c) before the configuration, its bound and checks.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <atf-c.h>
#include <event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pop3d.h"

static struct sockaddr_storage
ss_of(const char *text)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	else
		atf_tc_fail("bad address in the test: %s", text);
	return (ss);
}

static struct pop3d_conf *
conf_new(enum access_action def)
{
	struct pop3d_conf	*c;

	c = xcalloc(1, sizeof(*c));
	TAILQ_INIT(&c->listeners);
	TAILQ_INIT(&c->access_rules);
	c->access_default = def;
	return (c);
}

/* As the parser stores a rule: the network with its host bits zero. */
static void
rule_add(struct pop3d_conf *c, enum access_action action, const char *net,
    int prefixlen)
{
	struct access_rule	*r;

	r = xcalloc(1, sizeof(*r));
	r->action = action;
	if (addr_from_text(net, &r->net) == -1)
		atf_tc_fail("bad address in the test: %s", net);
	r->prefixlen = prefixlen;
	TAILQ_INSERT_TAIL(&c->access_rules, r, entry);
}

static void
setup(void)
{
	log_init(1, 0);
	event_init();
	access_init();
}

static void
expect(const struct pop3d_conf *c, const char *addr, int admitted)
{
	struct sockaddr_storage	ss = ss_of(addr);

	ATF_REQUIRE_MSG(access_admit(c, &ss) == admitted, "%s: expected %s",
	    addr, admitted ? "admitted" : "refused");
}

ATF_TC_WITHOUT_HEAD(access__grant_mode);
ATF_TC_BODY(access__grant_mode, tc)
{
	struct pop3d_conf	*c = conf_new(ACCESS_GRANT);

	setup();
	rule_add(c, ACCESS_DENY, "192.0.2.0", 24);
	rule_add(c, ACCESS_DENY, "198.51.100.7", 32);
	rule_add(c, ACCESS_DENY, "2001:db8::", 32);
	/* Same kind as the default: no effect (the parser warns). */
	rule_add(c, ACCESS_GRANT, "192.0.2.5", 32);
	expect(c, "192.0.2.0", 0);
	expect(c, "192.0.2.5", 0);
	expect(c, "192.0.2.255", 0);
	expect(c, "192.0.3.0", 1);
	expect(c, "198.51.100.7", 0);
	expect(c, "198.51.100.6", 1);
	expect(c, "2001:db8:ffff::1", 0);
	expect(c, "2001:db9::1", 1);
	/* A mapped peer is its IPv4 address. */
	expect(c, "::ffff:192.0.2.77", 0);
	expect(c, "::ffff:192.0.3.77", 1);
	expect(c, "::1", 1);
}

ATF_TC_WITHOUT_HEAD(access__deny_mode);
ATF_TC_BODY(access__deny_mode, tc)
{
	struct pop3d_conf	*c = conf_new(ACCESS_DENY);

	setup();
	rule_add(c, ACCESS_GRANT, "10.0.0.0", 8);
	rule_add(c, ACCESS_GRANT, "::1", 128);
	rule_add(c, ACCESS_DENY, "10.1.0.0", 16);
	expect(c, "10.0.0.1", 1);
	expect(c, "10.1.2.3", 1);
	expect(c, "10.255.255.255", 1);
	expect(c, "11.0.0.1", 0);
	expect(c, "::1", 1);
	expect(c, "::2", 0);
	expect(c, "::ffff:10.9.9.9", 1);
	expect(c, "::ffff:11.9.9.9", 0);
	/* No rules at all: no one. */
	c = conf_new(ACCESS_DENY);
	expect(c, "127.0.0.1", 0);
}

ATF_TC_WITHOUT_HEAD(access__prefix_edges);
ATF_TC_BODY(access__prefix_edges, tc)
{
	struct pop3d_conf	*c;

	setup();
	c = conf_new(ACCESS_GRANT);
	rule_add(c, ACCESS_DENY, "0.0.0.0", 0);
	expect(c, "203.0.113.9", 0);
	expect(c, "2001:db8::1", 1);

	c = conf_new(ACCESS_GRANT);
	rule_add(c, ACCESS_DENY, "128.0.0.0", 1);
	rule_add(c, ACCESS_DENY, "10.0.0.2", 31);
	rule_add(c, ACCESS_DENY, "2001:db8:0:0:8000::", 65);
	expect(c, "127.255.255.255", 1);
	expect(c, "128.0.0.0", 0);
	expect(c, "10.0.0.1", 1);
	expect(c, "10.0.0.2", 0);
	expect(c, "10.0.0.3", 0);
	expect(c, "10.0.0.4", 1);
	expect(c, "2001:db8::7fff:ffff:ffff:ffff", 1);
	expect(c, "2001:db8::8000:0:0:0", 0);
	expect(c, "2001:db8::ffff:ffff:ffff:ffff", 0);
	expect(c, "2001:db8:0:1::", 1);
}

ATF_TC_WITHOUT_HEAD(autodeny__add_clear);
ATF_TC_BODY(autodeny__add_clear, tc)
{
	struct pop3d_conf	*c = conf_new(ACCESS_GRANT);
	struct sockaddr_storage	 a = ss_of("192.0.2.1");
	struct sockaddr_storage	 mapped = ss_of("::ffff:192.0.2.2");
	struct sockaddr_storage	 b = ss_of("2001:db8::2");

	setup();
	ATF_REQUIRE(autodeny_add(&a, AUTODENY_LONG_LINE) == 1);
	ATF_REQUIRE(autodeny_add(&a, AUTODENY_LONG_LINE) == 0);
	ATF_REQUIRE(autodeny_add(&mapped, AUTODENY_LONG_LINE) == 1);
	ATF_REQUIRE(autodeny_add(&b, AUTODENY_LONG_LINE) == 1);
	expect(c, "192.0.2.1", 0);
	expect(c, "192.0.2.2", 0);
	expect(c, "::ffff:192.0.2.1", 0);
	expect(c, "2001:db8::2", 0);
	expect(c, "192.0.2.3", 1);
	ATF_REQUIRE(autodeny_clear("not an address") == -1);
	ATF_REQUIRE(autodeny_clear("192.0.2.9") == 0);
	ATF_REQUIRE(autodeny_clear("::ffff:192.0.2.1") == 1);
	expect(c, "192.0.2.1", 1);
	ATF_REQUIRE(autodeny_clear("all") == 2);
	expect(c, "192.0.2.2", 1);
	expect(c, "2001:db8::2", 1);
}

static int	listed;

static void
count_autodeny(const struct ctl_autodeny *e, void *arg)
{
	if (listed == 0)
		strlcpy(arg, e->addr, INET6_ADDRSTRLEN);
	listed++;
}

ATF_TC_WITHOUT_HEAD(autodeny__full_drops_oldest);
ATF_TC_BODY(autodeny__full_drops_oldest, tc)
{
	struct pop3d_conf	*c = conf_new(ACCESS_GRANT);
	struct sockaddr_storage	 ss;
	struct ctl_status	 st;
	char			 text[INET6_ADDRSTRLEN];
	char			 first[INET6_ADDRSTRLEN];
	int			 i;

	setup();
	for (i = 0; i <= AUTODENY_TABLE_MAX; i++) {
		snprintf(text, sizeof(text), "10.%d.%d.1", i / 256, i % 256);
		ss = ss_of(text);
		ATF_REQUIRE(autodeny_add(&ss, AUTODENY_LONG_LINE) == 1);
	}
	memset(&st, 0, sizeof(st));
	access_status(c, &st);
	ATF_REQUIRE_EQ(st.autodeny_listed, AUTODENY_TABLE_MAX);
	ATF_REQUIRE_EQ(st.autodenies, AUTODENY_TABLE_MAX + 1);
	expect(c, "10.0.0.1", 1);
	expect(c, "10.0.1.1", 0);
	expect(c, text, 0);
	listed = 0;
	access_show_autodeny(count_autodeny, first);
	ATF_REQUIRE_EQ(listed, AUTODENY_TABLE_MAX);
	ATF_REQUIRE_STREQ(first, "10.0.1.1");
}

/* A penalty as pop3ctl show access gets it. */
struct penalty_seen {
	unsigned long	failures;
	long long	left;
};
static int			 npenalties;
static struct penalty_seen	 last_penalty;

static void
count_penalty(const struct ctl_access_entry *e, void *arg)
{
	if (e->origin != ACCESS_ORIGIN_PENALTY)
		return;
	npenalties++;
	/* "3 authentication failures" */
	last_penalty.failures = strtoul(e->reason, NULL, 10);
	last_penalty.left = e->action == ACCESS_DENY ? e->left : 0;
}

ATF_TC_WITHOUT_HEAD(penalty__doubling_and_expiry);
ATF_TC_BODY(penalty__doubling_and_expiry, tc)
{
	struct pop3d_conf	*c = conf_new(ACCESS_GRANT);
	struct sockaddr_storage	 a = ss_of("192.0.2.1");

	setup();
	c->penalty_failures = 2;
	c->penalty_time = 1;
	c->penalty_max = 4;
	penalty_failure(c, &a, 0);
	expect(c, "192.0.2.1", 1);
	penalty_failure(c, &a, 0);
	expect(c, "192.0.2.1", 0);
	expect(c, "::ffff:192.0.2.1", 0);
	expect(c, "192.0.2.2", 1);
	sleep(2);
	expect(c, "192.0.2.1", 1);
	/* The count is remembered: one more doubles, up to max. */
	penalty_failure(c, &a, 0);
	npenalties = 0;
	access_show(c, count_penalty, NULL);
	ATF_REQUIRE_EQ(npenalties, 1);
	ATF_REQUIRE_EQ(last_penalty.failures, 3);
	ATF_REQUIRE(last_penalty.left == 2 || last_penalty.left == 1);
	penalty_failure(c, &a, 0);
	penalty_failure(c, &a, 0);
	access_show(c, count_penalty, NULL);
	ATF_REQUIRE_EQ(last_penalty.failures, 5);
	ATF_REQUIRE_MSG(last_penalty.left >= 3 && last_penalty.left <= 4,
	    "left %lld, want the maximum of 4", (long long)last_penalty.left);
	/* Switched off: no refusal, whatever is on record. */
	c->penalty_failures = 0;
	expect(c, "192.0.2.1", 1);
	penalty_failure(c, &a, 0);
	expect(c, "192.0.2.1", 1);
}

ATF_TC_WITHOUT_HEAD(penalty__forgotten);
ATF_TC_BODY(penalty__forgotten, tc)
{
	struct pop3d_conf	*c = conf_new(ACCESS_GRANT);
	struct sockaddr_storage	 a = ss_of("2001:db8::1");

	setup();
	c->penalty_failures = 2;
	c->penalty_time = 1;
	c->penalty_max = 1;
	penalty_failure(c, &a, 0);
	sleep(2);
	/* Quiet for max seconds: the first failure is forgotten. */
	penalty_failure(c, &a, 0);
	expect(c, "2001:db8::1", 1);
	npenalties = 0;
	access_show(c, count_penalty, NULL);
	ATF_REQUIRE_EQ(npenalties, 1);
	ATF_REQUIRE_EQ(last_penalty.failures, 1);
}

ATF_TC_WITHOUT_HEAD(penalty__bounded);
ATF_TC_BODY(penalty__bounded, tc)
{
	struct pop3d_conf	*c = conf_new(ACCESS_GRANT);
	struct sockaddr_storage	 ss;
	char			 text[INET6_ADDRSTRLEN];
	int			 i;

	setup();
	c->penalty_failures = 1;
	c->penalty_time = 60;
	c->penalty_max = 3600;
	for (i = 0; i < PENALTY_TABLE_MAX + 10; i++) {
		snprintf(text, sizeof(text), "2001:db8:%x::1", i + 1);
		ss = ss_of(text);
		penalty_failure(c, &ss, 0);
	}
	npenalties = 0;
	access_show(c, count_penalty, NULL);
	ATF_REQUIRE_EQ(npenalties, PENALTY_TABLE_MAX);
	/* The newest is on record and refused. */
	expect(c, text, 0);
}

/*
 * An IPv6 client usually holds a whole /64: by default its penalties
 * are one record, and a neighbouring /64 is someone else.
 */
ATF_TC_WITHOUT_HEAD(penalty__inet6_prefix);
ATF_TC_BODY(penalty__inet6_prefix, tc)
{
	struct pop3d_conf	*c = conf_new(ACCESS_GRANT);
	struct sockaddr_storage	 a = ss_of("2001:db8:0:7::1");
	struct sockaddr_storage	 b = ss_of("2001:db8:0:7:ffff::2");

	setup();
	c->source_prefix4 = SOURCE_PREFIX_INET_DEFAULT;
	c->source_prefix6 = SOURCE_PREFIX_INET6_DEFAULT;
	access_configure(c);
	c->penalty_failures = 2;
	c->penalty_time = 60;
	c->penalty_max = 3600;
	penalty_failure(c, &a, 0);
	penalty_failure(c, &b, 0);
	expect(c, "2001:db8:0:7:1234::9", 0);
	expect(c, "2001:db8:0:8::1", 1);
	npenalties = 0;
	access_show(c, count_penalty, NULL);
	ATF_REQUIRE_EQ(npenalties, 1);
	ATF_REQUIRE_EQ(last_penalty.failures, 2);
}

/* The runtime list, as pop3ctl access sends its requests. */
static int
rt(enum access_action action, const char *net, int64_t duration,
    const char *reason)
{
	struct ctl_access	a;
	char			msg[256];

	memset(&a, 0, sizeof(a));
	a.action = action;
	a.duration = duration;
	strlcpy(a.net, net, sizeof(a.net));
	strlcpy(a.reason, reason, sizeof(a.reason));
	return (access_rt_set(&a, "the test", msg, sizeof(msg)));
}

static int
rt_delete(const char *net)
{
	struct ctl_access	a;
	char			msg[256];

	memset(&a, 0, sizeof(a));
	strlcpy(a.net, net, sizeof(a.net));
	return (access_rt_delete(&a, "the test", msg, sizeof(msg)));
}

static int	nruntime;

static void
count_runtime(const struct ctl_access_entry *e, void *arg)
{
	if (e->origin == ACCESS_ORIGIN_RUNTIME)
		nruntime++;
}

ATF_TC_WITHOUT_HEAD(runtime__before_config);
ATF_TC_BODY(runtime__before_config, tc)
{
	struct pop3d_conf	*c = conf_new(ACCESS_GRANT);

	setup();
	rule_add(c, ACCESS_DENY, "192.0.2.0", 24);
	ATF_REQUIRE_EQ(rt(ACCESS_DENY, "198.51.100.7", 0, "fail2ban"), 0);
	ATF_REQUIRE_EQ(rt(ACCESS_GRANT, "192.0.2.9", 0, ""), 0);
	expect(c, "198.51.100.7", 0);
	expect(c, "198.51.100.8", 1);
	expect(c, "::ffff:198.51.100.7", 0);
	/* A runtime grant lets through what pop3d.conf denies. */
	expect(c, "192.0.2.9", 1);
	expect(c, "192.0.2.10", 0);
	ATF_REQUIRE_EQ(rt_delete("198.51.100.7"), 0);
	expect(c, "198.51.100.7", 1);
	ATF_REQUIRE_EQ(rt_delete("198.51.100.7"), -1);
	ATF_REQUIRE_EQ(rt_delete("192.0.2.9/32"), 0);
	expect(c, "192.0.2.9", 0);
}

ATF_TC_WITHOUT_HEAD(runtime__longest_prefix);
ATF_TC_BODY(runtime__longest_prefix, tc)
{
	struct pop3d_conf	*c = conf_new(ACCESS_GRANT);

	setup();
	ATF_REQUIRE_EQ(rt(ACCESS_DENY, "10.0.0.0/8", 0, ""), 0);
	ATF_REQUIRE_EQ(rt(ACCESS_GRANT, "10.1.0.0/255.255.0.0", 0, ""), 0);
	ATF_REQUIRE_EQ(rt(ACCESS_DENY, "10.1.2.3", 0, ""), 0);
	expect(c, "10.9.9.9", 0);
	expect(c, "10.1.9.9", 1);
	expect(c, "10.1.2.3", 0);
	/* The same network again changes the entry, and only that. */
	ATF_REQUIRE_EQ(rt(ACCESS_GRANT, "10.0.0.0/8", 0, "changed"), 0);
	expect(c, "10.9.9.9", 1);
	nruntime = 0;
	access_show(c, count_runtime, NULL);
	ATF_REQUIRE_EQ(nruntime, 3);
	/* Host bits are cleared, as for pop3d.conf. */
	ATF_REQUIRE_EQ(rt(ACCESS_DENY, "2001:db8::1/32", 0, ""), 0);
	expect(c, "2001:db8:ffff::1", 0);
	ATF_REQUIRE_EQ(rt_delete("2001:db8::/32"), 0);
	expect(c, "2001:db8:ffff::1", 1);
}

ATF_TC_WITHOUT_HEAD(runtime__expiry);
ATF_TC_BODY(runtime__expiry, tc)
{
	struct addr	a;
	time_t		now = time(NULL);

	setup();
	ATF_REQUIRE_EQ(rt(ACCESS_DENY, "192.0.2.1", 60, ""), 0);
	ATF_REQUIRE_EQ(rt(ACCESS_DENY, "192.0.2.2", 0, ""), 0);
	ATF_REQUIRE_EQ(addr_from_text("192.0.2.1", &a), 0);
	ATF_REQUIRE_EQ(access_rt_match(&a, now), ACCESS_DENY);
	ATF_REQUIRE_EQ(access_rt_match(&a, now + 61), 0);
	ATF_REQUIRE_EQ(addr_from_text("192.0.2.2", &a), 0);
	ATF_REQUIRE_EQ(access_rt_match(&a, now + 3650LL * 86400),
	    ACCESS_DENY);
}

ATF_TC_WITHOUT_HEAD(runtime__bad_input);
ATF_TC_BODY(runtime__bad_input, tc)
{
	setup();
	ATF_REQUIRE_EQ(rt(ACCESS_DENY, "192.0.2.300", 0, ""), -1);
	ATF_REQUIRE_EQ(rt(ACCESS_DENY, "192.0.2.1/33", 0, ""), -1);
	ATF_REQUIRE_EQ(rt(ACCESS_DENY, "2001:db8::/129", 0, ""), -1);
	ATF_REQUIRE_EQ(rt(ACCESS_DENY, "host.example", 0, ""), -1);
	ATF_REQUIRE_EQ(rt(ACCESS_DENY, "192.0.2.1", -1, ""), -1);
	ATF_REQUIRE_EQ(rt(ACCESS_DENY, "192.0.2.1",
	    ACCESS_DURATION_MAX + 1, ""), -1);
	ATF_REQUIRE_EQ(rt(ACCESS_DENY, "192.0.2.1", 0, "a\tb"), -1);
	ATF_REQUIRE_EQ(rt(ACCESS_DENY, "192.0.2.1", 0, "\x1b[2J"), -1);
	ATF_REQUIRE_EQ(rt(0, "192.0.2.1", 0, ""), -1);
	ATF_REQUIRE_EQ(access_rt_count(), 0);
}

ATF_TC_WITHOUT_HEAD(runtime__full);
ATF_TC_BODY(runtime__full, tc)
{
	char	text[INET6_ADDRSTRLEN];
	int	i;

	setup();
	for (i = 0; i < ACCESS_RUNTIME_MAX; i++) {
		snprintf(text, sizeof(text), "2001:db8::%x", i + 1);
		ATF_REQUIRE_EQ(rt(ACCESS_DENY, text, 0, ""), 0);
	}
	ATF_REQUIRE_EQ(rt(ACCESS_DENY, "192.0.2.1", 0, ""), -1);
	/* A change of a listed network needs no room. */
	ATF_REQUIRE_EQ(rt(ACCESS_GRANT, "2001:db8::1", 0, ""), 0);
	ATF_REQUIRE_EQ(access_rt_count(), ACCESS_RUNTIME_MAX);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, access__grant_mode);
	ATF_TP_ADD_TC(tp, access__deny_mode);
	ATF_TP_ADD_TC(tp, access__prefix_edges);
	ATF_TP_ADD_TC(tp, autodeny__add_clear);
	ATF_TP_ADD_TC(tp, autodeny__full_drops_oldest);
	ATF_TP_ADD_TC(tp, penalty__doubling_and_expiry);
	ATF_TP_ADD_TC(tp, penalty__forgotten);
	ATF_TP_ADD_TC(tp, penalty__bounded);
	ATF_TP_ADD_TC(tp, penalty__inet6_prefix);
	ATF_TP_ADD_TC(tp, runtime__before_config);
	ATF_TP_ADD_TC(tp, runtime__longest_prefix);
	ATF_TP_ADD_TC(tp, runtime__expiry);
	ATF_TP_ADD_TC(tp, runtime__bad_input);
	ATF_TP_ADD_TC(tp, runtime__full);
	return (atf_no_error());
}
