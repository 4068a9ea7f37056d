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

#ifndef POP3D_CTL_H
#define POP3D_CTL_H

/*
 * pop3ctl, the administrator's one tool: "user ..." commands work
 * offline on pop3d's own user database (ctl_user.c); every other
 * command talks to the running daemon over its control socket
 * (ctl_daemon.c), but "migrate ...", which works offline on maildrops
 * with the store's own code (ctl_migrate.c).
 */

struct ctl_options {
	const char	*conffile;	/* -f: pop3d.conf */
	const char	*usersfile;	/* -u: the user database, else conf's */
	const char	*socket;	/* -s: the control socket, else conf's */
	int		 verbose;	/* -v */
};

/* ctl_user.c */
int	ctl_user(int, char *[], const struct ctl_options *);

/* ctl_migrate.c */
int	ctl_migrate(int, char *[], const struct ctl_options *);

/* ctl_daemon.c */
int	ctl_daemon(int, char *[], const struct ctl_options *);

#endif /* POP3D_CTL_H */
