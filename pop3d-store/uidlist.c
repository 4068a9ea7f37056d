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
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

/*
 * The UIDL list, the one file a maildrop keeps for pop3d (its format
 * is in pop3d-store(8)).  A UIDL is given to a message the first time
 * a store sees it and the list keeps it: a message found again under
 * its key gets the UIDL the list has, whatever its flags or Status:
 * header say now.  A new message gets the UIDL it would have had
 * before there was a list, if no entry holds it, else one from the
 * counter, which only counts up, under an epoch that a rebuilt list
 * changes, so a UIDL the counter gave is never given again.
 */

#define ULIST_MAGIC	"pop3d-uidlist 1 "
#define SIZES_MAGIC	"pop3d-sizes 2 "
#define READ_CHUNK	65536

void
ulist_free(struct ulist *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->ent[i].key);
	free(l->ent);
	memset(l, 0, sizeof(*l));
}

/*
 * Decimal digits [p, end); -1 if none or on overflow.  The numbers of
 * the list and of a Maildir name (,S= and ,W=) alike.
 */
int
ulist_u64(const char *p, const char *end, uint64_t *v)
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

/*
 * "pop3d-uidlist 1 next epoch count inode sec nsec whole", or the size
 * cache that came before it, "pop3d-sizes 2 count inode sec nsec
 * whole", which has no UIDLs and is never trusted whole.
 */
int
ulist_header(struct ulist *l, const char *line)
{
	uint64_t	 v[7];
	const char	*p, *sp;
	int		 i, n, sizes = 0;

	if (strncmp(line, ULIST_MAGIC, strlen(ULIST_MAGIC)) == 0) {
		p = line + strlen(ULIST_MAGIC);
		n = 7;
	} else if (strncmp(line, SIZES_MAGIC, strlen(SIZES_MAGIC)) == 0) {
		p = line + strlen(SIZES_MAGIC);
		n = 5;
		sizes = 1;
	} else
		return (-1);
	for (i = 0; i < n; i++) {
		if ((sp = strpbrk(p, " \n")) == NULL ||
		    ulist_u64(p, sp, &v[i]) == -1)
			return (-1);
		p = sp + 1;
	}
	if (p[-1] != '\n' || *p != '\0' || v[n - 1] > 1)
		return (-1);
	if (sizes) {
		l->count = v[0];
		l->ino = v[1];
		l->sec = v[2];
		l->nsec = v[3];
		return (0);
	}
	if (v[0] == 0 || v[1] == 0)
		return (-1);
	l->next = v[0];
	l->epoch = v[1];
	l->count = v[2];
	l->ino = v[3];
	l->sec = v[4];
	l->nsec = v[5];
	l->whole = v[6];
	l->hdr = 1;
	return (0);
}

/*
 * "key raw size uidl": split at the last three spaces, so that a key
 * may hold spaces; in the older size cache "key raw size".  -1 for a
 * line that is not one.
 */
int
ulist_line(struct ulist *l, char *line, int withuidl)
{
	char		*end, *sp[3];
	struct ulent	*e;
	size_t		 klen, ulen;
	int		 i, nsp = withuidl ? 3 : 2;

	if ((end = strchr(line, '\n')) == NULL || end[1] != '\0')
		return (-1);
	*end = '\0';
	for (i = nsp - 1; i >= 0; i--) {
		if ((sp[i] = strrchr(line, ' ')) == NULL || sp[i] == line)
			return (-1);
		*sp[i] = '\0';
	}
	if (!withuidl)
		sp[2] = end;
	klen = sp[0] - line;
	ulen = withuidl ? strlen(sp[2] + 1) : 0;
	if (withuidl && !uidl_valid(sp[2] + 1, ulen))
		return (-1);
	if (l->n >= UIDLIST_ENTRIES_MAX)
		return (-1);
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->ent = xreallocarray(l->ent, l->cap, sizeof(*l->ent));
	}
	e = &l->ent[l->n];
	memset(e, 0, sizeof(*e));
	if (ulist_u64(sp[0] + 1, sp[1], &e->raw) == -1 ||
	    ulist_u64(sp[1] + 1, sp[2], &e->size) == -1)
		return (-1);
	/* One allocation: the key, then its UIDL ("" for none). */
	e->key = xreallocarray(NULL, 1, klen + 1 + ulen + 1);
	memcpy(e->key, line, klen + 1);
	e->uidl = e->key + klen + 1;
	memcpy(e->uidl, withuidl ? sp[2] + 1 : "", ulen + 1);
	e->keylen = klen;
	l->n++;
	return (0);
}

