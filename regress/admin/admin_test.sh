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

# The administrator's controls against the running daemon: access lists
# (grant and deny modes, addresses, prefixes, dotted masks, IPv4 and
# IPv6), reload without dropping sessions, auto-deny, connection limits,
# the login grace time against a slow client, per-source penalties, the
# log (file, rotation, no secrets), and every pop3ctl command, root only.
#
# All of 127.0.0.0/8 reaches lo on Linux: a client bound to 127.0.0.2,
# 127.0.0.3 ... plays another host.  Every daemon has its control socket
# in its test directory.

: "${POP3CTL:=/usr/local/sbin/pop3ctl}"
export POP3CTL

p3_load()
{
	. "$(atf_get_srcdir)/../lib/pop3test.sh"
	P3_HEADER=$(atf_get_srcdir)/../../lib/proto.h
	export P3_HEADER
}

# p3_case NAME DESCRIPTION [TIMEOUT]: head and cleanup.
p3_case()
{
	atf_test_case "$1" cleanup
	eval "$1_head() { atf_set descr '$2'; atf_set require.user root; \
	    atf_set timeout ${3:-90}; }"
	eval "$1_cleanup() { p3_load; p3_cleanup; }"
}

# p3_setup [STATEMENT...]: a user with the basic Maildir and a daemon in
# the foreground (-d, its log in P3_LOG) with a control socket.
p3_setup()
{
	p3_load
	p3_init
	[ -x "${POP3CTL}" ] || atf_fail "no pop3ctl at ${POP3CTL}"
	p3_useradd
	p3_maildir basic
	p3_ctl_conf "$@"
	p3_start
}

# p3_need_ipv6: skip the case when lo has no ::1.
p3_need_ipv6()
{
	"${P3_PYTHON}" -c 'import pop3test, sys
sys.exit(0 if pop3test.have_ipv6() else 1)' ||
	    atf_skip "no IPv6 on the loopback interface"
}

# p3_reload: pop3ctl reload must succeed.
p3_reload()
{
	p3_ctl reload >"${P3_DIR}/reload.out" 2>&1 || {
		cat "${P3_DIR}/reload.out" >&2
		p3_failure "pop3ctl reload failed"
	}
}

# p3_set_conf STATEMENT...: rewrite P3_CONF for the same port and socket.
p3_set_conf()
{
	_port=${P3_PORT}
	{
		echo "listen on 127.0.0.1 port ${_port}"
		echo "users system"
		echo "debug yes"
		echo 'maildrop maildir "~/Maildir"'
		echo "control socket \"${P3_CTL}\""
		for l in "$@"; do
			echo "$l"
		done
		echo "plaintext-auth from 127.0.0.1"
		echo "plaintext-auth from ::1"
	} >"${P3_CONF}"
}

# p3_access_row ORIGIN ACTION NETWORK EXPIRES REASON: a line of pop3ctl
# show access.
p3_access_row()
{
	printf '%-9s  %-6s  %-18s  %-8s  %s\n' "$@"
}

p3_case grant_mode "access default grant with deny rules: single addresses, prefixes and dotted masks"
grant_mode_body()
{
	p3_setup "access default grant" "deny 127.0.0.2" \
	    "deny 127.0.3.0/24" "deny 127.0.4.0/255.255.255.0" \
	    "deny 127.0.5.128/25"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    for src in ("127.0.0.1", "127.0.0.3", "127.0.2.9", "127.0.5.127",
            "127.0.6.1"):
        expect_served(E.port, src)
    for src in ("127.0.0.2", "127.0.3.1", "127.0.3.254", "127.0.4.77",
            "127.0.5.128", "127.0.5.255"):
        expect_refused(E.port, src)
    # A refused peer costs no session: the next client logs in.
    p = E.login(source="127.0.0.1")
    quit_ok(p)
    wait_log(E.log, r"^127\.0\.0\.2: refused: access list$")
    wait_log(E.log, r"^127\.0\.4\.77: refused: access list$")
    check(not log_lines(E.log, r"127\.0\.0\.2:\d+: connection on"),
        "a refused peer got a session")
run(main)
EOF
}

p3_case deny_mode "access default deny with grant rules admits only the listed peers"
deny_mode_body()
{
	p3_setup "access default deny" "grant 127.0.0.1" \
	    "grant 127.0.2.0/24" "grant 127.0.3.0/255.255.255.128"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    for src in ("127.0.0.1", "127.0.2.1", "127.0.2.254", "127.0.3.0",
            "127.0.3.127"):
        expect_served(E.port, src)
    for src in ("127.0.0.2", "127.0.1.1", "127.0.3.128", "127.0.3.200",
            "127.1.2.1"):
        expect_refused(E.port, src)
    quit_ok(E.login(source="127.0.0.1"))
run(main)
EOF
}

p3_case ipv6 "IPv6 peers against IPv6 rules in both modes; an IPv4-mapped rule matches the IPv4 peer"
ipv6_body()
{
	p3_load
	p3_init
	p3_need_ipv6
	p3_useradd
	p3_maildir basic
	p3_ctl_conf "access default deny" "grant ::1" "grant 127.0.0.1"
	echo "listen on ::1 port ${P3_PORT}" >>"${P3_CONF}"
	p3_start
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    expect_served(E.port, "::1", "::1")
    expect_served(E.port, "127.0.0.1")
    expect_refused(E.port, "127.0.0.2")
run(main)
EOF
	p3_set_conf "access default deny" "grant 127.0.0.0/8"
	echo "listen on ::1 port ${P3_PORT}" >>"${P3_CONF}"
	p3_reload
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    expect_refused(E.port, "::1", "::1", "no IPv6 rule in deny mode")
    expect_served(E.port, "127.0.0.2")
run(main)
EOF
	p3_set_conf "access default grant" "deny ::1/128" \
	    "deny ::ffff:127.0.0.9"
	echo "listen on ::1 port ${P3_PORT}" >>"${P3_CONF}"
	p3_reload
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    expect_refused(E.port, "::1", "::1")
    expect_refused(E.port, "127.0.0.9", what="rule ::ffff:127.0.0.9")
    expect_served(E.port, "127.0.0.8")
    wait_log(E.log, r"^::1: refused: access list$")
run(main)
EOF
}

