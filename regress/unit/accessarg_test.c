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

/* The arguments of pop3ctl access: durations and reasons. */

#include <sys/types.h>

#include <atf-c.h>
#include <stdint.h>
#include <string.h>

#include "compat.h"
#include "params.h"
#include "accessarg.h"

static void
dur_ok(const char *text, int64_t want)
{
	char	err[128];
	int64_t	got = -1;

	ATF_REQUIRE_MSG(access_duration_parse(text, &got, err,
	    sizeof(err)) == 0, "%s: %s", text, err);
	ATF_REQUIRE_MSG(got == want, "%s: %lld, want %lld", text,
	    (long long)got, (long long)want);
}

static void
dur_bad(const char *text, const char *why)
{
	char	err[128];
	int64_t	got = -1;

	ATF_REQUIRE_MSG(access_duration_parse(text, &got, err,
	    sizeof(err)) == -1, "%s accepted", text);
	ATF_REQUIRE_MSG(strstr(err, why) != NULL, "%s: \"%s\" lacks \"%s\"",
	    text, err, why);
	ATF_REQUIRE_EQ(got, -1);
}

ATF_TC_WITHOUT_HEAD(duration__units);
ATF_TC_BODY(duration__units, tc)
{
	dur_ok("1", 1);
	dur_ok("120", 120);
	dur_ok("2s", 2);
	dur_ok("5m", 300);
	dur_ok("2h", 7200);
	dur_ok("7d", 7 * 86400);
	dur_ok("3650d", ACCESS_DURATION_MAX);
	dur_ok("007", 7);
}

ATF_TC_WITHOUT_HEAD(duration__bad);
ATF_TC_BODY(duration__bad, tc)
{
	dur_bad("", "not a number");
	dur_bad("s", "not a number");
	dur_bad("-5", "not a number");
	dur_bad("5 m", "not a number");
	dur_bad("5mm", "not a number");
	dur_bad("1.5h", "not a number");
	dur_bad("5w", "unknown unit");
	dur_bad("0", "too small");
	dur_bad("0d", "too small");
	dur_bad("3651d", "too large");
	dur_bad("99999999999999999999999", "too large");
	dur_bad("999999999999999999999999999999999", "not a number");
}

ATF_TC_WITHOUT_HEAD(reason__checks);
ATF_TC_BODY(reason__checks, tc)
{
	char	err[128], text[ACCESS_REASON_MAX + 2];

	ATF_REQUIRE(access_reason_ok("fail2ban pop3d: 5 failures", err,
	    sizeof(err)));
	ATF_REQUIRE(access_reason_ok("~!\"#$%&'()*+,-./", err, sizeof(err)));
	ATF_REQUIRE(!access_reason_ok("", err, sizeof(err)));
	ATF_REQUIRE(strstr(err, "empty") != NULL);
	ATF_REQUIRE(!access_reason_ok("a\tb", err, sizeof(err)));
	ATF_REQUIRE(strstr(err, "control") != NULL);
	ATF_REQUIRE(!access_reason_ok("a\nb", err, sizeof(err)));
	ATF_REQUIRE(!access_reason_ok("caf\xc3\xa9", err, sizeof(err)));
	ATF_REQUIRE(!access_reason_ok("\x7f", err, sizeof(err)));
	memset(text, 'x', ACCESS_REASON_MAX);
	text[ACCESS_REASON_MAX] = '\0';
	ATF_REQUIRE(access_reason_ok(text, err, sizeof(err)));
	text[ACCESS_REASON_MAX] = 'x';
	text[ACCESS_REASON_MAX + 1] = '\0';
	ATF_REQUIRE(!access_reason_ok(text, err, sizeof(err)));
	ATF_REQUIRE(strstr(err, "longer than") != NULL);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, duration__units);
	ATF_TP_ADD_TC(tp, duration__bad);
	ATF_TP_ADD_TC(tp, reason__checks);
	return (atf_no_error());
}
