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
 * Password checks: the decision common to every backend, and the
 * "users system" backend (NSS: /etc/passwd and /etc/shadow).
 */

#include <sys/types.h>

#include <crypt.h>
#include <errno.h>
#include <pwd.h>
#include <shadow.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"

#if CRYPT_OUTPUT_SIZE > HASH_MAX
#error "HASH_MAX is below what crypt(3) may write"
#endif

/*
 * Room for one passwd or shadow entry.  Static: the sandbox allows
 * malloc, but a lookup should not depend on it, and a fixed buffer is
 * easy to wipe.  An entry longer than this is a lookup error.
 */
#define PWBUF_SIZE		16384

/* A name no system has: walks every NSS module on the preload. */
#define PRELOAD_NOUSER		"_pop3d_nss_preload"

/* Users who may not log in are checked against this instead. */
static char		 dummy_hash[HASH_MAX];

/* The configured backends, in the order of the users statements. */
static const struct auth_backend *backends[AUTH_BACKENDS_MAX];
static size_t		 nbackends;

/*
 * Every crypt(3) run for a password check; the unit test counts them to
 * see that every path through a decision costs the same.
 */
unsigned long		 auth_crypt_calls;

/* users system min-uid: the accounts below it are not for mail. */
uid_t			 auth_min_uid = USERS_MIN_UID_DEFAULT;

/* What one dummy check costs, for padding failures that cost less. */
unsigned int		 auth_dummy_ms;

/*
 * The dearest check seen here or timed on a hash of the users file:
 * every failure is answered no sooner than this after its check began,
 * so that no backend and no hash tells by its speed who exists.
 */
unsigned int		 auth_dearest_ms;

/* crypt_rn's work area; it holds the password, so it is wiped after use. */
static struct crypt_data cdata;

static char		 pwbuf[PWBUF_SIZE];
static char		 spbuf[PWBUF_SIZE];

/*
 * The dummy hash uses the default method and cost, so that checking an
 * unknown user takes as long as checking one with a default hash.  This
 * also runs crypt once before the sandbox.
 */
void
auth_passwd_init(void)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 rnd[16];
	char			 setting[CRYPT_GENSALT_OUTPUT_SIZE];
	char			 pass[sizeof(rnd) * 2 + 1];
	const char		*h;
	size_t			 i;
	struct timespec		 t0, t1;

	if (crypt_gensalt_rn("$y$", 0, NULL, 0, setting,
	    sizeof(setting)) == NULL)
		fatal("%s: crypt_gensalt_rn", __func__);
	arc4random_buf(rnd, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++) {
		pass[i * 2] = hex[rnd[i] >> 4];
		pass[i * 2 + 1] = hex[rnd[i] & 0xf];
	}
	pass[sizeof(pass) - 1] = '\0';
	memset(&cdata, 0, sizeof(cdata));
	if (clock_gettime(CLOCK_MONOTONIC, &t0) == -1)
		fatal("%s: clock_gettime", __func__);
	if ((h = crypt_rn(pass, setting, &cdata, sizeof(cdata))) == NULL)
		fatal("%s: crypt_rn", __func__);
	if (clock_gettime(CLOCK_MONOTONIC, &t1) == -1)
		fatal("%s: clock_gettime", __func__);
	auth_dummy_ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	if (strlcpy(dummy_hash, h, sizeof(dummy_hash)) >= sizeof(dummy_hash))
		fatalx("%s: dummy hash too long", __func__);
	explicit_bzero(&cdata, sizeof(cdata));
	explicit_bzero(pass, sizeof(pass));
	explicit_bzero(rnd, sizeof(rnd));
}

const char *
auth_dummy_hash(void)
{
	if (dummy_hash[0] == '\0')
		fatalx("%s: auth_passwd_init() not called", __func__);
	return (dummy_hash);
}

/* Empty means "no password" to login(1); '!' and '*' lock the account. */
int
auth_hash_usable(const char *hash)
{
	return (hash[0] != '\0' && hash[0] != '!' && hash[0] != '*');
}

