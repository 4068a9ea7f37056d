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

#ifndef POP3D_USERDB_H
#define POP3D_USERDB_H

/*
 * pop3d's own user database, one user a line:
 *
 *	name:hash:apop:scram:flags
 *
 * shared by pop3d-auth (lookups, poppass changes) and pop3ctl (every
 * other change).  pop3d-auth(8) documents the format.  Whoever changes
 * the file holds the lock file next to it and replaces the file by a
 * rename, so that a reader never needs the lock and a crash leaves
 * the old file or the new one.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <limits.h>
#include <stdint.h>

#include "params.h"

/* SHA-256 output: SCRAM-SHA-256 keys (RFC 7677). */
#define SCRAM_KEY_LEN		32

/* Per-user flags. */
#define USERDB_NOPASS		0x01	/* RFC 1939 7: no USER/PASS */

/* userdb_load() flags */
#define USERDB_STRICT		0x01	/* a bad line fails the load */
#define USERDB_QUIET		0x02	/* bad lines: once per file */

struct userdb_scram {
	uint32_t	 iter;
	size_t		 saltlen;
	unsigned char	 salt[SCRAM_SALT_MAX];
	unsigned char	 stored_key[SCRAM_KEY_LEN];
	unsigned char	 server_key[SCRAM_KEY_LEN];
};

struct userdb_entry {
	char			 name[POP3_USER_MAX + 1];
	char			 hash[HASH_MAX]; /* "" = none */
	size_t			 apoplen;	/* 0 = no secret */
	unsigned char		 apop[APOP_SECRET_MAX];
	int			 has_scram;
	struct userdb_scram	 scram;
	unsigned int		 flags;
};

/*
 * The file as read: each line is an entry, or text kept as it was
 * (comments, blank lines, and lines that did not parse, which
 * pop3d-auth skips but must not drop when it rewrites the file).
 */
struct userdb_line {
	char			*text;	/* NULL for an entry */
	struct userdb_entry	*ent;
};

/*
 * Names to values, open addressing: lookups are O(1) whatever the
 * size of the file.  Only names from the file go in, so a client's
 * name can only be looked up, never change the table's shape.
 */
struct nametab {
	uint32_t	*hash;		/* 0: empty slot */
	size_t		*val;
	size_t		 nslots;	/* a power of two */
	size_t		 n;
};

struct userdb {
	char			 path[PATH_MAX];
	struct nametab		 names;	/* name -> 1 + line index */
	struct userdb_line	*lines;
	size_t			 nlines;
	size_t			 nbad;	/* lines that did not parse */
	int			 exists;	/* the file was there */
	struct stat		 st;	/* of the file, if it exists */
};

/*
 * pop3d-auth's view of the file: loaded once, indexed by name, and
 * loaded again only when the file changed; an entry is parsed when it
 * is looked up.  The buffer holds the file, each line NUL-terminated.
 */
struct userdb_index {
	char			 path[PATH_MAX];
	int			 loaded;	/* path was read, or is missing */
	int			 exists;
	struct stat		 st;
	char			*buf;
	size_t			 buflen;
	struct nametab		 names;	/* name -> offset of its line */
	size_t			 nusers;
};

/* userdb.c */
int	userdb_name_valid(const char *);
int	userdb_parse_line(const char *, struct userdb_entry *,
	    const char **);
int	userdb_format_entry(const struct userdb_entry *, char *, size_t);
int	userdb_load(struct userdb *, const char *, int);
void	userdb_free(struct userdb *);
struct userdb_entry *userdb_find(struct userdb *, const char *);
struct userdb_entry *userdb_add(struct userdb *, const char *);
int	userdb_delete(struct userdb *, const char *);
int	userdb_write(struct userdb *, uid_t, gid_t);
int	userdb_lock(const char *, uid_t, gid_t, int);
void	userdb_unlock(int);
void	userdb_sweep(const char *);
int	userdb_set_password(struct userdb_entry *, const char *);
int	userdb_set_apop(struct userdb_entry *, const char *);
int	userdb_index_load(struct userdb_index *, const char *);
int	userdb_index_find(struct userdb_index *, const char *,
	    struct userdb_entry *);
void	userdb_index_free(struct userdb_index *);
int	scram_keys(const char *, const unsigned char *, size_t, uint32_t,
	    unsigned char *, unsigned char *);

#endif /* POP3D_USERDB_H */
