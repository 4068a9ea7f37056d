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

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "pop3d.h"


static void	 print_string(const char *);

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
	c->users_system = 1;
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
	c->session_pool = SESSION_POOL_DEFAULT;
	c->plaintext_auth = 0;
	strlcpy(c->tls_protocols, CONF_TLS_PROTOCOLS,
	    sizeof(c->tls_protocols));
	strlcpy(c->tls_ciphers, CONF_TLS_CIPHERS, sizeof(c->tls_ciphers));
	return (c);
}

/* Listener fds and events belong to the parent, which closes them. */
void
config_free(struct pop3d_conf *c)
{
	struct listener	*l;

	if (c == NULL)
		return;
	while ((l = TAILQ_FIRST(&c->listeners)) != NULL) {
		TAILQ_REMOVE(&c->listeners, l, entry);
		free(l);
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

/* Quoted so that parse.y reads back exactly these bytes. */
static void
print_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

static void
print_listeners(struct pop3d_conf *c)
{
	struct listener	*l;
	char		 host[NI_MAXHOST];

	TAILQ_FOREACH(l, &c->listeners, entry) {
		/* getnameinfo keeps an IPv6 scope, which inet_ntop drops. */
		if (getnameinfo((struct sockaddr *)&l->ss, ss_len(&l->ss),
		    host, sizeof(host), NULL, 0, NI_NUMERICHOST) != 0)
			strlcpy(host, ss_to_text(&l->ss), sizeof(host));
		printf("listen on %s port %u", host, ss_port(&l->ss));
		if (l->kind == LISTEN_POP3S)
			printf(" tls");
		if (l->plaintext_auth != PLAINTEXT_AUTH_UNSET)
			printf(" plaintext-auth %s",
			    l->plaintext_auth ? "yes" : "no");
		printf("\n");
	}
}

/* Protocols and ciphers mean nothing without a certificate. */
static void
print_tls(struct pop3d_conf *c)
{
	if (c->tls_cert[0] == '\0')
		return;
	printf("tls certificate ");
	print_string(c->tls_cert);
	printf(" key ");
	print_string(c->tls_key);
	if (c->tls_ca[0] != '\0') {
		printf(" ca ");
		print_string(c->tls_ca);
	}
	printf("\n");
	printf("tls protocols ");
	print_string(c->tls_protocols);
	printf("\n");
	printf("tls ciphers ");
	print_string(c->tls_ciphers);
	printf("\n");
}

static void
print_log(struct pop3d_conf *c)
{
	const char	*name;

	switch (c->log_dest) {
	case LOG_TO_SYSLOG:
		if ((name = config_facility_name(c->log_facility)) == NULL)
			fatalx("%s: facility %d", __func__, c->log_facility);
		printf("log to syslog facility %s\n", name);
		break;
	case LOG_TO_FILE:
		printf("log to file ");
		print_string(c->log_file);
		printf("\n");
		break;
	case LOG_TO_NONE:
		printf("log to none\n");
		break;
	}
}

/*
 * pop3d -nv: the effective configuration, defaults included, in a fixed
 * order and in pop3d.conf syntax, so that the output parses again to
 * itself.  Values with no statement of their own (not announced in
 * CAPA) are printed as comments.
 */
void
config_print(struct pop3d_conf *c)
{
	print_listeners(c);
	print_tls(c);
	printf("plaintext-auth %s\n", c->plaintext_auth ? "yes" : "no");
	if (c->users_system)
		printf("users system\n");
	printf("maildrop %s ",
	    c->maildrop_fmt == MAILDROP_MBOX ? "mbox" : "maildir");
	print_string(c->maildrop_path);
	printf("\n");
	printf("banner ");
	print_string(c->banner);
	printf("\n");
	print_log(c);
	printf("debug %s\n", c->debug ? "yes" : "no");
	printf("timeout idle %d\n", c->timeout_idle);
	printf("timeout login %d\n", c->timeout_login);
	if (c->expire == EXPIRE_NEVER)
		printf("expire never\n");
	else if (c->expire == EXPIRE_UNSET)
		printf("# expire: not announced\n");
	else
		printf("expire %d\n", c->expire);
	if (c->login_delay == -1)
		printf("# login-delay: not announced\n");
	else
		printf("login-delay %d\n", c->login_delay);
	printf("max-sessions %d\n", c->max_sessions);
	printf("max-sessions-per-source %d\n", c->max_sessions_per_source);
	printf("session-pool %d\n", c->session_pool);
}
