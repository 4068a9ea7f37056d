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

# The POP3 protocol against the real daemon: RFC 1939 states and
# commands, RFC 2449 CAPA and pipelining, RFC 3206 response codes, line
# length, number parsing and timeouts.  Each case runs its own pop3d on
# a free loopback port with throw-away system users.

p3_load()
{
	. "$(atf_get_srcdir)/../lib/pop3test.sh"
}

# p3_case NAME DESCRIPTION [TIMEOUT]: the head and cleanup of a case.
p3_case()
{
	atf_test_case "$1" cleanup
	eval "$1_head() { atf_set descr '$2'; atf_set require.user root; \
	    atf_set timeout ${3:-60}; }"
	eval "$1_cleanup() { p3_load; p3_cleanup; }"
}

# The usual start: one user with the basic Maildir, a daemon running.
p3_basic()
{
	p3_load
	p3_init
	p3_useradd
	p3_maildir basic
	p3_conf "$@"
	p3_start
}

p3_case greeting_default "Default greeting is +OK and reveals no product, version or OS"
greeting_default_body()
{
	p3_basic
	p3_py <<'EOF'
import re
from pop3test import *
E = TestEnv()
def main():
    p = E.connect()
    g = p.greeting
    check(re.fullmatch(r"\+OK( .*)?", g), "malformed greeting %r" % g)
    check(not re.search(r"pop3d|linux|debian|ubuntu|bsd|glibc|"
        r"\d+\.\d+", g, re.I),
        "default greeting reveals product, version or OS: %r" % g)
    quit_ok(p)
run(main)
EOF
}

p3_case greeting_banner "banner sets the greeting text"
greeting_banner_body()
{
	p3_basic 'banner "Mail service ready"'
	p3_chat <<'EOF'
> QUIT
< +OK
closed
EOF
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = E.connect()
    check(p.greeting == "+OK Mail service ready",
        "greeting %r, expected '+OK Mail service ready'" % p.greeting)
    quit_ok(p)
run(main)
EOF
}

p3_case capa_default "CAPA lists TOP UIDL USER RESP-CODES PIPELINING, nothing unconfigured"
capa_default_body()
{
	p3_basic
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def capa(p):
    p.ok("CAPA")
    return [l.decode("latin-1") for l in p.block()]
def verify(caps, state):
    names = [c.split(" ")[0].upper() for c in caps]
    for want in ("TOP", "UIDL", "USER", "RESP-CODES", "PIPELINING"):
        check(want in names, "CAPA in %s lacks %s: %r" % (state, want, caps))
    for bad in ("EXPIRE", "LOGIN-DELAY", "IMPLEMENTATION"):
        check(bad not in names, "CAPA in %s announces %s without "
            "configuration: %r" % (state, bad, caps))
    check(len(set(names)) == len(names), "CAPA repeats a capability: %r" %
        caps)
def main():
    p = E.connect()
    verify(capa(p), "AUTHORIZATION")
    p.login(E.user, E.pw)
    verify(capa(p), "TRANSACTION")
    quit_ok(p)
run(main)
EOF
}

p3_case capa_configured "CAPA announces EXPIRE and LOGIN-DELAY when configured"
capa_configured_body()
{
	p3_basic "expire never" "login-delay 60"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    for login in (False, True):
        p = E.connect()
        if login:
            p.login(E.user, E.pw)
        p.ok("CAPA")
        caps = [l.decode("latin-1") for l in p.block()]
        check("EXPIRE NEVER" in caps, "no 'EXPIRE NEVER' in %r" % caps)
        check("LOGIN-DELAY 60" in caps, "no 'LOGIN-DELAY 60' in %r" % caps)
        check(not any(c.upper().startswith("IMPLEMENTATION") for c in caps),
            "IMPLEMENTATION announced: %r" % caps)
        quit_ok(p)
run(main)
EOF
	p3_stop
	p3_conf "expire 30"
	p3_start
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = E.connect()
    p.ok("CAPA")
    caps = [l.decode("latin-1") for l in p.block()]
    check("EXPIRE 30" in caps, "no 'EXPIRE 30' in %r" % caps)
    check(not any(c.upper().startswith("LOGIN-DELAY") for c in caps),
        "LOGIN-DELAY announced without configuration: %r" % caps)
    quit_ok(p)
run(main)
EOF
}

