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

# TLS against the real daemon: STLS (RFC 2595) and implicit TLS (RFC
# 8314), protocol versions, ciphers and ALPN, the plaintext-credentials
# policy, certificate reload on SIGHUP, the key kept out of the
# unprivileged processes, and real clients (openssl s_client, curl,
# poplib, mpop) fetching byte-exact mail.  Every case makes its own
# self-signed certificate in its test directory and runs its own pop3d
# with a plain listener (P3_PORT) and, mostly, an implicit TLS one
# (P3_TLSPORT), both on 127.0.0.1.
#
# 127.0.0.2 stands for another host: all of 127.0.0.0/8 reaches lo on
# Linux, but a client bound to 127.0.0.2 does not have the address of a
# listener on 127.0.0.1.

p3_load()
{
	. "$(atf_get_srcdir)/../lib/pop3test.sh"
}

# p3_case NAME DESCRIPTION [PROGRAMS [TIMEOUT]]: head and cleanup.
p3_case()
{
	atf_test_case "$1" cleanup
	eval "$1_head() { atf_set descr '$2'; atf_set require.user root; \
	    atf_set require.progs 'openssl ${3:-}'; \
	    atf_set timeout ${4:-90}; }"
	eval "$1_cleanup() { p3_load; p3_cleanup; }"
}

# p3_setup [STATEMENT...]: a user with the basic Maildir, a certificate,
# and a daemon with a plain and an implicit TLS listener.
p3_setup()
{
	p3_load
	p3_init
	p3_useradd
	p3_maildir basic
	p3_tls_cert
	p3_conf_tls "$@"
	p3_start
}

# p3_other_port: a third free port, for one more plain listener.  Sets
# P3_OTHER.
p3_other_port()
{
	P3_OTHER=${P3_PORT}
	while [ "${P3_OTHER}" = "${P3_PORT}" ] ||
	    [ "${P3_OTHER}" = "${P3_TLSPORT}" ]; do
		P3_OTHER=$("${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" port) ||
		    atf_fail "no free port"
	done
	export P3_OTHER
}

# p3_wait_file FILE SECONDS: wait until FILE exists.
p3_wait_file()
{
	_i=0
	while [ ! -f "$1" ] && [ ${_i} -lt $(($2 * 10)) ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -f "$1" ]
}

# p3_sc_ok OUT VERSION WHAT: the s_client run whose output is OUT
# (standard input: p3_capa_quit) made a TLS VERSION (1.2, 1.3; a
# regular expression) session and the server answered CAPA over it.
# The exit status is not looked at here: s_client exits 1 when the
# server closes after QUIT without a close_notify alert, which
# close_notify tests on its own.
p3_sc_ok()
{
	grep -Eq "^New, TLSv$2, Cipher is [A-Za-z0-9_-]+" "$1" ||
	    p3_failure "$3: no TLSv$2 session: $(grep '^New' "$1")"
	grep -Eq "^ *Protocol *: TLSv$2\$" "$1" ||
	    p3_failure "$3: no TLSv$2 session: $(grep 'Protocol' "$1")"
	grep -q '^USER' "$1" ||
	    p3_failure "$3: no CAPA response (USER) over the TLS session"
}

# p3_sc_refused OUT WHAT [handshake]: the s_client run whose output is
# OUT got no answer to its CAPA, so no usable TLS session.  (s_client
# prints a "New, ..." line even for a failed TLS 1.3 handshake, and
# prints the greeting it read before STLS, so neither tells.)  With
# "handshake", the handshake itself must have failed: s_client exits
# non-zero.
p3_sc_refused()
{
	grep -q '^USER' "$1" &&
	    p3_failure "$2: the server answered CAPA over TLS"
	if [ "$3" = handshake ] && [ "${P3_SC_RC}" -eq 0 ]; then
		p3_failure "$2: s_client exited 0, the handshake did not fail"
	fi
	return 0
}

# A CAPA and a QUIT, for s_client's standard input.
p3_capa_quit()
{
	printf 'CAPA\r\nQUIT\r\n' >"${P3_DIR}/capa-quit"
}

p3_case stls_capa "CAPA offers STLS before TLS only; STLS +OK starts TLS with the configured certificate; login inside it"
stls_capa_body()
{
	p3_setup
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = E.connect()
    names, lines = p.capa()
    check("STLS" in names, "CAPA before TLS lacks STLS: %r" % lines)
    # The context trusts only the test's certificate and checks that it
    # names 127.0.0.1.
    p.starttls(E.ctx())
    want = file_fingerprint(E.cert)
    check(p.peer_fingerprint() == want, "certificate %s, configured %s" %
        (p.peer_fingerprint(), want))
    names, lines = p.capa()
    check("STLS" not in names, "CAPA lists STLS with TLS active: %r" %
        lines)
    check("USER" in names, "CAPA under TLS lacks USER: %r" % lines)
    p.login(E.user, E.pw)
    check(p.stat()[0] == 3, "STAT over STLS: not 3 messages")
    names, lines = p.capa()
    check("STLS" not in names, "CAPA after login lists STLS: %r" % lines)
    quit_ok(p)
run(main)
EOF
}

p3_case stls_refused "A second STLS, STLS after login and STLS on the TLS port get -ERR and the session goes on"
stls_refused_body()
{
	p3_setup
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = E.connect_stls(tag="twice ")
    p.err("STLS")
    names, lines = p.capa()
    check("USER" in names, "CAPA after the refused STLS: %r" % lines)
    p.login(E.user, E.pw)
    p.stat()
    quit_ok(p)
    # Plain connection from 127.0.0.1 to 127.0.0.1: same host, so
    # USER/PASS work without TLS.
    p = E.connect(tag="after-login ")
    p.login_retry(E.user, E.pw)
    p.err("STLS")
    check(p.stat()[0] == 3, "STAT after the refused STLS")
    quit_ok(p)
    p = E.connect_tls(tag="implicit ")
    p.err("STLS")
    p.login_retry(E.user, E.pw)
    p.stat()
    quit_ok(p)
run(main)
EOF
}

