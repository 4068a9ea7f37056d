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


#ifndef POP3D_PROTO_H
#define POP3D_PROTO_H

/*
 * The contract between pop3d's processes: message types, grouped by
 * channel, and their payloads.  Nothing here is any one process's
 * state; the parent's configuration is in pop3d/pop3d.h.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <limits.h>
#include <netdb.h>
#include <stdint.h>

#include "params.h"

/*
 * Bump PROTO_VERSION whenever a change is made to PROTO_MESSAGES or to
 * a payload below: pop3ctl sends it, and a mismatch is refused.
 */
#define PROTO_VERSION		17

/*
 * Every message, by channel and direction, as X(type, payload, fd):
 *  - payload: the exact size of a fixed payload (sizeof a struct below,
 *    or 0 for none), or P_VAR for one packed with msg.c and read back
 *    field by field, which the receiver closes with m_end();
 *  - fd: P_FD when the frame must carry a descriptor, P_NOFD when it
 *    must not.
 * Every receiver holds each frame to this list (frame_check() in
 * dispatch.c) before its channel table says whether it takes that type
 * now.  The enum, msg_name() and msg_spec() are made from this list.
 */
#define PROTO_MESSAGES(X)						\
	/* any child -> parent: a log line (level, text) */		\
	X(MSG_LOG,		P_VAR,				P_NOFD)	\
									\
	/* parent -> session */						\
	X(MSG_CONF_SESSION,	sizeof(struct sess_conf),	P_NOFD)	\
	X(MSG_CONF_TLS_CERT,	P_VAR,				P_NOFD)	\
	X(MSG_CONF_TLS_KEY,	P_VAR,				P_NOFD)	\
	X(MSG_CONF_TLS_END,	0,				P_NOFD)	\
	X(MSG_SESS_AUTHFD,	0,				P_FD)	\
	X(MSG_SESS_CONN,	sizeof(struct sess_conn),	P_FD)	\
	X(MSG_SESS_XMIT_RESULT,	sizeof(int32_t),		P_NOFD)	\
	X(MSG_STORE_FD,		P_VAR,				P_FD)	\
	X(MSG_SESS_PROXY_OK,	sizeof(struct sess_proxy_ok),	P_FD)	\
	X(MSG_SESS_PROXY_REFUSED, 0,				P_NOFD)	\
	/* session -> parent */						\
	X(MSG_SESS_PROXY,	sizeof(struct sess_proxy),	P_NOFD)	\
	X(MSG_SESS_LOGIN,	sizeof(struct sess_login),	P_NOFD)	\
	X(MSG_SESS_AUTODENY,	sizeof(uint32_t),		P_NOFD)	\
	X(MSG_SESS_XMIT,	0,				P_FD)	\
	X(MSG_SESS_END,		sizeof(struct sess_end),	P_NOFD)	\
	X(MSG_SESS_STLS_AUTH,	0,				P_FD)	\
	X(MSG_SESS_STLS,	sizeof(struct sess_handoff),	P_FD)	\
									\
	/* parent -> pop3d-auth */					\
	X(MSG_CONF_AUTH,	sizeof(struct auth_conf),	P_NOFD)	\
	X(MSG_AUTH_NEWSESS,	sizeof(struct auth_newsess),	P_FD)	\
	X(MSG_AUTH_STATS_REQ,	0,				P_NOFD)	\
	/* pop3d-auth -> parent */					\
	X(MSG_AUTH_GRANT,	P_VAR,				P_NOFD)	\
	X(MSG_AUTH_FAILURE,	sizeof(uint32_t),		P_NOFD)	\
	X(MSG_AUTH_STATS,	sizeof(struct auth_stats),	P_NOFD)	\
									\
	/* session -> pop3d-auth */					\
	X(MSG_AUTH_USERPASS,	P_VAR,				P_NOFD)	\
	X(MSG_AUTH_CHALLENGE_REQ, 0,				P_NOFD)	\
	X(MSG_AUTH_APOP,	P_VAR,				P_NOFD)	\
	X(MSG_AUTH_SASL_START,	P_VAR,				P_NOFD)	\
	X(MSG_AUTH_SASL_STEP,	P_VAR,				P_NOFD)	\
	X(MSG_AUTH_SASL_ABORT,	0,				P_NOFD)	\
	X(MSG_AUTH_CHANGE,	P_VAR,				P_NOFD)	\
	/* pop3d-auth -> session */					\
	X(MSG_AUTH_RESULT,	sizeof(uint32_t),		P_NOFD)	\
	X(MSG_AUTH_CHALLENGE,	P_VAR,				P_NOFD)	\
	X(MSG_AUTH_SASL_CHALLENGE, P_VAR,			P_NOFD)	\
									\
	/* parent -> pop3d-store */					\
	X(MSG_CONF_STORE,	sizeof(struct store_conf),	P_NOFD)	\
									\
	/* session -> pop3d-store */					\
	X(MSG_STORE_INIT,	0,				P_NOFD)	\
	X(MSG_STORE_STAT_REQ,	0,				P_NOFD)	\
	X(MSG_STORE_LIST,	sizeof(struct store_index),	P_NOFD)	\
	X(MSG_STORE_UIDL,	sizeof(struct store_index),	P_NOFD)	\
	X(MSG_STORE_RETR,	sizeof(struct store_retr),	P_NOFD)	\
	X(MSG_STORE_DELE,	sizeof(struct store_index),	P_NOFD)	\
	X(MSG_STORE_RSET,	0,				P_NOFD)	\
	X(MSG_STORE_UPDATE,	0,				P_NOFD)	\
	/* pop3d-store -> session; MSG_STORE_FAIL from the parent too */	\
	X(MSG_STORE_STAT,	sizeof(struct store_stat),	P_NOFD)	\
	X(MSG_STORE_ENTRY,	sizeof(struct store_entry),	P_NOFD)	\
	X(MSG_STORE_ENTRIES,	P_VAR,				P_NOFD)	\
	X(MSG_STORE_END,	0,				P_NOFD)	\
	X(MSG_STORE_MSG,	sizeof(struct store_msg),	P_FD)	\
	X(MSG_STORE_OK,		0,				P_NOFD)	\
	X(MSG_STORE_UPDATED,	sizeof(struct store_update),	P_NOFD)	\
	X(MSG_STORE_FAIL,	sizeof(struct store_fail),	P_NOFD)	\
									\
	/* pop3ctl -> parent, on the control socket */			\
	X(MSG_CTL_SHOW_STATUS,	0,				P_NOFD)	\
	X(MSG_CTL_SHOW_SESSIONS, 0,				P_NOFD)	\
	X(MSG_CTL_SHOW_AUTODENY, 0,				P_NOFD)	\
	X(MSG_CTL_SHOW_ACCESS,	0,				P_NOFD)	\
	X(MSG_CTL_SHOW_METRICS,	0,				P_NOFD)	\
	X(MSG_CTL_AUTODENY_CLEAR, sizeof(struct ctl_addr),	P_NOFD)	\
	X(MSG_CTL_ACCESS_SET,	sizeof(struct ctl_access),	P_NOFD)	\
	X(MSG_CTL_ACCESS_DELETE, sizeof(struct ctl_access),	P_NOFD)	\
	X(MSG_CTL_RELOAD,	0,				P_NOFD)	\
	X(MSG_CTL_STOP,		0,				P_NOFD)	\
	/* parent -> pop3ctl */						\
	X(MSG_CTL_OK,		sizeof(struct ctl_result),	P_NOFD)	\
	X(MSG_CTL_FAIL,		sizeof(struct ctl_result),	P_NOFD)	\
	X(MSG_CTL_END,		0,				P_NOFD)	\
	X(MSG_CTL_STATUS,	sizeof(struct ctl_status),	P_NOFD)	\
	X(MSG_CTL_LISTENER,	sizeof(struct ctl_listener),	P_NOFD)	\
	X(MSG_CTL_SESSION,	sizeof(struct ctl_session),	P_NOFD)	\
	X(MSG_CTL_AUTODENY,	sizeof(struct ctl_autodeny),	P_NOFD)	\
	X(MSG_CTL_ACCESS_ENTRY,	sizeof(struct ctl_access_entry), P_NOFD)	\
	X(MSG_CTL_METRICS,	sizeof(struct ctl_metrics),	P_NOFD)

