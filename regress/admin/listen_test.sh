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

# listen statements on reload (SIGHUP and pop3ctl reload): a listener
# added accepts at once, one removed refuses new connections while its
# sessions go on, an option changed on a kept socket counts for new
# connections, the TLS session pool follows the TLS listeners, and a
# port that cannot be bound refuses the whole reload.

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

# lr_setup [STATEMENT...]: a user with the basic Maildir, a daemon with
# a control socket listening on P3_PORT, and the helpers below in
# P3_DIR/listen.py.
lr_setup()
{
	p3_load
	p3_init
	[ -x "${POP3CTL}" ] || atf_fail "no pop3ctl at ${POP3CTL}"
	p3_useradd
	p3_maildir basic
	p3_ctl_conf "$@"
	p3_start
	cat >"${P3_DIR}/listen.py" <<'EOF'
import errno, os, random, signal, socket, subprocess
from pop3test import *
E = TestEnv()
CTL = os.environ["P3_CTL"]
DONE = (r"^(configuration reloaded|reload failed: the running "
    r"configuration is unchanged)$")

def other_port(*taken):
    """A free port other than those given."""
    while True:
        p = free_port()
        if p != E.port and p not in taken:
            return p

def privileged_port():
    """A free port below 1024, which only root may bind: the parent
    binds it at a reload."""
    for p in random.sample(range(600, 1024), 424):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((HOST, p))
            return p
        except OSError:
            pass
        finally:
            s.close()
    fail("no free port below 1024")

def write_conf(listens, tls=False, extra=()):
    """pop3d.conf with one listen statement per entry of listens (what
    follows "listen on"), the certificate when tls, and the lines of
    p3_ctl_conf."""
    lines = ["listen on %s" % l for l in listens]
    lines += ["users system", "debug yes", 'maildrop maildir "~/Maildir"',
        'control socket "%s"' % CTL, "plaintext-auth from 127.0.0.1",
        "plaintext-auth from ::1"]
    if tls:
        lines.append('tls certificate "%s" key "%s"' % (E.cert, E.key))
    lines += list(extra)
    with open(os.environ["P3_CONF"], "w") as f:
        f.write("\n".join(lines) + "\n")

def reload(how):
    """pop3ctl reload ("ctl") or SIGHUP ("hup"), once it is done: whether
    it worked, and what it said (pop3ctl's output, or the log lines the
    reload wrote)."""
    if how == "ctl":
        r = subprocess.run([os.environ["POP3CTL"], "-s", CTL, "reload"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        text = r.stdout.decode("latin-1")
        log("-- pop3ctl reload, exit %d:\n%s" % (r.returncode, text))
        return r.returncode == 0, text
    start = os.path.getsize(E.log)
    n = len(log_lines(E.log, DONE))
    os.kill(E.pid, signal.SIGHUP)
    got = wait_log(E.log, DONE, seconds=30, count=n + 1)
    with open(E.log, "rb") as f:
        f.seek(start)
        text = f.read().decode("latin-1")
    log("-- SIGHUP reload:\n%s" % text)
    return got[-1] == "configuration reloaded", text

def reload_ok(how):
    ok, text = reload(how)
    check(ok, "the reload (%s) failed: %s" % (how, short(text, 400)))

def expect_no_listener(port, what=""):
    """Nothing listens on port: the connection is refused."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(10)
    try:
        s.connect((HOST, port))
    except ConnectionRefusedError:
        log("-- port %d: connection refused" % port)
        return
    finally:
        s.close()
    fail("%sport %d accepts connections" % (what and what + ": ", port))

def holder(port):
    """A listening socket of the test's own on 127.0.0.1 port.  With
    SO_REUSEADDR, so that a connection it accepted leaves no TIME_WAIT
    in the way of pop3d once it is closed; a listening socket holds the
    port all the same."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((HOST, port))
    s.listen(8)
    return s

def foreign_address():
    """An IPv4 address of the documentation ranges that this machine
    does not have: binding to it fails with EADDRNOTAVAIL."""
    for a in ("203.0.113.1", "198.51.100.1", "192.0.2.1"):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((a, 0))
        except OSError as e:
            if e.errno == errno.EADDRNOTAVAIL:
                return a
        finally:
            s.close()
    fail("every documentation address tried is on this machine")

def tls_pool():
    """The pop3d-session-tls processes of the daemon."""
    return [c for c in children(E.pid)
        if c["cmdline"].startswith("pop3d: session (tls)")]

def wait_for(cond, what, seconds=15):
    deadline = time.monotonic() + seconds
    while not cond():
        check(time.monotonic() < deadline, "%s within %d s" %
            (what, seconds))
        time.sleep(0.1)

def plain_refused(port):
    """A client in the clear gets no greeting from a TLS listener: the
    server waits for a handshake, and closes on bytes that are none."""
    s = socket.create_connection((HOST, port), timeout=10)
    data = b""
    try:
        s.sendall(b"CAPA\r\n")
        while True:
            try:
                chunk = s.recv(4096)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    log("-- plain client on port %d got %r" % (port, short(data)))
    check(b"+OK" not in data, "a client in the clear was greeted on "
        "port %d: %s" % (port, short(data)))
EOF
}

# lr_py ARG...: a script on stdin after the helpers, ARGs in sys.argv.
lr_py()
{
	cat "${P3_DIR}/listen.py" - >"${P3_DIR}/case.py"
	p3_py "$@" <"${P3_DIR}/case.py"
}

# The script of add_remove and add_remove_sighup: sys.argv[1] says how;
# through SIGHUP the listener added has a privileged port.
lr_add_remove()
{
	lr_py "$1" <<'EOF'
how = sys.argv[1]
A = E.port
def main():
    B = other_port() if how == "ctl" else privileged_port()
    p = E.login()
    n, _ = p.stat()
    check(n >= 2, "the basic Maildir has %d messages" % n)

    write_conf(["127.0.0.1 port %d" % A, "127.0.0.1 port %d" % B])
    reload_ok(how)
    expect_served(B, what="the added listener")
    expect_served(A, what="the first listener")
    wait_log(E.log, r"^listening on 127\.0\.0\.1 port %d$" % B)
    check(len(log_lines(E.log, r"^listening on 127\.0\.0\.1 port %d$" %
        A)) == 1, "the kept listener was bound again")
    p.retr(1)

    write_conf(["127.0.0.1 port %d" % B])
    reload_ok(how)
    expect_no_listener(A, "the removed listener")
    expect_served(B, what="the listener left")
    wait_log(E.log, r"^no longer listening on 127\.0\.0\.1 port %d$" % A)
    st = subprocess.run([os.environ["POP3CTL"], "-s", CTL, "status"],
        stdout=subprocess.PIPE, timeout=60).stdout.decode("latin-1")
    check(re.search(r"^listener: 127\.0\.0\.1 port %d" % B, st, re.M) and
        not re.search(r"port %d\b" % A, st), "pop3ctl status: %s" % st)

    # The session accepted on the removed listener goes on to UPDATE.
    p.retr(2)
    p.ok("DELE 1")
    quit_ok(p)
    wait_log(E.log, r"logout user %s: retrieved 2 messages .*deleted 1 "
        r"messages .*quit$" % E.user)
    q = POP3(B)
    q.login_retry(E.user, E.pw)
    check(q.stat()[0] == n - 1, "the deletion of the session on the "
        "removed listener was not applied")
    quit_ok(q)
run(main)
EOF
}

p3_case add_remove "pop3ctl reload adds a listener that accepts at once beside the first; removed, the first refuses new connections while its session goes on and its QUIT deletes"
add_remove_body()
{
	lr_setup
	lr_add_remove ctl
}

p3_case add_remove_sighup "The same through SIGHUP, the listener added on a port below 1024: added, and the first removed while a session of the first goes on to QUIT"
add_remove_sighup_body()
{
	lr_setup
	lr_add_remove hup
}

p3_case no_gap "A kept listener is never closed: connections made all through reloads that change its options and add and remove another are all served"
no_gap_body()
{
	lr_setup
	lr_py <<'EOF'
import threading
A = E.port
def main():
    B = other_port()
    stop = threading.Event()
    errors, served = [], [0]
    def client():
        while not stop.is_set():
            try:
                g = first_line(A, timeout=20)
                if g is None or not g.startswith("+OK"):
                    errors.append("greeting %r" % g)
                served[0] += 1
            except (OSError, Failure) as e:
                errors.append("%s: %s" % (type(e).__name__, e))
    t = threading.Thread(target=client)
    t.start()
    try:
        confs = [["127.0.0.1 port %d plaintext-auth yes" % A,
            "127.0.0.1 port %d" % B], ["127.0.0.1 port %d" % A],
            ["127.0.0.1 port %d plaintext-auth no" % A]]
        for i in range(6):
            write_conf(confs[i % 3])
            reload_ok("ctl" if i % 2 else "hup")
    finally:
        stop.set()
        t.join(60)
    log("-- %d connections during the reloads" % served[0])
    check(not errors, "connections to the kept listener failed during "
        "reloads: %s" % errors[:5])
    check(served[0] > 0, "no connection was made during the reloads")
    check(len(log_lines(E.log, r"^listening on 127\.0\.0\.1 port %d$" %
        A)) == 1, "the kept listener was bound again")
    wait_log(E.log, r"^new options for 127\.0\.0\.1 port %d$" % A)
run(main)
EOF
}

p3_case options "Options changed on a kept socket count for new connections: plaintext-auth, then tls with the TLS session pool started, then back with it stopped; a session from before goes on"
options_body()
{
	lr_setup
	p3_tls_cert
	lr_py <<'EOF'
A = E.port
def main():
    check(not tls_pool(), "TLS session processes with no TLS listener: "
        "%r" % tls_pool())
    p = E.login()
    c = POP3(A, source="127.0.0.2")
    c.err("USER %s" % E.user, "AUTH")
    c.close()

    write_conf(["127.0.0.1 port %d plaintext-auth yes" % A])
    reload_ok("hup")
    wait_log(E.log, r"^new options for 127\.0\.0\.1 port %d$" % A)
    c = POP3(A, source="127.0.0.2")
    c.ok("USER %s" % E.user)
    c.close()

    write_conf(["127.0.0.1 port %d tls" % A], tls=True)
    reload_ok("ctl")
    wait_for(lambda: tls_pool(), "the TLS session pool started")
    plain_refused(A)
    t = POP3(A, tls=E.ctx())
    check(t.is_tls(), "no TLS on the listener changed to tls")
    caps, _ = t.capa()
    check("STLS" not in caps, "STLS offered inside implicit TLS")
    t.ok("QUIT")
    t.close()
    # Accepted in the clear before the change, and still so.
    p.retr(1)
    quit_ok(p)

    write_conf(["127.0.0.1 port %d" % A])
    reload_ok("hup")
    wait_for(lambda: not tls_pool(), "the TLS session pool stopped")
    q = POP3(A)
    caps, _ = q.capa()
    check("STLS" not in caps, "STLS offered with no certificate")
    q.login_retry(E.user, E.pw)
    quit_ok(q)
run(main)
EOF
}

p3_case bind_refused "A reload that needs a port held by another socket, or an address not on this machine, is refused whole: the old listeners go on, a port it bound is let go, the log and pop3ctl say which address and port and why"
bind_refused_body()
{
	lr_setup
	lr_py <<'EOF'
A = E.port
def main():
    B = other_port()
    C = other_port(B)
    hold = holder(C)
    p = E.login()
    write_conf(["127.0.0.1 port %d" % A, "127.0.0.1 port %d" % B,
        "127.0.0.1 port %d" % C])
    ok, text = reload("ctl")
    check(not ok, "pop3ctl reload exited 0 with port %d taken" % C)
    why = r"reload failed: cannot bind 127\.0\.0\.1 port %d: %s" % (C,
        re.escape(os.strerror(errno.EADDRINUSE)))
    check(re.search(why, text), "pop3ctl did not say why: %s" % text)
    wait_log(E.log, "^" + why + "$")
    expect_served(A, what="the old listener after the refused reload")
    expect_no_listener(B, "bound by the refused reload")
    s = socket.create_connection((HOST, C), timeout=10)
    hold.settimeout(10)
    conn, _ = hold.accept()
    s.close()
    conn.close()

    X = foreign_address()
    write_conf(["127.0.0.1 port %d" % A, "%s port %d" % (X, B)])
    ok, text = reload("hup")
    check(not ok, "SIGHUP reload with %s worked" % X)
    why = r"^reload failed: cannot bind %s port %d: %s$" % (re.escape(X),
        B, re.escape(os.strerror(errno.EADDRNOTAVAIL)))
    check(re.search(why, text, re.M), "the log does not say why: %s" %
        text)
    expect_served(A, what="the old listener after the refused SIGHUP")

    # Nothing was left half done: the same reload works once free.
    hold.close()
    write_conf(["127.0.0.1 port %d" % A, "127.0.0.1 port %d" % C])
    reload_ok("ctl")
    expect_served(C, what="the port once freed")
    p.retr(1)
    quit_ok(p)
run(main)
EOF
}

atf_init_test_cases()
{
	atf_add_test_case add_remove
	atf_add_test_case add_remove_sighup
	atf_add_test_case no_gap
	atf_add_test_case options
	atf_add_test_case bind_refused
}
