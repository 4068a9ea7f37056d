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
 * pop3d-auth's decisions, without the process around them: every path
 * through a password check costs one crypt(3) (counted, not timed),
 * penalties grow and decay, APOP against RFC 1939's example, SCRAM
 * against RFC 7677's test vector byte for byte, PLAIN's edge cases,
 * and password changes.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <atf-c.h>
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base64.h"
#include "auth.h"

#define DB		"users"

/* ---- mock backends for the decision ---- */

static char	hash_right[HASH_MAX];	/* yescrypt of "right" */
static char	hash_b[HASH_MAX];		/* yescrypt of "bee" */

static void
make_hash(char *out, const char *pass)
{
	struct crypt_data	*cd;
	char			 setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const char		*h;

	cd = calloc(1, sizeof(*cd));
	ATF_REQUIRE(cd != NULL);
	ATF_REQUIRE(crypt_gensalt_rn("$y$", 0, NULL, 0, setting,
	    sizeof(setting)) != NULL);
	ATF_REQUIRE((h = crypt_rn(pass, setting, cd, sizeof(*cd))) != NULL);
	strlcpy(out, h, HASH_MAX);
	free(cd);
}

static enum auth_lookup
copy_hash(char *hash, size_t sz, const char *h)
{
	strlcpy(hash, h, sz);
	return (LOOKUP_FOUND);
}

/*
 * Like a case-insensitive name service: "KNOWN" and "Known" find the
 * account "known".
 */
static enum auth_lookup
mock_a_lookup(const char *user, char *hash, size_t sz, char *account)
{
	strlcpy(account, user, POP3_USER_MAX + 1);
	if (strcasecmp(user, "known") == 0) {
		strlcpy(account, "known", POP3_USER_MAX + 1);
		return (copy_hash(hash, sz, hash_right));
	}
	if (strcmp(user, "both") == 0)
		return (copy_hash(hash, sz, hash_right));
	if (strcmp(user, "locked") == 0) {
		snprintf(hash, sz, "!%s", hash_right);
		return (LOOKUP_FOUND);
	}
	if (strcmp(user, "empty") == 0)
		return (copy_hash(hash, sz, ""));
	if (strcmp(user, "odd") == 0)
		return (copy_hash(hash, sz, "$unknown$abc"));
	if (strcmp(user, "denied") == 0)
		return (LOOKUP_DENIED);
	if (strcmp(user, "broken") == 0)
		return (LOOKUP_TEMPFAIL);
	return (LOOKUP_NOUSER);
}

static enum auth_lookup
mock_b_lookup(const char *user, char *hash, size_t sz, char *account)
{
	strlcpy(account, user, POP3_USER_MAX + 1);
	if (strcmp(user, "both") == 0 || strcmp(user, "bonly") == 0)
		return (copy_hash(hash, sz, hash_b));
	return (LOOKUP_NOUSER);
}

static void
mock_preload(void)
{
}

static const struct auth_backend mock_a = {
	"mock-a", AUTH_BACKEND_SYSTEM, mock_preload, mock_a_lookup
};
static const struct auth_backend mock_b = {
	"mock-b", AUTH_BACKEND_FILE, mock_preload, mock_b_lookup
};

static void
setup_mocks(void)
{
	const struct auth_backend	*list[] = { &mock_a, &mock_b };

	auth_passwd_init();
	make_hash(hash_right, "right");
	make_hash(hash_b, "bee");
	auth_backends_set(list, nitems(list));
}

/* One attempt: the result, the backend, and the crypt runs it cost. */
static enum auth_result
attempt(const char *user, const char *pass, enum auth_backend_id *be,
    unsigned long *crypts)
{
	unsigned long		before = auth_crypt_calls;
	char			name[POP3_USER_MAX + 1];
	enum auth_result	res;

	strlcpy(name, user, sizeof(name));
	res = auth_userpass(name, pass, be);
	*crypts = auth_crypt_calls - before;
	return (res);
}

ATF_TC_WITHOUT_HEAD(auth__same_path);
ATF_TC_BODY(auth__same_path, tc)
{
	static const struct {
		const char		*user, *pass;
		enum auth_result	 res;
	} t[] = {
		{ "known", "right", AUTH_OK },
		{ "known", "wrong", AUTH_FAIL },
		{ "nosuchuser", "right", AUTH_FAIL },
		{ "nosuchuser", "wrong", AUTH_FAIL },
		{ "locked", "right", AUTH_FAIL },
		{ "empty", "", AUTH_FAIL },
		{ "empty", "right", AUTH_FAIL },
		{ "denied", "right", AUTH_FAIL },
		{ "odd", "right", AUTH_FAIL },
	};
	enum auth_backend_id	be;
	unsigned long		n;
	size_t			i;

	setup_mocks();
	for (i = 0; i < nitems(t); i++) {
		ATF_CHECK_EQ_MSG(attempt(t[i].user, t[i].pass, &be, &n),
		    t[i].res, "%s/%s", t[i].user, t[i].pass);
		ATF_CHECK_EQ_MSG(n, 1, "%s/%s cost %lu crypt runs, want 1",
		    t[i].user, t[i].pass, n);
		if (t[i].res != AUTH_OK)
			ATF_CHECK_EQ(be, AUTH_BACKEND_NONE);
	}
	/* A lookup error is not a wrong password: nothing is hashed. */
	ATF_CHECK_EQ(attempt("broken", "right", &be, &n), AUTH_TEMPFAIL);
	ATF_CHECK_EQ(n, 0);
}

