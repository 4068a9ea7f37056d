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
#include <sys/utsname.h>
#include <sys/wait.h>

#include <atf-c.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

/*
 * The Maildir lock file of lock.c on a temporary directory.  Another
 * node is played by lock files written here with another host name.
 */

static char	tdir[64];
static int	dfd = -1;

static void
setup(void)
{
	log_init(1, LOG_USER);
	strlcpy(tdir, "/tmp/mdlock_test.XXXXXX", sizeof(tdir));
	ATF_REQUIRE(mkdtemp(tdir) != NULL);
	ATF_REQUIRE((dfd = open(tdir, O_RDONLY | O_DIRECTORY)) != -1);
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return (remove(path));
}

static void
teardown(void)
{
	close(dfd);
	nftw(tdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *
host(void)
{
	static struct utsname	u;

	ATF_REQUIRE(uname(&u) == 0);
	return (u.nodename);
}

static void
put(const char *name, const char *content)
{
	int	fd;

	ATF_REQUIRE((fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC,
	    0600)) != -1);
	ATF_REQUIRE(write(fd, content, strlen(content)) ==
	    (ssize_t)strlen(content));
	close(fd);
}

/* A lock line of host h and pid. */
static void
put_lock(const char *name, const char *h, long pid)
{
	char	line[256];

	snprintf(line, sizeof(line), "%s:%ld %lld\n", h, pid,
	    (long long)time(NULL));
	put(name, line);
}

static void
age(const char *name, int secs)
{
	struct timespec	ts[2];

	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= secs;
	ts[1] = ts[0];
	ATF_REQUIRE(utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW) == 0);
}

static int
exists(const char *name)
{
	struct stat	sb;

	return (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0);
}

static void
get(const char *name, char *buf, size_t len)
{
	ssize_t	n;
	int	fd;

	ATF_REQUIRE((fd = openat(dfd, name, O_RDONLY)) != -1);
	ATF_REQUIRE((n = read(fd, buf, len - 1)) >= 0);
	buf[n] = '\0';
	close(fd);
}

/* The lock holds this process's line. */
static void
require_ours(void)
{
	char	buf[256], want[256];
	size_t	len;

	get(MDLOCK_NAME, buf, sizeof(buf));
	len = snprintf(want, sizeof(want), "%s:%ld ", host(), (long)getpid());
	ATF_REQUIRE_MSG(strncmp(buf, want, len) == 0 &&
	    buf[strlen(buf) - 1] == '\n', "lock holds \"%s\"", buf);
}

static void
take_ok(int *fd)
{
	ATF_REQUIRE_MSG(mdlock_take(dfd, fd) == 0, "take: %s",
	    strerror(errno));
	ATF_REQUIRE(*fd != -1);
	require_ours();
}

static void
take_busy(void)
{
	int	fd;

	ATF_REQUIRE_MSG(mdlock_take(dfd, &fd) == -1 && errno == EWOULDBLOCK,
	    "take did not say busy: %s", strerror(errno));
	ATF_REQUIRE(fd == -1);
}

/* A pid that was a child of ours and is gone. */
static pid_t
dead_pid(void)
{
	pid_t	pid;
	int	st;

	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0)
		_exit(0);
	ATF_REQUIRE(waitpid(pid, &st, 0) == pid);
	return (pid);
}

ATF_TC_WITHOUT_HEAD(mdlock__take_release);
ATF_TC_BODY(mdlock__take_release, tc)
{
	int	fd;

	setup();
	take_ok(&fd);
	mdlock_release(dfd, fd);
	ATF_REQUIRE_MSG(!exists(MDLOCK_NAME), "release left the lock");
	take_ok(&fd);
	mdlock_release(dfd, fd);
	teardown();
}

ATF_TC_WITHOUT_HEAD(mdlock__second_take);
ATF_TC_BODY(mdlock__second_take, tc)
{
	int	fd;

	setup();
	take_ok(&fd);
	take_busy();
	require_ours();
	ATF_REQUIRE(mdlock_check(dfd, fd) == 0);
	mdlock_release(dfd, fd);
	teardown();
}