p3_case user_pass_good "USER and PASS with the right password log in"
user_pass_good_body()
{
	p3_basic
	p3_chat <<EOF
> USER ${P3_USER}
< +OK
> PASS ${P3_PASS}
< +OK
> STAT
~ \+OK 3 [0-9]+( .*)?
> QUIT
< +OK
closed
EOF
}

p3_case user_pass_bad "A wrong password gets -ERR [AUTH] after a delay; a retry may log in; no password is logged"
user_pass_bad_body()
{
	p3_basic
	p3_py <<'EOF'
import time
from pop3test import *
E = TestEnv()
def main():
    p = E.connect()
    p.ok("USER %s" % E.user)
    t = time.monotonic()
    p.err("PASS wrong-%s" % E.pw, "AUTH")
    dt = time.monotonic() - t
    check(dt >= 0.4, "failed PASS answered after %.3f s, expected the "
        "~0.5 s failure delay" % dt)
    p.err("STAT")
    p.login(E.user, E.pw)
    p.stat()
    quit_ok(p)
    # debug yes traces commands, never passwords, right or wrong.
    check(E.pw not in E.logtext(), "the password is in the log")
run(main)
EOF
}

p3_case user_unknown "An unknown user gets the same replies as a wrong password"
user_unknown_body()
{
	p3_basic
	p3_py <<'EOF'
import time
from pop3test import *
E = TestEnv()
def attempt(user, password):
    p = E.connect()
    u = p.ok("USER %s" % user)
    t = time.monotonic()
    r = p.err("PASS %s" % password, "AUTH")
    dt = time.monotonic() - t
    quit_ok(p)
    return u.replace(user, "NAME"), r, dt
def main():
    u1, r1, t1 = attempt(E.user, "wrong-" + E.pw)
    u2, r2, t2 = attempt("p3tnosuchuser", "wrong-" + E.pw)
    check(u1 == u2, "USER replies differ: known %r, unknown %r" % (u1, u2))
    check(r1 == r2, "PASS replies differ: wrong password %r, unknown user "
        "%r" % (r1, r2))
    check(t2 >= 0.4, "unknown user answered after %.3f s, wrong password "
        "after %.3f s" % (t2, t1))
run(main)
EOF
}

p3_case min_uid "A system account below users system min-uid, 1000 by default, fails like an unknown user; a lower min-uid lets it in"
min_uid_body()
{
	p3_load
	p3_init
	P3_USERADD_OPTS=-r p3_useradd
	_uid=$(id -u "${P3_USER}")
	[ "${_uid}" -lt 1000 ] || atf_fail "useradd -r gave uid ${_uid}"
	p3_maildir basic
	p3_conf
	p3_start
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def attempt(user, password):
    p = E.connect()
    u = p.ok("USER %s" % user)
    r = p.err("PASS %s" % password, "AUTH")
    quit_ok(p)
    return u.replace(user, "NAME"), r
def main():
    low = attempt(E.user, E.pw)
    unknown = attempt("p3tnosuchuser", E.pw)
    check(low == unknown, "a low uid got %r, an unknown user %r" %
        (low, unknown))
    wait_log(E.log, r"%s: uid [0-9]+ below min-uid 1000" % E.user)
run(main)
EOF
	p3_stop
	p3_conf
	sed -i "s/^users system\$/users system min-uid ${_uid}/" "${P3_CONF}"
	p3_start
	p3_chat <<EOF
> USER ${P3_USER}
< +OK
> PASS ${P3_PASS}
< +OK
> QUIT
< +OK
closed
EOF
}

