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

# pop3ctl migrate uidl: the UIDLs another server showed, imported into
# the maildrop's UIDL list.  dovecot_mpop is the whole story with real
# programs: Dovecot serves a Maildir, mpop keeps the mail on the server,
# then pop3d serves the same Maildir and mpop fetches nothing again
# (and everything again without the migration).  The other cases check
# each source, the conflicts and the refusals on the list itself.

mg_load()
{
	. "$(atf_get_srcdir)/../lib/pop3test.sh"
	MG_CTL=${POP3CTL:-/usr/local/sbin/pop3ctl}
	export MG_CTL
}

mg_case()
{
	atf_test_case "$1" cleanup
	eval "$1_head() { atf_set descr '$2'; atf_set require.user root; \
	    atf_set timeout ${3:-60}; }"
	eval "$1_cleanup() { mg_load; p3_cleanup; }"
}

# mg_setup [STATEMENT...]: a user, an empty Maildir, a configuration
# (not started).
mg_setup()
{
	mg_load
	p3_init
	p3_useradd
	p3_maildir
	p3_conf "$@"
	MG_LIST=${P3_MAILDIR}/pop3d-uidlist
	export MG_LIST
}

# mg_name N: the base name of test message N.
mg_name()
{
	echo "$((1700000000 + $1)).M$1P77.test"
}

# mg_put N [SUB [HEADER]]: message N into cur/ (seen) or new/, as the
# user's, with one more header line if given.
mg_put()
{
	_sub=${2:-cur}
	_f=${P3_MAILDIR}/${_sub}/$(mg_name "$1")
	[ "${_sub}" = cur ] && _f=${_f}:2,S
	{
		printf 'From: s@example.org\nSubject: message %s\n' "$1"
		[ -n "$3" ] && printf '%s\n' "$3"
		printf '\nbody of message %s\n' "$1"
	} >"${_f}"
	chown "${P3_USER}:" "${_f}"
}

# mg_file NAME: stdin as a file of the user's in the Maildir.
mg_file()
{
	cat >"${P3_MAILDIR}/$1"
	chown "${P3_USER}:" "${P3_MAILDIR}/$1"
}

# mg_ctl ARG...: pop3ctl migrate uidl ARG...; sets MG_RC, output in
# MG_OUT and MG_ERR (files), shown for the record.
mg_ctl()
{
	MG_OUT=${P3_DIR}/ctl.out
	MG_ERR=${P3_DIR}/ctl.err
	"${MG_CTL}" -f "${P3_CONF}" migrate uidl "$@" >"${MG_OUT}" \
	    2>"${MG_ERR}"
	MG_RC=$?
	echo "---- pop3ctl migrate uidl $* (exit ${MG_RC}) ----" >&2
	cat "${MG_OUT}" "${MG_ERR}" >&2
}

mg_ok()
{
	mg_ctl "$@"
	[ "${MG_RC}" -eq 0 ] ||
	    atf_fail "pop3ctl migrate uidl $* exited ${MG_RC}"
}

mg_refused()
{
	mg_ctl "$@"
	[ "${MG_RC}" -eq 1 ] ||
	    atf_fail "pop3ctl migrate uidl $* exited ${MG_RC}, not 1"
}

# mg_summary TEXT: the summary line says TEXT.
mg_summary()
{
	grep -q ": $1" "${MG_OUT}" || atf_fail "summary is not: $1"
}

mg_err()
{
	grep -q -- "$1" "${MG_ERR}" || atf_fail "no error saying: $1"
}

# mg_uidl N: the UIDL the list holds for message N.
mg_uidl()
{
	[ -f "${MG_LIST}" ] || atf_fail "no ${MG_LIST}"
	awk -v b="$(mg_name "$1")" \
	    'index($1, b) == 1 { print $NF }' "${MG_LIST}"
}

mg_expect()
{
	_got=$(mg_uidl "$1")
	[ "${_got}" = "$2" ] ||
	    atf_fail "message $1: UIDL ${_got}, expected $2"
}

mg_unique()
{
	_d=$(tail -n +2 "${MG_LIST}" | awk '{ print $NF }' | sort | uniq -d)
	[ -z "${_d}" ] || atf_fail "UIDLs given twice: ${_d}"
}

mg_nolist()
{
	[ ! -e "${MG_LIST}" ] || atf_fail "a UIDL list was written"
}

