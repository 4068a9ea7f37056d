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

# pop3d's own user database and pop3d-auth: pop3ctl user commands
# (secrets from standard input, modes, bad lines, concurrent changes,
# changes killed at random points), then against the running daemon
# with the database configured: USER/PASS, APOP (poplib's apop()),
# AUTH PLAIN and SCRAM-SHA-256 (authtest.py), poppass, and both
# backends at once.

au_load()
{
	. "$(atf_get_srcdir)/../lib/pop3test.sh"
	: "${POP3CTL:=$(dirname "${POP3D}")/pop3ctl}"
	PYTHONPATH=${P3_LIBDIR}:$(cd "$(atf_get_srcdir)" && pwd)
	export POP3CTL PYTHONPATH
}

au_case()
{
	atf_test_case "$1" cleanup
	eval "$1_head() { atf_set descr '$2'; atf_set require.user root; \
	    atf_set timeout ${3:-90}; }"
	eval "$1_cleanup() { au_load; p3_cleanup; }"
}

# au_init: the test directory and a database directory that belongs to
# pop3d-auth, as /etc/pop3d would.  Sets AU_DB (not created).
au_init()
{
	au_load
	p3_init
	[ -x "${POP3CTL}" ] || atf_fail "no pop3ctl at ${POP3CTL}"
	getent passwd _pop3dauth >/dev/null ||
	    atf_fail "no user _pop3dauth; run make install"
	AU_ETC=${P3_DIR}/etc
	AU_DB=${AU_ETC}/users
	# For atf_check, which runs programs, not functions; used unquoted
	# (mktemp's names have no blanks).
	AU_CTL="${POP3CTL} -u ${AU_DB}"
	mkdir -m 0700 "${AU_ETC}"
	chown _pop3dauth: "${AU_ETC}"
	export AU_DB AU_ETC AU_CTL
}

# au_ctl ARG...: pop3ctl on the test database, stdin from the caller.
au_ctl()
{
	${AU_CTL} "$@"
}

# au_user NAME PASSWORD [APOP]: a database user, made with pop3ctl.
au_user()
{
	printf '%s\n' "$2" | au_ctl user add "$1" ||
	    atf_fail "pop3ctl user add $1 failed"
	if [ -n "$3" ]; then
		printf '%s\n' "$3" | au_ctl user apop "$1" ||
		    atf_fail "pop3ctl user apop $1 failed"
	fi
}

# au_mailuser: the system user that owns the database users' maildrops,
# and their Maildirs under P3_DIR/vmail/NAME.  Sets AU_MAILUSER, and
# P3_USER etc. to a system user of its own for login tests.
au_mailuser()
{
	p3_useradd
	AU_MAILUSER=${P3_USER}
	AU_VMAIL=${P3_DIR}/vmail
	mkdir -m 0755 "${AU_VMAIL}"
	chown "${AU_MAILUSER}:" "${AU_VMAIL}"
	export AU_MAILUSER AU_VMAIL
}

# au_maildir NAME SET...: the Maildir of database user NAME, seeded.
au_maildir()
{
	_name=$1
	shift
	_u=${P3_USER}
	_m=${P3_MAILDIR}
	P3_USER=${AU_MAILUSER}
	P3_MAILDIR=${AU_VMAIL}/${_name}
	p3_maildir "$@"
	P3_USER=${_u}
	P3_MAILDIR=${_m}
}

# au_conf [STATEMENT...]: a listener on a free port, a poppass
# listener on another, the database (file backend only unless the
# statements add "users system"), debug traces.  Sets P3_PORT and
# AU_PPPORT.
au_conf()
{
	P3_PORT=$("${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" port) ||
	    atf_fail "no free port"
	AU_PPPORT=${P3_PORT}
	while [ "${AU_PPPORT}" = "${P3_PORT}" ]; do
		AU_PPPORT=$("${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" port) ||
		    atf_fail "no free port"
	done
	export P3_PORT AU_PPPORT
	{
		echo "listen on 127.0.0.1 port ${P3_PORT}"
		echo "listen on 127.0.0.1 port ${AU_PPPORT} poppass"
		for l in "$@"; do
			echo "$l"
		done
		echo "users file \"${AU_DB}\" mailuser \"${AU_MAILUSER}\"" \
		    "maildrop maildir \"${AU_VMAIL}/%u\""
		echo 'maildrop maildir "~/Maildir"'
		# The parent's refusals would end a test of failed logins.
		echo "penalty none"
		echo "plaintext-auth from 127.0.0.1"
		# Not the system's: another pop3d may be running.
		echo "control socket \"${P3_DIR}/control.sock\""
		echo "debug yes"
	} >"${P3_CONF}"
}

# au_daemon [STATEMENT...]: database users alice (APOP secret), bob
# (nopass, APOP), carol (no APOP secret), each with a Maildir, and the
# daemon running on them.
au_daemon()
{
	au_init
	au_mailuser
	au_user alice alicepass alicesecret
	au_user bob bobpass bobsecret
	au_ctl user nopass bob || atf_fail "pop3ctl user nopass failed"
	au_user carol carolpass
	au_maildir alice basic
	au_maildir bob
	au_maildir carol
	au_conf "$@"
	p3_start
}