p3_case shadow_ageing "A password that must be changed, an expired password, an inactive or expired account: refused like a wrong password, the reason logged"
shadow_ageing_body()
{
	# Five failures in a row: no penalty in the way of the last login.
	p3_basic "penalty none"
	p3_py <<'EOF'
import subprocess, time
from pop3test import *
E = TestEnv()
def chage(*args):
    subprocess.run(["chage"] + list(args) + [E.user], check=True)
def attempt(password):
    p = E.connect()
    p.ok("USER %s" % E.user)
    r = p.err("PASS %s" % password, "AUTH")
    quit_ok(p)
    return r
def main():
    today = time.strftime("%Y-%m-%d", time.gmtime())
    wrong = attempt("wrong-" + E.pw)
    cases = [
        (["-d", "0"], "password must be changed"),
        (["-d", "2020-01-01", "-M", "30"], "password expired"),
        (["-d", "2020-01-01", "-M", "30", "-I", "5"],
            "account inactive since its password expired"),
        (["-d", today, "-M", "30", "-I", "-1", "-E", "2020-01-01"],
            "account expired"),
    ]
    for args, why in cases:
        chage(*args)
        r = attempt(E.pw)
        check(r == wrong, "chage %s: %r, a wrong password %r" %
            (" ".join(args), r, wrong))
        wait_log(E.log, r"user %s may not log in: %s$" % (E.user, why))
    # Ageing that has not run out lets the user in.
    chage("-d", today, "-M", "30", "-I", "5", "-E", "-1")
    p = E.login()
    quit_ok(p)
run(main)
EOF
}

p3_case auth_three_failures "Three failed logins close the session"
auth_three_failures_body()
{
	p3_basic
	p3_chat <<EOF
> USER ${P3_USER}
< +OK
> PASS bad1
< -ERR [AUTH]
> USER ${P3_USER}
< +OK
> PASS bad2
< -ERR [AUTH]
> USER ${P3_USER}
< +OK
> PASS bad3
< -ERR [AUTH]
closed
EOF
}

p3_case state_authorization "TRANSACTION commands before login get -ERR"
state_authorization_body()
{
	p3_basic
	p3_chat <<EOF
> STAT
< -ERR
> LIST
< -ERR
> LIST 1
< -ERR
> RETR 1
< -ERR
> DELE 1
< -ERR
> UIDL
< -ERR
> UIDL 1
< -ERR
> TOP 1 0
< -ERR
> RSET
< -ERR
> NOOP
< -ERR
> APOP ${P3_USER} 0123456789abcdef0123456789abcdef
< -ERR
> USER ${P3_USER}
< +OK
> PASS ${P3_PASS}
< +OK
> STAT
< +OK
> QUIT
< +OK
closed
EOF
}

p3_case pass_without_user "PASS without USER gets -ERR"
pass_without_user_body()
{
	p3_basic
	p3_chat <<EOF
> PASS ${P3_PASS}
< -ERR
> STAT
< -ERR
> USER ${P3_USER}
< +OK
> PASS ${P3_PASS}
< +OK
> QUIT
< +OK
closed
EOF
}

p3_case quit_authorization "QUIT in AUTHORIZATION ends the session without an update"
quit_authorization_body()
{
	p3_basic
	p3_chat <<'EOF'
> QUIT
< +OK
closed
EOF
	p3_chat <<EOF
> USER ${P3_USER}
< +OK
> QUIT
< +OK
closed
EOF
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = E.login()
    match_all(p, E.seed)
    quit_ok(p)
    check_maildir_holds(E.maildir, E.seed.values())
run(main)
EOF
}

p3_case user_after_login "USER and PASS after login get -ERR"
user_after_login_body()
{
	p3_basic
	p3_chat <<EOF
> USER ${P3_USER}
< +OK
> PASS ${P3_PASS}
< +OK
> USER ${P3_USER}
< -ERR
> PASS ${P3_PASS}
< -ERR
> APOP ${P3_USER} 0123456789abcdef0123456789abcdef
< -ERR
> STAT
< +OK
> QUIT
< +OK
closed
EOF
}

