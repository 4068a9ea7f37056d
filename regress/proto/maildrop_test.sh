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

# Maildrop contents byte for byte: awkward messages in a Maildir (dot
# lines, an empty body, no final newline, 8-bit headers, CRLF storage,
# 10 MiB), fetched with curl and with Python's poplib, and the mbox
# format (From_ lines, mboxrd quoting, X-UIDL, rewriting on QUIT).

p3_load()
{
	. "$(atf_get_srcdir)/../lib/pop3test.sh"
}

p3_case()
{
	atf_test_case "$1" cleanup
	eval "$1_head() { atf_set descr '$2'; atf_set require.user root; \
	    atf_set require.progs curl; atf_set timeout ${3:-60}; }"
	eval "$1_cleanup() { p3_load; p3_cleanup; }"
}

p3_setup_maildir()
{
	p3_load
	p3_init
	p3_useradd
	p3_maildir "$@"
	p3_conf
	p3_start
}

p3_setup_mbox()
{
	p3_load
	p3_init
	p3_useradd
	p3_mbox
	p3_conf "maildrop mbox \"${P3_SPOOL}/%u\""
	p3_start
}

# p3_curl_all COUNT: fetch messages 1..COUNT with curl into
# P3_DIR/curl/N.
p3_curl_all()
{
	mkdir -p "${P3_DIR}/curl"
	n=1
	while [ $n -le "$1" ]; do
		curl -sS --max-time 60 -o "${P3_DIR}/curl/$n" \
		    "pop3://${P3_USER}:${P3_PASS}@127.0.0.1:${P3_PORT}/$n" \
		    2>"${P3_DIR}/curl.err" ||
		    p3_failure "curl of message $n failed: $(cat "${P3_DIR}/curl.err")"
		n=$((n + 1))
	done
}

# The check shared by the curl cases: what curl saved (un-stuffed, CRLF
# kept) is, as a multiset, the transmitted form of what was seeded.
p3_check_curl()
{
	p3_py <<'EOF'
import os
from pop3test import *
E = TestEnv()
def main():
    d = os.path.join(E.dir, "curl")
    got = {}
    for name in os.listdir(d):
        with open(os.path.join(d, name), "rb") as f:
            got[int(name)] = f.read()
    want = {k: transmitted(v) for k, v in E.seed.items()}
    check(len(got) == len(want), "curl fetched %d messages, %d seeded" %
        (len(got), len(want)))
    left = dict(want)
    for n in sorted(got):
        key = next((k for k, v in left.items() if v == got[n]), None)
        check(key is not None, "curl message %d (%d octets, %s) matches no "
            "seeded message; starts %s" % (n, len(got[n]), digest(got[n]),
            short(got[n][:300])))
        log("curl message %d is %s, %d octets" % (n, key, len(got[n])))
        del left[key]
run(main)
EOF
}

p3_case curl_special "curl fetches awkward Maildir messages byte for byte"
curl_special_body()
{
	p3_setup_maildir special
	p3_curl_all 6
	p3_check_curl
}

p3_case poplib_special "poplib fetches awkward Maildir messages byte for byte"
poplib_special_body()
{
	p3_setup_maildir special
	p3_py <<'EOF'
import poplib
from pop3test import *
E = TestEnv()
def main():
    p = poplib.POP3(HOST, E.port, timeout=30)
    p.user(E.user)
    p.pass_(E.pw)
    count, octets = p.stat()
    want = {k: transmitted(v) for k, v in E.seed.items()}
    check(count == len(want), "STAT %d, seeded %d" % (count, len(want)))
    check(octets == sum(len(v) for v in want.values()),
        "STAT octets %d, expected %d" % (octets,
        sum(len(v) for v in want.values())))
    resp, listing, _ = p.list()
    sizes = dict(tuple(int(x) for x in l.split()[:2]) for l in listing)
    left = dict(want)
    for n in range(1, count + 1):
        resp, lines, got_octets = p.retr(n)
        data = b"".join(l + b"\r\n" for l in lines)
        key = next((k for k, v in left.items() if v == data), None)
        check(key is not None, "poplib RETR %d: %s matches no seeded "
            "message" % (n, short(data[:300])))
        del left[key]
        check(got_octets == len(data) == sizes[n], "message %d (%s): "
            "LIST %d, poplib counted %d, data %d octets" % (n, key,
            sizes[n], got_octets, len(data)))
        resp, lines, _ = p.top(n, 0)
        top = b"".join(l + b"\r\n" for l in lines)
        check(top == top_form(E.seed[key], 0), "TOP %d 0 (%s): %s" %
            (n, key, short(top)))
    resp, uidls, _ = p.uidl()
    check(len(uidls) == count, "UIDL listed %d of %d" % (len(uidls), count))
    check(p.quit().startswith(b"+OK"), "QUIT")
run(main)
EOF
}

