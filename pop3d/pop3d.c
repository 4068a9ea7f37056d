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
 * The parent, running as root.  Every file of this folder runs as root,
 * in this process: this one (main, signals, reload, accept, the session
 * pool), listener.c (the listening sockets, bound at start and at a
 * reload), proc.c (children and their channels),
 * grant.c (a login granted by pop3d-auth becomes a pop3d-store running
 * as that user), access.c (who may connect), control.c (pop3ctl's
 * socket), submit.c (the XTND XMIT program), tlsmat.c (certificates and
 * keys), and at start and on reload the parser: parse.y, config.c,
 * printconf.c.  Of lib/, the frame layer and the log run here too.  The
 * parent reads no byte from any client and takes no user name from a
 * session: the only user names it sees come from pop3d-auth, and the
 * only addresses it acts on are those accept(2) gave, and on a
 * proxy-protocol listener the client a session read from a trusted
 * balancer's PROXY header (session_proxy()).  ARCHITECTURE says the
 * rest.
 */

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <tls.h>
#include <unistd.h>

#include "pop3d.h"
#include "msg.h"
#include "proc.h"

extern char		**environ;

static struct pop3d_conf *conf;
static const char	*conffile = POP3D_CONFIG;
/* For APOP timestamps and Received: lines; looked up once, at start. */
static char		 hostname[NI_MAXHOST] = "localhost";

static struct tls_material tlsmat;
static struct child	*auth_children[AUTH_PROCS_MAX];
static int		 nauth;
static int		 auth_retired;	/* still serving, not closed */
static struct auth_conf	 auth_conf_cur;	/* what auth_children have */
static int		 sessions_idle[2];	/* by pool: plain, TLS */
static int		 sessions_busy;
static int		 shutting_down;
static struct event	 ev_refill;
static int		 foreground;	/* -d: log to stderr */
static int		 cmdline_verbose;	/* -v */
static time_t		 started;

/* Counted since start, for pop3ctl status. */
static struct {
	uint64_t	connections;
	uint64_t	logins;
	uint64_t	login_failures;
} stats;

/* A reload's error lines, collected for pop3ctl. */
static char		*reload_errors;
static size_t		 reload_errlen;

static void	pool_refill(void);
static int	proxy_admit(const struct sockaddr_storage *);
static void	session_start_proxy(int, struct listener *,
		    struct sockaddr_storage *);
static int	session_room(const struct sockaddr_storage *);
static int	session_source_room(const struct sockaddr_storage *);
static struct child	*pool_take(int);
static int	session_proxy(void *, struct frame *);

/* Certificate and key to a new session, in frames under the cap. */
static void
session_send_tls(struct child *c, const struct tls_material *m)
{
	const size_t	chunk = 8192;
	size_t		off, n;

	for (off = 0; off < m->certlen; off += n) {
		n = MINIMUM(chunk, m->certlen - off);
		child_send(c, MSG_CONF_TLS_CERT, 0, -1, m->cert + off, n);
	}
	for (off = 0; off < m->keylen; off += n) {
		n = MINIMUM(chunk, m->keylen - off);
		child_send(c, MSG_CONF_TLS_KEY, 0, -1, m->key + off, n);
	}
	child_send(c, MSG_CONF_TLS_END, 0, -1, NULL, 0);
}

static __dead void
usage(void)
{
	fprintf(stderr, "usage: pop3d [-dnv] [-D macro=value] [-f file]\n");
	exit(1);
}

static uint32_t
sid_new(void)
{
	struct child	*c;
	uint32_t	 sid;

 again:
	if ((sid = arc4random()) == 0)
		goto again;
	TAILQ_FOREACH(c, &children, entry)
		if (c->kind == CHILD_SESSION && c->sid == sid)
			goto again;
	return (sid);
}

static struct child *
session_by_sid(uint32_t sid)
{
	struct child	*c;

	/* A session that handed its client over is no longer its sid's. */
	TAILQ_FOREACH(c, &children, entry)
		if (c->kind == CHILD_SESSION && c->sid == sid &&
		    c->state != SESSION_HANDED && !c->closed && !c->reaped)
			return (c);
	return (NULL);
}

static const char *
end_reason(int32_t reason)
{
	switch (reason) {
	case SESS_END_QUIT:
		return ("quit");
	case SESS_END_TIMEOUT:
		return ("timeout");
	case SESS_END_DROPPED:
		return ("dropped");
	default:
		return ("error");
	}
}

static int
session_end(void *arg, struct frame *fr)
{
	struct child	*c = arg;
	struct sess_end	 e;

	frame_get(fr, &e, sizeof(e));
	if (c->state == SESSION_PROXY)
		/* The session said why at info: no header it could use. */
		log_debug("%s: closed before a PROXY header, %s",
		    c->peername, end_reason(e.reason));
	else if (c->state == SESSION_GRANTED) {
		log_info("%s: logout user %s: retrieved %u messages "
		    "(%llu octets), deleted %u messages (%llu octets), %s",
		    c->peername, c->user, e.retrieved,
		    (unsigned long long)e.retrieved_octets, e.deleted,
		    (unsigned long long)e.deleted_octets,
		    end_reason(e.reason));
		metrics_session_end(&e);
	} else
		log_info("%s: session closed without login, %s", c->peername,
		    end_reason(e.reason));
	c->state = SESSION_ENDED;
	return (0);
}

/*
 * A session saw a line over AUTODENY_LINE and drops the connection
 * itself.  What gets listed is the address accepted for that session,
 * never one the session could name.
 */
static int
session_autodeny(void *arg, struct frame *fr)
{
	struct child	*c = arg;
	uint32_t	 reason;

	frame_get(fr, &reason, sizeof(reason));
	if (reason != AUTODENY_LONG_LINE)
		return (-1);
	if (!conf->auto_deny) {
		/* Turned off by a reload after this session started. */
		log_debug("%s: auto-deny is off, report ignored",
		    c->peername);
		return (0);
	}
	autodeny_add(&c->peer, reason);
	return (0);
}