p3_case stat_list_uidl "STAT, LIST and UIDL with and without an argument agree"
stat_list_uidl_body()
{
	p3_basic
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = E.login()
    mapping = match_all(p, E.seed)
    listing = p.list_all()
    for n, size in listing.items():
        check(p.list_one(n) == size, "LIST %d disagrees with LIST" % n)
    uidls = p.uidl_all()
    check(sorted(uidls) == sorted(listing), "UIDL numbers %s, LIST %s" %
        (sorted(uidls), sorted(listing)))
    check(len(set(uidls.values())) == len(uidls), "UIDLs not unique: %r" %
        uidls)
    for n, u in uidls.items():
        check(p.uidl_one(n) == u, "UIDL %d disagrees with UIDL" % n)
    count, octets = p.stat()
    check(octets == sum(listing.values()), "STAT octets %d != sum of LIST "
        "%d" % (octets, sum(listing.values())))
    quit_ok(p)
run(main)
EOF
}

p3_case bad_numbers "Malformed or out-of-range message numbers get -ERR and change nothing"
bad_numbers_body()
{
	p3_basic
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
BAD = ["0", "-1", "4294967297", "4294967296", "18446744073709551617",
    "abc", "1x", "0x1", "1 2", "99", "4"]
def main():
    p = E.login()
    before = p.stat()
    for arg in BAD:
        for cmd in ("LIST", "UIDL", "RETR", "DELE"):
            p.err("%s %s" % (cmd, arg))
        p.err("TOP %s 1" % arg)
    for arg in ("", "1", "1 -1", "1 abc", "1 4294967297x", "1 2 3"):
        p.err(("TOP %s" % arg).strip())
    for cmd in ("STAT 1", "RSET 1", "NOOP 1", "QUIT 1"):
        p.err(cmd)
    check(p.stat() == before, "STAT changed after bad commands: %r -> %r" %
        (before, p.stat()))
    quit_ok(p)
    p = E.login()
    check(p.stat() == before, "maildrop changed after bad commands")
    quit_ok(p)
    check_maildir_holds(E.maildir, E.seed.values())
run(main)
EOF
}

p3_case top "TOP sends the header and the first lines of the body"
top_body()
{
	p3_basic
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = E.login()
    mapping = match_all(p, E.seed)
    for n, key in mapping.items():
        raw = E.seed[key]
        for lines in (0, 1, 2, 10, 100000):
            got = p.top(n, lines)
            want = top_form(raw, lines)
            check(got == want, "TOP %d %d (%s): got %d octets %s, expected "
                "%d octets %s" % (n, lines, key, len(got), short(got),
                len(want), short(want)))
    quit_ok(p)
run(main)
EOF
}

p3_case retr "RETR sends each message with CRLF line ends and dot-stuffing"
retr_body()
{
	p3_basic
	p3_py <<'EOF'
import re
from pop3test import *
E = TestEnv()
def main():
    p = E.login()
    mapping = match_all(p, E.seed)
    for n, key in mapping.items():
        want = transmitted(E.seed[key])
        r = p.ok("RETR %d" % n)
        check(re.match(r"^\+OK %d octets" % len(want), r),
            "RETR %d: %r, expected '+OK %d octets'" % (n, r, len(want)))
        wire = b"".join(l + b"\r\n" for l in p.block())
        check(wire == stuff(want), "RETR %d (%s) on the wire: %s, expected "
            "%s" % (n, key, short(wire), short(stuff(want))))
    quit_ok(p)
run(main)
EOF
}

p3_case noop "NOOP answers +OK in TRANSACTION"
noop_body()
{
	p3_basic
	p3_chat <<EOF
> USER ${P3_USER}
< +OK
> PASS ${P3_PASS}
< +OK
> NOOP
~ \+OK( .*)?
> NOOP
< +OK
> QUIT
< +OK
closed
EOF
}

