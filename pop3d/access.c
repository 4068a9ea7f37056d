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
 * Runs as root, in the parent: who may connect.  Decided at accept,
 * before a byte is read or written, from the address the kernel gave
 * accept(2) and nothing a session says: the runtime access list
 * (access_rt.c), the access lists of pop3d.conf, the auto-deny list, and
 * the penalties for authentication failures.
 * Every table is bounded, and refusals are logged at a bounded rate.
 *
 * The access lists judge the address itself; everything that counts
 * what a client did (auto-deny, penalties, the per-source limit, the
 * choice of pop3d-auth and its answer delays) counts by its source: the
 * network of its first source-prefix bits, /64 for IPv6 by default,
 * since a single host there is handed a /64 and picks any address in
 * it.  Log lines name the address itself.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <netinet/in.h>

#include <event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pop3d.h"

struct autodeny {
	RB_ENTRY(autodeny)	 node;
	TAILQ_ENTRY(autodeny)	 entry;		/* oldest first */
	struct addr		 addr;
	time_t			 since;
	uint32_t		 reason;
};

struct penalty {
	RB_ENTRY(penalty)	 node;
	struct addr		 addr;
	uint32_t		 failures;
	time_t			 last;	/* the last failure */
	time_t			 until;	/* refused before this */
};

/* The sources whose refusal was logged lately. */
struct reflog {
	struct addr	addr;
	time_t		last;
};

static int	autodeny_cmp(struct autodeny *, struct autodeny *);
static int	access_in_list(const struct access_list *,
		    const struct sockaddr_storage *);
static int	penalty_cmp(struct penalty *, struct penalty *);

RB_HEAD(autodeny_tree, autodeny);
RB_PROTOTYPE(autodeny_tree, autodeny, node, autodeny_cmp)
RB_GENERATE(autodeny_tree, autodeny, node, autodeny_cmp)
RB_HEAD(penalty_tree, penalty);
RB_PROTOTYPE(penalty_tree, penalty, node, penalty_cmp)
RB_GENERATE(penalty_tree, penalty, node, penalty_cmp)

static struct autodeny_tree	 autodenies = RB_INITIALIZER(&autodenies);
static TAILQ_HEAD(, autodeny)	 autodeny_age =
				    TAILQ_HEAD_INITIALIZER(autodeny_age);
static size_t			 autodeny_count;
static uint64_t			 autodeny_total;

static struct penalty_tree	 penalties = RB_INITIALIZER(&penalties);
static size_t			 penalty_count;

static uint64_t			 refused[REFUSED_MAX];
static struct reflog		 reflog[REFUSAL_LOG_SOURCES];
static time_t			 reflog_second;
static int			 reflog_lines;	/* in reflog_second */
static uint64_t			 reflog_suppressed;
static struct event		 ev_reflog;

/* source-prefix: how many leading bits make a source, IPv4 and IPv6. */
static int			 prefix4 = SOURCE_PREFIX_INET_DEFAULT;
static int			 prefix6 = SOURCE_PREFIX_INET6_DEFAULT;

static int
autodeny_cmp(struct autodeny *a, struct autodeny *b)
{
	return (addr_cmp(&a->addr, &b->addr));
}

static int
penalty_cmp(struct penalty *a, struct penalty *b)
{
	return (addr_cmp(&a->addr, &b->addr));
}

static int
source_plen(const struct addr *a)
{
	return (a->family == AF_INET ? prefix4 : prefix6);
}

/* The source of ss, as every per-source table keys it; 0, or -1. */
int
access_source(const struct sockaddr_storage *ss, struct addr *a)
{
	if (addr_from_ss(ss, a) == -1)
		return (-1);
	addr_mask(a, source_plen(a));
	return (0);
}

/* "192.0.2.1" or "2001:db8:1:2::/64": a source as pop3ctl shows it. */
const char *
access_source_text(const struct addr *a)
{
	return (addr_net_text(a, source_plen(a)));
}