/*
 * The login line: the user from pop3d-auth's grant, the method and TLS
 * from the session, once the maildrop is open.
 */
static int
session_login(void *arg, struct frame *fr)
{
	static const char *const methods[] = { "", "pass", "apop",
				    "plain", "scram-sha-256" };
	struct child		*s = arg;
	struct sess_login	 l;

	frame_get(fr, &l, sizeof(l));
	if (l.method < LOGIN_PASS || l.method > LOGIN_SCRAM)
		return (-1);
	stats.logins++;
	log_info("%s: login user %s method %s tls %s", s->peername, s->user,
	    methods[l.method], l.tls ? "yes" : "no");
	return (0);
}

static void
xmit_result(struct child *s, int32_t status)
{
	child_send(s, MSG_SESS_XMIT_RESULT, s->sid, -1, &status,
	    sizeof(status));
}

/*
 * XTND XMIT from a logged-in session: run the submission program as
 * the account whose mail this is, on the message file the session
 * wrote.  One at a time per session; the answer comes when it exits.
 */
static int
session_xmit(void *arg, struct frame *fr)
{
	struct child	*s = arg;
	struct passwd	*pw;
	struct child	*x;
	pid_t		 pid;

	if (!conf->xtnd_xmit || s->xmit_pid != 0)
		return (-1);
	if ((pw = getpwnam(s->account)) == NULL || pw->pw_uid == 0 ||
	    (pid = submit_spawn(conf->xmit_sendmail, pw, s->user,
	    fr->fd)) == -1) {
		log_warnx("%s: XTND XMIT for user %s: cannot run the "
		    "submission program", s->peername, s->user);
		xmit_result(s, -1);
		return (0);
	}
	x = child_add(CHILD_XMIT, pid);
	x->sid = s->sid;
	strlcpy(x->peername, s->peername, sizeof(x->peername));
	strlcpy(x->user, s->user, sizeof(x->user));
	s->xmit_pid = pid;
	return (0);
}

/* The submission program ended: tell the session, if it is still there. */
static void
xmit_gone(struct child *x, int status)
{
	struct child	*s;

	if (status == 0)
		log_info("%s: XTND XMIT: message submitted for user %s",
		    x->peername, x->user);
	else if (WIFSIGNALED(status))
		log_warnx("%s: XTND XMIT for user %s: %s killed by signal %d",
		    x->peername, x->user, conf->xmit_sendmail,
		    WTERMSIG(status));
	else
		log_warnx("%s: XTND XMIT for user %s: %s exited with status "
		    "%d", x->peername, x->user, conf->xmit_sendmail,
		    WEXITSTATUS(status));
	if ((s = session_by_sid(x->sid)) == NULL)
		return;
	s->xmit_pid = 0;
	xmit_result(s, status);
}

/* The first half of an STLS handover: the session's auth channel. */
static int
session_stls_auth(void *arg, struct frame *fr)
{
	struct child	*c = arg;

	if (c->tls || c->conn.kind != LISTEN_POP3)
		return (-1);
	c->stls_authfd = fr->fd;
	fr->fd = -1;
	return (0);
}

/*
 * The client socket of a plain-text session that answered STLS: it and
 * the auth channel go to a pop3d-session-tls under the same sid, and
 * the plain one exits.  Nothing of the handover is trusted beyond its
 * bounds: the counters only limit the client further.
 */
static int
session_stls(void *arg, struct frame *fr)
{
	struct child		*c = arg, *t;
	struct sess_conn	 sc;
	struct timespec		 now;

	if (c->stls_authfd == -1)
		return (-1);
	sc = c->conn;
	frame_get(fr, &sc.handoff, sizeof(sc.handoff));
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (memchr(sc.handoff.timestamp, '\0',
	    sizeof(sc.handoff.timestamp)) == NULL ||
	    sc.handoff.failures < 0 || sc.handoff.commands < 0 ||
	    (sc.handoff.apop != 0 && sc.handoff.apop != 1) ||
	    sc.handoff.connected > now.tv_sec + 1)
		return (-1);
	sc.stls = 1;
	c->state = SESSION_HANDED;
	sessions_busy--;
	if (shutting_down || tlsmat.certlen == 0 ||
	    (t = pool_take(1)) == NULL) {
		log_warnx("%s: STLS: no TLS session to hand over to",
		    c->peername);
		return (0);	/* frame_done() closes the socket */
	}
	t->sid = c->sid;
	t->authidx = c->authidx;
	t->state = SESSION_CONNECTED;
	t->conn = c->conn;
	t->peer = c->peer;
	t->started = c->started;
	strlcpy(t->peername, c->peername, sizeof(t->peername));
	sessions_idle[t->tls]--;
	sessions_busy++;
	child_send(t, MSG_SESS_AUTHFD, t->sid, c->stls_authfd, NULL, 0);
	c->stls_authfd = -1;
	child_send(t, MSG_SESS_CONN, t->sid, fr->fd, &sc, sizeof(sc));
	fr->fd = -1;
	pool_refill();
	return (0);
}

/*
 * What a session may tell us, and when.  It serves a client, so it is
 * trusted least: anything else costs it its life (proc.c).
 */
static const struct dispatch_rule session_rules[] = {
	{ MSG_LOG,		D_ANY,				0, child_log },
	{ MSG_SESS_LOGIN,	SESSION_GRANTED,		D_ONCE,
	    session_login },
	{ MSG_SESS_AUTODENY,	SESSION_CONNECTED | SESSION_GRANTED, 0,
	    session_autodeny },
	{ MSG_SESS_XMIT,	SESSION_GRANTED,		0, session_xmit },
	{ MSG_SESS_END,		SESSION_CONNECTED | SESSION_GRANTED |
	    SESSION_PROXY,					D_ONCE,
	    session_end },
	{ MSG_SESS_PROXY,	SESSION_PROXY,			D_ONCE,
	    session_proxy },
	{ MSG_SESS_STLS_AUTH,	SESSION_CONNECTED,		D_ONCE,
	    session_stls_auth },
	{ MSG_SESS_STLS,	SESSION_CONNECTED,		D_ONCE,
	    session_stls },
};
static const struct dispatch_table session_table =
    DISPATCH_TABLE("session", session_rules);

