#!/usr/bin/env python3
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

"""SIGKILL at random instants, and what is left afterwards.

    crash.py maildir | mbox | ctl | poppass

Each scenario makes CRASH_KILLS kills (default 1000) of the process
that is changing a maildrop or the users file, at an instant drawn
uniformly over the time that the change takes (measured first, without
kills), and after each kill checks the files against what they may be:

maildir  a session DELEs some messages and QUITs; the store is killed.
         Every message is there byte for byte or, if it was deleted,
         gone; none twice, nothing else in new/ and cur/, tmp/ empty;
         the next session lists exactly what is on disk and leaves no
         temporary file of ours behind; the lock file a killed store
         left is broken by the next login at once (its pid is gone).
mbox     the same on an mbox, while a delivery agent (a process of the
         user's, as an MTA's local delivery is) appends to it under a
         dot lock and an fcntl lock: every delivered message is kept.
         Temporary files and a dot lock left by a killed store are
         removed by the next session, which must work at once.
ctl      pop3ctl user add, password, delete, apop and nopass, killed:
         the file is byte for byte the old one or the new one.
poppass  a password change through the daemon; pop3d-auth, which
         rewrites the file, is killed, so the daemon stops and is
         started again: the file is the old one or the new one, and the
         password it holds logs in (the next change's PASS, and now and
         then SCRAM-SHA-256).  CRASH_POPPASS_KILLS kills, by default a
         tenth of CRASH_KILLS: each costs a start of the daemon.

Kills are sent through a pidfd opened on a child of the daemon this
test started (or on the pop3ctl it started), so that a pid reused by
some other process is never signalled.  Counts of where the kills
landed are printed at the end, so that a change that no kill reached
shows.
"""

import fcntl
import hashlib
import os
import pwd
import random
import re
import signal
import socket
import subprocess
import sys
import time

import pop3test
from pop3test import HOST, Closed, Failure, check, fail, run

