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

#ifndef POP3D_H
#define POP3D_H

/*
 * The parent's own header: the parsed pop3d.conf, which no other
 * process sees (each child gets only its part, as a payload of
 * proto.h), and the parent's functions.  pop3ctl shares the parser.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <limits.h>
#include <netdb.h>
#include <stdint.h>

#include "compat.h"
#include "pathnames.h"
#include "proto.h"
#include "frame.h"
#include "log.h"
#include "util.h"
#include "addr.h"

/* A grant or deny line: a network, its host bits zero. */
struct access_rule {
	TAILQ_ENTRY(access_rule)	 entry;
	enum access_action		 action;
	struct addr			 net;
	int				 prefixlen;	/* 0-32 or 0-128 */
};
TAILQ_HEAD(access_list, access_rule);

/* plaintext-auth, globally and per listener */
#define PLAINTEXT_AUTH_UNSET	(-1)	/* listener: follow the global */

enum log_dest {
	LOG_TO_SYSLOG = 1,
	LOG_TO_FILE,
	LOG_TO_NONE,
};

/*
 * One address and port of a listen statement.  A new option goes into
 * listener_match() (listener.c) too, so that a reload applies it.
 */
struct listener {
	TAILQ_ENTRY(listener)	 entry;
	struct sockaddr_storage	 ss;		/* address and port */
	enum listen_kind	 kind;
	int			 plaintext_auth;	/* 0, 1 or _UNSET */
	int			 proxy;		/* PROXY header first */
	int			 fd;		/* -1 until bound */
	struct event		*ev;		/* parent only */
};
TAILQ_HEAD(listenerlist, listener);

/* The parsed pop3d.conf; only the parent has it. */
struct pop3d_conf {
	struct listenerlist	 listeners;
	enum maildrop_format	 maildrop_fmt;
	char			 maildrop_path[PATH_MAX];	/* ~ and %u unexpanded */
	int			 uidl_xuidl;	/* mbox X-UIDL headers: 0 or 1 */
	char			 banner[BANNER_MAX + 1];	/* "" = default */
	enum log_dest		 log_dest;
	int			 log_facility;
	char			 log_file[PATH_MAX];
	int			 debug;
	int			 timeout_idle;	/* seconds */
	int			 timeout_login;	/* seconds */
	int			 expire;	/* days, EXPIRE_NEVER or EXPIRE_UNSET */
	int			 login_delay;	/* seconds; -1 unset */
	int			 max_sessions;
	int			 max_sessions_per_source;
	int			 source_prefix4;	/* bits of a source */
	int			 source_prefix6;
	int			 session_pool;
	int			 plaintext_auth;	/* 0 (default) or 1 */
	struct access_list	 plaintext_from;	/* always allowed */
	struct access_list	 trusted_proxies;	/* may send PROXY */
	char			 tls_cert[PATH_MAX];	/* "" = no TLS */
	char			 tls_key[PATH_MAX];
	char			 tls_ca[PATH_MAX];	/* chain, optional */
	char			 tls_protocols[TLS_STRING_MAX];
	char			 tls_ciphers[TLS_STRING_MAX];

	/* pop3d-auth: backends in the order of the users statements */
	enum auth_backend_id	 users_order[AUTH_BACKENDS_MAX];
	int			 users_min_uid;	/* users system */
	char			 users_file[PATH_MAX];	/* "" = none */
	char			 users_mailuser[POP3_USER_MAX + 1];
	enum maildrop_format	 users_maildrop_fmt;	/* 0: the global */
	char			 users_maildrop_path[PATH_MAX];
	int			 apop;
	int			 poppass_min_length;

	/* the administrator's controls */
	enum access_action	 access_default;	/* ACCESS_GRANT */
	struct access_list	 access_rules;
	int			 auto_deny;
	int			 max_commands;		/* before login */
	int			 penalty_failures;	/* before refusals */
	int			 penalty_time;		/* first refusal, s */
	int			 penalty_max;		/* longest refusal, s */
	char			 control_socket[PATH_MAX];
	char			 access_state[PATH_MAX];	/* "" = none */

	/* XTND XMIT */
	int			 xtnd_xmit;
	char			 xmit_sendmail[PATH_MAX];
	int64_t			 xmit_max_size;
};

/* What sessions build their TLS context from; read as root. */
struct tls_material {
	uint8_t	*cert;		/* certificate, then the chain */
	size_t	 certlen;
	uint8_t	*key;
	size_t	 keylen;
};

/* access.c */
void		 access_init(void);
void		 access_configure(const struct pop3d_conf *);
int		 access_source(const struct sockaddr_storage *,
		    struct addr *);
const char	*access_source_text(const struct addr *);
int		 access_same_source(const struct sockaddr_storage *,
		    const struct sockaddr_storage *);
int		 access_admit(const struct pop3d_conf *,
		    const struct sockaddr_storage *);