/*
 * The session of a pop3d-auth message, if it is still there.  Only the
 * pop3d-auth that serves a session may speak of it.
 */
static int
auth_session(struct child *a, uint32_t sid, struct child **s)
{
	if ((*s = session_by_sid(sid)) == NULL)
		return (0);
	if ((*s)->authidx != a->authidx) {
		log_warnx("pop3d-auth %d: message for session %u of another",
		    a->pid, sid);
		return (-1);
	}
	return (1);
}

static int
auth_grant(void *arg, struct frame *fr)
{
	struct mreader		 r;
	const char		*user;
	struct child		*s;
	uint32_t		 backend;
	int			 rc;

	m_read_soft(&r, fr, "pop3d-auth");
	m_get_string(&r, &user, POP3_USER_MAX);
	m_get_u32(&r, &backend);
	if (m_end(&r) == -1)
		return (-1);
	if ((rc = auth_session(arg, fr->hdr.peerid, &s)) != 1) {
		if (rc == -1)
			return (-1);
		/* The client left while pop3d-auth was deciding. */
		log_debug("%s: grant for a session that is gone", __func__);
		return (0);
	}
	/* Said goodbye already: the grant came too late, or it lied. */
	if (s->state == SESSION_ENDED) {
		log_debug("%s: grant for a session that ended", __func__);
		return (0);
	}
	if (s->state != SESSION_CONNECTED) {
		log_warnx("%s: second grant for session %u", __func__,
		    s->sid);
		return (-1);
	}
	s->state = SESSION_GRANTED;
	grant(s, user, backend);
	return (0);
}

/*
 * pop3d-auth refused a login.  The address charged is the one this
 * session was accepted from; the line carries nothing the client chose,
 * so that a log matcher cannot be fed a forged address.
 */
static int
auth_failure(void *arg, struct frame *fr)
{
	struct child	*s;
	uint32_t	 delay_ms;
	int		 rc;

	frame_get(fr, &delay_ms, sizeof(delay_ms));
	if (delay_ms > 60 * 1000)
		return (-1);
	stats.login_failures++;
	if ((rc = auth_session(arg, fr->hdr.peerid, &s)) != 1) {
		if (rc == -1)
			return (-1);
		log_debug("%s: failure for a session that is gone", __func__);
		return (0);
	}
	log_info("%s: authentication failed", ss_to_text(&s->peer));
	penalty_failure(conf, &s->peer, delay_ms / 1000);
	return (0);
}

/*
 * pop3d-auth is trusted more than a session: a bad frame from it ends
 * the parent (proc.c).  Its grant is the only way a user name reaches
 * root.
 */
static const struct dispatch_rule auth_rules[] = {
	{ MSG_LOG,		D_ANY,				0, child_log },
	{ MSG_AUTH_GRANT,	D_ANY,				0, auth_grant },
	{ MSG_AUTH_FAILURE,	D_ANY,				0, auth_failure },
	{ MSG_AUTH_STATS,	D_ANY,				0,
	    metrics_auth_stats },
};
static const struct dispatch_table auth_table =
    DISPATCH_TABLE("pop3d-auth", auth_rules);

static void
auth_conf_make(const struct pop3d_conf *c, struct auth_conf *ac)
{
	memset(ac, 0, sizeof(*ac));
	ac->debug = c->debug;
	memcpy(ac->users_order, c->users_order, sizeof(ac->users_order));
	ac->users_min_uid = c->users_min_uid;
	strlcpy(ac->users_file, c->users_file, sizeof(ac->users_file));
	ac->apop = c->apop;
	ac->poppass_min_length = c->poppass_min_length;
	strlcpy(ac->hostname, hostname, sizeof(ac->hostname));
}

/*
 * Each pop3d-auth gets an id never used before, so that a session
 * started under one set of them is told apart from a later set's.
 */
static struct child *
auth_spawn(const struct auth_conf *ac)
{
	static int	 serial;
	struct child	*a;
	char		*argv[] = { "pop3d: auth", NULL };
	int		 sp[2];
	pid_t		 pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("%s: socketpair", __func__);
		return (NULL);
	}
	if ((pid = proc_exec(POP3D_AUTH_PATH, argv, sp[1], -1)) == -1) {
		log_warnx("%s: cannot start %s", __func__, POP3D_AUTH_PATH);
		close(sp[0]);
		close(sp[1]);
		return (NULL);
	}
	close(sp[1]);
	a = child_new(CHILD_AUTH, pid, sp[0], &auth_table);
	a->authidx = ++serial;
	child_send(a, MSG_CONF_AUTH, 0, -1, ac, sizeof(*ac));
	return (a);
}

/* A set of pop3d-auth that will serve no one: let it go. */
static void
auth_set_close(struct child **set, int n)
{
	while (n-- > 0) {
		set[n]->state = AUTH_CLOSED;
		child_close(set[n]);
	}
}

/*
 * One pop3d-auth per online CPU, all with the settings of ac, into set.
 * All or nothing: -1 (nothing left running) if one cannot start.
 */
static int
auth_start(const struct auth_conf *ac, struct child **set, int *n)
{
	long	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int	i;

	*n = ncpu < 1 ? 1 : ncpu > AUTH_PROCS_MAX ? AUTH_PROCS_MAX : ncpu;
	for (i = 0; i < *n; i++)
		if ((set[i] = auth_spawn(ac)) == NULL) {
			auth_set_close(set, i);
			return (-1);
		}
	return (0);
}

