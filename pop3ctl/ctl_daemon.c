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
 * pop3ctl's commands for the running daemon: one request on the control
 * socket, then its answer printed.  The daemon is trusted no more than
 * it must be: every reply is checked for its type and exact size, and
 * its strings for their NUL, before anything is printed.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>


#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pop3d.h"
#include "dispatch.h"
#include "accessarg.h"
#include "ctl.h"

/* A reply frame and what prints it; proto.h gives its size. */
struct ctl_reply {
	uint32_t	 type;
	void		(*print)(const void *);
};

struct ctl_cmd {
	const char		*name;	/* "show sessions" */
	int			 argc;	/* words, argument included */
	uint32_t		 request;
	const struct ctl_reply	*replies;	/* NULL: OK, FAIL */
	void			(*header)(void);
};

static void	print_status(const void *);
static void	print_listener(const void *);
static void	print_session(const void *);
static void	print_autodeny(const void *);
static void	print_access(const void *);
static void	keep_status(const void *);
static void	print_metrics(const void *);
static void	header_sessions(void);
static void	header_autodeny(void);
static void	header_access(void);

static const struct ctl_reply status_replies[] = {
	{ MSG_CTL_STATUS, print_status },
	{ MSG_CTL_LISTENER, print_listener },
	{ 0, NULL }
};
static const struct ctl_reply session_replies[] = {
	{ MSG_CTL_SESSION, print_session },
	{ 0, NULL }
};
static const struct ctl_reply autodeny_replies[] = {
	{ MSG_CTL_AUTODENY, print_autodeny },
	{ 0, NULL }
};
static const struct ctl_reply access_replies[] = {
	{ MSG_CTL_ACCESS_ENTRY, print_access },
	{ 0, NULL }
};

static const struct ctl_reply metrics_replies[] = {
	{ MSG_CTL_STATUS, keep_status },
	{ MSG_CTL_METRICS, print_metrics },
	{ 0, NULL }
};

static const struct ctl_cmd ctl_cmds[] = {
	{ "autodeny clear", 3, MSG_CTL_AUTODENY_CLEAR, NULL, NULL },
	{ "reload", 1, MSG_CTL_RELOAD, NULL, NULL },
	{ "show access", 2, MSG_CTL_SHOW_ACCESS, access_replies,
	    header_access },
	{ "show autodeny", 2, MSG_CTL_SHOW_AUTODENY, autodeny_replies,
	    header_autodeny },
	{ "show metrics", 2, MSG_CTL_SHOW_METRICS, metrics_replies, NULL },
	{ "show sessions", 2, MSG_CTL_SHOW_SESSIONS, session_replies,
	    header_sessions },
	{ "status", 1, MSG_CTL_SHOW_STATUS, status_replies, NULL },
	{ "stop", 1, MSG_CTL_STOP, NULL, NULL },
};

/* Fixed-size strings from the daemon end inside their arrays. */
#define TERMINATED(a)	(memchr((a), '\0', sizeof(a)) != NULL)

static const char *
fmt_time(int64_t t)
{
	static char	 buf[32];
	time_t		 tt = (time_t)t;
	struct tm	*tm;

	if ((tm = localtime(&tt)) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", tm) == 0)
		snprintf(buf, sizeof(buf), "%lld", (long long)t);
	return (buf);
}

static const char *
fmt_age(int64_t s)
{
	static char	buf[32];

	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, sizeof(buf), "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, sizeof(buf), "%lldm%02llds",
		    (long long)(s / 60), (long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, sizeof(buf), "%lldh%02lldm",
		    (long long)(s / 3600), (long long)(s % 3600 / 60));
	else
		snprintf(buf, sizeof(buf), "%lldd%02lldh",
		    (long long)(s / 86400), (long long)(s % 86400 / 3600));
	return (buf);
}

/* show metrics: the status frame, kept for the metrics frame after it. */
static struct ctl_status	metrics_status;
static int			have_status;

/* Text the daemon sends to the terminal: no control characters. */
static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return (0);
	return (1);
}