p3_case dele_rset "DELE marks a message, RSET unmarks every one"
dele_rset_body()
{
	p3_basic
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = E.login()
    mapping = match_all(p, E.seed)
    count, octets = p.stat()
    size1 = p.list_one(1)
    p.ok("DELE 1")
    check(p.stat() == (count - 1, octets - size1), "STAT after DELE 1: %r, "
        "expected %r" % (p.stat(), (count - 1, octets - size1)))
    check(1 not in p.list_all(), "LIST still shows deleted message 1")
    check(1 not in p.uidl_all(), "UIDL still shows deleted message 1")
    p.ok("RSET")
    check(p.stat() == (count, octets), "STAT after RSET: %r" % (p.stat(),))
    check(p.list_one(1) == size1, "LIST 1 after RSET")
    p.retr(1)
    quit_ok(p)
    p = E.login()
    match_all(p, E.seed)
    quit_ok(p)
    check_maildir_holds(E.maildir, E.seed.values())
run(main)
EOF
}

p3_case dele_quit "DELE then QUIT removes the message from the Maildir"
dele_quit_body()
{
	p3_basic
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = E.login()
    mapping = match_all(p, E.seed)
    n = next(n for n, k in mapping.items() if k == "dots")
    p.ok("DELE %d" % n)
    quit_ok(p)
    rest = {k: v for k, v in E.seed.items() if k != "dots"}
    check_maildir_holds(E.maildir, rest.values())
    p = E.login()
    match_all(p, rest)
    quit_ok(p)
run(main)
EOF
}

p3_case dele_dropped "DELE then a dropped connection deletes nothing"
dele_dropped_body()
{
	p3_basic
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = E.login()
    count, octets = p.stat()
    p.ok("DELE 1")
    p.ok("DELE 2")
    p.close()
    p = E.connect()
    p.login_retry(E.user, E.pw)
    check(p.stat() == (count, octets), "messages lost after a dropped "
        "connection: STAT %r, expected %r" % (p.stat(), (count, octets)))
    match_all(p, E.seed)
    quit_ok(p)
    check_maildir_holds(E.maildir, E.seed.values())
run(main)
EOF
}

p3_case dele_twice "A deleted message cannot be deleted, listed or retrieved"
dele_twice_body()
{
	p3_basic
	p3_chat <<EOF
> USER ${P3_USER}
< +OK
> PASS ${P3_PASS}
< +OK
> DELE 1
< +OK
> DELE 1
< -ERR
> RETR 1
< -ERR
> LIST 1
< -ERR
> UIDL 1
< -ERR
> TOP 1 0
< -ERR
> LIST 2
~ \+OK 2 [0-9]+( .*)?
> STAT
~ \+OK 2 [0-9]+( .*)?
> QUIT
< +OK
closed
EOF
}

p3_case in_use "A second login while the maildrop is held gets -ERR [IN-USE]"
in_use_body()
{
	p3_basic
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    a = E.login(tag="A ")
    b = E.connect(tag="B ")
    b.ok("USER %s" % E.user)
    b.err("PASS %s" % E.pw, "IN-USE")
    a.stat()
    quit_ok(a)
    c = E.connect(tag="C ")
    c.login_retry(E.user, E.pw)
    match_all(c, E.seed)
    quit_ok(c)
run(main)
EOF
}