/*
 * What logs in is the account the backend found, under its own name:
 * that name goes to the parent for the grant, the maildrop's %u and
 * the log.  A failure leaves the typed name alone.
 */
ATF_TC_WITHOUT_HEAD(auth__account_name);
ATF_TC_BODY(auth__account_name, tc)
{
	enum auth_backend_id	be;
	char			name[POP3_USER_MAX + 1];

	setup_mocks();
	strlcpy(name, "KNOWN", sizeof(name));
	ATF_CHECK_EQ(auth_userpass(name, "right", &be), AUTH_OK);
	ATF_CHECK_STREQ(name, "known");
	strlcpy(name, "Known", sizeof(name));
	ATF_CHECK_EQ(auth_userpass(name, "wrong", &be), AUTH_FAIL);
	ATF_CHECK_STREQ(name, "Known");
	strlcpy(name, "bonly", sizeof(name));
	ATF_CHECK_EQ(auth_userpass(name, "bee", &be), AUTH_OK);
	ATF_CHECK_STREQ(name, "bonly");
}

ATF_TC_WITHOUT_HEAD(auth__backend_order);
ATF_TC_BODY(auth__backend_order, tc)
{
	const struct auth_backend	*ba[] = { &mock_b, &mock_a };
	enum auth_backend_id		 be;
	unsigned long			 n;

	setup_mocks();
	/* The first backend that knows a name decides for it. */
	ATF_CHECK_EQ(attempt("both", "right", &be, &n), AUTH_OK);
	ATF_CHECK_EQ(be, AUTH_BACKEND_SYSTEM);
	ATF_CHECK_EQ(attempt("both", "bee", &be, &n), AUTH_FAIL);
	ATF_CHECK_EQ(n, 1);
	ATF_CHECK_EQ(attempt("bonly", "bee", &be, &n), AUTH_OK);
	ATF_CHECK_EQ(be, AUTH_BACKEND_FILE);
	ATF_CHECK_EQ(n, 1);

	auth_backends_set(ba, nitems(ba));
	ATF_CHECK_EQ(attempt("both", "bee", &be, &n), AUTH_OK);
	ATF_CHECK_EQ(be, AUTH_BACKEND_FILE);
	ATF_CHECK_EQ(attempt("both", "right", &be, &n), AUTH_FAIL);
	ATF_CHECK_EQ(attempt("known", "right", &be, &n), AUTH_OK);
	ATF_CHECK_EQ(be, AUTH_BACKEND_SYSTEM);
	/* A backend that cannot tell stops the search. */
	ATF_CHECK_EQ(attempt("broken", "right", &be, &n), AUTH_TEMPFAIL);
}

/* ---- the file backend ---- */

static struct userdb_entry *
db_user(struct userdb *db, const char *name, const char *pass,
    const char *apop)
{
	struct userdb_entry	*e;

	ATF_REQUIRE((e = userdb_add(db, name)) != NULL);
	if (pass != NULL)
		ATF_REQUIRE(userdb_set_password(e, pass) == 0);
	if (apop != NULL)
		ATF_REQUIRE(userdb_set_apop(e, apop) == 0);
	return (e);
}

/*
 * alice: pencil, APOP tanstaaf; bob: nopass, APOP secret; carol:
 * locked; dave: APOP only, no password.
 */
static void
make_db(void)
{
	const struct auth_backend	*list[] = { &auth_backend_file };
	struct userdb			 db;
	struct userdb_entry		*e;

	unlink(DB);
	ATF_REQUIRE(userdb_load(&db, DB, 0) == 0);
	db_user(&db, "alice", "pencil", "tanstaaf");
	e = db_user(&db, "bob", "bobpass", "bobapop");
	e->flags |= USERDB_NOPASS;
	e = db_user(&db, "carol", "carolpass", "carolapop");
	memmove(e->hash + 1, e->hash, strlen(e->hash) + 1);
	e->hash[0] = '!';
	db_user(&db, "dave", NULL, "daveapop");
	ATF_REQUIRE(userdb_write(&db, (uid_t)-1, (gid_t)-1) == 0);
	userdb_free(&db);
	auth_passwd_init();
	auth_file_init(DB);
	auth_backends_set(list, nitems(list));
}

