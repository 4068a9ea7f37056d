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
 * Runs as root, in the parent: starting children and talking to them.
 * Nothing here reads client bytes.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/wait.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <paths.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "pop3d.h"
#include "msg.h"
#include "proc.h"

struct childlist	children = TAILQ_HEAD_INITIALIZER(children);

static void	child_log_dropped(struct child *);

/* Seconds on a clock that does not jump, for the log rate. */
static time_t
log_clock(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec);
}

/*
 * In the child of vfork(), between it and execve(): only system calls,
 * on the child's own stack.  Caught signals go back to their default
 * before the mask opens, so that none runs a handler of the parent's
 * in the shared address space; ignored ones stay ignored, as exec
 * leaves them.
 */
static __dead void
proc_child(const char *path, char *const argv[], int fd3, int fd4,
    const sigset_t *mask)
{
	char * const		 env[] = { NULL };
	struct sigaction	 sa;
	int			 a, b = -1, null, sig;

	/* Out of the way first, so that fd3 == 4 cannot clobber fd4. */
	if ((a = fcntl(fd3, F_DUPFD, 16)) == -1 ||
	    (fd4 != -1 && (b = fcntl(fd4, F_DUPFD, 16)) == -1) ||
	    dup2(a, PARENT_FD) == -1 ||
	    (fd4 != -1 && dup2(b, STORE_SESSION_FD) == -1))
		_exit(126);
	if ((null = open(_PATH_DEVNULL, O_RDWR)) == -1 ||
	    dup2(null, STDIN_FILENO) == -1)
		_exit(126);
	closefrom(fd4 != -1 ? STORE_SESSION_FD + 1 : PARENT_FD + 1);
	for (sig = 1; sig < NSIG; sig++) {
		if (sigaction(sig, NULL, &sa) == -1 ||
		    sa.sa_handler == SIG_IGN || sa.sa_handler == SIG_DFL)
			continue;
		sa.sa_handler = SIG_DFL;
		sa.sa_flags = 0;
		sigaction(sig, &sa, NULL);
	}
	sigprocmask(SIG_SETMASK, mask, NULL);
	execve(path, argv, env);
	_exit(127);
}

/*
 * Children are told apart by argv[0] ("pop3d: session", ...), their
 * process title: with an empty environment there is no room to set a
 * longer one later, and a fixed title is what rc scripts match.
 *
 * Start path with fd3 (and fd4, if not -1) as the child's fds 3 and 4,
 * stdin from /dev/null, stdout and stderr inherited, every other fd
 * closed, an empty environment and no signal blocked.  vfork(), not
 * fork(): the parent copies no page table for a process that execs at
 * once, which was a fifth of the CPU of a login.  Signals stay blocked
 * in the parent meanwhile, so that no handler runs in the child.
 */
pid_t
proc_exec(const char *path, char *const argv[], int fd3, int fd4)
{
	sigset_t	 all, old, none;
	pid_t		 pid;

	sigfillset(&all);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &all, &old);
	if ((pid = vfork()) == 0)
		proc_child(path, argv, fd3, fd4, &none);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1)
		log_warn("%s: vfork", __func__);
	return (pid);
}

static void
child_flush(struct child *c)
{
	if (c->closed)
		return;
	if (chan_write(&c->chan) == -1) {
		log_warn("write to %s %d", child_name(c), c->pid);
		child_close(c);
		return;
	}
	if (c->chan.queued > 0)
		event_add(&c->ev_write, NULL);
}

static void
child_write_cb(int fd, short event, void *arg)
{
	child_flush(arg);
}

/* Kill a child that broke the protocol. */
void
child_kill(struct child *c, const char *why)
{
	log_warnx("%s %d: %s, killing it", child_name(c), c->pid, why);
	if (!c->reaped)
		kill(c->pid, SIGKILL);
	child_close(c);
}

/*
 * Every frame from a child goes through its channel table, at most
 * CHILD_DRAIN_MAX a turn, so that a flooding child does not starve
 * accepts and the other children: the rest waits for the next turn
 * (1 is returned then).  Only pop3d-auth's word is trusted enough for a
 * bad frame from it to end the parent; a session or store that
 * misbehaves costs its own life.
 */
static int
child_drain(struct child *c)
{
	struct frame	 fr;
	const char	*why;
	int		 i, n;

	for (i = 0; i < CHILD_DRAIN_MAX && !c->closed; i++) {
		n = chan_read(&c->chan, &fr);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return (0);
		if (n == -1 && errno == EBADMSG && c->kind != CHILD_AUTH) {
			child_kill(c, "malformed frame");
			return (0);
		}
		if (n == -1 && errno != ECONNRESET)
			fatal("%s: read from %s %d", __func__, child_name(c),
			    c->pid);
		/* A child that died with frames unread resets the channel. */
		if (n <= 0) {
			child_close(c);
			return (0);
		}
		if (dispatch(c->table, c, &fr, c->state, &c->seen,
		    &why) == -1) {
			if (c->kind == CHILD_AUTH)
				fatalx("pop3d-auth: %s", why);
			child_kill(c, why);
		}
		frame_done(&fr);
	}
	return (i == CHILD_DRAIN_MAX);
}

static void
child_read_cb(int fd, short event, void *arg)
{
	child_drain(arg);
}