/* Whether a session still depends on the pop3d-auth with this id. */
static int
auth_in_use(int id)
{
	struct child	*c;

	TAILQ_FOREACH(c, &children, entry)
		if (c->kind == CHILD_SESSION && c->authidx == id &&
		    c->state != SESSION_IDLE)
			return (1);
	return (0);
}

/*
 * A retired pop3d-auth serves the sessions it had when a reload
 * replaced it, and is let go (end of file: it exits) after the last.
 */
static void
auth_retire_idle(void)
{
	struct child	*c;

	if (auth_retired == 0)
		return;
	TAILQ_FOREACH(c, &children, entry)
		if (c->kind == CHILD_AUTH && c->state == AUTH_RETIRED &&
		    !c->closed && !auth_in_use(c->authidx)) {
			log_debug("pop3d-auth %d: retired", c->pid);
			c->state = AUTH_CLOSED;
			child_close(c);
			auth_retired--;
		}
}

/*
 * A reload whose pop3d-auth settings changed starts a new set with
 * them before anything else changes: new sessions go to the new set,
 * sessions in flight finish with the one they started with.
 */
static int
auth_reload_start(const struct pop3d_conf *nconf, struct child **set,
    int *n)
{
	struct auth_conf	ac;

	auth_conf_make(nconf, &ac);
	*n = 0;
	if (memcmp(&ac, &auth_conf_cur, sizeof(ac)) == 0)
		return (0);
	if (auth_start(&ac, set, n) == -1) {
		log_warnx("reload failed: cannot start pop3d-auth");
		return (-1);
	}
	return (0);
}

/* The new set takes every new session; the old one is retired. */
static void
auth_reload_swap(struct child **set, int n)
{
	int	i;

	if (n == 0)
		return;
	auth_conf_make(conf, &auth_conf_cur);
	for (i = 0; i < nauth; i++) {
		auth_children[i]->state = AUTH_RETIRED;
		auth_retired++;
	}
	memcpy(auth_children, set, n * sizeof(*set));
	nauth = n;
	auth_retire_idle();
}

/*
 * The pop3d-auth for a client: always the same one for its source
 * (source-prefix, an IPv6 address by its /64), so that its answer
 * delays count every failure from it.  FNV-1a of the source's bytes.
 */
static struct child *
auth_for(const struct addr *src)
{
	size_t		 len, i;
	uint32_t	 h = 2166136261U;

	len = src->family == AF_INET ? 4 : 16;
	for (i = 0; i < len; i++)
		h = (h ^ src->a[i]) * 16777619U;
	return (auth_children[h % nauth]);
}

/*
 * Two pools: pop3d-session for connections in the clear, which links no
 * TLS library, and pop3d-session-tls for implicit TLS and for clients
 * that a plain one hands over after STLS.
 */
static struct child *
session_spawn(int tls)
{
	struct sess_conf	 sc;
	char			*argv[] = { "pop3d: session", NULL };
	char			*argv_tls[] = { "pop3d: session (tls)", NULL };
	int			 sp[2];
	pid_t			 pid;
	struct child		*c;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("%s: socketpair", __func__);
		return (NULL);
	}
	pid = tls ? proc_exec(POP3D_SESSION_TLS_PATH, argv_tls, sp[1], -1) :
	    proc_exec(POP3D_SESSION_PATH, argv, sp[1], -1);
	close(sp[1]);
	if (pid == -1) {
		close(sp[0]);
		return (NULL);
	}
	c = child_new(CHILD_SESSION, pid, sp[0], &session_table);
	/* Only XMIT and the STLS handover carry one; the table sees to it. */
	chan_allow_fd(&c->chan);
	c->state = SESSION_IDLE;
	c->tls = tls;
	c->stls_authfd = -1;
	memset(&sc, 0, sizeof(sc));
	strlcpy(sc.banner, conf->banner, sizeof(sc.banner));
	sc.debug = conf->debug;
	sc.timeout_idle = conf->timeout_idle;
	sc.timeout_login = conf->timeout_login;
	sc.expire = conf->expire;
	sc.login_delay = conf->login_delay;
	sc.tls = tlsmat.certlen > 0;
	sc.tls_ctx = tls;
	sc.apop = conf->apop;
	sc.sasl_scram = conf->users_file[0] != '\0';
	sc.auto_deny = conf->auto_deny;
	sc.max_commands = conf->max_commands;
	sc.xtnd_xmit = conf->xtnd_xmit;
	sc.xmit_max_size = conf->xmit_max_size;
	strlcpy(sc.hostname, hostname, sizeof(sc.hostname));
	strlcpy(sc.tls_protocols, conf->tls_protocols,
	    sizeof(sc.tls_protocols));
	strlcpy(sc.tls_ciphers, conf->tls_ciphers, sizeof(sc.tls_ciphers));
	child_send(c, MSG_CONF_SESSION, 0, -1, &sc, sizeof(sc));
	if (tls)
		session_send_tls(c, &tlsmat);
	sessions_idle[tls]++;
	return (c);
}

/*
 * Whether a listener can give a pool a client: the TLS pool serves
 * implicit TLS and STLS, which POP3 listeners offer when a certificate
 * is configured; the plain pool serves the rest.  A pool no listener
 * needs is not kept filled (pool_take() still starts one on demand).
 */
static int
pool_wanted(int tls)
{
	struct listener	*l;

	TAILQ_FOREACH(l, &conf->listeners, entry)
		if (tls ? tlsmat.certlen > 0 && l->kind != LISTEN_POPPASS :
		    l->kind == LISTEN_POP3 || l->kind == LISTEN_POPPASS)
			return (1);
	return (0);
}

static void
pool_refill(void)
{
	int	tls;

	for (tls = 0; tls <= 1; tls++)
		while (!shutting_down && pool_wanted(tls) &&
		    sessions_idle[tls] < conf->session_pool &&
		    sessions_idle[0] + sessions_idle[1] + sessions_busy <
		    conf->max_sessions)
			if (session_spawn(tls) == NULL)
				break;
}