p3_case reload_keeps_sessions "A reload (pop3ctl and SIGHUP) swaps the lists; a logged-in session of a newly denied peer goes on"
reload_keeps_sessions_body()
{
	p3_setup "plaintext-auth yes" "access default grant"
	cat >"${P3_DIR}/live.py" <<'EOF'
import os, sys, time
from pop3test import *
E = TestEnv()
def main():
    p = E.login(source="127.0.0.2")
    n, size = p.stat()
    open(E.dir + "/live.ready", "w").close()
    deadline = time.monotonic() + 30
    while not os.path.exists(E.dir + "/live.go"):
        check(time.monotonic() < deadline, "never told to go on")
        time.sleep(0.1)
    # The session outlived both reloads.
    check(p.stat() == (n, size), "STAT changed")
    p.retr(1)
    quit_ok(p)
run(main)
EOF
	"${P3_PYTHON}" "${P3_DIR}/live.py" 2>"${P3_DIR}/live.err" &
	live=$!
	i=0
	while [ ! -f "${P3_DIR}/live.ready" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -f "${P3_DIR}/live.ready" ] || {
		cat "${P3_DIR}/live.err" >&2
		p3_failure "the live session did not log in"
	}
	p3_set_conf "plaintext-auth yes" "access default grant" \
	    "deny 127.0.0.2"
	p3_reload
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    expect_refused(E.port, "127.0.0.2", what="after pop3ctl reload")
    expect_served(E.port, "127.0.0.3")
run(main)
EOF
	p3_set_conf "plaintext-auth yes" "access default grant" \
	    "deny 127.0.0.3" 'banner "Reloaded banner"'
	kill -HUP "${P3_PID}"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    wait_log(E.log, r"^configuration reloaded$", count=2)
    expect_refused(E.port, "127.0.0.3", what="after SIGHUP")
    expect_served(E.port, "127.0.0.2", what="after SIGHUP")
    g = first_line(E.port, "127.0.0.4")
    check(g is not None and g.startswith("+OK Reloaded banner"),
        "greeting after a reload with a new banner: %s" % short(g))
run(main)
EOF
	touch "${P3_DIR}/live.go"
	wait ${live}
	rc=$?
	cat "${P3_DIR}/live.err" >&2
	[ ${rc} -eq 0 ] || p3_failure "the session across the reloads failed"
}

p3_case reload_broken "pop3ctl reload of a config with errors says why, exits 1 and keeps the old config"
reload_broken_body()
{
	p3_setup "access default grant" "deny 127.0.0.2"
	p3_set_conf "access default grant" "deny 127.0.0.3" "bogus yes"
	p3_ctl reload >"${P3_DIR}/reload.out" 2>&1 &&
	    p3_failure "pop3ctl reload of a broken config exited 0"
	cat "${P3_DIR}/reload.out" >&2
	grep -q "pop3d.conf:8: " "${P3_DIR}/reload.out" ||
	    p3_failure "pop3ctl did not name the line with the error"
	grep -q "^pop3ctl: reload failed" "${P3_DIR}/reload.out" ||
	    p3_failure "pop3ctl did not say that the reload failed"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    expect_refused(E.port, "127.0.0.2", what="old rule kept")
    expect_served(E.port, "127.0.0.3", what="new rule not applied")
    wait_log(E.log, r"^reload failed")
run(main)
EOF
}

p3_case autodeny "auto-deny: a 513-character line lists the address until pop3ctl clears it or pop3d restarts; 512 does not"
autodeny_body()
{
	p3_setup "auto-deny yes"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = POP3(E.port, source="127.0.0.2")
    p.sendraw(b"X" * 513 + b"\r\n")
    # The session may say -ERR first; it must close.
    deadline = time.monotonic() + 5
    while True:
        try:
            p.readline(timeout=max(0.1, deadline - time.monotonic()))
        except Closed:
            break
    p.close()
    wait_log(E.log, r"^127\.0\.0\.2: auto-denied: line over 512 "
        r"characters$")
    expect_refused(E.port, "127.0.0.2", what="auto-denied address")
    wait_log(E.log, r"^127\.0\.0\.2: refused: auto-deny$")
    # 512 characters: too long for a command, not an attack.
    p = POP3(E.port, source="127.0.0.3")
    p.sendraw(b"Y" * 512 + b"\r\n")
    r = p.reply()
    check(r.startswith("-ERR"), "512-character line: %s" % short(r))
    p.close()
    expect_served(E.port, "127.0.0.3", what="after a 512-character line")
    expect_served(E.port, "127.0.0.1", what="another address")
    quit_ok(E.login(source="127.0.0.1"))
run(main)
EOF
	p3_ctl show autodeny >"${P3_DIR}/show.out" ||
	    p3_failure "pop3ctl show autodeny failed"
	cat "${P3_DIR}/show.out" >&2
	grep -Eq '^127\.0\.0\.2 +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} +line over 512 characters$' \
	    "${P3_DIR}/show.out" || p3_failure "show autodeny: no 127.0.0.2"
	grep -q '^127\.0\.0\.3 ' "${P3_DIR}/show.out" &&
	    p3_failure "show autodeny lists 127.0.0.3"
	p3_ctl autodeny clear 127.0.0.2 ||
	    p3_failure "pop3ctl autodeny clear 127.0.0.2 failed"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    expect_served(E.port, "127.0.0.2", what="after autodeny clear")
    # Listed again, then gone after a restart.
    p = POP3(E.port, source="127.0.0.4")
    p.sendraw(b"Z" * 600 + b"\r\n")
    p.close()
    wait_log(E.log, r"^127\.0\.0\.4: auto-denied: ")
    expect_refused(E.port, "127.0.0.4")
run(main)
EOF
	p3_stop
	p3_start
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    expect_served(E.port, "127.0.0.4", what="after a restart")
run(main)
EOF
}

p3_case autodeny_off "auto-deny no: a long line lists nothing"
autodeny_off_body()
{
	p3_setup "auto-deny no"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = POP3(E.port, source="127.0.0.2")
    p.sendraw(b"X" * 700 + b"\r\n")
    try:
        p.readline(timeout=3)
    except Failure:
        pass
    p.close()
    time.sleep(0.5)
    expect_served(E.port, "127.0.0.2")
    check(not log_lines(E.log, r"auto-denied"), "auto-denied with "
        "auto-deny no")
run(main)
EOF
}

p3_case per_source_limit "max-sessions-per-source 10 refuses the 11th concurrent connection of one address only"
per_source_limit_body()
{
	p3_setup "max-sessions-per-source 10" "max-sessions 50" \
	    "session-pool 4"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    held = [POP3(E.port, source="127.0.0.2") for i in range(10)]
    expect_refused(E.port, "127.0.0.2", what="the 11th")
    expect_served(E.port, "127.0.0.3", what="another address")
    wait_log(E.log, r"^127\.0\.0\.2: refused: 10 sessions from this "
        r"source, the maximum$")
    quit_ok(held.pop())
    wait_served(E.port, "127.0.0.2")
    for p in held:
        p.close()
run(main)
EOF
}

