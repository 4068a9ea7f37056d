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
 * What each pop3d.conf statement means: its values checked and stored,
 * the defaults, and what can only be judged at the end of the file.
 * parse.y reads the syntax and calls these; errors go out through
 * conf_error(), which names the file and line.  Runs as root in the
 * parent, before any listener exists, and in pop3ctl.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "pop3d.h"

/*
 * The configuration being read, and what one parse remembers of its
 * statements until the end of the file.
 */
static struct pop3d_conf	*conf;
static char			*persource_where;

/* The options of the listen statement being read. */
static struct listen_opts {
	int	port;		/* 0 = the default of the kind */
	int	tls;
	int	poppass;
	int	proxy;		/* proxy-protocol */
	int	plaintext_auth;	/* PLAINTEXT_AUTH_UNSET if not given */
	int	failed;		/* an option was refused: add nothing */
} lopts;

/* The options of the penalty statement being read; -1 = not given. */
static struct penalty_opts {
	int	failures;
	int	time;
	int	max;
	int	failed;
} popts;

/* The options of the xtnd-xmit yes statement being read. */
static struct xmit_opts {
	char		sendmail[PATH_MAX];
	int		sendmail_given;
	long long	max_size;
	int		max_size_given;
	int		failed;
} xopts;

/*
 * Statements that can only be judged once the whole file is read, each
 * as "file:line: statement", so that the message names its line.
 */
struct wherelist {
	char	**v;
	size_t	  n;
};
static struct wherelist	 tls_listens;	/* need a tls certificate */
static struct wherelist	 poppass_listens;	/* need a users file */
static struct wherelist	 proxy_listens;	/* need a trusted-proxy */
static struct wherelist	 rule_wheres;	/* one per access rule, in order */
static char		*apop_where;	/* "apop yes": needs a users file */
static char		*users_file_where;	/* its maildrop needs %u */
static int		 tls_cert_failed;	/* don't blame the listeners */
static int		 users_given;	/* the default backend is dropped */
static int		 users_file_failed;	/* don't blame apop, poppass */

static int		 config_check(const char *, int);
static int		 users_file_maildrop_check(void);
static int		 text_ok(const char *, const char *);
static int		 maildrop_path_ok(const char *);
static int		 path_ok(const char *, const char *, size_t);
static int		 users_add(enum auth_backend_id, const char *);
static int		 users_file_ok(const char *);
static int		 mailuser_ok(const char *);
static int		 access_parse(const char *, const char *,
			    struct access_rule *);
static void		 access_warn_useless(void);
static void		 xmit_program_check(const char *);
static int		 ai_cmp(const void *, const void *);
static void		 listen_opt_twice(const char *);
static void		 listen_statement(const char *);
static int		 listen_add(const char *, int, enum listen_kind, int,
			    int);
static int		 listener_add(const struct sockaddr *, socklen_t, int,
			    enum listen_kind, int, int);
static void		 where_add(struct wherelist *, const char *, ...)
			    __attribute__((__format__ (printf, 2, 3)));
static void		 where_free(struct wherelist *);
static void		 later_free(void);


/* The syslog.conf(5) names pop3d accepts, in pop3d.conf(5) order. */
static const struct {
	const char	*name;
	int		 facility;
} facilities[] = {
	{ "mail",	LOG_MAIL },
	{ "daemon",	LOG_DAEMON },
	{ "auth",	LOG_AUTH },
	{ "authpriv",	LOG_AUTHPRIV },
	{ "user",	LOG_USER },
	{ "local0",	LOG_LOCAL0 },
	{ "local1",	LOG_LOCAL1 },
	{ "local2",	LOG_LOCAL2 },
	{ "local3",	LOG_LOCAL3 },
	{ "local4",	LOG_LOCAL4 },
	{ "local5",	LOG_LOCAL5 },
	{ "local6",	LOG_LOCAL6 },
	{ "local7",	LOG_LOCAL7 },
};

/* The defaults; pop3d.conf(5) and params.h state the same values. */
struct pop3d_conf *
config_new(void)
{
	struct pop3d_conf	*c;

	c = xcalloc(1, sizeof(*c));
	TAILQ_INIT(&c->listeners);
	c->users_order[0] = AUTH_BACKEND_SYSTEM;
	c->apop = 0;
	c->poppass_min_length = POPPASS_MIN_LENGTH_DEFAULT;
	c->users_min_uid = USERS_MIN_UID_DEFAULT;
	c->maildrop_fmt = MAILDROP_MAILDIR;
	strlcpy(c->maildrop_path, "~/Maildir", sizeof(c->maildrop_path));
	c->log_dest = LOG_TO_SYSLOG;
	c->log_facility = LOG_MAIL;
	c->timeout_idle = TIMEOUT_IDLE_DEFAULT;
	c->timeout_login = TIMEOUT_LOGIN_DEFAULT;
	c->expire = EXPIRE_UNSET;
	c->login_delay = -1;
	c->max_sessions = MAX_SESSIONS_DEFAULT;
	c->max_sessions_per_source = MAX_SESSIONS_PER_SOURCE_DEFAULT;
	c->source_prefix4 = SOURCE_PREFIX_INET_DEFAULT;
	c->source_prefix6 = SOURCE_PREFIX_INET6_DEFAULT;
	c->session_pool = SESSION_POOL_DEFAULT;
	c->plaintext_auth = 0;
	strlcpy(c->tls_protocols, CONF_TLS_PROTOCOLS,
	    sizeof(c->tls_protocols));
	strlcpy(c->tls_ciphers, CONF_TLS_CIPHERS, sizeof(c->tls_ciphers));
	c->access_default = ACCESS_GRANT;
	TAILQ_INIT(&c->access_rules);
	TAILQ_INIT(&c->plaintext_from);
	TAILQ_INIT(&c->trusted_proxies);
	c->auto_deny = 0;
	c->max_commands = MAX_COMMANDS_DEFAULT;
	c->penalty_failures = PENALTY_FAILURES_DEFAULT;
	c->penalty_time = PENALTY_TIME_DEFAULT;
	c->penalty_max = PENALTY_MAX_DEFAULT;
	strlcpy(c->control_socket, POP3D_CONTROL_SOCKET,
	    sizeof(c->control_socket));
	c->xtnd_xmit = 0;
	strlcpy(c->xmit_sendmail, XMIT_SENDMAIL_DEFAULT,
	    sizeof(c->xmit_sendmail));
	c->xmit_max_size = XMIT_MAX_DEFAULT;
	return (c);
}

