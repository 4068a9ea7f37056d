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

#include <errno.h>
#include <fcntl.h>
#include <md5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "store.h"
#include "xform.h"

/*
 * mbox in its mboxrd reading: a message starts with a "From " line at
 * the start of the file or after a blank line; that blank line is a
 * separator, not message text.  Deliveries use ">From " quoting, which
 * xform undoes while sending.  The MTA appends under a dot lock plus an
 * fcntl lock, so we take both while reading or rewriting the file, and
 * hold only flock(2) between our own sessions in between.
 */

#define MBOX_BUF	(128 * 1024)
/* Bytes of a line start we look at: "From ", and a whole X-UIDL line. */
#define MBOX_PEEK	1024
#define MBOX_FEED	0x1
#define MBOX_HASH	0x2
#define MBOX_KEY	0x4

struct mparse {
	struct maildrop	*md;
	int		 fd;
	char		*buf;
	size_t		 start;		/* unparsed: buf[start .. end) */
	size_t		 end;
	uint64_t	 base;		/* file offset of buf[0] */
	uint64_t	 fsize;		/* index this much */
	/* the message being indexed */
	int		 open;
	size_t		 cur;
	struct xform	 x;
	MD5_CTX		 md5;		/* UIDL before the list: From_, header */
	MD5_CTX		 key;		/* the list's key: all but volatile */
	int		 inheader;
	int		 volatile_hdr;	/* the header line is one of those */
	int		 xuidl;		/* a usable X-UIDL was found */
	int		 blank;		/* the last line was blank: held back */
	uint64_t	 blankoff;
	char		 blankbuf[2];
	size_t		 blanklen;
};

static void
size_emit(void *arg, const char *p, size_t n)
{
}

/* At least need bytes unparsed, unless the file ends first. */
static int
mp_fill(struct mparse *mp, size_t need)
{
	uint64_t	off;
	size_t		want;
	ssize_t		n;

	if (mp->end - mp->start >= need)
		return (0);
	memmove(mp->buf, mp->buf + mp->start, mp->end - mp->start);
	mp->base += mp->start;
	mp->end -= mp->start;
	mp->start = 0;
	while (mp->end < need && (off = mp->base + mp->end) < mp->fsize) {
		want = MBOX_BUF - mp->end;
		if (want > mp->fsize - off)
			want = mp->fsize - off;
		n = pread(mp->fd, mp->buf + mp->end, want, off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* Shorter than fstat said: someone truncated it. */
			if (n == 0)
				errno = EIO;
			return (-1);
		}
		mp->end += n;
	}
	return (0);
}

/* Consume one line, however long, up to and including its LF. */
static int
mp_line(struct mparse *mp, int what)
{
	const char	*p, *nl;
	size_t		 n;

	for (;;) {
		if (mp_fill(mp, 1) == -1)
			return (-1);
		if (mp->start == mp->end)
			return (0);
		p = mp->buf + mp->start;
		nl = memchr(p, '\n', mp->end - mp->start);
		n = nl ? (size_t)(nl - p) + 1 : mp->end - mp->start;
		if (what & MBOX_FEED)
			(void)xform_feed(&mp->x, p, n, size_emit, NULL);
		if (what & MBOX_HASH)
			MD5Update(&mp->md5, (const uint8_t *)p, n);
		if (what & MBOX_KEY)
			MD5Update(&mp->key, (const uint8_t *)p, n);
		mp->start += n;
		if (nl != NULL)
			return (0);
	}
}

/* "X-UIDL: value" with a value RFC 1939 allows; only the first counts. */
static void
mp_xuidl(struct mparse *mp, const char *p, size_t avail)
{
	const char	*nl, *v, *e;
	struct smsg	*m = &mp->md->msgs[mp->cur];

	if (!mp->md->xuidl || mp->xuidl || avail < 7 || strncasecmp(p, "X-UIDL:", 7) != 0)
		return;
	if ((nl = memchr(p, '\n', avail)) == NULL)
		return;
	for (v = p + 7; v < nl && (*v == ' ' || *v == '\t'); v++)
		;
	for (e = nl; e > v && (e[-1] == '\r' || e[-1] == ' ' ||
	    e[-1] == '\t'); e--)
		;
	if (!uidl_valid(v, e - v))
		return;
	memcpy(m->uidl, v, e - v);
	m->uidl[e - v] = '\0';
	mp->xuidl = 1;
}