p3_case source_prefix "source-prefix inet 8: the session limit, auto-deny and penalties of 127.0.0.2 hold for 127.0.0.3 too, and a reload to it merges the tables; the default /32 keeps them apart"
source_prefix_body()
{
	p3_setup "plaintext-auth yes" "auto-deny yes" \
	    "max-sessions-per-source 2" "penalty failures 2 time 60 max 60"
	cat >"${P3_DIR}/sp.py" <<'EOF'
from pop3test import *
E = TestEnv()
def failures(src, n):
    p = hold(src)
    for i in range(n):
        p.ok("USER %s" % E.user)
        p.err("PASS wrong-%d" % i)
    p.close()
def long_line(src):
    p = hold(src)
    p.sendraw(b"X" * 600 + b"\r\n")
    try:
        while True:
            p.readline(timeout=5)
    except Closed:
        pass
    p.close()
def hold(src):
    # Sessions just ended (the start-up probe, the last step) may
    # count against the source a moment longer.
    deadline = time.monotonic() + 5
    while True:
        try:
            return POP3(E.port, source=src)
        except Exception:
            check(time.monotonic() < deadline, "no session from " + src)
            time.sleep(0.2)
def limit(other, same):
    held = [hold("127.0.0.2") for i in range(2)]
    if same:
        expect_refused(E.port, other, what="limit of the source")
        wait_log(E.log, r"^%s: refused: 2 sessions from this source, "
            r"the maximum$" % re.escape(other))
    else:
        expect_served(E.port, other, what="limit of another source")
    for p in held:
        quit_ok(p)
EOF
	# The default: each IPv4 address is a source of its own.
	p3_py <<'EOF'
import os
exec(open(os.environ["P3_DIR"] + "/sp.py").read())
def main():
    limit("127.0.0.3", False)
    long_line("127.0.0.4")
    wait_log(E.log, r"^127\.0\.0\.4: auto-denied: line over 512 "
        r"characters$")
    expect_refused(E.port, "127.0.0.4", what="auto-denied")
    expect_served(E.port, "127.0.0.5", what="next to an auto-denied one")
    failures("127.0.0.2", 2)
    wait_log(E.log, r"^127\.0\.0\.2: penalty: 2 authentication "
        r"failures, refused for 60 seconds$")
    expect_refused(E.port, "127.0.0.2", what="penalized")
    expect_served(E.port, "127.0.0.3", what="next to a penalized one")
run(main)
EOF
	# A reload to /8 keys both tables by the /8: all of lo is refused.
	p3_set_conf "plaintext-auth yes" "auto-deny yes" \
	    "max-sessions-per-source 2" "penalty failures 2 time 60 max 60" \
	    "source-prefix inet 8"
	p3_reload
	p3_py <<'EOF'
import os
exec(open(os.environ["P3_DIR"] + "/sp.py").read())
def main():
    expect_refused(E.port, "127.0.0.9", what="after the reload to /8")
run(main)
EOF
	p3_ctl show autodeny >"${P3_DIR}/show.out" ||
	    p3_failure "pop3ctl show autodeny failed"
	cat "${P3_DIR}/show.out" >&2
	grep -q '^127\.0\.0\.0/8 ' "${P3_DIR}/show.out" ||
	    p3_failure "show autodeny: no 127.0.0.0/8"
	p3_ctl show access >"${P3_DIR}/access.out" ||
	    p3_failure "pop3ctl show access failed"
	cat "${P3_DIR}/access.out" >&2
	grep -Eq '^penalty +deny +127\.0\.0\.0/8 +[0-9ms]+ +2 authentication failures$' \
	    "${P3_DIR}/access.out" || p3_failure "show access: no /8 penalty"

	# Fresh tables with /8 from the start.
	p3_stop
	p3_start
	p3_py <<'EOF'
import os
exec(open(os.environ["P3_DIR"] + "/sp.py").read())
def main():
    limit("127.0.0.3", True)
    long_line("127.0.0.4")
    wait_log(E.log, r"^127\.0\.0\.4: auto-denied: line over 512 "
        r"characters \(source 127\.0\.0\.0/8\)$")
    expect_refused(E.port, "127.0.0.5", what="auto-denied source")
run(main)
EOF
	# Cleared by any address of the source.
	p3_ctl autodeny clear 127.0.0.6 ||
	    p3_failure "pop3ctl autodeny clear 127.0.0.6 failed"
	p3_py <<'EOF'
import os
exec(open(os.environ["P3_DIR"] + "/sp.py").read())
def main():
    expect_served(E.port, "127.0.0.4", what="after autodeny clear")
    failures("127.0.0.2", 2)
    wait_log(E.log, r"^127\.0\.0\.2: penalty: 2 authentication "
        r"failures, refused for 60 seconds \(source 127\.0\.0\.0/8\)$")
    expect_refused(E.port, "127.0.0.3", what="penalized source")
run(main)
EOF
}

p3_case flood "A flood of connections and of refusals neither stops a normal client nor floods the log"
flood_body()
{
	p3_setup "access default grant" "deny 127.0.0.9" \
	    "max-sessions-per-source 10"
	p3_py <<'EOF'
import socket
from pop3test import *
E = TestEnv()
def hit(src, n):
    for i in range(n):
        s = socket.socket()
        s.bind((src, 0))
        s.settimeout(5)
        try:
            s.connect((HOST, E.port))
        except OSError:
            pass
        s.close()
def main():
    t0 = time.monotonic()
    hit("127.0.0.2", 300)
    hit("127.0.0.9", 500)
    log("-- flood of 800 connections took %.1f s" %
        (time.monotonic() - t0))
    t0 = time.monotonic()
    p = POP3(E.port, source="127.0.0.1", timeout=10)
    p.login(E.user, E.pw)
    p.retr(1)
    quit_ok(p)
    log("-- a normal login after it took %.1f s" % (time.monotonic() - t0))
    n = len(log_lines(E.log, r"^127\.0\.0\.9: refused: access list$"))
    check(1 <= n <= 3, "%d refusal lines for 500 refused connections "
        "in a few seconds, expected one per 10 s" % n)
    wait_log(E.log, r"^\d+ more refusals suppressed$", seconds=15)
run(main)
EOF
}

