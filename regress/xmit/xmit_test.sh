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

# XTND XMIT against the real daemon: sending mail over the POP3 session
# through the submission program, only after a login, as the user.
#
# Most cases run fake-sendmail (beside this file; a copy in the test
# directory) as the program: it records its arguments, ids,
# environment, descriptors and standard input in rec/N for each run,
# and exits with the status the test puts in its exit-status file.  One
# case runs Debian's msmtp in sendmail mode against an SMTP sink of
# pop3test.py.  Each case runs its own pop3d on a free loopback port.

p3_load()
{
	. "$(atf_get_srcdir)/../lib/pop3test.sh"
}

# p3_case NAME DESCRIPTION [TIMEOUT [PROGS]]: the head and cleanup.
p3_case()
{
	atf_test_case "$1" cleanup
	eval "$1_head() { atf_set descr '$2'; atf_set require.user root; \
	    atf_set timeout ${3:-60}; ${4:+atf_set require.progs '$4';} }"
	eval "$1_cleanup() { p3_load; p3_cleanup; }"
}

# p3_xmit OPTIONS [STATEMENT...]: a user with the basic Maildir, the
# fake submission program, and a daemon with "xtnd-xmit yes sendmail
# FAKE -i -t OPTIONS" and the STATEMENTs.
p3_xmit()
{
	_opts=$1
	shift
	p3_load
	p3_init
	p3_useradd
	p3_maildir basic
	p3_fake_sendmail "$(atf_get_srcdir)/fake-sendmail"
	p3_conf "xtnd-xmit yes sendmail \"${P3_XMIT}/fake-sendmail -i -t\"${_opts:+ ${_opts}}" \
	    "$@"
	p3_start
}

p3_case capa_on "CAPA lists XTND before and after login when xtnd-xmit is on"
capa_on_body()
{
	p3_xmit ""
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    for login in (False, True):
        state = "TRANSACTION" if login else "AUTHORIZATION"
        p = E.connect()
        if login:
            p.login(E.user, E.pw)
        names, lines = p.capa()
        check(names.count("XTND") == 1, "CAPA in %s with xtnd-xmit yes: "
            "XTND listed %d times, expected once: %r" % (state,
            names.count("XTND"), lines))
        for want in ("TOP", "UIDL", "USER"):
            check(want in names, "CAPA in %s lost %s: %r" % (state, want,
                lines))
        quit_ok(p)
run(main)
EOF
}

p3_case off "xtnd-xmit off (by default and with no): no XTND in CAPA, XTND XMIT gets -ERR in both states"
off_body()
{
	p3_load
	p3_init
	p3_useradd
	p3_maildir basic
	for stmt in "" "xtnd-xmit no"; do
		p3_conf ${stmt:+"${stmt}"}
		p3_start
		P3_STMT=${stmt:-no xtnd-xmit statement}
		export P3_STMT
		p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    what = os.environ["P3_STMT"]
    p = E.connect()
    names, lines = p.capa()
    check("XTND" not in names, "CAPA before login lists XTND with %s: %r" %
        (what, lines))
    p.err("XTND XMIT")
    p.login(E.user, E.pw)
    names, lines = p.capa()
    check("XTND" not in names, "CAPA after login lists XTND with %s: %r" %
        (what, lines))
    count = p.stat()
    p.err("XTND XMIT")
    # -ERR, not a message being read: the next line is a command.
    p.ok("NOOP")
    check(p.stat() == count, "STAT changed")
    quit_ok(p)
run(main)
EOF
		p3_stop
	done
}

