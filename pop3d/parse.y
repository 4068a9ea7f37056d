%{
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
 * pop3d.conf grammar.  Only the parent runs this, as root, before any
 * listener exists; a configuration with any error is thrown away whole.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>
#include <unistd.h>

#include "pop3d.h"

/*
 * Longest word or quoted string: above PATH_MAX, so that too long a path
 * gets its own message.
 */
#define TOKEN_MAX		(2 * PATH_MAX)

static TAILQ_HEAD(files, file)	 files = TAILQ_HEAD_INITIALIZER(files);
static struct file {
	TAILQ_ENTRY(file)	 entry;
	FILE			*stream;
	char			*name;
	int			 lineno;
	int			 eol;		/* '\n' returned, not yet counted */
	int			 lasttok;
	int			 errors;
	dev_t			 dev;
	ino_t			 ino;
} *file, *topfile;
static int		 depth;

static struct file	*pushfile(const char *, const char **);
static int		 popfile(void);
static char		*include_path(const char *);
int			 yyparse(void);
int			 yylex(void);
int			 yyerror(const char *, ...)
			    __attribute__((__format__ (printf, 1, 2)));
static void		 yywarn(const char *, ...)
			    __attribute__((__format__ (printf, 1, 2)));
static void		 vwarn_at(const char *, va_list)
			    __attribute__((__format__ (printf, 1, 0)));
static void		 syntax_error(const char *);
static int		 peek_equal(void);
static int		 kw_cmp(const void *, const void *);
static int		 lookup(const char *);
static int		 lgetc(int);
static void		 lungetc(int);
static int		 lex_error(const char *, ...)
			    __attribute__((__format__ (printf, 1, 2)));
static int		 lex_word(int);
static int		 lex_quoted(void);
static int		 lex_macro(void);
static int		 lex_token(int);
static int		 is_number(const char *);
static void		 mask_cntrl(char *);

/* The lexer looks at most two characters ahead. */
static int		 pushback[4];
static size_t		 npushback;

/* The statement being lexed, for the "unknown keyword" message. */
static int		 stmt_ntok;
static char		*stmt_word;	/* its first word, if a word */
static int		 stmt_kw;	/* and that word is a keyword */
static int		 lex_failed;	/* the lexer already said what is wrong */

static TAILQ_HEAD(symhead, sym)	 symhead = TAILQ_HEAD_INITIALIZER(symhead);
struct sym {
	TAILQ_ENTRY(sym)	 entry;
	int			 used;
	int			 persist;	/* -D: wins over the file */
	char			*name;
	char			*value;
	char			*where;		/* "file:line", NULL for -D */
};
static int		 symset(const char *, const char *, int);
static char		*symget(const char *);
static int		 symname_ok(const char *);
static void		 symclean(int);

static struct pop3d_conf	*conf;
static char			*persource_where;

/* The options of the listen statement being read. */
static struct listen_opts {
	int	port;		/* 0 = the default of the kind */
	int	tls;
	int	poppass;
	int	plaintext_auth;	/* PLAINTEXT_AUTH_UNSET if not given */
	int	failed;		/* an option was refused: add nothing */
} lopts;

/* The options of the penalty statement being read; -1 = not given. */
static struct penalty_opts {
	int	failures;
	int	time;
	int	max;
	int	failed;
} popts;

/* The options of the xtnd-xmit yes statement being read. */
static struct xmit_opts {
	char		sendmail[PATH_MAX];
	int		sendmail_given;
	long long	max_size;
	int		max_size_given;
	int		failed;
} xopts;

/*
 * Statements that can only be judged once the whole file is read, each
 * as "file:line: statement", so that the message names its line.
 */
struct wherelist {
	char	**v;
	size_t	  n;
};
static struct wherelist	 tls_listens;	/* need a tls certificate */
static struct wherelist	 poppass_listens;	/* need a users file */
static struct wherelist	 rule_wheres;	/* one per access rule, in order */
static char		*apop_where;	/* "apop yes": needs a users file */
static int		 tls_cert_failed;	/* don't blame the listeners */
static int		 users_given;	/* the default backend is dropped */
static int		 users_file_failed;	/* don't blame apop, poppass */

static int		 number(const char *, const char *, long long,
			    long long, int *);
static int		 text_ok(const char *, const char *);
static int		 maildrop_path_ok(const char *);
static void		 banner_set(const char *);
static void		 log_file_set(const char *);
static void		 listen_opt_twice(const char *);
static int		 listen_add(const char *, int, enum listen_kind, int);
static void		 listen_statement(const char *);
static int		 listener_add(const struct sockaddr *, socklen_t, int,
			    enum listen_kind, int);
static void		 where_add(struct wherelist *, const char *, ...)
			    __attribute__((__format__ (printf, 2, 3)));
static void		 where_free(struct wherelist *);
static void		 later_free(void);
static int		 path_ok(const char *, const char *, size_t);
static int		 tls_file_ok(const char *, const char *, int);
static int		 tls_secrecy_ok(const char *, const char *,
			    const struct stat *);
static int		 mode_ok(const char *, const char *,
			    const struct stat *);
static int		 users_add(enum auth_backend_id, const char *);
static void		 users_file_set(const char *, const char *, int,
			    const char *);
static int		 users_file_ok(const char *);
static int		 mailuser_ok(const char *);
static void		 apop_set(int);
static void		 access_add(enum access_action, const char *);
static int		 access_parse(const char *, const char *,
			    struct access_rule *);
static int		 access_mask(const char *, const char *, const char *,
			    int, int *);
static int		 access_zero(uint8_t *, int, size_t);
static void		 access_net(struct access_rule *, int,
			    const uint8_t *, int);
static void		 access_warn_useless(void);
static const char	*rule_text(const struct access_rule *);
static void		 penalty_opt(const char *, const char *, long long,
			    long long, int *);
static void		 penalty_set(void);
static void		 xmit_opt_sendmail(const char *);
static void		 xmit_opt_size(const char *);
static void		 xmit_set(int);
static void		 xmit_program_check(const char *);
static void		 control_socket_set(const char *);
static int		 pem_begins(const char *, size_t);
static void		 tls_files_set(const char *, const char *,
			    const char *);
static void		 tls_protocols_set(const char *);
static void		 tls_ciphers_set(const char *);
static int		 ai_cmp(const void *, const void *);
static int		 conf_check(int);

typedef struct {
	union {
		int	 number;
		char	*string;
	} v;
} YYSTYPE;
#define YYSTYPE_IS_DECLARED 1
#define YYERROR_CALL(msg)	syntax_error(msg)

%}

%token	ACCESS APOP AUTO_DENY BANNER CA CERTIFICATE CIPHERS CONTROL DEBUG
%token	DEFAULT DENY EXPIRE FACILITY FAILURES FILE_KW GRANT IDLE INCLUDE KEY
%token	LISTEN LOG LOGIN LOGIN_DELAY MAILDIR MAILDROP MAILUSER MAX
%token	MAX_COMMANDS MAX_SESSIONS MAX_SESSIONS_PER_SOURCE MAX_SIZE MBOX
%token	MIN_LENGTH NEVER NO NONE ON PENALTY PLAINTEXT_AUTH POPPASS PORT
%token	PROTOCOLS SENDMAIL SESSION_POOL SOCKET SYSLOG SYSTEM TIME TIMEOUT
%token	TLS TO USERS XTND_XMIT YES
%token	ERROR
%token	<v.string>	STRING NUMBER
%type	<v.number>	yesno mdformat facility
%type	<v.string>	value tlsca
%destructor { free($$); } <v.string>

%%

grammar		: /* empty */
		| grammar '\n'
		| grammar include
		| grammar varset '\n'
		| grammar main '\n'
		| grammar error '\n' {
			file->errors++;
			/*
			 * Without this, a syntax error in the first tokens
			 * of the next statement would go unreported.
			 */
			yyerrok;
		}
		;

/*
 * The '\n' belongs to the include statement, so that it is read from
 * this file before the next token comes from the included one.
 */
include		: INCLUDE STRING '\n' {
			struct file	*nfile;
			const char	*why;
			char		*path;

			path = include_path($2);
			if (depth >= INCLUDE_DEPTH_MAX)
				yyerror("include \"%s\": nested too deeply",
				    $2);
			else if ((nfile = pushfile(path, &why)) == NULL)
				yyerror("include \"%s\": %s", $2, why);
			else
				file = nfile;
			free(path);
			free($2);
		}
		;