p3_case slowloris "A client that sends a byte a second is cut at the login grace time" 60
slowloris_body()
{
	p3_setup "timeout login 3" "timeout idle 30"
	p3_py <<'EOF'
import socket
from pop3test import *
E = TestEnv()
def main():
    t0 = time.monotonic()
    p = POP3(E.port, source="127.0.0.2")
    msg = b"USER a-name-typed-a-byte-a-second-that-never-ends"
    i = 0
    while True:
        check(time.monotonic() - t0 < 10, "not cut within 10 s")
        if i < len(msg):
            try:
                p.sock.send(msg[i:i + 1])
            except OSError:
                break
            i += 1
        # The one-second wait between bytes, watching for the close.
        p.sock.settimeout(1)
        try:
            d = p.sock.recv(4096)
        except socket.timeout:
            continue
        except ConnectionResetError:
            break
        if not d:
            break
    dt = time.monotonic() - t0
    log("-- cut after %.1f s, %d bytes sent" % (dt, i))
    check(dt < 7, "cut only after %.1f s with timeout login 3" % dt)
    check(dt >= 2.5, "cut after %.1f s, before the grace time" % dt)
run(main)
EOF
}

p3_case penalty "Authentication failures refuse the address for a time that doubles, then expires"
penalty_body()
{
	p3_setup "plaintext-auth yes" "penalty failures 3 time 2 max 4"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def failures(src, n):
    p = POP3(E.port, source=src)
    for i in range(n):
        p.ok("USER %s" % E.user)
        p.err("PASS wrong-%d" % i)
    p.close()
def main():
    failures("127.0.0.2", 2)
    expect_served(E.port, "127.0.0.2", what="after 2 of 3 failures")
    failures("127.0.0.2", 1)
    wait_log(E.log, r"^127\.0\.0\.2: penalty: 3 authentication failures, "
        r"refused for 2 seconds$")
    t0 = time.monotonic()
    expect_refused(E.port, "127.0.0.2", what="penalized")
    wait_log(E.log, r"^127\.0\.0\.2: refused: penalty")
    expect_served(E.port, "127.0.0.3", what="another address")
    quit_ok(E.login(source="127.0.0.3"))
    wait_served(E.port, "127.0.0.2", seconds=5)
    check(time.monotonic() - t0 < 4, "penalty of 2 s lasted too long")
    # One more failure: twice as long, up to the maximum.
    failures("127.0.0.2", 1)
    wait_log(E.log, r"^127\.0\.0\.2: penalty: 4 authentication failures, "
        r"refused for 4 seconds$")
run(main)
EOF
	p3_ctl show access >"${P3_DIR}/access.out" ||
	    p3_failure "pop3ctl show access failed"
	cat "${P3_DIR}/access.out" >&2
	grep -Eq '^penalty +deny +127\.0\.0\.2 +[1-4]s +4 authentication failures$' \
	    "${P3_DIR}/access.out" || p3_failure "show access: no penalty"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    expect_refused(E.port, "127.0.0.2", what="doubled penalty")
    wait_served(E.port, "127.0.0.2", seconds=6)
run(main)
EOF
}

p3_case log_file "log to file: the lines of a session, rotation on SIGHUP and pop3ctl reload, log to none, no password"
log_file_body()
{
	p3_load
	p3_init
	[ -x "${POP3CTL}" ] || atf_fail "no pop3ctl at ${POP3CTL}"
	p3_useradd
	p3_maildir basic
	P3_FILE=${P3_DIR}/pop3d.log
	export P3_FILE
	p3_ctl_conf "log to file \"${P3_FILE}\"" "access default grant" \
	    "deny 127.0.0.2"
	p3_start_daemon
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
F = os.environ["P3_FILE"]
STAMP = r"^[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d pop3d\[\d+\]: "
def main():
    p = E.login(source="127.0.0.1")
    port = p.local_port()
    p.retr(1)
    quit_ok(p)
    expect_refused(E.port, "127.0.0.2")
    wait_log(F, STAMP + r"127\.0\.0\.1:%d: connection on 127\.0\.0\.1 "
        r"port %d$" % (port, E.port))
    wait_log(F, STAMP + r"127\.0\.0\.1:%d: login user %s method pass tls no$" %
        (port, E.user))
    wait_log(F, STAMP + r"127\.0\.0\.1:%d: logout user %s: retrieved 1 "
        r"messages \(\d+ octets\), deleted 0 messages \(0 octets\), quit$" %
        (port, E.user))
    wait_log(F, STAMP + r"127\.0\.0\.2: refused: access list$")
    # Debug traces are on (p3_conf says debug yes); never the password.
    wait_log(F, r"> \+OK")
    check(not log_lines(F, re.escape(E.pw)), "the password is in the log")
run(main)
EOF
	mv "${P3_FILE}" "${P3_FILE}.0"
	kill -HUP "${P3_PID}"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
F = os.environ["P3_FILE"]
def main():
    wait_log(F, r"configuration reloaded$")
    quit_ok(E.connect(source="127.0.0.1"))
    wait_log(F, r"127\.0\.0\.1:\d+: connection on ")
    n = len(log_lines(F + ".0", r""))
    quit_ok(E.connect(source="127.0.0.1"))
    wait_log(F, r"127\.0\.0\.1:\d+: connection on ", count=2)
    check(len(log_lines(F + ".0", r"")) == n, "the rotated file still "
        "grows after SIGHUP")
run(main)
EOF
	mv "${P3_FILE}" "${P3_FILE}.1"
	p3_reload
	test -s "${P3_FILE}" || p3_failure "pop3ctl reload did not reopen"
	sed -i "s|^log to file .*|log to none|" "${P3_CONF}"
	p3_reload
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
F = os.environ["P3_FILE"]
def main():
    n = len(log_lines(F, r""))
    quit_ok(E.connect(source="127.0.0.1"))
    time.sleep(1)
    check(len(log_lines(F, r"")) == n, "log to none still writes")
run(main)
EOF
}

p3_case debug_no_secrets "debug yes traces commands but never the password"
debug_no_secrets_body()
{
	p3_setup
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = E.connect(source="127.0.0.1")
    p.ok("USER %s" % E.user)
    p.err("PASS not-%s" % E.pw)
    p.login(E.user, E.pw)
    p.stat()
    quit_ok(p)
    wait_log(E.log, r"STAT")
    check(not log_lines(E.log, re.escape(E.pw)), "a password is in the "
        "debug trace")
run(main)
EOF
}

