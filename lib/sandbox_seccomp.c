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
 * Linux confinement with libseccomp: kill the whole process on any
 * system call not listed, after setting rlimits.  libseccomp sets
 * NO_NEW_PRIVS and kills on a foreign architecture by default
 * (seccomp_attr_set(3)).  Every widening of a list is a commit of its
 * own that says who needs the call.
 */

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <seccomp.h>
#include <stddef.h>
#include <string.h>

#include "params.h"
#include "log.h"
#include "sandbox.h"

struct sandbox_rule {
	int		 syscall;
	int		 errnum;	/* 0: allow; else fail with it */
	int		 narg;		/* 0, or 1 for the masked argument */
	unsigned int	 argpos;
	scmp_datum_t	 mask;		/* argument & mask must be 0 */
};

#define ALLOW(name)		{ SCMP_SYS(name), 0, 0, 0, 0 }
#define DENY(name, e)		{ SCMP_SYS(name), e, 0, 0, 0 }
/* Allowed only when (argument & mask) == 0. */
#define ALLOW_MASKED(name, pos, m)	{ SCMP_SYS(name), 0, 1, pos, m }

/* Common to all three: memory, time, randomness, exit. */
static const struct sandbox_rule rules_common[] = {
	ALLOW(brk),			/* malloc */
	/* malloc; never executable memory (as OpenSSH) */
	ALLOW_MASKED(mmap, 2, ~(scmp_datum_t)(PROT_READ | PROT_WRITE)),
	ALLOW_MASKED(mprotect, 2, ~(scmp_datum_t)(PROT_READ | PROT_WRITE)),
	ALLOW(munmap),			/* free */
	ALLOW(mremap),			/* realloc of large blocks */
	ALLOW(madvise),			/* glibc malloc trimming */
	ALLOW(futex),			/* glibc locks in stdio and malloc */
	ALLOW(clock_gettime),		/* timeouts, log stamps */
	ALLOW(gettimeofday),		/* libevent, localtime */
	ALLOW(getrandom),		/* arc4random, TLS */
	ALLOW(getpid),			/* log lines, mkstemp */
	ALLOW(rt_sigprocmask),		/* libc and libevent signal masking */
	ALLOW(rt_sigreturn),		/* return from a signal handler */
	/* poll or nanosleep resumed after SIGSTOP and SIGCONT, or ptrace */
	ALLOW(restart_syscall),
	ALLOW(rt_sigaction),		/* default SIGPIPE handling at exit */
	ALLOW(read),			/* sockets, message files */
	ALLOW(write),			/* sockets */
	ALLOW(readv),			/* stdio */
	ALLOW(writev),			/* stdio, TLS records */
	ALLOW(recvmsg),			/* fr, with fd passing */
	ALLOW(sendmsg),			/* fr, with fd passing */
	ALLOW(recvfrom),		/* recv(2) */
	ALLOW(sendto),			/* send(2) */
	ALLOW(close),
	ALLOW(poll),			/* the blocking loops */
	ALLOW(ppoll),			/* poll(2) on newer architectures */
	ALLOW(nanosleep),		/* failure delays */
	ALLOW(clock_nanosleep),		/* nanosleep(2) on newer glibc */
	ALLOW(fstat),			/* stdio buffer sizing */
	ALLOW(newfstatat),		/* fstat(2) in newer glibc */
	ALLOW(lseek),			/* stdio */
	ALLOW(exit),
	ALLOW(exit_group),
};

/* One client connection: it reads sockets and the fds it is given. */
static const struct sandbox_rule rules_session[] = {
	ALLOW(pread64),			/* message files from the store */
	ALLOW(shutdown),		/* half-close after QUIT */
	ALLOW(getsockname),		/* local address for logging */
	ALLOW(getpeername),		/* peer address for logging */
	ALLOW(getsockopt),		/* TLS socket checks */
	ALLOW(memfd_create),		/* XTND XMIT message, never a path */
	/* glibc probes files (locale, time zone): fail softly */
	DENY(open, EACCES),
	DENY(openat, EACCES),
	DENY(stat, EACCES),
	DENY(lstat, EACCES),
	DENY(statx, EACCES),
};