p3_case stls_handover "A session in the clear maps no TLS library; STLS hands the client to a pop3d-session-tls that goes on without a greeting and keeps the failure count"
stls_handover_body()
{
	p3_setup
	p3_py <<'EOF'
import os
from pop3test import *
E = TestEnv()

def exe(pid):
    return os.path.basename(os.readlink("/proc/%d/exe" % pid))

def tls_libs(pid):
    with open("/proc/%d/maps" % pid) as f:
        return sorted({l.split()[-1] for l in f if any(n in l for n in
            ("libcrypto", "libssl", "libtls"))})

def main():
    p = E.connect()
    plain = session_pid(E.port, p.local_port())
    check(exe(plain) == "pop3d-session", "plain connection served by %s"
        % exe(plain))
    check(tls_libs(plain) == [], "pop3d-session %d maps %s" % (plain,
        tls_libs(plain)))
    # Two of the MAX_AUTH_TRIES failures in the clear (same host).
    for i in range(2):
        p.ok("USER %s" % E.user)
        p.err("PASS wrong%d" % i, code="AUTH")
    p.starttls(E.ctx())
    check(p.peer_fingerprint() == file_fingerprint(E.cert),
        "certificate after the handover is not the configured one")
    tls = session_pid(E.port, p.local_port())
    check(tls != plain and exe(tls) == "pop3d-session-tls",
        "after STLS the connection is served by %d (%s), not a "
        "pop3d-session-tls" % (tls, exe(tls)))
    check(not alive(plain), "pop3d-session %d still runs after the "
        "handover" % plain)
    # No second greeting: the first answer is CAPA's.
    names, lines = p.capa()
    check("STLS" not in names and "USER" in names, "CAPA after the "
        "handover: %r" % lines)
    # The third failure ends the session: the count came along.
    p.ok("USER %s" % E.user)
    p.err("PASS wrong2", code="AUTH")
    p.expect_closed(timeout=10, what="pop3d after a third failed login, "
        "two of them before STLS")
    q = E.connect_stls(tag="login ")
    q.login(E.user, E.pw)
    check(q.stat()[0] == 3, "STAT after the handover: not 3 messages")
    quit_ok(q)
run(main)
EOF
}

p3_case no_certificate "Without a certificate CAPA does not offer STLS and STLS gets -ERR"
no_certificate_body()
{
	p3_load
	p3_init
	p3_useradd
	p3_maildir basic
	p3_conf
	p3_start
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = E.connect()
    names, lines = p.capa()
    check("STLS" not in names, "CAPA offers STLS without a certificate: "
        "%r" % lines)
    p.err("STLS")
    p.login(E.user, E.pw)
    p.stat()
    quit_ok(p)
run(main)
EOF
}

p3_case stls_injection "Commands pipelined after STLS before the handshake are discarded, not executed"
stls_injection_body()
{
	p3_setup
	p3_py <<'EOF'
import socket
from pop3test import *
E = TestEnv()
def main():
    # STLS and USER in one segment.  USER for the real user from the
    # same host would get +OK if it were run, before or after the
    # handshake.
    p = E.connect(tag="one-write ")
    p.sendraw(b"STLS\r\nUSER %s\r\n" % E.user.encode())
    r = p.reply()
    check(r.startswith("+OK"), "STLS: expected +OK, got %s" % short(r))
    # Nothing in the clear after STLS's +OK: the server now waits for
    # the ClientHello.  A reply to USER would be here within 0.5 s.
    p.silent(0.5)
    p.tls_wrap(E.ctx())
    # The first reply over TLS must be CAPA's own: a +OK for the injected
    # USER would come first and put a status line into the list.
    names, lines = p.capa()
    check("USER" in names and "STLS" not in names,
        "CAPA after STLS: %r" % lines)
    # Had USER been accepted, PASS would now log in.
    p.err("PASS %s" % E.pw)
    p.login(E.user, E.pw)
    p.stat()
    quit_ok(p)

    # STLS, its +OK, then a plaintext command instead of a ClientHello:
    # the handshake fails (or waits for the rest of a "record"); the
    # command is never answered.
    p = E.connect(tag="cleartext-after ")
    p.ok("STLS")
    p.sendraw(b"USER %s\r\n" % E.user.encode())
    got = b""
    closed = False
    p.sock.settimeout(2)
    try:
        while len(got) < 65536:
            data = p.sock.recv(4096)
            if not data:
                closed = True
                break
            got += data
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = True
    log("after the cleartext USER the server sent %s and %s" % (short(got),
        "closed" if closed else "kept the connection open for 2 s"))
    check(b"+OK" not in got, "USER sent in the clear after STLS got a "
        "reply: %s" % short(got))
    p.close()
run(main)
EOF
}

p3_case close_notify "After QUIT the server ends the TLS session with close_notify (RFC 8446 6.1), on both listeners"
close_notify_body()
{
	p3_setup
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = POP3(E.port, tag="stls ")
    p.starttls(E.ctx(), ragged_eof=False)
    p.login(E.user, E.pw)
    p.stat()
    p.ok("QUIT")
    p.expect_tls_close()
    p.close()
    q = POP3(E.tlsport, greet=False, tag="implicit ")
    q.tls_wrap(E.ctx(), ragged_eof=False)
    check(q.reply().startswith("+OK"), "no greeting")
    q.login_retry(E.user, E.pw)
    q.ok("QUIT")
    q.expect_tls_close()
    q.close()
run(main)
EOF
}

p3_case implicit_tls "The TLS listener sends its greeting only after the handshake; no STLS there; USER from another address"
implicit_tls_body()
{
	p3_setup
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = POP3(E.tlsport, greet=False)
    # RFC 8314: the client speaks first (ClientHello); a greeting in the
    # clear would arrive here.
    p.silent(1.0)
    p.tls_wrap(E.ctx())
    g = p.reply()
    check(g.startswith("+OK"), "greeting over TLS: %s" % short(g))
    check(p.peer_fingerprint() == file_fingerprint(E.cert),
        "the TLS listener shows another certificate")
    names, lines = p.capa()
    check("STLS" not in names, "CAPA on the TLS port lists STLS: %r" %
        lines)
    check("USER" in names, "CAPA on the TLS port lacks USER: %r" % lines)
    p.login(E.user, E.pw)
    match_all(p, E.seed)
    quit_ok(p)
    # TLS is active from the start, so another host may log in.
    q = POP3(E.tlsport, tls=E.ctx(), source="127.0.0.2", tag="remote ")
    names, lines = q.capa()
    check("USER" in names, "CAPA over TLS from 127.0.0.2 lacks USER: %r" %
        lines)
    q.login_retry(E.user, E.pw)
    q.stat()
    quit_ok(q)
run(main)
EOF
}

