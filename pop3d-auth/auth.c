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
 *
 * What a session may ask depends on its state (SSH's monitor table in
 * spirit): one APOP challenge, at most MAX_AUTH_TRIES attempts by any
 * method, one SASL exchange at a time, nothing while a failure is
 * being answered late, nothing after a login or a password change.
 * Anything else drops the session.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/tree.h>

#include <errno.h>
#include <event.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "sandbox.h"
#include "dispatch.h"
#include "auth.h"


/* A session's state, as bits for its channel table (dispatch.h). */
enum sess_state {
	SESS_READY = 0x01,	/* may send a request */
	SESS_SASL = 0x02,	/* inside a SASL exchange: step or abort */
	SESS_DELAY = 0x04,	/* a failure is being answered late */
	SESS_GRANTING = 0x08,	/* OK waits until the parent has it */
	SESS_DONE = 0x10,	/* logged in or password changed: all done */
};
/* Added to the state: the kind of listener the session serves. */
#define SESS_POP3	0x100
#define SESS_POPPASS	0x200

enum chal_state {
	CHAL_NONE,		/* no APOP challenge asked for */
	CHAL_ISSUED,		/* issued, good for one APOP attempt */
	CHAL_USED,		/* spent: a replayed digest fails */
};

struct auth_source;

struct auth_sess {
	RB_ENTRY(auth_sess)	 entry;
	TAILQ_ENTRY(auth_sess)	 wait;		/* while SESS_GRANTING */
	TAILQ_ENTRY(auth_sess)	 pend;		/* while a request waits */
	struct auth_source	*src;		/* non-NULL: req waits there */
	struct frame		 req;		/* in chan's buffer, unread on */
	uint32_t		 sid;
	char			 peer[NI_MAXHOST];	/* for log lines */
	char			 source[NI_MAXHOST];	/* what delays count by */
	char			 who[NI_MAXHOST + 32];	/* for log lines */
	enum sess_state		 state;
	uint64_t		 seen;		/* its D_ONCE requests */
	int			 poppass;	/* a poppass listener's */
	int			 tries;
	enum chal_state		 chal;
	char			 challenge[APOP_CHALLENGE_MAX + 1];
	struct sasl		*sasl;
	uint64_t		 asked_ms;	/* when the request came */
	uint64_t		 queued_ms;	/* when it was read */
	struct chan		 chan;
	struct event		 ev;
	struct event		 delay;
};

RB_HEAD(sesstree, auth_sess);
TAILQ_HEAD(sessqueue, auth_sess);

/*
 * A source with requests waiting, in the round: one request of each in
 * turn, so that a flood from one source delays another's login by at
 * most one check, however many sessions the flood holds.
 */
struct auth_source {
	RB_ENTRY(auth_source)	 entry;
	TAILQ_ENTRY(auth_source) turn;
	struct sessqueue	 pending;
	char			 name[NI_MAXHOST];
};
RB_HEAD(sourcetree, auth_source);
TAILQ_HEAD(sourcequeue, auth_source);

static int	sess_cmp(struct auth_sess *, struct auth_sess *);
/* Not RB_GENERATE_STATIC: libbsd leaves the __unused it needs undefined. */
RB_PROTOTYPE(sesstree, auth_sess, entry, sess_cmp);
RB_GENERATE(sesstree, auth_sess, entry, sess_cmp);
static int	source_cmp(struct auth_source *, struct auth_source *);
RB_PROTOTYPE(sourcetree, auth_source, entry, source_cmp);
RB_GENERATE(sourcetree, auth_source, entry, source_cmp);

static void	parent_event_add(void);
static void	parent_dispatch(int, short, void *);
static void	parent_write(void);
static int	auth_configure(void *, struct frame *);
static int	auth_stats_req(void *, struct frame *);
static void	stats_latency(uint64_t);
static void	stats_result(const char *, enum auth_result);
static void	auth_backends_configure(void);
static void	auth_release_grants(void);
static int	sess_new(void *, struct frame *);
static void	sess_free(struct auth_sess *);
static void	sess_event_add(struct auth_sess *);
static void	sess_dispatch(int, short, void *);
static void	sess_enqueue(struct auth_sess *, struct frame *);
static void	sess_dequeue(struct auth_sess *);
static void	work_run(int, short, void *);
static void	work_schedule(void);
static int	sess_may_try(struct auth_sess *);
static int	sess_userpass(void *, struct frame *);
static int	sess_challenge(void *, struct frame *);
static int	sess_apop(void *, struct frame *);
static int	sess_sasl_start(void *, struct frame *);
static int	sess_sasl_step(void *, struct frame *);
static int	sess_sasl_abort(void *, struct frame *);
static void	sess_sasl_run(struct auth_sess *, const unsigned char *,
		    size_t);
