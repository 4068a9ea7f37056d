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

#include <atf-c.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

/* The Maildir backend on a temporary directory: no root, no chroot. */

static char	tdir[64];

static void
setup(void)
{
	log_init(1, LOG_USER);
	strlcpy(tdir, "/tmp/maildir_test.XXXXXX", sizeof(tdir));
	ATF_REQUIRE(mkdtemp(tdir) != NULL);
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return (remove(path));
}

static void
teardown(void)
{
	nftw(tdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
mkd(const char *sub)
{
	char	path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tdir, sub);
	ATF_REQUIRE_MSG(mkdir(path, 0700) == 0 || errno == EEXIST,
	    "mkdir %s", path);
}

static void
put(const char *sub, const char *name, const char *content)
{
	char	path[PATH_MAX];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s/%s", tdir, sub, name);
	ATF_REQUIRE_MSG((fp = fopen(path, "w")) != NULL, "create %s", path);
	fputs(content, fp);
	ATF_REQUIRE(fclose(fp) == 0);
}

static void
rm(const char *sub, const char *name)
{
	char	path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/%s", tdir, sub, name);
	ATF_REQUIRE_MSG(unlink(path) == 0, "unlink %s", path);
}

static int
exists(const char *sub, const char *name)
{
	char		path[PATH_MAX];
	struct stat	sb;

	snprintf(path, sizeof(path), "%s/%s/%s", tdir, sub, name);
	return (lstat(path, &sb) == 0);
}

static void
maildir_dirs(void)
{
	mkd("cur");
	mkd("new");
	mkd("tmp");
}

static int
md_open(struct maildrop *md)
{
	int	fd;

	ATF_REQUIRE((fd = open(tdir, O_RDONLY | O_DIRECTORY)) != -1);
	maildrop_setup(md, &maildir_ops, fd, NULL);
	return (md->ops->scan(md));
}

static void
md_close(struct maildrop *md)
{
	int	fd = md->dirfd;

	md->ops->release(md);
	close(fd);
}

static void
md_scan_ok(struct maildrop *md)
{
	int	rc;

	rc = md_open(md);
	ATF_REQUIRE_MSG(rc == 0, "scan of %s: %d", tdir, rc);
}

static struct smsg *
find(struct maildrop *md, const char *base)
{
	size_t	i, len = strlen(base);

	for (i = 0; i < md->nmsgs; i++)
		if (strncmp(md->msgs[i].name, base, len) == 0 &&
		    (md->msgs[i].name[len] == '\0' ||
		    md->msgs[i].name[len] == ':'))
			return (&md->msgs[i]);
	ATF_REQUIRE_MSG(0, "message %s not listed", base);
	return (NULL);
}

static void
expect_size(struct maildrop *md, const char *base, uint64_t size)
{
	struct smsg	*m = find(md, base);

	ATF_REQUIRE_MSG(m->size == size, "%s: size %llu, want %llu", base,
	    (unsigned long long)m->size, (unsigned long long)size);
}

static char *
slurp(const char *name)
{
	static char	buf[8192];
	char		path[PATH_MAX];
	int		fd;
	ssize_t		n;

	snprintf(path, sizeof(path), "%s/%s", tdir, name);
	ATF_REQUIRE_MSG((fd = open(path, O_RDONLY)) != -1, "open %s", path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return (buf);
}

/* The cache's lines after its header, which is checked. */
static char *
cache_lines(void)
{
	char	*c = slurp("pop3d-uidlist"), *nl;

	ATF_REQUIRE_MSG(strncmp(c, "pop3d-uidlist 1 ", 16) == 0 &&
	    (nl = strchr(c, '\n')) != NULL, "cache header: \"%s\"", c);
	return (nl + 1);
}

/* Whether the cache says it stands for cur/ whole. */
static int
cache_whole(void)
{
	char	*c = slurp("pop3d-uidlist"), *nl;

	ATF_REQUIRE((nl = strchr(c, '\n')) != NULL);
	return (nl[-1] == '1');
}

/* cur/ as if its last change was a minute ago. */
static void
cur_age(void)
{
	char		path[PATH_MAX];
	struct timespec	ts[2];

	snprintf(path, sizeof(path), "%s/cur", tdir);
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 60;
	ts[1] = ts[0];
	ATF_REQUIRE(utimensat(AT_FDCWD, path, ts, 0) == 0);
}

static ino_t
inode(const char *name)
{
	char		path[PATH_MAX];
	struct stat	sb;

	snprintf(path, sizeof(path), "%s/%s", tdir, name);
	ATF_REQUIRE_MSG(stat(path, &sb) == 0, "stat %s", path);
	return (sb.st_ino);
}

ATF_TC_WITHOUT_HEAD(maildir__new_to_cur);
ATF_TC_BODY(maildir__new_to_cur, tc)
{
	struct maildrop	md;

	setup();
	maildir_dirs();
	put("new", "100.a.host", "x\n");
	put("new", ".hidden", "y\n");
	put("tmp", "101.b.host", "being delivered\n");
	md_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == 1, "new/100.a.host: %zu messages",
	    md.nmsgs);
	ATF_REQUIRE_MSG(strcmp(md.msgs[0].name, "100.a.host:2,") == 0,
	    "moved to cur/%s", md.msgs[0].name);
	ATF_REQUIRE_MSG(!exists("new", "100.a.host") &&
	    exists("cur", "100.a.host:2,"), "new/100.a.host not in cur/");
	ATF_REQUIRE_MSG(exists("new", ".hidden"), "new/.hidden was moved");
	ATF_REQUIRE_MSG(exists("tmp", "101.b.host"), "tmp/ was touched");
	md_close(&md);
	teardown();
}

ATF_TC_WITHOUT_HEAD(maildir__sizes);
ATF_TC_BODY(maildir__sizes, tc)
{
	struct maildrop	md;

	setup();
	maildir_dirs();
	put("cur", "1.lf:2,", "a\nb\n");
	put("cur", "2.crlf:2,S", "a\r\nb\r\n");
	put("cur", "3.mixed:2,", "a\r\nb\nc");
	put("cur", "4.empty:2,", "");
	put("cur", "5.from:2,", ">From x\n");
	put("new", "6.new", "x\n");
	md_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == 6, "%zu messages", md.nmsgs);
	expect_size(&md, "1.lf", 6);
	expect_size(&md, "2.crlf", 6);
	expect_size(&md, "3.mixed", 9);
	expect_size(&md, "4.empty", 0);
	/* No mboxrd unquoting in a Maildir. */
	expect_size(&md, "5.from", 9);
	expect_size(&md, "6.new", 3);
	ATF_REQUIRE_MSG(md.octets == 33, "octets %llu",
	    (unsigned long long)md.octets);
	ATF_REQUIRE_MSG(md.mboxrd == 0, "Maildir marked mboxrd");
	md_close(&md);
	teardown();
}

