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
 * pop3ctl migrate uidl: the UIDLs another server showed a maildrop's
 * messages, written into pop3d's own UIDL list, so that a client that
 * leaves its mail on the server fetches nothing again after the switch.
 *
 * Each maildrop is done in a child of its own, which becomes the
 * maildrop's owner before it opens any file in it: the files read are
 * the user's, and the list is written as pop3d-store would write it.
 * The maildrop is indexed by the store's own code (store_ops scan), so
 * it is locked exactly as a session locks it; a session that holds it
 * makes the migration refuse.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <md5.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "pop3d.h"
#include "ctl.h"
#include "store.h"
#include "userdb.h"

#define DOVECOT_LIST		"dovecot-uidlist"
#define DOVECOT_FORMAT		"%08Xu%08Xv"
#define COURIER_LIST		"courierpop3dsizelist"

enum mig_source {
	SRC_DOVECOT,
	SRC_COURIER,
	SRC_XUIDL,
	SRC_POPA3D,
};

struct mig_opts {
	enum mig_source		 src;
	const char		*format;	/* dovecot: pop3_uidl_format */
	int			 dryrun;
	int			 verbose;
	const struct pop3d_conf	*conf;
};

/* A maildrop to migrate, as found before any privilege is dropped. */
struct mig_target {
	const char		*label;		/* USER or /path */
	char			 path[PATH_MAX];
	enum maildrop_format	 fmt;
	int			 checkuid;	/* USER: owner must be uid */
	uid_t			 uid;
	gid_t			 gid;
};

/* One message the source list names: its base name, its UIDL there. */
struct src_ent {
	char	*base;		/* one allocation with uidl */
	char	*uidl;
	size_t	 line;
};

struct src_list {
	const char	*file;
	struct src_ent	*ent;
	size_t		 n;
	size_t		 cap;
};

/* What became of each message. */
enum mig_state {
	M_NONE,		/* the source does not know it */
	M_SAME,		/* the source's UIDL is already pop3d's */
	M_NEW,		/* imported */
	M_BAD,		/* not a valid POP3 UIDL */
	M_DUP,		/* the source gives it to two messages */
	M_TAKEN,	/* pop3d gave it to another message */
};

struct mig_msg {
	const char	*src;		/* the source's UIDL, or NULL */
	char		*xuidl;		/* x-uidl, popa3d: from the message */
	enum mig_state	 state;
	size_t		 holder;	/* M_TAKEN: that message's index */
};

static int	mig_verbose;

/* The store's log lines: its warnings always, its notes with -v. */
static void
mig_log(int pri, const char *line)
{
	if (pri > LOG_WARNING && !mig_verbose)
		return;
	fprintf(stderr, "pop3ctl: %s\n", line);
}

static void
mig_usage(void)
{
	fprintf(stderr, "usage: pop3ctl [-f file] migrate uidl [-nv] "
	    "[-F format] dovecot|courier|x-uidl|popa3d USER|/path ...\n");
	exit(1);
}

/* A UIDL or name for the report: bytes a terminal could act on are '?'. */
static void
printable(const char *s, char *out, size_t sz)
{
	size_t	i;

	for (i = 0; s[i] != '\0' && i + 1 < sz; i++)
		out[i] = (s[i] >= 0x20 && s[i] <= 0x7e) ? s[i] : '?';
	out[i] = '\0';
}

/*
 * Dovecot's variable expansion, the part pop3_uidl_format can use:
 * "%[-][0][width][.[0][-]width][modifiers]variable".  A width pads
 * with zeros when it starts with 0 and cuts the value otherwise; the
 * number before a dot skips that many bytes (from the end if
 * negative).  X is the value as a number in lower-case hex, L and U
 * change case.  %m is refused: it is the MD5 of the header as Dovecot
 * reads it, which this side cannot reproduce byte for byte, and a UIDL
 * that is almost right makes a client fetch everything again.
 */
struct dvars {
	const char	*u;		/* UID */
	const char	*v;		/* UIDVALIDITY */
	const char	*f;		/* base file name */
	const char	*g;		/* GUID field, else the base name */
};

static const char *
dvar_long(const struct dvars *dv, const char *name, size_t len, char *c)
{
	static const struct {
		const char	*name;
		char		 c;
	} longs[] = {
		{ "uid", 'u' },
		{ "uidvalidity", 'v' },
		{ "filename", 'f' },
		{ "guid", 'g' },
		{ "md5", 'm' },
	};
	size_t	i;

	for (i = 0; i < nitems(longs); i++)
		if (strlen(longs[i].name) == len &&
		    memcmp(longs[i].name, name, len) == 0) {
			*c = longs[i].c;
			return ("");
		}
	return (NULL);
}

static const char *
dvar_value(const struct dvars *dv, char c)
{
	switch (c) {
	case 'u':
		return (dv->u);
	case 'v':
		return (dv->v);
	case 'f':
		return (dv->f);
	case 'g':
		return (dv->g);
	case '%':
		return ("%");
	}
	return (NULL);
}

static int
dmodify(char mod, const char *in, char *out, size_t sz)
{
	unsigned long long	 v = 0;
	char			*end;
	size_t			 i;

	if (mod == 'X') {
		errno = 0;
		v = strtoull(in, &end, 10);
		if (in[0] < '0' || in[0] > '9' || *end != '\0' ||
		    errno != 0)
			v = 0;
		(void)snprintf(out, sz, "%llx", v);
		return (0);
	}
	strlcpy(out, in, sz);
	for (i = 0; out[i] != '\0'; i++)
		out[i] = mod == 'L' ? tolower((unsigned char)out[i]) :
		    toupper((unsigned char)out[i]);
	return (0);
}

static int
dpad(char *out, size_t sz, size_t *n, const char *var, int width,
    int zero)
{
	size_t	len = strlen(var), take = len;

	if (width > 0 && zero)
		for (; (size_t)width > len; width--) {
			if (*n + 1 >= sz)
				return (-1);
			out[(*n)++] = '0';
		}
	else if (width > 0 && (size_t)width < len)
		take = width;
	if (*n + take >= sz)
		return (-1);
	memcpy(out + *n, var, take);
	*n += take;
	out[*n] = '\0';
	return (0);
}

