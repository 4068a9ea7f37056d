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
 * pop3d-auth: the one process that decides a login.  The parent hands
 * it one channel per session; a session asks, auth answers, and on
 * success auth tells the parent itself, so that a session can never
 * claim a login that auth did not grant.
 *
 * Sessions are less trusted than auth and auth serves all of them: a
 * bad frame from a session drops that session, never auth.  The parent
 * is more trusted: a bad frame from it is fatal.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/tree.h>

#include <errno.h>
#include <event.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pop3d.h"
#include "msg.h"
#include "sandbox.h"
#include "auth.h"

enum sess_state {
	SESS_READY,		/* may send a request */
	SESS_DELAY,		/* a failure is being answered late */
	SESS_GRANTING,		/* OK waits until the parent has the grant */
	SESS_DONE,		/* logged in: nothing left to ask */
};

/*
 * One session's state.  APOP challenges, SASL exchanges and password
 * changes add their fields here.
 */
struct auth_sess {
	RB_ENTRY(auth_sess)	 entry;
	TAILQ_ENTRY(auth_sess)	 wait;		/* while SESS_GRANTING */
	uint32_t		 sid;
	char			 peer[NI_MAXHOST];
	char			 who[NI_MAXHOST + 32];	/* for log lines */
	enum sess_state		 state;
	int			 tries;
	struct imsgbuf		 ibuf;
	struct event		 ev;
	struct event		 delay;
};

RB_HEAD(sesstree, auth_sess);
TAILQ_HEAD(sessqueue, auth_sess);

static int	sess_cmp(struct auth_sess *, struct auth_sess *);
/* Not RB_GENERATE_STATIC: libbsd leaves the __unused it needs undefined. */
RB_PROTOTYPE(sesstree, auth_sess, entry, sess_cmp);
RB_GENERATE(sesstree, auth_sess, entry, sess_cmp);

static void	parent_event_add(void);
static void	parent_dispatch(int, short, void *);
static void	parent_imsg(struct imsg *);
static void	auth_configure(struct imsg *);
static void	auth_release_grants(void);
static void	sess_new(struct imsg *);
static void	sess_free(struct auth_sess *);
static void	sess_event_add(struct auth_sess *);
static void	sess_dispatch(int, short, void *);
static int	sess_imsg(struct auth_sess *, struct imsg *);
static int	sess_userpass(struct auth_sess *, struct imsg *);
static void	sess_grant(struct auth_sess *, const char *);
static void	sess_fail(struct auth_sess *, const char *);
static void	sess_delay_done(int, short, void *);
static void	sess_result(struct auth_sess *, enum auth_result);

static struct imsgbuf		 parent_ibuf;
static struct event		 parent_ev;
static struct sesstree		 sessions = RB_INITIALIZER(&sessions);
static struct sessqueue		 granting = TAILQ_HEAD_INITIALIZER(granting);
static const struct auth_backend *backend = &auth_backend_system;
static int			 configured;

static int
sess_cmp(struct auth_sess *a, struct auth_sess *b)
{
	if (a->sid < b->sid)
		return (-1);
	return (a->sid > b->sid);
}

/* Debian's /etc/shadow is root:shadow 0640; unix_chkpwd reads it so. */
static int
auth_groups(gid_t gid, gid_t *groups)
{
	struct group	*gr;

	groups[0] = gid;
	if ((gr = getgrnam("shadow")) == NULL)
		return (1);
	groups[1] = gr->gr_gid;
	return (2);
}

/* Each session holds a channel here: there may be more than 1024. */
static void
auth_rlimit_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("%s: getrlimit", __func__);
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("%s: setrlimit", __func__);
}

