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

# The fail2ban files of etc/fail2ban: the filter against the log of the
# real daemon (every failure it claims, from an address of its own, and
# logins that succeed, read with fail2ban-regex), and the action and
# jail as fail2ban-client reads them.
#
# All of 127.0.0.0/8 reaches lo on Linux: each kind of failure comes
# from an address of its own, so that the address fail2ban finds in a
# line says which failure it is.

: "${POP3CTL:=$(dirname "${POP3D:-/usr/local/sbin/pop3d}")/pop3ctl}"
export POP3CTL

f2_load()
{
	. "$(atf_get_srcdir)/../lib/pop3test.sh"
	F2_ETC=$(cd "$(atf_get_srcdir)/../../etc/fail2ban" && pwd)
	PYTHONPATH=${P3_LIBDIR}:$(cd "$(atf_get_srcdir)/../auth" && pwd)
	export F2_ETC PYTHONPATH
}

f2_case()
{
	atf_test_case "$1" cleanup
	eval "$1_head() { atf_set descr '$2'; atf_set require.user root; \
	    atf_set require.progs 'fail2ban-regex fail2ban-client'; \
	    atf_set timeout ${3:-120}; }"
	eval "$1_cleanup() { f2_load; p3_cleanup; }"
}

# f2_daemon: a system user with a Maildir, pop3d's own database with
# alice (APOP secret) and bob, a poppass listener, an IPv6 listener on
# ::1 when there is one, auto-deny, penalties after 3 failures, at
# most 2 sessions a source, 127.0.0.9 denied, and the log in a file
# (P3_FILE), as pop3d writes it when it runs as a daemon.
f2_daemon()
{
	f2_load
	p3_init
	[ -x "${POP3CTL}" ] || atf_fail "no pop3ctl at ${POP3CTL}"
	getent passwd _pop3dauth >/dev/null ||
	    atf_fail "no user _pop3dauth; run make install"
	p3_useradd
	p3_maildir basic
	F2_DB=${P3_DIR}/etc/users
	F2_VMAIL=${P3_DIR}/vmail
	mkdir -m 0700 "${P3_DIR}/etc"
	chown _pop3dauth: "${P3_DIR}/etc"
	for u in alice:alicepass:alicesecret bob:bobpass:; do
		IFS=: read -r name pw secret <<EOF
$u
EOF
		printf '%s\n' "${pw}" |
		    "${POP3CTL}" -u "${F2_DB}" user add "${name}" ||
		    atf_fail "pop3ctl user add ${name} failed"
		[ -z "${secret}" ] || printf '%s\n' "${secret}" |
		    "${POP3CTL}" -u "${F2_DB}" user apop "${name}" ||
		    atf_fail "pop3ctl user apop ${name} failed"
		mkdir -p -m 0700 "${F2_VMAIL}/${name}/cur" \
		    "${F2_VMAIL}/${name}/new" "${F2_VMAIL}/${name}/tmp"
	done
	chown -R "${P3_USER}:" "${F2_VMAIL}"
	P3_FILE=${P3_DIR}/pop3d.log
	F2_IPV6=no
	"${P3_PYTHON}" -c 'import pop3test, sys
sys.exit(0 if pop3test.have_ipv6() else 1)' && F2_IPV6=yes
	_users="users file \"${F2_DB}\" mailuser \"${P3_USER}\""
	_users="${_users} maildrop maildir \"${F2_VMAIL}/%u\""
	# Draw again while the two listeners would share a port.
	F2_PPPORT=
	while [ -z "${F2_PPPORT}" ] || [ "${F2_PPPORT}" = "${P3_PORT}" ]; do
		F2_PPPORT=$("${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" port) ||
		    atf_fail "no free port"
		p3_ctl_conf "listen on 127.0.0.1 port ${F2_PPPORT} poppass" \
		    "${_users}" "apop yes" "plaintext-auth from 127.0.0.0/8" \
		    "log to file \"${P3_FILE}\"" "auto-deny yes" \
		    "penalty failures 3 time 600 max 600" \
		    "max-sessions-per-source 2" "access default grant" \
		    "deny 127.0.0.9"
	done
	export P3_FILE F2_PPPORT F2_IPV6
	# p3_conf drew the port for 127.0.0.1; ::1 takes the same number.
	[ "${F2_IPV6}" = yes ] &&
	    echo "listen on ::1 port ${P3_PORT}" >>"${P3_CONF}"
	p3_start_daemon
}