value		: STRING
		| NUMBER
		;

varset		: STRING '=' value {
			if (!symname_ok($1))
				yyerror("invalid macro name \"%s\"", $1);
			else
				symset($1, $3, 0);
			free($1);
			free($3);
		}
		;

main		: LISTEN ON STRING {
			memset(&lopts, 0, sizeof(lopts));
			lopts.plaintext_auth = PLAINTEXT_AUTH_UNSET;
		} listenopts {
			if (!lopts.failed)
				listen_statement($3);
			free($3);
		}
		| TLS CERTIFICATE STRING KEY STRING tlsca {
			tls_files_set($3, $5, $6);
			free($3);
			free($5);
			free($6);
		}
		| TLS PROTOCOLS STRING {
			tls_protocols_set($3);
			free($3);
		}
		| TLS CIPHERS STRING {
			tls_ciphers_set($3);
			free($3);
		}
		| PLAINTEXT_AUTH yesno {
			conf->plaintext_auth = $2;
		}
		| USERS SYSTEM {
			users_add(AUTH_BACKEND_SYSTEM, "system");
		}
		| USERS FILE_KW STRING MAILUSER STRING {
			users_file_set($3, $5, 0, NULL);
			free($3);
			free($5);
		}
		| USERS FILE_KW STRING MAILUSER STRING MAILDROP mdformat
		    STRING {
			users_file_set($3, $5, $7, $8);
			free($3);
			free($5);
			free($8);
		}
		| APOP yesno {
			apop_set($2);
		}
		| POPPASS MIN_LENGTH NUMBER {
			number("poppass min-length", $3, 1, POP3_PASS_MAX,
			    &conf->poppass_min_length);
			free($3);
		}
		| ACCESS DEFAULT GRANT {
			conf->access_default = ACCESS_GRANT;
		}
		| ACCESS DEFAULT DENY {
			conf->access_default = ACCESS_DENY;
		}
		| GRANT value {
			access_add(ACCESS_GRANT, $2);
			free($2);
		}
		| DENY value {
			access_add(ACCESS_DENY, $2);
			free($2);
		}
		| AUTO_DENY yesno {
			conf->auto_deny = $2;
		}
		| MAX_COMMANDS NUMBER {
			number("max-commands", $2, 1, MAX_COMMANDS_LIMIT,
			    &conf->max_commands);
			free($2);
		}
		| PENALTY NONE {
			conf->penalty_failures = 0;
		}
		| PENALTY {
			popts.failures = popts.time = popts.max = -1;
			popts.failed = 0;
		} penaltyopts {
			penalty_set();
		}
		| CONTROL SOCKET STRING {
			control_socket_set($3);
			free($3);
		}
		| XTND_XMIT NO {
			xmit_set(0);
		}
		| XTND_XMIT YES {
			memset(&xopts, 0, sizeof(xopts));
		} xmitopts {
			xmit_set(1);
		}
		| MAILDROP mdformat STRING {
			if (maildrop_path_ok($3)) {
				conf->maildrop_fmt = $2;
				strlcpy(conf->maildrop_path, $3,
				    sizeof(conf->maildrop_path));
			}
			free($3);
		}
		| BANNER STRING {
			banner_set($2);
			free($2);
		}
		| LOG TO SYSLOG facility {
			if ($4 != -1) {
				conf->log_dest = LOG_TO_SYSLOG;
				conf->log_facility = $4;
			}
		}
		| LOG TO FILE_KW STRING {
			log_file_set($4);
			free($4);
		}
		| LOG TO NONE {
			conf->log_dest = LOG_TO_NONE;
		}
		| DEBUG yesno {
			conf->debug = $2;
		}
		| TIMEOUT IDLE NUMBER {
			if (number("timeout idle", $3, TIMEOUT_IDLE_MIN,
			    TIMEOUT_IDLE_MAX, &conf->timeout_idle) == 0 &&
			    conf->timeout_idle < RFC1939_IDLE_MIN)
				yywarn("timeout idle below %d seconds, RFC 1939 "
				    "wants at least 10 minutes",
				    RFC1939_IDLE_MIN);
			free($3);
		}
		| TIMEOUT LOGIN NUMBER {
			number("timeout login", $3, 1, TIMEOUT_LOGIN_MAX,
			    &conf->timeout_login);
			free($3);
		}
		| EXPIRE NUMBER {
			number("expire", $2, 0, EXPIRE_DAYS_MAX, &conf->expire);
			free($2);
		}
		| EXPIRE NEVER {
			conf->expire = EXPIRE_NEVER;
		}
		| LOGIN_DELAY NUMBER {
			number("login-delay", $2, 0, LOGIN_DELAY_MAX,
			    &conf->login_delay);
			free($2);
		}
		| MAX_SESSIONS NUMBER {
			number("max-sessions", $2, 1, MAX_SESSIONS_LIMIT,
			    &conf->max_sessions);
			free($2);
		}
		| MAX_SESSIONS_PER_SOURCE NUMBER {
			if (number("max-sessions-per-source", $2, 1,
			    MAX_SESSIONS_LIMIT,
			    &conf->max_sessions_per_source) == 0) {
				free(persource_where);
				xasprintf(&persource_where, "%s:%d",
				    file->name, file->lineno);
			}
			free($2);
		}
		| SESSION_POOL NUMBER {
			number("session-pool", $2, 0, SESSION_POOL_MAX,
			    &conf->session_pool);
			free($2);
		}
		;

listenopts	: /* empty */
		| listenopts listenopt
		;

listenopt	: PORT NUMBER {
			if (lopts.port != 0)
				listen_opt_twice("port");
			else if (number("port", $2, 1, 65535,
			    &lopts.port) == -1)
				lopts.failed = 1;
			free($2);
		}
		| TLS {
			if (lopts.tls)
				listen_opt_twice("tls");
			lopts.tls = 1;
		}
		| PLAINTEXT_AUTH yesno {
			if (lopts.plaintext_auth != PLAINTEXT_AUTH_UNSET)
				listen_opt_twice("plaintext-auth");
			lopts.plaintext_auth = $2;
		}
		| POPPASS {
			if (lopts.poppass)
				listen_opt_twice("poppass");
			lopts.poppass = 1;
		}
		;

/* Each at most once; what is not given takes its default. */
penaltyopts	: penaltyopt
		| penaltyopts penaltyopt
		;

penaltyopt	: FAILURES NUMBER {
			penalty_opt("failures", $2, 1, PENALTY_FAILURES_LIMIT,
			    &popts.failures);
			free($2);
		}
		| TIME NUMBER {
			penalty_opt("time", $2, 1, PENALTY_TIME_LIMIT,
			    &popts.time);
			free($2);
		}
		| MAX NUMBER {
			penalty_opt("max", $2, 1, PENALTY_MAX_LIMIT,
			    &popts.max);
			free($2);
		}
		;

/* Each at most once; what is not given takes its default. */
xmitopts	: /* empty */
		| xmitopts xmitopt
		;

xmitopt		: SENDMAIL STRING {
			xmit_opt_sendmail($2);
			free($2);
		}
		| MAX_SIZE value {
			xmit_opt_size($2);
			free($2);
		}
		;

tlsca		: /* empty */		{ $$ = NULL; }
		| CA STRING		{ $$ = $2; }
		;

mdformat	: MAILDIR		{ $$ = MAILDROP_MAILDIR; }
		| MBOX			{ $$ = MAILDROP_MBOX; }
		;

facility	: /* empty */		{ $$ = config_facility("mail"); }
		| FACILITY STRING {
			if (($$ = config_facility($2)) == -1)
				yyerror("unknown syslog facility \"%s\"", $2);
			free($2);
		}
		;

yesno		: YES			{ $$ = 1; }
		| NO			{ $$ = 0; }
		;

%%

struct keyword {
	const char	*k_name;
	int		 k_val;
};

/*
 * Every message about a file goes out as "file:line: message".  Messages
 * quote the file, so control bytes are masked before they reach a
 * terminal or syslog.
 */
static void
vwarn_at(const char *fmt, va_list ap)
{
	char	*msg;

	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("%s", __func__);
	mask_cntrl(msg);
	log_warnx("%s:%d: %s", file->name, file->lineno, msg);
	free(msg);
}

