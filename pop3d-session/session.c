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
 * The session process: exec'd by the parent from the pool, titled
 * "pop3d: session", confined before it learns anything, then handed ONE client connection
 * and its channel to pop3d-auth.  After a login the parent hands it the
 * channel to that user's store.  It never opens a file or a socket.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "proxy.h"
#include "sandbox.h"
#include "dispatch.h"
#include "session.h"

struct channel {
	struct chan	chan;
	const char	*name;
	int		 open;
	int		 use_sid;	/* peerid: our sid, or 0 */
};

static struct channel	 parent_ch = { .name = "parent", .use_sid = 1 };
static struct channel	 auth_ch = { .name = "pop3d-auth", .use_sid = 1 };
/* The store serves one session only: it needs no id. */
static struct channel	 store_ch = { .name = "pop3d-store" };
static struct sess_conf	 sconf;
static struct sess_conn	 sconn;
static uint32_t		 sid;
static char		 authuser[POP3_USER_MAX + 1];
static char		 peer[NI_MAXHOST + 8];

/*
 * Wait for the next frame on a channel.  Returns 1 with the frame, 0 if
 * the peer closed the channel or did not answer in time.  A malformed
 * frame, one that breaks the contract of proto.h or one for another
 * session is fatal: the peers are our own processes.  The caller then
 * only says which types it expects.
 */
static int
channel_recv(struct channel *ch, struct frame *fr, time_t deadline)
{
	const char	*why;
	int		 n;

	if (!ch->open)
		return (0);
	for (;;) {
		if ((n = chan_read(&ch->chan, fr)) == 1) {
			if (frame_check(fr, &why) == -1)
				fatalx("%s: %s", ch->name, why);
			if (ch->use_sid && sid != 0 && fr->hdr.peerid != sid)
				fatalx("%s: %s for session %u", ch->name,
				    msg_name(fr->hdr.type), fr->hdr.peerid);
			return (1);
		}
		if (n == 0)
			break;
		if (errno != EAGAIN)
			fatal("%s: read from %s", __func__, ch->name);
		if ((n = io_wait(ch->chan.fd, POLLIN, deadline)) == -1)
			fatal("%s: poll", __func__);
		if (n == 0) {
			log_warnx("%s: %s did not answer", peer, ch->name);
			break;
		}
	}
	ch->open = 0;
	return (0);
}

static void
channel_send(struct channel *ch, uint32_t type, int fd, const void *data,
    size_t len)
{
	if (!ch->open)
		return;
	if (chan_queue(&ch->chan, type, ch->use_sid ? sid : 0, fd, data,
	    len) == -1)
		fatal("%s: %s", __func__, msg_name(type));
	if (chan_flush(&ch->chan) == -1) {
		log_warn("%s: write to %s", peer, ch->name);
		ch->open = 0;
	}
}

static void
channel_open(struct channel *ch, int fd)
{
	set_nonblock(fd, 1);
	chan_init(&ch->chan, fd);
	ch->open = 1;
}

static __dead void
unexpected(struct channel *ch, struct frame *fr)
{
	fatalx("%s: unexpected %s", ch->name, msg_name(fr->hdr.type));
}

static void
expect(struct channel *ch, struct frame *fr, uint32_t type)
{
	if (fr->hdr.type != type)
		unexpected(ch, fr);
}

/* RETR requests sent ahead (be_prefetch), whose answers are unread. */
static uint32_t	 ahead[RETR_PREFETCH_MAX];
static size_t	 nahead, ahead_first;

/* The answer to the oldest request sent ahead, read and dropped. */
static int
store_drop_ahead(void)
{
	struct frame	fr;

	ahead_first = (ahead_first + 1) % RETR_PREFETCH_MAX;
	nahead--;
	if (!channel_recv(&store_ch, &fr, io_now() + TIMEOUT_BACKEND))
		return (-1);
	if (fr.hdr.type != MSG_STORE_MSG && fr.hdr.type != MSG_STORE_FAIL)
		unexpected(&store_ch, &fr);
	frame_done(&fr);
	return (0);
}

/* One request to the store, one frame back (or 0 if it is gone). */
static int
store_request(uint32_t type, const void *data, size_t len,
    struct frame *reply)
{
	while (nahead > 0)
		if (store_drop_ahead() == -1)
			return (0);
	channel_send(&store_ch, type, -1, data, len);
	return (channel_recv(&store_ch, reply, io_now() + TIMEOUT_BACKEND));
}