/* Listener fds and events belong to the parent, which closes them. */
void
config_free(struct pop3d_conf *c)
{
	struct listener		*l;
	struct access_rule	*r;

	if (c == NULL)
		return;
	while ((l = TAILQ_FIRST(&c->listeners)) != NULL) {
		TAILQ_REMOVE(&c->listeners, l, entry);
		free(l);
	}
	while ((r = TAILQ_FIRST(&c->access_rules)) != NULL) {
		TAILQ_REMOVE(&c->access_rules, r, entry);
		free(r);
	}
	while ((r = TAILQ_FIRST(&c->plaintext_from)) != NULL) {
		TAILQ_REMOVE(&c->plaintext_from, r, entry);
		free(r);
	}
	while ((r = TAILQ_FIRST(&c->trusted_proxies)) != NULL) {
		TAILQ_REMOVE(&c->trusted_proxies, r, entry);
		free(r);
	}
	free(c);
}

int
config_facility(const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(facilities); i++)
		if (strcmp(name, facilities[i].name) == 0)
			return (facilities[i].facility);
	return (-1);
}

const char *
config_facility_name(int facility)
{
	size_t	i;

	for (i = 0; i < nitems(facilities); i++)
		if (facilities[i].facility == facility)
			return (facilities[i].name);
	return (NULL);
}

/* A new parse: the statements below fill c. */
void
config_begin(struct pop3d_conf *c)
{
	conf = c;
	later_free();
	tls_cert_failed = 0;
	users_given = 0;
	users_file_failed = 0;
}

/*
 * The end of the file: what can only be judged now, then what the parse
 * kept for it goes.  Returns the errors found.
 */
int
config_end(const char *topname, int errors_so_far)
{
	int	errors;

	errors = config_check(topname, errors_so_far);
	later_free();
	conf = NULL;
	return (errors);
}

/*
 * Every user of pop3d's database runs as the one mail user, and "~" is
 * that user's home: a maildrop without %u would be one maildrop for
 * them all, each reading and deleting the others' mail.  The global
 * maildrop (default ~/Maildir) applies when the statement names none.
 */
static int
users_file_maildrop_check(void)
{
	const char	*path = conf->users_maildrop_fmt != 0 ?
			    conf->users_maildrop_path : conf->maildrop_path;

	if (conf->users_file[0] == '\0' || strstr(path, "%u") != NULL)
		return (0);
	log_warnx("%s: users file: maildrop \"%s\"%s is the same for every "
	    "user of the database; give it a maildrop with %%u",
	    users_file_where, path, conf->users_maildrop_fmt != 0 ? "" :
	    " (the global one)");
	return (1);
}

/*
 * What can only be judged once the whole file is read.  A missing
 * listener is not news when a listen line had an error.
 */
static int
config_check(const char *topname, int errors_so_far)
{
	size_t	i;
	int	errors = 0;

	if (TAILQ_EMPTY(&conf->listeners) && errors_so_far == 0) {
		log_warnx("%s: no listen statement", topname);
		errors++;
	}
	/* A refused tls certificate statement has been reported already. */
	if (conf->tls_cert[0] == '\0' && !tls_cert_failed) {
		for (i = 0; i < tls_listens.n; i++) {
			log_warnx("%s: no tls certificate configured",
			    tls_listens.v[i]);
			errors++;
		}
	}
	/* The same for a refused users file. */
	if (conf->users_file[0] == '\0' && !users_file_failed) {
		for (i = 0; i < poppass_listens.n; i++) {
			log_warnx("%s: needs a users file: password changes "
			    "only exist for pop3d's own database",
			    poppass_listens.v[i]);
			errors++;
		}
		if (apop_where != NULL) {
			log_warnx("%s: apop needs a users file: APOP secrets "
			    "are only kept in pop3d's own database",
			    apop_where);
			errors++;
		}
	}
	errors += users_file_maildrop_check();
	/* Without it no connection could ever be served there. */
	if (TAILQ_EMPTY(&conf->trusted_proxies)) {
		for (i = 0; i < proxy_listens.n; i++) {
			log_warnx("%s: proxy-protocol needs a trusted-proxy "
			    "statement", proxy_listens.v[i]);
			errors++;
		}
	}
	access_warn_useless();
	if (conf->max_sessions_per_source <= conf->max_sessions)
		return (errors);
	if (persource_where == NULL) {
		/* Only the default is too high: it follows max-sessions. */
		conf->max_sessions_per_source = conf->max_sessions;
		return (errors);
	}
	log_warnx("%s: max-sessions-per-source %d is above max-sessions %d",
	    persource_where, conf->max_sessions_per_source, conf->max_sessions);
	return (errors + 1);
}

