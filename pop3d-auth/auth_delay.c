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
 * The delay before a failed login is answered, per source (the network
 * the parent names, a /64 for IPv6 by default): a guesser that opens a
 * new connection, or takes a new address of its /64, for every try
 * still waits longer each time.  The parent keeps its own per-source counters for
 * refusals at accept; this one only slows the answers.  Times are
 * seconds on a clock that does not jump (the caller's CLOCK_MONOTONIC).
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>

#include "auth.h"

/* Past this the delay is at its cap anyway; the count only decays. */
#define DELAY_FAILURES_MAX	64

struct delay {
	RB_ENTRY(delay)	 entry;
	TAILQ_ENTRY(delay)	 lru;	/* oldest failure first */
	char			 source[NI_MAXHOST];
	unsigned int		 failures;
	time_t			 last;	/* last failure, or decay */
};

RB_HEAD(delaytree, delay);
TAILQ_HEAD(delayq, delay);

static int	delay_cmp(struct delay *, struct delay *);
/* Not RB_GENERATE_STATIC: libbsd leaves the __unused it needs undefined. */
RB_PROTOTYPE(delaytree, delay, entry, delay_cmp);
RB_GENERATE(delaytree, delay, entry, delay_cmp);

static struct delaytree		sources = RB_INITIALIZER(&sources);
static struct delayq		lru = TAILQ_HEAD_INITIALIZER(lru);
static size_t			nsources;

static int
delay_cmp(struct delay *a, struct delay *b)
{
	return (strcmp(a->source, b->source));
}

/*
 * AUTH_FAIL_DELAY_MS for the first failure, doubled for each further
 * one, at most AUTH_DELAY_MAX_MS; nothing without failures.
 */
unsigned int
delay_ms(unsigned int failures)
{
	unsigned int	ms = AUTH_FAIL_DELAY_MS;

	if (failures == 0)
		return (0);
	while (--failures > 0 && ms < AUTH_DELAY_MAX_MS)
		ms *= 2;
	return (MINIMUM(ms, AUTH_DELAY_MAX_MS));
}

/* Each full AUTH_DELAY_DECAY_SEC without a failure forgives one. */
static void
delay_decay(struct delay *p, time_t now)
{
	time_t	quiet = now - p->last, n;

	if (quiet < AUTH_DELAY_DECAY_SEC)
		return;
	n = quiet / AUTH_DELAY_DECAY_SEC;
	p->failures = (time_t)p->failures <= n ? 0 : p->failures - n;
	p->last += n * AUTH_DELAY_DECAY_SEC;
}

static struct delay *
delay_find(const char *source)
{
	struct delay	key;

	/* Cut as delay_new() cuts, so that both name the same entry. */
	strlcpy(key.source, source, sizeof(key.source));
	return (RB_FIND(delaytree, &sources, &key));
}

static void
delay_remove(struct delay *p)
{
	RB_REMOVE(delaytree, &sources, p);
	TAILQ_REMOVE(&lru, p, lru);
	nsources--;
	free(p);
}

static struct delay *
delay_new(const char *source, time_t now)
{
	struct delay	*p;

	/* The source whose last failure is oldest has paid the least. */
	if (nsources >= AUTH_DELAY_SOURCES_MAX)
		delay_remove(TAILQ_FIRST(&lru));
	p = xcalloc(1, sizeof(*p));
	strlcpy(p->source, source, sizeof(p->source));
	p->last = now;
	RB_INSERT(delaytree, &sources, p);
	TAILQ_INSERT_TAIL(&lru, p, lru);
	nsources++;
	return (p);
}

/* Count a failure from source; returns how long to wait before saying so. */
unsigned int
delay_fail(const char *source, time_t now)
{
	struct delay	*p;

	if ((p = delay_find(source)) == NULL)
		p = delay_new(source, now);
	delay_decay(p, now);
	if (p->failures < DELAY_FAILURES_MAX)
		p->failures++;
	p->last = now;
	TAILQ_REMOVE(&lru, p, lru);
	TAILQ_INSERT_TAIL(&lru, p, lru);
	return (delay_ms(p->failures));
}

/* The failures counted against source now, after decay. */
unsigned int
delay_failures(const char *source, time_t now)
{
	struct delay	*p;

	if ((p = delay_find(source)) == NULL)
		return (0);
	delay_decay(p, now);
	return (p->failures);
}

void
delay_clear(void)
{
	struct delay	*p;

	while ((p = TAILQ_FIRST(&lru)) != NULL)
		delay_remove(p);
}
