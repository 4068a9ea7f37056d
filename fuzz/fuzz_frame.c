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
 * The frame readers, fed as the less trusted side of each channel: a
 * session to pop3d-auth, the store or the parent; pop3d-auth or the
 * store to the parent; pop3d-auth or the store to the session.  Frames
 * go through a real SOCK_SEQPACKET socketpair into chan_read()
 * (lib/frame.c), then dispatch() with the contract of lib/proto.c.
 *
 * The handlers that unpack a variable payload are static in each
 * program's main file, tied to its state; the ones below take the
 * same fields with the same getters and bounds (lib/msg.c), in soft
 * mode so that a refusal is not the fuzzer's death.  Keep them in step
 * with the receivers named above each.
 *
 * Input: one byte for the channel, then frames, each a 16-bit length
 * (little-endian), a flags byte (bit 0: attach a descriptor) and that
 * many bytes of datagram, header included.  The receiver reads until
 * a frame is refused, as the real one would then kill the sender.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "params.h"
#include "proto.h"
#include "frame.h"
#include "dispatch.h"
#include "msg.h"
#include "log.h"
#include "fuzz.h"

static int
none(void *arg, struct frame *fr)
{
	return (0);
}

/* pop3d-auth/auth.c sess_userpass(). */
static int
auth_userpass(void *arg, struct frame *fr)
{
	struct mreader	 r;
	const char	*user, *pass;

	m_read_soft(&r, fr, "fuzz");
	m_get_string(&r, &user, POP3_USER_MAX);
	m_get_string(&r, &pass, POP3_PASS_MAX);
	return (m_end(&r));
}

/* pop3d-auth/auth.c sess_apop(). */
static int
auth_apop(void *arg, struct frame *fr)
{
	struct mreader	 r;
	const char	*user, *digest;

	m_read_soft(&r, fr, "fuzz");
	m_get_string(&r, &user, POP3_USER_MAX);
	m_get_string(&r, &digest, POP3_LINE_MAX);
	return (m_end(&r));
}

/* pop3d-auth/auth.c sess_sasl_start(). */
static int
auth_sasl_start(void *arg, struct frame *fr)
{
	struct mreader	 r;
	const char	*mech;
	unsigned char	 buf[SASL_LINE_MAX];
	uint32_t	 initial, len;

	m_read_soft(&r, fr, "fuzz");
	m_get_string(&r, &mech, SASL_MECH_MAX);
	m_get_u32(&r, &initial);
	m_get_u32(&r, &len);
	if (!r.failed && (initial > 1 || len > sizeof(buf) ||
	    (!initial && len > 0)))
		m_error(&r, "bad initial response");
	m_get_data(&r, buf, r.failed ? 0 : len);
	return (m_end(&r));
}

/* pop3d-auth/auth.c sess_sasl_step(). */
static int
auth_sasl_step(void *arg, struct frame *fr)
{
	struct mreader	 r;
	unsigned char	 buf[SASL_LINE_MAX];
	uint32_t	 len;

	m_read_soft(&r, fr, "fuzz");
	m_get_u32(&r, &len);
	if (!r.failed && len > sizeof(buf))
		m_error(&r, "response too long");
	m_get_data(&r, buf, r.failed ? 0 : len);
	return (m_end(&r));
}

/* pop3d-auth/auth.c sess_change(). */
static int
auth_change(void *arg, struct frame *fr)
{
	struct mreader	 r;
	const char	*user, *old, *new;

	m_read_soft(&r, fr, "fuzz");
	m_get_string(&r, &user, POP3_USER_MAX);
	m_get_string(&r, &old, POP3_PASS_MAX);
	m_get_string(&r, &new, POP3_LINE_MAX);
	return (m_end(&r));
}

/* pop3d/proc.c log_from_child(), for every child. */
static int
parent_log(void *arg, struct frame *fr)
{
	struct mreader	 r;
	uint32_t	 pri;
	const char	*line;

	m_read_soft(&r, fr, "fuzz");
	m_get_u32(&r, &pri);
	m_get_string(&r, &line, LOG_LINE_MAX);
	return (m_end(&r) == -1 || pri > 7 ? -1 : 0);
}

/* pop3d/pop3d.c auth_grant(). */
static int
parent_grant(void *arg, struct frame *fr)
{
	struct mreader	 r;
	const char	*user;
	uint32_t	 backend;

	m_read_soft(&r, fr, "fuzz");
	m_get_string(&r, &user, POP3_USER_MAX);
	m_get_u32(&r, &backend);
	return (m_end(&r));
}

/* pop3d-session/session.c store_get_entries(). */
static int
sess_entries(void *arg, struct frame *fr)
{
	static uint32_t	 last;
	struct mreader	 r;
	uint32_t	 index;
	uint64_t	 size;
	const char	*uidl;

	m_read_soft(&r, fr, "fuzz");
	if (r.left == 0)
		m_error(&r, "no entries");
	last = 0;
	while (r.left > 0) {
		m_get_u32(&r, &index);
		m_get_u64(&r, &size);
		m_get_string(&r, &uidl, UIDL_MAX);
		if (r.failed)
			break;
		if (index <= last)
			m_error(&r, "index out of order");
		if (!uidl_valid(uidl, strlen(uidl)))
			m_error(&r, "bad UIDL");
		last = index;
	}
	return (m_end(&r));
}