# p3_calibrate OPTIONS...: an openssl s_server with the test's
# certificate and OPTIONS, serving one connection by echoing each line
# reversed (-rev); an s_client with the same OPTIONS must get its line
# back through it.  Shows that a refusal by pop3d of a client with these
# options is pop3d's doing, not the client's.
p3_calibrate()
{
	_port=$("${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" port)
	: >"${P3_DIR}/s_server.out"
	timeout 20 openssl s_server -accept "127.0.0.1:${_port}" -naccept 1 \
	    -rev -cert "${P3_CERT}" -key "${P3_KEY}" "$@" </dev/null \
	    >>"${P3_DIR}/s_server.out" 2>&1 &
	_spid=$!
	echo "${_spid}" >>"${P3_WORK}/pids"
	_i=0
	while ! grep -q '^ACCEPT' "${P3_DIR}/s_server.out" && [ ${_i} -lt 50 ]
	do
		sleep 0.1
		_i=$((_i + 1))
	done
	# The sleep keeps standard input open until the answer is in.
	(printf 'p3calibrate\n'; sleep 1) |
	    p3_s_client "${P3_DIR}/calib.out" -connect "127.0.0.1:${_port}" "$@"
	wait "${_spid}"
	grep -q 'etarbilac3p' "${P3_DIR}/calib.out" ||
	    atf_fail "calibration: s_client $* has no session with" \
	    "openssl s_server $* either; the test proves nothing here"
}

p3_case protocols_default "TLS 1.2 and 1.3 are accepted with a verified certificate, TLS 1.1 is refused, on both listeners"
protocols_default_body()
{
	p3_setup
	p3_capa_quit
	for mode in implicit stls; do
		if [ ${mode} = implicit ]; then
			set -- -connect "127.0.0.1:${P3_TLSPORT}"
		else
			set -- -connect "127.0.0.1:${P3_PORT}" -starttls pop3
		fi
		for v in 1.2 1.3; do
			p3_s_client "${P3_DIR}/sc.out" "$@" \
			    "-tls1_$(echo $v | cut -c3)" \
			    -CAfile "${P3_CERT}" -verify_return_error \
			    -verify_ip 127.0.0.1 -ign_eof \
			    <"${P3_DIR}/capa-quit"
			p3_sc_ok "${P3_DIR}/sc.out" "$v" "${mode} TLS $v"
			grep -q '^ *Verify return code: 0 (ok)' \
			    "${P3_DIR}/sc.out" ||
			    p3_failure "${mode} TLS $v: certificate not verified"
		done
		# OpenSSL 3 refuses TLS 1.1 at its default security level
		# by itself; level 0 makes the client willing.
		p3_s_client "${P3_DIR}/sc.out" "$@" -tls1_1 \
		    -cipher 'DEFAULT@SECLEVEL=0' -ign_eof \
		    <"${P3_DIR}/capa-quit"
		p3_sc_refused "${P3_DIR}/sc.out" "${mode} TLS 1.1" handshake
		[ ${mode} = implicit ] && grep -q '^+OK' "${P3_DIR}/sc.out" &&
		    p3_failure "TLS 1.1: the TLS port sent a greeting"
	done
	p3_calibrate -tls1_1 -cipher 'DEFAULT@SECLEVEL=0'
}

p3_case protocols_config "tls protocols and tls ciphers restrict versions and ciphers"
protocols_config_body()
{
	p3_setup 'tls protocols "tlsv1.3"'
	p3_capa_quit
	set -- -connect "127.0.0.1:${P3_TLSPORT}" -ign_eof
	p3_s_client "${P3_DIR}/sc.out" "$@" -tls1_3 <"${P3_DIR}/capa-quit"
	p3_sc_ok "${P3_DIR}/sc.out" 1.3 'tls protocols "tlsv1.3", TLS 1.3'
	p3_s_client "${P3_DIR}/sc.out" "$@" -tls1_2 <"${P3_DIR}/capa-quit"
	p3_sc_refused "${P3_DIR}/sc.out" 'tls protocols "tlsv1.3", TLS 1.2' \
	    handshake
	p3_stop

	p3_conf_tls 'tls protocols "tlsv1.2"' \
	    'tls ciphers "ECDHE-RSA-AES128-GCM-SHA256"'
	p3_start
	set -- -connect "127.0.0.1:${P3_TLSPORT}" -ign_eof
	p3_s_client "${P3_DIR}/sc.out" "$@" -tls1_2 \
	    -cipher 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384' \
	    <"${P3_DIR}/capa-quit"
	p3_sc_ok "${P3_DIR}/sc.out" 1.2 'tls ciphers, both offered'
	grep -q '^New, TLSv1.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256' \
	    "${P3_DIR}/sc.out" ||
	    p3_failure "tls ciphers: not the configured cipher:" \
	    "$(grep '^New' "${P3_DIR}/sc.out")"
	p3_s_client "${P3_DIR}/sc.out" "$@" -tls1_2 \
	    -cipher 'ECDHE-RSA-AES256-GCM-SHA384' <"${P3_DIR}/capa-quit"
	p3_sc_refused "${P3_DIR}/sc.out" "tls ciphers, another cipher only" \
	    handshake
	p3_s_client "${P3_DIR}/sc.out" "$@" -tls1_3 <"${P3_DIR}/capa-quit"
	p3_sc_refused "${P3_DIR}/sc.out" 'tls protocols "tlsv1.2", TLS 1.3' \
	    handshake
	p3_calibrate -tls1_2 -cipher 'ECDHE-RSA-AES256-GCM-SHA384'
}

p3_case alpn "ALPN pop3 is selected; a client asking only for another protocol is refused"
alpn_body()
{
	p3_setup
	p3_capa_quit
	for mode in implicit stls; do
		if [ ${mode} = implicit ]; then
			set -- -connect "127.0.0.1:${P3_TLSPORT}" -ign_eof
		else
			set -- -connect "127.0.0.1:${P3_PORT}" -starttls pop3 \
			    -ign_eof
		fi
		for offer in pop3 http/1.1,pop3; do
			p3_s_client "${P3_DIR}/sc.out" "$@" -alpn "${offer}" \
			    <"${P3_DIR}/capa-quit"
			p3_sc_ok "${P3_DIR}/sc.out" '1\.[23]' \
			    "${mode} ALPN ${offer}"
			grep -q '^ALPN protocol: pop3' "${P3_DIR}/sc.out" ||
			    p3_failure "${mode} ALPN ${offer}: pop3 not selected"
		done
		p3_s_client "${P3_DIR}/sc.out" "$@" -alpn http/1.1 \
		    <"${P3_DIR}/capa-quit"
		p3_sc_refused "${P3_DIR}/sc.out" "${mode} ALPN http/1.1"
		if [ ${mode} = implicit ] &&
		    grep -q '^+OK' "${P3_DIR}/sc.out"; then
			p3_failure "ALPN http/1.1: the TLS port sent a greeting"
		fi
		grep -q '^ALPN protocol: http' "${P3_DIR}/sc.out" &&
		    p3_failure "${mode}: ALPN http/1.1 was selected"
	done
	# The refusals are pop3d's: a server that speaks http/1.1 serves
	# this client.
	p3_calibrate -alpn http/1.1
}

