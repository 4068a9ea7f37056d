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
 * "users file": pop3d's own database.  It is read once into an index
 * and read again when it changes (a stat(2) a lookup), so that what
 * pop3ctl changes counts at the next login without a restart, and a
 * login costs the same with a million users as with ten.  pop3ctl and
 * we replace the file only by rename, so a read never needs the lock.
 * Only password changes (poppass) write.
 */

#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "auth.h"

static char			file_path[PATH_MAX];
static int			file_missing_told;
static struct userdb_index	file_index;

/*
 * The cost of each kind of hash in the file (method and cost, the salt
 * aside), timed once per version of the file, so that failures are
 * padded to the dearest before anyone has tried it.  A bound on the
 * kinds keeps a file of many odd hashes from stalling us.
 */
static void
file_calibrate(void)
{
	static struct stat	 seen;
	char			 kinds[CALIBRATE_KINDS][HASH_MAX];
	char			 hash[HASH_MAX];
	const char		*p, *end, *f, *h;
	size_t			 n = 0, i, len;
	int			 dollars;

	if (!file_index.exists || (seen.st_ino == file_index.st.st_ino &&
	    seen.st_mtime == file_index.st.st_mtime &&
	    seen.st_size == file_index.st.st_size))
		return;
	seen = file_index.st;
	for (p = file_index.buf; p < file_index.buf + file_index.buflen &&
	    n < CALIBRATE_KINDS; p = end + 1) {
		if ((end = memchr(p, '\n', file_index.buf +
		    file_index.buflen - p)) == NULL)
			end = file_index.buf + file_index.buflen;
		if ((f = memchr(p, ':', end - p)) == NULL ||
		    (h = memchr(f + 1, ':', end - f - 1)) == NULL ||
		    (len = h - f - 1) == 0 || len >= sizeof(hash))
			continue;
		memcpy(hash, f + 1, len);
		hash[len] = '\0';
		if (!auth_hash_usable(hash))
			continue;
		/* The kind: "$6$rounds=N", "$y$jFT", "$2b$12". */
		for (i = 0, dollars = 0; i < len; i++)
			if (hash[i] == '$' && ++dollars == 3)
				break;
		if (strncmp(hash, "$6$", 3) == 0 &&
		    strncmp(hash, "$6$rounds=", 10) != 0)
			i = 2;
		for (len = 0; len < n; len++)
			if (strlen(kinds[len]) == i &&
			    strncmp(kinds[len], hash, i) == 0)
				break;
		if (len < n)
			continue;
		strlcpy(kinds[n++], hash, MINIMUM(i + 1, sizeof(kinds[0])));
		log_debug("%s: %.*s costs %u ms", file_path, (int)i, hash,
		    auth_crypt_cost(hash));
	}
	explicit_bzero(hash, sizeof(hash));
}

/* Bad lines and modes show in the log at start, not at a login. */
void
auth_file_init(const char *path)
{
	if (strlcpy(file_path, path, sizeof(file_path)) >= sizeof(file_path))
		fatalx("%s: path too long", __func__);
	file_missing_told = 0;
	userdb_index_free(&file_index);
	if (file_path[0] != '\0' &&
	    userdb_index_load(&file_index, file_path) == 0) {
		if (!file_index.exists)
			log_warnx("%s: no such file yet", file_path);
		file_missing_told = !file_index.exists;
		file_calibrate();
	}
}

/*
 * A copy of the user's entry; the caller wipes it.  A missing file
 * holds no users: pop3ctl creates it with the first.  A file that
 * exists but cannot be used is a temporary failure, so that its users
 * are told to retry rather than that they do not exist.
 */
enum auth_lookup
auth_file_entry(const char *user, struct userdb_entry *out)
{
	memset(out, 0, sizeof(*out));
	if (file_path[0] == '\0')
		return (LOOKUP_NOUSER);
	if (userdb_index_load(&file_index, file_path) == -1)
		return (LOOKUP_TEMPFAIL);
	if (!file_index.exists) {
		if (!file_missing_told)
			log_warnx("%s: no such file", file_path);
		file_missing_told = 1;
		return (LOOKUP_NOUSER);
	}
	file_missing_told = 0;
	file_calibrate();
	return (userdb_index_find(&file_index, user, out) ? LOOKUP_FOUND :
	    LOOKUP_NOUSER);
}

