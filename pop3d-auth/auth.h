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

#include "pop3d.h"

/* What a backend found for a user name. */
enum auth_lookup {
	LOOKUP_FOUND = 1,	/* the stored hash was copied out */
	LOOKUP_NOUSER,		/* no such user */
	LOOKUP_DENIED,		/* exists, but may never log in */
	LOOKUP_TEMPFAIL,	/* the database could not be read */
};

struct auth_backend {
	const char	*name;
	/*
	 * Runs as root before demote() and the sandbox: whatever the
	 * lookups will need later (NSS modules, open databases).
	 */
	void		(*preload)(void);
	/* Fills hash (NUL-terminated) only for LOOKUP_FOUND. */
	enum auth_lookup (*lookup)(const char *, char *, size_t);
};

/* Big enough for any hash crypt(3) produces. */
#define AUTH_HASH_MAX		CRYPT_OUTPUT_SIZE

/* auth_passwd.c */
extern const struct auth_backend auth_backend_system;

void		 auth_passwd_init(void);
enum auth_result auth_userpass(const struct auth_backend *, const char *,
		    const char *);

#endif /* POP3D_AUTH_H */