static int
print_checked(const struct ctl_reply *r, const void *data)
{
	const struct ctl_status		*st = data;
	const struct ctl_listener	*l = data;
	const struct ctl_session	*s = data;
	const struct ctl_autodeny	*d = data;
	const struct ctl_access_entry	*a = data;

	switch (r->type) {
	case MSG_CTL_STATUS:
		return (TERMINATED(st->conffile));
	case MSG_CTL_LISTENER:
		return (TERMINATED(l->addr));
	case MSG_CTL_SESSION:
		return (TERMINATED(s->peer) && TERMINATED(s->user));
	case MSG_CTL_AUTODENY:
		return (TERMINATED(d->addr));
	case MSG_CTL_METRICS:
		/* Printed with the status that comes first. */
		return (have_status);
	case MSG_CTL_ACCESS_ENTRY:
		return (TERMINATED(a->addr) && TERMINATED(a->reason) &&
		    printable(a->reason));
	}
	return (0);
}

static void
print_status(const void *data)
{
	const struct ctl_status	*st = data;

	printf("pop3d: running\n");
	printf("pid: %lld\n", (long long)st->pid);
	printf("configuration: %s\n", st->conffile);
	printf("started: %s\n", fmt_time(st->started));
	printf("uptime: %s\n", fmt_age(st->uptime));
	printf("sessions: %u\n", st->sessions);
	printf("sessions logged in: %u\n", st->logged_in);
	printf("sessions idle in the pool: %u\n", st->idle);
	printf("connections: %llu\n", (unsigned long long)st->connections);
	printf("logins: %llu\n", (unsigned long long)st->logins);
	printf("login failures: %llu\n",
	    (unsigned long long)st->login_failures);
	printf("refused by access list: %llu\n",
	    (unsigned long long)st->refused[REFUSED_ACCESS]);
	printf("refused by auto-deny: %llu\n",
	    (unsigned long long)st->refused[REFUSED_AUTODENY]);
	printf("refused by penalty: %llu\n",
	    (unsigned long long)st->refused[REFUSED_PENALTY]);
	printf("refused by session limits: %llu\n",
	    (unsigned long long)st->refused[REFUSED_LIMIT]);
	printf("refused by runtime access list: %llu\n",
	    (unsigned long long)st->refused[REFUSED_RUNTIME]);
	printf("auto-deny: %s\n", st->auto_deny ? "yes" : "no");
	printf("auto-denied: %llu\n", (unsigned long long)st->autodenies);
	printf("auto-deny list: %u\n", st->autodeny_listed);
	printf("penalized addresses: %u\n", st->penalized);
}

static void
print_listener(const void *data)
{
	const struct ctl_listener	*l = data;
	const char			*kind;

	switch (l->kind) {
	case LISTEN_POP3S:
		kind = " tls";
		break;
	case LISTEN_POPPASS:
		kind = " poppass";
		break;
	case LISTEN_POPPASS_TLS:
		kind = " poppass tls";
		break;
	default:
		kind = "";
		break;
	}
	printf("listener: %s port %u%s\n", l->addr, l->port, kind);
}

static void
header_sessions(void)
{
	printf("%-8s  %-47s  %-16s  %-9s  %s\n", "SID", "PEER", "USER",
	    "STATE", "AGE");
}

static void
print_session(const void *data)
{
	const struct ctl_session	*s = data;
	const char			*state;

	switch (s->state) {
	case CTL_SESSION_LOGGED_IN:
		state = "logged-in";
		break;
	case CTL_SESSION_ENDING:
		state = "ending";
		break;
	default:
		state = "auth";
		break;
	}
	printf("%08x  %-47s  %-16s  %-9s  %s\n", s->sid, s->peer,
	    s->user[0] != '\0' ? s->user : "-", state, fmt_age(s->age));
}

static void
header_autodeny(void)
{
	printf("%-39s  %-19s  %s\n", "ADDRESS", "SINCE", "REASON");
}

