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
 * The contract of proto.h and the table checker every receiving channel
 * uses: unknown types, wrong sizes, descriptors where none belong, a
 * type missing from a table, a state that does not allow it, a second
 * D_ONCE message, and a handler that finds the values bad.
 */

#include <sys/types.h>

#include <atf-c.h>
#include <stdint.h>
#include <string.h>

#include "compat.h"
#include "proto.h"
#include "frame.h"
#include "dispatch.h"

static unsigned char	payload[FRAME_MAX];
static int		calls;

static void
fake(struct frame *f, uint32_t type, size_t len, int fd)
{
	memset(f, 0, sizeof(*f));
	f->hdr.type = type;
	f->hdr.len = FRAME_HDR_SIZE + len;
	f->fd = fd;
	f->data = len ? payload : NULL;
	f->datalen = len;
}

static int
handler_ok(void *arg, struct frame *f)
{
	calls++;
	return (0);
}

static int
handler_bad(void *arg, struct frame *f)
{
	calls++;
	return (-1);
}

#define ST_A	0x01
#define ST_B	0x02
#define ST_X	0x100

static const struct dispatch_rule rules[] = {
	{ MSG_STORE_INIT,	ST_A,		D_ONCE,	handler_ok },
	{ MSG_STORE_DELE,	ST_B,		0,	handler_ok },
	{ MSG_STORE_RSET,	ST_A | ST_B,	0,	handler_bad },
	{ MSG_LOG,		D_ANY,		0,	handler_ok },
	{ MSG_AUTH_CHANGE,	ST_A | ST_X,	0,	handler_ok },
};
static const struct dispatch_table table = DISPATCH_TABLE("test", rules);

/* Every type between MSG_NONE and MSG_TYPE_MAX has its name and spec. */
ATF_TC_WITHOUT_HEAD(dispatch__every_type_named);
ATF_TC_BODY(dispatch__every_type_named, tc)
{
	const struct msg_spec	*s;
	uint32_t		 t;

	for (t = MSG_NONE + 1; t < MSG_TYPE_MAX; t++) {
		ATF_REQUIRE_MSG((s = msg_spec(t)) != NULL, "type %u", t);
		ATF_REQUIRE_MSG(strncmp(s->name, "MSG_", 4) == 0 &&
		    strcmp(msg_name(t), s->name) == 0, "type %u: %s", t,
		    s->name);
		ATF_REQUIRE_MSG(s->size == P_VAR ||
		    s->size <= FRAME_MAX - FRAME_HDR_SIZE,
		    "%s: payload of %zu bytes cannot fit a frame", s->name,
		    s->size);
	}
	ATF_REQUIRE(msg_spec(MSG_NONE) == NULL);
	ATF_REQUIRE(msg_spec(MSG_TYPE_MAX) == NULL);
	ATF_REQUIRE(msg_spec(UINT32_MAX) == NULL);
	ATF_REQUIRE(strcmp(msg_name(MSG_STORE_UPDATED),
	    "MSG_STORE_UPDATED") == 0);
}

ATF_TC_WITHOUT_HEAD(dispatch__check_size);
ATF_TC_BODY(dispatch__check_size, tc)
{
	struct frame	 f;
	const char	*why;

	fake(&f, MSG_STORE_RETR, sizeof(struct store_retr), -1);
	ATF_REQUIRE(frame_check(&f, &why) == 0);
	fake(&f, MSG_STORE_RETR, sizeof(struct store_retr) - 1, -1);
	ATF_REQUIRE(frame_check(&f, &why) == -1);
	ATF_REQUIRE_MSG(strstr(why, "MSG_STORE_RETR of") != NULL, "%s", why);
	fake(&f, MSG_STORE_RETR, sizeof(struct store_retr) + 1, -1);
	ATF_REQUIRE(frame_check(&f, &why) == -1);
	/* A payload where the contract says none. */
	fake(&f, MSG_STORE_INIT, 1, -1);
	ATF_REQUIRE(frame_check(&f, &why) == -1);
	/* Packed payloads are the reader's to check, any length here. */
	fake(&f, MSG_AUTH_USERPASS, 0, -1);
	ATF_REQUIRE(frame_check(&f, &why) == 0);
	fake(&f, MSG_AUTH_USERPASS, 1000, -1);
	ATF_REQUIRE(frame_check(&f, &why) == 0);
}

