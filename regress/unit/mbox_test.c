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
#include <sys/time.h>
#include <sys/wait.h>

#include <atf-c.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <md5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "store.h"
#include "xform.h"

/* The mbox backend on a temporary directory: no root, no chroot. */

#define MBOX	"inbox"

static char	tdir[64];

/* Three messages; the second has an unseparated From and blank lines. */
#define F1	"From a@example.org Mon Jan  1 00:00:00 2024\n"
#define H1	"Subject: one\n"
#define B1	"\nbody1\n"
#define F2	"From c@example.org Mon Jan  1 00:00:01 2024\n"
#define H2	"Subject: two\nX-Other: y\n"
#define B2	"\nbody2\nFrom inside the body\n\n"
#define F3	"From e@example.org Mon Jan  1 00:00:02 2024\n"
#define H3	"Subject: three\n"
#define B3	"\nlast\n"
#define SEP	"\n"
#define MBOX3	F1 H1 B1 SEP F2 H2 B2 SEP F3 H3 B3 SEP

static void
setup(void)
{
	log_init(1, LOG_USER);
	strlcpy(tdir, "/tmp/mbox_test.XXXXXX", sizeof(tdir));
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
path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tdir, name);
}

static void
put(const char *name, const char *content, const char *mode)
{
	char	path[PATH_MAX];
	FILE	*fp;

	path_of(path, sizeof(path), name);
	ATF_REQUIRE_MSG((fp = fopen(path, mode)) != NULL, "open %s", path);
	fputs(content, fp);
	ATF_REQUIRE(fclose(fp) == 0);
}

/* A dot lock holding pid, as liblockfile writes one. */
static void
put_pid(const char *name, pid_t pid)
{
	char	buf[32];

	snprintf(buf, sizeof(buf), "%ld\n", (long)pid);
	put(name, buf, "w");
}

/* The whole file, NUL-terminated; the caller frees it. */
static char *
slurp(const char *name, size_t *lenp)
{
	char		 path[PATH_MAX], *buf;
	struct stat	 sb;
	int		 fd;

	path_of(path, sizeof(path), name);
	ATF_REQUIRE_MSG((fd = open(path, O_RDONLY)) != -1, "open %s", path);
	ATF_REQUIRE(fstat(fd, &sb) == 0);
	ATF_REQUIRE((buf = calloc(1, sb.st_size + 1)) != NULL);
	ATF_REQUIRE(read(fd, buf, sb.st_size) == sb.st_size);
	close(fd);
	if (lenp != NULL)
		*lenp = sb.st_size;
	return (buf);
}

static void
expect_file(const char *want)
{
	char	*got;
	size_t	 len;

	got = slurp(MBOX, &len);
	ATF_REQUIRE_MSG(len == strlen(want) && memcmp(got, want, len) == 0,
	    "mbox is\n%s\nwant\n%s", got, want);
	free(got);
}

/* uidl x-uidl: off, as by default, unless a test turns it on. */
static int	mb_xuidl;

static int
mb_open(struct maildrop *md)
{
	int	fd;

	ATF_REQUIRE((fd = open(tdir, O_RDONLY | O_DIRECTORY)) != -1);
	maildrop_setup(md, &mbox_ops, fd, MBOX);
	md->xuidl = mb_xuidl;
	return (md->ops->scan(md));
}

static void
mb_scan_ok(struct maildrop *md)
{
	int	rc;

	rc = mb_open(md);
	ATF_REQUIRE_MSG(rc == 0, "scan of %s/%s: %d", tdir, MBOX, rc);
}

static void
mb_close(struct maildrop *md)
{
	int	fd = md->dirfd;

	md->ops->release(md);
	close(fd);
}