/* What comes between % and the variable. */
struct dspec {
	int	zero;
	int	width;
	int	offset;
	int	nmods;
	char	mods[10];
};

static int
dnumber(const char **pp)
{
	const char	*p = *pp;
	int		 v = 0;

	/* Past UIDL_MAX a width means nothing more. */
	for (; *p >= '0' && *p <= '9'; p++)
		if (v < 1000)
			v = v * 10 + (*p - '0');
	*pp = p;
	return (v);
}

/* "[-][0][width][.[0][-]width][modifiers]", as Dovecot reads it. */
static int
dspec_parse(const char **pp, struct dspec *ds, char *err, size_t errsz)
{
	const char	*p = *pp;
	int		 sign = 1;

	memset(ds, 0, sizeof(*ds));
	if (*p == '-') {
		sign = -1;
		p++;
	}
	if (*p == '0') {
		ds->zero = 1;
		p++;
	}
	ds->width = dnumber(&p);
	if (*p == '.') {
		/* The number before the dot was the offset. */
		ds->offset = sign * ds->width;
		sign = 1;
		ds->zero = 0;
		p++;
		if (*p == '0') {
			ds->zero = 1;
			p++;
		}
		if (*p == '-') {
			sign = -1;
			p++;
		}
		ds->width = sign * dnumber(&p);
	}
	for (; *p != '\0' && strchr("LUXERHNMDT", *p) != NULL; p++) {
		if (strchr("LUX", *p) == NULL) {
			snprintf(err, errsz, "modifier %c is not supported "
			    "(only X, L and U)", *p);
			return (-1);
		}
		if (ds->nmods == (int)sizeof(ds->mods)) {
			snprintf(err, errsz, "too many modifiers");
			return (-1);
		}
		ds->mods[ds->nmods++] = *p;
	}
	*pp = p;
	return (0);
}

/* The variable at *pp, short or %{long}; NULL (err set) if unknown. */
static const char *
dvar_parse(const char **pp, const struct dvars *dv, char *err,
    size_t errsz)
{
	const char	*p = *pp, *close, *var;
	size_t		 len;
	char		 c;

	if (*p == '\0') {
		snprintf(err, errsz, "the format ends in the middle of a "
		    "variable");
		return (NULL);
	}
	if (*p == '{') {
		if ((close = strchr(p, '}')) == NULL ||
		    dvar_long(dv, p + 1, close - p - 1, &c) == NULL) {
			len = close != NULL ? (size_t)(close - p - 1) :
			    strlen(p + 1);
			snprintf(err, errsz, "unknown variable %%{%.*s}",
			    (int)(len > 40 ? 40 : len), p + 1);
			return (NULL);
		}
		p = close;
	} else
		c = *p;
	if (c == 'm') {
		snprintf(err, errsz, "%%m (Dovecot's MD5 of the header) is "
		    "not supported: it cannot be computed exactly here");
		return (NULL);
	}
	if ((var = dvar_value(dv, c)) == NULL) {
		snprintf(err, errsz, "unknown variable %%%c (known: %%u %%v "
		    "%%f %%g)", isprint((unsigned char)c) ? c : '?');
		return (NULL);
	}
	*pp = p + 1;
	return (var);
}

/* The modifiers in their order, the offset, then the width. */
static int
dspec_apply(const struct dspec *ds, const char *value, char *out,
    size_t sz, size_t *n)
{
	char		 a[MIGRATE_LINE_MAX], b[MIGRATE_LINE_MAX];
	const char	*var;
	size_t		 len;
	int		 i, width = ds->width;

	strlcpy(a, value, sizeof(a));
	for (i = 0; i < ds->nmods; i++) {
		(void)dmodify(ds->mods[i], a, b, sizeof(b));
		strlcpy(a, b, sizeof(a));
	}
	var = a;
	len = strlen(var);
	if (ds->offset < 0 && len > (size_t)-ds->offset)
		var += len + ds->offset;
	else if (ds->offset > 0)
		var += (size_t)ds->offset < len ? (size_t)ds->offset : len;
	if (width < 0 && !ds->zero) {
		/* All but the last -width bytes. */
		len = strlen(var);
		width = len > (size_t)-width ? (int)(len + width) : 0;
		if (width == 0)
			var = "";
	}
	return (dpad(out, sz, n, var, width, ds->zero));
}

/* One "%..." at *fmtp (past the %). */
static int
dexpand_one(const char **fmtp, const struct dvars *dv, char *out,
    size_t sz, size_t *n, char *err, size_t errsz)
{
	struct dspec	 ds;
	const char	*var;

	if (dspec_parse(fmtp, &ds, err, errsz) == -1 ||
	    (var = dvar_parse(fmtp, dv, err, errsz)) == NULL)
		return (-1);
	if (dspec_apply(&ds, var, out, sz, n) == -1) {
		snprintf(err, errsz, "the format makes too long a UIDL");
		return (-1);
	}
	return (0);
}

static int
dexpand(const char *fmt, const struct dvars *dv, char *out, size_t sz,
    char *err, size_t errsz)
{
	size_t	n = 0;

	out[0] = '\0';
	while (*fmt != '\0') {
		if (*fmt != '%') {
			if (n + 1 >= sz) {
				snprintf(err, errsz, "the format makes too "
				    "long a UIDL");
				return (-1);
			}
			out[n++] = *fmt++;
			out[n] = '\0';
			continue;
		}
		fmt++;
		if (dexpand_one(&fmt, dv, out, sz, &n, err, errsz) == -1)
			return (-1);
	}
	return (0);
}

/* The format is checked once, before any maildrop is touched. */
static void
dformat_check(const char *fmt)
{
	struct dvars	dv = { "1", "1", "1.M1P1.host", "1.M1P1.host" };
	char		out[MIGRATE_LINE_MAX], err[256];

	if (strlen(fmt) > MIGRATE_FORMAT_MAX)
		errx(1, "-F: format longer than %d bytes", MIGRATE_FORMAT_MAX);
	if (dexpand(fmt, &dv, out, sizeof(out), err, sizeof(err)) == -1)
		errx(1, "-F %s: %s", fmt, err);
}