/*
 * pop3d-auth: libevent over many session channels, NSS reading
 * /etc/passwd and /etc/shadow for every login (modules are loaded
 * before the filter, so no executable mapping is needed later), and
 * pop3d's own user database, read when it changed and rewritten for a
 * poppass change: a temporary file beside it, synced, renamed over it,
 * under the lock file that pop3ctl takes too.
 */
static const struct sandbox_rule rules_auth[] = {
	ALLOW(epoll_wait),		/* libevent */
	ALLOW(epoll_pwait),		/* libevent, newer glibc */
	ALLOW(epoll_ctl),		/* libevent */
	ALLOW(openat),			/* NSS, the user database, mkstemp */
	ALLOW(open),			/* getpwnam on older glibc */
	ALLOW(statx),			/* NSS checks file changes */
	ALLOW(stat),			/* NSS checks file changes */
	ALLOW(pread64),			/* libxcrypt */
	ALLOW(flock),			/* the user database's lock file */
	ALLOW(fsync),			/* new user database, then its directory */
	ALLOW(fchmod),			/* new user database: 0600 */
	ALLOW(rename),			/* new user database over the old */
	ALLOW(renameat),		/* rename(2) on newer architectures */
	ALLOW(renameat2),		/* rename(2) in newer glibc */
	ALLOW(unlink),			/* temporary file of a failed rewrite */
	ALLOW(unlinkat),		/* unlink(2) on newer architectures */
	/*
	 * libnss_systemd ("passwd: files systemd", Debian's default) on
	 * every unknown user: resolves its userdb drop-in directories
	 * through symlinks (/lib -> usr/lib) and lists them.
	 */
	ALLOW(readlinkat),		/* libnss_systemd */
	ALLOW(getdents64),		/* libnss_systemd */
	/* nscd lookups are tried first: fail them, fall back to files */
	DENY(socket, EACCES),
	DENY(connect, EACCES),
};

/* pop3d-store: one maildrop, inside its chroot, as the mail user. */
static const struct sandbox_rule rules_store[] = {
	ALLOW(openat),			/* messages, lock and cache files */
	ALLOW(open),
	ALLOW(getdents64),		/* Maildir scan */
	ALLOW(pread64),			/* message scanning */
	ALLOW(pwrite64),		/* cache and mbox rewrite */
	ALLOW(rename),			/* new/ -> cur/, atomic rewrites */
	ALLOW(renameat),
	ALLOW(renameat2),
	ALLOW(unlink),			/* DELE at QUIT, dot lock removal */
	ALLOW(unlinkat),
	ALLOW(link),			/* NFS-safe dot locking */
	ALLOW(linkat),
	/* whether a dot lock's holder is alive: signal 0, no other */
	ALLOW_MASKED(kill, 1, ~(scmp_datum_t)0),
	ALLOW(fsync),			/* directory and file syncs at QUIT */
	ALLOW(fdatasync),
	ALLOW(flock),			/* the [IN-USE] lock */
	ALLOW(ftruncate),
	ALLOW(fchmod),			/* rewritten mbox keeps its mode */
	ALLOW(fchown),			/* ... and its group */
	ALLOW(umask),
	ALLOW(stat),
	ALLOW(lstat),
	ALLOW(statx),
	ALLOW(utimensat),		/* rewritten mbox keeps its times */
	ALLOW(mkdir),			/* Maildir tmp/ when missing */
	ALLOW(mkdirat),
	ALLOW(sysinfo),			/* glibc qsort(3) of a large maildrop */
	ALLOW(uname),			/* the host in the Maildir lock */
};

#ifdef POP3D_SANITIZE
/*
 * The sanitizer build only (make test-sanitize), never the daemon that
 * is installed: ASan takes down the alternate signal stack of its
 * SIGSEGV handler when the process exits.  Memory it maps with the
 * calls malloc already has; its reports are write(2)s to stderr.
 */
static const struct sandbox_rule rules_sanitize[] = {
	ALLOW(sigaltstack),		/* ASan, at exit */
};
#endif