p3_case before_login "XTND XMIT gets -ERR before a login (none, after USER, after a failed PASS), runs nothing, and works after it"
before_login_body()
{
	p3_xmit ""
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
REC = os.environ["P3_XMIT_REC"]
def main():
    p = E.connect()
    p.err("XTND XMIT")
    # Still in AUTHORIZATION, reading commands: CAPA answers.
    names, lines = p.capa()
    check("XTND" in names, "CAPA lacks XTND: %r" % lines)
    p.ok("USER %s" % E.user)
    p.err("XTND XMIT")
    p.ok("USER %s" % E.user)
    p.err("PASS not-%s" % E.pw, "AUTH")
    p.err("XTND XMIT")
    xmit_no_run(REC, 1.0, "the submission program (before any login)")
    p.ok("USER %s" % E.user)
    p.ok("PASS %s" % E.pw)
    lines = [b"Subject: after the login", b"", b"sent"]
    r = xmit_send(p, xmit_wire(lines))
    check(r.startswith("+OK"), "XTND XMIT after the login: got %s" %
        short(r))
    runs = xmit_wait_runs(REC, 1)
    check_submitted(runs[0]["stdin"], E.user, "127.0.0.1", lines)
    quit_ok(p)
run(main)
EOF
}

p3_case submit "A message with dot-stuffed, long and 8-bit lines reaches the program byte-exact after the Received header; it runs as the user, with -f user, four variables, stdin only; +OK only after it exited"
submit_body()
{
	p3_xmit ""
	p3_py <<'EOF'
import pwd
from pop3test import *
E = TestEnv()
REC = os.environ["P3_XMIT_REC"]
DELAY = os.path.join(os.environ["P3_XMIT"], "delay")

def check_run(r):
    pw = pwd.getpwnam(E.user)
    check(r["argv"] == ["-i", "-t", "-f", E.user], "the program's "
        "arguments: %r, expected %r" % (r["argv"], ["-i", "-t", "-f",
        E.user]))
    check(r["uid"] == pw.pw_uid and r["gid"] == pw.pw_gid, "the program "
        "ran as uid %s gid %s, expected the user's %d and %d" % (r["uid"],
        r["gid"], pw.pw_uid, pw.pw_gid))
    check(r["uids"] == [pw.pw_uid] * 4, "the program's real, effective, "
        "saved and fs uids: %r, expected %d for all" % (r["uids"],
        pw.pw_uid))
    check(r["gids"] == [pw.pw_gid] * 4, "the program's real, effective, "
        "saved and fs gids: %r, expected %d for all" % (r["gids"],
        pw.pw_gid))
    mine = set(os.getgrouplist(E.user, pw.pw_gid))
    check(set(r["groups"]) <= mine, "the program has supplementary groups "
        "%r, the user's are %r" % (r["groups"], sorted(mine)))
    want = {"PATH": "/usr/bin:/bin", "HOME": pw.pw_dir,
        "LOGNAME": E.user, "USER": E.user}
    items = [x for x in r["environ_raw"].split(b"\0") if x]
    check(r["environ"] == want and len(items) == 4, "the program's "
        "environment: %r, expected exactly %r" % (items, want))
    fds = r["fds"]
    check(sorted(fds) == [0, 1, 2], "the program inherited descriptors "
        "other than 0, 1 and 2: %r" % fds)
    check(fds[1] == "/dev/null" and fds[2] == "/dev/null", "the "
        "program's standard output and error: %r and %r, expected "
        "/dev/null" % (fds[1], fds[2]))
    check(not fds[0].startswith("socket:"), "the program's standard "
        "input is a socket (%s)" % fds[0])

def main():
    lines = xmit_sample(E.user)
    wire = xmit_wire(lines)
    with open(DELAY, "w") as f:
        f.write("1\n")
    p = E.login()
    before = p.stat()
    p.ok("XTND XMIT")
    p.sendraw(wire)
    t = time.monotonic()
    r = p.reply(timeout=30)
    dt = time.monotonic() - t
    check(r.startswith("+OK"), "the message: expected +OK, got %s" %
        short(r))
    runs = xmit_runs(REC)
    check(len(runs) == 1, "+OK, and the program ran %d times" % len(runs))
    check(runs[0]["done"], "+OK before the program exited (it sleeps 1 s "
        "before it exits)")
    check(dt >= 0.9, "+OK %.2f s after the dot; the program takes 1 s" %
        dt)
    check(runs[0]["exit"] == 0, "exit status %r" % runs[0]["exit"])
    check_run(runs[0])
    check_submitted(runs[0]["stdin"], E.user, "127.0.0.1", lines)
    check(p.stat() == before, "STAT %r after XTND XMIT, %r before" %
        (p.stat(), before))
    os.unlink(DELAY)
    # The next command in the same write as the message's last line.
    lines2 = xmit_sample(E.user, "2")
    p.ok("XTND XMIT")
    p.sendraw(xmit_wire(lines2) + b"NOOP\r\n")
    r = p.reply(timeout=30)
    check(r.startswith("+OK"), "the second message: expected +OK, got "
        "%s" % short(r))
    r = p.reply()
    check(r.startswith("+OK"), "NOOP sent right after the dot: got %s" %
        short(r))
    runs = xmit_wait_runs(REC, 2)
    check_run(runs[1])
    check_submitted(runs[1]["stdin"], E.user, "127.0.0.1", lines2)
    quit_ok(p)
    check_maildir_holds(E.maildir, E.seed.values())
run(main)
EOF
}