ATF_TC_WITHOUT_HEAD(mdlock__dead_pid);
ATF_TC_BODY(mdlock__dead_pid, tc)
{
	int	fd;

	setup();
	put_lock(MDLOCK_NAME, host(), (long)dead_pid());
	take_ok(&fd);
	mdlock_release(dfd, fd);
	teardown();
}

/* Our host, a live pid (init): only its age can make it stale. */
ATF_TC_WITHOUT_HEAD(mdlock__stale_age);
ATF_TC_BODY(mdlock__stale_age, tc)
{
	int	fd;

	setup();
	put_lock(MDLOCK_NAME, host(), 1);
	age(MDLOCK_NAME, MAILDIR_LOCK_STALE - 60);
	take_busy();
	age(MDLOCK_NAME, MAILDIR_LOCK_STALE + 100);
	take_ok(&fd);
	mdlock_release(dfd, fd);
	teardown();
}

/* Its pid means nothing here: a dead pid on another host is no sign. */
ATF_TC_WITHOUT_HEAD(mdlock__foreign_fresh);
ATF_TC_BODY(mdlock__foreign_fresh, tc)
{
	char	before[256], after[256];

	setup();
	put_lock(MDLOCK_NAME, "other.invalid", (long)dead_pid());
	get(MDLOCK_NAME, before, sizeof(before));
	take_busy();
	get(MDLOCK_NAME, after, sizeof(after));
	ATF_REQUIRE_STREQ(before, after);
	teardown();
}

ATF_TC_WITHOUT_HEAD(mdlock__foreign_old);
ATF_TC_BODY(mdlock__foreign_old, tc)
{
	int	fd;

	setup();
	put_lock(MDLOCK_NAME, "other.invalid", 4242);
	age(MDLOCK_NAME, MAILDIR_LOCK_STALE + 100);
	take_ok(&fd);
	ATF_REQUIRE_MSG(!exists(MDLOCK_NAME ".break"),
	    "the break lock was left");
	mdlock_release(dfd, fd);
	teardown();
}

/*
 * A break lock another node holds stops the breaking; once stale, it
 * is removed and the stale lock broken.
 */
ATF_TC_WITHOUT_HEAD(mdlock__break_lock);
ATF_TC_BODY(mdlock__break_lock, tc)
{
	int	fd;

	setup();
	put_lock(MDLOCK_NAME, "other.invalid", 4242);
	age(MDLOCK_NAME, MAILDIR_LOCK_STALE + 100);
	put_lock(MDLOCK_NAME ".break", "third.invalid", 4343);
	take_busy();
	ATF_REQUIRE(exists(MDLOCK_NAME) && exists(MDLOCK_NAME ".break"));
	age(MDLOCK_NAME ".break", MAILDIR_LOCK_BREAK_STALE + 10);
	take_ok(&fd);
	ATF_REQUIRE_MSG(!exists(MDLOCK_NAME ".break"),
	    "the stale break lock was left");
	mdlock_release(dfd, fd);
	teardown();
}

/* A break lock of a store of this host that died goes at once. */
ATF_TC_WITHOUT_HEAD(mdlock__break_lock_dead);
ATF_TC_BODY(mdlock__break_lock_dead, tc)
{
	int	fd;

	setup();
	put_lock(MDLOCK_NAME, "other.invalid", 4242);
	age(MDLOCK_NAME, MAILDIR_LOCK_STALE + 100);
	put_lock(MDLOCK_NAME ".break", host(), (long)dead_pid());
	take_ok(&fd);
	mdlock_release(dfd, fd);
	teardown();
}