static void
src_add(struct src_list *sl, const char *base, size_t blen,
    const char *uidl, size_t line)
{
	struct src_ent	*e;
	size_t		 ulen = strlen(uidl);

	if (sl->n == sl->cap) {
		sl->cap = sl->cap ? sl->cap * 2 : 256;
		sl->ent = xreallocarray(sl->ent, sl->cap, sizeof(*sl->ent));
	}
	e = &sl->ent[sl->n++];
	e->base = xreallocarray(NULL, 1, blen + 1 + ulen + 1);
	memcpy(e->base, base, blen);
	e->base[blen] = '\0';
	e->uidl = e->base + blen + 1;
	memcpy(e->uidl, uidl, ulen + 1);
	e->line = line;
}

static void
src_free(struct src_list *sl)
{
	size_t	i;

	for (i = 0; i < sl->n; i++)
		free(sl->ent[i].base);
	free(sl->ent);
	sl->ent = NULL;
	sl->n = sl->cap = 0;
}

static int
src_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct src_ent *)a)->base,
	    ((const struct src_ent *)b)->base));
}

/* Sorted by base name; a name listed twice is damage. */
static int
src_sort(struct src_list *sl)
{
	size_t	i;

	qsort(sl->ent, sl->n, sizeof(*sl->ent), src_cmp);
	for (i = 1; i < sl->n; i++)
		if (strcmp(sl->ent[i - 1].base, sl->ent[i].base) == 0) {
			warnx("%s:%zu: message listed again (line %zu)",
			    sl->file, sl->ent[i].line > sl->ent[i - 1].line ?
			    sl->ent[i].line : sl->ent[i - 1].line,
			    sl->ent[i].line > sl->ent[i - 1].line ?
			    sl->ent[i - 1].line : sl->ent[i].line);
			return (-1);
		}
	return (0);
}

static const char *
src_find(const struct src_list *sl, const char *name, size_t len)
{
	size_t	lo = 0, hi = sl->n, mid;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strncmp(sl->ent[mid].base, name, len);
		if (c == 0 && sl->ent[mid].base[len] != '\0')
			c = 1;
		if (c == 0)
			return (sl->ent[mid].uidl);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (NULL);
}

/*
 * The source list in the Maildir, opened as the owner without
 * following a link: a link the user made could point us at anything
 * the user may read, which is no harm, but is not the list.
 */
static FILE *
src_open(int dirfd, const char *name)
{
	struct stat	 sb;
	FILE		*fp;
	int		 fd;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1) {
		if (errno == ELOOP)
			warnx("%s: a symbolic link, refused", name);
		else
			warn("%s", name);
		return (NULL);
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		warnx("%s: not a regular file, refused", name);
		close(fd);
		return (NULL);
	}
	if ((fp = fdopen(fd, "r")) == NULL)
		err(1, "fdopen");
	return (fp);
}

/*
 * One line into buf, without its newline; 0 at the end, -1 (reported)
 * for a line too long or a read error.
 */
static int
src_line(FILE *fp, const char *file, size_t line, char *buf, size_t sz)
{
	size_t	len;

	if (fgets(buf, sz, fp) == NULL) {
		if (ferror(fp)) {
			warn("%s", file);
			return (-1);
		}
		return (0);
	}
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	else if (len == sz - 1) {
		warnx("%s:%zu: line longer than %d bytes", file, line,
		    MIGRATE_LINE_MAX);
		return (-1);
	} else if (!feof(fp)) {
		/* fgets(3) went on to the newline after a NUL. */
		warnx("%s:%zu: NUL byte in a line", file, line);
		return (-1);
	}
	return (1);
}

/*
 * A source list's lines: first(), for its header line, and line(), for
 * each entry, return 0 or -1 for a line that is not right (said with
 * file:line).  -1 for a list that cannot be read, is damaged or empty,
 * or names too many messages: nothing is imported from it then.
 */
typedef int	(*src_fn)(struct src_list *, char *, size_t, void *);

static int
src_read(int dirfd, const char *file, struct src_list *sl, src_fn first,
    src_fn line, void *arg)
{
	FILE	*fp;
	char	 buf[MIGRATE_LINE_MAX];
	size_t	 lineno = 0;
	int	 rc, bad = 0;

	sl->file = file;
	if ((fp = src_open(dirfd, file)) == NULL)
		return (-1);
	while (!bad && (rc = src_line(fp, file, ++lineno, buf,
	    sizeof(buf))) == 1) {
		if (lineno == 1)
			bad = first(sl, buf, lineno, arg) == -1;
		else if (sl->n >= MIGRATE_ENTRIES_MAX) {
			warnx("%s:%zu: more than %u messages", file, lineno,
			    MIGRATE_ENTRIES_MAX);
			bad = 1;
		} else
			bad = line(sl, buf, lineno, arg) == -1;
	}
	fclose(fp);
	if (!bad && rc == 0 && lineno == 1) {
		warnx("%s: empty", file);
		bad = 1;
	}
	if (bad || rc == -1 || src_sort(sl) == -1)
		return (-1);
	return (0);
}

/* "3 V<uidvalidity> N<nextuid> ...": the UIDVALIDITY, in decimal. */
static int
dovecot_header(const char *file, char *line, char *uidv, size_t sz)
{
	char		*tok, *last;
	uint64_t	 v;
	int		 first = 1, seen = 0;

	for (tok = strtok_r(line, " ", &last); tok != NULL;
	    tok = strtok_r(NULL, " ", &last)) {
		if (first) {
			if (strcmp(tok, "3") != 0) {
				warnx("%s:1: version %.20s: only version 3 "
				    "is read", file, tok);
				return (-1);
			}
			first = 0;
			continue;
		}
		if (tok[0] == 'V') {
			if (ulist_u64(tok + 1, tok + strlen(tok), &v) == -1) {
				warnx("%s:1: bad UIDVALIDITY", file);
				return (-1);
			}
			(void)snprintf(uidv, sz, "%" PRIu64, v);
			seen = 1;
		}
	}
	if (first || !seen) {
		warnx("%s:1: not a version 3 header with a UIDVALIDITY",
		    file);
		return (-1);
	}
	return (0);
}

/*
 * "<uid> [<key><value> ...] :<file name>": the saved POP3 UIDL (P)
 * if the line has one, else the format expanded for it.
 */