/*
 * A set of strings, open addressing; sized by the caller for at most
 * half full.  It holds pointers, so the strings must outlive it.
 */
struct sset {
	const char	**slot;
	size_t		  mask;
};

static uint64_t
str_hash(const char *s, size_t len)
{
	uint64_t	h = 0xcbf29ce484222325ULL;
	size_t		i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return (h);
}

static void
sset_init(struct sset *s, size_t n)
{
	size_t	cap = 16;

	while (cap < 2 * n + 2)
		cap *= 2;
	s->slot = xcalloc(cap, sizeof(*s->slot));
	s->mask = cap - 1;
}

/* 1 if str was added, 0 if the set had it. */
static int
sset_add(struct sset *s, const char *str)
{
	size_t	i;

	for (i = str_hash(str, strlen(str)) & s->mask; s->slot[i] != NULL;
	    i = (i + 1) & s->mask)
		if (strcmp(s->slot[i], str) == 0)
			return (0);
	s->slot[i] = str;
	return (1);
}

static int
sset_has(struct sset *s, const char *str)
{
	size_t	i;

	for (i = str_hash(str, strlen(str)) & s->mask; s->slot[i] != NULL;
	    i = (i + 1) & s->mask)
		if (strcmp(s->slot[i], str) == 0)
			return (1);
	return (0);
}

/*
 * A UIDL on two lines is damage: the first keeps it, the rest are
 * dropped (their messages get theirs anew), so no two messages ever
 * come out of the list with one UIDL.
 */
static void
ulist_dedup(struct ulist *l)
{
	struct sset	s;
	size_t		i, j;

	sset_init(&s, l->n);
	for (i = j = 0; i < l->n; i++) {
		if (l->ent[i].uidl[0] != '\0' &&
		    !sset_add(&s, l->ent[i].uidl)) {
			free(l->ent[i].key);
			l->bad++;
			continue;
		}
		l->ent[j++] = l->ent[i];
	}
	l->n = j;
	free(s.slot);
}

/*
 * Every line that parses is kept; others (junk, too long, cut short by
 * a crash) count in l->bad.  A first line that is not a header leaves
 * l->hdr 0: the counter starts a new epoch.
 */
void
ulist_readfp(struct ulist *l, FILE *fp, int withuidl)
{
	char		line[UIDLIST_LINE_MAX];
	uint64_t	total = 0;
	int		first = 1;

	while (fgets(line, sizeof(line), fp) != NULL) {
		total += strlen(line);
		if (total > UIDLIST_BYTES_MAX) {
			l->bad++;
			break;
		}
		if (strchr(line, '\n') == NULL) {
			/* Over-long, or cut short by a crash: skip it. */
			l->bad++;
			while (fgets(line, sizeof(line), fp) != NULL &&
			    strchr(line, '\n') == NULL)
				;
			first = 0;
			continue;
		}
		if (first && ulist_header(l, line) == 0) {
			first = 0;
			continue;
		}
		if (first) {
			/* The header itself is damaged: never an entry. */
			l->bad++;
			first = 0;
			if (strncmp(line, "pop3d-", 6) == 0)
				continue;
		}
		if (ulist_line(l, line, withuidl) == -1)
			l->bad++;
	}
	if (l->hdr && l->count != l->n)
		l->bad++;
	ulist_dedup(l);
}

/*
 * A stream on fd with a READ_CHUNK buffer, freed by the caller after
 * fclose(3): asked for a size without a buffer, glibc keeps its own of
 * 4 KiB, and a list of 100,000 messages then took 2,400 system calls
 * to read and as many to write.
 */
static FILE *
ulist_fdopen(int fd, const char *mode, char **bufp)
{
	FILE	*fp;

	if ((fp = fdopen(fd, mode)) == NULL)
		fatal("fdopen");
	*bufp = xcalloc(1, READ_CHUNK);
	(void)setvbuf(fp, *bufp, _IOFBF, READ_CHUNK);
	return (fp);
}

/*
 * The list in dirfd, if there is one that is a regular file of the
 * user's; l->found says whether it was read.
 */