static void
mp_msg_end(struct mparse *mp, uint64_t end)
{
	struct smsg	*m;

	if (!mp->open)
		return;
	m = &mp->md->msgs[mp->cur];
	m->length = end - m->offset;
	xform_finish(&mp->x, size_emit, NULL);
	m->size = mp->x.out;
	if (!mp->xuidl)
		MD5End(&mp->md5, m->uidl);
	else
		MD5Init(&mp->md5);	/* nothing to leak, but ended */
	m->name = xcalloc(1, MD5_DIGEST_STRING_LENGTH);
	MD5End(&mp->key, m->name);
	mp->open = 0;
}

/*
 * Header fields that mail readers rewrite in place to keep their own
 * state (read, answered, flagged, keywords, their IMAP UIDs, lengths
 * that change with those): no part of a message's identity.
 */
static const char *const volatile_fields[] = {
	"Status", "X-Status", "X-Keywords", "X-UID", "X-IMAP", "X-IMAPbase",
	"Content-Length", "Lines",
};

static int
mp_volatile(const char *p, size_t avail)
{
	size_t	i, len;

	for (i = 0; i < sizeof(volatile_fields) / sizeof(volatile_fields[0]);
	    i++) {
		len = strlen(volatile_fields[i]);
		if (avail > len && p[len] == ':' &&
		    strncasecmp(p, volatile_fields[i], len) == 0)
			return (1);
	}
	return (0);
}

/* A From_ line: the previous message ends before its separator. */
static int
mp_msg_begin(struct mparse *mp)
{
	struct smsg	*m;
	uint64_t	 off = mp->base + mp->start;

	mp_msg_end(mp, mp->blank ? mp->blankoff : off);
	mp->blank = 0;
	if ((m = maildrop_add(mp->md)) == NULL) {
		log_warnx("%s: over %u messages, refused", mp->md->name,
		    MAX_MAILBOX_MESSAGES);
		return (STORE_ERR_PERM);
	}
	mp->cur = mp->md->nmsgs - 1;
	mp->open = 1;
	m->from = off;
	xform_init(&mp->x, 1, 0, -1);
	MD5Init(&mp->md5);
	MD5Init(&mp->key);
	mp->inheader = 1;
	mp->volatile_hdr = 0;
	mp->xuidl = 0;
	if (mp_line(mp, MBOX_HASH | MBOX_KEY) == -1)
		return (STORE_ERR_TEMP);
	m->offset = mp->base + mp->start;
	return (0);
}

/* One line that is not a From_ line. */
static int
mp_text(struct mparse *mp)
{
	const char	*p = mp->buf + mp->start, *nl;
	size_t		 avail = mp->end - mp->start;

	if (mp->blank) {
		(void)xform_feed(&mp->x, mp->blankbuf, mp->blanklen,
		    size_emit, NULL);
		MD5Update(&mp->key, (const uint8_t *)mp->blankbuf,
		    mp->blanklen);
		mp->blank = 0;
	}
	nl = memchr(p, '\n', avail);
	if (nl != NULL && (nl == p || (nl == p + 1 && p[0] == '\r'))) {
		/* A separator if a From_ line follows; decided then. */
		mp->inheader = 0;
		mp->blank = 1;
		mp->blankoff = mp->base + mp->start;
		mp->blanklen = nl - p + 1;
		memcpy(mp->blankbuf, p, mp->blanklen);
		mp->start += mp->blanklen;
		return (0);
	}
	if (!mp->inheader)
		return (mp_line(mp, MBOX_FEED | MBOX_KEY));
	mp_xuidl(mp, p, avail);
	/* A folded line belongs to the field before it. */
	if (avail > 0 && p[0] != ' ' && p[0] != '\t')
		mp->volatile_hdr = mp_volatile(p, avail);
	return (mp_line(mp, MBOX_FEED | MBOX_HASH |
	    (mp->volatile_hdr ? 0 : MBOX_KEY)));
}

