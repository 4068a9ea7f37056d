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
 * The POP3 state machine, driven over a socketpair with an in-memory
 * backend in place of pop3d-auth and the store.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <atf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "session.h"
#include "xform.h"

static const char *msgs[] = {
	"Subject: one\n\nhello\n.dot line\n..two dots\n",
	"Subject: two\n\nno final newline",
};

static int	deleted[2];
static int	plaintext_ok = 1;	/* the policy converse() runs with */

static int
fake_login(void *arg, const char *user, const char *pass,
    struct store_stat *st)
{
	if (strcmp(user, "alice") != 0 || strcmp(pass, "secret pw") != 0)
		return (AUTH_FAIL);
	st->count = 2;
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
	for (i = 1; i <= 2; i++)
		if (!deleted[i - 1]) {
			st->count++;
			st->octets += msgsize(i);
		}
	return (0);
}

static int
fake_check(uint32_t i)
{
	if (i < 1 || i > 2)
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
	for (i = 1; i <= 2; i++) {
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
	if ((*fd = memfd_create("msg", 0)) == -1 ||
	    write(*fd, s, strlen(s)) != (ssize_t)strlen(s))
		return (STORE_ERR_TEMP);
	memset(m, 0, sizeof(*m));
	m->index = index;
	m->length = strlen(s);
	m->size = msgsize(index);
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
	deleted[0] = deleted[1] = 0;
	return (fake_stat(arg, st));
}

/* The child reports what it committed by its exit status. */
static int
fake_update(void *arg, struct store_update *up)
{
	memset(up, 0, sizeof(*up));
	up->deleted = deleted[0] + deleted[1];
	return (0);
}

static int
fake_challenge(void *arg, char *buf, size_t len)
{
	strlcpy(buf, "<1896.697170952@dbc.mtview.ca.us>", len);
	return (0);
}

/* RFC 1939's example digest, for the secret "tanstaaf". */
static int
fake_apop(void *arg, const char *user, const char *digest,
    struct store_stat *st)
{
	if (strcmp(user, "mrose") != 0 ||
	    strcmp(digest, "c4c9334bac560ecc979e58001b3e22fb") != 0)
		return (AUTH_FAIL);
	return (fake_login(arg, "alice", "secret pw", st));
}

/* PLAIN, with the initial response or after an empty challenge. */
static int
fake_sasl(void *arg, int op, const char *mech, const void *data,
    size_t len, int has_data, void *out, size_t *outlen,
    struct store_stat *st)
{
	static const char	plain[] = "\0alice\0secret pw";

	if (op == POP3_SASL_ABORT)
		return (AUTH_FAIL);
	if (op == POP3_SASL_START && !has_data) {
		*outlen = 0;
		return (POP3_SASL_CONTINUE);
	}
	if (len != sizeof(plain) - 1 || memcmp(data, plain, len) != 0)
		return (AUTH_FAIL);
	return (fake_login(arg, "alice", "secret pw", st));
}

static int
fake_change(void *arg, const char *user, const char *old, const char *new)
{
	return (AUTH_FAIL);
}

/* Visible to the test as a line in the reply stream. */
static struct io	*fake_io;

static void
fake_autodeny(void *arg, int reason)
{
	io_printf(fake_io, "AUTODENY %d\r\n", reason);
}

/* The message as the submission program would get it, echoed back. */
static int
fake_xmit(void *arg, int fd)
{
	char	buf[4096];
	ssize_t	n;

	io_printf(fake_io, "XMIT[");
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		io_write(fake_io, buf, n);
	io_printf(fake_io, "]\r\n");
	close(fd);
	return (0);
}

static void
fake_loggedin(void *arg, int method, int tls)
{
}

/* The session runs in a child: what it asks ahead goes to a file. */
static void
fake_prefetch(void *arg, const uint32_t *index, size_t n)
{
	FILE	*fp;
	size_t	 i;

	if ((fp = fopen("prefetch.log", "a")) == NULL)
		return;
	for (i = 0; i < n; i++)
		fprintf(fp, "%u,", index[i]);
	fprintf(fp, "|");
	fclose(fp);
}

static const struct pop3_backend fake_backend = {
	fake_login, fake_stat, fake_list, fake_retr, fake_dele, fake_rset,
	fake_update, fake_challenge, fake_apop, fake_sasl, fake_change,
	fake_autodeny, fake_xmit, fake_loggedin, fake_prefetch
};

/* The settings converse() runs the session with. */
static int	apop_on, autodeny_on, xmit_max;
static char	banner[BANNER_MAX + 1];

/*
 * Run a session on one end of a socketpair in a child, send the whole
 * input at once, and collect everything the server says until it closes.
 */
static char *
converse(const char *input, struct sess_end *endp)
{
	static struct io	io;
	struct sess_conf	conf;
	struct pop3		p;
	int			sp[2], status;
	size_t			len = 0, cap = 1 << 20;
	ssize_t			n;
	char			*out;
	pid_t			pid;

	ATF_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		close(sp[0]);
		memset(&conf, 0, sizeof(conf));
		conf.timeout_idle = 5;
		conf.timeout_login = 5;
		conf.expire = EXPIRE_UNSET;
		conf.login_delay = -1;
		conf.apop = apop_on;
		conf.auto_deny = autodeny_on;
		conf.xtnd_xmit = xmit_max > 0;
		conf.xmit_max_size = xmit_max;
		strlcpy(conf.hostname, "mx.test", sizeof(conf.hostname));
		strlcpy(conf.banner, banner, sizeof(conf.banner));
		io_init(&io, sp[1]);
		fake_io = &io;
		memset(&p, 0, sizeof(p));
		p.io = &io;
		p.be = &fake_backend;
		p.conf = &conf;
		p.peer = "test";
		p.plaintext_ok = plaintext_ok;
		p.authuser = "alice";
		p.peeraddr = "192.0.2.1";
		pop3_run(&p);
		_exit(p.end.reason * 10 + p.end.deleted);
	}
	close(sp[1]);
	ATF_REQUIRE(write(sp[0], input, strlen(input)) ==
	    (ssize_t)strlen(input));
	shutdown(sp[0], SHUT_WR);
	out = malloc(cap);
	ATF_REQUIRE(out != NULL);
	while ((n = read(sp[0], out + len, cap - len - 1)) > 0)
		len += n;
	out[len] = '\0';
	close(sp[0]);
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_REQUIRE(WIFEXITED(status));
	if (endp != NULL) {
		endp->reason = WEXITSTATUS(status) / 10;
		endp->deleted = WEXITSTATUS(status) % 10;
	}
	return (out);
}