f2_case filter_real_log "the filter matches each failure of the log of the real daemon, with its address, and no success nor refusal" 180
filter_real_log_body()
{
	f2_daemon
	p3_py <<'EOF'
import hashlib, re
from pop3test import *
from authtest import *
E = TestEnv()
F = os.environ["P3_FILE"]
PP = int(os.environ["F2_PPPORT"])

def apop(p, user, secret):
    m = re.search(r"(<[^<>]+>)$", p.greeting)
    check(m, "no APOP timestamp in %s" % short(p.greeting))
    d = hashlib.md5((m.group(1) + secret).encode()).hexdigest()
    return p.cmd("APOP %s %s" % (user, d))

def poppass(source, user, old, new):
    s = socket.create_connection((HOST, PP), timeout=10,
        source_address=(source, 0))
    f = s.makefile("rb")
    replies = []
    def say(line):
        if line is not None:
            s.sendall(line.encode() + b"\r\n")
        r = f.readline().decode("latin-1").rstrip("\r\n")
        log("poppass %s: %s -> %s" % (source, line, r))
        replies.append(r)
        return r.startswith("200")
    say(None) and say("USER " + user) and say("PASS " + old) and \
        say("NEWPASS " + new)
    s.close()
    return replies[-1]

def refused(what):
    r = p.cmd(what)
    check(r.startswith("-ERR"), "%s: %s" % (what, short(r)))

def main():
    global p
    # Failures, each kind from an address of its own.
    p = E.connect(source="127.0.0.11")             # wrong password
    p.ok("USER %s" % E.user)
    refused("PASS not-%s" % E.pw)
    quit_ok(p)
    p = E.connect(source="127.0.0.12")             # unknown user
    p.ok("USER nosuchuser")
    refused("PASS whatever")
    quit_ok(p)
    p = E.connect(source="127.0.0.13")             # APOP
    check(apop(p, "alice", "wrongsecret").startswith("-ERR"), "APOP")
    quit_ok(p)
    p = E.connect(source="127.0.0.14")             # AUTH PLAIN
    check(auth_plain(p, "alice", "wrongpass").startswith("-ERR"),
        "AUTH PLAIN")
    quit_ok(p)
    p = E.connect(source="127.0.0.15")             # AUTH SCRAM-SHA-256
    check(auth_scram(p, "alice", "wrongpass").status.startswith("-ERR"),
        "SCRAM")
    quit_ok(p)
    r = poppass("127.0.0.16", "alice", "wrongpass", "newsecret1")
    check(r.startswith("500"), "poppass with a wrong password: %s" % r)
    p = E.connect(source="127.0.0.17")             # auto-deny
    p.sendraw(b"USER " + b"x" * 600 + b"\r\n")
    p.expect_closed()
    wait_log(F, r": 127\.0\.0\.17: auto-denied: ")
    expect_refused(E.port, "127.0.0.17", what="auto-denied")
    for i in range(3):                             # penalty
        p = E.connect(source="127.0.0.18")
        p.ok("USER %s" % E.user)
        refused("PASS wrong%d" % i)
        quit_ok(p)
    wait_log(F, r": 127\.0\.0\.18: penalty: ")
    expect_refused(E.port, "127.0.0.18", what="penalty")
    # A user name that looks like a failure line: in the debug trace
    # and in pop3d-auth's line, neither of which may count for it.
    p = E.connect(source="127.0.0.20")
    check(auth_plain(p, "10.66.66.66: authentication failed",
        "x").startswith("-ERR"), "AUTH PLAIN")
    p.cmd("NOOP 10.66.66.67: authentication failed")
    quit_ok(p)
    if os.environ["F2_IPV6"] == "yes":
        p = POP3(E.port, host="::1")
        p.ok("USER %s" % E.user)
        refused("PASS not-%s" % E.pw)
        quit_ok(p)
        # Auto-deny of an IPv6 address names its /64 source as well.
        p = POP3(E.port, host="::1")
        p.sendraw(b"USER " + b"x" * 600 + b"\r\n")
        p.expect_closed()
        wait_log(F, r": ::1: auto-denied: line over 512 characters "
            r"\(source ::/64\)$")

    # Refusals and ordinary lines.
    expect_refused(E.port, "127.0.0.9", what="access list")
    held = [E.connect(source="127.0.0.19") for i in range(2)]
    expect_refused(E.port, "127.0.0.19", what="sessions per source")
    for h in held:
        quit_ok(h)
    p = E.connect(source="127.0.0.21")
    p.ok("USER %s" % E.user)
    p.ok("PASS %s" % E.pw)
    p.retr(1)
    quit_ok(p)
    p = E.connect(source="127.0.0.22")
    check(apop(p, "alice", "alicesecret").startswith("+OK"), "APOP ok")
    quit_ok(p)
    p = E.connect(source="127.0.0.23")
    check(auth_plain(p, "alice", "alicepass").startswith("+OK"),
        "AUTH PLAIN ok")
    quit_ok(p)
    p = E.connect(source="127.0.0.24")
    check(auth_scram(p, "bob", "bobpass").status.startswith("+OK"),
        "SCRAM ok")
    quit_ok(p)
    r = poppass("127.0.0.25", "bob", "bobpass", "bobpass-new")
    check(r.startswith("200"), "poppass change: %s" % r)
    quit_ok(E.connect(source="127.0.0.26"))

    # Everything is in the file before fail2ban reads it.
    for pat in (r": 127\.0\.0\.9: refused: access list$",
            r": 127\.0\.0\.17: refused: auto-deny$",
            r": 127\.0\.0\.18: refused: penalty, \d+ seconds left$",
            r": 127\.0\.0\.19: refused: 2 sessions from this source",
            r": 127\.0\.0\.20:\d+: < NOOP 10\.66\.66\.67: authentication",
            r"login failed for user 10\.66\.66\.66: authentication failed "
                r"from 127\.0\.0\.20",
            r": 127\.0\.0\.21:\d+: login user %s method pass" % E.user,
            r": 127\.0\.0\.22:\d+: login user alice method apop",
            r": 127\.0\.0\.23:\d+: login user alice method plain",
            r": 127\.0\.0\.24:\d+: login user bob method scram-sha-256",
            r"password changed for user bob from 127\.0\.0\.25",
            r": 127\.0\.0\.26:\d+: session closed without login"):
        wait_log(F, pat)
    want = 10 + (os.environ["F2_IPV6"] == "yes")
    wait_log(F, r"\]: [0-9a-f.:]+: authentication failed$", count=want)
run(main)
EOF
	# The same lines as syslog writes them, with the host name.
	sed 's/^\(... .. ..:..:..\) pop3d\[/\1 mailhost pop3d[/' \
	    "${P3_FILE}" >"${P3_DIR}/syslog"
	f2_confdir
	for log in "${P3_FILE}" "${P3_DIR}/syslog"; do
		f2_regex "${log}"
		f2_check "${log}"
	done
}