p3_case big_message "A 10 MiB message is sent intact and LIST counts it exactly" 180
big_message_body()
{
	p3_setup_maildir big basic
	p3_curl_all 4
	p3_check_curl
	p3_py <<'EOF'
import poplib, time
from pop3test import *
E = TestEnv()
def main():
    want = transmitted(E.seed["big"])
    p = E.login(timeout=60)
    mapping = match_all(p, E.seed)
    quit_ok(p)
    n = next(n for n, k in mapping.items() if k == "big")
    t = time.monotonic()
    q = poplib.POP3(HOST, E.port, timeout=60)
    q.user(E.user)
    q.pass_(E.pw)
    resp, lines, octets = q.retr(n)
    q.quit()
    data = b"".join(l + b"\r\n" for l in lines)
    check(data == want, "poplib: the %d-octet message came back as %d "
        "octets" % (len(want), len(data)))
    check(octets == len(want), "poplib counted %d octets" % octets)
    log("10 MiB RETR with poplib: %.2f s" % (time.monotonic() - t))
run(main)
EOF
}

p3_case maildir_empty "An empty Maildir is an empty maildrop"
maildir_empty_body()
{
	p3_setup_maildir
	p3_chat <<EOF
> USER ${P3_USER}
< +OK
> PASS ${P3_PASS}
< +OK
> STAT
~ \+OK 0 0( .*)?
> LIST
< +OK
*0
> UIDL
< +OK
*0
> RETR 1
< -ERR
> LIST 1
< -ERR
> QUIT
< +OK
closed
EOF
}

p3_case maildir_snapshot "Once cur/ has been quiet, a login takes the list from pop3d-uidlist without reading cur/; any change to cur/ makes the next login read it again"
maildir_snapshot_body()
{
	p3_setup_maildir basic
	p3_py <<'EOF'
import os, time
from pop3test import *
E = TestEnv()
cur = os.path.join(E.maildir, "cur")
cache = os.path.join(E.maildir, "pop3d-uidlist")
def age():
    t = time.time() - 60
    os.utime(cur, (t, t))
def session():
    p = E.login()
    count = p.stat()[0]
    mapping = match_all(p, E.seed)
    quit_ok(p)
    return count, mapping
def header():
    with open(cache) as f:
        return f.readline().split()
def main():
    count, _ = session()            # new/ moves to cur/
    age()
    check(session()[0] == count, "count changed after aging cur/")
    h = header()
    check(h[:2] == ["pop3d-uidlist", "1"] and h[-1] == "1" and
        int(h[4]) == count, "cache header after a quiet cur/: %r" % h)
    # Served from the cache: every message still byte for byte.
    check(session()[0] == count, "count from the cache")
    # A file that appears while cur/ keeps its recorded mtime is not
    # seen: the daemon did not read cur/.
    st = os.stat(cur)
    extra = os.path.join(cur, "1.extra.host:2,")
    with open(extra, "w") as f:
        f.write("Subject: extra\n\nbody\n")
    os.utime(cur, ns=(st.st_atime_ns, st.st_mtime_ns))
    p = E.login()
    check(p.stat()[0] == count, "cur/ read although its mtime is the "
        "cached one")
    quit_ok(p)
    os.unlink(extra)
    # Another program removes a message: cur/ changed, read again.
    victim = sorted(os.listdir(cur))[0]
    os.unlink(os.path.join(cur, victim))
    p = E.login()
    check(p.stat()[0] == count - 1, "a message removed from cur/ is "
        "still listed")
    quit_ok(p)
run(main)
EOF
}

p3_case maildir_fifo "A FIFO put in the place of a message after the login gets -ERR at RETR at once, and the session goes on"
maildir_fifo_body()
{
	p3_setup_maildir basic
	p3_py <<'EOF'
import os
from pop3test import *
E = TestEnv()
cur = os.path.join(E.maildir, "cur")
def main():
    p = E.login()
    count = p.stat()[0]
    check(count >= 2, "%d messages, want 2 or more" % count)
    first = p.uidl_all()[1]
    names = [n for n in os.listdir(cur) if n.split(":")[0] == first]
    check(len(names) == 1, "no file in cur/ for UIDL %r" % first)
    path = os.path.join(cur, names[0])
    os.unlink(path)
    os.mkfifo(path, 0o600)
    # A store that opened it blocking would wait for a writer: the
    # answer would never come and the read would time out.
    p.err("RETR 1")
    check(len(p.retr(2)) > 0, "RETR 2 after the refused one")
    quit_ok(p)
run(main)
EOF
}