/* STORE_FAIL payload, checked; anything else from the store is fatal. */
static int
store_failure(struct frame *fr)
{
	struct store_fail	f;

	expect(&store_ch, fr, MSG_STORE_FAIL);
	frame_get(fr, &f, sizeof(f));
	if (f.code < STORE_ERR_NOMSG || f.code > STORE_ERR_PERM)
		fatalx("%s: bad MSG_STORE_FAIL", __func__);
	return (f.code);
}

static int
store_get_stat(struct frame *fr, struct store_stat *st)
{
	if (fr->hdr.type != MSG_STORE_STAT)
		return (store_failure(fr));
	frame_get(fr, st, sizeof(*st));
	return (0);
}

static int
be_stat(void *arg, struct store_stat *st)
{
	struct frame	fr;

	if (!store_request(MSG_STORE_STAT_REQ, NULL, 0, &fr))
		return (STORE_ERR_TEMP);
	return (store_get_stat(&fr, st));
}

static int
be_rset(void *arg, struct store_stat *st)
{
	struct frame	fr;

	if (!store_request(MSG_STORE_RSET, NULL, 0, &fr))
		return (STORE_ERR_TEMP);
	return (store_get_stat(&fr, st));
}

static void
store_get_entry(struct frame *fr, struct store_entry *e)
{
	frame_get(fr, e, sizeof(*e));
	if (memchr(e->uidl, '\0', sizeof(e->uidl)) == NULL ||
	    !uidl_valid(e->uidl, strlen(e->uidl)))
		fatalx("%s: bad UIDL from store", __func__);
}

/*
 * One frame of a whole listing: every entry checked as the contract
 * says (rising indexes, UIDLs of RFC 1939's characters) before the
 * client sees it.
 */
static void
store_get_entries(struct frame *fr, uint32_t *last,
    void (*cb)(void *, const struct store_entry *), void *cbarg)
{
	struct mreader		 r;
	struct store_entry	 e;
	const char		*uidl;

	m_read(&r, fr, store_ch.name);
	if (r.left == 0)
		m_error(&r, "no entries");
	while (r.left > 0) {
		memset(&e, 0, sizeof(e));
		m_get_u32(&r, &e.index);
		m_get_u64(&r, &e.size);
		m_get_string(&r, &uidl, UIDL_MAX);
		if (e.index <= *last)
			m_error(&r, "index out of order");
		if (!uidl_valid(uidl, strlen(uidl)))
			m_error(&r, "bad UIDL");
		*last = e.index;
		strlcpy(e.uidl, uidl, sizeof(e.uidl));
		cb(cbarg, &e);
	}
}

static int
be_list_one(uint32_t index, int uidl,
    void (*cb)(void *, const struct store_entry *), void *cbarg)
{
	struct store_index	si = { index };
	struct store_entry	e;
	struct frame		fr;

	if (!store_request(uidl ? MSG_STORE_UIDL : MSG_STORE_LIST, &si,
	    sizeof(si), &fr))
		return (STORE_ERR_TEMP);
	if (fr.hdr.type != MSG_STORE_ENTRY)
		return (store_failure(&fr));
	store_get_entry(&fr, &e);
	if (e.index != index)
		fatalx("%s: store answered for another message", __func__);
	cb(cbarg, &e);
	return (0);
}

static int
be_list(void *arg, uint32_t index, int uidl,
    void (*cb)(void *, const struct store_entry *), void *cbarg)
{
	struct store_index	si = { 0 };
	struct frame		fr;
	uint32_t		last = 0;

	if (index != 0)
		return (be_list_one(index, uidl, cb, cbarg));
	if (!store_request(uidl ? MSG_STORE_UIDL : MSG_STORE_LIST, &si,
	    sizeof(si), &fr))
		return (STORE_ERR_TEMP);
	for (;;) {
		if (fr.hdr.type == MSG_STORE_END)
			return (0);
		if (fr.hdr.type != MSG_STORE_ENTRIES)
			return (store_failure(&fr));
		store_get_entries(&fr, &last, cb, cbarg);
		if (!channel_recv(&store_ch, &fr,
		    io_now() + TIMEOUT_BACKEND))
			return (STORE_ERR_TEMP);
	}
}

/*
 * The RETR at hand and those the client pipelined after it, asked for
 * at once, so that the store opens the next messages while one is
 * sent.  be_retr() reads the answers in order; any other request first
 * reads and drops what is left of them.
 */