/* ",W=" is used as is when plausible; the cache lists every message. */
ATF_TC_WITHOUT_HEAD(maildir__wsize);
ATF_TC_BODY(maildir__wsize, tc)
{
	struct maildrop	 md;
	const char	*cache;

	setup();
	maildir_dirs();
	put("cur", "10.a,S=4,W=7:2,S", "abcd");
	put("cur", "11.b,S=4,W=100:2,", "abcd");
	put("cur", "12.c,W=x:2,", "abcd");
	md_scan_ok(&md);
	expect_size(&md, "10.a,S=4,W=7", 7);
	expect_size(&md, "11.b,S=4,W=100", 6);
	expect_size(&md, "12.c,W=x", 6);
	md_close(&md);
	cache = cache_lines();
	ATF_REQUIRE_MSG(strstr(cache, "10.a,S=4,W=7:2,S 4 7 10.a,S=4,W=7\n") != NULL &&
	    strstr(cache, "11.b,S=4,W=100:2, 4 6 11.b,S=4,W=100\n") != NULL,
	    "cache: \"%s\"", cache);
	teardown();
}

/*
 * Same raw length, other content: a re-read would give 7, the cache
 * says 5.  A different raw length makes the entry stale.
 */
ATF_TC_WITHOUT_HEAD(maildir__cache_reused);
ATF_TC_BODY(maildir__cache_reused, tc)
{
	struct maildrop	 md;
	const char	*cache;

	setup();
	maildir_dirs();
	put("cur", "1.a:2,", "abc\n");
	md_scan_ok(&md);
	expect_size(&md, "1.a", 5);
	md_close(&md);
	cache = cache_lines();
	ATF_REQUIRE_MSG(strcmp(cache, "1.a:2, 4 5 1.a\n") == 0, "cache \"%s\"",
	    cache);

	put("cur", "1.a:2,", "a\n\n\n");
	md_scan_ok(&md);
	expect_size(&md, "1.a", 5);
	md_close(&md);

	put("cur", "1.a:2,", "a\n\n\n\n");
	md_scan_ok(&md);
	expect_size(&md, "1.a", 9);
	md_close(&md);
	cache = cache_lines();
	ATF_REQUIRE_MSG(strcmp(cache, "1.a:2, 5 9 1.a\n") == 0, "cache \"%s\"",
	    cache);
	teardown();
}

