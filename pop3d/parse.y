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

#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
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
	int	plaintext_auth;	/* PLAINTEXT_AUTH_UNSET if not given */
	int	failed;		/* an option was refused: add nothing */
} lopts;

/*
 * "listen ... tls" statements, as "file:line: listen on ...", checked
 * against the tls certificate once the whole file is read.
 */
static char		**tls_listens;
static size_t		  ntls_listens;
static int		  tls_cert_failed;	/* don't blame the listeners */

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
static void		 tls_listens_free(void);
static int		 tls_path_ok(const char *, const char *);
static int		 tls_file_ok(const char *, const char *, int);
static int		 tls_secrecy_ok(const char *, const char *,
			    const struct stat *);
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

%token	BANNER CA CERTIFICATE CIPHERS DEBUG EXPIRE FACILITY FILE_KW IDLE
%token	INCLUDE KEY LISTEN LOG LOGIN LOGIN_DELAY MAILDIR MAILDROP MAX_SESSIONS
%token	MAX_SESSIONS_PER_SOURCE MBOX NEVER NO NONE ON PLAINTEXT_AUTH PORT
%token	PROTOCOLS SESSION_POOL SYSLOG SYSTEM TIMEOUT TLS TO USERS YES
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
			conf->users_system = 1;
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
		{ "banner",			BANNER },
		{ "ca",				CA },
		{ "certificate",		CERTIFICATE },
		{ "ciphers",			CIPHERS },
		{ "debug",			DEBUG },
		{ "expire",			EXPIRE },
		{ "facility",			FACILITY },
		{ "file",			FILE_KW },
		{ "idle",			IDLE },
		{ "include",			INCLUDE },
		{ "key",			KEY },
		{ "listen",			LISTEN },
		{ "log",			LOG },
		{ "login",			LOGIN },
		{ "login-delay",		LOGIN_DELAY },
		{ "maildir",			MAILDIR },
		{ "maildrop",			MAILDROP },
		{ "max-sessions",		MAX_SESSIONS },
		{ "max-sessions-per-source",	MAX_SESSIONS_PER_SOURCE },
		{ "mbox",			MBOX },
		{ "never",			NEVER },
		{ "no",				NO },
		{ "none",			NONE },
		{ "on",				ON },
		{ "plaintext-auth",		PLAINTEXT_AUTH },
		{ "port",			PORT },
		{ "protocols",			PROTOCOLS },
		{ "session-pool",		SESSION_POOL },
		{ "syslog",			SYSLOG },
		{ "system",			SYSTEM },
		{ "timeout",			TIMEOUT },
		{ "tls",			TLS },
		{ "to",				TO },
		{ "users",			USERS },
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
	free(persource_where);
	persource_where = NULL;
	tls_listens_free();
	tls_cert_failed = 0;
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
	tls_listens_free();
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
		for (i = 0; i < ntls_listens; i++) {
			log_warnx("%s: no tls certificate configured",
			    tls_listens[i]);
			errors++;
		}
	}
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
 * has its own default port; whether a certificate goes with it can
 * only be known at the end of the file.
 */
static void
listen_statement(const char *host)
{
	enum listen_kind	 kind;
	char			*where;
	int			 port;

	kind = lopts.tls ? LISTEN_POP3S : LISTEN_POP3;
	if ((port = lopts.port) == 0)
		port = lopts.tls ? POP3S_PORT : POP3_PORT;
	if (listen_add(host, port, kind, lopts.plaintext_auth) == -1 ||
	    !lopts.tls)
		return;
	xasprintf(&where, "%s:%d: listen on %s port %d tls", file->name,
	    file->lineno, host, port);
	mask_cntrl(where);
	tls_listens = xreallocarray(tls_listens, ntls_listens + 1,
	    sizeof(*tls_listens));
	tls_listens[ntls_listens++] = where;
}

static void
tls_listens_free(void)
{
	size_t	i;

	for (i = 0; i < ntls_listens; i++)
		free(tls_listens[i]);
	free(tls_listens);
	tls_listens = NULL;
	ntls_listens = 0;
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
 * The parent reads these files as root, at every start and reload, and
 * names them in errors: an absolute path of printable characters.
 */
static int
tls_path_ok(const char *what, const char *path)
{
	if (!text_ok(what, path))
		return (0);
	if (path[0] != '/') {
		yyerror("%s %s: not an absolute path", what, path);
		return (0);
	}
	if (strlen(path) >= PATH_MAX) {
		yyerror("%s: path longer than %d characters", what,
		    PATH_MAX - 1);
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

	if (!tls_path_ok(what, path))
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