p3_case pipelining "50 pipelined commands in one write are answered in order"
pipelining_body()
{
	p3_basic
	p3_py <<'EOF'
import re
from pop3test import *
E = TestEnv()
def main():
    p = E.login()
    mapping = match_all(p, E.seed)
    listing = p.list_all()
    uidls = p.uidl_all()
    count, octets = p.stat()
    cmds = []
    for i in range(50):
        n = i % count + 1
        cmds.append(["NOOP", "STAT", "LIST %d" % n, "UIDL %d" % n,
            "LIST", "TOP %d 1" % n, "RETR %d" % n, "UIDL",
            "LIST 99"][i % 9])
    p.sendraw(b"".join(c.encode() + b"\r\n" for c in cmds))
    for c in cmds:
        r = p.reply()
        w = c.split()
        if c == "LIST 99":
            check(r.startswith("-ERR"), "%s: got %r" % (c, r))
            continue
        check(r.startswith("+OK"), "%s: got %r (out of order?)" % (c, r))
        if c == "STAT":
            check(re.match(r"\+OK %d %d(?: .*)?$" % (count, octets), r),
                "%s: got %r" % (c, r))
        elif w[0] == "LIST" and len(w) == 2:
            n = int(w[1])
            check(re.match(r"\+OK %d %d(?: .*)?$" % (n, listing[n]), r),
                "%s: got %r (out of order?)" % (c, r))
        elif w[0] == "UIDL" and len(w) == 2:
            n = int(w[1])
            check(r == "+OK %d %s" % (n, uidls[n]),
                "%s: got %r (out of order?)" % (c, r))
        elif c in ("LIST", "UIDL"):
            check(len(p.block()) == count, "%s: wrong line count" % c)
        elif w[0] == "TOP":
            got = p.body()
            want = top_form(E.seed[mapping[int(w[1])]], 1)
            check(got == want, "%s: got %s" % (c, short(got)))
        elif w[0] == "RETR":
            got = p.body()
            want = transmitted(E.seed[mapping[int(w[1])]])
            check(got == want, "%s: got %s" % (c, short(got)))
    quit_ok(p)
run(main)
EOF
}

p3_case pipelining_retr "Runs of pipelined RETRs mixed with bad numbers, DELE, TOP and RSET, are answered in order and byte for byte"
pipelining_retr_body()
{
	p3_basic
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = E.login()
    mapping = match_all(p, E.seed)
    count = p.stat()[0]
    cmds = []
    for i in range(60):
        cmds.append("RETR %d" % (i % count + 1))
    cmds[7] = "RETR 99"
    cmds[8] = "RETR 0"
    cmds[20] = "DELE 2"
    cmds[25] = "TOP 1 0"
    cmds[40] = "RSET"
    p.sendraw(b"".join(c.encode() + b"\r\n" for c in cmds))
    deleted = set()
    for c in cmds:
        r = p.reply()
        w = c.split()
        if c in ("RETR 99", "RETR 0"):
            check(r.startswith("-ERR"), "%s: got %r" % (c, r))
        elif w[0] == "DELE":
            check(r.startswith("+OK"), "%s: got %r" % (c, r))
            deleted.add(int(w[1]))
        elif c == "RSET":
            check(r.startswith("+OK"), "%s: got %r" % (c, r))
            deleted.clear()
        elif w[0] == "TOP":
            check(r.startswith("+OK"), "%s: got %r" % (c, r))
            got = p.body()
            want = top_form(E.seed[mapping[int(w[1])]], 0)
            check(got == want, "%s: got %s" % (c, short(got)))
        elif int(w[1]) in deleted:
            check(r.startswith("-ERR"), "%s of a deleted message: got %r"
                % (c, r))
        else:
            check(r.startswith("+OK"), "%s: got %r (out of order?)" %
                (c, r))
            got = p.body()
            want = transmitted(E.seed[mapping[int(w[1])]])
            check(got == want, "%s: got %s" % (c, short(got)))
    quit_ok(p)
run(main)
EOF
}

p3_case pipelining_login "USER, PASS and commands pipelined in one write"
pipelining_login_body()
{
	p3_basic
	p3_chat <<EOF
raw USER ${P3_USER}\r\nPASS ${P3_PASS}\r\nSTAT\r\nLIST\r\nUIDL 1\r\nQUIT\r\n
< +OK
< +OK
~ \+OK 3 [0-9]+( .*)?
< +OK
*3
~ \+OK 1 [!-~]+
< +OK
closed
EOF
}