#define LOGIN	"USER alice\r\nPASS secret pw\r\n"

static void
expect_contains(const char *out, const char *want)
{
	ATF_REQUIRE_MSG(strstr(out, want) != NULL,
	    "want \"%s\" in reply:\n%s", want, out);
}

ATF_TC_WITHOUT_HEAD(pop3__parse);
ATF_TC_BODY(pop3__parse, tc)
{
	struct pop3_cmdline	cl;
	char			line[64];

	strlcpy(line, "LIST", sizeof(line));
	ATF_REQUIRE(pop3_parse(line, &cl) == 0 && cl.argc == 0);
	strlcpy(line, "TOP 1  10", sizeof(line));
	ATF_REQUIRE(pop3_parse(line, &cl) == 0);
	ATF_REQUIRE_MSG(cl.argc == 2 && strcmp(cl.argv[0], "1") == 0 &&
	    strcmp(cl.argv[1], "10") == 0, "TOP 1  10: argc %d", cl.argc);
	strlcpy(line, "PASS two words ", sizeof(line));
	ATF_REQUIRE(pop3_parse(line, &cl) == 0);
	ATF_REQUIRE_MSG(cl.argc == 1 &&
	    strcmp(cl.argv[0], "two words ") == 0, "PASS keeps spaces");
	strlcpy(line, "LIST 1 2 3 4", sizeof(line));
	ATF_REQUIRE_MSG(pop3_parse(line, &cl) == -1, "too many arguments");
}