static void
print_autodeny(const void *data)
{
	const struct ctl_autodeny	*d = data;
	char				 why[64];

	if (d->reason == AUTODENY_LONG_LINE)
		snprintf(why, sizeof(why), "line over %d characters",
		    AUTODENY_LINE);
	else
		snprintf(why, sizeof(why), "reason %u", d->reason);
	printf("%-39s  %-19s  %s\n", d->addr, fmt_time(d->since), why);
}

static void
header_access(void)
{
	printf("%-9s  %-6s  %-18s  %-8s  %s\n", "ORIGIN", "ACTION", "NETWORK",
	    "EXPIRES", "REASON");
}

/*
 * One entry of every list: where it comes from, what it does, to which
 * network (as pop3d.conf writes it, a whole address without its /32),
 * for how long yet, and why.
 */
static void
print_access(const void *data)
{
	const struct ctl_access_entry	*a = data;
	const char			*origin, *action;
	char				 net[INET6_ADDRSTRLEN + 16];
	int				 full;

	switch (a->origin) {
	case ACCESS_ORIGIN_CONFIG:
		origin = "config";
		break;
	case ACCESS_ORIGIN_RUNTIME:
		origin = "runtime";
		break;
	case ACCESS_ORIGIN_AUTODENY:
		origin = "auto-deny";
		break;
	case ACCESS_ORIGIN_PENALTY:
		origin = "penalty";
		break;
	default:
		origin = "?";
		break;
	}
	action = a->action == ACCESS_DENY ? "deny" :
	    a->action == ACCESS_GRANT ? "grant" : "count";
	full = strchr(a->addr, ':') != NULL ? 128 : 32;
	if (a->prefixlen < 0)
		strlcpy(net, "all", sizeof(net));
	else if (a->prefixlen == full)
		strlcpy(net, a->addr, sizeof(net));
	else
		snprintf(net, sizeof(net), "%s/%d", a->addr, a->prefixlen);
	printf("%-9s  %-6s  %-18s  %-8s  %s\n", origin, action, net,
	    a->action == 0 ? "-" : a->left < 0 ? "never" : fmt_age(a->left),
	    a->reason[0] != '\0' ? a->reason : "-");
}

/*
 * show metrics: the Prometheus text exposition format (version 0.0.4),
 * as node_exporter's textfile collector reads it.  Every family has
 * its HELP and TYPE lines before its samples; counters end in _total.
 */
static void
keep_status(const void *data)
{
	memcpy(&metrics_status, data, sizeof(metrics_status));
	have_status = 1;
}