static void
sandbox_add(scmp_filter_ctx ctx, const struct sandbox_rule *r, size_t n)
{
	size_t	i;
	int	rc;

	for (i = 0; i < n; i++, r++) {
		if (r->syscall < 0)
			continue;	/* not on this architecture */
		if (r->errnum)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(r->errnum),
			    r->syscall, 0);
		else if (r->narg)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->syscall,
			    1, SCMP_CMP(r->argpos, SCMP_CMP_MASKED_EQ,
			    r->mask, 0));
		else
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
			    r->syscall, 0);
		if (rc < 0)
			fatalx("%s: rule for syscall %d: %s", __func__,
			    r->syscall, strerror(-rc));
	}
}

/*
 * fcntl(2) by command: descriptor and status flags for every process,
 * record locks for pop3d-auth (NSS) and the store (mbox, as the MTA
 * locks).  Never F_SETOWN, F_SETSIG, O_ASYNC, leases or F_NOTIFY: with
 * them a compromised process could have the kernel signal any process
 * of its uid, other sessions and a store that holds a maildrop lock.
 */
static void
sandbox_fcntl(scmp_filter_ctx ctx, enum sandbox_proc proc)
{
	static const int	 flags[] = { F_GETFD, F_SETFD, F_GETFL };
	static const int	 locks[] = { F_GETLK, F_SETLK, F_SETLKW };
	size_t			 i;
	int			 rc = 0;

	for (i = 0; i < nitems(flags) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
		    SCMP_A1(SCMP_CMP_EQ, flags[i]));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 2,
		    SCMP_A1(SCMP_CMP_EQ, F_SETFL),
		    SCMP_A2(SCMP_CMP_MASKED_EQ, O_ASYNC, 0));
	for (i = 0; i < nitems(locks) && rc == 0 && proc != SANDBOX_SESSION;
	    i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
		    SCMP_A1(SCMP_CMP_EQ, locks[i]));
	if (rc < 0)
		fatalx("%s: %s", __func__, strerror(-rc));
}

static void
sandbox_rlimits(enum sandbox_proc proc)
{
	struct rlimit	rl_zero = { 0, 0 };
	/* An XTND XMIT message and its Received: header, in a memfd. */
	struct rlimit	rl_xmit = { XMIT_MAX_LIMIT + 65536,
			    XMIT_MAX_LIMIT + 65536 };

	/*
	 * No process may fork (RLIMIT_NPROC 0).  The store writes maildrop
	 * files and pop3d-auth the user database on password changes; the
	 * session writes no file but the memfd of XTND XMIT.  NOFILE
	 * stays: the session holds the client, its two channels and a
	 * message fd, the store its maildrop files.
	 */
	if (setrlimit(RLIMIT_NPROC, &rl_zero) == -1)
		fatal("%s: setrlimit RLIMIT_NPROC", __func__);
	/* A core file would hold passwords, keys or someone's mail. */
	if (setrlimit(RLIMIT_CORE, &rl_zero) == -1)
		fatal("%s: setrlimit RLIMIT_CORE", __func__);
	if (proc == SANDBOX_SESSION &&
	    setrlimit(RLIMIT_FSIZE, &rl_xmit) == -1)
		fatal("%s: setrlimit RLIMIT_FSIZE", __func__);
}

void
sandbox_init(enum sandbox_proc proc)
{
	scmp_filter_ctx	ctx;
	int		rc;

	sandbox_rlimits(proc);
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		fatalx("%s: seccomp_init", __func__);
	sandbox_add(ctx, rules_common, nitems(rules_common));
	sandbox_fcntl(ctx, proc);
#ifdef POP3D_SANITIZE
	sandbox_add(ctx, rules_sanitize, nitems(rules_sanitize));
#endif
	switch (proc) {
	case SANDBOX_SESSION:
		sandbox_add(ctx, rules_session, nitems(rules_session));
		break;
	case SANDBOX_AUTH:
		sandbox_add(ctx, rules_auth, nitems(rules_auth));
		break;
	case SANDBOX_STORE:
		sandbox_add(ctx, rules_store, nitems(rules_store));
		break;
	}
	if ((rc = seccomp_load(ctx)) < 0)
		fatalx("%s: seccomp_load: %s", __func__, strerror(-rc));
	seccomp_release(ctx);
}
