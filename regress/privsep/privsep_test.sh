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

# The process model, read from /proc: a root parent; sandboxed session
# processes (_pop3d, chroot, seccomp), one per connection, from a pool;
# pop3d-auth as _pop3dauth; one pop3d-store per login as the mail user,
# chrooted to the maildrop.  A forbidden system call kills only the
# session that made it.  Configuration checking with -n.

p3_load()
{
	. "$(atf_get_srcdir)/../lib/pop3test.sh"
	: "${P3_CHROOT:=/var/empty}"
	export P3_CHROOT
}

p3_case()
{
	atf_test_case "$1" cleanup
	eval "$1_head() { atf_set descr '$2'; atf_set require.user root; \
	    atf_set require.progs '${4:-ps}'; atf_set timeout ${3:-60}; }"
	eval "$1_cleanup() { p3_load; p3_cleanup; }"
}

p3_basic()
{
	p3_load
	p3_init
	p3_useradd
	p3_maildir basic
	p3_conf "$@"
	p3_start
}

# Python helpers shared by the cases, written once per test.
p3_pyhelpers()
{
	cat >"${P3_DIR}/privsep.py" <<'EOF'
import os, pwd, time
from pop3test import *
E = TestEnv()
CHROOT = os.path.realpath(os.environ.get("P3_CHROOT", "/var/empty"))

def kids(prefix):
    return [c for c in children(E.pid) if c["cmdline"].startswith(prefix)]

def exe_name(pid):
    try:
        return os.path.basename(os.readlink("/proc/%d/exe" % pid))
    except OSError as e:
        return "<%s>" % e

def expect_proc(info, what, user, root, exe):
    pw = pwd.getpwnam(user)
    pid = info["pid"]
    check(info["uids"] == [pw.pw_uid] * 4, "%s %d runs with uids %r, "
        "expected %s (%d) for all" % (what, pid, info["uids"], user,
        pw.pw_uid))
    check(info["gids"] == [pw.pw_gid] * 4, "%s %d runs with gids %r, "
        "expected %d for all" % (what, pid, info["gids"], pw.pw_gid))
    check(info.get("seccomp") == 2, "%s %d: Seccomp: %r, expected 2 "
        "(filter)" % (what, pid, info.get("seccomp")))
    check(info.get("nnp") == 1, "%s %d: NoNewPrivs: %r, expected 1" %
        (what, pid, info.get("nnp")))
    if root is not None:
        check(info["root"] == root, "%s %d: root directory %r, expected "
            "%r" % (what, pid, info["root"], root))
    check(exe_name(pid) == exe, "%s %d runs %s, expected an exec'd %s" %
        (what, pid, exe_name(pid), exe))
    log("%s %d: %r uid %d seccomp %d root %s" % (what, pid,
        info["cmdline"], info["uids"][0], info["seccomp"], info["root"]))

def settle(fn, seconds):
    """Wait up to seconds for fn to hold; the checks that follow say why
    when it never did."""
    deadline = time.monotonic() + seconds
    while not fn() and time.monotonic() < deadline:
        time.sleep(0.1)

def wait_for(fn, seconds, what):
    deadline = time.monotonic() + seconds
    while True:
        v = fn()
        if v:
            return v
        check(time.monotonic() < deadline, "%s within %d s" % (what,
            seconds))
        time.sleep(0.1)
EOF
}