ATF_TC_WITHOUT_HEAD(dispatch__check_fd);
ATF_TC_BODY(dispatch__check_fd, tc)
{
	struct frame	 f;
	const char	*why;

	fake(&f, MSG_STORE_MSG, sizeof(struct store_msg), 7);
	ATF_REQUIRE(frame_check(&f, &why) == 0);
	fake(&f, MSG_STORE_MSG, sizeof(struct store_msg), -1);
	ATF_REQUIRE(frame_check(&f, &why) == -1);
	ATF_REQUIRE_MSG(strstr(why, "without a descriptor") != NULL, "%s",
	    why);
	fake(&f, MSG_STORE_STAT, sizeof(struct store_stat), 7);
	ATF_REQUIRE(frame_check(&f, &why) == -1);
	ATF_REQUIRE_MSG(strstr(why, "with a descriptor") != NULL, "%s", why);
}

ATF_TC_WITHOUT_HEAD(dispatch__check_unknown);
ATF_TC_BODY(dispatch__check_unknown, tc)
{
	struct frame	 f;
	const char	*why;

	fake(&f, MSG_NONE, 0, -1);
	ATF_REQUIRE(frame_check(&f, &why) == -1);
	fake(&f, MSG_TYPE_MAX, 0, -1);
	ATF_REQUIRE(frame_check(&f, &why) == -1);
	ATF_REQUIRE_MSG(strstr(why, "unknown message type") != NULL, "%s",
	    why);
}

ATF_TC_WITHOUT_HEAD(dispatch__expect);
ATF_TC_BODY(dispatch__expect, tc)
{
	struct frame	 f;
	const char	*why;

	fake(&f, MSG_STORE_OK, 0, -1);
	ATF_REQUIRE(frame_expect(&f, MSG_STORE_OK, &why) == 0);
	ATF_REQUIRE(frame_expect(&f, MSG_STORE_END, &why) == -1);
	ATF_REQUIRE_MSG(strstr(why, "where MSG_STORE_END was expected") !=
	    NULL, "%s", why);
	fake(&f, MSG_STORE_OK, 4, -1);
	ATF_REQUIRE(frame_expect(&f, MSG_STORE_OK, &why) == -1);
}

/* A known, well-formed type that the table does not list is refused. */
ATF_TC_WITHOUT_HEAD(dispatch__not_in_table);
ATF_TC_BODY(dispatch__not_in_table, tc)
{
	struct frame	 f;
	const char	*why;
	uint64_t	 seen = 0;

	calls = 0;
	fake(&f, MSG_STORE_STAT_REQ, 0, -1);
	ATF_REQUIRE(dispatch(&table, NULL, &f, ST_A, &seen, &why) == -1);
	ATF_REQUIRE_MSG(strstr(why, "unexpected MSG_STORE_STAT_REQ") != NULL,
	    "%s", why);
	ATF_REQUIRE(calls == 0);
}

/* The contract is checked before the state and the handler. */
ATF_TC_WITHOUT_HEAD(dispatch__contract_first);
ATF_TC_BODY(dispatch__contract_first, tc)
{
	struct frame	 f;
	const char	*why;
	uint64_t	 seen = 0;

	calls = 0;
	fake(&f, MSG_STORE_DELE, sizeof(struct store_index) + 4, -1);
	ATF_REQUIRE(dispatch(&table, NULL, &f, ST_B, &seen, &why) == -1);
	fake(&f, MSG_STORE_DELE, sizeof(struct store_index), 5);
	ATF_REQUIRE(dispatch(&table, NULL, &f, ST_B, &seen, &why) == -1);
	ATF_REQUIRE(calls == 0);
	fake(&f, MSG_STORE_DELE, sizeof(struct store_index), -1);
	ATF_REQUIRE(dispatch(&table, NULL, &f, ST_B, &seen, &why) == 0);
	ATF_REQUIRE(calls == 1);
}