static void	sess_sasl_challenge(struct auth_sess *,
		    const unsigned char *, size_t);
static void	sess_sasl_end(struct auth_sess *, enum sasl_status);
static int	sess_change(void *, struct frame *);
static void	sess_verdict(struct auth_sess *, enum auth_result,
		    const char *, enum auth_backend_id, const char *);
static void	sess_grant(struct auth_sess *, const char *,
		    enum auth_backend_id, const char *);
static void	sess_fail(struct auth_sess *);
static void	sess_delay_done(int, short, void *);
static void	sess_result(struct auth_sess *, enum auth_result);

/* The parent configures us once, then hands us sessions. */
#define AUTH_UNCONFIGURED	0x01
#define AUTH_CONFIGURED		0x02

static const struct dispatch_rule parent_rules[] = {
	{ MSG_CONF_AUTH,	AUTH_UNCONFIGURED,	D_ONCE, auth_configure },
	{ MSG_AUTH_NEWSESS,	AUTH_CONFIGURED,	0,	sess_new },
	{ MSG_AUTH_STATS_REQ,	AUTH_CONFIGURED,	0,	auth_stats_req },
};
static const struct dispatch_table parent_table =
    DISPATCH_TABLE("parent", parent_rules);

/*
 * What a session may ask, and when: logins on a POP3 listener, password
 * changes on a poppass one; one APOP challenge; SASL steps only inside
 * an exchange; nothing while a failure is answered late, after a login
 * or after a change.  sess_may_try() adds the MAX_AUTH_TRIES budget.
 */
static const struct dispatch_rule sess_rules[] = {
	{ MSG_AUTH_USERPASS,	SESS_READY | SESS_POP3,	0,	sess_userpass },
	{ MSG_AUTH_CHALLENGE_REQ, SESS_READY | SESS_POP3, D_ONCE,
	    sess_challenge },
	{ MSG_AUTH_APOP,	SESS_READY | SESS_POP3,	0,	sess_apop },
	{ MSG_AUTH_SASL_START,	SESS_READY | SESS_POP3,	0,
	    sess_sasl_start },
	{ MSG_AUTH_SASL_STEP,	SESS_SASL | SESS_POP3,	0,
	    sess_sasl_step },
	{ MSG_AUTH_SASL_ABORT,	SESS_SASL | SESS_POP3,	0,
	    sess_sasl_abort },
	{ MSG_AUTH_CHANGE,	SESS_READY | SESS_POPPASS, 0,	sess_change },
};
static const struct dispatch_table sess_table =
    DISPATCH_TABLE("session", sess_rules);

static struct chan		 parent_chan;
static struct event		 parent_ev;
static struct sesstree		 sessions = RB_INITIALIZER(&sessions);
static struct sessqueue		 granting = TAILQ_HEAD_INITIALIZER(granting);
static struct auth_conf		 conf;
static uint32_t			 auth_state = AUTH_UNCONFIGURED;
static uint64_t			 parent_seen;
static int			 file_configured;
static struct sourcetree	 sources = RB_INITIALIZER(&sources);
static struct sourcequeue	 turns = TAILQ_HEAD_INITIALIZER(turns);
static struct event		 ev_work;
static struct event_base	*evbase;
/* For pop3ctl show metrics, through the parent. */
static struct auth_stats	 stats;
static const uint64_t		 latency_bounds[AUTH_LATENCY_BUCKETS] =
				    AUTH_LATENCY_BOUNDS_MS;

static int
sess_cmp(struct auth_sess *a, struct auth_sess *b)
{
	if (a->sid < b->sid)
		return (-1);
	return (a->sid > b->sid);
}

