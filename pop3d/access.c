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
 * accept(2) and nothing a session says: the access lists of pop3d.conf,
 * the auto-deny list, and the penalties for authentication failures.
 * Every table is bounded, and refusals are logged at a bounded rate.
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
	const struct access_rule	*r;
	struct addr			 a;

	if (l->plaintext_auth != PLAINTEXT_AUTH_UNSET ? l->plaintext_auth :
	    conf->plaintext_auth)
		return (1);
	if (addr_from_ss(peer, &a) == -1)
		return (0);
	TAILQ_FOREACH(r, &conf->plaintext_from, entry)
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
	char		 text[INET6_ADDRSTRLEN], msg[256];
	va_list		 ap;

	refused[why]++;
	if (addr_from_ss(ss, &a) == -1)
		return;
	if (!reflog_allowed(&a, time(NULL))) {
		reflog_suppress();
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	addr_text(&a, text, sizeof(text));
	log_info("%s: refused: %s", text, msg);
}

void
access_init(void)
{
	evtimer_set(&ev_reflog, reflog_summary, NULL);
}

/*
 * Whether a new connection from ss may be served.  A refusal is
 * counted and logged here; the caller closes the socket.
 */
int
access_admit(const struct pop3d_conf *conf, const struct sockaddr_storage *ss)
{
	struct addr	a;
	time_t		left;

	if (addr_from_ss(ss, &a) == -1) {
		access_refused(ss, REFUSED_ACCESS, "unknown address family");
		return (0);
	}
	if (access_listed(conf, &a) != (conf->access_default == ACCESS_DENY)) {
		access_refused(ss, REFUSED_ACCESS, "access list");
		return (0);
	}
	if (autodeny_find(&a) != NULL) {
		access_refused(ss, REFUSED_AUTODENY, "auto-deny");
		return (0);
	}
	if ((left = penalty_left(conf, &a, time(NULL))) > 0) {
		access_refused(ss, REFUSED_PENALTY, "penalty, %lld seconds "
		    "left", (long long)left);
		return (0);
	}
	return (1);
}

static void
autodeny_log(const struct addr *a, uint32_t reason)
{
	char	text[INET6_ADDRSTRLEN];

	addr_text(a, text, sizeof(text));
	if (reason == AUTODENY_LONG_LINE)
		log_info("%s: auto-denied: line over %d characters", text,
		    AUTODENY_LINE);
	else
		log_info("%s: auto-denied: reason %u", text, reason);
}

/* Full: the oldest entry makes room, and the log says which. */
static void
autodeny_evict(void)
{
	struct autodeny	*d;
	char		 text[INET6_ADDRSTRLEN];

	if ((d = TAILQ_FIRST(&autodeny_age)) == NULL)
		return;
	addr_text(&d->addr, text, sizeof(text));
	log_warnx("auto-deny list full (%d addresses): %s removed, listed "
	    "since %lld", AUTODENY_TABLE_MAX, text, (long long)d->since);
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

	if (addr_from_ss(ss, &a) == -1 || autodeny_find(&a) != NULL)
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
	autodeny_log(&a, reason);
	return (1);
}

/* "all" or one address; the number of entries removed, -1 if bad. */
int
autodeny_clear(const char *what)
{
	struct autodeny	*d;
	struct addr	 a;
	int		 n = 0;

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
	if (addr_from_text(what, &a) == -1)
		return (-1);
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
	char		 text[INET6_ADDRSTRLEN];

	RB_FOREACH_SAFE(p, penalty_tree, &penalties, next) {
		if (penalty_expired(conf, p, now))
			penalty_remove(p);
		else if (victim == NULL || p->until < victim->until ||
		    (p->until == victim->until && p->last < victim->last))
			victim = p;
	}
	if (penalty_count < PENALTY_TABLE_MAX || victim == NULL)
		return;
	addr_text(&victim->addr, text, sizeof(text));
	log_warnx("penalty table full (%d addresses): %s forgotten",
	    PENALTY_TABLE_MAX, text);
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
 * penalty_failures-th failure on, each one refuses the address for
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
	char		 text[INET6_ADDRSTRLEN];
	time_t		 now = time(NULL), t;
	uint32_t	 n;

	if (conf->penalty_failures <= 0 || addr_from_ss(ss, &a) == -1)
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
	addr_text(&a, text, sizeof(text));
	log_info("%s: penalty: %u authentication failures, refused for "
	    "%lld seconds", text, p->failures, (long long)t);
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
		addr_text(&d->addr, e.addr, sizeof(e.addr));
		e.since = d->since;
		e.reason = d->reason;
		cb(&e, arg);
	}
}

/* Addresses with failures on record; expired ones are dropped first. */
void
access_show_penalties(const struct pop3d_conf *conf,
    void (*cb)(const struct ctl_penalty *, void *), void *arg)
{
	struct penalty		*p, *next;
	struct ctl_penalty	 e;
	time_t			 now = time(NULL);

	if (conf->penalty_failures == 0)
		return;
	RB_FOREACH_SAFE(p, penalty_tree, &penalties, next) {
		if (penalty_expired(conf, p, now)) {
			penalty_remove(p);
			continue;
		}
		memset(&e, 0, sizeof(e));
		addr_text(&p->addr, e.addr, sizeof(e.addr));
		e.failures = p->failures;
		e.left = p->until > now ? p->until - now : 0;
		cb(&e, arg);
	}
}