static void
mask_cntrl(char *s)
{
	for (; *s != '\0'; s++)
		if (iscntrl((unsigned char)*s))
			*s = '?';
}

int
yyerror(const char *fmt, ...)
{
	va_list	 ap;

	file->errors++;
	va_start(ap, fmt);
	vwarn_at(fmt, ap);
	va_end(ap);
	return (0);
}

static void
yywarn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vwarn_at(fmt, ap);
	va_end(ap);
}

/*
 * The parser's own complaint.  It adds nothing when the lexer already
 * explained the line, and names the word when a line starts with one
 * that is no statement at all (a typo, or a feature of a later version).
 */
static void
syntax_error(const char *msg)
{
	if (lex_failed) {
		file->errors++;
		return;
	}
	if (stmt_word != NULL && stmt_kw && ((stmt_ntok == 1 && peek_equal()) ||
	    (stmt_ntok == 2 && yychar == '=')))
		yyerror("keyword \"%s\" cannot be a macro name", stmt_word);
	else if (stmt_ntok == 2 && stmt_word != NULL && !stmt_kw)
		yyerror("unknown keyword \"%s\"", stmt_word);
	else
		yyerror("%s", msg);
}

/* Is '=' next?  The spaces it skips are lost, which error recovery allows. */
static int
peek_equal(void)
{
	int	c;

	while ((c = lgetc(0)) == ' ' || c == '\t' || c == '\r')
		;
	lungetc(c);
	return (c == '=');
}

static int
kw_cmp(const void *k, const void *e)
{
	return (strcmp(k, ((const struct keyword *)e)->k_name));
}

static int
lookup(const char *s)
{
	/* this has to be sorted always */
	static const struct keyword keywords[] = {
		{ "access",			ACCESS },
		{ "apop",			APOP },
		{ "auto-deny",			AUTO_DENY },
		{ "banner",			BANNER },
		{ "ca",				CA },
		{ "certificate",		CERTIFICATE },
		{ "ciphers",			CIPHERS },
		{ "control",			CONTROL },
		{ "debug",			DEBUG },
		{ "default",			DEFAULT },
		{ "deny",			DENY },
		{ "expire",			EXPIRE },
		{ "facility",			FACILITY },
		{ "failures",			FAILURES },
		{ "file",			FILE_KW },
		{ "grant",			GRANT },
		{ "idle",			IDLE },
		{ "include",			INCLUDE },
		{ "key",			KEY },
		{ "listen",			LISTEN },
		{ "log",			LOG },
		{ "login",			LOGIN },
		{ "login-delay",		LOGIN_DELAY },
		{ "maildir",			MAILDIR },
		{ "maildrop",			MAILDROP },
		{ "mailuser",			MAILUSER },
		{ "max",			MAX },
		{ "max-commands",		MAX_COMMANDS },
		{ "max-sessions",		MAX_SESSIONS },
		{ "max-sessions-per-source",	MAX_SESSIONS_PER_SOURCE },
		{ "max-size",			MAX_SIZE },
		{ "mbox",			MBOX },
		{ "min-length",			MIN_LENGTH },
		{ "never",			NEVER },
		{ "no",				NO },
		{ "none",			NONE },
		{ "on",				ON },
		{ "penalty",			PENALTY },
		{ "plaintext-auth",		PLAINTEXT_AUTH },
		{ "poppass",			POPPASS },
		{ "port",			PORT },
		{ "protocols",			PROTOCOLS },
		{ "sendmail",			SENDMAIL },
		{ "session-pool",		SESSION_POOL },
		{ "socket",			SOCKET },
		{ "syslog",			SYSLOG },
		{ "system",			SYSTEM },
		{ "time",			TIME },
		{ "timeout",			TIMEOUT },
		{ "tls",			TLS },
		{ "to",				TO },
		{ "users",			USERS },
		{ "xtnd-xmit",			XTND_XMIT },
		{ "yes",			YES },
	};
	const struct keyword	*p;

	p = bsearch(s, keywords, nitems(keywords), sizeof(keywords[0]),
	    kw_cmp);
	return (p != NULL ? p->k_val : STRING);
}

/* Outside quotes a backslash-newline joins lines and reads as a space. */
static int
lgetc(int quoted)
{
	int	c, next;

	if (npushback > 0)
		return (pushback[--npushback]);
	c = getc(file->stream);
	if (c == '\\' && !quoted) {
		next = getc(file->stream);
		if (next == '\n') {
			file->lineno++;
			return (' ');
		}
		if (next != EOF)
			ungetc(next, file->stream);
	}
	return (c);
}

static void
lungetc(int c)
{
	if (npushback == nitems(pushback))
		fatalx("%s: pushback overflow", __func__);
	pushback[npushback++] = c;
}

/* Say what is wrong, then drop the rest of the statement. */
static int
lex_error(const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;
	int	 c;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("%s", __func__);
	va_end(ap);
	yyerror("%s", msg);
	free(msg);
	lex_failed = 1;
	while ((c = lgetc(0)) != '\n' && c != EOF)
		;
	lungetc(c);
	return (ERROR);
}

static int
lex_token(int token)
{
	file->lasttok = token;
	stmt_ntok++;
	if (token == '\n')
		file->eol = 1;
	return (token);
}

int
yylex(void)
{
	int	c;

	if (file->lasttok == '\n') {
		stmt_ntok = 0;
		free(stmt_word);
		stmt_word = NULL;
		lex_failed = 0;
	}
top:
	/*
	 * The line number moves on only when the token after a newline is
	 * asked for, so that an error found on reading the newline that
	 * ends a statement names the statement's line.
	 */
	if (file->eol) {
		file->lineno++;
		file->eol = 0;
	}
	while ((c = lgetc(0)) == ' ' || c == '\t' || c == '\r')
		;
	if (c == '#') {
		/* No continuation here: a comment ends at its newline. */
		while ((c = lgetc(1)) != '\n' && c != EOF)
			;
	}
	switch (c) {
	case EOF:
		/* A statement never runs past the end of its file. */
		if (file->lasttok != '\n')
			return (lex_token('\n'));
		if (file == topfile)
			return (0);
		popfile();
		goto top;
	case '\n':
	case '=':
		return (lex_token(c));
	case '"':
		return (lex_token(lex_quoted()));
	case '$':
		return (lex_token(lex_macro()));
	}
	if (c == '\0' || iscntrl(c))
		return (lex_token(lex_error("invalid character 0x%02x", c)));
	return (lex_token(lex_word(c)));
}

/*
 * "$name" stands for exactly one value, as if it had been quoted, or a
 * number when it is all digits.  It is never split into words nor read
 * as a keyword, so a value given with -D cannot add to a statement.
 */
static int
lex_macro(void)
{
	char	 name[TOKEN_MAX];
	char	*val;
	size_t	 n = 0;
	int	 c;

	while ((c = lgetc(0)) != EOF && (isalnum(c) || c == '_')) {
		if (n + 1 >= sizeof(name))
			return (lex_error("macro name too long"));
		name[n++] = c;
	}
	lungetc(c);
	name[n] = '\0';
	if (n == 0)
		return (lex_error("missing macro name after '$'"));
	if ((val = symget(name)) == NULL)
		return (lex_error("macro \"%s\" not defined", name));
	yylval.v.string = xstrdup(val);
	return (is_number(val) ? NUMBER : STRING);
}

static int
lex_quoted(void)
{
	char	buf[TOKEN_MAX];
	size_t	n = 0;
	int	c, next;

	for (;;) {
		c = lgetc(1);
		if (c == EOF || c == '\n') {
			lungetc(c);
			return (lex_error("unterminated quoted string"));
		}
		if (c == '\0')
			return (lex_error("invalid character 0x00"));
		if (c == '"')
			break;
		if (c == '\\') {
			next = lgetc(1);
			if (next == '\n') {
				file->lineno++;
				continue;
			}
			if (next == '"' || next == '\\')
				c = next;
			else
				lungetc(next);
		}
		if (n + 1 >= sizeof(buf))
			return (lex_error("quoted string too long"));
		buf[n++] = c;
	}
	buf[n] = '\0';
	yylval.v.string = xstrdup(buf);
	return (STRING);
}