static void
pool_refill_cb(int fd, short event, void *arg)
{
	pool_refill();
}

static struct child *
pool_take(int tls)
{
	struct child	*c;

	TAILQ_FOREACH(c, &children, entry)
		if (c->kind == CHILD_SESSION && c->state == SESSION_IDLE &&
		    !c->closed && c->tls == tls)
			return (c);
	return (session_spawn(tls));
}

/* Connection limits, decided before any byte is read or written. */
static int
session_allowed(const struct sockaddr_storage *peer)
{
	return (session_room(peer) && session_source_room(peer));
}

static int
session_room(const struct sockaddr_storage *peer)
{
	if (sessions_busy >= conf->max_sessions) {
		access_refused(peer, REFUSED_LIMIT, "%d sessions, the maximum",
		    sessions_busy);
		return (0);
	}
	return (1);
}

/*
 * A session still reading its PROXY header has no client address yet:
 * it counts for no source (and not for the balancer's).
 */
static int
session_source_room(const struct sockaddr_storage *peer)
{
	struct child	*c;
	int		 n = 0;

	TAILQ_FOREACH(c, &children, entry)
		if (c->kind == CHILD_SESSION && c->state != SESSION_IDLE &&
		    c->state != SESSION_HANDED && c->state != SESSION_PROXY &&
		    !c->reaped && access_same_source(&c->peer, peer))
			n++;
	if (n >= conf->max_sessions_per_source) {
		access_refused(peer, REFUSED_LIMIT, "%d sessions from this "
		    "source, the maximum", n);
		return (0);
	}
	return (1);
}

/*
 * A session process from the pool for a connection accepted on l, with
 * what MSG_SESS_CONN tells it filled in and the connection counted;
 * NULL if the pool is empty.
 */
static struct child *
session_take(int fd, struct listener *l, const struct sockaddr_storage *peer)
{
	struct child	*c;
	socklen_t	 len;

	if ((c = pool_take(l->kind == LISTEN_POP3S ||
	    l->kind == LISTEN_POPPASS_TLS)) == NULL) {
		log_warnx("%s: no session process", __func__);
		return (NULL);
	}
	memset(&c->conn, 0, sizeof(c->conn));
	c->conn.peer = *peer;
	len = sizeof(c->conn.local);
	if (getsockname(fd, (struct sockaddr *)&c->conn.local, &len) == -1)
		c->conn.local = l->ss;
	c->conn.kind = l->kind;
	strlcpy(c->conn.peername, ss_to_text(peer), sizeof(c->conn.peername));
	c->sid = sid_new();
	c->peer = *peer;
	c->started = time(NULL);
	snprintf(c->peername, sizeof(c->peername), "%s:%u", c->conn.peername,
	    ss_port(peer));
	sessions_idle[c->tls]--;
	sessions_busy++;
	stats.connections++;
	return (c);
}

/* Hand the accepted socket and a fresh channel to pop3d-auth over. */
static void
session_start(int fd, struct listener *l, struct sockaddr_storage *peer)
{
	struct auth_newsess	 an;
	struct child		*c, *a;
	struct addr		 src;
	int			 sp[2];

	if (shutting_down || access_source(peer, &src) == -1 ||
	    (a = auth_for(&src)) == NULL) {
		close(fd);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("%s: socketpair", __func__);
		close(fd);
		return;
	}
	if ((c = session_take(fd, l, peer)) == NULL) {
		close(sp[0]);
		close(sp[1]);
		close(fd);
		return;
	}
	c->state = SESSION_CONNECTED;
	c->authidx = a->authidx;
	c->conn.plaintext_auth = access_plaintext(conf, l, peer);

	memset(&an, 0, sizeof(an));
	strlcpy(an.peername, c->conn.peername, sizeof(an.peername));
	strlcpy(an.source, access_source_text(&src), sizeof(an.source));
	an.kind = l->kind;
	child_send(a, MSG_AUTH_NEWSESS, c->sid, sp[0], &an,
	    sizeof(an));
	child_send(c, MSG_SESS_AUTHFD, c->sid, sp[1], NULL, 0);
	child_send(c, MSG_SESS_CONN, c->sid, fd, &c->conn, sizeof(c->conn));
	log_info("%s: connection on %s port %u", c->peername,
	    ss_to_text(&l->ss), ss_port(&l->ss));
	pool_refill();
}

/*
 * A proxy-protocol listener takes connections from trusted-proxy
 * networks only: any other peer could name any client it liked.
 */
static int
proxy_admit(const struct sockaddr_storage *peer)
{
	if (!access_trusted_proxy(conf, peer)) {
		access_refused(peer, REFUSED_ACCESS, "not a trusted proxy");
		return (0);
	}
	return (session_room(peer));
}

/*
 * A connection from a balancer: the session reads the PROXY header
 * first, so it gets the socket alone; the auth channel waits for the
 * client's address, which chooses the pop3d-auth.
 */
static void
session_start_proxy(int fd, struct listener *l, struct sockaddr_storage *peer)
{
	struct child	*c;

	if (shutting_down || (c = session_take(fd, l, peer)) == NULL) {
		close(fd);
		return;
	}
	c->state = SESSION_PROXY;
	c->authidx = 0;
	c->conn.proxy = 1;
	c->proxy_ptauth = l->plaintext_auth;
	c->proxy_lss = l->ss;
	child_send(c, MSG_SESS_CONN, c->sid, fd, &c->conn, sizeof(c->conn));
	log_debug("%s: connection on %s port %u, PROXY header expected",
	    c->peername, ss_to_text(&l->ss), ss_port(&l->ss));
	pool_refill();
}

/*
 * The client of a PROXY header, as a session reported it: a family
 * and an address of its size, a port, or "local" and nothing else.
 * Built afresh here, so that no byte of the payload is used unchecked.
 */
