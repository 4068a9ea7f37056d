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

# Real mail clients against the daemon: fetchmail and mpop fetch all
# mail, keeping it or deleting it, and skip what they have seen by UIDL;
# curl lists, lists UIDLs and deletes.  Both fetchers hand messages to
# local delivery with LF line ends, so that is the form compared.

p3_load()
{
	. "$(atf_get_srcdir)/../lib/pop3test.sh"
}

p3_case()
{
	atf_test_case "$1" cleanup
	eval "$1_head() { atf_set descr '$2'; atf_set require.user root; \
	    atf_set require.progs '$3'; atf_set timeout 90; }"
	eval "$1_cleanup() { p3_load; p3_cleanup; }"
}

p3_setup()
{
	p3_load
	p3_init
	p3_useradd
	p3_maildir basic special
	p3_conf
	p3_start
	mkdir -p "${P3_DIR}/out"
}

# p3_fetchmail KEEP: a fetchmail run over the test's rc file; KEEP is
# "keep" or "no keep".  Delivery writes one file per message into
# P3_DIR/out.  Sets FM_RC to fetchmail's exit status (0 mail, 1 none).
p3_fetchmail()
{
	cat >"${P3_DIR}/deliver.sh" <<EOF
#!/bin/sh
exec cat >"\$(mktemp "${P3_DIR}/out/msg.XXXXXXXX")"
EOF
	chmod 0755 "${P3_DIR}/deliver.sh"
	# "invisible": no Received: header; sslproto "": pop3d offers no
	# STLS yet and fetchmail would try it anyway.
	cat >"${P3_DIR}/fetchmailrc" <<EOF
set no bouncemail
set no syslog
set invisible
poll 127.0.0.1 service ${P3_PORT} protocol pop3 uidl auth password timeout 30
    user "${P3_USER}" there with password "${P3_PASS}" is "root" here
    sslproto ""
    $1 no rewrite
    mda "${P3_DIR}/deliver.sh"
EOF
	chmod 0600 "${P3_DIR}/fetchmailrc"
	HOME=${P3_DIR} timeout 60 fetchmail -v --nodetach \
	    -f "${P3_DIR}/fetchmailrc" --idfile "${P3_DIR}/fetchids" \
	    --pidfile "${P3_DIR}/fetchmail.pid" </dev/null \
	    >>"${P3_DIR}/fetchmail.log" 2>&1
	FM_RC=$?
	cat "${P3_DIR}/fetchmail.log" >&2
	: >"${P3_DIR}/fetchmail.log"
}

# p3_mpop KEEP: an mpop run; KEEP is on or off.  Delivers into the
# Maildir P3_DIR/mpop.  Sets MP_RC.
p3_mpop()
{
	mkdir -p "${P3_DIR}/mpop/new" "${P3_DIR}/mpop/cur" "${P3_DIR}/mpop/tmp"
	cat >"${P3_DIR}/mpoprc" <<EOF
defaults
tls off
received_header off
timeout 30
account test
host 127.0.0.1
port ${P3_PORT}
auth user
user ${P3_USER}
password ${P3_PASS}
keep $1
delivery maildir ${P3_DIR}/mpop
uidls_file ${P3_DIR}/mpop.uidls
EOF
	chmod 0600 "${P3_DIR}/mpoprc"
	timeout 60 mpop -C "${P3_DIR}/mpoprc" -a -d </dev/null \
	    >"${P3_DIR}/mpop.log" 2>&1
	MP_RC=$?
	# The full protocol trace would bury the interesting part.
	grep -v '^<-- [^+-]' "${P3_DIR}/mpop.log" >&2
}

# p3_compare_out DIR [KEY...]: DIR holds, as LF text, exactly the seeded
# messages KEY... (all of them when none is named).
p3_compare_out()
{
	P3_OUT=$1
	export P3_OUT
	shift
	p3_py "$@" <<'EOF'
import os, sys
from pop3test import *
E = TestEnv()
def main():
    keys = sys.argv[1:] or list(E.seed)
    d = os.environ["P3_OUT"]
    got = {}
    for root, dirs, files in os.walk(d):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                got[os.path.join(root, name)] = f.read()
    want = {k: lf_form(E.seed[k]) for k in keys}
    left = dict(want)
    for path, data in sorted(got.items()):
        key = next((k for k, v in left.items() if v == data), None)
        check(key is not None, "delivered %s (%d octets) matches no "
            "expected message; starts %s" % (path, len(data),
            short(data[:300])))
        del left[key]
    check(not left, "not delivered: %s" % sorted(left))
run(main)
EOF
}

# p3_check_server [KEY...]: the server still holds exactly these
# messages (none when no key is given), by POP3 and on disk.
p3_check_server()
{
	p3_py "$@" <<'EOF'
import sys
from pop3test import *
E = TestEnv()
def main():
    keep = {k: E.seed[k] for k in sys.argv[1:]}
    p = E.connect()
    p.login_retry(E.user, E.pw)
    match_all(p, keep)
    quit_ok(p)
    check_maildir_holds(E.maildir, keep.values())
run(main)
EOF
}