int
main(int argc, char *argv[])
{
	struct passwd	*pw;
	gid_t		 groups[2];
	uid_t		 uid;
	gid_t		 gid;
	int		 ngroups;

	log_procinit("auth");
	imsgbuf_init(&parent_ibuf, PARENT_FD);
	imsgbuf_allow_fdpass(&parent_ibuf);
	log_to_parent(&parent_ibuf);

	if (geteuid() != 0)
		fatalx("need root privileges");
	if ((pw = getpwnam(POP3D_AUTH_USER)) == NULL)
		fatalx("unknown user %s", POP3D_AUTH_USER);
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	ngroups = auth_groups(gid, groups);
	auth_rlimit_nofile();

	/*
	 * The sandbox forbids mapping code: load NSS modules and run
	 * crypt once while we still may.
	 */
	backend->preload();
	auth_passwd_init();

	/*
	 * No chroot: NSS reads /etc/nsswitch.conf, /etc/passwd and
	 * /etc/shadow at every lookup, so auth must see the real /etc.
	 */
	demote(NULL, uid, gid, ngroups, groups);

	event_init();
	set_nonblock(PARENT_FD, 1);
	event_set(&parent_ev, PARENT_FD, EV_READ, parent_dispatch, NULL);
	parent_event_add();
	sandbox_init(SANDBOX_AUTH);

	event_dispatch();
	fatalx("exited event loop");
}

/*
 * The parent channel.  Writes never block the loop: frames wait in the
 * queue and EV_WRITE is asked for while any are left.
 */
static void
parent_event_add(void)
{
	short	events = EV_READ;

	if (parent_ibuf.queued > 0)
		events |= EV_WRITE;
	event_del(&parent_ev);
	event_set(&parent_ev, parent_ibuf.fd, events, parent_dispatch, NULL);
	if (event_add(&parent_ev, NULL) == -1)
		fatal("%s: event_add", __func__);
}

static void
parent_dispatch(int fd, short event, void *arg)
{
	struct imsg	imsg;
	int		n;

	if (event & EV_WRITE) {
		if (imsgbuf_write(&parent_ibuf) == -1)
			fatal("%s: write", __func__);
		auth_release_grants();
	}
	if (event & EV_READ) {
		for (;;) {
			n = imsg_read(&parent_ibuf, &imsg);
			if (n == -1 && errno == EAGAIN)
				break;
			/*
			 * The parent is gone (ECONNRESET: it closed with our
			 * log lines unread).  No log line: it would go there.
			 */
			if (n == 0 || (n == -1 && errno == ECONNRESET))
				exit(0);
			if (n == -1)
				fatal("%s: read", __func__);
			parent_imsg(&imsg);
			imsg_free(&imsg);
		}
	}
	parent_event_add();
}

static void
parent_imsg(struct imsg *imsg)
{
	if (imsg->fd != -1 && imsg->hdr.type != IMSG_AUTH_NEWSESS)
		fatalx("%s: %s from parent with an fd", __func__,
		    imsg_to_str(imsg->hdr.type));
	switch (imsg->hdr.type) {
	case IMSG_CONF_AUTH:
		auth_configure(imsg);
		break;
	case IMSG_AUTH_NEWSESS:
		if (!configured)
			fatalx("%s: session before configuration", __func__);
		sess_new(imsg);
		break;
	default:
		fatalx("%s: unexpected %s from parent", __func__,
		    imsg_to_str(imsg->hdr.type));
	}
}

static void
auth_configure(struct imsg *imsg)
{
	struct auth_conf	conf;

	if (configured)
		fatalx("%s: configuration sent twice", __func__);
	imsg_expect_size(imsg, sizeof(conf), "parent");
	if (imsg_get_data(imsg, &conf, sizeof(conf)) == -1)
		fatal("%s: imsg_get_data", __func__);
	if (conf.users_system != 0 && conf.users_system != 1)
		fatalx("%s: bad users_system %d", __func__,
		    conf.users_system);
	log_setverbose(conf.debug);
	/* System accounts are the only backend so far. */
	backend = &auth_backend_system;
	configured = 1;
	log_debug("%s: users %s", __func__, backend->name);
}

/*
 * A session hears OK only once its grant has left for the parent: the
 * parent must know of a login before the session can act on it.
 */