#define P_VAR		((size_t)-1)
#define P_NOFD		0
#define P_FD		1

enum msg_type {
	MSG_NONE = 0,
#define PROTO_ENUM(type, size, fd)	type,
	PROTO_MESSAGES(PROTO_ENUM)
#undef PROTO_ENUM
	MSG_TYPE_MAX
};

/* What the contract says of one type; NULL for a type not in it. */
struct msg_spec {
	const char	*name;
	size_t		 size;		/* or P_VAR */
	int		 fd;		/* P_FD or P_NOFD */
};

const struct msg_spec	*msg_spec(uint32_t);
const char		*msg_name(uint32_t);
int			 uidl_valid(const char *, size_t);

/* Listener kinds; the poppass kind comes with its issue. */
enum listen_kind {
	LISTEN_POP3 = 1,	/* port 110: plain, STLS when TLS is set */
	LISTEN_POP3S,		/* port 995: TLS from the first byte */
	LISTEN_POPPASS,		/* port 106: Eudora poppass password changes */
	LISTEN_POPPASS_TLS,	/* the same inside implicit TLS */
};

/* Where a user comes from: pop3d-auth's backends, in config order. */
enum auth_backend_id {
	AUTH_BACKEND_NONE = 0,
	AUTH_BACKEND_SYSTEM,	/* "users system": passwd and shadow */
	AUTH_BACKEND_FILE,	/* "users file": pop3d's own database */
};
#define AUTH_BACKENDS_MAX	2