ATF_TC_WITHOUT_HEAD(auth__file_backend);
ATF_TC_BODY(auth__file_backend, tc)
{
	enum auth_backend_id	be;
	unsigned long		n;

	make_db();
	ATF_CHECK_EQ(attempt("alice", "pencil", &be, &n), AUTH_OK);
	ATF_CHECK_EQ(be, AUTH_BACKEND_FILE);
	ATF_CHECK_EQ(attempt("alice", "pencil ", &be, &n), AUTH_FAIL);
	ATF_CHECK_EQ(n, 1);
	/* RFC 1939 section 7: an APOP user may be kept from PASS. */
	ATF_CHECK_EQ(attempt("bob", "bobpass", &be, &n), AUTH_FAIL);
	ATF_CHECK_EQ(n, 1);
	ATF_CHECK_EQ(attempt("carol", "carolpass", &be, &n), AUTH_FAIL);
	ATF_CHECK_EQ(n, 1);
	ATF_CHECK_EQ(attempt("dave", "", &be, &n), AUTH_FAIL);
	ATF_CHECK_EQ(n, 1);
	ATF_CHECK_EQ(attempt("erin", "pencil", &be, &n), AUTH_FAIL);
	ATF_CHECK_EQ(n, 1);

	/* A file anyone may read is not used: users retry later. */
	ATF_REQUIRE(chmod(DB, 0644) == 0);
	ATF_CHECK_EQ(attempt("alice", "pencil", &be, &n), AUTH_TEMPFAIL);
	ATF_REQUIRE(chmod(DB, 0600) == 0);
	/* A missing file has no users. */
	ATF_REQUIRE(rename(DB, "elsewhere") == 0);
	ATF_CHECK_EQ(attempt("alice", "pencil", &be, &n), AUTH_FAIL);
	ATF_CHECK_EQ(n, 1);
	/* Read again at every login: a change counts at once. */
	ATF_REQUIRE(rename("elsewhere", DB) == 0);
	ATF_CHECK_EQ(attempt("alice", "pencil", &be, &n), AUTH_OK);
}

/* ---- penalties ---- */

ATF_TC_WITHOUT_HEAD(auth__delay_growth);
ATF_TC_BODY(auth__delay_growth, tc)
{
	static const unsigned int	want[] = { 0, AUTH_FAIL_DELAY_MS,
	    AUTH_FAIL_DELAY_MS * 2, AUTH_FAIL_DELAY_MS * 4,
	    AUTH_DELAY_MAX_MS, AUTH_DELAY_MAX_MS };
	unsigned int			i, last = 0, d;

	for (i = 0; i < nitems(want); i++)
		ATF_CHECK_EQ_MSG(delay_ms(i), want[i],
		    "%u failures: %u ms, want %u", i, delay_ms(i),
		    want[i]);
	for (i = 0; i < 1000; i++) {
		d = delay_ms(i);
		ATF_CHECK_MSG(d >= last && d <= AUTH_DELAY_MAX_MS,
		    "%u failures: %u ms after %u", i, d, last);
		last = d;
	}
	ATF_CHECK_EQ(delay_ms(~0U), AUTH_DELAY_MAX_MS);
}

ATF_TC_WITHOUT_HEAD(auth__delay_sources);
ATF_TC_BODY(auth__delay_sources, tc)
{
	char		src[32];
	time_t		t = 1000;
	unsigned int	i;

	delay_clear();
	for (i = 1; i <= 6; i++)
		ATF_CHECK_EQ(delay_fail("192.0.2.1", t), delay_ms(i));
	ATF_CHECK_EQ(delay_failures("192.0.2.1", t), 6);
	/* Per source: another address starts from the first delay. */
	ATF_CHECK_EQ(delay_fail("2001:db8::1", t), AUTH_FAIL_DELAY_MS);

	/* A quiet minute forgives one failure; a quiet hour all. */
	ATF_CHECK_EQ(delay_failures("192.0.2.1",
	    t + AUTH_DELAY_DECAY_SEC - 1), 6);
	ATF_CHECK_EQ(delay_failures("192.0.2.1", t + AUTH_DELAY_DECAY_SEC), 5);
	ATF_CHECK_EQ(delay_failures("192.0.2.1",
	    t + 3 * AUTH_DELAY_DECAY_SEC + 10), 3);
	ATF_CHECK_EQ(delay_fail("192.0.2.1", t + 3 * AUTH_DELAY_DECAY_SEC + 10),
	    delay_ms(4));
	ATF_CHECK_EQ(delay_failures("192.0.2.1", t + 3600), 0);
	ATF_CHECK_EQ(delay_fail("192.0.2.1", t + 3600), AUTH_FAIL_DELAY_MS);
	/* A clock going back does not add failures. */
	ATF_CHECK_EQ(delay_failures("192.0.2.1", t), 1);

	/* The table is bounded: the source quiet for longest goes. */
	delay_clear();
	ATF_CHECK_EQ(delay_fail("198.51.100.1", t), AUTH_FAIL_DELAY_MS);
	ATF_CHECK_EQ(delay_fail("198.51.100.1", t), AUTH_FAIL_DELAY_MS * 2);
	for (i = 0; i < AUTH_DELAY_SOURCES_MAX - 1; i++) {
		snprintf(src, sizeof(src), "10.%u.%u.%u", i >> 16,
		    (i >> 8) & 0xff, i & 0xff);
		delay_fail(src, t + 1);
	}
	ATF_CHECK_EQ(delay_failures("198.51.100.1", t + 1), 2);
	delay_fail("203.0.113.1", t + 2);
	ATF_CHECK_EQ(delay_failures("198.51.100.1", t + 2), 0);
	ATF_CHECK_EQ(delay_failures("10.0.0.1", t + 2), 1);
	delay_clear();
}

/* ---- APOP ---- */

/* RFC 1939 section 7, the example. */
#define RFC1939_CHAL	"<1896.697170952@dbc.mtview.ca.us>"
#define RFC1939_DIGEST	"c4c9334bac560ecc979e58001b3e22fb"

