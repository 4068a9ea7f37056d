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
 * Runs as root, in the parent: the numbers of pop3ctl show metrics that
 * pop3ctl status does not have.  The parent counts what it sees (the
 * counters of ended sessions, children lost); pop3d-auth counts its
 * decisions by method, its queue and its latency, and is asked for
 * them at each show metrics (MSG_AUTH_STATS_REQ), so that the answer
 * is what every pop3d-auth holds at that moment.  Nothing here decides
 * anything: a number from a child is only shown.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <event.h>
#include <stdlib.h>
#include <string.h>

#include "pop3d.h"
#include "proc.h"

/* A show metrics waiting for the pop3d-auth processes it asked. */
struct metrics_query {
	TAILQ_ENTRY(metrics_query)	 entry;
	uint32_t			 id;
	void				(*done)(void *,
					    const struct ctl_metrics *);
	void				*arg;
	pid_t				 asked[AUTH_PROCS_MAX * 4];
	int				 nasked;
	int				 pending;
	struct event			 timeout;
};

/*
 * The last counters of each pop3d-auth.  One that is gone leaves its
 * last ones in auth_gone, so that the sums never go back; what it
 * counted after the last query is lost with it.
 */
struct auth_snap {
	TAILQ_ENTRY(auth_snap)	 entry;
	pid_t			 pid;
	struct auth_stats	 st;
};

static TAILQ_HEAD(, metrics_query) queries =
				    TAILQ_HEAD_INITIALIZER(queries);
static TAILQ_HEAD(, auth_snap)	 snaps = TAILQ_HEAD_INITIALIZER(snaps);
static struct auth_stats	 auth_gone;
static uint32_t			 query_id;
static struct ctl_metrics	 counted;	/* the parent's own counters */

/* A logged-in session ended: what it retrieved and deleted. */
void
metrics_session_end(const struct sess_end *e)
{
	counted.retrieved += e->retrieved;
	counted.retrieved_octets += e->retrieved_octets;
	counted.deleted += e->deleted;
	counted.deleted_octets += e->deleted_octets;
}

/* A session or store died of a signal or an error status. */
void
metrics_child_lost(int kind)
{
	if (kind == CHILD_SESSION)
		counted.lost[CTL_LOST_SESSION]++;
	else if (kind == CHILD_STORE)
		counted.lost[CTL_LOST_STORE]++;
}

static void
stats_add(struct auth_stats *to, const struct auth_stats *from,
    int gauges)
{
	size_t	i;

	for (i = 0; i < STAT_METHODS; i++) {
		to->ok[i] += from->ok[i];
		to->fail[i] += from->fail[i];
		to->tempfail[i] += from->tempfail[i];
	}
	to->requests += from->requests;
	to->latency_ms += from->latency_ms;
	for (i = 0; i < nitems(to->latency); i++)
		to->latency[i] += from->latency[i];
	if (gauges) {
		to->queued += from->queued;
		to->sessions += from->sessions;
	}
}

static int
auth_alive(pid_t pid)
{
	struct child	*c;

	TAILQ_FOREACH(c, &children, entry)
		if (c->kind == CHILD_AUTH && c->pid == pid && !c->reaped &&
		    !c->closed)
			return (1);
	return (0);
}

static struct auth_snap *
snap_get(pid_t pid)
{
	struct auth_snap	*a;

	TAILQ_FOREACH(a, &snaps, entry)
		if (a->pid == pid)
			return (a);
	a = xcalloc(1, sizeof(*a));
	a->pid = pid;
	TAILQ_INSERT_TAIL(&snaps, a, entry);
	return (a);
}

/* The snapshots of processes that are gone join auth_gone. */
static void
snaps_fold(void)
{
	struct auth_snap	*a, *next;

	TAILQ_FOREACH_SAFE(a, &snaps, entry, next) {
		if (auth_alive(a->pid))
			continue;
		stats_add(&auth_gone, &a->st, 0);
		TAILQ_REMOVE(&snaps, a, entry);
		free(a);
	}
}

static void
query_finish(struct metrics_query *q)
{
	struct ctl_metrics	 m;
	struct auth_snap	*a;

	evtimer_del(&q->timeout);
	TAILQ_REMOVE(&queries, q, entry);
	snaps_fold();
	m = counted;
	m.auth = auth_gone;
	TAILQ_FOREACH(a, &snaps, entry)
		stats_add(&m.auth, &a->st, 1);
	m.auth_procs = q->nasked;
	m.auth_silent = q->pending;
	m.runtime_entries = access_rt_count();
	if (q->done != NULL)
		q->done(q->arg, &m);
	free(q);
}

static void
query_timeout(int fd, short event, void *arg)
{
	struct metrics_query	*q = arg;

	if (q->pending > 0)
		log_warnx("show metrics: %d pop3d-auth processes did not "
		    "answer within %d seconds", q->pending,
		    METRICS_AUTH_TIMEOUT);
	query_finish(q);
}

/*
 * Ask every pop3d-auth for its counters; done(arg, metrics) once all
 * have answered, or at the timeout.  Never before this returns: the
 * caller's state must not change under it.
 */
void
metrics_collect(void (*done)(void *, const struct ctl_metrics *), void *arg)
{
	struct timeval		 tv = { METRICS_AUTH_TIMEOUT, 0 };
	struct timeval		 now = { 0, 0 };
	struct metrics_query	*q;
	struct child		*c;

	q = xcalloc(1, sizeof(*q));
	if (++query_id == 0)
		query_id = 1;
	q->id = query_id;
	q->done = done;
	q->arg = arg;
	TAILQ_INSERT_TAIL(&queries, q, entry);
	evtimer_set(&q->timeout, query_timeout, q);
	evtimer_add(&q->timeout, &tv);
	TAILQ_FOREACH(c, &children, entry) {
		if (c->kind != CHILD_AUTH || c->reaped || c->closed ||
		    q->nasked >= (int)nitems(q->asked))
			continue;
		child_send(c, MSG_AUTH_STATS_REQ, q->id, -1, NULL, 0);
		q->asked[q->nasked++] = c->pid;
		q->pending++;
	}
	/* None to ask: answered from the event loop, at once. */
	if (q->pending == 0) {
		evtimer_del(&q->timeout);
		evtimer_add(&q->timeout, &now);
	}
}

/* The client that asked is gone: the answer goes nowhere. */
void
metrics_cancel(void *arg)
{
	struct metrics_query	*q;

	TAILQ_FOREACH(q, &queries, entry)
		if (q->arg == arg)
			q->done = NULL;
}

/*
 * MSG_AUTH_STATS.  An answer to a query that timed out, or from a
 * process it did not ask, still updates that process's counters.
 */
int
metrics_auth_stats(void *arg, struct frame *fr)
{
	struct child		*c = arg;
	struct metrics_query	*q;
	struct auth_stats	 st;
	int			 i;

	frame_get(fr, &st, sizeof(st));
	snap_get(c->pid)->st = st;
	TAILQ_FOREACH(q, &queries, entry)
		if (q->id == fr->hdr.peerid)
			break;
	if (q == NULL)
		return (0);
	for (i = 0; i < q->nasked; i++) {
		if (q->asked[i] != c->pid)
			continue;
		q->asked[i] = 0;
		if (--q->pending == 0)
			query_finish(q);
		break;
	}
	return (0);
}