p3_all_keys()
{
	ls "${P3_SEED}" | sed -n 's/\.eml$//p'
}

p3_case fetchmail_keep "fetchmail fetches every message and keeps them" fetchmail
fetchmail_keep_body()
{
	p3_setup
	p3_fetchmail keep
	[ "${FM_RC}" -eq 0 ] || p3_failure "fetchmail exited ${FM_RC}"
	p3_compare_out "${P3_DIR}/out"
	p3_check_server $(p3_all_keys)
}

p3_case fetchmail_nokeep "fetchmail without keep empties the maildrop" fetchmail
fetchmail_nokeep_body()
{
	p3_setup
	p3_fetchmail "no keep"
	[ "${FM_RC}" -eq 0 ] || p3_failure "fetchmail exited ${FM_RC}"
	p3_compare_out "${P3_DIR}/out"
	p3_check_server
}

p3_case fetchmail_uidl "fetchmail with uidl fetches only what it has not seen" fetchmail
fetchmail_uidl_body()
{
	p3_setup
	p3_fetchmail keep
	[ "${FM_RC}" -eq 0 ] || p3_failure "fetchmail exited ${FM_RC}"
	old=$(p3_all_keys)
	p3_fetchmail keep
	[ "${FM_RC}" -eq 1 ] ||
	    p3_failure "second fetchmail run exited ${FM_RC}, expected 1 (no mail)"
	p3_compare_out "${P3_DIR}/out"
	p3_maildir_add one
	rm -f "${P3_DIR}"/out/*
	p3_fetchmail keep
	[ "${FM_RC}" -eq 0 ] ||
	    p3_failure "third fetchmail run exited ${FM_RC}, expected 0"
	p3_compare_out "${P3_DIR}/out" one
	p3_check_server ${old} one
}

p3_case mpop_keep "mpop fetches every message, keeps them, and skips seen UIDLs" mpop
mpop_keep_body()
{
	p3_setup
	p3_mpop on
	[ "${MP_RC}" -eq 0 ] || p3_failure "mpop exited ${MP_RC}"
	p3_compare_out "${P3_DIR}/mpop"
	old=$(p3_all_keys)
	p3_mpop on
	[ "${MP_RC}" -eq 0 ] || p3_failure "second mpop run exited ${MP_RC}"
	p3_compare_out "${P3_DIR}/mpop"
	p3_maildir_add one
	p3_mpop on
	[ "${MP_RC}" -eq 0 ] || p3_failure "third mpop run exited ${MP_RC}"
	p3_compare_out "${P3_DIR}/mpop"
	p3_check_server ${old} one
}

p3_case mpop_nokeep "mpop without keep empties the maildrop" mpop
mpop_nokeep_body()
{
	p3_setup
	p3_mpop off
	[ "${MP_RC}" -eq 0 ] || p3_failure "mpop exited ${MP_RC}"
	p3_compare_out "${P3_DIR}/mpop"
	p3_check_server
}

p3_case curl_list "curl lists messages and UIDLs and deletes one" curl
curl_list_body()
{
	p3_setup
	url="pop3://${P3_USER}:${P3_PASS}@127.0.0.1:${P3_PORT}"
	curl -sS --max-time 30 -o "${P3_DIR}/list" "${url}/" ||
	    p3_failure "curl list failed"
	curl -sS --max-time 30 -X UIDL -o "${P3_DIR}/uidl" "${url}/" ||
	    p3_failure "curl UIDL failed"
	p3_py <<'EOF'
import os
from pop3test import *
E = TestEnv()
def main():
    with open(os.path.join(E.dir, "list"), "rb") as f:
        listing = f.read()
    with open(os.path.join(E.dir, "uidl"), "rb") as f:
        uidl = f.read()
    p = E.login()
    mapping = match_all(p, E.seed)
    want = b"".join(b"%d %d\r\n" % (n, len(transmitted(E.seed[k])))
        for n, k in sorted(mapping.items()))
    check(listing == want, "curl listing %s, expected %s" %
        (short(listing, 400), short(want, 400)))
    want = b"".join(b"%d %s\r\n" % (n, u.encode())
        for n, u in sorted(p.uidl_all().items()))
    check(uidl == want, "curl UIDL %s, expected %s" % (short(uidl, 400),
        short(want, 400)))
    with open(os.path.join(E.dir, "victim"), "w") as f:
        f.write(mapping[1])
    quit_ok(p)
run(main)
EOF
	curl -sS --max-time 30 -X DELE -I "${url}/1" ||
	    p3_failure "curl DELE failed"
	victim=$(cat "${P3_DIR}/victim")
	p3_check_server $(p3_all_keys | grep -vx "${victim}")
}

atf_init_test_cases()
{
	atf_add_test_case fetchmail_keep
	atf_add_test_case fetchmail_nokeep
	atf_add_test_case fetchmail_uidl
	atf_add_test_case mpop_keep
	atf_add_test_case mpop_nokeep
	atf_add_test_case curl_list
}