ATF_TC_WITHOUT_HEAD(auth__apop_digest);
ATF_TC_BODY(auth__apop_digest, tc)
{
	static const char	*bad[] = {
		"C4C9334BAC560ECC979E58001B3E22FB",
		"c4c9334bac560ecc979e58001b3e22f",
		"c4c9334bac560ecc979e58001b3e22fb0",
		"c4c9334bac560ecc979e58001b3e22fa",
		"c4c9334bac560ecc979e58001b3e22fg",
		" c4c9334bac560ecc979e58001b3e22f",
		"",
	};
	const unsigned char	*sec = (const unsigned char *)"tanstaaf";
	size_t			 i;

	ATF_CHECK(apop_digest_match(RFC1939_CHAL, sec, 8, RFC1939_DIGEST));
	for (i = 0; i < nitems(bad); i++)
		ATF_CHECK_MSG(!apop_digest_match(RFC1939_CHAL, sec, 8, bad[i]),
		    "accepted \"%s\"", bad[i]);
	ATF_CHECK(!apop_digest_match(RFC1939_CHAL,
	    (const unsigned char *)"tanstaaF", 8, RFC1939_DIGEST));
	ATF_CHECK(!apop_digest_match("<1896.697170953@dbc.mtview.ca.us>",
	    sec, 8, RFC1939_DIGEST));
}

ATF_TC_WITHOUT_HEAD(auth__apop_challenge);
ATF_TC_BODY(auth__apop_challenge, tc)
{
	char	a[APOP_CHALLENGE_MAX + 1], b[APOP_CHALLENGE_MAX + 1];
	char	host[300], *at;
	int	n;

	ATF_REQUIRE((n = apop_challenge(a, sizeof(a), 1896, 697170952,
	    "mail.example.org")) > 0);
	ATF_CHECK_EQ((size_t)n, strlen(a));
	ATF_CHECK_MSG(strncmp(a, "<1896.697170952.", 16) == 0, "%s", a);
	ATF_CHECK_MSG(strcmp(a + n - 18, "@mail.example.org>") == 0, "%s", a);
	/* Unique and unpredictable, from one call to the next. */
	ATF_REQUIRE(apop_challenge(b, sizeof(b), 1896, 697170952,
	    "mail.example.org") > 0);
	ATF_CHECK_MSG(strcmp(a, b) != 0, "%s twice", a);
	ATF_CHECK(strlen(a) - strlen("<1896.697170952.@mail.example.org>") >=
	    16);

	/* A long host name is cut to fit, at a dot. */
	memset(host, 0, sizeof(host));
	for (n = 0; n < 290; n += 10)
		memcpy(host + n, "abcdefghi.", 10);
	host[289] = 'x';
	ATF_REQUIRE((n = apop_challenge(a, sizeof(a), 99999, 697170952,
	    host)) > 0);
	ATF_CHECK_MSG(n <= APOP_CHALLENGE_MAX, "%d characters", n);
	ATF_CHECK(a[n - 1] == '>' && a[n - 2] != '.');
	ATF_REQUIRE((at = strchr(a, '@')) != NULL);
	ATF_CHECK(strncmp(at + 1, "abcdefghi.abcdefghi", 19) == 0);
	/* A host name a msg-id cannot hold is replaced. */
	ATF_REQUIRE(apop_challenge(a, sizeof(a), 1, 2, "a b>c") > 0);
	ATF_CHECK_MSG(strstr(a, "@localhost>") != NULL, "%s", a);
	ATF_CHECK(apop_challenge(a, 16, 1, 2, "x") == -1);
}

static void
apop_digest_of(const char *chal, const char *secret, char *out)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	len, i;
	char		*buf;

	ATF_REQUIRE(asprintf(&buf, "%s%s", chal, secret) != -1);
	ATF_REQUIRE(EVP_Digest(buf, strlen(buf), md, &len, EVP_md5(),
	    NULL) == 1);
	for (i = 0; i < len; i++)
		snprintf(out + i * 2, 3, "%02x", md[i]);
	free(buf);
}

ATF_TC_WITHOUT_HEAD(auth__apop_decision);
ATF_TC_BODY(auth__apop_decision, tc)
{
	char	chal[APOP_CHALLENGE_MAX + 1], d[64];

	make_db();
	ATF_REQUIRE(apop_challenge(chal, sizeof(chal), 1, 2, "h") > 0);
	apop_digest_of(chal, "tanstaaf", d);
	ATF_CHECK_EQ(auth_apop(chal, "alice", d), AUTH_OK);
	ATF_CHECK_EQ(auth_apop(chal, "dave", d), AUTH_FAIL);
	apop_digest_of(chal, "daveapop", d);
	ATF_CHECK_EQ(auth_apop(chal, "dave", d), AUTH_OK);
	/* nopass forbids PASS, not APOP. */
	apop_digest_of(chal, "bobapop", d);
	ATF_CHECK_EQ(auth_apop(chal, "bob", d), AUTH_OK);
	apop_digest_of(chal, "carolapop", d);
	ATF_CHECK_EQ(auth_apop(chal, "carol", d), AUTH_FAIL);
	/* A user without a secret (here: not in the file) never matches. */
	apop_digest_of(chal, "", d);
	ATF_CHECK_EQ(auth_apop(chal, "root", d), AUTH_FAIL);
	apop_digest_of(chal, "pop3d-apop-dummy-secret", d);
	ATF_CHECK_EQ(auth_apop(chal, "root", d), AUTH_FAIL);
	ATF_CHECK_EQ(auth_apop(chal, "alice", "not hex"), AUTH_FAIL);
}