static void
prom_family(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and newline escaped. */
static void
prom_label(const char *name, const char *value)
{
	const char	*p;

	printf("{%s=\"", name);
	for (p = value; *p != '\0'; p++) {
		if (*p == '\\' || *p == '"')
			printf("\\%c", *p);
		else if (*p == '\n')
			printf("\\n");
		else
			putchar(*p);
	}
	printf("\"}");
}

static void
prom_u64(const char *name, const char *lname, const char *lvalue,
    uint64_t v)
{
	printf("%s", name);
	if (lname != NULL)
		prom_label(lname, lvalue);
	printf(" %llu\n", (unsigned long long)v);
}

static void
prom_one(const char *name, const char *type, const char *help, uint64_t v)
{
	prom_family(name, type, help);
	prom_u64(name, NULL, NULL, v);
}

/* In pop3ctl(8) order: the names of the method label. */
static const char *const stat_methods[STAT_METHODS] = {
	[STAT_PASS] = "pass",
	[STAT_APOP] = "apop",
	[STAT_PLAIN] = "plain",
	[STAT_SCRAM] = "scram-sha-256",
	[STAT_POPPASS] = "poppass",
};

static void
prom_methods(const char *name, const char *help, const uint64_t *v)
{
	size_t	i;

	prom_family(name, "counter", help);
	for (i = 0; i < STAT_METHODS; i++)
		prom_u64(name, "method", stat_methods[i], v[i]);
}

static void
prom_latency(const struct auth_stats *a)
{
	static const uint64_t	 bounds[AUTH_LATENCY_BUCKETS] =
				    AUTH_LATENCY_BOUNDS_MS;
	const char		*name = "pop3d_auth_latency_seconds";
	char			 le[32];
	uint64_t		 sum = 0;
	size_t			 i;

	prom_family(name, "histogram", "Time from a request read by "
	    "pop3d-auth to its check done, its wait in the queue included, "
	    "without the delay of a failure.");
	for (i = 0; i <= AUTH_LATENCY_BUCKETS; i++) {
		sum += a->latency[i];
		if (i < AUTH_LATENCY_BUCKETS)
			snprintf(le, sizeof(le), "%llu.%03llu",
			    (unsigned long long)(bounds[i] / 1000),
			    (unsigned long long)(bounds[i] % 1000));
		else
			strlcpy(le, "+Inf", sizeof(le));
		printf("%s_bucket", name);
		prom_label("le", le);
		printf(" %llu\n", (unsigned long long)sum);
	}
	printf("%s_sum %llu.%03llu\n", name,
	    (unsigned long long)(a->latency_ms / 1000),
	    (unsigned long long)(a->latency_ms % 1000));
	printf("%s_count %llu\n", name, (unsigned long long)a->requests);
}

static void
print_metrics(const void *data)
{
	static const char *const causes[REFUSED_MAX] = {
		[REFUSED_ACCESS] = "access-list",
		[REFUSED_AUTODENY] = "auto-deny",
		[REFUSED_PENALTY] = "penalty",
		[REFUSED_LIMIT] = "limits",
		[REFUSED_RUNTIME] = "runtime-access-list",
	};
	const struct ctl_metrics	*m = data;
	const struct ctl_status		*st = &metrics_status;
	size_t				 i;

	prom_one("pop3d_start_time_seconds", "gauge", "When pop3d started, "
	    "in seconds since the epoch.", (uint64_t)st->started);
	prom_one("pop3d_sessions", "gauge", "Sessions serving a client now.",
	    st->sessions);
	prom_one("pop3d_sessions_logged_in", "gauge", "Sessions serving a "
	    "client that has logged in.", st->logged_in);
	prom_one("pop3d_sessions_idle", "gauge", "Session processes waiting "
	    "in the pool.", st->idle);
	prom_one("pop3d_sessions_total", "counter", "Connections accepted "
	    "and given to a session.", st->connections);
	prom_family("pop3d_refused_total", "counter", "Connections refused "
	    "at accept, by cause.");
	for (i = 0; i < REFUSED_MAX; i++)
		prom_u64("pop3d_refused_total", "cause", causes[i],
		    st->refused[i]);
	prom_methods("pop3d_logins_total", "Logins and poppass password "
	    "changes that pop3d-auth accepted, by method.", m->auth.ok);
	prom_methods("pop3d_login_failures_total", "Logins and poppass "
	    "password changes that pop3d-auth refused, by method.",
	    m->auth.fail);
	prom_methods("pop3d_login_tempfailures_total", "Logins and poppass "
	    "password changes that failed for a temporary error, by method.",
	    m->auth.tempfail);
	prom_one("pop3d_auth_queue_length", "gauge", "Requests waiting in "
	    "the queues of pop3d-auth now.", m->auth.queued);
	prom_latency(&m->auth);
	prom_one("pop3d_auth_sessions", "gauge", "Session channels open in "
	    "pop3d-auth now.", m->auth.sessions);
	prom_one("pop3d_auth_processes", "gauge", "pop3d-auth processes "
	    "asked for their counters.", m->auth_procs);
	prom_one("pop3d_auth_processes_silent", "gauge", "pop3d-auth "
	    "processes that did not answer in time; their last counters are "
	    "shown.", m->auth_silent);
	prom_one("pop3d_retrieved_messages_total", "counter", "Messages sent "
	    "with RETR, by sessions that ended.", m->retrieved);
	prom_one("pop3d_retrieved_bytes_total", "counter", "Octets of the "
	    "messages sent with RETR, by sessions that ended.",
	    m->retrieved_octets);
	prom_one("pop3d_deleted_messages_total", "counter", "Messages deleted "
	    "at QUIT.", m->deleted);
	prom_one("pop3d_deleted_bytes_total", "counter", "Octets of the "
	    "messages deleted at QUIT.", m->deleted_octets);
	prom_family("pop3d_process_deaths_total", "counter", "Child "
	    "processes that died of a signal or an error status.");
	prom_u64("pop3d_process_deaths_total", "process", "session",
	    m->lost[CTL_LOST_SESSION]);
	prom_u64("pop3d_process_deaths_total", "process", "store",
	    m->lost[CTL_LOST_STORE]);
	prom_one("pop3d_autodenies_total", "counter", "Sources put on the "
	    "auto-deny list.", st->autodenies);
	prom_one("pop3d_autodeny_listed", "gauge", "Sources on the auto-deny "
	    "list now.", st->autodeny_listed);
	prom_one("pop3d_penalized", "gauge", "Sources refused for failed "
	    "logins now.", st->penalized);
	prom_one("pop3d_runtime_access_entries", "gauge", "Entries of the "
	    "runtime access list (pop3ctl access).", m->runtime_entries);
}

static void
print_lines(FILE *f, const char *prefix, const char *text)
{
	const char	*nl;

	while (*text != '\0') {
		if ((nl = strchr(text, '\n')) == NULL)
			nl = text + strlen(text);
		fprintf(f, "%s%.*s\n", prefix, (int)(nl - text), text);
		text = *nl == '\n' ? nl + 1 : nl;
	}
}

/* Messages of a parse that only looks for the socket are not ours. */
static void
ctl_quiet(int pri, const char *line)
{
}

/* -s, else the control socket of pop3d.conf, else the default. */
static char *
ctl_socket_path(const struct ctl_options *opts)
{
	struct pop3d_conf	*conf;
	char			*path = NULL;

	if (opts->socket != NULL)
		return (xstrdup(opts->socket));
	if (access(opts->conffile, R_OK) == 0) {
		if (!opts->verbose)
			log_sethook(ctl_quiet);
		conf = parse_config(opts->conffile, 0);
		log_sethook(NULL);
		if (conf != NULL && conf->control_socket[0] != '\0')
			path = xstrdup(conf->control_socket);
		config_free(conf);
	}
	return (path != NULL ? path : xstrdup(POP3D_CONTROL_SOCKET));
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			s;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		warnx("%s: control socket path too long", path);
		return (-1);
	}
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1) {
		warn("socket");
		return (-1);
	}
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (errno == EACCES || errno == EPERM)
			warnx("cannot connect to %s: %s (pop3ctl needs root)",
			    path, strerror(errno));
		else
			warnx("cannot connect to %s: %s (is pop3d running?)",
			    path, strerror(errno));
		close(s);
		return (-1);
	}
	return (s);
}

