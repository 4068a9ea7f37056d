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
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <md5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "xform.h"

/*
 * Maildir (cr.yp.to/proto/maildir.html).  New mail is moved to cur/ on
 * login, as other readers do; the base name (before ":2,") identifies a
 * message for its life, so it orders, names (UIDL) and keys the size
 * cache, and a flag change by another reader does not lose it.
 */

#define MAILDIR_LOCK		"pop3d.lock"
#define MAILDIR_CACHE		"pop3d-sizes"
#define MAILDIR_CACHE_TMP	"pop3d-sizes.XXXXXX"
#define MAILDIR_INFO		":2,"
#define READ_CHUNK		65536

/* A size cache line: base name, raw file size, transmitted size. */
struct centry {
	char		*base;
	uint64_t	 raw;
	uint64_t	 size;
	int		 used;
};

struct cache {
	struct centry	*ent;
	size_t		 n;
	size_t		 cap;
	int		 dirty;		/* rewrite it */
};

static size_t
base_len(const char *name)
{
	const char	*p;

	if ((p = strstr(name, MAILDIR_INFO)) != NULL)
		return (p - name);
	return (strlen(name));
}

static int
base_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int	c;

	if ((c = memcmp(a, b, alen < blen ? alen : blen)) != 0)
		return (c);
	return (alen < blen ? -1 : alen > blen);
}

/* Delivery order: the seconds the name begins with, then the name. */
static int
msg_cmp(const void *a, const void *b)
{
	const struct smsg	*ma = a, *mb = b;
	int			 c;

	if (ma->stamp != mb->stamp)
		return (ma->stamp < mb->stamp ? -1 : 1);
	if ((c = base_cmp(ma->name, ma->baselen, mb->name, mb->baselen)) != 0)
		return (c);
	return (strcmp(ma->name, mb->name));
}

/* Decimal digits at p, up to end; -1 if none or on overflow. */
static int
parse_u64(const char *p, const char *end, uint64_t *v)
{
	uint64_t	n = 0;

	if (p >= end)
		return (-1);
	for (; p < end; p++) {
		if (*p < '0' || *p > '9' || n > (UINT64_MAX - 9) / 10)
			return (-1);
		n = n * 10 + (*p - '0');
	}
	*v = n;
	return (0);
}

static uint64_t
name_stamp(const char *name)
{
	uint64_t	n = 0;

	for (; *name >= '0' && *name <= '9'; name++) {
		if (n > (UINT64_MAX - 9) / 10)
			return (UINT64_MAX);
		n = n * 10 + (*name - '0');
	}
	return (n);
}

/*
 * ",W=<n>" in the base name is the CRLF size a delivery agent
 * recorded.  Trusted only if it is possible for this file: at least
 * the raw size, at most every byte an LF plus a final CRLF.
 */
static int
name_wsize(const char *name, uint64_t raw, uint64_t *size)
{
	const char	*base_end = name + base_len(name), *p, *e;
	uint64_t	 w;

	for (p = name; (p = strstr(p, ",W=")) != NULL && p < base_end;
	    p += 3) {
		for (e = p + 3; e < base_end && *e != ','; e++)
			;
		if (parse_u64(p + 3, e, &w) == -1)
			continue;
		if (w < raw || w > raw * 2 + 2)
			continue;
		*size = w;
		return (0);
	}
	return (-1);
}

static int
centry_cmp(const void *a, const void *b)
{
	const struct centry	*ca = a, *cb = b;

	return (strcmp(ca->base, cb->base));
}

static void
cache_free(struct cache *c)
{
	size_t	i;

	for (i = 0; i < c->n; i++)
		free(c->ent[i].base);
	free(c->ent);
	memset(c, 0, sizeof(*c));
}

/* "base raw size": split at the last two spaces; bad lines are dropped. */
static int
cache_parse(struct cache *c, char *line)
{
	char		*sp1, *sp2, *end;
	struct centry	*e;

	if ((end = strchr(line, '\n')) == NULL)
		return (-1);
	*end = '\0';
	if ((sp2 = strrchr(line, ' ')) == NULL)
		return (-1);
	*sp2 = '\0';
	if ((sp1 = strrchr(line, ' ')) == NULL || sp1 == line)
		return (-1);
	*sp1 = '\0';
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->ent = xreallocarray(c->ent, c->cap, sizeof(*c->ent));
	}
	e = &c->ent[c->n];
	memset(e, 0, sizeof(*e));
	if (parse_u64(sp1 + 1, sp2, &e->raw) == -1 ||
	    parse_u64(sp2 + 1, end, &e->size) == -1)
		return (-1);
	e->base = xstrdup(line);
	c->n++;
	return (0);
}

