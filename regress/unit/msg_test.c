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
#include <sys/socket.h>
#include <sys/wait.h>

#include <atf-c.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "compat.h"
#include "proto.h"
#include "frame.h"
#include "log.h"
#include "util.h"
#include "msg.h"

#define BUFMAX		(FRAME_MAX - FRAME_HDR_SIZE)

/*
 * Payloads are built by hand here, not with m_add_*(), so that a bug
 * shared by the packer and the reader cannot hide: a string is a
 * host-order uint32_t length counting the NUL, then the bytes.
 */
struct raw {
	unsigned char	buf[BUFMAX + 64];
	size_t		len;
};

static void
raw_u32(struct raw *r, uint32_t v)
{
	memcpy(r->buf + r->len, &v, sizeof(v));
	r->len += sizeof(v);
}

static void
raw_bytes(struct raw *r, const void *p, size_t n)
{
	memcpy(r->buf + r->len, p, n);
	r->len += n;
}

/* A frame as chan_read() would hand it over. */
static void
fake_frame(struct frame *fr, struct raw *r)
{
	memset(fr, 0, sizeof(*fr));
	fr->hdr.type = MSG_AUTH_USERPASS;
	fr->hdr.len = FRAME_HDR_SIZE + r->len;
	fr->fd = -1;
	fr->data = r->len ? r->buf : NULL;
	fr->datalen = r->len;
}

/*
 * Run fn in a child; it must die through fatalx(), which exits 1, and
 * say why on stderr (log_init(1, ...) logs there).  Returning, or dying
 * any other way or for another reason, fails the case.
 */
