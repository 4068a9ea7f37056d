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

# proxy-protocol listeners.  The direct cases send PROXY headers (v1
# and v2) from 127.0.0.1, the trusted balancer, with the Python client,
# for the edge cases; the haproxy cases run a real HAProxy (its own
# binary with a configuration made here, in the foreground, stopped by
# pid; never the system's service) in front of pop3d with send-proxy
# and send-proxy-v2, and clients from several 127.x addresses, which
# all reach lo on Linux and play other hosts.  What is checked is that
# the client's address, not the balancer's, is the one every control
# and every log line uses, and that nothing else may name one.

: "${POP3CTL:=/usr/local/sbin/pop3ctl}"
export POP3CTL

p3_load()
{
	. "$(atf_get_srcdir)/../lib/pop3test.sh"
}

# p3_case NAME DESCRIPTION [TIMEOUT]: head and cleanup.
p3_case()
{
	atf_test_case "$1" cleanup
	eval "$1_head() { atf_set descr '$2'; atf_set require.user root; \
	    atf_set timeout ${3:-120}; }"
	eval "$1_cleanup() { p3_load; p3_cleanup; }"
}

px_port()
{
	"${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" port || atf_fail "no free port"
}

# px_setup [STATEMENT...]: a user with the basic Maildir, and pop3d with
# a proxy-protocol listener on P3_PORT and a second one on PX_PORT2,
# trusting 127.0.0.1 only; plaintext-auth from 127.0.0.1 (p3_conf).
px_setup()
{
	p3_load
	p3_init
	p3_useradd
	p3_maildir basic
	PX_PORT2=$(px_port)
	export PX_PORT2
	P3_LISTEN_OPTS="proxy-protocol"
	p3_ctl_conf "listen on 127.0.0.1 port ${PX_PORT2} proxy-protocol" \
	    "trusted-proxy 127.0.0.1" "$@"
	p3_start
}