static void
cache_load(struct maildrop *md, struct cache *c)
{
	FILE	*fp;
	char	 line[NAME_MAX + 64];
	int	 fd;
	size_t	 i;

	memset(c, 0, sizeof(*c));
	fd = openat(md->dirfd, MAILDIR_CACHE, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1) {
		if (errno != ENOENT)
			log_warn("open %s", MAILDIR_CACHE);
		c->dirty = 1;
		return;
	}
	if ((fp = fdopen(fd, "r")) == NULL)
		fatal("fdopen");
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strchr(line, '\n') == NULL) {
			/* Over-long, or cut short by a crash: skip it. */
			c->dirty = 1;
			while (fgets(line, sizeof(line), fp) != NULL &&
			    strchr(line, '\n') == NULL)
				;
			continue;
		}
		if (c->n >= MAX_MAILBOX_MESSAGES || cache_parse(c, line) == -1)
			c->dirty = 1;
	}
	if (ferror(fp)) {
		log_warn("read %s", MAILDIR_CACHE);
		c->dirty = 1;
	}
	fclose(fp);
	qsort(c->ent, c->n, sizeof(*c->ent), centry_cmp);
	for (i = 1; i < c->n; i++)
		if (strcmp(c->ent[i - 1].base, c->ent[i].base) == 0)
			c->dirty = 1;
}

static struct centry *
cache_find(struct cache *c, const char *name)
{
	struct centry	 key, *e;
	char		 base[NAME_MAX + 1];
	size_t		 len = base_len(name);

	if (len >= sizeof(base) || c->n == 0)
		return (NULL);
	memcpy(base, name, len);
	base[len] = '\0';
	key.base = base;
	e = bsearch(&key, c->ent, c->n, sizeof(*c->ent), centry_cmp);
	return (e);
}

/* Names that cannot be written as one cache line are not cached. */
static int
cacheable(const char *name, size_t len)
{
	return (len > 0 && memchr(name, '\n', len) == NULL);
}

/*
 * Written whole to a temporary file and renamed over the old one, so a
 * reader never sees half a cache; a failure only costs the next login
 * some reading.
 */
static void
cache_write(struct maildrop *md, const uint8_t *from_w)
{
	char		 tmp[] = MAILDIR_CACHE_TMP;
	FILE		*fp;
	struct smsg	*m;
	size_t		 i;
	int		 fd, bad = 0;

	if ((fd = mkstempat(md->dirfd, tmp)) == -1) {
		log_warn("%s: create %s", __func__, tmp);
		return;
	}
	if ((fp = fdopen(fd, "w")) == NULL)
		fatal("fdopen");
	for (i = 0; i < md->nmsgs; i++) {
		m = &md->msgs[i];
		if (from_w[i] || !cacheable(m->name, base_len(m->name)))
			continue;
		if (fprintf(fp, "%.*s %llu %llu\n", (int)base_len(m->name),
		    m->name, (unsigned long long)m->length,
		    (unsigned long long)m->size) < 0)
			bad = 1;
	}
	if (fflush(fp) == EOF || fsync(fd) == -1)
		bad = 1;
	if (fclose(fp) == EOF)
		bad = 1;
	if (bad || renameat(md->dirfd, tmp, md->dirfd, MAILDIR_CACHE) == -1) {
		log_warn("%s: %s", __func__, MAILDIR_CACHE);
		unlinkat(md->dirfd, tmp, 0);
	}
}

static void
size_emit(void *arg, const char *p, size_t n)
{
}