int
access_same_source(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	struct addr	x, y;

	if (access_source(a, &x) == -1 || access_source(b, &y) == -1)
		return (0);
	return (addr_cmp(&x, &y) == 0);
}

/*
 * The tables keyed by the old prefix are keyed again by the new one,
 * so that a reload cannot free a listed source; entries that fall into
 * one source merge, keeping the harsher of each value.
 */
static void
access_rekey(void)
{
	struct autodeny		*d, *dnext;
	struct penalty		*p, *pnext, *q;
	struct penalty_tree	 oldp = penalties;

	RB_INIT(&autodenies);
	TAILQ_FOREACH_SAFE(d, &autodeny_age, entry, dnext) {
		addr_mask(&d->addr, source_plen(&d->addr));
		if (RB_INSERT(autodeny_tree, &autodenies, d) != NULL) {
			/* Oldest first: the one listed earlier stays. */
			TAILQ_REMOVE(&autodeny_age, d, entry);
			autodeny_count--;
			free(d);
		}
	}
	RB_INIT(&penalties);
	RB_FOREACH_SAFE(p, penalty_tree, &oldp, pnext) {
		RB_REMOVE(penalty_tree, &oldp, p);
		addr_mask(&p->addr, source_plen(&p->addr));
		if ((q = RB_INSERT(penalty_tree, &penalties, p)) == NULL)
			continue;
		q->failures = MAXIMUM(q->failures, p->failures);
		q->last = MAXIMUM(q->last, p->last);
		q->until = MAXIMUM(q->until, p->until);
		penalty_count--;
		free(p);
	}
}

/* At start and at every reload. */
void
access_configure(const struct pop3d_conf *conf)
{
	access_rt_configure(conf);
	if (conf->source_prefix4 == prefix4 &&
	    conf->source_prefix6 == prefix6)
		return;
	prefix4 = conf->source_prefix4;
	prefix6 = conf->source_prefix6;
	access_rekey();
}

/*
 * The seed's two modes: with "access default grant" only deny rules
 * matter (everyone but those), with "access default deny" only grant
 * rules (no one but those); the parser warns about the other kind.
 */
static int
access_listed(const struct pop3d_conf *conf, const struct addr *peer)
{
	const struct access_rule	*r;
	enum access_action		 other;

	other = conf->access_default == ACCESS_DENY ? ACCESS_GRANT :
	    ACCESS_DENY;
	TAILQ_FOREACH(r, &conf->access_rules, entry)
		if (r->action == other &&
		    addr_in_net(peer, &r->net, r->prefixlen))
			return (1);
	return (0);
}

/*
 * Whether a client of listener l may send its password in clear text:
 * the listener's policy, else the global one, else whether the client
 * is in a plaintext-auth from network.
 */
int
access_plaintext(const struct pop3d_conf *conf, const struct listener *l,
    const struct sockaddr_storage *peer)
{
	return (access_plaintext_policy(conf, l->plaintext_auth, peer));
}

/*
 * The same with the listener's own setting (PLAINTEXT_AUTH_UNSET to
 * follow the global one), for a client a PROXY header named after
 * accept.
 */
int
access_plaintext_policy(const struct pop3d_conf *conf, int ptauth,
    const struct sockaddr_storage *peer)
{
	if (ptauth != PLAINTEXT_AUTH_UNSET ? ptauth : conf->plaintext_auth)
		return (1);
	return (access_in_list(&conf->plaintext_from, peer));
}

/* Whether a peer may send a PROXY header: it is a trusted-proxy. */
int
access_trusted_proxy(const struct pop3d_conf *conf,
    const struct sockaddr_storage *peer)
{
	return (access_in_list(&conf->trusted_proxies, peer));
}

