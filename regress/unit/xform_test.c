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

#include <atf-c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xform.h"

/* As the session reads a message file. */
#define CHUNK	65536

/*
 * Each case states the expected bytes, and a line-by-line model below
 * (written apart from xform.c's streaming code) checks every split of
 * a set of tricky inputs against the one-shot result.
 */

struct sink {
	char	*buf;
	size_t	 len;
	size_t	 cap;
	size_t	 calls;
};

static void
sink_emit(void *arg, const char *p, size_t n)
{
	struct sink	*s = arg;

	ATF_REQUIRE_MSG(n > 0, "empty emit");
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		ATF_REQUIRE((s->buf = realloc(s->buf, s->cap)) != NULL);
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->calls++;
}

static void
sink_reset(struct sink *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

/* Printable form of a short buffer, for failure messages. */
static const char *
vis(const char *p, size_t n)
{
	static char	 buf[4][512];
	static int	 i;
	char		*b = buf[i++ % 4];
	size_t		 o = 0, k;

	for (k = 0; k < n && o < sizeof(buf[0]) - 5; k++) {
		if (p[k] == '\r')
			o += snprintf(b + o, 5, "\\r");
		else if (p[k] == '\n')
			o += snprintf(b + o, 5, "\\n");
		else
			b[o++] = p[k];
	}
	b[o] = '\0';
	return (b);
}

/* Feed in pieces cut at the given offsets (ascending, < len). */
static uint64_t
run_cuts(struct sink *s, const char *in, size_t len, int mboxrd, int stuff,
    int64_t top, const size_t *cuts, size_t ncuts)
{
	struct xform	x;
	size_t		i, from = 0;
	int		done = 0;

	xform_init(&x, mboxrd, stuff, top);
	for (i = 0; i <= ncuts && !done; i++) {
		size_t to = i < ncuts ? cuts[i] : len;

		done = xform_feed(&x, in + from, to - from, sink_emit, s);
		from = to;
	}
	xform_finish(&x, sink_emit, s);
	return (x.out);
}

static uint64_t
run(struct sink *s, const char *in, size_t len, int mboxrd, int stuff,
    int64_t top)
{
	return (run_cuts(s, in, len, mboxrd, stuff, top, NULL, 0));
}

static void
expect(const char *in, int mboxrd, int stuff, int64_t top, const char *want)
{
	struct sink	s;
	uint64_t	out;
	size_t		i, dots = 0;

	memset(&s, 0, sizeof(s));
	out = run(&s, in, strlen(in), mboxrd, stuff, top);
	ATF_REQUIRE_MSG(s.len == strlen(want) &&
	    memcmp(s.buf, want, s.len) == 0,
	    "in \"%s\" mboxrd %d stuff %d top %lld: got \"%s\" want \"%s\"",
	    vis(in, strlen(in)), mboxrd, stuff, (long long)top,
	    vis(s.buf, s.len), vis(want, strlen(want)));
	/* Stuffed dots are the only bytes not counted. */
	if (stuff)
		for (i = 0; i < s.len; i++)
			if (s.buf[i] == '.' && (i == 0 || s.buf[i - 1] == '\n'))
				dots++;
	ATF_REQUIRE_MSG(out == s.len - dots,
	    "in \"%s\": out %llu, emitted %zu, stuffed %zu", vis(in,
	    strlen(in)), (unsigned long long)out, s.len, dots);
	sink_reset(&s);
}

/*
 * The model: split into lines at LF, rewrite each line as a whole.
 * Returns the counted octets; the output goes to *s.
 */
static uint64_t
model(struct sink *s, const char *in, size_t len, int mboxrd, int stuff,
    int64_t top)
{
	size_t		 start = 0, end, k, n;
	uint64_t	 out = 0;
	int		 term, inbody = 0, empty;
	int64_t		 body = 0;
	const char	*l;

	while (start < len) {
		for (end = start; end < len && in[end] != '\n'; end++)
			;
		term = end < len;
		l = in + start;
		n = end - start;
		empty = n == 0 || (n == 1 && l[0] == '\r');
		if (mboxrd && n > 0 && l[0] == '>') {
			for (k = 0; k < n && l[k] == '>'; k++)
				;
			if (n - k >= 5 && memcmp(l + k, "From ", 5) == 0) {
				l++;
				n--;
			}
		}
		if (stuff && n > 0 && l[0] == '.')
			sink_emit(s, ".", 1);
		if (n > 0) {
			sink_emit(s, l, n);
			out += n;
		}
		if (term && n > 0 && l[n - 1] == '\r') {
			sink_emit(s, "\n", 1);
			out += 1;
		} else {
			sink_emit(s, "\r\n", 2);
			out += 2;
		}
		start = end + 1;
		if (top >= 0) {
			if (!inbody && empty) {
				inbody = 1;
				if (top == 0)
					break;
			} else if (inbody && ++body >= top)
				break;
		}
	}
	return (out);
}

static const char *tricky[] = {
	"",
	"\n",
	"\r\n",
	"\r",
	"a",
	"a\r",
	"a\rb\n",
	"\r\r\n",
	"From x\n>From y\n>>From z\n>From\n>Fro\n>>>\n>\n",
	">From ",
	">>From x",
	">>Fro",
	"Subject: x\r\n\r\nbody 1\r\n.dot\r\n..two\r\n>From q\r\nlast",
	"H: 1\nH: 2\n\n.\n.\n\nb3\nb4\n",
	"H: 1\n\r\n>>From a\n>From b\nFrom c\n",
	".\r\n.\n.",
	"no header end\n.x\n>From y\nz",
	"\n\n\n",
	"a\n\rb\r\n\r\r\n",
	">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>From far\n",
	">F>From \n>From>From \n",
	"a\r\n\nb\r\n\r\n\n",
	"A\r\n\n\r\n.\r\n\n",
};

/* Every mode over every input, in the given cut pattern vs. the model. */
static void
check_against_model(const char *in, size_t len, const size_t *cuts,
    size_t ncuts)
{
	static const int64_t	 tops[] = { -1, 0, 1, 2, 3, 100 };
	struct sink		 a, b;
	uint64_t		 oa, ob;
	size_t			 t;
	int			 mboxrd, stuff;

	for (mboxrd = 0; mboxrd <= 1; mboxrd++)
	for (stuff = 0; stuff <= 1; stuff++)
	for (t = 0; t < sizeof(tops) / sizeof(tops[0]); t++) {
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		oa = run_cuts(&a, in, len, mboxrd, stuff, tops[t], cuts,
		    ncuts);
		ob = model(&b, in, len, mboxrd, stuff, tops[t]);
		ATF_REQUIRE_MSG(a.len == b.len &&
		    (a.len == 0 || memcmp(a.buf, b.buf, a.len) == 0) &&
		    oa == ob,
		    "in \"%s\" cut at %zu (+%zu) mboxrd %d stuff %d top %lld: "
		    "got \"%s\" (%llu) model \"%s\" (%llu)", vis(in, len),
		    ncuts ? cuts[0] : len, ncuts > 1 ? cuts[1] : 0, mboxrd,
		    stuff, (long long)tops[t], vis(a.buf, a.len),
		    (unsigned long long)oa, vis(b.buf, b.len),
		    (unsigned long long)ob);
		sink_reset(&a);
		sink_reset(&b);
	}
}

ATF_TC_WITHOUT_HEAD(xform__bare_lf);
ATF_TC_BODY(xform__bare_lf, tc)
{
	expect("a\nb\n", 0, 0, -1, "a\r\nb\r\n");
	expect("\n", 0, 0, -1, "\r\n");
	expect("\n\n", 0, 0, -1, "\r\n\r\n");
}

ATF_TC_WITHOUT_HEAD(xform__crlf_kept);
ATF_TC_BODY(xform__crlf_kept, tc)
{
	expect("a\r\nb\r\n", 0, 0, -1, "a\r\nb\r\n");
	expect("a\r\nb\n", 0, 0, -1, "a\r\nb\r\n");
	expect("\r\n", 0, 0, -1, "\r\n");
}

ATF_TC_WITHOUT_HEAD(xform__lone_cr);
ATF_TC_BODY(xform__lone_cr, tc)
{
	expect("a\rb\n", 0, 0, -1, "a\rb\r\n");
	expect("\r\r\n", 0, 0, -1, "\r\r\n");
	expect("a\r\rb\r\n", 0, 0, -1, "a\r\rb\r\n");
	/* A CR at the very end is text: the line still gets its CRLF. */
	expect("a\r", 0, 0, -1, "a\r\r\n");
}

ATF_TC_WITHOUT_HEAD(xform__mboxrd);
ATF_TC_BODY(xform__mboxrd, tc)
{
	expect(">From a\n", 1, 0, -1, "From a\r\n");
	expect(">>From a\n", 1, 0, -1, ">From a\r\n");
	expect(">>>From a\n", 1, 0, -1, ">>From a\r\n");
	/* Unquoting off: untouched. */
	expect(">From a\n", 0, 0, -1, ">From a\r\n");
	/* Not a quoted From_: no space, wrong case, not at line start. */
	expect(">From\n", 1, 0, -1, ">From\r\n");
	expect(">from a\n", 1, 0, -1, ">from a\r\n");
	expect("x>From a\n", 1, 0, -1, "x>From a\r\n");
	expect(">>Fro", 1, 0, -1, ">>Fro\r\n");
	expect(">\n>>\n", 1, 0, -1, ">\r\n>>\r\n");
	/* An unquoted From_ stays as it is. */
	expect("From a\n", 1, 0, -1, "From a\r\n");
	expect(">From ", 1, 0, -1, "From \r\n");
	expect("a\n>From b\r\nc", 1, 0, -1, "a\r\nFrom b\r\nc\r\n");
}

ATF_TC_WITHOUT_HEAD(xform__stuffing);
ATF_TC_BODY(xform__stuffing, tc)
{
	expect(".\n", 0, 1, -1, "..\r\n");
	expect("a\n.b\n..c\nd.\n", 0, 1, -1, "a\r\n..b\r\n...c\r\nd.\r\n");
	expect(".", 0, 1, -1, "..\r\n");
	expect(".\n", 0, 0, -1, ".\r\n");
	/* The first output byte decides: ">From" never starts with '.'. */
	expect(">.x\n", 1, 1, -1, ">.x\r\n");
	expect(".>From x\n", 1, 1, -1, "..>From x\r\n");
}

ATF_TC_WITHOUT_HEAD(xform__top);
ATF_TC_BODY(xform__top, tc)
{
	const char *m = "A: 1\nB: 2\n\nl1\nl2\nl3\n";

	expect(m, 0, 0, 0, "A: 1\r\nB: 2\r\n\r\n");
	expect(m, 0, 0, 1, "A: 1\r\nB: 2\r\n\r\nl1\r\n");
	expect(m, 0, 0, 2, "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n");
	expect(m, 0, 0, 3, "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n");
	expect(m, 0, 0, 50, "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n");
	/* A CRLF blank line ends the header too. */
	expect("A: 1\r\n\r\nl1\r\nl2\r\n", 0, 0, 1, "A: 1\r\n\r\nl1\r\n");
	/* Without a blank line everything is header. */
	expect("A: 1\nB: 2\n", 0, 0, 0, "A: 1\r\nB: 2\r\n");
	/* A last body line without a newline, within the limit. */
	expect("A: 1\n\nl1", 0, 0, 5, "A: 1\r\n\r\nl1\r\n");
	/* Limit reached exactly at the unterminated end: nothing added. */
	expect("A: 1\n\nl1\nl2", 0, 0, 1, "A: 1\r\n\r\nl1\r\n");
	/* Blank body lines count as lines. */
	expect("A\n\n\n\nx\n", 0, 0, 2, "A\r\n\r\n\r\n\r\n");
	/* Stuffing and unquoting apply to TOP output. */
	expect("A\n\n.x\n>From y\nz\n", 1, 1, 2, "A\r\n\r\n..x\r\nFrom y\r\n");
}

ATF_TC_WITHOUT_HEAD(xform__top_returns_done);
ATF_TC_BODY(xform__top_returns_done, tc)
{
	struct xform	x;
	struct sink	s;
	const char	*m = "A\n\nb1\nb2\n";

	memset(&s, 0, sizeof(s));
	xform_init(&x, 0, 1, 1);
	ATF_REQUIRE_MSG(xform_feed(&x, m, 4, sink_emit, &s) == 0,
	    "\"%s\" first 4 bytes", vis(m, strlen(m)));
	ATF_REQUIRE_MSG(xform_feed(&x, m + 4, strlen(m) - 4, sink_emit,
	    &s) == 1, "\"%s\" TOP 1 must report done", vis(m, strlen(m)));
	ATF_REQUIRE_MSG(xform_feed(&x, "more\n", 5, sink_emit, &s) == 1,
	    "input after done is ignored");
	xform_finish(&x, sink_emit, &s);
	ATF_REQUIRE_MSG(s.len == 9 && memcmp(s.buf, "A\r\n\r\nb1\r\n", 9) == 0,
	    "got \"%s\"", vis(s.buf, s.len));
	sink_reset(&s);
}

ATF_TC_WITHOUT_HEAD(xform__no_final_newline);
ATF_TC_BODY(xform__no_final_newline, tc)
{
	expect("a", 0, 0, -1, "a\r\n");
	expect("a\nb", 0, 0, -1, "a\r\nb\r\n");
	expect("a\r\nb", 0, 1, -1, "a\r\nb\r\n");
	expect(".", 0, 1, -1, "..\r\n");
	expect(">>From", 1, 0, -1, ">>From\r\n");
}

ATF_TC_WITHOUT_HEAD(xform__empty);
ATF_TC_BODY(xform__empty, tc)
{
	struct sink	s;
	int64_t		top;

	for (top = -1; top <= 2; top++) {
		memset(&s, 0, sizeof(s));
		ATF_REQUIRE_MSG(run(&s, "", 0, 1, 1, top) == 0 && s.len == 0,
		    "empty input, top %lld: %zu bytes", (long long)top, s.len);
		sink_reset(&s);
	}
	ATF_REQUIRE_MSG(xform_size("", 0, 0) == 0, "xform_size of \"\"");
}

/* One cut at every position, and two cuts at every pair. */
ATF_TC_WITHOUT_HEAD(xform__chunk_splits);
ATF_TC_BODY(xform__chunk_splits, tc)
{
	size_t	i, j, k, len, cuts[2];

	for (i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
		len = strlen(tricky[i]);
		check_against_model(tricky[i], len, NULL, 0);
		for (j = 0; j < len; j++) {
			cuts[0] = j;
			check_against_model(tricky[i], len, cuts, 1);
			for (k = j; k < len; k++) {
				cuts[1] = k;
				check_against_model(tricky[i], len, cuts, 2);
			}
		}
	}
}

/* One byte at a time: every state has to survive a feed boundary. */
ATF_TC_WITHOUT_HEAD(xform__byte_at_a_time);
ATF_TC_BODY(xform__byte_at_a_time, tc)
{
	size_t	i, j, len, *cuts;

	for (i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
		len = strlen(tricky[i]);
		ATF_REQUIRE((cuts = calloc(len + 1, sizeof(*cuts))) != NULL);
		for (j = 1; j < len; j++)
			cuts[j - 1] = j;
		check_against_model(tricky[i], len, cuts, len ? len - 1 : 0);
		free(cuts);
	}
}

/* xform_size() must be what the session counts while sending. */
ATF_TC_WITHOUT_HEAD(xform__size_matches_sent);
ATF_TC_BODY(xform__size_matches_sent, tc)
{
	struct sink	s;
	uint64_t	out;
	size_t		i, len, dots, k;
	int		mboxrd;

	for (i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++)
	for (mboxrd = 0; mboxrd <= 1; mboxrd++) {
		len = strlen(tricky[i]);
		memset(&s, 0, sizeof(s));
		out = run(&s, tricky[i], len, mboxrd, 1, -1);
		for (dots = 0, k = 0; k < s.len; k++)
			if (s.buf[k] == '.' && (k == 0 || s.buf[k - 1] == '\n'))
				dots++;
		ATF_REQUIRE_MSG(xform_size(tricky[i], len, mboxrd) ==
		    s.len - dots && out == s.len - dots,
		    "\"%s\" mboxrd %d: size %llu, sent %zu, stuffed %zu",
		    vis(tricky[i], len), mboxrd, (unsigned long long)
		    xform_size(tricky[i], len, mboxrd), s.len, dots);
		sink_reset(&s);
	}
}

/*
 * 10 MiB of mixed text: right size, and emitted in spans (at most two
 * emits per line), not byte by byte.
 */
ATF_TC_WITHOUT_HEAD(xform__large_spans);
ATF_TC_BODY(xform__large_spans, tc)
{
	struct xform	 x;
	struct sink	 s;
	char		*big;
	size_t		 len = 10 * 1024 * 1024, i, lines = 0, bare = 0, off;

	ATF_REQUIRE((big = malloc(len)) != NULL);
	for (i = 0; i < len; i++) {
		if (i % 77 == 76) {
			big[i] = '\n';
			lines++;
			if (i % 2 == 0)
				bare++;
			else
				big[i - 1] = '\r';
		} else
			big[i] = 'a' + i % 26;
	}
	memset(&s, 0, sizeof(s));
	xform_init(&x, 1, 1, -1);
	for (off = 0; off < len; off += CHUNK)
		xform_feed(&x, big + off, len - off < CHUNK ?
		    len - off : CHUNK, sink_emit, &s);
	xform_finish(&x, sink_emit, &s);
	/* The unterminated tail gets a CRLF. */
	ATF_REQUIRE_MSG(x.out == len + bare + 2 && s.len == x.out,
	    "10 MiB, %zu bare LF: out %llu, emitted %zu", bare,
	    (unsigned long long)x.out, s.len);
	ATF_REQUIRE_MSG(xform_size(big, len, 1) == x.out,
	    "xform_size %llu vs streamed %llu",
	    (unsigned long long)xform_size(big, len, 1),
	    (unsigned long long)x.out);
	ATF_REQUIRE_MSG(s.calls <= 2 * lines + len / CHUNK + 2,
	    "%zu emits for %zu lines", s.calls, lines);
	sink_reset(&s);
	free(big);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, xform__bare_lf);
	ATF_TP_ADD_TC(tp, xform__crlf_kept);
	ATF_TP_ADD_TC(tp, xform__lone_cr);
	ATF_TP_ADD_TC(tp, xform__mboxrd);
	ATF_TP_ADD_TC(tp, xform__stuffing);
	ATF_TP_ADD_TC(tp, xform__top);
	ATF_TP_ADD_TC(tp, xform__top_returns_done);
	ATF_TP_ADD_TC(tp, xform__no_final_newline);
	ATF_TP_ADD_TC(tp, xform__empty);
	ATF_TP_ADD_TC(tp, xform__chunk_splits);
	ATF_TP_ADD_TC(tp, xform__byte_at_a_time);
	ATF_TP_ADD_TC(tp, xform__size_matches_sent);
	ATF_TP_ADD_TC(tp, xform__large_spans);
	return (atf_no_error());
}