/* The transmitted size, read through the same transform RETR uses. */
static int
size_compute(int fd, uint64_t *size)
{
	struct xform	 x;
	char		*buf;
	ssize_t		 n;

	buf = xcalloc(1, READ_CHUNK);
	xform_init(&x, 0, 0, -1);
	for (;;) {
		n = read(fd, buf, READ_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		(void)xform_feed(&x, buf, n, size_emit, NULL);
	}
	free(buf);
	if (n == -1)
		return (-1);
	xform_finish(&x, size_emit, NULL);
	*size = x.out;
	return (0);
}

/*
 * Another reader may have changed the message's flags, which renames
 * it; look for the same base name in cur/.
 */
static int
maildir_refind(struct maildrop *md, struct smsg *m)
{
	DIR		*d;
	struct dirent	*de;
	size_t		 len = base_len(m->name);
	int		 fd, found = 0;

	if ((fd = openat(md->curfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    base_cmp(de->d_name, base_len(de->d_name), m->name,
		    len) != 0)
			continue;
		free(m->name);
		m->name = xstrdup(de->d_name);
		found = 1;
		break;
	}
	closedir(d);
	if (!found) {
		errno = ENOENT;
		return (-1);
	}
	return (0);
}

static int
maildir_openmsg(struct maildrop *md, struct smsg *m)
{
	int	fd;

	fd = openat(md->curfd, m->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && maildir_refind(md, m) == 0)
		fd = openat(md->curfd, m->name, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC);
	return (fd);
}

static int
maildir_lock(struct maildrop *md)
{
	md->lockfd = openat(md->dirfd, MAILDIR_LOCK, O_RDWR | O_CREAT |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (md->lockfd == -1) {
		log_warn("open %s", MAILDIR_LOCK);
		return (STORE_ERR_TEMP);
	}
	if (lock_flock(md->lockfd) == -1) {
		if (errno == EWOULDBLOCK)
			return (STORE_ERR_INUSE);
		log_warn("flock %s", MAILDIR_LOCK);
		return (STORE_ERR_TEMP);
	}
	return (0);
}

static int
maildir_opendir(int dirfd, const char *name, int create)
{
	int	fd;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && create) {
		if (mkdirat(dirfd, name, 0700) == -1 && errno != EEXIST)
			return (-1);
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	return (fd);
}

/* new/NAME -> cur/NAME:2, ; one message that cannot move stays behind. */
static int
maildir_move_new(struct maildrop *md)
{
	DIR		*d;
	struct dirent	*de;
	char		 to[NAME_MAX + 1];
	int		 fd;

	if ((fd = maildir_opendir(md->dirfd, "new", 0)) == -1)
		return (errno == ENOENT ? 0 : -1);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(to, sizeof(to), "%s%s", de->d_name,
		    strchr(de->d_name, ':') ? "" : MAILDIR_INFO) >=
		    sizeof(to)) {
			log_warnx("new/%s: name too long", de->d_name);
			continue;
		}
		if (renameat(fd, de->d_name, md->curfd, to) == -1 &&
		    errno != ENOENT)
			log_warn("rename new/%s", de->d_name);
	}
	closedir(d);
	return (0);
}

/* Every regular file in cur/; its size and delivery time. */
static int
maildir_list(struct maildrop *md)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	struct smsg	*m;
	int		 fd, rc = 0;

	if ((fd = openat(md->curfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return (STORE_ERR_TEMP);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return (STORE_ERR_TEMP);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(md->curfd, de->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(sb.st_mode))
			continue;
		if ((m = maildrop_add(md)) == NULL) {
			log_warnx("maildrop over %u messages, refused",
			    MAX_MAILBOX_MESSAGES);
			rc = STORE_ERR_PERM;
			break;
		}
		m->name = xstrdup(de->d_name);
		m->baselen = base_len(m->name);
		m->length = sb.st_size;
		m->stamp = name_stamp(de->d_name);
	}
	closedir(d);
	return (rc);
}

/* A size from the cache or by reading: 0 cached, 1 read, -1 drop it. */
static int
maildir_size(struct maildrop *md, struct smsg *m, struct cache *c)
{
	struct centry	*e;
	struct stat	 sb;
	int		 fd, rc = -1;

	if ((e = cache_find(c, m->name)) != NULL && e->raw == m->length) {
		m->size = e->size;
		e->used = 1;
		return (0);
	}
	if ((fd = maildir_openmsg(md, m)) == -1) {
		if (errno != ENOENT)
			log_warn("open cur/%s", m->name);
		return (-1);
	}
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		m->length = sb.st_size;
		rc = size_compute(fd, &m->size);
	}
	if (rc == -1)
		log_warn("read cur/%s", m->name);
	close(fd);
	return (rc == 0 ? 1 : -1);
}

/*
 * Sizes from ",W=", else from the cache when it was made for a file of
 * this raw size, else by reading the file.  A message that vanished or
 * cannot be read is left out of this session's list.
 */
static void
maildir_sizes(struct maildrop *md)
{
	struct cache	 c;
	struct smsg	*m;
	uint8_t		*from_w;
	size_t		 i, j;
	int		 rc;

	cache_load(md, &c);
	from_w = xcalloc(md->nmsgs ? md->nmsgs : 1, 1);
	for (i = j = 0; i < md->nmsgs; i++) {
		m = &md->msgs[i];
		if (name_wsize(m->name, m->length, &m->size) == 0)
			from_w[j] = 1;
		else if ((rc = maildir_size(md, m, &c)) != 0) {
			c.dirty = 1;
			if (rc == -1) {
				free(m->name);
				continue;
			}
		}
		md->msgs[j++] = *m;
	}
	md->nmsgs = j;
	for (i = 0; i < c.n; i++)
		if (!c.ent[i].used)
			c.dirty = 1;
	if (c.dirty)
		cache_write(md, from_w);
	free(from_w);
	cache_free(&c);
}

static void
maildir_uidls(struct maildrop *md)
{
	struct smsg	*m;
	MD5_CTX		 ctx;
	size_t		 i, len;

	for (i = 0; i < md->nmsgs; i++) {
		m = &md->msgs[i];
		len = base_len(m->name);
		if (uidl_valid(m->name, len)) {
			memcpy(m->uidl, m->name, len);
			m->uidl[len] = '\0';
			continue;
		}
		MD5Init(&ctx);
		MD5Update(&ctx, (const uint8_t *)m->name, len);
		MD5End(&ctx, m->uidl);
	}
	uidl_unique(md->msgs, md->nmsgs);
}

static int
maildir_scan(struct maildrop *md)
{
	int	rc;

	if ((rc = maildir_lock(md)) != 0)
		return (rc);
	if ((md->curfd = maildir_opendir(md->dirfd, "cur", 1)) == -1) {
		log_warn("open cur");
		return (STORE_ERR_TEMP);
	}
	if (maildir_move_new(md) == -1) {
		log_warn("read new");
		return (STORE_ERR_TEMP);
	}
	if ((rc = maildir_list(md)) != 0)
		return (rc);
	qsort(md->msgs, md->nmsgs, sizeof(*md->msgs), msg_cmp);
	maildir_sizes(md);
	maildir_uidls(md);
	return (maildrop_caps(md));
}

static int
maildir_open(struct maildrop *md, struct smsg *m, uint64_t *offset,
    uint64_t *length)
{
	struct stat	sb;
	int		fd;

	if ((fd = maildir_openmsg(md, m)) == -1) {
		log_warn("open cur/%s", m->name);
		return (-1);
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		log_warnx("cur/%s: not a regular file", m->name);
		close(fd);
		return (-1);
	}
	*offset = 0;
	*length = sb.st_size;
	return (fd);
}

/* 0 once the message is gone, whoever removed it. */
static int
maildir_unlink(struct maildrop *md, struct smsg *m)
{
	if (unlinkat(md->curfd, m->name, 0) == 0)
		return (0);
	if (errno != ENOENT)
		return (-1);
	/* Renamed by a flag change, or deleted by another reader. */
	if (maildir_refind(md, m) == -1)
		return (0);
	if (unlinkat(md->curfd, m->name, 0) == -1 && errno != ENOENT)
		return (-1);
	return (0);
}

/*
 * Unlink what was marked, then make the unlinks durable.  A message
 * already gone is fine: another reader deleted it.  On an error the
 * messages unlinked so far stay deleted (there is no undoing unlink),
 * the rest stay, and the failure is logged.
 */
static int
maildir_update(struct maildrop *md, struct store_update *up)
{
	struct smsg	*m;
	size_t		 i;

	memset(up, 0, sizeof(*up));
	for (i = 0; i < md->nmsgs; i++) {
		m = &md->msgs[i];
		if (!m->deleted)
			continue;
		if (maildir_unlink(md, m) == -1) {
			log_warn("unlink cur/%s (%u deleted before)", m->name,
			    up->deleted);
			(void)fsync(md->curfd);
			return (STORE_ERR_TEMP);
		}
		up->deleted++;
		up->deleted_octets += m->size;
	}
	if (up->deleted > 0 && fsync(md->curfd) == -1) {
		log_warn("fsync cur");
		return (STORE_ERR_TEMP);
	}
	return (0);
}

static void
maildir_release(struct maildrop *md)
{
	if (md->curfd != -1)
		close(md->curfd);
	if (md->lockfd != -1)
		close(md->lockfd);
	md->curfd = md->lockfd = -1;
	maildrop_free(md);
}

const struct store_ops maildir_ops = {
	"maildir",
	maildir_scan,
	maildir_open,
	maildir_update,
	maildir_release,
};