int
config_number(const char *what, const char *s, long long min, long long max,
    int *res)
{
	const char	*errstr;
	long long	 n;

	n = strtonum(s, min, max, &errstr);
	if (errstr != NULL) {
		conf_error("%s %s is %s (allowed %lld to %lld)", what, s, errstr,
		    min, max);
		return (-1);
	}
	*res = (int)n;
	return (0);
}

/* Text that reaches a client or a path: printable ASCII, no control bytes. */
static int
text_ok(const char *what, const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) {
			conf_error("%s contains a control or non-ASCII "
			    "character", what);
			return (0);
		}
	}
	return (1);
}

/*
 * Too long is only a warning, as pop3d.conf(5) says: the default
 * greeting serves as well, and an overlong banner should not keep mail
 * from being served.
 */
void
config_banner(const char *text)
{
	if (!text_ok("banner", text))
		return;
	if (strlen(text) > BANNER_MAX) {
		conf_warn("banner longer than %d characters, using the default",
		    BANNER_MAX);
		conf->banner[0] = '\0';
		return;
	}
	strlcpy(conf->banner, text, sizeof(conf->banner));
}

/* The parent opens it as root, so it has to be where it is meant to be. */
void
config_log_file(const char *path)
{
	if (!text_ok("log file", path))
		return;
	if (path[0] != '/') {
		conf_error("log file \"%s\": not an absolute path", path);
		return;
	}
	if (strlen(path) >= sizeof(conf->log_file)) {
		conf_error("log file: path longer than %zu characters",
		    sizeof(conf->log_file) - 1);
		return;
	}
	conf->log_dest = LOG_TO_FILE;
	strlcpy(conf->log_file, path, sizeof(conf->log_file));
}

/*
 * The store expands "~" (the user's home) at the start and "%u" (the
 * user name) anywhere; any other '%' is refused here so that a typo
 * cannot become a literal directory name shared by every user.
 */
static int
maildrop_path_ok(const char *path)
{
	const char	*p;

	if (!text_ok("maildrop path", path))
		return (0);
	if (path[0] != '/' && strncmp(path, "~/", 2) != 0) {
		conf_error("maildrop \"%s\": must start with / or ~/", path);
		return (0);
	}
	if (strlen(path) >= sizeof(conf->maildrop_path)) {
		conf_error("maildrop: path longer than %zu characters",
		    sizeof(conf->maildrop_path) - 1);
		return (0);
	}
	for (p = path; (p = strchr(p, '%')) != NULL; p += 2) {
		if (p[1] != 'u') {
			conf_error("maildrop \"%s\": only %%u may follow %%",
			    path);
			return (0);
		}
	}
	return (1);
}

/*
 * "users system" and "users file", once each: the order of the
 * statements is the order pop3d-auth asks its backends in.  The first
 * one replaces the default, which is the system alone.
 */
static int
users_add(enum auth_backend_id id, const char *what)
{
	size_t	i;

	if (!users_given) {
		memset(conf->users_order, 0, sizeof(conf->users_order));
		users_given = 1;
	}
	for (i = 0; i < AUTH_BACKENDS_MAX &&
	    conf->users_order[i] != AUTH_BACKEND_NONE; i++) {
		if (conf->users_order[i] == id) {
			conf_error("users %s given twice", what);
			return (-1);
		}
	}
	if (i == AUTH_BACKENDS_MAX)
		fatalx("%s: more backends than AUTH_BACKENDS_MAX", __func__);
	conf->users_order[i] = id;
	return (0);
}

/*
 * Everything is checked, even in a statement given twice, so that one
 * run names every problem.  Without a maildrop of its own, the global
 * one applies, with "~" the mail user's home and "%u" the name the
 * client logged in with.
 */
void
config_users_file(const char *path, const char *mailuser, int fmt,
    const char *mdpath)
{
	int	twice, ok;

	twice = users_add(AUTH_BACKEND_FILE, "file") == -1;
	ok = users_file_ok(path);
	ok &= mailuser_ok(mailuser);
	if (mdpath != NULL)
		ok &= maildrop_path_ok(mdpath);
	if (twice)
		return;
	if (!ok) {
		users_file_failed = 1;
		return;
	}
	strlcpy(conf->users_file, path, sizeof(conf->users_file));
	free(users_file_where);
	users_file_where = xstrdup(conf_where());
	strlcpy(conf->users_mailuser, mailuser, sizeof(conf->users_mailuser));
	conf->users_maildrop_fmt = mdpath != NULL ? fmt : 0;
	strlcpy(conf->users_maildrop_path, mdpath != NULL ? mdpath : "",
	    sizeof(conf->users_maildrop_path));
}

/*
 * The database holds password hashes and APOP secrets, which are as
 * good as passwords: only pop3d-auth's user, or root, may own it, and
 * no one else may have any access.  A symbolic link is refused because
 * a change replaces the file by rename(2), which would replace the
 * link and leave its target behind, unchanged.
 */