static int
mbox_parse(struct maildrop *md, int fd, uint64_t fsize)
{
	struct mparse	 mp;
	const char	*p;
	uint64_t	 off;
	int		 from, rc = 0;

	memset(&mp, 0, sizeof(mp));
	mp.md = md;
	mp.fd = fd;
	mp.fsize = fsize;
	mp.buf = xcalloc(1, MBOX_BUF);
	while (rc == 0) {
		if (mp_fill(&mp, MBOX_PEEK) == -1) {
			log_warn("read %s", md->name);
			rc = STORE_ERR_TEMP;
			break;
		}
		if (mp.start == mp.end)
			break;
		p = mp.buf + mp.start;
		off = mp.base + mp.start;
		from = (off == 0 || mp.blank) && mp.end - mp.start >= 5 &&
		    memcmp(p, "From ", 5) == 0;
		if (off == 0 && !from) {
			log_warnx("%s: not an mbox: no From_ line at the start",
			    md->name);
			rc = STORE_ERR_PERM;
		} else if (from)
			rc = mp_msg_begin(&mp);
		else if (mp_text(&mp) == -1) {
			log_warn("read %s", md->name);
			rc = STORE_ERR_TEMP;
		}
	}
	/* The last message: one trailing blank line is not its text. */
	if (rc == 0)
		mp_msg_end(&mp, mp.blank ? mp.blankoff : fsize);
	free(mp.buf);
	return (rc);
}

/* "." NAME and tmpl without its XXXXXX, or "" if that is too long. */
static void
mbox_tmp_prefix(struct maildrop *md, const char *tmpl, char *buf,
    size_t sz)
{
	if ((size_t)snprintf(buf, sz, ".%s%.*s", md->name,
	    (int)(strlen(tmpl) - 6), tmpl) >= sz)
		buf[0] = '\0';
}

/*
 * Under the dot lock and the fcntl lock no rewrite of ours is running
 * and no dot lock attempt of ours can succeed: the temporary files of
 * both that are left belong to stores that were killed.  A waiter for
 * the lock whose attempt is swept tries again (dotlock_try).
 */
static void
mbox_sweep(struct maildrop *md)
{
	char	prefix[NAME_MAX + 1];

	mbox_tmp_prefix(md, MBOX_TMP, prefix, sizeof(prefix));
	if (prefix[0] != '\0')
		sweep_stale(md->dirfd, prefix, md->owner, 0);
	mbox_tmp_prefix(md, DOTLOCK_TMP, prefix, sizeof(prefix));
	if (prefix[0] != '\0')
		sweep_stale(md->dirfd, prefix, md->owner, 0);
	mbox_tmp_prefix(md, ULIST_SUFFIX ".XXXXXX", prefix, sizeof(prefix));
	if (prefix[0] != '\0')
		sweep_stale(md->dirfd, prefix, md->owner, 0);
}

static int
mbox_lock(struct maildrop *md, int fd)
{
	if (dotlock_take(md->dirfd, md->name) == -1) {
		log_warn("%s: dot lock", md->name);
		return (-1);
	}
	if (lock_fcntl(fd) == -1) {
		log_warn("%s: fcntl lock", md->name);
		dotlock_release(md->dirfd, md->name);
		return (-1);
	}
	return (0);
}

static void
mbox_unlock(struct maildrop *md, int fd)
{
	unlock_fcntl(fd);
	dotlock_release(md->dirfd, md->name);
}

