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
 * pop3ctl user ...: pop3d's own user database, offline.  The daemon
 * need not run: pop3d-auth reads the file at every login.  Secrets are
 * read before the lock is taken (a prompt may wait for a long time,
 * and pop3d-auth waits for the lock only briefly), and every change is
 * lock, read, change, write beside, rename (userdb.c).
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <libgen.h>
#include <pwd.h>
#include <readpassphrase.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pop3d.h"
#include "ctl.h"
#include "userdb.h"

/* The database and whom a new file belongs to. */
struct userctl {
	char	path[PATH_MAX];
	uid_t	uid;
	gid_t	gid;
	int	have_auth_user;
};

/* Changes the user name of db, with what the command prepared in arg. */
typedef int (*change_fn)(struct userdb *, const char *, const void *);

struct user_cmd {
	const char	*name;
	int		 (*fn)(struct userctl *, int, char *[]);
	const char	*usage;
};

static int	cmd_add(struct userctl *, int, char *[]);
static int	cmd_delete(struct userctl *, int, char *[]);
static int	cmd_password(struct userctl *, int, char *[]);
static int	cmd_apop(struct userctl *, int, char *[]);
static int	cmd_nopass(struct userctl *, int, char *[]);
static int	cmd_list(struct userctl *, int, char *[]);

static const struct user_cmd user_cmds[] = {
	{ "add",	cmd_add,	"add name" },
	{ "apop",	cmd_apop,	"apop [-d] name" },
	{ "delete",	cmd_delete,	"delete name" },
	{ "list",	cmd_list,	"list" },
	{ "nopass",	cmd_nopass,	"nopass [-d] name" },
	{ "password",	cmd_password,	"password name" },
};

static __dead void
user_usage(void)
{
	size_t	i;

	for (i = 0; i < nitems(user_cmds); i++)
		fprintf(stderr, "%s pop3ctl [-f file] [-u usersfile] user %s\n",
		    i == 0 ? "usage:" : "      ", user_cmds[i].usage);
	exit(1);
}

/* -u, or else the "users file" of pop3d.conf. */
static void
user_path(struct userctl *uc, const struct ctl_options *opts)
{
	struct pop3d_conf	*conf;

	if (opts->usersfile != NULL) {
		if (strlcpy(uc->path, opts->usersfile, sizeof(uc->path)) >=
		    sizeof(uc->path))
			errx(1, "%s: path too long", opts->usersfile);
		return;
	}
	if ((conf = parse_config(opts->conffile, 0)) == NULL)
		errx(1, "%s: configuration has errors; name the user "
		    "database with -u", opts->conffile);
	if (conf->users_file[0] == '\0')
		errx(1, "%s has no \"users file\" statement; name the user "
		    "database with -u", opts->conffile);
	strlcpy(uc->path, conf->users_file, sizeof(uc->path));
	config_free(conf);
}

/* pop3d-auth reads the file as its own user; a new file is its. */
static void
user_owner(struct userctl *uc)
{
	struct passwd	*pw;

	uc->uid = 0;
	uc->gid = 0;
	if ((pw = getpwnam(POP3D_AUTH_USER)) == NULL) {
		warnx("no user %s: new files will be owned by root, and "
		    "pop3d-auth will not be able to read them",
		    POP3D_AUTH_USER);
		return;
	}
	uc->uid = pw->pw_uid;
	uc->gid = pw->pw_gid;
	uc->have_auth_user = 1;
}

/* What a client can send: no control characters, not too long. */
static int
secret_ok(const char *what, const char *s, size_t max)
{
	const char	*p;

	if (*s == '\0') {
		warnx("empty %s", what);
		return (0);
	}
	if (strlen(s) > max) {
		warnx("%s longer than %zu characters", what, max);
		return (0);
	}
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			warnx("control character in %s", what);
			return (0);
		}
	return (1);
}

/*
 * One line from standard input, read a byte at a time so that no
 * stdio buffer keeps a copy and nothing past the line is consumed.
 */
static int
read_stdin(const char *what, char *buf, size_t sz)
{
	size_t	len = 0;
	ssize_t	n;
	char	c;

	for (;;) {
		if ((n = read(STDIN_FILENO, &c, 1)) == -1) {
			if (errno == EINTR)
				continue;
			warn("reading %s from standard input", what);
			return (-1);
		}
		if (n == 0 || c == '\n')
			break;
		if (c == '\0' || len + 1 >= sz) {
			warnx("%s on standard input: %s", what, c == '\0' ?
			    "NUL byte" : "line too long");
			return (-1);
		}
		buf[len++] = c;
	}
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return (0);
}