static void
require_death(void (*fn)(void *), void *arg, const char *what,
    const char *why)
{
	char	out[4096];
	size_t	len = 0;
	ssize_t	n;
	pid_t	pid;
	int	status, p[2];

	fflush(stdout);
	fflush(stderr);
	ATF_REQUIRE(pipe(p) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		close(p[0]);
		if (dup2(p[1], STDERR_FILENO) == -1)
			_exit(3);
		log_init(1, LOG_DAEMON);
		fn(arg);
		_exit(0);
	}
	close(p[1]);
	while (len < sizeof(out) - 1 &&
	    (n = read(p[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += n;
	out[len] = '\0';
	close(p[0]);
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_REQUIRE_MSG(WIFEXITED(status), "%s: child killed by signal %d",
	    what, WIFSIGNALED(status) ? WTERMSIG(status) : -1);
	ATF_REQUIRE_MSG(WEXITSTATUS(status) == 1,
	    "%s: child exited %d, want 1 (fatalx)", what,
	    WEXITSTATUS(status));
	ATF_REQUIRE_MSG(strstr(out, why) != NULL,
	    "%s: died saying \"%s\", want \"%s\"", what, out, why);
}

/* A malformed payload, and how to read it. */
struct bad {
	const char	*what;
	const char	*why;		/* what fatalx says */
	struct raw	 raw;
	void		(*read)(struct mreader *);
};

static void
read_u32(struct mreader *r)
{
	uint32_t	v = 1;

	m_get_u32(r, &v);
	if (r->failed)
		ATF_REQUIRE_MSG(v == 0, "failed u32 reads %u, not 0", v);
}

static void
read_u64(struct mreader *r)
{
	uint64_t	v = 1;

	m_get_u64(r, &v);
	if (r->failed)
		ATF_REQUIRE_MSG(v == 0, "failed u64 reads %llu, not 0",
		    (unsigned long long)v);
}

static void
read_data8(struct mreader *r)
{
	unsigned char	d[8];
	size_t		i;

	memset(d, 0xff, sizeof(d));
	m_get_data(r, d, sizeof(d));
	if (r->failed)
		for (i = 0; i < sizeof(d); i++)
			ATF_REQUIRE_MSG(d[i] == 0, "failed data not zeroed");
}

/* A user and a password, as MSG_AUTH_USERPASS carries them. */
static void
read_userpass(struct mreader *r)
{
	const char	*user, *pass;

	m_get_string(r, &user, POP3_USER_MAX);
	if (r->failed)
		ATF_REQUIRE_MSG(strcmp(user, "") == 0,
		    "failed user reads \"%s\", not \"\"", user);
	m_get_string(r, &pass, POP3_PASS_MAX);
	if (r->failed)
		ATF_REQUIRE_MSG(strcmp(pass, "") == 0,
		    "failed password reads \"%s\", not \"\"", pass);
}

static void
read_u32_u32(struct mreader *r)
{
	read_u32(r);
	read_u32(r);
}

static struct bad	bads[32];
static size_t		nbads;

static struct bad *
bad_new(const char *what, const char *why, void (*fn)(struct mreader *))
{
	struct bad	*b;

	ATF_REQUIRE(nbads < nitems(bads));
	b = &bads[nbads++];
	memset(b, 0, sizeof(*b));
	b->what = what;
	b->why = why;
	b->read = fn;
	return (b);
}

static void
bads_init(void)
{
	struct bad	*b;
	char		 longer[POP3_PASS_MAX + 2];

	nbads = 0;
	b = bad_new("u32 from 3 bytes", "short message", read_u32);
	raw_bytes(&b->raw, "abc", 3);
	b = bad_new("u32 from nothing", "short message", read_u32);
	b = bad_new("u64 from 7 bytes", "short message", read_u64);
	raw_bytes(&b->raw, "abcdefg", 7);
	b = bad_new("8 data bytes from 5", "short message", read_data8);
	raw_bytes(&b->raw, "abcde", 5);
	b = bad_new("trailing byte after u32", "trailing data", read_u32);
	raw_bytes(&b->raw, "abcde", 5);
	b = bad_new("trailing bytes after strings", "trailing data",
	    read_userpass);
	raw_u32(&b->raw, 2);
	raw_bytes(&b->raw, "u\0", 2);
	raw_u32(&b->raw, 2);
	raw_bytes(&b->raw, "p\0", 2);
	raw_bytes(&b->raw, "junk", 4);
	b = bad_new("second u32 missing", "short message", read_u32_u32);
	raw_u32(&b->raw, 1);
	b = bad_new("string length only", "bad string length", read_userpass);
	raw_u32(&b->raw, 5);
	b = bad_new("string length past the end", "bad string length",
	    read_userpass);
	raw_u32(&b->raw, 6);
	raw_bytes(&b->raw, "user\0", 5);
	b = bad_new("string length UINT32_MAX", "bad string length",
	    read_userpass);
	raw_u32(&b->raw, UINT32_MAX);
	raw_bytes(&b->raw, "user\0", 5);
	b = bad_new("unterminated string", "unterminated string",
	    read_userpass);
	raw_u32(&b->raw, 4);
	raw_bytes(&b->raw, "user", 4);
	raw_u32(&b->raw, 2);
	raw_bytes(&b->raw, "p\0", 2);
	b = bad_new("string with interior NUL", "unterminated string",
	    read_userpass);
	raw_u32(&b->raw, 5);
	raw_bytes(&b->raw, "us\0r\0", 5);
	raw_u32(&b->raw, 2);
	raw_bytes(&b->raw, "p\0", 2);
	b = bad_new("string NUL then junk", "unterminated string",
	    read_userpass);
	raw_u32(&b->raw, 2);
	raw_bytes(&b->raw, "u\0", 2);
	raw_u32(&b->raw, 3);
	raw_bytes(&b->raw, "\0pp", 3);
	b = bad_new("zero-length string", "bad string length", read_userpass);
	raw_u32(&b->raw, 0);
	raw_u32(&b->raw, 2);
	raw_bytes(&b->raw, "p\0", 2);
	b = bad_new("password one over max", "string too long", read_userpass);
	raw_u32(&b->raw, 2);
	raw_bytes(&b->raw, "u\0", 2);
	memset(longer, 'p', sizeof(longer));
	longer[POP3_PASS_MAX + 1] = '\0';
	raw_u32(&b->raw, POP3_PASS_MAX + 2);
	raw_bytes(&b->raw, longer, POP3_PASS_MAX + 2);
	b = bad_new("second string missing", "short message", read_userpass);
	raw_u32(&b->raw, 2);
	raw_bytes(&b->raw, "u\0", 2);
}

static void
die_strict(void *arg)
{
	struct bad	*b = arg;
	struct mreader	 r;
	struct frame	 fr;

	fake_frame(&fr, &b->raw);
	m_read(&r, &fr, "test");
	b->read(&r);
	m_end(&r);
}

ATF_TC_WITHOUT_HEAD(msg__roundtrip);
ATF_TC_BODY(msg__roundtrip, tc)
{
	struct mbuf	 m;
	struct mreader	 r;
	struct frame	 fr;
	const char	*s1, *s2;
	unsigned char	 d[5];
	uint32_t	 v32;
	uint64_t	 v64;

	m_init(&m);
	m_add_u32(&m, 0xfeedface);
	m_add_u64(&m, 0x8000000000000001ULL);
	m_add_string(&m, "alice");
	m_add_data(&m, "\0\1\2\3\4", 5);
	m_add_string(&m, "");
	ATF_REQUIRE_MSG(m.len == 4 + 8 + 4 + 6 + 5 + 4 + 1,
	    "packed %zu bytes", m.len);

	memset(&fr, 0, sizeof(fr));
	fr.hdr.type = MSG_AUTH_USERPASS;
	fr.data = m.buf;
	fr.datalen = m.len;
	m_read(&r, &fr, "test");
	m_get_u32(&r, &v32);
	m_get_u64(&r, &v64);
	m_get_string(&r, &s1, 5);
	m_get_data(&r, d, sizeof(d));
	m_get_string(&r, &s2, 0);
	ATF_REQUIRE(m_end(&r) == 0);
	ATF_REQUIRE_MSG(v32 == 0xfeedface, "u32 %#x", v32);
	ATF_REQUIRE_MSG(v64 == 0x8000000000000001ULL, "u64 %#llx",
	    (unsigned long long)v64);
	ATF_REQUIRE_MSG(strcmp(s1, "alice") == 0, "string \"%s\"", s1);
	ATF_REQUIRE(memcmp(d, "\0\1\2\3\4", 5) == 0);
	ATF_REQUIRE_MSG(strcmp(s2, "") == 0, "empty string \"%s\"", s2);
	ATF_REQUIRE(r.failed == 0 && r.left == 0);
}

/* The packer writes the layout the readers of other processes expect. */
ATF_TC_WITHOUT_HEAD(msg__layout);
ATF_TC_BODY(msg__layout, tc)
{
	struct mbuf	m;
	struct raw	want;

	memset(&want, 0, sizeof(want));
	raw_u32(&want, 7);
	raw_u32(&want, 4);
	raw_bytes(&want, "bob\0", 4);
	m_init(&m);
	m_add_u32(&m, 7);
	m_add_string(&m, "bob");
	ATF_REQUIRE_MSG(m.len == want.len &&
	    memcmp(m.buf, want.buf, want.len) == 0,
	    "u32 7 + \"bob\" packed as %zu bytes", m.len);
}

/* Strings of exactly max bytes pass; the soft reader agrees. */
ATF_TC_WITHOUT_HEAD(msg__string_at_max);
ATF_TC_BODY(msg__string_at_max, tc)
{
	struct mbuf	 m;
	struct mreader	 r;
	struct frame	 fr;
	char		 user[POP3_USER_MAX + 1], pass[POP3_PASS_MAX + 1];
	const char	*u, *p;
	int		 soft;

	memset(user, 'u', POP3_USER_MAX);
	user[POP3_USER_MAX] = '\0';
	memset(pass, 'p', POP3_PASS_MAX);
	pass[POP3_PASS_MAX] = '\0';
	m_init(&m);
	m_add_string(&m, user);
	m_add_string(&m, pass);
	memset(&fr, 0, sizeof(fr));
	fr.hdr.type = MSG_AUTH_USERPASS;
	fr.data = m.buf;
	fr.datalen = m.len;
	for (soft = 0; soft < 2; soft++) {
		if (soft)
			m_read_soft(&r, &fr, "test");
		else
			m_read(&r, &fr, "test");
		m_get_string(&r, &u, POP3_USER_MAX);
		m_get_string(&r, &p, POP3_PASS_MAX);
		ATF_REQUIRE_MSG(m_end(&r) == 0 && r.failed == 0,
		    "%s reader refused max-length strings",
		    soft ? "soft" : "strict");
		ATF_REQUIRE(strcmp(u, user) == 0 && strcmp(p, pass) == 0);
	}
}

/* Every malformed payload kills a strict reader with fatalx. */
ATF_TC_WITHOUT_HEAD(msg__strict_dies);
ATF_TC_BODY(msg__strict_dies, tc)
{
	size_t	i;

	log_init(1, LOG_DAEMON);
	bads_init();
	for (i = 0; i < nbads; i++)
		require_death(die_strict, &bads[i], bads[i].what,
		    bads[i].why);
}

/*
 * The soft reader survives the same payloads: failed sticks, getters
 * yield zeroes and "", and m_end() says -1.
 */
ATF_TC_WITHOUT_HEAD(msg__soft_fails);
ATF_TC_BODY(msg__soft_fails, tc)
{
	struct mreader	 r;
	struct frame	 fr;
	size_t		 i;

	log_init(1, LOG_DAEMON);
	bads_init();
	for (i = 0; i < nbads; i++) {
		fake_frame(&fr, &bads[i].raw);
		m_read_soft(&r, &fr, "test");
		bads[i].read(&r);
		ATF_REQUIRE_MSG(m_end(&r) == -1, "%s: m_end accepted it",
		    bads[i].what);
		ATF_REQUIRE_MSG(r.failed == 1, "%s: not marked failed",
		    bads[i].what);
		ATF_REQUIRE_MSG(m_end(&r) == -1, "%s: failure did not stick",
		    bads[i].what);
	}
}

/* After a failure, even well-formed fields read as nothing. */
ATF_TC_WITHOUT_HEAD(msg__soft_sticky);
ATF_TC_BODY(msg__soft_sticky, tc)
{
	struct raw	 raw;
	struct mreader	 r;
	struct frame	 fr;
	const char	*s;
	uint32_t	 v;

	log_init(1, LOG_DAEMON);
	memset(&raw, 0, sizeof(raw));
	raw_u32(&raw, 3);
	raw_bytes(&raw, "abc", 3);		/* unterminated */
	raw_u32(&raw, 42);
	raw_u32(&raw, 3);
	raw_bytes(&raw, "ok\0", 3);
	fake_frame(&fr, &raw);
	m_read_soft(&r, &fr, "test");
	m_get_string(&r, &s, 10);
	ATF_REQUIRE(r.failed && strcmp(s, "") == 0);
	v = 1;
	m_get_u32(&r, &v);
	ATF_REQUIRE_MSG(v == 0, "u32 after failure reads %u", v);
	m_get_string(&r, &s, 10);
	ATF_REQUIRE_MSG(strcmp(s, "") == 0, "string after failure \"%s\"", s);
	ATF_REQUIRE(m_end(&r) == -1);
}

static void
die_add_data(void *arg)
{
	static struct mbuf	m;
	static char		big[BUFMAX + 1];

	m_init(&m);
	m_add_data(&m, big, *(size_t *)arg);
}

static void
die_fill_then(void *arg)
{
	static struct mbuf	m;
	static char		big[BUFMAX];

	m_init(&m);
	m_add_data(&m, big, BUFMAX - 3);
	m_add_u32(&m, 1);
}

static void
die_add_string(void *arg)
{
	static struct mbuf	m;
	static char		s[BUFMAX];

	/* length word plus BUFMAX - 4 bytes plus the NUL: one over */
	memset(s, 's', BUFMAX - 4);
	s[BUFMAX - 4] = '\0';
	m_init(&m);
	m_add_string(&m, s);
}

/* Packing is for our own data: over the cap is a bug, so fatal. */
ATF_TC_WITHOUT_HEAD(msg__add_over_cap);
ATF_TC_BODY(msg__add_over_cap, tc)
{
	static struct mbuf	m;
	static char		s[BUFMAX];
	size_t			n;

	log_init(1, LOG_DAEMON);

	/* Up to the cap is fine. */
	m_init(&m);
	m_add_data(&m, s, BUFMAX - 4);
	m_add_u32(&m, 1);
	ATF_REQUIRE_MSG(m.len == BUFMAX, "filled to %zu", m.len);
	memset(s, 's', BUFMAX - 5);
	s[BUFMAX - 5] = '\0';
	m_init(&m);
	m_add_string(&m, s);
	ATF_REQUIRE_MSG(m.len == BUFMAX, "string filled to %zu", m.len);

	n = BUFMAX + 1;
	require_death(die_add_data, &n, "m_add_data of BUFMAX + 1 bytes",
	    "payload over");
	n = SIZE_MAX;
	require_death(die_add_data, &n, "m_add_data of SIZE_MAX bytes",
	    "payload over");
	require_death(die_fill_then, NULL, "u32 into 3 free bytes",
	    "payload over");
	require_death(die_add_string, NULL, "string one byte over the cap",
	    "payload over");
}

ATF_TC_WITHOUT_HEAD(msg__wipe);
ATF_TC_BODY(msg__wipe, tc)
{
	struct mbuf	m;
	size_t		i, len;

	m_init(&m);
	m_add_string(&m, "hunter2");
	len = m.len;
	m_wipe(&m);
	ATF_REQUIRE(m.len == 0);
	for (i = 0; i < len; i++)
		ATF_REQUIRE_MSG(m.buf[i] == 0, "byte %zu not wiped", i);
}

/* Packed, sent as a frame, read back on the other end. */
ATF_TC_WITHOUT_HEAD(msg__over_socket);
ATF_TC_BODY(msg__over_socket, tc)
{
	struct chan	 a, b;
	struct frame	 fr;
	struct mbuf	 m;
	struct mreader	 r;
	const char	*user, *pass;
	int		 sv[2];

	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0);
	chan_init(&a, sv[0]);
	chan_init(&b, sv[1]);
	m_init(&m);
	m_add_string(&m, "alice");
	m_add_string(&m, "secret");
	m_compose(&a, MSG_AUTH_USERPASS, 3, -1, &m);
	m_wipe(&m);
	ATF_REQUIRE(chan_flush(&a) == 0);
	ATF_REQUIRE(chan_read(&b, &fr) == 1);
	ATF_REQUIRE(fr.hdr.type == MSG_AUTH_USERPASS &&
	    fr.hdr.peerid == 3);
	m_read(&r, &fr, "test");
	m_get_string(&r, &user, POP3_USER_MAX);
	m_get_string(&r, &pass, POP3_PASS_MAX);
	ATF_REQUIRE(m_end(&r) == 0);
	ATF_REQUIRE_MSG(strcmp(user, "alice") == 0 &&
	    strcmp(pass, "secret") == 0, "read \"%s\", \"%s\"", user, pass);
	chan_clear(&a);
	chan_clear(&b);
	close(sv[0]);
	close(sv[1]);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, msg__roundtrip);
	ATF_TP_ADD_TC(tp, msg__layout);
	ATF_TP_ADD_TC(tp, msg__string_at_max);
	ATF_TP_ADD_TC(tp, msg__strict_dies);
	ATF_TP_ADD_TC(tp, msg__soft_fails);
	ATF_TP_ADD_TC(tp, msg__soft_sticky);
	ATF_TP_ADD_TC(tp, msg__add_over_cap);
	ATF_TP_ADD_TC(tp, msg__wipe);
	ATF_TP_ADD_TC(tp, msg__over_socket);
	return (atf_no_error());
}