/* Still the file we opened, not one renamed over it meanwhile. */
static int
mbox_same(struct maildrop *md, struct stat *sb)
{
	struct stat	cur;

	if (fstatat(md->dirfd, md->name, &cur, 0) == -1)
		return (0);
	return (cur.st_dev == sb->st_dev && cur.st_ino == sb->st_ino);
}

/*
 * The UIDL list beside the mbox, ".NAME.pop3d-uidlist" (pop3d-store(8)):
 * each message's key is the MD5 of its From_ line, header and body less
 * the fields mail readers rewrite, so a Status: change keeps it; copies
 * that are byte for byte the same share a key and keep their entries
 * in turn.  0, or -1 if the name would be too long.
 */
static int
mbox_list_name(struct maildrop *md, char *buf, size_t sz, int tmp)
{
	if ((size_t)snprintf(buf, sz, ".%s%s%s", md->name, ULIST_SUFFIX,
	    tmp ? ".XXXXXX" : "") >= sz)
		return (-1);
	return (0);
}

static size_t
key_len(const char *key)
{
	return (strlen(key));
}

/* The list rewritten for the messages now, without deleted ones. */
static int
mbox_list_write(struct maildrop *md, int skipdel)
{
	char		name[NAME_MAX + 1], tmp[NAME_MAX + 1];
	struct ulist	hdr;
	size_t		left;

	if (!md->ulok || mbox_list_name(md, name, sizeof(name), 0) == -1 ||
	    mbox_list_name(md, tmp, sizeof(tmp), 1) == -1)
		return (-1);
	memset(&hdr, 0, sizeof(hdr));
	hdr.next = md->ulnext;
	hdr.epoch = md->ulepoch;
	return (ulist_write(md->dirfd, name, tmp, &hdr, md->msgs, md->nmsgs,
	    skipdel, &left));
}

/*
 * Each message's UIDL from the list, else the counter's.  With no list,
 * exactly the UIDLs before it (the digest of the From_ line and header,
 * or the X-UIDL where those are allowed, duplicates numbered), so an
 * upgrade re-sends nothing.  Once there is a list, a new message's
 * digest may be one a deleted copy had, which a client has seen: the
 * counter's are new by construction.  The
 * list is written again when anything in it changed; one that cannot
 * be written costs the UIDLs given today, logged.
 */
static void
mbox_uidls(struct maildrop *md)
{
	char		  name[NAME_MAX + 1];
	struct ulist	  l;
	struct ulent	**match;
	size_t		  i, fresh;
	int		  same;

	memset(&l, 0, sizeof(l));
	if (mbox_list_name(md, name, sizeof(name), 0) == -1)
		log_warnx("%s: name too long for a UIDL list beside it",
		    md->name);
	else {
		ulist_load(&l, md->dirfd, name, md->owner, 1);
		md->ulok = 1;
	}
	if (!l.found && md->ulok)
		log_info("%s: none; made from the messages (a first login, "
		    "or the list was lost)", name);
	else if (l.bad)
		log_warnx("%s: damaged (%d lines or counts dropped); "
		    "rebuilt, the UIDLs of the messages it lost from their "
		    "digests", name, l.bad);
	match = xcalloc(md->nmsgs ? md->nmsgs : 1, sizeof(*match));
	ulist_match(&l, md->msgs, md->nmsgs, key_len, match);
	if (!l.found)
		uidl_unique(md->msgs, md->nmsgs);
	same = l.found && !l.bad && l.hdr && l.n == md->nmsgs;
	for (i = 0; i < md->nmsgs && same; i++)
		if (match[i] != &l.ent[i])
			same = 0;
	fresh = ulist_assign(&l, md->msgs, md->nmsgs, match, !l.found);
	free(match);
	md->ulnext = l.next;
	md->ulepoch = l.epoch;
	ulist_free(&l);
	if ((!same || fresh > 0) && md->ulok && !md->noulist &&
	    mbox_list_write(md, 0) == -1) {
		log_warnx("%s: the UIDLs given now are not kept", md->name);
		md->ulok = 0;
	}
}