ATF_TC_WITHOUT_HEAD(dispatch__state);
ATF_TC_BODY(dispatch__state, tc)
{
	struct frame	 f;
	const char	*why;
	uint64_t	 seen = 0;

	calls = 0;
	fake(&f, MSG_STORE_DELE, sizeof(struct store_index), -1);
	ATF_REQUIRE(dispatch(&table, NULL, &f, ST_A, &seen, &why) == -1);
	ATF_REQUIRE_MSG(strstr(why, "not allowed now") != NULL, "%s", why);
	ATF_REQUIRE(calls == 0);
	/* D_ANY takes every state. */
	fake(&f, MSG_LOG, 8, -1);
	ATF_REQUIRE(dispatch(&table, NULL, &f, ST_B | ST_X, &seen, &why) ==
	    0);
	/* Two bits held: the rule must allow both. */
	fake(&f, MSG_AUTH_CHANGE, 8, -1);
	ATF_REQUIRE(dispatch(&table, NULL, &f, ST_A | ST_X, &seen, &why) ==
	    0);
	ATF_REQUIRE(dispatch(&table, NULL, &f, ST_A, &seen, &why) == 0);
	ATF_REQUIRE(dispatch(&table, NULL, &f, ST_B | ST_X, &seen, &why) ==
	    -1);
	ATF_REQUIRE(dispatch(&table, NULL, &f, ST_A | ST_B, &seen, &why) ==
	    -1);
	ATF_REQUIRE(calls == 3);
}

ATF_TC_WITHOUT_HEAD(dispatch__once);
ATF_TC_BODY(dispatch__once, tc)
{
	struct frame	 f;
	const char	*why;
	uint64_t	 seen = 0, other = 0;

	calls = 0;
	fake(&f, MSG_STORE_INIT, 0, -1);
	ATF_REQUIRE(dispatch(&table, NULL, &f, ST_A, &seen, &why) == 0);
	ATF_REQUIRE(dispatch(&table, NULL, &f, ST_A, &seen, &why) == -1);
	ATF_REQUIRE_MSG(strstr(why, "second MSG_STORE_INIT") != NULL, "%s",
	    why);
	/* Once per sender: another record starts afresh. */
	ATF_REQUIRE(dispatch(&table, NULL, &f, ST_A, &other, &why) == 0);
	ATF_REQUIRE(calls == 2);
}

ATF_TC_WITHOUT_HEAD(dispatch__handler_refuses);
ATF_TC_BODY(dispatch__handler_refuses, tc)
{
	struct frame	 f;
	const char	*why;
	uint64_t	 seen = 0;

	calls = 0;
	fake(&f, MSG_STORE_RSET, 0, -1);
	ATF_REQUIRE(dispatch(&table, NULL, &f, ST_B, &seen, &why) == -1);
	ATF_REQUIRE_MSG(strcmp(why, "bad MSG_STORE_RSET") == 0, "%s", why);
	ATF_REQUIRE(calls == 1);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, dispatch__every_type_named);
	ATF_TP_ADD_TC(tp, dispatch__check_size);
	ATF_TP_ADD_TC(tp, dispatch__check_fd);
	ATF_TP_ADD_TC(tp, dispatch__check_unknown);
	ATF_TP_ADD_TC(tp, dispatch__expect);
	ATF_TP_ADD_TC(tp, dispatch__not_in_table);
	ATF_TP_ADD_TC(tp, dispatch__contract_first);
	ATF_TP_ADD_TC(tp, dispatch__state);
	ATF_TP_ADD_TC(tp, dispatch__once);
	ATF_TP_ADD_TC(tp, dispatch__handler_refuses);
	return (atf_no_error());
}
