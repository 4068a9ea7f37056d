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
 * The POP3 state machine (RFC 1939, RFC 2449 CAPA, RFC 3206 codes) of one
 * client connection.  It runs in the sandboxed session process and holds
 * no secret but the password of the PASS line in flight.
 */

#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base64.h"
#include "session.h"
#include "xform.h"

#define DEFAULT_BANNER	"POP3 server ready"

struct pop3_command {
	const char	*verb;
	int		 states;	/* bits: 1 << POP3_AUTHORIZATION ... */
	int		 minargs;
	int		 maxargs;
	void		(*fn)(struct pop3 *, struct pop3_cmdline *);
};

#define AUTH	(1 << POP3_AUTHORIZATION)
#define TRANS	(1 << POP3_TRANSACTION)

static void	pop3_capa(struct pop3 *, struct pop3_cmdline *);
static void	pop3_user(struct pop3 *, struct pop3_cmdline *);
static void	pop3_pass(struct pop3 *, struct pop3_cmdline *);
static void	pop3_quit(struct pop3 *, struct pop3_cmdline *);
static void	pop3_stat(struct pop3 *, struct pop3_cmdline *);
static void	pop3_list(struct pop3 *, struct pop3_cmdline *);
static void	pop3_retr(struct pop3 *, struct pop3_cmdline *);
static void	pop3_top(struct pop3 *, struct pop3_cmdline *);
static void	pop3_dele(struct pop3 *, struct pop3_cmdline *);
static void	pop3_noop(struct pop3 *, struct pop3_cmdline *);
static void	pop3_rset(struct pop3 *, struct pop3_cmdline *);
static void	pop3_stls(struct pop3 *, struct pop3_cmdline *);
static void	pop3_apop(struct pop3 *, struct pop3_cmdline *);
static void	pop3_xtnd(struct pop3 *, struct pop3_cmdline *);
static void	pop3_auth(struct pop3 *, struct pop3_cmdline *);
static void	pop3_login_result(struct pop3 *, int, struct store_stat *,
		    int);
static int	pop3_input_error(struct pop3 *, enum io_status);

/* PASS takes the rest of the line: RFC 1939 lets a password hold spaces. */
static const struct pop3_command pop3_commands[] = {
	{ "APOP",	AUTH,		2, 2, pop3_apop },
	{ "AUTH",	AUTH,		0, 2, pop3_auth },
	{ "CAPA",	AUTH | TRANS,	0, 0, pop3_capa },
	{ "DELE",	TRANS,		1, 1, pop3_dele },
	{ "LIST",	TRANS,		0, 1, pop3_list },
	{ "NOOP",	TRANS,		0, 0, pop3_noop },
	{ "PASS",	AUTH,		1, 1, pop3_pass },
	{ "QUIT",	AUTH | TRANS,	0, 0, pop3_quit },
	{ "RETR",	TRANS,		1, 1, pop3_retr },
	{ "RSET",	TRANS,		0, 0, pop3_rset },
	{ "STAT",	TRANS,		0, 0, pop3_stat },
	{ "STLS",	AUTH,		0, 0, pop3_stls },
	{ "TOP",	TRANS,		2, 2, pop3_top },
	{ "UIDL",	TRANS,		0, 1, pop3_list },
	{ "USER",	AUTH,		1, 1, pop3_user },
	{ "XTND",	TRANS,		1, 1, pop3_xtnd },
};

/*
 * Split a command line into its verb and arguments, in place.  Returns 0,
 * or -1 when there are more arguments than any command takes.  For PASS
 * the single argument is the rest of the line after one space.
 */
int
pop3_parse(char *line, struct pop3_cmdline *cl)
{
	char	*p;

	memset(cl, 0, sizeof(*cl));
	cl->verb = line;
	if ((p = strchr(line, ' ')) == NULL)
		return (0);
	*p++ = '\0';
	if (strcasecmp(cl->verb, "PASS") == 0) {
		cl->argv[cl->argc++] = p;
		return (0);
	}
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (cl->argc == POP3_MAXARGS)
			return (-1);
		cl->argv[cl->argc++] = p;
		while (*p != '\0' && *p != ' ')
			p++;
		if (*p == ' ')
			*p++ = '\0';
	}
	return (0);
}