static int
dovecot_entry(struct src_list *sl, const struct mig_opts *mo,
    const char *uidv, char *line, size_t lineno)
{
	struct dvars	 dv;
	char		*name, *p, *sp, *saved = NULL, *guid = NULL;
	char		 uid[32], fbase[NAME_MAX + 1], out[MIGRATE_LINE_MAX];
	char		 err[256];
	uint64_t	 v;
	size_t		 blen;

	if ((name = strstr(line, " :")) == NULL || name[2] == '\0') {
		warnx("%s:%zu: no file name", sl->file, lineno);
		return (-1);
	}
	*name = '\0';
	name += 2;
	if ((sp = strchr(line, ' ')) == NULL)
		sp = line + strlen(line);
	if (ulist_u64(line, sp, &v) == -1 || v == 0 || v > UINT32_MAX) {
		warnx("%s:%zu: bad UID", sl->file, lineno);
		return (-1);
	}
	(void)snprintf(uid, sizeof(uid), "%" PRIu64, v);
	for (p = sp; *p != '\0'; p = sp) {
		p += strspn(p, " ");
		if (*p == '\0')
			break;
		if ((sp = strchr(p, ' ')) == NULL)
			sp = p + strlen(p);
		else
			*sp++ = '\0';
		if (*p == 'P')
			saved = p + 1;
		else if (*p == 'G')
			guid = p + 1;
	}
	blen = strcspn(name, ":");
	if (strchr(name, '/') != NULL || blen == 0 || blen > NAME_MAX) {
		warnx("%s:%zu: bad file name", sl->file, lineno);
		return (-1);
	}
	memcpy(fbase, name, blen);
	fbase[blen] = '\0';
	if (saved != NULL && *saved != '\0')
		strlcpy(out, saved, sizeof(out));
	else {
		dv.u = uid;
		dv.v = uidv;
		dv.f = fbase;
		dv.g = guid != NULL && *guid != '\0' ? guid : fbase;
		if (dexpand(mo->format, &dv, out, sizeof(out), err,
		    sizeof(err)) == -1) {
			warnx("%s:%zu: %s", sl->file, lineno, err);
			return (-1);
		}
	}
	src_add(sl, name, maildir_baselen(name), out, lineno);
	return (0);
}

/* What Dovecot's lines need: the -F format, and the list's UIDVALIDITY. */
struct dovecot_ctx {
	const struct mig_opts	*mo;
	char			 uidv[32];
};

static int
dovecot_first(struct src_list *sl, char *line, size_t lineno, void *arg)
{
	struct dovecot_ctx	*dc = arg;

	return (dovecot_header(sl->file, line, dc->uidv, sizeof(dc->uidv)));
}

static int
dovecot_line(struct src_list *sl, char *line, size_t lineno, void *arg)
{
	struct dovecot_ctx	*dc = arg;

	return (dovecot_entry(sl, dc->mo, dc->uidv, line, lineno));
}

static int
dovecot_read(int dirfd, const struct mig_opts *mo, struct src_list *sl)
{
	struct dovecot_ctx	dc;

	memset(&dc, 0, sizeof(dc));
	dc.mo = mo;
	return (src_read(dirfd, DOVECOT_LIST, sl, dovecot_first,
	    dovecot_line, &dc));
}

/*
 * Courier's UIDL for a list entry: UID<n>-<uidv>, UID<n> without a
 * UIDVALIDITY, and for n = 0 the base name with what a UIDL may not
 * hold (and ' " +) written +XX.
 */
static void
courier_uidl(const char *name, uint64_t n, uint64_t uidv, char *out,
    size_t sz)
{
	size_t	o = 0;

	if (n != 0) {
		if (uidv != 0)
			(void)snprintf(out, sz, "UID%" PRIu64 "-%" PRIu64, n,
			    uidv);
		else
			(void)snprintf(out, sz, "UID%" PRIu64, n);
		return;
	}
	for (; *name != '\0' && *name != ':' && o + 4 < sz; name++) {
		if (*name < 0x21 || *name > 0x7e || *name == '\'' ||
		    *name == '"' || *name == '+')
			o += snprintf(out + o, sz - o, "+%02X",
			    (unsigned char)*name);
		else
			out[o++] = *name;
	}
	out[o] = '\0';
}

/* "<file name> <size> <n>:<uidv>[:<utf8>]", split at the last spaces. */
static int
courier_entry(struct src_list *sl, char *line, size_t lineno)
{
	char		*sp1, *sp2, *c1, *c2, *end, out[MIGRATE_LINE_MAX];
	uint64_t	 size, n, uidv, utf8;

	if ((sp2 = strrchr(line, ' ')) == NULL || sp2 == line)
		goto bad;
	*sp2 = '\0';
	if ((sp1 = strrchr(line, ' ')) == NULL || sp1 == line)
		goto bad;
	*sp1 = '\0';
	end = sp2 + 1 + strlen(sp2 + 1);
	if (ulist_u64(sp1 + 1, sp2, &size) == -1 ||
	    (c1 = strchr(sp2 + 1, ':')) == NULL ||
	    ulist_u64(sp2 + 1, c1, &n) == -1)
		goto bad;
	if ((c2 = strchr(c1 + 1, ':')) == NULL)
		c2 = end;
	if (ulist_u64(c1 + 1, c2, &uidv) == -1 ||
	    (c2 != end && ulist_u64(c2 + 1, end, &utf8) == -1))
		goto bad;
	if (strchr(line, '/') != NULL || maildir_baselen(line) > NAME_MAX)
		goto bad;
	courier_uidl(line, n, uidv, out, sizeof(out));
	src_add(sl, line, maildir_baselen(line), out, lineno);
	return (0);
 bad:
	warnx("%s:%zu: not \"name size uid:uidvalidity\"", sl->file,
	    lineno);
	return (-1);
}

/* "/2 <n>" or "/3 <n>": the versions whose lines are read here. */
static int
courier_first(struct src_list *sl, char *line, size_t lineno, void *arg)
{
	char		*sp;
	uint64_t	 v;

	if ((sp = strchr(line, ' ')) == NULL ||
	    (strncmp(line, "/2 ", 3) != 0 && strncmp(line, "/3 ", 3) != 0) ||
	    ulist_u64(sp + 1, sp + strcspn(sp + 1, " ") + 1, &v) == -1) {
		warnx("%s:1: not a version 2 or 3 header", sl->file);
		return (-1);
	}
	return (0);
}

