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
 * Runs as root, in the parent, until the fork: the submission program
 * of XTND XMIT.  The child drops to the user's account at once, before
 * it touches anything of the client's, and execs the program with the
 * message on stdin.  It is a fork of the parent and not an exec'd
 * helper because it runs nothing of ours after setuid: only execve.
 */

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <paths.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pop3d.h"
#include "proc.h"

/* "/usr/sbin/sendmail -i -t" + "-f" user, no shell involved. */
static int
submit_argv(const char *cmd, char *user, char *buf, size_t len,
    char **argv)
{
	char	*p, *word;
	int	 n = 0;

	if (strlcpy(buf, cmd, len) >= len)
		return (-1);
	for (p = buf; (word = strsep(&p, " ")) != NULL;) {
		if (*word == '\0')
			continue;
		if (n >= XMIT_ARGS_MAX - 3)
			return (-1);
		argv[n++] = word;
	}
	if (n == 0 || argv[0][0] != '/')
		return (-1);
	argv[n++] = "-f";
	argv[n++] = user;
	argv[n] = NULL;
	return (0);
}

static __dead void
submit_child(const struct passwd *pw, const char *user, int fd, char **argv)
{
	char	 home[PATH_MAX + 8], logname[POP3_USER_MAX + 16];
	char	 uenv[POP3_USER_MAX + 16];
	char	*env[] = { "PATH=/usr/bin:/bin", home, logname, uenv, NULL };
	int	 null;

	if (dup2(fd, STDIN_FILENO) == -1 ||
	    (null = open(_PATH_DEVNULL, O_WRONLY)) == -1 ||
	    dup2(null, STDOUT_FILENO) == -1 ||
	    dup2(null, STDERR_FILENO) == -1)
		_exit(71);
	closefrom(STDERR_FILENO + 1);
	if (setsid() == -1 ||
	    initgroups(pw->pw_name, pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1 ||
	    getuid() == 0 || geteuid() == 0)
		_exit(71);
	snprintf(home, sizeof(home), "HOME=%s", pw->pw_dir);
	snprintf(logname, sizeof(logname), "LOGNAME=%s", user);
	snprintf(uenv, sizeof(uenv), "USER=%s", user);
	/* No home: the program runs from /, never from root's directory. */
	if (chdir(pw->pw_dir) == -1 && chdir("/") == -1)
		_exit(71);
	signal(SIGPIPE, SIG_DFL);
	/* A submission program that hangs is killed, not waited for. */
	alarm(XMIT_TIMEOUT);
	execve(argv[0], argv, env);
	_exit(127);
}

/*
 * Start the program for user (whose mail belongs to the system account
 * pw) on the message in fd.  Returns the child's pid, or -1.
 */
pid_t
submit_spawn(const char *cmd, const struct passwd *pw, const char *user,
    int fd)
{
	char	 buf[PATH_MAX], ubuf[POP3_USER_MAX + 1];
	char	*argv[XMIT_ARGS_MAX];
	pid_t	 pid;

	strlcpy(ubuf, user, sizeof(ubuf));
	if (pw->pw_uid == 0 || submit_argv(cmd, ubuf, buf, sizeof(buf),
	    argv) == -1) {
		log_warnx("%s: refusing to run \"%s\" for %s", __func__, cmd,
		    user);
		return (-1);
	}
	if ((pid = fork()) == -1) {
		log_warn("%s: fork", __func__);
		return (-1);
	}
	if (pid == 0)
		submit_child(pw, user, fd, argv);
	return (pid);
}