# mg_uidls: the UIDLs pop3d shows, "N UIDL" a line.
mg_uidls()
{
	printf '%s\n' 'from pop3test import *' 'E = TestEnv()' \
	    'p = POP3(E.port)' 'p.login_retry(E.user, E.pw, 30)' \
	    'for n, u in sorted(p.uidl_all().items()):' \
	    '    print(n, u)' 'quit_ok(p)' >"${P3_DIR}/uidls.py"
	"${P3_PYTHON}" "${P3_DIR}/uidls.py" || p3_failure "UIDL listing failed"
}

# mg_mpop PORT UIDLS: mpop, keep on, into P3_DIR/fetched; sets MG_GOT
# to how many messages that run delivered.
mg_mpop()
{
	mkdir -p "${P3_DIR}/fetched/new" "${P3_DIR}/fetched/cur" \
	    "${P3_DIR}/fetched/tmp"
	_before=$(ls "${P3_DIR}/fetched/new" | wc -l)
	cat >"${P3_DIR}/mpoprc" <<EOF
defaults
tls off
received_header off
timeout 30
account test
host 127.0.0.1
port $1
auth user
user ${P3_USER}
password ${P3_PASS}
keep on
delivery maildir ${P3_DIR}/fetched
uidls_file $2
EOF
	chmod 0600 "${P3_DIR}/mpoprc"
	timeout 60 mpop -C "${P3_DIR}/mpoprc" -a </dev/null \
	    >"${P3_DIR}/mpop.log" 2>&1
	_rc=$?
	cat "${P3_DIR}/mpop.log" >&2
	[ ${_rc} -eq 0 ] || p3_failure "mpop on port $1 exited ${_rc}"
	MG_GOT=$(($(ls "${P3_DIR}/fetched/new" | wc -l) - _before))
	echo "mpop on port $1: ${MG_GOT} messages" >&2
}

# mg_fetches PORT UIDLS N WHAT: mpop, keep on, fetches exactly N
# messages, or the test fails, saying WHAT.
mg_fetches()
{
	mg_mpop "$1" "$2"
	[ "${MG_GOT}" -eq "$3" ] ||
	    p3_failure "$4: mpop fetched ${MG_GOT} messages, not $3"
}

# mg_dovecot: Dovecot (Debian's dovecot-pop3d) serving the user's
# Maildir on a free port with a configuration of the test's own: its
# own base and state directories and log, no system configuration, no
# TLS.  The pid is recorded for the cleanup.  Sets MG_DPORT, MG_DPID.
mg_dovecot()
{
	[ -x /usr/sbin/dovecot ] ||
	    atf_skip "no /usr/sbin/dovecot (Debian package dovecot-pop3d)"
	getent passwd dovenull >/dev/null && getent group dovecot >/dev/null ||
	    atf_skip "no dovenull user or dovecot group"
	MG_DPORT=$("${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" port) ||
	    atf_fail "no free port"
	_d=${P3_DIR}/dovecot
	mkdir -m 0755 "${_d}" "${_d}/run" "${_d}/state"
	printf '%s:{PLAIN}%s\n' "${P3_USER}" "${P3_PASS}" >"${_d}/passwd"
	chown root:dovecot "${_d}/passwd"
	chmod 0640 "${_d}/passwd"
	cat >"${_d}/dovecot.conf" <<EOF
base_dir = ${_d}/run
state_dir = ${_d}/state
instance_name = p3t-$$
protocols = pop3
listen = 127.0.0.1
log_path = ${_d}/log
info_log_path = ${_d}/log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_login_user = dovenull
default_internal_user = dovecot
default_internal_group = dovecot
first_valid_uid = $(id -u "${P3_USER}")
last_valid_uid = 0
mail_location = maildir:${P3_MAILDIR}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${_d}/passwd
}
userdb {
  driver = static
  args = uid=$(id -u "${P3_USER}") gid=$(id -g "${P3_USER}") home=${P3_HOME}
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = ${MG_DPORT}
  }
  inet_listener pop3s {
    port = 0
  }
}
protocol pop3 {
  pop3_uidl_format = %08Xu%08Xv
}
EOF
	/usr/sbin/dovecot -F -c "${_d}/dovecot.conf" >"${_d}/out" 2>&1 \
	    </dev/null &
	MG_DPID=$!
	echo "${MG_DPID}" >>"${P3_WORK}/pids"
	if ! "${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" wait "${MG_DPORT}" 10 \
	    "${MG_DPID}"; then
		cat "${_d}/out" "${_d}/log" >&2
		atf_fail "Dovecot did not accept on port ${MG_DPORT}"
	fi
}