/* An unquoted word: a keyword, a NUMBER (digits only) or a STRING. */
static int
lex_word(int c)
{
	char	 buf[TOKEN_MAX];
	size_t	 n = 0;
	int	 token;

	do {
		if (n + 1 >= sizeof(buf))
			return (lex_error("word too long"));
		buf[n++] = c;
		c = lgetc(0);
	} while (c != EOF && c != '"' && c != '#' &&
	    c != '=' && !isspace(c) && !iscntrl(c));
	lungetc(c);
	buf[n] = '\0';

	if (is_number(buf))
		token = NUMBER;
	else
		token = lookup(buf);
	if (stmt_ntok == 0 && token != NUMBER) {
		stmt_word = xstrdup(buf);
		stmt_kw = token != STRING;
	}
	if (token == STRING || token == NUMBER)
		yylval.v.string = xstrdup(buf);
	return (token);
}

/* Digits, perhaps after a minus: strtonum() judges the range later. */
static int
is_number(const char *s)
{
	if (*s == '-')
		s++;
	return (*s != '\0' && s[strspn(s, "0123456789")] == '\0');
}

/*
 * A relative include is found beside the file that names it, so that a
 * configuration works whatever the daemon's working directory is.
 */
static char *
include_path(const char *name)
{
	const char	*slash;
	char		*path;

	if (name[0] == '/' || (slash = strrchr(file->name, '/')) == NULL)
		return (xstrdup(name));
	xasprintf(&path, "%.*s/%s", (int)(slash - file->name), file->name,
	    name);
	return (path);
}

static struct file *
pushfile(const char *name, const char **why)
{
	struct file	*nfile, *f;
	struct stat	 st;

	nfile = xcalloc(1, sizeof(*nfile));
	nfile->name = xstrdup(name);
	nfile->lineno = 1;
	nfile->lasttok = '\n';
	if ((nfile->stream = fopen(name, "re")) == NULL)
		*why = strerror(errno);
	else if (fstat(fileno(nfile->stream), &st) == -1)
		*why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		*why = "not a regular file";
	else {
		TAILQ_FOREACH(f, &files, entry) {
			if (f->dev == st.st_dev && f->ino == st.st_ino) {
				*why = "include loop";
				goto fail;
			}
		}
		nfile->dev = st.st_dev;
		nfile->ino = st.st_ino;
		TAILQ_INSERT_TAIL(&files, nfile, entry);
		depth++;
		return (nfile);
	}
fail:
	if (nfile->stream != NULL)
		fclose(nfile->stream);
	free(nfile->name);
	free(nfile);
	return (NULL);
}

/* Back to the including file, which inherits the error count. */
static int
popfile(void)
{
	struct file	*prev;

	prev = TAILQ_PREV(file, files, entry);
	if (prev != NULL)
		prev->errors += file->errors;
	TAILQ_REMOVE(&files, file, entry);
	fclose(file->stream);
	free(file->name);
	free(file);
	depth--;
	file = prev;
	return (file != NULL ? 0 : EOF);
}

struct pop3d_conf *
parse_config(const char *filename, int verbose)
{
	const char	*why;
	int		 errors;

	conf = config_new();
	later_free();
	tls_cert_failed = 0;
	users_given = 0;
	users_file_failed = 0;
	npushback = 0;
	lex_failed = 0;
	stmt_ntok = 0;

	if ((file = pushfile(filename, &why)) == NULL) {
		log_warnx("%s: %s", filename, why);
		config_free(conf);
		symclean(0);
		return (NULL);
	}
	topfile = file;
	if (yyparse() != 0)
		file->errors++;
	/* yyparse() returns early only on a fatal parser error. */
	while (file != topfile)
		popfile();
	errors = file->errors;
	errors += conf_check(errors);
	popfile();
	free(stmt_word);
	stmt_word = NULL;
	later_free();
	symclean(verbose);

	if (errors) {
		config_free(conf);
		return (NULL);
	}
	return (conf);
}

/*
 * What can only be judged once the whole file is read.  A missing
 * listener is not news when a listen line had an error.
 */
static int
conf_check(int errors_so_far)
{
	size_t	i;
	int	errors = 0;

	if (TAILQ_EMPTY(&conf->listeners) && errors_so_far == 0) {
		log_warnx("%s: no listen statement", topfile->name);
		errors++;
	}
	/* A refused tls certificate statement has been reported already. */
	if (conf->tls_cert[0] == '\0' && !tls_cert_failed) {
		for (i = 0; i < tls_listens.n; i++) {
			log_warnx("%s: no tls certificate configured",
			    tls_listens.v[i]);
			errors++;
		}
	}
	/* The same for a refused users file. */
	if (conf->users_file[0] == '\0' && !users_file_failed) {
		for (i = 0; i < poppass_listens.n; i++) {
			log_warnx("%s: needs a users file: password changes "
			    "only exist for pop3d's own database",
			    poppass_listens.v[i]);
			errors++;
		}
		if (apop_where != NULL) {
			log_warnx("%s: apop needs a users file: APOP secrets "
			    "are only kept in pop3d's own database",
			    apop_where);
			errors++;
		}
	}
	access_warn_useless();
	if (conf->max_sessions_per_source <= conf->max_sessions)
		return (errors);
	if (persource_where == NULL) {
		/* Only the default is too high: it follows max-sessions. */
		conf->max_sessions_per_source = conf->max_sessions;
		return (errors);
	}
	log_warnx("%s: max-sessions-per-source %d is above max-sessions %d",
	    persource_where, conf->max_sessions_per_source, conf->max_sessions);
	return (errors + 1);
}

static int
number(const char *what, const char *s, long long min, long long max,
    int *res)
{
	const char	*errstr;
	long long	 n;

	n = strtonum(s, min, max, &errstr);
	if (errstr != NULL) {
		yyerror("%s %s is %s (allowed %lld to %lld)", what, s, errstr,
		    min, max);
		return (-1);
	}
	*res = (int)n;
	return (0);
}

/* Text that reaches a client or a path: printable ASCII, no control bytes. */
static int
text_ok(const char *what, const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) {
			yyerror("%s contains a control or non-ASCII "
			    "character", what);
			return (0);
		}
	}
	return (1);
}

/*
 * Too long is only a warning, as DESIGN.md wants: the default greeting
 * serves as well, and an overlong banner should not keep mail from
 * being served.
 */
static void
banner_set(const char *text)
{
	if (!text_ok("banner", text))
		return;
	if (strlen(text) > BANNER_MAX) {
		yywarn("banner longer than %d characters, using the default",
		    BANNER_MAX);
		conf->banner[0] = '\0';
		return;
	}
	strlcpy(conf->banner, text, sizeof(conf->banner));
}

/* The parent opens it as root, so it has to be where it is meant to be. */
static void
log_file_set(const char *path)
{
	if (!text_ok("log file", path))
		return;
	if (path[0] != '/') {
		yyerror("log file \"%s\": not an absolute path", path);
		return;
	}
	if (strlen(path) >= sizeof(conf->log_file)) {
		yyerror("log file: path longer than %zu characters",
		    sizeof(conf->log_file) - 1);
		return;
	}
	conf->log_dest = LOG_TO_FILE;
	strlcpy(conf->log_file, path, sizeof(conf->log_file));
}

/*
 * The store expands "~" (the user's home) at the start and "%u" (the
 * user name) anywhere; any other '%' is refused here so that a typo
 * cannot become a literal directory name shared by every user.
 */
static int
maildrop_path_ok(const char *path)
{
	const char	*p;

	if (!text_ok("maildrop path", path))
		return (0);
	if (path[0] != '/' && strncmp(path, "~/", 2) != 0) {
		yyerror("maildrop \"%s\": must start with / or ~/", path);
		return (0);
	}
	if (strlen(path) >= sizeof(conf->maildrop_path)) {
		yyerror("maildrop: path longer than %zu characters",
		    sizeof(conf->maildrop_path) - 1);
		return (0);
	}
	for (p = path; (p = strchr(p, '%')) != NULL; p += 2) {
		if (p[1] != 'u') {
			yyerror("maildrop \"%s\": only %%u may follow %%",
			    path);
			return (0);
		}
	}
	return (1);
}

/*
 * "users system" and "users file", once each: the order of the
 * statements is the order pop3d-auth asks its backends in.  The first
 * one replaces the default, which is the system alone.
 */
