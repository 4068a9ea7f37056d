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
#include <sys/stat.h>
#include <sys/wait.h>

#include <atf-c.h>
#include <crypt.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "proto.h"
#include "frame.h"
#include "log.h"
#include "util.h"
#include "base64.h"
#include "userdb.h"

#define DB		"users"

/* Keys in the file format are base64 of 32 bytes: 43 characters and '='. */
#define KEY_A		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define KEY_B		"//////////////////////////////////////////8="
#define SCRAM_OK	"4096,c2FsdHNhbHQ=," KEY_A "," KEY_B
#define HASH_Y		"$y$j9T$abcdefghijklmnop$" \
			"xxI14acrF4kcY59GsyqJ1DqdhVdc9N0f1.omTKnq.61"

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int	fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ATF_REQUIRE_MSG(fd != -1, "open %s", path);
	ATF_REQUIRE(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	ATF_REQUIRE(fchmod(fd, mode) == 0);
	close(fd);
}

static char *
read_file(const char *path)
{
	static char	buf[65536];
	ssize_t		n;
	int		fd;

	fd = open(path, O_RDONLY);
	ATF_REQUIRE_MSG(fd != -1, "open %s", path);
	n = read(fd, buf, sizeof(buf) - 1);
	ATF_REQUIRE(n >= 0);
	buf[n] = '\0';
	close(fd);
	return (buf);
}

static void
check_same(const struct userdb_entry *a, const struct userdb_entry *b)
{
	ATF_CHECK_STREQ(a->name, b->name);
	ATF_CHECK_STREQ(a->hash, b->hash);
	ATF_CHECK_EQ(a->apoplen, b->apoplen);
	ATF_CHECK(memcmp(a->apop, b->apop, a->apoplen) == 0);
	ATF_CHECK_EQ(a->has_scram, b->has_scram);
	ATF_CHECK_EQ(a->scram.iter, b->scram.iter);
	ATF_CHECK_EQ(a->scram.saltlen, b->scram.saltlen);
	ATF_CHECK(memcmp(a->scram.salt, b->scram.salt, a->scram.saltlen) == 0);
	ATF_CHECK(memcmp(a->scram.stored_key, b->scram.stored_key,
	    SCRAM_KEY_LEN) == 0);
	ATF_CHECK(memcmp(a->scram.server_key, b->scram.server_key,
	    SCRAM_KEY_LEN) == 0);
	ATF_CHECK_EQ(a->flags, b->flags);
}

ATF_TC_WITHOUT_HEAD(userdb__names);
ATF_TC_BODY(userdb__names, tc)
{
	static const char *good[] = { "a", "alice", "a.b", "a_b-c+d@e.f",
	    "0", "Z9" };
	static const char *bad[] = { "", ".alice", "a b", "a:b", "a/b",
	    "a\tb", "caf\xc3\xa9", "a,b" };
	char	long_name[POP3_USER_MAX + 2];
	size_t	i;

	for (i = 0; i < nitems(good); i++)
		ATF_CHECK_MSG(userdb_name_valid(good[i]), "\"%s\" refused",
		    good[i]);
	for (i = 0; i < nitems(bad); i++)
		ATF_CHECK_MSG(!userdb_name_valid(bad[i]), "\"%s\" accepted",
		    bad[i]);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[POP3_USER_MAX] = '\0';
	ATF_CHECK(userdb_name_valid(long_name));
	long_name[POP3_USER_MAX] = 'a';
	long_name[POP3_USER_MAX + 1] = '\0';
	ATF_CHECK(!userdb_name_valid(long_name));
}