enum access_action {
	ACCESS_GRANT = 1,
	ACCESS_DENY,
};

/* RFC 2449 EXPIRE: days, or one of these. */
#define EXPIRE_UNSET		(-1)	/* not announced in CAPA */
#define EXPIRE_NEVER		(-2)	/* "EXPIRE NEVER" */

enum maildrop_format {
	MAILDROP_MAILDIR = 1,
	MAILDROP_MBOX,
};

/*
 * Payloads.  Fixed-size ones are checked for their exact size on receipt;
 * variable ones are packed with msg.c and read back with m_get_*().
 */

/* MSG_CONF_SESSION: all a session process needs; sent once, at start. */
struct sess_conf {
	char		banner[BANNER_MAX + 1];	/* "" = default */
	int32_t		debug;
	int32_t		timeout_idle;
	int32_t		timeout_login;
	int32_t		expire;		/* as in struct pop3d_conf */
	int32_t		login_delay;	/* -1 unset */
	int32_t		tls;		/* TLS is configured: offer STLS */
	/*
	 * pop3d-session-tls only: MSG_CONF_TLS_CERT and _KEY chunks
	 * follow, then MSG_CONF_TLS_END; it builds its libtls context from
	 * them and wipes them.
	 */
	int32_t		tls_ctx;
	char		tls_protocols[TLS_STRING_MAX];
	char		tls_ciphers[TLS_STRING_MAX];
	int32_t		apop;		/* ask pop3d-auth for a timestamp */
	int32_t		sasl_scram;	/* offer SCRAM-SHA-256 */
	int32_t		auto_deny;	/* report lines over AUTODENY_LINE */
	int32_t		max_commands;	/* before login */
	int32_t		xtnd_xmit;	/* offer XTND XMIT */
	int64_t		xmit_max_size;
	char		hostname[NI_MAXHOST];	/* for Received: */
};

/*
 * MSG_SESS_XMIT: the message, in a memfd, as the fd; no payload.  The
 * parent runs the submission program as the user and answers
 * MSG_SESS_XMIT_RESULT with the program's wait status (0: submitted).
 */

/* MSG_SESS_LOGIN: how the granted login went, for the log line. */
enum login_method {
	LOGIN_PASS = 1,
	LOGIN_APOP,
	LOGIN_PLAIN,
	LOGIN_SCRAM,
};

struct sess_login {
	int32_t		method;		/* enum login_method */
	int32_t		tls;		/* TLS was active */
};

/* MSG_SESS_AUTODENY */
enum autodeny_reason {
	AUTODENY_LONG_LINE = 1,	/* a command line over AUTODENY_LINE */
};

/* MSG_CONF_AUTH */
struct auth_conf {
	int32_t		debug;
	int32_t		users_order[AUTH_BACKENDS_MAX];	/* 0-terminated */
	uint32_t	users_min_uid;	/* users system */
	char		users_file[PATH_MAX];
	int32_t		apop;
	int32_t		poppass_min_length;
	char		hostname[NI_MAXHOST];	/* for APOP timestamps */
};