/* Unchanged: not rewritten.  A message gone: its entry goes too. */
ATF_TC_WITHOUT_HEAD(maildir__cache_rewrite);
ATF_TC_BODY(maildir__cache_rewrite, tc)
{
	struct maildrop	 md;
	ino_t		 ino;
	const char	*cache;

	setup();
	maildir_dirs();
	put("cur", "1.a:2,", "abc\n");
	put("cur", "2.b:2,", "de\n");
	md_scan_ok(&md);
	md_close(&md);
	ino = inode("pop3d-uidlist");
	md_scan_ok(&md);
	md_close(&md);
	ATF_REQUIRE_MSG(inode("pop3d-uidlist") == ino,
	    "cache rewritten without a change");
	rm("cur", "1.a:2,");
	md_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == 1, "%zu messages", md.nmsgs);
	md_close(&md);
	cache = cache_lines();
	ATF_REQUIRE_MSG(strcmp(cache, "2.b:2, 3 4 2.b\n") == 0, "cache \"%s\"",
	    cache);
	teardown();
}

/*
 * Bad lines are dropped; good ones still count (999 proves it), also
 * those of the first format, which named messages by base name.
 */
ATF_TC_WITHOUT_HEAD(maildir__cache_corrupt);
ATF_TC_BODY(maildir__cache_corrupt, tc)
{
	struct maildrop	 md;
	char		 longline[3000], cache[4096];

	setup();
	maildir_dirs();
	put("cur", "1.a:2,", "abc\n");
	put("cur", "2.b:2,", "de\n");
	put("cur", "3.c:2,", "f\n");
	/* Junk, a line too long for any name, a last line cut short. */
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	snprintf(cache, sizeof(cache), "garbage\n1.a 4 999\n\n2.b x y\n"
	    "%s 1 1\n3.c 2 3", longline);
	put(".", "pop3d-sizes", cache);
	md_scan_ok(&md);
	expect_size(&md, "1.a", 999);
	expect_size(&md, "2.b", 4);
	expect_size(&md, "3.c", 3);
	md_close(&md);
	ATF_REQUIRE_MSG(strcmp(cache_lines(),
	    "1.a:2, 4 999 1.a\n2.b:2, 3 4 2.b\n3.c:2, 2 3 3.c\n") == 0,
	    "list \"%s\"", slurp("pop3d-uidlist"));
	ATF_REQUIRE_MSG(!exists(".", "pop3d-sizes"),
	    "the old size cache was left beside the list");
	ATF_REQUIRE_MSG(!cache_whole(), "a cache of a changing cur/ trusted");
	teardown();
}

/*
 * Once cur/ has been quiet, the cache stands for it whole: the next
 * scan reads neither cur/ nor a message (the 999 in the cache is
 * believed), until cur/ changes.
 */
ATF_TC_WITHOUT_HEAD(maildir__cache_whole);
ATF_TC_BODY(maildir__cache_whole, tc)
{
	struct maildrop	 md;
	char		 cache[512];

	setup();
	maildir_dirs();
	put("cur", "1.a:2,", "abc\n");
	put("cur", "2.b:2,S", "de\n");
	cur_age();
	md_scan_ok(&md);
	md_close(&md);
	ATF_REQUIRE_MSG(cache_whole(), "cache of a quiet cur/ not whole");
	strlcpy(cache, slurp("pop3d-uidlist"), sizeof(cache));
	*strstr(cache, " 4 5 1.a\n") = '\0';
	strlcat(cache, " 4 999 1.a\n2.b:2,S 3 4 2.b\n", sizeof(cache));
	put(".", "pop3d-uidlist", cache);
	md_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == 2, "%zu messages", md.nmsgs);
	expect_size(&md, "1.a", 999);
	md_close(&md);

	/* A new name in cur/ changes its mtime: read again. */
	put("cur", "3.c:2,", "f\n");
	md_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == 3, "%zu messages", md.nmsgs);
	expect_size(&md, "3.c", 3);
	md_close(&md);
	ATF_REQUIRE_MSG(!cache_whole(), "cache of a changing cur/ trusted");
	teardown();
}

