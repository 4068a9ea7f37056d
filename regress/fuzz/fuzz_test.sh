#! /usr/bin/env atf-sh
#
# Copyright (c) 2026 The pop3d developers
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
#

# The libFuzzer targets of fuzz/ (make regress-build builds them), each
# for a short smoke time on its seed corpus: the seeds themselves, which
# hold every input a fix was made for, then FUZZ_SMOKE seconds (default
# 10; also kyua -v test_suites.pop3d.fuzz_smoke=N) of fuzzing.  Any
# crash, sanitizer report, leak or timeout fails the case.  New inputs
# go to the test's work directory, never to the corpus in the tree.

fz_smoke()
{
	if atf_config_has fuzz_smoke; then
		atf_config_get fuzz_smoke
	else
		echo "${FUZZ_SMOKE:-10}"
	fi
}

# fz_case NAME DESCRIPTION
fz_case()
{
	atf_test_case "$1"
	eval "$1_head() { atf_set descr '$2'; \
	    atf_set timeout \$(( \$(fz_smoke) + 120 )); }"
	eval "$1_body() { fz_run $1; }"
}

fz_run()
{
	top=$(atf_get_srcdir)/../..
	prog=${top}/fuzz/fuzz_$1
	corpus=${top}/fuzz/corpus/$1
	[ -x "${prog}" ] || atf_skip "${prog} not built (make regress-build;" \
	    "needs clang and libclang-rt-14-dev)"
	mkdir new
	# -runs=0 stops after the seeds: each must pass on its own.
	if ! "${prog}" -runs=0 -timeout=10 "${corpus}" >seeds.log 2>&1; then
		cat seeds.log >&2
		atf_fail "$1: a seed input fails (see stderr)"
	fi
	if ! "${prog}" -max_total_time="$(fz_smoke)" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=./ \
	    new "${corpus}" >fuzz.log 2>&1; then
		tail -60 fuzz.log >&2
		for f in crash-* leak-* timeout-* oom-* slow-unit-*; do
			[ -f "$f" ] && od -c "$f" | head -40 >&2
		done
		atf_fail "$1: the fuzzer found an input that fails (see stderr)"
	fi
	sed -n 's/^stat::number_of_executed_units: */runs: /p' fuzz.log
}

fz_case pop3 "POP3 command lines and every command, from the greeting on"
fz_case poppass "The poppass dialogue"
fz_case xmit "XTND XMIT message collection after a login"
fz_case sasl "SASL PLAIN and SCRAM-SHA-256 client messages in pop3d-auth"
fz_case tlshello "The ClientHello ALPN check before libtls"
fz_case conf "pop3d.conf through parse_config"
fz_case userdb "A users file line, parsed, written back and parsed again"
fz_case maildir "Maildir file names and the pop3d-sizes cache"
fz_case mbox "mbox scan, RETR offsets and the rewrite at QUIT"
fz_case frame "Frames read from the less trusted side of each channel"
fz_case proxy "The PROXY protocol header of a balancer, v1 and v2"

atf_init_test_cases()
{
	for t in pop3 poppass xmit sasl tlshello conf userdb maildir mbox \
	    frame proxy; do
		atf_add_test_case "$t"
	done
}