/* From the terminal, without echo, twice. */
static int
read_tty(const char *what, char *buf, size_t sz)
{
	char	prompt[64], again[POP3_PASS_MAX + 2];
	int	rv = -1;

	snprintf(prompt, sizeof(prompt), "%s: ", what);
	prompt[0] = toupper((unsigned char)prompt[0]);
	if (readpassphrase(prompt, buf, sz, RPP_REQUIRE_TTY) == NULL) {
		warn("reading %s", what);
		return (-1);
	}
	snprintf(prompt, sizeof(prompt), "Retype %s: ", what);
	if (readpassphrase(prompt, again, sizeof(again),
	    RPP_REQUIRE_TTY) == NULL)
		warn("reading %s", what);
	else if (strcmp(buf, again) != 0)
		warnx("the two entries differ");
	else
		rv = 0;
	explicit_bzero(again, sizeof(again));
	return (rv);
}

/* buf has room for POP3_PASS_MAX + 2: one more is "too long". */
static int
read_secret(const char *what, char *buf, size_t sz)
{
	int	rv;

	if (isatty(STDIN_FILENO))
		rv = read_tty(what, buf, sz);
	else
		rv = read_stdin(what, buf, sz);
	if (rv == 0 && !secret_ok(what, buf, POP3_PASS_MAX))
		rv = -1;
	if (rv == -1)
		explicit_bzero(buf, sz);
	return (rv);
}

static void
check_owner(const struct userctl *uc, const struct userdb *db)
{
	if (db->exists && uc->have_auth_user && db->st.st_uid != uc->uid)
		warnx("%s is owned by uid %u, not %s: pop3d-auth cannot "
		    "read it", db->path, (unsigned int)db->st.st_uid,
		    POP3D_AUTH_USER);
}

/* poppass rewrites the file as pop3d-auth: it needs the directory. */
static void
check_dir(const struct userctl *uc)
{
	char		tmp[PATH_MAX], *dir;
	struct stat	st;

	strlcpy(tmp, uc->path, sizeof(tmp));
	dir = dirname(tmp);
	if (uc->have_auth_user && stat(dir, &st) == 0 &&
	    (st.st_uid != uc->uid || !(st.st_mode & S_IWUSR)))
		warnx("%s is not writable by %s: remote password changes "
		    "(poppass) will fail", dir, POP3D_AUTH_USER);
}

/*
 * Lock, read (refusing a file with a line that does not parse), let
 * fn change the users, write it back.  The file keeps its owner; a
 * new one is pop3d-auth's.
 */
static int
user_change(struct userctl *uc, const char *name, const void *arg,
    change_fn fn)
{
	struct userdb	db;
	uid_t		uid = uc->uid;
	gid_t		gid = uc->gid;
	int		lock, rv = 1;

	if ((lock = userdb_lock(uc->path, uc->uid, uc->gid, -1)) == -1)
		return (1);
	userdb_sweep(uc->path);
	if (userdb_load(&db, uc->path, USERDB_STRICT) == -1) {
		warnx("%s: not changed", uc->path);
		userdb_unlock(lock);
		return (1);
	}
	check_owner(uc, &db);
	if (db.exists) {
		uid = db.st.st_uid;
		gid = db.st.st_gid;
	} else
		check_dir(uc);
	if (fn(&db, name, arg) == 0 && userdb_write(&db, uid, gid) == 0)
		rv = 0;
	userdb_free(&db);
	userdb_unlock(lock);
	return (rv);
}

static struct userdb_entry *
find_user(struct userdb *db, const char *name)
{
	struct userdb_entry	*ent;

	if ((ent = userdb_find(db, name)) == NULL)
		warnx("%s: no user %s", db->path, name);
	return (ent);
}

/* arg: an entry holding the new password's hash and SCRAM keys. */
static int
change_add(struct userdb *db, const char *name, const void *arg)
{
	const struct userdb_entry	*tmpl = arg;
	struct userdb_entry		*ent;

	if (userdb_find(db, name) != NULL) {
		warnx("%s: user %s exists", db->path, name);
		return (-1);
	}
	ent = userdb_add(db, name);
	strlcpy(ent->hash, tmpl->hash, sizeof(ent->hash));
	ent->scram = tmpl->scram;
	ent->has_scram = tmpl->has_scram;
	return (0);
}

static int
change_password(struct userdb *db, const char *name, const void *arg)
{
	const struct userdb_entry	*tmpl = arg;
	struct userdb_entry		*ent;

	if ((ent = find_user(db, name)) == NULL)
		return (-1);
	strlcpy(ent->hash, tmpl->hash, sizeof(ent->hash));
	ent->scram = tmpl->scram;
	ent->has_scram = tmpl->has_scram;
	return (0);
}

static int
change_delete(struct userdb *db, const char *name, const void *arg)
{
	if (find_user(db, name) == NULL)
		return (-1);
	return (userdb_delete(db, name));
}

static int
change_apop(struct userdb *db, const char *name, const void *arg)
{
	struct userdb_entry	*ent;

	if ((ent = find_user(db, name)) == NULL)
		return (-1);
	/* arg: the secret, or NULL to clear it. */
	return (userdb_set_apop(ent, arg));
}

static int
change_nopass_set(struct userdb *db, const char *name, const void *arg)
{
	struct userdb_entry	*ent;

	if ((ent = find_user(db, name)) == NULL)
		return (-1);
	if (ent->apoplen == 0)
		warnx("%s has no APOP secret: with nopass only SCRAM-SHA-256 "
		    "logins remain", name);
	ent->flags |= USERDB_NOPASS;
	return (0);
}