/* A header for another cur/, or a count that disagrees: read cur/. */
ATF_TC_WITHOUT_HEAD(maildir__cache_stale);
ATF_TC_BODY(maildir__cache_stale, tc)
{
	struct maildrop	 md;
	char		 cache[512], *p;

	setup();
	maildir_dirs();
	put("cur", "1.a:2,", "abc\n");
	put("cur", "2.b:2,", "de\n");
	cur_age();
	md_scan_ok(&md);
	md_close(&md);
	ATF_REQUIRE(cache_whole());
	/* One line lost: the count says 2. */
	strlcpy(cache, slurp("pop3d-uidlist"), sizeof(cache));
	ATF_REQUIRE((p = strstr(cache, "2.b:2,")) != NULL);
	*p = '\0';
	put(".", "pop3d-uidlist", cache);
	md_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == 2, "%zu messages", md.nmsgs);
	md_close(&md);
	/* Another inode. */
	snprintf(cache, sizeof(cache), "pop3d-uidlist 1 1 5 2 1 1 1 1\n"
	    "1.a:2, 4 999 1.a\n2.b:2, 3 4 2.b\n");
	put(".", "pop3d-uidlist", cache);
	md_scan_ok(&md);
	expect_size(&md, "1.a", 999);	/* sizes still serve */
	ATF_REQUIRE_MSG(md.nmsgs == 2, "%zu messages", md.nmsgs);
	md_close(&md);
	ATF_REQUIRE_MSG(strstr(slurp("pop3d-uidlist"), " 1 1 1\n") == NULL,
	    "stale header kept: \"%s\"", slurp("pop3d-uidlist"));
	teardown();
}

/* A message changed in place after the login is sent as it is now. */
ATF_TC_WITHOUT_HEAD(maildir__open_changed);
ATF_TC_BODY(maildir__open_changed, tc)
{
	struct maildrop	md;
	uint64_t	off, len;
	int		fd;

	setup();
	maildir_dirs();
	put("cur", "1.a:2,", "abc\n");
	md_scan_ok(&md);
	expect_size(&md, "1.a", 5);
	put("cur", "1.a:2,", "abc\ndef\n");
	fd = md.ops->open(&md, &md.msgs[0], &off, &len);
	ATF_REQUIRE_MSG(fd != -1, "open of 1.a");
	ATF_REQUIRE_MSG(len == 8 && lseek(fd, 0, SEEK_CUR) == 0,
	    "length %llu", (unsigned long long)len);
	expect_size(&md, "1.a", 10);
	close(fd);
	md_close(&md);
	teardown();
}

/*
 * A FIFO another program put in the place of a message since the login
 * is refused at RETR; opening it must not wait for a writer (alarm()
 * kills the test if it does).
 */
ATF_TC_WITHOUT_HEAD(maildir__open_fifo);
ATF_TC_BODY(maildir__open_fifo, tc)
{
	struct maildrop	md;
	char		path[PATH_MAX];
	uint64_t	off, len;

	setup();
	maildir_dirs();
	put("cur", "1.a:2,", "abc\n");
	md_scan_ok(&md);
	rm("cur", "1.a:2,");
	snprintf(path, sizeof(path), "%s/cur/1.a:2,", tdir);
	ATF_REQUIRE(mkfifo(path, 0600) == 0);
	alarm(10);
	ATF_REQUIRE_MSG(md.ops->open(&md, &md.msgs[0], &off, &len) == -1,
	    "a FIFO was opened as the message");
	alarm(0);
	md_close(&md);
	teardown();
}

ATF_TC_WITHOUT_HEAD(maildir__uidl);
ATF_TC_BODY(maildir__uidl, tc)
{
	struct maildrop	 md;
	char		 longname[128], saved[4][UIDL_MAX + 1], want[33];
	const char	*spaced = "1002.has space";
	size_t		 i, j;

	setup();
	maildir_dirs();
	memset(longname, 0, sizeof(longname));
	memcpy(longname, "1001.", 5);
	memset(longname + 5, 'L', 80);
	put("cur", "1000.short.host:2,S", "a\n");
	put("cur", longname, "b\n");
	put("cur", spaced, "c\n");
	put("new", "1003.fresh", "d\n");
	md_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == 4, "%zu messages", md.nmsgs);
	for (i = 0; i < 4; i++)
		strlcpy(saved[i], md.msgs[i].uidl, sizeof(saved[i]));
	ATF_REQUIRE_MSG(strcmp(saved[0], "1000.short.host") == 0,
	    "uidl of 1000.short.host:2,S is %s", saved[0]);
	MD5Data((const uint8_t *)longname, strlen(longname), want);
	ATF_REQUIRE_MSG(strcmp(saved[1], want) == 0,
	    "uidl of an 85-character name: %s, want %s", saved[1], want);
	MD5Data((const uint8_t *)spaced, strlen(spaced), want);
	ATF_REQUIRE_MSG(strcmp(saved[2], want) == 0,
	    "uidl of \"%s\": %s, want %s", spaced, saved[2], want);
	ATF_REQUIRE_MSG(strcmp(saved[3], "1003.fresh") == 0,
	    "uidl of new/1003.fresh: %s", saved[3]);
	md_close(&md);
	md_scan_ok(&md);
	for (i = 0; i < 4; i++) {
		ATF_REQUIRE_MSG(strcmp(saved[i], md.msgs[i].uidl) == 0,
		    "message %zu: uidl %s then %s", i + 1, saved[i],
		    md.msgs[i].uidl);
		ATF_REQUIRE_MSG(uidl_valid(md.msgs[i].uidl,
		    strlen(md.msgs[i].uidl)), "invalid uidl %s",
		    md.msgs[i].uidl);
		for (j = 0; j < i; j++)
			ATF_REQUIRE_MSG(strcmp(md.msgs[i].uidl,
			    md.msgs[j].uidl) != 0, "duplicate uidl %s",
			    md.msgs[i].uidl);
	}
	md_close(&md);
	teardown();
}