ATF_TC_WITHOUT_HEAD(pop3__number);
ATF_TC_BODY(pop3__number, tc)
{
	const char	*bad[] = { "", "0", "-1", "+1", " 1", "1x", "0x1",
			    "4294967297", "99999999999", "abc" };
	uint32_t	 v;
	size_t		 i;

	ATF_REQUIRE(pop3_number("1", 1, 10, &v) == 0 && v == 1);
	ATF_REQUIRE(pop3_number("0010", 1, 10, &v) == 0 && v == 10);
	for (i = 0; i < nitems(bad); i++)
		ATF_REQUIRE_MSG(pop3_number(bad[i], 1, 1000000, &v) == -1,
		    "\"%s\" accepted", bad[i]);
}

ATF_TC_WITHOUT_HEAD(pop3__states);
ATF_TC_BODY(pop3__states, tc)
{
	char	*out;

	out = converse("STAT\r\nPASS x\r\nLIST\r\nNOOP\r\nQUIT\r\n", NULL);
	ATF_REQUIRE_MSG(strncmp(out, "+OK ", 4) == 0, "greeting: %s", out);
	expect_contains(out, "-ERR command not valid in this state\r\n"
	    "-ERR give USER first\r\n-ERR command not valid in this state\r\n"
	    "-ERR command not valid in this state\r\n+OK bye\r\n");
	free(out);

	out = converse(LOGIN "USER bob\r\nPASS x\r\nQUIT\r\n", NULL);
	expect_contains(out, "+OK maildrop has 2 messages (99 octets)\r\n"
	    "-ERR command not valid in this state\r\n"
	    "-ERR command not valid in this state\r\n+OK bye, 0");
	free(out);
}

ATF_TC_WITHOUT_HEAD(pop3__failures_close);
ATF_TC_BODY(pop3__failures_close, tc)
{
	struct sess_end	 e;
	char		*out;

	out = converse("USER alice\r\nPASS no\r\nUSER alice\r\nPASS no\r\n"
	    "USER alice\r\nPASS no\r\nNOOP\r\n", &e);
	ATF_REQUIRE_MSG(e.reason == SESS_END_ERROR, "reason %d", e.reason);
	ATF_REQUIRE_MSG(strstr(out, "NOOP") == NULL &&
	    strstr(out, "not valid") == NULL, "served after 3 failures");
	expect_contains(out, "-ERR [AUTH] invalid user name or password");
	free(out);
}

ATF_TC_WITHOUT_HEAD(pop3__retr_stuffing);
ATF_TC_BODY(pop3__retr_stuffing, tc)
{
	char	*out;

	out = converse(LOGIN "RETR 1\r\nRETR 2\r\nTOP 1 0\r\nQUIT\r\n", NULL);
	expect_contains(out, "+OK 46 octets\r\nSubject: one\r\n\r\nhello\r\n"
	    "..dot line\r\n...two dots\r\n.\r\n");
	expect_contains(out, "+OK 34 octets\r\nSubject: two\r\n\r\n"
	    "no final newline\r\n.\r\n");
	expect_contains(out, "+OK top of message follows\r\n"
	    "Subject: one\r\n\r\n.\r\n");
	free(out);
}

/*
 * A RETR followed by pipelined RETRs is announced to the backend with
 * them, up to the first other line; each is still answered on its own,
 * a bad one too.
 */
ATF_TC_WITHOUT_HEAD(pop3__retr_prefetch);
ATF_TC_BODY(pop3__retr_prefetch, tc)
{
	char	*out, buf[128];
	FILE	*fp;
	size_t	 n;

	unlink("prefetch.log");
	out = converse(LOGIN "RETR 1\r\nRETR 2\r\nretr 1\r\nNOOP\r\n"
	    "RETR 2\r\nRETR 0\r\nRETR 1\r\nQUIT\r\n", NULL);
	expect_contains(out, "+OK 46 octets\r\n");
	expect_contains(out, "+OK 34 octets\r\n");
	expect_contains(out, "-ERR invalid message number\r\n");
	ATF_REQUIRE((fp = fopen("prefetch.log", "r")) != NULL);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	ATF_CHECK_STREQ(buf, "1,2,1,|2,1,|");
	free(out);
}