p3_case program_fails "A program exiting 75 gives -ERR [SYS/TEMP], logged; NOOP, STAT, another XTND XMIT and QUIT still work"
program_fails_body()
{
	# Clear-text login from 127.0.0.3 to 127.0.0.1: not the same host
	# to pop3d's default policy.
	P3_LISTEN_OPTS="plaintext-auth yes"
	export P3_LISTEN_OPTS
	p3_xmit ""
	echo 75 >"${P3_XMIT}/exit-status"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
REC = os.environ["P3_XMIT_REC"]
STATUS = os.path.join(os.environ["P3_XMIT"], "exit-status")
def main():
    # From another loopback address: the Received header names it.
    p = E.login(source="127.0.0.3")
    lines = xmit_sample(E.user, "fails")
    r = xmit_send(p, xmit_wire(lines))
    check(r.startswith("-ERR [SYS/TEMP]"), "the program exited 75: "
        "expected -ERR [SYS/TEMP], got %s" % short(r))
    runs = xmit_wait_runs(REC, 1)
    check(runs[0]["exit"] == 75, "the program exited %r" % runs[0]["exit"])
    check_submitted(runs[0]["stdin"], E.user, "127.0.0.3", lines)
    p.ok("NOOP")
    count = p.stat()
    wait_log(E.log, r"(?i)\b(exit|exited|status)\b.*\b75\b")
    with open(STATUS, "w") as f:
        f.write("0\n")
    lines = xmit_sample(E.user, "retry")
    r = xmit_send(p, xmit_wire(lines))
    check(r.startswith("+OK"), "XTND XMIT after the failure, the program "
        "now exiting 0: got %s" % short(r))
    runs = xmit_wait_runs(REC, 2)
    check_submitted(runs[1]["stdin"], E.user, "127.0.0.3", lines)
    check(p.stat() == count, "STAT changed")
    quit_ok(p)
run(main)
EOF
}

p3_case program_denied "A program the user may not execute gives -ERR [SYS/TEMP] and does not run; the session goes on"
program_denied_body()
{
	p3_load
	p3_init
	p3_useradd
	p3_maildir basic
	p3_fake_sendmail "$(atf_get_srcdir)/fake-sendmail"
	# Root's alone: run as the user, execve fails; run as root, it
	# would record its run.
	cp "${P3_XMIT}/fake-sendmail" "${P3_XMIT}/private-sendmail"
	chown 0:0 "${P3_XMIT}/private-sendmail"
	chmod 0700 "${P3_XMIT}/private-sendmail"
	p3_conf "xtnd-xmit yes sendmail \"${P3_XMIT}/private-sendmail -i -t\""
	p3_start
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
REC = os.environ["P3_XMIT_REC"]
def main():
    p = E.login()
    r = xmit_send(p, xmit_wire([b"Subject: denied", b"", b"body"]))
    runs = xmit_runs(REC)
    check(not runs, "a program only root may execute ran, as uid %s, "
        "and pop3d said %s" % (runs and runs[0]["uid"], short(r)))
    check(r.startswith("-ERR [SYS/TEMP]"), "the program could not be "
        "executed: expected -ERR [SYS/TEMP], got %s" % short(r))
    p.ok("NOOP")
    p.stat()
    quit_ok(p)
    xmit_no_run(REC, 1.0)
run(main)
EOF
	p3_alive "${P3_PID}" || p3_failure "pop3d exited"
}