static void
be_prefetch(void *arg, const uint32_t *index, size_t n)
{
	struct store_retr	r;
	size_t			i;

	if (nahead > 0 || !store_ch.open)
		return;
	for (i = 0; i < n && i < RETR_PREFETCH_MAX; i++) {
		r.index = index[i];
		r.lines = -1;
		if (chan_queue(&store_ch.chan, MSG_STORE_RETR, 0, -1, &r,
		    sizeof(r)) == -1)
			fatal("%s: compose", __func__);
		ahead[(ahead_first + nahead++) % RETR_PREFETCH_MAX] = r.index;
	}
	if (chan_flush(&store_ch.chan) == -1) {
		log_warn("%s: write to %s", peer, store_ch.name);
		store_ch.open = 0;
		nahead = 0;
	}
}

/* The answer to a RETR or TOP: asked for ahead, or asked for now. */
static int
store_retr_answer(uint32_t index, int64_t lines, struct frame *fr)
{
	struct store_retr	r = { index, lines };

	while (nahead > 0 && (lines >= 0 || ahead[ahead_first] != index))
		if (store_drop_ahead() == -1)
			return (0);
	if (nahead == 0)
		return (store_request(MSG_STORE_RETR, &r, sizeof(r), fr));
	ahead_first = (ahead_first + 1) % RETR_PREFETCH_MAX;
	nahead--;
	return (channel_recv(&store_ch, fr, io_now() + TIMEOUT_BACKEND));
}

static int
be_retr(void *arg, uint32_t index, int64_t lines, struct store_msg *m,
    int *fd)
{
	struct frame		fr;

	if (!store_retr_answer(index, lines, &fr))
		return (STORE_ERR_TEMP);
	if (fr.hdr.type != MSG_STORE_MSG) {
		frame_done(&fr);
		return (store_failure(&fr));
	}
	frame_get(&fr, m, sizeof(*m));
	if (m->index != index)
		fatalx("%s: bad MSG_STORE_MSG", __func__);
	*fd = fr.fd;
	return (0);
}

static int
be_dele(void *arg, uint32_t index)
{
	struct store_index	si = { index };
	struct frame		fr;

	if (!store_request(MSG_STORE_DELE, &si, sizeof(si), &fr))
		return (STORE_ERR_TEMP);
	if (fr.hdr.type != MSG_STORE_OK)
		return (store_failure(&fr));
	return (0);
}

static int
be_update(void *arg, struct store_update *up)
{
	struct frame	fr;

	if (!store_request(MSG_STORE_UPDATE, NULL, 0, &fr))
		return (STORE_ERR_TEMP);
	if (fr.hdr.type != MSG_STORE_UPDATED)
		return (store_failure(&fr));
	frame_get(&fr, up, sizeof(*up));
	return (0);
}

/* After a grant the parent sends the store channel, or why there is none. */
static int
session_open_store(struct store_stat *st)
{
	struct frame	 fr;
	struct mreader	 r;
	const char	*user;
	int		 fd;

	if (!channel_recv(&parent_ch, &fr, io_now() + TIMEOUT_BACKEND))
		fatalx("%s: parent gone", __func__);
	switch (fr.hdr.type) {
	case MSG_STORE_FD:
		/* The name the user logged in as, whatever the method. */
		m_read(&r, &fr, parent_ch.name);
		m_get_string(&r, &user, POP3_USER_MAX);
		m_end(&r);
		strlcpy(authuser, user, sizeof(authuser));
		fd = fr.fd;
		break;
	case MSG_STORE_FAIL:
		frame_done(&fr);
		return (POP3_LOGIN_STORE(store_failure(&fr)));
	default:
		unexpected(&parent_ch, &fr);
	}
	channel_open(&store_ch, fd);
	/* Message files come this way for RETR and TOP. */
	chan_allow_fd(&store_ch.chan);
	if (!store_request(MSG_STORE_INIT, NULL, 0, &fr))
		return (POP3_LOGIN_STORE(STORE_ERR_TEMP));
	if (fr.hdr.type != MSG_STORE_STAT)
		return (POP3_LOGIN_STORE(store_failure(&fr)));
	store_get_stat(&fr, st);
	return (AUTH_OK);
}