ATF_TC_WITHOUT_HEAD(pop3__list_dele_rset);
ATF_TC_BODY(pop3__list_dele_rset, tc)
{
	struct sess_end	 e;
	char		*out;

	out = converse(LOGIN "LIST\r\nUIDL 2\r\nDELE 1\r\nDELE 1\r\n"
	    "RETR 1\r\nLIST 1\r\nLIST\r\nRSET\r\nLIST 3\r\nLIST 0\r\n"
	    "LIST 4294967297\r\nDELE 2\r\nQUIT\r\n", &e);
	expect_contains(out, "+OK scan listing follows\r\n1 46\r\n2 34\r\n"
	    ".\r\n+OK 2 uid-2\r\n+OK message 1 deleted\r\n"
	    "-ERR message already deleted\r\n-ERR message already deleted\r\n"
	    "-ERR message already deleted\r\n"
	    "+OK scan listing follows\r\n2 34\r\n.\r\n"
	    "+OK maildrop has 2 messages (80 octets)\r\n"
	    "-ERR no such message\r\n-ERR invalid message number\r\n"
	    "-ERR invalid message number\r\n+OK message 2 deleted\r\n"
	    "+OK bye, 1 messages deleted\r\n");
	ATF_REQUIRE_MSG(e.reason == SESS_END_QUIT && e.deleted == 1,
	    "reason %d deleted %u", e.reason, e.deleted);
	free(out);
}

ATF_TC_WITHOUT_HEAD(pop3__no_update_without_quit);
ATF_TC_BODY(pop3__no_update_without_quit, tc)
{
	struct sess_end	 e;
	char		*out;

	out = converse(LOGIN "DELE 1\r\n", &e);
	ATF_REQUIRE_MSG(e.reason == SESS_END_DROPPED && e.deleted == 0,
	    "reason %d deleted %u", e.reason, e.deleted);
	free(out);
}

ATF_TC_WITHOUT_HEAD(pop3__pipelining);
ATF_TC_BODY(pop3__pipelining, tc)
{
	char	 in[4096], want[4096], *out;
	int	 i;

	strlcpy(in, LOGIN, sizeof(in));
	strlcpy(want, "+OK maildrop has 2 messages (99 octets)\r\n",
	    sizeof(want));
	for (i = 0; i < 50; i++) {
		strlcat(in, i % 2 ? "NOOP\r\n" : "STAT\r\n", sizeof(in));
		strlcat(want, i % 2 ? "+OK\r\n" : "+OK 2 80\r\n",
		    sizeof(want));
	}
	strlcat(in, "QUIT\r\n", sizeof(in));
	out = converse(in, NULL);
	expect_contains(out, want);
	free(out);
}

ATF_TC_WITHOUT_HEAD(pop3__long_line);
ATF_TC_BODY(pop3__long_line, tc)
{
	char	 in[1024], *out;

	/* 253 octets and CRLF: exactly the RFC 2449 limit of 255. */
	memset(in, 'A', 253);
	memcpy(in, "NOOP ", 5);
	strlcpy(in + 253, "\r\n", sizeof(in) - 253);
	out = converse(in, NULL);
	expect_contains(out, "-ERR command not valid in this state\r\n");
	free(out);

	memset(in, 'A', 254);
	strlcpy(in + 254, "\r\nNOOP\r\n", sizeof(in) - 254);
	out = converse(in, NULL);
	expect_contains(out, "-ERR line too long\r\n");
	ATF_REQUIRE_MSG(strstr(out, "not valid") == NULL,
	    "served after an over-long line");
	free(out);
}

ATF_TC_WITHOUT_HEAD(pop3__capa);
ATF_TC_BODY(pop3__capa, tc)
{
	char	*out;

	out = converse("CAPA\r\nQUIT\r\n", NULL);
	expect_contains(out, "+OK capability list follows\r\nTOP\r\nUIDL\r\n"
	    "USER\r\nRESP-CODES\r\nPIPELINING\r\nSASL PLAIN\r\n.\r\n");
	ATF_REQUIRE_MSG(strstr(out, "EXPIRE") == NULL &&
	    strstr(out, "IMPLEMENTATION") == NULL, "CAPA: %s", out);
	free(out);
}