au_case ctl_stdin "pop3ctl user commands read secrets from standard input and write a 0600 file owned by _pop3dauth"
ctl_stdin_body()
{
	au_init
	au_user alice 'pass word:1' 'apop:secret'
	atf_check -s exit:0 test -f "${AU_DB}"
	atf_check -o inline:"600 _pop3dauth\n" stat -c '%a %U' "${AU_DB}"
	p3_py <<'EOF'
import os, warnings
from pop3test import *
from authtest import *
warnings.simplefilter("ignore")
try:
    import crypt
except ImportError:
    crypt = None
def main():
    users, text = db_lines(os.environ["AU_DB"])
    f = users["alice"]
    check(f[1].startswith("$y$"), "hash %s is not yescrypt" % f[1][:4])
    # Python 3.13 has no crypt module; the SCRAM keys are checked anyway.
    check(crypt is None or crypt.crypt("pass word:1", f[1]) == f[1],
        "the hash is not of the password read from stdin")
    check(unb64(f[2]) == b"apop:secret", "APOP secret %r" % unb64(f[2]))
    check(scram_matches(f, "pass word:1"), "SCRAM keys not of the password")
    check("pass word" not in text and "apop:secret" not in text,
        "a secret in the clear in the file")
run(main)
EOF
	printf 'second one\n' | au_ctl user password alice ||
	    atf_fail "user password failed"
	atf_check -s exit:1 -e match:"exists" \
	    ${AU_CTL} user add alice <<EOF
x
EOF
	atf_check -s exit:1 -e match:"no user nobody" \
	    ${AU_CTL} user password nobody <<EOF
x
EOF
	atf_check -s exit:1 -e match:"empty" ${AU_CTL} user add dave <<EOF

EOF
	atf_check -s exit:1 -e match:"bad user name" ${AU_CTL} user add .x \
	    </dev/null
	atf_check -s exit:1 -e match:"bad user name" ${AU_CTL} user add a:b \
	    </dev/null
	p3_py <<'EOF'
import os
from pop3test import *
from authtest import *
def main():
    users, _ = db_lines(os.environ["AU_DB"])
    check(scram_matches(users["alice"], "second one"),
        "user password did not replace the SCRAM keys")
    check(unb64(users["alice"][2]) == b"apop:secret",
        "user password changed the APOP secret")
    check(set(users) == {"alice"}, "users %s" % sorted(users))
run(main)
EOF
	atf_check -s exit:0 ${AU_CTL} user apop -d alice
	atf_check -s exit:0 -o inline:"alice password scram\n" \
	    ${AU_CTL} user list
	atf_check -s exit:0 ${AU_CTL} user delete alice
	atf_check -s exit:0 -o empty ${AU_CTL} user list
	atf_check -s exit:1 -e match:"no user alice" ${AU_CTL} user delete alice
	# The password is never taken from the command line.
	atf_check -s exit:1 -e match:usage ${AU_CTL} user add alice secret \
	    </dev/null
}

au_case ctl_list_no_secrets "pop3ctl user list names the kinds of secrets, never a secret"
ctl_list_no_secrets_body()
{
	au_init
	au_user alice alicepass alicesecret
	au_user bob bobpass
	atf_check -s exit:0 -e match:"bob has no APOP secret" \
	    ${AU_CTL} user nopass bob
	atf_check -s exit:0 -o save:list ${AU_CTL} user list
	printf 'alice password scram apop\nbob password scram nopass\n' >want
	atf_check -o file:want cat list
	for secret in alicepass alicesecret bobpass \
	    $(cut -d: -f2,3,4 "${AU_DB}" | tr ':,' '\n\n'); do
		[ -n "${secret}" ] || continue
		grep -F -q -e "${secret}" list &&
		    atf_fail "user list shows a secret: ${secret}"
	done
	atf_check -s exit:0 ${AU_CTL} user nopass -d bob
	atf_check -s exit:0 -o inline:"bob password scram\n" \
	    sh -c "${AU_CTL} user list | grep ^bob"
}

au_case ctl_mode "pop3ctl refuses a database that others may read, and a symbolic link"
ctl_mode_body()
{
	au_init
	au_user alice alicepass
	cp -p "${AU_DB}" "${P3_DIR}/before"
	chmod 0644 "${AU_DB}"
	atf_check -s exit:1 -e match:"mode 0644 is too open" \
	    ${AU_CTL} user add bob <<EOF
bobpass
EOF
	atf_check -s exit:1 -e match:"too open" ${AU_CTL} user list
	atf_check -s exit:1 -e match:"too open" ${AU_CTL} user delete alice
	atf_check -s exit:0 cmp "${AU_DB}" "${P3_DIR}/before"
	chmod 0640 "${AU_DB}"
	atf_check -s exit:1 -e match:"too open" ${AU_CTL} user password alice \
	    <<EOF
x
EOF
	chmod 0600 "${AU_DB}"
	ln -s "${AU_DB}" "${AU_ETC}/link"
	atf_check -s exit:1 -e not-empty "${POP3CTL}" -u "${AU_ETC}/link" \
	    user delete alice
	atf_check -s exit:0 cmp "${AU_DB}" "${P3_DIR}/before"
}

au_case ctl_bad_lines "pop3ctl reports bad lines as file:line and changes nothing"
ctl_bad_lines_body()
{
	au_init
	au_user alice alicepass
	printf 'this is not a user\n' >>"${AU_DB}"
	cp -p "${AU_DB}" "${P3_DIR}/before"
	atf_check -s exit:1 -e match:"${AU_DB}:2: not 5 fields" \
	    ${AU_CTL} user add bob <<EOF
bobpass
EOF
	atf_check -s exit:0 cmp "${AU_DB}" "${P3_DIR}/before"
	# The good users are still listed; the status says not all is well.
	atf_check -s exit:1 -o inline:"alice password scram\n" \
	    -e match:":2:" ${AU_CTL} user list
}

au_case ctl_concurrent "Concurrent pop3ctl changes from several processes all land, in a consistent file" 240
ctl_concurrent_body()
{
	au_init
	au_user shared initial
	pids=
	for w in 1 2 3 4 5 6; do
		(
			for i in 1 2 3 4 5 6; do
				printf 'pw%s%s\n' "$w" "$i" |
				    au_ctl user add "u$w-$i" || exit 1
				printf 'shared%s%s\n' "$w" "$i" |
				    au_ctl user password shared || exit 1
			done
			printf 'gone\n' | au_ctl user add "tmp$w" || exit 1
			au_ctl user delete "tmp$w" || exit 1
		) >"${P3_DIR}/w$w.out" 2>&1 &
		pids="${pids} $!"
	done
	failed=
	for p in ${pids}; do
		wait "$p" || failed="${failed} $p"
	done
	[ -z "${failed}" ] || {
		cat "${P3_DIR}"/w*.out >&2
		atf_fail "a pop3ctl worker failed"
	}
	atf_check -s exit:0 -o save:list ${AU_CTL} user list
	atf_check -o inline:"37\n" sh -c "wc -l <list | tr -d ' '"
	p3_py <<'EOF'
import os
from pop3test import *
from authtest import *
def main():
    users, _ = db_lines(os.environ["AU_DB"])
    want = {"shared"} | {"u%d-%d" % (w, i) for w in range(1, 7)
        for i in range(1, 7)}
    check(set(users) == want, "users: missing %s, extra %s" %
        (sorted(want - set(users)), sorted(set(users) - want)))
    for w in range(1, 7):
        for i in range(1, 7):
            check(scram_matches(users["u%d-%d" % (w, i)], "pw%d%d" % (w, i)),
                "u%d-%d has another user's keys" % (w, i))
    check(any(scram_matches(users["shared"], "shared%d%d" % (w, i))
        for w in range(1, 7) for i in range(1, 7)),
        "shared has keys of no password that was set")
    left = [n for n in os.listdir(os.environ["AU_ETC"])
        if n not in ("users", "users.lock")]
    check(not left, "files left behind: %s" % left)
run(main)
EOF
}