static int
users_add(enum auth_backend_id id, const char *what)
{
	size_t	i;

	if (!users_given) {
		memset(conf->users_order, 0, sizeof(conf->users_order));
		users_given = 1;
	}
	for (i = 0; i < AUTH_BACKENDS_MAX &&
	    conf->users_order[i] != AUTH_BACKEND_NONE; i++) {
		if (conf->users_order[i] == id) {
			yyerror("users %s given twice", what);
			return (-1);
		}
	}
	if (i == AUTH_BACKENDS_MAX)
		fatalx("%s: more backends than AUTH_BACKENDS_MAX", __func__);
	conf->users_order[i] = id;
	return (0);
}

/*
 * Everything is checked, even in a statement given twice, so that one
 * run names every problem.  Without a maildrop of its own, the global
 * one applies, with "~" the mail user's home and "%u" the name the
 * client logged in with.
 */
static void
users_file_set(const char *path, const char *mailuser, int fmt,
    const char *mdpath)
{
	int	twice, ok;

	twice = users_add(AUTH_BACKEND_FILE, "file") == -1;
	ok = users_file_ok(path);
	ok &= mailuser_ok(mailuser);
	if (mdpath != NULL)
		ok &= maildrop_path_ok(mdpath);
	if (twice)
		return;
	if (!ok) {
		users_file_failed = 1;
		return;
	}
	strlcpy(conf->users_file, path, sizeof(conf->users_file));
	strlcpy(conf->users_mailuser, mailuser, sizeof(conf->users_mailuser));
	conf->users_maildrop_fmt = mdpath != NULL ? fmt : 0;
	strlcpy(conf->users_maildrop_path, mdpath != NULL ? mdpath : "",
	    sizeof(conf->users_maildrop_path));
}

/*
 * The database holds password hashes and APOP secrets, which are as
 * good as passwords: only pop3d-auth's user, or root, may own it, and
 * no one else may have any access.  A symbolic link is refused because
 * a change replaces the file by rename(2), which would replace the
 * link and leave its target behind, unchanged.
 */
static int
users_file_ok(const char *path)
{
	struct stat	 st;
	struct passwd	*pw;

	if (!path_ok("users file", path, sizeof(conf->users_file)))
		return (0);
	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			yyerror("users file %s does not exist; create it with "
			    "install -o %s -m 600 /dev/null %s", path,
			    POP3D_AUTH_USER, path);
		else
			yyerror("users file %s: %s", path, strerror(errno));
		return (0);
	}
	if (S_ISLNK(st.st_mode)) {
		yyerror("users file %s: a symbolic link, not a regular file",
		    path);
		return (0);
	}
	if (!S_ISREG(st.st_mode)) {
		yyerror("users file %s: not a regular file", path);
		return (0);
	}
	/* pop3d-auth, running as its user, reads it at every login. */
	if ((pw = getpwnam(POP3D_AUTH_USER)) == NULL ||
	    pw->pw_uid != st.st_uid) {
		yyerror("users file %s is owned by uid %u, not %s", path,
		    (unsigned int)st.st_uid, POP3D_AUTH_USER);
		return (0);
	}
	return (mode_ok("users file", path, &st));
}

/*
 * The store of every user of the database runs as the mail user.  Root
 * would defeat the separation, and so would one of pop3d's own users:
 * a session process (_pop3d) could then read every maildrop, and a
 * store running as _pop3dauth could read the password database.
 */
static int
mailuser_ok(const char *name)
{
	static const char *const	 own[] = { POP3D_USER, POP3D_AUTH_USER };
	struct passwd			*pw;
	uid_t				 uid;
	size_t				 i;

	if (!text_ok("mailuser", name))
		return (0);
	if (strlen(name) > POP3_USER_MAX) {
		yyerror("mailuser: longer than %d characters", POP3_USER_MAX);
		return (0);
	}
	if ((pw = getpwnam(name)) == NULL) {
		yyerror("mailuser \"%s\": no such user", name);
		return (0);
	}
	if ((uid = pw->pw_uid) == 0) {
		yyerror("mailuser \"%s\" has uid 0: mail is never served as "
		    "root", name);
		return (0);
	}
	for (i = 0; i < nitems(own); i++) {
		if ((pw = getpwnam(own[i])) != NULL && pw->pw_uid == uid) {
			yyerror("mailuser \"%s\" has the uid of %s: pop3d's "
			    "own users own no mail", name, own[i]);
			return (0);
		}
	}
	return (1);
}

/* Whether a users file follows can only be known at the end. */
static void
apop_set(int yes)
{
	conf->apop = yes;
	free(apop_where);
	apop_where = NULL;
	if (yes)
		xasprintf(&apop_where, "%s:%d", file->name, file->lineno);
}

/*
 * "grant" and "deny" lines, kept in the order given.  Only numeric
 * addresses: an access list that depended on DNS would change with
 * every answer, and could be steered by whoever controls the answer.
 */
static void
access_add(enum access_action action, const char *text)
{
	struct access_rule	*r;
	const char		*what;

	what = action == ACCESS_GRANT ? "grant" : "deny";
	r = xcalloc(1, sizeof(*r));
	r->action = action;
	if (access_parse(what, text, r) == -1) {
		free(r);
		return;
	}
	TAILQ_INSERT_TAIL(&conf->access_rules, r, entry);
	where_add(&rule_wheres, "%s %s", what, rule_text(r));
}

/* ADDR[/MASK] into a network with its host bits zero. */
static int
access_parse(const char *what, const char *text, struct access_rule *r)
{
	union {
		struct in_addr	 v4;
		struct in6_addr	 v6;
		uint8_t		 b[16];
	}		 a;
	char		 buf[INET6_ADDRSTRLEN];
	const char	*slash;
	size_t		 len;
	int		 family = AF_UNSPEC, plen, hostbits;

	if (!text_ok(what, text))
		return (-1);
	slash = strchr(text, '/');
	len = slash != NULL ? (size_t)(slash - text) : strlen(text);
	memset(&a, 0, sizeof(a));
	if (len < sizeof(buf)) {
		memcpy(buf, text, len);
		buf[len] = '\0';
		if (inet_pton(AF_INET, buf, &a.v4) == 1)
			family = AF_INET;
		else if (inet_pton(AF_INET6, buf, &a.v6) == 1)
			family = AF_INET6;
	}
	if (family == AF_UNSPEC) {
		yyerror("%s %s: not a numeric IPv4 or IPv6 address (host "
		    "names are not allowed)", what, text);
		return (-1);
	}
	plen = family == AF_INET ? 32 : 128;
	if (slash != NULL &&
	    access_mask(what, text, slash + 1, family, &plen) == -1)
		return (-1);
	hostbits = access_zero(a.b, plen, family == AF_INET ? 4 : 16);
	/*
	 * A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d; kept
	 * as plain IPv4, one rule matches them however they arrive.
	 */
	if (family == AF_INET6 && plen >= 96 && IN6_IS_ADDR_V4MAPPED(&a.v6)) {
		memmove(a.b, a.b + 12, 4);
		family = AF_INET;
		plen -= 96;
	}
	access_net(r, family, a.b, plen);
	if (hostbits)
		yywarn("%s %s: host bits set, using %s", what, text,
		    rule_text(r));
	return (0);
}

/* A prefix length, or for IPv4 a contiguous dotted netmask. */
static int
access_mask(const char *what, const char *text, const char *mask,
    int family, int *plen)
{
	struct in_addr	 m;
	const char	*errstr;
	uint32_t	 bits;
	int		 max = family == AF_INET ? 32 : 128;

	if (strchr(mask, '.') != NULL) {
		if (family != AF_INET) {
			yyerror("%s %s: an IPv6 mask must be a prefix length",
			    what, text);
			return (-1);
		}
		if (inet_pton(AF_INET, mask, &m) != 1) {
			yyerror("%s %s: netmask %s is not an IPv4 address",
			    what, text, mask);
			return (-1);
		}
		bits = ntohl(m.s_addr);
		/* Contiguous: the zero bits below are all the zero bits. */
		if ((~bits & (uint32_t)(~bits + 1)) != 0) {
			yyerror("%s %s: netmask %s is not contiguous", what,
			    text, mask);
			return (-1);
		}
		for (*plen = 0; (bits & 0x80000000U) != 0; bits <<= 1)
			(*plen)++;
		return (0);
	}
	if (mask[0] == '\0' || mask[strspn(mask, "0123456789")] != '\0') {
		yyerror("%s %s: mask \"%s\" is neither a prefix length nor a "
		    "netmask", what, text, mask);
		return (-1);
	}
	*plen = strtonum(mask, 0, max, &errstr);
	if (errstr != NULL) {
		yyerror("%s %s: prefix length %s is %s (allowed 0 to %d)",
		    what, text, mask, errstr, max);
		return (-1);
	}
	return (0);
}

