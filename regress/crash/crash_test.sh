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

# Crash safety: SIGKILL at CRASH_KILLS (default 1000) random instants
# of a QUIT with deletions on a Maildir, on an mbox an MTA delivers
# into meanwhile, of pop3ctl user changes and of poppass changes, with
# the files checked after every kill (crash.py says what is checked).
# CRASH_POPPASS_KILLS (default a tenth of CRASH_KILLS) sets the poppass
# kills, each of which stops the daemon; CRASH_SEED replays a run's
# instants.

cr_load()
{
	. "$(atf_get_srcdir)/../lib/pop3test.sh"
	: "${POP3CTL:=$(dirname "${POP3D}")/pop3ctl}"
	PYTHONPATH=${P3_LIBDIR}:$(cd "$(atf_get_srcdir)/../auth" && pwd)
	CR_PY=$(atf_get_srcdir)/crash.py
	P3_WORK=$(pwd)
	export POP3CTL PYTHONPATH P3_WORK
}

cr_case()
{
	atf_test_case "$1" cleanup
	eval "$1_head() { atf_set descr '$2'; atf_set require.user root; \
	    atf_set timeout 1200; }"
	eval "$1_cleanup() { cr_load; p3_cleanup; }"
}

# cr_run SCENARIO: the driver, its verdict and counts on stderr.
cr_run()
{
	"${P3_PYTHON}" "${CR_PY}" "$1" 2>"${P3_DIR}/crash.err"
	rc=$?
	tail -n 40 "${P3_DIR}/crash.err" >&2
	if [ ${rc} -ne 0 ]; then
		msg=$(grep '^FAIL: ' "${P3_DIR}/crash.err" | tail -n 1)
		p3_failure "${msg:-crash.py $1 exited ${rc}}"
	fi
}

# cr_user: a system user whose password hashes fast (SHA-256 crypt),
# since every kill costs a login.
cr_user()
{
	p3_useradd
	usermod -p "$(openssl passwd -5 "${P3_PASS}")" "${P3_USER}" ||
	    atf_fail "usermod -p failed"
}

# cr_db: pop3d's own users file in a directory of pop3d-auth's, as
# /etc/pop3d would be, with users alice and bob.  Sets AU_DB, AU_PW.
cr_db()
{
	getent passwd _pop3dauth >/dev/null ||
	    atf_fail "no user _pop3dauth; run make install"
	[ -x "${POP3CTL}" ] || atf_fail "no pop3ctl at ${POP3CTL}"
	mkdir -m 0700 "${P3_DIR}/etc"
	chown _pop3dauth: "${P3_DIR}/etc"
	AU_DB=${P3_DIR}/etc/users
	AU_PW=alice0
	export AU_DB AU_PW
	echo "${AU_PW}" | "${POP3CTL}" -u "${AU_DB}" user add alice ||
	    atf_fail "pop3ctl user add alice failed"
	echo bobpass | "${POP3CTL}" -u "${AU_DB}" user add bob ||
	    atf_fail "pop3ctl user add bob failed"
}

cr_case maildir "A store killed during QUIT leaves every Maildir message whole or deleted and the next session works"
maildir_body()
{
	cr_load
	p3_init
	cr_user
	p3_maildir
	p3_conf
	p3_start
	cr_run maildir
	p3_stop
}

cr_case mbox "A store killed during QUIT while an MTA delivers loses no mbox message and the next session clears its files"
mbox_body()
{
	cr_load
	p3_init
	cr_user
	P3_SPOOL=${P3_DIR}/spool
	P3_MBOX=${P3_SPOOL}/${P3_USER}
	export P3_SPOOL P3_MBOX
	mkdir -m 1777 "${P3_SPOOL}"
	: >"${P3_MBOX}"
	p3_conf "maildrop mbox \"${P3_SPOOL}/%u\""
	p3_start
	cr_run mbox
	p3_stop
}

cr_case ctl "pop3ctl user changes killed at random instants leave the old or the new users file byte for byte"
ctl_body()
{
	cr_load
	p3_init
	cr_db
	cr_run ctl
}

cr_case poppass "A poppass change whose pop3d-auth is killed leaves the old or the new users file and its password logs in"
poppass_body()
{
	cr_load
	p3_init
	cr_db
	p3_useradd
	mkdir -m 0755 "${P3_DIR}/vmail"
	chown "${P3_USER}:" "${P3_DIR}/vmail"
	P3_PORT=$("${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" port) ||
	    atf_fail "no free port"
	AU_PPPORT=${P3_PORT}
	while [ "${AU_PPPORT}" = "${P3_PORT}" ]; do
		AU_PPPORT=$("${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" port) ||
		    atf_fail "no free port"
	done
	export P3_PORT AU_PPPORT
	cat >"${P3_CONF}" <<EOF2
listen on 127.0.0.1 port ${P3_PORT}
listen on 127.0.0.1 port ${AU_PPPORT} poppass
plaintext-auth from 127.0.0.1
users file "${AU_DB}" mailuser "${P3_USER}" maildrop maildir "${P3_DIR}/vmail/%u"
session-pool 1
penalty none
control socket "${P3_DIR}/ctl.sock"
debug yes
EOF2
	cr_run poppass
}

atf_init_test_cases()
{
	atf_add_test_case maildir
	atf_add_test_case mbox
	atf_add_test_case ctl
	atf_add_test_case poppass
}
