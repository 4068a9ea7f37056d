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
 * Runs as root, in the parent: the control socket that pop3ctl talks
 * to.  The socket is mode 0600 and root's, and each request is checked
 * again against the peer's effective uid, so that a socket made
 * reachable by mistake still answers no one else.  A client that sends
 * anything malformed loses its connection, and only that.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pop3d.h"
#include "dispatch.h"
#include "proc.h"

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn)	 entry;
	struct chan		 chan;
	struct event		 ev_read;
	struct event		 ev_write;
	uid_t			 euid;
	int			 closing;	/* close once sent */
	int			 waiting;	/* for pop3d-auth's counters */
};

static TAILQ_HEAD(, ctl_conn)	 ctl_conns =
				    TAILQ_HEAD_INITIALIZER(ctl_conns);
static int			 ctl_nconns;
static int			 ctl_fd = -1;
static pid_t			 ctl_owner;
static char			 ctl_path[PATH_MAX];
static struct event		 ctl_ev;
static struct event		 ctl_ev_pause;

static void	control_conn_close(struct ctl_conn *);

static int
control_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlcpy(sun->sun_path, path, sizeof(sun->sun_path)) >=
	    sizeof(sun->sun_path))
		return (-1);
	return (0);
}

/*
 * A socket file left by a pop3d that died is removed; one that answers
 * belongs to a pop3d that runs, and two must not share it.  Anything
 * else at the path is not ours to remove.
 */
static void
control_stale(const struct sockaddr_un *sun)
{
	struct stat	sb;
	int		s;

	if (lstat(sun->sun_path, &sb) == -1) {
		if (errno == ENOENT)
			return;
		fatal("control socket %s", sun->sun_path);
	}
	if (!S_ISSOCK(sb.st_mode))
		fatalx("control socket %s: exists and is not a socket",
		    sun->sun_path);
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		fatal("%s: socket", __func__);
	if (connect(s, (const struct sockaddr *)sun, sizeof(*sun)) == 0 ||
	    errno == EAGAIN)
		fatalx("control socket %s: in use by a running pop3d",
		    sun->sun_path);
	close(s);
	if (unlink(sun->sun_path) == -1)
		fatal("control socket %s: unlink", sun->sun_path);
}