p3_case process_model "Parent as root; pooled sessions as _pop3d in a chroot with seccomp; auth as _pop3dauth"
process_model_body()
{
	p3_basic "session-pool 3"
	p3_pyhelpers
	p3_py <<'EOF'
import os
exec(open(os.environ["P3_DIR"] + "/privsep.py").read())
def main():
    parent = proc_info(E.pid)
    check(parent is not None, "pop3d %d is not running" % E.pid)
    check(parent["uids"][1] == 0, "the parent runs with euid %d" %
        parent["uids"][1])
    pool = wait_for(lambda: len(kids("pop3d: session")) >= 3 and
        kids("pop3d: session"), 5, "3 pooled session processes "
        "(session-pool 3) ready: children are %r" %
        [c["cmdline"] for c in children(E.pid)])
    checked = 0
    for s in pool:
        # The session that served p3_start's probe may be exiting now.
        info = proc_info(s["pid"])
        if info is None:
            continue
        expect_proc(info, "session", "_pop3d", CHROOT, "pop3d-session")
        checked += 1
    check(checked >= 3, "only %d pooled session processes left" % checked)
    # One pop3d-auth per online CPU, at most 8.  A slow machine may
    # still be starting one (demoted, not yet in its sandbox) after
    # the first login: look at them once all are up.
    want = min(max(os.cpu_count() or 1, 1), 8)
    settle(lambda: len(kids("pop3d: auth")) == want and all(a.get(
        "seccomp") == 2 for a in kids("pop3d: auth")), 5)
    auth = kids("pop3d: auth")
    check(len(auth) == want, "expected %d 'pop3d: auth' children, "
        "children are %r" % (want, [c["cmdline"] for c in
        children(E.pid)]))
    for a in auth:
        expect_proc(a, "auth", "_pop3dauth", None, "pop3d-auth")
    check(not kids("pop3d: store"), "a store runs with nobody logged in")
    others = [c for c in children(E.pid) if not
        c["cmdline"].startswith(("pop3d: session", "pop3d: auth"))]
    check(not others, "unexpected children: %r" %
        [c["cmdline"] for c in others])
run(main)
EOF
}

p3_case session_per_connection "Each connection has its own session process, which alone holds the socket"
session_per_connection_body()
{
	p3_basic "session-pool 2"
	p3_pyhelpers
	p3_py <<'EOF'
import os
exec(open(os.environ["P3_DIR"] + "/privsep.py").read())
def main():
    a = E.connect(tag="A ")
    b = E.connect(tag="B ")
    sa = session_pid(E.port, a.local_port())
    sb = session_pid(E.port, b.local_port())
    check(sa != sb, "both connections are served by process %d" % sa)
    for pid, what in ((sa, "session A"), (sb, "session B")):
        info = proc_info(pid)
        check(info and info["ppid"] == E.pid, "%s %d is not a child of "
            "pop3d %d" % (what, pid, E.pid))
        check(info["cmdline"].startswith("pop3d: session"),
            "%s %d is %r" % (what, pid, info["cmdline"]))
        expect_proc(info, what, "_pop3d", CHROOT, "pop3d-session")
    a.login(E.user, E.pw)
    check(session_pid(E.port, a.local_port()) == sa, "session moved")
    quit_ok(a)
    check(wait_gone(sa, 5), "session process %d still running 5 s after "
        "its client quit" % sa)
    check(alive(sb), "session B %d died with A" % sb)
    b.ok("CAPA")
    b.block()
    quit_ok(b)
    check(wait_gone(sb, 5), "session process %d outlived its connection" %
        sb)
run(main)
EOF
}

p3_case store_maildir "pop3d-store runs per login as the mail user, chrooted to the Maildir"
store_maildir_body()
{
	p3_basic
	p3_pyhelpers
	p3_py <<'EOF'
import os
exec(open(os.environ["P3_DIR"] + "/privsep.py").read())
def main():
    p = E.login()
    p.stat()
    stores = wait_for(lambda: kids("pop3d: store"), 5, "a store process")
    check(len(stores) == 1, "one login, stores %r" %
        [c["cmdline"] for c in stores])
    expect_proc(stores[0], "store", E.user, os.path.realpath(E.maildir),
        "pop3d-store")
    check(stores[0]["cmdline"].startswith("pop3d: store %s" % E.user),
        "store title %r, expected 'pop3d: store %s'" %
        (stores[0]["cmdline"], E.user))
    s = session_pid(E.port, p.local_port())
    expect_proc(proc_info(s), "session", "_pop3d", CHROOT, "pop3d-session")
    quit_ok(p)
    check(wait_gone(stores[0]["pid"], 5), "store %d still running 5 s "
        "after QUIT" % stores[0]["pid"])
run(main)
EOF
}

p3_case store_mbox "pop3d-store for an mbox is chrooted to the directory of the mbox"
store_mbox_body()
{
	p3_load
	p3_init
	p3_useradd
	p3_mbox
	p3_conf "maildrop mbox \"${P3_SPOOL}/%u\""
	p3_start
	p3_pyhelpers
	p3_py <<'EOF'
import os
exec(open(os.environ["P3_DIR"] + "/privsep.py").read())
def main():
    p = E.login()
    p.stat()
    stores = wait_for(lambda: kids("pop3d: store"), 5, "a store process")
    check(len(stores) == 1, "one login, stores %r" %
        [c["cmdline"] for c in stores])
    expect_proc(stores[0], "store", E.user, os.path.realpath(E.spool),
        "pop3d-store")
    check(stores[0]["cmdline"].startswith("pop3d: store %s" % E.user),
        "store title %r, expected 'pop3d: store %s'" %
        (stores[0]["cmdline"], E.user))
    quit_ok(p)
    check(wait_gone(stores[0]["pid"], 5), "store %d still running 5 s "
        "after QUIT" % stores[0]["pid"])
run(main)
EOF
}