/* Two files with one base name (a broken Maildir) still differ. */
ATF_TC_WITHOUT_HEAD(maildir__uidl_duplicate);
ATF_TC_BODY(maildir__uidl_duplicate, tc)
{
	struct maildrop	md;

	setup();
	maildir_dirs();
	put("cur", "5.x:2,S", "a\n");
	put("cur", "5.x:2,T", "b\n");
	put("cur", "5.x-2:2,", "c\n");
	md_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == 3, "%zu messages", md.nmsgs);
	ATF_REQUIRE_MSG(strcmp(md.msgs[0].uidl, "5.x") == 0 &&
	    strcmp(md.msgs[1].uidl, "5.x-3") == 0 &&
	    strcmp(md.msgs[2].uidl, "5.x-2") == 0,
	    "uidls %s (%s), %s (%s), %s (%s)", md.msgs[0].uidl,
	    md.msgs[0].name, md.msgs[1].uidl, md.msgs[1].name,
	    md.msgs[2].uidl, md.msgs[2].name);
	md_close(&md);
	teardown();
}

ATF_TC_WITHOUT_HEAD(maildir__order);
ATF_TC_BODY(maildir__order, tc)
{
	static const char *want[] = {
	    "x.nodigits", "30.c", "200.a", "200.b", "1000.a"
	};
	struct maildrop	md;
	size_t		i;

	setup();
	maildir_dirs();
	put("cur", "200.b:2,", "1\n");
	put("cur", "1000.a:2,", "2\n");
	put("new", "30.c", "3\n");
	put("cur", "200.a:2,S", "4\n");
	put("cur", "x.nodigits:2,", "5\n");
	md_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == 5, "%zu messages", md.nmsgs);
	for (i = 0; i < 5; i++)
		ATF_REQUIRE_MSG(strncmp(md.msgs[i].name, want[i],
		    strlen(want[i])) == 0, "message %zu is %s, want %s", i + 1,
		    md.msgs[i].name, want[i]);
	md_close(&md);
	teardown();
}

ATF_TC_WITHOUT_HEAD(maildir__open);
ATF_TC_BODY(maildir__open, tc)
{
	struct maildrop	md;
	uint64_t	off, len;
	char		buf[64];
	ssize_t		n;
	int		fd;

	setup();
	maildir_dirs();
	put("cur", "1.a:2,", "Subject: x\n\nbody\n");
	md_scan_ok(&md);
	fd = md.ops->open(&md, &md.msgs[0], &off, &len);
	ATF_REQUIRE_MSG(fd != -1, "open of 1.a");
	n = pread(fd, buf, sizeof(buf), off);
	ATF_REQUIRE_MSG(off == 0 && len == 17 && n == 17 &&
	    memcmp(buf, "Subject: x\n\nbody\n", 17) == 0,
	    "offset %llu length %llu read %zd", (unsigned long long)off,
	    (unsigned long long)len, n);
	ATF_REQUIRE_MSG(write(fd, "x", 1) == -1, "message fd is writable");
	close(fd);
	md_close(&md);
	teardown();
}

/* A flag change by another reader renames the file; we follow it. */
ATF_TC_WITHOUT_HEAD(maildir__flag_renamed);
ATF_TC_BODY(maildir__flag_renamed, tc)
{
	struct maildrop		md;
	struct store_update	up;
	char			from[PATH_MAX], to[PATH_MAX];
	uint64_t		off, len;
	int			fd;

	setup();
	maildir_dirs();
	put("cur", "1.a:2,", "abc\n");
	md_scan_ok(&md);
	snprintf(from, sizeof(from), "%s/cur/1.a:2,", tdir);
	snprintf(to, sizeof(to), "%s/cur/1.a:2,S", tdir);
	ATF_REQUIRE(rename(from, to) == 0);
	fd = md.ops->open(&md, &md.msgs[0], &off, &len);
	ATF_REQUIRE_MSG(fd != -1 && len == 4, "open after 1.a:2, became "
	    "1.a:2,S");
	close(fd);
	md.msgs[0].deleted = 1;
	ATF_REQUIRE(md.ops->update(&md, &up) == 0);
	ATF_REQUIRE_MSG(!exists("cur", "1.a:2,S") && up.deleted == 1,
	    "renamed message not deleted");
	md_close(&md);
	teardown();
}

