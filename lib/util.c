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

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "pathnames.h"
#include "proto.h"
#include "log.h"
#include "util.h"
#include "msg.h"

void *
xcalloc(size_t nmemb, size_t size)
{
	void	*p;

	if ((p = calloc(nmemb, size)) == NULL)
		fatal("calloc");
	return (p);
}

void *
xreallocarray(void *o, size_t nmemb, size_t size)
{
	void	*p;

	if ((p = reallocarray(o, nmemb, size)) == NULL)
		fatal("reallocarray");
	return (p);
}

char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("strdup");
	return (p);
}

int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (n == -1)
		fatal("vasprintf");
	return (n);
}

/*
 * The one order every process drops root in: chroot and chdir while we
 * may, then groups, gid, uid.  Checked afterwards: a setuid that
 * silently failed would leave us root.  A root of "." is the directory
 * the caller opened and fchdir'd to, so that no path is looked up
 * again between its checks and the chroot.
 */
void
demote(const char *root, uid_t uid, gid_t gid, int ngroups,
    const gid_t *groups)
{
	uid_t	ruid, euid, suid;
	gid_t	rgid, egid, sgid;

	if (root != NULL) {
		if (chroot(root) == -1)
			fatal("%s: chroot %s", __func__, root);
		if (chdir("/") == -1)
			fatal("%s: chdir /", __func__);
	}
	if (ngroups == 0) {
		ngroups = 1;
		groups = &gid;
	}
	if (setgroups(ngroups, groups) == -1)
		fatal("%s: setgroups", __func__);
	if (setresgid(gid, gid, gid) == -1)
		fatal("%s: setresgid", __func__);
	if (setresuid(uid, uid, uid) == -1)
		fatal("%s: setresuid", __func__);
	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1)
		fatal("%s: getres[ug]id", __func__);
	if (ruid != uid || euid != uid || suid != uid ||
	    rgid != gid || egid != gid || sgid != gid)
		fatalx("%s: ids not dropped", __func__);
	if (uid != 0 && setuid(0) != -1)
		fatalx("%s: could regain root", __func__);
}

void
set_cloexec(int fd, int on)
{
	int	flags;

	if ((flags = fcntl(fd, F_GETFD)) == -1)
		fatal("fcntl F_GETFD");
	flags = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
	if (fcntl(fd, F_SETFD, flags) == -1)
		fatal("fcntl F_SETFD");
}

void
set_nonblock(int fd, int on)
{
	int	flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1)
		fatal("fcntl F_GETFL");
	flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
	if (fcntl(fd, F_SETFL, flags) == -1)
		fatal("fcntl F_SETFL");
}

/* All of buf, whatever write(2) takes at a time; -1 on an error. */
int
write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += n;
		len -= n;
	}
	return (0);
}

/*
 * Sandboxed children cannot reach syslog; their lines travel to the
 * parent on their parent channel.  Blocking on purpose: a line is never
 * dropped, and a fatal line is out before exit.
 */
static struct chan	*log_chan;

static void
log_hook_parent(int pri, const char *line)
{
	struct mbuf	m;

	m_init(&m);
	m_add_u32(&m, (uint32_t)pri);
	m_add_string(&m, line);
	if (chan_queue(log_chan, MSG_LOG, 0, -1, m.buf, m.len) == -1 ||
	    chan_flush(log_chan) == -1) {
		/*
		 * The parent closed the channel: it let us go (a retired
		 * pop3d-auth) or is gone.  Nobody is left to tell either
		 * way, and the first is no error.
		 */
		_exit(errno == EPIPE || errno == ECONNRESET ? 0 : 1);
	}
}

void
log_to_parent(struct chan *chan)
{
	log_chan = chan;
	log_sethook(log_hook_parent);
}