# p3_home_mbox MODE user|root: the mbox of p3_mbox in a spool directory
# of root and of a test group (P3_GROUP) with MODE, which the maildrop
# "~/mail/%u" reaches through the symbolic link ~/mail, owned by the
# test user or by root.
p3_home_mbox()
{
	_mode=$1
	_owner=$2
	p3_load
	p3_init
	p3_useradd
	p3_groupadd
	p3_mbox
	chgrp "${P3_GROUP}" "${P3_SPOOL}"
	chmod "${_mode}" "${P3_SPOOL}"
	ln -s "${P3_SPOOL}" "${P3_HOME}/mail"
	[ "${_owner}" = user ] && chown -h "${P3_USER}:" "${P3_HOME}/mail"
	ls -ld "${P3_SPOOL}" "${P3_HOME}/mail" >&2
	p3_conf 'maildrop mbox "~/mail/%u"'
	p3_start
	p3_pyhelpers
	cat >>"${P3_DIR}/privsep.py" <<'EOF'
import grp, re
PW = pwd.getpwnam(E.user)
GROUP = grp.getgrnam(os.environ["P3_GROUP"]).gr_gid

def store_of_login(p, what):
    p.stat()
    stores = wait_for(lambda: kids("pop3d: store"), 5, "a store process")
    check(len(stores) == 1, "one login, stores %r" %
        [c["cmdline"] for c in stores])
    info = proc_info(stores[0]["pid"])
    check(info is not None, "the store of %s is gone" % what)
    log("store %d of %s: Groups: %r" % (info["pid"], what,
        info.get("groups")))
    return info

def refused(what):
    p = E.connect()
    p.ok("USER %s" % E.user)
    p.err("PASS %s" % E.pw, "SYS/TEMP")
    p.close()
    log("%s: the login is refused" % what)
EOF
}

p3_case store_user_link "An mbox reached through a symbolic link of the user is not served: the login fails with a log line, whether the link points at a group-writable spool or at /tmp"
store_user_link_body()
{
	p3_home_mbox 1777 user
	p3_py <<'EOF'
import os
exec(open(os.environ["P3_DIR"] + "/privsep.py").read())
LINE = (r"symbolic link /\S*/mail is owned by uid %d, not root: not "
    r"followed" % PW.pw_uid)
def main():
    refused("~/mail -> a 1777 spool of root and a test group")
    wait_log(E.log, LINE)
    link = os.path.join(E.home, "mail")
    os.unlink(link)
    os.symlink("/tmp", link)
    os.lchown(link, PW.pw_uid, PW.pw_gid)
    refused("~/mail -> /tmp")
    wait_log(E.log, LINE, count=2)
    check(not kids("pop3d: store"), "a store outlived its refused login")
run(main)
EOF
}

p3_case store_home_no_group "An mbox under the home joins no group, even through a link of root to a group-writable directory of root"
store_home_no_group_body()
{
	p3_home_mbox 1777 root
	p3_py <<'EOF'
import os
exec(open(os.environ["P3_DIR"] + "/privsep.py").read())
def main():
    p = E.login()
    info = store_of_login(p, "~/mail -> a 1777 directory of group %d" %
        GROUP)
    check(info["groups"] == [PW.pw_gid], "the store of an mbox under the "
        "home runs with groups %r, expected only %d (the test group is "
        "%d)" % (info["groups"], PW.pw_gid, GROUP))
    expect_proc(info, "store", E.user, os.path.realpath(E.spool),
        "pop3d-store")
    mapping = match_all(p, E.seed)
    n = next(n for n, k in mapping.items() if k == "m2")
    p.ok("DELE %d" % n)
    quit_ok(p)
    p = E.login()
    check(p.stat()[0] == len(E.seed) - 1, "DELE and QUIT through a link "
        "of root did not delete")
    quit_ok(p)
    # Like /var/local (root:staff 2775): without its group no dot lock.
    os.chmod(E.spool, 0o2775)
    refused("~/mail -> a 2775 directory of group %d" % GROUP)
    wait_log(E.log, r"dot lock: Permission denied")
run(main)
EOF
}