ATF_TC_WITHOUT_HEAD(userdb__parse_good);
ATF_TC_BODY(userdb__parse_good, tc)
{
	struct userdb_entry	 ent;
	const char		*why = NULL;
	size_t			 i;

	ATF_REQUIRE_MSG(userdb_parse_line("alice:" HASH_Y ":dGFuc3RhYWY=:"
	    SCRAM_OK ":nopass", &ent, &why) == 0, "refused: %s", why);
	ATF_CHECK_STREQ(ent.name, "alice");
	ATF_CHECK_STREQ(ent.hash, HASH_Y);
	ATF_CHECK_EQ(ent.apoplen, 8);
	ATF_CHECK(memcmp(ent.apop, "tanstaaf", 8) == 0);
	ATF_CHECK(ent.has_scram);
	ATF_CHECK_EQ(ent.scram.iter, 4096);
	ATF_CHECK_EQ(ent.scram.saltlen, 8);
	ATF_CHECK(memcmp(ent.scram.salt, "saltsalt", 8) == 0);
	for (i = 0; i < SCRAM_KEY_LEN; i++) {
		ATF_CHECK_EQ(ent.scram.stored_key[i], 0);
		ATF_CHECK_EQ(ent.scram.server_key[i], 0xff);
	}
	ATF_CHECK_EQ(ent.flags, USERDB_NOPASS);

	/* Only a name: no secrets at all is a valid, useless entry. */
	ATF_REQUIRE(userdb_parse_line("bob::::", &ent, &why) == 0);
	ATF_CHECK_STREQ(ent.hash, "");
	ATF_CHECK_EQ(ent.apoplen, 0);
	ATF_CHECK(!ent.has_scram);
	ATF_CHECK_EQ(ent.flags, 0);

	/* Locked, and the other crypt methods we read. */
	ATF_CHECK(userdb_parse_line("c:!" HASH_Y ":::", &ent, &why) == 0);
	ATF_CHECK(userdb_parse_line("c:$2b$05$abcdefghijklmnopqrstuu"
	    "5l9Ok0gXqRlwsq3fg3vVQ8Xr9mvD1q2:::", &ent, &why) == 0);
	ATF_CHECK(userdb_parse_line("c:$6$rounds=5000$salt$abc:::", &ent,
	    &why) == 0);
}

ATF_TC_WITHOUT_HEAD(userdb__parse_bad);
ATF_TC_BODY(userdb__parse_bad, tc)
{
	static const struct {
		const char	*line;
		const char	*why;
	} t[] = {
		{ "alice:" HASH_Y "::", "not 5 fields" },
		{ "alice:" HASH_Y ":::::", "not 5 fields" },
		{ "alice", "not 5 fields" },
		{ ".alice::::", "bad user name" },
		{ "al ice::::", "bad user name" },
		{ ":" HASH_Y ":::", "bad user name" },
		{ "alice:$1$md5$abc:::", "bad password hash" },
		{ "alice:plaintext:::", "bad password hash" },
		{ "alice:$y$a b:::", "bad password hash" },
		{ "alice::dGFuc3RhYWY::", "bad APOP secret" },
		{ "alice::dGFu c3Rh::", "bad APOP secret" },
		{ "alice::AA==::", "bad APOP secret" },
		{ "alice:::4095,c2FsdA==," KEY_A "," KEY_B ":",
		    "bad SCRAM keys" },
		{ "alice:::4096,," KEY_A "," KEY_B ":", "bad SCRAM keys" },
		{ "alice:::4096,c2FsdA==," KEY_A ":", "bad SCRAM keys" },
		{ "alice:::4096,c2FsdA==,AAAA," KEY_B ":", "bad SCRAM keys" },
		{ "alice:::x,c2FsdA==," KEY_A "," KEY_B ":",
		    "bad SCRAM keys" },
		{ "alice:::" SCRAM_OK ",x:", "bad SCRAM keys" },
		{ "alice::::apoponly", "unknown flag" },
		{ "alice::::nopass,", "unknown flag" },
	};
	struct userdb_entry	 ent;
	const char		*why;
	size_t			 i;

	for (i = 0; i < nitems(t); i++) {
		why = NULL;
		ATF_CHECK_MSG(userdb_parse_line(t[i].line, &ent, &why) == -1,
		    "accepted: %s", t[i].line);
		ATF_CHECK_MSG(why != NULL && strstr(why, t[i].why) != NULL,
		    "%s: said \"%s\", want \"%s\"", t[i].line,
		    why ? why : "(nothing)", t[i].why);
	}
}