/* The message as the backend hands it to the session. */
static void
expect_msg(struct maildrop *md, size_t i, const char *want)
{
	struct smsg	*m = &md->msgs[i];
	uint64_t	 off, len;
	char		*buf;
	int		 fd;

	fd = md->ops->open(md, m, &off, &len);
	ATF_REQUIRE_MSG(fd != -1, "open of message %zu", i + 1);
	ATF_REQUIRE((buf = calloc(1, len + 1)) != NULL);
	ATF_REQUIRE(pread(fd, buf, len, off) == (ssize_t)len);
	close(fd);
	ATF_REQUIRE_MSG(len == strlen(want) && memcmp(buf, want, len) == 0,
	    "message %zu is \"%s\", want \"%s\"", i + 1, buf, want);
	ATF_REQUIRE_MSG(m->size == xform_size(want, strlen(want), 1),
	    "message %zu: size %llu, want %llu", i + 1,
	    (unsigned long long)m->size,
	    (unsigned long long)xform_size(want, strlen(want), 1));
	free(buf);
}

static void
md5hex(const char *s, char *out)
{
	MD5Data((const uint8_t *)s, strlen(s), out);
}

static int
update(struct maildrop *md, struct store_update *up)
{
	return (md->ops->update(md, up));
}

ATF_TC_WITHOUT_HEAD(mbox__parse);
ATF_TC_BODY(mbox__parse, tc)
{
	struct maildrop	md;

	setup();
	put(MBOX, MBOX3, "w");
	mb_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == 3, "%zu messages", md.nmsgs);
	ATF_REQUIRE_MSG(md.mboxrd == 1, "mbox not marked mboxrd");
	expect_msg(&md, 0, H1 B1);
	/* An unseparated From and a blank line are text; one more is not. */
	expect_msg(&md, 1, H2 B2);
	/* The file's last blank line is the separator, not text. */
	expect_msg(&md, 2, H3 B3);
	ATF_REQUIRE_MSG(md.msgs[1].from == strlen(F1 H1 B1 SEP),
	    "From_ of message 2 at %llu", (unsigned long long)md.msgs[1].from);
	ATF_REQUIRE_MSG(md.octets == md.msgs[0].size + md.msgs[1].size +
	    md.msgs[2].size, "octets %llu", (unsigned long long)md.octets);
	mb_close(&md);
	teardown();
}

/* A file without a final blank line or newline; an empty message. */
ATF_TC_WITHOUT_HEAD(mbox__parse_edges);
ATF_TC_BODY(mbox__parse_edges, tc)
{
	struct maildrop	md;

	setup();
	put(MBOX, "From x\n\nFrom y\nA: b\n\nno newline", "w");
	mb_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == 2, "%zu messages", md.nmsgs);
	expect_msg(&md, 0, "");
	expect_msg(&md, 1, "A: b\n\nno newline");
	ATF_REQUIRE_MSG(md.msgs[1].size == 20, "size %llu",
	    (unsigned long long)md.msgs[1].size);
	mb_close(&md);
	teardown();
}

ATF_TC_WITHOUT_HEAD(mbox__crlf);
ATF_TC_BODY(mbox__crlf, tc)
{
	struct maildrop	md;

	setup();
	put(MBOX, "From x\r\nA: b\r\n\r\nbody\r\n\r\nFrom y\r\nC: d\r\n\r\n",
	    "w");
	mb_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == 2, "%zu messages", md.nmsgs);
	expect_msg(&md, 0, "A: b\r\n\r\nbody\r\n");
	expect_msg(&md, 1, "C: d\r\n");
	mb_close(&md);
	teardown();
}

ATF_TC_WITHOUT_HEAD(mbox__mboxrd_sizes);
ATF_TC_BODY(mbox__mboxrd_sizes, tc)
{
	struct maildrop	md;
	const char	*body = "A: b\n\n>From x\n>>From y\n>Fromz\n";

	setup();
	put(MBOX, "From q\nA: b\n\n>From x\n>>From y\n>Fromz\n", "w");
	mb_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == 1, "%zu messages", md.nmsgs);
	/* Five CRLF lines: raw + 5, less one '>' each on two lines. */
	ATF_REQUIRE_MSG(md.msgs[0].size == strlen(body) + 5 - 2,
	    "size of \"%s\": %llu", body, (unsigned long long)md.msgs[0].size);
	expect_msg(&md, 0, body);
	mb_close(&md);
	teardown();
}