static int
proxy_client(const struct sess_proxy *p, const struct child *c,
    struct sockaddr_storage *ss)
{
	static const uint8_t	 zero[16];
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (p->local == 1) {
		if (p->family != 0 || p->port != 0 ||
		    memcmp(p->addr, zero, sizeof(zero)) != 0)
			return (-1);
		*ss = c->peer;	/* the balancer's own connection */
		return (0);
	}
	if (p->local != 0 || p->port > 65535)
		return (-1);
	switch (p->family) {
	case AF_INET:
		if (memcmp(p->addr + 4, zero, 12) != 0)
			return (-1);
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, p->addr, 4);
		sin->sin_port = htons(p->port);
		return (0);
	case AF_INET6:
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, p->addr, 16);
		sin6->sin6_port = htons(p->port);
		return (0);
	default:
		return (-1);
	}
}

/*
 * The PROXY header's client, from the session of a proxy-protocol
 * listener, once, before its greeting: judged as accept judges any
 * client (access lists, auto-deny, penalties, the per-source limit).
 * Admitted, it becomes the session's address for everything after:
 * pop3d-auth's choice and delays, plaintext-auth from, the log,
 * pop3ctl.  A session can name an address for its own connection
 * only, and only from a trusted balancer's connection.
 */
static int
session_proxy(void *arg, struct frame *fr)
{
	struct child		*c = arg, *a;
	struct sess_proxy	 p;
	struct sess_proxy_ok	 ok;
	struct auth_newsess	 an;
	struct sockaddr_storage	 ss;
	struct addr		 src;
	char			 via[NI_MAXHOST + 8];
	int			 sp[2];

	frame_get(fr, &p, sizeof(p));
	if (!c->conn.proxy || proxy_client(&p, c, &ss) == -1)
		return (-1);
	strlcpy(via, c->peername, sizeof(via));
	if (shutting_down || !access_admit(conf, &ss) ||
	    !session_source_room(&ss) || access_source(&ss, &src) == -1 ||
	    (a = auth_for(&src)) == NULL) {
		c->state = SESSION_ENDED;
		child_send(c, MSG_SESS_PROXY_REFUSED, c->sid, -1, NULL, 0);
		return (0);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("%s: socketpair", __func__);
		c->state = SESSION_ENDED;
		child_send(c, MSG_SESS_PROXY_REFUSED, c->sid, -1, NULL, 0);
		return (0);
	}
	c->peer = ss;
	c->conn.peer = ss;
	c->conn.proxy = 0;	/* read: an STLS handover has none */
	c->conn.plaintext_auth = access_plaintext_policy(conf,
	    c->proxy_ptauth, &ss);
	strlcpy(c->conn.peername, ss_to_text(&ss), sizeof(c->conn.peername));
	snprintf(c->peername, sizeof(c->peername), "%s:%u",
	    c->conn.peername, ss_port(&ss));
	c->authidx = a->authidx;
	c->state = SESSION_CONNECTED;

	memset(&an, 0, sizeof(an));
	strlcpy(an.peername, c->conn.peername, sizeof(an.peername));
	strlcpy(an.source, access_source_text(&src), sizeof(an.source));
	an.kind = c->conn.kind;
	child_send(a, MSG_AUTH_NEWSESS, c->sid, sp[0], &an, sizeof(an));
	memset(&ok, 0, sizeof(ok));
	ok.peer = ss;
	ok.plaintext_auth = c->conn.plaintext_auth;
	strlcpy(ok.peername, c->conn.peername, sizeof(ok.peername));
	child_send(c, MSG_SESS_PROXY_OK, c->sid, sp[1], &ok, sizeof(ok));
	log_info("%s: connection on %s port %u via proxy %s%s", c->peername,
	    ss_to_text(&c->proxy_lss), ss_port(&c->proxy_lss), via,
	    p.local ? " (no client address in the header)" : "");
	return (0);
}

static void
parent_accept(int lfd, short event, void *arg)
{
	struct listener		*l = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	int			 fd, on = 1;

	/* The whole of ss goes to a session: no byte of root's stack. */
	memset(&ss, 0, sizeof(ss));
	if ((fd = accept4(lfd, (struct sockaddr *)&ss, &len,
	    SOCK_CLOEXEC)) == -1) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			log_warn("%s: accept", __func__);
			listeners_pause(conf);
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("%s: accept", __func__);
		return;
	}
	/*
	 * On a proxy-protocol listener the peer is a balancer: the access
	 * list and the per-source limits wait for the client its header
	 * names (session_proxy()).
	 */
	if (l->proxy ? !proxy_admit(&ss) :
	    !access_admit(conf, &ss) || !session_allowed(&ss)) {
		close(fd);
		return;
	}
	/*
	 * A reply leaves in several writes (TLS records, a buffer's
	 * tail); under Nagle each after the first waits for the client's
	 * delayed ACK, some 40 ms a message for a client that fetches one
	 * at a time.  Set here because the session's sandbox has no
	 * setsockopt.
	 */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
		log_warn("%s: setsockopt TCP_NODELAY", __func__);
	if (l->proxy)
		session_start_proxy(fd, l, &ss);
	else
		session_start(fd, l, &ss);
}