ATF_TC_WITHOUT_HEAD(maildir__update);
ATF_TC_BODY(maildir__update, tc)
{
	struct maildrop		md;
	struct store_update	up;

	setup();
	maildir_dirs();
	put("cur", "1.a:2,", "one\n");
	put("cur", "2.b:2,", "two two\n");
	put("cur", "3.c:2,", "three\n");
	put("cur", "4.d:2,", "four\n");
	md_scan_ok(&md);
	md.msgs[1].deleted = 1;
	md.msgs[3].deleted = 1;
	/* Gone already (another reader): still fine. */
	rm("cur", "4.d:2,");
	ATF_REQUIRE(md.ops->update(&md, &up) == 0);
	ATF_REQUIRE_MSG(up.deleted == 2 && up.deleted_octets == 9 + 6,
	    "deleted %u octets %llu", up.deleted,
	    (unsigned long long)up.deleted_octets);
	ATF_REQUIRE_MSG(exists("cur", "1.a:2,") && !exists("cur", "2.b:2,") &&
	    exists("cur", "3.c:2,"), "wrong files deleted");
	md_close(&md);
	md_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == 2, "%zu messages after update",
	    md.nmsgs);
	md_close(&md);
	teardown();
}

/* No deletions: nothing is touched. */
ATF_TC_WITHOUT_HEAD(maildir__update_none);
ATF_TC_BODY(maildir__update_none, tc)
{
	struct maildrop		md;
	struct store_update	up;

	setup();
	maildir_dirs();
	put("cur", "1.a:2,", "one\n");
	md_scan_ok(&md);
	ATF_REQUIRE(md.ops->update(&md, &up) == 0);
	ATF_REQUIRE_MSG(up.deleted == 0 && exists("cur", "1.a:2,"),
	    "update without deletions deleted %u", up.deleted);
	md_close(&md);
	teardown();
}

ATF_TC_WITHOUT_HEAD(maildir__in_use);
ATF_TC_BODY(maildir__in_use, tc)
{
	struct maildrop	a, b;
	int		rc;

	setup();
	maildir_dirs();
	put("cur", "1.a:2,", "one\n");
	md_scan_ok(&a);
	rc = md_open(&b);
	ATF_REQUIRE_MSG(rc == STORE_ERR_INUSE, "second scan: %d", rc);
	md_close(&b);
	md_close(&a);
	rc = md_open(&b);
	ATF_REQUIRE_MSG(rc == 0, "scan after the first released: %d", rc);
	md_close(&b);
	teardown();
}

ATF_TC_WITHOUT_HEAD(maildir__skip_nonregular);
ATF_TC_BODY(maildir__skip_nonregular, tc)
{
	struct maildrop	md;
	char		path[PATH_MAX];

	setup();
	maildir_dirs();
	put("cur", "1.a:2,", "one\n");
	put("cur", ".2.hidden:2,", "two\n");
	mkd("cur/3.dir:2,");
	snprintf(path, sizeof(path), "%s/cur/4.link:2,", tdir);
	ATF_REQUIRE(symlink("1.a:2,", path) == 0);
	md_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == 1 && strcmp(md.msgs[0].name, "1.a:2,") ==
	    0, "%zu messages, first %s", md.nmsgs,
	    md.nmsgs ? md.msgs[0].name : "-");
	md_close(&md);
	teardown();
}

/* A Maildir without cur/ and new/ yet: empty, and cur/ is made. */
ATF_TC_WITHOUT_HEAD(maildir__empty);
ATF_TC_BODY(maildir__empty, tc)
{
	struct maildrop	md;

	setup();
	md_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == 0 && md.octets == 0, "%zu messages",
	    md.nmsgs);
	ATF_REQUIRE_MSG(exists(".", "cur"), "cur/ not created");
	md_close(&md);
	teardown();
}

/* The UIDL list (uidlist.c) on its own: a text in, what it holds. */
static void
ul_read(struct ulist *l, const char *text)
{
	FILE	*fp;
	char	*copy;

	memset(l, 0, sizeof(*l));
	ATF_REQUIRE((copy = strdup(text)) != NULL);
	ATF_REQUIRE((fp = fmemopen(copy, strlen(copy), "r")) != NULL);
	ulist_readfp(l, fp, 1);
	fclose(fp);
	free(copy);
}

static void
ul_msg(struct smsg *m, const char *name, uint64_t raw, uint64_t size,
    const char *uidl)
{
	memset(m, 0, sizeof(*m));
	m->name = xstrdup(name);
	m->length = raw;
	m->size = size;
	strlcpy(m->uidl, uidl, sizeof(m->uidl));
}