static int
access_in_list(const struct access_list *list,
    const struct sockaddr_storage *peer)
{
	const struct access_rule	*r;
	struct addr			 a;

	if (addr_from_ss(peer, &a) == -1)
		return (0);
	TAILQ_FOREACH(r, list, entry)
		if (addr_in_net(&a, &r->net, r->prefixlen))
			return (1);
	return (0);
}

static struct autodeny *
autodeny_find(const struct addr *a)
{
	struct autodeny	key;

	key.addr = *a;
	return (RB_FIND(autodeny_tree, &autodenies, &key));
}

static struct penalty *
penalty_find(const struct addr *a)
{
	struct penalty	key;

	key.addr = *a;
	return (RB_FIND(penalty_tree, &penalties, &key));
}

static void
penalty_remove(struct penalty *p)
{
	RB_REMOVE(penalty_tree, &penalties, p);
	penalty_count--;
	free(p);
}

/*
 * Nothing in force and nothing left to remember: penalty_max quiet
 * seconds after the last failure and after the last refusal ended, so
 * that a guesser who waits out each refusal still climbs the doubling.
 */
static int
penalty_expired(const struct pop3d_conf *conf, const struct penalty *p,
    time_t now)
{
	return (now >= p->until &&
	    now - MAXIMUM(p->last, p->until) >= conf->penalty_max);
}

/* Seconds the address is still refused, 0 if none. */
static time_t
penalty_left(const struct pop3d_conf *conf, const struct addr *a, time_t now)
{
	struct penalty	*p;

	if (conf->penalty_failures == 0 || (p = penalty_find(a)) == NULL)
		return (0);
	if (penalty_expired(conf, p, now)) {
		penalty_remove(p);
		return (0);
	}
	return (p->until > now ? p->until - now : 0);
}

/*
 * The refusals of one summary interval that were not logged, in one
 * line; a flood costs a line every REFUSAL_LOG_INTERVAL seconds.
 */
static void
reflog_summary(int fd, short event, void *arg)
{
	if (reflog_suppressed == 0)
		return;
	log_info("%llu more refusals suppressed",
	    (unsigned long long)reflog_suppressed);
	reflog_suppressed = 0;
}

static void
reflog_suppress(void)
{
	struct timeval	tv = { REFUSAL_LOG_INTERVAL, 0 };

	reflog_suppressed++;
	if (!evtimer_pending(&ev_reflog, NULL))
		evtimer_add(&ev_reflog, &tv);
}

/* Whether a refusal of this source may be logged now. */
static int
reflog_allowed(const struct addr *a, time_t now)
{
	struct reflog	*r, *oldest = &reflog[0];
	size_t		 i;

	for (i = 0; i < nitems(reflog); i++) {
		r = &reflog[i];
		if (r->last != 0 && addr_cmp(&r->addr, a) == 0) {
			if (now - r->last < REFUSAL_LOG_INTERVAL)
				return (0);
			oldest = r;
			break;
		}
		if (r->last < oldest->last)
			oldest = r;
	}
	if (reflog_second != now) {
		reflog_second = now;
		reflog_lines = 0;
	}
	if (reflog_lines >= REFUSAL_LOG_PER_SEC)
		return (0);
	reflog_lines++;
	oldest->addr = *a;
	oldest->last = now;
	return (1);
}