void
ulist_load(struct ulist *l, int dirfd, const char *name, uid_t owner,
    int withuidl)
{
	struct stat	 sb;
	FILE		*fp;
	char		*buf;
	int		 fd;

	memset(l, 0, sizeof(*l));
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1) {
		if (errno != ENOENT)
			log_warn("open %s", name);
		return;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_uid != owner) {
		log_warnx("%s: not a regular file owned by uid %lu, ignored",
		    name, (unsigned long)owner);
		close(fd);
		return;
	}
	fp = ulist_fdopen(fd, "r", &buf);
	ulist_readfp(l, fp, withuidl);
	if (ferror(fp)) {
		log_warn("read %s", name);
		l->bad++;
	}
	fclose(fp);
	free(buf);
	l->found = 1;
}

/* A key that can be written as one line and read back as the same. */
int
ulist_key_ok(const char *key)
{
	size_t	len = strlen(key);

	return (len > 0 && len < UIDLIST_LINE_MAX - 128 &&
	    strchr(key, '\n') == NULL && key[0] != ' ');
}

/*
 * Written whole to a temporary file, synced, renamed over the old one,
 * and the directory synced: a crash at any point leaves one list or the
 * other whole.  Messages marked deleted and keys that cannot be a line
 * are left out (with skipdel); *left says how many.  0, or -1 (logged).
 */
int
ulist_write(int dirfd, const char *name, const char *tmpl,
    const struct ulist *hdr, const struct smsg *msgs, size_t n,
    int skipdel, size_t *left)
{
	char			 tmp[NAME_MAX + 1];
	const struct smsg	*m;
	FILE			*fp;
	char			*buf;
	size_t			 i, count = 0;
	int			 fd, bad = 0;

	*left = 0;
	for (i = 0; i < n; i++) {
		if (skipdel && msgs[i].deleted)
			continue;
		if (ulist_key_ok(msgs[i].name))
			count++;
		else
			(*left)++;
	}
	if (strlcpy(tmp, tmpl, sizeof(tmp)) >= sizeof(tmp) ||
	    (fd = mkstempat(dirfd, tmp)) == -1) {
		log_warn("%s: create %s", name, tmpl);
		return (-1);
	}
	fp = ulist_fdopen(fd, "w", &buf);
	if (fprintf(fp, "%s%" PRIu64 " %" PRIu64 " %zu %" PRIu64 " %" PRIu64
	    " %" PRIu64 " %d\n", ULIST_MAGIC, hdr->next, hdr->epoch, count,
	    hdr->ino, hdr->sec, hdr->nsec, hdr->whole ? 1 : 0) < 0)
		bad = 1;
	for (i = 0; i < n && !bad; i++) {
		m = &msgs[i];
		if ((skipdel && m->deleted) || !ulist_key_ok(m->name))
			continue;
		if (fprintf(fp, "%s %" PRIu64 " %" PRIu64 " %s\n", m->name,
		    m->length, m->size, m->uidl) < 0)
			bad = 1;
	}
	if (fflush(fp) == EOF || fsync(fd) == -1)
		bad = 1;
	if (fclose(fp) == EOF)
		bad = 1;
	free(buf);
	if (bad || renameat(dirfd, tmp, dirfd, name) == -1) {
		log_warn("%s: write", name);
		unlinkat(dirfd, tmp, 0);
		return (-1);
	}
	if (fsync(dirfd) == -1)
		log_warn("%s: fsync directory", name);
	return (0);
}

/*
 * Which entry is whose.  Entries are found by the first keylen() bytes
 * of their key (Maildir: the base name, before ":2,"; mbox: all of
 * it).  A message whose whole key is listed takes that entry; the
 * others take the first unused entry with their short key, in list
 * order, so that identical mbox messages keep their entries in turn
 * and a Maildir message whose flags changed keeps its own.
 * match[i] is message i's entry, or NULL.
 */