p3_case pop3ctl_commands "Every pop3ctl command against the daemon, and its errors"
pop3ctl_commands_body()
{
	p3_setup "access default grant" "deny 127.0.0.2" "deny 10.0.0.0/8" \
	    "auto-deny yes"
	cat >"${P3_DIR}/hold.py" <<'EOF'
import os, time
from pop3test import *
E = TestEnv()
def main():
    p = E.login(source="127.0.0.1")
    q = E.connect(source="127.0.0.3")
    open(E.dir + "/hold.ready", "w").write("%d %d\n" % (p.local_port(),
        q.local_port()))
    deadline = time.monotonic() + 30
    while not os.path.exists(E.dir + "/hold.go"):
        check(time.monotonic() < deadline, "never told to go on")
        time.sleep(0.1)
    quit_ok(p)
    quit_ok(q)
run(main)
EOF
	"${P3_PYTHON}" "${P3_DIR}/hold.py" 2>"${P3_DIR}/hold.err" &
	hold=$!
	i=0
	while [ ! -s "${P3_DIR}/hold.ready" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "${P3_DIR}/hold.ready" ] || p3_failure "sessions not ready"
	set -- $(cat "${P3_DIR}/hold.ready")

	atf_check -s exit:0 -o save:"${P3_DIR}/status" -e empty \
	    "${POP3CTL}" -s "${P3_CTL}" status
	cat "${P3_DIR}/status" >&2
	for re in '^pop3d: running$' "^pid: ${P3_PID}\$" \
	    "^configuration: ${P3_CONF}\$" \
	    '^started: [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}$' \
	    '^uptime: [0-9]+[smhd]' '^sessions: [2-9]$' \
	    '^sessions logged in: 1$' '^connections: [2-9]$' '^logins: 1$' \
	    '^login failures: 0$' \
	    '^refused by access list: 0$' '^auto-deny: yes$' \
	    '^auto-deny list: 0$' \
	    "^listener: 127\\.0\\.0\\.1 port ${P3_PORT}\$"; do
		grep -Eq "${re}" "${P3_DIR}/status" ||
		    p3_failure "pop3ctl status: no line matching ${re}"
	done

	atf_check -s exit:0 -o save:"${P3_DIR}/sessions" -e empty \
	    "${POP3CTL}" -s "${P3_CTL}" show sessions
	cat "${P3_DIR}/sessions" >&2
	grep -Eq '^SID +PEER +USER +STATE +AGE$' "${P3_DIR}/sessions" ||
	    p3_failure "show sessions: no header"
	grep -Eq "^[0-9a-f]{8}  127\\.0\\.0\\.1:$1 +${P3_USER} +logged-in +[0-9]+s\$" \
	    "${P3_DIR}/sessions" || p3_failure "show sessions: no login"
	grep -Eq "^[0-9a-f]{8}  127\\.0\\.0\\.3:$2 +- +auth +[0-9]+s\$" \
	    "${P3_DIR}/sessions" || p3_failure "show sessions: no 127.0.0.3"

	atf_check -s exit:0 -o save:"${P3_DIR}/access" -e empty \
	    "${POP3CTL}" -s "${P3_CTL}" show access
	{
		p3_access_row ORIGIN ACTION NETWORK EXPIRES REASON
		p3_access_row config grant all never "access default"
		p3_access_row config deny 127.0.0.2 never -
		p3_access_row config deny 10.0.0.0/8 never -
	} >"${P3_DIR}/access.want"
	diff -u "${P3_DIR}/access.want" "${P3_DIR}/access" >&2 ||
	    p3_failure "show access differs"

	atf_check -s exit:0 -o match:'^ADDRESS +SINCE +REASON$' -e empty \
	    "${POP3CTL}" -s "${P3_CTL}" show autodeny
	atf_check -s exit:1 -o empty \
	    -e match:'^pop3ctl: 127\.0\.0\.7 is not on the auto-deny list$' \
	    "${POP3CTL}" -s "${P3_CTL}" autodeny clear 127.0.0.7
	atf_check -s exit:1 -o empty -e match:'not an IP address' \
	    "${POP3CTL}" -s "${P3_CTL}" autodeny clear 127.0.0.300
	atf_check -s exit:0 -o match:'^0 addresses removed' -e empty \
	    "${POP3CTL}" -s "${P3_CTL}" autodeny clear all
	atf_check -s exit:1 -o empty -e match:'^usage: pop3ctl' \
	    "${POP3CTL}" -s "${P3_CTL}" show nothing
	atf_check -s exit:0 -o match:'^configuration reloaded$' -e empty \
	    "${POP3CTL}" -s "${P3_CTL}" reload

	touch "${P3_DIR}/hold.go"
	wait ${hold} || {
		cat "${P3_DIR}/hold.err" >&2
		p3_failure "the held sessions failed"
	}

	# The socket is found through pop3d.conf when -s is not given.
	atf_check -s exit:0 -o match:"^pid: ${P3_PID}\$" -e empty \
	    "${POP3CTL}" -f "${P3_CONF}" status

	atf_check -s exit:0 -o match:'^pop3d stopping$' -e empty \
	    "${POP3CTL}" -s "${P3_CTL}" stop
	i=0
	while p3_alive "${P3_PID}" && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	p3_alive "${P3_PID}" && p3_failure "pop3d still runs after stop"
	[ -e "${P3_CTL}" ] && p3_failure "control socket left after stop"
	atf_check -s exit:1 -o empty \
	    -e match:"^pop3ctl: cannot connect to ${P3_CTL}: No such file or directory \\(is pop3d running\\?\\)\$" \
	    "${POP3CTL}" -s "${P3_CTL}" status
}

