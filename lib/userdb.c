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
 * The user database file: parsing, writing it back atomically, its
 * lock, and turning a password into what the file keeps of it.  Linked
 * into pop3d-auth (which runs it inside its sandbox) and pop3ctl (as
 * root), so nothing here may assume either: the caller says whom a new
 * file belongs to.
 */

#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <crypt.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "proto.h"
#include "log.h"
#include "util.h"
#include "base64.h"
#include "userdb.h"

/* How often a lock holder is asked again, when we may not wait long. */
#define LOCK_POLL_MS		20

/*
 * The temporary file of a rewrite: hidden, next to the database, and
 * named so that sweeping stale ones cannot hit an administrator's copy.
 */
#define TEMP_PREFIX		"."
#define TEMP_SUFFIX		".pop3d-new."
#define TEMP_XS			"XXXXXX"

/*
 * The file last reported with USERDB_QUIET: pop3d-auth reads the file
 * for every login, and a bad line should be logged once, not per login.
 */
static struct {
	dev_t		dev;
	ino_t		ino;
	struct timespec	mtim;
	off_t		size;
} reported;

/*
 * Names become path components (%u in a maildrop template) and log
 * words: a safe set of characters, and no leading dot.
 */
int
userdb_name_valid(const char *name)
{
	const char	*p;

	if (name[0] == '\0' || name[0] == '.' ||
	    strlen(name) > POP3_USER_MAX)
		return (0);
	for (p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("._@+-", *p) == NULL)
			return (0);
	return (1);
}

/*
 * A crypt(3) hash we accept: yescrypt as written by pop3ctl, bcrypt and
 * SHA-512-crypt as an administrator may bring from elsewhere.  Empty
 * means no password; a leading '!' locks the account, as in shadow(5).
 */
static int
hash_valid(const char *h)
{
	const char	*p = h;

	if (*p == '!')
		p++;
	if (*p == '\0' || strcmp(p, "*") == 0)
		return (1);
	if (strncmp(p, "$y$", 3) != 0 && strncmp(p, "$2b$", 4) != 0 &&
	    strncmp(p, "$6$", 3) != 0)
		return (0);
	for (; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("./$=,-", *p) == NULL)
			return (0);
	return (strlen(h) < HASH_MAX);
}

static int
parse_apop(const char *f, struct userdb_entry *ent)
{
	int	n;

	ent->apoplen = 0;
	if (*f == '\0')
		return (0);
	n = base64_decode(f, strlen(f), ent->apop, sizeof(ent->apop));
	if (n <= 0 || memchr(ent->apop, '\0', n) != NULL)
		return (-1);
	ent->apoplen = n;
	return (0);
}

static int
parse_key(const char *f, size_t len, unsigned char *key)
{
	return (base64_decode(f, len, key, SCRAM_KEY_LEN) == SCRAM_KEY_LEN ?
	    0 : -1);
}

/* "iter,salt,storedkey,serverkey", the last three in base64. */
static int
parse_scram(const char *f, struct userdb_entry *ent)
{
	struct userdb_scram	*sc = &ent->scram;
	const char		*c1, *c2, *c3, *errstr;
	char			 num[16];
	int			 n;

	ent->has_scram = 0;
	if (*f == '\0')
		return (0);
	if ((c1 = strchr(f, ',')) == NULL || (c2 = strchr(c1 + 1, ',')) ==
	    NULL || (c3 = strchr(c2 + 1, ',')) == NULL ||
	    strchr(c3 + 1, ',') != NULL || (size_t)(c1 - f) >= sizeof(num))
		return (-1);
	memcpy(num, f, c1 - f);
	num[c1 - f] = '\0';
	sc->iter = strtonum(num, SCRAM_ITER_MIN, SCRAM_ITER_MAX, &errstr);
	if (errstr != NULL)
		return (-1);
	n = base64_decode(c1 + 1, c2 - c1 - 1, sc->salt, sizeof(sc->salt));
	if (n <= 0)
		return (-1);
	sc->saltlen = n;
	if (parse_key(c2 + 1, c3 - c2 - 1, sc->stored_key) == -1 ||
	    parse_key(c3 + 1, strlen(c3 + 1), sc->server_key) == -1)
		return (-1);
	ent->has_scram = 1;
	return (0);
}