/* pop3d-auth's verdict on a login attempt; on success, the store. */
static int
auth_verdict(struct frame *fr, struct store_stat *st)
{
	uint32_t	result;

	expect(&auth_ch, fr, MSG_AUTH_RESULT);
	frame_get(fr, &result, sizeof(result));
	switch (result) {
	case AUTH_OK:
		if (st == NULL)
			return (AUTH_OK);
		return (session_open_store(st));
	case AUTH_FAIL:
	case AUTH_TEMPFAIL:
		return (result);
	default:
		fatalx("%s: bad auth result %u", __func__, result);
	}
}

/* Send a packed request to pop3d-auth, wipe it, and wait for one frame. */
static int
auth_request(uint32_t type, struct mbuf *m, struct frame *reply)
{
	channel_send(&auth_ch, type, -1, m->buf, m->len);
	m_wipe(m);
	return (channel_recv(&auth_ch, reply, io_now() + TIMEOUT_BACKEND));
}

static int
be_login(void *arg, const char *user, const char *pass,
    struct store_stat *st)
{
	struct mbuf	m;
	struct frame	fr;

	m_init(&m);
	m_add_string(&m, user);
	m_add_string(&m, pass);
	if (!auth_request(MSG_AUTH_USERPASS, &m, &fr))
		return (AUTH_TEMPFAIL);
	return (auth_verdict(&fr, st));
}

static int
be_apop(void *arg, const char *user, const char *digest,
    struct store_stat *st)
{
	struct mbuf	m;
	struct frame	fr;

	m_init(&m);
	m_add_string(&m, user);
	m_add_string(&m, digest);
	if (!auth_request(MSG_AUTH_APOP, &m, &fr))
		return (AUTH_TEMPFAIL);
	return (auth_verdict(&fr, st));
}

/* The timestamp pop3d-auth made for this session (RFC 1939 7). */
static int
be_challenge(void *arg, char *buf, size_t len)
{
	struct mbuf	 m;
	struct frame	 fr;
	struct mreader	 r;
	const char	*ts;
	size_t		 n;

	m_init(&m);
	if (!auth_request(MSG_AUTH_CHALLENGE_REQ, &m, &fr))
		return (-1);
	expect(&auth_ch, &fr, MSG_AUTH_CHALLENGE);
	m_read(&r, &fr, auth_ch.name);
	m_get_string(&r, &ts, APOP_CHALLENGE_MAX);
	m_end(&r);
	n = strlen(ts);
	if (n < 3 || ts[0] != '<' || ts[n - 1] != '>' ||
	    strcspn(ts, " \t\r\n") != n || strlcpy(buf, ts, len) >= len)
		fatalx("%s: bad APOP timestamp", __func__);
	return (0);
}

static int
be_sasl(void *arg, int op, const char *mech, const void *data, size_t len,
    int has_data, void *out, size_t *outlen, struct store_stat *st)
{
	static const uint32_t types[] = { 0, MSG_AUTH_SASL_START,
				    MSG_AUTH_SASL_STEP, MSG_AUTH_SASL_ABORT };
	struct mbuf	 m;
	struct frame	 fr;
	struct mreader	 r;
	uint32_t	 n;

	m_init(&m);
	if (op == POP3_SASL_START) {
		m_add_string(&m, mech);
		m_add_u32(&m, has_data);
	}
	if (op != POP3_SASL_ABORT) {
		m_add_u32(&m, len);
		m_add_data(&m, data, len);
	}
	if (!auth_request(types[op], &m, &fr))
		return (AUTH_TEMPFAIL);
	if (fr.hdr.type != MSG_AUTH_SASL_CHALLENGE)
		return (auth_verdict(&fr, st));
	m_read(&r, &fr, auth_ch.name);
	m_get_u32(&r, &n);
	if (n > *outlen || n != r.left)
		fatalx("%s: bad SASL challenge", __func__);
	m_get_data(&r, out, n);
	m_end(&r);
	*outlen = n;
	return (POP3_SASL_CONTINUE);
}

static int
be_change(void *arg, const char *user, const char *old, const char *new)
{
	struct mbuf	m;
	struct frame	fr;

	m_init(&m);
	m_add_string(&m, user);
	m_add_string(&m, old);
	m_add_string(&m, new);
	if (!auth_request(MSG_AUTH_CHANGE, &m, &fr))
		return (AUTH_TEMPFAIL);
	return (auth_verdict(&fr, NULL));
}

/*
 * XTND XMIT: hand the message file to the parent, which runs the
 * submission program as the user; its wait status comes back.
 */