p3_case control_socket "The control socket: mode 0600, root only, version and size checks, stale and busy sockets"
control_socket_body()
{
	p3_setup
	set -- $(stat -c '%a %u %F' "${P3_CTL}")
	[ "$1 $2" = "600 0" ] ||
	    p3_failure "control socket mode $1 owner $2, expected 600 root"
	atf_check -s exit:1 -o empty \
	    -e match:'^pop3ctl: cannot connect to .*: Permission denied' \
	    setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "${POP3CTL}" -s "${P3_CTL}" status
	# Reachable by mistake, it still answers only root.
	chmod 0666 "${P3_CTL}"
	atf_check -s exit:1 -o empty -e match:'^pop3ctl: permission denied$' \
	    setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "${POP3CTL}" -s "${P3_CTL}" stop
	chmod 0600 "${P3_CTL}"
	p3_py <<'EOF'
import struct
from pop3test import *
E = TestEnv()
T = msg_types(os.environ["P3_HEADER"])
V = proto_version(os.environ["P3_HEADER"])
CTL = os.environ["P3_CTL"]
def main():
    got, closed = ctl_raw(CTL, [(T["MSG_CTL_SHOW_STATUS"], V + 1, b"")])
    check(closed and [g[0] for g in got] == [T["MSG_CTL_FAIL"]],
        "wrong version: got %r, closed %r" % (got, closed))
    check(b"version mismatch" in got[0][2], "wrong version: %r" %
        got[0][2][:80])
    got, closed = ctl_raw(CTL, [(T["MSG_CTL_RELOAD"], V, b"x" * 7)])
    check(closed and [g[0] for g in got] == [T["MSG_CTL_FAIL"]],
        "bad size: got %r, closed %r" % (got, closed))
    got, closed = ctl_raw(CTL, [(T["MSG_CTL_AUTODENY_CLEAR"], V,
        b"all")])
    check(closed and [g[0] for g in got] == [T["MSG_CTL_FAIL"]],
        "short address: got %r" % got)
    got, closed = ctl_raw(CTL, [(9999, V, b"")])
    check(closed and [g[0] for g in got] == [T["MSG_CTL_FAIL"]],
        "unknown request: got %r" % got)
    got, closed = ctl_raw(CTL, [(T["MSG_CTL_SHOW_SESSIONS"], V, b"")],
        until=(T["MSG_CTL_END"], T["MSG_CTL_FAIL"]))
    check([g[0] for g in got] == [T["MSG_CTL_END"]],
        "show sessions after the bad clients: %r" % got)
    # The daemon serves on.
    quit_ok(E.login(source="127.0.0.1"))
run(main)
EOF
	# A second daemon on the same socket refuses to start.
	cp "${P3_CONF}" "${P3_DIR}/second.conf"
	_port=$("${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" port)
	sed -i "s/port ${P3_PORT}\$/port ${_port}/" "${P3_DIR}/second.conf"
	atf_check -s exit:1 -o empty -e match:'in use by a running pop3d' \
	    timeout 10 "${POP3D}" -d -f "${P3_DIR}/second.conf"
	# A daemon killed outright leaves its socket; the next one replaces it.
	kill -KILL "${P3_PID}"
	sleep 0.5
	[ -S "${P3_CTL}" ] || p3_failure "no stale socket to test with"
	p3_start
	atf_check -s exit:0 -o match:"^pid: ${P3_PID}\$" -e empty \
	    "${POP3CTL}" -s "${P3_CTL}" status
}

# p3_ctl_ok COMMAND...: pop3ctl must succeed; its output in ctl.out.
p3_ctl_ok()
{
	p3_ctl "$@" >"${P3_DIR}/ctl.out" 2>&1 || {
		cat "${P3_DIR}/ctl.out" >&2
		p3_failure "pop3ctl $* failed"
	}
}

# p3_show_access: pop3ctl show access into access.out, and on stderr.
p3_show_access()
{
	p3_ctl show access >"${P3_DIR}/access.out" ||
	    p3_failure "pop3ctl show access failed"
	cat "${P3_DIR}/access.out" >&2
}

# p3_access_has REGEX WHAT: show access has a line matching REGEX.
p3_access_has()
{
	grep -Eq "$1" "${P3_DIR}/access.out" ||
	    p3_failure "show access: no $2 (no line matching $1)"
}

p3_case runtime_access "pop3ctl access deny, grant and delete act at once, before the configuration, and expire"
runtime_access_body()
{
	p3_setup "plaintext-auth yes" "access default grant" "deny 127.0.0.5"
	p3_ctl_ok access deny 127.0.0.2 reason "fail2ban pop3d"
	grep -q '^deny 127\.0\.0\.2 until deleted, reason "fail2ban pop3d"$' \
	    "${P3_DIR}/ctl.out" ||
	    p3_failure "access deny said: $(cat "${P3_DIR}/ctl.out")"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    expect_refused(E.port, "127.0.0.2", what="runtime deny")
    expect_served(E.port, "127.0.0.3", what="next to a runtime deny")
    wait_log(E.log, r"^runtime access list: deny 127\.0\.0\.2 added by the "
        r"control socket \(uid 0\): until deleted, reason \"fail2ban "
        r"pop3d\"$")
    wait_log(E.log, r"^127\.0\.0\.2: refused: runtime access list$")
    expect_refused(E.port, "127.0.0.5", what="config deny")
run(main)
EOF
	# A grant lets in what pop3d.conf denies; a prefix holds a network.
	p3_ctl_ok access grant 127.0.0.5 for 1h reason "the office"
	p3_ctl_ok access deny 127.0.1.0/24 for 10m
	p3_ctl_ok access delete 127.0.0.2
	grep -q '^deny 127\.0\.0\.2 deleted$' "${P3_DIR}/ctl.out" ||
	    p3_failure "access delete said: $(cat "${P3_DIR}/ctl.out")"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    expect_served(E.port, "127.0.0.5", what="runtime grant over config deny")
    quit_ok(E.login(source="127.0.0.5"))
    expect_refused(E.port, "127.0.1.7", what="runtime deny of a /24")
    expect_served(E.port, "127.0.2.7", what="outside the /24")
    expect_served(E.port, "127.0.0.2", what="after access delete")
    wait_log(E.log, r"^runtime access list: deny 127\.0\.0\.2 deleted by "
        r"the control socket \(uid 0\)$")
run(main)
EOF
	# "for 2s": refused now, let in again once it expired, and logged.
	p3_ctl_ok access deny 127.0.0.6 for 2s reason short
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    expect_refused(E.port, "127.0.0.6", what="deny for 2s")
    wait_log(E.log, r"^runtime access list: deny 127\.0\.0\.6 expired$",
        seconds=30)
    expect_served(E.port, "127.0.0.6", what="after the expiry")
run(main)
EOF
	p3_show_access
	grep -q '127\.0\.0\.6' "${P3_DIR}/access.out" &&
	    p3_failure "show access still lists the expired entry"
	# Kept across both kinds of reload.
	p3_reload
	kill -HUP "${P3_PID}"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    wait_log(E.log, r"^configuration reloaded$", count=2)
    expect_refused(E.port, "127.0.1.9", what="runtime deny after reloads")
    expect_served(E.port, "127.0.0.5", what="runtime grant after reloads")
run(main)
EOF
	p3_show_access
	p3_access_has '^runtime +grant +127\.0\.0\.5 +(1h00m|[0-9]+m[0-9]+s) +the office$' \
	    "runtime grant after the reloads"
	p3_access_has '^runtime +deny +127\.0\.1\.0/24 +[0-9]+m[0-9]+s +-$' \
	    "runtime deny after the reloads"
	p3_ctl status >"${P3_DIR}/status" || p3_failure "pop3ctl status failed"
	grep -Eq '^refused by runtime access list: 4$' "${P3_DIR}/status" ||
	    p3_failure "status says $(grep runtime "${P3_DIR}/status")"
	# Without access state, a restart forgets the list.
	p3_stop
	p3_start
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    expect_served(E.port, "127.0.1.9", what="after a restart")
    expect_refused(E.port, "127.0.0.5", what="config deny after a restart")
run(main)
EOF
}

