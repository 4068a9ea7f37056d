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
 * The session's state machines (pop3.c, poppass.c, xmit.c) driven in
 * the fuzzer's own process, so that its coverage counts: the input goes
 * in on one end of a socketpair as the client's bytes, a thread drains
 * the replies, and an in-memory backend stands for pop3d-auth and the
 * store.  The backend says yes to the password "pw" so that the fuzzer
 * reaches the TRANSACTION state and XTND XMIT.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "session.h"
#include "xform.h"
#include "fuzz.h"

#define NMSGS	3

static const char *msgs[NMSGS] = {
	"Subject: one\n\nhello\n.dot line\n..two dots\n",
	"From me\n>From you\n\nno final newline",
	"",
};
static int	deleted[NMSGS];

static int
fake_login(void *arg, const char *user, const char *pass,
    struct store_stat *st)
{
	if (strcmp(pass, "pw") != 0)
		return (strcmp(pass, "temp") == 0 ? AUTH_TEMPFAIL : AUTH_FAIL);
	memset(deleted, 0, sizeof(deleted));
	st->count = NMSGS;
	st->octets = 99;
	return (AUTH_OK);
}

static uint64_t
msgsize(uint32_t i)
{
	return (xform_size(msgs[i - 1], strlen(msgs[i - 1]), 0));
}

static int
fake_stat(void *arg, struct store_stat *st)
{
	uint32_t	i;

	memset(st, 0, sizeof(*st));
	for (i = 1; i <= NMSGS; i++)
		if (!deleted[i - 1]) {
			st->count++;
			st->octets += msgsize(i);
		}
	return (0);
}

/* The store's answers to a bad index, which the session must relay. */
static int
fake_check(uint32_t i)
{
	if (i < 1 || i > NMSGS)
		return (STORE_ERR_NOMSG);
	if (deleted[i - 1])
		return (STORE_ERR_DELETED);
	return (0);
}

static int
fake_list(void *arg, uint32_t index, int uidl,
    void (*cb)(void *, const struct store_entry *), void *cbarg)
{
	struct store_entry	e;
	uint32_t		i;
	int			rc;

	if (index != 0 && (rc = fake_check(index)) != 0)
		return (rc);
	for (i = 1; i <= NMSGS; i++) {
		if ((index != 0 && i != index) || deleted[i - 1])
			continue;
		memset(&e, 0, sizeof(e));
		e.index = i;
		e.size = msgsize(i);
		snprintf(e.uidl, sizeof(e.uidl), "uid-%u", i);
		cb(cbarg, &e);
	}
	return (0);
}

static int
fake_retr(void *arg, uint32_t index, int64_t lines, struct store_msg *m,
    int *fd)
{
	const char	*s;
	int		 rc;

	if ((rc = fake_check(index)) != 0)
		return (rc);
	s = msgs[index - 1];
	if ((*fd = memfd_create("msg", MFD_CLOEXEC)) == -1)
		return (STORE_ERR_TEMP);
	if (write(*fd, s, strlen(s)) != (ssize_t)strlen(s)) {
		close(*fd);
		return (STORE_ERR_TEMP);
	}
	memset(m, 0, sizeof(*m));
	m->index = index;
	m->length = strlen(s);
	m->size = msgsize(index);
	m->mboxrd = index == 2;
	return (0);
}

static int
fake_dele(void *arg, uint32_t index)
{
	int	rc;

	if ((rc = fake_check(index)) != 0)
		return (rc);
	deleted[index - 1] = 1;
	return (0);
}

static int
fake_rset(void *arg, struct store_stat *st)
{
	memset(deleted, 0, sizeof(deleted));
	return (fake_stat(arg, st));
}

static int
fake_update(void *arg, struct store_update *up)
{
	memset(up, 0, sizeof(*up));
	up->deleted = deleted[0] + deleted[1] + deleted[2];
	return (0);
}