/* Clear the bits past the prefix; say whether any was set. */
static int
access_zero(uint8_t *b, int plen, size_t len)
{
	size_t	i;
	uint8_t	keep;
	int	set = 0;

	for (i = 0; i < len; i++) {
		if (plen >= 8)
			keep = 0xff;
		else if (plen <= 0)
			keep = 0;
		else
			keep = (uint8_t)(0xff << (8 - plen));
		if ((b[i] & ~keep) != 0)
			set = 1;
		b[i] &= keep;
		plen -= 8;
	}
	return (set);
}

static void
access_net(struct access_rule *r, int family, const uint8_t *b, int plen)
{
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;

	memset(&r->net, 0, sizeof(r->net));
	if (family == AF_INET) {
		sin = (struct sockaddr_in *)&r->net;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, b, sizeof(sin->sin_addr));
	} else {
		sin6 = (struct sockaddr_in6 *)&r->net;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, b, sizeof(sin6->sin6_addr));
	}
	r->prefixlen = plen;
}

/* As pop3d -nv prints it: no mask for a single host. */
static const char *
rule_text(const struct access_rule *r)
{
	static char	buf[NI_MAXHOST + sizeof("/128")];
	int		host;

	host = r->net.ss_family == AF_INET ? 32 : 128;
	if (r->prefixlen == host)
		strlcpy(buf, ss_to_text(&r->net), sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "%s/%d", ss_to_text(&r->net),
		    r->prefixlen);
	return (buf);
}

/*
 * In grant mode only deny lines are looked at, and in deny mode only
 * grant lines.  The mode may come after the lines, so this waits for
 * the end; it is a warning, since the server still does what it says.
 */
static void
access_warn_useless(void)
{
	struct access_rule	*r;
	const char		*mode;
	size_t			 i = 0;

	mode = conf->access_default == ACCESS_GRANT ? "grant" : "deny";
	TAILQ_FOREACH(r, &conf->access_rules, entry) {
		if (i >= rule_wheres.n)
			fatalx("%s: a rule without its line", __func__);
		if (r->action == conf->access_default)
			log_warnx("%s: no effect under access default %s",
			    rule_wheres.v[i], mode);
		i++;
	}
}

static void
penalty_opt(const char *name, const char *s, long long min, long long max,
    int *res)
{
	char	what[32];

	if (*res != -1) {
		yyerror("penalty option \"%s\" given twice", name);
		popts.failed = 1;
		return;
	}
	snprintf(what, sizeof(what), "penalty %s", name);
	if (number(what, s, min, max, res) == -1)
		popts.failed = 1;
}

/*
 * A penalty statement sets all three values; those it leaves out take
 * their default.  A time above the default max raises the max with it,
 * rather than make the administrator state both.
 */
static void
penalty_set(void)
{
	int	failures, first, longest;

	if (popts.failed)
		return;
	failures = popts.failures != -1 ? popts.failures :
	    PENALTY_FAILURES_DEFAULT;
	first = popts.time != -1 ? popts.time : PENALTY_TIME_DEFAULT;
	if (popts.max != -1)
		longest = popts.max;
	else if (first > PENALTY_MAX_DEFAULT)
		longest = first;
	else
		longest = PENALTY_MAX_DEFAULT;
	if (longest < first) {
		yyerror("penalty max %d is below penalty time %d", longest,
		    first);
		return;
	}
	conf->penalty_failures = failures;
	conf->penalty_time = first;
	conf->penalty_max = longest;
}

/*
 * The daemon splits the command on spaces and runs it without a shell,
 * with "-f" and the user appended: quotes and shell metacharacters
 * mean nothing and are passed on as they are.  Tabs are refused with
 * the other control characters, so that a space is the only separator.
 * The words are kept one space apart, so that pop3d -nv shows what is
 * run.
 */
static void
xmit_opt_sendmail(const char *s)
{
	char		*buf = xopts.sendmail;
	const char	*p;
	size_t		 len, n = 0;
	int		 words = 0;

	if (xopts.sendmail_given) {
		yyerror("xtnd-xmit option \"sendmail\" given twice");
		xopts.failed = 1;
		return;
	}
	xopts.sendmail_given = 1;
	if (!text_ok("xtnd-xmit sendmail", s)) {
		xopts.failed = 1;
		return;
	}
	buf[0] = '\0';
	for (p = s + strspn(s, " "); *p != '\0'; p += strspn(p, " ")) {
		len = strcspn(p, " ");
		/* Room for "-f", the user and the terminating NULL. */
		if (++words > XMIT_ARGS_MAX - 3) {
			yyerror("xtnd-xmit sendmail: more than %d words",
			    XMIT_ARGS_MAX - 3);
			xopts.failed = 1;
			return;
		}
		if (n + (n > 0) + len >= sizeof(xopts.sendmail)) {
			yyerror("xtnd-xmit sendmail: longer than %zu "
			    "characters", sizeof(xopts.sendmail) - 1);
			xopts.failed = 1;
			return;
		}
		if (n > 0)
			buf[n++] = ' ';
		memcpy(buf + n, p, len);
		n += len;
		buf[n] = '\0';
		p += len;
	}
	if (words == 0) {
		yyerror("xtnd-xmit sendmail \"%s\": no program", s);
		xopts.failed = 1;
	} else if (buf[0] != '/') {
		/* execve() searches no PATH: the program is the one named. */
		yyerror("xtnd-xmit sendmail \"%s\": %.*s is not an absolute "
		    "path", s, (int)strcspn(buf, " "), buf);
		xopts.failed = 1;
	}
}

/*
 * Bytes, or KiB or MiB with a K or M, the units pop3d -nv prints back.
 * Messages are a few KiB to a few MiB: no other suffix is needed.
 */
static void
xmit_opt_size(const char *s)
{
	const char	*errstr;
	char		 digits[32];
	long long	 n, mult = 1;
	size_t		 len;

	if (xopts.max_size_given) {
		yyerror("xtnd-xmit option \"max-size\" given twice");
		xopts.failed = 1;
		return;
	}
	xopts.max_size_given = 1;
	len = strspn(s, "0123456789");
	if (s[len] == 'K' && s[len + 1] == '\0')
		mult = 1024;
	else if (s[len] == 'M' && s[len + 1] == '\0')
		mult = 1024 * 1024;
	else if (s[len] != '\0')
		len = 0;
	if (len == 0) {
		yyerror("xtnd-xmit max-size \"%s\": not a number with an "
		    "optional K or M suffix", s);
		xopts.failed = 1;
		return;
	}
	/* Too many digits is too large: strtonum() says so below. */
	if (len >= sizeof(digits))
		len = sizeof(digits) - 1;
	memcpy(digits, s, len);
	digits[len] = '\0';
	n = strtonum(digits, 0, XMIT_MAX_LIMIT, &errstr);
	if (errstr != NULL || n * mult > XMIT_MAX_LIMIT)
		errstr = "too large";
	else if (n == 0)
		errstr = "too small";
	if (errstr != NULL) {
		yyerror("xtnd-xmit max-size %s is %s (allowed 1 to %d bytes, "
		    "%dM)", s, errstr, XMIT_MAX_LIMIT,
		    XMIT_MAX_LIMIT / (1024 * 1024));
		xopts.failed = 1;
		return;
	}
	xopts.max_size = n * mult;
}

/*
 * An xtnd-xmit statement sets all three values, as penalty does, so
 * that the last one alone decides; "no" puts back the defaults.
 */
static void
xmit_set(int yes)
{
	if (yes && xopts.failed)
		return;
	conf->xtnd_xmit = yes;
	strlcpy(conf->xmit_sendmail, yes && xopts.sendmail_given ?
	    xopts.sendmail : XMIT_SENDMAIL_DEFAULT,
	    sizeof(conf->xmit_sendmail));
	conf->xmit_max_size = yes && xopts.max_size_given ? xopts.max_size :
	    XMIT_MAX_DEFAULT;
	if (yes)
		xmit_program_check(conf->xmit_sendmail);
}