void
ulist_match(struct ulist *l, struct smsg *msgs, size_t n,
    size_t (*keylen)(const char *), struct ulent **match)
{
	uint32_t	*head, *chain;
	size_t		 cap = 16, mask, i, s, klen;
	uint64_t	 h;
	uint32_t	 v, *tail;
	struct ulent	*e;
	int		 pass;

	while (cap < 2 * l->n + 2)
		cap *= 2;
	mask = cap - 1;
	head = xcalloc(cap, sizeof(*head));
	chain = xcalloc(l->n + 1, sizeof(*chain));
	for (i = 0; i < l->n; i++) {
		e = &l->ent[i];
		e->used = 0;
		e->keylen = keylen(e->key);
		h = str_hash(e->key, e->keylen);
		for (s = h & mask; (v = head[s]) != 0; s = (s + 1) & mask) {
			if (l->ent[v - 1].keylen == e->keylen &&
			    memcmp(l->ent[v - 1].key, e->key,
			    e->keylen) == 0)
				break;
		}
		if (v == 0) {
			head[s] = i + 1;
			continue;
		}
		/* Appended: the chain keeps list order. */
		for (tail = &chain[v]; *tail != 0; tail = &chain[*tail])
			;
		*tail = i + 1;
	}
	for (i = 0; i < n; i++)
		match[i] = NULL;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			if (match[i] != NULL)
				continue;
			klen = keylen(msgs[i].name);
			h = str_hash(msgs[i].name, klen);
			for (s = h & mask; (v = head[s]) != 0;
			    s = (s + 1) & mask)
				if (l->ent[v - 1].keylen == klen &&
				    memcmp(l->ent[v - 1].key, msgs[i].name,
				    klen) == 0)
					break;
			for (; v != 0; v = chain[v]) {
				e = &l->ent[v - 1];
				if (e->used || (pass == 0 &&
				    strcmp(e->key, msgs[i].name) != 0))
					continue;
				e->used = 1;
				match[i] = e;
				break;
			}
		}
	}
	free(chain);
	free(head);
}

/* The epoch of a UIDL the counter made, else 0. */
static uint64_t
counter_epoch(const char *uidl)
{
	const char	*p, *dot;
	uint64_t	 v;

	if (strncmp(uidl, UIDL_COUNTER, strlen(UIDL_COUNTER)) != 0)
		return (0);
	p = uidl + strlen(UIDL_COUNTER);
	if ((dot = strchr(p, '.')) == NULL || ulist_u64(p, dot, &v) == -1)
		return (0);
	return (v);
}

/*
 * A list without a good header starts a new epoch: the time now, or
 * past every epoch its entries show, so that the counter cannot give
 * again a UIDL it gave before the header was lost.
 */
static void
ulist_new_epoch(struct ulist *l)
{
	uint64_t	e, max = 0;
	size_t		i;

	for (i = 0; i < l->n; i++)
		if ((e = counter_epoch(l->ent[i].uidl)) > max)
			max = e;
	l->epoch = (uint64_t)time(NULL);
	if (l->epoch <= max)
		l->epoch = max + 1;
	if (l->epoch == 0)
		l->epoch = 1;
	l->next = 1;
	l->hdr = 1;
}

/*
 * Every message gets its UIDL: its entry's, or if it has none, the one
 * already in m->uidl (what the backend gave it before there was a
 * list) when old allows it and no entry or message holds that, else
 * the counter's next.  Returns how many messages got a UIDL the list
 * did not have.
 */
size_t
ulist_assign(struct ulist *l, struct smsg *msgs, size_t n,
    struct ulent **match, int old)
{
	struct sset	 held;
	char		 cand[UIDL_MAX + 1];
	size_t		 i, fresh = 0;

	if (!l->hdr)
		ulist_new_epoch(l);
	sset_init(&held, l->n + n);
	for (i = 0; i < l->n; i++)
		if (l->ent[i].uidl[0] != '\0')
			(void)sset_add(&held, l->ent[i].uidl);
	for (i = 0; i < n; i++)
		if (match[i] != NULL && match[i]->uidl[0] != '\0')
			strlcpy(msgs[i].uidl, match[i]->uidl,
			    sizeof(msgs[i].uidl));
	for (i = 0; i < n; i++) {
		if (match[i] != NULL && match[i]->uidl[0] != '\0')
			continue;
		fresh++;
		if (old && uidl_valid(msgs[i].uidl, strlen(msgs[i].uidl)) &&
		    sset_add(&held, msgs[i].uidl))
			continue;
		do {
			(void)snprintf(cand, sizeof(cand), "%s%" PRIu64 ".%"
			    PRIu64, UIDL_COUNTER, l->epoch, l->next++);
		} while (sset_has(&held, cand));
		strlcpy(msgs[i].uidl, cand, sizeof(msgs[i].uidl));
		(void)sset_add(&held, msgs[i].uidl);
	}
	free(held.slot);
	return (fresh);
}