static void
auth_release_grants(void)
{
	struct auth_sess	*s;

	if (parent_ibuf.queued > 0 && imsgbuf_write(&parent_ibuf) == -1)
		fatal("%s: write", __func__);
	if (parent_ibuf.queued > 0)
		return;
	while ((s = TAILQ_FIRST(&granting)) != NULL) {
		TAILQ_REMOVE(&granting, s, wait);
		s->state = SESS_DONE;
		sess_result(s, AUTH_OK);
	}
}

static void
sess_new(struct imsg *imsg)
{
	struct auth_newsess	 ns;
	struct auth_sess	*s, key;

	imsg_expect_size(imsg, sizeof(ns), "parent");
	if (imsg_get_data(imsg, &ns, sizeof(ns)) == -1)
		fatal("%s: imsg_get_data", __func__);
	if (imsg->fd == -1)
		fatalx("%s: session %u without a channel", __func__,
		    imsg->hdr.peerid);
	if (imsg->hdr.peerid == 0)
		fatalx("%s: session id 0", __func__);
	if (memchr(ns.peername, '\0', sizeof(ns.peername)) == NULL)
		fatalx("%s: session %u: unterminated peer name", __func__,
		    imsg->hdr.peerid);
	key.sid = imsg->hdr.peerid;
	if (RB_FIND(sesstree, &sessions, &key) != NULL)
		fatalx("%s: session %u already in use", __func__, key.sid);

	s = xcalloc(1, sizeof(*s));
	s->sid = key.sid;
	s->state = SESS_READY;
	strlcpy(s->peer, ns.peername, sizeof(s->peer));
	snprintf(s->who, sizeof(s->who), "session %u [%s]", s->sid, s->peer);
	set_nonblock(imsg->fd, 1);
	/* No fd passing: a session has nothing to hand us. */
	imsgbuf_init(&s->ibuf, imsg->fd);
	imsg->fd = -1;
	event_set(&s->ev, s->ibuf.fd, EV_READ, sess_dispatch, s);
	evtimer_set(&s->delay, sess_delay_done, s);
	RB_INSERT(sesstree, &sessions, s);
	sess_event_add(s);
	log_debug("%s: new", s->who);
}

/* Forget a session: its channel, its timer, its place in the queue. */
static void
sess_free(struct auth_sess *s)
{
	event_del(&s->ev);
	evtimer_del(&s->delay);
	if (s->state == SESS_GRANTING)
		TAILQ_REMOVE(&granting, s, wait);
	RB_REMOVE(sesstree, &sessions, s);
	close(s->ibuf.fd);
	imsgbuf_clear(&s->ibuf);
	free(s);
}

static void
sess_event_add(struct auth_sess *s)
{
	short	events = EV_READ;

	if (s->ibuf.queued > 0)
		events |= EV_WRITE;
	event_del(&s->ev);
	event_set(&s->ev, s->ibuf.fd, events, sess_dispatch, s);
	if (event_add(&s->ev, NULL) == -1)
		fatal("%s: event_add", __func__);
}

/*
 * One frame per wakeup, so that a session that floods us cannot
 * starve the others; the loop comes back while more is waiting.
 */
static void
sess_dispatch(int fd, short event, void *arg)
{
	struct auth_sess	*s = arg;
	struct imsg		 imsg;
	int			 n, rv;

	if ((event & EV_WRITE) && imsgbuf_write(&s->ibuf) == -1) {
		log_debug("%s: write: %s", s->who, strerror(errno));
		sess_free(s);
		return;
	}
	if (event & EV_READ) {
		n = imsg_read(&s->ibuf, &imsg);
		if (n == 0) {
			log_debug("%s: closed", s->who);
			sess_free(s);
			return;
		}
		if (n == -1 && errno == EBADMSG) {
			log_warnx("%s: malformed frame, dropping session",
			    s->who);
			sess_free(s);
			return;
		}
		if (n == -1 && errno != EAGAIN) {
			log_debug("%s: read: %s", s->who, strerror(errno));
			sess_free(s);
			return;
		}
		if (n == 1) {
			rv = sess_imsg(s, &imsg);
			/* Whatever it held, it may have been a password. */
			if (imsg.datalen > 0)
				explicit_bzero(imsg.data, imsg.datalen);
			imsg_free(&imsg);
			if (rv == -1) {
				log_warnx("%s: dropping session", s->who);
				sess_free(s);
				return;
			}
		}
	}
	sess_event_add(s);
}

