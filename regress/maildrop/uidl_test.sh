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

# UIDLs a client can trust for years: given once, kept in the maildrop
# UIDL list, never changed by another program, never given twice.  The
# random_* cases run UIDL_OPS random operations (UIDL_OPS_DEFAULT when
# unset; UIDL_SEED replays a run) against each format and check the
# invariants after each (uidl_random.py says which).

ud_load()
{
	. "$(atf_get_srcdir)/../lib/pop3test.sh"
	UD_PY=$(atf_get_srcdir)/uidl_random.py
	export UD_PY
}

ud_case()
{
	atf_test_case "$1" cleanup
	eval "$1_head() { atf_set descr '$2'; atf_set require.user root; \
	    atf_set timeout ${3:-120}; }"
	eval "$1_cleanup() { ud_load; p3_cleanup; }"
}

# ud_user: a system user whose password hashes fast (SHA-256 crypt),
# since the random cases log in thousands of times.
ud_user()
{
	p3_useradd
	usermod -p "$(openssl passwd -5 "${P3_PASS}")" "${P3_USER}" ||
	    atf_fail "usermod -p failed"
}

ud_setup_maildir()
{
	ud_load
	p3_init
	ud_user
	p3_maildir
	p3_conf "$@"
	p3_start
}

# An empty mbox in a 1777 spool, as p3_mbox makes but without messages.
ud_setup_mbox()
{
	ud_load
	p3_init
	ud_user
	P3_SPOOL=${P3_DIR}/spool
	P3_MBOX=${P3_SPOOL}/${P3_USER}
	export P3_SPOOL P3_MBOX
	mkdir -m 1777 "${P3_SPOOL}"
	: >"${P3_MBOX}"
	chown "${P3_USER}:" "${P3_MBOX}"
	chmod 0600 "${P3_MBOX}"
	p3_conf "maildrop mbox \"${P3_SPOOL}/%u\"" "$@"
	p3_start
}

# The helpers of the Python side of these cases.
ud_py()
{
	{
		cat <<'EOF'
import os, time
from pop3test import *
E = TestEnv()
FROM = b"From a@example.org Mon Jan  1 00:00:00 2024\n"

def msg(n, extra=b""):
    return (b"From: s@example.org\nSubject: message %d\n" % n + extra +
            b"\nbody of %d\n" % n)

def mbox_append(*raws):
    with open(E.mbox, "ab") as f:
        for raw in raws:
            f.write(FROM + mboxrd_quote(raw) + b"\n")

def maildir_put(name, raw, sub="new"):
    path = os.path.join(E.maildir, sub, name)
    with open(path, "wb") as f:
        f.write(raw)
    st = os.stat(E.maildir)
    os.chown(path, st.st_uid, st.st_gid)

def uidls_by_content():
    """UIDL -> message as sent, for one session, then QUIT."""
    p = E.login_retry()
    out = {}
    for n, u in p.uidl_all().items():
        out[u] = p.retr(n)
    quit_ok(p)
    return out

def login_retry(self=E):
    p = POP3(self.port)
    p.login_retry(self.user, self.pw, 30)
    return p
TestEnv.login_retry = login_retry
EOF
		cat
	} >"${P3_DIR}/case.py"
	p3_py <"${P3_DIR}/case.py"
}

ud_case mbox_xuidl_ignored "A sender X-UIDL header does not choose the UIDL by default"
mbox_xuidl_ignored_body()
{
	ud_setup_mbox
	ud_py <<'EOF'
def main():
    mbox_append(msg(1))
    p = E.login_retry()
    u1 = p.uidl_one(1)
    p.retr(1)
    p.ok("DELE 1")
    quit_ok(p)
    # A stranger names the message the client has fetched and deleted,
    # and one more that is still there.
    mbox_append(msg(2), msg(3, b"X-UIDL: " + u1.encode() + b"\n"))
    p = E.login_retry()
    u2 = p.uidl_one(1)
    mbox_append(msg(4, b"X-UIDL: " + u2.encode() + b"\n"))
    quit_ok(p)
    got = uidls_by_content()
    check(len(got) == 3, "%d messages, want 3" % len(got))
    check(u1 not in got, "a sender X-UIDL gave message 3 the UIDL %s of "
        "deleted message 1" % u1)
    check(got.get(u2) == transmitted(msg(2)), "a sender X-UIDL took UIDL "
        "%s of message 2: %r" % (u2, got))
run(main)
EOF
}

ud_case mbox_xuidl_yes "uidl x-uidl yes gives a message its X-UIDL when the list is made"
mbox_xuidl_yes_body()
{
	ud_setup_mbox "uidl x-uidl yes"
	ud_py <<'EOF'
def main():
    mbox_append(msg(1, b"X-UIDL: migrated-0001\n"), msg(2))
    got = uidls_by_content()
    check(got.get("migrated-0001") == transmitted(msg(1, b"X-UIDL: "
        b"migrated-0001\n")), "X-UIDL not used with uidl x-uidl yes: %r" %
        sorted(got))
    check(uidls_by_content() == got, "UIDLs changed between sessions")
run(main)
EOF
}

