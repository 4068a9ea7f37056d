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

# Two pop3d instances, nodes A and B, serving the same Maildirs, as two
# hosts would over NFS: the lock file pop3d-lock in the Maildir is what
# keeps them apart.  Another host is played by a lock file naming one.
# The nfs case runs two_nodes on a real NFS mount over loopback, where
# the kernel offers an NFS server.

sh_load()
{
	. "$(atf_get_srcdir)/../lib/pop3test.sh"
}

sh_case()
{
	atf_test_case "$1" cleanup
	eval "$1_head() { atf_set descr '$2'; atf_set require.user root; \
	    atf_set timeout ${3:-120}; }"
	eval "$1_cleanup() { sh_load; sh_nfs_cleanup; p3_cleanup; }"
}

# sh_node_b: node B, node A's configuration with a port, control socket
# and log of its own.  Sets SH_PORTB, SH_LOGB and SH_PIDB.
sh_node_b()
{
	SH_PORTB=${P3_PORT}
	while [ "${SH_PORTB}" = "${P3_PORT}" ]; do
		SH_PORTB=$("${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" port) ||
		    atf_fail "no free port"
	done
	SH_LOGB=${P3_DIR}/log.b
	export SH_PORTB SH_LOGB
	sed -e "s/^listen on 127\.0\.0\.1 port ${P3_PORT}\$/listen on 127.0.0.1 port ${SH_PORTB}/" \
	    -e "s|^control socket .*|control socket \"${P3_DIR}/ctl.b.sock\"|" \
	    "${P3_CONF}" >"${P3_DIR}/pop3d.b.conf"
	"${POP3D}" -d -f "${P3_DIR}/pop3d.b.conf" >"${SH_LOGB}" 2>&1 \
	    </dev/null &
	SH_PIDB=$!
	echo "${SH_PIDB}" >>"${P3_WORK}/pids"
	"${P3_PYTHON}" "${P3_LIBDIR}/pop3test.py" wait "${SH_PORTB}" 10 \
	    "${SH_PIDB}" || {
		cat "${SH_LOGB}" >&2
		p3_failure "node B did not accept on port ${SH_PORTB}"
	}
}

# sh_setup [STATEMENT...]: a user whose Maildir holds the basic set,
# and both nodes.
sh_setup()
{
	sh_load
	p3_init
	p3_useradd
	p3_maildir basic
	p3_conf "$@"
	p3_start
	sh_node_b
}

sh_stop()
{
	kill -TERM "${SH_PIDB}" 2>/dev/null
	wait "${SH_PIDB}" 2>/dev/null
	p3_stop
}

# sh_py: the case's Python main on stdin, after the helpers below.
sh_py()
{
	{
		cat <<'PYEOF'
import os, re, time
from pop3test import *
E = TestEnv()
PORTB = int(os.environ["SH_PORTB"])
LOGB = os.environ["SH_LOGB"]
LOCK = os.path.join(E.maildir, "pop3d-lock")

def login(port):
    p = POP3(port)
    p.login(E.user, E.pw)
    return p

def in_use(port):
    p = POP3(port)
    p.ok("USER %s" % E.user)
    p.err("PASS %s" % E.pw, "IN-USE")
    p.close()

def lock_line():
    with open(LOCK) as f:
        return f.read()

def put_lock(line, age=0):
    with open(LOCK, "w") as f:
        f.write(line)
    st = os.stat(E.maildir)
    os.chown(LOCK, st.st_uid, st.st_gid)
    if age:
        t = time.time() - age
        os.utime(LOCK, (t, t))

def wait_log(path, pattern, seconds=5):
    deadline = time.monotonic() + seconds
    while True:
        with open(path, errors="replace") as f:
            if re.search(pattern, f.read()):
                return
        check(time.monotonic() < deadline, "%s: no line matching %r" %
            (path, pattern))
        time.sleep(0.1)

def messages():
    return len(os.listdir(os.path.join(E.maildir, "cur"))) + \
        len(os.listdir(os.path.join(E.maildir, "new")))
PYEOF
		cat
	} >"${P3_DIR}/case.py"
	p3_py <"${P3_DIR}/case.py"
}

sh_two_nodes()
{
	sh_py <<'PYEOF'
def main():
    a = login(E.port)
    n, _ = a.stat()
    check(n == 3, "node A: %d messages, want 3" % n)
    check(lock_line().startswith(os.uname().nodename + ":"),
        "lock line %r does not name this host" % lock_line())
    in_use(PORTB)
    a.ok("DELE 1")
    quit_ok(a)
    check(not os.path.exists(LOCK), "the lock outlived the QUIT reply")
    # At once, no retry: A let go before it answered.
    b = login(PORTB)
    n, _ = b.stat()
    check(n == 2, "node B: %d messages after A deleted one, want 2" % n)
    in_use(E.port)
    quit_ok(b)
    check(messages() == 2, "%d messages left, want 2" % messages())
run(main)
PYEOF
}

sh_case two_nodes "Node B answers IN-USE while node A holds the maildrop, and logs in at once after the QUIT on A"
two_nodes_body()
{
	sh_setup
	sh_two_nodes
	sh_stop
}

