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
 * pop3d-store: one authenticated session's maildrop.  Exec'd by the
 * parent as root with its channel on PARENT_FD and the session's on
 * STORE_SESSION_FD; it chroots to the maildrop, becomes the mail user,
 * confines itself, and then answers the session one request at a
 * time.  It exits after UPDATE, when the session goes away, or after
 * a failed INIT.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"
#include "dispatch.h"
#include "msg.h"
#include "store.h"

static struct chan	 parent_chan;
static struct chan	 sess_chan;
static struct maildrop	 md;
static int		 md_inited;
/* No maildrop yet: served as an empty one, since that is normal. */
static int		 md_none;
/* A maildrop that cannot be served; INIT says [SYS/TEMP]. */
static int		 md_broken;

/* When the next keep is due (CLOCK_MONOTONIC ms); 0: none. */
static int64_t		 keep_at;

/* Locks dropped and memory freed; once. */
static void
store_release(void)
{
	if (md.ops != NULL)
		md.ops->release(&md);
	md.ops = NULL;
	keep_at = 0;
}

static __dead void
store_exit(void)
{
	store_release();
	exit(0);
}

static int64_t
store_now_ms(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("%s: clock_gettime", __func__);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/*
 * The backend's keep, when due; the poll timeout until the next one,
 * or -1 when there is none to do.
 */
static int
store_keep(void)
{
	int64_t	now;

	if (keep_at == 0 || md.ops == NULL || md.ops->keep == NULL)
		return (-1);
	now = store_now_ms();
	if (now >= keep_at) {
		md.ops->keep(&md);
		keep_at = now + MAILDIR_LOCK_REFRESH * 1000;
	}
	return ((int)(keep_at - now));
}

static void
store_send(uint32_t type, int fd, const void *data, size_t len)
{
	if (chan_queue(&sess_chan, type, 0, fd, data, len) == -1)
		fatal("%s: compose %s", __func__, msg_name(type));
}

/* A session that hung up mid-reply is a client that left, not a fault. */
static void
store_flush(void)
{
	if (chan_flush(&sess_chan) == -1) {
		if (errno == EPIPE || errno == ECONNRESET)
			store_exit();
		fatal("%s: session", __func__);
	}
}

static void
store_fail(int code)
{
	struct store_fail	f;

	memset(&f, 0, sizeof(f));
	f.code = code;
	store_send(MSG_STORE_FAIL, -1, &f, sizeof(f));
	store_flush();
}

static void
store_stat(void)
{
	struct store_stat	st;
	size_t			i;

	memset(&st, 0, sizeof(st));
	for (i = 0; i < md.nmsgs; i++) {
		if (md.msgs[i].deleted)
			continue;
		st.count++;
		st.octets += md.msgs[i].size;
	}
	store_send(MSG_STORE_STAT, -1, &st, sizeof(st));
	store_flush();
}

/* A message the session may name: 0 or a STORE_ERR_* code. */
static int
store_lookup(uint32_t index, struct smsg **m)
{
	if (index == 0 || index > md.nmsgs)
		return (STORE_ERR_NOMSG);
	*m = &md.msgs[index - 1];
	return ((*m)->deleted ? STORE_ERR_DELETED : 0);
}

static void
store_entry(uint32_t index)
{
	struct store_entry	e;
	struct smsg		*m = &md.msgs[index - 1];

	memset(&e, 0, sizeof(e));
	e.index = index;
	e.size = m->size;
	strlcpy(e.uidl, m->uidl, sizeof(e.uidl));
	store_send(MSG_STORE_ENTRY, -1, &e, sizeof(e));
}

/*
 * Every undeleted message, packed many to a frame; flushed as frames
 * fill, so that a million messages take bounded memory.
 */
static void
store_list_all(void)
{
	struct mbuf	 m;
	struct smsg	*msg;
	size_t		 i, need;

	m_init(&m);
	for (i = 0; i < md.nmsgs; i++) {
		msg = &md.msgs[i];
		if (msg->deleted)
			continue;
		need = sizeof(uint32_t) + sizeof(uint64_t) +
		    sizeof(uint32_t) + strlen(msg->uidl) + 1;
		if (need > sizeof(m.buf) - m.len) {
			m_compose(&sess_chan, MSG_STORE_ENTRIES, 0, -1, &m);
			m_init(&m);
			if (sess_chan.queued >= 16)
				store_flush();
		}
		m_add_u32(&m, i + 1);
		m_add_u64(&m, msg->size);
		m_add_string(&m, msg->uidl);
	}
	if (m.len > 0)
		m_compose(&sess_chan, MSG_STORE_ENTRIES, 0, -1, &m);
	store_send(MSG_STORE_END, -1, NULL, 0);
	store_flush();
}

static void
store_list(uint32_t index)
{
	struct smsg	*m;
	int		 rc;

	if (index == 0) {
		store_list_all();
		return;
	}
	if ((rc = store_lookup(index, &m)) != 0)
		store_fail(rc);
	else {
		store_entry(index);
		store_flush();
	}
}

static void
store_retr(struct store_retr *req)
{
	struct store_msg	 msg;
	struct smsg		*m;
	int			 fd, rc;

	if ((rc = store_lookup(req->index, &m)) != 0) {
		store_fail(rc);
		return;
	}
	memset(&msg, 0, sizeof(msg));
	if ((fd = md.ops->open(&md, m, &msg.offset, &msg.length)) == -1) {
		store_fail(STORE_ERR_TEMP);
		return;
	}
	msg.index = req->index;
	msg.size = m->size;
	msg.mboxrd = md.mboxrd;
	store_send(MSG_STORE_MSG, fd, &msg, sizeof(msg));
	store_flush();
}

static void
store_dele(uint32_t index)
{
	struct smsg	*m;
	int		 rc;

	if ((rc = store_lookup(index, &m)) != 0) {
		store_fail(rc);
		return;
	}
	m->deleted = 1;
	store_send(MSG_STORE_OK, -1, NULL, 0);
	store_flush();
}

static void
store_rset(void)
{
	size_t	i;

	for (i = 0; i < md.nmsgs; i++)
		md.msgs[i].deleted = 0;
	store_stat();
}

static void
store_init(void)
{
	int	rc = 0;

	if (md_broken)
		rc = STORE_ERR_TEMP;
	else if (!md_none)
		rc = md.ops->scan(&md);
	if (rc != 0) {
		/* Before the answer, as at UPDATE. */
		store_release();
		store_fail(rc);
		store_exit();
	}
	md_inited = 1;
	if (!md_none)
		keep_at = store_now_ms() + MAILDIR_LOCK_REFRESH * 1000;
	log_debug("%s: %zu messages, %llu octets", __func__, md.nmsgs,
	    (unsigned long long)md.octets);
	store_stat();
}

/*
 * Deletions are applied with the termination signals held off, so
 * that a parent shutting down does not cut an mbox rewrite short
 * (that would be safe, but would lose the client's QUIT).
 */
static __dead void
store_update(void)
{
	struct store_update	up;
	sigset_t		set;
	int			rc = 0;

	memset(&up, 0, sizeof(up));
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (md.ops != NULL && !md_none)
		rc = md.ops->update(&md, &up);
	/*
	 * The lock goes before the answer that lets the session tell the
	 * client +OK: a client that logs in again at once, maybe on
	 * another node, must find the maildrop free, not [IN-USE].
	 */
	store_release();
	if (rc != 0)
		store_fail(rc);
	else {
		store_send(MSG_STORE_UPDATED, -1, &up, sizeof(up));
		store_flush();
	}
	store_exit();
}

static int
store_init_req(void *arg, struct frame *fr)
{
	store_init();
	return (0);
}

static int
store_stat_req(void *arg, struct frame *fr)
{
	store_stat();
	return (0);
}

static int
store_list_req(void *arg, struct frame *fr)
{
	struct store_index	idx;

	frame_get(fr, &idx, sizeof(idx));
	store_list(idx.index);
	return (0);
}

static int
store_retr_req(void *arg, struct frame *fr)
{
	struct store_retr	retr;

	frame_get(fr, &retr, sizeof(retr));
	if (retr.lines < -1)
		return (-1);
	store_retr(&retr);
	return (0);
}

static int
store_dele_req(void *arg, struct frame *fr)
{
	struct store_index	idx;

	frame_get(fr, &idx, sizeof(idx));
	store_dele(idx.index);
	return (0);
}

static int
store_rset_req(void *arg, struct frame *fr)
{
	store_rset();
	return (0);
}

static int
store_update_req(void *arg, struct frame *fr)
{
	store_update();
	/* NOTREACHED */
}

/*
 * What the session may ask: INIT first and once, then anything, one
 * request at a time; UPDATE ends us.  Every index is checked again by
 * store_lookup().  A bad request is fatal: the session is the store's
 * only client, and a compromised one gets nothing by killing it.
 */
#define STORE_NEW	0x01
#define STORE_READY	0x02

static const struct dispatch_rule sess_rules[] = {
	{ MSG_STORE_INIT,	STORE_NEW,	D_ONCE,	store_init_req },
	{ MSG_STORE_STAT_REQ,	STORE_READY,	0,	store_stat_req },
	{ MSG_STORE_LIST,	STORE_READY,	0,	store_list_req },
	{ MSG_STORE_UIDL,	STORE_READY,	0,	store_list_req },
	{ MSG_STORE_RETR,	STORE_READY,	0,	store_retr_req },
	{ MSG_STORE_DELE,	STORE_READY,	0,	store_dele_req },
	{ MSG_STORE_RSET,	STORE_READY,	0,	store_rset_req },
	{ MSG_STORE_UPDATE,	STORE_READY,	0,	store_update_req },
};
static const struct dispatch_table sess_table =
    DISPATCH_TABLE("session", sess_rules);

static void
store_dispatch(struct frame *fr)
{
	static uint64_t	 seen;
	const char	*why;

	if (fr->hdr.peerid != 0)
		fatalx("%s: %s with peer id %u from session", __func__,
		    msg_name(fr->hdr.type), fr->hdr.peerid);
	if (dispatch(&sess_table, NULL, fr, md_inited ? STORE_READY :
	    STORE_NEW, &seen, &why) == -1)
		fatalx("session: %s", why);
}

/* The parent says nothing after the configuration; EOF means it died. */
static void
store_parent(void)
{
	struct frame	fr;
	int		n;

	if ((n = chan_read(&parent_chan, &fr)) == 0) {
		/* Nobody left to log to. */
		log_sethook(NULL);
		log_setnone();
		store_exit();
	}
	if (n == -1 && errno == EAGAIN)
		return;
	if (n == -1)
		fatal("%s: read", __func__);
	fatalx("%s: unexpected %s from parent", __func__,
	    msg_name(fr.hdr.type));
}

static __dead void
store_serve(void)
{
	struct pollfd	pfd[2];
	struct frame	fr;
	int		n, timeout;

	for (;;) {
		pfd[0].fd = PARENT_FD;
		pfd[0].events = POLLIN;
		pfd[1].fd = STORE_SESSION_FD;
		pfd[1].events = POLLIN;
		timeout = store_keep();
		if (poll(pfd, 2, timeout) == -1) {
			if (errno == EINTR)
				continue;
			fatal("%s: poll", __func__);
		}
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			if ((n = chan_read(&sess_chan, &fr)) == 0)
				store_exit();
			if (n == -1 && errno == EBADMSG)
				fatalx("%s: malformed frame from session",
				    __func__);
			if (n == -1 && errno != EAGAIN)
				fatal("%s: read from session", __func__);
			if (n == 1) {
				store_dispatch(&fr);
				frame_done(&fr);
			}
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			store_parent();
	}
}

static void
store_conf_recv(struct store_conf *conf)
{
	struct frame	 fr;
	const char	*why;
	int		 n;

	if ((n = chan_read(&parent_chan, &fr)) == -1)
		fatal("%s: read", __func__);
	if (n == 0)
		fatalx("%s: parent closed the channel", __func__);
	if (frame_expect(&fr, MSG_CONF_STORE, &why) == -1)
		fatalx("parent: %s", why);
	frame_get(&fr, conf, sizeof(*conf));
	if (memchr(conf->path, '\0', sizeof(conf->path)) == NULL ||
	    memchr(conf->user, '\0', sizeof(conf->user)) == NULL)
		fatalx("%s: unterminated path or user", __func__);
	if (conf->format != MAILDROP_MAILDIR && conf->format != MAILDROP_MBOX)
		fatalx("%s: bad maildrop format %d", __func__, conf->format);
	if (conf->uid == 0)
		fatalx("%s: refusing to serve uid 0", __func__);
	if (conf->user[0] == '\0' || conf->path[0] != '/')
		fatalx("%s: bad user or maildrop path", __func__);
	if (conf->fixed_dir != 0 && conf->fixed_dir != 1)
		fatalx("%s: bad fixed_dir %d", __func__, conf->fixed_dir);
	if (conf->xuidl != 0 && conf->xuidl != 1)
		fatalx("%s: bad xuidl %d", __func__, conf->xuidl);
}

static void
store_add_group(gid_t **groups, int *n, gid_t gid)
{
	int	i;

	for (i = 0; i < *n; i++)
		if ((*groups)[i] == gid)
			return;
	*groups = xreallocarray(*groups, *n + 1, sizeof(gid_t));
	(*groups)[(*n)++] = gid;
}

/*
 * One component of a walk: the directory or symbolic link name in
 * dirfd, opened as itself (O_PATH | O_NOFOLLOW), so that its type and
 * owner are those of the very inode the walk goes on from.
 */
static int
walk_open(int dirfd, const char *p, size_t len, struct stat *sb)
{
	char	name[NAME_MAX + 1];
	int	fd;

	if (len > NAME_MAX) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memcpy(name, p, len);
	name[len] = '\0';
	if ((fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return (-1);
	if (fstat(fd, sb) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/*
 * A symbolic link met on the walk: its target, then left (what
 * followed the link in rest, which may point into rest), becomes the
 * rest of the walk.  The target is read from the link's own
 * descriptor, so it is the one whose owner was checked.
 */
static int
walk_link(int linkfd, char *rest, const char *left)
{
	char	target[PATH_MAX];
	ssize_t	n;

	if ((n = readlinkat(linkfd, "", target, sizeof(target) - 1)) == -1)
		return (-1);
	target[n] = '\0';
	if (n == 0) {
		errno = ENOENT;
		return (-1);
	}
	if (strlcat(target, "/", sizeof(target)) >= sizeof(target) ||
	    strlcat(target, left, sizeof(target)) >= sizeof(target)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	strlcpy(rest, target, PATH_MAX);
	return (0);
}

/*
 * The directory at path, opened from / one component at a time while
 * we are still root, without following a symbolic link that a user
 * made: such a link would choose our root directory, and with it the
 * group we might join.  A link owned by root is the administrator's
 * (/home -> /data/home) and is followed, as the kernel's
 * protected_symlinks would; any other refuses the maildrop.  The
 * descriptor (O_PATH) is what we chroot to, so nothing can be swapped
 * between this check and the chroot.  -1 with errno ENOENT: no such
 * directory, not logged; any other failure is logged here.
 */
static int
store_walk(const char *path)
{
	char		 rest[PATH_MAX];
	const char	*p;
	struct stat	 sb;
	size_t		 len;
	int		 dirfd, fd, links = 0, save;

	if ((dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_warn("open /");
		return (-1);
	}
	strlcpy(rest, path, sizeof(rest));
	p = rest;
	for (;;) {
		p += strspn(p, "/");
		if (*p == '\0')
			return (dirfd);
		len = strcspn(p, "/");
		if ((fd = walk_open(dirfd, p, len, &sb)) == -1)
			goto fail;
		p += len;
		if (S_ISDIR(sb.st_mode)) {
			close(dirfd);
			dirfd = fd;
			continue;
		}
		if (!S_ISLNK(sb.st_mode)) {
			close(fd);
			errno = ENOTDIR;
			goto fail;
		}
		if (sb.st_uid != 0) {
			log_warnx("%s: symbolic link %.*s is owned by uid %lu, "
			    "not root: not followed", path, (int)(p - rest),
			    rest, (unsigned long)sb.st_uid);
			close(fd);
			close(dirfd);
			errno = EPERM;
			return (-1);
		}
		if (++links > STORE_SYMLINKS_MAX) {
			close(fd);
			errno = ELOOP;
			goto fail;
		}
		if (walk_link(fd, rest, p) == -1) {
			close(fd);
			goto fail;
		}
		close(fd);
		p = rest;
		/* An absolute target starts again from /. */
		if (rest[0] == '/') {
			close(dirfd);
			if ((dirfd = open("/", O_PATH | O_DIRECTORY |
			    O_CLOEXEC)) == -1) {
				log_warn("open /");
				return (-1);
			}
		}
	}
 fail:
	save = errno;
	if (save != ENOENT)
		log_warn("%s", path);
	close(dirfd);
	errno = save;
	return (-1);
}
/*
 * A mail spool lends its group, which creating the dot lock beside the
 * mbox needs (Debian's /var/mail is root:mail 2775), only when the
 * administrator chose it: the template fixed the directory (no ~, no
 * %u), and it is root's and group-writable, but not writable by all (a
 * 1777 spool needs no group, and a /tmp would lend root's) and not of
 * group root, which opens far more than a spool.  An mbox under a home
 * never gains a group, wherever a link of the user's might point.
 */
static int
store_spool_group(const struct store_conf *conf, const struct stat *sb)
{
	return (conf->format == MAILDROP_MBOX && conf->fixed_dir &&
	    sb->st_uid == 0 && sb->st_gid != 0 &&
	    (sb->st_mode & S_IWGRP) && !(sb->st_mode & S_IWOTH));
}

/*
 * Where to chroot, opened by store_walk(): the Maildir itself, or the
 * directory of the mbox file.  -1 when there is nothing to serve
 * (md_none, md_broken).
 */
static int
store_root(struct store_conf *conf, gid_t **groups, int *ngroups)
{
	char		 dir[PATH_MAX];
	struct stat	 sb;
	char		*slash;
	int		 fd;

	strlcpy(dir, conf->path, sizeof(dir));
	if (conf->format == MAILDROP_MAILDIR)
		maildrop_setup(&md, &maildir_ops, -1, NULL);
	else {
		slash = strrchr(dir, '/');
		if (strlen(slash + 1) == 0 || strlen(slash + 1) > NAME_MAX ||
		    strcmp(slash + 1, ".") == 0 ||
		    strcmp(slash + 1, "..") == 0) {
			log_warnx("%s: not an mbox file name", conf->path);
			md_broken = 1;
			return (-1);
		}
		maildrop_setup(&md, &mbox_ops, -1, slash + 1);
		slash[slash == dir ? 1 : 0] = '\0';
	}
	if ((fd = store_walk(dir)) == -1) {
		if (errno == ENOENT)
			md_none = 1;
		else
			md_broken = 1;
		return (-1);
	}
	if (fstat(fd, &sb) == -1) {
		log_warn("%s", dir);
		close(fd);
		md_broken = 1;
		return (-1);
	}
	if (store_spool_group(conf, &sb)) {
		log_debug("%s: joining its group %lu for dot locks", dir,
		    (unsigned long)sb.st_gid);
		store_add_group(groups, ngroups, sb.st_gid);
	}
	return (fd);
}

/*
 * The maildrop must belong to the user we serve: a Maildir that is a
 * symbolic link into someone else's mail is not served, whatever its
 * modes say.
 */
static void
store_opendir(struct store_conf *conf)
{
	struct stat	sb;

	if ((md.dirfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_warn("open maildrop directory");
		md_broken = 1;
		return;
	}
	if (conf->format == MAILDROP_MAILDIR &&
	    (fstat(md.dirfd, &sb) == -1 || sb.st_uid != conf->uid)) {
		log_warnx("%s: not owned by %s", conf->path, conf->user);
		md_broken = 1;
	}
}

static void
store_confine(struct store_conf *conf)
{
	gid_t		*groups;
	int		 ngroups, rootfd;

	/*
	 * The user's own group, and a mail spool's below: the maildrop is
	 * the user's, and no supplementary group of the account is needed
	 * to serve it.  So no NSS either, which would map its modules into
	 * every store.
	 */
	groups = xcalloc(1, sizeof(*groups));
	groups[0] = conf->gid;
	ngroups = 1;
	rootfd = store_root(conf, &groups, &ngroups);
	/* Lock, cache and temporary files are the user's alone. */
	umask(077);
	/* Into the directory the walk opened, which demote() makes root. */
	if (rootfd != -1 && fchdir(rootfd) == -1)
		fatal("%s: fchdir %s", __func__, conf->path);
	demote(rootfd != -1 ? "." : POP3D_CHROOT, conf->uid, conf->gid,
	    ngroups, groups);
	if (rootfd != -1)
		close(rootfd);
	free(groups);
	md.owner = conf->uid;
	md.xuidl = conf->xuidl;
	if (!md_none && !md_broken)
		store_opendir(conf);
	sandbox_init(SANDBOX_STORE);
}

static void
store_check_fd(int fd)
{
	if (fcntl(fd, F_GETFD) == -1)
		fatal("%s: fd %d", __func__, fd);
	set_cloexec(fd, 1);
	set_nonblock(fd, 0);
}

int
main(int argc, char *argv[])
{
	struct store_conf	conf;

	log_procinit("store");
	if (geteuid() != 0)
		fatalx("must be started as root by pop3d");
	store_check_fd(PARENT_FD);
	store_check_fd(STORE_SESSION_FD);
	closefrom(STORE_SESSION_FD + 1);
	chan_init(&parent_chan, PARENT_FD);
	log_to_parent(&parent_chan);

	store_conf_recv(&conf);
	log_setverbose(conf.debug);
	store_confine(&conf);

	chan_init(&sess_chan, STORE_SESSION_FD);
	store_serve();
	/* NOTREACHED */
}