ATF_TC_WITHOUT_HEAD(userdb__b64);
ATF_TC_BODY(userdb__b64, tc)
{
	static const char *bad[] = { "A", "AA", "AAA", "A===", "=AAA",
	    "AA=A", "AA\nA", "AA A", "AA-_", "Zh==", "Zm9=" };
	unsigned char	out[16];
	char		enc[32];
	size_t		i;

	ATF_CHECK_EQ(base64_decode("", 0, out, sizeof(out)), 0);
	ATF_CHECK_EQ(base64_decode("Zg==", 4, out, sizeof(out)), 1);
	ATF_CHECK_EQ(out[0], 'f');
	ATF_CHECK_EQ(base64_decode("Zm8=", 4, out, sizeof(out)), 2);
	ATF_CHECK_EQ(base64_decode("Zm9v", 4, out, sizeof(out)), 3);
	ATF_CHECK(memcmp(out, "foo", 3) == 0);
	ATF_CHECK_EQ(base64_decode("Zm9vYmFy", 8, out, 5), -1);
	for (i = 0; i < nitems(bad); i++)
		ATF_CHECK_MSG(base64_decode(bad[i], strlen(bad[i]), out,
		    sizeof(out)) == -1, "accepted \"%s\"", bad[i]);
	ATF_CHECK_EQ(base64_encode("foob", 4, enc, sizeof(enc)), 8);
	ATF_CHECK_STREQ(enc, "Zm9vYg==");
	ATF_CHECK_EQ(base64_encode("foob", 4, enc, 8), -1);
}

ATF_TC_WITHOUT_HEAD(userdb__load_bad_lines);
ATF_TC_BODY(userdb__load_bad_lines, tc)
{
	struct userdb		 db;
	struct userdb_entry	*e;

	write_file(DB,
	    "# users\n"
	    "\n"
	    "alice:" HASH_Y "::" SCRAM_OK ":\n"
	    "broken line\n"
	    "bob:" HASH_Y ":dGFuc3RhYWY=::nopass\n"
	    "alice::::\n"
	    "carol:$1$x:::\n"
	    "dave::::", 0600);
	ATF_REQUIRE(userdb_load(&db, DB, 0) == 0);
	ATF_CHECK(db.exists);
	ATF_CHECK_EQ(db.nlines, 8);
	ATF_CHECK_EQ(db.nbad, 3);
	ATF_REQUIRE((e = userdb_find(&db, "alice")) != NULL);
	ATF_CHECK(e->has_scram);
	ATF_REQUIRE((e = userdb_find(&db, "bob")) != NULL);
	ATF_CHECK(e->flags & USERDB_NOPASS);
	ATF_CHECK(userdb_find(&db, "carol") == NULL);
	/* The last line needs no newline. */
	ATF_CHECK(userdb_find(&db, "dave") != NULL);
	userdb_free(&db);

	ATF_CHECK(userdb_load(&db, DB, USERDB_STRICT) == -1);
}

ATF_TC_WITHOUT_HEAD(userdb__load_modes);
ATF_TC_BODY(userdb__load_modes, tc)
{
	struct userdb	db;

	write_file(DB, "alice::::\n", 0644);
	ATF_CHECK(userdb_load(&db, DB, 0) == -1);
	write_file(DB, "alice::::\n", 0640);
	ATF_CHECK(userdb_load(&db, DB, 0) == -1);
	write_file(DB, "alice::::\n", 0604);
	ATF_CHECK(userdb_load(&db, DB, 0) == -1);
	write_file(DB, "alice::::\n", 0600);
	ATF_REQUIRE(userdb_load(&db, DB, 0) == 0);
	userdb_free(&db);
	write_file(DB, "alice::::\n", 0400);
	ATF_REQUIRE(userdb_load(&db, DB, 0) == 0);
	userdb_free(&db);

	/* A missing file is an empty database: pop3ctl creates it. */
	ATF_REQUIRE(userdb_load(&db, "missing", 0) == 0);
	ATF_CHECK(!db.exists);
	ATF_CHECK_EQ(db.nlines, 0);
	userdb_free(&db);

	/* A link is not followed: the rename would replace the link. */
	ATF_REQUIRE(symlink(DB, "link") == 0);
	ATF_CHECK(userdb_load(&db, "link", 0) == -1);
}