static int
courier_line(struct src_list *sl, char *line, size_t lineno, void *arg)
{
	return (courier_entry(sl, line, lineno));
}

static int
courier_read(int dirfd, struct src_list *sl)
{
	return (src_read(dirfd, COURIER_LIST, sl, courier_first, courier_line,
	    NULL));
}

/*
 * The start of a message, up to MIGRATE_HEADER_MAX bytes and NUL
 * ended, in *bufp; its length, or -1 if it cannot be read.  *whole says
 * the whole message is there.
 */
static ssize_t
head_read(struct maildrop *md, struct smsg *m, char **bufp, int *whole)
{
	uint64_t	 off, len;
	ssize_t		 n;
	int		 fd;

	if ((fd = md->ops->open(md, m, &off, &len)) == -1)
		return (-1);
	*whole = len <= MIGRATE_HEADER_MAX;
	if (!*whole)
		len = MIGRATE_HEADER_MAX;
	*bufp = xcalloc(1, len + 1);
	n = pread(fd, *bufp, len, off);
	close(fd);
	if (n < 0) {
		free(*bufp);
		return (-1);
	}
	if ((uint64_t)n < len)
		*whole = 1;
	(*bufp)[n] = '\0';
	return (n);
}

/*
 * The message's first X-UIDL header, as Qpopper and others wrote it,
 * from its first MIGRATE_HEADER_MAX bytes; "" for a header that is
 * there but empty (not a UIDL, so a conflict), NULL for none.
 */
static char *
xuidl_read(struct maildrop *md, struct smsg *m)
{
	char		*buf, *p, *nl, *v, *e, *res = NULL;
	int		 whole;

	if (head_read(md, m, &buf, &whole) == -1)
		return (NULL);
	/* Up to the blank line that ends the header. */
	for (p = buf; *p != '\n' && strncmp(p, "\r\n", 2) != 0;
	    p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		if (strncasecmp(p, "X-UIDL:", 7) != 0)
			continue;
		for (v = p + 7; v < nl && (*v == ' ' || *v == '\t'); v++)
			;
		for (e = nl; e > v && (e[-1] == '\r' || e[-1] == ' ' ||
		    e[-1] == '\t'); e--)
			;
		res = xreallocarray(NULL, 1, e - v + 1);
		memcpy(res, v, e - v);
		res[e - v] = '\0';
		break;
	}
	free(buf);
	return (res);
}

static int
head_is(const char *p, size_t n, const char *name)
{
	size_t	len = strlen(name);

	return (n >= len && strncasecmp(p, name, len) == 0);
}

/*
 * Whether popa3d hashes a header line (the start of one): the first
 * Received: (one from the local MTA is enough, the rest come from
 * elsewhere), every Delivered-To:, Date: and Message-ID: above the
 * first Received:, and X-Delivery-ID: with a capital X, as popa3d
 * matches it.  Names match without case otherwise.
 */
static int
popa3d_fixed(const char *p, size_t n, int *received)
{
	switch (p[0]) {
	case 'R':
	case 'r':
		if (*received)
			return (0);
		return (*received = head_is(p, n, "Received:"));
	case 'D':
	case 'd':
		return (head_is(p, n, "Delivered-To:") ||
		    (!*received && head_is(p, n, "Date:")));
	case 'M':
	case 'm':
		return (!*received && head_is(p, n, "Message-ID:"));
	case 'X':
		return (head_is(p, n, "X-Delivery-ID:"));
	}
	return (0);
}

/*
 * popa3d's UIDL of an mbox message: MD5 over the header lines it holds
 * fixed whatever mail readers rewrite, each with its LF, a folded line
 * going with the line it continues; the header ends at an empty line.
 * The UIDL is the digest's first eight bytes read as two little-endian
 * 32-bit words, in lower-case hex.  NULL for a message that cannot be
 * read, or whose header does not end within MIGRATE_HEADER_MAX bytes.
 */
static char *
popa3d_read(struct maildrop *md, struct smsg *m)
{
	static const int	 order[] = { 3, 2, 1, 0, 7, 6, 5, 4 };
	MD5_CTX			 ctx;
	unsigned char		 d[MD5_DIGEST_LENGTH];
	char			*buf, *p, *end, *nl, *res;
	size_t			 i, n;
	ssize_t			 len;
	int			 whole, fixed = 0, received = 0;

	if ((len = head_read(md, m, &buf, &whole)) == -1)
		return (NULL);
	MD5Init(&ctx);
	for (p = buf, end = buf + len; p < end && *p != '\n'; p += n) {
		nl = memchr(p, '\n', end - p);
		n = nl != NULL ? (size_t)(nl + 1 - p) : (size_t)(end - p);
		if (*p != ' ' && *p != '\t')
			fixed = popa3d_fixed(p, n, &received);
		if (fixed)
			MD5Update(&ctx, (unsigned char *)p, n);
	}
	free(buf);
	MD5Final(d, &ctx);
	if (p == end && !whole)
		return (NULL);
	res = xcalloc(1, sizeof(order) / sizeof(order[0]) * 2 + 1);
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		(void)snprintf(res + i * 2, 3, "%02x", d[order[i]]);
	return (res);
}

/* Sorting message indexes by a string of theirs. */
static const char	**sort_keys;

static int
key_cmp(const void *a, const void *b)
{
	size_t	ia = *(const size_t *)a, ib = *(const size_t *)b;

	return (strcmp(sort_keys[ia], sort_keys[ib]));
}

static size_t *
sorted_by(const char **keys, size_t n, size_t *count)
{
	size_t	*idx, i, k = 0;

	idx = xcalloc(n ? n : 1, sizeof(*idx));
	for (i = 0; i < n; i++)
		if (keys[i] != NULL)
			idx[k++] = i;
	sort_keys = keys;
	qsort(idx, k, sizeof(*idx), key_cmp);
	*count = k;
	return (idx);
}

