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
 * The listening sockets, in the parent (root) only: a session gets an
 * accepted socket, never one of these.  They are bound at start, and a
 * reload matches the new listen statements to them by address and port:
 * a socket both lists have is handed over as it is, never closed, so no
 * connection is refused and nothing is bound again; a new one is bound
 * before anything else of the reload changes, so that a port that
 * cannot be had refuses the whole reload; one the new list lacks is
 * closed last, and the sessions it accepted, which hold their own
 * sockets, go on.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pop3d.h"

enum listener_match {
	LISTENER_OTHER,		/* another address or port */
	LISTENER_CHANGED,	/* the same socket, other options */
	LISTENER_SAME,
};

static void	(*accept_cb)(int, short, void *);
static struct event	 ev_resume;
static int		 paused;	/* out of descriptors, for a second */

/*
 * Everything a listen statement says, in one place: a new listener
 * option is one more comparison here, and a reload then applies it to
 * new connections and reports the listener changed.  The address is
 * compared as config.c tells duplicates apart (the scope of an IPv6
 * link-local address counts).
 */
static enum listener_match
listener_match(const struct listener *a, const struct listener *b)
{
	if (a->ss.ss_family != b->ss.ss_family ||
	    memcmp(&a->ss, &b->ss, ss_len(&a->ss)) != 0)
		return (LISTENER_OTHER);
	if (a->kind != b->kind || a->plaintext_auth != b->plaintext_auth ||
	    a->proxy != b->proxy)
		return (LISTENER_CHANGED);
	return (LISTENER_SAME);
}

static struct listener *
listener_find(struct listenerlist *list, const struct listener *l)
{
	struct listener	*o;

	TAILQ_FOREACH(o, list, entry)
		if (listener_match(o, l) != LISTENER_OTHER)
			return (o);
	return (NULL);
}

/*
 * A bound, listening socket for l.  Returns NULL, or the step that
 * failed with errno kept for the caller's message.
 */
static const char *
listener_open(struct listener *l)
{
	const char	*step;
	int		 fd, on = 1, saved;

	if ((fd = socket(l->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return ("open a socket for");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		step = "set SO_REUSEADDR on";
	else if (l->ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1)
		step = "set IPV6_V6ONLY on";
	else if (bind(fd, (struct sockaddr *)&l->ss, ss_len(&l->ss)) == -1)
		step = "bind";
	else if (listen(fd, LISTEN_BACKLOG) == -1)
		step = "listen on";
	else {
		l->fd = fd;
		return (NULL);
	}
	saved = errno;
	close(fd);
	errno = saved;
	return (step);
}

/* Accept on l from now on, unless out of descriptors for the moment. */
static void
listener_watch(struct listener *l)
{
	if (l->ev == NULL)
		l->ev = xcalloc(1, sizeof(*l->ev));
	event_set(l->ev, l->fd, EV_READ | EV_PERSIST, accept_cb, l);
	if (!paused)
		event_add(l->ev, NULL);
}

static void
listener_close(struct listener *l)
{
	if (l->ev != NULL) {
		event_del(l->ev);
		free(l->ev);
		l->ev = NULL;
	}
	if (l->fd != -1)
		close(l->fd);
	l->fd = -1;
}

static void
listeners_resume(int fd, short event, void *arg)
{
	const struct pop3d_conf	*c = parent_conf();
	struct listener		*l;

	paused = 0;
	TAILQ_FOREACH(l, &c->listeners, entry)
		event_add(l->ev, NULL);
}

/* Out of descriptors: stop accepting for a second instead of spinning. */
void
listeners_pause(const struct pop3d_conf *c)
{
	struct listener	*l;
	struct timeval	 tv = { 1, 0 };

	TAILQ_FOREACH(l, &c->listeners, entry)
		event_del(l->ev);
	paused = 1;
	evtimer_add(&ev_resume, &tv);
}

/* At start: every listener, or pop3d does not run. */
void
listeners_start(struct pop3d_conf *c, void (*cb)(int, short, void *))
{
	struct listener	*l;
	const char	*step;

	accept_cb = cb;
	evtimer_set(&ev_resume, listeners_resume, NULL);
	TAILQ_FOREACH(l, &c->listeners, entry) {
		if ((step = listener_open(l)) != NULL)
			fatal("cannot %s %s port %u", step, ss_to_text(&l->ss),
			    ss_port(&l->ss));
		listener_watch(l);
		log_info("listening on %s port %u", ss_to_text(&l->ss),
		    ss_port(&l->ss));
	}
}

/*
 * The first step of a reload: bind what the new configuration lists
 * and the running one does not.  All or nothing: on a failure, what
 * was bound here is closed again, the reason is logged (and so reaches
 * pop3ctl), and -1 refuses the reload.
 */
int
listeners_prepare(struct pop3d_conf *from, struct pop3d_conf *to)
{
	struct listener	*l;
	const char	*step;

	TAILQ_FOREACH(l, &to->listeners, entry) {
		if (listener_find(&from->listeners, l) != NULL)
			continue;
		if ((step = listener_open(l)) != NULL) {
			log_warn("reload failed: cannot %s %s port %u", step,
			    ss_to_text(&l->ss), ss_port(&l->ss));
			listeners_abort(to);
			return (-1);
		}
	}
	return (0);
}

/* A reload refused after listeners_prepare(): let its sockets go. */
void
listeners_abort(struct pop3d_conf *to)
{
	struct listener	*l;

	TAILQ_FOREACH(l, &to->listeners, entry)
		listener_close(l);
}

/*
 * The last step of a reload, which cannot fail: the new listeners take
 * the sockets they share with the old ones and accept on those bound by
 * listeners_prepare(); the old ones left are closed.  An option changed
 * on a kept socket counts for the connections accepted from now on.
 */
void
listeners_commit(struct pop3d_conf *from, struct pop3d_conf *to)
{
	struct listener	*l, *o;
	const char	*what;

	TAILQ_FOREACH(l, &to->listeners, entry) {
		what = "listening on";
		if ((o = listener_find(&from->listeners, l)) != NULL) {
			what = listener_match(o, l) == LISTENER_SAME ? NULL :
			    "new options for";
			event_del(o->ev);
			l->fd = o->fd;
			l->ev = o->ev;
			o->fd = -1;
			o->ev = NULL;
		}
		listener_watch(l);
		if (what != NULL)
			log_info("%s %s port %u", what, ss_to_text(&l->ss),
			    ss_port(&l->ss));
	}
	TAILQ_FOREACH(o, &from->listeners, entry) {
		if (o->fd == -1)
			continue;
		listener_close(o);
		log_info("no longer listening on %s port %u",
		    ss_to_text(&o->ss), ss_port(&o->ss));
	}
}