au_case ctl_sigkill "A change killed with SIGKILL at any instant leaves the old file or the new one" 300
ctl_sigkill_body()
{
	au_init
	au_user alice pw0
	au_user bob bobpass
	i=1
	while [ $i -le 50 ]; do
		cp -p "${AU_DB}" "${P3_DIR}/old"
		printf 'pw%s\n' "$i" >"${P3_DIR}/pw"
		# pop3ctl itself, not a subshell running the function au_ctl:
		# killing that would leave pop3ctl writing behind our back.
		${AU_CTL} user password alice <"${P3_DIR}/pw" >/dev/null 2>&1 &
		pid=$!
		# Spread the kills over the run: reading, hashing, writing.
		sleep "0.0$(p3_random 2 0-9)"
		kill -KILL "${pid}" 2>/dev/null
		wait "${pid}" 2>/dev/null
		if ! cmp -s "${AU_DB}" "${P3_DIR}/old"; then
			AU_PW=pw$i p3_py <<'EOF'
import os
from pop3test import *
from authtest import *
def main():
    new, _ = db_lines(os.environ["AU_DB"])
    old, _ = db_lines(os.environ["P3_DIR"] + "/old")
    check(set(new) == set(old), "users changed: %s" % sorted(new))
    check(new["bob"] == old["bob"], "bob's entry changed")
    check(scram_matches(new["alice"], os.environ["AU_PW"]),
        "alice's entry is neither the old nor the new one")
run(main)
EOF
			echo "run $i: new file" >&2
		else
			echo "run $i: old file" >&2
		fi
		atf_check -o match:"^alice password scram$" ${AU_CTL} user list
		i=$((i + 1))
	done
	# The lock died with its holders; a change still goes through.
	printf 'final\n' | au_ctl user password alice ||
	    atf_fail "the lock is stuck after the kills"
	left=$(ls -A "${AU_ETC}" | grep -v -x -e users -e users.lock)
	[ -z "${left}" ] || atf_fail "files left behind: ${left}"
}

au_case login_file "USER/PASS for database users, whose maildrops belong to the mail user"
login_file_body()
{
	au_daemon
	p3_py <<'EOF'
import os, poplib
from pop3test import *
from authtest import *
E = TestEnv()
def main():
    p = E.connect()
    p.login("alice", "alicepass")
    n, _ = p.stat()
    check(n == len(E.seed) and n > 0, "alice's maildrop has %d messages, "
        "seeded %d" % (n, len(E.seed)))
    p.ok("QUIT")
    c = poplib.POP3("127.0.0.1", E.port, timeout=10)
    c.user("carol")
    check(c.pass_("carolpass").startswith(b"+OK"), "poplib pass_() refused")
    c.quit()
    check(not login_ok(E.port, "carol", "alicepass"), "wrong password "
        "accepted")
    check(not login_ok(E.port, "nosuchuser", "alicepass"), "unknown user "
        "accepted")
    # Only the file backend is configured: system accounts are unknown.
    check(not login_ok(E.port, E.user, E.pw), "system user accepted")
    # RFC 1939 section 7: bob uses APOP and may not use PASS.
    check(not login_ok(E.port, "bob", "bobpass"), "nopass user logged in "
        "with PASS")
    log_ = E.logtext()
    check("login failed for user nosuchuser" in log_, "no failure line")
run(main)
EOF
}

au_case both_backends "users system, then users file: both kinds log in, each to its own maildrop"
both_backends_body()
{
	au_init
	au_mailuser
	# A system user of its own, with a Maildir in its home.
	p3_useradd
	p3_maildir basic
	au_user alice alicepass alicesecret
	au_maildir alice
	au_conf "users system"
	p3_start
	p3_py <<'EOF'
from pop3test import *
from authtest import *
E = TestEnv()
def main():
    p = E.connect()
    p.login(E.user, E.pw)
    n, _ = p.stat()
    check(n == len(E.seed), "system user: %d messages" % n)
    p.ok("QUIT")
    p = E.connect()
    p.login("alice", "alicepass")
    n, _ = p.stat()
    check(n == 0, "alice sees %d messages of another maildrop" % n)
    p.ok("QUIT")
    check(not login_ok(E.port, E.user, "alicepass"), "wrong password")
run(main)
EOF
}

au_case apop "APOP with poplib: unique timestamps; replayed digests, spent timestamps and system accounts refused"
apop_body()
{
	au_init
	au_mailuser
	p3_useradd
	p3_maildir
	au_user alice alicepass alicesecret
	au_user carol carolpass
	au_maildir alice basic
	au_maildir carol
	au_conf "users system" "apop yes"
	p3_start
	p3_py <<'EOF'
import hashlib, poplib, re
from pop3test import *
from authtest import *
E = TestEnv()
def digest(ts, secret):
    return hashlib.md5((ts + secret).encode()).hexdigest()
def timestamp(greeting):
    m = re.search(r"(<[^<>@ ]+\.[^<>@ ]+@[^<> ]+>)$", greeting)
    check(m, "no APOP timestamp in %s" % short(greeting))
    check(len(m.group(1)) <= 128, "timestamp over 128 characters")
    return m.group(1)
def main():
    c = poplib.POP3("127.0.0.1", E.port, timeout=10)
    r = c.apop("alice", "alicesecret")
    check(r.startswith(b"+OK"), "apop(): %r" % r)
    check(c.stat()[0] == len(E.seed), "alice's maildrop")
    c.quit()

    seen = set()
    for i in range(5):
        p = E.connect()
        ts = timestamp(p.greeting)
        check(ts not in seen, "timestamp %s twice" % ts)
        seen.add(ts)
        p.ok("QUIT")

    # A digest seen on the wire is worth nothing in another session.
    a = E.connect()
    d = digest(timestamp(a.greeting), "alicesecret")
    a.ok("APOP alice %s" % d)
    a.ok("QUIT")
    b = E.connect()
    b.err("APOP alice %s" % d, "AUTH")
    # The timestamp is spent by one attempt, even a failed one.
    b.err("APOP alice %s" % digest(timestamp(b.greeting), "alicesecret"))
    b.cmd("QUIT")

    # No APOP for system accounts, nor for users without a secret.
    for user, secret in ((E.user, E.pw), ("carol", "carolpass"),
            ("nosuchuser", "x")):
        p = E.connect()
        p.err("APOP %s %s" % (user, digest(timestamp(p.greeting), secret)),
            "AUTH")
        p.cmd("QUIT")
    p = E.connect()
    p.err("APOP alice %s" % digest(timestamp(p.greeting),
        "alicesecret").upper(), "AUTH")
    p.cmd("QUIT")
run(main)
EOF
}