/* ---- SASL ---- */

/* A message with its NULs, and its length. */
#define M(s)		s, sizeof(s) - 1

ATF_TC_WITHOUT_HEAD(auth__plain_parse);
ATF_TC_BODY(auth__plain_parse, tc)
{
	static const struct {
		const char	*msg;
		size_t		 len;
		int		 ok;
		const char	*user, *pass;
	} t[] = {
		{ M("\0tim\0tanstaaftanstaaf"), 0, "tim", "tanstaaftanstaaf" },
		{ M("tim\0tim\0pw"), 0, "tim", "pw" },
		{ M("ann\0tim\0pw"), -1, NULL, NULL },
		{ M("timx\0tim\0pw"), -1, NULL, NULL },
		{ M("\0tim\0"), -1, NULL, NULL },
		{ M("\0\0pw"), -1, NULL, NULL },
		{ M("tim\0pw"), -1, NULL, NULL },
		{ M("\0tim\0p\0w"), -1, NULL, NULL },
		{ M("\0tim\0pw\0"), -1, NULL, NULL },
		{ M(""), -1, NULL, NULL },
		{ M("\0\0"), -1, NULL, NULL },
		{ M("\0tim\0pass word"), 0, "tim", "pass word" },
	};
	char		user[POP3_USER_MAX + 1], pass[POP3_PASS_MAX + 1];
	unsigned char	big[POP3_USER_MAX + POP3_PASS_MAX + 8];
	size_t		i;

	for (i = 0; i < nitems(t); i++) {
		ATF_CHECK_EQ_MSG(sasl_plain_parse((const unsigned char *)
		    t[i].msg, t[i].len, user, sizeof(user), pass,
		    sizeof(pass)), t[i].ok, "case %zu", i);
		if (t[i].ok == 0) {
			ATF_CHECK_STREQ(user, t[i].user);
			ATF_CHECK_STREQ(pass, t[i].pass);
		}
	}
	/* The longest user name and password fit; one more does not. */
	memset(big, 'u', sizeof(big));
	big[0] = '\0';
	big[POP3_USER_MAX + 1] = '\0';
	ATF_CHECK(sasl_plain_parse(big, POP3_USER_MAX + 2 + POP3_PASS_MAX,
	    user, sizeof(user), pass, sizeof(pass)) == 0);
	ATF_CHECK(sasl_plain_parse(big, POP3_USER_MAX + 3 + POP3_PASS_MAX,
	    user, sizeof(user), pass, sizeof(pass)) == -1);
	big[POP3_USER_MAX + 1] = 'u';
	big[POP3_USER_MAX + 2] = '\0';
	ATF_CHECK(sasl_plain_parse(big, POP3_USER_MAX + 4, user,
	    sizeof(user), pass, sizeof(pass)) == -1);
}

static enum sasl_status
step(struct sasl *sx, const char *in, size_t len, char *out, size_t *outlen)
{
	enum sasl_status	st;

	st = sasl_step(sx, (const unsigned char *)in, len,
	    (unsigned char *)out, SASL_LINE_MAX, outlen);
	out[*outlen] = '\0';
	return (st);
}

ATF_TC_WITHOUT_HEAD(auth__sasl_plain);
ATF_TC_BODY(auth__sasl_plain, tc)
{
	struct sasl	*sx;
	char		 out[SASL_LINE_MAX + 1];
	size_t		 outlen;

	make_db();
	ATF_CHECK(sasl_new("LOGIN") == NULL);
	ATF_CHECK(sasl_new("CRAM-MD5") == NULL);
	ATF_CHECK(sasl_new("PLAINX") == NULL);
	ATF_REQUIRE((sx = sasl_new("plain")) != NULL);
	ATF_CHECK_EQ(step(sx, "\0alice\0pencil", 13, out, &outlen), SASL_OK);
	ATF_CHECK_STREQ(sx->user, "alice");
	ATF_CHECK_EQ(sx->backend, AUTH_BACKEND_FILE);
	sasl_free(sx);
	ATF_REQUIRE((sx = sasl_new("PLAIN")) != NULL);
	ATF_CHECK_EQ(step(sx, "\0alice\0pen", 10, out, &outlen), SASL_FAIL);
	sasl_free(sx);
	/* nopass: PLAIN sends the password as PASS does. */
	ATF_REQUIRE((sx = sasl_new("PLAIN")) != NULL);
	ATF_CHECK_EQ(step(sx, "\0bob\0bobpass", 12, out, &outlen), SASL_FAIL);
	sasl_free(sx);
	ATF_REQUIRE((sx = sasl_new("PLAIN")) != NULL);
	ATF_CHECK_EQ(step(sx, "alice", 5, out, &outlen), SASL_FAIL);
	sasl_free(sx);
}

/* RFC 7677 section 3. */
#define V_SALT		"W22ZaJ0SNY7soEsUEjb6gQ=="
#define V_CFIRST	"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
#define V_SNONCE	"%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define V_SFIRST	"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)" \
			"hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define V_CFINAL	"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)" \
			"hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define V_SFINAL	"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