p3_case show_access "pop3ctl show access lists config, runtime, auto-deny and penalty entries with their reasons and expiry"
show_access_body()
{
	p3_setup "plaintext-auth yes" "access default grant" \
	    "deny 127.0.0.5" "deny 10.0.0.0/255.0.0.0" "auto-deny yes" \
	    "penalty failures 2 time 600 max 600"
	p3_ctl_ok access deny 127.0.0.2 for 1h reason "fail2ban pop3d"
	p3_ctl_ok access grant 2001:db8::/32
	p3_py <<'EOF'
import subprocess
from pop3test import *
E = TestEnv()
def main():
    p = POP3(E.port, source="127.0.0.8")
    p.sendraw(b"X" * 600 + b"\r\n")
    try:
        while True:
            p.readline(timeout=5)
    except Closed:
        pass
    p.close()
    wait_log(E.log, r"^127\.0\.0\.8: auto-denied: ")
    p = POP3(E.port, source="127.0.0.9")
    for i in range(2):
        p.ok("USER %s" % E.user)
        p.err("PASS wrong-%d" % i)
    p.close()
    wait_log(E.log, r"^127\.0\.0\.9: penalty: 2 authentication failures")
    p = POP3(E.port, source="127.0.0.10")
    p.ok("USER %s" % E.user)
    p.err("PASS wrong")
    p.close()
    # The failure of 127.0.0.10 is counted once its answer came.
    deadline = time.monotonic() + 10
    while True:
        out = subprocess.run([os.environ["POP3CTL"], "-s",
            os.environ["P3_CTL"], "show", "access"],
            capture_output=True, text=True).stdout
        if "127.0.0.10 " in out:
            break
        check(time.monotonic() < deadline, "no penalty for 127.0.0.10")
        time.sleep(0.2)
run(main)
EOF
	p3_show_access
	p3_access_has '^ORIGIN +ACTION +NETWORK +EXPIRES +REASON$' "header"
	p3_access_has '^config +grant +all +never +access default$' "default"
	p3_access_has '^config +deny +127\.0\.0\.5 +never +-$' "config deny"
	p3_access_has '^config +deny +10\.0\.0\.0/8 +never +-$' "config /8"
	p3_access_has '^runtime +deny +127\.0\.0\.2 +(59m[0-9]{2}s|1h00m) +fail2ban pop3d$' \
	    "runtime deny"
	p3_access_has '^runtime +grant +2001:db8::/32 +never +-$' \
	    "runtime grant"
	p3_access_has '^auto-deny +deny +127\.0\.0\.8 +never +line over 512 characters$' \
	    "auto-deny"
	p3_access_has '^penalty +deny +127\.0\.0\.9 +(9m[0-9]{2}s|10m00s) +2 authentication failures$' \
	    "penalty"
	p3_access_has '^penalty +count +127\.0\.0\.10 +- +1 authentication failures$' \
	    "counting penalty"
	[ "$(grep -c . "${P3_DIR}/access.out")" -eq 9 ] ||
	    p3_failure "show access: not 9 lines"
}

p3_case access_state "access state keeps the runtime list across restarts, written atomically, mode 0600; bad lines are skipped with file:line"
access_state_body()
{
	p3_load
	p3_init
	[ -x "${POP3CTL}" ] || atf_fail "no pop3ctl at ${POP3CTL}"
	p3_useradd
	p3_maildir basic
	mkdir -m 0700 "${P3_DIR}/state"
	state=${P3_DIR}/state/access
	p3_ctl_conf "access default grant" "access state \"${state}\""
	p3_start
	p3_ctl_ok access deny 127.0.0.2 reason "kept"
	p3_ctl_ok access deny 127.0.0.3 for 1h
	p3_ctl_ok access grant 127.0.0.4
	p3_ctl_ok access deny 127.0.0.7 reason "deleted later"
	p3_ctl_ok access delete 127.0.0.7
	[ -f "${state}" ] || p3_failure "no state file"
	set -- $(stat -c '%a %u' "${state}")
	[ "$1 $2" = "600 0" ] ||
	    p3_failure "state file mode $1 owner $2, expected 600 root"
	cat "${state}" >&2
	grep -q '^deny 127\.0\.0\.2 never kept$' "${state}" ||
	    p3_failure "state: no 127.0.0.2"
	grep -Eq '^deny 127\.0\.0\.3 [0-9]+$' "${state}" ||
	    p3_failure "state: no 127.0.0.3"
	grep -q '127\.0\.0\.7' "${state}" &&
	    p3_failure "state: the deleted entry is still there"
	[ "$(ls "${P3_DIR}/state")" = access ] ||
	    p3_failure "temporary files left: $(ls "${P3_DIR}/state")"
	p3_stop
	# Lines of another hand: each bad one is skipped, with its line.
	n=$(wc -l <"${state}")
	P3_STATE_LINES=${n}
	export P3_STATE_LINES
	{
		echo "deny 127.0.0.300 never"
		echo "block 127.0.0.8 never"
		echo "deny 127.0.0.9 soon"
		printf 'deny 127.0.0.11 never bad\001reason\n'
		echo "deny 127.0.0.12 1 expired long ago"
		printf 'deny 127.0.0.14 never %0400d\n' 0
		echo "deny 127.0.0.13 never"
	} >>"${state}"
	p3_start
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    expect_refused(E.port, "127.0.0.2", what="kept across a restart")
    expect_refused(E.port, "127.0.0.3", what="kept with its expiry")
    expect_refused(E.port, "127.0.0.13", what="a good line added")
    for src in ("127.0.0.7", "127.0.0.8", "127.0.0.9", "127.0.0.11",
            "127.0.0.12", "127.0.0.14"):
        expect_served(E.port, src, what="bad, expired or deleted")
    st = re.escape(os.path.join(E.dir, "state", "access"))
    n = int(os.environ["P3_STATE_LINES"])
    wait_log(E.log, r"^%s:%d: 127\.0\.0\.300: .*, skipped$" % (st, n + 1))
    wait_log(E.log, r"^%s:%d: unknown action \"block\", skipped$" %
        (st, n + 2))
    wait_log(E.log, r"^%s:%d: expiry \"soon\" is invalid, skipped$" %
        (st, n + 3))
    wait_log(E.log, r"^%s:%d: reason contains a control or non-ASCII "
        r"character, skipped$" % (st, n + 4))
    wait_log(E.log, r"^runtime access list: deny 127\.0\.0\.12 expired "
        r"while pop3d was not running$")
    wait_log(E.log, r"^%s:%d: line longer than \d+ characters, skipped$" %
        (st, n + 6))
    wait_log(E.log, r"^runtime access list: 4 entries read from ")
run(main)
EOF
	p3_show_access
	p3_access_has '^runtime +deny +127\.0\.0\.2 +never +kept$' "kept deny"
	p3_access_has '^runtime +deny +127\.0\.0\.3 +(1h00m|[0-9]+m[0-9]+s) +-$' \
	    "kept expiry"
	p3_access_has '^runtime +grant +127\.0\.0\.4 +never +-$' "kept grant"
	p3_access_has '^runtime +deny +127\.0\.0\.13 +never +-$' "added line"
}