/* Without TLS and outside the policy, no password crosses the wire. */
ATF_TC_WITHOUT_HEAD(pop3__plaintext_refused);
ATF_TC_BODY(pop3__plaintext_refused, tc)
{
	char	*out;

	plaintext_ok = 0;
	out = converse("CAPA\r\nUSER alice\r\nPASS secret pw\r\n"
	    "STLS\r\nQUIT\r\n", NULL);
	expect_contains(out, "+OK capability list follows\r\nTOP\r\n"
	    "UIDL\r\nRESP-CODES\r\nPIPELINING\r\n.\r\n"
	    "-ERR [AUTH] plaintext authentication needs TLS: use STLS\r\n"
	    "-ERR [AUTH] plaintext authentication needs TLS: use STLS\r\n"
	    "-ERR TLS not available\r\n+OK bye\r\n");
	free(out);
}

ATF_TC_WITHOUT_HEAD(pop3__apop);
ATF_TC_BODY(pop3__apop, tc)
{
	char	*out;

	apop_on = 1;
	out = converse("APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"
	    "QUIT\r\n", NULL);
	expect_contains(out, "+OK POP3 server ready "
	    "<1896.697170952@dbc.mtview.ca.us>\r\n"
	    "+OK maildrop has 2 messages");
	free(out);

	/* One timestamp, one try; no digest in capitals or of bad length. */
	out = converse("APOP mrose C4C9334BAC560ECC979E58001B3E22FB\r\n"
	    "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\nQUIT\r\n",
	    NULL);
	expect_contains(out, "-ERR [AUTH] invalid user name or password\r\n"
	    "-ERR APOP not available\r\n+OK bye");
	free(out);
	apop_on = 0;
}

/* With APOP, the banner yields so that the greeting fits BANNER_MAX. */
ATF_TC_WITHOUT_HEAD(pop3__banner_apop_truncated);
ATF_TC_BODY(pop3__banner_apop_truncated, tc)
{
	const char	*ts = "<1896.697170952@dbc.mtview.ca.us>";
	char		*out, *eol;

	memset(banner, 'b', BANNER_MAX);
	banner[BANNER_MAX] = '\0';
	apop_on = 1;
	out = converse("QUIT\r\n", NULL);
	eol = strstr(out, "\r\n");
	ATF_REQUIRE(eol != NULL);
	ATF_REQUIRE_MSG(eol - out == 4 + BANNER_MAX, "greeting %d octets",
	    (int)(eol - out));
	ATF_REQUIRE_MSG(strncmp(eol - strlen(ts), ts, strlen(ts)) == 0,
	    "timestamp kept whole");
	free(out);
	apop_on = 0;
	banner[0] = '\0';
}

ATF_TC_WITHOUT_HEAD(pop3__auth_plain);
ATF_TC_BODY(pop3__auth_plain, tc)
{
	char	*out;

	/* base64 of "\0alice\0secret pw" */
	out = converse("AUTH\r\nAUTH PLAIN AGFsaWNlAHNlY3JldCBwdw==\r\n"
	    "QUIT\r\n", NULL);
	expect_contains(out, "+OK\r\nPLAIN\r\n.\r\n"
	    "+OK maildrop has 2 messages");
	free(out);

	out = converse("AUTH PLAIN\r\nAGFsaWNlAHNlY3JldCBwdw==\r\nQUIT\r\n",
	    NULL);
	expect_contains(out, "+ \r\n+OK maildrop has 2 messages");
	free(out);

	out = converse("AUTH PLAIN\r\n*\r\nAUTH FOO\r\nAUTH PLAIN !!\r\n"
	    "QUIT\r\n", NULL);
	expect_contains(out, "+ \r\n-ERR [AUTH] invalid user name or "
	    "password\r\n-ERR [AUTH] unsupported mechanism\r\n"
	    "-ERR invalid base64\r\n+OK bye");
	free(out);
}