/*
 * Decide each message: a source UIDL is imported unless it is not a
 * UIDL, the source gives it to another message too, or pop3d already
 * gave it to another message.  Every such message keeps its own, so
 * the UIDLs stay unique.
 */
static void
mig_decide(struct maildrop *md, struct mig_msg *mm)
{
	const char	**keys;
	size_t		 *idx, k, i, j, lo, hi, mid;
	int		  c;

	keys = xcalloc(md->nmsgs ? md->nmsgs : 1, sizeof(*keys));
	for (i = 0; i < md->nmsgs; i++) {
		mm[i].state = M_NONE;
		if (mm[i].src == NULL)
			continue;
		if (!uidl_valid(mm[i].src, strlen(mm[i].src)))
			mm[i].state = M_BAD;
		else
			keys[i] = mm[i].src;
	}
	idx = sorted_by(keys, md->nmsgs, &k);
	for (i = 0; i < k; i = j) {
		for (j = i + 1; j < k && strcmp(keys[idx[i]],
		    keys[idx[j]]) == 0; j++)
			mm[idx[j]].state = M_DUP;
		if (j > i + 1)
			mm[idx[i]].state = M_DUP;
	}
	free(idx);
	for (i = 0; i < md->nmsgs; i++)
		keys[i] = md->msgs[i].uidl;
	idx = sorted_by(keys, md->nmsgs, &k);
	for (i = 0; i < md->nmsgs; i++) {
		if (mm[i].src == NULL || mm[i].state != M_NONE)
			continue;
		mm[i].state = M_NEW;
		for (lo = 0, hi = k; lo < hi; ) {
			mid = lo + (hi - lo) / 2;
			if ((c = strcmp(keys[idx[mid]], mm[i].src)) == 0) {
				if (idx[mid] == i)
					mm[i].state = M_SAME;
				else {
					mm[i].state = M_TAKEN;
					mm[i].holder = idx[mid];
				}
				break;
			}
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	free(idx);
	free(keys);
}

/* No two messages with one UIDL: checked again before anything is written. */
static int
mig_unique(struct maildrop *md)
{
	const char	**keys;
	size_t		 *idx, k, i;
	int		  ok = 1;

	keys = xcalloc(md->nmsgs ? md->nmsgs : 1, sizeof(*keys));
	for (i = 0; i < md->nmsgs; i++)
		keys[i] = md->msgs[i].uidl;
	idx = sorted_by(keys, md->nmsgs, &k);
	for (i = 1; i < k; i++)
		if (strcmp(keys[idx[i - 1]], keys[idx[i]]) == 0)
			ok = 0;
	free(idx);
	free(keys);
	return (ok);
}

static void
mig_name(struct maildrop *md, size_t i, char *buf, size_t sz)
{
	char	p[NAME_MAX + 1];

	if (md->ops == &maildir_ops) {
		printable(md->msgs[i].name, p, sizeof(p));
		(void)snprintf(buf, sz, "message %zu (cur/%s)", i + 1, p);
	} else
		(void)snprintf(buf, sz, "message %zu", i + 1);
}

/* One line per message with -v; conflicts always. */
static void
mig_report(struct maildrop *md, struct mig_msg *mm, size_t i,
    const struct mig_opts *mo)
{
	char	name[NAME_MAX + 64], src[MIGRATE_LINE_MAX], old[UIDL_MAX + 1];

	mig_name(md, i, name, sizeof(name));
	if (mm[i].src != NULL)
		printable(mm[i].src, src, sizeof(src));
	strlcpy(old, md->msgs[i].uidl, sizeof(old));
	switch (mm[i].state) {
	case M_NONE:
		if (mo->verbose)
			printf("%s: not in the source, keeps %s\n", name, old);
		break;
	case M_SAME:
		if (mo->verbose)
			printf("%s: already %s\n", name, old);
		break;
	case M_NEW:
		if (mo->verbose)
			printf("%s: %s -> %s\n", name, old, src);
		break;
	case M_BAD:
		printf("%s: conflict: \"%.80s\" is not a POP3 UIDL (1 to %d "
		    "of 0x21-0x7E), keeps %s\n", name, src, UIDL_MAX, old);
		break;
	case M_DUP:
		printf("%s: conflict: the source gives %s to more than one "
		    "message, keeps %s\n", name, src, old);
		break;
	case M_TAKEN:
		printf("%s: conflict: %s is already the UIDL of message "
		    "%zu, keeps %s\n", name, src, mm[i].holder + 1, old);
		break;
	}
}

/* Under the maildrop's lock, as the store writes it (ulist_write). */
static int
mig_write(struct maildrop *md)
{
	char		name[NAME_MAX + 1], tmp[NAME_MAX + 1];
	struct ulist	hdr;
	size_t		left;

	memset(&hdr, 0, sizeof(hdr));
	hdr.next = md->ulnext;
	hdr.epoch = md->ulepoch;
	if (hdr.next == 0 || hdr.epoch == 0) {
		warnx("no UIDL counter after the scan; nothing written");
		return (-1);
	}
	if (md->ops == &maildir_ops) {
		strlcpy(name, ULIST_NAME, sizeof(name));
		strlcpy(tmp, ULIST_NAME ".XXXXXX", sizeof(tmp));
	} else if (!md->ulok ||
	    (size_t)snprintf(name, sizeof(name), ".%s%s", md->name,
	    ULIST_SUFFIX) >= sizeof(name) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", name) >=
	    sizeof(tmp)) {
		warnx("%s: no UIDL list can be kept beside it", md->name);
		return (-1);
	}
	/*
	 * The header names no cur/, so the next login reads cur/ again
	 * and takes each message's UIDL from its line.
	 */
	if (ulist_write(md->dirfd, name, tmp, &hdr, md->msgs, md->nmsgs, 0,
	    &left) == -1)
		return (-1);
	if (left > 0)
		warnx("%zu messages whose names cannot be listed keep no "
		    "UIDL", left);
	return (0);
}

/* The source, scanned maildrop, decisions, report, write. */
static int
mig_apply(struct maildrop *md, const struct src_list *sl,
    const struct mig_opts *mo, const char *label)
{
	struct mig_msg	*mm;
	size_t		 i, imported = 0, kept = 0, conflicts = 0, changed = 0;
	int		 rc = 0;

	mm = xcalloc(md->nmsgs ? md->nmsgs : 1, sizeof(*mm));
	for (i = 0; i < md->nmsgs; i++) {
		if (mo->src == SRC_XUIDL)
			mm[i].src = mm[i].xuidl = xuidl_read(md,
			    &md->msgs[i]);
		else if (mo->src == SRC_POPA3D)
			mm[i].src = mm[i].xuidl = popa3d_read(md,
			    &md->msgs[i]);
		else
			mm[i].src = src_find(sl, md->msgs[i].name,
			    md->msgs[i].baselen);
	}
	mig_decide(md, mm);
	for (i = 0; i < md->nmsgs; i++) {
		mig_report(md, mm, i, mo);
		if (mm[i].state == M_NEW) {
			strlcpy(md->msgs[i].uidl, mm[i].src,
			    sizeof(md->msgs[i].uidl));
			changed++;
		}
		if (mm[i].state == M_NEW || mm[i].state == M_SAME)
			imported++;
		else if (mm[i].state == M_NONE)
			kept++;
		else
			conflicts++;
	}
	if (!mig_unique(md)) {
		warnx("%s: the UIDLs would not be unique; nothing written",
		    label);
		rc = -1;
	} else if (changed > 0 && !mo->dryrun && mig_write(md) == -1) {
		warnx("%s: the UIDL list could not be written", label);
		rc = -1;
	}
	printf("%s: imported %zu, kept %zu, conflicts %zu%s\n", label,
	    imported, kept, conflicts, mo->dryrun ? " (dry run, nothing "
	    "written)" : rc == -1 ? " (nothing written)" : changed == 0 ?
	    " (nothing to change)" : "");
	for (i = 0; i < md->nmsgs; i++)
		free(mm[i].xuidl);
	free(mm);
	return (rc);
}

/*
 * The owner's account, whose groups the import runs with: its
 * primary group only, as the store does, dropped in the order every
 * pop3d process drops root in (demote() exits if it cannot).
 */
static int
mig_drop(uid_t uid, gid_t gid)
{
	if (geteuid() != 0) {
		if (geteuid() == uid)
			return (0);
		warnx("run as root, or as uid %lu", (unsigned long)uid);
		return (-1);
	}
	demote(NULL, uid, gid, 0, NULL);
	return (0);
}

/*
 * The maildrop's directory (Maildir: itself; mbox: the directory it is
 * in) and, as root, its owner.  The last component is never followed:
 * a link there would choose whose files we act on.
 */
static int
mig_open(struct mig_target *t, int *dirfd, char *name, size_t namesz)
{
	char		 dir[PATH_MAX], *slash;
	struct stat	 sb;
	struct passwd	*pw;
	int		 pfd, fd;

	strlcpy(dir, t->path, sizeof(dir));
	while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
		dir[strlen(dir) - 1] = '\0';
	slash = strrchr(dir, '/');
	if (slash == NULL || slash[1] == '\0' || strcmp(slash + 1, ".") == 0 ||
	    strcmp(slash + 1, "..") == 0 || strlen(slash + 1) >= namesz) {
		warnx("%s: not a maildrop path", t->path);
		return (-1);
	}
	strlcpy(name, slash + 1, namesz);
	slash[slash == dir ? 1 : 0] = '\0';
	if ((pfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		warn("%s", dir);
		return (-1);
	}
	if (fstatat(pfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
		warn("%s", t->path);
		close(pfd);
		return (-1);
	}
	if (S_ISLNK(sb.st_mode)) {
		warnx("%s: a symbolic link, refused", t->path);
		close(pfd);
		return (-1);
	}
	if (t->fmt == 0)
		t->fmt = S_ISDIR(sb.st_mode) ? MAILDROP_MAILDIR :
		    MAILDROP_MBOX;
	if ((t->fmt == MAILDROP_MAILDIR && !S_ISDIR(sb.st_mode)) ||
	    (t->fmt == MAILDROP_MBOX && !S_ISREG(sb.st_mode))) {
		warnx("%s: not a %s", t->path, t->fmt == MAILDROP_MAILDIR ?
		    "Maildir (a directory)" : "mbox (a regular file)");
		close(pfd);
		return (-1);
	}
	if (sb.st_uid == 0) {
		warnx("%s: owned by root; pop3d serves no maildrop of root's, "
		    "refused", t->path);
		close(pfd);
		return (-1);
	}
	if (t->checkuid && sb.st_uid != t->uid) {
		warnx("%s: owned by uid %lu, not by %s's uid %lu, refused",
		    t->path, (unsigned long)sb.st_uid, t->label,
		    (unsigned long)t->uid);
		close(pfd);
		return (-1);
	}
	if (!t->checkuid) {
		t->uid = sb.st_uid;
		t->gid = (pw = getpwuid(sb.st_uid)) != NULL ? pw->pw_gid :
		    sb.st_gid;
	}
	if (t->fmt == MAILDROP_MBOX) {
		*dirfd = pfd;
		return (0);
	}
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	close(pfd);
	if (fd == -1) {
		warn("%s", t->path);
		return (-1);
	}
	/* The directory opened is the one whose owner was checked. */
	if (fstat(fd, &sb) == -1 || sb.st_uid != t->uid) {
		warnx("%s: replaced while opened, refused", t->path);
		close(fd);
		return (-1);
	}
	*dirfd = fd;
	return (0);
}

static const char *
scan_error(int rc)
{
	switch (rc) {
	case STORE_ERR_INUSE:
		return ("in use by a POP3 session (try again once it has "
		    "ended)");
	case STORE_ERR_PERM:
		return ("refused (over the maildrop limits, or not the "
		    "owner's)");
	}
	return ("cannot be read");
}

/* One maildrop, in a child that has become its owner: 0, or 1. */
static int
mig_one(struct mig_target *t, const struct mig_opts *mo)
{
	struct maildrop	 md;
	struct src_list	 sl;
	char		 name[NAME_MAX + 1];
	int		 dirfd, rc;

	if (mig_open(t, &dirfd, name, sizeof(name)) == -1)
		return (1);
	if ((mo->src == SRC_DOVECOT || mo->src == SRC_COURIER) &&
	    t->fmt != MAILDROP_MAILDIR) {
		warnx("%s: an mbox; %s lists are kept in a Maildir only",
		    t->label, mo->src == SRC_DOVECOT ? "dovecot" : "courier");
		return (1);
	}
	if (mo->src == SRC_POPA3D && t->fmt != MAILDROP_MBOX) {
		warnx("%s: a Maildir; popa3d serves mbox only", t->label);
		return (1);
	}
	if (mig_drop(t->uid, t->gid) == -1)
		return (1);
	/* The list is the user's alone, as pop3d-store keeps it. */
	umask(077);
	memset(&sl, 0, sizeof(sl));
	if ((mo->src == SRC_DOVECOT && dovecot_read(dirfd, mo, &sl) == -1) ||
	    (mo->src == SRC_COURIER && courier_read(dirfd, &sl) == -1)) {
		warnx("%s: nothing written", t->label);
		src_free(&sl);
		return (1);
	}
	maildrop_setup(&md, t->fmt == MAILDROP_MAILDIR ? &maildir_ops :
	    &mbox_ops, dirfd, t->fmt == MAILDROP_MBOX ? name : NULL);
	md.xuidl = mo->conf->uidl_xuidl;
	md.noulist = 1;
	md.nomove = mo->dryrun;
	if ((rc = md.ops->scan(&md)) != 0) {
		warnx("%s: maildrop %s; nothing written", t->label,
		    scan_error(rc));
		md.ops->release(&md);
		src_free(&sl);
		return (1);
	}
	rc = mig_apply(&md, &sl, mo, t->label);
	md.ops->release(&md);
	src_free(&sl);
	return (rc == 0 ? 0 : 1);
}

/* A user as pop3d finds one: the backends in the configured order. */
static int
mig_user(const struct pop3d_conf *conf, const char *user,
    struct mig_target *t)
{
	struct userdb	 db;
	struct passwd	*pw = NULL;
	const char	*tmpl = NULL;
	size_t		 i;
	int		 found;

	t->fmt = conf->maildrop_fmt;
	for (i = 0; i < AUTH_BACKENDS_MAX && tmpl == NULL; i++) {
		if (conf->users_order[i] == AUTH_BACKEND_SYSTEM) {
			pw = getpwnam(user);
			if (pw != NULL && pw->pw_uid >=
			    (uid_t)conf->users_min_uid &&
			    strcmp(pw->pw_name, user) == 0)
				tmpl = conf->maildrop_path;
		} else if (conf->users_order[i] == AUTH_BACKEND_FILE &&
		    conf->users_file[0] != '\0' && userdb_name_valid(user)) {
			if (userdb_load(&db, conf->users_file, 0) == -1)
				return (-1);
			found = userdb_find(&db, user) != NULL;
			userdb_free(&db);
			if (!found)
				continue;
			pw = getpwnam(conf->users_mailuser);
			tmpl = conf->maildrop_path;
			if (conf->users_maildrop_fmt != 0) {
				t->fmt = conf->users_maildrop_fmt;
				tmpl = conf->users_maildrop_path;
			}
		}
	}
	if (tmpl == NULL || pw == NULL || pw->pw_uid == 0) {
		warnx("%s: no such user for pop3d", user);
		return (-1);
	}
	if (maildrop_expand(tmpl, pw->pw_dir, user, t->path,
	    sizeof(t->path)) == -1) {
		warnx("%s: maildrop path too long", user);
		return (-1);
	}
	t->checkuid = 1;
	t->uid = pw->pw_uid;
	t->gid = pw->pw_gid;
	return (0);
}

static int
mig_target(const char *arg, const struct mig_opts *mo)
{
	struct mig_target	 t;
	pid_t			 pid;
	int			 status;

	memset(&t, 0, sizeof(t));
	t.label = arg;
	if (arg[0] == '/') {
		if (strlcpy(t.path, arg, sizeof(t.path)) >= sizeof(t.path)) {
			warnx("%s: path too long", arg);
			return (1);
		}
	} else if (mig_user(mo->conf, arg, &t) == -1)
		return (1);
	/* Each maildrop in a child: the owner it becomes is for good. */
	fflush(stdout);
	if ((pid = fork()) == -1) {
		warn("fork");
		return (1);
	}
	if (pid == 0) {
		status = mig_one(&t, mo);
		fflush(stdout);
		_exit(status);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			warn("waitpid");
			return (1);
		}
	return (WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1);
}

int
ctl_migrate(int argc, char *argv[], const struct ctl_options *opts)
{
	struct mig_opts		 mo;
	struct pop3d_conf	*conf;
	int			 ch, i, fflag = 0, rc = 0;

	if (argc < 1 || strcmp(argv[0], "uidl") != 0)
		mig_usage();
	memset(&mo, 0, sizeof(mo));
	mo.format = DOVECOT_FORMAT;
	optind = 1;
	while ((ch = getopt(argc, argv, "+F:nv")) != -1) {
		switch (ch) {
		case 'F':
			mo.format = optarg;
			fflag = 1;
			break;
		case 'n':
			mo.dryrun = 1;
			break;
		case 'v':
			mo.verbose = 1;
			break;
		default:
			mig_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		mig_usage();
	mig_verbose = mo.verbose;
	log_sethook(mig_log);
	if (strcmp(argv[0], "dovecot") == 0)
		mo.src = SRC_DOVECOT;
	else if (strcmp(argv[0], "courier") == 0)
		mo.src = SRC_COURIER;
	else if (strcmp(argv[0], "x-uidl") == 0)
		mo.src = SRC_XUIDL;
	else if (strcmp(argv[0], "popa3d") == 0)
		mo.src = SRC_POPA3D;
	else
		mig_usage();
	if (mo.src == SRC_DOVECOT)
		dformat_check(mo.format);
	else if (fflag)
		errx(1, "-F is for dovecot only");
	if ((conf = parse_config(opts->conffile, 0)) == NULL)
		errx(1, "%s: configuration has errors", opts->conffile);
	mo.conf = conf;
	for (i = 1; i < argc; i++)
		rc |= mig_target(argv[i], &mo);
	config_free(conf);
	return (rc);
}