ATF_TC_WITHOUT_HEAD(mbox__xuidl);
ATF_TC_BODY(mbox__xuidl, tc)
{
	struct maildrop	md;
	char		want[33];
	char		longv[100];

	mb_xuidl = 1;

	setup();
	memset(longv, 'v', 80);
	longv[80] = '\0';
	put(MBOX, "From a\nX-UIDL: abc123\n\nx\n\n"
	    "From b\nx-uidl:\tfoo  \r\n\nx\n\n"
	    "From c\nSubject: s\n\nX-UIDL: inbody\n\n"
	    "From d\nX-UIDL: a b\n\nx\n\n"
	    "From e\nX-UIDL: ", "w");
	put(MBOX, longv, "a");
	put(MBOX, "\n\nx\n", "a");
	mb_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == 5, "%zu messages", md.nmsgs);
	ATF_REQUIRE_MSG(strcmp(md.msgs[0].uidl, "abc123") == 0,
	    "X-UIDL: abc123 gave %s", md.msgs[0].uidl);
	ATF_REQUIRE_MSG(strcmp(md.msgs[1].uidl, "foo") == 0,
	    "x-uidl:\\tfoo gave %s", md.msgs[1].uidl);
	md5hex("From c\nSubject: s\n", want);
	ATF_REQUIRE_MSG(strcmp(md.msgs[2].uidl, want) == 0,
	    "X-UIDL in the body gave %s, want %s", md.msgs[2].uidl, want);
	md5hex("From d\nX-UIDL: a b\n", want);
	ATF_REQUIRE_MSG(strcmp(md.msgs[3].uidl, want) == 0,
	    "X-UIDL: a b gave %s, want %s", md.msgs[3].uidl, want);
	ATF_REQUIRE_MSG(strlen(md.msgs[4].uidl) == 32,
	    "80-character X-UIDL gave %s", md.msgs[4].uidl);
	mb_close(&md);
	teardown();
}

ATF_TC_WITHOUT_HEAD(mbox__digest_stable);
ATF_TC_BODY(mbox__digest_stable, tc)
{
	struct maildrop	md;
	char		want[3][33];
	size_t		i;
	int		pass;

	setup();
	put(MBOX, MBOX3, "w");
	md5hex(F1 H1, want[0]);
	md5hex(F2 H2, want[1]);
	md5hex(F3 H3, want[2]);
	for (pass = 0; pass < 2; pass++) {
		mb_scan_ok(&md);
		for (i = 0; i < 3; i++)
			ATF_REQUIRE_MSG(strcmp(md.msgs[i].uidl, want[i]) == 0,
			    "pass %d message %zu: uidl %s, want %s", pass,
			    i + 1, md.msgs[i].uidl, want[i]);
		mb_close(&md);
	}
	teardown();
}

ATF_TC_WITHOUT_HEAD(mbox__duplicates);
ATF_TC_BODY(mbox__duplicates, tc)
{
	struct maildrop	md;
	char		h[33], h2[UIDL_MAX + 1];

	mb_xuidl = 1;

	setup();
	put(MBOX, "From a\nS: x\n\n1\n\nFrom a\nS: x\n\n2\n\n"
	    "From b\nX-UIDL: dup\n\n3\n\nFrom c\nX-UIDL: dup\n\n4\n\n"
	    "From d\nX-UIDL: dup-2\n\n5\n", "w");
	mb_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == 5, "%zu messages", md.nmsgs);
	md5hex("From a\nS: x\n", h);
	snprintf(h2, sizeof(h2), "%s-2", h);
	ATF_REQUIRE_MSG(strcmp(md.msgs[0].uidl, h) == 0 &&
	    strcmp(md.msgs[1].uidl, h2) == 0, "identical messages: %s, %s",
	    md.msgs[0].uidl, md.msgs[1].uidl);
	ATF_REQUIRE_MSG(strcmp(md.msgs[2].uidl, "dup") == 0 &&
	    strcmp(md.msgs[3].uidl, "dup-3") == 0 &&
	    strcmp(md.msgs[4].uidl, "dup-2") == 0,
	    "X-UIDL dup, dup, dup-2: %s, %s, %s", md.msgs[2].uidl,
	    md.msgs[3].uidl, md.msgs[4].uidl);
	mb_close(&md);
	teardown();
}