static int
be_xmit(void *arg, int fd)
{
	struct frame	fr;
	int32_t		status;

	channel_send(&parent_ch, MSG_SESS_XMIT, fd, NULL, 0);
	if (!channel_recv(&parent_ch, &fr, io_now() + XMIT_TIMEOUT + 30))
		fatalx("%s: parent gone", __func__);
	expect(&parent_ch, &fr, MSG_SESS_XMIT_RESULT);
	frame_get(&fr, &status, sizeof(status));
	return (status);
}

static void
be_loggedin(void *arg, int method, int tls)
{
	struct sess_login	l = { method, tls };

	channel_send(&parent_ch, MSG_SESS_LOGIN, -1, &l, sizeof(l));
}

/* The parent denies the address it accepted; we only say why. */
static void
be_autodeny(void *arg, int reason)
{
	uint32_t	r = reason;

	channel_send(&parent_ch, MSG_SESS_AUTODENY, -1, &r, sizeof(r));
}

static const struct pop3_backend session_backend = {
	be_login, be_stat, be_list, be_retr, be_dele, be_rset, be_update,
	be_challenge, be_apop, be_sasl, be_change, be_autodeny, be_xmit,
	be_loggedin, be_prefetch
};

static void
session_recv_parent(struct frame *fr, uint32_t type)
{
	if (!channel_recv(&parent_ch, fr, INT32_MAX))
		exit(0);	/* the parent is shutting down the pool */
	expect(&parent_ch, fr, type);
}

/* Append one chunk of PEM bytes, within TLS_PEM_MAX. */
static void
pem_append(uint8_t **buf, size_t *len, struct frame *fr)
{
	uint8_t	*p;

	if (fr->datalen == 0 || fr->datalen > TLS_PEM_MAX - *len)
		fatalx("%s: bad %s", __func__, msg_name(fr->hdr.type));
	if ((p = malloc(*len + fr->datalen)) == NULL)
		fatal("%s", __func__);
	/* Copy and wipe rather than realloc: no stale key copies. */
	if (*len > 0)
		memcpy(p, *buf, *len);
	memcpy(p + *len, fr->data, fr->datalen);
	freezero(*buf, *len);
	explicit_bzero(fr->data, fr->datalen);
	*buf = p;
	*len += fr->datalen;
}

/*
 * The certificate and key, in chunks; the context is built before any
 * client exists and the key bytes are gone before one does.
 */
static void
session_tls_setup(void)
{
	struct frame	 fr;
	uint8_t		*cert = NULL, *key = NULL;
	size_t		 certlen = 0, keylen = 0;

	for (;;) {
		if (!channel_recv(&parent_ch, &fr, INT32_MAX))
			exit(0);
		if (fr.hdr.type == MSG_CONF_TLS_END)
			break;
		if (fr.hdr.type == MSG_CONF_TLS_CERT)
			pem_append(&cert, &certlen, &fr);
		else if (fr.hdr.type == MSG_CONF_TLS_KEY)
			pem_append(&key, &keylen, &fr);
		else
			unexpected(&parent_ch, &fr);
	}
	if (certlen == 0 || keylen == 0)
		fatalx("%s: TLS without certificate or key", __func__);
	session_tls_ctx(&sconf, cert, certlen, key, keylen);
	freezero(cert, certlen);
	freezero(key, keylen);
}