/* Written, read back: the same header, lines and ids; spaces in keys. */
ATF_TC_WITHOUT_HEAD(uidlist__round_trip);
ATF_TC_BODY(uidlist__round_trip, tc)
{
	struct ulist	 hdr, l;
	struct smsg	 m[3];
	size_t		 left;
	int		 fd;

	setup();
	ATF_REQUIRE((fd = open(tdir, O_RDONLY | O_DIRECTORY)) != -1);
	ul_msg(&m[0], "1.a:2,S", 4, 5, "1.a");
	ul_msg(&m[1], "2.has space:2,", 10, 12, "pop3d.100.6");
	ul_msg(&m[2], "3.c:2,", 1, 2, "3.c");
	m[2].deleted = 1;
	memset(&hdr, 0, sizeof(hdr));
	hdr.next = 7;
	hdr.epoch = 100;
	hdr.ino = 42;
	ATF_REQUIRE(ulist_write(fd, "list", "list.XXXXXX", &hdr, m, 3, 1,
	    &left) == 0);
	ulist_load(&l, fd, "list", geteuid(), 1);
	ATF_REQUIRE_MSG(l.found && l.hdr && !l.bad && l.n == 2,
	    "found %d hdr %d bad %d n %zu", l.found, l.hdr, l.bad, l.n);
	ATF_REQUIRE(l.next == 7 && l.epoch == 100 && l.ino == 42);
	ATF_REQUIRE(strcmp(l.ent[0].key, "1.a:2,S") == 0 &&
	    strcmp(l.ent[0].uidl, "1.a") == 0 && l.ent[0].raw == 4 &&
	    l.ent[0].size == 5);
	ATF_REQUIRE_MSG(strcmp(l.ent[1].key, "2.has space:2,") == 0 &&
	    strcmp(l.ent[1].uidl, "pop3d.100.6") == 0, "line 2: %s %s",
	    l.ent[1].key, l.ent[1].uidl);
	ulist_free(&l);
	free(m[0].name);
	free(m[1].name);
	free(m[2].name);
	close(fd);
	teardown();
}

/* Bad lines are dropped and counted, good ones kept. */
ATF_TC_WITHOUT_HEAD(uidlist__corrupt);
ATF_TC_BODY(uidlist__corrupt, tc)
{
	struct ulist	l;
	char		text[2048];
	char		longline[UIDLIST_LINE_MAX + 10];

	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	snprintf(text, sizeof(text), "pop3d-uidlist 1 5 100 6 0 0 0 0\n"
	    "a 1 2 ua\n"
	    "junk\n"
	    "b x 2 ub\n"
	    "c 1 2 bad\001id\n"
	    "%s 1 2 ul\n"
	    "d 1 2 ud\n"
	    " 1 2 ue\n", longline);
	ul_read(&l, text);
	ATF_REQUIRE_MSG(l.hdr && l.n == 2 && l.bad >= 5,
	    "hdr %d n %zu bad %d", l.hdr, l.n, l.bad);
	ATF_REQUIRE(strcmp(l.ent[0].uidl, "ua") == 0 &&
	    strcmp(l.ent[1].uidl, "ud") == 0);
	ulist_free(&l);
	/* A damaged header: lines still count, the counter does not. */
	ul_read(&l, "pop3d-uidlist 1 0 100 1 0 0 0 0\na 1 2 ua\n");
	ATF_REQUIRE(!l.hdr && l.bad && l.n == 1);
	ulist_free(&l);
}

/* A list cut short by a crash: the last line and the count are bad. */
ATF_TC_WITHOUT_HEAD(uidlist__truncated);
ATF_TC_BODY(uidlist__truncated, tc)
{
	struct ulist	l;

	ul_read(&l, "pop3d-uidlist 1 5 100 2 0 0 0 0\na 1 2 ua\nb 1 2 u");
	ATF_REQUIRE_MSG(l.hdr && l.n == 1 && l.bad == 2, "n %zu bad %d",
	    l.n, l.bad);
	ulist_free(&l);
	ul_read(&l, "pop3d-uidl");
	ATF_REQUIRE(!l.hdr && l.n == 0 && l.bad);
	ulist_free(&l);
}

/* One id on two lines: the first keeps it, the second goes. */
ATF_TC_WITHOUT_HEAD(uidlist__duplicates);
ATF_TC_BODY(uidlist__duplicates, tc)
{
	struct ulist	l;

	ul_read(&l, "pop3d-uidlist 1 5 100 3 0 0 0 0\n"
	    "a 1 2 same\nb 1 2 same\nb 1 2 other\n");
	ATF_REQUIRE_MSG(l.n == 2 && l.bad &&
	    strcmp(l.ent[0].key, "a") == 0 &&
	    strcmp(l.ent[1].uidl, "other") == 0, "n %zu", l.n);
	ulist_free(&l);
}