/* 70-character duplicates stay within 70 characters. */
ATF_TC_WITHOUT_HEAD(mbox__duplicates_long);
ATF_TC_BODY(mbox__duplicates_long, tc)
{
	struct maildrop	md;
	char		v[UIDL_MAX + 1], buf[512];

	mb_xuidl = 1;

	setup();
	memset(v, 'u', UIDL_MAX);
	v[UIDL_MAX] = '\0';
	snprintf(buf, sizeof(buf), "From a\nX-UIDL: %s\n\n1\n\n"
	    "From b\nX-UIDL: %s\n\n2\n", v, v);
	put(MBOX, buf, "w");
	mb_scan_ok(&md);
	ATF_REQUIRE_MSG(strcmp(md.msgs[0].uidl, v) == 0 &&
	    strlen(md.msgs[1].uidl) == UIDL_MAX &&
	    strcmp(md.msgs[1].uidl + UIDL_MAX - 2, "-2") == 0,
	    "second of two 70-character UIDLs: %s", md.msgs[1].uidl);
	mb_close(&md);
	teardown();
}

/* A sender mailing thousands of copies with one X-UIDL: still linear. */
ATF_TC_WITHOUT_HEAD(mbox__duplicates_many);
ATF_TC_BODY(mbox__duplicates_many, tc)
{
	struct maildrop	 md;
	char		 path[PATH_MAX], want[32];
	FILE		*fp;
	size_t		 i, n = 20000;

	mb_xuidl = 1;

	setup();
	path_of(path, sizeof(path), MBOX);
	ATF_REQUIRE((fp = fopen(path, "w")) != NULL);
	for (i = 0; i < n; i++)
		fprintf(fp, "From x\nX-UIDL: same\n\n%s\n\n",
		    i == 7 ? "" : "body");
	ATF_REQUIRE(fclose(fp) == 0);
	mb_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == n, "%zu messages", md.nmsgs);
	for (i = 0; i < n; i++) {
		if (i == 0)
			strlcpy(want, "same", sizeof(want));
		else
			snprintf(want, sizeof(want), "same-%zu", i + 1);
		ATF_REQUIRE_MSG(strcmp(md.msgs[i].uidl, want) == 0,
		    "copy %zu of X-UIDL: same: %s, want %s", i + 1,
		    md.msgs[i].uidl, want);
	}
	mb_close(&md);
	teardown();
}

ATF_TC_WITHOUT_HEAD(mbox__corrupt);
ATF_TC_BODY(mbox__corrupt, tc)
{
	struct maildrop	md;
	int		rc;

	setup();
	put(MBOX, "Subject: no From_ line\n\nbody\n", "w");
	rc = mb_open(&md);
	ATF_REQUIRE_MSG(rc == STORE_ERR_PERM, "mbox without From_: %d", rc);
	mb_close(&md);
	teardown();
}

ATF_TC_WITHOUT_HEAD(mbox__empty);
ATF_TC_BODY(mbox__empty, tc)
{
	struct maildrop		md;
	struct store_update	up;

	setup();
	mb_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == 0, "missing mbox: %zu messages",
	    md.nmsgs);
	ATF_REQUIRE(update(&md, &up) == 0 && up.deleted == 0);
	mb_close(&md);
	put(MBOX, "", "w");
	mb_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == 0, "empty mbox: %zu messages", md.nmsgs);
	mb_close(&md);
	teardown();
}

ATF_TC_WITHOUT_HEAD(mbox__in_use);
ATF_TC_BODY(mbox__in_use, tc)
{
	struct maildrop	a, b;
	int		rc;

	setup();
	put(MBOX, MBOX3, "w");
	mb_scan_ok(&a);
	rc = mb_open(&b);
	ATF_REQUIRE_MSG(rc == STORE_ERR_INUSE, "second scan: %d", rc);
	mb_close(&b);
	mb_close(&a);
	mb_scan_ok(&b);
	mb_close(&b);
	teardown();
}