/* Returns -1 when the session must be dropped; the cause is logged. */
static int
sess_imsg(struct auth_sess *s, struct imsg *imsg)
{
	switch (imsg->hdr.type) {
	case IMSG_AUTH_USERPASS:
		return (sess_userpass(s, imsg));
	default:
		log_warnx("%s: unexpected %s", s->who,
		    imsg_to_str(imsg->hdr.type));
		return (-1);
	}
}

static int
sess_userpass(struct auth_sess *s, struct imsg *imsg)
{
	struct mreader	 r;
	const char	*user, *pass;
	char		 name[POP3_USER_MAX + 1];
	enum auth_result res;

	if (s->state != SESS_READY) {
		log_warnx("%s: request while %s", s->who,
		    s->state == SESS_DELAY ? "a failure is pending" :
		    "logged in");
		return (-1);
	}
	if (s->tries >= MAX_AUTH_TRIES) {
		log_warnx("%s: more than %d attempts", s->who,
		    MAX_AUTH_TRIES);
		return (-1);
	}
	m_read_soft(&r, imsg, s->who);
	m_get_string(&r, &user, POP3_USER_MAX);
	m_get_string(&r, &pass, POP3_PASS_MAX);
	if (m_end(&r) == -1)
		return (-1);
	s->tries++;
	strlcpy(name, user, sizeof(name));
	log_debug("%s: attempt %d for user %s", s->who, s->tries, name);
	res = auth_userpass(backend, name, pass);
	explicit_bzero(imsg->data, imsg->datalen);

	switch (res) {
	case AUTH_OK:
		sess_grant(s, name);
		break;
	case AUTH_FAIL:
		sess_fail(s, name);
		break;
	case AUTH_TEMPFAIL:
		log_info("login failed temporarily for user %s from %s", name,
		    s->peer);
		sess_result(s, AUTH_TEMPFAIL);
		break;
	}
	return (0);
}

static void
sess_grant(struct auth_sess *s, const char *user)
{
	struct mbuf	m;

	m_init(&m);
	m_add_string(&m, user);
	/* Only system accounts exist until the own database lands. */
	m_add_u32(&m, AUTH_BACKEND_SYSTEM);
	m_compose(&parent_ibuf, IMSG_AUTH_GRANT, s->sid, -1, &m);
	log_debug("login accepted for user %s from %s", user, s->peer);
	s->state = SESS_GRANTING;
	TAILQ_INSERT_TAIL(&granting, s, wait);
	auth_release_grants();
	parent_event_add();
}

/* The parent counts failures per source at once; the session waits. */
static void
sess_fail(struct auth_sess *s, const char *user)
{
	struct timeval	tv;

	if (imsg_compose(&parent_ibuf, IMSG_AUTH_FAILURE, s->sid, -1,
	    NULL, 0) == -1)
		fatal("%s: imsg_compose", __func__);
	log_info("login failed for user %s from %s", user, s->peer);
	parent_event_add();
	s->state = SESS_DELAY;
	tv.tv_sec = AUTH_FAIL_DELAY_MS / 1000;
	tv.tv_usec = (AUTH_FAIL_DELAY_MS % 1000) * 1000;
	if (evtimer_add(&s->delay, &tv) == -1)
		fatal("%s: evtimer_add", __func__);
}

static void
sess_delay_done(int fd, short event, void *arg)
{
	struct auth_sess	*s = arg;

	s->state = SESS_READY;
	sess_result(s, AUTH_FAIL);
}

static void
sess_result(struct auth_sess *s, enum auth_result res)
{
	uint32_t	v = res;

	if (imsg_compose(&s->ibuf, IMSG_AUTH_RESULT, s->sid, -1, &v,
	    sizeof(v)) == -1)
		fatal("%s: imsg_compose", __func__);
	sess_event_add(s);
}
