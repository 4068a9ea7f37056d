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

#ifndef POP3D_STORE_H
#define POP3D_STORE_H

/*
 * pop3d-store's maildrop backends.  Everything below works on a
 * directory fd and never assumes the chroot, so that the unit tests can
 * drive a backend on a temporary directory without root.
 */

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "compat.h"
#include "pathnames.h"
#include "proto.h"
#include "frame.h"
#include "log.h"
#include "util.h"
#include "addr.h"

/* One message, as the session numbers it (msgs[i] is message i + 1). */
struct smsg {
	char		*name;		/* Maildir: file name in cur/ */
	size_t		 baselen;	/* Maildir: its length before ":2," */
	uint64_t	 stamp;		/* Maildir: delivery second, for order */
	uint64_t	 from;		/* mbox: offset of the From_ line */
	uint64_t	 offset;	/* first stored byte of the message */
	uint64_t	 length;	/* stored bytes */
	uint64_t	 size;		/* octets as transmitted (CRLF) */
	char		 uidl[UIDL_MAX + 1];
	int		 deleted;
};

struct maildrop {
	const struct store_ops	*ops;
	int		 dirfd;		/* the Maildir, or the mbox's directory */
	char		 name[NAME_MAX + 1];	/* mbox: file name in dirfd */
	int		 lockfd;	/* held for the session: [IN-USE] */
	int		 curfd;		/* Maildir: cur/ */
	int		 mboxrd;	/* messages are sent with >From unquoted */
	struct smsg	*msgs;
	size_t		 nmsgs;
	size_t		 msgcap;
	uint64_t	 octets;	/* all messages, deleted or not */
	uint64_t	 scanned;	/* mbox: bytes indexed at scan time */
	uid_t		 owner;		/* mbox: who must own the file */
	dev_t		 dev;		/* mbox: the file we indexed */
	ino_t		 ino;
};

/*
 * The backend operations.  scan takes the session lock and indexes
 * (0 or a STORE_ERR_* code; the lock stays held); the list is then
 * msgs[0 .. nmsgs); open returns a read-only fd and where the message
 * lies in it; update applies the deletions (0 or STORE_ERR_TEMP, in
 * which case nothing was deleted); release drops locks and memory.
 */
struct store_ops {
	const char	*name;
	int		(*scan)(struct maildrop *);
	int		(*open)(struct maildrop *, struct smsg *, uint64_t *,
			    uint64_t *);
	int		(*update)(struct maildrop *, struct store_update *);
	void		(*release)(struct maildrop *);
};

/*
 * Temporary files beside an mbox, named after it: a dot lock attempt
 * and a rewrite.  A store killed while one existed leaves it, and the
 * next holder of the mbox's locks removes it by this name.
 */
#define DOTLOCK_TMP	".pop3d-lk.XXXXXX"
#define MBOX_TMP	".pop3d.XXXXXX"

extern const struct store_ops	maildir_ops;
extern const struct store_ops	mbox_ops;

/*
 * lock.c: locks, and the little both backends share (lock.o is the one
 * object linked with either backend's unit test).
 */
void	maildrop_setup(struct maildrop *, const struct store_ops *, int,
	    const char *);
void	maildrop_free(struct maildrop *);
struct smsg *maildrop_add(struct maildrop *);
int	maildrop_caps(struct maildrop *);
int	lock_flock(int);
int	lock_fcntl(int);
void	unlock_fcntl(int);
int	dotlock_take(int, const char *);
void	dotlock_release(int, const char *);
void	sweep_stale(int, const char *, uid_t);
int	mkstempat(int, char *);
void	msleep(int);
void	uidl_unique(struct smsg *, size_t);

#endif /* POP3D_STORE_H */