/* MSG_CONF_STORE: parent -> pop3d-store, before it demotes. */
struct store_conf {
	int32_t		format;		/* enum maildrop_format */
	char		path[PATH_MAX];	/* expanded, absolute */
	char		user[POP3_USER_MAX + 1];
	uint32_t	uid;
	uint32_t	gid;
	int32_t		debug;
	/*
	 * 1: the directory part of the maildrop template has neither ~ nor
	 * %u, so the administrator chose the directory, not the user.
	 */
	int32_t		fixed_dir;
	/* 1: an mbox message's X-UIDL header may give its first UIDL. */
	int32_t		xuidl;
};

/*
 * MSG_SESS_STLS: a plain-text session (pop3d-session, which has no TLS)
 * was asked for STLS and answered +OK.  It sends its auth channel as the
 * fd of MSG_SESS_STLS_AUTH, then the client socket with this, and
 * exits.  The parent gives both, with the same sid, to a
 * pop3d-session-tls, which does the handshake and goes on without a
 * greeting.  What the client said in the clear is forgotten (RFC 2595),
 * the counters that limit it are not.
 */
struct sess_handoff {
	int64_t		connected;	/* CLOCK_MONOTONIC, seconds */
	int32_t		failures;
	int32_t		commands;
	int32_t		apop;		/* the greeting had a timestamp */
	char		timestamp[APOP_CHALLENGE_MAX + 1];
};

/* MSG_SESS_CONN: the accepted socket travels as the fd; sid is peerid. */
struct sess_conn {
	struct sockaddr_storage	peer;
	struct sockaddr_storage	local;
	int32_t			kind;		/* enum listen_kind */
	int32_t			plaintext_auth;	/* resolved: 0 or 1 */
	char			peername[NI_MAXHOST];	/* numeric */
	int32_t			stls;		/* handed over after STLS */
	struct sess_handoff	handoff;	/* with stls set */
	/*
	 * A proxy-protocol listener: peer is the trusted balancer's, and
	 * no auth channel came first (MSG_SESS_AUTHFD), since pop3d-auth
	 * is chosen by the client's source.  The session reads the PROXY
	 * header before anything else and tells the parent what it says
	 * (MSG_SESS_PROXY); the parent checks the client as it would at
	 * accept and answers MSG_SESS_PROXY_OK, with the auth channel, or
	 * MSG_SESS_PROXY_REFUSED.  Never with stls.
	 */
	int32_t			proxy;
};

/*
 * MSG_SESS_PROXY: the client a PROXY header named, once, before the
 * greeting, only from a session of a proxy-protocol listener.  local:
 * the header had no client (v2 LOCAL, v1 UNKNOWN) and the balancer's
 * own address stands; family, addr and port are then zero.
 */
struct sess_proxy {
	int32_t		local;
	int32_t		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];	/* AF_INET: 4 bytes, then 0 */
	uint32_t	port;
};

/* MSG_SESS_PROXY_OK: the client is admitted; the auth channel is the fd. */
struct sess_proxy_ok {
	struct sockaddr_storage	peer;
	int32_t			plaintext_auth;	/* resolved: 0 or 1 */
	char			peername[NI_MAXHOST];	/* numeric */
};

/* MSG_SESS_END: what the session did, for the logout log line. */
struct sess_end {
	uint32_t	retrieved;	/* messages sent with RETR */
	uint64_t	retrieved_octets;
	uint32_t	deleted;	/* deletions committed at QUIT */
	uint64_t	deleted_octets;
	int32_t		reason;		/* enum sess_end_reason */
};

enum sess_end_reason {
	SESS_END_QUIT = 1,	/* the client said QUIT */
	SESS_END_TIMEOUT,	/* idle or login-grace timer */
	SESS_END_DROPPED,	/* the client closed or reset the connection */
	SESS_END_ERROR,		/* protocol abuse or an internal error */
};

/* MSG_AUTH_NEWSESS: parent -> auth, with the session's channel as fd. */
struct auth_newsess {
	char		peername[NI_MAXHOST];
	char		source[NI_MAXHOST];	/* what delays count by */
	int32_t		kind;		/* enum listen_kind: what it may ask */
};

/*
 * MSG_AUTH_STATS_REQ: the parent asks for pop3d-auth's counters, for
 * pop3ctl show metrics; the peerid is its query, which MSG_AUTH_STATS
 * carries back.  Counters run from the process's start; the parent
 * sums the processes.
 */
