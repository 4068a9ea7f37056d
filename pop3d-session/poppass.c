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
 * The Eudora poppass protocol, for remote password changes of pop3d's
 * own users: a "200" greeting, USER, PASS (the old password), NEWPASS,
 * QUIT; every reply "200 ..." or "500 ...".  pop3d-auth checks the old
 * password and applies the new one; this side only carries them.
 */

#include <sys/types.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "session.h"

struct poppass {
	char	user[POP3_USER_MAX + 1];
	char	old[POP3_PASS_MAX + 1];
	int	have_user;
	int	have_old;
};

static void
poppass_wipe(struct poppass *pp)
{
	explicit_bzero(pp, sizeof(*pp));
}

/* The rest of the line after the verb and one space, or NULL. */
static char *
poppass_arg(char *line, const char *verb)
{
	size_t	len = strlen(verb);

	if (strncasecmp(line, verb, len) != 0 || line[len] != ' ' ||
	    line[len + 1] == '\0')
		return (NULL);
	return (line + len + 1);
}

static int
poppass_newpass(struct pop3 *p, struct poppass *pp, char *new)
{
	int	rc;

	if (!pp->have_old) {
		pop3_reply(p, "500 Give USER and PASS first.");
		return (0);
	}
	if (strlen(new) > POP3_PASS_MAX) {
		explicit_bzero(new, strlen(new));
		pop3_reply(p, "500 New password too long.");
		return (-1);
	}
	rc = p->be->change(p->bearg, pp->user, pp->old, new);
	explicit_bzero(new, strlen(new));
	if (rc == AUTH_OK) {
		pop3_reply(p, "200 Password changed, thank-you.");
		return (0);
	}
	pop3_reply(p, rc == AUTH_TEMPFAIL ? "500 Server error, try later." :
	    "500 Old password is incorrect or new password unacceptable.");
	return (-1);
}

/* One line; returns -1 when the session ends. */
static int
poppass_command(struct pop3 *p, struct poppass *pp, char *line)
{
	char	*arg;

	if (strcasecmp(line, "QUIT") == 0) {
		pop3_reply(p, "200 Bye.");
		p->end.reason = SESS_END_QUIT;
		return (-1);
	}
	if ((arg = poppass_arg(line, "USER")) != NULL) {
		if (!p->plaintext_ok && p->io->tls == NULL) {
			pop3_reply(p, "500 Password changes need TLS.");
			return (-1);
		}
		if (strlcpy(pp->user, arg, sizeof(pp->user)) >=
		    sizeof(pp->user)) {
			pop3_reply(p, "500 User name too long.");
			return (-1);
		}
		pp->have_user = 1;
		pp->have_old = 0;
		pop3_reply(p, "200 Your password please.");
		return (0);
	}
	if ((arg = poppass_arg(line, "PASS")) != NULL) {
		if (!pp->have_user || strlcpy(pp->old, arg,
		    sizeof(pp->old)) >= sizeof(pp->old)) {
			explicit_bzero(arg, strlen(arg));
			pop3_reply(p, "500 Give USER first.");
			return (-1);
		}
		explicit_bzero(arg, strlen(arg));
		pp->have_old = 1;
		pop3_reply(p, "200 Your new password please.");
		return (0);
	}
	if ((arg = poppass_arg(line, "NEWPASS")) != NULL)
		return (poppass_newpass(p, pp, arg));
	pop3_reply(p, "500 Unknown command.");
	return (0);
}

void
poppass_run(struct pop3 *p)
{
	struct poppass	 pp;
	char		*line;

	memset(&pp, 0, sizeof(pp));
	p->state = POP3_AUTHORIZATION;
	p->connected = p->last = io_now();
	pop3_reply(p, "200 %s poppass: change your mail password.",
	    p->conf->banner[0] != '\0' ? p->conf->banner : "Mail server");
	for (;;) {
		if (pop3_readline(p, &line) == -1)
			break;
		if (p->conf->debug)
			log_debug("%s: < %.*s", p->peer,
			    (int)strcspn(line, " "), line);
		if (++p->commands > MAX_PREAUTH_COMMANDS ||
		    poppass_command(p, &pp, line) == -1) {
			if (p->end.reason == 0)
				p->end.reason = SESS_END_ERROR;
			break;
		}
	}
	poppass_wipe(&pp);
	io_flush(p->io);
}