/* pop3d-session/session.c auth_challenge(). */
static int
sess_challenge(void *arg, struct frame *fr)
{
	struct mreader	 r;
	const char	*ts;

	m_read_soft(&r, fr, "fuzz");
	m_get_string(&r, &ts, APOP_CHALLENGE_MAX);
	return (m_end(&r));
}

/* pop3d-session/session.c auth_sasl(), with its room for a challenge. */
static int
sess_sasl_challenge(void *arg, struct frame *fr)
{
	struct mreader	 r;
	unsigned char	 out[SASL_LINE_MAX / 4 * 3];
	uint32_t	 n;

	m_read_soft(&r, fr, "fuzz");
	m_get_u32(&r, &n);
	if (!r.failed && (n > sizeof(out) || n != r.left))
		m_error(&r, "bad SASL challenge");
	m_get_data(&r, out, r.failed ? 0 : n);
	return (m_end(&r));
}

/* What pop3d-auth takes from a session (auth.c sess_table). */
static const struct dispatch_rule auth_rules[] = {
	{ MSG_AUTH_USERPASS,		D_ANY,	0,	auth_userpass },
	{ MSG_AUTH_CHALLENGE_REQ,	D_ANY,	D_ONCE,	none },
	{ MSG_AUTH_APOP,		D_ANY,	0,	auth_apop },
	{ MSG_AUTH_SASL_START,		D_ANY,	0,	auth_sasl_start },
	{ MSG_AUTH_SASL_STEP,		D_ANY,	0,	auth_sasl_step },
	{ MSG_AUTH_SASL_ABORT,		D_ANY,	0,	none },
	{ MSG_AUTH_CHANGE,		D_ANY,	0,	auth_change },
};

/* What the parent takes from a session, pop3d-auth or the store. */
static const struct dispatch_rule parent_rules[] = {
	{ MSG_LOG,		D_ANY,	0,	parent_log },
	{ MSG_SESS_LOGIN,	D_ANY,	D_ONCE,	none },
	{ MSG_SESS_AUTODENY,	D_ANY,	0,	none },
	{ MSG_SESS_XMIT,	D_ANY,	0,	none },
	{ MSG_SESS_END,		D_ANY,	D_ONCE,	none },
	{ MSG_SESS_STLS_AUTH,	D_ANY,	D_ONCE,	none },
	{ MSG_SESS_STLS,	D_ANY,	D_ONCE,	none },
	{ MSG_SESS_PROXY,	D_ANY,	D_ONCE,	none },
	{ MSG_AUTH_GRANT,	D_ANY,	0,	parent_grant },
	{ MSG_AUTH_FAILURE,	D_ANY,	0,	none },
};

/* What the session takes from pop3d-auth and the store. */
static const struct dispatch_rule sess_rules[] = {
	{ MSG_STORE_ENTRIES,		D_ANY,	0,	sess_entries },
	{ MSG_AUTH_CHALLENGE,		D_ANY,	0,	sess_challenge },
	{ MSG_AUTH_SASL_CHALLENGE,	D_ANY,	0,	sess_sasl_challenge },
};

static const struct dispatch_table tables[] = {
	DISPATCH_TABLE("session", auth_rules),
	DISPATCH_TABLE("child", parent_rules),
	DISPATCH_TABLE("auth or store", sess_rules),
};

/* The store's own table only checks fixed sizes: the contract alone. */
static int
contract(struct frame *fr, const char **why)
{
	return (frame_check(fr, why));
}

static void
send_frame(int fd, const uint8_t *p, size_t len, int withfd)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct cmsghdr	*cm;
	int		 nfd = -1;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)(uintptr_t)p;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (withfd) {
		if ((nfd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
			abort();
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cm), &nfd, sizeof(int));
	}
	/* A datagram over the limit, or past a full buffer, is not sent. */
	(void)sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (nfd != -1)
		close(nfd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chan	 ch;
	struct frame	 fr;
	const char	*why;
	uint64_t	 seen = 0;
	size_t		 off = 1, len, nframes = 0;
	int		 sp[2], rv, which;

	fuzz_quiet();
	if (size < 1)
		return (0);
	which = data[0] % (nitems(tables) + 1);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1)
		abort();
	/* Few enough frames to stay within the socket's buffer. */
	while (size - off >= 3 && nframes < 32) {
		len = data[off] | data[off + 1] << 8;
		if (len > size - off - 3)
			len = size - off - 3;
		send_frame(sp[0], data + off + 3, len, data[off + 2] & 1);
		off += 3 + len;
		nframes++;
	}
	close(sp[0]);

	chan_init(&ch, sp[1]);
	/* pop3d-auth takes no descriptor from a session; the others may. */
	if (which != 0)
		chan_allow_fd(&ch);
	for (;;) {
		if ((rv = chan_read(&ch, &fr)) != 1)
			break;
		if (which == (int)nitems(tables))
			rv = contract(&fr, &why);
		else
			rv = dispatch(&tables[which], NULL, &fr, 0, &seen,
			    &why);
		frame_done(&fr);
		if (rv == -1)
			break;
	}
	chan_clear(&ch);
	close(sp[1]);
	return (0);
}