au_case apop_after_stls "After STLS, a handover to pop3d-session-tls, APOP with the greeting timestamp and SCRAM-SHA-256 log in; the timestamp is spent once"
apop_after_stls_body()
{
	au_init
	au_mailuser
	p3_useradd
	p3_maildir
	au_user alice alicepass alicesecret
	au_maildir alice basic
	p3_tls_cert
	au_conf "apop yes" \
	    "tls certificate \"${P3_CERT}\" key \"${P3_KEY}\""
	p3_start
	p3_py <<'EOF'
import hashlib, re
from pop3test import *
from authtest import *
E = TestEnv()
def timestamp(greeting):
    m = re.search(r"(<[^<>@ ]+\.[^<>@ ]+@[^<> ]+>)$", greeting)
    check(m, "no APOP timestamp in %s" % short(greeting))
    return m.group(1)
def main():
    p = E.connect()
    ts = timestamp(p.greeting)
    p.starttls(E.ctx())
    d = hashlib.md5((ts + "alicesecret").encode()).hexdigest()
    p.ok("APOP alice %s" % d)
    check(p.stat()[0] == len(E.seed), "alice's maildrop after STLS")
    p.ok("QUIT")
    # The timestamp went along with the connection and is spent there.
    p = E.connect()
    ts = timestamp(p.greeting)
    p.starttls(E.ctx())
    p.err("APOP alice %s" % hashlib.md5((ts + "wrong").encode()).hexdigest(),
        "AUTH")
    p.err("APOP alice %s" % hashlib.md5((ts + "alicesecret").encode())
        .hexdigest())
    p.cmd("QUIT")
    p = E.connect()
    p.starttls(E.ctx())
    r = auth_scram(p, "alice", "alicepass")
    check(r.status.startswith("+OK"), "SCRAM after STLS: %s" %
        short(r.status))
    p.ok("QUIT")
run(main)
EOF
}

au_case nopass "A nopass user logs in with APOP and SCRAM-SHA-256, never with PASS or PLAIN"
nopass_body()
{
	au_daemon "apop yes"
	p3_py <<'EOF'
import hashlib, poplib
from pop3test import *
from authtest import *
E = TestEnv()
def main():
    check(not login_ok(E.port, "bob", "bobpass"), "PASS accepted")
    p = E.connect()
    r = auth_plain(p, "bob", "bobpass")
    check(r.startswith("-ERR"), "AUTH PLAIN: %s" % short(r))
    p.cmd("QUIT")
    c = poplib.POP3("127.0.0.1", E.port, timeout=10)
    check(c.apop("bob", "bobsecret").startswith(b"+OK"), "APOP refused")
    c.quit()
    p = E.connect()
    r = auth_scram(p, "bob", "bobpass")
    check(r.status.startswith("+OK"), "SCRAM: %s" % short(r.status))
    p.ok("QUIT")
run(main)
EOF
}

au_case sasl_plain "AUTH PLAIN with and without an initial response; wrong passwords, other authzids and * refused"
sasl_plain_body()
{
	au_daemon
	p3_py <<'EOF'
from pop3test import *
from authtest import *
E = TestEnv()
def main():
    names, lines = E.connect().capa()
    sasl = [l for l in lines if l.upper().startswith("SASL ")]
    check(sasl and "PLAIN" in sasl[0].upper().split() and
        "SCRAM-SHA-256" in sasl[0].upper().split(),
        "CAPA SASL line: %s" % sasl)
    for initial in (True, False):
        p = E.connect()
        r = auth_plain(p, "alice", "alicepass", initial)
        check(r.startswith("+OK"), "PLAIN (initial %s): %s" % (initial,
            short(r)))
        p.stat()
        p.ok("QUIT")
    # The log names the mechanism, also when the exchange took lines.
    got = wait_log(E.log, r"login user alice method ", count=2)
    check(all(l.endswith("method plain tls no") for l in got),
        "PLAIN logged as %r" % got)
    p = E.connect()
    r = auth_plain(p, "alice", "alicepass", authzid="alice")
    check(r.startswith("+OK"), "PLAIN with authzid = authcid: %s" % r)
    p.ok("QUIT")
    for user, pw, z in (("alice", "wrong", ""), ("nosuchuser", "x", ""),
            ("alice", "alicepass", "carol")):
        p = E.connect()
        r = auth_plain(p, user, pw, authzid=z)
        check(r.startswith("-ERR"), "PLAIN %s/%s as %r: %s" % (user, pw,
            z, short(r)))
        p.cmd("QUIT")
    p = E.connect()
    p.send("AUTH PLAIN")
    check(continuation(p) == b"", "challenge not empty")
    p.err("*")
    p.cmd("QUIT")
run(main)
EOF
}

au_case sasl_scram "AUTH SCRAM-SHA-256 (RFC 7677): stored keys, server signature, same shape for unknown users"
sasl_scram_body()
{
	au_daemon
	p3_py <<'EOF'
from pop3test import *
from authtest import *
E = TestEnv()
def main():
    for initial in (True, False):
        p = E.connect()
        r = auth_scram(p, "alice", "alicepass", initial)
        check(r.verified and r.status.startswith("+OK"), "SCRAM: %s" %
            short(r.status))
        p.stat()
        p.ok("QUIT")
    p = E.connect()
    r = auth_scram(p, "alice", "wrong")
    check(r.status.startswith("-ERR [AUTH]"), "wrong password: %s" %
        short(r.status))
    real = r.server_first
    r = auth_scram(p, "alice", "alicepass", tamper=True)
    check(r.status.startswith("-ERR"), "tampered proof: %s" %
        short(r.status))
    p.cmd("QUIT")
    # An unknown name gets a salt and count too, the same each time.
    salts = []
    for i in range(2):
        p = E.connect()
        r = auth_scram(p, "nosuchuser", "alicepass")
        check(r.server_first is not None, "no server-first for an "
            "unknown user: %s" % short(r.status))
        check(r.status.startswith("-ERR [AUTH]"), "unknown: %s" %
            short(r.status))
        check(len(unb64(r.server_first["s"])) == len(unb64(real["s"])) and
            r.server_first["i"] == real["i"], "unknown user's salt or "
            "count differs in shape: %s vs %s" % (r.server_first, real))
        salts.append(r.server_first["s"])
        p.cmd("QUIT")
    check(salts[0] == salts[1], "an unknown user's salt changes: %s" % salts)
run(main)
EOF
}