static int
users_file_ok(const char *path)
{
	struct stat	 st;
	struct passwd	*pw;
	char		 err[PATH_MAX + 128];

	if (!path_ok("users file", path, sizeof(conf->users_file)))
		return (0);
	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			conf_error("users file %s does not exist; create it with "
			    "install -o %s -m 600 /dev/null %s", path,
			    POP3D_AUTH_USER, path);
		else
			conf_error("users file %s: %s", path, strerror(errno));
		return (0);
	}
	if (S_ISLNK(st.st_mode)) {
		conf_error("users file %s: a symbolic link, not a regular file",
		    path);
		return (0);
	}
	if (!S_ISREG(st.st_mode)) {
		conf_error("users file %s: not a regular file", path);
		return (0);
	}
	/* pop3d-auth, running as its user, reads it at every login. */
	if ((pw = getpwnam(POP3D_AUTH_USER)) == NULL ||
	    pw->pw_uid != st.st_uid) {
		conf_error("users file %s is owned by uid %u, not %s", path,
		    (unsigned int)st.st_uid, POP3D_AUTH_USER);
		return (0);
	}
	if (!secret_mode_ok("users file", path, &st, err, sizeof(err))) {
		conf_error("%s", err);
		return (0);
	}
	return (1);
}

/*
 * The store of every user of the database runs as the mail user.  Root
 * would defeat the separation, and so would one of pop3d's own users:
 * a session process (_pop3d) could then read every maildrop, and a
 * store running as _pop3dauth could read the password database.
 */
static int
mailuser_ok(const char *name)
{
	static const char *const	 own[] = { POP3D_USER, POP3D_AUTH_USER };
	struct passwd			*pw;
	uid_t				 uid;
	size_t				 i;

	if (!text_ok("mailuser", name))
		return (0);
	if (strlen(name) > POP3_USER_MAX) {
		conf_error("mailuser: longer than %d characters", POP3_USER_MAX);
		return (0);
	}
	if ((pw = getpwnam(name)) == NULL) {
		conf_error("mailuser \"%s\": no such user", name);
		return (0);
	}
	if ((uid = pw->pw_uid) == 0) {
		conf_error("mailuser \"%s\" has uid 0: mail is never served as "
		    "root", name);
		return (0);
	}
	for (i = 0; i < nitems(own); i++) {
		if ((pw = getpwnam(own[i])) != NULL && pw->pw_uid == uid) {
			conf_error("mailuser \"%s\" has the uid of %s: pop3d's "
			    "own users own no mail", name, own[i]);
			return (0);
		}
	}
	return (1);
}

/* Whether a users file follows can only be known at the end. */
void
config_apop(int yes)
{
	conf->apop = yes;
	free(apop_where);
	apop_where = NULL;
	if (yes)
		apop_where = xstrdup(conf_where());
}

/*
 * "grant" and "deny" lines, kept in the order given.  Only numeric
 * addresses: an access list that depended on DNS would change with
 * every answer, and could be steered by whoever controls the answer.
 */
void
config_access(enum access_action action, const char *text)
{
	struct access_rule	*r;
	const char		*what;

	what = action == ACCESS_GRANT ? "grant" : "deny";
	r = xcalloc(1, sizeof(*r));
	r->action = action;
	if (access_parse(what, text, r) == -1) {
		free(r);
		return;
	}
	TAILQ_INSERT_TAIL(&conf->access_rules, r, entry);
	where_add(&rule_wheres, "%s %s", what,
	    addr_net_text(&r->net, r->prefixlen));
}

/*
 * A network whose clients may send passwords in clear text: one that
 * the administrator knows to be this host or a trusted link.  Named,
 * not guessed from the addresses of a connection, which a NAT or a
 * proxy on this host makes look local.
 */
void
config_plaintext_from(const char *text)
{
	struct access_rule	*r;

	r = xcalloc(1, sizeof(*r));
	r->action = ACCESS_GRANT;
	if (access_parse("plaintext-auth from", text, r) == -1) {
		free(r);
		return;
	}
	TAILQ_INSERT_TAIL(&conf->plaintext_from, r, entry);
}

/*
 * A network of load balancers whose PROXY header pop3d believes, on
 * listeners with proxy-protocol.  Whoever can connect from it can name
 * any client address, so it is named, never guessed.
 */
void
config_trusted_proxy(const char *text)
{
	struct access_rule	*r;

	r = xcalloc(1, sizeof(*r));
	r->action = ACCESS_GRANT;
	if (access_parse("trusted-proxy", text, r) == -1) {
		free(r);
		return;
	}
	TAILQ_INSERT_TAIL(&conf->trusted_proxies, r, entry);
}

/* ADDR[/MASK] into a network with its host bits zero. */
static int
access_parse(const char *what, const char *text, struct access_rule *r)
{
	char	err[128];
	int	hostbits;

	if (!text_ok(what, text))
		return (-1);
	if (addr_parse_net(text, &r->net, &r->prefixlen, &hostbits, err,
	    sizeof(err)) == -1) {
		conf_error("%s %s: %s", what, text, err);
		return (-1);
	}
	if (hostbits)
		conf_warn("%s %s: host bits set, using %s", what, text,
		    addr_net_text(&r->net, r->prefixlen));
	return (0);
}

/*
 * In grant mode only deny lines are looked at, and in deny mode only
 * grant lines.  The mode may come after the lines, so this waits for
 * the end; it is a warning, since the server still does what it says.
 */
static void
access_warn_useless(void)
{
	struct access_rule	*r;
	const char		*mode;
	size_t			 i = 0;

	mode = conf->access_default == ACCESS_GRANT ? "grant" : "deny";
	TAILQ_FOREACH(r, &conf->access_rules, entry) {
		if (i >= rule_wheres.n)
			fatalx("%s: a rule without its line", __func__);
		if (r->action == conf->access_default)
			log_warnx("%s: no effect under access default %s",
			    rule_wheres.v[i], mode);
		i++;
	}
}