static int
parse_flags(char *f, struct userdb_entry *ent)
{
	char	*w;

	ent->flags = 0;
	if (*f == '\0')
		return (0);
	while ((w = strsep(&f, ",")) != NULL) {
		if (strcmp(w, "nopass") == 0)
			ent->flags |= USERDB_NOPASS;
		else
			return (-1);
	}
	return (0);
}

/*
 * One line, without its newline, into ent.  On failure *why says what
 * was wrong, never quoting the line: it may hold a secret.
 */
int
userdb_parse_line(const char *line, struct userdb_entry *ent,
    const char **why)
{
	char	 buf[USERDB_LINE_MAX + 1];
	char	*f[5], *p;
	size_t	 i;
	int	 rv = -1;

	memset(ent, 0, sizeof(*ent));
	if (strlcpy(buf, line, sizeof(buf)) >= sizeof(buf)) {
		*why = "line too long";
		return (-1);
	}
	p = buf;
	for (i = 0; i < nitems(f); i++)
		f[i] = strsep(&p, ":");
	if (f[4] == NULL || p != NULL)
		*why = "not 5 fields separated by ':'";
	else if (!userdb_name_valid(f[0]))
		*why = "bad user name";
	else if (!hash_valid(f[1]))
		*why = "bad password hash";
	else if (parse_apop(f[2], ent) == -1)
		*why = "bad APOP secret";
	else if (parse_scram(f[3], ent) == -1)
		*why = "bad SCRAM keys";
	else if (parse_flags(f[4], ent) == -1)
		*why = "unknown flag";
	else {
		strlcpy(ent->name, f[0], sizeof(ent->name));
		strlcpy(ent->hash, f[1], sizeof(ent->hash));
		rv = 0;
	}
	explicit_bzero(buf, sizeof(buf));
	if (rv == -1)
		explicit_bzero(ent, sizeof(*ent));
	return (rv);
}

static int
format_scram(const struct userdb_scram *sc, char *buf, size_t sz)
{
	char	salt[SCRAM_SALT_MAX * 2], sk[SCRAM_KEY_LEN * 2];
	char	vk[SCRAM_KEY_LEN * 2];
	int	n;

	if (base64_encode(sc->salt, sc->saltlen, salt, sizeof(salt)) == -1 ||
	    base64_encode(sc->stored_key, SCRAM_KEY_LEN, sk, sizeof(sk)) == -1 ||
	    base64_encode(sc->server_key, SCRAM_KEY_LEN, vk, sizeof(vk)) == -1)
		return (-1);
	n = snprintf(buf, sz, "%u,%s,%s,%s", sc->iter, salt, sk, vk);
	return (n < 0 || (size_t)n >= sz ? -1 : 0);
}

/* The line for ent, newline included; -1 if it does not fit. */
int
userdb_format_entry(const struct userdb_entry *ent, char *buf, size_t sz)
{
	char	apop[APOP_SECRET_MAX * 2], scram[SCRAM_SALT_MAX * 4];
	int	n = -1;

	apop[0] = scram[0] = '\0';
	if (ent->apoplen > 0 && base64_encode(ent->apop, ent->apoplen, apop,
	    sizeof(apop)) == -1)
		goto done;
	if (ent->has_scram && format_scram(&ent->scram, scram,
	    sizeof(scram)) == -1)
		goto done;
	n = snprintf(buf, sz, "%s:%s:%s:%s:%s\n", ent->name, ent->hash, apop,
	    scram, (ent->flags & USERDB_NOPASS) ? "nopass" : "");
	if (n < 0 || (size_t)n >= sz || (size_t)n > USERDB_LINE_MAX + 1)
		n = -1;
 done:
	explicit_bzero(apop, sizeof(apop));
	return (n);
}

/* FNV-1a; never 0, which marks an empty slot. */
static uint32_t
name_hash(const char *name, size_t len)
{
	uint32_t	h = 2166136261U;
	size_t		i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 16777619U;
	}
	return (h == 0 ? 1 : h);
}

static void
nametab_free(struct nametab *t)
{
	free(t->hash);
	free(t->val);
	memset(t, 0, sizeof(*t));
}

static void	nametab_put(struct nametab *, uint32_t, size_t);