p3_case too_large "Over max-size 1K: -ERR (max 1024 octets) only after the dot, nothing run, the session goes on; a small message still goes"
too_large_body()
{
	p3_xmit "max-size 1K"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
REC = os.environ["P3_XMIT_REC"]
TOO_LARGE = r"-ERR (\[[A-Z/-]+\] )?message too large \(max 1024 octets\)"
def main():
    p = E.login()
    count = p.stat()
    big = [b"Subject: five K", b""] + [b"%04d %s" % (i, b"y" * 74)
        for i in range(64)] + [b".", b"..end"]
    wire = xmit_wire(big)
    check(len(wire) > 5 * 1024, "bad test")
    p.ok("XTND XMIT")
    p.sendraw(wire[:-3])
    # The whole message but its terminating dot: no answer yet.
    p.silent(1.0)
    p.sendraw(wire[-3:])
    r = p.reply(timeout=30)
    check(re.fullmatch(TOO_LARGE, r), "a 5K message with max-size 1K: got "
        "%s, expected '-ERR message too large (max 1024 octets)'" %
        short(r))
    # The rest of the message was read, not taken for commands.
    p.ok("NOOP")
    xmit_no_run(REC, 1.0, "the submission program (message too large)")
    # 300 KB, far past any buffer: read to the dot and dropped.
    big = [b"Subject: 300 KB", b""] + [b"%06d %s" % (i, b"z" * 72)
        for i in range(3840)]
    r = xmit_send(p, xmit_wire(big))
    check(re.fullmatch(TOO_LARGE, r), "a 300 KB message with max-size 1K: "
        "got %s" % short(r))
    p.ok("NOOP")
    check(p.stat() == count, "STAT changed")
    xmit_no_run(REC, 1.0, "the submission program (message too large)")
    small = [b"Subject: small", b"", b"This one fits in 1K.", b".dot"]
    r = xmit_send(p, xmit_wire(small))
    check(r.startswith("+OK"), "a small message with max-size 1K: got %s" %
        short(r))
    runs = xmit_wait_runs(REC, 1)
    check_submitted(runs[0]["stdin"], E.user, "127.0.0.1", small)
    quit_ok(p)
run(main)
EOF
}

p3_case default_size "Without max-size the limit is 10M: 9 MiB goes through, 11 MiB gets -ERR (max 10485760 octets)" 180
default_size_body()
{
	p3_xmit ""
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
REC = os.environ["P3_XMIT_REC"]
def message(mib):
    lines = [b"Subject: %d MiB" % mib, b""]
    size = 0
    i = 0
    while size < mib * 1024 * 1024:
        i += 1
        l = b"%08d %s" % (i, b"abcdefghij" * 7) if i % 500 else b".%d" % i
        lines.append(l)
        size += len(l) + 2
    return lines
def main():
    p = E.login()
    lines = message(9)
    r = xmit_send(p, xmit_wire(lines), timeout=60)
    check(r.startswith("+OK"), "a 9 MiB message, default max-size: got %s" %
        short(r))
    runs = xmit_wait_runs(REC, 1, 30)
    check_submitted(runs[0]["stdin"], E.user, "127.0.0.1", lines)
    r = xmit_send(p, xmit_wire(message(11)), timeout=60)
    check(re.fullmatch(r"-ERR (\[[A-Z/-]+\] )?message too large \(max "
        r"10485760 octets\)", r), "an 11 MiB message, default max-size: "
        "got %s" % short(r))
    p.ok("NOOP")
    time.sleep(1.0)
    check(len(xmit_runs(REC)) == 1, "the program ran for the 11 MiB "
        "message too")
    quit_ok(p)
run(main)
EOF
}