/* One option of a penalty statement: failures, time or max. */
void
config_penalty_opt(const char *name, const char *s)
{
	char		 what[32];
	int		*res;
	long long	 max;

	if (strcmp(name, "failures") == 0) {
		res = &popts.failures;
		max = PENALTY_FAILURES_LIMIT;
	} else if (strcmp(name, "time") == 0) {
		res = &popts.time;
		max = PENALTY_TIME_LIMIT;
	} else {
		res = &popts.max;
		max = PENALTY_MAX_LIMIT;
	}
	if (*res != -1) {
		conf_error("penalty option \"%s\" given twice", name);
		popts.failed = 1;
		return;
	}
	snprintf(what, sizeof(what), "penalty %s", name);
	if (config_number(what, s, 1, max, res) == -1)
		popts.failed = 1;
}

/*
 * A penalty statement sets all three values; those it leaves out take
 * their default.  A time above the default max raises the max with it,
 * rather than make the administrator state both.
 */
void
config_penalty(void)
{
	int	failures, first, longest;

	if (popts.failed)
		return;
	failures = popts.failures != -1 ? popts.failures :
	    PENALTY_FAILURES_DEFAULT;
	first = popts.time != -1 ? popts.time : PENALTY_TIME_DEFAULT;
	if (popts.max != -1)
		longest = popts.max;
	else if (first > PENALTY_MAX_DEFAULT)
		longest = first;
	else
		longest = PENALTY_MAX_DEFAULT;
	if (longest < first) {
		conf_error("penalty max %d is below penalty time %d", longest,
		    first);
		return;
	}
	conf->penalty_failures = failures;
	conf->penalty_time = first;
	conf->penalty_max = longest;
}

/*
 * The daemon splits the command on spaces and runs it without a shell,
 * with "-f" and the user appended: quotes and shell metacharacters
 * mean nothing and are passed on as they are.  Tabs are refused with
 * the other control characters, so that a space is the only separator.
 * The words are kept one space apart, so that pop3d -nv shows what is
 * run.
 */
void
config_xmit_sendmail(const char *s)
{
	char		*buf = xopts.sendmail;
	const char	*p;
	size_t		 len, n = 0;
	int		 words = 0;

	if (xopts.sendmail_given) {
		conf_error("xtnd-xmit option \"sendmail\" given twice");
		xopts.failed = 1;
		return;
	}
	xopts.sendmail_given = 1;
	if (!text_ok("xtnd-xmit sendmail", s)) {
		xopts.failed = 1;
		return;
	}
	buf[0] = '\0';
	for (p = s + strspn(s, " "); *p != '\0'; p += strspn(p, " ")) {
		len = strcspn(p, " ");
		/* Room for "-f", the user and the terminating NULL. */
		if (++words > XMIT_ARGS_MAX - 3) {
			conf_error("xtnd-xmit sendmail: more than %d words",
			    XMIT_ARGS_MAX - 3);
			xopts.failed = 1;
			return;
		}
		if (n + (n > 0) + len >= sizeof(xopts.sendmail)) {
			conf_error("xtnd-xmit sendmail: longer than %zu "
			    "characters", sizeof(xopts.sendmail) - 1);
			xopts.failed = 1;
			return;
		}
		if (n > 0)
			buf[n++] = ' ';
		memcpy(buf + n, p, len);
		n += len;
		buf[n] = '\0';
		p += len;
	}
	if (words == 0) {
		conf_error("xtnd-xmit sendmail \"%s\": no program", s);
		xopts.failed = 1;
	} else if (buf[0] != '/') {
		/* execve() searches no PATH: the program is the one named. */
		conf_error("xtnd-xmit sendmail \"%s\": %.*s is not an absolute "
		    "path", s, (int)strcspn(buf, " "), buf);
		xopts.failed = 1;
	}
}

/*
 * Bytes, or KiB or MiB with a K or M, the units pop3d -nv prints back.
 * Messages are a few KiB to a few MiB: no other suffix is needed.
 */
void
config_xmit_size(const char *s)
{
	const char	*errstr;
	char		 digits[32];
	long long	 n, mult = 1;
	size_t		 len;

	if (xopts.max_size_given) {
		conf_error("xtnd-xmit option \"max-size\" given twice");
		xopts.failed = 1;
		return;
	}
	xopts.max_size_given = 1;
	len = strspn(s, "0123456789");
	if (s[len] == 'K' && s[len + 1] == '\0')
		mult = 1024;
	else if (s[len] == 'M' && s[len + 1] == '\0')
		mult = 1024 * 1024;
	else if (s[len] != '\0')
		len = 0;
	if (len == 0) {
		conf_error("xtnd-xmit max-size \"%s\": not a number with an "
		    "optional K or M suffix", s);
		xopts.failed = 1;
		return;
	}
	/* Too many digits is too large: strtonum() says so below. */
	if (len >= sizeof(digits))
		len = sizeof(digits) - 1;
	memcpy(digits, s, len);
	digits[len] = '\0';
	n = strtonum(digits, 0, XMIT_MAX_LIMIT, &errstr);
	if (errstr != NULL || n * mult > XMIT_MAX_LIMIT)
		errstr = "too large";
	else if (n == 0)
		errstr = "too small";
	if (errstr != NULL) {
		conf_error("xtnd-xmit max-size %s is %s (allowed 1 to %d bytes, "
		    "%dM)", s, errstr, XMIT_MAX_LIMIT,
		    XMIT_MAX_LIMIT / (1024 * 1024));
		xopts.failed = 1;
		return;
	}
	xopts.max_size = n * mult;
}