/*
 * Digits only, then a range check: "LIST +1", "LIST 0x1" and
 * "LIST 4294967297" are all refused, never read as something else.
 */
int
pop3_number(const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	const char	*errstr;
	const char	*p;
	long long	 n;

	if (*s == '\0' || strlen(s) > 10)
		return (-1);
	for (p = s; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			return (-1);
	n = strtonum(s, min, max, &errstr);
	if (errstr != NULL)
		return (-1);
	*v = (uint32_t)n;
	return (0);
}

void
pop3_reply(struct pop3 *p, const char *fmt, ...)
{
	char	buf[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (p->conf->debug)
		log_debug("%s: > %s", p->peer, buf);
	io_printf(p->io, "%s\r\n", buf);
}

static const char *
pop3_store_error(int err)
{
	switch (err) {
	case STORE_ERR_NOMSG:
		return ("-ERR no such message");
	case STORE_ERR_DELETED:
		return ("-ERR message already deleted");
	case STORE_ERR_INUSE:
		return ("-ERR [IN-USE] maildrop is locked by another session");
	case STORE_ERR_PERM:
		return ("-ERR [SYS/PERM] maildrop unavailable");
	default:
		return ("-ERR [SYS/TEMP] maildrop unavailable, try later");
	}
}

/*
 * The banner, and with APOP the timestamp (RFC 1939 7).  The whole text
 * stays within BANNER_MAX: the banner gives way to the timestamp.
 */
static void
pop3_greeting(struct pop3 *p)
{
	const char	*banner = p->conf->banner[0] != '\0' ?
			    p->conf->banner : DEFAULT_BANNER;
	int		 room;

	if (p->conf->apop && p->be->challenge(p->bearg, p->timestamp,
	    sizeof(p->timestamp)) == 0) {
		p->apop = 1;
		room = BANNER_MAX - 1 - (int)strlen(p->timestamp);
		pop3_reply(p, "+OK %.*s %s", room > 0 ? room : 0, banner,
		    p->timestamp);
		return;
	}
	pop3_reply(p, "+OK %s", banner);
}

/* RFC 2595: credentials in the clear only where the policy allows. */
static int
pop3_plaintext_ok(struct pop3 *p)
{
	return (p->io->tls != NULL || p->plaintext_ok);
}

/*
 * SASL mechanisms on offer, each after a space: PLAIN carries the
 * password, so the plaintext policy applies; SCRAM never does.
 */
static const char *
pop3_mechanisms(struct pop3 *p)
{
	if (pop3_plaintext_ok(p))
		return (p->conf->sasl_scram ? " PLAIN SCRAM-SHA-256" :
		    " PLAIN");
	return (p->conf->sasl_scram ? " SCRAM-SHA-256" : "");
}

static void
pop3_capa(struct pop3 *p, struct pop3_cmdline *cl)
{
	pop3_reply(p, "+OK capability list follows");
	io_printf(p->io, "TOP\r\nUIDL\r\n");
	if (pop3_plaintext_ok(p))
		io_printf(p->io, "USER\r\n");
	io_printf(p->io, "RESP-CODES\r\nPIPELINING\r\n");
	if (p->conf->xtnd_xmit)
		io_printf(p->io, "XTND\r\n");
	if (p->state == POP3_AUTHORIZATION && pop3_mechanisms(p)[0] != '\0')
		io_printf(p->io, "SASL%s\r\n", pop3_mechanisms(p));
	if (p->starttls != NULL && p->io->tls == NULL &&
	    p->state == POP3_AUTHORIZATION)
		io_printf(p->io, "STLS\r\n");
	if (p->conf->expire == EXPIRE_NEVER)
		io_printf(p->io, "EXPIRE NEVER\r\n");
	else if (p->conf->expire >= 0)
		io_printf(p->io, "EXPIRE %d\r\n", p->conf->expire);
	if (p->conf->login_delay >= 0)
		io_printf(p->io, "LOGIN-DELAY %d\r\n", p->conf->login_delay);
	io_printf(p->io, ".\r\n");
}

static void
pop3_user(struct pop3 *p, struct pop3_cmdline *cl)
{
	if (!pop3_plaintext_ok(p)) {
		pop3_reply(p, "-ERR [AUTH] plaintext authentication needs "
		    "TLS: use STLS");
		return;
	}
	if (strlen(cl->argv[0]) > POP3_USER_MAX) {
		pop3_reply(p, "-ERR user name too long");
		return;
	}
	strlcpy(p->user, cl->argv[0], sizeof(p->user));
	p->have_user = 1;
	pop3_reply(p, "+OK send your password");
}

static void
pop3_login_failed(struct pop3 *p, int rc)
{
	p->have_user = 0;
	if (rc == AUTH_FAIL) {
		pop3_reply(p, "-ERR [AUTH] invalid user name or password");
		if (++p->failures >= MAX_AUTH_TRIES) {
			p->end.reason = SESS_END_ERROR;
			p->state = POP3_UPDATE;
		}
		return;
	}
	/* A refused maildrop, or pop3d-auth cannot decide: not retried. */
	if (rc == AUTH_TEMPFAIL)
		pop3_reply(p, "-ERR [SYS/TEMP] authentication unavailable, "
		    "try later");
	else
		pop3_reply(p, "%s", pop3_store_error(rc & 0xff));
	p->end.reason = SESS_END_ERROR;
	p->state = POP3_UPDATE;
}

static void
pop3_pass(struct pop3 *p, struct pop3_cmdline *cl)
{
	struct store_stat	st;
	char			*pass = cl->argv[0];
	int			 rc;

	if (!pop3_plaintext_ok(p)) {
		explicit_bzero(pass, strlen(pass));
		pop3_reply(p, "-ERR [AUTH] plaintext authentication needs "
		    "TLS: use STLS");
		return;
	}
	if (!p->have_user) {
		explicit_bzero(pass, strlen(pass));
		pop3_reply(p, "-ERR give USER first");
		return;
	}
	if (strlen(pass) > POP3_PASS_MAX) {
		explicit_bzero(pass, strlen(pass));
		pop3_login_failed(p, AUTH_FAIL);
		return;
	}
	rc = p->be->login(p->bearg, p->user, pass, &st);
	explicit_bzero(pass, strlen(pass));
	pop3_login_result(p, rc, &st, LOGIN_PASS);
}

/* What USER/PASS, APOP and AUTH have in common once auth decided. */
static void
pop3_login_result(struct pop3 *p, int rc, struct store_stat *st,
    int method)
{
	if (rc != AUTH_OK) {
		pop3_login_failed(p, rc);
		return;
	}
	p->state = POP3_TRANSACTION;
	p->be->loggedin(p->bearg, method, p->io->tls != NULL);
	/* pop3d-auth and the parent log the login; this is the maildrop. */
	log_debug("%s: %u messages (%" PRIu64 " octets)", p->peer,
	    st->count, st->octets);
	pop3_reply(p, "+OK maildrop has %u messages (%" PRIu64 " octets)",
	    st->count, st->octets);
}

/* XTND XMIT, and no other XTND, only when the administrator wants it. */
static void
pop3_xtnd(struct pop3 *p, struct pop3_cmdline *cl)
{
	if (!p->conf->xtnd_xmit || strcasecmp(cl->argv[0], "XMIT") != 0) {
		pop3_reply(p, "-ERR unsupported XTND command");
		return;
	}
	xmit_command(p);
}

/* RFC 1939 7: the digest of the timestamp and a shared secret. */
static void
pop3_apop(struct pop3 *p, struct pop3_cmdline *cl)
{
	struct store_stat	 st;
	const char		*d = cl->argv[1];
	int			 rc;

	if (!p->apop) {
		pop3_reply(p, "-ERR APOP not available");
		return;
	}
	/* One timestamp, one try: a replayed digest meets a used one. */
	p->apop = 0;
	p->have_user = 0;
	if (strlen(cl->argv[0]) > POP3_USER_MAX || strlen(d) != 32 ||
	    strspn(d, "0123456789abcdef") != 32) {
		pop3_login_failed(p, AUTH_FAIL);
		return;
	}
	strlcpy(p->user, cl->argv[0], sizeof(p->user));
	rc = p->be->apop(p->bearg, p->user, d, &st);
	pop3_login_result(p, rc, &st, LOGIN_APOP);
}

/*
 * Read one SASL response line (RFC 5034 4): not bound by the command
 * line limit, base64, or "*" to cancel.  Returns the decoded length,
 * -2 for "*", -1 for bad base64, -3 when the connection is over.
 */
static int
pop3_sasl_response(struct pop3 *p, unsigned char *buf, size_t len)
{
	enum io_status	 st;
	char		*line;
	int		 n;

	st = io_getline(p->io, pop3_deadline(p), &line, SASL_LINE_MAX, 0);
	if (st != IO_LINE) {
		pop3_input_error(p, st);
		return (-3);
	}
	p->last = io_now();
	if (strcmp(line, "*") == 0)
		return (-2);
	if (line[0] == '\0')
		return (0);
	n = base64_decode(line, strlen(line), buf, len);
	explicit_bzero(line, strlen(line));
	return (n < 0 ? -1 : n);
}

/*
 * The SASL exchange: pop3d-auth runs the mechanism; we only carry its
 * challenges out and the client's responses in, in base64.
 */
static int
pop3_sasl_loop(struct pop3 *p, const char *mech, unsigned char *data, int n,
    int has_initial, struct store_stat *st)
{
	/* Any challenge we accept fits one response line once encoded. */
	unsigned char	out[SASL_LINE_MAX / 4 * 3];
	char		b64[SASL_LINE_MAX + 1];
	size_t		outlen;
	int		rc, op = POP3_SASL_START;

	for (;;) {
		outlen = sizeof(out);
		rc = p->be->sasl(p->bearg, op, mech, data, n, has_initial,
		    out, &outlen, st);
		explicit_bzero(data, SASL_LINE_MAX);
		if (rc != POP3_SASL_CONTINUE)
			return (rc);
		if (base64_encode(out, outlen, b64, sizeof(b64)) == -1)
			return (AUTH_TEMPFAIL);
		io_printf(p->io, "+ %s\r\n", b64);
		n = pop3_sasl_response(p, data, SASL_LINE_MAX);
		if (n == -3)
			return (-1);
		/* "*", or a response that is not base64: the exchange ends. */
		op = n < 0 ? POP3_SASL_ABORT : POP3_SASL_STEP;
		has_initial = 1;
		if (n < 0)
			n = 0;
	}
}

/* RFC 5034: AUTH lists the mechanisms, AUTH mech [initial] runs one. */
static void
pop3_auth(struct pop3 *p, struct pop3_cmdline *cl)
{
	static unsigned char	 data[SASL_LINE_MAX];
	struct store_stat	 st;
	const char		*mechs = pop3_mechanisms(p), *m;
	char			 mech[32];
	int			 n = 0, rc, has_initial = cl->argc == 2;
	size_t			 len;

	if (cl->argc == 0) {
		pop3_reply(p, "+OK");
		for (m = mechs; *m == ' '; m += len) {
			len = strcspn(++m, " ");
			io_printf(p->io, "%.*s\r\n", (int)len, m);
		}
		io_printf(p->io, ".\r\n");
		return;
	}
	len = strlen(cl->argv[0]);
	for (m = strcasestr(mechs, cl->argv[0]); m != NULL;
	    m = strcasestr(m + 1, cl->argv[0]))
		if (m[-1] == ' ' && (m[len] == ' ' || m[len] == '\0'))
			break;
	if (len == 0 || m == NULL) {
		pop3_reply(p, "-ERR [AUTH] unsupported mechanism");
		return;
	}
	/* The arguments live in the input buffer, which the exchange reuses. */
	strlcpy(mech, cl->argv[0], sizeof(mech));
	p->have_user = 0;
	if (has_initial && strcmp(cl->argv[1], "=") != 0 &&
	    (n = base64_decode(cl->argv[1], strlen(cl->argv[1]), data,
	    sizeof(data))) < 0) {
		pop3_reply(p, "-ERR invalid base64");
		return;
	}
	if (has_initial)
		explicit_bzero(cl->argv[1], strlen(cl->argv[1]));
	rc = pop3_sasl_loop(p, mech, data, n, has_initial, &st);
	if (rc == -1) {
		p->state = POP3_UPDATE;	/* the client is gone or timed out */
		return;
	}
	strlcpy(p->user, "-", sizeof(p->user));
	pop3_login_result(p, rc, &st, strcasecmp(mech, "PLAIN") == 0 ?
	    LOGIN_PLAIN : LOGIN_SCRAM);
}

static void
pop3_quit(struct pop3 *p, struct pop3_cmdline *cl)
{
	struct store_update	up;
	int			rc;

	p->end.reason = SESS_END_QUIT;
	if (p->state == POP3_AUTHORIZATION) {
		pop3_reply(p, "+OK bye");
		p->state = POP3_UPDATE;
		return;
	}
	p->state = POP3_UPDATE;
	if ((rc = p->be->update(p->bearg, &up)) != 0) {
		pop3_reply(p, "-ERR [SYS/TEMP] messages marked deleted were "
		    "not removed");
		return;
	}
	p->end.deleted = up.deleted;
	p->end.deleted_octets = up.deleted_octets;
	pop3_reply(p, "+OK bye, %u messages deleted", up.deleted);
}

static void
pop3_stat(struct pop3 *p, struct pop3_cmdline *cl)
{
	struct store_stat	st;
	int			rc;

	if ((rc = p->be->stat(p->bearg, &st)) != 0) {
		pop3_reply(p, "%s", pop3_store_error(rc));
		return;
	}
	pop3_reply(p, "+OK %u %" PRIu64, st.count, st.octets);
}

static int
pop3_msgno(struct pop3 *p, const char *arg, uint32_t *n)
{
	if (pop3_number(arg, 1, MAX_MAILBOX_MESSAGES, n) == -1) {
		pop3_reply(p, "-ERR invalid message number");
		return (-1);
	}
	return (0);
}

static void
pop3_list_one(void *arg, const struct store_entry *e)
{
	struct pop3	*p = arg;

	pop3_reply(p, "+OK %u %" PRIu64, e->index, e->size);
}

static void
pop3_uidl_one(void *arg, const struct store_entry *e)
{
	struct pop3	*p = arg;

	pop3_reply(p, "+OK %u %s", e->index, e->uidl);
}

/* Decimal digits of v at p; a listing of a big maildrop is all numbers. */
static size_t
pop3_u64(char *p, uint64_t v)
{
	char	tmp[20];
	size_t	n = 0, i;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return (n);
}

/* "index word CRLF", word being the size or the UIDL. */
static void
pop3_listing_line(struct io *io, uint32_t index, const char *word,
    size_t wlen)
{
	char	line[20 + 1 + UIDL_MAX + 2];
	size_t	n;

	n = pop3_u64(line, index);
	line[n++] = ' ';
	memcpy(line + n, word, wlen);
	n += wlen;
	line[n++] = '\r';
	line[n++] = '\n';
	io_write(io, line, n);
}

static void
pop3_list_entry(void *arg, const struct store_entry *e)
{
	struct pop3	*p = arg;
	char		 size[20];

	pop3_listing_line(p->io, e->index, size, pop3_u64(size, e->size));
}

static void
pop3_uidl_entry(void *arg, const struct store_entry *e)
{
	struct pop3	*p = arg;

	pop3_listing_line(p->io, e->index, e->uidl, strlen(e->uidl));
}

/* LIST and UIDL: one entry, or a listing of every undeleted message. */
static void
pop3_list(struct pop3 *p, struct pop3_cmdline *cl)
{
	int		uidl = toupper((unsigned char)cl->verb[0]) == 'U';
	uint32_t	n;
	int		rc;

	if (cl->argc == 1) {
		if (pop3_msgno(p, cl->argv[0], &n) == -1)
			return;
		rc = p->be->list(p->bearg, n, uidl,
		    uidl ? pop3_uidl_one : pop3_list_one, p);
		if (rc != 0)
			pop3_reply(p, "%s", pop3_store_error(rc));
		return;
	}
	pop3_reply(p, "+OK %s follows", uidl ? "unique-id listing" :
	    "scan listing");
	rc = p->be->list(p->bearg, 0, uidl,
	    uidl ? pop3_uidl_entry : pop3_list_entry, p);
	if (rc != 0) {
		/* The +OK is out; a broken listing must not look whole. */
		log_warnx("%s: listing failed", p->peer);
		p->end.reason = SESS_END_ERROR;
		p->state = POP3_UPDATE;
		return;
	}
	io_printf(p->io, ".\r\n");
}

static void
pop3_emit(void *arg, const char *buf, size_t len)
{
	io_write(arg, buf, len);
}

/* Copy the message from the store's fd, transformed, then the dot. */
static int
pop3_send_message(struct pop3 *p, const struct store_msg *m, int fd,
    int64_t lines)
{
	struct xform	 x;
	static char	 buf[RETR_CHUNK];
	uint64_t	 off = 0;
	ssize_t		 n;

	xform_init(&x, m->mboxrd, 1, lines);
	while (off < m->length) {
		n = pread(fd, buf, MINIMUM(sizeof(buf), m->length - off),
		    m->offset + off);
		if (n <= 0) {
			log_warn("%s: message %u: read", p->peer, m->index);
			return (-1);
		}
		off += n;
		if (xform_feed(&x, buf, n, pop3_emit, p->io))
			break;
		if (p->io->error)
			return (-1);
	}
	xform_finish(&x, pop3_emit, p->io);
	io_write(p->io, ".\r\n", 3);
	return (p->io->error ? -1 : 0);
}

static void
pop3_fetch(struct pop3 *p, uint32_t n, int64_t lines)
{
	struct store_msg	m;
	int			fd, rc;

	if ((rc = p->be->retr(p->bearg, n, lines, &m, &fd)) != 0) {
		pop3_reply(p, "%s", pop3_store_error(rc));
		return;
	}
	if (lines < 0)
		pop3_reply(p, "+OK %" PRIu64 " octets", m.size);
	else
		pop3_reply(p, "+OK top of message follows");
	rc = pop3_send_message(p, &m, fd, lines);
	close(fd);
	if (rc == -1) {
		p->end.reason = SESS_END_ERROR;
		p->state = POP3_UPDATE;
		return;
	}
	if (lines < 0) {
		p->end.retrieved++;
		p->end.retrieved_octets += m.size;
	}
}

/*
 * When the client pipelined more RETRs after this one, each "RETR n"
 * alone on its line, up to the first other line: all of them go to the
 * backend at once, this one first.  Only a hint; every line is still
 * parsed and answered on its own.
 */
static void
pop3_prefetch(struct pop3 *p, uint32_t first)
{
	struct pop3_cmdline	 cl;
	uint32_t		 msgs[RETR_PREFETCH_MAX];
	const char		*in, *lf;
	char			 line[32];
	size_t			 left, n = 1, len;

	if (p->be->prefetch == NULL)
		return;
	msgs[0] = first;
	for (left = io_pending(p->io, &in); n < nitems(msgs) &&
	    (lf = memchr(in, '\n', left)) != NULL; left -= len + 1,
	    in = lf + 1) {
		len = lf - in;
		if (len == 0 || len >= sizeof(line))
			break;
		memcpy(line, in, len);
		line[len - (line[len - 1] == '\r')] = '\0';
		if (pop3_parse(line, &cl) == -1 ||
		    strcasecmp(cl.verb, "RETR") != 0 || cl.argc != 1 ||
		    pop3_number(cl.argv[0], 1, MAX_MAILBOX_MESSAGES,
		    &msgs[n]) == -1)
			break;
		n++;
	}
	if (n > 1)
		p->be->prefetch(p->bearg, msgs, n);
}

static void
pop3_retr(struct pop3 *p, struct pop3_cmdline *cl)
{
	uint32_t	n;

	if (pop3_msgno(p, cl->argv[0], &n) == 0) {
		pop3_prefetch(p, n);
		pop3_fetch(p, n, -1);
	}
}

static void
pop3_top(struct pop3 *p, struct pop3_cmdline *cl)
{
	uint32_t	n, lines;

	if (pop3_msgno(p, cl->argv[0], &n) == -1)
		return;
	if (pop3_number(cl->argv[1], 0, INT32_MAX, &lines) == -1) {
		pop3_reply(p, "-ERR invalid number of lines");
		return;
	}
	pop3_fetch(p, n, lines);
}

static void
pop3_dele(struct pop3 *p, struct pop3_cmdline *cl)
{
	uint32_t	n;
	int		rc;

	if (pop3_msgno(p, cl->argv[0], &n) == -1)
		return;
	if ((rc = p->be->dele(p->bearg, n)) != 0)
		pop3_reply(p, "%s", pop3_store_error(rc));
	else
		pop3_reply(p, "+OK message %u deleted", n);
}

static void
pop3_noop(struct pop3 *p, struct pop3_cmdline *cl)
{
	pop3_reply(p, "+OK");
}

static void
pop3_rset(struct pop3 *p, struct pop3_cmdline *cl)
{
	struct store_stat	st;
	int			rc;

	if ((rc = p->be->rset(p->bearg, &st)) != 0) {
		pop3_reply(p, "%s", pop3_store_error(rc));
		return;
	}
	pop3_reply(p, "+OK maildrop has %u messages (%" PRIu64 " octets)",
	    st.count, st.octets);
}

/* RFC 2595 section 4. */
static void
pop3_stls(struct pop3 *p, struct pop3_cmdline *cl)
{
	if (p->starttls == NULL) {
		pop3_reply(p, "-ERR TLS not available");
		return;
	}
	if (p->io->tls != NULL) {
		pop3_reply(p, "-ERR command not permitted when TLS active");
		return;
	}
	pop3_reply(p, "+OK begin TLS negotiation");
	if (io_flush(p->io) == -1 || p->starttls(p) == -1) {
		log_info("%s: STLS: TLS handshake failed", p->peer);
		p->end.reason = SESS_END_ERROR;
		p->state = POP3_UPDATE;
		return;
	}
	/* What was said in the clear is forgotten (RFC 2595 4). */
	p->have_user = 0;
	log_debug("%s: TLS active after STLS", p->peer);
}

static const struct pop3_command *
pop3_lookup(const char *verb)
{
	size_t	i;

	for (i = 0; i < nitems(pop3_commands); i++)
		if (strcasecmp(verb, pop3_commands[i].verb) == 0)
			return (&pop3_commands[i]);
	return (NULL);
}

/* Protocol traces: never a password, an APOP digest or SASL data. */
static void
pop3_trace(struct pop3 *p, struct pop3_cmdline *cl)
{
	if (!p->conf->debug)
		return;
	if (strcasecmp(cl->verb, "PASS") == 0 ||
	    ((strcasecmp(cl->verb, "APOP") == 0 ||
	    strcasecmp(cl->verb, "AUTH") == 0) && cl->argc >= 2))
		log_debug("%s: < %s%s%s ********", p->peer, cl->verb,
		    cl->argc >= 2 ? " " : "", cl->argc >= 2 ? cl->argv[0] : "");
	else
		log_debug("%s: < %s%s%s%s%s", p->peer, cl->verb,
		    cl->argc > 0 ? " " : "", cl->argc > 0 ? cl->argv[0] : "",
		    cl->argc > 1 ? " " : "", cl->argc > 1 ? cl->argv[1] : "");
}

static void
pop3_command(struct pop3 *p, char *line, size_t len)
{
	const struct pop3_command	*cmd;
	struct pop3_cmdline		 cl;

	if (strlen(line) != len) {
		pop3_reply(p, "-ERR NUL in command line");
		return;
	}
	if (pop3_parse(line, &cl) == -1) {
		pop3_reply(p, "-ERR too many arguments");
		return;
	}
	pop3_trace(p, &cl);
	if ((cmd = pop3_lookup(cl.verb)) == NULL) {
		pop3_reply(p, "-ERR unknown command");
		return;
	}
	if ((cmd->states & (1 << p->state)) == 0) {
		if (cl.argc > 0 && cmd->fn == pop3_pass)
			explicit_bzero(cl.argv[0], strlen(cl.argv[0]));
		pop3_reply(p, "-ERR command not valid in this state");
		return;
	}
	if (cl.argc < cmd->minargs || cl.argc > cmd->maxargs) {
		pop3_reply(p, "-ERR wrong number of arguments");
		return;
	}
	cmd->fn(p, &cl);
}

/* Idle timer always; before login also the grace time from connect. */
time_t
pop3_deadline(struct pop3 *p)
{
	time_t	deadline = p->last + p->conf->timeout_idle;

	if (p->state == POP3_AUTHORIZATION &&
	    p->connected + p->conf->timeout_login < deadline)
		deadline = p->connected + p->conf->timeout_login;
	return (deadline);
}

static int
pop3_input_error(struct pop3 *p, enum io_status st)
{
	if (st == IO_HACK && p->conf->auto_deny) {
		log_info("%s: line over %d characters: auto-deny", p->peer,
		    AUTODENY_LINE);
		p->be->autodeny(p->bearg, AUTODENY_LONG_LINE);
		p->end.reason = SESS_END_ERROR;
		return (-1);
	}
	switch (st) {
	case IO_TIMEOUT:
		pop3_reply(p, "-ERR autologout: timeout");
		p->end.reason = SESS_END_TIMEOUT;
		break;
	case IO_HACK:
	case IO_TOOLONG:
		pop3_reply(p, "-ERR line too long");
		p->end.reason = SESS_END_ERROR;
		break;
	case IO_EOF:
		p->end.reason = SESS_END_DROPPED;
		break;
	default:
		p->end.reason = SESS_END_ERROR;
		break;
	}
	if (st == IO_TIMEOUT || st == IO_TOOLONG || st == IO_HACK)
		log_info("%s: %s", p->peer, st == IO_TIMEOUT ?
		    "timeout" : "line too long");
	return (-1);
}

/*
 * The next command line; -1 when the session is over (timeout, EOF, a
 * line too long, which auto-deny may report).
 */
int
pop3_readline(struct pop3 *p, char **line)
{
	enum io_status	st;

	st = io_getline(p->io, pop3_deadline(p), line, POP3_LINE_MAX,
	    p->conf->auto_deny);
	if (st != IO_LINE)
		return (pop3_input_error(p, st));
	p->last = io_now();
	return (0);
}

/*
 * Serve the connection until QUIT, a timeout or an error.  Only a QUIT
 * in TRANSACTION state reaches the UPDATE state that deletes mail.
 */
void
pop3_run(struct pop3 *p)
{
	char	*line;
	int	 max = p->conf->max_commands > 0 ? p->conf->max_commands :
		    MAX_PREAUTH_COMMANDS;

	p->state = POP3_AUTHORIZATION;
	if (!p->resumed) {
		p->connected = p->last = io_now();
		pop3_greeting(p);
	}
	while (p->state != POP3_UPDATE) {
		if (pop3_readline(p, &line) == -1)
			break;
		if (p->state == POP3_AUTHORIZATION && ++p->commands > max) {
			pop3_reply(p, "-ERR too many commands before login");
			p->end.reason = SESS_END_ERROR;
			break;
		}
		pop3_command(p, line, p->io->linelen);
	}
	io_flush(p->io);
}