/* Secrets set through the API come back the same from the file. */
ATF_TC_WITHOUT_HEAD(userdb__round_trip);
ATF_TC_BODY(userdb__round_trip, tc)
{
	struct userdb		 db;
	struct userdb_entry	*e, a, b;
	struct crypt_data	*cd;
	struct stat		 st;
	const char		*h;

	write_file(DB, "# kept\nbroken line: kept too\n", 0600);
	ATF_REQUIRE(userdb_load(&db, DB, 0) == 0);
	ATF_REQUIRE((e = userdb_add(&db, "alice")) != NULL);
	ATF_CHECK(userdb_add(&db, "alice") == NULL);
	ATF_CHECK(userdb_add(&db, ".x") == NULL);
	ATF_REQUIRE(userdb_set_password(e, "pencil") == 0);
	ATF_REQUIRE(userdb_set_apop(e, "tanstaaf") == 0);
	e->flags = USERDB_NOPASS;
	a = *e;
	ATF_REQUIRE((e = userdb_add(&db, "bob")) != NULL);
	ATF_REQUIRE(userdb_set_password(e, "x:y") == 0);
	b = *e;
	ATF_REQUIRE(userdb_add(&db, "carol") != NULL);
	ATF_CHECK(userdb_delete(&db, "carol") == 0);
	ATF_CHECK(userdb_delete(&db, "carol") == -1);
	ATF_REQUIRE(userdb_write(&db, (uid_t)-1, (gid_t)-1) == 0);
	userdb_free(&db);

	ATF_REQUIRE(stat(DB, &st) == 0);
	ATF_CHECK_EQ(st.st_mode & 07777, 0600);
	ATF_CHECK(strncmp(read_file(DB), "# kept\nbroken line: kept too\n"
	    "alice:$y$", 36) == 0);
	ATF_REQUIRE(userdb_load(&db, DB, 0) == 0);
	ATF_CHECK_EQ(db.nbad, 1);
	ATF_CHECK(userdb_find(&db, "carol") == NULL);
	ATF_REQUIRE((e = userdb_find(&db, "alice")) != NULL);
	check_same(e, &a);
	ATF_REQUIRE((e = userdb_find(&db, "bob")) != NULL);
	check_same(e, &b);
	ATF_CHECK_EQ(e->scram.iter, SCRAM_ITER_DEFAULT);
	ATF_CHECK_EQ(e->scram.saltlen, SCRAM_SALT_LEN);

	/* The hash is a yescrypt hash of the password. */
	cd = calloc(1, sizeof(*cd));
	ATF_REQUIRE(cd != NULL);
	h = crypt_rn("x:y", e->hash, cd, sizeof(*cd));
	ATF_REQUIRE(h != NULL);
	ATF_CHECK_STREQ(h, e->hash);
	ATF_CHECK(strncmp(e->hash, "$y$", 3) == 0);
	free(cd);
	userdb_free(&db);

	/* Clearing the APOP secret. */
	ATF_CHECK(userdb_set_apop(&a, NULL) == 0);
	ATF_CHECK_EQ(a.apoplen, 0);
	ATF_CHECK(userdb_set_apop(&a, "") == -1);
}

/* A rewrite leaves no temporary file; a stale one is swept. */
ATF_TC_WITHOUT_HEAD(userdb__temp_files);
ATF_TC_BODY(userdb__temp_files, tc)
{
	struct userdb	db;

	write_file(DB, "alice::::\n", 0600);
	write_file(".users.pop3d-new.AbC123", "stale", 0600);
	write_file(".users.backup", "not ours", 0600);
	write_file(".users.pop3d-new.AbC1234", "not ours", 0600);
	ATF_REQUIRE(userdb_load(&db, DB, 0) == 0);
	ATF_REQUIRE(userdb_write(&db, (uid_t)-1, (gid_t)-1) == 0);
	userdb_free(&db);
	userdb_sweep(DB);
	ATF_CHECK(access(".users.pop3d-new.AbC123", F_OK) == -1);
	ATF_CHECK(access(".users.backup", F_OK) == 0);
	ATF_CHECK(access(".users.pop3d-new.AbC1234", F_OK) == 0);
	ATF_CHECK_STREQ(read_file(DB), "alice::::\n");
}