p3_case access_errors "pop3ctl access: bad addresses, prefixes, durations and reasons get a clear error and the daemon serves on"
access_errors_body()
{
	p3_setup "access default grant"
	long=$(printf '%0129d' 0)
	set -- "${POP3CTL}" -s "${P3_CTL}"
	atf_check -s exit:1 -o empty \
	    -e match:'^pop3ctl: 127\.0\.0\.300: not a numeric IPv4 or IPv6 address' \
	    "$@" access deny 127.0.0.300
	atf_check -s exit:1 -o empty \
	    -e match:'^pop3ctl: 127\.0\.0\.1/33: prefix length 33 is too large' \
	    "$@" access deny 127.0.0.1/33
	atf_check -s exit:1 -o empty \
	    -e match:'^pop3ctl: ::1/129: prefix length 129 is too large' \
	    "$@" access grant ::1/129
	atf_check -s exit:1 -o empty -e match:'not a numeric' \
	    "$@" access deny mail.example.org
	atf_check -s exit:1 -o empty \
	    -e match:'^pop3ctl: duration "5w": unknown unit w' \
	    "$@" access deny 127.0.0.2 for 5w
	atf_check -s exit:1 -o empty \
	    -e match:'^pop3ctl: duration "0" is too small' \
	    "$@" access deny 127.0.0.2 for 0
	atf_check -s exit:1 -o empty \
	    -e match:'^pop3ctl: duration "soon": not a number' \
	    "$@" access deny 127.0.0.2 for soon
	atf_check -s exit:1 -o empty \
	    -e match:'^pop3ctl: reason is longer than 128 characters$' \
	    "$@" access deny 127.0.0.2 reason "${long}"
	atf_check -s exit:1 -o empty \
	    -e match:'^pop3ctl: reason contains a control or non-ASCII character$' \
	    "$@" access deny 127.0.0.2 reason "$(printf 'a\tb')"
	atf_check -s exit:1 -o empty \
	    -e match:'^pop3ctl: for: needs an argument$' \
	    "$@" access deny 127.0.0.2 for
	atf_check -s exit:1 -o empty -e match:'unknown or repeated option' \
	    "$@" access deny 127.0.0.2 for 1m for 2m
	atf_check -s exit:1 -o empty -e match:'^usage: pop3ctl access' \
	    "$@" access delete 127.0.0.2 for 1m
	atf_check -s exit:1 -o empty -e match:'^usage: pop3ctl access' \
	    "$@" access block 127.0.0.2
	atf_check -s exit:1 -o empty \
	    -e match:'^pop3ctl: 127\.0\.0\.2 is not on the runtime access list$' \
	    "$@" access delete 127.0.0.2
	p3_py <<'EOF'
import struct
from pop3test import *
E = TestEnv()
T = msg_types(os.environ["P3_HEADER"])
V = proto_version(os.environ["P3_HEADER"])
CTL = os.environ["P3_CTL"]
def req(action, net, duration, reason):
    # struct ctl_access: int32, padding, int64, net[66], reason[129].
    return struct.pack("=i4xq66s129s5x", action, duration, net, reason)
def main():
    # What pop3ctl would refuse is refused by the parent too.
    for why, payload in (
            ("control", req(2, b"127.0.0.2", 0, b"a\x1bb")),
            ("duration", req(2, b"127.0.0.2", -5, b"")),
            ("prefix length", req(2, b"127.0.0.2/40", 0, b"")),
            ("unknown action", req(7, b"127.0.0.2", 0, b""))):
        got, closed = ctl_raw(CTL, [(T["MSG_CTL_ACCESS_SET"], V, payload)],
            until=(T["MSG_CTL_OK"], T["MSG_CTL_FAIL"]))
        check([g[0] for g in got] == [T["MSG_CTL_FAIL"]] and
            why.encode() in got[0][2], "%s: %r" % (why, got))
    got, closed = ctl_raw(CTL, [(T["MSG_CTL_ACCESS_SET"], V,
        struct.pack("=i4xq", 2, 0) + b"1" * 200)])
    check(closed and [g[0] for g in got] == [T["MSG_CTL_FAIL"]],
        "unterminated strings: %r, closed %r" % (got, closed))
    got, closed = ctl_raw(CTL, [(T["MSG_CTL_ACCESS_DELETE"], V, b"x" * 9)])
    check(closed and [g[0] for g in got] == [T["MSG_CTL_FAIL"]],
        "bad size: %r, closed %r" % (got, closed))
    expect_served(E.port, "127.0.0.2", what="nothing was listed")
    quit_ok(E.login(source="127.0.0.1"))
run(main)
EOF
	p3_ctl status >/dev/null || p3_failure "pop3d is not running"
}

atf_init_test_cases()
{
	atf_add_test_case grant_mode
	atf_add_test_case deny_mode
	atf_add_test_case ipv6
	atf_add_test_case reload_keeps_sessions
	atf_add_test_case reload_broken
	atf_add_test_case autodeny
	atf_add_test_case autodeny_off
	atf_add_test_case per_source_limit
	atf_add_test_case source_prefix
	atf_add_test_case flood
	atf_add_test_case slowloris
	atf_add_test_case penalty
	atf_add_test_case log_file
	atf_add_test_case debug_no_secrets
	atf_add_test_case pop3ctl_commands
	atf_add_test_case control_socket
	atf_add_test_case runtime_access
	atf_add_test_case show_access
	atf_add_test_case access_state
	atf_add_test_case access_errors
}
