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
 * Linked into every program of the sanitizer build only (make
 * test-sanitize), never into the normal one: the options the ASan and
 * UBSan runtimes start with.  Children are exec'd with an empty
 * environment, so for them these are the only options; ASAN_OPTIONS
 * and UBSAN_OPTIONS still override them in the processes the test
 * harness starts itself (the parent, pop3ctl, the unit tests).
 */

const char	*__asan_default_options(void);
const char	*__ubsan_default_options(void);
const char	*__lsan_default_options(void);
const char	*__lsan_default_suppressions(void);

/*
 * Reports go to stderr, which every child inherits from the parent
 * (the test's log file): a log_path would have to be opened inside a
 * chroot.  A sandboxed process cannot run LeakSanitizer at exit, which
 * stops the world with clone(2) and ptrace(2), both killed by its
 * seccomp filter; so leaks are checked only where the harness asks for
 * it (ASAN_OPTIONS=detect_leaks=1), in the processes it starts.
 */
const char *
__asan_default_options(void)
{
	return ("detect_leaks=0:abort_on_error=0:print_summary=1:"
	    "check_initialization_order=1:strict_init_order=1");
}

/* -fno-sanitize-recover makes a finding fatal; show where it was. */
const char *
__ubsan_default_options(void)
{
	return ("print_stacktrace=1:halt_on_error=1");
}

/* A unit test that lists its cases may write nothing to stderr. */
const char *
__lsan_default_options(void)
{
	return ("print_suppressions=0");
}

/*
 * Leaks are not looked for in the unit tests (ASan and UBSan are): a
 * test body leaves its fixtures to the exit of the process that runs
 * that one case (below atf_tc_run), and atf-c keeps its lists of cases
 * and their variables to the end.
 */
const char *
__lsan_default_suppressions(void)
{
	return ("leak:atf_tc_run\n"
	    "leak:atf_list_init\n"
	    "leak:atf_list_append\n"
	    "leak:atf_map_init_charpp\n"
	    "leak:atf_map_insert\n"
	    "leak:atf_tp_get_tcs\n");
}