mg_dovecot_stop()
{
	kill -TERM "${MG_DPID}" 2>/dev/null
	_i=0
	while p3_alive "${MG_DPID}" && [ ${_i} -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	wait "${MG_DPID}" 2>/dev/null
	cat "${P3_DIR}/dovecot/log" >&2
}

mg_case dovecot_mpop "mpop keeps its mail on Dovecot, then fetches nothing again from pop3d after the migration" 180
dovecot_mpop_body()
{
	mg_setup
	for i in 1 2 3 4 5 6 7 8 9 10; do
		mg_put $i new
	done
	mg_dovecot
	mg_fetches "${MG_DPORT}" "${P3_DIR}/mpop.uidls" 10 \
	    "Dovecot, first fetch"
	mg_fetches "${MG_DPORT}" "${P3_DIR}/mpop.uidls" 0 \
	    "Dovecot, second fetch"
	mg_dovecot_stop
	[ -f "${P3_MAILDIR}/dovecot-uidlist" ] ||
	    atf_fail "Dovecot left no dovecot-uidlist"
	cat "${P3_MAILDIR}/dovecot-uidlist" >&2
	p3_start

	# Without the migration the same client fetches everything again:
	# what the migration is for, and proof that this test can fail.
	cp "${P3_DIR}/mpop.uidls" "${P3_DIR}/mpop-nomigration.uidls"
	mg_fetches "${P3_PORT}" "${P3_DIR}/mpop-nomigration.uidls" 10 \
	    "pop3d without the migration"

	mg_ok dovecot "${P3_USER}"
	mg_summary "imported 10, kept 0, conflicts 0"
	mg_fetches "${P3_PORT}" "${P3_DIR}/mpop.uidls" 0 \
	    "pop3d after the migration"

	# New mail comes once, and once only.
	mg_put 11 new
	mg_fetches "${P3_PORT}" "${P3_DIR}/mpop.uidls" 1 \
	    "pop3d, a new message"
	mg_fetches "${P3_PORT}" "${P3_DIR}/mpop.uidls" 0 \
	    "pop3d, the new message again"
	p3_stop
}

# mg_popa3d_mbox FILE: ten messages as an MTA leaves them in a spool,
# with the header lines popa3d hashes for its UIDLs in their variants:
# several Received: (one folded), Delivered-To:, Date: and Message-ID:
# above and below the first Received:, X-Delivery-ID:, names in any
# case, and one message with none of them.
mg_popa3d_mbox()
{
	for i in 1 2 3 4 5 6 7 8 9 10; do
		printf 'From s%s@example.org Mon Jan  1 00:00:%02d 2024\n' \
		    $i $i
		case $i in
		1|2|3|4)
			printf 'Delivered-To: u@example.org\n'
			printf 'Received: from mx%s.example.org\n' $i
			printf '\tby relay (Postfix) id %s;\n' $i
			printf 'Received: from far.example.net by mx\n'
			printf 'Date: Mon, 1 Jan 2024 00:00:%02d +0000\n' $i
			;;
		5|6)
			printf 'date: Mon, 1 Jan 2024 00:00:%02d +0000\n' $i
			printf 'message-id: <%s@example.org>\n' $i
			printf 'RECEIVED: by mx.example.org id %s\n' $i
			;;
		7|8)
			printf 'X-Delivery-ID: d%s\n' $i
			printf 'x-delivery-id: not-hashed\n'
			;;
		9)
			printf 'Message-ID:\n <folded-%s@example.org>\n' $i
			;;
		esac
		printf 'From: s%s@example.org\nSubject: message %s\n' $i $i
		printf '\nbody of message %s\n\n' $i
	done
}

# mg_popa3d: Debian's popa3d, an inetd service, behind socat on a free
# port; it reads /var/mail/USER and checks the password with PAM.  The
# package conflicts with dovecot-pop3d, so regress/deps.sh unpacks it
# in /opt/popa3d.  Sets MG_PPORT, MG_PPID.
mg_popa3d()
{
	_p=/usr/sbin/popa3d
	[ -x "${_p}" ] || _p=/opt/popa3d/usr/sbin/popa3d
	[ -x "${_p}" ] || atf_skip "no popa3d (sh regress/deps.sh unpacks it)"
	getent passwd popa3d >/dev/null || atf_skip "no popa3d account"
	command -v socat >/dev/null || atf_skip "no socat"
	MG_PPORT=$("${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" port) ||
	    atf_fail "no free port"
	socat "TCP-LISTEN:${MG_PPORT},bind=127.0.0.1,fork,reuseaddr" \
	    "EXEC:${_p},nofork" >"${P3_DIR}/socat.out" 2>&1 \
	    </dev/null &
	MG_PPID=$!
	echo "${MG_PPID}" >>"${P3_WORK}/pids"
	"${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" wait "${MG_PPORT}" 10 \
	    "${MG_PPID}" || atf_fail "popa3d did not accept on ${MG_PPORT}"
}