KILLS = int(os.environ.get("CRASH_KILLS", "1000"))
# Every poppass kill stops the daemon (a lost pop3d-auth is fatal to the
# parent), and each start costs pop3d-auth a calibrating hash: a tenth.
POPPASS_KILLS = int(os.environ.get("CRASH_POPPASS_KILLS",
    str(max(1, KILLS // 10))))
CALIBRATE = 7
SEED = int(os.environ.get("CRASH_SEED", str(random.randrange(1 << 30))))
rng = random.Random(SEED)


def note(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def quiet(msg):
    pass


# The transcripts of pop3test and authtest would be a million lines.
pop3test.POP3._log = lambda self, direction, text: None


def env(name):
    v = os.environ.get(name)
    check(v, "%s is not set" % name)
    return v


# ---------------------------------------------------------------------------
# Processes

def ppid_of(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            stat = f.read().decode("latin-1")
    except OSError:
        return None
    rest = stat[stat.rindex(")") + 2:].split()
    if rest[0] in ("Z", "X"):
        return None
    return int(rest[1])


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("latin-1").strip()
    except OSError:
        return ""


def child_pidfds(parent, prefix):
    """pidfds of the children of parent whose title starts with prefix,
    each checked to be that child after the pidfd was opened."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        if ppid_of(pid) != parent or not cmdline(pid).startswith(prefix):
            continue
        try:
            fd = os.pidfd_open(pid)
        except OSError:
            continue
        if ppid_of(pid) == parent and cmdline(pid).startswith(prefix):
            out.append(fd)
        else:
            os.close(fd)
    return out


def spin(seconds):
    """Wait: a sleep for all but the last millisecond, which is spun,
    since a sleep ends late by a scheduler's whim and the instants
    would not be random; spinning for longer would take the CPU from
    the process about to be killed."""
    end = time.perf_counter() + seconds
    if seconds > 0.002:
        time.sleep(seconds - 0.001)
    while time.perf_counter() < end:
        pass


def pidfd_kill(fd):
    """True if the process was alive to take the signal."""
    try:
        signal.pidfd_send_signal(fd, signal.SIGKILL)
        return True
    except ProcessLookupError:
        return False


class Window:
    """How long a change takes, from CALIBRATE runs without a kill; the
    kill instants are drawn over it and, by stretch, beyond."""

    def __init__(self, stretch=1.5):
        self.samples = []
        self.stretch = stretch

    def add(self, seconds):
        self.samples.append(seconds)

    def ready(self):
        return len(self.samples) >= CALIBRATE

    def draw(self):
        # The median: one slow calibration run would waste the kills.
        t = sorted(self.samples)[len(self.samples) // 2]
        return rng.uniform(0, t * self.stretch)


# ---------------------------------------------------------------------------
# A quick POP3 client: pop3test.POP3 without the transcript cost.

class Pop:
    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.f = self.sock.makefile("rb")
        r = self.line()
        check(r.startswith(b"+OK"), "greeting %r" % r)

    def line(self):
        try:
            r = self.f.readline()
        except (ConnectionResetError, socket.timeout) as e:
            raise Closed("read: %s" % e)
        if not r:
            raise Closed("closed")
        return r.rstrip(b"\r\n")

    def send(self, *lines):
        self.sock.sendall(b"".join(l.encode() + b"\r\n" for l in lines))

    def cmd(self, line):
        self.send(line)
        return self.line()

    def ok(self, line):
        r = self.cmd(line)
        check(r.startswith(b"+OK"), "%s: %r" % (line.split()[0], r))
        return r

    def block(self):
        out = []
        while True:
            l = self.line()
            if l == b".":
                return out
            out.append(l)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def login(port, user, pw, seconds=5.0):
    """A session; retried while the killed store's session still holds
    the maildrop ([IN-USE]), which ends as soon as the parent reaps it."""
    deadline = time.monotonic() + seconds
    while True:
        p = Pop(port)
        p.ok("USER %s" % user)
        r = p.cmd("PASS %s" % pw)
        if r.startswith(b"+OK"):
            return p
        p.close()
        check(r.startswith(b"-ERR [IN-USE]") and
            time.monotonic() < deadline, "PASS: %r" % r)
        time.sleep(0.01)


def stat(p):
    m = re.match(rb"^\+OK (\d+) (\d+)", p.ok("STAT"))
    check(m, "STAT reply")
    return int(m.group(1))


def uidls(p):
    p.ok("UIDL")
    out = {}
    for l in p.block():
        n, u = l.split(b" ", 1)
        out[int(n)] = u.decode()
    return out


def numbers(p, nums):
    """Which message each of nums is, from its Message-Id (an mbox
    message's UIDL is its X-UIDL only when the UIDL list is made)."""
    out = {}
    for i in nums:
        p.ok("TOP %d 0" % i)
        m = re.search(rb"^Message-Id: <crash-(\d+)@pop3d.test>$",
                      b"\n".join(p.block()), re.M)
        check(m, "TOP %d: no Message-Id" % i)
        out[i] = int(m.group(1))
    return out


# ---------------------------------------------------------------------------
# Messages: the content follows from the number, so nothing needs to be
# remembered to check one byte for byte.

def message(n):
    lines = [b"Message-Id: <crash-%d@pop3d.test>" % n,
        b"X-UIDL: crash%d" % n,
        b"Subject: crash test message %d" % n, b""]
    h = hashlib.sha256(b"%d" % n).hexdigest().encode()
    for i in range(1 + n % 4):
        lines.append(b"line %d of %d: %s" % (i, n, h))
    return b"\n".join(lines) + b"\n"


def mbox_block(n):
    return b"From crash@pop3d.test Thu Jan  1 00:00:00 2026\n" + \
        message(n) + b"\n"


class Stats:
    def __init__(self):
        self.c = {}

    def inc(self, key, k=1):
        self.c[key] = self.c.get(key, 0) + k

    def show(self, what, t0, kills=None):
        note("%s: %d kills, seed %d, %.1f s: %s" % (what, kills or KILLS,
            SEED,
            time.monotonic() - t0, ", ".join("%s %d" % kv for kv in
            sorted(self.c.items()))))


# ---------------------------------------------------------------------------
# Killing a store during QUIT: shared by Maildir and mbox.

def quit_and_kill(p, daemon, user, window, st):
    """QUIT, and SIGKILL to the store at a random instant after it; the
    reply, or None when the store died first."""
    fds = child_pidfds(daemon, "pop3d: store %s" % user)
    check(len(fds) == 1, "%d store processes for %s" % (len(fds), user))
    calibrating = not window.ready()
    t0 = time.perf_counter()
    p.send("QUIT")
    if calibrating:
        r = p.line()
        window.add(time.perf_counter() - t0)
        os.close(fds[0])
        return r
    spin(window.draw())
    if pidfd_kill(fds[0]):
        st.inc("kills before the store was reaped")
    os.close(fds[0])
    try:
        r = p.line()
    except Closed:
        r = None
    return r


def pick_deletions(n):
    k = rng.randint(1, min(n, 2 + n // 2))
    return sorted(rng.sample(range(1, n + 1), k))


# ---------------------------------------------------------------------------
# Maildir

MD_ROOT_OK = {"cur", "new", "tmp", "pop3d-lock", "pop3d-uidlist"}
MD_CACHE_TMP = re.compile(r"^pop3d-(sizes|uidlist)\.[A-Za-z0-9]{6}$")
MD_NAME = re.compile(r"^(\d+)\.crash(\d+)\.pop3d-test(:2,.*)?$")


class MaildirTest:
    def __init__(self):
        self.port = int(env("P3_PORT"))
        self.daemon = int(env("P3_PID"))
        self.user = env("P3_USER")
        self.pw = env("P3_PASS")
        self.md = env("P3_MAILDIR")
        pw = pwd.getpwnam(self.user)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        self.next = 1
        self.present = set()
        self.st = Stats()

    def deliver(self, count):
        """As a delivery agent: written in tmp/, renamed into new/."""
        for _ in range(count):
            n = self.next
            self.next += 1
            name = "%d.crash%d.pop3d-test" % (1700000000 + n, n)
            tmp = os.path.join(self.md, "tmp", name)
            with open(tmp, "wb") as f:
                f.write(message(n))
            os.chown(tmp, self.uid, self.gid)
            os.rename(tmp, os.path.join(self.md, "new", name))
            self.present.add(n)

    def plant_cache_tmp(self):
        """What a store killed while writing its size cache leaves."""
        path = os.path.join(self.md, "pop3d-uidlist.%06d" % rng.randrange(
            10 ** 6))
        with open(path, "wb") as f:
            f.write(b"pop3d-uidlist 1 half")
        os.chown(path, self.uid, self.gid)
        os.utime(path, (time.time() - 60, time.time() - 60))
        self.st.inc("cache temporary files planted")

    def on_disk(self):
        """{number: count} over new/ and cur/, every file checked."""
        found = {}
        for sub in ("new", "cur"):
            d = os.path.join(self.md, sub)
            for name in os.listdir(d):
                m = MD_NAME.match(name)
                check(m, "stray file %s/%s" % (sub, name))
                n = int(m.group(2))
                with open(os.path.join(d, name), "rb") as f:
                    data = f.read()
                check(data == message(n), "%s/%s: %d bytes, not the %d "
                    "delivered" % (sub, name, len(data), len(message(n))))
                found[n] = found.get(n, 0) + 1
        tmp = os.listdir(os.path.join(self.md, "tmp"))
        check(not tmp, "tmp/ holds %s" % tmp)
        return found

    def leftovers(self):
        left = []
        for name in os.listdir(self.md):
            if name in MD_ROOT_OK:
                continue
            check(MD_CACHE_TMP.match(name), "stray file %s in the "
                "Maildir" % name)
            left.append(name)
        return left

    def check_after(self, dele, reply):
        found = self.on_disk()
        dup = [n for n, c in found.items() if c > 1]
        check(not dup, "messages twice: %s" % dup)
        got = set(found)
        lost = (self.present - dele) - got
        check(not lost, "messages lost: %s" % sorted(lost))
        extra = got - self.present
        check(not extra, "messages back from the dead: %s" % sorted(extra))
        if reply is not None and reply.startswith(b"+OK"):
            check(not (got & dele), "QUIT said +OK, yet %s are still "
                "there" % sorted(got & dele))
        gone = len(dele - got)
        if os.path.exists(os.path.join(self.md, "pop3d-lock")):
            self.st.inc("kills that left the lock file")
        if reply is None or not reply.startswith(b"+OK"):
            if 0 < gone < len(dele):
                self.st.inc("QUITs cut between two unlinks")
            elif gone == len(dele):
                self.st.inc("QUITs killed after every unlink")
            else:
                self.st.inc("QUITs killed before any unlink")
        else:
            self.st.inc("QUITs answered")
        self.present = got

    def iteration(self, window):
        if len(self.present) < 6:
            self.deliver(rng.randint(4, 8))
        if rng.random() < 0.05:
            self.plant_cache_tmp()
        p = login(self.port, self.user, self.pw)
        n = stat(p)
        # The previous session's state, read by a new one.
        check(n == len(self.present), "STAT %d, %d messages on disk" %
            (n, len(self.present)))
        left = self.leftovers()
        check(not left, "left after a new session: %s" % left)
        u = uidls(p)
        nums = pick_deletions(n)
        dele = set()
        p.send(*["DELE %d" % i for i in nums])
        for i in nums:
            r = p.line()
            check(r.startswith(b"+OK"), "DELE %d: %r" % (i, r))
            m = MD_NAME.match(u[i])
            check(m, "UIDL %s" % u[i])
            dele.add(int(m.group(2)))
        r = quit_and_kill(p, self.daemon, self.user, window, self.st)
        p.close()
        self.check_after(dele, r)

    def run(self):
        t0 = time.monotonic()
        window = Window()
        for _ in range(CALIBRATE):
            self.iteration(window)
        for _ in range(KILLS):
            self.iteration(window)
        # The maildrop after the last kill works and is whole.
        p = login(self.port, self.user, self.pw)
        check(stat(p) == len(self.present), "final STAT")
        p.ok("QUIT")
        p.close()
        check(not self.leftovers(), "files left at the end")
        self.st.show("maildir", t0)


# ---------------------------------------------------------------------------
# mbox, with an MTA delivering at the same time

MB_FROM = re.compile(rb"(?:^|\n\n)From ")
MB_ID = re.compile(rb"^Message-Id: <crash-(\d+)@pop3d.test>$", re.M)


def mb_lockname(path):
    return path + ".lock"


def dot_owner(lock):
    """The pid a dot lock names, or None."""
    try:
        with open(lock, "rb") as f:
            return int(f.read().strip() or b"0") or None
    except (OSError, ValueError):
        return None


class MboxLock:
    """What Debian's MTAs take to deliver into /var/mail: a dot lock
    (made with O_EXCL, holding the pid) and then an fcntl lock on the
    mbox, checked to still be the file the path names.  A dot lock is
    never broken here: one left by a killed store is pop3d's to clear.
    With wait_dead False (the checker), a dot lock whose holder is dead
    is passed over, since a dead process writes nothing."""

    def __init__(self, path, wait_dead=True, give_up=None):
        self.path = path
        self.lock = mb_lockname(path)
        self.wait_dead = wait_dead
        self.give_up = give_up
        self.fd = -1
        self.dotted = False

    def __enter__(self):
        while True:
            try:
                fd = os.open(self.lock, os.O_WRONLY | os.O_CREAT |
                    os.O_EXCL, 0o600)
                os.write(fd, b"%d\n" % os.getpid())
                os.close(fd)
                self.dotted = True
                break
            except FileExistsError:
                pid = dot_owner(self.lock)
                if not self.wait_dead and pid and ppid_of(pid) is None:
                    break
                if self.give_up is not None and self.give_up():
                    raise GiveUp()
                time.sleep(0.001)
        while True:
            self.fd = os.open(self.path, os.O_RDWR | os.O_APPEND)
            fcntl.lockf(self.fd, fcntl.LOCK_EX)
            if os.fstat(self.fd).st_ino == os.stat(self.path).st_ino:
                return self
            # Renamed over while we waited: lock the new file.
            os.close(self.fd)

    def __exit__(self, *exc):
        os.close(self.fd)
        if self.dotted:
            os.unlink(self.lock)


class GiveUp(Exception):
    pass


def deliverer(path, logpath, stopfile, first, mean):
    """The MTA: one message every mean seconds on average, each logged
    (under the locks) once it is in the file and synced.  Told to stop,
    it no longer waits for a dot lock (one that no login cleared)."""
    n = first
    stop = lambda: os.path.exists(stopfile)
    with open(logpath, "ab") as log:
        while not stop():
            time.sleep(rng.uniform(0, 2 * mean))
            try:
                lk = MboxLock(path, give_up=stop).__enter__()
            except GiveUp:
                return
            try:
                size = os.fstat(lk.fd).st_size
                tail = os.pread(lk.fd, 2, size - 2) if size >= 2 else b""
                check(size == 0 or tail == b"\n\n", "mbox ends in %r" %
                    tail)
                os.write(lk.fd, mbox_block(n))
                os.fsync(lk.fd)
                log.write(b"%d\n" % n)
                log.flush()
            finally:
                lk.__exit__()
            n += 1


MB_TMP = re.compile(r"^\.[^/]+\.pop3d(-lk|-uidlist)?\.[A-Za-z0-9]{6}$")


class MboxTest:
    def __init__(self):
        self.port = int(env("P3_PORT"))
        self.daemon = int(env("P3_PID"))
        self.user = env("P3_USER")
        self.pw = env("P3_PASS")
        self.mbox = env("P3_MBOX")
        self.spool = os.path.dirname(self.mbox)
        self.name = os.path.basename(self.mbox)
        self.dir = env("P3_DIR")
        self.logpath = os.path.join(self.dir, "delivered")
        self.stop = os.path.join(self.dir, "deliverer.stop")
        pw = pwd.getpwnam(self.user)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        self.present = set()
        self.delivered = set()
        self.st = Stats()

    def start_deliverer(self):
        open(self.logpath, "wb").close()
        os.chown(self.logpath, self.uid, self.gid)
        pid = os.fork()
        if pid == 0:
            try:
                os.setgroups([])
                os.setgid(self.gid)
                os.setuid(self.uid)
                rng.seed(SEED + 1)
                deliverer(self.mbox, self.logpath, self.stop, 1000000,
                    0.02)
                os._exit(0)
            except BaseException as e:
                note("FAIL: deliverer: %r" % e)
                os._exit(1)
        self.mta = pid
        with open(os.path.join(os.environ["P3_WORK"], "pids"), "a") as f:
            f.write("%d\n" % pid)

    def stop_deliverer(self):
        open(self.stop, "w").close()
        deadline = time.monotonic() + 10
        while True:
            pid, status = os.waitpid(self.mta, os.WNOHANG)
            if pid != 0:
                break
            if time.monotonic() > deadline:
                os.kill(self.mta, signal.SIGKILL)
                os.waitpid(self.mta, 0)
                fail("the deliverer did not stop within 10 s")
            time.sleep(0.01)
        check(status == 0, "the deliverer failed (status %d)" % status)

    def seed(self):
        with open(self.mbox, "wb") as f:
            for n in range(1, 6):
                f.write(mbox_block(n))
                self.present.add(n)
        os.chown(self.mbox, self.uid, self.gid)
        os.chmod(self.mbox, 0o600)

    def parse(self, data):
        check(data.startswith(b"From ") or not data, "mbox starts with %r"
            % data[:20])
        starts = [m.end() - 5 for m in MB_FROM.finditer(data)]
        found = {}
        for i, s in enumerate(starts):
            e = starts[i + 1] if i + 1 < len(starts) else len(data)
            block = data[s:e]
            m = MB_ID.search(block)
            check(m, "a message without our Message-Id at offset %d" % s)
            n = int(m.group(1))
            check(block == mbox_block(n), "message %d at offset %d: %d "
                "bytes, not the %d delivered" % (n, s, len(block),
                len(mbox_block(n))))
            check(n not in found, "message %d twice" % n)
            found[n] = s
        return set(found)

    def snapshot(self):
        """Under the MTA's locks: the messages, the deliveries logged,
        the temporary files, and whether a dead store's dot lock is
        there."""
        with MboxLock(self.mbox, wait_dead=False) as lk:
            data = b""
            while True:
                chunk = os.read(lk.fd, 1 << 20)
                if not chunk:
                    break
                data += chunk
            got = self.parse(data)
            with open(self.logpath, "rb") as f:
                delivered = {int(l) for l in f.read().split()}
            left = []
            for name in os.listdir(self.spool):
                if name in (self.name, self.name + ".lock",
                        "." + self.name + ".pop3d-uidlist"):
                    continue
                check(MB_TMP.match(name), "stray file %s in the spool" %
                    name)
                left.append(name)
            stale = not lk.dotted
        return got, delivered, left, stale

    def check_after(self, dele, reply):
        got, delivered, left, stale = self.snapshot()
        new = delivered - self.delivered
        expect = self.present | new
        lost = (expect - dele) - got
        check(not lost, "messages lost: %s" % sorted(lost))
        extra = got - expect
        check(not extra, "messages back from the dead: %s" % sorted(extra))
        if reply is not None and reply.startswith(b"+OK"):
            check(not (got & dele), "QUIT said +OK, yet %s are still "
                "there" % sorted(got & dele))
            self.st.inc("QUITs answered")
        elif got & dele:
            self.st.inc("QUITs killed, old mbox")
        else:
            self.st.inc("QUITs killed, new mbox")
        if left:
            self.st.inc("kills that left temporary files")
        if stale:
            self.st.inc("kills that left the dot lock")
        self.st.inc("deliveries", len(new))
        self.present = got
        self.delivered = delivered

    def after_login(self):
        """The new session has swept; only a live holder's lock stays.
        No lock needed: the store is idle, and the MTA makes no
        temporary file."""
        left = [n for n in os.listdir(self.spool) if MB_TMP.match(n)]
        check(not left, "left after a new session: %s" % left)
        pid = dot_owner(mb_lockname(self.mbox))
        check(pid is None or ppid_of(pid) is not None, "a dead store's "
            "dot lock outlived a new session")

    def iteration(self, window):
        t = time.monotonic()
        p = login(self.port, self.user, self.pw)
        if time.monotonic() - t > 1:
            self.st.inc("logins slower than 1 s")
        n = stat(p)
        self.after_login()
        if n == 0:
            p.ok("QUIT")
            p.close()
            return
        nums = pick_deletions(n)
        which = numbers(p, nums)
        dele = set()
        p.send(*["DELE %d" % i for i in nums])
        for i in nums:
            r = p.line()
            check(r.startswith(b"+OK"), "DELE %d: %r" % (i, r))
            dele.add(which[i])
        r = quit_and_kill(p, self.daemon, self.user, window, self.st)
        p.close()
        self.check_after(dele, r)

    def run(self):
        t0 = time.monotonic()
        self.seed()
        self.start_deliverer()
        try:
            window = Window()
            for _ in range(CALIBRATE):
                self.iteration(window)
            for _ in range(KILLS):
                self.iteration(window)
            p = login(self.port, self.user, self.pw)
            stat(p)
            p.ok("QUIT")
            p.close()
        except BaseException:
            # The first failure is the one to report.
            try:
                self.stop_deliverer()
            except Failure:
                pass
            raise
        self.stop_deliverer()
        got, delivered, left, stale = self.snapshot()
        check(not left and not stale, "files left at the end")
        check(got == (self.present | (delivered - self.delivered)) -
            set(), "final contents")
        self.st.inc("messages at the end", len(got))
        self.st.show("mbox", t0)


# ---------------------------------------------------------------------------
# The users file: pop3ctl, and poppass through the daemon

def db_lines(data):
    return data.decode().splitlines()


def scram_ok(line, password):
    from authtest import scram_matches
    return scram_matches(line.split(":"), password)


def check_db(old, new, user, op, secret):
    """new is old byte for byte, or old with op applied to user."""
    if new == old:
        return "old"
    o, n = db_lines(old), db_lines(new)
    check(new.endswith(b"\n"), "the file does not end in a newline")
    for line in n:
        check(len(line.split(":")) == 5, "malformed line %r" % line)
    others_o = [l for l in o if l.split(":")[0] != user]
    others_n = [l for l in n if l.split(":")[0] != user]
    check(others_o == others_n, "other users changed by %s %s" % (op,
        user))
    mine_o = [l for l in o if l.split(":")[0] == user]
    mine_n = [l for l in n if l.split(":")[0] == user]
    if op == "delete":
        check(not mine_n, "%s still there after delete" % user)
        return "new"
    check(len(mine_n) == 1, "%s has %d lines" % (user, len(mine_n)))
    f = mine_n[0].split(":")
    if op == "add":
        check(not mine_o and scram_ok(mine_n[0], secret), "added %s is "
            "not the new one" % user)
        check(n[-1] == mine_n[0], "an added user goes last")
    elif op == "password":
        check(scram_ok(mine_n[0], secret), "%s: neither the old nor the "
            "new password" % user)
        check(f[2] == mine_o[0].split(":")[2], "password change touched "
            "the APOP secret")
        check(n.index(mine_n[0]) == o.index(mine_o[0]), "moved")
    elif op == "apop":
        fo = mine_o[0].split(":")
        import base64
        check(base64.b64decode(f[2]) == secret.encode() and
            f[:2] + f[3:] == fo[:2] + fo[3:], "apop: %r" % mine_n[0])
    elif op in ("nopass", "nopass -d"):
        fo = mine_o[0].split(":")
        check(f[:4] == fo[:4], "nopass changed secrets")
        want = "nopass" in f[4].split(",")
        check(want == (op == "nopass"), "flags %r after %s" % (f[4], op))
    return "new"


def plant_db_temp(d, base):
    """What a writer killed before its rename leaves, for the sweep of
    the next change to find even when no kill left one."""
    path = os.path.join(d, ".%s.pop3d-new.%06d" % (base,
        rng.randrange(10 ** 6)))
    with open(path, "wb") as f:
        f.write(b"half:a:line")
    st = os.stat(d)
    os.chown(path, st.st_uid, st.st_gid)
    os.chmod(path, 0o600)


def db_temps(d, base):
    pat = re.compile(r"^\.%s\.pop3d-new\.[A-Za-z0-9]{6}$" % re.escape(base))
    return [n for n in os.listdir(d) if pat.match(n)]


class CtlTest:
    def __init__(self):
        self.db = env("AU_DB")
        self.ctl = env("POP3CTL")
        self.dir = os.path.dirname(self.db)
        self.base = os.path.basename(self.db)
        # alice and bob, made by crash_test.sh
        self.users = {"alice": False, "bob": False}
        self.serial = 0
        self.st = Stats()
        self.windows = {}

    def run_ctl(self, args, secret, window, kill):
        cmd = [self.ctl, "-u", self.db, "user"] + args
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        fd = os.pidfd_open(p.pid)
        if secret is not None:
            p.stdin.write(secret.encode() + b"\n")
        p.stdin.close()
        if kill:
            spin(max(0, window.draw() - (time.perf_counter() - t0)))
            if pidfd_kill(fd):
                self.st.inc("kills before pop3ctl was reaped")
        err = p.stderr.read()
        rc = p.wait()
        os.close(fd)
        if not window.ready():
            window.add(time.perf_counter() - t0)
        if rc == -signal.SIGKILL:
            return None
        check(rc == 0, "pop3ctl user %s: exit %d: %s" % (" ".join(args),
            rc, err.decode(errors="replace")))
        return rc

    def pick(self):
        """An operation, mostly ones that do not hash a password: the
        hash takes most of the run of those that do, and the kills are
        meant for the rewrite."""
        names = sorted(self.users)
        r = rng.random()
        if r < 0.35:
            return "apop", rng.choice(names)
        if r < 0.6:
            u = rng.choice(names)
            return ("nopass -d" if self.users[u] else "nopass"), u
        if r < 0.85 and len(names) > 4:
            return "delete", rng.choice(names)
        if r < 0.85:
            return "apop", rng.choice(names)
        if r < 0.93:
            return "add", None
        return "password", rng.choice(names)

    def iteration(self, op, user, kill=True):
        """One change, killed unless kill is False or its run time is
        still being measured; returns whether a kill was sent."""
        if user is None:
            self.serial += 1
            user = "u%d" % self.serial
        secret = None
        if op in ("add", "password", "apop"):
            self.serial += 1
            secret = "s%d-%d" % (self.serial, rng.randrange(10 ** 6))
        args = op.split() + [user]
        if op == "nopass -d":
            args = ["nopass", "-d", user]
        # Measured to the reaping, after the exit: no stretch.
        window = self.windows.setdefault(op, Window(1.0))
        kill = kill and window.ready()
        with open(self.db, "rb") as f:
            old = f.read()
        rc = self.run_ctl(args, secret, window, kill)
        with open(self.db, "rb") as f:
            new = f.read()
        which = check_db(old, new, user, op, secret)
        if rc is not None:
            check(which == "new", "pop3ctl user %s succeeded, the file "
                "is the old one" % op)
            left = db_temps(self.dir, self.base)
            check(not left, "temporary files left after a change that "
                "went through: %s" % left)
        else:
            self.st.inc("kills of %s, %s file" % (op.split()[0], which))
            if db_temps(self.dir, self.base):
                self.st.inc("kills that left a temporary file")
        if which == "new":
            if op == "add":
                self.users[user] = False
            elif op == "delete":
                del self.users[user]
            elif op == "nopass":
                self.users[user] = True
            elif op == "nopass -d":
                self.users[user] = False
        return kill

    def run(self):
        t0 = time.monotonic()
        kills = 0
        while kills < KILLS:
            while len(self.users) < 4:
                self.iteration("add", None, kill=False)
            op, user = self.pick()
            kills += self.iteration(op, user)
        # The lock died with its holders, and the next change sweeps.
        plant_db_temp(self.dir, self.base)
        self.iteration("add", None, kill=False)
        check(not db_temps(self.dir, self.base), "temporary files left")
        self.st.show("ctl", t0)


class PoppassTest:
    def __init__(self):
        self.db = env("AU_DB")
        self.dir = os.path.dirname(self.db)
        self.base = os.path.basename(self.db)
        self.conf = env("P3_CONF")
        self.port = int(env("P3_PORT"))
        self.ppport = int(env("AU_PPPORT"))
        self.daemon_path = env("POP3D")
        self.logf = open(env("P3_LOG"), "ab")
        self.pw = env("AU_PW")
        self.serial = 0
        self.st = Stats()
        self.daemon = None

    def start(self):
        p = subprocess.Popen([self.daemon_path, "-d", "-f", self.conf],
            stdin=subprocess.DEVNULL, stdout=self.logf, stderr=self.logf)
        with open(os.path.join(os.environ["P3_WORK"], "pids"), "a") as f:
            f.write("%d\n" % p.pid)
        deadline = time.monotonic() + 10
        while True:
            try:
                s = socket.create_connection((HOST, self.ppport),
                    timeout=5)
                ok = s.makefile("rb").readline().startswith(b"200")
                s.close()
                if ok:
                    break
            except OSError:
                pass
            check(p.poll() is None, "pop3d exited at start")
            check(time.monotonic() < deadline, "pop3d does not accept")
            time.sleep(0.003)
        self.daemon = p

    def stop(self, seconds=10):
        try:
            self.daemon.wait(seconds)
        except subprocess.TimeoutExpired:
            fail("pop3d %d still running after its pop3d-auth died" %
                self.daemon.pid)
        self.daemon = None

    def scram_login(self, password):
        from authtest import auth_scram
        p = pop3test.POP3(self.port)
        res = auth_scram(p, "alice", password)
        ok = res.status is not None and res.status.startswith("+OK")
        p.close()
        return ok

    def change(self, old, new, window):
        """USER, PASS, NEWPASS; pop3d-auth killed at a random instant
        after NEWPASS is sent.  The reply, or None."""
        from authtest import Poppass
        import authtest
        authtest.log = quiet
        pp = Poppass(self.ppport)
        r = pp.cmd("USER alice")
        check(r.startswith("200"), "USER: %s" % r)
        r = pp.cmd("PASS %s" % old)
        check(r.startswith("200"), "PASS with the password of the file: "
            "%s" % r)
        fds = child_pidfds(self.daemon.pid, "pop3d: auth")
        check(fds, "no pop3d-auth")
        t0 = time.perf_counter()
        pp.sock.sendall(("NEWPASS %s\r\n" % new).encode())
        if window.ready():
            spin(window.draw())
        else:
            r = pp.reply()
            window.add(time.perf_counter() - t0)
        for fd in fds:
            if pidfd_kill(fd):
                self.st.inc("kills before pop3d-auth was reaped")
            os.close(fd)
        try:
            r = pp.reply()
        except (Closed, OSError):
            r = None
        pp.sock.close()
        return r

    def iteration(self, window):
        self.serial += 1
        new = "pw%d-%d" % (self.serial, rng.randrange(10 ** 6))
        with open(self.db, "rb") as f:
            old = f.read()
        calibrating = not window.ready()
        r = self.change(self.pw, new, window)
        self.stop()
        with open(self.db, "rb") as f:
            data = f.read()
        which = check_db(old, data, "alice", "password", new)
        if r is not None and r.startswith("200"):
            check(which == "new", "NEWPASS said 200, the file is the old "
                "one")
        if not calibrating:
            self.st.inc("kills, %s file" % which)
            if db_temps(self.dir, self.base):
                self.st.inc("kills that left a temporary file")
        if which == "new":
            self.pw = new
        self.start()
        # The next change's PASS logs in with the password of the file;
        # now and then SCRAM too, whose keys the change also wrote.
        if self.serial % 50 == 0:
            check(self.scram_login(self.pw), "the password of the file "
                "(%s) does not log in with SCRAM" % which)
        return 0 if calibrating else 1

    def run(self):
        t0 = time.monotonic()
        self.start()
        window = Window()
        kills = 0
        while kills < POPPASS_KILLS:
            kills += self.iteration(window)
        # A change that is not killed sweeps what the kills left.
        plant_db_temp(self.dir, self.base)
        self.serial += 1
        new = "final-password-%d" % self.serial
        from authtest import poppass_change
        import authtest
        authtest.log = quiet
        r = poppass_change(self.ppport, "alice", self.pw, new)
        check(r.startswith("200"), "the last change: %s" % r)
        check(self.scram_login(new), "the last password")
        check(not db_temps(self.dir, self.base), "temporary files left")
        self.daemon.terminate()
        self.daemon.wait()
        self.st.show("poppass", t0, POPPASS_KILLS)


def main():
    what = sys.argv[1]
    note("crash.py %s: CRASH_KILLS=%d CRASH_SEED=%d" % (what, KILLS, SEED))
    {"maildir": MaildirTest, "mbox": MboxTest, "ctl": CtlTest,
        "poppass": PoppassTest}[what]().run()


if __name__ == "__main__":
    run(main)