p3_case huge_lines "Message lines of 1 MiB and 100000 characters (one dot-stuffed) arrive byte-exact" 90
huge_lines_body()
{
	p3_xmit ""
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
REC = os.environ["P3_XMIT_REC"]
def main():
    lines = [b"Subject: huge lines", b"", b"H" * (1024 * 1024),
        b"." + b"I" * 99999, b"end"]
    p = E.login()
    r = xmit_send(p, xmit_wire(lines))
    check(r.startswith("+OK"), "a message with a 1 MiB line: got %s" %
        short(r))
    runs = xmit_wait_runs(REC, 1)
    check_submitted(runs[0]["stdin"], E.user, "127.0.0.1", lines)
    p.ok("NOOP")
    quit_ok(p)
run(main)
EOF
}

p3_case dropped "A connection dropped in the middle of a message (closed, half-closed after a dot without CRLF, reset) runs nothing"
dropped_body()
{
	p3_xmit ""
	p3_py <<'EOF'
import struct
from pop3test import *
E = TestEnv()
REC = os.environ["P3_XMIT_REC"]
def session():
    p = E.connect()
    p.login_retry(E.user, E.pw)
    p.ok("XTND XMIT")
    return p
def main():
    lines = xmit_sample(E.user, "dropped")
    wire = xmit_wire(lines)
    # Closed in the middle of a line.
    p = session()
    p.sendraw(wire[:len(wire) // 2])
    p.close()
    xmit_no_run(REC, 2.0, "the program (connection closed mid-message)")
    # All of it but the CRLF after the final dot, then a half-close.
    p = session()
    p.sendraw(wire[:-2])
    p.sock.shutdown(socket.SHUT_WR)
    try:
        while p.reply(timeout=5) is not None:
            pass
    except (Closed, Failure):
        pass
    p.close()
    xmit_no_run(REC, 2.0, "the program (message ended by EOF after "
        "'CRLF.' without its CRLF)")
    # Reset right after the +OK.
    p = session()
    p.sendraw(b"Subject: reset\r\n\r\nbody\r\n")
    p.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
        struct.pack("ii", 1, 0))
    p.close()
    xmit_no_run(REC, 2.0, "the program (connection reset mid-message)")
    # The daemon serves on, and a whole message goes.
    p = E.connect()
    p.login_retry(E.user, E.pw)
    r = xmit_send(p, wire)
    check(r.startswith("+OK"), "a whole message after the drops: got %s" %
        short(r))
    runs = xmit_wait_runs(REC, 1)
    check_submitted(runs[0]["stdin"], E.user, "127.0.0.1", lines)
    quit_ok(p)
run(main)
EOF
	p3_alive "${P3_PID}" || p3_failure "pop3d exited"
}

p3_case bare_lf "A dot line ended by a bare LF does not end the message: nothing after it runs as commands (no DELE, no QUIT smuggled)"
bare_lf_body()
{
	p3_xmit ""
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
REC = os.environ["P3_XMIT_REC"]
# Lines as a client splits them, on CRLF: none starts with a dot, so
# none is stuffed; a bare LF is a byte of the message, not a line end.
CASES = [
    ("LF . CRLF", [b"Subject: bare LF, dot, CRLF", b"", b"text\n.",
        b"DELE 1", b"QUIT", b"after"]),
    ("LF . LF", [b"Subject: bare LF, dot, bare LF", b"",
        b"text\n.\nDELE 2\nQUIT\n", b"after"]),
]
def main():
    n = 0
    for name, lines in CASES:
        p = E.connect()
        p.login_retry(E.user, E.pw)
        before = p.stat()
        r = xmit_send(p, xmit_wire(lines))
        s = p.cmd("STAT")
        check(s == "+OK %d %d" % before, "%s: the message got %s, then "
            "STAT got %s, not '+OK %d %d': the message ended at the "
            "bare-LF dot line and what followed ran as POP3 commands" %
            (name, short(r), short(s), before[0], before[1]))
        if r.startswith("+OK"):
            n += 1
            runs = xmit_wait_runs(REC, n)
            check_submitted(runs[-1]["stdin"], E.user, "127.0.0.1", lines)
        else:
            # Refusing bare LFs would do too, if nothing ran.
            check(r.startswith("-ERR"), "%s: got %s" % (name, short(r)))
            time.sleep(1.0)
            check(len(xmit_runs(REC)) == n, "%s: -ERR, and the program "
                "ran" % name)
        quit_ok(p)
    check_maildir_holds(E.maildir, E.seed.values())
run(main)
EOF
}

p3_case stalled "A client that stalls in the middle of a message is cut by timeout idle and nothing runs"
stalled_body()
{
	p3_xmit "" "timeout idle 2"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
REC = os.environ["P3_XMIT_REC"]
def main():
    p = E.login()
    p.ok("XTND XMIT")
    p.sendraw(b"Subject: stalled\r\n\r\nhalf a li")
    t = time.monotonic()
    try:
        r = p.reply(timeout=10)
        check(r.startswith("-ERR"), "unexpected %s while stalled" %
            short(r))
        p.expect_closed(timeout=3)
    except Closed:
        pass
    except Failure as e:
        fail("a client stalled mid-message was not cut within 10 s with "
            "timeout idle 2 (%s)" % e)
    dt = time.monotonic() - t
    check(1.5 <= dt <= 7, "stalled session closed after %.1f s with "
        "timeout idle 2" % dt)
    p.close()
    xmit_no_run(REC, 2.0, "the program (session cut mid-message)")
run(main)
EOF
}

p3_case autodeny "With auto-deny yes, message lines of 600 and 2000 characters (also in a message over max-size) deny no one"
autodeny_body()
{
	p3_xmit "max-size 8K" "auto-deny yes"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
REC = os.environ["P3_XMIT_REC"]
def main():
    p = E.login()
    lines = [b"Subject: long lines", b"", b"L" * 600, b"." + b"M" * 700,
        b"N" * 2000, b"end"]
    r = xmit_send(p, xmit_wire(lines))
    check(r.startswith("+OK"), "a message with 600- and 2000-character "
        "lines: got %s" % short(r))
    p.ok("NOOP")
    big = [b"Subject: too large, long lines", b""] + [b"O" * 2000] * 6
    r = xmit_send(p, xmit_wire(big))
    check(re.fullmatch(r"-ERR (\[[A-Z/-]+\] )?message too large \(max "
        r"8192 octets\)", r), "a 12K message with max-size 8K: got %s" %
        short(r))
    p.ok("NOOP")
    quit_ok(p)
    runs = xmit_wait_runs(REC, 1)
    check_submitted(runs[0]["stdin"], E.user, "127.0.0.1", lines)
    time.sleep(0.5)
    check(not log_lines(E.log, r"auto-denied"), "auto-denied for message "
        "lines: %r" % log_lines(E.log, r"auto-denied"))
    expect_served(E.port, "127.0.0.1", what="after long message lines")
    quit_ok(E.login())
    # auto-deny is on: the same length as a command line lists the sender.
    q = POP3(E.port, source="127.0.0.2")
    q.sendraw(b"X" * 600 + b"\r\n")
    deadline = time.monotonic() + 5
    while True:
        try:
            q.readline(timeout=max(0.1, deadline - time.monotonic()))
        except Closed:
            break
    q.close()
    wait_log(E.log, r"^127\.0\.0\.2: auto-denied: ")
    expect_refused(E.port, "127.0.0.2", what="a 600-character command line")
    expect_served(E.port, "127.0.0.1", what="127.0.0.1 after 127.0.0.2 "
        "was denied")
run(main)
EOF
}

p3_case msmtp "msmtp as sendmail (-t, to a local SMTP sink) gets the message to the sink as the user, Received header first" 90 /usr/bin/msmtp
msmtp_body()
{
	p3_load
	p3_init
	p3_useradd
	p3_maildir basic
	p3_smtp_sink 80
	p3_conf "xtnd-xmit yes sendmail \"/usr/bin/msmtp -t --host=127.0.0.1 --port=${P3_SMTP_PORT}\""
	p3_start
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
SINK = os.environ["P3_SINK"]
def main():
    lines = xmit_sample(E.user, "msmtp")
    p = E.login()
    r = xmit_send(p, xmit_wire(lines))
    check(r.startswith("+OK"), "XTND XMIT through msmtp: got %s" % short(r))
    got = sink_messages(SINK)
    check(len(got) == 1, "the SMTP sink holds %d messages, expected 1 "
        "(+OK was given)" % len(got))
    env, data = got[0]
    log("-- envelope: %r" % env)
    check(env and env[0].startswith("MAIL FROM:<%s>" % E.user),
        "envelope sender %r, expected MAIL FROM:<%s> (from -f)" %
        (env[:1], E.user))
    rcpts = sorted(e for e in env if e.startswith("RCPT"))
    check(rcpts == ["RCPT TO:<cc@example.org>", "RCPT TO:<rcpt@example.org>"],
        "recipients %r, expected those of To: and Cc:" % rcpts)
    check(b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b""),
        "the SMTP data has bare line feeds")
    check_submitted(data.replace(b"\r\n", b"\n"), E.user, "127.0.0.1",
        lines)
    p.ok("NOOP")
    quit_ok(p)
run(main)
EOF
}