struct child *
child_new(enum child_kind kind, pid_t pid, int fd,
    const struct dispatch_table *table)
{
	struct child	*c;

	c = xcalloc(1, sizeof(*c));
	c->kind = kind;
	c->pid = pid;
	c->table = table;
	c->state = CHILD_RUNNING;
	c->log_tokens = CHILD_LOG_BURST;
	c->log_refill = log_clock();
	set_nonblock(fd, 1);
	chan_init(&c->chan, fd);
	event_set(&c->ev_read, fd, EV_READ | EV_PERSIST, child_read_cb, c);
	event_set(&c->ev_write, fd, EV_WRITE, child_write_cb, c);
	event_add(&c->ev_read, NULL);
	TAILQ_INSERT_TAIL(&children, c, entry);
	return (c);
}

/* A child without a channel: only its exit matters (XTND XMIT). */
struct child *
child_add(enum child_kind kind, pid_t pid)
{
	struct child	*c;

	c = xcalloc(1, sizeof(*c));
	c->kind = kind;
	c->pid = pid;
	c->state = CHILD_RUNNING;
	c->closed = 1;
	TAILQ_INSERT_TAIL(&children, c, entry);
	return (c);
}

void
child_send(struct child *c, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t len)
{
	if (c->closed) {
		if (fd != -1)
			close(fd);
		return;
	}
	if (chan_queue(&c->chan, type, peerid, fd, data, len) == -1)
		fatal("%s: %s", __func__, msg_name(type));
	child_flush(c);
}

void
child_close(struct child *c)
{
	if (c->closed)
		return;
	event_del(&c->ev_read);
	event_del(&c->ev_write);
	close(c->chan.fd);
	chan_clear(&c->chan);
	c->closed = 1;
}

const char *
child_name(struct child *c)
{
	switch (c->kind) {
	case CHILD_AUTH:
		return ("pop3d-auth");
	case CHILD_SESSION:
		return ("session");
	case CHILD_STORE:
		return ("pop3d-store");
	case CHILD_XMIT:
		return ("submission program");
	}
	return ("child");
}

/*
 * Collect every exited child.  Its last frames (a fatal line, the
 * session's end counters) are read before the record goes away.
 */
void
child_reap(void (*gone)(struct child *, int))
{
	struct child	*c;
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		TAILQ_FOREACH(c, &children, entry)
			if (c->pid == pid)
				break;
		if (c == NULL)
			continue;
		/* Reaped first: its pid may be reused, never kill it now. */
		c->reaped = 1;
		while (child_drain(c) == 1)
			;
		child_log_dropped(c);
		child_close(c);
		TAILQ_REMOVE(&children, c, entry);
		gone(c, status);
		free(c);
	}
}

void
child_kill_all(void)
{
	struct child	*c;

	TAILQ_FOREACH(c, &children, entry)
		if (!c->reaped)
			kill(c->pid, SIGTERM);
}

/* The count of a child's lines that were not logged, if any. */
static void
child_log_dropped(struct child *c)
{
	if (c->log_dropped == 0)
		return;
	log_warnx("%s %d: %u log lines dropped, over %d a second",
	    child_name(c), c->pid, c->log_dropped, CHILD_LOG_RATE);
	c->log_dropped = 0;
}

/*
 * Whether the child may log one more line now: CHILD_LOG_BURST at
 * once, refilled by CHILD_LOG_RATE a second.  What is dropped is
 * counted and said when lines flow again, or when the child is gone.
 */
static int
child_log_allowed(struct child *c)
{
	time_t	now = log_clock();

	if (now > c->log_refill) {
		c->log_tokens = MINIMUM(CHILD_LOG_BURST,
		    c->log_tokens + (now - c->log_refill) * CHILD_LOG_RATE);
		c->log_refill = now;
	}
	if (c->log_tokens == 0) {
		c->log_dropped++;
		return (0);
	}
	c->log_tokens--;
	child_log_dropped(c);
	return (1);
}

/*
 * The parent's side: a child's line, checked before it is written.
 * Returns -1 for a malformed frame; the caller decides what that costs
 * the child.
 */
static int
log_from_child(struct child *c, struct frame *fr, const char *who)
{
	struct mreader	 r;
	uint32_t	 pri;
	const char	*line;
	char		 buf[LOG_LINE_MAX + 64];
	size_t		 i, off;

	m_read_soft(&r, fr, who);
	m_get_u32(&r, &pri);
	m_get_string(&r, &line, LOG_LINE_MAX);
	if (m_end(&r) == -1 || pri > LOG_DEBUG)
		return (-1);
	if (pri == LOG_DEBUG && !log_getverbose())
		return (0);
	/*
	 * pop3d-auth is trusted more: its lines (every login, which
	 * fail2ban reads) are neither capped nor limited.  Debug lines,
	 * which the administrator asked for, are not limited either.
	 */
	if (c->kind != CHILD_AUTH) {
		if (pri < LOG_ERR)
			pri = LOG_ERR;
		if (pri != LOG_DEBUG && !child_log_allowed(c))
			return (0);
	}
	off = snprintf(buf, sizeof(buf), "%s: %s", who, line);
	/* Lines quote client input: no control bytes reach the log. */
	for (i = 0; i < off && i < sizeof(buf) - 1; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	log_emit(pri, buf);
	return (0);
}

/* MSG_LOG from any child, prefixed with its kind. */
int
child_log(void *arg, struct frame *f)
{
	struct child	*c = arg;
	const char	*who;

	switch (c->kind) {
	case CHILD_AUTH:
		who = "auth";
		break;
	case CHILD_STORE:
		who = "store";
		break;
	default:
		who = "session";
		break;
	}
	return (log_from_child(c, f, who));
}