/* The next frame, within CTL_TIMEOUT; 0 if there is none. */
static int
ctl_next(struct chan *chan, struct frame *fr)
{
	struct pollfd	 pfd;
	const char	*why;
	int		 n;

	pfd.fd = chan->fd;
	pfd.events = POLLIN;
	if ((n = poll(&pfd, 1, CTL_TIMEOUT * 1000)) == -1) {
		warn("poll");
		return (0);
	}
	if (n == 0) {
		warnx("pop3d did not answer within %d seconds", CTL_TIMEOUT);
		return (0);
	}
	if ((n = chan_read(chan, fr)) == 1) {
		if (frame_check(fr, &why) == 0)
			return (1);
		warnx("malformed answer from pop3d: %s", why);
		return (0);
	}
	if (n == 0)
		warnx("pop3d closed the connection without an answer");
	else
		warn("reading the answer of pop3d");
	return (0);
}

static int
ctl_result(struct frame *fr, int *status)
{
	struct ctl_result	r;

	if (fr->hdr.type != MSG_CTL_OK && fr->hdr.type != MSG_CTL_FAIL)
		return (0);
	frame_get(fr, &r, sizeof(r));
	if (!TERMINATED(r.text)) {
		warnx("malformed answer from pop3d");
		*status = 1;
		return (1);
	}
	if (fr->hdr.type == MSG_CTL_OK) {
		print_lines(stdout, "", r.text);
		*status = 0;
	} else {
		print_lines(stderr, "pop3ctl: ", r.text);
		*status = 1;
	}
	return (1);
}