int		 access_plaintext(const struct pop3d_conf *,
		    const struct listener *, const struct sockaddr_storage *);
int		 access_plaintext_policy(const struct pop3d_conf *, int,
		    const struct sockaddr_storage *);
int		 access_trusted_proxy(const struct pop3d_conf *,
		    const struct sockaddr_storage *);
void		 access_refused(const struct sockaddr_storage *, enum refusal,
		    const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));
int		 autodeny_add(const struct sockaddr_storage *, uint32_t);
int		 autodeny_clear(const char *);
void		 penalty_failure(const struct pop3d_conf *,
		    const struct sockaddr_storage *, time_t);
void		 access_status(const struct pop3d_conf *, struct ctl_status *);
void		 access_show_autodeny(void (*)(const struct ctl_autodeny *,
		    void *), void *);
void		 access_show(const struct pop3d_conf *,
		    void (*)(const struct ctl_access_entry *, void *), void *);

/* access_rt.c */
void		 access_rt_init(void);
void		 access_rt_configure(const struct pop3d_conf *);
int		 access_rt_match(const struct addr *, time_t);
int		 access_rt_set(const struct ctl_access *, const char *, char *,
		    size_t);
int		 access_rt_delete(const struct ctl_access *, const char *,
		    char *, size_t);
void		 access_rt_show(void (*)(const struct ctl_access_entry *,
		    void *), void *);
size_t		 access_rt_count(void);

/* metrics.c */
void		 metrics_session_end(const struct sess_end *);
void		 metrics_child_lost(int);
void		 metrics_collect(void (*)(void *, const struct ctl_metrics *),
		    void *);
void		 metrics_cancel(void *);
int		 metrics_auth_stats(void *, struct frame *);

/* control.c */
void		 control_init(const char *);
void		 control_listen(void);
void		 control_cleanup(void);

/* listener.c */
void		 listeners_start(struct pop3d_conf *,
		    void (*)(int, short, void *));
int		 listeners_prepare(struct pop3d_conf *, struct pop3d_conf *);
void		 listeners_abort(struct pop3d_conf *);
void		 listeners_commit(struct pop3d_conf *, struct pop3d_conf *);
void		 listeners_pause(const struct pop3d_conf *);

/* pop3d.c */
const struct pop3d_conf	*parent_conf(void);
void		 parent_status(struct ctl_status *);
int		 parent_reload(char *, size_t);
void		 parent_shutdown(void);

/* config.c */
struct pop3d_conf	*config_new(void);
void		 config_free(struct pop3d_conf *);
int		 config_facility(const char *);
const char	*config_facility_name(int);
void		 config_begin(struct pop3d_conf *);
int		 config_end(const char *, int);
int		 config_number(const char *, const char *, long long,
		    long long, int *);
void		 config_banner(const char *);
void		 config_log_file(const char *);
void		 config_maildrop(enum maildrop_format, const char *);
void		 config_users_system(const char *);
void		 config_users_file(const char *, const char *, int,
		    const char *);
void		 config_apop(int);
void		 config_access(enum access_action, const char *);
void		 config_plaintext_from(const char *);
void		 config_trusted_proxy(const char *);
void		 config_timeout_idle(const char *);
void		 config_max_per_source(const char *);
void		 config_source_prefix_begin(void);
void		 config_source_prefix(int, const char *);
void		 config_penalty_begin(void);
void		 config_penalty_opt(const char *, const char *);
void		 config_penalty(void);
void		 config_xmit_begin(void);
void		 config_xmit_sendmail(const char *);
void		 config_xmit_size(const char *);
void		 config_xmit(int);
void		 config_control_socket(const char *);
void		 config_access_state(const char *);
void		 config_listen_begin(void);
void		 config_listen_port(const char *);
void		 config_listen_tls(void);
void		 config_listen_plaintext(int);
void		 config_listen_poppass(void);
void		 config_listen_proxy(void);
void		 config_listen(const char *);
void		 config_tls_files(const char *, const char *, const char *);
void		 config_tls_protocols(const char *);
void		 config_tls_ciphers(const char *);
int		 maildrop_expand(const char *, const char *, const char *,
		    char *, size_t);

/* printconf.c */
void		 config_print(struct pop3d_conf *);

/* parse.y */
struct pop3d_conf	*parse_config(const char *, int);
int			 cmdline_symset(char *);
void		 conf_error(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));
void		 conf_warn(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));
const char	*conf_where(void);

/* tlsmat.c */
struct stat;
int		 tlsmat_file_ok(const char *, const char *, int, char *,
		    size_t);
int		 secret_mode_ok(const char *, const char *, const struct stat *,
		    char *, size_t);
int		 tlsmat_protocols_ok(const char *, char *, size_t);
int		 tlsmat_ciphers_ok(const char *, char *, size_t);
int		 tlsmat_load(const struct pop3d_conf *, struct tls_material *);
void		 tlsmat_free(struct tls_material *);

#endif /* POP3D_H */