p3_case alpn_split "A ClientHello cut across two TLS records is judged whole: ALPN http/1.1 refused, pop3 served"
alpn_split_body()
{
	p3_setup
	p3_py <<'EOF'
import socket, ssl, struct
from pop3test import *
E = TestEnv()
def records(data):
    out = []
    while data:
        check(len(data) >= 5, "short record header")
        n = struct.unpack(">H", data[3:5])[0]
        out.append((data[0], data[5:5 + n]))
        data = data[5 + n:]
    return out
def handshake(alpn):
    """The hello of an ssl client offering alpn, its handshake message
    cut in two records; then the handshake carried on over the socket.
    The greeting, or None when the server closes."""
    inc, outb = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = E.ctx(alpn=alpn).wrap_bio(inc, outb, server_hostname="127.0.0.1")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    recs = records(outb.read())
    check(len(recs) == 1 and recs[0][0] == 22, "hello not one record")
    msg = recs[0][1]
    half = len(msg) // 2
    wire = b"".join(b"\x16\x03\x01" + struct.pack(">H", len(part)) + part
        for part in (msg[:half], msg[half:]))
    s = socket.create_connection(("127.0.0.1", E.tlsport), timeout=10)
    s.sendall(wire)
    while True:
        data = s.recv(65536)
        if not data:
            s.close()
            return None
        inc.write(data)
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            pass
        finally:
            pending = outb.read()
            if pending:
                s.sendall(pending)
    check(obj.selected_alpn_protocol() == alpn[0], "ALPN %r selected" %
        obj.selected_alpn_protocol())
    greeting = b""
    while not greeting.endswith(b"\r\n"):
        try:
            greeting += obj.read(512)
        except ssl.SSLWantReadError:
            data = s.recv(65536)
            check(data, "closed before the greeting")
            inc.write(data)
    s.close()
    return greeting
def main():
    check(handshake(["http/1.1"]) is None,
        "a split hello with ALPN http/1.1 got through")
    wait_log(E.log, r"ClientHello offers ALPN without pop3, refused")
    g = handshake(["pop3"])
    check(g is not None and g.startswith(b"+OK"), "split hello with ALPN "
        "pop3: greeting %r" % g)
run(main)
EOF
}

p3_case plaintext_default "Default policy: no USER/PASS in the clear from another address until STLS; plaintext-auth from 127.0.0.1 exempts that one" curl
plaintext_default_body()
{
	p3_setup
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = POP3(E.port, source="127.0.0.2", tag="remote ")
    names, lines = p.capa()
    check("USER" not in names, "CAPA in the clear to another host lists "
        "USER: %r" % lines)
    check("STLS" in names, "CAPA lacks STLS: %r" % lines)
    p.err("USER %s" % E.user, "AUTH")
    p.err("PASS %s" % E.pw, "AUTH")
    p.err("STAT")
    p.starttls(E.ctx())
    names, lines = p.capa()
    check("USER" in names, "CAPA after STLS lacks USER: %r" % lines)
    p.login(E.user, E.pw)
    check(p.stat()[0] == 3, "STAT after STLS from 127.0.0.2")
    quit_ok(p)
    q = POP3(E.port, source="127.0.0.1", tag="local ")
    names, lines = q.capa()
    check("USER" in names, "CAPA from 127.0.0.1, a plaintext-auth from "
        "address, lacks USER: %r" % lines)
    q.login_retry(E.user, E.pw)
    q.stat()
    quit_ok(q)
run(main)
EOF
	# A real client from 127.0.0.2: refused in the clear, served after
	# STLS.
	url="pop3://${P3_USER}:${P3_PASS}@127.0.0.1:${P3_PORT}"
	curl -sS --max-time 20 --interface 127.0.0.2 -o "${P3_DIR}/curl.list" \
	    "${url}/" 2>"${P3_DIR}/curl.err"
	rc=$?
	cat "${P3_DIR}/curl.err" >&2
	[ ${rc} -eq 0 ] &&
	    p3_failure "curl from 127.0.0.2 logged in without TLS"
	# 67: CURLE_LOGIN_DENIED, the server refused USER or PASS.
	[ ${rc} -eq 67 ] ||
	    p3_failure "curl from 127.0.0.2 without TLS exited ${rc}," \
	    "expected 67 (login denied): $(cat "${P3_DIR}/curl.err")"
	curl -sS --max-time 20 --interface 127.0.0.2 --ssl-reqd \
	    --cacert "${P3_CERT}" -o "${P3_DIR}/curl.list" "${url}/" \
	    2>"${P3_DIR}/curl.err" ||
	    p3_failure "curl --ssl-reqd from 127.0.0.2: $(cat "${P3_DIR}/curl.err")"
	n=$(grep -c . "${P3_DIR}/curl.list")
	[ "$n" -eq 3 ] ||
	    p3_failure "curl --ssl-reqd listed $n messages, expected 3"
}

p3_case plaintext_from "Only the plaintext-auth from networks are exempt: a client from the listener address is not, unless listed"
plaintext_from_body()
{
	p3_load
	p3_init
	p3_useradd
	p3_maildir basic
	p3_tls_cert
	p3_conf_tls
	sed -i '/^plaintext-auth from /d' "${P3_CONF}"
	cp "${P3_CONF}" "${P3_DIR}/base.conf"
	echo "plaintext-auth from 127.0.0.2" >>"${P3_CONF}"
	p3_start
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    # 127.0.0.1 to 127.0.0.1: what a hairpin NAT or a proxy on this host
    # looks like too, so not exempt by itself.
    p = POP3(E.port, source="127.0.0.1", tag="same ")
    names, lines = p.capa()
    check("USER" not in names, "CAPA from the listener address lists "
        "USER: %r" % lines)
    p.err("USER %s" % E.user, "AUTH")
    p.close()
    q = POP3(E.port, source="127.0.0.2", tag="listed ")
    names, lines = q.capa()
    check("USER" in names, "CAPA from 127.0.0.2, listed, lacks USER: %r" %
        lines)
    q.login(E.user, E.pw)
    q.stat()
    quit_ok(q)
run(main)
EOF
	p3_stop
	cp "${P3_DIR}/base.conf" "${P3_CONF}"
	echo "plaintext-auth from 127.0.0.0/30" >>"${P3_CONF}"
	p3_start
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    for src in ("127.0.0.1", "127.0.0.2"):
        p = POP3(E.port, source=src, tag=src + " ")
        p.login_retry(E.user, E.pw)
        quit_ok(p)
    p = POP3(E.port, source="127.0.0.5", tag="outside ")
    p.err("USER %s" % E.user, "AUTH")
    p.close()
run(main)
EOF
}