static void
delete_check(int d1, int d2, int d3, const char *want)
{
	struct maildrop		md;
	struct store_update	up;
	struct stat		sb;
	char			path[PATH_MAX];
	int			rc;

	put(MBOX, MBOX3, "w");
	path_of(path, sizeof(path), MBOX);
	ATF_REQUIRE(chmod(path, 0640) == 0);
	mb_scan_ok(&md);
	md.msgs[0].deleted = d1;
	md.msgs[1].deleted = d2;
	md.msgs[2].deleted = d3;
	rc = update(&md, &up);
	ATF_REQUIRE_MSG(rc == 0 && up.deleted == (uint32_t)(d1 + d2 + d3),
	    "delete %d%d%d: rc %d, %u deleted", d1, d2, d3, rc, up.deleted);
	mb_close(&md);
	expect_file(want);
	ATF_REQUIRE(stat(path, &sb) == 0);
	ATF_REQUIRE_MSG((sb.st_mode & 07777) == 0640, "mode %o after rewrite",
	    (unsigned)(sb.st_mode & 07777));
}

/* The kept messages stay byte for byte, separators included. */
ATF_TC_WITHOUT_HEAD(mbox__delete_rewrite);
ATF_TC_BODY(mbox__delete_rewrite, tc)
{
	struct maildrop	md;

	setup();
	delete_check(0, 1, 0, F1 H1 B1 SEP F3 H3 B3 SEP);
	delete_check(1, 0, 0, F2 H2 B2 SEP F3 H3 B3 SEP);
	delete_check(0, 0, 1, F1 H1 B1 SEP F2 H2 B2 SEP);
	delete_check(1, 0, 1, F2 H2 B2 SEP);
	mb_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == 1, "%zu messages after rewrite",
	    md.nmsgs);
	expect_msg(&md, 0, H2 B2);
	mb_close(&md);
	teardown();
}

/* Everything deleted: an empty file, not a missing one. */
ATF_TC_WITHOUT_HEAD(mbox__delete_all);
ATF_TC_BODY(mbox__delete_all, tc)
{
	setup();
	delete_check(1, 1, 1, "");
	teardown();
}

/* No deletions: the file is not even rewritten. */
ATF_TC_WITHOUT_HEAD(mbox__update_none);
ATF_TC_BODY(mbox__update_none, tc)
{
	struct maildrop		md;
	struct store_update	up;
	struct stat		a, b;
	char			path[PATH_MAX];

	setup();
	put(MBOX, MBOX3, "w");
	path_of(path, sizeof(path), MBOX);
	ATF_REQUIRE(stat(path, &a) == 0);
	mb_scan_ok(&md);
	ATF_REQUIRE(update(&md, &up) == 0 && up.deleted == 0);
	mb_close(&md);
	ATF_REQUIRE(stat(path, &b) == 0);
	ATF_REQUIRE_MSG(a.st_ino == b.st_ino, "mbox rewritten for nothing");
	expect_file(MBOX3);
	teardown();
}

/* Mail delivered during the session survives the rewrite. */
ATF_TC_WITHOUT_HEAD(mbox__append_kept);
ATF_TC_BODY(mbox__append_kept, tc)
{
	struct maildrop		md;
	struct store_update	up;
	const char		*late = "From z\nSubject: late\n\nnew\n\n";

	setup();
	put(MBOX, MBOX3, "w");
	mb_scan_ok(&md);
	put(MBOX, late, "a");
	md.msgs[0].deleted = 1;
	ATF_REQUIRE(update(&md, &up) == 0 && up.deleted == 1);
	mb_close(&md);
	expect_file(F2 H2 B2 SEP F3 H3 B3 SEP "From z\nSubject: late\n\nnew\n\n");
	mb_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == 3, "%zu messages after rewrite",
	    md.nmsgs);
	expect_msg(&md, 2, "Subject: late\n\nnew\n");
	mb_close(&md);
	teardown();
}

static void
refused(struct maildrop *md, const char *what, const char *want)
{
	struct store_update	up;
	int			rc;

	md->msgs[0].deleted = 1;
	rc = update(md, &up);
	ATF_REQUIRE_MSG(rc == STORE_ERR_TEMP && up.deleted == 0,
	    "update after %s: rc %d, %u deleted", what, rc, up.deleted);
	mb_close(md);
	expect_file(want);
}

