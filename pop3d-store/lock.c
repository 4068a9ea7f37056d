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
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

void
maildrop_setup(struct maildrop *md, const struct store_ops *ops, int dirfd,
    const char *name)
{
	memset(md, 0, sizeof(*md));
	md->ops = ops;
	md->dirfd = dirfd;
	md->lockfd = -1;
	md->curfd = -1;
	md->owner = geteuid();
	if (name != NULL && strlcpy(md->name, name, sizeof(md->name)) >=
	    sizeof(md->name))
		fatalx("%s: name too long", __func__);
}

void
maildrop_free(struct maildrop *md)
{
	size_t	i;

	for (i = 0; i < md->nmsgs; i++)
		free(md->msgs[i].name);
	free(md->msgs);
	md->msgs = NULL;
	md->nmsgs = md->msgcap = 0;
	md->octets = 0;
}

/* A zeroed slot at the end; NULL once the message cap is reached. */
struct smsg *
maildrop_add(struct maildrop *md)
{
	struct smsg	*m;
	size_t		 cap;

	if (md->nmsgs >= MAX_MAILBOX_MESSAGES)
		return (NULL);
	if (md->nmsgs == md->msgcap) {
		cap = md->msgcap ? md->msgcap * 2 : 64;
		md->msgs = xreallocarray(md->msgs, cap, sizeof(*md->msgs));
		md->msgcap = cap;
	}
	m = &md->msgs[md->nmsgs++];
	memset(m, 0, sizeof(*m));
	return (m);
}

/* Totals, and the caps that keep one maildrop from stalling the service. */
int
maildrop_caps(struct maildrop *md)
{
	size_t	i;

	md->octets = 0;
	for (i = 0; i < md->nmsgs; i++) {
		md->octets += md->msgs[i].size;
		if (md->octets > MAX_MAILBOX_BYTES) {
			log_warnx("maildrop over %llu bytes, refused",
			    (unsigned long long)MAX_MAILBOX_BYTES);
			return (STORE_ERR_PERM);
		}
	}
	return (0);
}

void
msleep(int ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * The session lock between our own processes.  flock(2) locks belong to
 * the open file, so a second open in this very process conflicts too.
 */
int
lock_flock(int fd)
{
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EINTR)
			return (-1);
	}
	return (0);
}

/*
 * The kernel lock MTAs take (Postfix and Exim use fcntl on Debian):
 * a write lock on the whole file, retried for a while.  A POSIX lock
 * dies with the first close(2) of ANY descriptor of the file in this
 * process, so the callers open no second one while holding it.
 */
int
lock_fcntl(int fd)
{
	struct flock	fl;
	int		try;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	for (try = 0; try < DOTLOCK_TRIES; try++) {
		if (try > 0)
			msleep(LOCK_RETRY_MS);
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return (0);
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			return (-1);
	}
	errno = EWOULDBLOCK;
	return (-1);
}

void
unlock_fcntl(int fd)
{
	struct flock	fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_UNLCK;
	fl.l_whence = SEEK_SET;
	(void)fcntl(fd, F_SETLK, &fl);
}