p3_case plaintext_listener_yes "plaintext-auth yes on a listener allows USER/PASS in the clear from another address there only"
plaintext_listener_yes_body()
{
	p3_load
	p3_init
	p3_useradd
	p3_maildir basic
	p3_tls_cert
	P3_LISTEN_OPTS="plaintext-auth yes"
	p3_conf_tls
	P3_LISTEN_OPTS=
	p3_other_port
	echo "listen on 127.0.0.1 port ${P3_OTHER}" >>"${P3_CONF}"
	p3_start
	p3_py <<'EOF'
import os
from pop3test import *
E = TestEnv()
def main():
    p = POP3(E.port, source="127.0.0.2", tag="yes ")
    names, lines = p.capa()
    check("USER" in names, "plaintext-auth yes: CAPA lacks USER: %r" %
        lines)
    p.login(E.user, E.pw)
    check(not p.is_tls(), "not plaintext")
    p.stat()
    quit_ok(p)
    # The other plain listener keeps the default.
    q = POP3(int(os.environ["P3_OTHER"]), source="127.0.0.2", tag="default ")
    names, lines = q.capa()
    check("USER" not in names, "listener without plaintext-auth lists "
        "USER: %r" % lines)
    q.err("USER %s" % E.user, "AUTH")
    q.close()
run(main)
EOF
}

p3_case plaintext_global_yes "Global plaintext-auth yes allows USER/PASS in the clear; plaintext-auth no on a listener overrides it"
plaintext_global_yes_body()
{
	p3_load
	p3_init
	p3_useradd
	p3_maildir basic
	p3_tls_cert
	p3_conf_tls "plaintext-auth yes"
	p3_other_port
	echo "listen on 127.0.0.1 port ${P3_OTHER} plaintext-auth no" \
	    >>"${P3_CONF}"
	p3_start
	p3_py <<'EOF'
import os
from pop3test import *
E = TestEnv()
def main():
    p = POP3(E.port, source="127.0.0.2", tag="global-yes ")
    names, lines = p.capa()
    check("USER" in names, "plaintext-auth yes: CAPA lacks USER: %r" %
        lines)
    p.login(E.user, E.pw)
    p.stat()
    quit_ok(p)
    q = POP3(int(os.environ["P3_OTHER"]), source="127.0.0.2",
        tag="listener-no ")
    names, lines = q.capa()
    check("USER" not in names, "listener plaintext-auth no: CAPA lists "
        "USER: %r" % lines)
    q.err("USER %s" % E.user, "AUTH")
    q.err("PASS %s" % E.pw, "AUTH")
    q.starttls(E.ctx())
    q.login_retry(E.user, E.pw)
    q.stat()
    quit_ok(q)
run(main)
EOF
}

p3_case reload_certificate "SIGHUP loads a renewed certificate for new connections; logged-in sessions go on"
reload_certificate_body()
{
	p3_load
	p3_init
	p3_useradd
	P3_USER2=${P3_USER}
	P3_PASS2=${P3_PASS}
	p3_maildir basic
	p3_useradd
	p3_maildir basic
	export P3_USER2 P3_PASS2
	p3_tls_cert
	p3_conf_tls
	p3_start
	old=$(p3_fingerprint "${P3_CERT}")
	for how in "${P3_TLSPORT}" "${P3_PORT} -starttls pop3"; do
		f=$(p3_served_fingerprint ${how})
		[ "$f" = "${old}" ] ||
		    p3_failure "port ${how}: served '$f', configured ${old}"
	done
	# Two logged-in sessions, over TLS and over STLS, held open across
	# the reload.
	"${P3_PYTHON}" - >"${P3_DIR}/holder.out" 2>&1 <<'EOF' &
import os, time
from pop3test import *
E = TestEnv()
def main():
    a = E.connect_tls(tag="A ")
    a.login(E.user, E.pw)
    a.stat()
    b = E.connect_stls(tag="B ")
    b.login(os.environ["P3_USER2"], os.environ["P3_PASS2"])
    b.stat()
    fa = a.peer_fingerprint()
    open(E.dir + "/holder.ready", "w").close()
    deadline = time.monotonic() + 60
    while not os.path.exists(E.dir + "/holder.go"):
        check(time.monotonic() < deadline, "no go within 60 s")
        time.sleep(0.1)
    for s in (a, b):
        match_all(s, E.seed)
        quit_ok(s)
    check(fa == file_fingerprint(E.dir + "/old.crt"), "session A had %s" %
        fa)
    open(E.dir + "/holder.done", "w").close()
run(main)
EOF
	holder=$!
	echo "${holder}" >>"${P3_WORK}/pids"
	cp "${P3_CERT}" "${P3_DIR}/old.crt"
	p3_wait_file "${P3_DIR}/holder.ready" 20 ||
	    p3_failure "the sessions did not log in: $(cat "${P3_DIR}/holder.out")"

	# Renewal as an administrator does it: a new pair over the old files.
	p3_keypair "${P3_DIR}/new.crt" "${P3_DIR}/new.key"
	new=$(p3_fingerprint "${P3_DIR}/new.crt")
	[ "${new}" != "${old}" ] || atf_fail "the new certificate is the old one"
	mv -f "${P3_DIR}/new.key" "${P3_KEY}"
	mv -f "${P3_DIR}/new.crt" "${P3_CERT}"
	kill -HUP "${P3_PID}"
	# The reload is asynchronous: give it up to 10 s, then every new
	# connection must show the new certificate.
	i=0
	while [ "$(p3_served_fingerprint "${P3_TLSPORT}")" != "${new}" ]; do
		[ $i -lt 20 ] ||
		    p3_failure "10 s after SIGHUP the TLS port still serves" \
		    "$(p3_served_fingerprint "${P3_TLSPORT}"), not ${new}"
		sleep 0.5
		i=$((i + 1))
	done
	for n in 1 2 3 4; do
		for how in "${P3_TLSPORT}" "${P3_PORT} -starttls pop3"; do
			f=$(p3_served_fingerprint ${how})
			[ "$f" = "${new}" ] ||
			    p3_failure "after the reload, connection $n to" \
			    "${how} was shown '$f', expected ${new}"
		done
	done
	p3_alive "${P3_PID}" || p3_failure "pop3d died on SIGHUP"
	touch "${P3_DIR}/holder.go"
	wait "${holder}"
	cat "${P3_DIR}/holder.out" >&2
	[ -f "${P3_DIR}/holder.done" ] ||
	    p3_failure "a session logged in before the reload failed:" \
	    "$(grep '^FAIL' "${P3_DIR}/holder.out")"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = E.connect_stls()
    check(p.peer_fingerprint() == file_fingerprint(E.cert),
        "STLS after the reload: %s" % p.peer_fingerprint())
    p.login_retry(E.user, E.pw)
    p.stat()
    quit_ok(p)
run(main)
EOF
}

