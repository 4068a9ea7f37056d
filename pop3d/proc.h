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

#ifndef POP3D_PROC_H
#define POP3D_PROC_H

/*
 * The parent's table of children.  Every child is exec'd with its channel
 * to the parent on PARENT_FD; sessions also carry the state of the
 * connection they serve, which the parent needs for limits, logging and
 * to turn an auth grant into a store.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event.h>

#include "pop3d.h"
#include "dispatch.h"

enum child_kind {
	CHILD_AUTH = 1,
	CHILD_SESSION,
	CHILD_STORE,
	CHILD_XMIT,		/* the submission program of XTND XMIT */
};

/*
 * A child's state, as bits for its channel table (dispatch.h).  A
 * session goes through the four; the others stay CHILD_RUNNING.
 */
enum child_state {
	CHILD_RUNNING = 0x01,
	SESSION_IDLE = 0x01,	/* in the pool, no connection yet */
	SESSION_CONNECTED = 0x02,	/* serving a client, not logged in */
	SESSION_GRANTED = 0x04,	/* pop3d-auth granted a login */
	SESSION_ENDED = 0x08,	/* sent MSG_SESS_END */
	SESSION_HANDED = 0x10,	/* gave its client over after STLS */
	AUTH_RETIRED = 0x20,	/* replaced by a reload, serves its last */
	AUTH_CLOSED = 0x40,	/* retired and let go, or failed to start */
	SESSION_PROXY = 0x80,	/* proxy-protocol: reading the header */
};

struct child {
	TAILQ_ENTRY(child)	 entry;
	enum child_kind		 kind;
	pid_t			 pid;
	int			 reaped;
	int			 closed;
	struct chan		 chan;
	struct event		 ev_read;
	struct event		 ev_write;
	const struct dispatch_table *table;	/* what it may send us */
	uint64_t		 seen;		/* its D_ONCE messages */
	int			 log_tokens;	/* lines it may log now */
	time_t			 log_refill;	/* when tokens were added */
	unsigned int		 log_dropped;	/* over the rate, not logged */
	enum child_state	 state;

	int			 authidx;	/* auth: its id; session: the
						   id of the auth serving it */

	/* sessions */
	int			 tls;		/* pop3d-session-tls */
	struct sess_conn	 conn;		/* what it was given */
	int			 stls_authfd;	/* handover under way */
	uint32_t		 sid;
	struct sockaddr_storage	 peer;
	char			 peername[NI_MAXHOST + 8];
	char			 user[POP3_USER_MAX + 1];
	char			 account[POP3_USER_MAX + 1];	/* system */
	time_t			 started;
	pid_t			 xmit_pid;	/* XTND XMIT running, or 0 */
	/* proxy-protocol, until the header is judged */
	int			 proxy_ptauth;	/* the listener's setting */
	struct sockaddr_storage	 proxy_lss;	/* the listener */
};
TAILQ_HEAD(childlist, child);

extern struct childlist	 children;

/* proc.c */
pid_t		 proc_exec(const char *, char *const [], int, int);
struct child	*child_new(enum child_kind, pid_t, int,
		    const struct dispatch_table *);
void		 child_send(struct child *, uint32_t, uint32_t, int,
		    const void *, size_t);
void		 child_close(struct child *);
void		 child_kill(struct child *, const char *);
void		 child_reap(void (*)(struct child *, int));
const char	*child_name(struct child *);
struct child	*child_add(enum child_kind, pid_t);
void		 child_kill_all(void);
int		 child_log(void *, struct frame *);

/* grant.c */
void		 grant(struct child *, const char *, uint32_t);

/* submit.c */
struct passwd;
pid_t		 submit_spawn(const char *, const struct passwd *,
		    const char *, int);

#endif /* POP3D_PROC_H */