mg_case popa3d_mpop "mpop keeps its mail on popa3d, then fetches nothing again from pop3d after the migration of the mbox" 180
popa3d_mpop_body()
{
	mg_load
	p3_init
	p3_useradd
	P3_SPOOL=${P3_DIR}/spool
	export P3_SPOOL
	mkdir -m 1777 "${P3_SPOOL}"
	_m=/var/mail/${P3_USER}
	echo "${_m}" >"${P3_WORK}/spoolfile"
	mg_popa3d_mbox >"${_m}"
	chown "${P3_USER}:mail" "${_m}"
	chmod 0600 "${_m}"
	mg_popa3d
	P3_PORT=${MG_PPORT}
	export P3_PORT
	mg_uidls >"${P3_DIR}/popa3d.uidls"
	cat "${P3_DIR}/popa3d.uidls" >&2
	[ "$(awk '{ print $2 }' "${P3_DIR}/popa3d.uidls" | sort -u |
	    wc -l)" -eq 10 ] || atf_fail "popa3d did not show ten UIDLs"
	mg_fetches "${MG_PPORT}" "${P3_DIR}/mpop.uidls" 10 \
	    "popa3d, first fetch"
	mg_fetches "${MG_PPORT}" "${P3_DIR}/mpop.uidls" 0 \
	    "popa3d, second fetch"
	kill -TERM "${MG_PPID}"
	wait "${MG_PPID}" 2>/dev/null

	# The same file, moved to the spool this test's pop3d serves.
	mv "${_m}" "${P3_SPOOL}/${P3_USER}"
	p3_conf "maildrop mbox \"${P3_SPOOL}/%u\""
	p3_start
	cp "${P3_DIR}/mpop.uidls" "${P3_DIR}/mpop-nomigration.uidls"
	mg_fetches "${P3_PORT}" "${P3_DIR}/mpop-nomigration.uidls" 10 \
	    "pop3d without the migration"

	mg_ok -v popa3d "${P3_USER}"
	mg_summary "imported 10, kept 0, conflicts 0"
	mg_uidls >"${P3_DIR}/pop3d.uidls"
	cmp -s "${P3_DIR}/popa3d.uidls" "${P3_DIR}/pop3d.uidls" ||
	    p3_failure "pop3d does not show the UIDLs popa3d showed"
	mg_fetches "${P3_PORT}" "${P3_DIR}/mpop.uidls" 0 \
	    "pop3d after the migration"
	{
		printf 'From new@example.org Tue Jan  2 00:00:00 2024\n'
		printf 'From: new@example.org\nSubject: new\n\nnew\n\n'
	} >>"${P3_SPOOL}/${P3_USER}"
	mg_fetches "${P3_PORT}" "${P3_DIR}/mpop.uidls" 1 \
	    "pop3d, a new message"
	p3_stop
}
popa3d_mpop_cleanup()
{
	mg_load
	[ -f spoolfile ] && rm -f "$(cat spoolfile)"
	p3_cleanup
}

mg_case popa3d_refused "popa3d UIDLs are for an mbox: a Maildir is refused, and a header too long for the digest keeps the UIDL of pop3d"
popa3d_refused_body()
{
	mg_setup
	mg_put 1
	mg_refused popa3d "${P3_MAILDIR}"
	mg_err "popa3d serves mbox only"
	mg_nolist
	P3_SPOOL=${P3_DIR}/spool
	mkdir -m 1777 "${P3_SPOOL}"
	{
		printf 'From s@example.org Mon Jan  1 00:00:00 2024\n'
		printf 'Received: by mx\n'
		"${P3_PYTHON}" -c 'print("X-Long: " + "x" * 70000)'
		printf '\nbody\n\n'
		printf 'From s@example.org Mon Jan  1 00:00:01 2024\n'
		printf 'Received: by mx id 2\n\nbody\n\n'
	} >"${P3_SPOOL}/${P3_USER}"
	chown "${P3_USER}:" "${P3_SPOOL}/${P3_USER}"
	chmod 0600 "${P3_SPOOL}/${P3_USER}"
	mg_ok popa3d "${P3_SPOOL}/${P3_USER}"
	mg_summary "imported 1, kept 1, conflicts 0"
}