p3_case key_not_in_children "No child of the parent (TLS sessions, pool, auth, store) holds the key or certificate file open or mapped"
key_not_in_children_body()
{
	p3_setup "session-pool 2"
	p3_py <<'EOF'
import os
from pop3test import *
E = TestEnv()
PATHS = sorted({E.key, E.cert, os.path.realpath(E.key),
    os.path.realpath(E.cert)})

def descendants(pid):
    out = []
    for c in children(pid):
        out.append(c["pid"])
        out.extend(descendants(c["pid"]))
    return out

def inspect(pid, what):
    fds = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            fds.append(os.readlink("/proc/%d/fd/%s" % (pid, fd)))
        except OSError:
            pass
    with open("/proc/%d/maps" % pid) as f:
        maps = f.read()
    check(fds and maps, "%s %d: could not read its fds or maps" %
        (what, pid))
    for path in PATHS:
        for link in fds:
            check(path not in link, "%s %d has %s open (%s)" % (what, pid,
                path, link))
        check(path not in maps, "%s %d maps %s" % (what, pid, path))
    log("%s %d: %d fds, %d mappings, no key or certificate" % (what, pid,
        len(fds), len(maps.splitlines())))

def main():
    # Calibration: this process, holding the key open, must fail.
    with open(E.key, "rb"):
        try:
            inspect(os.getpid(), "calibration")
        except Failure as e:
            log("calibration: %s" % e)
        else:
            fail("calibration: the check misses an open key file")
    a = E.connect_tls(tag="A ")
    a.login(E.user, E.pw)
    a.retr(1)
    b = E.connect_stls(tag="B ")
    b.capa()
    sa = session_pid(E.tlsport, a.local_port())
    sb = session_pid(E.port, b.local_port())
    inspect(sa, "TLS session")
    inspect(sb, "STLS session")
    kids = descendants(E.pid)
    check(sa in kids and sb in kids, "sessions %d, %d are not below "
        "pop3d %d" % (sa, sb, E.pid))
    for pid in kids:
        info = proc_info(pid)
        if info is None:
            continue
        try:
            inspect(pid, info["cmdline"])
        except (FileNotFoundError, ProcessLookupError):
            # A pooled session that served p3_start's probe, exiting.
            check(not alive(pid), "cannot read /proc/%d" % pid)
    quit_ok(a)
    quit_ok(b)
run(main)
EOF
}

p3_case key_file_modes "A key file readable by group or other, or not owned by root, is a configuration error"
key_file_modes_body()
{
	p3_load
	p3_init
	p3_useradd
	p3_tls_cert
	p3_conf_tls
	key=$(basename "${P3_KEY}")
	"${POP3D}" -n -f "${P3_CONF}" >"${P3_DIR}/n.out" 2>&1 ||
	    p3_failure "pop3d -n with a 0600 root key: $(cat "${P3_DIR}/n.out")"
	grep -q '^configuration OK$' "${P3_DIR}/n.out" ||
	    p3_failure "pop3d -n did not say configuration OK"
	for how in "chmod 0640" "chmod 0604" "chmod 0644" \
	    "chown ${P3_USER}"; do
		chown 0:0 "${P3_KEY}"
		chmod 0600 "${P3_KEY}"
		${how} "${P3_KEY}"
		"${POP3D}" -n -f "${P3_CONF}" >"${P3_DIR}/n.out" 2>&1 &&
		    p3_failure "pop3d -n accepts a key after ${how}"
		cat "${P3_DIR}/n.out" >&2
		grep -q '^configuration OK$' "${P3_DIR}/n.out" &&
		    p3_failure "pop3d -n says configuration OK after ${how}"
		grep -qF "${key}" "${P3_DIR}/n.out" ||
		    p3_failure "after ${how}, the error does not name ${key}:" \
		    "$(cat "${P3_DIR}/n.out")"
	done
	# Nothing starts with such a key: pop3d -d exits at once, non-zero.
	timeout 10 "${POP3D}" -d -f "${P3_CONF}" >"${P3_DIR}/d.out" 2>&1
	rc=$?
	cat "${P3_DIR}/d.out" >&2
	[ ${rc} -eq 124 ] &&
	    p3_failure "pop3d -d ran for 10 s with a key owned by ${P3_USER}"
	[ ${rc} -eq 0 ] &&
	    p3_failure "pop3d -d exited 0 with a key owned by ${P3_USER}"
	return 0
}

p3_case ca_chain "The ca file is sent as the chain: a client trusting only the root verifies the leaf"
ca_chain_body()
{
	p3_load
	p3_init
	p3_useradd
	p3_maildir basic
	d=${P3_DIR}
	# root -> intermediate -> leaf
	printf '%s\n' 'basicConstraints=critical,CA:true' \
	    'keyUsage=critical,keyCertSign,cRLSign' >"$d/ca.ext"
	printf '%s\n' 'basicConstraints=critical,CA:false' \
	    'subjectAltName=IP:127.0.0.1,DNS:localhost' >"$d/leaf.ext"
	{
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
		    -subj /CN=p3test-root -addext \
		    'basicConstraints=critical,CA:true' -addext \
		    'keyUsage=critical,keyCertSign,cRLSign' \
		    -keyout "$d/root.key" -out "$d/root.crt" &&
		openssl req -newkey rsa:2048 -nodes -subj /CN=p3test-intermediate \
		    -keyout "$d/int.key" -out "$d/int.csr" &&
		openssl x509 -req -in "$d/int.csr" -CA "$d/root.crt" \
		    -CAkey "$d/root.key" -set_serial 2 -days 2 \
		    -extfile "$d/ca.ext" -out "$d/int.crt" &&
		openssl req -newkey rsa:2048 -nodes -subj /CN=localhost \
		    -keyout "$d/leaf.key" -out "$d/leaf.csr" &&
		openssl x509 -req -in "$d/leaf.csr" -CA "$d/int.crt" \
		    -CAkey "$d/int.key" -set_serial 3 -days 2 \
		    -extfile "$d/leaf.ext" -out "$d/leaf.crt"
	} >"$d/ca.out" 2>&1 || { cat "$d/ca.out" >&2; atf_fail "openssl failed"; }
	chmod 0600 "$d/leaf.key"
	P3_CERT=$d/leaf.crt
	P3_KEY=$d/leaf.key
	export P3_CERT P3_KEY
	p3_capa_quit
	set -- -CAfile "$d/root.crt" -verify_return_error -verify_ip 127.0.0.1 \
	    -showcerts -ign_eof

	# Without the chain the leaf does not verify against the root.
	p3_conf_tls
	p3_start
	p3_s_client "$d/sc.out" -connect "127.0.0.1:${P3_TLSPORT}" "$@" \
	    <"$d/capa-quit"
	p3_sc_refused "$d/sc.out" "leaf without chain" handshake
	p3_stop

	p3_conf_tls
	sed -i "s|^tls certificate .*|& ca \"$d/int.crt\"|" "${P3_CONF}"
	cat "${P3_CONF}" >&2
	p3_start
	for how in "-connect 127.0.0.1:${P3_TLSPORT}" \
	    "-connect 127.0.0.1:${P3_PORT} -starttls pop3"; do
		p3_s_client "$d/sc.out" ${how} "$@" <"$d/capa-quit"
		p3_sc_ok "$d/sc.out" '1\.[23]' "${how} with the chain"
		grep -q '^ *Verify return code: 0 (ok)' "$d/sc.out" ||
		    p3_failure "${how}: the chain did not verify"
		n=$(grep -c 'BEGIN CERTIFICATE' "$d/sc.out")
		[ "$n" -eq 2 ] ||
		    p3_failure "${how}: $n certificates sent, expected 2"
	done
	P3_ROOT=$d/root.crt
	export P3_ROOT
	p3_py <<'EOF'
import os
from pop3test import *
E = TestEnv()
def main():
    p = E.connect_tls(tls=tls_context(os.environ["P3_ROOT"]))
    p.login(E.user, E.pw)
    p.stat()
    quit_ok(p)
run(main)
EOF
}

