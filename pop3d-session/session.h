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

#ifndef POP3D_SESSION_H
#define POP3D_SESSION_H

#include <stdint.h>
#include <time.h>

#include "compat.h"
#include "pathnames.h"
#include "proto.h"
#include "frame.h"
#include "log.h"
#include "util.h"
#include "addr.h"

/*
 * io.c: buffered, timed line I/O on one client socket.  A session has
 * exactly one client and answers strictly in order, so this is a small
 * blocking loop over poll(2) with deadlines, not an event framework.
 */
/* Room for a SASL response line and its CRLF. */
#define IO_INBUF	(SASL_LINE_MAX + 2)

enum io_status {
	IO_LINE = 1,		/* a complete line */
	IO_EOF,			/* the client closed */
	IO_TIMEOUT,		/* the deadline passed */
	IO_TOOLONG,		/* a line over the limit the caller gave */
	IO_HACK,		/* a command line over AUTODENY_LINE */
	IO_ERROR,		/* read or write error */
};

struct tls;
struct io;

/* TLS on a connection, set by io_starttls() (tls.c, TLS program only). */
struct io_tlsops {
	ssize_t	(*read)(struct io *, void *, size_t, short *);
	ssize_t	(*write)(struct io *, const void *, size_t, short *);
	void	(*close)(struct io *, time_t);
};

struct io {
	int			 fd;
	struct tls		*tls;		/* NULL until TLS is active */
	const struct io_tlsops	*tlsops;
	int		 error;
	size_t		 inlen;
	size_t		 consumed;	/* bytes of the last line returned */
	size_t		 linelen;	/* its length without CRLF */
	size_t		 outlen;
	char		 in[IO_INBUF];
	char		 out[IO_OUTBUF];
};

void		 io_init(struct io *, int);
enum io_status	 io_getline(struct io *, time_t, char **, size_t, int);
int		 io_line_pending(struct io *);
size_t		 io_pending(struct io *, const char **);
void		 io_discard_input(struct io *);
void		 io_write(struct io *, const char *, size_t);
void		 io_printf(struct io *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));
int		 io_flush(struct io *);
time_t		 io_now(void);
int		 io_wait(int, short, time_t);
void		 io_close(struct io *);
int		 io_peek(struct io *, time_t, char **, size_t *);
void		 io_consume(struct io *, size_t);

/* tls.c */
int		 io_starttls(struct io *, struct tls *, time_t);
int		 tlshello_alpn(const unsigned char *, size_t);
int		 tlshello_check(int, time_t);

/*
 * pop3.c: the POP3 state machine.  It reaches pop3d-auth and the store
 * through these calls only, so that it can be driven in a unit test
 * without any other process.
 */
struct pop3_backend {
	/* AUTH_OK with *st filled, AUTH_FAIL, AUTH_TEMPFAIL, or STORE_ERR_* << 8 */
	int	(*login)(void *, const char *, const char *, struct store_stat *);
	int	(*stat)(void *, struct store_stat *);
	/* 0, or a STORE_ERR_*; calls back once per entry */
	int	(*list)(void *, uint32_t, int,
		    void (*)(void *, const struct store_entry *), void *);
	/* 0 with *msg and *fd filled, or a STORE_ERR_* */
	int	(*retr)(void *, uint32_t, int64_t, struct store_msg *, int *);
	int	(*dele)(void *, uint32_t);
	int	(*rset)(void *, struct store_stat *);
	int	(*update)(void *, struct store_update *);
	/* the APOP timestamp into buf; -1 if there is none */
	int	(*challenge)(void *, char *, size_t);
	/* as login(), for APOP's name and digest */
	int	(*apop)(void *, const char *, const char *, struct store_stat *);
	/*
	 * One SASL step: POP3_SASL_START (mechanism, optional initial
	 * data), POP3_SASL_STEP (data) or POP3_SASL_ABORT.  Returns
	 * POP3_SASL_CONTINUE with the server's next challenge in
	 * out/outlen, or a login() result.
	 */
	int	(*sasl)(void *, int, const char *, const void *, size_t, int,
		    void *, size_t *, struct store_stat *);
	/* poppass: AUTH_OK, AUTH_FAIL or AUTH_TEMPFAIL */
	int	(*change)(void *, const char *, const char *, const char *);
	/* tell the parent to deny this client's address */
	void	(*autodeny)(void *, int);
	/* XTND XMIT: submit the message in fd; the program's wait status */
	int	(*xmit)(void *, int);
	/* the login succeeded: by which method, under TLS or not */
	void	(*loggedin)(void *, int, int);
	/*
	 * A RETR and those the client pipelined after it, in order: the
	 * backend may ask for them all now.  NULL: it does not.
	 */
	void	(*prefetch)(void *, const uint32_t *, size_t);
};

#define POP3_SASL_START		1
#define POP3_SASL_STEP		2
#define POP3_SASL_ABORT		3
/* Above every AUTH_* and POP3_LOGIN_STORE() value it shares a return with. */
#define POP3_SASL_CONTINUE	0x200

/* login() result when the maildrop could not be opened */
#define POP3_LOGIN_STORE(err)	(0x100 | (err))

struct pop3 {
	struct io			*io;
	const struct pop3_backend	*be;
	void				*bearg;
	const struct sess_conf		*conf;
	const char			*peer;
	/*
	 * STLS, called once "+OK" is out: 0 with TLS active, -1 on a
	 * failed handshake; the plain-text program hands the connection
	 * over and does not return.  NULL: no TLS to offer.
	 */
	int				(*starttls)(struct pop3 *);
	const char			*authuser;	/* after login */
	const char			*peeraddr;	/* numeric */
	int				 plaintext_ok;	/* policy allows */
	enum {
		POP3_AUTHORIZATION = 1,
		POP3_TRANSACTION,
		POP3_UPDATE,
	}				 state;
	char				 user[POP3_USER_MAX + 1];
	int				 have_user;
	int				 failures;
	int				 commands;
	int				 apop;		/* a timestamp is out */
	char				 timestamp[APOP_CHALLENGE_MAX + 1];
	time_t				 connected;
	time_t				 last;
	int				 resumed;	/* after STLS: no greeting */
	struct sess_end			 end;
};

/* One parsed command line. */
#define POP3_MAXARGS	3
struct pop3_cmdline {
	char		*verb;
	int		 argc;
	char		*argv[POP3_MAXARGS];
};

int	pop3_parse(char *, struct pop3_cmdline *);
void	pop3_reply(struct pop3 *, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));
time_t	pop3_deadline(struct pop3 *);
int	pop3_readline(struct pop3 *, char **);

/* session.c */
int	session_handoff(struct pop3 *);

/*
 * session_tls.c in pop3d-session-tls, session_plain.c in pop3d-session:
 * what the two programs do differently.
 */
void	session_tls_init(void);
void	session_tls_ctx(const struct sess_conf *, const uint8_t *, size_t,
	    const uint8_t *, size_t);
int	session_tls_accept(struct io *, time_t);
int	(*session_starttls(const struct sess_conf *))(struct pop3 *);

/* proxyio.c */
struct proxy_hdr;
int	proxy_read_header(int, time_t, struct proxy_hdr *, const char **);

/* xmit.c */
void	xmit_command(struct pop3 *);

/* poppass.c */
void	poppass_run(struct pop3 *);
int	pop3_number(const char *, uint32_t, uint32_t, uint32_t *);
void	pop3_run(struct pop3 *);

#endif /* POP3D_SESSION_H */