sh_case killed_store "The lock of a store killed with SIGKILL is broken at the next login, without waiting for its age"
killed_store_body()
{
	sh_setup
	sh_py <<'PYEOF'
import signal
def main():
    a = login(E.port)
    m = re.match(r"^(.*):(\d+) (\d+)\n$", lock_line())
    check(m, "lock line %r" % lock_line())
    pid = int(m.group(2))
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        check(b"store" in f.read(), "pid %d of the lock is no store" % pid)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while os.path.exists("/proc/%d" % pid):
        check(time.monotonic() < deadline, "store %d still alive" % pid)
        time.sleep(0.05)
    check(os.path.exists(LOCK), "the killed store left no lock")
    b = login(PORTB)
    quit_ok(b)
    wait_log(LOGB, r"pop3d-lock: broken, held by [^ ]+:%d .*process is "
        r"gone" % pid)
    a.close()
run(main)
PYEOF
	sh_stop
}

sh_case other_host "A fresh lock of another host is respected, one 400 seconds old by the file mtime is broken and logged"
other_host_body()
{
	sh_setup
	sh_py <<'PYEOF'
def main():
    line = "other.invalid:4242 %d\n" % int(time.time())
    put_lock(line)
    in_use(E.port)
    in_use(PORTB)
    check(lock_line() == line, "the lock of the other host was changed")
    put_lock(line, 400)
    b = login(PORTB)
    n, _ = b.stat()
    check(n == 3, "node B: %d messages, want 3" % n)
    quit_ok(b)
    wait_log(LOGB, r"pop3d-lock: broken, held by other\.invalid:4242 .*"
        r"older than allowed")
    check(not os.path.exists(LOCK), "lock left after the QUIT")
run(main)
PYEOF
	sh_stop
}

sh_case touched "A session open longer than the refresh interval keeps the lock mtime fresh (waits up to 40 seconds)" 180
touched_body()
{
	sh_setup
	sh_py <<'PYEOF'
def main():
    a = login(E.port)
    old = time.time() - 200
    os.utime(LOCK, (old, old))
    deadline = time.monotonic() + 40
    while os.stat(LOCK).st_mtime < old + 100:
        check(time.monotonic() < deadline, "the lock mtime was not "
            "refreshed within 40 s")
        time.sleep(0.5)
    # The session is still served, and still holds the maildrop.
    a.ok("NOOP")
    in_use(PORTB)
    quit_ok(a)
    check(not os.path.exists(LOCK), "lock left after the QUIT")
run(main)
PYEOF
	sh_stop
}

sh_case lost "A session whose lock was removed deletes nothing at QUIT and answers SYS/TEMP"
lost_body()
{
	sh_setup
	sh_py <<'PYEOF'
def main():
    a = login(E.port)
    a.ok("DELE 1")
    a.ok("DELE 2")
    os.unlink(LOCK)
    a.err("QUIT", "SYS/TEMP")
    a.expect_closed()
    a.close()
    check(messages() == 3, "%d messages left, want 3" % messages())
    wait_log(E.log, r"pop3d-lock lost during the session: nothing deleted")
    b = login(PORTB)
    n, _ = b.stat()
    check(n == 3, "node B: %d messages, want 3" % n)
    quit_ok(b)
run(main)
PYEOF
	sh_stop
}

# sh_nfs_check: skips unless this kernel offers an NFS server and the
# tools to export and mount are here.
sh_nfs_check()
{
	if ! grep -qw nfsd /proc/filesystems 2>/dev/null &&
	    ! { command -v modprobe >/dev/null 2>&1 &&
	    modprobe -n nfsd >/dev/null 2>&1; }; then
		atf_skip "the kernel offers no NFS server: no nfsd in /proc/filesystems and no nfsd module"
	fi
	for t in exportfs rpc.nfsd mount.nfs; do
		command -v "$t" >/dev/null 2>&1 ||
		    atf_skip "no $t: install nfs-kernel-server (regress/deps.sh does where the kernel has nfsd)"
	done
}

# Unexports and unmounts what the nfs case set up, by the paths it
# recorded.
sh_nfs_cleanup()
{
	[ -f "$(pwd)/nfs" ] || return 0
	read -r _exp _mnt <"$(pwd)/nfs"
	umount -f "${_mnt}" 2>/dev/null
	exportfs -u "127.0.0.1:${_exp}" 2>/dev/null
	rm -f "$(pwd)/nfs"
	return 0
}

sh_case nfs "Two nodes on one Maildir on an NFS mount over loopback, where the kernel has an NFS server" 180
nfs_body()
{
	sh_load
	sh_nfs_check
	p3_init
	SH_EXP=${P3_DIR}/export
	SH_MNT=${P3_DIR}/mnt
	mkdir -m 0755 "${SH_EXP}" "${SH_MNT}"
	echo "${SH_EXP} ${SH_MNT}" >"${P3_WORK}/nfs"
	rpc.nfsd 8 >/dev/null 2>&1
	exportfs -o rw,sync,no_root_squash,no_subtree_check,fsid=$$ \
	    "127.0.0.1:${SH_EXP}" || atf_fail "exportfs ${SH_EXP} failed"
	mount -t nfs -o vers=4 "127.0.0.1:${SH_EXP}" "${SH_MNT}" ||
	    atf_skip "the NFS server did not serve a mount over loopback"
	p3_useradd
	P3_MAILDIR=${SH_MNT}/${P3_USER}
	export P3_MAILDIR
	p3_maildir basic
	p3_conf "maildrop maildir \"${SH_MNT}/%u\""
	p3_start
	sh_node_b
	sh_two_nodes
	sh_stop
	sh_nfs_cleanup
}

atf_init_test_cases()
{
	atf_add_test_case two_nodes
	atf_add_test_case killed_store
	atf_add_test_case other_host
	atf_add_test_case touched
	atf_add_test_case lost
	atf_add_test_case nfs
}