void
control_init(const char *path)
{
	struct sockaddr_un	sun;
	mode_t			old;

	if (control_addr(path, &sun) == -1)
		fatalx("control socket %s: path too long", path);
	control_stale(&sun);
	if ((ctl_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		fatal("%s: socket", __func__);
	/* No moment in which the socket is open to others. */
	old = umask(S_IXUSR | S_IRWXG | S_IRWXO);
	if (bind(ctl_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("control socket %s: bind", path);
	umask(old);
	strlcpy(ctl_path, path, sizeof(ctl_path));
	if (chmod(path, S_IRUSR | S_IWUSR) == -1 ||
	    listen(ctl_fd, CONTROL_BACKLOG) == -1) {
		control_cleanup();
		fatal("control socket %s", path);
	}
}

static void
control_resume(int fd, short event, void *arg)
{
	event_add(&ctl_ev, NULL);
}

static struct ctl_conn *
control_conn_new(int fd, uid_t euid)
{
	struct ctl_conn	*c;

	c = xcalloc(1, sizeof(*c));
	c->euid = euid;
	chan_init(&c->chan, fd);
	TAILQ_INSERT_TAIL(&ctl_conns, c, entry);
	ctl_nconns++;
	return (c);
}

/*
 * The lowest free descriptor is the one accept(2) returns, so a number
 * this high means every lower one is taken: the reserve is reached.
 */
static int
control_fd_reserved(int fd)
{
	return (fd >= getdtablesize() - CONTROL_FD_RESERVE);
}

static int
control_uid_full(uid_t euid)
{
	struct ctl_conn	*c;
	int		 n = 0;

	TAILQ_FOREACH(c, &ctl_conns, entry)
		if (c->euid == euid)
			n++;
	return (n >= CONTROL_MAXCONN_PER_CLIENT);
}

static void	control_read(int, short, void *);
static void	control_write(int, short, void *);

static void
control_accept(int lfd, short event, void *arg)
{
	struct timeval	 tv = { 1, 0 };
	struct ctl_conn	*c;
	uid_t		 euid;
	gid_t		 egid;
	int		 fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == -1) {
		if (errno == EMFILE || errno == ENFILE) {
			event_del(&ctl_ev);
			evtimer_add(&ctl_ev_pause, &tv);
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("%s: accept", __func__);
		return;
	}
	if (control_fd_reserved(fd) || ctl_nconns >= CONTROL_MAXCONN) {
		log_warnx("control: connection refused, too many open");
		close(fd);
		return;
	}
	if (getpeereid(fd, &euid, &egid) == -1) {
		log_warn("control: getpeereid");
		close(fd);
		return;
	}
	if (control_uid_full(euid)) {
		log_warnx("control: uid %u has %d connections, refused",
		    (unsigned)euid, CONTROL_MAXCONN_PER_CLIENT);
		close(fd);
		return;
	}
	c = control_conn_new(fd, euid);
	event_set(&c->ev_read, fd, EV_READ | EV_PERSIST, control_read, c);
	event_set(&c->ev_write, fd, EV_WRITE, control_write, c);
	event_add(&c->ev_read, NULL);
}

/*
 * Remove the socket at exit.  Registered with atexit(3) as well, so
 * that a fatal() in the parent removes it too; only the process that
 * serves it may, never a child that exits through the same path.
 */
void
control_cleanup(void)
{
	if (ctl_path[0] == '\0' || (ctl_owner != 0 && getpid() != ctl_owner))
		return;
	unlink(ctl_path);
	ctl_path[0] = '\0';
}

void
control_listen(void)
{
	ctl_owner = getpid();
	atexit(control_cleanup);
	event_set(&ctl_ev, ctl_fd, EV_READ | EV_PERSIST, control_accept, NULL);
	event_add(&ctl_ev, NULL);
	evtimer_set(&ctl_ev_pause, control_resume, NULL);
}

static void
control_conn_close(struct ctl_conn *c)
{
	if (c->waiting)
		metrics_cancel(c);
	event_del(&c->ev_read);
	event_del(&c->ev_write);
	close(c->chan.fd);
	chan_clear(&c->chan);
	TAILQ_REMOVE(&ctl_conns, c, entry);
	ctl_nconns--;
	free(c);
}

/* Returns -1 if c is gone. */
static int
control_flush(struct ctl_conn *c)
{
	if (chan_write(&c->chan) == -1) {
		control_conn_close(c);
		return (-1);
	}
	if (c->chan.queued > 0) {
		event_add(&c->ev_write, NULL);
		return (0);
	}
	if (c->closing) {
		control_conn_close(c);
		return (-1);
	}
	return (0);
}

static void
control_write(int fd, short event, void *arg)
{
	control_flush(arg);
}

static void
control_send(struct ctl_conn *c, uint32_t type, const void *data, size_t len)
{
	if (chan_queue(&c->chan, type, PROTO_VERSION, -1, data, len) == -1)
		fatal("%s: %s", __func__, msg_name(type));
}

static void
control_result(struct ctl_conn *c, uint32_t type, const char *text)
{
	struct ctl_result	r;

	memset(&r, 0, sizeof(r));
	strlcpy(r.text, text, sizeof(r.text));
	control_send(c, type, &r, sizeof(r));
}

/* Answer, then hang up: the client broke the rules or may not ask. */
static void
control_refuse(struct ctl_conn *c, const char *why)
{
	control_result(c, MSG_CTL_FAIL, why);
	c->closing = 1;
	event_del(&c->ev_read);
}

static void
control_status(struct ctl_conn *c)
{
	const struct pop3d_conf	*conf = parent_conf();
	const struct listener	*l;
	struct ctl_status	 st;
	struct ctl_listener	 cl;

	parent_status(&st);
	control_send(c, MSG_CTL_STATUS, &st, sizeof(st));
	TAILQ_FOREACH(l, &conf->listeners, entry) {
		memset(&cl, 0, sizeof(cl));
		strlcpy(cl.addr, ss_to_text(&l->ss), sizeof(cl.addr));
		cl.port = ss_port(&l->ss);
		cl.kind = l->kind;
		control_send(c, MSG_CTL_LISTENER, &cl, sizeof(cl));
	}
}

static void
control_sessions(struct ctl_conn *c)
{
	const struct child	*s;
	struct ctl_session	 cs;
	time_t			 now = time(NULL);

	TAILQ_FOREACH(s, &children, entry) {
		if (s->kind != CHILD_SESSION || s->state == SESSION_IDLE ||
		    s->state == SESSION_HANDED || s->closed || s->reaped)
			continue;
		memset(&cs, 0, sizeof(cs));
		cs.sid = s->sid;
		cs.state = s->state == SESSION_GRANTED ? CTL_SESSION_LOGGED_IN :
		    s->state == SESSION_ENDED ? CTL_SESSION_ENDING :
		    CTL_SESSION_AUTH;
		cs.age = now - s->started;
		strlcpy(cs.peer, s->peername, sizeof(cs.peer));
		if (s->state == SESSION_GRANTED)
			strlcpy(cs.user, s->user, sizeof(cs.user));
		control_send(c, MSG_CTL_SESSION, &cs, sizeof(cs));
	}
}

static void
control_send_autodeny(const struct ctl_autodeny *e, void *arg)
{
	control_send(arg, MSG_CTL_AUTODENY, e, sizeof(*e));
}

static void
control_send_access(const struct ctl_access_entry *e, void *arg)
{
	control_send(arg, MSG_CTL_ACCESS_ENTRY, e, sizeof(*e));
}

static int
control_autodeny_clear(void *arg, struct frame *fr)
{
	struct ctl_conn	*c = arg;
	struct ctl_addr	 a;
	char		 msg[128];
	int		 n;

	frame_get(fr, &a, sizeof(a));
	if (memchr(a.addr, '\0', sizeof(a.addr)) == NULL)
		return (-1);
	if ((n = autodeny_clear(a.addr)) == -1) {
		control_result(c, MSG_CTL_FAIL, "not an IP address");
		return (0);
	}
	if (strcmp(a.addr, "all") != 0 && n == 0) {
		snprintf(msg, sizeof(msg), "%s is not on the auto-deny list",
		    a.addr);
		control_result(c, MSG_CTL_FAIL, msg);
		return (0);
	}
	snprintf(msg, sizeof(msg), "%d address%s removed from the auto-deny "
	    "list", n, n == 1 ? "" : "es");
	control_result(c, MSG_CTL_OK, msg);
	return (0);
}

/*
 * The strings from pop3ctl must end inside their arrays; access_rt.c
 * checks the rest.
 */
static int
control_access_get(struct frame *fr, struct ctl_access *a)
{
	frame_get(fr, a, sizeof(*a));
	if (memchr(a->net, '\0', sizeof(a->net)) == NULL ||
	    memchr(a->reason, '\0', sizeof(a->reason)) == NULL)
		return (-1);
	return (0);
}

/* Who changed the list, for its log line. */
static const char *
control_who(const struct ctl_conn *c)
{
	static char	who[64];

	snprintf(who, sizeof(who), "the control socket (uid %u)",
	    (unsigned)c->euid);
	return (who);
}

static int
control_access_set(void *arg, struct frame *fr)
{
	struct ctl_conn		*c = arg;
	struct ctl_access	 a;
	char			 msg[256];

	if (control_access_get(fr, &a) == -1)
		return (-1);
	if (access_rt_set(&a, control_who(c), msg, sizeof(msg)) == -1)
		control_result(c, MSG_CTL_FAIL, msg);
	else
		control_result(c, MSG_CTL_OK, msg);
	return (0);
}

static int
control_access_delete(void *arg, struct frame *fr)
{
	struct ctl_conn		*c = arg;
	struct ctl_access	 a;
	char			 msg[256];

	if (control_access_get(fr, &a) == -1)
		return (-1);
	if (access_rt_delete(&a, control_who(c), msg, sizeof(msg)) == -1)
		control_result(c, MSG_CTL_FAIL, msg);
	else
		control_result(c, MSG_CTL_OK, msg);
	return (0);
}

static int
control_reload(void *arg, struct frame *fr)
{
	struct ctl_conn	*c = arg;
	char		 why[CTL_MSG_MAX];

	if (parent_reload(why, sizeof(why)) == -1)
		control_result(c, MSG_CTL_FAIL, why);
	else
		control_result(c, MSG_CTL_OK, why);
	return (0);
}

/*
 * The answer is sent before the event loop ends; one frame fits in the
 * socket buffer, so this does not wait for the client.
 */
static int
control_stop(void *arg, struct frame *fr)
{
	struct ctl_conn	*c = arg;

	log_info("stopping on request of pop3ctl");
	control_result(c, MSG_CTL_OK, "pop3d stopping");
	chan_write(&c->chan);
	parent_shutdown();
	return (0);
}

/* The show requests: their frames, then MSG_CTL_END. */
static int
control_show_status(void *arg, struct frame *fr)
{
	control_status(arg);
	control_send(arg, MSG_CTL_END, NULL, 0);
	return (0);
}

static int
control_show_sessions(void *arg, struct frame *fr)
{
	control_sessions(arg);
	control_send(arg, MSG_CTL_END, NULL, 0);
	return (0);
}

static int
control_show_autodeny(void *arg, struct frame *fr)
{
	access_show_autodeny(control_send_autodeny, arg);
	control_send(arg, MSG_CTL_END, NULL, 0);
	return (0);
}

/* Every pop3d-auth has answered, or the time is up. */
static void
control_metrics_done(void *arg, const struct ctl_metrics *m)
{
	struct ctl_conn		*c = arg;
	struct ctl_status	 st;

	c->waiting = 0;
	parent_status(&st);
	control_send(c, MSG_CTL_STATUS, &st, sizeof(st));
	control_send(c, MSG_CTL_METRICS, m, sizeof(*m));
	control_send(c, MSG_CTL_END, NULL, 0);
	if (control_flush(c) == 0)
		event_add(&c->ev_read, NULL);
}

/*
 * The answer waits for pop3d-auth's counters; nothing more is read
 * from this client until it is sent.
 */
static int
control_show_metrics(void *arg, struct frame *fr)
{
	struct ctl_conn	*c = arg;

	c->waiting = 1;
	event_del(&c->ev_read);
	metrics_collect(control_metrics_done, c);
	return (0);
}

static int
control_show_access(void *arg, struct frame *fr)
{
	access_show(parent_conf(), control_send_access, arg);
	control_send(arg, MSG_CTL_END, NULL, 0);
	return (0);
}

/*
 * What pop3ctl may ask, once the version and the peer's uid have been
 * checked.  A bad request closes that connection, and only that.
 */
static const struct dispatch_rule control_rules[] = {
	{ MSG_CTL_SHOW_STATUS,	D_ANY,	0,	control_show_status },
	{ MSG_CTL_SHOW_SESSIONS, D_ANY,	0,	control_show_sessions },
	{ MSG_CTL_SHOW_AUTODENY, D_ANY,	0,	control_show_autodeny },
	{ MSG_CTL_SHOW_ACCESS,	D_ANY,	0,	control_show_access },
	{ MSG_CTL_SHOW_METRICS,	D_ANY,	0,	control_show_metrics },
	{ MSG_CTL_AUTODENY_CLEAR, D_ANY, 0,	control_autodeny_clear },
	{ MSG_CTL_ACCESS_SET,	D_ANY,	0,	control_access_set },
	{ MSG_CTL_ACCESS_DELETE, D_ANY,	0,	control_access_delete },
	{ MSG_CTL_RELOAD,	D_ANY,	0,	control_reload },
	{ MSG_CTL_STOP,		D_ANY,	0,	control_stop },
};
static const struct dispatch_table control_table =
    DISPATCH_TABLE("pop3ctl", control_rules);

static void
control_dispatch(struct ctl_conn *c, struct frame *fr)
{
	const char	*why;
	uint64_t	 seen = 0;

	if (fr->hdr.peerid != PROTO_VERSION) {
		control_refuse(c, "version mismatch between pop3ctl and "
		    "pop3d: install them together");
		return;
	}
	/* A socket made reachable by mistake still serves only root. */
	if (c->euid != 0) {
		control_refuse(c, "permission denied");
		return;
	}
	if (dispatch(&control_table, c, fr, D_ANY, &seen, &why) == -1) {
		log_debug("control: %s", why);
		control_refuse(c, "bad request");
	}
}

static void
control_read(int fd, short event, void *arg)
{
	struct ctl_conn	*c = arg;
	struct frame	 fr;
	int		 n;

	while (!c->closing && !c->waiting) {
		if ((n = chan_read(&c->chan, &fr)) == -1 &&
		    (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			/* End of file, or a frame that is not one. */
			control_conn_close(c);
			return;
		}
		control_dispatch(c, &fr);
		frame_done(&fr);
	}
	control_flush(c);
}