/* Removed, or replaced by another's: lost, and not ours to remove. */
ATF_TC_WITHOUT_HEAD(mdlock__lost);
ATF_TC_BODY(mdlock__lost, tc)
{
	char	buf[256];
	int	fd;

	setup();
	take_ok(&fd);
	ATF_REQUIRE(unlinkat(dfd, MDLOCK_NAME, 0) == 0);
	ATF_REQUIRE(mdlock_check(dfd, fd) == -1 && errno == ESTALE);
	ATF_REQUIRE(mdlock_touch(dfd, fd) == -1 && errno == ESTALE);
	put_lock(MDLOCK_NAME, "other.invalid", 4242);
	ATF_REQUIRE(mdlock_check(dfd, fd) == -1 && errno == ESTALE);
	mdlock_release(dfd, fd);
	get(MDLOCK_NAME, buf, sizeof(buf));
	ATF_REQUIRE_MSG(strncmp(buf, "other.invalid:4242 ", 19) == 0,
	    "release removed the lock of another: \"%s\"", buf);
	teardown();
}

/* Another file with our very line is not ours either. */
ATF_TC_WITHOUT_HEAD(mdlock__lost_inode);
ATF_TC_BODY(mdlock__lost_inode, tc)
{
	char	line[256];
	int	fd;

	setup();
	take_ok(&fd);
	get(MDLOCK_NAME, line, sizeof(line));
	ATF_REQUIRE(unlinkat(dfd, MDLOCK_NAME, 0) == 0);
	put(MDLOCK_NAME, line);
	ATF_REQUIRE(mdlock_check(dfd, fd) == -1 && errno == ESTALE);
	mdlock_release(dfd, fd);
	ATF_REQUIRE_MSG(exists(MDLOCK_NAME), "release removed another file");
	teardown();
}

ATF_TC_WITHOUT_HEAD(mdlock__refresh);
ATF_TC_BODY(mdlock__refresh, tc)
{
	struct stat	sb;
	int		fd;

	setup();
	take_ok(&fd);
	age(MDLOCK_NAME, 200);
	ATF_REQUIRE(mdlock_touch(dfd, fd) == 0);
	ATF_REQUIRE(fstatat(dfd, MDLOCK_NAME, &sb, 0) == 0);
	ATF_REQUIRE_MSG(sb.st_mtime >= time(NULL) - 5,
	    "mtime %lld not refreshed", (long long)sb.st_mtime);
	mdlock_release(dfd, fd);
	teardown();
}

/* A line that is not host:pid created: judged by its age alone. */
ATF_TC_WITHOUT_HEAD(mdlock__garbage);
ATF_TC_BODY(mdlock__garbage, tc)
{
	int	fd;

	setup();
	put(MDLOCK_NAME, "no lock line here");
	take_busy();
	put(MDLOCK_NAME, "");
	take_busy();
	put(MDLOCK_NAME, ":12 34\n");
	take_busy();
	age(MDLOCK_NAME, MAILDIR_LOCK_STALE + 100);
	take_ok(&fd);
	mdlock_release(dfd, fd);
	teardown();
}

/* Not a regular file: neither taken nor removed, whatever its age. */
ATF_TC_WITHOUT_HEAD(mdlock__not_regular);
ATF_TC_BODY(mdlock__not_regular, tc)
{
	int	fd;

	setup();
	ATF_REQUIRE(symlinkat("elsewhere", dfd, MDLOCK_NAME) == 0);
	age(MDLOCK_NAME, MAILDIR_LOCK_STALE + 100);
	ATF_REQUIRE(mdlock_take(dfd, &fd) == -1 && errno != EWOULDBLOCK);
	ATF_REQUIRE(fd == -1 && exists(MDLOCK_NAME));
	ATF_REQUIRE(unlinkat(dfd, MDLOCK_NAME, 0) == 0);
	ATF_REQUIRE(mkdirat(dfd, MDLOCK_NAME, 0700) == 0);
	age(MDLOCK_NAME, MAILDIR_LOCK_STALE + 100);
	ATF_REQUIRE(mdlock_take(dfd, &fd) == -1 && errno != EWOULDBLOCK);
	ATF_REQUIRE(fd == -1 && exists(MDLOCK_NAME));
	teardown();
}

/*
 * Temporary files of attempts: an old one is a dead store's and goes,
 * a fresh one may be another node's attempt in flight and stays.
 */
