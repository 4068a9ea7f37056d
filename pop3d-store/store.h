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
#include <stdio.h>

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
	int		 lost;		/* Maildir: the lock was taken */
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
	int		 xuidl;		/* mbox: X-UIDL headers may name UIDLs */
	int		 ulok;		/* mbox: the UIDL list may be written */
	uint64_t	 ulnext;	/* the list's counter, after the scan */
	uint64_t	 ulepoch;
	/*
	 * pop3ctl migrate: the scan writes no UIDL list, so that nothing
	 * is written before the import is decided; with nomove (a dry
	 * run) it does not move new/ to cur/ either.
	 */
	int		 noulist;
	int		 nomove;
};

/* One line of the UIDL list (uidlist.c). */
struct ulent {
	char		*key;		/* Maildir: file name; mbox: digest */
	char		*uidl;		/* after key, one allocation; "": none */
	size_t		 keylen;	/* the part of key that matches */
	uint64_t	 stamp;		/* Maildir: delivery second, for order */
	uint64_t	 raw;		/* stored bytes */
	uint64_t	 size;		/* octets as transmitted */
	int		 used;		/* matched to a message */
};

struct ulist {
	struct ulent	*ent;
	size_t		 n;
	size_t		 cap;
	int		 found;		/* a list was read */
	int		 hdr;		/* with a good header */
	int		 bad;		/* lines dropped, or count wrong */
	int		 whole;		/* header: stands for cur/ whole */
	uint64_t	 count;		/* header: lines that follow */
	uint64_t	 ino;		/* header: cur/ when it was written */
	uint64_t	 sec;
	uint64_t	 nsec;
	uint64_t	 next;		/* the counter's next number */
	uint64_t	 epoch;		/* the counter's epoch */
};

/* What the counter's UIDLs start with: "pop3d.EPOCH.N". */
#define UIDL_COUNTER	"pop3d."
/* The list in a Maildir, and beside an mbox (".NAME" ULIST_SUFFIX). */
#define ULIST_NAME	"pop3d-uidlist"
#define ULIST_SUFFIX	".pop3d-uidlist"
/* The Maildir lock file (lock.c), seen by every node on NFS. */
#define MDLOCK_NAME	"pop3d-lock"


/*
 * The backend operations.  scan takes the session lock and indexes
 * (0 or a STORE_ERR_* code; the lock stays held); the list is then
 * msgs[0 .. nmsgs); open returns a read-only fd and where the message
 * lies in it; update applies the deletions (0 or STORE_ERR_TEMP, in
 * which case nothing was deleted); release drops locks and memory;
 * keep, when there is one, is called every MAILDIR_LOCK_REFRESH while
 * the session lives, to keep its lock.
 */
struct store_ops {
	const char	*name;
	int		(*scan)(struct maildrop *);
	int		(*open)(struct maildrop *, struct smsg *, uint64_t *,
			    uint64_t *);
	int		(*update)(struct maildrop *, struct store_update *);
	void		(*release)(struct maildrop *);
	void		(*keep)(struct maildrop *);
};

/*
 * Temporary files beside an mbox, named after it: a dot lock attempt
 * and a rewrite.  A store killed while one existed leaves it, and the
 * next holder of the mbox's locks removes it by this name.
 */
#define DOTLOCK_TMP	".pop3d-lk.XXXXXX"
#define MBOX_TMP	".pop3d.XXXXXX"

extern const struct store_ops	maildir_ops;
size_t	maildir_baselen(const char *);
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
void	sweep_stale(int, const char *, uid_t, time_t);
int	mdlock_take(int, int *);
int	mdlock_check(int, int);
int	mdlock_touch(int, int);
void	mdlock_release(int, int);
int	mkstempat(int, char *);
void	msleep(int);
void	uidl_unique(struct smsg *, size_t);

/* uidlist.c: the UIDL list. */
void	ulist_free(struct ulist *);
int	ulist_u64(const char *, const char *, uint64_t *);
int	ulist_header(struct ulist *, const char *);
int	ulist_line(struct ulist *, char *, int);
void	ulist_readfp(struct ulist *, FILE *, int);
void	ulist_load(struct ulist *, int, const char *, uid_t, int);
int	ulist_key_ok(const char *);
int	ulist_write(int, const char *, const char *, const struct ulist *,
	    const struct smsg *, size_t, int, size_t *);
void	ulist_match(struct ulist *, struct smsg *, size_t,
	    size_t (*)(const char *), struct ulent **);
size_t	ulist_assign(struct ulist *, struct smsg *, size_t,
	    struct ulent **, int);

#endif /* POP3D_STORE_H */