# p3_stat_line: "+OK 3 N", N the octets of the basic set as sent.
p3_stat_line()
{
	"${P3_PYTHON}" - <<'EOF'
from pop3test import *
E = TestEnv()
print("+OK %d %d" % (len(E.seed),
    sum(len(transmitted(v)) for v in E.seed.values())))
EOF
}

p3_case openssl_clients "openssl s_client -starttls pop3 and on the TLS port: verified certificate, login, STAT, RETR, QUIT"
openssl_clients_body()
{
	p3_setup
	want=$(p3_stat_line)
	printf 'USER %s\r\nPASS %s\r\nSTAT\r\nRETR 1\r\nQUIT\r\n' \
	    "${P3_USER}" "${P3_PASS}" >"${P3_DIR}/dialogue"
	for how in "-connect 127.0.0.1:${P3_PORT} -starttls pop3" \
	    "-connect 127.0.0.1:${P3_TLSPORT}"; do
		p3_s_client "${P3_DIR}/sc.out" ${how} -CAfile "${P3_CERT}" \
		    -verify_return_error -verify_ip 127.0.0.1 -ign_eof \
		    <"${P3_DIR}/dialogue"
		grep -q 'unexpected eof while reading' "${P3_DIR}/sc.out.err" &&
		    p3_failure "s_client ${how}: the server closed without a" \
		    "TLS close_notify (s_client: unexpected eof while reading)"
		[ "${P3_SC_RC}" -eq 0 ] ||
		    p3_failure "s_client ${how} exited ${P3_SC_RC}"
		grep -q '^ *Verify return code: 0 (ok)' "${P3_DIR}/sc.out" ||
		    p3_failure "s_client ${how}: certificate not verified"
		tr -d '\r' <"${P3_DIR}/sc.out" | grep -qxF "${want}" ||
		    p3_failure "s_client ${how}: no '${want}' STAT reply"
		tr -d '\r' <"${P3_DIR}/sc.out" |
		    grep -Eq '^\+OK [0-9]+ octets' ||
		    p3_failure "s_client ${how}: no RETR reply"
		# USER, PASS, STAT, RETR, QUIT (and the greeting on the
		# TLS port; s_client consumes it with STLS).
		[ "$(tr -d '\r' <"${P3_DIR}/sc.out" | grep -c '^+OK')" -ge 5 ] ||
		    p3_failure "s_client ${how}: fewer than 5 +OK replies"
	done
}

# p3_curl_tls SCHEME PORT [OPTION...]: fetch every message of the basic
# set with curl into P3_DIR/curl/N, verifying the test's certificate.
p3_curl_tls()
{
	_scheme=$1
	_port=$2
	shift 2
	mkdir -p "${P3_DIR}/curl"
	for n in 1 2 3; do
		curl -sS --max-time 30 --cacert "${P3_CERT}" "$@" \
		    -o "${P3_DIR}/curl/$n" \
		    "${_scheme}://${P3_USER}:${P3_PASS}@127.0.0.1:${_port}/$n" \
		    2>"${P3_DIR}/curl.err" ||
		    p3_failure "curl ${_scheme} message $n: $(cat "${P3_DIR}/curl.err")"
	done
	p3_py <<'EOF'
import os
from pop3test import *
E = TestEnv()
def main():
    got = read_tree(os.path.join(E.dir, "curl"))
    match_multiset(got, {k: transmitted(v) for k, v in E.seed.items()},
        "curl message")
run(main)
EOF
}

p3_case curl_stls "curl --ssl-reqd pop3:// fetches every message byte for byte over STLS" curl
curl_stls_body()
{
	p3_setup
	p3_curl_tls pop3 "${P3_PORT}" --ssl-reqd
}

p3_case curl_pop3s "curl pop3s:// on the TLS port fetches every message byte for byte" curl
curl_pop3s_body()
{
	p3_setup
	p3_curl_tls pop3s "${P3_TLSPORT}"
}

# p3_poplib: fetch every message with a poplib object made by the
# Python expression on standard input (E is the TestEnv).
p3_poplib()
{
	cat >"${P3_DIR}/connect.py"
	p3_py <<'EOF'
import os, poplib
from pop3test import *
E = TestEnv()
def main():
    p = eval(open(os.path.join(E.dir, "connect.py")).read())
    check(isinstance(p.sock, __import__("ssl").SSLSocket), "not TLS")
    p.user(E.user)
    p.pass_(E.pw)
    count, octets = p.stat()
    check(count == len(E.seed), "STAT %d, seeded %d" % (count, len(E.seed)))
    got = {}
    for n in range(1, count + 1):
        resp, lines, size = p.retr(n)
        got[n] = b"".join(l + b"\r\n" for l in lines)
        check(size == len(got[n]), "RETR %d: poplib counted %d octets, "
            "the message is %d" % (n, size, len(got[n])))
    match_multiset(got, {k: transmitted(v) for k, v in E.seed.items()},
        "poplib message")
    p.quit()
    # The login line says the password came under TLS.
    wait_log(E.log, r"^127\.0\.0\.1:\d+: login user %s method pass "
        r"tls yes$" % E.user)
run(main)
EOF
}

p3_case poplib_stls "poplib POP3.stls() with a verifying context fetches every message byte for byte"
poplib_stls_body()
{
	p3_setup
	p3_poplib <<'EOF'
(lambda p: (p.stls(E.ctx()), p)[1])(poplib.POP3(HOST, E.port, timeout=30))
EOF
}