p3_case store_spool_group "A spool directory fixed in the configuration lends its group for dot locks, also through a link of root"
store_spool_group_body()
{
	p3_load
	p3_init
	p3_useradd
	p3_groupadd
	p3_mbox
	chgrp "${P3_GROUP}" "${P3_SPOOL}"
	chmod 2775 "${P3_SPOOL}"
	ln -s spool "${P3_DIR}/spool-link"
	p3_conf "maildrop mbox \"${P3_DIR}/spool-link/%u\""
	p3_start
	p3_pyhelpers
	p3_py <<'EOF'
import grp, os, pwd, stat
exec(open(os.environ["P3_DIR"] + "/privsep.py").read())
def main():
    pw = pwd.getpwnam(E.user)
    group = grp.getgrnam(os.environ["P3_GROUP"]).gr_gid
    st0 = os.stat(E.mbox)
    p = E.login()
    p.stat()
    stores = wait_for(lambda: kids("pop3d: store"), 5, "a store process")
    info = proc_info(stores[0]["pid"])
    check(info is not None, "the store is gone")
    check(sorted(info["groups"]) == sorted([pw.pw_gid, group]),
        "the store of a fixed spool runs with groups %r, expected %d "
        "and the spool group %d" % (info["groups"], pw.pw_gid, group))
    expect_proc(info, "store", E.user, os.path.realpath(E.spool),
        "pop3d-store")
    mapping = match_all(p, E.seed)
    n = next(n for n, k in mapping.items() if k == "m2")
    p.ok("DELE %d" % n)
    quit_ok(p)
    with open(E.mbox, "rb") as f:
        data = f.read()
    want = b"".join(mbox_block(E.seed[k]) for k in ("m1", "m3", "m4"))
    check(data == want, "the mbox was not rewritten without m2")
    st = os.stat(E.mbox)
    check((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) ==
        (st0.st_uid, st0.st_gid, 0o600), "the mbox is now %d:%d %o" %
        (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)))
    left = sorted(os.listdir(E.spool))
    lst = "." + E.user + ".pop3d-uidlist"
    check(left == sorted([E.user, lst]), "the spool holds %r after QUIT, "
        "want the mbox and its UIDL list" % left)
    st = os.stat(os.path.join(E.spool, lst))
    check(st.st_uid == os.stat(E.mbox).st_uid and
        stat.S_IMODE(st.st_mode) == 0o600, "the UIDL list is not the "
        "user's alone: uid %d mode %o" % (st.st_uid, st.st_mode))
    wait_log(E.log, r"joining its group %d for dot locks" % group)
run(main)
EOF
}

p3_case store_user_link_maildir "A Maildir that is a symbolic link of the user is not served, even to a Maildir of the same user"
store_user_link_maildir_body()
{
	p3_load
	p3_init
	p3_useradd
	P3_MAILDIR=${P3_HOME}/real
	p3_maildir basic
	ln -s real "${P3_HOME}/Maildir"
	chown -h "${P3_USER}:" "${P3_HOME}/Maildir"
	p3_conf
	p3_start
	p3_py <<'EOF'
import pwd
from pop3test import *
E = TestEnv()
def main():
    p = E.connect()
    p.ok("USER %s" % E.user)
    p.err("PASS %s" % E.pw, "SYS/TEMP")
    p.close()
    wait_log(E.log, r"symbolic link /\S*/Maildir is owned by uid %d, not "
        r"root: not followed" % pwd.getpwnam(E.user).pw_uid)
run(main)
EOF
}

p3_case store_root_link_maildir "A symbolic link of root on the way to a Maildir is followed, as /home -> /data/home would be"
store_root_link_maildir_body()
{
	p3_load
	p3_init
	p3_useradd
	p3_maildir basic
	ln -s home "${P3_DIR}/homes"
	p3_conf "maildrop maildir \"${P3_DIR}/homes/%u/Maildir\""
	p3_start
	p3_pyhelpers
	p3_py <<'EOF'
import os
exec(open(os.environ["P3_DIR"] + "/privsep.py").read())
def main():
    p = E.login()
    match_all(p, E.seed)
    stores = wait_for(lambda: kids("pop3d: store"), 5, "a store process")
    expect_proc(stores[0], "store", E.user, os.path.realpath(E.maildir),
        "pop3d-store")
    pw = pwd.getpwnam(E.user)
    check(stores[0]["groups"] == [pw.pw_gid], "the store runs with "
        "groups %r" % stores[0]["groups"])
    quit_ok(p)
run(main)
EOF
}