static void
vector_keys(struct userdb_scram *k)
{
	int	n;

	memset(k, 0, sizeof(*k));
	n = base64_decode(V_SALT, strlen(V_SALT), k->salt, sizeof(k->salt));
	ATF_REQUIRE(n == 16);
	k->saltlen = n;
	k->iter = 4096;
	ATF_REQUIRE(scram_keys("pencil", k->salt, k->saltlen, k->iter,
	    k->stored_key, k->server_key) == 0);
}

static int
scram_msg(struct scram *s, const char *first, const char *final, char *out)
{
	struct userdb_scram	k;
	char			sfirst[512];

	vector_keys(&k);
	ATF_REQUIRE(scram_parse_first(s, (const unsigned char *)first,
	    strlen(first)) == 0);
	scram_set_keys(s, &k);
	ATF_REQUIRE(scram_server_first(s, V_SNONCE, sfirst,
	    sizeof(sfirst)) > 0);
	return (scram_client_final(s, (const unsigned char *)final,
	    strlen(final), out, SASL_LINE_MAX));
}

ATF_TC_WITHOUT_HEAD(auth__scram_rfc7677);
ATF_TC_BODY(auth__scram_rfc7677, tc)
{
	struct scram		*s;
	struct userdb_scram	 k;
	char			 out[SASL_LINE_MAX + 1], bad[256];
	int			 n;

	auth_sasl_init();
	ATF_REQUIRE((s = calloc(1, sizeof(*s))) != NULL);
	vector_keys(&k);
	ATF_REQUIRE(scram_parse_first(s, (const unsigned char *)V_CFIRST,
	    strlen(V_CFIRST)) == 0);
	ATF_CHECK_STREQ(s->user, "user");
	ATF_CHECK_STREQ(s->gs2, "n,,");
	scram_set_keys(s, &k);
	n = scram_server_first(s, V_SNONCE, out, sizeof(out));
	ATF_REQUIRE(n > 0);
	ATF_CHECK_STREQ(out, V_SFIRST);
	ATF_CHECK_EQ((size_t)n, strlen(V_SFIRST));
	ATF_CHECK_EQ(scram_client_final(s, (const unsigned char *)V_CFINAL,
	    strlen(V_CFINAL), out, sizeof(out)), 1);
	ATF_CHECK_STREQ(out, V_SFINAL);

	/* One bit off in the proof. */
	strlcpy(bad, V_CFINAL, sizeof(bad));
	bad[strlen(bad) - 10] ^= 1;
	ATF_CHECK_EQ(scram_msg(s, V_CFIRST, bad, out), 0);
	/* The same proof, spelt with a non-zero unused bit. */
	strlcpy(bad, V_CFINAL, sizeof(bad));
	bad[strlen(bad) - 2] = 'R';
	ATF_CHECK_EQ(scram_msg(s, V_CFIRST, bad, out), -1);
	/* Right proof, but the user has no keys: the fake fails. */
	ATF_REQUIRE(scram_parse_first(s, (const unsigned char *)V_CFIRST,
	    strlen(V_CFIRST)) == 0);
	scram_set_fake(s);
	ATF_REQUIRE(scram_server_first(s, V_SNONCE, out, sizeof(out)) > 0);
	ATF_CHECK_EQ(scram_client_final(s, (const unsigned char *)V_CFINAL,
	    strlen(V_CFINAL), out, sizeof(out)), 0);
	free(s);
}

ATF_TC_WITHOUT_HEAD(auth__scram_bad);
ATF_TC_BODY(auth__scram_bad, tc)
{
	static const char *first_bad[] = {
		"p=tls-unique,,n=user,r=abc",
		"n,a=user,n=user,r=abc",
		"n,,m=ext,n=user,r=abc",
		"n,,n=,r=abc",
		"n,,n=us=4er,r=abc",
		"n,,n=us=2,r=abc",
		"n,,n=user,r=",
		"n,,n=user",
		"n,,n=user,x=abc",
		"n,,r=abc,n=user",
		"x,,n=user,r=abc",
		"n,n=user,r=abc",
		"n,,",
		"",
	};
	static const char *final_bad[] = {
		/* the channel binding of "y,," for an "n,," exchange */
		"c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
		    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
		"c=biws,r=rOprNGfwEbeRWgbNEkqO,"
		    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
		    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndV",
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
		    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=,x=1",
		"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
		    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
	};
	struct scram	*s;
	char		 out[SASL_LINE_MAX + 1];
	unsigned char	 salt1[SCRAM_SALT_MAX];
	size_t		 i;

	auth_sasl_init();
	ATF_REQUIRE((s = calloc(1, sizeof(*s))) != NULL);
	for (i = 0; i < nitems(first_bad); i++)
		ATF_CHECK_MSG(scram_parse_first(s, (const unsigned char *)
		    first_bad[i], strlen(first_bad[i])) == -1,
		    "accepted \"%s\"", first_bad[i]);
	ATF_CHECK(scram_parse_first(s, (const unsigned char *)
	    "n,,n=us\0er,r=abc", 16) == -1);
	ATF_REQUIRE(scram_parse_first(s, (const unsigned char *)
	    "n,,n=us=2Cer=3D,r=abc", 21) == 0);
	ATF_CHECK_STREQ(s->user, "us,er=");
	ATF_REQUIRE(scram_parse_first(s, (const unsigned char *)
	    "y,,n=user,r=abc,x=extension", 27) == 0);
	ATF_CHECK_STREQ(s->gs2, "y,,");
	ATF_CHECK_STREQ(s->bare, "n=user,r=abc,x=extension");
	for (i = 0; i < nitems(final_bad); i++)
		ATF_CHECK_MSG(scram_msg(s, V_CFIRST, final_bad[i], out) == -1,
		    "accepted \"%s\"", final_bad[i]);

	/* A name's fake salt stays; another name's differs. */
	ATF_REQUIRE(scram_parse_first(s, (const unsigned char *)
	    "n,,n=nobody,r=abc", 17) == 0);
	scram_set_fake(s);
	ATF_CHECK_EQ(s->keys.iter, SCRAM_ITER_DEFAULT);
	ATF_CHECK_EQ(s->keys.saltlen, SCRAM_SALT_LEN);
	memcpy(salt1, s->keys.salt, SCRAM_SALT_LEN);
	scram_set_fake(s);
	ATF_CHECK(memcmp(salt1, s->keys.salt, SCRAM_SALT_LEN) == 0);
	ATF_REQUIRE(scram_parse_first(s, (const unsigned char *)
	    "n,,n=nobody2,r=abc", 18) == 0);
	scram_set_fake(s);
	ATF_CHECK(memcmp(salt1, s->keys.salt, SCRAM_SALT_LEN) != 0);
	free(s);
}