static int
mbox_index(struct maildrop *md, int fd)
{
	struct stat	sb;
	int		rc;

	if (fstat(fd, &sb) == -1) {
		log_warn("fstat %s", md->name);
		return (STORE_ERR_TEMP);
	}
	if (!S_ISREG(sb.st_mode) || sb.st_uid != md->owner) {
		log_warnx("%s: not a regular file owned by uid %lu", md->name,
		    (unsigned long)md->owner);
		return (STORE_ERR_PERM);
	}
	if (!mbox_same(md, &sb)) {
		log_warnx("%s: replaced while locking", md->name);
		return (STORE_ERR_TEMP);
	}
	if ((uint64_t)sb.st_size > MAX_MAILBOX_BYTES) {
		log_warnx("%s: over %llu bytes, refused", md->name,
		    (unsigned long long)MAX_MAILBOX_BYTES);
		return (STORE_ERR_PERM);
	}
	md->dev = sb.st_dev;
	md->ino = sb.st_ino;
	md->scanned = sb.st_size;
	if ((rc = mbox_parse(md, fd, md->scanned)) != 0)
		return (rc);
	mbox_uidls(md);
	return (maildrop_caps(md));
}

/*
 * A missing mbox is an empty maildrop: the MTA creates it with the
 * first delivery.
 */