/* 512 characters before the CRLF are refused; 513 are an attack. */
ATF_TC_WITHOUT_HEAD(pop3__autodeny);
ATF_TC_BODY(pop3__autodeny, tc)
{
	char	in[1024], *out;

	autodeny_on = 1;
	memset(in, 'A', 512);
	strlcpy(in + 512, "\r\n", sizeof(in) - 512);
	out = converse(in, NULL);
	expect_contains(out, "-ERR line too long\r\n");
	ATF_REQUIRE_MSG(strstr(out, "AUTODENY") == NULL, "512 reported");
	free(out);

	memset(in, 'A', 513);
	strlcpy(in + 513, "\r\n", sizeof(in) - 513);
	out = converse(in, NULL);
	expect_contains(out, "AUTODENY 1\r\n");
	free(out);

	/* Without auto-deny it is only too long. */
	autodeny_on = 0;
	out = converse(in, NULL);
	expect_contains(out, "-ERR line too long\r\n");
	ATF_REQUIRE_MSG(strstr(out, "AUTODENY") == NULL, "reported when off");
	free(out);
}

/* Dot-unstuffing, CRLF to LF, the Received: line, and the size cap. */
ATF_TC_WITHOUT_HEAD(pop3__xtnd_xmit);
ATF_TC_BODY(pop3__xtnd_xmit, tc)
{
	char	*out;

	out = converse(LOGIN "XTND XMIT\r\n", NULL);
	expect_contains(out, "-ERR unsupported XTND command");
	free(out);

	xmit_max = 1000;
	out = converse("CAPA\r\n" LOGIN "XTND XMIT\r\nSubject: x\r\n\r\n"
	    "..dot\r\n..\r\nline\r\n.\r\nNOOP\r\nQUIT\r\n", NULL);
	expect_contains(out, "PIPELINING\r\nXTND\r\n");
	expect_contains(out, "+OK send the message, end with a line "
	    "holding a single dot\r\nXMIT[Received: from 192.0.2.1 by "
	    "mx.test (pop3d)\n\twith XTND XMIT for authenticated user "
	    "alice;\n\t");
	expect_contains(out, "\nSubject: x\n\n.dot\n.\nline\n]\r\n"
	    "+OK message submitted\r\n+OK\r\n+OK bye");
	free(out);

	/* A bare LF ends no line: "LF . CRLF" is message, not its end. */
	out = converse(LOGIN "XTND XMIT\r\na\n.\r\nDELE 1\r\n.\r\n"
	    "QUIT\r\n", NULL);
	expect_contains(out, "\na\n.\nDELE 1\n]\r\n+OK message submitted"
	    "\r\n+OK bye, 0 messages deleted");
	free(out);

	xmit_max = 10;
	out = converse(LOGIN "XTND XMIT\r\nSubject: longer than ten\r\n"
	    ".\r\nNOOP\r\nQUIT\r\n", NULL);
	expect_contains(out, "-ERR message too large (max 10 octets)\r\n"
	    "+OK\r\n+OK bye");
	ATF_REQUIRE_MSG(strstr(out, "XMIT[") == NULL, "oversized submitted");
	free(out);
	xmit_max = 0;
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, pop3__parse);
	ATF_TP_ADD_TC(tp, pop3__number);
	ATF_TP_ADD_TC(tp, pop3__states);
	ATF_TP_ADD_TC(tp, pop3__failures_close);
	ATF_TP_ADD_TC(tp, pop3__retr_stuffing);
	ATF_TP_ADD_TC(tp, pop3__retr_prefetch);
	ATF_TP_ADD_TC(tp, pop3__list_dele_rset);
	ATF_TP_ADD_TC(tp, pop3__no_update_without_quit);
	ATF_TP_ADD_TC(tp, pop3__pipelining);
	ATF_TP_ADD_TC(tp, pop3__long_line);
	ATF_TP_ADD_TC(tp, pop3__capa);
	ATF_TP_ADD_TC(tp, pop3__plaintext_refused);
	ATF_TP_ADD_TC(tp, pop3__apop);
	ATF_TP_ADD_TC(tp, pop3__banner_apop_truncated);
	ATF_TP_ADD_TC(tp, pop3__auth_plain);
	ATF_TP_ADD_TC(tp, pop3__autodeny);
	ATF_TP_ADD_TC(tp, pop3__xtnd_xmit);
	return (atf_no_error());
}