/* Someone rewrote the mbox since we indexed it: delete nothing. */
ATF_TC_WITHOUT_HEAD(mbox__prefix_modified);
ATF_TC_BODY(mbox__prefix_modified, tc)
{
	struct maildrop	 md;
	const char	*other = F1 "Subject: one, but longer now\n" B1 SEP
			    F2 H2 B2 SEP F3 H3 B3 SEP;
	char		 path[PATH_MAX];
	int		 fd;

	setup();
	put(MBOX, MBOX3, "w");
	mb_scan_ok(&md);
	/* Rewritten in place (same inode), longer: offsets moved. */
	path_of(path, sizeof(path), MBOX);
	ATF_REQUIRE((fd = open(path, O_WRONLY)) != -1);
	ATF_REQUIRE(write(fd, other, strlen(other)) ==
	    (ssize_t)strlen(other));
	close(fd);
	refused(&md, "an in-place rewrite", other);
	teardown();
}

ATF_TC_WITHOUT_HEAD(mbox__shrunk);
ATF_TC_BODY(mbox__shrunk, tc)
{
	struct maildrop	 md;
	char		 path[PATH_MAX];

	setup();
	put(MBOX, MBOX3, "w");
	mb_scan_ok(&md);
	path_of(path, sizeof(path), MBOX);
	ATF_REQUIRE(truncate(path, strlen(F1 H1 B1 SEP)) == 0);
	refused(&md, "a truncation", F1 H1 B1 SEP);
	teardown();
}

/* Another file renamed over the mbox: ours is no longer the mbox. */
ATF_TC_WITHOUT_HEAD(mbox__replaced);
ATF_TC_BODY(mbox__replaced, tc)
{
	struct maildrop	 md;
	char		 from[PATH_MAX], to[PATH_MAX];
	uint64_t	 off, len;

	setup();
	put(MBOX, MBOX3, "w");
	mb_scan_ok(&md);
	put("other", MBOX3, "w");
	path_of(from, sizeof(from), "other");
	path_of(to, sizeof(to), MBOX);
	ATF_REQUIRE(rename(from, to) == 0);
	ATF_REQUIRE_MSG(md.ops->open(&md, &md.msgs[0], &off, &len) == -1,
	    "message served from a replaced mbox");
	refused(&md, "a replacement", MBOX3);
	teardown();
}

/* A fresh dot lock of another program: fail, leave its lock alone. */
ATF_TC_WITHOUT_HEAD(mbox__dotlock_held);
ATF_TC_BODY(mbox__dotlock_held, tc)
{
	struct maildrop	md;
	char		path[PATH_MAX];
	struct stat	sb;

	setup();
	put(MBOX, MBOX3, "w");
	mb_scan_ok(&md);
	/* A holder that is alive: this very process. */
	put_pid(MBOX ".lock", getpid());
	refused(&md, "a held dot lock", MBOX3);
	path_of(path, sizeof(path), MBOX ".lock");
	ATF_REQUIRE_MSG(stat(path, &sb) == 0, "someone else's lock removed");
	teardown();
}

/* A dot lock a crashed holder left long ago is broken. */
ATF_TC_WITHOUT_HEAD(mbox__dotlock_stale);
ATF_TC_BODY(mbox__dotlock_stale, tc)
{
	struct maildrop		md;
	struct store_update	up;
	struct timeval		tv[2];
	char			path[PATH_MAX];
	struct stat		sb;

	setup();
	put(MBOX, MBOX3, "w");
	mb_scan_ok(&md);
	/* Old enough, though its process is alive. */
	put_pid(MBOX ".lock", getpid());
	path_of(path, sizeof(path), MBOX ".lock");
	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec -= DOTLOCK_STALE + 60;
	tv[1] = tv[0];
	ATF_REQUIRE(utimes(path, tv) == 0);
	md.msgs[2].deleted = 1;
	ATF_REQUIRE_MSG(update(&md, &up) == 0 && up.deleted == 1,
	    "update with a stale dot lock failed");
	mb_close(&md);
	expect_file(F1 H1 B1 SEP F2 H2 B2 SEP);
	ATF_REQUIRE_MSG(stat(path, &sb) == -1 && errno == ENOENT,
	    "dot lock left behind");
	teardown();
}

