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

#ifndef POP3D_AUTH_H
#define POP3D_AUTH_H

/*
 * pop3d-auth decides every login.  A backend only finds the stored hash
 * of a user; the decision around it (dummy hash for users that may not
 * log in, crypt, constant-time comparison) is common to all backends, so
 * that a new user database cannot get it wrong on its own.
 */

#include <crypt.h>
#include <time.h>

#include "compat.h"
#include "pathnames.h"
#include "proto.h"
#include "frame.h"
#include "log.h"
#include "util.h"
#include "addr.h"
#include "userdb.h"

/* What a backend found for a user name. */
enum auth_lookup {
	LOOKUP_FOUND = 1,	/* the stored hash was copied out */
	LOOKUP_NOUSER,		/* no such user */
	LOOKUP_DENIED,		/* exists, but may not log in this way */
	LOOKUP_TEMPFAIL,	/* the database could not be read */
};

struct auth_backend {
	const char		*name;
	enum auth_backend_id	 id;
	/*
	 * Runs as root before demote() and the sandbox: whatever the
	 * lookups will need later (NSS modules, open databases).
	 */
	void			(*preload)(void);
	/*
	 * Fills hash (NUL-terminated) and the account's own name (the
	 * last argument, POP3_USER_MAX + 1 bytes) only for LOOKUP_FOUND:
	 * a name service may find "Alice" for "alice", and the grant, the
	 * maildrop's %u and the log then use the name it has.
	 */
	enum auth_lookup	(*lookup)(const char *, char *, size_t, char *);
};

enum sasl_status {
	SASL_CONTINUE = 1,	/* send the challenge, wait for a response */
	SASL_OK,		/* logged in: sasl->user, sasl->backend */
	SASL_FAIL,
	SASL_TEMPFAIL,
};

/* One SCRAM-SHA-256 exchange, server side (RFC 5802, RFC 7677). */
struct scram {
	int			 fake;	/* unknown user: no proof matches */
	char			 gs2[4];	/* "n,," or "y,," */
	char			 user[POP3_USER_MAX + 1];
	char			 nonce[SCRAM_NONCE_MAX * 2 + 1];
	size_t			 cnoncelen;
	char			 bare[SASL_LINE_MAX + 1];
	char			 server_first[SCRAM_NONCE_MAX * 2 + 128];
	struct userdb_scram	 keys;
};

struct sasl {
	int			 mech;
	int			 step;
	char			 user[POP3_USER_MAX + 1]; /* once known */
	enum auth_backend_id	 backend;
	struct scram		*scram;
};

/* auth_passwd.c */
extern const struct auth_backend auth_backend_system;
extern uid_t			 auth_min_uid;
extern unsigned long		 auth_crypt_calls;

void		 auth_passwd_init(void);
extern unsigned int auth_dummy_ms;
extern unsigned int auth_dearest_ms;
unsigned int	 auth_crypt_cost(const char *);
const char	*auth_dummy_hash(void);
int		 auth_hash_usable(const char *);
int		 auth_crypt_match(const char *, const char *);
void		 auth_backends_set(const struct auth_backend *const *,
		    size_t);
enum auth_result auth_userpass(char *, const char *,
		    enum auth_backend_id *);

/* auth_file.c */
extern const struct auth_backend auth_backend_file;

void		 auth_file_init(const char *);
enum auth_lookup auth_file_entry(const char *, struct userdb_entry *);
enum auth_result auth_file_change(const char *, const char *, const char *,
		    int);

/* auth_apop.c */
int		 apop_challenge(char *, size_t, long, time_t, const char *);
int		 apop_digest_match(const char *, const unsigned char *,
		    size_t, const char *);
enum auth_result auth_apop(const char *, const char *, const char *);

/* auth_sasl.c */
void		 auth_sasl_init(void);
int		 sasl_plain_parse(const unsigned char *, size_t, char *,
		    size_t, char *, size_t);
int		 scram_parse_first(struct scram *, const unsigned char *,
		    size_t);
void		 scram_set_keys(struct scram *,
		    const struct userdb_scram *);
void		 scram_set_fake(struct scram *);
int		 scram_server_first(struct scram *, const char *, char *,
		    size_t);
int		 scram_client_final(struct scram *, const unsigned char *,
		    size_t, char *, size_t);
struct sasl	*sasl_new(const char *);
enum sasl_status sasl_step(struct sasl *, const unsigned char *, size_t,
		    unsigned char *, size_t, size_t *);
void		 sasl_free(struct sasl *);

/* auth_delay.c */
unsigned int	 delay_ms(unsigned int);
unsigned int	 delay_fail(const char *, time_t);
unsigned int	 delay_failures(const char *, time_t);
void		 delay_clear(void);

#endif /* POP3D_AUTH_H */