/* A frame of a show answer; -1 if it has no place there. */
static int
ctl_show_frame(const struct ctl_cmd *cmd, struct frame *fr)
{
	const struct ctl_reply	*r;

	for (r = cmd->replies; r->type != 0; r++) {
		if (r->type != fr->hdr.type)
			continue;
		if (!print_checked(r, fr->data))
			return (-1);
		r->print(fr->data);
		return (0);
	}
	return (-1);
}

/* The frames of a show answer, up to MSG_CTL_END. */
static int
ctl_answer(const struct ctl_cmd *cmd, struct chan *chan)
{
	struct frame	fr;
	int		status, header = 0;

	while (ctl_next(chan, &fr)) {
		if (fr.hdr.peerid != PROTO_VERSION)
			goto bad;
		if (ctl_result(&fr, &status))
			return (status);
		if (cmd->replies == NULL)
			goto bad;
		if (!header && cmd->header != NULL)
			cmd->header();
		header = 1;
		if (fr.hdr.type == MSG_CTL_END)
			return (0);
		if (ctl_show_frame(cmd, &fr) == -1)
			goto bad;
	}
	return (1);
 bad:
	warnx("unexpected answer %s from pop3d", msg_name(fr.hdr.type));
	return (1);
}

static const struct ctl_cmd *
ctl_lookup(int argc, char *argv[])
{
	char	name[64];
	size_t	i;
	int	j;

	for (i = 0; i < nitems(ctl_cmds); i++) {
		if (argc != ctl_cmds[i].argc)
			continue;
		name[0] = '\0';
		/* The argument of "autodeny clear" is no part of the name. */
		for (j = 0; j < argc && j < 2; j++) {
			if (j > 0)
				strlcat(name, " ", sizeof(name));
			strlcat(name, argv[j], sizeof(name));
		}
		if (strcmp(name, ctl_cmds[i].name) == 0)
			return (&ctl_cmds[i]);
	}
	return (NULL);
}

static int
ctl_usage(void)
{
	size_t	i;

	fprintf(stderr, "usage: pop3ctl [-v] [-f file] [-s socket] command\n"
	    "commands:\n");
	for (i = 0; i < nitems(ctl_cmds); i++)
		fprintf(stderr, "\t%s%s\n", ctl_cmds[i].name,
		    ctl_cmds[i].argc == 3 ? " address | all" : "");
	fprintf(stderr, "\taccess deny | grant address[/prefix] [for duration] "
	    "[reason text]\n\taccess delete address[/prefix]\n");
	fprintf(stderr, "\tuser add | delete | password | apop | list ...\n");
	return (1);
}

/* The argument of autodeny clear: checked here too, for a clear error. */
static int
ctl_addr_arg(const char *arg, struct ctl_addr *a)
{
	struct addr	addr;

	memset(a, 0, sizeof(*a));
	if (strcmp(arg, "all") != 0 && addr_from_text(arg, &addr) == -1) {
		warnx("%s: not an IP address", arg);
		return (-1);
	}
	strlcpy(a->addr, arg, sizeof(a->addr));
	return (0);
}

/* Send one request, print its answer; the exit status. */
static int
ctl_request(const struct ctl_cmd *cmd, const void *data, size_t len,
    const struct ctl_options *opts)
{
	struct chan	 chan;
	char		*path;
	int		 s, status;

	path = ctl_socket_path(opts);
	s = ctl_connect(path);
	free(path);
	if (s == -1)
		return (1);
	chan_init(&chan, s);
	if (chan_queue(&chan, cmd->request, PROTO_VERSION, -1, data,
	    len) == -1 || chan_flush(&chan) == -1) {
		warn("sending to pop3d");
		return (1);
	}
	status = ctl_answer(cmd, &chan);
	chan_clear(&chan);
	close(s);
	return (status);
}