au_case poppass "poppass: the new password logs in, the old not; wrong old passwords and system accounts refused"
poppass_body()
{
	au_init
	au_mailuser
	p3_useradd
	p3_maildir
	au_user alice alicepass alicesecret
	au_maildir alice
	au_conf "users system" "poppass min-length 6"
	p3_start
	p3_py <<'EOF'
import os, stat, pwd
from pop3test import *
from authtest import *
E = TestEnv()
PP = int(os.environ["AU_PPPORT"])
DB = os.environ["AU_DB"]
def main():
    before, _ = db_lines(DB)
    r = poppass_change(PP, "alice", "wrong", "newsecret1")
    check(r.startswith("500"), "wrong old password: %s" % short(r))
    r = poppass_change(PP, "alice", "alicepass", "short")
    check(r.startswith("500"), "too short: %s" % short(r))
    r = poppass_change(PP, E.user, E.pw, "newsecret1")
    check(r.startswith("500"), "system account: %s" % short(r))
    r = poppass_change(PP, "nosuchuser", "x", "newsecret1")
    check(r.startswith("500"), "unknown user: %s" % short(r))
    check(db_lines(DB)[0] == before, "a refused change changed the file")
    check(login_ok(E.port, E.user, E.pw), "system user's password changed")

    r = poppass_change(PP, "alice", "alicepass", "newsecret1")
    check(r.startswith("200"), "change: %s" % short(r))
    check(login_ok(E.port, "alice", "newsecret1"), "new password refused")
    check(not login_ok(E.port, "alice", "alicepass"), "old password works")
    after, _ = db_lines(DB)
    check(after["alice"][2] == before["alice"][2], "APOP secret changed")
    check(scram_matches(after["alice"], "newsecret1"),
        "SCRAM keys not replaced")
    st = os.stat(DB)
    check(stat.S_IMODE(st.st_mode) == 0o600 and
        pwd.getpwuid(st.st_uid).pw_name == "_pop3dauth",
        "database mode %o owner %d after the change" % (st.st_mode,
        st.st_uid))
    p = E.connect()
    r = auth_scram(p, "alice", "newsecret1")
    check(r.status.startswith("+OK"), "SCRAM after the change: %s" %
        short(r.status))
    p.ok("QUIT")
    check("password changed for user alice from 127.0.0.1" in E.logtext(),
        "no log line for the change")
run(main)
EOF
}

au_case ctl_live "Changes made with pop3ctl count at the next login, without a restart"
ctl_live_body()
{
	au_daemon
	printf 'fresh one\n' | au_ctl user password carol ||
	    atf_fail "user password failed"
	printf 'davepass\n' | au_ctl user add dave || atf_fail "add failed"
	au_maildir dave
	au_ctl user delete alice || atf_fail "delete failed"
	p3_py <<'EOF'
from pop3test import *
from authtest import *
E = TestEnv()
def main():
    check(login_ok(E.port, "carol", "fresh one"), "new password refused")
    check(not login_ok(E.port, "carol", "carolpass"), "old password works")
    check(login_ok(E.port, "dave", "davepass"), "new user refused")
    check(not login_ok(E.port, "alice", "alicepass"), "deleted user "
        "logged in")
run(main)
EOF
}

# au_dear_hash NAME PASSWORD ROUNDS: NAME's hash in the database made
# SHA-512 crypt with ROUNDS rounds, a check that costs what we choose.
au_dear_hash()
{
	"${P3_PYTHON}" - "$@" <<'EOF' || atf_fail "cannot set a dear hash"
import crypt, os, sys, warnings
warnings.simplefilter("ignore")
name, pw, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
h = crypt.crypt(pw, crypt.mksalt(crypt.METHOD_SHA512, rounds=rounds))
path = os.environ["AU_DB"]
lines = open(path).read().splitlines(True)
with open(path, "r+") as f:
    for l in lines:
        f_ = l.split(":")
        if f_[0] == name:
            f_[1] = h
        f.write(":".join(f_))
    f.truncate()
EOF
}

au_case fair_queue "A flood of wrong passwords from one source does not queue the login of another source behind it: pop3d-auth checks one request of each source in turn" 180
fair_queue_body()
{
	au_init
	au_mailuser
	au_user alice alicepass
	au_user bob bobpass
	au_dear_hash alice alicepass 2000000
	au_maildir bob
	au_conf "plaintext-auth yes" "max-sessions 100" \
	    "max-sessions-per-source 40"
	p3_start
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
N = 16
def fnv(b):
    h = 2166136261
    for c in b:
        h = ((h ^ c) * 16777619) & 0xffffffff
    return h
def same_auth():
    # The parent's auth_for(): FNV-1a of the source, modulo the number
    # of pop3d-auth processes (1 to 8), so equal modulo 840 is one process
    # whatever that number is.
    want = fnv(bytes([127, 0, 0, 1])) % 840
    for a in range(256):
        for b in range(1, 255):
            if (a, b) != (0, 1) and fnv(bytes([127, 0, a, b])) % 840 == want:
                return "127.0.%d.%d" % (a, b)
    fail("no address shares pop3d-auth with 127.0.0.1")
def main():
    other = same_auth()
    log("-- the other source: %s" % other)
    flood = [POP3(E.port, source="127.0.0.1", timeout=120)
        for i in range(N)]
    for p in flood:
        p.ok("USER alice")
    for p in flood:
        p.sendraw(b"PASS wrong\r\n")
    # Not needed for the order asserted below; gives the flood time to
    # be queued, so that the login really comes behind it.
    time.sleep(0.5)
    p = POP3(E.port, source=other, timeout=120)
    p.ok("USER bob")
    p.ok("PASS bobpass")
    quit_ok(p)
    for q in flood:
        r = q.reply()
        check(r.startswith("-ERR"), "flood: %s" % short(r))
        q.close()
    lines = log_lines(E.log, r"attempt 1 for user (alice|bob)$")
    order = ["bob" if l.endswith("bob") else "alice" for l in lines]
    check(order.count("alice") == N and order.count("bob") == 1,
        "attempts logged: %s" % order)
    after = len(order) - 1 - order.index("bob")
    log("-- flood requests checked after the login: %d of %d" % (after, N))
    check(after >= N // 2, "the login was checked after %d of %d flood "
        "requests" % (N - after, N))
run(main)
EOF
}