/* At most half full, so that probes stay short. */
static void
nametab_grow(struct nametab *t)
{
	struct nametab	old = *t;
	size_t		i;

	t->nslots = old.nslots == 0 ? 1024 : old.nslots * 2;
	t->hash = xcalloc(t->nslots, sizeof(*t->hash));
	t->val = xcalloc(t->nslots, sizeof(*t->val));
	t->n = 0;
	for (i = 0; i < old.nslots; i++)
		if (old.hash[i] != 0)
			nametab_put(t, old.hash[i], old.val[i]);
	free(old.hash);
	free(old.val);
}

static void
nametab_put(struct nametab *t, uint32_t h, size_t val)
{
	size_t	i;

	if (2 * (t->n + 1) > t->nslots)
		nametab_grow(t);
	for (i = h & (t->nslots - 1); t->hash[i] != 0;
	    i = (i + 1) & (t->nslots - 1))
		;
	t->hash[i] = h;
	t->val[i] = val;
	t->n++;
}

/*
 * The value stored for name, or 0: match(ctx, value, name) says whether
 * a slot whose hash agrees is that name.
 */
static size_t
nametab_get(const struct nametab *t, const char *name,
    int (*match)(const void *, size_t, const char *), const void *ctx)
{
	uint32_t	h;
	size_t		i;

	if (t->nslots == 0)
		return (0);
	h = name_hash(name, strlen(name));
	for (i = h & (t->nslots - 1); t->hash[i] != 0;
	    i = (i + 1) & (t->nslots - 1))
		if (t->hash[i] == h && match(ctx, t->val[i], name))
			return (t->val[i]);
	return (0);
}

/* The line database: the value is 1 + the line's index. */
static int
db_match(const void *ctx, size_t val, const char *name)
{
	const struct userdb	*db = ctx;

	return (strcmp(db->lines[val - 1].ent->name, name) == 0);
}

static void
db_index_rebuild(struct userdb *db)
{
	size_t	i;

	nametab_free(&db->names);
	for (i = 0; i < db->nlines; i++)
		if (db->lines[i].ent != NULL)
			nametab_put(&db->names, name_hash(db->lines[i].ent->name,
			    strlen(db->lines[i].ent->name)), i + 1);
}

static void
line_append(struct userdb *db, char *text, struct userdb_entry *ent)
{
	/*
	 * Room doubles at each power of two, so that a large file is not
	 * copied once per line wherever realloc cannot grow in place (it
	 * never does under ASan: 200,000 lines took minutes).  Deleting a
	 * line leaves at least that room.
	 */
	if ((db->nlines & (db->nlines - 1)) == 0)
		db->lines = xreallocarray(db->lines,
		    db->nlines == 0 ? 1 : db->nlines * 2, sizeof(*db->lines));
	db->lines[db->nlines].text = text;
	db->lines[db->nlines].ent = ent;
	db->nlines++;
	if (ent != NULL)
		nametab_put(&db->names, name_hash(ent->name, strlen(ent->name)),
		    db->nlines);
}

static int
is_report_new(const struct stat *st)
{
	return (reported.dev != st->st_dev || reported.ino != st->st_ino ||
	    reported.size != st->st_size ||
	    reported.mtim.tv_sec != st->st_mtim.tv_sec ||
	    reported.mtim.tv_nsec != st->st_mtim.tv_nsec);
}

/*
 * What is wrong with one line, or NULL with ent filled: the checks of
 * both readers of the file, the line database and the index.
 */
static const char *
line_check(const char *line, size_t len, struct userdb_entry *ent,
    const struct nametab *names,
    int (*match)(const void *, size_t, const char *), const void *ctx)
{
	const char	*why = NULL;

	if (memchr(line, '\0', len) != NULL)
		why = "NUL byte in line";
	else if (len > USERDB_LINE_MAX)
		why = "line too long";
	else if (userdb_parse_line(line, ent, &why) == -1)
		;	/* why is set */
	else if (nametab_get(names, ent->name, match, ctx) != 0)
		why = "duplicate user name, line skipped";
	return (why);
}

static void
bad_line(struct userdb *db, size_t lineno, const char *why, int report)
{
	db->nbad++;
	if (report)
		log_warnx("%s:%zu: %s", db->path, lineno, why);
}