p3_case forbidden_syscall "A session making a forbidden system call dies of SIGSYS; the daemon serves on" 120 gdb
forbidden_syscall_body()
{
	p3_basic
	p3_pyhelpers
	p3_py <<'EOF'
import os, re, subprocess
exec(open(os.environ["P3_DIR"] + "/privsep.py").read())
def main():
    p = E.connect()
    s = session_pid(E.port, p.local_port())
    expect_proc(proc_info(s), "session", "_pop3d", CHROOT, "pop3d-session")
    # socket(2) is not on the session's list: the filter kills.
    cmd = ["timeout", "60", "gdb", "-q", "-nx", "-p", str(s), "-batch",
        "-ex", "call (int)socket(2,1,0)"]
    log("running: %s" % " ".join(cmd))
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = r.stdout.decode("latin-1")
    log(out[-3000:])
    check(wait_gone(s, 10), "session %d survived socket(2) under its "
        "seccomp filter" % s)
    p.expect_closed(timeout=5, what="the killed session's connection")
    check(alive(E.pid), "pop3d %d died with its session" % E.pid)
    q = E.login()
    q.stat()
    quit_ok(q)
    wait_for(lambda: re.search(r"signal 31", E.logtext(), re.I),
        5, "a log line about the session killed by signal 31")
run(main)
EOF
	grep -i 'signal 31' "${P3_LOG}" >&2
}

p3_case fcntl_signals "fcntl(2) is allowed by command: a session that asks for F_SETOWN dies of SIGSYS, F_GETFD works; no process may dump core" 120 gdb
fcntl_signals_body()
{
	p3_basic
	p3_pyhelpers
	p3_py <<'EOF'
import os, re, subprocess
exec(open(os.environ["P3_DIR"] + "/privsep.py").read())
def gdb_call(pid, expr):
    cmd = ["timeout", "60", "gdb", "-q", "-nx", "-p", str(pid), "-batch",
        "-ex", "call %s" % expr]
    log("running: %s" % " ".join(cmd))
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    log(r.stdout.decode("latin-1")[-2000:])
def core_limit(pid):
    with open("/proc/%d/limits" % pid) as f:
        for l in f:
            if l.startswith("Max core file size"):
                return l.split()[4:6]
    fail("no core limit for %d" % pid)
def main():
    p = E.login()
    s = session_pid(E.port, p.local_port())
    for pid, what in [(E.pid, "parent"), (s, "session")] + [(c["pid"],
            c["cmdline"]) for c in children(E.pid)
            if c["cmdline"].startswith(("pop3d: auth", "pop3d: store"))]:
        check(core_limit(pid) == ["0", "0"], "%s %d may dump core: %r" %
            (what, pid, core_limit(pid)))
    # F_GETFD (1) is on the list: the session lives and serves.
    gdb_call(s, "(int)fcntl(0, 1)")
    check(alive(s), "session %d died of fcntl(F_GETFD)" % s)
    p.stat()
    # F_SETOWN (8) would let it have the kernel signal other processes.
    gdb_call(s, "(int)fcntl(0, 8, 1)")
    check(wait_gone(s, 10), "session %d survived fcntl(F_SETOWN)" % s)
    check(alive(E.pid), "pop3d %d died with its session" % E.pid)
    q = E.login()
    q.stat()
    quit_ok(q)
run(main)
EOF
}