au_case pad_failures "With users system first and a database user whose hash is dear, a failure for an unknown name costs what one for that user costs" 180
pad_failures_body()
{
	au_init
	au_mailuser
	au_user alice alicepass
	au_dear_hash alice alicepass 3000000
	au_maildir alice
	# au_conf writes its statements before "users file".
	au_conf "plaintext-auth yes" "users system"
	p3_start
	p3_py <<'EOF'
import crypt, warnings
from pop3test import *
warnings.simplefilter("ignore")
E = TestEnv()
def dear_cost():
    # The hash of alice, timed here: what one check against it costs.
    # The least of three, since a loaded machine only adds time, and
    # pop3d-auth timed it for its padding at another moment.
    for line in open(os.environ["AU_DB"]):
        f = line.split(":")
        if f[0] == "alice":
            best = None
            for i in range(3):
                t0 = time.monotonic()
                crypt.crypt("wrong", f[1])
                dt = time.monotonic() - t0
                best = dt if best is None else min(best, dt)
            return best
    fail("no alice in the database")
def failure(src, user):
    # Each from a source of its own: the answer delay is the first one.
    p = POP3(E.port, source=src, timeout=60)
    p.ok("USER %s" % user)
    t0 = time.monotonic()
    p.err("PASS wrong")
    dt = time.monotonic() - t0
    p.close()
    return dt
def main():
    dear = dear_cost()
    log("-- the dear hash costs %.3f s" % dear)
    check(dear >= 0.2, "the dear hash costs only %.3f s" % dear)
    # The first failure of a source waits 0.5 s on top of the check.
    unknown = failure("127.0.0.2", "nosuchuser") - 0.5
    known = failure("127.0.0.3", "alice") - 0.5
    unknown2 = failure("127.0.0.4", "nosuchuser2") - 0.5
    log("-- unknown %.3f s, known %.3f s, unknown again %.3f s" %
        (unknown, known, unknown2))
    for what, dt in (("unknown name", unknown), ("known name", known),
            ("unknown name after", unknown2)):
        # Unpadded, an unknown name fails in milliseconds; half the
        # hash leaves room for the noise of a shared machine.
        check(dt >= 0.5 * dear, "%s: failure took %.3f s beyond the "
            "delay, the dear hash %.3f s" % (what, dt, dear))
run(main)
EOF
}

au_case penalty "Failures from one address are answered later and later; unknown users cost the same"
penalty_body()
{
	au_daemon
	p3_py <<'EOF'
import re
from pop3test import *
from authtest import *
E = TestEnv()
def main():
    for user in ("alice", "nosuchuser", "alice"):
        p = E.connect()
        p.ok("USER %s" % user)
        p.err("PASS wrong", "AUTH")
        p.cmd("QUIT")
    # Counted from the log, not timed: auth says what it waits.
    waits = [int(m) for m in re.findall(r"failure answered in (\d+) ms",
        E.logtext())]
    check(len(waits) == 3, "failures logged: %s" % waits)
    check(waits[0] < waits[1] < waits[2], "delays do not grow: %s" % waits)
run(main)
EOF
}

au_case reload_auth "A reload reaches pop3d-auth: new logins follow the new users and apop statements, a session from before finishes under the old settings but gets no system login, and the old pop3d-auth processes exit after it" 120
reload_auth_body()
{
	au_init
	au_mailuser
	p3_useradd
	p3_maildir basic
	au_user alice alicepass alicesecret
	au_maildir alice
	au_conf "users system" "apop yes"
	p3_start
	# Two sessions connected before the reload log in after it.
	cat >"${P3_DIR}/old.py" <<'EOF'
import os, time
from pop3test import *
E = TestEnv()
def main():
    system = E.connect()
    dbuser = E.connect()
    open(E.dir + "/old.ready", "w").close()
    deadline = time.monotonic() + 30
    while not os.path.exists(E.dir + "/old.go"):
        check(time.monotonic() < deadline, "never told to go on")
        time.sleep(0.1)
    system.ok("USER %s" % E.user)
    system.err("PASS %s" % E.pw)
    system.close()
    dbuser.login("alice", "alicepass")
    quit_ok(dbuser)
run(main)
EOF
	"${P3_PYTHON}" "${P3_DIR}/old.py" 2>"${P3_DIR}/old.err" &
	old=$!
	p3_py <<'EOF'
import os, time
from pop3test import *
from authtest import *
E = TestEnv()
def main():
    deadline = time.monotonic() + 10
    while not os.path.exists(E.dir + "/old.ready"):
        check(time.monotonic() < deadline, "old sessions not connected")
        time.sleep(0.1)
    p = E.connect()
    check("<" in p.greeting, "no APOP timestamp: %s" % p.greeting)
    p.close()
    check(login_ok(E.port, E.user, E.pw), "system login before reload")
run(main)
EOF
	sed -e '/^users system$/d' -e '/^apop yes$/d' "${P3_CONF}" \
	    >"${P3_CONF}.new" && mv "${P3_CONF}.new" "${P3_CONF}"
	kill -HUP "${P3_PID}"
	p3_py <<'EOF'
from pop3test import *
from authtest import *
E = TestEnv()
def main():
    wait_log(E.log, r"configuration reloaded$")
    p = E.connect()
    check("<" not in p.greeting, "APOP timestamp after apop no: %s" %
        p.greeting)
    p.err("APOP alice 0123456789abcdef0123456789abcdef")
    p.close()
    check(not login_ok(E.port, E.user, E.pw),
        "system login after users system was removed")
    check(login_ok(E.port, "alice", "alicepass"), "database login")
run(main)
EOF
	touch "${P3_DIR}/old.go"
	wait ${old}
	rc=$?
	cat "${P3_DIR}/old.err" >&2
	[ ${rc} -eq 0 ] || p3_failure "the sessions from before the reload"
	p3_py <<'EOF'
import os
from pop3test import *
E = TestEnv()
def main():
    wait_log(E.log, r"refusing grant for user %s$" % E.user)
    n = min(os.cpu_count(), 8)
    wait_log(E.log, r"retired pop3d-auth \d+ exited with status 0", count=n)
run(main)
EOF
}