static int
source_cmp(struct auth_source *a, struct auth_source *b)
{
	return (strcmp(a->name, b->name));
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

/* Seconds on a clock that does not jump, for the delay table. */
static time_t
auth_now_ms(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("%s: clock_gettime", __func__);
	return ((uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static time_t
auth_now(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("%s: clock_gettime", __func__);
	return (ts.tv_sec);
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
	chan_init(&parent_chan, PARENT_FD);
	chan_allow_fd(&parent_chan);
	log_to_parent(&parent_chan);

	if (geteuid() != 0)
		fatalx("need root privileges");
	if ((pw = getpwnam(POP3D_AUTH_USER)) == NULL)
		fatalx("unknown user %s", POP3D_AUTH_USER);
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	ngroups = auth_groups(gid, groups);
	auth_rlimit_nofile();

	/*
	 * The sandbox forbids mapping code: load NSS modules, run crypt
	 * and set libcrypto up once while we still may.
	 */
	auth_backend_system.preload();
	auth_backend_file.preload();
	auth_passwd_init();
	auth_sasl_init();
	/*
	 * Should the sandbox's file size limit ever stop a rewrite of the
	 * user database, the write fails and the change is refused; the
	 * default action would kill auth, and every session with it.
	 */
	signal(SIGXFSZ, SIG_IGN);

	/*
	 * No chroot: NSS reads /etc/nsswitch.conf, /etc/passwd and
	 * /etc/shadow at every lookup, so auth must see the real /etc.
	 */
	demote(NULL, uid, gid, ngroups, groups);

	evbase = event_init();
	evtimer_set(&ev_work, work_run, NULL);
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

	/* A log line may have flushed the queue a grant waited behind. */
	if (parent_chan.queued == 0 && !TAILQ_EMPTY(&granting))
		auth_release_grants();

	if (parent_chan.queued > 0)
		events |= EV_WRITE;
	event_del(&parent_ev);
	event_set(&parent_ev, parent_chan.fd, events, parent_dispatch, NULL);
	if (event_add(&parent_ev, NULL) == -1)
		fatal("%s: event_add", __func__);
}

/*
 * The parent lets a pop3d-auth go by closing its channel (a reload
 * retired it), maybe while a log line is on its way: that is the end,
 * not an error.
 */
static void
parent_write(void)
{
	if (chan_write(&parent_chan) == -1) {
		if (errno == EPIPE || errno == ECONNRESET)
			exit(0);
		fatal("%s", __func__);
	}
}

static void
parent_dispatch(int fd, short event, void *arg)
{
	struct frame	 fr;
	const char	*why;
	int		 n;

	if (event & EV_WRITE) {
		parent_write();
		auth_release_grants();
	}
	if (event & EV_READ) {
		for (;;) {
			n = chan_read(&parent_chan, &fr);
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
			if (dispatch(&parent_table, NULL, &fr, auth_state,
			    &parent_seen, &why) == -1)
				fatalx("parent: %s", why);
			frame_done(&fr);
		}
	}
	parent_event_add();
}

static int
auth_configure(void *arg, struct frame *fr)
{
	frame_get(fr, &conf, sizeof(conf));
	if ((conf.apop != 0 && conf.apop != 1) ||
	    conf.poppass_min_length < 0 ||
	    conf.poppass_min_length > POP3_PASS_MAX)
		fatalx("%s: bad configuration values", __func__);
	if (memchr(conf.users_file, '\0', sizeof(conf.users_file)) == NULL ||
	    memchr(conf.hostname, '\0', sizeof(conf.hostname)) == NULL)
		fatalx("%s: unterminated string", __func__);
	log_setverbose(conf.debug);
	auth_min_uid = conf.users_min_uid;
	auth_backends_configure();
	auth_file_init(file_configured ? conf.users_file : "");
	auth_state = AUTH_CONFIGURED;
	return (0);
}

/*
 * users_order lists the backends in the order of the users statements,
 * 0-terminated; none at all means system accounts, the old default.
 */
static void
auth_backends_configure(void)
{
	const struct auth_backend	*list[AUTH_BACKENDS_MAX], *be;
	size_t				 i, j, n = 0;
	int32_t				 id;

	for (i = 0; i < AUTH_BACKENDS_MAX; i++) {
		if ((id = conf.users_order[i]) == AUTH_BACKEND_NONE)
			break;
		if (id == AUTH_BACKEND_SYSTEM)
			be = &auth_backend_system;
		else if (id == AUTH_BACKEND_FILE && conf.users_file[0] != '\0')
			be = &auth_backend_file;
		else
			fatalx("%s: bad users_order", __func__);
		for (j = 0; j < n; j++)
			if (list[j] == be)
				fatalx("%s: backend %s listed twice",
				    __func__, be->name);
		list[n++] = be;
		if (be == &auth_backend_file)
			file_configured = 1;
	}
	for (; i < AUTH_BACKENDS_MAX; i++)
		if (conf.users_order[i] != AUTH_BACKEND_NONE)
			fatalx("%s: users_order not 0-terminated", __func__);
	if (n == 0)
		list[n++] = &auth_backend_system;
	auth_backends_set(list, n);
	for (i = 0; i < n; i++)
		log_debug("%s: users %s%s%s", __func__, list[i]->name,
		    list[i] == &auth_backend_file ? " " : "",
		    list[i] == &auth_backend_file ? conf.users_file : "");
}

/*
 * A session hears OK only once its grant has left for the parent: the
 * parent must know of a login before the session can act on it.
 */
static void
auth_release_grants(void)
{
	struct auth_sess	*s;

	if (parent_chan.queued > 0)
		parent_write();
	if (parent_chan.queued > 0)
		return;
	while ((s = TAILQ_FIRST(&granting)) != NULL) {
		TAILQ_REMOVE(&granting, s, wait);
		s->state = SESS_DONE;
		sess_result(s, AUTH_OK);
	}
}

static int
sess_new(void *arg, struct frame *fr)
{
	struct auth_newsess	 ns;
	struct auth_sess	*s, key;

	frame_get(fr, &ns, sizeof(ns));
	if (fr->hdr.peerid == 0)
		fatalx("%s: session id 0", __func__);
	if (memchr(ns.peername, '\0', sizeof(ns.peername)) == NULL ||
	    memchr(ns.source, '\0', sizeof(ns.source)) == NULL)
		fatalx("%s: session %u: unterminated peer name", __func__,
		    fr->hdr.peerid);
	if (ns.kind < LISTEN_POP3 || ns.kind > LISTEN_POPPASS_TLS)
		fatalx("%s: session %u: bad listener kind", __func__,
		    fr->hdr.peerid);
	key.sid = fr->hdr.peerid;
	if (RB_FIND(sesstree, &sessions, &key) != NULL)
		fatalx("%s: session %u already in use", __func__, key.sid);

	s = xcalloc(1, sizeof(*s));
	s->sid = key.sid;
	s->poppass = ns.kind == LISTEN_POPPASS ||
	    ns.kind == LISTEN_POPPASS_TLS;
	s->state = SESS_READY;
	s->chal = CHAL_NONE;
	strlcpy(s->peer, ns.peername, sizeof(s->peer));
	strlcpy(s->source, ns.source, sizeof(s->source));
	snprintf(s->who, sizeof(s->who), "session %u [%s]", s->sid, s->peer);
	set_nonblock(fr->fd, 1);
	/* No fd passing: a session has nothing to hand us. */
	chan_init(&s->chan, fr->fd);
	fr->fd = -1;
	event_set(&s->ev, s->chan.fd, EV_READ, sess_dispatch, s);
	evtimer_set(&s->delay, sess_delay_done, s);
	RB_INSERT(sesstree, &sessions, s);
	sess_event_add(s);
	log_debug("%s: new", s->who);
	return (0);
}

/* Forget a session: its channel, its timer, its place in the queue. */
static void
sess_free(struct auth_sess *s)
{
	if (s->src != NULL) {
		if (s->req.datalen > 0)
			explicit_bzero(s->req.data, s->req.datalen);
		sess_dequeue(s);
	}
	event_del(&s->ev);
	evtimer_del(&s->delay);
	if (s->state == SESS_GRANTING)
		TAILQ_REMOVE(&granting, s, wait);
	RB_REMOVE(sesstree, &sessions, s);
	close(s->chan.fd);
	chan_clear(&s->chan);
	sasl_free(s->sasl);
	freezero(s, sizeof(*s));
}

/*
 * A session is read only while nothing waits to go to it: one that
 * sends requests and never reads the answers stops being heard, and
 * cannot make us queue without bound.
 */
static void
sess_event_add(struct auth_sess *s)
{
	short	events;

	events = s->chan.queued > 0 ? EV_WRITE : EV_READ;
	event_del(&s->ev);
	/* Its request waits its turn: nothing more is read. */
	if (s->src != NULL && events == EV_READ)
		return;
	event_set(&s->ev, s->chan.fd, events, sess_dispatch, s);
	if (event_add(&s->ev, NULL) == -1)
		fatal("%s: event_add", __func__);
}

/*
 * One frame per wakeup, and none while the last one waits: a request
 * goes to its source's queue and is answered in its turn (work_run()).
 */
static void
sess_dispatch(int fd, short event, void *arg)
{
	struct auth_sess	*s = arg;
	struct frame		 fr;
	int			 n;

	if ((event & EV_WRITE) && chan_write(&s->chan) == -1) {
		log_debug("%s: write: %s", s->who, strerror(errno));
		sess_free(s);
		return;
	}
	if ((event & EV_READ) && s->src == NULL) {
		n = chan_read(&s->chan, &fr);
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
		if (n == 1)
			sess_enqueue(s, &fr);
	}
	sess_event_add(s);
}

/* The request waits, in the channel's buffer, for its source's turn. */
static void
sess_enqueue(struct auth_sess *s, struct frame *fr)
{
	struct auth_source	*src, key;

	strlcpy(key.name, s->source, sizeof(key.name));
	if ((src = RB_FIND(sourcetree, &sources, &key)) == NULL) {
		src = xcalloc(1, sizeof(*src));
		strlcpy(src->name, s->source, sizeof(src->name));
		TAILQ_INIT(&src->pending);
		RB_INSERT(sourcetree, &sources, src);
		TAILQ_INSERT_TAIL(&turns, src, turn);
	}
	s->req = *fr;
	s->src = src;
	s->queued_ms = auth_now_ms();
	TAILQ_INSERT_TAIL(&src->pending, s, pend);
	stats.queued++;
	work_schedule();
}

static void
sess_dequeue(struct auth_sess *s)
{
	struct auth_source	*src = s->src;

	TAILQ_REMOVE(&src->pending, s, pend);
	s->src = NULL;
	stats.queued--;
	if (TAILQ_EMPTY(&src->pending)) {
		TAILQ_REMOVE(&turns, src, turn);
		RB_REMOVE(sourcetree, &sources, src);
		free(src);
	}
}

/*
 * A zero timeout between two checks: the loop reads every channel
 * that is ready first, so that a request that just came takes its
 * place in the turns before the next check starts.
 */
static void
work_schedule(void)
{
	struct timeval	tv = { 0, 0 };

	if (!TAILQ_EMPTY(&turns) && !evtimer_pending(&ev_work, NULL) &&
	    evtimer_add(&ev_work, &tv) == -1)
		fatal("%s: evtimer_add", __func__);
}

/* One request, of the source whose turn it is; it goes to the back. */
static void
work_run(int fd, short event, void *arg)
{
	struct auth_source	*src;
	struct auth_sess	*s;
	struct frame		 fr;
	const char		*why;
	uint64_t		 queued;
	int			 rv;

	if ((src = TAILQ_FIRST(&turns)) != NULL) {
		s = TAILQ_FIRST(&src->pending);
		fr = s->req;
		sess_dequeue(s);
		if ((src = TAILQ_FIRST(&turns)) != NULL &&
		    TAILQ_NEXT(src, turn) != NULL &&
		    strcmp(src->name, s->source) == 0) {
			TAILQ_REMOVE(&turns, src, turn);
			TAILQ_INSERT_TAIL(&turns, src, turn);
		}
		/* The check starts now: time in the queue is not its cost. */
		s->asked_ms = auth_now_ms();
		queued = s->queued_ms;
		rv = dispatch(&sess_table, s, &fr, s->state |
		    (s->poppass ? SESS_POPPASS : SESS_POP3), &s->seen, &why);
		stats_latency(queued);
		/* Whatever it held, it may have been a password. */
		if (fr.datalen > 0)
			explicit_bzero(fr.data, fr.datalen);
		frame_done(&fr);
		if (rv == -1) {
			log_warnx("%s: %s, dropping session", s->who, why);
			sess_free(s);
		} else
			sess_event_add(s);
	}
	work_schedule();
}

/* A request done: from when it was read, its wait in the queue too. */
static void
stats_latency(uint64_t queued)
{
	uint64_t	ms;
	size_t		i;

	ms = auth_now_ms() - queued;
	stats.requests++;
	stats.latency_ms += ms;
	for (i = 0; i < AUTH_LATENCY_BUCKETS && ms > latency_bounds[i]; i++)
		;
	stats.latency[i]++;
}

/* What a decision was, by method, as sess_verdict() names the method. */
static void
stats_result(const char *method, enum auth_result res)
{
	enum stat_method	m;

	if (strcmp(method, "PASS") == 0)
		m = STAT_PASS;
	else if (strcmp(method, "APOP") == 0)
		m = STAT_APOP;
	else if (strcmp(method, "PLAIN") == 0)
		m = STAT_PLAIN;
	else if (strcmp(method, "SCRAM-SHA-256") == 0)
		m = STAT_SCRAM;
	else
		m = STAT_POPPASS;
	if (res == AUTH_OK)
		stats.ok[m]++;
	else if (res == AUTH_FAIL)
		stats.fail[m]++;
	else
		stats.tempfail[m]++;
}

/* The parent asks for the counters; the peerid is its query. */
static int
auth_stats_req(void *arg, struct frame *fr)
{
	struct auth_sess	*s;

	stats.sessions = 0;
	RB_FOREACH(s, sesstree, &sessions)
		stats.sessions++;
	if (chan_queue(&parent_chan, MSG_AUTH_STATS, fr->hdr.peerid, -1,
	    &stats, sizeof(stats)) == -1)
		fatal("%s: chan_queue", __func__);
	parent_event_add();
	return (0);
}

/* Has the session an attempt left?  0 if so, else -1 (logged). */
static int
sess_may_try(struct auth_sess *s)
{
	if (s->tries >= MAX_AUTH_TRIES) {
		log_warnx("%s: more than %d attempts", s->who,
		    MAX_AUTH_TRIES);
		return (-1);
	}
	return (0);
}

static int
sess_userpass(void *arg, struct frame *fr)
{
	struct auth_sess	*s = arg;
	struct mreader		 r;
	const char		*user, *pass;
	char			 name[POP3_USER_MAX + 1];
	enum auth_result	 res;
	enum auth_backend_id	 be;

	if (sess_may_try(s) == -1)
		return (-1);
	m_read_soft(&r, fr, s->who);
	m_get_string(&r, &user, POP3_USER_MAX);
	m_get_string(&r, &pass, POP3_PASS_MAX);
	if (m_end(&r) == -1)
		return (-1);
	s->tries++;
	strlcpy(name, user, sizeof(name));
	log_debug("%s: attempt %d for user %s", s->who, s->tries, name);
	res = auth_userpass(name, pass, &be);
	explicit_bzero(fr->data, fr->datalen);
	sess_verdict(s, res, name, be, "PASS");
	return (0);
}

/* The APOP timestamp for the greeting: once, and only with apop on. */
static int
sess_challenge(void *arg, struct frame *fr)
{
	struct auth_sess	*s = arg;
	struct mbuf		 m;

	if (!conf.apop) {
		log_warnx("%s: challenge request with apop off", s->who);
		return (-1);
	}
	if (apop_challenge(s->challenge, sizeof(s->challenge),
	    (long)getpid(), time(NULL), conf.hostname) == -1)
		fatalx("%s: cannot make a challenge", __func__);
	s->chal = CHAL_ISSUED;
	m_init(&m);
	m_add_string(&m, s->challenge);
	m_compose(&s->chan, MSG_AUTH_CHALLENGE, s->sid, -1, &m);
	return (0);
}

/*
 * APOP against the challenge this session was given.  The attempt
 * spends the challenge, so a digest that has been seen (replayed here
 * or in another session) never matches again.
 */
static int
sess_apop(void *arg, struct frame *fr)
{
	struct auth_sess	*s = arg;
	struct mreader		 r;
	const char		*user, *digest;
	char			 name[POP3_USER_MAX + 1];
	enum auth_result	 res = AUTH_FAIL;

	if (s->chal == CHAL_NONE) {
		log_warnx("%s: APOP without a challenge", s->who);
		return (-1);
	}
	if (sess_may_try(s) == -1)
		return (-1);
	m_read_soft(&r, fr, s->who);
	m_get_string(&r, &user, POP3_USER_MAX);
	m_get_string(&r, &digest, POP3_LINE_MAX);
	if (m_end(&r) == -1)
		return (-1);
	s->tries++;
	strlcpy(name, user, sizeof(name));
	if (s->chal == CHAL_USED)
		log_debug("%s: APOP challenge already used", s->who);
	else
		res = auth_apop(s->challenge, name, digest);
	s->chal = CHAL_USED;
	explicit_bzero(s->challenge, sizeof(s->challenge));
	sess_verdict(s, res, name, AUTH_BACKEND_FILE, "APOP");
	return (0);
}

/*
 * Mechanism, has_initial (0 or 1), then a length and that many bytes:
 * the decoded initial response.  An unknown mechanism is refused
 * without spending an attempt: it is a question, not a guess.
 */
static int
sess_sasl_start(void *arg, struct frame *fr)
{
	struct auth_sess	*s = arg;
	struct mreader	 r;
	const char	*mech;
	unsigned char	 buf[SASL_LINE_MAX];
	uint32_t	 initial, len;

	if (sess_may_try(s) == -1)
		return (-1);
	m_read_soft(&r, fr, s->who);
	m_get_string(&r, &mech, SASL_MECH_MAX);
	m_get_u32(&r, &initial);
	m_get_u32(&r, &len);
	if (!r.failed && (initial > 1 || len > sizeof(buf) ||
	    (!initial && len > 0)))
		m_error(&r, "bad initial response");
	m_get_data(&r, buf, r.failed ? 0 : len);
	if (m_end(&r) == -1)
		return (-1);
	/* An unknown mechanism spends a try too: no free requests. */
	s->tries++;
	if ((s->sasl = sasl_new(mech)) == NULL) {
		log_debug("%s: unknown SASL mechanism", s->who);
		sess_result(s, AUTH_FAIL);
		return (0);
	}
	s->state = SESS_SASL;
	/* Without an initial response the client speaks after "+ ". */
	if (initial)
		sess_sasl_run(s, buf, len);
	else
		sess_sasl_challenge(s, NULL, 0);
	explicit_bzero(buf, sizeof(buf));
	return (0);
}

static int
sess_sasl_step(void *arg, struct frame *fr)
{
	struct auth_sess	*s = arg;
	struct mreader	 r;
	unsigned char	 buf[SASL_LINE_MAX];
	uint32_t	 len;

	m_read_soft(&r, fr, s->who);
	m_get_u32(&r, &len);
	if (!r.failed && len > sizeof(buf))
		m_error(&r, "response too long");
	m_get_data(&r, buf, r.failed ? 0 : len);
	if (m_end(&r) == -1)
		return (-1);
	sess_sasl_run(s, buf, len);
	explicit_bzero(buf, sizeof(buf));
	return (0);
}

/* The client sent "*": the exchange ends as a failed attempt. */
static int
sess_sasl_abort(void *arg, struct frame *fr)
{
	struct auth_sess	*s = arg;
	sess_sasl_end(s, SASL_FAIL);
	return (0);
}

static void
sess_sasl_run(struct auth_sess *s, const unsigned char *in, size_t len)
{
	unsigned char		out[SASL_LINE_MAX];
	size_t			outlen;
	enum sasl_status	st;

	st = sasl_step(s->sasl, in, len, out, sizeof(out), &outlen);
	if (st == SASL_CONTINUE)
		sess_sasl_challenge(s, out, outlen);
	else
		sess_sasl_end(s, st);
	explicit_bzero(out, sizeof(out));
}

/* The raw challenge; the session base64-encodes it into "+ ...". */
static void
sess_sasl_challenge(struct auth_sess *s, const unsigned char *out,
    size_t len)
{
	struct mbuf	m;

	m_init(&m);
	m_add_u32(&m, (uint32_t)len);
	if (len > 0)
		m_add_data(&m, out, len);
	m_compose(&s->chan, MSG_AUTH_SASL_CHALLENGE, s->sid, -1, &m);
	m_wipe(&m);
}

static void
sess_sasl_end(struct auth_sess *s, enum sasl_status st)
{
	char			 name[POP3_USER_MAX + 1];
	const char		*mech;
	enum auth_backend_id	 be = s->sasl->backend;
	enum auth_result	 res = AUTH_FAIL;

	strlcpy(name, s->sasl->user[0] != '\0' ? s->sasl->user : "(unknown)",
	    sizeof(name));
	mech = s->sasl->scram != NULL ? "SCRAM-SHA-256" : "PLAIN";
	sasl_free(s->sasl);
	s->sasl = NULL;
	s->state = SESS_READY;
	if (st == SASL_OK)
		res = AUTH_OK;
	else if (st == SASL_TEMPFAIL)
		res = AUTH_TEMPFAIL;
	sess_verdict(s, res, name, be, mech);
}

/*
 * poppass.  Not a login: success grants nothing, and ends what the
 * session may ask.  A failure costs what a failed login costs.
 */
static int
sess_change(void *arg, struct frame *fr)
{
	struct auth_sess	*s = arg;
	struct mreader		 r;
	const char		*user, *old, *new;
	char			 name[POP3_USER_MAX + 1];
	enum auth_result	 res;

	if (sess_may_try(s) == -1)
		return (-1);
	m_read_soft(&r, fr, s->who);
	m_get_string(&r, &user, POP3_USER_MAX);
	m_get_string(&r, &old, POP3_PASS_MAX);
	/* Too long is the client's mistake: a refusal, not a violation. */
	m_get_string(&r, &new, POP3_LINE_MAX);
	if (m_end(&r) == -1)
		return (-1);
	s->tries++;
	strlcpy(name, user, sizeof(name));
	res = auth_file_change(name, old, new, conf.poppass_min_length);
	explicit_bzero(fr->data, fr->datalen);
	stats_result("poppass", res);
	switch (res) {
	case AUTH_OK:
		log_info("password changed for user %s from %s", name,
		    s->peer);
		s->state = SESS_DONE;
		sess_result(s, AUTH_OK);
		break;
	case AUTH_FAIL:
		log_info("password change failed for user %s from %s", name,
		    s->peer);
		sess_fail(s);
		break;
	case AUTH_TEMPFAIL:
		log_warnx("password change failed temporarily for user %s "
		    "from %s", name, s->peer);
		sess_result(s, AUTH_TEMPFAIL);
		break;
	}
	return (0);
}

/* One log line per attempt, in the form fail2ban matches. */
static void
sess_verdict(struct auth_sess *s, enum auth_result res, const char *user,
    enum auth_backend_id be, const char *method)
{
	stats_result(method, res);
	switch (res) {
	case AUTH_OK:
		sess_grant(s, user, be, method);
		break;
	case AUTH_FAIL:
		log_info("login failed for user %s from %s (%s)", user,
		    s->peer, method);
		sess_fail(s);
		break;
	case AUTH_TEMPFAIL:
		log_info("login failed temporarily for user %s from %s (%s)",
		    user, s->peer, method);
		sess_result(s, AUTH_TEMPFAIL);
		break;
	}
}

static void
sess_grant(struct auth_sess *s, const char *user, enum auth_backend_id be,
    const char *method)
{
	struct mbuf	m;

	if (be != AUTH_BACKEND_SYSTEM && be != AUTH_BACKEND_FILE)
		fatalx("%s: grant without a backend", __func__);
	m_init(&m);
	m_add_string(&m, user);
	m_add_u32(&m, be);
	m_compose(&parent_chan, MSG_AUTH_GRANT, s->sid, -1, &m);
	log_debug("login accepted for user %s from %s (%s)", user, s->peer,
	    method);
	s->state = SESS_GRANTING;
	TAILQ_INSERT_TAIL(&granting, s, wait);
	auth_release_grants();
	parent_event_add();
}

/*
 * The parent counts failures per source at once; the session hears of
 * it after a delay that grows with the failures from its source (the
 * parent's source-prefix network of its address).
 */
static void
sess_fail(struct auth_sess *s)
{
	struct timeval	tv;
	uint32_t	ms, pad;
	uint64_t	spent = auth_now_ms() - s->asked_ms;

	ms = delay_fail(s->source, auth_now());
	/*
	 * Every failure costs the dearest check: the dummy, the dearest
	 * hash seen, or timed in the users file.  Else a hash cheaper than
	 * the dummy, or dearer (bcrypt, a high cost), or a backend that
	 * answers an unknown name first, would tell who exists.
	 */
	pad = MINIMUM(MAXIMUM(auth_dummy_ms, auth_dearest_ms),
	    AUTH_PAD_MAX_MS);
	if (spent < pad)
		ms += pad - spent;
	/*
	 * Reported now, while the session surely exists, with the delay:
	 * the parent's refusals count from when the client hears of it.
	 */
	if (chan_queue(&parent_chan, MSG_AUTH_FAILURE, s->sid, -1,
	    &ms, sizeof(ms)) == -1)
		fatal("%s: chan_queue", __func__);
	parent_event_add();
	log_debug("%s: failure answered in %u ms (check %llu ms, padded "
	    "to %u)", s->who, ms, (unsigned long long)spent, pad);
	s->state = SESS_DELAY;
	/*
	 * From now, not from the loop's cached time of before the check:
	 * else the check's own time would be taken off twice.
	 */
	event_base_update_cache_time(evbase);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
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

	if (chan_queue(&s->chan, MSG_AUTH_RESULT, s->sid, -1, &v,
	    sizeof(v)) == -1)
		fatal("%s: chan_queue", __func__);
	sess_event_add(s);
}