p3_case log_flood "A session that floods the log gets CHILD_LOG_BURST lines written, then a count of the dropped ones; the daemon serves on" 120 gdb
log_flood_body()
{
	p3_basic
	p3_pyhelpers
	p3_py <<'EOF'
import os, re, subprocess
exec(open(os.environ["P3_DIR"] + "/privsep.py").read())
BURST = 200
def main():
    p = E.login()
    s = session_pid(E.port, p.local_port())
    script = os.path.join(os.environ["P3_DIR"], "flood.gdb")
    with open(script, "w") as f:
        f.write("set $i = 0\nwhile $i < 600\n"
            "call (void)log_warnx(\"flood line\")\nset $i = $i + 1\nend\n")
    cmd = ["timeout", "100", "gdb", "-q", "-nx", "-p", str(s), "-batch",
        "-x", script]
    log("running: %s" % " ".join(cmd))
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    log(r.stdout.decode("latin-1")[-500:])
    check(alive(s), "session %d died under gdb" % s)
    p.stat()
    quit_ok(p)
    q = E.login()
    q.stat()
    quit_ok(q)
    check(wait_gone(s, 10), "session %d did not end" % s)
    # The count is said when lines flow again, and when the child ends.
    wait_log(E.log, r"log lines dropped, over", seconds=10)
    dropped = sum(int(re.search(r"(\d+) log lines dropped", l).group(1))
        for l in log_lines(E.log, r"log lines dropped, over"))
    n = len(log_lines(E.log, r"session: flood line"))
    log("%d flood lines written, %d dropped" % (n, dropped))
    check(BURST <= n <= 400, "%d of 600 flood lines written, want the "
        "burst of %d and little more" % (n, BURST))
    # The session's other lines (its protocol trace) count too.
    check(n + dropped >= 600, "%d written and %d dropped of 600: lines "
        "lost without a count" % (n, dropped))
run(main)
EOF
}