/* One line of the file, without its newline, NUL-terminated in place. */
static void
parse_one(struct userdb *db, char *line, size_t len, size_t lineno,
    int report)
{
	struct userdb_entry	*ent;
	const char		*why;

	if (len == 0 || line[0] == '#') {
		line_append(db, xstrdup(line), NULL);
		return;
	}
	ent = xcalloc(1, sizeof(*ent));
	if ((why = line_check(line, len, ent, &db->names, db_match,
	    db)) == NULL) {
		line_append(db, NULL, ent);
		return;
	}
	freezero(ent, sizeof(*ent));
	bad_line(db, lineno, why, report);
	/*
	 * Kept, so that a rewrite by pop3d-auth does not drop what an
	 * administrator has to repair (a NUL byte ends it, though).
	 */
	line_append(db, xstrdup(line), NULL);
}

static void
parse_all(struct userdb *db, char *buf, size_t len, int report)
{
	char	*p = buf, *nl, *end = buf + len;
	size_t	 lineno = 0;

	while (p < end) {
		lineno++;
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		*nl = '\0';
		parse_one(db, p, nl - p, lineno, report);
		p = nl + 1;
	}
}

/* Only the owner may read a file of hashes and APOP secrets. */
static int
check_file(const char *path, const struct stat *st)
{
	if (!S_ISREG(st->st_mode)) {
		log_warnx("%s: not a regular file", path);
		return (-1);
	}
	if ((st->st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		log_warnx("%s: mode %04o is too open, want 0600", path,
		    (unsigned int)(st->st_mode & 07777));
		return (-1);
	}
	return (0);
}

static char *
read_all(int fd, const char *path, size_t *lenp)
{
	char	*buf = NULL;
	size_t	 len = 0, cap = 0;
	ssize_t	 n;

	for (;;) {
		if (len == cap) {
			if (cap >= USERDB_SIZE_MAX) {
				log_warnx("%s: larger than %d bytes", path,
				    USERDB_SIZE_MAX);
				goto fail;
			}
			cap = cap == 0 ? 65536 : cap * 2;
			buf = recallocarray(buf, len, cap + 1, 1);
			if (buf == NULL)
				fatal("%s: recallocarray", __func__);
		}
		if ((n = read(fd, buf + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("%s: read", path);
			goto fail;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	*lenp = len;
	return (buf);
 fail:
	freezero(buf, cap + 1);
	return (NULL);
}

/* The file at path, read whole: 1, or 0 if it is missing, -1 if unusable. */
static int
file_slurp(const char *path, struct stat *st, char **buf, size_t *len)
{
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return (0);
		log_warn("%s", path);
		return (-1);
	}
	if (fstat(fd, st) == -1) {
		log_warn("%s: fstat", path);
		close(fd);
		return (-1);
	}
	if (check_file(path, st) == -1 ||
	    (*buf = read_all(fd, path, len)) == NULL) {
		close(fd);
		return (-1);
	}
	close(fd);
	return (1);
}

/* This version of the file has had its bad lines logged. */
static void
report_mark(const struct stat *st)
{
	reported.dev = st->st_dev;
	reported.ino = st->st_ino;
	reported.size = st->st_size;
	reported.mtim = st->st_mtim;
}

/*
 * Read the database at path.  A missing file is an empty database
 * (db->exists 0).  Returns -1 if the file cannot be used, or with
 * USERDB_STRICT if a line does not parse; each such line is reported
 * as file:line.
 */
int
userdb_load(struct userdb *db, const char *path, int flags)
{
	char	*buf;
	size_t	 len;
	int	 rc, report;

	memset(db, 0, sizeof(*db));
	if (strlcpy(db->path, path, sizeof(db->path)) >= sizeof(db->path)) {
		log_warnx("%s: path too long", path);
		return (-1);
	}
	if ((rc = file_slurp(path, &db->st, &buf, &len)) <= 0)
		return (rc);
	db->exists = 1;
	report = !(flags & USERDB_QUIET) || is_report_new(&db->st);
	parse_all(db, buf, len, report);
	freezero(buf, len + 1);
	if (report && (flags & USERDB_QUIET))
		report_mark(&db->st);
	if ((flags & USERDB_STRICT) && db->nbad > 0) {
		log_warnx("%s: %zu bad line%s", path, db->nbad,
		    db->nbad == 1 ? "" : "s");
		userdb_free(db);
		return (-1);
	}
	return (0);
}

void
userdb_free(struct userdb *db)
{
	size_t	i;

	for (i = 0; i < db->nlines; i++) {
		if (db->lines[i].text != NULL)
			freezero(db->lines[i].text,
			    strlen(db->lines[i].text) + 1);
		if (db->lines[i].ent != NULL)
			freezero(db->lines[i].ent, sizeof(*db->lines[i].ent));
	}
	free(db->lines);
	db->lines = NULL;
	db->nlines = 0;
	nametab_free(&db->names);
}

struct userdb_entry *
userdb_find(struct userdb *db, const char *name)
{
	size_t	v;

	if ((v = nametab_get(&db->names, name, db_match, db)) == 0)
		return (NULL);
	return (db->lines[v - 1].ent);
}

/* The index: a value is the offset of the line in the buffer, plus 1. */
static int
index_match(const void *ctx, size_t val, const char *name)
{
	const char	*line = (const char *)ctx + val - 1;
	size_t		 len = strlen(name);

	return (strncmp(line, name, len) == 0 && line[len] == ':');
}

/* Replaced by rename (new inode) or changed in place (times, size). */
static int
same_file(const struct stat *a, const struct stat *b)
{
	return (a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	    a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	    a->st_ctim.tv_nsec == b->st_ctim.tv_nsec);
}

void
userdb_index_free(struct userdb_index *ix)
{
	if (ix->buf != NULL)
		freezero(ix->buf, ix->buflen + 1);
	nametab_free(&ix->names);
	ix->buf = NULL;
	ix->buflen = 0;
	ix->nusers = 0;
	ix->loaded = ix->exists = 0;
}

/*
 * Every line checked as userdb_load() checks it, bad ones reported once
 * per version of the file and left out, then its name indexed.
 */
static void
index_lines(struct userdb_index *ix, int report)
{
	struct userdb_entry	 ent;
	char			*p = ix->buf, *nl, *end = ix->buf + ix->buflen;
	const char		*why;
	size_t			 lineno = 0, len;

	for (; p < end; p = nl + 1) {
		lineno++;
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		*nl = '\0';
		if ((len = nl - p) == 0 || p[0] == '#')
			continue;
		if ((why = line_check(p, len, &ent, &ix->names, index_match,
		    ix->buf)) == NULL) {
			nametab_put(&ix->names, name_hash(ent.name,
			    strlen(ent.name)), p - ix->buf + 1);
			ix->nusers++;
			explicit_bzero(&ent, sizeof(ent));
			continue;
		}
		if (report)
			log_warnx("%s:%zu: %s", ix->path, lineno, why);
	}
	explicit_bzero(&ent, sizeof(ent));
}

/*
 * The index of path, read again only if the file changed since the
 * last time (a stat(2) a call).  A missing file is an empty database.
 * Returns -1 if the file cannot be used now; nothing of an older
 * version is kept then, so that no one logs in on a refused file.
 */
int
userdb_index_load(struct userdb_index *ix, const char *path)
{
	struct stat	 st;
	int		 rc;

	if (ix->loaded && strcmp(ix->path, path) == 0) {
		if (stat(path, &st) == -1) {
			if (errno == ENOENT && !ix->exists)
				return (0);
		} else if (ix->exists && same_file(&st, &ix->st))
			return (0);
	}
	userdb_index_free(ix);
	if (strlcpy(ix->path, path, sizeof(ix->path)) >= sizeof(ix->path)) {
		log_warnx("%s: path too long", path);
		return (-1);
	}
	if ((rc = file_slurp(path, &ix->st, &ix->buf, &ix->buflen)) == -1)
		return (-1);
	ix->loaded = 1;
	if (rc == 0)
		return (0);
	ix->exists = 1;
	if (is_report_new(&ix->st)) {
		index_lines(ix, 1);
		report_mark(&ix->st);
	} else
		index_lines(ix, 0);
	return (0);
}

/* 1 with the user's entry (the caller wipes it), or 0 if none. */
int
userdb_index_find(struct userdb_index *ix, const char *name,
    struct userdb_entry *ent)
{
	const char	*why;
	size_t		 v;

	memset(ent, 0, sizeof(*ent));
	if (!ix->exists ||
	    (v = nametab_get(&ix->names, name, index_match, ix->buf)) == 0)
		return (0);
	return (userdb_parse_line(ix->buf + v - 1, ent, &why) == 0);
}

/* A new entry without secrets; NULL if the name is bad or taken. */
struct userdb_entry *
userdb_add(struct userdb *db, const char *name)
{
	struct userdb_entry	*ent;

	if (!userdb_name_valid(name) || userdb_find(db, name) != NULL)
		return (NULL);
	ent = xcalloc(1, sizeof(*ent));
	strlcpy(ent->name, name, sizeof(ent->name));
	line_append(db, NULL, ent);
	return (ent);
}

int
userdb_delete(struct userdb *db, const char *name)
{
	size_t	i;

	for (i = 0; i < db->nlines; i++) {
		if (db->lines[i].ent == NULL ||
		    strcmp(db->lines[i].ent->name, name) != 0)
			continue;
		freezero(db->lines[i].ent, sizeof(*db->lines[i].ent));
		memmove(&db->lines[i], &db->lines[i + 1],
		    (db->nlines - i - 1) * sizeof(*db->lines));
		db->nlines--;
		/* The lines after it moved up: index them again. */
		db_index_rebuild(db);
		return (0);
	}
	return (-1);
}

/* Every line into fd, each ending in a newline. */
static int
write_lines(int fd, const struct userdb *db)
{
	char	line[USERDB_LINE_MAX + 2];
	size_t	i;
	int	n, rv = 0;

	for (i = 0; i < db->nlines && rv == 0; i++) {
		if (db->lines[i].ent == NULL) {
			/* Kept text may be longer than a valid line. */
			if (write_all(fd, db->lines[i].text,
			    strlen(db->lines[i].text)) == -1 ||
			    write_all(fd, "\n", 1) == -1) {
				log_warn("%s: write", db->path);
				rv = -1;
			}
			continue;
		}
		n = userdb_format_entry(db->lines[i].ent, line, sizeof(line));
		if (n == -1) {
			log_warnx("%s: entry %s too long to write", db->path,
			    db->lines[i].ent->name);
			rv = -1;
		} else if (write_all(fd, line, n) == -1) {
			log_warn("%s: write", db->path);
			rv = -1;
		}
	}
	explicit_bzero(line, sizeof(line));
	return (rv);
}

/* The rename is durable only once the directory is on disk too. */
static int
sync_dir(const char *dir)
{
	int	fd, rv;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_warn("%s", dir);
		return (-1);
	}
	if ((rv = fsync(fd)) == -1)
		log_warn("%s: fsync", dir);
	close(fd);
	return (rv);
}

static int
split_path(const char *path, char *dir, size_t dirsz, char *base,
    size_t basesz)
{
	char	tmp[PATH_MAX];

	if (strlcpy(tmp, path, sizeof(tmp)) >= sizeof(tmp) ||
	    strlcpy(dir, dirname(tmp), dirsz) >= dirsz ||
	    strlcpy(tmp, path, sizeof(tmp)) >= sizeof(tmp) ||
	    strlcpy(base, basename(tmp), basesz) >= basesz)
		return (-1);
	return (0);
}

/*
 * Replace the file with db: a temporary file in the same directory,
 * given the owner uid:gid unless uid is (uid_t)-1, mode 0600, synced,
 * then renamed over the old one.  At every instant the path names
 * either the complete old file or the complete new one.  The caller
 * holds the lock.
 */
int
userdb_write(struct userdb *db, uid_t uid, gid_t gid)
{
	char	dir[PATH_MAX], base[NAME_MAX + 1], tmp[PATH_MAX];
	int	fd, n;

	if (split_path(db->path, dir, sizeof(dir), base, sizeof(base)) ==
	    -1) {
		log_warnx("%s: path too long", db->path);
		return (-1);
	}
	n = snprintf(tmp, sizeof(tmp), "%s/%s%s%s%s", dir, TEMP_PREFIX, base,
	    TEMP_SUFFIX, TEMP_XS);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		log_warnx("%s: path too long", db->path);
		return (-1);
	}
	if ((fd = mkstemp(tmp)) == -1) {
		log_warn("%s: mkstemp", tmp);
		return (-1);
	}
	if (write_lines(fd, db) == -1)
		goto fail;
	if (uid != (uid_t)-1 && fchown(fd, uid, gid) == -1) {
		log_warn("%s: fchown", tmp);
		goto fail;
	}
	if (fchmod(fd, S_IRUSR | S_IWUSR) == -1 || fsync(fd) == -1) {
		log_warn("%s", tmp);
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		log_warn("%s: close", tmp);
		goto fail;
	}
	fd = -1;
	if (rename(tmp, db->path) == -1) {
		log_warn("rename %s to %s", tmp, db->path);
		goto fail;
	}
	/*
	 * The new file is in place and in use from here on: a failed
	 * directory sync is logged (by sync_dir), not reported as a
	 * change that did not happen.
	 */
	(void)sync_dir(dir);
	return (0);
 fail:
	if (fd != -1)
		close(fd);
	unlink(tmp);
	return (-1);
}

static int
lock_path(const char *path, char *buf, size_t sz)
{
	int	n;

	n = snprintf(buf, sz, "%s%s", path, USERDB_LOCK_SUFFIX);
	return (n < 0 || (size_t)n >= sz ? -1 : 0);
}

/*
 * The lock file, created only by us: pop3ctl runs as root and hands a
 * new lock file to pop3d-auth's user, so an existing one must be a
 * plain file of one link already owned right (never a hard link that
 * pop3d-auth planted to a file of root's), and nothing may block the
 * open (a FIFO).
 */
static int
lock_open(const char *lpath, uid_t uid, gid_t gid)
{
	struct stat	sb;
	int		fd;

	fd = open(lpath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    S_IRUSR | S_IWUSR);
	if (fd != -1) {
		if (uid != (uid_t)-1 && fchown(fd, uid, gid) == -1)
			log_warn("%s: fchown", lpath);
		return (fd);
	}
	if (errno != EEXIST ||
	    (fd = open(lpath, O_RDWR | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) == -1) {
		log_warn("%s", lpath);
		return (-1);
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_nlink != 1 ||
	    (uid != (uid_t)-1 && sb.st_uid != uid && sb.st_uid != geteuid())) {
		log_warnx("%s: not a lock file of ours, refused", lpath);
		close(fd);
		return (-1);
	}
	return (fd);
}

/*
 * Take the lock of the database at path: a lock file beside it, since
 * the database itself is replaced at every change and a lock on it
 * would be a lock on the old file.  A new lock file gets uid:gid
 * unless uid is (uid_t)-1.  Waits at most timeout_ms (-1: as long as
 * it takes).  Returns the fd that holds the lock, or -1.
 */
int
userdb_lock(const char *path, uid_t uid, gid_t gid, int timeout_ms)
{
	struct timespec	 ts = { 0, LOCK_POLL_MS * 1000000L };
	char		 lpath[PATH_MAX];
	int		 fd, waited = 0;

	if (lock_path(path, lpath, sizeof(lpath)) == -1) {
		log_warnx("%s: path too long", path);
		return (-1);
	}
	if ((fd = lock_open(lpath, uid, gid)) == -1)
		return (-1);
	while (flock(fd, timeout_ms < 0 ? LOCK_EX : LOCK_EX | LOCK_NB) ==
	    -1) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK || waited >= timeout_ms) {
			log_warn("%s: flock", lpath);
			close(fd);
			return (-1);
		}
		nanosleep(&ts, NULL);
		waited += LOCK_POLL_MS;
	}
	return (fd);
}

void
userdb_unlock(int fd)
{
	if (fd != -1)
		close(fd);
}

/*
 * SCRAM-SHA-256 keys from a password (RFC 5802 section 3):
 * SaltedPassword = PBKDF2-HMAC-SHA-256(password, salt, iter),
 * StoredKey = SHA-256(HMAC(SaltedPassword, "Client Key")),
 * ServerKey = HMAC(SaltedPassword, "Server Key").  The password is
 * used as given, without SASLprep: pop3d-auth(8) says so.
 */
int
scram_keys(const char *pass, const unsigned char *salt, size_t saltlen,
    uint32_t iter, unsigned char *stored, unsigned char *server)
{
	unsigned char	salted[SCRAM_KEY_LEN], ckey[SCRAM_KEY_LEN];
	unsigned int	len;
	int		rv = -1;

	if (PKCS5_PBKDF2_HMAC(pass, strlen(pass), salt, saltlen, iter,
	    EVP_sha256(), sizeof(salted), salted) != 1)
		goto done;
	len = sizeof(ckey);
	if (HMAC(EVP_sha256(), salted, sizeof(salted),
	    (const unsigned char *)"Client Key", 10, ckey, &len) == NULL ||
	    len != sizeof(ckey))
		goto done;
	if (EVP_Digest(ckey, sizeof(ckey), stored, NULL, EVP_sha256(),
	    NULL) != 1)
		goto done;
	len = SCRAM_KEY_LEN;
	if (HMAC(EVP_sha256(), salted, sizeof(salted),
	    (const unsigned char *)"Server Key", 10, server, &len) == NULL ||
	    len != SCRAM_KEY_LEN)
		goto done;
	rv = 0;
 done:
	explicit_bzero(salted, sizeof(salted));
	explicit_bzero(ckey, sizeof(ckey));
	return (rv);
}

/*
 * Everything the file keeps of a password: a yescrypt hash at
 * libxcrypt's default cost and fresh SCRAM keys.  The APOP secret is
 * a separate secret and stays as it is.
 */
int
userdb_set_password(struct userdb_entry *ent, const char *pass)
{
	struct crypt_data	*cd;
	struct userdb_scram	 sc;
	char			 setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char		*h;
	int			 rv = -1;

	cd = xcalloc(1, sizeof(*cd));
	memset(&sc, 0, sizeof(sc));
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, setting,
	    sizeof(setting)) == NULL ||
	    (h = crypt_rn(pass, setting, cd, sizeof(*cd))) == NULL ||
	    h[0] != '$' || strlen(h) >= sizeof(ent->hash)) {
		log_warnx("%s: crypt failed", __func__);
		goto done;
	}
	sc.iter = SCRAM_ITER_DEFAULT;
	sc.saltlen = SCRAM_SALT_LEN;
	arc4random_buf(sc.salt, sc.saltlen);
	if (scram_keys(pass, sc.salt, sc.saltlen, sc.iter, sc.stored_key,
	    sc.server_key) == -1) {
		log_warnx("%s: SCRAM key derivation failed", __func__);
		goto done;
	}
	strlcpy(ent->hash, h, sizeof(ent->hash));
	ent->scram = sc;
	ent->has_scram = 1;
	rv = 0;
 done:
	freezero(cd, sizeof(*cd));
	explicit_bzero(&sc, sizeof(sc));
	return (rv);
}