p3_case conf "pop3d -n takes xtnd-xmit with sendmail and max-size up to 64M and refuses more"
conf_body()
{
	p3_load
	p3_init
	for stmt in 'xtnd-xmit no' \
	    'xtnd-xmit yes sendmail "/bin/true"' \
	    'xtnd-xmit yes sendmail "/bin/true -i -t -oi"' \
	    'xtnd-xmit yes sendmail "/bin/true" max-size 512K' \
	    'xtnd-xmit yes sendmail "/bin/true" max-size 64M' \
	    'xtnd-xmit yes sendmail "/bin/true" max-size 67108864'; do
		p3_conf "${stmt}"
		"${POP3D}" -n -f "${P3_CONF}" >"${P3_DIR}/n.out" 2>&1 || {
			cat "${P3_DIR}/n.out" >&2
			atf_fail "pop3d -n refused: ${stmt}"
		}
	done
	for stmt in 'xtnd-xmit yes sendmail "/bin/true" max-size 65M' \
	    'xtnd-xmit yes sendmail "/bin/true" max-size 67108865' \
	    'xtnd-xmit yes sendmail "/bin/true" max-size 1G' \
	    'xtnd-xmit maybe'; do
		p3_conf "${stmt}"
		if "${POP3D}" -n -f "${P3_CONF}" >"${P3_DIR}/n.out" 2>&1; then
			cat "${P3_DIR}/n.out" >&2
			atf_fail "pop3d -n accepted: ${stmt}"
		fi
		cat "${P3_DIR}/n.out" >&2
		grep -q 'pop3d.conf:[0-9]*: ' "${P3_DIR}/n.out" ||
		    atf_fail "pop3d -n named no line for: ${stmt}"
	done
}

atf_init_test_cases()
{
	atf_add_test_case capa_on
	atf_add_test_case off
	atf_add_test_case before_login
	atf_add_test_case submit
	atf_add_test_case program_fails
	atf_add_test_case program_denied
	atf_add_test_case too_large
	atf_add_test_case default_size
	atf_add_test_case huge_lines
	atf_add_test_case dropped
	atf_add_test_case bare_lf
	atf_add_test_case stalled
	atf_add_test_case autodeny
	atf_add_test_case msmtp
	atf_add_test_case conf
}