/* Configuration, then the auth channel, then the client. */
static int
session_wait_conn(void)
{
	struct frame	fr;

	session_recv_parent(&fr, MSG_CONF_SESSION);
	frame_get(&fr, &sconf, sizeof(sconf));
	if (memchr(sconf.banner, '\0', sizeof(sconf.banner)) == NULL ||
	    memchr(sconf.tls_protocols, '\0',
	    sizeof(sconf.tls_protocols)) == NULL ||
	    memchr(sconf.tls_ciphers, '\0', sizeof(sconf.tls_ciphers)) == NULL ||
	    memchr(sconf.hostname, '\0', sizeof(sconf.hostname)) == NULL)
		fatalx("%s: unterminated string", __func__);
	if (sconf.xmit_max_size < 0 || sconf.xmit_max_size > XMIT_MAX_LIMIT ||
	    sconf.timeout_idle <= 0 || sconf.timeout_login <= 0)
		fatalx("%s: bad configuration values", __func__);
	log_setverbose(sconf.debug);
	if (sconf.tls_ctx)
		session_tls_setup();

	/*
	 * Our session id comes with it; every later frame must carry it.
	 * A proxy-protocol connection comes first, alone: its auth
	 * channel waits for the client's address (session_proxy()).
	 */
	if (!channel_recv(&parent_ch, &fr, INT32_MAX))
		exit(0);
	if ((sid = fr.hdr.peerid) == 0)
		fatalx("%s: session id 0", __func__);
	if (fr.hdr.type != MSG_SESS_CONN) {
		expect(&parent_ch, &fr, MSG_SESS_AUTHFD);
		channel_open(&auth_ch, fr.fd);
		session_recv_parent(&fr, MSG_SESS_CONN);
	}
	frame_get(&fr, &sconn, sizeof(sconn));
	if (memchr(sconn.peername, '\0', sizeof(sconn.peername)) == NULL)
		fatalx("%s: unterminated peer name", __func__);
	if ((sconn.proxy != 0 && sconn.proxy != 1) ||
	    sconn.proxy == auth_ch.open || (sconn.proxy && sconn.stls))
		fatalx("%s: bad proxy-protocol connection", __func__);
	if (sconn.stls && (!sconf.tls_ctx || sconn.kind != LISTEN_POP3 ||
	    memchr(sconn.handoff.timestamp, '\0',
	    sizeof(sconn.handoff.timestamp)) == NULL))
		fatalx("%s: bad STLS handover", __func__);
	return (fr.fd);
}

/*
 * STLS in pop3d-session, which has no TLS: the +OK is out; the client
 * socket and the auth channel go to the parent for a pop3d-session-tls,
 * with what limits the client, and this process ends.  The socket is
 * not shut down: it lives on in the other process.
 */
int
session_handoff(struct pop3 *p)
{
	struct sess_handoff	h;

	io_discard_input(p->io);
	memset(&h, 0, sizeof(h));
	h.connected = p->connected;
	h.failures = p->failures;
	h.commands = p->commands;
	h.apop = p->apop;
	strlcpy(h.timestamp, p->timestamp, sizeof(h.timestamp));
	channel_send(&parent_ch, MSG_SESS_STLS_AUTH, auth_ch.chan.fd, NULL, 0);
	channel_send(&parent_ch, MSG_SESS_STLS, p->io->fd, &h, sizeof(h));
	log_debug("%s: STLS: handed over for TLS", p->peer);
	exit(0);
}

/* After a handover: what the plain-text session knew, then TLS. */
static int
session_resume(struct pop3 *p, struct io *io)
{
	const struct sess_handoff	*h = &sconn.handoff;

	p->connected = h->connected;
	p->last = io_now();
	p->failures = h->failures;
	p->commands = h->commands;
	p->apop = h->apop != 0;
	strlcpy(p->timestamp, h->timestamp, sizeof(p->timestamp));
	p->resumed = 1;
	if (session_tls_accept(io, pop3_deadline(p)) == -1) {
		log_info("%s: STLS: TLS handshake failed", peer);
		return (-1);
	}
	log_debug("%s: TLS active after STLS", peer);
	return (0);
}

/*
 * A proxy-protocol listener: the balancer's PROXY header, before any
 * byte is written and before TLS, then the parent's verdict on the
 * client it names.  Admitted, the client's address is ours from now
 * on, and the auth channel comes with the verdict.  Refused, or no
 * header: the connection is closed without a word.  The header's
 * content is believed only as far as the parent believes it: this
 * process can name an address for its own connection, nothing more.
 */