/*
 * The counter only counts up and skips ids held; a list without its
 * header starts an epoch after every one its lines show.
 */
ATF_TC_WITHOUT_HEAD(uidlist__high_water);
ATF_TC_BODY(uidlist__high_water, tc)
{
	struct ulist	  l;
	struct smsg	  m[3];
	struct ulent	 *match[3];
	char		  want[UIDL_MAX + 1];

	ul_read(&l, "pop3d-uidlist 1 5 100 2 0 0 0 0\n"
	    "a 1 2 pop3d.100.3\nb 1 2 pop3d.100.5\n");
	ul_msg(&m[0], "a", 1, 2, "a");
	ul_msg(&m[1], "c", 1, 2, "pop3d.100.3");	/* held: a has it */
	ul_msg(&m[2], "d", 1, 2, "d");
	ulist_match(&l, m, 3, strlen, match);
	ATF_REQUIRE(match[0] == &l.ent[0] && match[1] == NULL &&
	    match[2] == NULL);
	ATF_REQUIRE(ulist_assign(&l, m, 3, match, 1) == 2);
	ATF_REQUIRE_MSG(strcmp(m[0].uidl, "pop3d.100.3") == 0 &&
	    strcmp(m[1].uidl, "pop3d.100.6") == 0 &&
	    strcmp(m[2].uidl, "d") == 0 && l.next == 7,
	    "%s %s %s next %llu", m[0].uidl, m[1].uidl, m[2].uidl,
	    (unsigned long long)l.next);
	/* Without old ids every new message takes the counter's. */
	strlcpy(m[2].uidl, "d", sizeof(m[2].uidl));
	match[1] = NULL;
	ATF_REQUIRE(ulist_assign(&l, m, 3, match, 0) == 2);
	ATF_REQUIRE_MSG(strcmp(m[2].uidl, "pop3d.100.8") == 0, "%s",
	    m[2].uidl);
	ulist_free(&l);

	ul_read(&l, "a 1 2 pop3d.99999999999.4\n");
	ATF_REQUIRE(!l.hdr);
	strlcpy(m[1].uidl, "", sizeof(m[1].uidl));
	ulist_match(&l, m, 3, strlen, match);
	(void)ulist_assign(&l, m, 3, match, 0);
	snprintf(want, sizeof(want), "pop3d.%llu.1",
	    (unsigned long long)100000000000ULL);
	ATF_REQUIRE_MSG(l.epoch == 100000000000ULL &&
	    strcmp(m[0].uidl, "pop3d.99999999999.4") == 0 &&
	    strcmp(m[1].uidl, want) == 0, "epoch %llu, %s %s",
	    (unsigned long long)l.epoch, m[0].uidl, m[1].uidl);
	ulist_free(&l);
	free(m[0].name);
	free(m[1].name);
	free(m[2].name);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, maildir__new_to_cur);
	ATF_TP_ADD_TC(tp, maildir__sizes);
	ATF_TP_ADD_TC(tp, maildir__wsize);
	ATF_TP_ADD_TC(tp, maildir__cache_reused);
	ATF_TP_ADD_TC(tp, maildir__cache_rewrite);
	ATF_TP_ADD_TC(tp, maildir__cache_corrupt);
	ATF_TP_ADD_TC(tp, maildir__cache_whole);
	ATF_TP_ADD_TC(tp, maildir__cache_stale);
	ATF_TP_ADD_TC(tp, maildir__open_changed);
	ATF_TP_ADD_TC(tp, maildir__open_fifo);
	ATF_TP_ADD_TC(tp, maildir__uidl);
	ATF_TP_ADD_TC(tp, maildir__uidl_duplicate);
	ATF_TP_ADD_TC(tp, uidlist__round_trip);
	ATF_TP_ADD_TC(tp, uidlist__corrupt);
	ATF_TP_ADD_TC(tp, uidlist__truncated);
	ATF_TP_ADD_TC(tp, uidlist__duplicates);
	ATF_TP_ADD_TC(tp, uidlist__high_water);
	ATF_TP_ADD_TC(tp, maildir__order);
	ATF_TP_ADD_TC(tp, maildir__open);
	ATF_TP_ADD_TC(tp, maildir__flag_renamed);
	ATF_TP_ADD_TC(tp, maildir__update);
	ATF_TP_ADD_TC(tp, maildir__update_none);
	ATF_TP_ADD_TC(tp, maildir__in_use);
	ATF_TP_ADD_TC(tp, maildir__skip_nonregular);
	ATF_TP_ADD_TC(tp, maildir__empty);
	return (atf_no_error());
}