au_case metrics "pop3ctl show metrics: strict Prometheus text, and the exact counts of logins and failures of every method, RETRs, deletions, refusals and a lost session" 150
metrics_body()
{
	au_daemon "apop yes" "plaintext-auth yes" "access default grant" \
	    "deny 127.0.0.2"
	P3_CTL=${P3_DIR}/control.sock
	export P3_CTL
	p3_ctl access deny 127.0.0.3 reason "metrics test" ||
	    atf_fail "pop3ctl access deny failed"
	p3_py <<'EOF'
import hashlib, re, signal, subprocess
from pop3test import *
from authtest import *
E = TestEnv()
PP = int(os.environ["AU_PPPORT"])
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"

def labels(text, where):
    """name="value",... with only the escapes of the format."""
    out, i = {}, 0
    while i < len(text):
        m = re.compile(r"(%s)=\"" % LABEL).match(text, i)
        check(m, "%s: bad label at %r" % (where, text[i:]))
        i, v = m.end(), ""
        while True:
            check(i < len(text), "%s: unterminated label value" % where)
            c = text[i]
            if c == "\\":
                check(text[i + 1:i + 2] in ("\\", "\"", "n"),
                    "%s: bad escape" % where)
                v += {"\\": "\\", "\"": "\"", "n": "\n"}[text[i + 1]]
                i += 2
            elif c == "\"":
                i += 1
                break
            else:
                check(c != "\n", "%s: newline in a label" % where)
                v += c
                i += 1
        check(m.group(1) not in out, "%s: label %s twice" %
            (where, m.group(1)))
        out[m.group(1)] = v
        if i < len(text):
            check(text[i] == ",", "%s: expected a comma" % where)
            i += 1
    return out

def parse(text):
    """A strict reading of the text exposition format: HELP, then TYPE,
    then the family's samples; valid names; numeric values; counters
    end in _total; histograms whole.  {(name, labels): value}."""
    check(text.endswith("\n"), "the text does not end with a newline")
    types, helps, samples, cur = {}, set(), {}, None
    for n, line in enumerate(text[:-1].split("\n"), 1):
        where = "line %d %r" % (n, line)
        m = re.match(r"^# HELP (%s) (.+)$" % NAME, line)
        if m:
            check(m.group(1) not in helps, "%s: HELP twice" % where)
            helps.add(m.group(1))
            continue
        m = re.match(r"^# TYPE (%s) (counter|gauge|histogram|summary|"
            r"untyped)$" % NAME, line)
        if m:
            name, t = m.groups()
            check(name not in types, "%s: TYPE twice" % where)
            check(name in helps, "%s: TYPE without HELP" % where)
            if t == "counter":
                check(name.endswith("_total"), "%s: a counter not named "
                    "_total" % where)
            types[name], cur = t, name
            continue
        check(not line.startswith("#"), "%s: unknown comment" % where)
        m = re.match(r"^(%s)(?:\{(.*)\})? (\S+)$" % NAME, line)
        check(m, "%s: not a sample" % where)
        name, lab, val = m.groups()
        family = name
        if cur is not None and types[cur] == "histogram" and \
                name in (cur + "_bucket", cur + "_sum", cur + "_count"):
            family = cur
        check(family == cur, "%s: sample without its TYPE before it" %
            where)
        lab = labels(lab or "", where)
        if name.endswith("_bucket"):
            check("le" in lab, "%s: bucket without le" % where)
        try:
            v = float(val)
        except ValueError:
            fail("%s: value %r is not a number" % (where, val))
        if types[family] == "counter":
            check(v >= 0, "%s: negative counter" % where)
        key = (name, tuple(sorted(lab.items())))
        check(key not in samples, "%s: sample twice" % where)
        samples[key] = v
    for name, t in types.items():
        if t != "histogram":
            continue
        b = sorted(((float(dict(k[1])["le"]), v) for k, v in
            samples.items() if k[0] == name + "_bucket"))
        check(b and b[-1][0] == float("inf"), "%s: no +Inf bucket" % name)
        check(all(b[i][1] <= b[i + 1][1] for i in range(len(b) - 1)),
            "%s: buckets not cumulative" % name)
        check(b[-1][1] == samples[(name + "_count", ())],
            "%s: +Inf bucket is not the count" % name)
    return samples

def scrape():
    r = subprocess.run([os.environ["POP3CTL"], "-s", os.environ["P3_CTL"],
        "show", "metrics"], capture_output=True, text=True)
    check(r.returncode == 0 and r.stderr == "", "show metrics: %d %s" %
        (r.returncode, r.stderr))
    return parse(r.stdout), r.stdout

def get(s, name, **lab):
    key = (name, tuple(sorted(lab.items())))
    check(key in s, "no sample %s %r" % (name, lab))
    return s[key]

def apop(p, user, secret):
    m = re.search(r"(<[^<>]+>)$", p.greeting)
    check(m, "no APOP timestamp: %s" % short(p.greeting))
    return p.cmd("APOP %s %s" % (user,
        hashlib.md5((m.group(1) + secret).encode()).hexdigest()))

def main():
    before, _ = scrape()
    # USER/PASS: two logins, three RETRs, one DELE.
    p = POP3(E.port, source="127.0.0.1")
    p.login("alice", "alicepass")
    sizes = p.list_all()
    check(len(sizes) >= 3, "alice has %d messages" % len(sizes))
    p.retr(1)
    p.retr(2)
    quit_ok(p)
    p = E.connect(source="127.0.0.1")
    check(apop(p, "alice", "alicesecret").startswith("+OK"), "APOP")
    p.retr(1)
    p.ok("DELE 3")
    quit_ok(p)
    p = E.connect(source="127.0.0.1")
    check(auth_plain(p, "carol", "carolpass").startswith("+OK"), "PLAIN")
    quit_ok(p)
    p = E.connect(source="127.0.0.1")
    check(auth_scram(p, "alice", "alicepass").status.startswith("+OK"),
        "SCRAM")
    quit_ok(p)
    check(poppass_change(PP, "carol", "carolpass",
        "carolnew1").startswith("200"), "poppass change")
    # Failures, each from a source of its own (no growing delays).
    p = E.connect(source="127.0.0.10")
    p.ok("USER alice")
    p.err("PASS wrong", "AUTH")
    p.close()
    p = E.connect(source="127.0.0.11")
    p.ok("USER nosuchuser")
    p.err("PASS wrong", "AUTH")
    p.close()
    p = E.connect(source="127.0.0.12")
    check(apop(p, "alice", "wrong").startswith("-ERR"), "bad APOP")
    p.close()
    p = E.connect(source="127.0.0.13")
    check(auth_plain(p, "carol", "wrong").startswith("-ERR"), "bad PLAIN")
    p.close()
    p = E.connect(source="127.0.0.14")
    check(auth_scram(p, "alice", "wrong").status.startswith("-ERR"),
        "bad SCRAM")
    p.close()
    check(poppass_change(PP, "carol", "wrong",
        "carolnew2").startswith("500"), "bad poppass")
    # Refusals: pop3d.conf's deny, and the runtime list's.
    expect_refused(E.port, "127.0.0.2", what="config deny")
    expect_refused(E.port, "127.0.0.3", what="runtime deny")
    # A session that dies of a signal.
    p = E.connect(source="127.0.0.20")
    os.kill(session_pid(E.port, p.local_port()), signal.SIGKILL)
    wait_log(E.log, r"lost child: ")
    p.close()
    wait_log(E.log, r"logout user alice: ", count=2)
    # One logged-in session held open for the gauges.
    held = E.connect(source="127.0.0.1")
    held.login("alice", "alicepass")
    deadline = time.monotonic() + 30
    while True:
        after, text = scrape()
        if get(after, "pop3d_sessions") == 1 and \
                get(after, "pop3d_logins_total", method="pass") - \
                get(before, "pop3d_logins_total", method="pass") == 2:
            break
        check(time.monotonic() < deadline, "sessions still ending:\n" +
            text)
        time.sleep(0.2)
    log(text)
    def delta(name, **lab):
        return get(after, name, **lab) - get(before, name, **lab)
    want = {
        ("pop3d_logins_total", "pass"): 2,
        ("pop3d_logins_total", "apop"): 1,
        ("pop3d_logins_total", "plain"): 1,
        ("pop3d_logins_total", "scram-sha-256"): 1,
        ("pop3d_logins_total", "poppass"): 1,
        ("pop3d_login_failures_total", "pass"): 2,
        ("pop3d_login_failures_total", "apop"): 1,
        ("pop3d_login_failures_total", "plain"): 1,
        ("pop3d_login_failures_total", "scram-sha-256"): 1,
        ("pop3d_login_failures_total", "poppass"): 1,
    }
    for (name, method), n in want.items():
        check(delta(name, method=method) == n, "%s{method=%s}: %g, "
            "expected %d" % (name, method, delta(name, method=method), n))
        check(delta("pop3d_login_tempfailures_total", method=method) == 0,
            "tempfailures of %s" % method)
    refused = {"access-list": 1, "runtime-access-list": 1, "auto-deny": 0,
        "penalty": 0, "limits": 0}
    for cause, n in refused.items():
        check(delta("pop3d_refused_total", cause=cause) == n,
            "refused{cause=%s}: %g, expected %d" % (cause,
            delta("pop3d_refused_total", cause=cause), n))
    # Connections: 4 POP3 logins, 2 poppass, 5 failures, the killed
    # one and the held one.
    check(delta("pop3d_sessions_total") == 13, "sessions_total: %g" %
        delta("pop3d_sessions_total"))
    check(delta("pop3d_retrieved_messages_total") == 3, "retrieved: %g" %
        delta("pop3d_retrieved_messages_total"))
    check(delta("pop3d_retrieved_bytes_total") == 2 * sizes[1] + sizes[2],
        "retrieved bytes: %g, expected %d" %
        (delta("pop3d_retrieved_bytes_total"), 2 * sizes[1] + sizes[2]))
    check(delta("pop3d_deleted_messages_total") == 1, "deleted")
    check(delta("pop3d_deleted_bytes_total") == sizes[3], "deleted bytes")
    check(delta("pop3d_process_deaths_total", process="session") == 1,
        "session deaths: %g" %
        delta("pop3d_process_deaths_total", process="session"))
    check(delta("pop3d_process_deaths_total", process="store") == 0,
        "store deaths")
    check(get(after, "pop3d_sessions_logged_in") == 1, "logged in")
    check(get(after, "pop3d_auth_queue_length") == 0, "queue length")
    check(get(after, "pop3d_runtime_access_entries") == 1,
        "runtime entries")
    nauth = get(after, "pop3d_auth_processes")
    check(1 <= nauth <= 8, "pop3d-auth processes: %g" % nauth)
    check(get(after, "pop3d_auth_processes_silent") == 0, "silent")
    # Every decision was a request, and so were the challenges and
    # the SASL steps: at least the 15 decisions.
    n = delta("pop3d_auth_latency_seconds_count")
    check(n >= 15, "auth requests: %g" % n)
    check(get(after, "pop3d_auth_latency_seconds_sum") >= 0, "latency")
    check(get(after, "pop3d_start_time_seconds") <= time.time(), "start")
    quit_ok(held)
run(main)
EOF
}

atf_init_test_cases()
{
	atf_add_test_case ctl_stdin
	atf_add_test_case ctl_list_no_secrets
	atf_add_test_case ctl_mode
	atf_add_test_case ctl_bad_lines
	atf_add_test_case ctl_concurrent
	atf_add_test_case ctl_sigkill
	atf_add_test_case ctl_live
	atf_add_test_case login_file
	atf_add_test_case both_backends
	atf_add_test_case apop
	atf_add_test_case apop_after_stls
	atf_add_test_case nopass
	atf_add_test_case sasl_plain
	atf_add_test_case sasl_scram
	atf_add_test_case poppass
	atf_add_test_case penalty
	atf_add_test_case fair_queue
	atf_add_test_case pad_failures
	atf_add_test_case reload_auth
	atf_add_test_case metrics
}