mg_case dovecot_format "pop3_uidl_format variables and modifiers expand as Dovecot expands them"
dovecot_format_body()
{
	mg_setup
	mg_put 1
	mg_put 2
	mg_file dovecot-uidlist <<EOF
3 V1700000000 N27 G0a1b2c3d4e5f
1 :$(mg_name 1):2,S
26 W99 G00c0ffee :$(mg_name 2)
EOF
	b1=$(mg_name 1)
	b2=$(mg_name 2)
	while IFS='|' read -r fmt u1 u2; do
		mg_ok -n -v -F "${fmt}" dovecot "${P3_MAILDIR}"
		for n in 1 2; do
			eval "want=\${u$n}"
			got=$(sed -n -e "s/^message $n (cur[^)]*): .* -> //p" \
			    -e "s/^message $n (cur[^)]*): already //p" \
			    "${MG_OUT}")
			[ "${got}" = "${want}" ] ||
			    atf_fail "-F ${fmt}: message $n: ${got}, not ${want}"
		done
	done <<EOF
%08Xu%08Xv|000000016553f100|0000001a6553f100
%u-%v|1-1700000000|26-1700000000
%Xu.%Xv|1.6553f100|1a.6553f100
%XUu|1|1A
%UXu|1|1a
%04u|0001|0026
%{uid}/%{uidvalidity}|1/1700000000|26/1700000000
%f|${b1}|${b2}
%g|${b1}|00c0ffee
%.12f|1700000001.M|1700000002.M
%9.3f.%-4.f|1.M.test|2.M.test
pop-%u%%|pop-1%|pop-26%
EOF
	mg_nolist
	# Written, the default format is what pop3d then shows.
	mg_ok dovecot "${P3_USER}"
	mg_expect 1 000000016553f100
	mg_expect 2 0000001a6553f100
}

mg_case dovecot_saved "a UIDL Dovecot saved for POP3 (a P field) wins over the format"
dovecot_saved_body()
{
	mg_setup
	mg_put 1
	mg_put 2
	mg_put 3
	mg_file dovecot-uidlist <<EOF
3 V1700000000 N4
1 P$(mg_name 1) :$(mg_name 1):2,S
2 W1 Pqpopper-uidl-2 G0123 :$(mg_name 2):2,S
3 :$(mg_name 3):2,S
EOF
	mg_ok -v dovecot "${P3_USER}"
	mg_summary "imported 3, kept 0, conflicts 0"
	mg_expect 1 "$(mg_name 1)"
	mg_expect 2 qpopper-uidl-2
	mg_expect 3 000000036553f100
}

mg_case dovecot_format_refused "a format with a variable that cannot be computed here is refused"
dovecot_format_refused_body()
{
	mg_setup
	mg_put 1
	mg_file dovecot-uidlist <<EOF
3 V1700000000 N2
1 :$(mg_name 1):2,S
EOF
	mg_refused -F '%m' dovecot "${P3_USER}"
	mg_err "%m"
	mg_refused -F '%08Xu%q' dovecot "${P3_USER}"
	mg_err "unknown variable %q"
	mg_refused -F '%{hostname}' dovecot "${P3_USER}"
	mg_err "unknown variable"
	mg_refused -F '%Hu' dovecot "${P3_USER}"
	mg_err "modifier H is not supported"
	mg_refused -F 'x%' dovecot "${P3_USER}"
	mg_nolist
}