p3_case long_line "A line over 255 octets gets -ERR and the connection is closed"
long_line_body()
{
	p3_basic
	p3_py <<'EOF'
import time
from pop3test import *
E = TestEnv()
def main():
    # 255 octets with the CRLF: the limit itself is allowed.
    p = E.connect()
    line = "USER " + "a" * (255 - 2 - 5)
    check(len(line) + 2 == 255, "bad test")
    p.cmd(line)
    quit_ok(p)
    # 256 octets in AUTHORIZATION.
    p = E.connect()
    p.err("USER " + "a" * (256 - 2 - 5))
    p.expect_closed(what="pop3d after a 256-octet line")
    # 1000 octets in TRANSACTION; nothing may be deleted.
    p = E.login()
    p.ok("DELE 1")
    p.err("NOOP " + "x" * 995)
    p.expect_closed(what="pop3d after a 1000-octet line")
    # 300 octets that never end: pop3d must not wait for the CRLF.
    p = E.connect()
    p.sendraw(b"X" * 300)
    r = p.reply()
    check(r.startswith("-ERR"), "unterminated 300 octets: got %r" % r)
    p.expect_closed(what="pop3d after 300 octets without CRLF")
    p = E.connect()
    p.login_retry(E.user, E.pw)
    match_all(p, E.seed)
    quit_ok(p)
run(main)
EOF
}

p3_case unknown_command "Unknown commands get -ERR in both states"
unknown_command_body()
{
	p3_basic
	p3_chat <<EOF
> XYZZY
< -ERR
> 
< -ERR
> AUTHX PLAIN
< -ERR
> USER ${P3_USER}
< +OK
> PASS ${P3_PASS}
< +OK
> XYZZY 1
< -ERR
> RETRX 1
< -ERR
> STAT
< +OK
> QUIT
< +OK
closed
EOF
}

p3_case case_insensitive "Command keywords are case-insensitive (RFC 1939)"
case_insensitive_body()
{
	p3_basic
	p3_chat <<EOF
> user ${P3_USER}
< +OK
> Pass ${P3_PASS}
< +OK
> stat
~ \+OK 3 [0-9]+( .*)?
> LiSt 1
~ \+OK 1 [0-9]+( .*)?
> noop
< +OK
> quit
< +OK
closed
EOF
}

p3_case idle_timeout "timeout idle closes an idle session without an update"
idle_timeout_body()
{
	p3_basic "timeout idle 2"
	p3_py <<'EOF'
import time
from pop3test import *
E = TestEnv()
def main():
    p = E.login()
    time.sleep(1)
    p.ok("NOOP")
    p.ok("DELE 1")
    t = time.monotonic()
    try:
        r = p.reply(timeout=8)
    except Closed:
        r = None
    except Failure:
        fail("idle session not closed within 8 s with timeout idle 2")
    if r is not None:
        check(r.startswith("-ERR"), "unexpected %r while idle" % r)
        p.expect_closed(timeout=2)
    dt = time.monotonic() - t
    check(1.5 <= dt <= 6, "idle session closed after %.1f s with timeout "
        "idle 2" % dt)
    p = E.connect()
    p.login_retry(E.user, E.pw)
    match_all(p, E.seed)
    quit_ok(p)
    check_maildir_holds(E.maildir, E.seed.values())
run(main)
EOF
}