/* A SCRAM-SHA-256 client, as RFC 5802 section 3 describes it. */
static void
client_final(const char *pass, const char *cfirst_bare, const char *sfirst,
    char *final, size_t sz)
{
	unsigned char	salt[SCRAM_SALT_MAX], salted[32], ckey[32];
	unsigned char	stored[32], sig[32], proof[32];
	char		nonce[SCRAM_NONCE_MAX * 2 + 1], wo[600], *auth;
	char		p64[64], *s, *i;
	unsigned int	len = 32, k;
	int		saltlen;

	ATF_REQUIRE(strncmp(sfirst, "r=", 2) == 0);
	ATF_REQUIRE((s = strstr(sfirst, ",s=")) != NULL);
	ATF_REQUIRE((i = strstr(sfirst, ",i=")) != NULL);
	snprintf(nonce, sizeof(nonce), "%.*s", (int)(s - sfirst - 2),
	    sfirst + 2);
	saltlen = base64_decode(s + 3, i - s - 3, salt, sizeof(salt));
	ATF_REQUIRE(saltlen > 0);
	ATF_REQUIRE(PKCS5_PBKDF2_HMAC(pass, strlen(pass), salt, saltlen,
	    atoi(i + 3), EVP_sha256(), 32, salted) == 1);
	ATF_REQUIRE(HMAC(EVP_sha256(), salted, 32, (const unsigned char *)
	    "Client Key", 10, ckey, &len) != NULL);
	ATF_REQUIRE(EVP_Digest(ckey, 32, stored, NULL, EVP_sha256(),
	    NULL) == 1);
	snprintf(wo, sizeof(wo), "c=biws,r=%s", nonce);
	ATF_REQUIRE(asprintf(&auth, "%s,%s,%s", cfirst_bare, sfirst, wo) != -1);
	ATF_REQUIRE(HMAC(EVP_sha256(), stored, 32, (unsigned char *)auth,
	    strlen(auth), sig, &len) != NULL);
	for (k = 0; k < 32; k++)
		proof[k] = ckey[k] ^ sig[k];
	ATF_REQUIRE(base64_encode(proof, 32, p64, sizeof(p64)) > 0);
	snprintf(final, sz, "%s,p=%s", wo, p64);
	free(auth);
}

/* The whole exchange through sasl_step(), against the file. */
static enum sasl_status
scram_login(const char *user, const char *pass, struct sasl **sxp)
{
	struct sasl		*sx;
	char			 first[128], out[SASL_LINE_MAX + 1];
	char			 final[SASL_LINE_MAX], sfirst[512];
	size_t			 outlen;
	enum sasl_status	 st;

	ATF_REQUIRE((sx = sasl_new("scram-sha-256")) != NULL);
	*sxp = sx;
	snprintf(first, sizeof(first), "n,,n=%s,r=fyko+d2lbbFgONRv9qkxdawL",
	    user);
	st = step(sx, first, strlen(first), out, &outlen);
	ATF_REQUIRE_EQ(st, SASL_CONTINUE);
	strlcpy(sfirst, out, sizeof(sfirst));
	ATF_CHECK(strncmp(out, "r=fyko+d2lbbFgONRv9qkxdawL", 26) == 0);
	ATF_CHECK(strlen(out) > 26 && out[26] != ',');
	client_final(pass, first + 3, sfirst, final, sizeof(final));
	if ((st = step(sx, final, strlen(final), out, &outlen)) !=
	    SASL_CONTINUE)
		return (st);
	ATF_CHECK(strncmp(out, "v=", 2) == 0 && outlen == 46);
	/* Anything but the empty acknowledgement fails. */
	return (step(sx, "", 0, out, &outlen));
}