p3_case auth_per_address "Sessions go to the pop3d-auth of their client address: the same address always to the same one, several addresses to several"
auth_per_address_body()
{
	p3_basic "max-sessions-per-source 50"
	p3_pyhelpers
	p3_py <<'EOF'
import os, socket, time
exec(open(os.environ["P3_DIR"] + "/privsep.py").read())
def sockets(pid):
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            n += os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith(
                "socket:")
        except OSError:
            pass
    return n
def counts(auth):
    return {a: sockets(a) for a in auth}
def connect_from(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((addr, 0))
    s.connect(("127.0.0.1", E.port))
    s.settimeout(10)
    check(s.recv(512).startswith(b"+OK"), "no greeting for %s" % addr)
    return s
def grown(before, seconds=5):
    deadline = time.monotonic() + seconds
    while True:
        now = counts(list(before))
        d = {a: now[a] - before[a] for a in before}
        if sum(d.values()) >= want or time.monotonic() > deadline:
            return d
        time.sleep(0.1)
def main():
    global want
    auth = [c["pid"] for c in kids("pop3d: auth")]
    if len(auth) < 2:
        log("one CPU, one pop3d-auth: nothing to spread")
        return
    # One address, eight connections: one pop3d-auth holds all.
    before, want = counts(auth), 8
    same = [connect_from("127.0.0.1") for i in range(8)]
    d = grown(before)
    log("one address: %r" % d)
    check(sorted(d.values())[-1] == 8 and sum(d.values()) == 8,
        "8 sessions from 127.0.0.1 spread over pop3d-auth: %r" % d)
    # Sixteen addresses: more than one pop3d-auth gets sessions.
    before, want = counts(auth), 16
    many = [connect_from("127.0.0.%d" % (i + 2)) for i in range(16)]
    d = grown(before)
    log("sixteen addresses: %r" % d)
    check(sum(d.values()) == 16 and len([v for v in d.values() if v]) > 1,
        "16 addresses all on one pop3d-auth: %r" % d)
    for s in same + many:
        s.close()
run(main)
EOF
}

p3_case sigterm "SIGTERM stops the parent and every child, also with a session logged in"
sigterm_body()
{
	p3_basic
	p3_pyhelpers
	# A client that stays logged in while the daemon is stopped.
	"${P3_PYTHON}" - >"${P3_DIR}/holder.out" 2>&1 <<'EOF' &
from pop3test import *
E = TestEnv()
def main():
    p = E.login()
    p.stat()
    open(E.dir + "/holder.ready", "w").close()
    p.expect_closed(timeout=30, what="pop3d stopping")
    open(E.dir + "/holder.closed", "w").close()
run(main)
EOF
	holder=$!
	echo "${holder}" >>"${P3_WORK}/pids"
	i=0
	while [ ! -f "${P3_DIR}/holder.ready" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -f "${P3_DIR}/holder.ready" ] ||
	    p3_failure "the client did not log in: $(cat "${P3_DIR}/holder.out")"
	p3_py <<'EOF'
import os
exec(open(os.environ["P3_DIR"] + "/privsep.py").read())
def main():
    wait_for(lambda: kids("pop3d: store"), 5, "a store process")
run(main)
EOF
	p3_stop
	wait "${holder}"
	cat "${P3_DIR}/holder.out" >&2
	[ -f "${P3_DIR}/holder.closed" ] ||
	    atf_fail "the logged-in client was not disconnected by SIGTERM"
}

p3_case config_bad "pop3d -n on a bad configuration fails with file:line"
config_bad_body()
{
	p3_load
	p3_init
	port=$("${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" port)
	printf '%s\n' "listen on 127.0.0.1 port ${port}" "users system" \
	    "frobnicate yes" 'maildrop maildir "~/Maildir"' >"${P3_DIR}/bad1.conf"
	atf_check -s not-exit:0 -o ignore -e "match:bad1\\.conf:3:" \
	    "${POP3D}" -n -f "${P3_DIR}/bad1.conf"
	printf '%s\n' "listen on 127.0.0.1 port ${port}" "timeout idle abc" \
	    "users system" >"${P3_DIR}/bad2.conf"
	atf_check -s not-exit:0 -o ignore -e "match:bad2\\.conf:2:" \
	    "${POP3D}" -n -f "${P3_DIR}/bad2.conf"
	# Nothing starts on a configuration with an error.
	atf_check -s not-exit:0 -o ignore -e "match:bad1\\.conf:3:" \
	    timeout 10 "${POP3D}" -d -f "${P3_DIR}/bad1.conf"
	"${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" wait "${port}" 1 &&
	    atf_fail "something listens on port ${port} after a bad config"
	return 0
}

p3_case config_good "pop3d -n on a good configuration says configuration OK and starts nothing"
config_good_body()
{
	p3_load
	p3_init
	p3_conf "timeout idle 600" "session-pool 2" "expire never"
	"${POP3D}" -n -f "${P3_CONF}" >"${P3_DIR}/n.out" 2>&1
	rc=$?
	cat "${P3_DIR}/n.out"
	[ ${rc} -eq 0 ] || atf_fail "pop3d -n exited ${rc}"
	grep -q '^configuration OK$' "${P3_DIR}/n.out" ||
	    atf_fail "pop3d -n did not print 'configuration OK'"
	"${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" wait "${P3_PORT}" 1 &&
	    atf_fail "pop3d -n left something listening on ${P3_PORT}"
	return 0
}

p3_case macro_define "-D defines a macro used by the configuration"
macro_define_body()
{
	p3_load
	p3_init
	p3_useradd
	p3_maildir basic
	p3_conf
	sed -i 's/^listen on 127\.0\.0\.1 port [0-9]*$/listen on 127.0.0.1 port $p3port/' \
	    "${P3_CONF}"
	grep -q 'port \$p3port' "${P3_CONF}" || atf_fail "bad test config"
	atf_check -s exit:0 -o ignore -e ignore \
	    "${POP3D}" -n -D "p3port=${P3_PORT}" -f "${P3_CONF}"
	echo "==== pop3d -d -D p3port=${P3_PORT} ====" >>"${P3_LOG}"
	"${POP3D}" -d -D "p3port=${P3_PORT}" -f "${P3_CONF}" \
	    >>"${P3_LOG}" 2>&1 </dev/null &
	P3_PID=$!
	export P3_PID
	echo "${P3_PID}" >>"${P3_WORK}/pids"
	"${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" wait "${P3_PORT}" 10 \
	    "${P3_PID}" ||
	    p3_failure "pop3d -D p3port=${P3_PORT} does not listen there"
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = E.login()
    match_all(p, E.seed)
    quit_ok(p)
run(main)
EOF
	p3_stop
}

atf_init_test_cases()
{
	atf_add_test_case process_model
	atf_add_test_case session_per_connection
	atf_add_test_case store_maildir
	atf_add_test_case store_mbox
	atf_add_test_case store_user_link
	atf_add_test_case store_home_no_group
	atf_add_test_case store_spool_group
	atf_add_test_case store_user_link_maildir
	atf_add_test_case store_root_link_maildir
	atf_add_test_case forbidden_syscall
	atf_add_test_case fcntl_signals
	atf_add_test_case log_flood
	atf_add_test_case auth_per_address
	atf_add_test_case sigterm
	atf_add_test_case config_bad
	atf_add_test_case config_good
	atf_add_test_case macro_define
}