static int
ctl_access_usage(void)
{
	fprintf(stderr, "usage: pop3ctl access deny | grant address[/prefix] "
	    "[for duration] [reason text]\n"
	    "       pop3ctl access delete address[/prefix]\n");
	return (1);
}

/* ADDR[/PREFIX], as the grant and deny lines of pop3d.conf take it. */
static int
ctl_access_net(const char *arg, struct ctl_access *a)
{
	struct addr	net;
	char		err[128];
	int		plen, hostbits;

	if (strlen(arg) >= sizeof(a->net)) {
		warnx("%.*s...: address too long", 20, arg);
		return (-1);
	}
	if (addr_parse_net(arg, &net, &plen, &hostbits, err,
	    sizeof(err)) == -1) {
		warnx("%s: %s", arg, err);
		return (-1);
	}
	strlcpy(a->net, arg, sizeof(a->net));
	return (0);
}

/* The options of grant and deny: "for DURATION", "reason TEXT". */
static int
ctl_access_opts(int argc, char *argv[], struct ctl_access *a)
{
	char	err[128];
	int	i, have_for = 0, have_reason = 0;

	for (i = 0; i < argc; i += 2) {
		if (i + 1 >= argc) {
			warnx("%s: needs an argument", argv[i]);
			return (-1);
		}
		if (strcmp(argv[i], "for") == 0 && !have_for) {
			have_for = 1;
			if (access_duration_parse(argv[i + 1], &a->duration,
			    err, sizeof(err)) == -1) {
				warnx("%s", err);
				return (-1);
			}
		} else if (strcmp(argv[i], "reason") == 0 && !have_reason) {
			have_reason = 1;
			if (!access_reason_ok(argv[i + 1], err, sizeof(err))) {
				warnx("%s", err);
				return (-1);
			}
			strlcpy(a->reason, argv[i + 1], sizeof(a->reason));
		} else {
			warnx("%s: unknown or repeated option (for, reason)",
			    argv[i]);
			return (-1);
		}
	}
	return (0);
}

/* pop3ctl access deny | grant | delete ... */
static int
ctl_access(int argc, char *argv[], const struct ctl_options *opts)
{
	static const struct ctl_cmd set = { "access", 0, MSG_CTL_ACCESS_SET,
	    NULL, NULL };
	static const struct ctl_cmd del = { "access", 0,
	    MSG_CTL_ACCESS_DELETE, NULL, NULL };
	struct ctl_access	a;

	memset(&a, 0, sizeof(a));
	if (argc < 3)
		return (ctl_access_usage());
	if (strcmp(argv[1], "delete") == 0) {
		if (argc != 3)
			return (ctl_access_usage());
		if (ctl_access_net(argv[2], &a) == -1)
			return (1);
		return (ctl_request(&del, &a, sizeof(a), opts));
	}
	if (strcmp(argv[1], "deny") == 0)
		a.action = ACCESS_DENY;
	else if (strcmp(argv[1], "grant") == 0)
		a.action = ACCESS_GRANT;
	else
		return (ctl_access_usage());
	if (ctl_access_net(argv[2], &a) == -1 ||
	    ctl_access_opts(argc - 3, argv + 3, &a) == -1)
		return (1);
	return (ctl_request(&set, &a, sizeof(a), opts));
}

int
ctl_daemon(int argc, char *argv[], const struct ctl_options *opts)
{
	const struct ctl_cmd	*cmd;
	struct ctl_addr		 a;

	if (strcmp(argv[0], "access") == 0)
		return (ctl_access(argc, argv, opts));
	if ((cmd = ctl_lookup(argc, argv)) == NULL)
		return (ctl_usage());
	if (cmd->request == MSG_CTL_AUTODENY_CLEAR) {
		if (ctl_addr_arg(argv[2], &a) == -1)
			return (1);
		return (ctl_request(cmd, &a, sizeof(a), opts));
	}
	return (ctl_request(cmd, NULL, 0, opts));
}
