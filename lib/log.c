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

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "params.h"
#include "log.h"

/*
 * Where a line goes: stderr in the foreground (-d), syslog, a file the
 * parent opened, nowhere, or (in a sandboxed child) a hook that forwards
 * it to the parent, since glibc's syslog(3) would need socket(2) there.
 */
static int	 log_debugging;
static int	 log_verbose;
static int	 log_fd = -1;
static int	 log_none;
static const char *log_title = "pop3d";
static void	(*log_hook)(int, const char *);

void
log_init(int debug, int facility)
{
	log_debugging = debug;
	log_verbose = debug;
	tzset();
	if (!debug)
		openlog("pop3d", LOG_PID | LOG_NDELAY, facility);
}

void
log_procinit(const char *title)
{
	if (title != NULL)
		log_title = title;
}

const char *
log_procname(void)
{
	return (log_title);
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

int
log_getverbose(void)
{
	return (log_verbose);
}

/* The file is the parent's: a new one replaces (and closes) the old. */
void
log_setfd(int fd)
{
	if (log_fd != -1 && log_fd != fd)
		close(log_fd);
	log_fd = fd;
	log_none = 0;
}

/*
 * Open path for appending and log to it from now on.  Called again on
 * SIGHUP, so that after a rotation (rename, then SIGHUP) lines go to
 * the new file.  On failure the old destination stays and -1 returns.
 */
int
log_openfile(const char *path)
{
	int	fd;

	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT |
	    O_CLOEXEC, 0640)) == -1)
		return (-1);
	log_setfd(fd);
	return (0);
}

void
log_setsyslog(int facility)
{
	log_setfd(-1);
	if (!log_debugging) {
		closelog();
		openlog("pop3d", LOG_PID | LOG_NDELAY, facility);
	}
}

void
log_setnone(void)
{
	log_setfd(-1);
	log_none = 1;
}

void
log_sethook(void (*hook)(int, const char *))
{
	log_hook = hook;
}

/* A finished line, from this process or forwarded by a child. */
void
log_emit(int pri, const char *line)
{
	char		 stamp[32];
	time_t		 now;
	struct tm	*tm;

	if (log_debugging) {
		fprintf(stderr, "%s\n", line);
		fflush(stderr);
	} else if (log_none)
		return;
	else if (log_fd != -1) {
		now = time(NULL);
		tm = localtime(&now);
		if (tm == NULL ||
		    strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", tm) == 0)
			stamp[0] = '\0';
		dprintf(log_fd, "%s pop3d[%ld]: %s\n", stamp, (long)getpid(),
		    line);
	} else
		syslog(pri, "%s", line);
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	char	line[LOG_LINE_MAX];
	int	saved_errno = errno;

	if (pri == LOG_DEBUG && !log_verbose)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_hook != NULL)
		log_hook(pri, line);
	else
		log_emit(pri, line);
	errno = saved_errno;
}

void
log_warn(const char *emsg, ...)
{
	char	*nfmt;
	va_list	 ap;
	int	 saved_errno = errno;

	va_start(ap, emsg);
	if (emsg == NULL)
		log_warnx("%s", strerror(saved_errno));
	else if (asprintf(&nfmt, "%s: %s", emsg, strerror(saved_errno)) ==
	    -1)
		vlog(LOG_ERR, emsg, ap);
	else {
		vlog(LOG_ERR, nfmt, ap);
		free(nfmt);
	}
	va_end(ap);
	errno = saved_errno;
}

void
log_warnx(const char *emsg, ...)
{
	va_list	ap;

	va_start(ap, emsg);
	vlog(LOG_ERR, emsg, ap);
	va_end(ap);
}

void
log_info(const char *emsg, ...)
{
	va_list	ap;

	va_start(ap, emsg);
	vlog(LOG_INFO, emsg, ap);
	va_end(ap);
}

void
log_debug(const char *emsg, ...)
{
	va_list	ap;

	va_start(ap, emsg);
	vlog(LOG_DEBUG, emsg, ap);
	va_end(ap);
}

static __dead void
vfatalc(int code, const char *emsg, va_list ap)
{
	char	 s[LOG_LINE_MAX];
	const char *sep;

	if (emsg != NULL) {
		vsnprintf(s, sizeof(s), emsg, ap);
		sep = ": ";
	} else {
		s[0] = '\0';
		sep = "";
	}
	/* A forwarded line gets the title from the parent. */
	if (code)
		log_warnx("%s%sfatal: %s%s%s", log_hook ? "" : log_title,
		    log_hook ? "" : ": ", s, sep, strerror(code));
	else
		log_warnx("%s%sfatal: %s", log_hook ? "" : log_title,
		    log_hook ? "" : ": ", s);
	exit(1);
}

void
fatal(const char *emsg, ...)
{
	va_list	ap;

	va_start(ap, emsg);
	vfatalc(errno, emsg, ap);
	va_end(ap);
}

void
fatalx(const char *emsg, ...)
{
	va_list	ap;

	va_start(ap, emsg);
	vfatalc(0, emsg, ap);
	va_end(ap);
}
