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

# Shared helpers of the pop3d integration tests, sourced by the atf-sh
# programs under regress/: a per-test directory, throw-away system users,
# seeded maildrops, the daemon started and stopped by pid, and the Python
# side (pop3test.py) run with the test's variables in its environment.
#
# State that the cleanup needs is kept in files in the test case's work
# directory, which kyua gives to the body and the cleanup alike.  The
# test directory itself is made under /tmp, not there (kyua points
# TMPDIR at the work directory): the test users must reach their homes
# whatever modes kyua gives its own directories.

: "${POP3D:=/usr/local/sbin/pop3d}"
P3_LIBDIR=$(atf_get_srcdir)/../lib
P3_LIBDIR=$(cd "${P3_LIBDIR}" && pwd)
if [ -z "${P3_PYTHON}" ]; then
	if [ -x /usr/bin/python3 ]; then
		P3_PYTHON=/usr/bin/python3
	else
		P3_PYTHON=python3
	fi
fi
PYTHONPATH=${P3_LIBDIR}
PYTHONDONTWRITEBYTECODE=1
export POP3D P3_PYTHON PYTHONPATH PYTHONDONTWRITEBYTECODE

# p3_init: make the test directory; every body calls this first.
p3_init()
{
	P3_WORK=$(pwd)
	P3_DIR=$(mktemp -d /tmp/pop3d-test.XXXXXXXX) ||
	    atf_fail "mktemp failed"
	echo "${P3_DIR}" >"${P3_WORK}/p3dir"
	# Homes live below; their owners must be able to traverse it.
	chmod 0755 "${P3_DIR}"
	mkdir -m 0755 "${P3_DIR}/home"
	P3_CONF=${P3_DIR}/pop3d.conf
	P3_LOG=${P3_DIR}/log
	P3_SEED=${P3_DIR}/seed
	export P3_DIR P3_CONF P3_LOG P3_SEED
	[ -x "${POP3D}" ] || atf_fail "no daemon at ${POP3D}; run make install"
	# The sanitizer build: the parent and pop3ctl (and any user that
	# runs one) report into san/; the children, which have no
	# environment and may be chrooted, on the daemon's stderr, P3_LOG.
	mkdir -m 1777 "${P3_DIR}/san"
	ASAN_OPTIONS=${ASAN_OPTIONS:+${ASAN_OPTIONS}:}log_path=${P3_DIR}/san/asan
	UBSAN_OPTIONS=${UBSAN_OPTIONS:+${UBSAN_OPTIONS}:}log_path=${P3_DIR}/san/ubsan
	export ASAN_OPTIONS UBSAN_OPTIONS
}