static int
mbox_scan(struct maildrop *md)
{
	int	rc;

	md->mboxrd = 1;
	if ((md->lockfd = openat(md->dirfd, md->name, O_RDWR |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return (0);
		log_warn("open %s", md->name);
		return (STORE_ERR_TEMP);
	}
	if (lock_flock(md->lockfd) == -1) {
		if (errno == EWOULDBLOCK)
			return (STORE_ERR_INUSE);
		log_warn("flock %s", md->name);
		return (STORE_ERR_TEMP);
	}
	if (mbox_lock(md, md->lockfd) == -1)
		return (STORE_ERR_TEMP);
	/* At login only: the spool may be big, and QUIT makes none. */
	mbox_sweep(md);
	rc = mbox_index(md, md->lockfd);
	mbox_unlock(md, md->lockfd);
	return (rc);
}

/* Our From_ line is still where we found it. */
static int
mbox_check_from(struct maildrop *md, int fd, struct smsg *m)
{
	char	buf[5];

	return (pread(fd, buf, sizeof(buf), m->from) == sizeof(buf) &&
	    memcmp(buf, "From ", sizeof(buf)) == 0);
}

static int
mbox_open(struct maildrop *md, struct smsg *m, uint64_t *offset,
    uint64_t *length)
{
	struct stat	sb;
	int		fd;

	if ((fd = openat(md->dirfd, md->name, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("open %s", md->name);
		return (-1);
	}
	if (fstat(fd, &sb) == -1 || sb.st_dev != md->dev ||
	    sb.st_ino != md->ino ||
	    (uint64_t)sb.st_size < m->offset + m->length ||
	    !mbox_check_from(md, fd, m)) {
		log_warnx("%s: changed by another program since login",
		    md->name);
		close(fd);
		return (-1);
	}
	*offset = m->offset;
	*length = m->length;
	return (fd);
}

static int
copy_range(int from, int to, uint64_t start, uint64_t end, char *buf)
{
	ssize_t	n;
	size_t	want;

	while (start < end) {
		want = end - start < MBOX_BUF ? end - start : MBOX_BUF;
		if ((n = pread(from, buf, want, start)) == -1 &&
		    errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return (-1);
		}
		if (write_all(to, buf, n) == -1)
			return (-1);
		start += n;
	}
	return (0);
}

/*
 * The kept messages, each from its From_ line through its separator,
 * then whatever was delivered after we indexed.
 */
static int
mbox_copy(struct maildrop *md, int to, uint64_t size)
{
	struct smsg	*m;
	uint64_t	 end;
	size_t		 i;
	char		*buf;
	int		 rc = 0;

	buf = xcalloc(1, MBOX_BUF);
	for (i = 0; i < md->nmsgs && rc == 0; i++) {
		m = &md->msgs[i];
		if (m->deleted)
			continue;
		end = i + 1 < md->nmsgs ? md->msgs[i + 1].from : md->scanned;
		rc = copy_range(md->lockfd, to, m->from, end, buf);
	}
	if (rc == 0)
		rc = copy_range(md->lockfd, to, md->scanned, size, buf);
	free(buf);
	return (rc);
}

/* Someone else rewrote the file since we indexed it: touch nothing. */
static int
mbox_unchanged(struct maildrop *md, struct stat *sb)
{
	size_t	i;

	if (fstat(md->lockfd, sb) == -1 || !mbox_same(md, sb) ||
	    (uint64_t)sb->st_size < md->scanned)
		return (0);
	for (i = 0; i < md->nmsgs; i++)
		if (!mbox_check_from(md, md->lockfd, &md->msgs[i]))
			return (0);
	return (1);
}

/*
 * Write the new mbox beside the old one and rename it over: a crash at
 * any point leaves one or the other whole.  The new file gets the old
 * one's mode and group.
 */
static int
mbox_rewrite(struct maildrop *md, struct stat *sb)
{
	char	tmp[NAME_MAX + 1];
	int	fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), ".%s" MBOX_TMP,
	    md->name) >= sizeof(tmp))
		strlcpy(tmp, MBOX_TMP, sizeof(tmp));
	if ((fd = mkstempat(md->dirfd, tmp)) == -1) {
		log_warn("%s: temporary file", md->name);
		return (-1);
	}
	if (mbox_copy(md, fd, sb->st_size) == -1 || fsync(fd) == -1 ||
	    (fchown(fd, -1, sb->st_gid) == -1 && errno != EPERM) ||
	    fchmod(fd, sb->st_mode & 07777) == -1) {
		log_warn("%s: write %s", md->name, tmp);
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		log_warn("%s: write %s", md->name, tmp);
		goto fail;
	}
	fd = -1;
	if (renameat(md->dirfd, tmp, md->dirfd, md->name) == -1) {
		log_warn("%s: rename %s", md->name, tmp);
		goto fail;
	}
	if (fsync(md->dirfd) == -1)
		log_warn("%s: fsync directory", md->name);
	return (0);
 fail:
	if (fd != -1)
		close(fd);
	unlinkat(md->dirfd, tmp, 0);
	return (-1);
}

static int
mbox_update(struct maildrop *md, struct store_update *up)
{
	struct stat	sb;
	size_t		i;
	int		rc = 0;

	memset(up, 0, sizeof(*up));
	for (i = 0; i < md->nmsgs; i++)
		if (md->msgs[i].deleted) {
			up->deleted++;
			up->deleted_octets += md->msgs[i].size;
		}
	if (up->deleted == 0)
		return (0);
	if (mbox_lock(md, md->lockfd) == -1)
		rc = -1;
	else {
		if (!mbox_unchanged(md, &sb)) {
			log_warnx("%s: rewritten by another program since "
			    "login, nothing deleted", md->name);
			rc = -1;
		} else {
			/*
			 * The list first: a crash between the two leaves
			 * a list that lacks the deleted messages' entries,
			 * so they come back with new UIDLs (fetched once
			 * more), never one taking a kept message's.
			 */
			(void)mbox_list_write(md, 1);
			if ((rc = mbox_rewrite(md, &sb)) == -1)
				(void)mbox_list_write(md, 0);
		}
		mbox_unlock(md, md->lockfd);
	}
	if (rc == -1) {
		memset(up, 0, sizeof(*up));
		return (STORE_ERR_TEMP);
	}
	return (0);
}

static void
mbox_release(struct maildrop *md)
{
	if (md->lockfd != -1)
		close(md->lockfd);
	md->lockfd = -1;
	maildrop_free(md);
}

const struct store_ops mbox_ops = {
	"mbox",
	mbox_scan,
	mbox_open,
	mbox_update,
	mbox_release,
	NULL,
};