/* The backend's lookup for USER/PASS and AUTH PLAIN. */
static enum auth_lookup
file_lookup(const char *user, char *hash, size_t hashsz, char *account)
{
	struct userdb_entry	ent;
	enum auth_lookup	lk;

	if ((lk = auth_file_entry(user, &ent)) != LOOKUP_FOUND)
		return (lk);
	if (ent.flags & USERDB_NOPASS) {
		log_debug("%s: %s: password logins forbidden (nopass)",
		    __func__, user);
		lk = LOOKUP_DENIED;
	} else if (strlcpy(hash, ent.hash, hashsz) >= hashsz)
		lk = LOOKUP_DENIED;
	else
		strlcpy(account, user, POP3_USER_MAX + 1);
	explicit_bzero(&ent, sizeof(ent));
	return (lk);
}

/* Nothing to load before the sandbox: the file is plain text. */
static void
file_preload(void)
{
}

const struct auth_backend auth_backend_file = {
	"file",
	AUTH_BACKEND_FILE,
	file_preload,
	file_lookup,
};

/* What a new poppass password must be; refusals are logged. */
static int
change_new_ok(const char *user, const char *old, const char *new,
    int minlen)
{
	size_t		 len = strlen(new);
	const char	*p;

	if (minlen < 1)
		minlen = 1;
	if (len < (size_t)minlen || len > POP3_PASS_MAX) {
		log_info("password change for user %s: new password of %zu "
		    "characters, want %d to %d", user, len, minlen,
		    POP3_PASS_MAX);
		return (0);
	}
	for (p = new; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			log_info("password change for user %s: control "
			    "character in new password", user);
			return (0);
		}
	if (strcmp(old, new) == 0) {
		log_info("password change for user %s: new password is the "
		    "old one", user);
		return (0);
	}
	return (1);
}

/* Verify old against the entry as it is on disk now, under the lock. */
static enum auth_result
change_locked(const char *user, const char *old, const char *new,
    int minlen)
{
	struct userdb		 db;
	struct userdb_entry	*ent;
	const char		*hash;
	enum auth_result	 res = AUTH_FAIL;
	int			 real = 0;

	if (userdb_load(&db, file_path, USERDB_QUIET) == -1)
		return (AUTH_TEMPFAIL);
	ent = userdb_find(&db, user);
	hash = auth_dummy_hash();
	if (ent != NULL && !(ent->flags & USERDB_NOPASS) &&
	    auth_hash_usable(ent->hash)) {
		hash = ent->hash;
		real = 1;
	}
	/* One hash whatever the user is, as for a login. */
	if (auth_crypt_match(old, hash) != 1 || !real)
		log_debug("%s: %s: old password does not verify", __func__,
		    user);
	else if (change_new_ok(user, old, new, minlen)) {
		res = AUTH_TEMPFAIL;
		if (userdb_set_password(ent, new) == 0 &&
		    userdb_write(&db, (uid_t)-1, (gid_t)-1) == 0)
			res = AUTH_OK;
	}
	userdb_free(&db);
	return (res);
}

/*
 * poppass: only users of this database, and only those allowed
 * password logins (a nopass user sends no password in the clear).
 * The hash and the SCRAM keys change; the APOP secret does not.
 */
enum auth_result
auth_file_change(const char *user, const char *old, const char *new,
    int minlen)
{
	enum auth_result	res;
	int			lock;

	if (file_path[0] == '\0') {
		(void)auth_crypt_match(old, auth_dummy_hash());
		return (AUTH_FAIL);
	}
	if ((lock = userdb_lock(file_path, (uid_t)-1, (gid_t)-1,
	    AUTH_LOCK_WAIT_MS)) == -1)
		return (AUTH_TEMPFAIL);
	/* A pop3d-auth or pop3ctl killed mid-rewrite left its file. */
	userdb_sweep(file_path);
	res = change_locked(user, old, new, minlen);
	userdb_unlock(lock);
	return (res);
}