p3_case login_grace "timeout login cuts a client that does not log in, even one that trickles bytes" 90
login_grace_body()
{
	p3_basic "timeout login 2" "timeout idle 30"
	p3_py <<'EOF'
import select, time
from pop3test import *
E = TestEnv()
def main():
    p = E.connect()
    t = time.monotonic()
    closed_at = None
    data = b"CAPA\r\n" * 3
    for i in range(len(data)):
        try:
            p.sock.sendall(data[i:i + 1])
        except OSError:
            closed_at = time.monotonic()
            break
        r, _, _ = select.select([p.sock], [], [], 1.0)
        if r:
            try:
                chunk = p.sock.recv(4096)
            except OSError:
                chunk = b""
            if not chunk:
                closed_at = time.monotonic()
                break
            log("S: %s" % short(chunk))
            check(chunk.startswith(b"-ERR") or i >= 5,
                "unexpected %s while trickling" % short(chunk))
        if time.monotonic() - t > 8:
            break
    check(closed_at is not None, "a client trickling a byte a second was "
        "not cut within 8 s with timeout login 2")
    dt = closed_at - t
    check(dt <= 5, "login grace of 2 s enforced only after %.1f s" % dt)
    check(dt >= 1.5, "connection closed after %.1f s, before the 2 s "
        "grace" % dt)
    # After a login the grace timer no longer applies.
    p = E.login()
    time.sleep(3)
    p.ok("NOOP")
    quit_ok(p)
run(main)
EOF
}

p3_case uidl_stable "UIDLs stay the same across sessions, deletions and a restart" 90
uidl_stable_body()
{
	p3_basic
	p3_py <<'EOF'
import json, os
from pop3test import *
E = TestEnv()
def by_key(p):
    mapping = match_all(p, E.seed)
    uidls = p.uidl_all()
    return {mapping[n]: u for n, u in uidls.items()}
def main():
    p = E.login()
    first = by_key(p)
    quit_ok(p)
    p = E.login()
    check(by_key(p) == first, "UIDLs changed between sessions")
    quit_ok(p)
    with open(os.path.join(E.dir, "uidls.json"), "w") as f:
        json.dump(first, f)
run(main)
EOF
	p3_stop
	p3_start
	p3_py <<'EOF'
import json, os
from pop3test import *
E = TestEnv()
def main():
    with open(os.path.join(E.dir, "uidls.json")) as f:
        first = json.load(f)
    p = E.login()
    mapping = match_all(p, E.seed)
    uidls = p.uidl_all()
    now = {mapping[n]: u for n, u in uidls.items()}
    check(now == first, "UIDLs changed across a restart: %r -> %r" %
        (first, now))
    n = next(n for n, k in mapping.items() if k == "simple")
    p.ok("DELE %d" % n)
    quit_ok(p)
    rest = {k: v for k, v in E.seed.items() if k != "simple"}
    p = E.login()
    mapping = match_all(p, rest)
    uidls = p.uidl_all()
    after = {mapping[n]: u for n, u in uidls.items()}
    want = {k: u for k, u in first.items() if k != "simple"}
    check(after == want, "UIDLs of the other messages changed after a "
        "deletion: %r -> %r" % (want, after))
    quit_ok(p)
run(main)
EOF
}

atf_init_test_cases()
{
	atf_add_test_case greeting_default
	atf_add_test_case greeting_banner
	atf_add_test_case capa_default
	atf_add_test_case capa_configured
	atf_add_test_case user_pass_good
	atf_add_test_case user_pass_bad
	atf_add_test_case user_unknown
	atf_add_test_case min_uid
	atf_add_test_case shadow_ageing
	atf_add_test_case auth_three_failures
	atf_add_test_case state_authorization
	atf_add_test_case pass_without_user
	atf_add_test_case quit_authorization
	atf_add_test_case user_after_login
	atf_add_test_case stat_list_uidl
	atf_add_test_case bad_numbers
	atf_add_test_case top
	atf_add_test_case retr
	atf_add_test_case noop
	atf_add_test_case dele_rset
	atf_add_test_case dele_quit
	atf_add_test_case dele_dropped
	atf_add_test_case dele_twice
	atf_add_test_case in_use
	atf_add_test_case pipelining
	atf_add_test_case pipelining_retr
	atf_add_test_case pipelining_login
	atf_add_test_case long_line
	atf_add_test_case unknown_command
	atf_add_test_case case_insensitive
	atf_add_test_case idle_timeout
	atf_add_test_case login_grace
	atf_add_test_case uidl_stable
}