# px_haproxy NAME:BACKEND_PORT[,PORT...]:SERVER_OPTIONS...: haproxy in
# TCP mode, one listen section per argument on a free port of its own,
# exported as PX_NAME, relaying to 127.0.0.1 port BACKEND_PORT (to each
# port in turn, round robin, when there are several) with the server
# options (send-proxy, send-proxy-v2).  Runs in the foreground (-db) in
# the background of this shell; its pid goes to the cleanup's list.
px_haproxy()
{
	command -v haproxy >/dev/null 2>&1 ||
	    atf_fail "no haproxy; regress/deps.sh installs it"
	_cfg=${P3_DIR}/haproxy.cfg
	printf '%s\n' "global" "	maxconn 256" "defaults" "	mode tcp" \
	    "	timeout connect 10s" "	timeout client 120s" \
	    "	timeout server 120s" >"${_cfg}"
	_fronts=
	for _spec in "$@"; do
		_name=${_spec%%:*}
		_rest=${_spec#*:}
		_back=${_rest%%:*}
		_opts=${_rest#*:}
		_front=$(px_port)
		printf '%s\n' "listen ${_name}" "	bind 127.0.0.1:${_front}" \
		    "	balance roundrobin" >>"${_cfg}"
		_n=0
		for _port in $(echo "${_back}" | tr ',' ' '); do
			_n=$((_n + 1))
			printf '	server s%d 127.0.0.1:%s %s\n' "${_n}" \
			    "${_port}" "${_opts}" >>"${_cfg}"
		done
		eval "PX_${_name}=${_front}; export PX_${_name}"
		_fronts="${_fronts} ${_front}"
	done
	haproxy -c -f "${_cfg}" >"${P3_DIR}/haproxy.check" 2>&1 || {
		cat "${_cfg}" "${P3_DIR}/haproxy.check" >&2
		atf_fail "haproxy rejects its configuration"
	}
	haproxy -db -f "${_cfg}" >>"${P3_DIR}/haproxy.log" 2>&1 </dev/null &
	PX_HAPROXY_PID=$!
	echo "${PX_HAPROXY_PID}" >>"${P3_WORK}/pids"
	for _front in ${_fronts}; do
		"${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" wait "${_front}" 10 \
		    "${PX_HAPROXY_PID}" || {
			cat "${P3_DIR}/haproxy.log" >&2
			atf_fail "haproxy does not listen on port ${_front}"
		}
	done
}

px_haproxy_stop()
{
	kill -TERM "${PX_HAPROXY_PID}" 2>/dev/null
	wait "${PX_HAPROXY_PID}" 2>/dev/null
}

# ---------------------------------------------------------------------------
# Headers sent directly from 127.0.0.1

p3_case direct_valid "v1 and v2 headers for IPv4 and IPv6, LOCAL, UNKNOWN, TLVs, a header in pieces and one with a command after it: each greeted under the address it names"
direct_valid_body()
{
	px_setup
	p3_py <<'EOF'
from pop3test import *
from proxyhdr import *
E = TestEnv()
def seen(addr, port, extra=""):
    wait_log(E.log, r"^%s:%d: connection on 127\.0\.0\.1 port %d via "
        r"proxy 127\.0\.0\.1:\d+%s$" % (re.escape(addr), port, E.port,
        re.escape(extra)))
def main():
    cases = [
        (v1("192.0.2.10", 1001), "192.0.2.10", 1001),
        (v1("2001:db8::10", 1002), "2001:db8::10", 1002),
        (v2("192.0.2.11", 1003), "192.0.2.11", 1003),
        (v2("2001:db8::11", 1004), "2001:db8::11", 1004),
        (v2("192.0.2.12", 1005, tlvs=tlv(1, b"pop3") +
            tlv(2, b"mail.example.org") + tlv(4, b"\0" * 40)),
            "192.0.2.12", 1005),
    ]
    for hdr, addr, port in cases:
        p = proxied(E.port, hdr)
        check(p.greeting.startswith("+OK"), "greeting %r" % p.greeting)
        seen(addr, port)
        wait_log(E.log, r"auth: session \d+ \[%s\]: new$" % re.escape(addr))
        quit_ok(p)
    # LOCAL and UNKNOWN: the balancer's own address stands.
    for hdr in (v2_local(), v1_unknown()):
        p = proxied(E.port, hdr)
        seen("127.0.0.1", p.local_port(),
            " (no client address in the header)")
        quit_ok(p)
    # A byte at a time: the session waits for the rest.
    p = POP3(E.port, greet=False)
    for b in v2("192.0.2.13", 1006):
        p.sendraw(bytes([b]))
        time.sleep(0.01)
    p.greeting = p.reply()
    check(p.greeting.startswith("+OK"), "greeting %r" % p.greeting)
    seen("192.0.2.13", 1006)
    quit_ok(p)
    # The header and a command in one segment: the command is the
    # client's, read after the greeting, not eaten with the header.
    for hdr in (v1("192.0.2.14", 1007), v2("192.0.2.15", 1008)):
        p = POP3(E.port, greet=False)
        p.sendraw(hdr + b"CAPA\r\n")
        p.greeting = p.reply()
        check(p.greeting.startswith("+OK"), "greeting %r" % p.greeting)
        r = p.reply()
        check(r.startswith("+OK"), "CAPA after the header: %r" % r)
        p.block()
        quit_ok(p)
run(main)
EOF
	p3_stop
}

p3_case direct_refused "garbage, truncated, oversized and unsupported headers, an untrusted peer and a header that never comes: closed without a byte, and logged"
direct_refused_body()
{
	px_setup
	p3_py <<'EOF'
import struct
from pop3test import *
from proxyhdr import *
E = TestEnv()
def refused(hdr, why):
    got = refused_after(E.port, hdr)
    check(got == b"", "%r: answered %r" % (hdr[:40], got))
    wait_log(E.log, r"^session: 127\.0\.0\.1:\d+: PROXY header refused: "
        + re.escape(why) + "$")
def main():
    refused(b"GET / HTTP/1.0\r\n\r\n", "not a PROXY protocol header")
    refused(b"USER alice\r\n", "not a PROXY protocol header")
    refused(b"PROXY TCP4 192.0.2.1 192.0.2.2 1 2 3\r\n",
        "v1 header with the wrong number of fields")
    refused(b"PROXY TCP4 example.org 192.0.2.2 1 2\r\n",
        "v1 address or port invalid")
    refused(b"PROXY UNKNOWN " + b"x" * 100 + b"\r\n",
        "v1 header over 107 bytes")
    refused(V2SIG + bytes([0x21, 0x11]) + struct.pack("!H", 1025) +
        b"\0" * 1025, "v2 header over the length limit")
    refused(v2("", 0, fam=0x00, block=b""),
        "v2 PROXY without a client address")
    refused(v2("", 0, fam=0x31, block=b"a" * 216),
        "v2 header for a UNIX socket")
    refused(v2("", 0, fam=0x12, block=b"\0" * 12), "v2 header for UDP")
    refused(V2SIG[:-1] + b"X" + bytes([0x21, 0x11, 0, 12]) + b"\0" * 12,
        "not a PROXY protocol header")
    refused(V2SIG + bytes([0x31, 0x11, 0, 12]) + b"\0" * 12,
        "v2 header of another version")
    # Cut short, then closed by the balancer.
    refused(v1("192.0.2.1", 5)[:20], "closed before the header was "
        "complete")
    refused(v2("192.0.2.1", 5)[:20], "closed before the header was "
        "complete")
    # A header that never ends: after PROXY_HEADER_TIMEOUT (5 s) the
    # session gives up and closes, without a byte.
    s = socket.create_connection((HOST, E.port), timeout=30)
    s.sendall(b"PROXY TCP4 192.0.2.1")
    try:
        got = s.recv(100)
    except ConnectionResetError:
        got = b""
    s.close()
    check(got == b"", "a header that never ends: answered %r" % got)
    wait_log(E.log, r"^session: 127\.0\.0\.1:\d+: PROXY header refused: "
        r"no complete header in time$")
    # A peer that is no trusted-proxy may not even send one.
    expect_refused(E.port, "127.0.0.2", what="untrusted peer")
    s = socket.create_connection((HOST, E.port), timeout=10,
        source_address=("127.0.0.3", 0))
    try:
        s.sendall(v1("192.0.2.99", 7))
        got = s.recv(100)
    except (ConnectionResetError, BrokenPipeError):
        got = b""
    s.close()
    check(got == b"", "untrusted peer with a header: answered %r" % got)
    wait_log(E.log, r"^127\.0\.0\.2: refused: not a trusted proxy$")
    wait_log(E.log, r"^127\.0\.0\.3: refused: not a trusted proxy$")
    check(not log_lines(E.log, r"192\.0\.2\.99"),
        "an untrusted peer's header was read")
    # The daemon serves on.
    quit_ok(proxied(E.port, v1("192.0.2.3", 9)))
run(main)
EOF
	p3_stop
}

p3_case direct_controls "access lists, the per-source limit, penalties and plaintext-auth from judge the address of the header, before the greeting, not the balancer"
direct_controls_body()
{
	px_setup "deny 192.0.2.66" "max-sessions-per-source 2" \
	    "penalty failures 1 time 60 max 60" "plaintext-auth from 192.0.2.40"
	p3_py <<'EOF'
from pop3test import *
from proxyhdr import *
E = TestEnv()
def main():
    # deny: the client is refused before any byte, the balancer is not.
    for hdr in (v1("192.0.2.66", 1), v2("192.0.2.66", 2)):
        got = refused_after(E.port, hdr)
        check(got == b"", "denied client answered %r" % got)
    wait_log(E.log, r"^192\.0\.2\.66: refused: access list$")
    check(not log_lines(E.log, r"^192\.0\.2\.66:\d+: connection on"),
        "a denied client got a session")
    # Two sessions of 192.0.2.20, the limit; a third is refused, another
    # client from the same balancer is not.
    a = proxied(E.port, v1("192.0.2.20", 1))
    b = proxied(E.port, v2("192.0.2.20", 2))
    got = refused_after(E.port, v1("192.0.2.20", 3))
    check(got == b"", "third session of one source answered %r" % got)
    wait_log(E.log, r"^192\.0\.2\.20: refused: 2 sessions from this "
        r"source, the maximum$")
    c = proxied(E.port, v1("192.0.2.21", 4))
    for p in (a, b, c):
        quit_ok(p)
    # plaintext-auth from names the client's network: 192.0.2.40 may
    # send its password in the clear, 192.0.2.41 may not, though the
    # balancer, 127.0.0.1, is listed too.
    p = proxied(E.port, v1("192.0.2.41", 5))
    names, lines = p.capa()
    check("USER" not in names, "CAPA for 192.0.2.41 lists USER")
    p.err("USER %s" % E.user, "AUTH")
    p.close()
    p = proxied(E.port, v2("192.0.2.40", 6))
    names, lines = p.capa()
    check("USER" in names, "CAPA for 192.0.2.40 lacks USER")
    # A wrong password: the penalty falls on 192.0.2.40 alone.
    p.ok("USER %s" % E.user)
    p.err("PASS wrong-%s" % E.pw)
    p.close()
    wait_log(E.log, r"^192\.0\.2\.40: authentication failed$")
    deadline = time.monotonic() + 10
    while refused_after(E.port, v1("192.0.2.40", 7)) != b"":
        # Served: the failure is not counted yet.
        check(time.monotonic() < deadline, "no penalty for 192.0.2.40")
        time.sleep(0.2)
    wait_log(E.log, r"^192\.0\.2\.40: refused: penalty, \d+ seconds left$")
    quit_ok(proxied(E.port, v1("192.0.2.41", 8)))
    # The balancer's own address (a LOCAL header) logs in: it was never
    # charged.
    p = proxied(E.port, v2_local())
    p.login(E.user, E.pw)
    quit_ok(p)
run(main)
EOF
	p3_stop
}

p3_case direct_reload "a reload changes the trusted-proxy networks and the proxy-protocol option of a listener for new connections"
direct_reload_body()
{
	px_setup
	# Trust moves from 127.0.0.1 to 127.0.0.2; the second listener
	# speaks plain POP3 from now on.
	sed -i "s/^trusted-proxy 127\.0\.0\.1\$/trusted-proxy 127.0.0.2/;
	    s/^\(listen on 127\.0\.0\.1 port ${PX_PORT2}\) proxy-protocol\$/\1/" \
	    "${P3_CONF}"
	grep -q '^trusted-proxy 127\.0\.0\.2$' "${P3_CONF}" &&
	    grep -q "^listen on 127\.0\.0\.1 port ${PX_PORT2}\$" "${P3_CONF}" ||
	    atf_fail "the configuration was not rewritten"
	p3_ctl reload >"${P3_DIR}/reload.out" 2>&1 || {
		cat "${P3_DIR}/reload.out" >&2
		p3_failure "pop3ctl reload failed"
	}
	p3_py <<'EOF'
from pop3test import *
from proxyhdr import *
E = TestEnv()
def main():
    wait_log(E.log, r"^configuration reloaded$")
    expect_refused(E.port, "127.0.0.1", what="no longer trusted")
    wait_log(E.log, r"^127\.0\.0\.1: refused: not a trusted proxy$")
    p = proxied(E.port, v1("192.0.2.50", 11), source="127.0.0.2")
    check(p.greeting.startswith("+OK"), "greeting %r" % p.greeting)
    wait_log(E.log, r"^192\.0\.2\.50:11: connection on 127\.0\.0\.1 "
        r"port %d via proxy 127\.0\.0\.2:\d+$" % E.port)
    quit_ok(p)
    expect_served(int(os.environ["PX_PORT2"]), "127.0.0.3",
        what="a listener without proxy-protocol now")
run(main)
EOF
	p3_stop
}

# ---------------------------------------------------------------------------
# Through HAProxy

p3_case haproxy_clients "clients from several 127.x addresses through HAProxy send-proxy and send-proxy-v2: the log, pop3d-auth, pop3ctl show sessions and the plaintext policy see each real address"
haproxy_clients_body()
{
	px_setup
	px_haproxy "v1:${P3_PORT}:send-proxy" "v2:${PX_PORT2}:send-proxy-v2"
	p3_py <<'EOF'
import subprocess
from pop3test import *
E = TestEnv()
ctl = [os.environ["POP3CTL"], "-s", os.environ["P3_CTL"]]
def main():
    fronts = ((int(os.environ["PX_v1"]), E.port),
        (int(os.environ["PX_v2"]), int(os.environ["PX_PORT2"])))
    held = []
    for front, backend in fronts:
        for src in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
            p = POP3(front, source=src, tag=src + " ")
            wait_log(E.log, r"^%s:%d: connection on 127\.0\.0\.1 port %d "
                r"via proxy 127\.0\.0\.1:\d+$" % (re.escape(src),
                p.local_port(), backend))
            wait_log(E.log, r"auth: session \d+ \[%s\]: new$" %
                re.escape(src))
            # Passwords in the clear: refused for 127.0.0.2-4 though
            # the balancer is 127.0.0.1, which may.
            p.err("USER %s" % E.user, "AUTH")
            held.append((src, p))
    out = subprocess.run(ctl + ["show", "sessions"], capture_output=True,
        text=True, timeout=30).stdout
    log(out)
    for src, p in held:
        check(re.search(r"^[0-9a-f]{8}  %s:%d +- +auth +\d+s$" %
            (re.escape(src), p.local_port()), out, re.M),
            "show sessions lacks %s:%d" % (src, p.local_port()))
        p.close()
    # 127.0.0.1 through the balancer logs in, under its own port.
    for front, backend in fronts:
        p = POP3(front, source="127.0.0.1")
        p.login(E.user, E.pw)
        p.stat()
        wait_log(E.log, r"^127\.0\.0\.1:%d: login user %s method pass "
            r"tls no$" % (p.local_port(), re.escape(E.user)))
        quit_ok(p)
run(main)
EOF
	px_haproxy_stop
	p3_stop
}

p3_case haproxy_deny "a deny of one client address through HAProxy refuses that client only, before the greeting, on v1 and v2"
haproxy_deny_body()
{
	px_setup "deny 127.0.0.3"
	px_haproxy "v1:${P3_PORT}:send-proxy" "v2:${PX_PORT2}:send-proxy-v2"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    for front in (int(os.environ["PX_v1"]), int(os.environ["PX_v2"])):
        expect_refused(front, "127.0.0.3", what="denied client")
        expect_served(front, "127.0.0.2", what="another client")
        expect_served(front, "127.0.0.4", what="another client")
    wait_log(E.log, r"^127\.0\.0\.3: refused: access list$")
    check(not log_lines(E.log, r"^127\.0\.0\.3:\d+: connection on"),
        "the denied client got a session")
run(main)
EOF
	px_haproxy_stop
	p3_stop
}

p3_case haproxy_autodeny "auto-deny of one client through HAProxy, a line over 512 characters, refuses that client and leaves the others and the balancer served"
haproxy_autodeny_body()
{
	px_setup "auto-deny yes"
	px_haproxy "v1:${P3_PORT}:send-proxy" "v2:${PX_PORT2}:send-proxy-v2"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    v1, v2 = int(os.environ["PX_v1"]), int(os.environ["PX_v2"])
    p = POP3(v1, source="127.0.0.2")
    p.sendraw(b"X" * 513 + b"\r\n")
    deadline = time.monotonic() + 10
    while True:
        try:
            p.readline(timeout=max(0.1, deadline - time.monotonic()))
        except Closed:
            break
    p.close()
    wait_log(E.log, r"^127\.0\.0\.2: auto-denied: line over 512 "
        r"characters$")
    for front in (v1, v2):
        expect_refused(front, "127.0.0.2", what="auto-denied client")
        expect_served(front, "127.0.0.3", what="another client")
        expect_served(front, "127.0.0.1", what="another client")
    wait_log(E.log, r"^127\.0\.0\.2: refused: auto-deny$")
    check(not log_lines(E.log, r"^127\.0\.0\.1: auto-denied"),
        "the balancer was auto-denied")
    q = POP3(v2, source="127.0.0.1")
    q.login(E.user, E.pw)
    quit_ok(q)
run(main)
EOF
	p3_ctl show autodeny >"${P3_DIR}/show.out" ||
	    p3_failure "pop3ctl show autodeny failed"
	cat "${P3_DIR}/show.out" >&2
	grep -q '^127\.0\.0\.2 ' "${P3_DIR}/show.out" ||
	    p3_failure "show autodeny: no 127.0.0.2"
	grep -q '^127\.0\.0\.1 ' "${P3_DIR}/show.out" &&
	    p3_failure "show autodeny lists the balancer"
	px_haproxy_stop
	p3_stop
}

p3_case haproxy_tls "implicit TLS through HAProxy in TCP mode with send-proxy-v2, and STLS through send-proxy: the TLS session has the real address"
haproxy_tls_body()
{
	p3_load
	p3_init
	p3_useradd
	p3_maildir basic
	p3_tls_cert
	P3_LISTEN_OPTS="proxy-protocol"
	p3_conf_tls "trusted-proxy 127.0.0.1"
	sed -i "s/^listen on 127.0.0.1 port ${P3_TLSPORT} tls\$/& proxy-protocol/" \
	    "${P3_CONF}"
	grep -q "port ${P3_TLSPORT} tls proxy-protocol" "${P3_CONF}" ||
	    atf_fail "no proxy-protocol TLS listener in ${P3_CONF}"
	p3_start
	px_haproxy "tls:${P3_TLSPORT}:send-proxy-v2" "v1:${P3_PORT}:send-proxy"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = POP3(int(os.environ["PX_tls"]), source="127.0.0.2", tls=E.ctx())
    check(p.is_tls(), "no TLS through the balancer")
    wait_log(E.log, r"^127\.0\.0\.2:%d: connection on 127\.0\.0\.1 port "
        r"%d via proxy 127\.0\.0\.1:\d+$" % (p.local_port(), E.tlsport))
    p.login(E.user, E.pw)
    p.stat()
    wait_log(E.log, r"^127\.0\.0\.2:%d: login user %s method pass tls "
        r"yes$" % (p.local_port(), re.escape(E.user)))
    quit_ok(p)
    # STLS: the plain session hands the client to a TLS one, which
    # keeps the address of the header.
    q = POP3(int(os.environ["PX_v1"]), source="127.0.0.3")
    q.err("USER %s" % E.user, "AUTH")
    q.starttls(E.ctx())
    q.login(E.user, E.pw)
    q.stat()
    wait_log(E.log, r"^127\.0\.0\.3:%d: login user %s method pass tls "
        r"yes$" % (q.local_port(), re.escape(E.user)))
    quit_ok(q)
run(main)
EOF
	px_haproxy_stop
	p3_stop
}

p3_case haproxy_two_nodes "HAProxy balancing clients over two pop3d instances with send-proxy and send-proxy-v2: each node serves and logs the real client addresses, and a runtime deny on both refuses one client only"
haproxy_two_nodes_body()
{
	px_setup "plaintext-auth from 127.0.0.0/24"
	# Node B: node A's configuration with a port, control socket and
	# log of its own, and without A's second listener.
	PX_PORTB=$(px_port)
	PX_LOGB=${P3_DIR}/log.b
	PX_CTLB=${P3_DIR}/ctl.b.sock
	export PX_PORTB PX_LOGB PX_CTLB
	sed -e "s/^listen on 127\.0\.0\.1 port ${P3_PORT} /listen on 127.0.0.1 port ${PX_PORTB} /" \
	    -e "/port ${PX_PORT2} /d" \
	    -e "s|^control socket .*|control socket \"${PX_CTLB}\"|" \
	    "${P3_CONF}" >"${P3_DIR}/pop3d.b.conf"
	"${POP3D}" -d -f "${P3_DIR}/pop3d.b.conf" >"${PX_LOGB}" 2>&1 </dev/null &
	PX_PIDB=$!
	echo "${PX_PIDB}" >>"${P3_WORK}/pids"
	"${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" wait "${PX_PORTB}" 10 \
	    "${PX_PIDB}" || {
		cat "${PX_LOGB}" >&2
		p3_failure "node B did not accept on port ${PX_PORTB}"
	}
	px_haproxy "v1:${P3_PORT},${PX_PORTB}:send-proxy" \
	    "v2:${P3_PORT},${PX_PORTB}:send-proxy-v2"
	p3_py <<'EOF'
import subprocess
from pop3test import *
E = TestEnv()
LOGB = os.environ["PX_LOGB"]
CTLS = (os.environ["P3_CTL"], os.environ["PX_CTLB"])

def node_of(src, port):
    """The one node whose log has the login of src:port."""
    pat = r"^%s:%d: login user %s method pass tls no$" % (re.escape(src),
        port, re.escape(E.user))
    deadline = time.monotonic() + 10
    while True:
        a, b = log_lines(E.log, pat), log_lines(LOGB, pat)
        if a or b:
            check(len(a) + len(b) == 1, "login of %s:%d logged %d times "
                "on A and %d on B" % (src, port, len(a), len(b)))
            return "a" if a else "b"
        check(time.monotonic() < deadline, "no node logged the login of "
            "%s:%d" % (src, port))
        time.sleep(0.1)

def main():
    fronts = (int(os.environ["PX_v1"]), int(os.environ["PX_v2"]))
    served = {"a": set(), "b": set()}
    for front in fronts:
        for i in range(2, 8):
            src = "127.0.0.%d" % i
            p = POP3(front, source=src)
            p.login(E.user, E.pw)
            p.stat()
            port = p.local_port()
            quit_ok(p)
            served[node_of(src, port)].add((front, src))
    log("node A served %s; node B %s" % (sorted(served["a"]),
        sorted(served["b"])))
    for front in fronts:
        for n in ("a", "b"):
            check(any(f == front for f, s in served[n]), "the balancer "
                "on port %d sent no client to node %s" % (front, n))
    for ctl in CTLS:
        subprocess.run([os.environ["POP3CTL"], "-s", ctl, "access", "deny",
            "127.0.0.5", "reason", "abuse"], check=True, timeout=30,
            capture_output=True)
    # Round robin: four tries a front reach both nodes.
    for front in fronts:
        for i in range(4):
            expect_refused(front, "127.0.0.5", what="denied on both nodes")
            expect_served(front, "127.0.0.6", what="another client")
run(main)
EOF
	px_haproxy_stop
	kill -TERM "${PX_PIDB}" 2>/dev/null
	wait "${PX_PIDB}" 2>/dev/null
	p3_stop
}

atf_init_test_cases()
{
	for t in direct_valid direct_refused direct_controls direct_reload \
	    haproxy_clients haproxy_deny haproxy_autodeny haproxy_tls \
	    haproxy_two_nodes; do
		atf_add_test_case "$t"
	done
}