/*
 * A dot lock whose process is gone, as a store killed while holding it
 * leaves it, is taken over at once, however young.
 */
ATF_TC_WITHOUT_HEAD(mbox__dotlock_dead);
ATF_TC_BODY(mbox__dotlock_dead, tc)
{
	struct maildrop		md;
	struct store_update	up;
	char			path[PATH_MAX];
	struct stat		sb;
	pid_t			pid;

	setup();
	put(MBOX, MBOX3, "w");
	mb_scan_ok(&md);
	if ((pid = fork()) == 0)
		_exit(0);
	ATF_REQUIRE(pid > 0 && waitpid(pid, NULL, 0) == pid);
	put_pid(MBOX ".lock", pid);
	md.msgs[2].deleted = 1;
	ATF_REQUIRE_MSG(update(&md, &up) == 0 && up.deleted == 1,
	    "update with the dot lock of a dead process %ld failed",
	    (long)pid);
	mb_close(&md);
	expect_file(F1 H1 B1 SEP F2 H2 B2 SEP);
	path_of(path, sizeof(path), MBOX ".lock");
	ATF_REQUIRE_MSG(stat(path, &sb) == -1 && errno == ENOENT,
	    "dot lock left behind");
	teardown();
}

/*
 * The temporary files of a store killed during a rewrite or a dot lock
 * attempt go at the next login; names that are not exactly ours stay.
 */
ATF_TC_WITHOUT_HEAD(mbox__sweep);
ATF_TC_BODY(mbox__sweep, tc)
{
	static const char	*gone[] = { "." MBOX ".pop3d.aB3xY9",
				    "." MBOX ".pop3d-lk.Zz0099" };
	static const char	*kept[] = { ".pop3d.aB3xY9", "." MBOX
				    ".pop3d.aB3xY", "." MBOX ".pop3d.aB3xY9z",
				    "." MBOX ".pop3d.aB-xY9", ".other.pop3d.aB3xY9" };
	struct maildrop	md;
	char		path[PATH_MAX];
	struct stat	sb;
	size_t		i;

	setup();
	put(MBOX, MBOX3, "w");
	for (i = 0; i < nitems(gone); i++)
		put(gone[i], "half", "w");
	for (i = 0; i < nitems(kept); i++)
		put(kept[i], "theirs", "w");
	mb_scan_ok(&md);
	mb_close(&md);
	for (i = 0; i < nitems(gone); i++) {
		path_of(path, sizeof(path), gone[i]);
		ATF_REQUIRE_MSG(stat(path, &sb) == -1 && errno == ENOENT,
		    "%s left behind", gone[i]);
	}
	for (i = 0; i < nitems(kept); i++) {
		path_of(path, sizeof(path), kept[i]);
		ATF_REQUIRE_MSG(stat(path, &sb) == 0, "%s removed", kept[i]);
	}
	expect_file(MBOX3);
	teardown();
}

/* An MTA holding its fcntl lock makes the update fail cleanly. */
ATF_TC_WITHOUT_HEAD(mbox__fcntl_held);
ATF_TC_BODY(mbox__fcntl_held, tc)
{
	struct maildrop	md;
	struct flock	fl;
	char		path[PATH_MAX], c;
	int		ready[2], release[2], fd;
	pid_t		pid;

	setup();
	put(MBOX, MBOX3, "w");
	mb_scan_ok(&md);
	path_of(path, sizeof(path), MBOX);
	ATF_REQUIRE(pipe(ready) == 0 && pipe(release) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		close(ready[0]);
		close(release[1]);
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if ((fd = open(path, O_RDWR)) == -1 ||
		    fcntl(fd, F_SETLK, &fl) == -1)
			_exit(1);
		(void)write(ready[1], "x", 1);
		/* Held until the parent closes its end. */
		(void)read(release[0], &c, 1);
		_exit(0);
	}
	close(ready[1]);
	close(release[0]);
	ATF_REQUIRE_MSG(read(ready[0], &c, 1) == 1, "child could not lock");
	refused(&md, "a held fcntl lock", MBOX3);
	close(release[1]);
	close(ready[0]);
	waitpid(pid, NULL, 0);
	teardown();
}