/*
 * The program runs later, as each user, and may be installed after
 * pop3d is configured: a missing one is only a warning.  Found now, a
 * typo does not turn every XTND XMIT into a [SYS/TEMP] failure unseen.
 */
static void
xmit_program_check(const char *cmd)
{
	struct stat	st;
	char		prog[PATH_MAX];

	snprintf(prog, sizeof(prog), "%.*s", (int)strcspn(cmd, " "), cmd);
	if (stat(prog, &st) == -1)
		yywarn("xtnd-xmit sendmail %s: %s", prog, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		yywarn("xtnd-xmit sendmail %s: not a regular file", prog);
	else if ((st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0)
		yywarn("xtnd-xmit sendmail %s: not executable", prog);
}

/* The path must fit a sockaddr_un, which is far shorter than PATH_MAX. */
static void
control_socket_set(const char *path)
{
	if (!path_ok("control socket", path,
	    sizeof(((struct sockaddr_un *)0)->sun_path)))
		return;
	strlcpy(conf->control_socket, path, sizeof(conf->control_socket));
}

/* Sort the addresses of one name: IPv4 first, then by address. */
static int
ai_cmp(const void *a, const void *b)
{
	const struct addrinfo	*x = *(struct addrinfo * const *)a;
	const struct addrinfo	*y = *(struct addrinfo * const *)b;
	const struct sockaddr_in6 *x6, *y6;
	int			 r;

	if (x->ai_family != y->ai_family)
		return (x->ai_family == AF_INET ? -1 : 1);
	if (x->ai_family == AF_INET)
		return (memcmp(&((struct sockaddr_in *)x->ai_addr)->sin_addr,
		    &((struct sockaddr_in *)y->ai_addr)->sin_addr,
		    sizeof(struct in_addr)));
	x6 = (const struct sockaddr_in6 *)x->ai_addr;
	y6 = (const struct sockaddr_in6 *)y->ai_addr;
	if ((r = memcmp(&x6->sin6_addr, &y6->sin6_addr,
	    sizeof(x6->sin6_addr))) != 0)
		return (r);
	return (x6->sin6_scope_id < y6->sin6_scope_id ? -1 :
	    x6->sin6_scope_id > y6->sin6_scope_id);
}

static void
listen_opt_twice(const char *opt)
{
	yyerror("listen option \"%s\" given twice", opt);
	lopts.failed = 1;
}

/*
 * A listen statement whose options were all accepted.  Implicit TLS
 * and poppass have their own default ports; whether a certificate or a
 * users file goes with them can only be known at the end of the file.
 * poppass over TLS keeps port 106: no port is assigned to it.
 */
static void
listen_statement(const char *host)
{
	enum listen_kind	 kind;
	const char		*opts;
	int			 port;

	if (lopts.poppass) {
		kind = lopts.tls ? LISTEN_POPPASS_TLS : LISTEN_POPPASS;
		port = POPPASS_PORT;
		opts = lopts.tls ? " poppass tls" : " poppass";
	} else {
		kind = lopts.tls ? LISTEN_POP3S : LISTEN_POP3;
		port = lopts.tls ? POP3S_PORT : POP3_PORT;
		opts = lopts.tls ? " tls" : "";
	}
	if (lopts.port != 0)
		port = lopts.port;
	if (listen_add(host, port, kind, lopts.plaintext_auth) == -1)
		return;
	if (lopts.tls)
		where_add(&tls_listens, "listen on %s port %d%s", host, port,
		    opts);
	if (lopts.poppass)
		where_add(&poppass_listens, "listen on %s port %d%s", host,
		    port, opts);
}

/* Remember a statement as "file:line: text" for conf_check(). */
static void
where_add(struct wherelist *wl, const char *fmt, ...)
{
	va_list	 ap;
	char	*text, *where;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) == -1)
		fatal("%s", __func__);
	va_end(ap);
	xasprintf(&where, "%s:%d: %s", file->name, file->lineno, text);
	free(text);
	mask_cntrl(where);
	wl->v = xreallocarray(wl->v, wl->n + 1, sizeof(*wl->v));
	wl->v[wl->n++] = where;
}

static void
where_free(struct wherelist *wl)
{
	size_t	i;

	for (i = 0; i < wl->n; i++)
		free(wl->v[i]);
	free(wl->v);
	wl->v = NULL;
	wl->n = 0;
}

/* What one parse kept for the end, and nothing else, goes. */
static void
later_free(void)
{
	where_free(&tls_listens);
	where_free(&poppass_listens);
	where_free(&rule_wheres);
	free(apop_where);
	apop_where = NULL;
	free(persource_where);
	persource_where = NULL;
}

/*
 * "listen on": every address of the name, in a stable order so that
 * pop3d -nv prints the same thing whatever the resolver's order.
 */
static int
listen_add(const char *host, int port, enum listen_kind kind, int ptauth)
{
	struct addrinfo	  hints, *res, *ai, **v;
	size_t		  n, i;
	int		  error, ret = 0;

	if (strcmp(host, "*") == 0) {
		if (listen_add("0.0.0.0", port, kind, ptauth) == -1)
			ret = -1;
		if (listen_add("::", port, kind, ptauth) == -1)
			ret = -1;
		return (ret);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((error = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		yyerror("listen on %s: %s", host, gai_strerror(error));
		return (-1);
	}
	for (n = 0, ai = res; ai != NULL; ai = ai->ai_next)
		if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
			n++;
	v = xcalloc(n ? n : 1, sizeof(*v));
	for (n = 0, ai = res; ai != NULL; ai = ai->ai_next)
		if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
			v[n++] = ai;
	if (n == 0) {
		yyerror("listen on %s: no IPv4 or IPv6 address", host);
		ret = -1;
	}
	qsort(v, n, sizeof(*v), ai_cmp);
	for (i = 0; i < n; i++) {
		/* /etc/hosts may list an address twice: not an error. */
		if (i > 0 && ai_cmp(&v[i - 1], &v[i]) == 0)
			continue;
		if (listener_add(v[i]->ai_addr, v[i]->ai_addrlen, port, kind,
		    ptauth) == -1) {
			ret = -1;
			break;
		}
	}
	free(v);
	freeaddrinfo(res);
	return (ret);
}

static int
listener_add(const struct sockaddr *sa, socklen_t salen, int port,
    enum listen_kind kind, int ptauth)
{
	struct listener		*l;
	struct sockaddr_storage	 ss;
	size_t			 n = 0;

	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, sa, salen);
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);

	TAILQ_FOREACH(l, &conf->listeners, entry) {
		n++;
		if (l->ss.ss_family == ss.ss_family &&
		    memcmp(&l->ss, &ss, ss_len(&ss)) == 0) {
			yyerror("listen on %s port %d: duplicate listener",
			    ss_to_text(&ss), port);
			return (-1);
		}
	}
	if (n >= MAX_LISTENERS) {
		yyerror("too many listeners (at most %d)", MAX_LISTENERS);
		return (-1);
	}
	l = xcalloc(1, sizeof(*l));
	l->ss = ss;
	l->kind = kind;
	l->plaintext_auth = ptauth;
	l->fd = -1;
	l->ev = NULL;
	TAILQ_INSERT_TAIL(&conf->listeners, l, entry);
	return (0);
}

/*
 * The parent and pop3d-auth open these files at every start and reload,
 * whatever their working directory, and errors name them: an absolute
 * path of printable characters that fits where it is kept.
 */
static int
path_ok(const char *what, const char *path, size_t size)
{
	if (!text_ok(what, path))
		return (0);
	if (path[0] != '/') {
		yyerror("%s %s: not an absolute path", what, path);
		return (0);
	}
	if (strlen(path) >= size) {
		yyerror("%s: path longer than %zu characters", what,
		    size - 1);
		return (0);
	}
	return (1);
}

/*
 * Checked here, as root, so that pop3d -n catches what would otherwise
 * only fail when the parent loads the files.  Only the outline is
 * judged; libtls judges the contents then.  O_NONBLOCK keeps a FIFO
 * from hanging the parse before fstat() refuses it.
 */