mg_case dovecot_malformed "a damaged dovecot-uidlist is refused with file and line, and nothing is written"
dovecot_malformed_body()
{
	mg_setup
	mg_put 1
	mg_put 2
	mg_file dovecot-uidlist <<EOF
3 V1700000000 N3
1 :$(mg_name 1):2,S
two :$(mg_name 2):2,S
EOF
	mg_refused dovecot "${P3_USER}"
	mg_err "dovecot-uidlist:3:"
	mg_nolist
	mg_file dovecot-uidlist <<EOF
garbage
EOF
	mg_refused dovecot "${P3_USER}"
	mg_err "dovecot-uidlist:1:"
	mg_file dovecot-uidlist <<EOF
3 V1700000000 N3
1 :$(mg_name 1):2,S
2 P-no-file-name
EOF
	mg_refused dovecot "${P3_USER}"
	mg_err "dovecot-uidlist:3: no file name"
	mg_file dovecot-uidlist <<EOF
3 V1700000000 N3
1 :$(mg_name 1):2,S
2 :$(mg_name 1):2,
EOF
	mg_refused dovecot "${P3_USER}"
	mg_err "dovecot-uidlist:3: message listed again"
	{
		echo "3 V1700000000 N3"
		printf '1 P%05000d :%s\n' 1 "$(mg_name 1)"
	} | mg_file dovecot-uidlist
	mg_refused dovecot "${P3_USER}"
	mg_err "dovecot-uidlist:2: line longer than"
	mg_nolist
}

mg_case courier "Courier courierpop3dsizelist versions 2 and 3 give the UIDLs Courier showed"
courier_body()
{
	mg_setup
	mg_put 1
	mg_put 2
	mg_put 3
	mg_put 4
	mg_file courierpop3dsizelist <<EOF
/2 5 1700000000
$(mg_name 1):2,S 100 1:1700000000
$(mg_name 2) 120 2:0
EOF
	mg_ok -v courier "${P3_USER}"
	mg_summary "imported 2, kept 2, conflicts 0"
	mg_expect 1 UID1-1700000000
	mg_expect 2 UID2
	mg_expect 3 "$(mg_name 3)"
	# Version 3, and a version 0 UIDL (n = 0): the name, with + as +2B.
	mv "${P3_MAILDIR}/cur/$(mg_name 4):2,S" \
	    "${P3_MAILDIR}/cur/$(mg_name 4)+x:2,S"
	mg_file courierpop3dsizelist <<EOF
/3 9 1800000000
$(mg_name 1):2,S 100 7:1800000000:0
$(mg_name 3):2,RS 100 8:1800000000:1
$(mg_name 4)+x:2,S 100 0:0:0
EOF
	mg_ok -v courier "${P3_USER}"
	mg_summary "imported 3, kept 1, conflicts 0"
	mg_expect 1 UID7-1800000000
	mg_expect 2 UID2
	mg_expect 3 UID8-1800000000
	_got=$(awk -v b="$(mg_name 4)+x" 'index($1, b) == 1 { print $NF }' \
	    "${MG_LIST}")
	[ "${_got}" = "$(mg_name 4)+2Bx" ] ||
	    atf_fail "version 0 UIDL ${_got}"
	mg_unique
	mg_file courierpop3dsizelist <<EOF
/4 9 1800000000
EOF
	mg_refused courier "${P3_USER}"
	mg_err "courierpop3dsizelist:1:"
	mg_file courierpop3dsizelist <<EOF
/3 9 1800000000
$(mg_name 1):2,S 100 x:y
EOF
	mg_refused courier "${P3_USER}"
	mg_err "courierpop3dsizelist:2:"
}

mg_case xuidl_maildir "X-UIDL headers of Maildir messages become their UIDLs"
xuidl_maildir_body()
{
	mg_setup
	mg_put 1 cur "X-UIDL: 3f2a0001"
	mg_put 2 cur "x-uidl:	qp.0002  "
	mg_put 3
	mg_put 4 new "X-UIDL: qp.0004"
	mg_ok -v x-uidl "${P3_MAILDIR}"
	mg_summary "imported 3, kept 1, conflicts 0"
	mg_expect 1 3f2a0001
	mg_expect 2 qp.0002
	mg_expect 3 "$(mg_name 3)"
	mg_expect 4 qp.0004
	p3_start
	mg_uidls >"${P3_DIR}/shown"
	grep -qx "1 3f2a0001" "${P3_DIR}/shown" ||
	    p3_failure "pop3d does not show the imported UIDL"
	p3_stop
}