/* A second locker waits, and gives up after its timeout. */
ATF_TC_WITHOUT_HEAD(userdb__lock);
ATF_TC_BODY(userdb__lock, tc)
{
	pid_t	pid;
	int	fd, status;

	ATF_REQUIRE((fd = userdb_lock(DB, (uid_t)-1, (gid_t)-1, -1)) != -1);
	ATF_CHECK(access(DB USERDB_LOCK_SUFFIX, F_OK) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0)
		_exit(userdb_lock(DB, (uid_t)-1, (gid_t)-1, 100) == -1 ? 0 : 1);
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "a second locker got the lock");
	userdb_unlock(fd);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0)
		_exit(userdb_lock(DB, (uid_t)-1, (gid_t)-1, 100) == -1 ? 1 : 0);
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the lock was not free after unlock");
}

/* A line too long to be ours is kept, and written back as it was. */
ATF_TC_WITHOUT_HEAD(userdb__long_line);
ATF_TC_BODY(userdb__long_line, tc)
{
	struct userdb	 db;
	char		*text;
	size_t		 len = USERDB_LINE_MAX + 100;

	text = malloc(len + 32);
	ATF_REQUIRE(text != NULL);
	memset(text, 'x', len);
	memcpy(text + len, ":::\nbob::::\n", 13);
	write_file(DB, text, 0600);
	ATF_REQUIRE(userdb_load(&db, DB, 0) == 0);
	ATF_CHECK_EQ(db.nbad, 1);
	ATF_CHECK(userdb_find(&db, "bob") != NULL);
	ATF_REQUIRE(userdb_write(&db, (uid_t)-1, (gid_t)-1) == 0);
	userdb_free(&db);
	ATF_CHECK_STREQ(read_file(DB), text);
	free(text);
}

/* The index finds what userdb_load() finds, and no more. */
ATF_TC_WITHOUT_HEAD(userdb__index_lines);
ATF_TC_BODY(userdb__index_lines, tc)
{
	struct userdb_index	ix;
	struct userdb_entry	e;

	memset(&ix, 0, sizeof(ix));
	write_file(DB,
	    "# users\n"
	    "\n"
	    "alice:" HASH_Y "::" SCRAM_OK ":\n"
	    "broken line\n"
	    "bob:" HASH_Y ":dGFuc3RhYWY=::nopass\n"
	    "alice::::\n"
	    "carol:$1$x:::\n"
	    "al::::\n"
	    "dave::::", 0600);
	ATF_REQUIRE(userdb_index_load(&ix, DB) == 0);
	ATF_CHECK(ix.exists);
	ATF_CHECK_EQ(ix.nusers, 4);
	ATF_REQUIRE(userdb_index_find(&ix, "alice", &e) == 1);
	ATF_CHECK_STREQ(e.hash, HASH_Y);
	ATF_CHECK(e.has_scram);
	ATF_REQUIRE(userdb_index_find(&ix, "bob", &e) == 1);
	ATF_CHECK(e.flags & USERDB_NOPASS);
	ATF_CHECK_EQ(e.apoplen, 8);
	ATF_CHECK(userdb_index_find(&ix, "carol", &e) == 0);
	ATF_CHECK(userdb_index_find(&ix, "dave", &e) == 1);
	/* A prefix of a name is not that name, nor the other way. */
	ATF_REQUIRE(userdb_index_find(&ix, "al", &e) == 1);
	ATF_CHECK_STREQ(e.name, "al");
	ATF_CHECK(userdb_index_find(&ix, "a", &e) == 0);
	ATF_CHECK(userdb_index_find(&ix, "alicex", &e) == 0);
	ATF_CHECK(userdb_index_find(&ix, "", &e) == 0);
	userdb_index_free(&ix);
}