static void
child_gone(struct child *c, int status)
{
	struct timeval	pause = { 1, 0 };
	char		why[64];

	if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(why, sizeof(why), "exited with status %d",
		    WEXITSTATUS(status));
	if (c->kind == CHILD_XMIT) {
		xmit_gone(c, status);
		return;
	}
	if (c->kind == CHILD_AUTH) {
		if (c->state == AUTH_RETIRED || c->state == AUTH_CLOSED) {
			if (c->state == AUTH_RETIRED)
				auth_retired--;
			log_debug("retired pop3d-auth %d %s", c->pid, why);
			return;
		}
		if (!shutting_down) {
			log_warnx("lost child: pop3d-auth %d %s", c->pid, why);
			parent_shutdown();
		}
		return;
	}
	if (WIFSIGNALED(status) || WEXITSTATUS(status) != 0)
		if (!shutting_down) {
			log_warnx("lost child: %s %d%s%s %s", child_name(c),
			    c->pid, c->peername[0] ? " serving " : "",
			    c->peername, why);
			metrics_child_lost(c->kind);
		}
	if (c->kind == CHILD_SESSION) {
		if (c->stls_authfd != -1)
			close(c->stls_authfd);
		if (c->state == SESSION_IDLE)
			sessions_idle[c->tls]--;
		else if (c->state != SESSION_HANDED)
			sessions_busy--;
		/*
		 * A pool process that dies before serving anyone may die
		 * the same way again (a binary replaced under us): refill
		 * after a pause, not in a tight loop.
		 */
		if (c->state == SESSION_IDLE &&
		    (WIFSIGNALED(status) || WEXITSTATUS(status) != 0))
			evtimer_add(&ev_refill, &pause);
		else
			pool_refill();
		auth_retire_idle();
	}
}

/*
 * Point the log where c says.  A file is opened again even when its
 * path did not change: that is how a rotated log is let go (rename,
 * then SIGHUP).  In the foreground (-d) everything goes to stderr.
 */
static int
parent_log_apply(const struct pop3d_conf *c)
{
	if (foreground)
		return (0);
	switch (c->log_dest) {
	case LOG_TO_FILE:
		if (log_openfile(c->log_file) == -1) {
			log_warn("%s", c->log_file);
			return (-1);
		}
		break;
	case LOG_TO_NONE:
		log_setnone();
		break;
	default:
		log_setsyslog(c->log_facility);
		break;
	}
	return (0);
}

/* Every line logged during a reload; errors also go to pop3ctl. */
static void
reload_capture(int pri, const char *line)
{
	size_t	n;

	log_emit(pri, line);
	if (pri > LOG_ERR || reload_errors == NULL)
		return;
	n = strlen(reload_errors);
	if (n + strlen(line) + 2 <= reload_errlen)
		snprintf(reload_errors + n, reload_errlen - n, "%s\n", line);
}

/* A TLS listener needs what TLS sessions are made from. */
static int
reload_tls_ok(const struct pop3d_conf *nconf, const struct tls_material *nmat)
{
	struct listener	*l;

	TAILQ_FOREACH(l, &nconf->listeners, entry)
		if ((l->kind == LISTEN_POP3S ||
		    l->kind == LISTEN_POPPASS_TLS) && nmat->certlen == 0) {
			log_warnx("reload failed: a TLS listener needs a "
			    "certificate");
			return (0);
		}
	return (1);
}

/*
 * What a reload needs that the new configuration could break, each
 * step undone when a later one fails: none of it is in service yet.
 */
static int
reload_check(struct pop3d_conf *nconf, struct tls_material *nmat,
    struct child **authset, int *nauthset)
{
	if (tlsmat_load(nconf, nmat) == -1) {
		log_warnx("reload failed: TLS certificate or key");
		return (-1);
	}
	if (!reload_tls_ok(nconf, nmat) ||
	    listeners_prepare(conf, nconf) == -1)
		goto fail_tls;
	if (auth_reload_start(nconf, authset, nauthset) == -1)
		goto fail_listen;
	/* Last, since it switches the log when it works. */
	if (parent_log_apply(nconf) == -1) {
		log_warnx("reload failed: cannot open the log file");
		auth_set_close(authset, *nauthset);
		goto fail_listen;
	}
	return (0);

 fail_listen:
	listeners_abort(nconf);
 fail_tls:
	tlsmat_free(nmat);
	return (-1);
}

/*
 * Sessions that are serving a client keep what they started with, and
 * the socket it was accepted on, even when the new configuration no
 * longer listens there; idle ones in the pool are retired, so that
 * every new connection gets the new settings.  The pools are refilled
 * for the new listeners (pool_wanted()): the TLS one starts with the
 * first listener that can use it and is let go with the last.
 */
static void
reload_swap(struct pop3d_conf *nconf, struct tls_material *nmat,
    struct child **authset, int nauthset)
{
	struct child	*c;

	if (strcmp(nconf->control_socket, conf->control_socket) != 0)
		log_warnx("reload: the control socket changes at restart");
	listeners_commit(conf, nconf);
	config_free(conf);
	conf = nconf;
	access_configure(conf);
	tlsmat_free(&tlsmat);
	tlsmat = *nmat;
	log_setverbose(cmdline_verbose || conf->debug);
	TAILQ_FOREACH(c, &children, entry)
		if (c->kind == CHILD_SESSION && c->state == SESSION_IDLE)
			child_close(c);	/* it exits on end of file */
	auth_reload_swap(authset, nauthset);
	pool_refill();
}

static int
reload_config(void)
{
	struct pop3d_conf	*nconf;
	struct tls_material	 nmat;
	struct child		*authset[AUTH_PROCS_MAX];
	int			 nauthset;

	if ((nconf = parse_config(conffile, 0)) == NULL) {
		log_warnx("reload failed: errors in %s", conffile);
		return (-1);
	}
	if (reload_check(nconf, &nmat, authset, &nauthset) == -1) {
		config_free(nconf);
		return (-1);
	}
	reload_swap(nconf, &nmat, authset, nauthset);
	return (0);
}

/*
 * SIGHUP and pop3ctl reload: read pop3d.conf and the certificates
 * again, and reopen the log file.  A configuration with an error
 * changes nothing; why, if not NULL, gets what to tell pop3ctl.
 */