/*
 * Many messages of awkward sizes, some with lines longer than the
 * parser's buffer, so that From_ lines, separators and X-UIDL headers
 * fall on every kind of buffer boundary.
 */
ATF_TC_WITHOUT_HEAD(mbox__large);
ATF_TC_BODY(mbox__large, tc)
{
	struct maildrop	  md;
	char		**body, uidl[32];
	size_t		  i, j, n = 60, len;
	FILE		 *fp;
	char		  path[PATH_MAX];

	mb_xuidl = 1;

	setup();
	path_of(path, sizeof(path), MBOX);
	ATF_REQUIRE((fp = fopen(path, "w")) != NULL);
	ATF_REQUIRE((body = calloc(n, sizeof(*body))) != NULL);
	for (i = 0; i < n; i++) {
		/* Sizes around multiples of 64 KiB, and one huge line. */
		len = (i % 7) * 65536 + (i * 37) % 1500 + (i % 3 ? 0 : 300000);
		ATF_REQUIRE((body[i] = malloc(len + 64)) != NULL);
		j = snprintf(body[i], 64, "X-UIDL: u%zu\n\n", i);
		for (; j < len; j++)
			body[i][j] = (j % 91 == 90 && i % 3) ? '\n' :
			    'a' + j % 26;
		memcpy(body[i] + len, "\n>From q\n", 10);
		body[i][len + 10] = '\0';
		fprintf(fp, "From sender%zu Mon Jan  1 00:00:00 2024\n%s\n", i,
		    body[i]);
	}
	ATF_REQUIRE(fclose(fp) == 0);
	mb_scan_ok(&md);
	ATF_REQUIRE_MSG(md.nmsgs == n, "%zu messages, want %zu", md.nmsgs, n);
	for (i = 0; i < n; i++) {
		expect_msg(&md, i, body[i]);
		snprintf(uidl, sizeof(uidl), "u%zu", i);
		ATF_REQUIRE_MSG(strcmp(md.msgs[i].uidl, uidl) == 0,
		    "message %zu: uidl %s", i + 1, md.msgs[i].uidl);
		free(body[i]);
	}
	free(body);
	mb_close(&md);
	teardown();
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, mbox__parse);
	ATF_TP_ADD_TC(tp, mbox__parse_edges);
	ATF_TP_ADD_TC(tp, mbox__crlf);
	ATF_TP_ADD_TC(tp, mbox__large);
	ATF_TP_ADD_TC(tp, mbox__mboxrd_sizes);
	ATF_TP_ADD_TC(tp, mbox__xuidl);
	ATF_TP_ADD_TC(tp, mbox__digest_stable);
	ATF_TP_ADD_TC(tp, mbox__duplicates);
	ATF_TP_ADD_TC(tp, mbox__duplicates_long);
	ATF_TP_ADD_TC(tp, mbox__duplicates_many);
	ATF_TP_ADD_TC(tp, mbox__corrupt);
	ATF_TP_ADD_TC(tp, mbox__empty);
	ATF_TP_ADD_TC(tp, mbox__in_use);
	ATF_TP_ADD_TC(tp, mbox__delete_rewrite);
	ATF_TP_ADD_TC(tp, mbox__delete_all);
	ATF_TP_ADD_TC(tp, mbox__update_none);
	ATF_TP_ADD_TC(tp, mbox__append_kept);
	ATF_TP_ADD_TC(tp, mbox__prefix_modified);
	ATF_TP_ADD_TC(tp, mbox__shrunk);
	ATF_TP_ADD_TC(tp, mbox__replaced);
	ATF_TP_ADD_TC(tp, mbox__dotlock_held);
	ATF_TP_ADD_TC(tp, mbox__dotlock_stale);
	ATF_TP_ADD_TC(tp, mbox__dotlock_dead);
	ATF_TP_ADD_TC(tp, mbox__sweep);
	ATF_TP_ADD_TC(tp, mbox__fcntl_held);
	return (atf_no_error());
}