ATF_TC_WITHOUT_HEAD(auth__sasl_scram);
ATF_TC_BODY(auth__sasl_scram, tc)
{
	struct sasl	*sx;

	make_db();
	auth_sasl_init();
	ATF_CHECK_EQ(scram_login("alice", "pencil", &sx), SASL_OK);
	ATF_CHECK_EQ(sx->backend, AUTH_BACKEND_FILE);
	ATF_CHECK_STREQ(sx->user, "alice");
	sasl_free(sx);
	ATF_CHECK_EQ(scram_login("alice", "pencil2", &sx), SASL_FAIL);
	sasl_free(sx);
	/* nopass forbids plaintext passwords, not SCRAM. */
	ATF_CHECK_EQ(scram_login("bob", "bobpass", &sx), SASL_OK);
	sasl_free(sx);
	ATF_CHECK_EQ(scram_login("carol", "carolpass", &sx), SASL_FAIL);
	sasl_free(sx);
	ATF_CHECK_EQ(scram_login("dave", "", &sx), SASL_FAIL);
	sasl_free(sx);
	ATF_CHECK_EQ(scram_login("nosuchuser", "pencil", &sx), SASL_FAIL);
	sasl_free(sx);
}

/* ---- poppass ---- */

static void
entry_of(const char *name, struct userdb_entry *e)
{
	ATF_REQUIRE_EQ(auth_file_entry(name, e), LOOKUP_FOUND);
}

ATF_TC_WITHOUT_HEAD(auth__change);
ATF_TC_BODY(auth__change, tc)
{
	struct userdb_entry	before, after;
	enum auth_backend_id	be;
	unsigned long		n;

	make_db();
	entry_of("alice", &before);
	ATF_CHECK_EQ(auth_file_change("alice", "wrong", "newpass1", 4),
	    AUTH_FAIL);
	ATF_CHECK_EQ(auth_file_change("alice", "pencil", "abc", 4),
	    AUTH_FAIL);
	ATF_CHECK_EQ(auth_file_change("alice", "pencil", "pencil", 4),
	    AUTH_FAIL);
	ATF_CHECK_EQ(auth_file_change("alice", "pencil", "new\tpass", 4),
	    AUTH_FAIL);
	ATF_CHECK_EQ(auth_file_change("bob", "bobpass", "newpass1", 4),
	    AUTH_FAIL);
	ATF_CHECK_EQ(auth_file_change("carol", "carolpass", "newpass1", 4),
	    AUTH_FAIL);
	/* Unknown users and wrong passwords: one hash each. */
	n = auth_crypt_calls;
	ATF_CHECK_EQ(auth_file_change("nosuchuser", "x", "newpass1", 4),
	    AUTH_FAIL);
	ATF_CHECK_EQ(auth_crypt_calls - n, 1);
	n = auth_crypt_calls;
	ATF_CHECK_EQ(auth_file_change("alice", "x", "newpass1", 4),
	    AUTH_FAIL);
	ATF_CHECK_EQ(auth_crypt_calls - n, 1);
	entry_of("alice", &after);
	ATF_CHECK_STREQ(before.hash, after.hash);

	ATF_CHECK_EQ(auth_file_change("alice", "pencil", "newpass1", 4),
	    AUTH_OK);
	ATF_CHECK_EQ(attempt("alice", "newpass1", &be, &n), AUTH_OK);
	ATF_CHECK_EQ(attempt("alice", "pencil", &be, &n), AUTH_FAIL);
	entry_of("alice", &after);
	ATF_CHECK(strcmp(before.hash, after.hash) != 0);
	ATF_CHECK(memcmp(before.scram.stored_key, after.scram.stored_key,
	    SCRAM_KEY_LEN) != 0);
	ATF_CHECK_EQ(after.apoplen, before.apoplen);
	ATF_CHECK(memcmp(after.apop, before.apop, after.apoplen) == 0);
	ATF_CHECK_EQ(after.flags, before.flags);
	/* Others are untouched. */
	entry_of("bob", &after);
	ATF_CHECK(after.flags & USERDB_NOPASS);

	/* No database configured: nobody can change a password. */
	auth_file_init("");
	ATF_CHECK_EQ(auth_file_change("alice", "newpass1", "newpass2", 4),
	    AUTH_FAIL);
}

ATF_TP_ADD_TCS(tp)
{
	log_init(1, 0);
	ATF_TP_ADD_TC(tp, auth__same_path);
	ATF_TP_ADD_TC(tp, auth__account_name);
	ATF_TP_ADD_TC(tp, auth__backend_order);
	ATF_TP_ADD_TC(tp, auth__file_backend);
	ATF_TP_ADD_TC(tp, auth__delay_growth);
	ATF_TP_ADD_TC(tp, auth__delay_sources);
	ATF_TP_ADD_TC(tp, auth__apop_digest);
	ATF_TP_ADD_TC(tp, auth__apop_challenge);
	ATF_TP_ADD_TC(tp, auth__apop_decision);
	ATF_TP_ADD_TC(tp, auth__plain_parse);
	ATF_TP_ADD_TC(tp, auth__sasl_plain);
	ATF_TP_ADD_TC(tp, auth__scram_rfc7677);
	ATF_TP_ADD_TC(tp, auth__scram_bad);
	ATF_TP_ADD_TC(tp, auth__sasl_scram);
	ATF_TP_ADD_TC(tp, auth__change);
	return (atf_no_error());
}
