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
 * pop3d -nv: the configuration printed back in pop3d.conf syntax, in a
 * fixed order, so that golden tests compare it and the parser reads it
 * again to the same result.
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

static void	print_maildrop(enum maildrop_format, const char *);

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
		if (l->kind == LISTEN_POPPASS || l->kind == LISTEN_POPPASS_TLS)
			printf(" poppass");
		if (l->kind == LISTEN_POP3S || l->kind == LISTEN_POPPASS_TLS)
			printf(" tls");
		if (l->plaintext_auth != PLAINTEXT_AUTH_UNSET)
			printf(" plaintext-auth %s",
			    l->plaintext_auth ? "yes" : "no");
		if (l->proxy)
			printf(" proxy-protocol");
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

/* In lookup order, which is the order they were given in. */
static void
print_users(struct pop3d_conf *c)
{
	size_t	i;

	for (i = 0; i < AUTH_BACKENDS_MAX; i++) {
		switch (c->users_order[i]) {
		case AUTH_BACKEND_NONE:
			return;
		case AUTH_BACKEND_SYSTEM:
			printf("users system min-uid %d\n",
			    c->users_min_uid);
			break;
		case AUTH_BACKEND_FILE:
			printf("users file ");
			print_string(c->users_file);
			printf(" mailuser ");
			print_string(c->users_mailuser);
			if (c->users_maildrop_fmt != 0) {
				printf(" ");
				print_maildrop(c->users_maildrop_fmt,
				    c->users_maildrop_path);
			}
			printf("\n");
			break;
		default:
			fatalx("%s: backend %d", __func__, c->users_order[i]);
		}
	}
}

static void
print_maildrop(enum maildrop_format fmt, const char *path)
{
	printf("maildrop %s ", fmt == MAILDROP_MBOX ? "mbox" : "maildir");
	print_string(path);
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

/* The mode, then the lines in order; a single host has no mask. */
static void
print_access(struct pop3d_conf *c)
{
	struct access_rule	*r;

	printf("access default %s\n",
	    c->access_default == ACCESS_DENY ? "deny" : "grant");
	TAILQ_FOREACH(r, &c->access_rules, entry)
		printf("%s %s\n", r->action == ACCESS_DENY ? "deny" : "grant",
		    addr_net_text(&r->net, r->prefixlen));
	if (c->access_state[0] != '\0') {
		printf("access state ");
		print_string(c->access_state);
		printf("\n");
	}
}

/*
 * The program and the size mean nothing when it is off.  The size in
 * the largest unit that states it exactly, as it is usually written.
 */
static void
print_xmit(struct pop3d_conf *c)
{
	long long	size = c->xmit_max_size;

	if (!c->xtnd_xmit) {
		printf("xtnd-xmit no\n");
		return;
	}
	printf("xtnd-xmit yes sendmail ");
	print_string(c->xmit_sendmail);
	if (size % (1024 * 1024) == 0)
		printf(" max-size %lldM\n", size / (1024 * 1024));
	else if (size % 1024 == 0)
		printf(" max-size %lldK\n", size / 1024);
	else
		printf(" max-size %lld\n", size);
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
	struct access_rule	*r;

	print_listeners(c);
	print_tls(c);
	printf("plaintext-auth %s\n", c->plaintext_auth ? "yes" : "no");
	TAILQ_FOREACH(r, &c->plaintext_from, entry)
		printf("plaintext-auth from %s\n",
		    addr_net_text(&r->net, r->prefixlen));
	TAILQ_FOREACH(r, &c->trusted_proxies, entry)
		printf("trusted-proxy %s\n",
		    addr_net_text(&r->net, r->prefixlen));
	print_users(c);
	printf("apop %s\n", c->apop ? "yes" : "no");
	printf("poppass min-length %d\n", c->poppass_min_length);
	print_maildrop(c->maildrop_fmt, c->maildrop_path);
	printf("\n");
	printf("uidl x-uidl %s\n", c->uidl_xuidl ? "yes" : "no");
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
	printf("source-prefix inet %d inet6 %d\n", c->source_prefix4,
	    c->source_prefix6);
	printf("session-pool %d\n", c->session_pool);
	printf("max-commands %d\n", c->max_commands);
	if (c->penalty_failures == 0)
		printf("penalty none\n");
	else
		printf("penalty failures %d time %d max %d\n",
		    c->penalty_failures, c->penalty_time, c->penalty_max);
	printf("auto-deny %s\n", c->auto_deny ? "yes" : "no");
	print_access(c);
	printf("control socket ");
	print_string(c->control_socket);
	printf("\n");
	print_xmit(c);
}