ATF_TC_WITHOUT_HEAD(mdlock__temp_left);
ATF_TC_BODY(mdlock__temp_left, tc)
{
	int	fd;

	setup();
	put(MDLOCK_NAME ".AbC123", "x:1 1\n");
	age(MDLOCK_NAME ".AbC123", MAILDIR_LOCK_BREAK_STALE + 10);
	put(MDLOCK_NAME ".XyZ789", "x:1 1\n");
	put(MDLOCK_NAME ".notours", "x:1 1\n");
	age(MDLOCK_NAME ".notours", MAILDIR_LOCK_BREAK_STALE + 10);
	take_ok(&fd);
	ATF_REQUIRE_MSG(!exists(MDLOCK_NAME ".AbC123"), "old temp left");
	ATF_REQUIRE_MSG(exists(MDLOCK_NAME ".XyZ789"), "fresh temp removed");
	ATF_REQUIRE_MSG(exists(MDLOCK_NAME ".notours"), "other file removed");
	mdlock_release(dfd, fd);
	teardown();
}

/* A stale pop3d.lock of an older pop3d stops nothing and stays. */
ATF_TC_WITHOUT_HEAD(mdlock__old_name);
ATF_TC_BODY(mdlock__old_name, tc)
{
	int	fd;

	setup();
	put("pop3d.lock", "");
	take_ok(&fd);
	mdlock_release(dfd, fd);
	ATF_REQUIRE(exists("pop3d.lock"));
	teardown();
}

/* The backend: a session that lost its lock deletes nothing at QUIT. */
ATF_TC_WITHOUT_HEAD(mdlock__maildir_lost);
ATF_TC_BODY(mdlock__maildir_lost, tc)
{
	struct maildrop		md;
	struct store_update	up;
	int			fd;

	setup();
	ATF_REQUIRE(mkdirat(dfd, "cur", 0700) == 0);
	ATF_REQUIRE(mkdirat(dfd, "new", 0700) == 0);
	ATF_REQUIRE(mkdirat(dfd, "tmp", 0700) == 0);
	put("cur/1.a:2,", "one\n");
	maildrop_setup(&md, &maildir_ops, dfd, NULL);
	ATF_REQUIRE(md.ops->scan(&md) == 0 && md.nmsgs == 1);
	md.msgs[0].deleted = 1;
	ATF_REQUIRE(unlinkat(dfd, MDLOCK_NAME, 0) == 0);
	/* Another session took it meanwhile. */
	take_ok(&fd);
	md.ops->keep(&md);
	ATF_REQUIRE(md.lost);
	ATF_REQUIRE(md.ops->update(&md, &up) == STORE_ERR_TEMP);
	ATF_REQUIRE_MSG(exists("cur/1.a:2,"), "deleted without the lock");
	md.ops->release(&md);
	ATF_REQUIRE_MSG(exists(MDLOCK_NAME), "released the lock of another");
	require_ours();
	mdlock_release(dfd, fd);
	teardown();
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, mdlock__take_release);
	ATF_TP_ADD_TC(tp, mdlock__second_take);
	ATF_TP_ADD_TC(tp, mdlock__dead_pid);
	ATF_TP_ADD_TC(tp, mdlock__stale_age);
	ATF_TP_ADD_TC(tp, mdlock__foreign_fresh);
	ATF_TP_ADD_TC(tp, mdlock__foreign_old);
	ATF_TP_ADD_TC(tp, mdlock__break_lock);
	ATF_TP_ADD_TC(tp, mdlock__break_lock_dead);
	ATF_TP_ADD_TC(tp, mdlock__lost);
	ATF_TP_ADD_TC(tp, mdlock__lost_inode);
	ATF_TP_ADD_TC(tp, mdlock__refresh);
	ATF_TP_ADD_TC(tp, mdlock__garbage);
	ATF_TP_ADD_TC(tp, mdlock__not_regular);
	ATF_TP_ADD_TC(tp, mdlock__temp_left);
	ATF_TP_ADD_TC(tp, mdlock__old_name);
	ATF_TP_ADD_TC(tp, mdlock__maildir_lost);
	return (atf_no_error());
}