enum stat_method {
	STAT_PASS,		/* USER and PASS */
	STAT_APOP,
	STAT_PLAIN,		/* AUTH PLAIN */
	STAT_SCRAM,		/* AUTH SCRAM-SHA-256 */
	STAT_POPPASS,		/* a poppass password change */
	STAT_METHODS
};

struct auth_stats {
	uint64_t	ok[STAT_METHODS];
	uint64_t	fail[STAT_METHODS];
	uint64_t	tempfail[STAT_METHODS];
	uint64_t	requests;	/* checked */
	uint64_t	latency_ms;	/* their latencies, summed */
	/* requests per latency bucket, not cumulative; the last: longer */
	uint64_t	latency[AUTH_LATENCY_BUCKETS + 1];
	uint32_t	queued;		/* requests waiting now */
	uint32_t	sessions;	/* session channels open now */
};

/* MSG_AUTH_RESULT */
enum auth_result {
	AUTH_OK = 1,
	AUTH_FAIL,		/* -ERR [AUTH] */
	AUTH_TEMPFAIL,		/* -ERR [SYS/TEMP] */
};

/* MSG_STORE_FAIL: store -> session, and parent -> session. */
enum store_error {
	STORE_ERR_NOMSG = 1,	/* no such message */
	STORE_ERR_DELETED,	/* message already deleted */
	STORE_ERR_INUSE,	/* [IN-USE]: another session holds the lock */
	STORE_ERR_TEMP,		/* [SYS/TEMP] */
	STORE_ERR_PERM,		/* [SYS/PERM], e.g. a maildrop over the caps */
};

struct store_fail {
	int32_t		code;	/* enum store_error */
};

/* MSG_STORE_STAT: also the answer to RSET and STORE_INIT. */
struct store_stat {
	uint32_t	count;		/* messages not marked deleted */
	uint64_t	octets;
};

/* MSG_STORE_LIST, MSG_STORE_UIDL, MSG_STORE_DELE */
struct store_index {
	uint32_t	index;		/* 1-based; 0 = all (LIST, UIDL only) */
};

/* MSG_STORE_ENTRY */
struct store_entry {
	uint32_t	index;
	uint64_t	size;		/* octets as transmitted (CRLF) */
	char		uidl[UIDL_MAX + 1];
};

/*
 * MSG_STORE_ENTRIES: the answer to a listing of every message (LIST or
 * UIDL without an argument), as many entries a frame as fit, then
 * MSG_STORE_END.  Each entry is index (u32), size (u64) and the UIDL
 * (string); indexes rise strictly.  A frame per message made LIST of a
 * big maildrop cost a round of system calls per line.
 */

/* MSG_STORE_RETR */
struct store_retr {
	uint32_t	index;
	int64_t		lines;		/* TOP body lines; -1 = RETR */
};

/* MSG_STORE_MSG: with a read-only fd holding the message. */
struct store_msg {
	uint32_t	index;
	uint64_t	offset;		/* where the message starts in the fd */
	uint64_t	length;		/* bytes to read there */
	uint64_t	size;		/* octets after transformation */
	int32_t		mboxrd;		/* unquote >From lines while sending */
};

/* MSG_STORE_UPDATED: the answer to MSG_STORE_UPDATE. */
struct store_update {
	uint32_t	deleted;
	uint64_t	deleted_octets;
};

/*
 * The control socket.  Every request carries PROTO_VERSION as its peerid
 * and is answered by MSG_CTL_OK or MSG_CTL_FAIL (struct ctl_result),
 * or, for the show requests, by frames of their own type ended by
 * MSG_CTL_END.  All payloads are fixed-size; strings are NUL-terminated
 * inside their arrays.
 */

/* Why a connection was refused at accept; counted per reason. */
enum refusal {
	REFUSED_ACCESS,		/* access default, grant and deny */
	REFUSED_AUTODENY,	/* on the auto-deny list */
	REFUSED_PENALTY,	/* authentication failures */
	REFUSED_LIMIT,		/* max-sessions, max-sessions-per-source */
	REFUSED_RUNTIME,	/* a deny of the runtime access list */
	REFUSED_MAX
};

/* MSG_CTL_OK, MSG_CTL_FAIL: what to tell the administrator. */
struct ctl_result {
	char		text[CTL_MSG_MAX];
};

/* MSG_CTL_AUTODENY_CLEAR: an address, or "all". */
struct ctl_addr {
	char		addr[INET6_ADDRSTRLEN];
};

