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
#include <sys/stat.h>


#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
%token	DEFAULT DENY EXPIRE FACILITY FAILURES FILE_KW FROM GRANT IDLE INCLUDE
%token	INET INET6 KEY LISTEN LOG LOGIN LOGIN_DELAY MAILDIR MAILDROP MAILUSER
%token	MAX MAX_COMMANDS MAX_SESSIONS MAX_SESSIONS_PER_SOURCE MAX_SIZE MBOX
%token	MIN_LENGTH MIN_UID NEVER NO NONE ON PENALTY PLAINTEXT_AUTH POPPASS PORT
%token	PROTOCOLS PROXY_PROTOCOL SENDMAIL SESSION_POOL SOCKET SOURCE_PREFIX
%token	STATE SYSLOG SYSTEM TIME TIMEOUT
%token	TLS TO TRUSTED_PROXY UIDL USERS X_UIDL XTND_XMIT YES
%token	ERROR
%token	<v.string>	STRING NUMBER
%type	<v.number>	yesno mdformat facility
%type	<v.string>	value tlsca minuid
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
			config_listen_begin();
		} listenopts {
			config_listen($3);
			free($3);
		}
		| TLS CERTIFICATE STRING KEY STRING tlsca {
			config_tls_files($3, $5, $6);
			free($3);
			free($5);
			free($6);
		}
		| TLS PROTOCOLS STRING {
			config_tls_protocols($3);
			free($3);
		}
		| TLS CIPHERS STRING {
			config_tls_ciphers($3);
			free($3);
		}
		| PLAINTEXT_AUTH yesno {
			conf->plaintext_auth = $2;
		}
		| PLAINTEXT_AUTH FROM value {
			config_plaintext_from($3);
			free($3);
		}
		| TRUSTED_PROXY value {
			config_trusted_proxy($2);
			free($2);
		}
		| USERS SYSTEM minuid {
			config_users_system($3);
			free($3);
		}
		| USERS FILE_KW STRING MAILUSER STRING {
			config_users_file($3, $5, 0, NULL);
			free($3);
			free($5);
		}
		| USERS FILE_KW STRING MAILUSER STRING MAILDROP mdformat
		    STRING {
			config_users_file($3, $5, $7, $8);
			free($3);
			free($5);
			free($8);
		}
		| APOP yesno {
			config_apop($2);
		}
		| POPPASS MIN_LENGTH NUMBER {
			config_number("poppass min-length", $3, 1,
			    POP3_PASS_MAX, &conf->poppass_min_length);
			free($3);
		}
		| ACCESS DEFAULT GRANT {
			conf->access_default = ACCESS_GRANT;
		}
		| ACCESS DEFAULT DENY {
			conf->access_default = ACCESS_DENY;
		}
		| ACCESS STATE STRING {
			config_access_state($3);
			free($3);
		}
		| GRANT value {
			config_access(ACCESS_GRANT, $2);
			free($2);
		}
		| DENY value {
			config_access(ACCESS_DENY, $2);
			free($2);
		}
		| AUTO_DENY yesno {
			conf->auto_deny = $2;
		}
		| MAX_COMMANDS NUMBER {
			config_number("max-commands", $2, 1,
			    MAX_COMMANDS_LIMIT, &conf->max_commands);
			free($2);
		}
		| PENALTY NONE {
			conf->penalty_failures = 0;
		}
		| PENALTY {
			config_penalty_begin();
		} penaltyopts {
			config_penalty();
		}
		| CONTROL SOCKET STRING {
			config_control_socket($3);
			free($3);
		}
		| XTND_XMIT NO {
			config_xmit(0);
		}
		| XTND_XMIT YES {
			config_xmit_begin();
		} xmitopts {
			config_xmit(1);
		}
		| MAILDROP mdformat STRING {
			config_maildrop($2, $3);
			free($3);
		}
		| UIDL X_UIDL yesno {
			conf->uidl_xuidl = $3;
		}
		| BANNER STRING {
			config_banner($2);
			free($2);
		}
		| LOG TO SYSLOG facility {
			if ($4 != -1) {
				conf->log_dest = LOG_TO_SYSLOG;
				conf->log_facility = $4;
			}
		}
		| LOG TO FILE_KW STRING {
			config_log_file($4);
			free($4);
		}
		| LOG TO NONE {
			conf->log_dest = LOG_TO_NONE;
		}
		| DEBUG yesno {
			conf->debug = $2;
		}
		| TIMEOUT IDLE NUMBER {
			config_timeout_idle($3);
			free($3);
		}
		| TIMEOUT LOGIN NUMBER {
			config_number("timeout login", $3, 1,
			    TIMEOUT_LOGIN_MAX, &conf->timeout_login);
			free($3);
		}
		| EXPIRE NUMBER {
			config_number("expire", $2, 0, EXPIRE_DAYS_MAX,
			    &conf->expire);
			free($2);
		}
		| EXPIRE NEVER {
			conf->expire = EXPIRE_NEVER;
		}
		| LOGIN_DELAY NUMBER {
			config_number("login-delay", $2, 0, LOGIN_DELAY_MAX,
			    &conf->login_delay);
			free($2);
		}
		| MAX_SESSIONS NUMBER {
			config_number("max-sessions", $2, 1,
			    MAX_SESSIONS_LIMIT, &conf->max_sessions);
			free($2);
		}
		| MAX_SESSIONS_PER_SOURCE NUMBER {
			config_max_per_source($2);
			free($2);
		}
		| SOURCE_PREFIX {
			config_source_prefix_begin();
		} prefixopts
		| SESSION_POOL NUMBER {
			config_number("session-pool", $2, 0,
			    SESSION_POOL_MAX, &conf->session_pool);
			free($2);
		}
		;