/* mkstemp(3) relative to a directory fd; the template ends in XXXXXX. */
int
mkstempat(int dirfd, char *tmpl)
{
	static const char	 set[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	size_t			 len = strlen(tmpl), i;
	int			 fd, try;

	if (len < 6 || strcmp(tmpl + len - 6, "XXXXXX") != 0) {
		errno = EINVAL;
		return (-1);
	}
	for (try = 0; try < 100; try++) {
		for (i = len - 6; i < len; i++)
			tmpl[i] = set[arc4random_uniform(sizeof(set) - 1)];
		fd = openat(dirfd, tmpl, O_RDWR | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			return (fd);
	}
	errno = EEXIST;
	return (-1);
}

/*
 * One attempt at the lock, NFS-safe as in liblockfile: link(2) a
 * unique file, tmp (a template), to the lock name and trust the link
 * count, not link's return value, which NFS may lose.  0 taken, 1
 * busy, -1 error.
 */
static int
dotlock_try(int dirfd, const char *lock, char *tmp)
{
	struct stat	 sb;
	char		 pid[32];
	int		 fd, rc, saved, linked;

	if ((fd = mkstempat(dirfd, tmp)) == -1)
		return (-1);
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	rc = write_all(fd, pid, strlen(pid));
	close(fd);
	if (rc == -1) {
		saved = errno;
		unlinkat(dirfd, tmp, 0);
		errno = saved;
		return (-1);
	}
	rc = linkat(dirfd, tmp, dirfd, lock, 0);
	saved = errno;
	linked = fstatat(dirfd, tmp, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    sb.st_nlink == 2;
	unlinkat(dirfd, tmp, 0);
	if (linked)
		return (0);
	/* ENOENT: the holder swept our file as a dead store's; again. */
	if (rc == -1 && saved != EEXIST && saved != ENOENT) {
		errno = saved;
		return (-1);
	}
	return (1);
}

/*
 * The pid a dot lock holds, as liblockfile, Exim and pop3d write it;
 * 0 if it holds none.
 */
static pid_t
dotlock_pid(int dirfd, const char *lock, struct stat *sb)
{
	char		 buf[32];
	const char	*errstr;
	long long	 pid;
	ssize_t		 n;
	int		 fd;

	if ((fd = openat(dirfd, lock, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return (0);
	n = fstat(fd, sb) == -1 || !S_ISREG(sb->st_mode) ? -1 :
	    read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return (0);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	pid = strtonum(buf, 1, INT_MAX, &errstr);
	return (errstr == NULL ? (pid_t)pid : 0);
}

/*
 * A lock is stale when the process it names is gone (liblockfile's
 * rule: a store killed while holding it must not lock the user out of
 * the mail until DOTLOCK_STALE), or when it is older than
 * DOTLOCK_STALE.  Removed only if it is still the file looked at.
 * Returns whether it was removed.
 */
static int
dotlock_stale(int dirfd, const char *lock)
{
	struct stat	sb, now;
	pid_t		pid;
	int		dead;

	memset(&sb, 0, sizeof(sb));
	pid = dotlock_pid(dirfd, lock, &sb);
	dead = pid > 0 && kill(pid, 0) == -1 && errno == ESRCH;
	if (!dead) {
		if (fstatat(dirfd, lock, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
		    time(NULL) - sb.st_mtime <= DOTLOCK_STALE)
			return (0);
	}
	if (fstatat(dirfd, lock, &now, AT_SYMLINK_NOFOLLOW) == -1 ||
	    now.st_dev != sb.st_dev || now.st_ino != sb.st_ino)
		return (0);
	if (dead)
		log_warnx("removing lock %s of process %ld, which is gone",
		    lock, (long)pid);
	else
		log_warnx("removing stale lock %s", lock);
	if (unlinkat(dirfd, lock, 0) == -1) {
		if (errno != ENOENT)
			log_warn("unlink %s", lock);
		return (0);
	}
	return (1);
}

/* Returns 0, or -1 with errno (EWOULDBLOCK: someone holds it). */
int
dotlock_take(int dirfd, const char *name)
{
	char	lock[NAME_MAX + 1], tmpl[NAME_MAX + 1], tmp[NAME_MAX + 1];
	int	try, rc;

	if ((size_t)snprintf(lock, sizeof(lock), "%s.lock", name) >=
	    sizeof(lock)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	/* Named after the mailbox, so that its lock holder may sweep it. */
	if ((size_t)snprintf(tmpl, sizeof(tmpl), "." "%s" DOTLOCK_TMP,
	    name) >= sizeof(tmpl))
		strlcpy(tmpl, DOTLOCK_TMP, sizeof(tmpl));
	for (try = 0; try < DOTLOCK_TRIES; try++) {
		strlcpy(tmp, tmpl, sizeof(tmp));
		if ((rc = dotlock_try(dirfd, lock, tmp)) <= 0)
			return (rc);
		/* A dead holder's lock: at once, without the pause. */
		if (dotlock_stale(dirfd, lock))
			continue;
		msleep(LOCK_RETRY_MS);
	}
	errno = EWOULDBLOCK;
	return (-1);
}

/*
 * Files named prefix plus six characters of mkstempat(3)'s, regular,
 * owned by owner ((uid_t)-1: anyone) and last changed before "before"
 * (0: any time): the temporary files of a store that was killed.
 * The caller holds the lock under which such files are made, or
 * "before" is far enough back that no live writer has one that old.
 */
void
sweep_stale(int dirfd, const char *prefix, uid_t owner, time_t before)
{
	struct stat	 sb;
	struct dirent	*de;
	DIR		*d;
	size_t		 plen = strlen(prefix), i;
	int		 fd;

	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		log_warn("%s: open directory", __func__);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, plen) != 0 ||
		    strlen(de->d_name) != plen + 6)
			continue;
		for (i = plen; isalnum((unsigned char)de->d_name[i]); i++)
			;
		if (de->d_name[i] != '\0' || fstatat(fd, de->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(sb.st_mode) ||
		    (owner != (uid_t)-1 && sb.st_uid != owner) ||
		    (before != 0 && sb.st_mtim.tv_sec >= before))
			continue;
		if (unlinkat(fd, de->d_name, 0) == 0)
			log_info("removed %s, left by a store that died",
			    de->d_name);
		else if (errno != ENOENT)
			log_warn("unlink %s", de->d_name);
	}
	closedir(d);
}

void
dotlock_release(int dirfd, const char *name)
{
	char	lock[NAME_MAX + 1];

	if ((size_t)snprintf(lock, sizeof(lock), "%s.lock", name) >=
	    sizeof(lock))
		return;
	if (unlinkat(dirfd, lock, 0) == -1)
		log_warn("unlink %s", lock);
}

/*
 * The Maildir lock, MDLOCK_NAME in the Maildir, which every node that
 * mounts it sees: whether flock(2) locks are seen across NFS clients
 * depends on the client's system and mount options.  It
 * holds one line, "host:pid created\n".  It is made as liblockfile
 * makes a dot lock: a unique file, written and synced, is link(2)ed to
 * the name, which is atomic on NFS where O_EXCL was not; a link whose
 * reply NFS lost is told by the link count.  Its age is judged by its
 * mtime against that of the file just made beside it, both set by the
 * file server's clock, so the nodes' clocks need not agree.
 */
#define MDLOCK_TMP		MDLOCK_NAME ".XXXXXX"
#define MDLOCK_BREAK		MDLOCK_NAME ".break"
#define MDLOCK_LINE_MAX		(HOST_NAME_MAX + 64)

struct mdlock_info {
	struct stat	 sb;
	char		 line[MDLOCK_LINE_MAX];	/* as read */
	char		 host[HOST_NAME_MAX + 1];
	pid_t		 pid;
	int		 parsed;	/* line is host:pid created */
};

/*
 * This node's name, as uname(2) gives it (gethostname(3) is the same
 * call), made safe for the line: no ':' and no blank in it.
 */
static const char *
mdlock_host(void)
{
	static char	 host[HOST_NAME_MAX + 1];
	struct utsname	 u;
	char		*p;

	if (host[0] != '\0')
		return (host);
	if (uname(&u) == -1 || u.nodename[0] == '\0')
		strlcpy(host, "localhost", sizeof(host));
	else
		strlcpy(host, u.nodename, sizeof(host));
	for (p = host; *p != '\0'; p++)
		if (!isgraph((unsigned char)*p) || *p == ':')
			*p = '_';
	return (host);
}

static void
mdlock_parse(struct mdlock_info *li)
{
	const char	*errstr;
	char		 buf[MDLOCK_LINE_MAX], *nl, *sp, *colon;
	long long	 pid;

	strlcpy(buf, li->line, sizeof(buf));
	if ((nl = strchr(buf, '\n')) == NULL || nl[1] != '\0')
		return;
	*nl = '\0';
	if ((sp = strrchr(buf, ' ')) == NULL)
		return;
	*sp++ = '\0';
	(void)strtonum(sp, 0, LLONG_MAX, &errstr);
	if (errstr != NULL || (colon = strrchr(buf, ':')) == NULL)
		return;
	*colon++ = '\0';
	pid = strtonum(colon, 1, INT_MAX, &errstr);
	if (errstr != NULL || buf[0] == '\0' ||
	    strlcpy(li->host, buf, sizeof(li->host)) >= sizeof(li->host))
		return;
	li->pid = (pid_t)pid;
	li->parsed = 1;
}

/*
 * The lock file at name as it is now, opened (which revalidates NFS
 * caches) and never followed.  -1 with errno ENOENT when there is
 * none, EPERM when it is not a regular file.
 */
static int
mdlock_read(int dirfd, const char *name, struct mdlock_info *li)
{
	ssize_t	n;
	int	fd, saved;

	memset(li, 0, sizeof(*li));
	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		if (errno == ELOOP)
			errno = EPERM;
		return (-1);
	}
	if (fstat(fd, &li->sb) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	if (!S_ISREG(li->sb.st_mode)) {
		close(fd);
		errno = EPERM;
		return (-1);
	}
	n = read(fd, li->line, sizeof(li->line) - 1);
	saved = errno;
	close(fd);
	if (n == -1) {
		errno = saved;
		return (-1);
	}
	li->line[n] = '\0';
	mdlock_parse(li);
	return (0);
}

/* The same file with the same line: no one took it since. */
static int
mdlock_same(const struct mdlock_info *a, const struct mdlock_info *b)
{
	return (a->sb.st_dev == b->sb.st_dev && a->sb.st_ino == b->sb.st_ino &&
	    strcmp(a->line, b->line) == 0);
}

/* The holder is a process of this host: 1 alive, 0 gone, -1 elsewhere. */
static int
mdlock_local(const struct mdlock_info *li)
{
	if (!li->parsed || strcmp(li->host, mdlock_host()) != 0)
		return (-1);
	return (kill(li->pid, 0) == 0 || errno != ESRCH);
}

/*
 * Why a lock is stale, or NULL: its holder, on this host, is gone, or
 * it was not touched for age seconds of the file server's clock (now,
 * the mtime of a file just made beside it).
 */
static const char *
mdlock_stale(const struct mdlock_info *li, const struct timespec *now,
    time_t age)
{
	if (mdlock_local(li) == 0)
		return ("its process is gone");
	if (now->tv_sec - li->sb.st_mtim.tv_sec > age)
		return ("it is older than allowed");
	return (NULL);
}

/*
 * The owner in a log line: the lock's line without its newline (the
 * parent masks any control byte left in a line it logs).
 */
static void
mdlock_owner(const struct mdlock_info *li, char *buf, size_t len)
{
	strlcpy(buf, li->line, len);
	buf[strcspn(buf, "\n")] = '\0';
}

/*
 * One attempt: the line in a new file, linked to name.  0 taken (*fdp
 * is the lock), 1 held by someone, -1 error.  *now is the new file's
 * stat, for the file server's time.
 */
static int
mdlock_make(int dirfd, const char *name, int *fdp, struct stat *now)
{
	struct stat	sb;
	char		tmp[] = MDLOCK_TMP, line[MDLOCK_LINE_MAX];
	int		fd, rc, saved, linked;

	*fdp = -1;
	snprintf(line, sizeof(line), "%s:%ld %lld\n", mdlock_host(),
	    (long)getpid(), (long long)time(NULL));
	if ((fd = mkstempat(dirfd, tmp)) == -1)
		return (-1);
	if (write_all(fd, line, strlen(line)) == -1 || fsync(fd) == -1 ||
	    fstat(fd, now) == -1) {
		saved = errno;
		close(fd);
		unlinkat(dirfd, tmp, 0);
		errno = saved;
		return (-1);
	}
	rc = linkat(dirfd, tmp, dirfd, name, 0);
	saved = errno;
	linked = rc == 0 || (fstat(fd, &sb) == 0 && sb.st_nlink == 2);
	if (unlinkat(dirfd, tmp, 0) == -1 && errno != ENOENT)
		log_warn("unlink %s", tmp);
	if (!linked) {
		close(fd);
		if (saved == EEXIST)
			return (1);
		errno = saved;
		return (-1);
	}
	if (fsync(dirfd) == -1) {
		saved = errno;
		unlinkat(dirfd, name, 0);
		close(fd);
		errno = saved;
		return (-1);
	}
	*fdp = fd;
	return (0);
}

/* Unlinks name if it is still the file of seen. */
static int
mdlock_remove(int dirfd, const char *name, const struct mdlock_info *seen)
{
	struct mdlock_info	now;

	if (mdlock_read(dirfd, name, &now) == -1 || !mdlock_same(&now, seen))
		return (0);
	if (unlinkat(dirfd, name, 0) == -1) {
		if (errno != ENOENT)
			log_warn("unlink %s", name);
		return (0);
	}
	(void)fsync(dirfd);
	return (1);
}

/* Unlinks name if it is still the lock fd holds, and closes fd. */
static void
mdlock_drop(int dirfd, const char *name, int fd)
{
	struct stat	mine, sb;

	if (fd == -1)
		return;
	if (fstat(fd, &mine) == 0 &&
	    fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    sb.st_dev == mine.st_dev && sb.st_ino == mine.st_ino) {
		if (unlinkat(dirfd, name, 0) == -1)
			log_warn("unlink %s", name);
		else if (fsync(dirfd) == -1)
			log_warn("fsync after unlinking %s", name);
	}
	close(fd);
}

/*
 * The lock that makes breaking a stale lock a thing one node does at a
 * time: without it, two nodes that both saw the stale lock could each
 * remove it, the second removing the fresh lock the first just took.
 * A stale break lock (a node died while holding it) is removed as it
 * is seen.  0 taken, 1 busy, -1 error.
 */
static int
mdlock_break_take(int dirfd, int *fdp)
{
	struct mdlock_info	 li;
	struct stat		 now;
	char			 owner[MDLOCK_LINE_MAX];
	const char		*why;
	int			 rc;

	if ((rc = mdlock_make(dirfd, MDLOCK_BREAK, fdp, &now)) != 1)
		return (rc);
	if (mdlock_read(dirfd, MDLOCK_BREAK, &li) == -1)
		return (errno == ENOENT ? 1 : -1);
	if ((why = mdlock_stale(&li, &now.st_mtim,
	    MAILDIR_LOCK_BREAK_STALE)) == NULL ||
	    !mdlock_remove(dirfd, MDLOCK_BREAK, &li))
		return (1);
	mdlock_owner(&li, owner, sizeof(owner));
	log_warnx("%s: removed, held by %s: %s", MDLOCK_BREAK, owner, why);
	return (mdlock_make(dirfd, MDLOCK_BREAK, fdp, &now));
}

/*
 * Removes the stale lock seen, under the break lock, if it is still
 * that very file.  1 removed, 0 not (try again later), -1 error.
 */
static int
mdlock_break(int dirfd, const struct mdlock_info *seen, const char *why)
{
	char	owner[MDLOCK_LINE_MAX];
	int	bfd, rc;

	if ((rc = mdlock_break_take(dirfd, &bfd)) != 0)
		return (rc == 1 ? 0 : -1);
	rc = mdlock_remove(dirfd, MDLOCK_NAME, seen);
	mdlock_drop(dirfd, MDLOCK_BREAK, bfd);
	if (rc) {
		mdlock_owner(seen, owner, sizeof(owner));
		log_warnx("%s: broken, held by %s: %s", MDLOCK_NAME, owner,
		    why);
	}
	return (rc);
}

/*
 * Temporary files of an attempt that a store left when it died: a live
 * attempt's lives for a few file operations, so one older than
 * MAILDIR_LOCK_BREAK_STALE by the file server's clock is nobody's.
 */
static void
mdlock_sweep(int dirfd, const struct timespec *now)
{
	sweep_stale(dirfd, MDLOCK_NAME ".", (uid_t)-1,
	    now->tv_sec - MAILDIR_LOCK_BREAK_STALE);
}

/*
 * Takes the Maildir lock: 0 (*fdp holds it), or -1 with errno,
 * EWOULDBLOCK when a live session holds it.  A stale one is broken at
 * once.  One of another host is tried again, for a release in flight
 * there; a live store of this host lets go before its client hears
 * the QUIT reply, so its lock is busy at once, as flock(2) was.
 */
int
mdlock_take(int dirfd, int *fdp)
{
	struct mdlock_info	 li;
	struct stat		 now;
	const char		*why;
	int			 try, rc;

	for (try = 0; try < MAILDIR_LOCK_TRIES; try++) {
		if ((rc = mdlock_make(dirfd, MDLOCK_NAME, fdp, &now)) == 0)
			mdlock_sweep(dirfd, &now.st_mtim);
		if (rc != 1)
			return (rc);
		if (mdlock_read(dirfd, MDLOCK_NAME, &li) == -1) {
			if (errno == ENOENT)
				continue;
			if (errno == EPERM)
				log_warnx("%s: not a regular file: neither "
				    "taken nor removed", MDLOCK_NAME);
			return (-1);
		}
		if ((why = mdlock_stale(&li, &now.st_mtim,
		    MAILDIR_LOCK_STALE)) != NULL) {
			if ((rc = mdlock_break(dirfd, &li, why)) == -1)
				return (-1);
			if (rc == 1)
				continue;
		} else if (mdlock_local(&li) == 1)
			break;
		if (try + 1 < MAILDIR_LOCK_TRIES)
			msleep(LOCK_RETRY_MS);
	}
	errno = EWOULDBLOCK;
	return (-1);
}

/*
 * Whether fd still holds the lock: the file at MDLOCK_NAME is the same
 * file with the same line.  0 yes; -1 with errno ESTALE when another
 * node broke it or someone removed it, another errno when it could
 * not be told (the caller treats both as lost).
 */
int
mdlock_check(int dirfd, int fd)
{
	struct mdlock_info	li;
	struct stat		sb;
	char			mine[MDLOCK_LINE_MAX];
	ssize_t			n;

	if (fstat(fd, &sb) == -1 ||
	    (n = pread(fd, mine, sizeof(mine) - 1, 0)) == -1)
		return (-1);
	mine[n] = '\0';
	if (mdlock_read(dirfd, MDLOCK_NAME, &li) == -1) {
		if (errno == ENOENT || errno == EPERM)
			errno = ESTALE;
		return (-1);
	}
	if (li.sb.st_dev != sb.st_dev || li.sb.st_ino != sb.st_ino ||
	    strcmp(li.line, mine) != 0) {
		errno = ESTALE;
		return (-1);
	}
	return (0);
}

/*
 * The holder's proof of life: the mtime set to the file server's now,
 * if the lock is still ours.  0, or -1 as mdlock_check().
 */
int
mdlock_touch(int dirfd, int fd)
{
	if (mdlock_check(dirfd, fd) == -1)
		return (-1);
	return (futimens(fd, NULL));
}

/* Drops the lock if it is still ours, and closes fd. */
void
mdlock_release(int dirfd, int fd)
{
	mdlock_drop(dirfd, MDLOCK_NAME, fd);
}

/*
 * UIDLs made unique, deterministically in message order: the first
 * holder keeps its UIDL, later ones become "uidl-2", "uidl-3" ...
 * (shortened to stay within UIDL_MAX), skipping any name another
 * message already has.  An open-addressing table of message indexes
 * keeps this linear even when a sender mails a thousand copies with
 * one X-UIDL, and small enough for a maildrop of a million.
 */
struct utab {
	uint32_t	*slot;	/* 1 + index of the holder; 0: empty */
	uint64_t	*hash;	/* of each message's UIDL */
	uint32_t	*next;	/* of a holder: the next suffix to try */
	size_t		 mask;
	struct smsg	*msgs;
};

static uint64_t
uidl_hash(const char *key)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 0x100000001b3ULL;
	return (h);
}

/* The slot that holds key, or the empty one where it would go. */
static size_t
uidl_slot(struct utab *t, uint64_t h, const char *key)
{
	size_t		i;
	uint32_t	v;

	for (i = h & t->mask; (v = t->slot[i]) != 0; i = (i + 1) & t->mask)
		if (t->hash[v - 1] == h && strcmp(t->msgs[v - 1].uidl, key) == 0)
			break;
	return (i);
}

static void
uidl_candidate(char *out, const char *base, uint32_t k)
{
	char	sfx[16];
	int	slen, blen;

	slen = snprintf(sfx, sizeof(sfx), "-%u", k);
	blen = strlen(base);
	if (blen > UIDL_MAX - slen)
		blen = UIDL_MAX - slen;
	snprintf(out, UIDL_MAX + 1, "%.*s%s", blen, base, sfx);
}

/* Message i is not holder, the first with its UIDL: a new one. */
static void
uidl_rename(struct utab *t, size_t i, uint32_t holder)
{
	char		cand[UIDL_MAX + 1];
	uint64_t	h;
	uint32_t	k;
	size_t		s;

	for (k = t->next[holder];; k++) {
		uidl_candidate(cand, t->msgs[holder].uidl, k);
		h = uidl_hash(cand);
		s = uidl_slot(t, h, cand);
		if (t->slot[s] == 0)
			break;
	}
	t->next[holder] = k + 1;
	strlcpy(t->msgs[i].uidl, cand, sizeof(t->msgs[i].uidl));
	t->hash[i] = h;
	t->slot[s] = i + 1;
	t->next[i] = 2;
}

void
uidl_unique(struct smsg *msgs, size_t n)
{
	struct utab	 t;
	size_t		 cap = 16, i, s;

	/* Originals plus at most one new name each, at most half full. */
	while (cap < 4 * n)
		cap *= 2;
	t.slot = xcalloc(cap, sizeof(*t.slot));
	t.mask = cap - 1;
	t.hash = xcalloc(n ? n : 1, sizeof(*t.hash));
	t.next = xcalloc(n ? n : 1, sizeof(*t.next));
	t.msgs = msgs;
	for (i = 0; i < n; i++) {
		t.hash[i] = uidl_hash(msgs[i].uidl);
		s = uidl_slot(&t, t.hash[i], msgs[i].uidl);
		if (t.slot[s] == 0) {
			t.slot[s] = i + 1;
			t.next[i] = 2;
		}
	}
	/*
	 * A new name never equals an original one, so each original
	 * still leads to its first holder.
	 */
	for (i = 0; i < n; i++) {
		s = t.slot[uidl_slot(&t, t.hash[i], msgs[i].uidl)] - 1;
		if (s != i)
			uidl_rename(&t, i, s);
	}
	free(t.next);
	free(t.hash);
	free(t.slot);
}