/* Loaded again when the file is replaced, kept while it is not. */
ATF_TC_WITHOUT_HEAD(userdb__index_reload);
ATF_TC_BODY(userdb__index_reload, tc)
{
	struct userdb_index	ix;
	struct userdb_entry	e;
	char			*buf;

	memset(&ix, 0, sizeof(ix));
	ATF_REQUIRE(userdb_index_load(&ix, DB) == 0);
	ATF_CHECK(!ix.exists);
	ATF_CHECK(userdb_index_find(&ix, "alice", &e) == 0);
	write_file("new", "alice::::\n", 0600);
	ATF_REQUIRE(rename("new", DB) == 0);
	ATF_REQUIRE(userdb_index_load(&ix, DB) == 0);
	ATF_CHECK(userdb_index_find(&ix, "alice", &e) == 1);
	buf = ix.buf;
	ATF_REQUIRE(userdb_index_load(&ix, DB) == 0);
	ATF_CHECK_MSG(ix.buf == buf, "read again although unchanged");
	write_file("new", "bob::::\n", 0600);
	ATF_REQUIRE(rename("new", DB) == 0);
	ATF_REQUIRE(userdb_index_load(&ix, DB) == 0);
	ATF_CHECK(userdb_index_find(&ix, "alice", &e) == 0);
	ATF_CHECK(userdb_index_find(&ix, "bob", &e) == 1);
	/* A file that became unusable leaves nobody logged in on it. */
	ATF_REQUIRE(chmod(DB, 0644) == 0);
	ATF_CHECK(userdb_index_load(&ix, DB) == -1);
	ATF_CHECK(userdb_index_find(&ix, "bob", &e) == 0);
	ATF_REQUIRE(unlink(DB) == 0);
	ATF_REQUIRE(userdb_index_load(&ix, DB) == 0);
	ATF_CHECK(!ix.exists);
	userdb_index_free(&ix);
}

/* Many users: every one found, none twice, in linear time. */
ATF_TC_WITHOUT_HEAD(userdb__index_many);
ATF_TC_BODY(userdb__index_many, tc)
{
	struct userdb_index	 ix;
	struct userdb_entry	 e;
	struct userdb		 db;
	char			 name[32];
	FILE			*f;
	int			 i, n = 200000;

	memset(&ix, 0, sizeof(ix));
	ATF_REQUIRE((f = fopen(DB, "w")) != NULL);
	for (i = 0; i < n; i++)
		fprintf(f, "user%d:" HASH_Y ":::\n", i);
	fprintf(f, "user7::::\n");	/* a duplicate: skipped */
	ATF_REQUIRE(fclose(f) == 0);
	ATF_REQUIRE(chmod(DB, 0600) == 0);
	ATF_REQUIRE(userdb_index_load(&ix, DB) == 0);
	ATF_CHECK_EQ(ix.nusers, (size_t)n);
	for (i = 0; i < n; i += 997) {
		snprintf(name, sizeof(name), "user%d", i);
		ATF_REQUIRE_MSG(userdb_index_find(&ix, name, &e) == 1, "%s",
		    name);
		ATF_CHECK_STREQ(e.name, name);
	}
	ATF_REQUIRE(userdb_index_find(&ix, "user7", &e) == 1);
	ATF_CHECK_STREQ(e.hash, HASH_Y);
	ATF_CHECK(userdb_index_find(&ix, "user200000", &e) == 0);
	userdb_index_free(&ix);
	/* The line database, which pop3ctl rewrites, indexes them too. */
	ATF_REQUIRE(userdb_load(&db, DB, 0) == 0);
	ATF_CHECK_EQ(db.nbad, 1);
	ATF_CHECK(userdb_find(&db, "user199999") != NULL);
	ATF_REQUIRE(userdb_delete(&db, "user3") == 0);
	ATF_CHECK(userdb_find(&db, "user3") == NULL);
	ATF_CHECK(userdb_find(&db, "user4") != NULL);
	userdb_free(&db);
}

ATF_TP_ADD_TCS(tp)
{
	log_init(1, 0);
	ATF_TP_ADD_TC(tp, userdb__names);
	ATF_TP_ADD_TC(tp, userdb__parse_good);
	ATF_TP_ADD_TC(tp, userdb__parse_bad);
	ATF_TP_ADD_TC(tp, userdb__b64);
	ATF_TP_ADD_TC(tp, userdb__load_bad_lines);
	ATF_TP_ADD_TC(tp, userdb__load_modes);
	ATF_TP_ADD_TC(tp, userdb__index_lines);
	ATF_TP_ADD_TC(tp, userdb__index_reload);
	ATF_TP_ADD_TC(tp, userdb__index_many);
	ATF_TP_ADD_TC(tp, userdb__round_trip);
	ATF_TP_ADD_TC(tp, userdb__temp_files);
	ATF_TP_ADD_TC(tp, userdb__lock);
	ATF_TP_ADD_TC(tp, userdb__long_line);
	return (atf_no_error());
}