listenopts	: /* empty */
		| listenopts listenopt
		;

listenopt	: PORT NUMBER {
			config_listen_port($2);
			free($2);
		}
		| TLS {
			config_listen_tls();
		}
		| PLAINTEXT_AUTH yesno {
			config_listen_plaintext($2);
		}
		| POPPASS {
			config_listen_poppass();
		}
		| PROXY_PROTOCOL {
			config_listen_proxy();
		}
		;

/* Each at most once; what is not given takes its default. */
prefixopts	: prefixopt
		| prefixopts prefixopt
		;

prefixopt	: INET NUMBER {
			config_source_prefix(0, $2);
			free($2);
		}
		| INET6 NUMBER {
			config_source_prefix(1, $2);
			free($2);
		}
		;

/* Each at most once; what is not given takes its default. */
penaltyopts	: penaltyopt
		| penaltyopts penaltyopt
		;

penaltyopt	: FAILURES NUMBER {
			config_penalty_opt("failures", $2);
			free($2);
		}
		| TIME NUMBER {
			config_penalty_opt("time", $2);
			free($2);
		}
		| MAX NUMBER {
			config_penalty_opt("max", $2);
			free($2);
		}
		;

/* Each at most once; what is not given takes its default. */
xmitopts	: /* empty */
		| xmitopts xmitopt
		;

xmitopt		: SENDMAIL STRING {
			config_xmit_sendmail($2);
			free($2);
		}
		| MAX_SIZE value {
			config_xmit_size($2);
			free($2);
		}
		;

minuid		: /* empty */		{ $$ = NULL; }
		| MIN_UID NUMBER	{ $$ = $2; }
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

/* For config.c: an error in the statement being read. */
void
conf_error(const char *fmt, ...)
{
	va_list	 ap;

	file->errors++;
	va_start(ap, fmt);
	vwarn_at(fmt, ap);
	va_end(ap);
}

/* A warning: the configuration is still good. */
void
conf_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vwarn_at(fmt, ap);
	va_end(ap);
}

/* "file:line" of the statement being read, masked for the log. */
const char *
conf_where(void)
{
	static char	buf[PATH_MAX + 32];

	snprintf(buf, sizeof(buf), "%s:%d", file->name, file->lineno);
	mask_cntrl(buf);
	return (buf);
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
		{ "from",			FROM },
		{ "grant",			GRANT },
		{ "idle",			IDLE },
		{ "include",			INCLUDE },
		{ "inet",			INET },
		{ "inet6",			INET6 },
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
		{ "min-uid",			MIN_UID },
		{ "never",			NEVER },
		{ "no",				NO },
		{ "none",			NONE },
		{ "on",				ON },
		{ "penalty",			PENALTY },
		{ "plaintext-auth",		PLAINTEXT_AUTH },
		{ "poppass",			POPPASS },
		{ "port",			PORT },
		{ "protocols",			PROTOCOLS },
		{ "proxy-protocol",		PROXY_PROTOCOL },
		{ "sendmail",			SENDMAIL },
		{ "session-pool",		SESSION_POOL },
		{ "socket",			SOCKET },
		{ "source-prefix",		SOURCE_PREFIX },
		{ "state",			STATE },
		{ "syslog",			SYSLOG },
		{ "system",			SYSTEM },
		{ "time",			TIME },
		{ "timeout",			TIMEOUT },
		{ "tls",			TLS },
		{ "to",				TO },
		{ "trusted-proxy",		TRUSTED_PROXY },
		{ "uidl",			UIDL },
		{ "users",			USERS },
		{ "x-uidl",			X_UIDL },
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
	config_begin(conf);
	npushback = 0;
	lex_failed = 0;
	stmt_ntok = 0;

	if ((file = pushfile(filename, &why)) == NULL) {
		log_warnx("%s: %s", filename, why);
		config_end(filename, 1);
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
	errors += config_end(file->name, errors);
	popfile();
	free(stmt_word);
	stmt_word = NULL;
	symclean(verbose);

	if (errors) {
		config_free(conf);
		return (NULL);
	}
	return (conf);
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