p3_case poplib_ssl "poplib POP3_SSL with a verifying context fetches every message byte for byte"
poplib_ssl_body()
{
	p3_setup
	p3_poplib <<'EOF'
poplib.POP3_SSL(HOST, E.tlsport, context=E.ctx(), timeout=30)
EOF
}

# p3_mpop_tls PORT STARTTLS: mpop fetches everything over TLS (STLS
# when STARTTLS is on), keeping the mail, into the Maildir P3_DIR/mpop;
# the delivered messages must be the seeded ones as LF text.
p3_mpop_tls()
{
	mkdir -p "${P3_DIR}/mpop/new" "${P3_DIR}/mpop/cur" "${P3_DIR}/mpop/tmp"
	cat >"${P3_DIR}/mpoprc" <<EOF
defaults
tls on
tls_starttls $2
tls_trust_file ${P3_CERT}
received_header off
timeout 30
account test
host 127.0.0.1
port $1
auth user
user ${P3_USER}
password ${P3_PASS}
keep on
delivery maildir ${P3_DIR}/mpop
uidls_file ${P3_DIR}/mpop.uidls
EOF
	chmod 0600 "${P3_DIR}/mpoprc"
	timeout 60 mpop -C "${P3_DIR}/mpoprc" -a -d </dev/null \
	    >"${P3_DIR}/mpop.log" 2>&1
	rc=$?
	grep -v '^<-- [^+-]' "${P3_DIR}/mpop.log" >&2
	[ ${rc} -eq 0 ] || p3_failure "mpop exited ${rc}"
	# mpop -d shows the session and the certificate it verified.
	grep -q '^TLS session parameters:' "${P3_DIR}/mpop.log" ||
	    p3_failure "mpop's trace shows no TLS session"
	grep -qF "SHA256: $(p3_fingerprint "${P3_CERT}")" "${P3_DIR}/mpop.log" ||
	    p3_failure "mpop's trace does not show the configured certificate"
	if [ "$2" = on ]; then
		grep -q '^--> STLS' "${P3_DIR}/mpop.log" ||
		    p3_failure "mpop did not send STLS"
	fi
	p3_py <<'EOF'
import os
from pop3test import *
E = TestEnv()
def main():
    got = read_tree(os.path.join(E.dir, "mpop"))
    match_multiset(got, {k: lf_form(v) for k, v in E.seed.items()},
        "mpop delivery")
    p = E.connect_tls()
    p.login_retry(E.user, E.pw)
    match_all(p, E.seed)
    quit_ok(p)
run(main)
EOF
}

p3_case mpop_stls "mpop fetches every message with tls on and tls_starttls on" mpop
mpop_stls_body()
{
	p3_setup
	p3_mpop_tls "${P3_PORT}" on
}

p3_case mpop_tls "mpop fetches every message from the TLS port with tls_starttls off" mpop
mpop_tls_body()
{
	p3_setup
	p3_mpop_tls "${P3_TLSPORT}" off
}

# The Nagle and delayed-ACK stall: a reply that leaves in several writes
# (TLS records, or a tail after a full buffer) may wait for the client's
# delayed ACK, 40 ms or more, unless every write goes out at once.  A
# client that sends one RETR and waits for the answer, as Thunderbird
# and fetchmail do, feels it on many messages or on every one.  About
# 1 ms a message is expected here.  The bounds: no more than 5% of the
# messages over 25 ms (a stall is 40 ms or more; noise hits a message
# now and then, a stall hits a steady share of them), and 10 ms a
# message on average, ten times what is expected.
p3_case retr_no_stall "200 sequential RETRs of 100 KiB, one at a time, over implicit TLS, STLS and in the clear: no per-message stall" "" 300
retr_no_stall_body()
{
	p3_load
	p3_init
	p3_useradd
	p3_maildir retr100k
	p3_tls_cert
	p3_conf_tls "plaintext-auth yes"
	sed -i 's/^debug yes$/debug no/' "${P3_CONF}"
	p3_start
	p3_py <<'EOF'
import statistics
from pop3test import *
E = TestEnv()
STALL = 0.025
MEAN = 0.010
def fetch_all(p, how):
    count, octets = p.stat()
    check(count == 200, "%s: STAT says %d messages, not 200" % (how, count))
    sizes = p.list_all()
    times = []
    t0 = time.monotonic()
    for n in range(1, count + 1):
        t = time.monotonic()
        data = p.retr_raw(n)
        times.append(time.monotonic() - t)
        check(len(data) == sizes[n], "%s: RETR %d sent %d octets, LIST "
            "says %d" % (how, n, len(data), sizes[n]))
    total = time.monotonic() - t0
    med = statistics.median(times)
    slow = sum(1 for t in times if t > STALL)
    log("%s: %d RETRs in %.3f s, median %.2f ms, max %.2f ms, %d over "
        "%.0f ms" % (how, count, total, med * 1000, max(times) * 1000,
        slow, STALL * 1000))
    check(slow <= count // 20, "%s: %d of %d RETRs of 100 KiB took over "
        "%.0f ms: replies wait for the client's delayed ACK" % (how, slow,
        count, STALL * 1000))
    check(total < MEAN * count, "%s: %d RETRs took %.2f s (bound %.1f s)"
        % (how, count, total, MEAN * count))
    quit_ok(p)
def main():
    p = E.connect_tls()
    p.login(E.user, E.pw)
    fetch_all(p, "implicit TLS")
    p = E.connect_stls()
    p.login(E.user, E.pw)
    fetch_all(p, "STLS")
    p = E.login()
    fetch_all(p, "plain")
run(main)
EOF
}

atf_init_test_cases()
{
	atf_add_test_case stls_capa
	atf_add_test_case stls_refused
	atf_add_test_case stls_handover
	atf_add_test_case no_certificate
	atf_add_test_case stls_injection
	atf_add_test_case implicit_tls
	atf_add_test_case close_notify
	atf_add_test_case protocols_default
	atf_add_test_case protocols_config
	atf_add_test_case alpn
	atf_add_test_case alpn_split
	atf_add_test_case plaintext_default
	atf_add_test_case plaintext_from
	atf_add_test_case plaintext_listener_yes
	atf_add_test_case plaintext_global_yes
	atf_add_test_case reload_certificate
	atf_add_test_case key_not_in_children
	atf_add_test_case key_file_modes
	atf_add_test_case ca_chain
	atf_add_test_case openssl_clients
	atf_add_test_case curl_stls
	atf_add_test_case curl_pop3s
	atf_add_test_case poplib_stls
	atf_add_test_case poplib_ssl
	atf_add_test_case mpop_stls
	atf_add_test_case mpop_tls
	atf_add_test_case retr_no_stall
}