/* A connection refused at accept: counted, and logged at a bounded rate. */
void
access_refused(const struct sockaddr_storage *ss, enum refusal why,
    const char *fmt, ...)
{
	struct addr	 a;
	char		 msg[256];
	va_list		 ap;

	refused[why]++;
	/* One source, one line an interval, however many addresses. */
	if (access_source(ss, &a) == -1)
		return;
	if (!reflog_allowed(&a, time(NULL))) {
		reflog_suppress();
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_info("%s: refused: %s", ss_to_text(ss), msg);
}

void
access_init(void)
{
	evtimer_set(&ev_reflog, reflog_summary, NULL);
	access_rt_init();
}

/*
 * Whether a new connection from ss may be served.  A refusal is
 * counted and logged here; the caller closes the socket.
 */
int
access_admit(const struct pop3d_conf *conf, const struct sockaddr_storage *ss)
{
	struct addr	a, src;
	time_t		left;

	if (addr_from_ss(ss, &a) == -1 || access_source(ss, &src) == -1) {
		access_refused(ss, REFUSED_ACCESS, "unknown address family");
		return (0);
	}
	/* The runtime list decides before pop3d.conf's rules. */
	switch (access_rt_match(&a, time(NULL))) {
	case ACCESS_DENY:
		access_refused(ss, REFUSED_RUNTIME, "runtime access list");
		return (0);
	case ACCESS_GRANT:
		break;
	default:
		if (access_listed(conf, &a) !=
		    (conf->access_default == ACCESS_DENY)) {
			access_refused(ss, REFUSED_ACCESS, "access list");
			return (0);
		}
	}
	if (autodeny_find(&src) != NULL) {
		access_refused(ss, REFUSED_AUTODENY, "auto-deny");
		return (0);
	}
	if ((left = penalty_left(conf, &src, time(NULL))) > 0) {
		access_refused(ss, REFUSED_PENALTY, "penalty, %lld seconds "
		    "left", (long long)left);
		return (0);
	}
	return (1);
}

/* The address that did it, and the source that pays when it is wider. */
static void
autodeny_log(const struct sockaddr_storage *ss, const struct addr *src,
    uint32_t reason)
{
	char	text[INET6_ADDRSTRLEN], also[INET6_ADDRSTRLEN + 32];

	strlcpy(text, ss_to_text(ss), sizeof(text));
	also[0] = '\0';
	if (source_plen(src) < addr_bits(src))
		snprintf(also, sizeof(also), " (source %s)",
		    access_source_text(src));
	if (reason == AUTODENY_LONG_LINE)
		log_info("%s: auto-denied: line over %d characters%s", text,
		    AUTODENY_LINE, also);
	else
		log_info("%s: auto-denied: reason %u%s", text, reason, also);
}

/* Full: the oldest entry makes room, and the log says which. */
static void
autodeny_evict(void)
{
	struct autodeny	*d;

	if ((d = TAILQ_FIRST(&autodeny_age)) == NULL)
		return;
	log_warnx("auto-deny list full (%d sources): %s removed, listed "
	    "since %lld", AUTODENY_TABLE_MAX, access_source_text(&d->addr),
	    (long long)d->since);
	TAILQ_REMOVE(&autodeny_age, d, entry);
	RB_REMOVE(autodeny_tree, &autodenies, d);
	autodeny_count--;
	free(d);
}

/*
 * ss is the address the parent accepted for the reporting session.
 * Returns 1 if it was listed now, 0 if it was already listed.
 */
int
autodeny_add(const struct sockaddr_storage *ss, uint32_t reason)
{
	struct autodeny	*d;
	struct addr	 a;

	if (access_source(ss, &a) == -1 || autodeny_find(&a) != NULL)
		return (0);
	if (autodeny_count >= AUTODENY_TABLE_MAX)
		autodeny_evict();
	d = xcalloc(1, sizeof(*d));
	d->addr = a;
	d->since = time(NULL);
	d->reason = reason;
	RB_INSERT(autodeny_tree, &autodenies, d);
	TAILQ_INSERT_TAIL(&autodeny_age, d, entry);
	autodeny_count++;
	autodeny_total++;
	autodeny_log(ss, &a, reason);
	return (1);
}

/*
 * "all", or an address or a source as listed: the entry of its source.
 * The number of entries removed, -1 if bad.
 */
int
autodeny_clear(const char *what)
{
	struct autodeny	*d;
	struct addr	 a;
	char		 err[128];
	int		 n = 0, plen, hostbits;

	if (strcmp(what, "all") == 0) {
		while ((d = TAILQ_FIRST(&autodeny_age)) != NULL) {
			TAILQ_REMOVE(&autodeny_age, d, entry);
			RB_REMOVE(autodeny_tree, &autodenies, d);
			free(d);
			n++;
		}
		autodeny_count = 0;
		log_info("auto-deny list cleared: %d addresses", n);
		return (n);
	}
	if (addr_parse_net(what, &a, &plen, &hostbits, err,
	    sizeof(err)) == -1 || plen < source_plen(&a))
		return (-1);
	addr_mask(&a, source_plen(&a));
	if ((d = autodeny_find(&a)) == NULL)
		return (0);
	TAILQ_REMOVE(&autodeny_age, d, entry);
	RB_REMOVE(autodeny_tree, &autodenies, d);
	autodeny_count--;
	free(d);
	log_info("%s: removed from the auto-deny list", what);
	return (1);
}

/*
 * Full: forget what matters least, first whatever has expired, else
 * the entry whose refusal ends soonest (counting-only ones first).
 */
static void
penalty_evict(const struct pop3d_conf *conf, time_t now)
{
	struct penalty	*p, *next, *victim = NULL;

	RB_FOREACH_SAFE(p, penalty_tree, &penalties, next) {
		if (penalty_expired(conf, p, now))
			penalty_remove(p);
		else if (victim == NULL || p->until < victim->until ||
		    (p->until == victim->until && p->last < victim->last))
			victim = p;
	}
	if (penalty_count < PENALTY_TABLE_MAX || victim == NULL)
		return;
	log_warnx("penalty table full (%d sources): %s forgotten",
	    PENALTY_TABLE_MAX, access_source_text(&victim->addr));
	penalty_remove(victim);
}

static struct penalty *
penalty_get(const struct pop3d_conf *conf, const struct addr *a, time_t now)
{
	struct penalty	*p;

	if ((p = penalty_find(a)) != NULL) {
		if (!penalty_expired(conf, p, now))
			return (p);
		penalty_remove(p);
	}
	if (penalty_count >= PENALTY_TABLE_MAX)
		penalty_evict(conf, now);
	p = xcalloc(1, sizeof(*p));
	p->addr = *a;
	RB_INSERT(penalty_tree, &penalties, p);
	penalty_count++;
	return (p);
}

/*
 * pop3d-auth reported a failed login of a session from ss.  From the
 * penalty_failures-th failure on, each one refuses its source for
 * penalty_time seconds, doubled per failure beyond that, at most
 * penalty_max.  Sessions already open go on; their own attempts are
 * bounded by pop3d-auth.  The refusal runs from the moment the client
 * gets pop3d-auth's answer, answered seconds from now.
 */
void
penalty_failure(const struct pop3d_conf *conf,
    const struct sockaddr_storage *ss, time_t answered)
{
	struct penalty	*p;
	struct addr	 a;
	char		 also[INET6_ADDRSTRLEN + 32];
	time_t		 now = time(NULL), t;
	uint32_t	 n;

	if (conf->penalty_failures <= 0 || access_source(ss, &a) == -1)
		return;
	p = penalty_get(conf, &a, now);
	if (p->failures < UINT32_MAX)
		p->failures++;
	p->last = now;
	if (p->failures < (uint32_t)conf->penalty_failures)
		return;
	t = conf->penalty_time;
	for (n = p->failures - conf->penalty_failures;
	    n > 0 && t < conf->penalty_max; n--)
		t *= 2;
	if (t > conf->penalty_max)
		t = conf->penalty_max;
	/* From when pop3d-auth's delayed answer reaches the client. */
	if (now + answered + t > p->until)
		p->until = now + answered + t;
	also[0] = '\0';
	if (source_plen(&a) < addr_bits(&a))
		snprintf(also, sizeof(also), " (source %s)",
		    access_source_text(&a));
	log_info("%s: penalty: %u authentication failures, refused for "
	    "%lld seconds%s", ss_to_text(ss), p->failures, (long long)t,
	    also);
}

void
access_status(const struct pop3d_conf *conf, struct ctl_status *st)
{
	struct penalty	*p;
	time_t		 now = time(NULL);

	memcpy(st->refused, refused, sizeof(st->refused));
	st->autodenies = autodeny_total;
	st->autodeny_listed = autodeny_count;
	st->penalized = 0;
	if (conf->penalty_failures > 0)
		RB_FOREACH(p, penalty_tree, &penalties)
			if (p->until > now)
				st->penalized++;
}

void
access_show_autodeny(void (*cb)(const struct ctl_autodeny *, void *),
    void *arg)
{
	struct autodeny		*d;
	struct ctl_autodeny	 e;

	TAILQ_FOREACH(d, &autodeny_age, entry) {
		memset(&e, 0, sizeof(e));
		strlcpy(e.addr, access_source_text(&d->addr), sizeof(e.addr));
		e.since = d->since;
		e.reason = d->reason;
		cb(&e, arg);
	}
}

static void
show_entry(void (*cb)(const struct ctl_access_entry *, void *), void *arg,
    int origin, int action, const struct addr *net, int prefixlen,
    int64_t left, const char *reason)
{
	struct ctl_access_entry	e;

	memset(&e, 0, sizeof(e));
	e.origin = origin;
	e.action = action;
	e.prefixlen = prefixlen;
	e.left = left;
	if (net != NULL)
		addr_text(net, e.addr, sizeof(e.addr));
	strlcpy(e.reason, reason, sizeof(e.reason));
	cb(&e, arg);
}

/* Addresses with failures on record; expired ones are dropped first. */
static void
show_penalties(const struct pop3d_conf *conf,
    void (*cb)(const struct ctl_access_entry *, void *), void *arg)
{
	struct penalty		*p, *next;
	char			 why[64];
	time_t			 now = time(NULL);

	if (conf->penalty_failures == 0)
		return;
	RB_FOREACH_SAFE(p, penalty_tree, &penalties, next) {
		if (penalty_expired(conf, p, now)) {
			penalty_remove(p);
			continue;
		}
		snprintf(why, sizeof(why), "%u authentication failures",
		    p->failures);
		if (p->until > now)
			show_entry(cb, arg, ACCESS_ORIGIN_PENALTY, ACCESS_DENY,
			    &p->addr, source_plen(&p->addr), p->until - now,
			    why);
		else
			show_entry(cb, arg, ACCESS_ORIGIN_PENALTY, 0,
			    &p->addr, source_plen(&p->addr), -1, why);
	}
}

/*
 * pop3ctl show access: every entry that decides who may connect, with
 * where it comes from, pop3d.conf's first.
 */
void
access_show(const struct pop3d_conf *conf,
    void (*cb)(const struct ctl_access_entry *, void *), void *arg)
{
	const struct access_rule	*r;
	struct autodeny			*d;
	char				 why[64];

	show_entry(cb, arg, ACCESS_ORIGIN_CONFIG, conf->access_default ==
	    ACCESS_DENY ? ACCESS_DENY : ACCESS_GRANT, NULL, -1, -1,
	    "access default");
	TAILQ_FOREACH(r, &conf->access_rules, entry)
		show_entry(cb, arg, ACCESS_ORIGIN_CONFIG, r->action, &r->net,
		    r->prefixlen, -1, "");
	access_rt_show(cb, arg);
	TAILQ_FOREACH(d, &autodeny_age, entry) {
		if (d->reason == AUTODENY_LONG_LINE)
			snprintf(why, sizeof(why), "line over %d characters",
			    AUTODENY_LINE);
		else
			snprintf(why, sizeof(why), "reason %u", d->reason);
		show_entry(cb, arg, ACCESS_ORIGIN_AUTODENY, ACCESS_DENY,
		    &d->addr, source_plen(&d->addr), -1, why);
	}
	show_penalties(conf, cb, arg);
}