static unsigned int
since_ms(const struct timespec *t0)
{
	struct timespec	t1;

	if (clock_gettime(CLOCK_MONOTONIC, &t1) == -1)
		fatal("%s: clock_gettime", __func__);
	return ((t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000);
}

/* One crypt with hash's setting, timed: what a check against it costs. */
unsigned int
auth_crypt_cost(const char *hash)
{
	struct timespec	t0;
	unsigned int	ms;

	memset(&cdata, 0, sizeof(cdata));
	if (clock_gettime(CLOCK_MONOTONIC, &t0) == -1)
		fatal("%s: clock_gettime", __func__);
	(void)crypt_rn("pop3d-calibrate", hash, &cdata, sizeof(cdata));
	ms = since_ms(&t0);
	explicit_bzero(&cdata, sizeof(cdata));
	auth_dearest_ms = MAXIMUM(auth_dearest_ms, ms);
	return (ms);
}

/* 1 if pass hashes to hash, 0 if not, -1 if crypt refused the hash. */
int
auth_crypt_match(const char *pass, const char *hash)
{
	const char	*out;
	size_t		 len;
	int		 match;
	struct timespec	 t0;

	memset(&cdata, 0, sizeof(cdata));
	if (clock_gettime(CLOCK_MONOTONIC, &t0) == -1)
		fatal("%s: clock_gettime", __func__);
	out = crypt_rn(pass, hash, &cdata, sizeof(cdata));
	auth_dearest_ms = MAXIMUM(auth_dearest_ms, since_ms(&t0));
	if (out == NULL)
		match = -1;
	else {
		auth_crypt_calls++;
		len = strlen(hash);
		match = strlen(out) == len &&
		    timingsafe_bcmp(out, hash, len) == 0;
	}
	explicit_bzero(&cdata, sizeof(cdata));
	return (match);
}

void
auth_backends_set(const struct auth_backend *const *be, size_t n)
{
	size_t	i;

	if (n > AUTH_BACKENDS_MAX)
		fatalx("%s: %zu backends", __func__, n);
	for (i = 0; i < n; i++)
		backends[i] = be[i];
	nbackends = n;
}

/*
 * The first backend that knows the user decides, as NSS does: a name
 * in two databases is the first one's.  A backend that cannot tell
 * stops the search, so that a broken first database does not let a
 * namesake in a later one log in instead.
 */
static enum auth_lookup
auth_lookup(const char *user, char *hash, size_t hashsz, char *account,
    const struct auth_backend **found)
{
	enum auth_lookup	lk;
	size_t			i;

	*found = NULL;
	for (i = 0; i < nbackends; i++) {
		lk = backends[i]->lookup(user, hash, hashsz, account);
		if (lk == LOOKUP_NOUSER)
			continue;
		*found = backends[i];
		return (lk);
	}
	return (LOOKUP_NOUSER);
}

/*
 * The decision.  Whatever the backends say, short of a lookup error,
 * costs one hash: an unknown or locked user is checked against the
 * dummy, so that timing does not tell which user names exist.  On
 * success *which names the backend that knew the user, and user (of
 * POP3_USER_MAX + 1 bytes) holds the account's own name instead of the
 * one the client typed: that is the name that logs in.
 */
enum auth_result
auth_userpass(char *user, const char *pass, enum auth_backend_id *which)
{
	const struct auth_backend	*be;
	char				 hash[HASH_MAX];
	char				 account[POP3_USER_MAX + 1];
	enum auth_lookup		 lk;
	int				 match;

	if (dummy_hash[0] == '\0')
		fatalx("%s: auth_passwd_init() not called", __func__);
	*which = AUTH_BACKEND_NONE;
	lk = auth_lookup(user, hash, sizeof(hash), account, &be);
	if (lk == LOOKUP_TEMPFAIL)
		return (AUTH_TEMPFAIL);
	if (lk == LOOKUP_FOUND && !auth_hash_usable(hash)) {
		log_debug("%s: %s: locked or without password", __func__,
		    user);
		lk = LOOKUP_DENIED;
	}
	if (lk != LOOKUP_FOUND)
		strlcpy(hash, dummy_hash, sizeof(hash));
	if ((match = auth_crypt_match(pass, hash)) == -1) {
		log_warnx("%s: %s: stored hash unsupported by crypt",
		    __func__, user);
		/* Still cost what a supported hash costs. */
		(void)auth_crypt_match(pass, dummy_hash);
	}
	explicit_bzero(hash, sizeof(hash));
	if (lk != LOOKUP_FOUND || match != 1)
		return (AUTH_FAIL);
	if (strcmp(user, account) != 0)
		log_debug("%s: %s: the account is %s", __func__, user,
		    account);
	strlcpy(user, account, POP3_USER_MAX + 1);
	*which = be->id;
	return (AUTH_OK);
}

/*
 * "users system": NSS may load modules (libnss_systemd and the like)
 * on a module's first use, which needs mmap PROT_EXEC, which the
 * sandbox forbids.  Walk every module of both databases now: an
 * existing name stops at the first module, a missing one visits all.
 */
static void
passwd_preload(void)
{
	(void)getpwnam(POP3D_AUTH_USER);
	(void)getpwnam(PRELOAD_NOUSER);
	(void)getspnam(POP3D_AUTH_USER);
	(void)getspnam(PRELOAD_NOUSER);
	endpwent();
	endspent();
}

/*
 * The shadow ageing that login(1) and pam_unix(8) enforce, as a reason
 * to refuse, or NULL.  Where they would make the user choose a new
 * password, POP3 has no way to, so the login fails.  Days count from
 * the epoch; -1 is an empty field, which turns the check off.
 */
static const char *
passwd_aged(const struct spwd *sp)
{
	long	today = (long)(time(NULL) / (24 * 60 * 60));
	long	last = sp->sp_lstchg, max = sp->sp_max, inact = sp->sp_inact;

	if (sp->sp_expire != -1 && sp->sp_expire <= today)
		return ("account expired");
	if (last == 0)
		return ("password must be changed");
	if (last < 0 || max < 0 || today - last <= max)
		return (NULL);
	if (inact >= 0 && today - last > max + inact)
		return ("account inactive since its password expired");
	return ("password expired");
}

/*
 * The hash is pw_passwd, or the shadow entry's when pw_passwd is "x".
 * The _r functions report a failed lookup apart from a missing user,
 * which getpwnam(3) leaves to errno guesses.
 */
static enum auth_lookup
passwd_lookup_shadow(const char *user, const char **stored)
{
	struct spwd	 sp, *spp;
	const char	*why;
	int		 e;

	if ((e = getspnam_r(user, &sp, spbuf, sizeof(spbuf), &spp)) != 0) {
		log_warnx("%s: getspnam %s: %s", __func__, user, strerror(e));
		return (LOOKUP_TEMPFAIL);
	}
	/*
	 * "x" promises a shadow entry.  Not finding one means we could
	 * not read it (with "shadow: files systemd" an unreadable
	 * /etc/shadow looks like a missing entry), not a wrong password.
	 */
	if (spp == NULL || sp.sp_pwdp == NULL) {
		log_warnx("%s: %s: no readable shadow entry", __func__, user);
		return (LOOKUP_TEMPFAIL);
	}
	/* The client hears a wrong password; the administrator, why. */
	if ((why = passwd_aged(&sp)) != NULL) {
		log_info("user %s may not log in: %s", user, why);
		return (LOOKUP_DENIED);
	}
	*stored = sp.sp_pwdp;
	return (LOOKUP_FOUND);
}

static enum auth_lookup
passwd_lookup(const char *user, char *hash, size_t hashsz, char *account)
{
	struct passwd	 pw, *pwp;
	const char	*stored;
	enum auth_lookup lk;
	int		 e;

	if ((e = getpwnam_r(user, &pw, pwbuf, sizeof(pwbuf), &pwp)) != 0) {
		log_warnx("%s: getpwnam %s: %s", __func__, user, strerror(e));
		return (LOOKUP_TEMPFAIL);
	}
	if (pwp == NULL) {
		log_debug("%s: %s: no such user", __func__, user);
		return (LOOKUP_NOUSER);
	}
	lk = LOOKUP_FOUND;
	stored = pw.pw_passwd;
	if (pw.pw_uid == 0) {
		log_debug("%s: %s: uid 0 may not log in", __func__, user);
		lk = LOOKUP_DENIED;
	} else if (pw.pw_uid < auth_min_uid) {
		/* Denied, not unknown: a users file namesake stays out. */
		log_debug("%s: %s: uid %lu below min-uid %lu", __func__, user,
		    (unsigned long)pw.pw_uid, (unsigned long)auth_min_uid);
		lk = LOOKUP_DENIED;
	} else if (stored == NULL)
		lk = LOOKUP_DENIED;
	else if (strlcpy(account, pw.pw_name, POP3_USER_MAX + 1) >
	    POP3_USER_MAX) {
		log_warnx("%s: %s: account name %s too long", __func__, user,
		    pw.pw_name);
		lk = LOOKUP_DENIED;
	} else if (strcmp(stored, "x") == 0)
		/* The account's name: the shadow entry is keyed by it. */
		lk = passwd_lookup_shadow(account, &stored);
	if (lk == LOOKUP_FOUND && strlcpy(hash, stored, hashsz) >= hashsz) {
		log_warnx("%s: %s: stored hash too long", __func__, user);
		lk = LOOKUP_DENIED;
	}
	explicit_bzero(pwbuf, sizeof(pwbuf));
	explicit_bzero(spbuf, sizeof(spbuf));
	return (lk);
}

const struct auth_backend auth_backend_system = {
	"system",
	AUTH_BACKEND_SYSTEM,
	passwd_preload,
	passwd_lookup,
};