# f2_confdir: a fail2ban configuration directory, P3_DIR/fail2ban, with
# the files of etc/fail2ban and the system's common.conf, which the
# filter includes.  Sets F2_CONF.
f2_confdir()
{
	F2_CONF=${P3_DIR}/fail2ban
	export F2_CONF
	_common=/etc/fail2ban/filter.d/common.conf
	[ -f "${_common}" ] || atf_fail "no ${_common}; is fail2ban installed?"
	for d in filter.d action.d jail.d; do
		mkdir -p "${F2_CONF}/$d"
		cp "${F2_ETC}/$d/pop3d.conf" "${F2_CONF}/$d/pop3d.conf"
	done
	cp "${_common}" "${F2_CONF}/filter.d/common.conf"
}

# f2_regex LOG: fail2ban-regex with the filter on LOG; its report in
# LOG.report, and in LOG.rows a line "ADDRESS LINE" for each line it
# matched, with the address it took from it.
f2_regex()
{
	fail2ban-regex -c "${F2_CONF}" --print-all-matched --print-no-missed \
	    "$1" pop3d >"$1.report" 2>&1 || {
		cat "$1.report" >&2
		p3_failure "fail2ban-regex failed on $1"
	}
	fail2ban-regex -c "${F2_CONF}" -o '<ip> <msg>' "$1" pop3d \
	    >"$1.rows" 2>"$1.rows.err" || {
		cat "$1.rows" "$1.rows.err" >&2
		p3_failure "fail2ban-regex -o failed on $1"
	}
}