mg_case xuidl_mbox "X-UIDL headers of mbox messages become their UIDLs, whatever uidl x-uidl says"
xuidl_mbox_body()
{
	mg_load
	p3_init
	p3_useradd
	P3_SPOOL=${P3_DIR}/spool
	P3_MBOX=${P3_SPOOL}/${P3_USER}
	export P3_SPOOL P3_MBOX
	mkdir -m 1777 "${P3_SPOOL}"
	{
		for i in 1 2 3; do
			printf 'From s@example.org Mon Jan  1 00:00:0%s 2024\n' $i
			printf 'From: s@example.org\nSubject: %s\n' $i
			[ $i -ne 2 ] && printf 'X-UIDL: qpop-%s\n' $i
			printf '\nbody %s\n\n' $i
		done
	} >"${P3_MBOX}"
	chown "${P3_USER}:" "${P3_MBOX}"
	chmod 0600 "${P3_MBOX}"
	p3_conf "maildrop mbox \"${P3_SPOOL}/%u\"" "uidl x-uidl no"
	mg_ok -v x-uidl "${P3_USER}"
	mg_summary "imported 2, kept 1, conflicts 0"
	_l=${P3_SPOOL}/.${P3_USER}.pop3d-uidlist
	[ "$(stat -c %U "${_l}")" = "${P3_USER}" ] ||
	    atf_fail "the mbox list is not the user's"
	p3_start
	mg_uidls >"${P3_DIR}/shown"
	cat "${P3_DIR}/shown" >&2
	grep -qx "1 qpop-1" "${P3_DIR}/shown" &&
	    grep -qx "3 qpop-3" "${P3_DIR}/shown" ||
	    p3_failure "pop3d does not show the X-UIDLs"
	[ "$(cut -d' ' -f2 "${P3_DIR}/shown" | sort -u | wc -l)" -eq 3 ] ||
	    p3_failure "UIDLs not unique"
	p3_stop
}

mg_case conflict "UIDLs given twice, colliding with pop3d ones, or invalid are reported and not written"
conflict_body()
{
	mg_setup
	for i in 1 2 3 4 5; do
		mg_put $i
	done
	long=$(printf '%071d' 7)
	# With no list yet, pop3d's UIDLs are the base names.
	mg_file dovecot-uidlist <<EOF
3 V1700000000 N6
1 P$(mg_name 2) :$(mg_name 1):2,S
2 Pdup :$(mg_name 2):2,S
3 Pdup :$(mg_name 3):2,S
4 P${long} :$(mg_name 4):2,S
5 Pgood :$(mg_name 5):2,S
EOF
	mg_ok dovecot "${P3_USER}"
	mg_summary "imported 1, kept 0, conflicts 4"
	grep -q "message 1 .*conflict: $(mg_name 2) is already the UIDL of" \
	    "${MG_OUT}" || atf_fail "collision not reported"
	[ "$(grep -c 'conflict: the source gives dup' "${MG_OUT}")" -eq 2 ] ||
	    atf_fail "duplicate not reported for both messages"
	grep -q "message 4 .*conflict: .* is not a POP3 UIDL" "${MG_OUT}" ||
	    atf_fail "invalid UIDL not reported"
	mg_expect 1 "$(mg_name 1)"
	mg_expect 2 "$(mg_name 2)"
	mg_expect 3 "$(mg_name 3)"
	mg_expect 4 "$(mg_name 4)"
	mg_expect 5 good
	mg_unique
	# Against a list pop3d already keeps: "good" is message 5's now.
	mg_file dovecot-uidlist <<EOF
3 V1700000000 N6
1 Pgood :$(mg_name 1):2,S
EOF
	mg_ok dovecot "${P3_USER}"
	mg_summary "imported 0, kept 4, conflicts 1"
	mg_expect 1 "$(mg_name 1)"
	mg_expect 5 good
	mg_unique
}

mg_case symlink "a source list or maildrop that is a symbolic link is refused"
symlink_body()
{
	mg_setup
	mg_put 1
	printf '3 V1700000000 N2\n1 Pfrom-link :%s:2,S\n' "$(mg_name 1)" \
	    >"${P3_DIR}/elsewhere"
	ln -s "${P3_DIR}/elsewhere" "${P3_MAILDIR}/dovecot-uidlist"
	mg_refused dovecot "${P3_USER}"
	mg_err "symbolic link"
	mg_nolist
	ln -s "${P3_MAILDIR}/cur" "${P3_MAILDIR}/courierpop3dsizelist"
	mg_refused courier "${P3_MAILDIR}"
	mg_nolist
	ln -s "${P3_MAILDIR}" "${P3_HOME}/Linked"
	mg_refused x-uidl "${P3_HOME}/Linked"
	mg_err "symbolic link"
	mg_nolist
}