/* MSG_CTL_STATUS, then one MSG_CTL_LISTENER per listener. */
struct ctl_status {
	int64_t		pid;
	int64_t		started;	/* time(3) */
	int64_t		uptime;		/* seconds */
	uint32_t	sessions;	/* serving a client */
	uint32_t	logged_in;	/* of which logged in */
	uint32_t	idle;		/* waiting in the pool */
	uint32_t	autodeny_listed;
	uint32_t	penalized;	/* addresses refused right now */
	int32_t		auto_deny;	/* auto-deny yes */
	uint64_t	connections;
	uint64_t	logins;
	uint64_t	login_failures;
	uint64_t	autodenies;
	uint64_t	refused[REFUSED_MAX];
	char		conffile[PATH_MAX];
};

struct ctl_listener {
	char		addr[INET6_ADDRSTRLEN];
	uint32_t	port;
	int32_t		kind;		/* enum listen_kind */
};

/* MSG_CTL_SESSION */
enum ctl_session_state {
	CTL_SESSION_AUTH = 1,	/* not logged in yet */
	CTL_SESSION_LOGGED_IN,
	CTL_SESSION_ENDING,
};

struct ctl_session {
	uint32_t	sid;
	int32_t		state;		/* enum ctl_session_state */
	int64_t		age;		/* seconds since accept */
	char		peer[NI_MAXHOST + 8];	/* address:port */
	char		user[POP3_USER_MAX + 1];	/* "" before login */
};

/* MSG_CTL_AUTODENY */
struct ctl_autodeny {
	char		addr[INET6_ADDRSTRLEN];
	int64_t		since;		/* time(3) */
	uint32_t	reason;		/* enum autodeny_reason */
};

/*
 * MSG_CTL_ACCESS_SET: add or change a runtime access entry (pop3ctl
 * access grant and deny); MSG_CTL_ACCESS_DELETE: remove one, with
 * action 0, no duration and no reason.  The parent checks every field
 * again: the network as pop3d.conf's grant and deny take it.
 */
struct ctl_access {
	int32_t		action;		/* enum access_action */
	int64_t		duration;	/* seconds; 0: until deleted */
	char		net[ACCESS_NET_TEXT_MAX];	/* ADDR[/PREFIX] */
	char		reason[ACCESS_REASON_MAX + 1];	/* "" = none */
};

/* Where an entry of pop3ctl show access comes from. */
enum access_origin {
	ACCESS_ORIGIN_CONFIG = 1,	/* pop3d.conf: access default, rules */
	ACCESS_ORIGIN_RUNTIME,		/* pop3ctl access */
	ACCESS_ORIGIN_AUTODENY,		/* the auto-deny list */
	ACCESS_ORIGIN_PENALTY,		/* authentication failures */
};

/*
 * MSG_CTL_ACCESS_ENTRY: one per entry of every list, for pop3ctl show
 * access: pop3d.conf's default and rules, the runtime list, the
 * auto-deny list, the penalties.
 */
struct ctl_access_entry {
	int32_t		origin;		/* enum access_origin */
	int32_t		action;		/* enum access_action; 0: counts only */
	int32_t		prefixlen;	/* -1: "access default", every address */
	int64_t		left;		/* seconds in force; -1: no expiry */
	char		addr[INET6_ADDRSTRLEN];
	char		reason[ACCESS_REASON_MAX + 1];	/* "" = none */
};

/*
 * MSG_CTL_METRICS, after MSG_CTL_STATUS, for pop3ctl show metrics: what
 * status does not hold.  pop3ctl writes the exposition text.
 */
enum ctl_lost {
	CTL_LOST_SESSION,	/* pop3d-session, pop3d-session-tls */
	CTL_LOST_STORE,		/* pop3d-store */
	CTL_LOST_MAX
};

struct ctl_metrics {
	struct auth_stats auth;		/* every pop3d-auth, summed */
	uint32_t	auth_procs;	/* asked */
	uint32_t	auth_silent;	/* did not answer in time */
	uint32_t	runtime_entries;	/* the runtime access list */
	uint32_t	pad;
	uint64_t	retrieved;	/* messages, of ended sessions */
	uint64_t	retrieved_octets;
	uint64_t	deleted;
	uint64_t	deleted_octets;
	uint64_t	lost[CTL_LOST_MAX];	/* died unexpectedly */
};

#endif /* POP3D_PROTO_H */