# f2_check LOG: what fail2ban matched is exactly the failures the test
# made, each with the address it came from.
f2_check()
{
	F2_LOG=$1 p3_py <<'EOF'
import collections
from pop3test import *
L = os.environ["F2_LOG"]
want = collections.Counter({"127.0.0.11": 1, "127.0.0.12": 1,
    "127.0.0.13": 1, "127.0.0.14": 1, "127.0.0.15": 1, "127.0.0.16": 1,
    "127.0.0.17": 1, "127.0.0.18": 3, "127.0.0.20": 1})
def main():
    if os.environ["F2_IPV6"] == "yes":
        want["::1"] = 2
    # Each failure line of the log, by pop3d's own words for them (pop3d(8),
    # Logging): written by the parent, so no "session:" or "auth:" first.
    fail = re.compile(r"^... .. ..:..:.. (?:\S+ )?pop3d\[\d+\]: "
        r"([0-9a-f.:]+): (?:authentication failed|auto-denied: line over "
        r"512 characters(?: \(source [0-9a-f.:]+/\d+\))?)$")
    with open(L, encoding="latin-1") as f:
        lines = f.read().splitlines()
    # Two failures of one address in one second make equal lines: each
    # line is counted as often as it is there.
    failures = collections.Counter()
    address = {}
    for l in lines:
        m = fail.match(l)
        if m:
            failures[l] += 1
            address[l] = m.group(1)
    got = collections.Counter()
    for l, n in failures.items():
        got[address[l]] += n
    check(got == want, "the log holds failures %s, the test made %s" %
        (dict(got), dict(want)))
    matched = collections.Counter()
    with open(L + ".rows", encoding="latin-1") as f:
        for row in f.read().splitlines():
            ip, _, m = row.partition(" ")
            check(m in failures, "fail2ban matched a line that is no "
                "failure: %s" % row)
            check(address[m] == ip, "fail2ban read address %s from %s" %
                (ip, m))
            matched[m] += 1
    missed = [l for l in failures if matched[l] != failures[l]]
    check(not missed, "failure lines fail2ban missed or matched twice: %s" %
        missed)
    # The summary agrees: as many matches as failure lines, the rest missed.
    with open(L + ".report", encoding="latin-1") as f:
        report = f.read()
    m = re.search(r"^Lines: (\d+) lines, (\d+) ignored, (\d+) matched, "
        r"(\d+) missed", report, re.M)
    check(m, "no summary in the fail2ban-regex report")
    total, ign, mat, mis = map(int, m.groups())
    nfail = sum(failures.values())
    check(mat == nfail and ign == 0 and mis == total - mat,
        "fail2ban-regex: %s; %d failure lines in %d" % (m.group(0),
        nfail, len(lines)))
    log("fail2ban matched %d failure lines of %d, addresses %s" %
        (mat, total, dict(got)))
run(main)
EOF
}