p3_case mbox_retrieve "mbox messages are sent without From_ lines and with >From unquoted"
mbox_retrieve_body()
{
	p3_setup_mbox
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = E.login()
    mapping = match_all(p, E.seed)
    order = [mapping[n] for n in sorted(mapping)]
    check(order == ["m1", "m2", "m3", "m4"], "mbox messages numbered %r, "
        "expected file order" % order)
    body = p.retr(2)
    check(b"\r\nFrom here, a line" in body and
        b"\r\n>From there, quoted twice." in body and
        b"\r\nFromage" in body, "mboxrd unquoting wrong: %s" % short(body,
        600))
    quit_ok(p)
    with open(E.mbox, "rb") as f:
        data = f.read()
    want = b"".join(mbox_block(E.seed[k]) for k in ("m1", "m2", "m3", "m4"))
    check(data == want, "the mbox changed after a session without DELE")
run(main)
EOF
	p3_curl_all 4
	p3_check_curl
}

p3_case mbox_xuidl "With uidl x-uidl yes an X-UIDL header is the message UIDL"
mbox_xuidl_body()
{
	p3_load
	p3_init
	p3_useradd
	p3_mbox
	p3_conf "maildrop mbox \"${P3_SPOOL}/%u\"" "uidl x-uidl yes"
	p3_start
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = E.login()
    mapping = match_all(p, E.seed)
    uidls = p.uidl_all()
    n = next(n for n, k in mapping.items() if k == "m3")
    check(uidls[n] == "p3test-xuidl-0043", "UIDL of the message with "
        "X-UIDL: p3test-xuidl-0043 is %r" % uidls[n])
    check(p.uidl_one(n) == "p3test-xuidl-0043", "UIDL %d" % n)
    check(len(set(uidls.values())) == len(uidls), "UIDLs not unique: %r" %
        uidls)
    quit_ok(p)
    p = E.login()
    check(p.uidl_all() == uidls, "UIDLs changed between sessions")
    quit_ok(p)
run(main)
EOF
}

p3_case mbox_dele_quit "DELE then QUIT rewrites the mbox, other messages byte for byte"
mbox_dele_quit_body()
{
	p3_setup_mbox
	p3_py <<'EOF'
import os, stat
from pop3test import *
E = TestEnv()
def main():
    st0 = os.stat(E.mbox)
    p = E.login()
    mapping = match_all(p, E.seed)
    n = next(n for n, k in mapping.items() if k == "m2")
    p.ok("DELE %d" % n)
    quit_ok(p)
    with open(E.mbox, "rb") as f:
        data = f.read()
    want = b"".join(mbox_block(E.seed[k]) for k in ("m1", "m3", "m4"))
    check(data == want, "mbox after deleting m2: %d octets %s, expected "
        "%d octets %s" % (len(data), short(data, 400), len(want),
        short(want, 400)))
    st = os.stat(E.mbox)
    check((st.st_uid, st.st_gid) == (st0.st_uid, st0.st_gid),
        "mbox owner changed from %d:%d to %d:%d" % (st0.st_uid,
        st0.st_gid, st.st_uid, st.st_gid))
    check(stat.S_IMODE(st.st_mode) == 0o600, "mbox mode is now %o" %
        stat.S_IMODE(st.st_mode))
    rest = {k: v for k, v in E.seed.items() if k != "m2"}
    p = E.login()
    match_all(p, rest)
    quit_ok(p)
run(main)
EOF
}

p3_case mbox_append "Mail appended to the mbox during a session survives QUIT"
mbox_append_body()
{
	p3_setup_mbox
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
NEW = (b"From: Late <late@example.org>\nTo: rcpt@example.org\n"
    b"Subject: arrived during the session\n\nFrom the MTA.\nbye\n")
def main():
    p = E.login()
    mapping = match_all(p, E.seed)
    n = next(n for n, k in mapping.items() if k == "m1")
    # What a delivery agent appends while the session is open.
    with open(E.mbox, "ab") as f:
        f.write(mbox_block(NEW))
    check(p.stat()[0] == 4, "STAT changed within the session after an "
        "append; the message list must stay as it was at login")
    p.ok("DELE %d" % n)
    quit_ok(p)
    with open(E.mbox, "rb") as f:
        data = f.read()
    want = (b"".join(mbox_block(E.seed[k]) for k in ("m2", "m3", "m4")) +
        mbox_block(NEW))
    check(data == want, "mbox after QUIT: %d octets, expected %d; the "
        "tail is %s" % (len(data), len(want), short(data[-300:], 400)))
    rest = {k: v for k, v in E.seed.items() if k != "m1"}
    rest["new"] = NEW
    p = E.login()
    match_all(p, rest)
    quit_ok(p)
run(main)
EOF
}

atf_init_test_cases()
{
	atf_add_test_case curl_special
	atf_add_test_case poplib_special
	atf_add_test_case big_message
	atf_add_test_case maildir_fifo
	atf_add_test_case maildir_empty
	atf_add_test_case maildir_snapshot
	atf_add_test_case mbox_retrieve
	atf_add_test_case mbox_xuidl
	atf_add_test_case mbox_dele_quit
	atf_add_test_case mbox_append
}