static int
change_nopass_clear(struct userdb *db, const char *name, const void *arg)
{
	struct userdb_entry	*ent;

	if ((ent = find_user(db, name)) == NULL)
		return (-1);
	ent->flags &= ~USERDB_NOPASS;
	return (0);
}

static const char *
name_arg(int argc, char *argv[])
{
	if (argc != 2)
		user_usage();
	if (!userdb_name_valid(argv[1]))
		errx(1, "bad user name \"%s\": up to %d of A-Z a-z 0-9 . _ @ "
		    "+ -, not starting with a dot", argv[1], POP3_USER_MAX);
	return (argv[1]);
}

/* "-d name" or "name"; returns the name, *del set for -d. */
static const char *
name_arg_d(int argc, char *argv[], int *del)
{
	*del = argc == 3 && strcmp(argv[1], "-d") == 0;
	if (*del)
		return (name_arg(argc - 1, argv + 1));
	return (name_arg(argc, argv));
}

/* The hash and SCRAM keys of a new password, made before the lock. */
static int
new_password(const char *name, const char *what, change_fn fn,
    struct userctl *uc)
{
	struct userdb_entry	 tmpl;
	char			 pass[POP3_PASS_MAX + 2];
	int			 rv = 1;

	memset(&tmpl, 0, sizeof(tmpl));
	if (read_secret(what, pass, sizeof(pass)) == -1)
		return (1);
	if (userdb_set_password(&tmpl, pass) == 0)
		rv = user_change(uc, name, &tmpl, fn);
	explicit_bzero(pass, sizeof(pass));
	explicit_bzero(&tmpl, sizeof(tmpl));
	return (rv);
}

static int
cmd_add(struct userctl *uc, int argc, char *argv[])
{
	return (new_password(name_arg(argc, argv), "password", change_add,
	    uc));
}

static int
cmd_password(struct userctl *uc, int argc, char *argv[])
{
	return (new_password(name_arg(argc, argv), "new password",
	    change_password, uc));
}

static int
cmd_delete(struct userctl *uc, int argc, char *argv[])
{
	return (user_change(uc, name_arg(argc, argv), NULL, change_delete));
}

static int
cmd_apop(struct userctl *uc, int argc, char *argv[])
{
	char		 secret[APOP_SECRET_MAX + 2];
	const char	*name;
	int		 del, rv;

	name = name_arg_d(argc, argv, &del);
	if (del)
		return (user_change(uc, name, NULL, change_apop));
	if (read_secret("APOP secret", secret, sizeof(secret)) == -1)
		return (1);
	rv = user_change(uc, name, secret, change_apop);
	explicit_bzero(secret, sizeof(secret));
	return (rv);
}

static int
cmd_nopass(struct userctl *uc, int argc, char *argv[])
{
	const char	*name;
	int		 del;

	name = name_arg_d(argc, argv, &del);
	return (user_change(uc, name, NULL, del ? change_nopass_clear :
	    change_nopass_set));
}

/* Names and which secrets each has, never the secrets. */
static void
list_entry(const struct userdb_entry *ent)
{
	printf("%s", ent->name);
	if (ent->hash[0] == '!')
		printf(" locked");
	if (ent->hash[0] != '\0' && strcmp(ent->hash, "*") != 0 &&
	    strcmp(ent->hash, "!") != 0)
		printf(" password");
	if (ent->has_scram)
		printf(" scram");
	if (ent->apoplen > 0)
		printf(" apop");
	if (ent->flags & USERDB_NOPASS)
		printf(" nopass");
	printf("\n");
}

/* Bad lines are reported and make the exit status 1; the rest lists. */
static int
cmd_list(struct userctl *uc, int argc, char *argv[])
{
	struct userdb	db;
	size_t		i;
	int		rv;

	if (argc != 1)
		user_usage();
	if (userdb_load(&db, uc->path, 0) == -1)
		return (1);
	if (!db.exists)
		warnx("%s: no such file", uc->path);
	check_owner(uc, &db);
	for (i = 0; i < db.nlines; i++)
		if (db.lines[i].ent != NULL)
			list_entry(db.lines[i].ent);
	rv = db.nbad > 0;
	userdb_free(&db);
	return (rv);
}

int
ctl_user(int argc, char *argv[], const struct ctl_options *opts)
{
	struct userctl	 uc;
	size_t		 i;

	if (argc < 1)
		user_usage();
	for (i = 0; i < nitems(user_cmds); i++)
		if (strcmp(argv[0], user_cmds[i].name) == 0)
			break;
	if (i == nitems(user_cmds))
		user_usage();
	if (geteuid() != 0)
		errx(1, "need root privileges");
	log_setverbose(opts->verbose);
	memset(&uc, 0, sizeof(uc));
	user_path(&uc, opts);
	user_owner(&uc);
	return (user_cmds[i].fn(&uc, argc, argv));
}