static int
tls_file_ok(const char *what, const char *path, int secret)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, ok = 0;

	if (!path_ok(what, path, PATH_MAX))
		return (0);
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		yyerror("%s %s: %s", what, path, strerror(errno));
		return (0);
	}
	if (fstat(fd, &st) == -1) {
		yyerror("%s %s: %s", what, path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		yyerror("%s %s: not a regular file", what, path);
		goto done;
	}
	if (st.st_size > TLS_PEM_MAX) {
		yyerror("%s %s: larger than %d bytes", what, path,
		    TLS_PEM_MAX);
		goto done;
	}
	if (secret && !tls_secrecy_ok(what, path, &st))
		goto done;
	/* A file that grew since fstat() is judged by its first bytes. */
	buf = xcalloc(1, st.st_size + 1);
	while (len < (size_t)st.st_size &&
	    (n = read(fd, buf + len, st.st_size - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			yyerror("%s %s: %s", what, path, strerror(errno));
			goto done;
		}
		len += n;
	}
	if (!pem_begins(buf, len)) {
		yyerror("%s %s: not PEM (no -----BEGIN line)", what, path);
		goto done;
	}
	ok = 1;
done:
	/* The key's bytes are no business of the parser's. */
	if (buf != NULL)
		freezero(buf, st.st_size + 1);
	close(fd);
	return (ok);
}

/*
 * check_file_secrecy(), as OpenBSD's daemons do it: a private key that
 * someone else owns, or others may read or replace, is no secret.
 */
static int
tls_secrecy_ok(const char *what, const char *path, const struct stat *st)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		if (geteuid() == 0)
			yyerror("%s %s is owned by uid %u, not by root", what,
			    path, (unsigned int)st->st_uid);
		else
			yyerror("%s %s is owned by uid %u, neither root nor "
			    "uid %u", what, path, (unsigned int)st->st_uid,
			    (unsigned int)geteuid());
		return (0);
	}
	return (mode_ok(what, path, st));
}

/* A secret gives group and other no access at all, not even execute. */
static int
mode_ok(const char *what, const char *path, const struct stat *st)
{
	if ((st->st_mode & (S_IRGRP | S_IROTH)) != 0) {
		yyerror("%s %s is readable by group or other (mode %04o)",
		    what, path, (unsigned int)(st->st_mode & 07777));
		return (0);
	}
	if ((st->st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		yyerror("%s %s is accessible by group or other (mode %04o)",
		    what, path, (unsigned int)(st->st_mode & 07777));
		return (0);
	}
	return (1);
}

/*
 * A line that starts a PEM block.  Not necessarily the first line:
 * "openssl x509 -text" and PKCS#12 exports put text before it, and
 * libtls skips that.  A DER file, or the wrong file, has none.
 */
static int
pem_begins(const char *buf, size_t len)
{
	static const char	 begin[] = "-----BEGIN ";
	const char		*p = buf, *end = buf + len, *nl;

	while (p < end) {
		if ((size_t)(end - p) >= sizeof(begin) - 1 &&
		    memcmp(p, begin, sizeof(begin) - 1) == 0)
			return (1);
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			break;
		p = nl + 1;
	}
	return (0);
}

/*
 * Every file is checked, so that one run names every problem.  The
 * statement replaces an earlier one whole: a chain left over from it
 * would not match the new certificate.
 */
static void
tls_files_set(const char *cert, const char *key, const char *ca)
{
	int	ok;

	ok = tls_file_ok("certificate file", cert, 0);
	ok &= tls_file_ok("key file", key, 1);
	if (ca != NULL)
		ok &= tls_file_ok("ca file", ca, 0);
	if (!ok) {
		tls_cert_failed = 1;
		return;
	}
	strlcpy(conf->tls_cert, cert, sizeof(conf->tls_cert));
	strlcpy(conf->tls_key, key, sizeof(conf->tls_key));
	strlcpy(conf->tls_ca, ca != NULL ? ca : "", sizeof(conf->tls_ca));
}

/* RFC 8997 deprecates TLS 1.0 and 1.1: pop3d never offers them. */
static void
tls_protocols_set(const char *s)
{
	uint32_t	protocols;

	if (!text_ok("tls protocols", s))
		return;
	if (strlen(s) >= sizeof(conf->tls_protocols)) {
		yyerror("tls protocols: longer than %zu characters",
		    sizeof(conf->tls_protocols) - 1);
		return;
	}
	if (tls_config_parse_protocols(&protocols, s) == -1) {
		yyerror("tls protocols \"%s\": not a libtls protocol list",
		    s);
		return;
	}
	if ((protocols & (TLS_PROTOCOL_TLSv1_0 | TLS_PROTOCOL_TLSv1_1)) != 0) {
		yyerror("tls protocols \"%s\" enables TLS 1.0 or 1.1, below "
		    "the TLS 1.2 minimum (RFC 8997)", s);
		return;
	}
	if (protocols == 0) {
		yyerror("tls protocols \"%s\" enables no protocol", s);
		return;
	}
	strlcpy(conf->tls_protocols, s, sizeof(conf->tls_protocols));
}

/* Only libtls knows what it accepts: ask it, on a context of our own. */
static void
tls_ciphers_set(const char *s)
{
	struct tls_config	*tc;

	if (!text_ok("tls ciphers", s))
		return;
	if (strlen(s) >= sizeof(conf->tls_ciphers)) {
		yyerror("tls ciphers: longer than %zu characters",
		    sizeof(conf->tls_ciphers) - 1);
		return;
	}
	if ((tc = tls_config_new()) == NULL) {
		yyerror("tls ciphers \"%s\": cannot check: libtls failed "
		    "to start", s);
		return;
	}
	if (tls_config_set_ciphers(tc, s) == -1)
		yyerror("tls ciphers \"%s\": %s", s, tls_config_error(tc));
	else
		strlcpy(conf->tls_ciphers, s, sizeof(conf->tls_ciphers));
	tls_config_free(tc);
}

/* Macro names as in the shell; keywords would be unusable in the file. */
static int
symname_ok(const char *name)
{
	const char	*p;

	if (name[0] == '\0' || isdigit((unsigned char)name[0]))
		return (0);
	for (p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return (0);
	return (lookup(name) == STRING);
}

static int
symset(const char *name, const char *value, int persist)
{
	struct sym	*sym;

	TAILQ_FOREACH(sym, &symhead, entry)
		if (strcmp(name, sym->name) == 0)
			break;
	if (sym != NULL) {
		/* -D overrides the file, never the other way round. */
		if (sym->persist && !persist)
			return (0);
		TAILQ_REMOVE(&symhead, sym, entry);
		free(sym->name);
		free(sym->value);
		free(sym->where);
		free(sym);
	}
	sym = xcalloc(1, sizeof(*sym));
	sym->name = xstrdup(name);
	sym->value = xstrdup(value);
	sym->persist = persist;
	if (!persist)
		xasprintf(&sym->where, "%s:%d", file->name, file->lineno);
	TAILQ_INSERT_TAIL(&symhead, sym, entry);
	return (0);
}

/* pop3d -D name=value; kept across reloads. */
int
cmdline_symset(char *s)
{
	char	*eq, *name;
	int	 ret = -1;

	if ((eq = strchr(s, '=')) == NULL)
		return (-1);
	name = xstrdup(s);
	name[eq - s] = '\0';
	if (symname_ok(name))
		ret = symset(name, eq + 1, 1);
	free(name);
	return (ret);
}

static char *
symget(const char *name)
{
	struct sym	*sym;

	TAILQ_FOREACH(sym, &symhead, entry) {
		if (strcmp(name, sym->name) == 0) {
			sym->used = 1;
			return (sym->value);
		}
	}
	return (NULL);
}

/* The file's macros die with the parse; -D ones live on. */
static void
symclean(int verbose)
{
	struct sym	*sym, *next;

	TAILQ_FOREACH_SAFE(sym, &symhead, entry, next) {
		if (verbose && !sym->used) {
			if (sym->where != NULL)
				log_warnx("%s: macro \"%s\" not used",
				    sym->where, sym->name);
			else
				log_warnx("-D %s: macro not used", sym->name);
		}
		sym->used = 0;
		if (sym->persist)
			continue;
		TAILQ_REMOVE(&symhead, sym, entry);
		free(sym->name);
		free(sym->value);
		free(sym->where);
		free(sym);
	}
}
