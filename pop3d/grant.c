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
 * Runs as root, in the parent: the grant path, the most sensitive code
 * of all.  pop3d-auth names a user it has authenticated and the backend
 * that knows it; here that becomes an account (a system user, or the
 * mail user of pop3d's own database), a uid other than 0, a maildrop
 * path, and a pop3d-store running as that uid, whose channel the
 * session gets.  The name is checked again, whatever pop3d-auth says.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pop3d.h"
#include "msg.h"
#include "userdb.h"
#include "proc.h"

/* A store only logs; the session is its client. */
static const struct dispatch_rule store_rules[] = {
	{ MSG_LOG,		D_ANY,				0, child_log },
};
static const struct dispatch_table store_table =
    DISPATCH_TABLE("pop3d-store", store_rules);

/*
 * Whether the administrator fixed the directory of the maildrop, as in
 * "/var/mail/%u": its part before the last slash has no ~ and no %u,
 * so it is the same for everyone and no user chose it.  Only such a
 * directory may lend the store its group (pop3d-store(8)).
 */
static int
maildrop_fixed_dir(const char *tmpl)
{
	const char	*slash, *p;

	if ((slash = strrchr(tmpl, '/')) == NULL)
		return (0);
	for (p = tmpl; p < slash; p++)
		if (*p == '~' || (p[0] == '%' && p[1] == 'u'))
			return (0);
	return (1);
}

static void
store_refuse(struct child *s, int code)
{
	struct store_fail	f = { code };

	child_send(s, MSG_STORE_FAIL, s->sid, -1, &f, sizeof(f));
}

/*
 * A login granted by pop3d-auth: start a store as account pw for the
 * maildrop of user, with one channel to us (logs) and one to the
 * session, which gets the other end.
 */
static void
store_spawn(struct child *s, const struct passwd *pw, const char *user,
    enum maildrop_format fmt, const char *tmpl)
{
	struct store_conf	 sc;
	char			 title[32 + POP3_USER_MAX];
	char			*argv[] = { title, NULL };
	int			 ctl[2], data[2];
	pid_t			 pid;
	struct child		*c;
	struct mbuf		 m;

	snprintf(title, sizeof(title), "pop3d: store %s", user);
	memset(&sc, 0, sizeof(sc));
	sc.format = fmt;
	sc.uid = pw->pw_uid;
	sc.gid = pw->pw_gid;
	sc.debug = parent_conf()->debug;
	sc.fixed_dir = maildrop_fixed_dir(tmpl);
	sc.xuidl = parent_conf()->uidl_xuidl;
	if (strlcpy(sc.user, pw->pw_name, sizeof(sc.user)) >= sizeof(sc.user) ||
	    maildrop_expand(tmpl, pw->pw_dir, user, sc.path,
	    sizeof(sc.path)) == -1) {
		log_warnx("%s: maildrop path of %s too long", s->peername,
		    user);
		store_refuse(s, STORE_ERR_PERM);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) == -1)
		goto fail;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    data) == -1) {
		close(ctl[0]);
		close(ctl[1]);
		goto fail;
	}
	pid = proc_exec(POP3D_STORE_PATH, argv, ctl[1], data[1]);
	close(ctl[1]);
	close(data[1]);
	if (pid == -1) {
		close(ctl[0]);
		close(data[0]);
		goto fail;
	}
	c = child_new(CHILD_STORE, pid, ctl[0], &store_table);
	c->sid = s->sid;
	child_send(c, MSG_CONF_STORE, 0, -1, &sc, sizeof(sc));
	/* The session learns the login name here, whatever the method. */
	m_init(&m);
	m_add_string(&m, user);
	child_send(s, MSG_STORE_FD, s->sid, data[0], m.buf, m.len);
	return;
 fail:
	log_warn("%s: cannot start store for %s", s->peername, user);
	store_refuse(s, STORE_ERR_TEMP);
}

/*
 * A user of pop3d's own database has no account: its maildrop belongs
 * to the configured mail user.  Its name becomes a path component, so
 * it is held to a safe set of characters whatever pop3d-auth says.
 */
/*
 * Whether the running configuration lists the backend: a pop3d-auth
 * retired by a reload may still grant under the settings it had.
 */
static int
grant_backend_listed(const struct pop3d_conf *conf, uint32_t backend)
{
	size_t	i;

	for (i = 0; i < AUTH_BACKENDS_MAX; i++)
		if ((uint32_t)conf->users_order[i] == backend)
			return (backend != AUTH_BACKEND_FILE ||
			    conf->users_file[0] != '\0');
	return (0);
}

static const struct passwd *
grant_account(const char *user, uint32_t backend, enum maildrop_format *fmt,
    const char **tmpl)
{
	const struct pop3d_conf	*conf = parent_conf();
	struct passwd		*pw;

	*fmt = conf->maildrop_fmt;
	*tmpl = conf->maildrop_path;
	if (!grant_backend_listed(conf, backend))
		return (NULL);
	if (backend == AUTH_BACKEND_SYSTEM) {
		pw = getpwnam(user);
		/*
		 * pop3d-auth checks these too; a store is ours to refuse.
		 * It grants the account's own name, so that %u is that.
		 */
		if (pw != NULL && (pw->pw_uid < (uid_t)conf->users_min_uid ||
		    strcmp(pw->pw_name, user) != 0))
			return (NULL);
	} else if (backend == AUTH_BACKEND_FILE) {
		if (!userdb_name_valid(user))
			return (NULL);
		pw = getpwnam(conf->users_mailuser);
		if (conf->users_maildrop_fmt != 0) {
			*fmt = conf->users_maildrop_fmt;
			*tmpl = conf->users_maildrop_path;
		}
	} else
		return (NULL);
	/* Root never gets a store, whatever pop3d-auth says. */
	if (pw == NULL || pw->pw_uid == 0)
		return (NULL);
	return (pw);
}

/*
 * The session s was granted user by pop3d-auth's backend: its store,
 * or a refusal the session passes on as [SYS/PERM].
 */
void
grant(struct child *s, const char *user, uint32_t backend)
{
	const struct passwd	*pw;
	const char		*tmpl;
	enum maildrop_format	 fmt;

	strlcpy(s->user, user, sizeof(s->user));
	if ((pw = grant_account(user, backend, &fmt, &tmpl)) == NULL) {
		log_warnx("%s: refusing grant for user %s", s->peername, user);
		store_refuse(s, STORE_ERR_PERM);
		return;
	}
	strlcpy(s->account, pw->pw_name, sizeof(s->account));
	log_debug("%s: granted user %s", s->peername, user);
	store_spawn(s, pw, user, fmt, tmpl);
}