static int
fake_challenge(void *arg, char *buf, size_t len)
{
	strlcpy(buf, "<1896.697170952@dbc.mtview.ca.us>", len);
	return (0);
}

static int
fake_apop(void *arg, const char *user, const char *digest,
    struct store_stat *st)
{
	return (fake_login(arg, user, digest[0] == '0' ? "pw" : "",
	    st));
}

/*
 * A mechanism of two steps, whatever its name: a challenge of the
 * client's own length, then "pw" as the response logs in.
 */
static int
fake_sasl(void *arg, int op, const char *mech, const void *data,
    size_t len, int has_data, void *out, size_t *outlen,
    struct store_stat *st)
{
	if (op == POP3_SASL_ABORT)
		return (AUTH_FAIL);
	if (op == POP3_SASL_START) {
		*outlen = MINIMUM(len, *outlen);
		memset(out, 'c', *outlen);
		return (POP3_SASL_CONTINUE);
	}
	if (len != 2 || memcmp(data, "pw", 2) != 0)
		return (AUTH_FAIL);
	return (fake_login(arg, "sasl", "pw", st));
}

static int
fake_change(void *arg, const char *user, const char *old, const char *new)
{
	return (strcmp(old, "pw") == 0 ? AUTH_OK : AUTH_FAIL);
}

static void
fake_autodeny(void *arg, int reason)
{
}

/* The parent would run the submission program on the memfd. */
static int
fake_xmit(void *arg, int fd)
{
	char	buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return (0);
}

static void
fake_loggedin(void *arg, int method, int tls)
{
}

static void
fake_prefetch(void *arg, const uint32_t *index, size_t n)
{
}

static const struct pop3_backend fake_backend = {
	fake_login, fake_stat, fake_list, fake_retr, fake_dele, fake_rset,
	fake_update, fake_challenge, fake_apop, fake_sasl, fake_change,
	fake_autodeny, fake_xmit, fake_loggedin, fake_prefetch
};

static void *
drain(void *arg)
{
	char	buf[65536];
	int	fd = *(int *)arg;

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	return (NULL);
}

/*
 * The whole input is written before the session reads: more than a
 * socket buffer would block, and a command line is at most a few
 * hundred bytes anyway, so longer inputs are cut.
 */
#define FUZZ_SESSION_MAX	65536

void
fuzz_session(enum fuzz_session which, const char *prefix,
    const uint8_t *data, size_t size)
{
	static struct io	io;
	struct sess_conf	conf;
	struct pop3		p;
	pthread_t		th;
	int			sp[2];
	size_t			plen = strlen(prefix);

	if (size > FUZZ_SESSION_MAX)
		size = FUZZ_SESSION_MAX;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		abort();
	if (write(sp[0], prefix, plen) != (ssize_t)plen ||
	    write(sp[0], data, size) != (ssize_t)size)
		abort();
	shutdown(sp[0], SHUT_WR);
	if (pthread_create(&th, NULL, drain, &sp[0]) != 0)
		abort();

	memset(&conf, 0, sizeof(conf));
	conf.timeout_idle = 5;
	conf.timeout_login = 5;
	conf.expire = EXPIRE_UNSET;
	conf.login_delay = -1;
	conf.apop = 1;
	conf.sasl_scram = 1;
	conf.auto_deny = 1;
	conf.xtnd_xmit = 1;
	conf.xmit_max_size = 4096;
	strlcpy(conf.hostname, "mx.test", sizeof(conf.hostname));
	io_init(&io, sp[1]);
	memset(&p, 0, sizeof(p));
	p.io = &io;
	p.be = &fake_backend;
	p.conf = &conf;
	p.peer = "fuzz";
	p.plaintext_ok = 1;
	p.authuser = "alice";
	p.peeraddr = "192.0.2.1";
	if (which == FUZZ_POPPASS)
		poppass_run(&p);
	else
		pop3_run(&p);
	close(sp[1]);
	pthread_join(th, NULL);
	close(sp[0]);
}