f2_case action_bans "fail2ban-client reads the jail and the action, and a fail2ban server bans and unbans through the real pop3ctl access, which pop3d applies at once to that address only" 180
action_bans_body()
{
	f2_daemon
	f2_confdir
	# Not the system's server: socket, pid file, log and database of
	# its own, in the test directory.
	cp /etc/fail2ban/fail2ban.conf "${F2_CONF}/fail2ban.conf"
	cat >"${F2_CONF}/fail2ban.local" <<EOF
[Definition]
loglevel = INFO
logtarget = ${P3_DIR}/fail2ban.log
socket = ${P3_DIR}/fail2ban.sock
pidfile = ${P3_DIR}/fail2ban.pid
dbfile = :memory:
EOF
	printf '[DEFAULT]\n' >"${F2_CONF}/jail.conf"
	# The real pop3ctl, behind a wrapper that records each call, one
	# argument a line, for the syntax checks below.
	F2_FAKE=${P3_DIR}/logged-pop3ctl
	F2_CALLS=${P3_DIR}/calls
	export F2_CALLS
	cat >"${F2_FAKE}" <<EOF
#!/bin/sh
{ echo "call \$#"; for a in "\$@"; do echo "\$a"; done; } >>"${F2_CALLS}"
exec "${POP3CTL}" "\$@"
EOF
	chmod 0755 "${F2_FAKE}"
	# The jail as shipped, turned on as pop3d(8) says, reads the
	# journal of the unit.
	printf '[pop3d]\nenabled = true\n' >"${F2_CONF}/jail.d/pop3d.local"
	fail2ban-client -c "${F2_CONF}" -t >"${P3_DIR}/f2b-test.out" 2>&1 || {
		cat "${P3_DIR}/f2b-test.out" >&2
		atf_fail "fail2ban-client -t refused the jail as shipped"
	}
	fail2ban-client -c "${F2_CONF}" -d >"${P3_DIR}/f2b-dump.out" 2>&1 ||
	    atf_fail "fail2ban-client -d failed"
	for w in "'add', 'pop3d', 'systemd'" \
	    "'addjournalmatch', '_SYSTEMD_UNIT=pop3d.service'" \
	    "'addaction', 'pop3d'" "'maxretry', 5"; do
		grep -qF "${w}" "${P3_DIR}/f2b-dump.out" || {
			cat "${P3_DIR}/f2b-dump.out" >&2
			atf_fail "the jail as shipped has no ${w}"
		}
	done
	# The example jail enabled on the test log, with a second one that
	# bans for ever.
	cat >"${F2_CONF}/jail.d/pop3d.local" <<EOF
[pop3d]
enabled = true
backend = polling
logpath = ${P3_FILE}
action = pop3d[pop3ctl="${F2_FAKE} -s ${P3_CTL}"]
maxretry = 2
bantime = 3

[pop3d-forever]
enabled = true
filter = pop3d
backend = polling
logpath = ${P3_FILE}
action = pop3d[pop3ctl="${F2_FAKE} -s ${P3_CTL}"]
maxretry = 2
bantime = -1
EOF
	fail2ban-client -c "${F2_CONF}" -t >"${P3_DIR}/f2b-test.out" 2>&1 || {
		cat "${P3_DIR}/f2b-test.out" >&2
		atf_fail "fail2ban-client -t refused the configuration"
	}
	grep -q 'configuration test is successful' "${P3_DIR}/f2b-test.out" ||
	    atf_fail "fail2ban-client -t: $(cat "${P3_DIR}/f2b-test.out")"
	fail2ban-server -f -x -c "${F2_CONF}" >"${P3_DIR}/f2b.out" 2>&1 \
	    </dev/null &
	echo $! >>"${P3_WORK}/pids"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
F2LOG = os.path.join(E.dir, "fail2ban.log")
CALLS = os.environ["F2_CALLS"]
CTL = os.path.join(E.dir, "ctl.sock")

def calls():
    try:
        with open(CALLS) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return []
    out = []
    while lines:
        n = int(lines.pop(0).split()[1])
        out.append(lines[:n])
        del lines[:n]
    return out

def wait_calls(n, seconds=30):
    deadline = time.monotonic() + seconds
    while len(calls()) < n:
        check(time.monotonic() < deadline, "pop3ctl called %d times, not "
            "%d, within %d s: %s" % (len(calls()), n, seconds, calls()))
        time.sleep(0.2)
    return calls()

def show(path):
    log("---- %s ----" % path)
    if os.path.exists(path):
        with open(path, encoding="latin-1") as f:
            log(f.read())

def started():
    deadline = time.monotonic() + 30
    while not os.path.exists(F2LOG):
        check(time.monotonic() < deadline, "fail2ban-server wrote no log "
            "within 30 s")
        time.sleep(0.2)
    wait_log(F2LOG, r"Jail 'pop3d' started", seconds=30)
    wait_log(F2LOG, r"Jail 'pop3d-forever' started", seconds=30)

def main():
    try:
        bans()
    except Failure:
        show(os.path.join(E.dir, "f2b.out"))
        show(F2LOG)
        raise

def bans():
    started()
    quit_ok(E.login(source="127.0.0.32"))
    for i in range(2):
        p = E.connect(source="127.0.0.31")
        p.ok("USER %s" % E.user)
        check(p.cmd("PASS wrong%d" % i).startswith("-ERR"), "PASS")
        quit_ok(p)
    wait_log(F2LOG, r"\[pop3d\] Ban 127\.0\.0\.31", seconds=30)
    wait_log(F2LOG, r"\[pop3d-forever\] Ban 127\.0\.0\.31", seconds=30)
    got = wait_calls(2)
    base = ["-s", CTL, "access", "deny", "127.0.0.31"]
    want = [base + ["for", "3", "reason", "fail2ban pop3d"],
        base + ["reason", "fail2ban pop3d-forever"]]
    check(sorted(got[:2]) == sorted(want), "the bans called pop3ctl %s, "
        "not %s" % (got[:2], want))
    # pop3d itself now refuses the address at accept, and only it.
    wait_log(os.environ["P3_FILE"], r"runtime access list: deny "
        r"127\.0\.0\.31 added by "
        r"the control socket \(uid 0\): .*reason \"fail2ban pop3d")
    expect_refused(E.port, "127.0.0.31", what="banned by fail2ban")
    expect_served(E.port, "127.0.0.32", what="next to a ban")
    # The 3 seconds are over: only the first jail unbans.
    wait_log(F2LOG, r"\[pop3d\] Unban 127\.0\.0\.31", seconds=30)
    got = wait_calls(3)
    check(got[2] == ["-s", CTL, "access", "delete", "127.0.0.31"],
        "the unban called pop3ctl %s" % got[2])
    # Deleted by the unban, or expired in pop3d at the same second.
    wait_served(E.port, "127.0.0.31", seconds=10)
    check(not log_lines(F2LOG, r"Ban 127\.0\.0\.32"), "a login that "
        "succeeded was banned")
run(main)
EOF
}

atf_init_test_cases()
{
	atf_add_test_case filter_real_log
	atf_add_test_case action_bans
}