/* NULL clears the secret. */
int
userdb_set_apop(struct userdb_entry *ent, const char *secret)
{
	size_t	len;

	explicit_bzero(ent->apop, sizeof(ent->apop));
	ent->apoplen = 0;
	if (secret == NULL)
		return (0);
	if ((len = strlen(secret)) == 0 || len > sizeof(ent->apop))
		return (-1);
	memcpy(ent->apop, secret, len);
	ent->apoplen = len;
	return (0);
}

/*
 * Temporary files of writers that died: only a writer holding the lock
 * makes one, so under the lock every one that is left is stale.
 */
void
userdb_sweep(const char *path)
{
	char		 dir[PATH_MAX], base[NAME_MAX + 1], full[PATH_MAX];
	char		 prefix[NAME_MAX + sizeof(TEMP_SUFFIX) + 1];
	struct dirent	*de;
	DIR		*d;
	size_t		 plen;
	int		 n;

	if (split_path(path, dir, sizeof(dir), base, sizeof(base)) == -1)
		return;
	n = snprintf(prefix, sizeof(prefix), "%s%s%s", TEMP_PREFIX, base,
	    TEMP_SUFFIX);
	if (n < 0 || (size_t)n >= sizeof(prefix) || (d = opendir(dir)) ==
	    NULL)
		return;
	plen = n;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, plen) != 0 ||
		    strlen(de->d_name) != plen + sizeof(TEMP_XS) - 1)
			continue;
		n = snprintf(full, sizeof(full), "%s/%s", dir, de->d_name);
		if (n > 0 && (size_t)n < sizeof(full) && unlink(full) == 0)
			log_debug("%s: removed stale %s", __func__, full);
	}
	closedir(d);
}