mg_case dry_run "migrate -n reports what would change and writes nothing"
dry_run_body()
{
	mg_setup
	mg_put 1
	mg_put 2
	mg_put 3 new
	mg_file dovecot-uidlist <<EOF
3 V1700000000 N4
1 :$(mg_name 1):2,S
2 :$(mg_name 2):2,S
EOF
	mg_ok -n -v dovecot "${P3_USER}"
	mg_summary "imported 2, kept 0, conflicts 0 (dry run, nothing written)"
	grep -q "$(mg_name 1) -> 000000016553f100" "${MG_OUT}" ||
	    atf_fail "-n -v does not show the change"
	mg_nolist
	[ -f "${P3_MAILDIR}/new/$(mg_name 3)" ] ||
	    atf_fail "a dry run moved new/"
	# Against a list that exists: unchanged, byte for byte.
	mg_ok -F '%u' dovecot "${P3_USER}"
	before=$(cksum <"${MG_LIST}")
	mg_ok -n dovecot "${P3_USER}"
	[ "$(cksum <"${MG_LIST}")" = "${before}" ] ||
	    atf_fail "a dry run changed the list"
	mg_expect 1 1
}

mg_case in_use "a maildrop a POP3 session holds is refused"
in_use_body()
{
	mg_setup
	mg_put 1
	mg_file dovecot-uidlist <<EOF
3 V1700000000 N2
1 :$(mg_name 1):2,S
EOF
	p3_start
	printf '%s\n' 'import os, sys, time' 'from pop3test import *' \
	    'E = TestEnv()' 'p = POP3(E.port)' \
	    'p.login_retry(E.user, E.pw, 30)' \
	    'open(sys.argv[1], "w").write("in\n")' 'time.sleep(30)' \
	    >"${P3_DIR}/hold.py"
	"${P3_PYTHON}" "${P3_DIR}/hold.py" "${P3_DIR}/held" &
	hold=$!
	echo "${hold}" >>"${P3_WORK}/pids"
	i=0
	while [ ! -f "${P3_DIR}/held" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -f "${P3_DIR}/held" ] || p3_failure "the session did not log in"
	before=$(cksum <"${MG_LIST}")
	mg_refused dovecot "${P3_USER}"
	mg_err "in use"
	[ "$(cksum <"${MG_LIST}")" = "${before}" ] ||
	    atf_fail "the list changed while a session held the maildrop"
	kill -TERM "${hold}"
	wait "${hold}" 2>/dev/null
	p3_stop
	mg_ok dovecot "${P3_USER}"
	mg_expect 1 000000016553f100
}

mg_case path_as_owner "a maildrop named by path is migrated as its owner, never as root"
path_as_owner_body()
{
	mg_setup
	mg_put 1 cur "X-UIDL: owned-1"
	mg_ok x-uidl "${P3_MAILDIR}/"
	[ "$(stat -c %U "${MG_LIST}")" = "${P3_USER}" ] ||
	    atf_fail "the list is owned by $(stat -c %U "${MG_LIST}")"
	[ "$(stat -c %a "${MG_LIST}")" = 600 ] ||
	    atf_fail "the list has mode $(stat -c %a "${MG_LIST}")"
	found=$(find "${P3_MAILDIR}" -user root | head -n 1)
	[ -z "${found}" ] || atf_fail "root owns ${found}"
	mg_expect 1 owned-1
	# A Maildir of root's is no user's: refused.
	mkdir -p "${P3_DIR}/rootmd/cur" "${P3_DIR}/rootmd/new"
	mg_refused x-uidl "${P3_DIR}/rootmd"
	mg_err "owned by root"
	[ ! -e "${P3_DIR}/rootmd/pop3d-uidlist" ] ||
	    atf_fail "a list was written in root's Maildir"
	# USER: the maildrop must be that user's.
	chown root "${P3_MAILDIR}"
	mg_refused x-uidl "${P3_USER}"
	mg_err "owned by"
}

atf_init_test_cases()
{
	atf_add_test_case dovecot_mpop
	atf_add_test_case dovecot_format
	atf_add_test_case dovecot_saved
	atf_add_test_case dovecot_format_refused
	atf_add_test_case dovecot_malformed
	atf_add_test_case courier
	atf_add_test_case xuidl_maildir
	atf_add_test_case xuidl_mbox
	atf_add_test_case popa3d_mpop
	atf_add_test_case popa3d_refused
	atf_add_test_case conflict
	atf_add_test_case symlink
	atf_add_test_case dry_run
	atf_add_test_case in_use
	atf_add_test_case path_as_owner
}