static void
session_proxy(int fd)
{
	struct proxy_hdr	 h;
	struct sess_proxy	 sp;
	struct sess_proxy_ok	 ok;
	struct sess_end		 end;
	struct frame		 fr;
	const char		*why;
	int			 rc;

	if ((rc = proxy_read_header(fd, io_now() + PROXY_HEADER_TIMEOUT, &h,
	    &why)) != 0) {
		log_info("%s: PROXY header refused: %s", peer, why);
		close(fd);
		memset(&end, 0, sizeof(end));
		end.reason = rc;
		channel_send(&parent_ch, MSG_SESS_END, -1, &end, sizeof(end));
		exit(0);
	}
	memset(&sp, 0, sizeof(sp));
	sp.local = h.local;
	if (!h.local && h.src.ss_family == AF_INET) {
		sp.family = AF_INET;
		memcpy(sp.addr, &((struct sockaddr_in *)&h.src)->sin_addr, 4);
		sp.port = ntohs(((struct sockaddr_in *)&h.src)->sin_port);
	} else if (!h.local) {
		sp.family = AF_INET6;
		memcpy(sp.addr, &((struct sockaddr_in6 *)&h.src)->sin6_addr,
		    16);
		sp.port = ntohs(((struct sockaddr_in6 *)&h.src)->sin6_port);
	}
	log_debug("%s: PROXY v%d header read", peer, h.version);
	channel_send(&parent_ch, MSG_SESS_PROXY, -1, &sp, sizeof(sp));
	if (!channel_recv(&parent_ch, &fr, io_now() + TIMEOUT_BACKEND))
		exit(0);
	if (fr.hdr.type == MSG_SESS_PROXY_REFUSED) {
		/* The parent logged why; the client hears nothing. */
		close(fd);
		exit(0);
	}
	expect(&parent_ch, &fr, MSG_SESS_PROXY_OK);
	frame_get(&fr, &ok, sizeof(ok));
	if (memchr(ok.peername, '\0', sizeof(ok.peername)) == NULL ||
	    (ok.plaintext_auth != 0 && ok.plaintext_auth != 1) ||
	    (ok.peer.ss_family != AF_INET && ok.peer.ss_family != AF_INET6))
		fatalx("%s: bad MSG_SESS_PROXY_OK", __func__);
	sconn.peer = ok.peer;
	sconn.plaintext_auth = ok.plaintext_auth;
	strlcpy(sconn.peername, ok.peername, sizeof(sconn.peername));
	sconn.proxy = 0;
	channel_open(&auth_ch, fr.fd);
	snprintf(peer, sizeof(peer), "%s:%u", sconn.peername,
	    ss_port(&sconn.peer));
}

/* RFC 8314: TLS from the first byte; the greeting comes after it. */
static int
session_implicit_tls(struct io *io)
{
	if (session_tls_accept(io, io_now() + sconf.timeout_login) == -1) {
		log_info("%s: TLS handshake failed", peer);
		return (-1);
	}
	return (0);
}

int
main(int argc, char *argv[])
{
	static struct io	 io;
	struct pop3		 p;
	struct passwd		*pw;
	int			 fd;

	log_procinit("session");
	/* A client that vanishes mid-reply is an EPIPE, not a death. */
	signal(SIGPIPE, SIG_IGN);
	set_nonblock(PARENT_FD, 1);
	chan_init(&parent_ch.chan, PARENT_FD);
	chan_allow_fd(&parent_ch.chan);
	parent_ch.open = 1;
	log_to_parent(&parent_ch.chan);

	if ((pw = getpwnam(POP3D_USER)) == NULL)
		fatalx("unknown user %s", POP3D_USER);
	session_tls_init();
	demote(POP3D_CHROOT, pw->pw_uid, pw->pw_gid, 0, NULL);
	sandbox_init(SANDBOX_SESSION);

	fd = session_wait_conn();
	snprintf(peer, sizeof(peer), "%s:%u", sconn.peername,
	    ss_port(&sconn.peer));
	set_nonblock(fd, 1);
	if (sconn.proxy)
		session_proxy(fd);
	io_init(&io, fd);

	memset(&p, 0, sizeof(p));
	p.io = &io;
	p.be = &session_backend;
	p.conf = &sconf;
	p.peer = peer;
	p.starttls = session_starttls(&sconf);
	p.authuser = authuser;
	p.peeraddr = sconn.peername;
	/*
	 * The parent's verdict alone: a client whose address is the
	 * listener's may be a remote one behind a hairpin NAT or a proxy
	 * on this host, so that proves nothing.
	 */
	p.plaintext_ok = sconn.plaintext_auth;
	if (sconn.stls) {
		if (session_resume(&p, &io) == -1)
			p.end.reason = SESS_END_ERROR;
		else
			pop3_run(&p);
	} else if ((sconn.kind == LISTEN_POP3S ||
	    sconn.kind == LISTEN_POPPASS_TLS) && session_implicit_tls(&io) == -1)
		p.end.reason = SESS_END_ERROR;
	else if (sconn.kind == LISTEN_POPPASS || sconn.kind == LISTEN_POPPASS_TLS)
		poppass_run(&p);
	else
		pop3_run(&p);

	io_close(&io);
	channel_send(&parent_ch, MSG_SESS_END, -1, &p.end, sizeof(p.end));
	exit(0);
}
