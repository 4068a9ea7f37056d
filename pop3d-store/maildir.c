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
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "xform.h"

/*
 * Maildir (cr.yp.to/proto/maildir.html).  New mail is moved to cur/ on
 * login, as other readers do; the base name (before ":2,") identifies a
 * message for its life, so it orders, names (UIDL) and keys the size
 * cache, and a flag change by another reader does not lose it.
 */

#define MAILDIR_INFO		":2,"
#define READ_CHUNK		65536

/* The base name's length: the file name before its ":2," flags. */
size_t
maildir_baselen(const char *name)
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

/* Message order: the seconds the name begins with, then the base name. */
static int
order_cmp(uint64_t sa, const char *a, size_t alen, uint64_t sb,
    const char *b, size_t blen)
{
	if (sa != sb)
		return (sa < sb ? -1 : 1);
	return (base_cmp(a, alen, b, blen));
}

/* Message order, then the whole name: a flag change does not reorder. */
static int
msg_cmp(const void *a, const void *b)
{
	const struct smsg	*ma = a, *mb = b;
	int			 c;

	if ((c = order_cmp(ma->stamp, ma->name, ma->baselen, mb->stamp,
	    mb->name, mb->baselen)) != 0)
		return (c);
	return (strcmp(ma->name, mb->name));
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
 * The first ",<tag>=<n>" of the base name with lo <= n <= hi: ",S=" is
 * the file's size and ",W=" the CRLF size, as delivery agents record
 * them.  ",W=" is trusted only if possible for the file: at least the
 * raw size, at most every byte an LF plus a final CRLF.
 */
static int
name_field(const char *name, const char *tag, uint64_t lo, uint64_t hi,
    uint64_t *v)
{
	const char	*base_end = name + maildir_baselen(name), *p, *e;
	size_t		 tlen = strlen(tag);
	uint64_t	 n;

	for (p = name; (p = strstr(p, tag)) != NULL && p < base_end;
	    p += tlen) {
		for (e = p + tlen; e < base_end && *e != ','; e++)
			;
		if (ulist_u64(p + tlen, e, &n) == -1 || n < lo || n > hi)
			continue;
		*v = n;
		return (0);
	}
	return (-1);
}

static int
name_wsize(const char *name, uint64_t raw, uint64_t *size)
{
	return (name_field(name, ",W=", raw, raw * 2 + 2, size));
}

/*
 * The UIDL list, pop3d-uidlist in the Maildir (uidlist.c), is also the
 * size cache: a header line, then a line a message in message order:
 * its file name in cur/, the file's size, the size sent and its UIDL.
 * The header records cur/ as it was when the list was made (inode,
 * mtime), and whether the list may stand for cur/ whole.  A
 * directory's mtime changes with every name added to, removed from or
 * renamed in it, so while cur/ keeps the recorded one, the list is
 * still cur/'s and a login needs neither readdir nor a stat a message.
 * Maildir files never change once delivered; RETR checks that anyway.
 * The size cache that came before it, pop3d-sizes, still gives sizes
 * the first time, and goes once the list is written.
 */
#define MAILDIR_SIZES		"pop3d-sizes"
#define MAILDIR_ULIST_TMP	ULIST_NAME ".XXXXXX"

/*
 * A list made while cur/ was changing may miss the change if it came
 * within the clock tick of the mtime seen, so it is trusted only once
 * cur/ has been quiet this long.
 */
#define CACHE_QUIET		2

static int
ent_cmp(const void *a, const void *b)
{
	const struct ulent	*ea = a, *eb = b;
	int			 c;

	if ((c = order_cmp(ea->stamp, ea->key, ea->keylen, eb->stamp,
	    eb->key, eb->keylen)) != 0)
		return (c);
	return (strcmp(ea->key, eb->key));
}

/* A name that is not one of cur/'s never comes out of the list. */
static int
cache_name_ok(const char *name)
{
	return (name[0] != '\0' && name[0] != '.' &&
	    strchr(name, '/') == NULL);
}

/*
 * In message order, each file name once; an older or damaged file is
 * sorted, and never trusted whole.
 */
static void
cache_order(struct ulist *c)
{
	size_t	i, j;

	for (i = j = 0; i < c->n; i++) {
		if (!cache_name_ok(c->ent[i].key)) {
			free(c->ent[i].key);
			c->bad++;
			continue;
		}
		c->ent[i].keylen = maildir_baselen(c->ent[i].key);
		c->ent[i].stamp = name_stamp(c->ent[i].key);
		c->ent[j++] = c->ent[i];
	}
	c->n = j;
	for (i = 1; i < c->n; i++)
		if (ent_cmp(&c->ent[i - 1], &c->ent[i]) >= 0)
			break;
	if (i >= c->n)
		return;
	c->bad++;
	qsort(c->ent, c->n, sizeof(*c->ent), ent_cmp);
	for (i = j = 0; i < c->n; i++) {
		if (j > 0 && strcmp(c->ent[j - 1].key, c->ent[i].key) == 0) {
			free(c->ent[i].key);
			continue;
		}
		c->ent[j++] = c->ent[i];
	}
	c->n = j;
}

/*
 * The list; if there is none, the older size cache for its sizes only
 * (*sizes set).  What was dropped or found missing is logged.
 */
static void
cache_load(struct maildrop *md, struct ulist *c, int *sizes)
{
	*sizes = 0;
	ulist_load(c, md->dirfd, ULIST_NAME, md->owner, 1);
	if (!c->found) {
		ulist_load(c, md->dirfd, MAILDIR_SIZES, md->owner, 0);
		if (c->found) {
			*sizes = 1;
			c->found = 0;
			c->hdr = 0;
			c->bad = 0;
		}
	}
	cache_order(c);
	if (*sizes)
		log_info("%s: none; UIDLs from the message names, as before "
		    "it, and sizes from %s", ULIST_NAME, MAILDIR_SIZES);
	else if (!c->found)
		log_info("%s: none; made from the message names (a first "
		    "login, or the list was lost)", ULIST_NAME);
	else if (c->bad)
		log_warnx("%s: damaged (%d lines or counts dropped); "
		    "rebuilt, the UIDLs of the messages it lost from their "
		    "names", ULIST_NAME, c->bad);
}

/* The header is the one that would be written for cur/ now. */
static int
cache_header_is(const struct ulist *c, const struct stat *st, int whole)
{
	return (c->hdr && c->whole == whole && !c->bad && c->count == c->n &&
	    c->ino == (uint64_t)st->st_ino &&
	    c->sec == (uint64_t)st->st_mtim.tv_sec &&
	    c->nsec == (uint64_t)st->st_mtim.tv_nsec);
}

/* The list stands for cur/ as fstat(2) sees it now. */
static int
cache_current(const struct ulist *c, const struct stat *st)
{
	size_t	i;

	if (!cache_header_is(c, st, 1))
		return (0);
	for (i = 0; i < c->n; i++)
		if (c->ent[i].uidl[0] == '\0')
			return (0);
	return (1);
}

/* Names that cannot be written as one list line are not listed. */
static int
cacheable(const char *name)
{
	return (cache_name_ok(name) && ulist_key_ok(name));
}

/* cur/ has not changed for CACHE_QUIET seconds. */
static int
cur_quiet(const struct stat *st)
{
	struct timespec	now;

	if (clock_gettime(CLOCK_REALTIME, &now) == -1)
		return (0);
	return (st->st_mtim.tv_sec <= now.tv_sec - CACHE_QUIET);
}

/*
 * Under the session lock, atomically (ulist_write()); a failure costs
 * the next login some reading, and the UIDLs given now to new
 * messages, which come from an epoch no later list reuses.  st is cur/
 * as it was before it was read.
 */
static void
cache_write(struct maildrop *md, struct ulist *c, const struct stat *st,
    int whole, int sizes)
{
	struct ulist	hdr;
	size_t		left;

	memset(&hdr, 0, sizeof(hdr));
	hdr.next = c->next;
	hdr.epoch = c->epoch;
	hdr.ino = st->st_ino;
	hdr.sec = st->st_mtim.tv_sec;
	hdr.nsec = st->st_mtim.tv_nsec;
	hdr.whole = whole;
	if (ulist_write(md->dirfd, ULIST_NAME, MAILDIR_ULIST_TMP, &hdr,
	    md->msgs, md->nmsgs, 0, &left) == -1)
		return;
	if (sizes && unlinkat(md->dirfd, MAILDIR_SIZES, 0) == -1 &&
	    errno != ENOENT)
		log_warn("unlink %s", MAILDIR_SIZES);
}

static void
size_emit(void *arg, const char *p, size_t n)
{
}

/*
 * The transmitted size and the raw length, read through the same
 * transform RETR uses.  A short read of a regular file is its end: on a
 * first login that saves a read(2) per message.  One buffer serves the
 * whole scan, since the store reads one message at a time.
 */
static int
size_compute(int fd, uint64_t *length, uint64_t *size)
{
	static char	 buf[READ_CHUNK];
	struct xform	 x;
	uint64_t	 raw = 0;
	ssize_t		 n;

	xform_init(&x, 0, 0, -1);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		raw += n;
		(void)xform_feed(&x, buf, n, size_emit, NULL);
		if ((size_t)n < sizeof(buf))
			break;
	}
	if (n == -1)
		return (-1);
	xform_finish(&x, size_emit, NULL);
	*length = raw;
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
	size_t		 len = maildir_baselen(m->name);
	int		 fd, found = 0;

	if ((fd = openat(md->curfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    base_cmp(de->d_name, maildir_baselen(de->d_name), m->name,
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

/*
 * O_NONBLOCK: a FIFO another program put in the place of a message
 * must not block the store at open(2); on a regular file it does
 * nothing, and reading anything else fails.
 */
static int
maildir_openmsg(struct maildrop *md, struct smsg *m)
{
	const int	flags = O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC;
	int		fd;

	fd = openat(md->curfd, m->name, flags);
	if (fd == -1 && errno == ENOENT && maildir_refind(md, m) == 0)
		fd = openat(md->curfd, m->name, flags);
	return (fd);
}

/*
 * The lock file of lock.c, which other nodes sharing the Maildir over
 * NFS see.  A pop3d.lock an older pop3d left (it used flock(2)) means
 * nothing now and is left alone.
 */
static int
maildir_lock(struct maildrop *md)
{
	if (mdlock_take(md->dirfd, &md->lockfd) == 0)
		return (0);
	md->lockfd = -1;
	if (errno == EWOULDBLOCK)
		return (STORE_ERR_INUSE);
	log_warn("lock %s", MDLOCK_NAME);
	return (STORE_ERR_TEMP);
}

/*
 * Every MAILDIR_LOCK_REFRESH: the lock touched, so that no node takes
 * it for a dead one's, and checked.  Once lost (broken, or removed),
 * this session deletes nothing: another may hold the maildrop now.
 */
static void
maildir_keep(struct maildrop *md)
{
	if (md->lockfd == -1 || md->lost)
		return;
	if (mdlock_touch(md->dirfd, md->lockfd) == -1) {
		md->lost = 1;
		if (errno != ESTALE)
			log_warn("%s", MDLOCK_NAME);
		log_warnx("%s lost (broken or removed): this session will "
		    "delete nothing", MDLOCK_NAME);
	}
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
	size_t		 moved = 0;
	int		 fd, rc;

	if (md->nomove)
		return (0);
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
		if (renameat(fd, de->d_name, md->curfd, to) == 0)
			moved++;
		else if (errno != ENOENT)
			log_warn("rename new/%s", de->d_name);
	}
	/*
	 * Before the list is given out: a server that crashes must not
	 * bring back in new/ what a client was told is in cur/.
	 */
	rc = 0;
	if (moved > 0 && (fsync(md->curfd) == -1 || fsync(dirfd(d)) == -1)) {
		log_warn("fsync after moving new/ to cur/");
		rc = -1;
	}
	closedir(d);
	return (rc);
}

/*
 * The size of a file in cur/: from its name's ",S=" if the directory
 * says it is a regular file, else from fstatat(2); -1 to skip it.
 */
static int
maildir_length(struct maildrop *md, struct dirent *de, uint64_t *length)
{
	struct stat	sb;

	if (de->d_type == DT_REG &&
	    name_field(de->d_name, ",S=", 0, UINT64_MAX, length) == 0)
		return (0);
	if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
		return (-1);
	if (fstatat(md->curfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(sb.st_mode))
		return (-1);
	*length = sb.st_size;
	return (0);
}

/* Every regular file in cur/; its size and delivery time. */
static int
maildir_list(struct maildrop *md)
{
	DIR		*d;
	struct dirent	*de;
	struct smsg	*m;
	uint64_t	 length;
	int		 fd, rc = 0;

	if ((fd = openat(md->curfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return (STORE_ERR_TEMP);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return (STORE_ERR_TEMP);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    maildir_length(md, de, &length) == -1)
			continue;
		if ((m = maildrop_add(md)) == NULL) {
			log_warnx("maildrop over %u messages, refused",
			    MAX_MAILBOX_MESSAGES);
			rc = STORE_ERR_PERM;
			break;
		}
		m->name = xstrdup(de->d_name);
		m->baselen = maildir_baselen(m->name);
		m->length = length;
		m->stamp = name_stamp(de->d_name);
	}
	closedir(d);
	return (rc);
}

static int
msg_pcmp(const void *a, const void *b)
{
	return (msg_cmp(*(struct smsg * const *)a,
	    *(struct smsg * const *)b));
}

/* Through pointers: moving whole entries made big maildrops slow. */
static void
maildir_sort(struct maildrop *md)
{
	struct smsg	**p, *sorted;
	size_t		  i;

	if (md->nmsgs < 2)
		return;
	p = xreallocarray(NULL, md->nmsgs, sizeof(*p));
	for (i = 0; i < md->nmsgs; i++)
		p[i] = &md->msgs[i];
	qsort(p, md->nmsgs, sizeof(*p), msg_pcmp);
	sorted = xreallocarray(NULL, md->msgcap, sizeof(*sorted));
	for (i = 0; i < md->nmsgs; i++)
		sorted[i] = *p[i];
	free(p);
	free(md->msgs);
	md->msgs = sorted;
}

/*
 * The size sent, by reading the message: 0, or -1 to drop it.  No
 * fstat(2): the directory said it was a regular file, and a read of
 * anything put in its place since then fails.
 */
static int
maildir_size(struct maildrop *md, struct smsg *m)
{
	int	fd, rc;

	if ((fd = maildir_openmsg(md, m)) == -1) {
		if (errno != ENOENT)
			log_warn("open cur/%s", m->name);
		return (-1);
	}
	if ((rc = size_compute(fd, &m->length, &m->size)) == -1)
		log_warn("read cur/%s", m->name);
	close(fd);
	return (rc);
}

/*
 * Sizes from ",W=", else from the list when it was made for a file of
 * this raw size, else by reading the file.  A message that vanished or
 * cannot be read is left out of this session's list (match[] follows).
 * Returns whether the list holds exactly these messages as they are;
 * *dropped says if any was left out.
 */
static int
maildir_sizes(struct maildrop *md, struct ulist *c, struct ulent **match,
    int *dropped)
{
	struct ulent	*e;
	struct smsg	*m;
	size_t		 i, j, used = 0;
	int		 same = !c->bad;

	*dropped = 0;
	for (i = j = 0; i < md->nmsgs; i++) {
		m = &md->msgs[i];
		e = match[i];
		if (name_wsize(m->name, m->length, &m->size) == 0)
			;
		else if (e != NULL && e->raw == m->length)
			m->size = e->size;
		else if (maildir_size(md, m) == -1) {
			free(m->name);
			*dropped = 1;
			same = 0;
			continue;
		}
		if (e == NULL || strcmp(e->key, m->name) != 0 ||
		    e->raw != m->length || e->size != m->size ||
		    e->uidl[0] == '\0')
			same = 0;
		if (e != NULL)
			used++;
		match[j] = e;
		md->msgs[j++] = *m;
	}
	md->nmsgs = j;
	return (same && used == c->n);
}

/* The list as it is; cur/ was not read. */
static int
maildir_from_cache(struct maildrop *md, struct ulist *c)
{
	struct ulent	*e;
	struct smsg	*m;
	size_t		 i;

	if (c->n > md->msgcap && c->n <= MAX_MAILBOX_MESSAGES) {
		md->msgs = xreallocarray(md->msgs, c->n, sizeof(*md->msgs));
		md->msgcap = c->n;
	}
	for (i = 0; i < c->n; i++) {
		e = &c->ent[i];
		if ((m = maildrop_add(md)) == NULL) {
			log_warnx("maildrop over %u messages, refused",
			    MAX_MAILBOX_MESSAGES);
			return (STORE_ERR_PERM);
		}
		strlcpy(m->uidl, e->uidl, sizeof(m->uidl));
		m->name = e->key;
		e->key = NULL;
		m->baselen = e->keylen;
		m->stamp = e->stamp;
		m->length = e->raw;
		m->size = e->size;
	}
	md->ulnext = c->next;
	md->ulepoch = c->epoch;
	return (0);
}

/*
 * The UIDL a message had before there was a list: its base name, or
 * the MD5 of a base name that cannot be one.
 */
static void
maildir_name_uidl(struct smsg *m)
{
	MD5_CTX	ctx;
	size_t	len = maildir_baselen(m->name);

	if (uidl_valid(m->name, len)) {
		memcpy(m->uidl, m->name, len);
		m->uidl[len] = '\0';
		return;
	}
	MD5Init(&ctx);
	MD5Update(&ctx, (const uint8_t *)m->name, len);
	MD5End(&ctx, m->uidl);
}

/*
 * Each message's UIDL: the list's, else as before there was a list if
 * that is fresh, else the counter's.  A base name is never delivered
 * twice, so one that no entry holds was never a UIDL here, and a list
 * that is lost comes back with the same UIDLs.  With no list at all, the UIDLs
 * are exactly the ones before it (duplicates numbered by position),
 * so that an upgrade makes no client fetch its mail again.  Returns
 * how many were new.
 */
static size_t
maildir_uidls(struct maildrop *md, struct ulist *c, struct ulent **match)
{
	size_t	i;

	for (i = 0; i < md->nmsgs; i++)
		if (match[i] == NULL || match[i]->uidl[0] == '\0')
			maildir_name_uidl(&md->msgs[i]);
	if (!c->found)
		uidl_unique(md->msgs, md->nmsgs);
	return (ulist_assign(c, md->msgs, md->nmsgs, match, 1));
}

/* Read cur/, and write the list again if it changed. */
static int
maildir_read(struct maildrop *md, struct ulist *c, const struct stat *st,
    int sizes)
{
	struct ulent	**match;
	size_t		  i, fresh;
	int		  rc, same, dropped, whole;

	if ((rc = maildir_list(md)) != 0)
		return (rc);
	maildir_sort(md);
	match = xcalloc(md->nmsgs ? md->nmsgs : 1, sizeof(*match));
	ulist_match(c, md->msgs, md->nmsgs, maildir_baselen, match);
	same = maildir_sizes(md, c, match, &dropped);
	fresh = maildir_uidls(md, c, match);
	free(match);
	md->ulnext = c->next;
	md->ulepoch = c->epoch;
	if (md->noulist)
		return (0);
	whole = !dropped && cur_quiet(st);
	for (i = 0; i < md->nmsgs && whole; i++)
		if (!cacheable(md->msgs[i].name))
			whole = 0;
	if (!same || fresh > 0 || !cache_header_is(c, st, whole))
		cache_write(md, c, st, whole, sizes);
	return (0);
}

static int
maildir_scan(struct maildrop *md)
{
	struct ulist	c;
	struct stat	st;
	int		rc, sizes;

	if ((rc = maildir_lock(md)) != 0)
		return (rc);
	/* Only the lock holder writes the list: the rest are stale. */
	sweep_stale(md->dirfd, ULIST_NAME ".", md->owner, 0);
	sweep_stale(md->dirfd, MAILDIR_SIZES ".", md->owner, 0);
	if ((md->curfd = maildir_opendir(md->dirfd, "cur", 1)) == -1) {
		log_warn("open cur");
		return (STORE_ERR_TEMP);
	}
	if (maildir_move_new(md) == -1) {
		log_warn("move new");
		return (STORE_ERR_TEMP);
	}
	/* Before reading cur/: a change while we read makes it stale. */
	if (fstat(md->curfd, &st) == -1) {
		log_warn("fstat cur");
		return (STORE_ERR_TEMP);
	}
	cache_load(md, &c, &sizes);
	if (cache_current(&c, &st))
		rc = maildir_from_cache(md, &c);
	else
		rc = maildir_read(md, &c, &st, sizes);
	ulist_free(&c);
	if (rc != 0)
		return (rc);
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
	/* Changed in place, which Maildir forbids: send what is there. */
	if ((uint64_t)sb.st_size != m->length) {
		log_warnx("cur/%s: %llu bytes, not %llu as at login", m->name,
		    (unsigned long long)sb.st_size,
		    (unsigned long long)m->length);
		if (size_compute(fd, &m->length, &m->size) == -1 ||
		    lseek(fd, 0, SEEK_SET) == -1) {
			close(fd);
			return (-1);
		}
	}
	*offset = 0;
	*length = m->length;
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
	if (md->lockfd != -1 && (md->lost ||
	    mdlock_check(md->dirfd, md->lockfd) == -1)) {
		if (!md->lost && errno != ESTALE)
			log_warn("%s", MDLOCK_NAME);
		log_warnx("%s lost during the session: nothing deleted",
		    MDLOCK_NAME);
		return (STORE_ERR_TEMP);
	}
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
	mdlock_release(md->dirfd, md->lockfd);
	md->curfd = md->lockfd = -1;
	maildrop_free(md);
}

const struct store_ops maildir_ops = {
	"maildir",
	maildir_scan,
	maildir_open,
	maildir_update,
	maildir_release,
	maildir_keep,
};