ud_case mbox_duplicate_dele "Of two identical messages the second keeps its UIDL when the first is deleted"
mbox_duplicate_dele_body()
{
	ud_setup_mbox
	ud_py <<'EOF'
def main():
    mbox_append(msg(1), msg(1), msg(2))
    p = E.login_retry()
    u = p.uidl_all()
    check(len(set(u.values())) == 3, "UIDLs not unique: %r" % u)
    p.ok("DELE 1")
    quit_ok(p)
    p = E.login_retry()
    after = p.uidl_all()
    quit_ok(p)
    check(after == {1: u[2], 2: u[3]}, "after DELE of the first copy: %r, "
        "want %r" % (after, {1: u[2], 2: u[3]}))
    # A third copy, delivered later, gets a UIDL no message ever had.
    mbox_append(msg(1))
    p = E.login_retry()
    again = p.uidl_all()
    quit_ok(p)
    check(again[1] == u[2] and again[2] == u[3] and
        again[3] not in u.values(), "a new copy: %r, before %r" %
        (again, u))
run(main)
EOF
}

ud_case maildir_duplicate_dele "Of two files with one base name the second keeps its UIDL when the first is deleted"
maildir_duplicate_dele_body()
{
	ud_setup_maildir
	ud_py <<'EOF'
def main():
    maildir_put("1700000001.x.host:2,S", msg(1), "cur")
    maildir_put("1700000001.x.host:2,T", msg(2), "cur")
    maildir_put("1700000002.y.host", msg(3))
    p = E.login_retry()
    u = p.uidl_all()
    check(len(set(u.values())) == 3, "UIDLs not unique: %r" % u)
    check(p.retr(1) == transmitted(msg(1)), "message 1 is not the first file")
    p.ok("DELE 1")
    quit_ok(p)
    p = E.login_retry()
    after = p.uidl_all()
    quit_ok(p)
    check(after == {1: u[2], 2: u[3]}, "after DELE of the first file: %r, "
        "want %r" % (after, {1: u[2], 2: u[3]}))
run(main)
EOF
}

ud_case mbox_status_rewrite "A Status header another program rewrites keeps the UIDL"
mbox_status_rewrite_body()
{
	ud_setup_mbox
	ud_py <<'EOF'
def main():
    raws = [msg(1), msg(2, b"Status: O\n"), msg(3)]
    mbox_append(*raws)
    before = uidls_by_content()
    # A mail reader marks messages read and answered, in place.
    raws[0] = msg(1, b"Status: RO\nX-Status: A\n")
    raws[1] = msg(2, b"Status: RO\n")
    with open(E.mbox, "r+b") as f:
        f.truncate(0)
        f.write(b"".join(FROM + mboxrd_quote(r) + b"\n" for r in raws))
    after = uidls_by_content()
    check(sorted(after) == sorted(before), "UIDLs %s, before the rewrite %s" %
        (sorted(after), sorted(before)))
    want = {u: transmitted(r) for u, r in zip(before, raws)}
    check(after == want, "messages under their UIDLs changed: %r" % after)
run(main)
EOF
}

ud_case maildir_list_lost "A lost or damaged Maildir UIDL list is rebuilt with the same UIDLs"
maildir_list_lost_body()
{
	ud_setup_maildir
	ud_py <<'EOF'
def main():
    maildir_put("1700000001.a.host", msg(1))
    maildir_put("1700000002." + "L" * 80, msg(2))
    maildir_put("1700000003.c.host:2,S", msg(3), "cur")
    before = uidls_by_content()
    lst = os.path.join(E.maildir, "pop3d-uidlist")
    check(os.path.exists(lst), "no %s after a login" % lst)
    os.unlink(lst)
    check(uidls_by_content() == before, "UIDLs after the list was lost")
    check("pop3d-uidlist: none; made from the message names" in
        E.logtext(), "the rebuild was not logged")
    check(os.path.exists(lst), "the list was not made again")
    with open(lst, "r+b") as f:
        data = f.read()
        f.seek(0)
        f.truncate(0)
        f.write(b"junk\n" + data[:-20])
    check(uidls_by_content() == before, "UIDLs after the list was damaged")
    check("pop3d-uidlist: damaged" in E.logtext(),
        "the damage was not logged")
run(main)
EOF
}

ud_case random_maildir "Random operations on a Maildir keep every UIDL invariant" 900
random_maildir_body()
{
	ud_setup_maildir
	UIDL_OPS_DEFAULT=${UIDL_OPS_DEFAULT:-10000}
	export UIDL_OPS_DEFAULT
	"${P3_PYTHON}" "${UD_PY}" maildir 2>"${P3_DIR}/random.err"
	rc=$?
	head -n 1 "${P3_DIR}/random.err" >&2
	tail -n 30 "${P3_DIR}/random.err" >&2
	[ ${rc} -eq 0 ] || p3_failure "$(grep '^FAIL: ' "${P3_DIR}/random.err" |
	    tail -n 1)"
	p3_stop
}

ud_case random_mbox "Random operations on an mbox keep every UIDL invariant" 900
random_mbox_body()
{
	ud_setup_mbox
	UIDL_OPS_DEFAULT=${UIDL_OPS_DEFAULT:-10000}
	export UIDL_OPS_DEFAULT
	"${P3_PYTHON}" "${UD_PY}" mbox 2>"${P3_DIR}/random.err"
	rc=$?
	head -n 1 "${P3_DIR}/random.err" >&2
	tail -n 30 "${P3_DIR}/random.err" >&2
	[ ${rc} -eq 0 ] || p3_failure "$(grep '^FAIL: ' "${P3_DIR}/random.err" |
	    tail -n 1)"
	p3_stop
}

atf_init_test_cases()
{
	atf_add_test_case mbox_xuidl_ignored
	atf_add_test_case mbox_xuidl_yes
	atf_add_test_case mbox_duplicate_dele
	atf_add_test_case maildir_duplicate_dele
	atf_add_test_case mbox_status_rewrite
	atf_add_test_case maildir_list_lost
	atf_add_test_case random_maildir
	atf_add_test_case random_mbox
}