# p3_sanitizer_reports: print the reports of ASan, LeakSanitizer and
# UBSan from every process of the test (see p3_init), and succeed if
# there was one.  Any report fails the test, in the body (p3_stop) and
# else in the cleanup, which kyua then calls broken.
p3_sanitizer_reports()
{
	_files=$(grep -l -e AddressSanitizer -e LeakSanitizer \
	    -e 'runtime error:' "${P3_LOG}" "${P3_DIR}"/san/* 2>/dev/null) ||
	    return 1
	for _f in ${_files}; do
		echo "---- sanitizer report in ${_f} ----" >&2
		cat "${_f}" >&2
	done
	return 0
}

p3_random()
{
	LC_ALL=C tr -dc "$2" </dev/urandom 2>/dev/null | head -c "$1"
}

# p3_useradd: a system user with a random name and password, its home
# under the test directory.  Sets P3_USER, P3_PASS, P3_HOME and
# P3_MAILDIR (not created).  The name is recorded before useradd runs so
# that the cleanup removes a half-made user too.  P3_USERADD_OPTS, when
# set, goes to useradd (e.g. -r for a uid below 1000).
p3_useradd()
{
	P3_USER=p3t$(p3_random 9 'a-z0-9')
	P3_PASS=$(p3_random 14 'A-Za-z0-9')
	P3_HOME=${P3_DIR}/home/${P3_USER}
	P3_MAILDIR=${P3_HOME}/Maildir
	echo "${P3_USER}" >>"${P3_WORK}/users"
	useradd ${P3_USERADD_OPTS} -M -d "${P3_HOME}" -s /usr/sbin/nologin \
	    "${P3_USER}" ||
	    atf_fail "useradd ${P3_USER} failed"
	printf '%s:%s\n' "${P3_USER}" "${P3_PASS}" | chpasswd ||
	    atf_fail "chpasswd ${P3_USER} failed"
	mkdir -m 0700 "${P3_HOME}"
	chown "${P3_USER}:" "${P3_HOME}"
	export P3_USER P3_PASS P3_HOME P3_MAILDIR
}

# p3_groupadd: a system group with a random name, removed by the
# cleanup.  Sets P3_GROUP.
p3_groupadd()
{
	P3_GROUP=p3g$(p3_random 9 'a-z0-9')
	echo "${P3_GROUP}" >>"${P3_WORK}/groups"
	groupadd "${P3_GROUP}" || atf_fail "groupadd ${P3_GROUP} failed"
	export P3_GROUP
}

# p3_maildir SET...: an empty Maildir for P3_USER, seeded with the
# named message sets of pop3test.py; copies of the messages go to
# P3_SEED for the comparisons.
p3_maildir()
{
	mkdir -m 0700 "${P3_MAILDIR}" "${P3_MAILDIR}/cur" "${P3_MAILDIR}/new" \
	    "${P3_MAILDIR}/tmp"
	if [ $# -gt 0 ]; then
		"${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" seed-maildir \
		    "${P3_MAILDIR}" "${P3_SEED}" "$@" ||
		    atf_fail "seeding the Maildir failed"
	fi
	chown -R "${P3_USER}:" "${P3_MAILDIR}"
}

# p3_maildir_add SET...: more messages into the existing Maildir, as a
# delivery agent would add them.
p3_maildir_add()
{
	"${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" seed-maildir \
	    "${P3_MAILDIR}" "${P3_SEED}" "$@" ||
	    atf_fail "seeding the Maildir failed"
	chown -R "${P3_USER}:" "${P3_MAILDIR}"
}

# p3_mbox: a spool directory (root, 1777 like /var/mail) holding an mbox
# for P3_USER, owned by the user, 0600.  Sets P3_SPOOL and P3_MBOX.
p3_mbox()
{
	P3_SPOOL=${P3_DIR}/spool
	P3_MBOX=${P3_SPOOL}/${P3_USER}
	export P3_SPOOL P3_MBOX
	mkdir -p "${P3_SPOOL}"
	chmod 1777 "${P3_SPOOL}"
	"${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" seed-mbox "${P3_MBOX}" \
	    "${P3_SEED}" || atf_fail "seeding the mbox failed"
	chown "${P3_USER}:" "${P3_MBOX}"
	chmod 0600 "${P3_MBOX}"
}

# p3_conf [STATEMENT...]: a configuration on a fresh free port: the
# listener, system users, the Maildir, debug traces, and each argument as
# one more line, and passwords in clear text from 127.0.0.1 and ::1.
# Sets P3_PORT.  P3_LISTEN_OPTS, when set, is appended to
# the listen line (e.g. "plaintext-auth yes").
p3_conf()
{
	P3_PORT=$("${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" port) ||
	    atf_fail "no free port"
	export P3_PORT
	{
		echo "listen on 127.0.0.1 port ${P3_PORT}${P3_LISTEN_OPTS:+ ${P3_LISTEN_OPTS}}"
		echo "users system"
		echo "debug yes"
		# The test clients: 127.0.0.2 stands for a remote one.
		echo "plaintext-auth from 127.0.0.1"
		echo "plaintext-auth from ::1"
		for l in "$@"; do
			echo "$l"
		done
	} >"${P3_CONF}"
	# A maildrop line among the arguments replaces the default.
	grep -q '^maildrop ' "${P3_CONF}" ||
	    echo 'maildrop maildir "~/Maildir"' >>"${P3_CONF}"
	# Each daemon its own control socket: tests run side by side.
	grep -q '^control socket ' "${P3_CONF}" ||
	    echo "control socket \"${P3_DIR}/ctl.sock\"" >>"${P3_CONF}"
}

# p3_keypair CERT KEY [SAN [SUBJECT]]: a self-signed RSA certificate
# and its unencrypted key, valid for two days, made with openssl(1).
# The key is root-owned and 0600 from the start, as pop3d demands of
# it.  SAN defaults to the loopback address and localhost.
p3_keypair()
{
	rm -f "$1" "$2"
	( umask 077 && timeout 60 openssl req -x509 -newkey rsa:2048 -nodes \
	    -days 2 -subj "${4:-/CN=localhost}" \
	    -addext "subjectAltName=${3:-IP:127.0.0.1,DNS:localhost}" \
	    -keyout "$2" -out "$1" ) >"${P3_DIR}/openssl-req.out" 2>&1 || {
		cat "${P3_DIR}/openssl-req.out" >&2
		atf_fail "openssl req failed"
	}
	chown 0:0 "$1" "$2"
	chmod 0600 "$2"
	chmod 0644 "$1"
}

# p3_tls_cert [NAME]: P3_DIR/NAME.crt and NAME.key (NAME defaults to
# "server") from p3_keypair.  Sets P3_CERT and P3_KEY.
p3_tls_cert()
{
	P3_CERT=${P3_DIR}/${1:-server}.crt
	P3_KEY=${P3_DIR}/${1:-server}.key
	export P3_CERT P3_KEY
	p3_keypair "${P3_CERT}" "${P3_KEY}"
}

# p3_fingerprint FILE: the SHA-256 fingerprint of a PEM certificate,
# AA:BB:... as openssl x509 prints it.
p3_fingerprint()
{
	openssl x509 -noout -fingerprint -sha256 -in "$1" | sed 's/^[^=]*=//'
}

# p3_served_fingerprint PORT [s_client option...]: the fingerprint of
# the certificate that a new connection to PORT is shown ("-starttls
# pop3" for a plain listener); empty when the handshake fails.
p3_served_fingerprint()
{
	_port=$1
	shift
	timeout 20 openssl s_client -connect "127.0.0.1:${_port}" "$@" \
	    </dev/null 2>/dev/null |
	    openssl x509 -noout -fingerprint -sha256 2>/dev/null |
	    sed 's/^[^=]*=//'
}

# p3_tls_port: a second free port for an implicit TLS listener, other
# than P3_PORT.  Sets P3_TLSPORT.
p3_tls_port()
{
	P3_TLSPORT=${P3_PORT:-0}
	while [ "${P3_TLSPORT}" = "${P3_PORT:-0}" ]; do
		P3_TLSPORT=$("${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" port) ||
		    atf_fail "no free port"
	done
	export P3_TLSPORT
}

# p3_conf_tls [STATEMENT...]: p3_conf with TLS: the plain listener on
# P3_PORT (which then offers STLS), an implicit TLS listener on
# P3_TLSPORT, and the certificate (p3_tls_cert's unless P3_CERT is set).
p3_conf_tls()
{
	[ -n "${P3_CERT}" ] && [ -n "${P3_KEY}" ] || p3_tls_cert
	P3_PORT=
	p3_tls_port
	_tlsport=${P3_TLSPORT}
	p3_conf "listen on 127.0.0.1 port ${_tlsport} tls" \
	    "tls certificate \"${P3_CERT}\" key \"${P3_KEY}\"" "$@"
	# p3_conf drew P3_PORT after P3_TLSPORT; draw again on a clash.
	while [ "${P3_PORT}" = "${_tlsport}" ]; do
		p3_conf "listen on 127.0.0.1 port ${_tlsport} tls" \
		    "tls certificate \"${P3_CERT}\" key \"${P3_KEY}\"" "$@"
	done
}

# p3_s_client OUT [OPTION...]: openssl s_client with OPTIONs, standard
# input from the caller, at most 20 s.  What it prints on standard output
# (session details, then the server's bytes) goes to OUT, its errors to
# OUT.err: mixed in one file, the two streams could split a line.  Sets
# P3_SC_RC to its exit status.  -nocommands: a line that starts with Q
# or R is POP3 here, not a command to s_client.
p3_s_client()
{
	_out=$1
	shift
	timeout 20 openssl s_client -nocommands "$@" >"${_out}" \
	    2>"${_out}.err"
	P3_SC_RC=$?
	echo "---- openssl s_client $* (exit ${P3_SC_RC}) ----" >&2
	cat "${_out}" >&2
	echo "---- its standard error ----" >&2
	cat "${_out}.err" >&2
}

# p3_alive PID: the process exists and is not a zombie.
p3_alive()
{
	[ -r "/proc/$1/stat" ] || return 1
	case $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) in
	''|Z|X)	return 1 ;;
	esac
	return 0
}

p3_showlog()
{
	echo "---- pop3d log (${P3_LOG}) ----" >&2
	[ -f "${P3_LOG}" ] && tail -n 200 "${P3_LOG}" >&2
	echo "---- end of log ----" >&2
}

# p3_failure MESSAGE: show the daemon's log, then fail.
p3_failure()
{
	p3_showlog
	atf_fail "$*"
}

# p3_start: run the daemon in the foreground mode in the background and
# wait until its port accepts a connection.  Sets P3_PID.
p3_start()
{
	echo "==== pop3d -d -f ${P3_CONF} ====" >>"${P3_LOG}"
	"${POP3D}" -d -f "${P3_CONF}" >>"${P3_LOG}" 2>&1 </dev/null &
	P3_PID=$!
	export P3_PID
	echo "${P3_PID}" >>"${P3_WORK}/pids"
	if ! "${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" wait "${P3_PORT}" 10 \
	    "${P3_PID}"; then
		p3_alive "${P3_PID}" ||
		    p3_failure "pop3d exited before accepting connections"
		p3_failure "pop3d did not accept on port ${P3_PORT} within 10 s"
	fi
	p3_alive "${P3_PID}" ||
	    p3_failure "pop3d exited; another process has port ${P3_PORT}?"
}

# p3_descendants PID: every process below PID.
p3_descendants()
{
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		echo "$c"
		p3_descendants "$c"
	done
}

# p3_stop: SIGTERM and wait; fails unless the daemon and all of its
# children are gone within 10 s.
p3_stop()
{
	kids=$(p3_descendants "${P3_PID}")
	kill -TERM "${P3_PID}" 2>/dev/null
	i=0
	while p3_alive "${P3_PID}" && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	wait "${P3_PID}" 2>/dev/null
	p3_alive "${P3_PID}" &&
	    p3_failure "pop3d ${P3_PID} still running 10 s after SIGTERM"
	left=
	i=0
	while [ $i -lt 50 ]; do
		left=
		for k in ${kids}; do
			p3_alive "$k" && left="${left} $k"
		done
		[ -z "${left}" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	[ -z "${left}" ] ||
	    p3_failure "children of pop3d left after SIGTERM:${left}"
	p3_sanitizer_reports && atf_fail "a sanitizer report (above)"
	return 0
}

# p3_py: run the Python script on stdin with the test's variables in
# the environment; on failure show the daemon's log and fail with the
# script's last FAIL: line.
p3_py()
{
	"${P3_PYTHON}" - "$@" 2>"${P3_DIR}/py.err"
	rc=$?
	cat "${P3_DIR}/py.err" >&2
	if [ ${rc} -ne 0 ]; then
		msg=$(grep '^FAIL: ' "${P3_DIR}/py.err" | tail -n 1)
		[ -n "${msg}" ] || msg=$(tail -n 1 "${P3_DIR}/py.err")
		p3_failure "${msg:-python exited ${rc}}"
	fi
}

# p3_chat: a dialogue in the syntax of pop3test.chat() on stdin.
p3_chat()
{
	printf '%s\n' 'import sys, pop3test, os' \
	    'pop3test.run(lambda: pop3test.chat(int(os.environ["P3_PORT"]),' \
	    '    open(os.environ["P3_DIR"] + "/chat.in").read()))' \
	    >"${P3_DIR}/chat.py"
	cat >"${P3_DIR}/chat.in"
	p3_py <"${P3_DIR}/chat.py"
}

# p3_cleanup: stop what this test started, by the pids it recorded, then
# remove its users and directory.  Runs from the cleanup routines.
p3_cleanup()
{
	P3_WORK=$(pwd)
	P3_DIR=
	[ -f "${P3_WORK}/p3dir" ] && P3_DIR=$(cat "${P3_WORK}/p3dir")
	if [ -f "${P3_WORK}/pids" ]; then
		for pid in $(cat "${P3_WORK}/pids"); do
			p3_alive "${pid}" || continue
			kids=$(p3_descendants "${pid}")
			kill -TERM "${pid}" 2>/dev/null
			i=0
			while p3_alive "${pid}" && [ $i -lt 50 ]; do
				sleep 0.1
				i=$((i + 1))
			done
			for k in ${pid} ${kids}; do
				p3_alive "$k" && kill -KILL "$k" 2>/dev/null
			done
		done
	fi
	if [ -f "${P3_WORK}/users" ]; then
		for u in $(cat "${P3_WORK}/users"); do
			# Left-over processes of a throw-away user are ours.
			for k in $(ps -o pid= -u "$u" 2>/dev/null); do
				kill -KILL "$k" 2>/dev/null
			done
			getent passwd "$u" >/dev/null && userdel "$u" 2>/dev/null
			getent group "$u" >/dev/null && groupdel "$u" 2>/dev/null
		done
	fi
	if [ -f "${P3_WORK}/groups" ]; then
		for g in $(cat "${P3_WORK}/groups"); do
			getent group "$g" >/dev/null && groupdel "$g" 2>/dev/null
		done
	fi
	_rc=0
	if [ -n "${P3_DIR}" ]; then
		P3_LOG=${P3_DIR}/log
		p3_sanitizer_reports && _rc=1
	fi
	case "${P3_DIR}" in
	/tmp/pop3d-test.*)	rm -rf "${P3_DIR}" ;;
	esac
	return ${_rc}
}

# p3_ctl_conf [STATEMENT...]: p3_conf with the control socket of the test
# (P3_CTL, in the test directory, so that no test touches the system's).
p3_ctl_conf()
{
	P3_CTL=${P3_DIR}/ctl.sock
	export P3_CTL
	p3_conf "control socket \"${P3_CTL}\"" "$@"
}

# p3_ctl COMMAND...: pop3ctl on the test's control socket.
p3_ctl()
{
	"${POP3CTL:-/usr/local/sbin/pop3ctl}" -s "${P3_CTL}" "$@"
}

# p3_start_daemon: pop3d without -d, as a daemon, so that its own log
# settings apply.  The parent's pid comes from pop3ctl status (the
# process started here exits after forking) and is recorded for the
# cleanup.  Needs p3_ctl_conf.  Sets P3_PID.
p3_start_daemon()
{
	echo "==== pop3d -f ${P3_CONF} ====" >>"${P3_LOG}"
	"${POP3D}" -f "${P3_CONF}" >>"${P3_LOG}" 2>&1 </dev/null ||
	    p3_failure "pop3d -f ${P3_CONF} failed"
	"${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" wait "${P3_PORT}" 10 ||
	    p3_failure "pop3d did not accept on port ${P3_PORT} within 10 s"
	P3_PID=$(p3_ctl status | sed -n 's/^pid: //p')
	[ -n "${P3_PID}" ] || p3_failure "pop3ctl status gave no pid"
	echo "${P3_PID}" >>"${P3_WORK}/pids"
	export P3_PID
}

# ---------------------------------------------------------------------------
# XTND XMIT (regress/xmit)

# p3_fake_sendmail PROGRAM: a copy of the fake submission program
# PROGRAM (regress/xmit/fake-sendmail) in P3_DIR/xmit, root's and 0755,
# with its record directory rec/ owned by P3_USER, 0700.  Sets P3_XMIT
# (the directory) and P3_XMIT_REC.  The files exit-status and delay in
# P3_XMIT, when present, say how the program ends.
p3_fake_sendmail()
{
	P3_XMIT=${P3_DIR}/xmit
	P3_XMIT_REC=${P3_XMIT}/rec
	export P3_XMIT P3_XMIT_REC
	mkdir -m 0755 "${P3_XMIT}" || atf_fail "mkdir ${P3_XMIT} failed"
	cp "$1" "${P3_XMIT}/fake-sendmail" ||
	    atf_fail "cannot copy $1"
	chmod 0755 "${P3_XMIT}/fake-sendmail"
	mkdir -m 0700 "${P3_XMIT_REC}"
	chown "${P3_USER}:" "${P3_XMIT_REC}"
}

# p3_smtp_sink [SECONDS]: the SMTP sink of pop3test.py in the
# background, storing what it receives in P3_SINK; it ends by itself
# after SECONDS (default 120) and its pid is recorded for the cleanup.
# Sets P3_SINK and P3_SMTP_PORT.
p3_smtp_sink()
{
	P3_SINK=${P3_DIR}/sink
	mkdir -m 0700 "${P3_SINK}" || atf_fail "mkdir ${P3_SINK} failed"
	rm -f "${P3_DIR}/sink.port"
	"${P3_PYTHON}" -c 'import sys, pop3test
pop3test.smtp_sink(sys.argv[1], sys.argv[2], float(sys.argv[3]))' \
	    "${P3_SINK}" "${P3_DIR}/sink.port" "${1:-120}" \
	    >>"${P3_DIR}/sink.log" 2>&1 </dev/null &
	echo $! >>"${P3_WORK}/pids"
	i=0
	while [ ! -s "${P3_DIR}/sink.port" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "${P3_DIR}/sink.port" ] || {
		cat "${P3_DIR}/sink.log" >&2
		atf_fail "the SMTP sink did not start within 10 s"
	}
	P3_SMTP_PORT=$(cat "${P3_DIR}/sink.port")
	export P3_SINK P3_SMTP_PORT
}