int
parent_reload(char *why, size_t len)
{
	char	errors[CTL_MSG_MAX];
	int	rc;

	log_info("reloading %s", conffile);
	errors[0] = '\0';
	reload_errors = errors;
	reload_errlen = sizeof(errors);
	log_sethook(reload_capture);
	rc = reload_config();
	log_sethook(NULL);
	reload_errors = NULL;
	if (rc == -1) {
		log_warnx("reload failed: the running configuration is "
		    "unchanged");
		/* Rotation relies on SIGHUP even with a broken file. */
		parent_log_apply(conf);
		if (why != NULL)
			strlcpy(why, errors[0] != '\0' ? errors :
			    "reload failed\n", len);
		return (-1);
	}
	log_info("configuration reloaded");
	if (why != NULL)
		strlcpy(why, "configuration reloaded", len);
	return (0);
}

static void
parent_sig(int sig, short event, void *arg)
{
	switch (sig) {
	case SIGCHLD:
		child_reap(child_gone);
		break;
	case SIGHUP:
		parent_reload(NULL, 0);
		break;
	default:
		log_info("terminating on signal %d", sig);
		parent_shutdown();
	}
}

void
parent_shutdown(void)
{
	if (shutting_down)
		return;
	shutting_down = 1;
	child_kill_all();
	event_loopexit(NULL);
}

const struct pop3d_conf *
parent_conf(void)
{
	return (conf);
}

void
parent_status(struct ctl_status *st)
{
	struct child	*c;

	memset(st, 0, sizeof(*st));
	st->pid = getpid();
	st->started = started;
	st->uptime = time(NULL) - started;
	TAILQ_FOREACH(c, &children, entry) {
		if (c->kind != CHILD_SESSION || c->closed || c->reaped ||
		    c->state == SESSION_HANDED)
			continue;
		if (c->state == SESSION_IDLE)
			st->idle++;
		else
			st->sessions++;
		if (c->state == SESSION_GRANTED)
			st->logged_in++;
	}
	st->connections = stats.connections;
	st->logins = stats.logins;
	st->login_failures = stats.login_failures;
	st->auto_deny = conf->auto_deny;
	access_status(conf, st);
	strlcpy(st->conffile, conffile, sizeof(st->conffile));
}

static void
parent_check_users(void)
{
	if (getpwnam(POP3D_USER) == NULL)
		errx(1, "unknown user %s", POP3D_USER);
	if (getpwnam(POP3D_AUTH_USER) == NULL)
		errx(1, "unknown user %s", POP3D_AUTH_USER);
}

/*
 * The sanitizer build keeps stderr, which every child inherits: a
 * chrooted child can open no report file, so this is where the ASan
 * and UBSan reports of all of them reach whoever started the daemon.
 */
static void
parent_daemon(void)
{
#ifdef POP3D_SANITIZE
	int	fd;

	if ((fd = dup(STDERR_FILENO)) == -1)
		fatal("dup");
	if (daemon(0, 0) == -1)
		fatal("daemon");
	if (dup2(fd, STDERR_FILENO) == -1)
		fatal("dup2");
	close(fd);
#else
	if (daemon(0, 0) == -1)
		fatal("daemon");
#endif
}

int
main(int argc, char *argv[])
{
	struct event	 ev_sigterm, ev_sigint, ev_sighup, ev_sigchld;
	int		 ch, noaction = 0;

	setproctitle_init(argc, argv, environ);
	log_init(1, LOG_DAEMON);
	while ((ch = getopt(argc, argv, "D:df:nv")) != -1) {
		switch (ch) {
		case 'D':
			if (cmdline_symset(optarg) < 0)
				errx(1, "could not parse macro definition %s",
				    optarg);
			break;
		case 'd':
			foreground = 1;
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'v':
			cmdline_verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if ((conf = parse_config(conffile, cmdline_verbose)) == NULL)
		exit(1);
	if (tls_init() == -1)
		errx(1, "tls_init");
	if (noaction) {
		if (cmdline_verbose)
			config_print(conf);
		fprintf(stderr, "configuration OK\n");
		exit(0);
	}
	if (geteuid() != 0)
		errx(1, "need root privileges");
	if (gethostname(hostname, sizeof(hostname)) == -1)
		strlcpy(hostname, "localhost", sizeof(hostname));
	hostname[sizeof(hostname) - 1] = '\0';
	parent_check_users();
	if (tlsmat_load(conf, &tlsmat) == -1)
		errx(1, "cannot load the TLS certificate or key");

	/* Made now, so that a socket in use is reported on stderr. */
	control_init(conf->control_socket[0] != '\0' ?
	    conf->control_socket : POP3D_CONTROL_SOCKET);

	log_init(foreground, conf->log_facility);
	log_setverbose(cmdline_verbose || conf->debug);
	if (parent_log_apply(conf) == -1) {
		control_cleanup();
		errx(1, "cannot open the log file %s", conf->log_file);
	}
	if (!foreground)
		parent_daemon();
	/* Nor a core file of the parent: it holds the TLS key. */
	if (setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 }) == -1)
		fatal("setrlimit RLIMIT_CORE");
	setproctitle("parent");
	log_procinit("parent");
	started = time(NULL);

	event_init();
	access_init();
	access_configure(conf);
	control_listen();
	signal(SIGPIPE, SIG_IGN);
	signal_set(&ev_sigterm, SIGTERM, parent_sig, NULL);
	signal_set(&ev_sigint, SIGINT, parent_sig, NULL);
	signal_set(&ev_sighup, SIGHUP, parent_sig, NULL);
	signal_set(&ev_sigchld, SIGCHLD, parent_sig, NULL);
	signal_add(&ev_sigterm, NULL);
	signal_add(&ev_sigint, NULL);
	signal_add(&ev_sighup, NULL);
	signal_add(&ev_sigchld, NULL);

	listeners_start(conf, parent_accept);
	evtimer_set(&ev_refill, pool_refill_cb, NULL);
	auth_conf_make(conf, &auth_conf_cur);
	if (auth_start(&auth_conf_cur, auth_children, &nauth) == -1)
		fatalx("cannot start pop3d-auth");
	pool_refill();
	log_info("startup");
	event_dispatch();
	control_cleanup();
	log_info("exiting");
	exit(0);
}