/*
 * An xtnd-xmit statement sets all three values, as penalty does, so
 * that the last one alone decides; "no" puts back the defaults.
 */
void
config_xmit(int yes)
{
	if (yes && xopts.failed)
		return;
	conf->xtnd_xmit = yes;
	strlcpy(conf->xmit_sendmail, yes && xopts.sendmail_given ?
	    xopts.sendmail : XMIT_SENDMAIL_DEFAULT,
	    sizeof(conf->xmit_sendmail));
	conf->xmit_max_size = yes && xopts.max_size_given ? xopts.max_size :
	    XMIT_MAX_DEFAULT;
	if (yes)
		xmit_program_check(conf->xmit_sendmail);
}

/*
 * The program runs later, as each user, and may be installed after
 * pop3d is configured: a missing one is only a warning.  Found now, a
 * typo does not turn every XTND XMIT into a [SYS/TEMP] failure unseen.
 */
static void
xmit_program_check(const char *cmd)
{
	struct stat	st;
	char		prog[PATH_MAX];

	snprintf(prog, sizeof(prog), "%.*s", (int)strcspn(cmd, " "), cmd);
	if (stat(prog, &st) == -1)
		conf_warn("xtnd-xmit sendmail %s: %s", prog, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		conf_warn("xtnd-xmit sendmail %s: not a regular file", prog);
	else if ((st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0)
		conf_warn("xtnd-xmit sendmail %s: not executable", prog);
}

/* The path must fit a sockaddr_un, which is far shorter than PATH_MAX. */
void
config_control_socket(const char *path)
{
	if (!path_ok("control socket", path,
	    sizeof(((struct sockaddr_un *)0)->sun_path)))
		return;
	strlcpy(conf->control_socket, path, sizeof(conf->control_socket));
}

/*
 * Where the runtime access list is kept across restarts: an absolute
 * path, written by root in its directory (pop3d.conf(5)).
 */
void
config_access_state(const char *path)
{
	/* Room for the suffix of the temporary file beside it. */
	if (!path_ok("access state", path, sizeof(conf->access_state) - 8))
		return;
	strlcpy(conf->access_state, path, sizeof(conf->access_state));
}

/* Sort the addresses of one name: IPv4 first, then by address. */
static int
ai_cmp(const void *a, const void *b)
{
	const struct addrinfo	*x = *(struct addrinfo * const *)a;
	const struct addrinfo	*y = *(struct addrinfo * const *)b;
	const struct sockaddr_in6 *x6, *y6;
	int			 r;

	if (x->ai_family != y->ai_family)
		return (x->ai_family == AF_INET ? -1 : 1);
	if (x->ai_family == AF_INET)
		return (memcmp(&((struct sockaddr_in *)x->ai_addr)->sin_addr,
		    &((struct sockaddr_in *)y->ai_addr)->sin_addr,
		    sizeof(struct in_addr)));
	x6 = (const struct sockaddr_in6 *)x->ai_addr;
	y6 = (const struct sockaddr_in6 *)y->ai_addr;
	if ((r = memcmp(&x6->sin6_addr, &y6->sin6_addr,
	    sizeof(x6->sin6_addr))) != 0)
		return (r);
	return (x6->sin6_scope_id < y6->sin6_scope_id ? -1 :
	    x6->sin6_scope_id > y6->sin6_scope_id);
}

static void
listen_opt_twice(const char *opt)
{
	conf_error("listen option \"%s\" given twice", opt);
	lopts.failed = 1;
}

/*
 * A listen statement whose options were all accepted.  Implicit TLS
 * and poppass have their own default ports; whether a certificate or a
 * users file goes with them can only be known at the end of the file.
 * poppass over TLS keeps port 106: no port is assigned to it.
 */
static void
listen_statement(const char *host)
{
	enum listen_kind	 kind;
	const char		*opts;
	int			 port;

	if (lopts.poppass) {
		kind = lopts.tls ? LISTEN_POPPASS_TLS : LISTEN_POPPASS;
		port = POPPASS_PORT;
		opts = lopts.tls ? " poppass tls" : " poppass";
	} else {
		kind = lopts.tls ? LISTEN_POP3S : LISTEN_POP3;
		port = lopts.tls ? POP3S_PORT : POP3_PORT;
		opts = lopts.tls ? " tls" : "";
	}
	if (lopts.port != 0)
		port = lopts.port;
	if (listen_add(host, port, kind, lopts.plaintext_auth,
	    lopts.proxy) == -1)
		return;
	if (lopts.proxy)
		where_add(&proxy_listens, "listen on %s port %d%s "
		    "proxy-protocol", host, port, opts);
	if (lopts.tls)
		where_add(&tls_listens, "listen on %s port %d%s", host, port,
		    opts);
	if (lopts.poppass)
		where_add(&poppass_listens, "listen on %s port %d%s", host,
		    port, opts);
}

/* Remember a statement as "file:line: text" for conf_check(). */
static void
where_add(struct wherelist *wl, const char *fmt, ...)
{
	va_list	 ap;
	char	*text, *where;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		fatal("%s", __func__);
	va_end(ap);
	xasprintf(&where, "%s: %s", conf_where(), text);
	free(text);
	wl->v = xreallocarray(wl->v, wl->n + 1, sizeof(*wl->v));
	wl->v[wl->n++] = where;
}

static void
where_free(struct wherelist *wl)
{
	size_t	i;

	for (i = 0; i < wl->n; i++)
		free(wl->v[i]);
	free(wl->v);
	wl->v = NULL;
	wl->n = 0;
}

/* What one parse kept for the end, and nothing else, goes. */
static void
later_free(void)
{
	where_free(&tls_listens);
	where_free(&poppass_listens);
	where_free(&proxy_listens);
	where_free(&rule_wheres);
	free(apop_where);
	apop_where = NULL;
	free(persource_where);
	persource_where = NULL;
	free(users_file_where);
	users_file_where = NULL;
}

/*
 * "listen on": every address of the name, in a stable order so that
 * pop3d -nv prints the same thing whatever the resolver's order.
 */
static int
listen_add(const char *host, int port, enum listen_kind kind, int ptauth,
    int proxy)
{
	struct addrinfo	  hints, *res, *ai, **v;
	size_t		  n, i;
	int		  error, ret = 0;

	if (strcmp(host, "*") == 0) {
		if (listen_add("0.0.0.0", port, kind, ptauth, proxy) == -1)
			ret = -1;
		if (listen_add("::", port, kind, ptauth, proxy) == -1)
			ret = -1;
		return (ret);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((error = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		conf_error("listen on %s: %s", host, gai_strerror(error));
		return (-1);
	}
	for (n = 0, ai = res; ai != NULL; ai = ai->ai_next)
		if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
			n++;
	v = xcalloc(n ? n : 1, sizeof(*v));
	for (n = 0, ai = res; ai != NULL; ai = ai->ai_next)
		if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
			v[n++] = ai;
	if (n == 0) {
		conf_error("listen on %s: no IPv4 or IPv6 address", host);
		ret = -1;
	}
	qsort(v, n, sizeof(*v), ai_cmp);
	for (i = 0; i < n; i++) {
		/* /etc/hosts may list an address twice: not an error. */
		if (i > 0 && ai_cmp(&v[i - 1], &v[i]) == 0)
			continue;
		if (listener_add(v[i]->ai_addr, v[i]->ai_addrlen, port, kind,
		    ptauth, proxy) == -1) {
			ret = -1;
			break;
		}
	}
	free(v);
	freeaddrinfo(res);
	return (ret);
}

static int
listener_add(const struct sockaddr *sa, socklen_t salen, int port,
    enum listen_kind kind, int ptauth, int proxy)
{
	struct listener		*l;
	struct sockaddr_storage	 ss;
	size_t			 n = 0;

	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, sa, salen);
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);

	TAILQ_FOREACH(l, &conf->listeners, entry) {
		n++;
		if (l->ss.ss_family == ss.ss_family &&
		    memcmp(&l->ss, &ss, ss_len(&ss)) == 0) {
			conf_error("listen on %s port %d: duplicate listener",
			    ss_to_text(&ss), port);
			return (-1);
		}
	}
	if (n >= MAX_LISTENERS) {
		conf_error("too many listeners (at most %d)", MAX_LISTENERS);
		return (-1);
	}
	l = xcalloc(1, sizeof(*l));
	l->ss = ss;
	l->kind = kind;
	l->plaintext_auth = ptauth;
	l->proxy = proxy;
	l->fd = -1;
	l->ev = NULL;
	TAILQ_INSERT_TAIL(&conf->listeners, l, entry);
	return (0);
}

/*
 * The parent and pop3d-auth open these files at every start and reload,
 * whatever their working directory, and errors name them: an absolute
 * path of printable characters that fits where it is kept.
 */
static int
path_ok(const char *what, const char *path, size_t size)
{
	if (!text_ok(what, path))
		return (0);
	if (path[0] != '/') {
		conf_error("%s %s: not an absolute path", what, path);
		return (0);
	}
	if (strlen(path) >= size) {
		conf_error("%s: path longer than %zu characters", what,
		    size - 1);
		return (0);
	}
	return (1);
}

void
config_maildrop(enum maildrop_format fmt, const char *path)
{
	if (!maildrop_path_ok(path))
		return;
	conf->maildrop_fmt = fmt;
	strlcpy(conf->maildrop_path, path, sizeof(conf->maildrop_path));
}

void
config_users_system(const char *min_uid)
{
	int	n = USERS_MIN_UID_DEFAULT;

	if (min_uid != NULL && config_number("users system min-uid", min_uid,
	    1, INT_MAX, &n) == -1)
		return;
	if (users_add(AUTH_BACKEND_SYSTEM, "system") == 0)
		conf->users_min_uid = n;
}

void
config_timeout_idle(const char *s)
{
	if (config_number("timeout idle", s, TIMEOUT_IDLE_MIN,
	    TIMEOUT_IDLE_MAX, &conf->timeout_idle) == 0 &&
	    conf->timeout_idle < RFC1939_IDLE_MIN)
		conf_warn("timeout idle below %d seconds, RFC 1939 wants at "
		    "least 10 minutes", RFC1939_IDLE_MIN);
}

/* Checked against max-sessions at the end, where it may be lowered. */
void
config_max_per_source(const char *s)
{
	if (config_number("max-sessions-per-source", s, 1, MAX_SESSIONS_LIMIT,
	    &conf->max_sessions_per_source) == 0) {
		free(persource_where);
		persource_where = xstrdup(conf_where());
	}
}

/*
 * A source-prefix statement sets both lengths, as penalty sets all its
 * values: a family it leaves out takes its default.
 */
static int	sp_given[2];

void
config_source_prefix_begin(void)
{
	sp_given[0] = sp_given[1] = 0;
	conf->source_prefix4 = SOURCE_PREFIX_INET_DEFAULT;
	conf->source_prefix6 = SOURCE_PREFIX_INET6_DEFAULT;
}

void
config_source_prefix(int inet6, const char *s)
{
	if (sp_given[inet6]++) {
		conf_error("source-prefix %s given twice",
		    inet6 ? "inet6" : "inet");
		return;
	}
	if (inet6)
		config_number("source-prefix inet6", s, 1, 128,
		    &conf->source_prefix6);
	else
		config_number("source-prefix inet", s, 1, 32,
		    &conf->source_prefix4);
}

void
config_penalty_begin(void)
{
	popts.failures = popts.time = popts.max = -1;
	popts.failed = 0;
}

void
config_xmit_begin(void)
{
	memset(&xopts, 0, sizeof(xopts));
}

void
config_listen_begin(void)
{
	memset(&lopts, 0, sizeof(lopts));
	lopts.plaintext_auth = PLAINTEXT_AUTH_UNSET;
}

void
config_listen_port(const char *s)
{
	if (lopts.port != 0)
		listen_opt_twice("port");
	else if (config_number("port", s, 1, 65535, &lopts.port) == -1)
		lopts.failed = 1;
}

void
config_listen_tls(void)
{
	if (lopts.tls)
		listen_opt_twice("tls");
	lopts.tls = 1;
}

void
config_listen_plaintext(int yes)
{
	if (lopts.plaintext_auth != PLAINTEXT_AUTH_UNSET)
		listen_opt_twice("plaintext-auth");
	lopts.plaintext_auth = yes;
}

void
config_listen_poppass(void)
{
	if (lopts.poppass)
		listen_opt_twice("poppass");
	lopts.poppass = 1;
}

void
config_listen_proxy(void)
{
	if (lopts.proxy)
		listen_opt_twice("proxy-protocol");
	lopts.proxy = 1;
}

/* The end of a listen statement: added if all its options were good. */
void
config_listen(const char *host)
{
	if (!lopts.failed)
		listen_statement(host);
}

/* A certificate, chain or key file: its path, then its outline. */
static int
tls_file_ok(const char *what, const char *path, int secret)
{
	char	err[PATH_MAX + 128];

	if (!path_ok(what, path, PATH_MAX))
		return (0);
	if (!tlsmat_file_ok(what, path, secret, err, sizeof(err))) {
		conf_error("%s", err);
		return (0);
	}
	return (1);
}

/*
 * Every file is checked, so that one run names every problem.  The
 * statement replaces an earlier one whole: a chain left over from it
 * would not match the new certificate.
 */
void
config_tls_files(const char *cert, const char *key, const char *ca)
{
	int	ok;

	ok = tls_file_ok("certificate file", cert, 0);
	ok &= tls_file_ok("key file", key, 1);
	if (ca != NULL)
		ok &= tls_file_ok("ca file", ca, 0);
	if (!ok) {
		tls_cert_failed = 1;
		return;
	}
	strlcpy(conf->tls_cert, cert, sizeof(conf->tls_cert));
	strlcpy(conf->tls_key, key, sizeof(conf->tls_key));
	strlcpy(conf->tls_ca, ca != NULL ? ca : "", sizeof(conf->tls_ca));
}

void
config_tls_protocols(const char *s)
{
	char	err[256];

	if (!text_ok("tls protocols", s))
		return;
	if (strlen(s) >= sizeof(conf->tls_protocols)) {
		conf_error("tls protocols: longer than %zu characters",
		    sizeof(conf->tls_protocols) - 1);
		return;
	}
	if (!tlsmat_protocols_ok(s, err, sizeof(err))) {
		conf_error("%s", err);
		return;
	}
	strlcpy(conf->tls_protocols, s, sizeof(conf->tls_protocols));
}

void
config_tls_ciphers(const char *s)
{
	char	err[512];

	if (!text_ok("tls ciphers", s))
		return;
	if (strlen(s) >= sizeof(conf->tls_ciphers)) {
		conf_error("tls ciphers: longer than %zu characters",
		    sizeof(conf->tls_ciphers) - 1);
		return;
	}
	if (!tlsmat_ciphers_ok(s, err, sizeof(err))) {
		conf_error("%s", err);
		return;
	}
	strlcpy(conf->tls_ciphers, s, sizeof(conf->tls_ciphers));
}

/*
 * "~/Maildir" and "/var/mail/%u" for one user: ~ is the home of the
 * account the store runs as, %u the name the user logged in as: a
 * system account's own name (pw_name), whatever case the client typed
 * it in, or the name in pop3d's own database.  Here, not in grant.c,
 * because pop3ctl migrate finds a user's maildrop the same way.
 */
int
maildrop_expand(const char *tmpl, const char *home, const char *user,
    char *buf, size_t len)
{
	size_t	n = 0;
	int	w;

	buf[0] = '\0';
	if (tmpl[0] == '~') {
		if (strlcpy(buf, home, len) >= len)
			return (-1);
		tmpl++;
	}
	for (n = strlen(buf); *tmpl != '\0'; tmpl++) {
		if (tmpl[0] == '%' && tmpl[1] == 'u') {
			w = snprintf(buf + n, len - n, "%s", user);
			tmpl++;
		} else
			w = snprintf(buf + n, len - n, "%c", *tmpl);
		if (w < 0 || (size_t)w >= len - n)
			return (-1);
		n += w;
	}
	return (buf[0] == '/' ? 0 : -1);
}
