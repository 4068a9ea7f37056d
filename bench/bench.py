#!/usr/bin/python3
"""bench.py: `make bench`, pop3d against Dovecot 2.3 on 127.0.0.1.

Run by bench/run.sh (which installs Dovecot, socat, popa3d, ...), as root:
    python3 bench/bench.py WORKDIR          run, then clean up
    python3 bench/bench.py --cleanup WORKDIR  undo what a run left (run.sh's trap)
POP3D=/abs/path/pop3d tests another pop3d binary; BENCH_QUICK=1 runs
small sizes and short times (for working on this file; figures mean little).

How to read the table
---------------------
One row per figure.  "pop3d" and "Dovecot" are the two servers under the
same client (this program) and the same data, one server at a time;
"popa3d" (Debian's, behind socat like inetd) appears only for logins.
"ratio" is how many times better pop3d did than Dovecot: pop3d/Dovecot
for rates (MB/s, messages/s, logins/s), Dovecot/pop3d for times, CPU and
memory, so that > 1 always means pop3d is better.  "target" is the goal
set for pop3d in the brief of this benchmark (they are goals, not
results; "missed" never makes the run fail), and the last column says
whether this run met it.  A cell that says FAILED or names a reason
means that run did not give a figure; the run then exits non-zero and
the reasons, with the server's log lines, follow the table.

  a/b/c  RETR throughput, 1000 messages of 100 KiB: a one RETR at a time
         over implicit TLS (POP3S), b the same in the clear, c POP3S with 8
         RETRs outstanding.  MB/s counts message octets as LIST gives them
         (10^6 octets); messages/s.  Each run cycles through the mailbox for
         a few seconds after one untimed, fully checked pass.
  d      RETR of 10000 messages of 4 KiB, 8 outstanding, in the clear.
  e/f    16 clients at once, each connecting and doing USER, PASS, STAT,
         QUIT over and over, spread over 1000 users, for a fixed time;
         e in the clear, f over implicit TLS.  CPU per login is the
         server's whole process tree (utime+stime, reaped children
         included) divided by the logins; "one crypt(3)" is the cost of
         one check of the same SHA-512-crypt hash, measured here.  The
         header gives the cost of one fork+exec+wait of /bin/true on this
         machine, which every server pays for each process it starts.
  g      popa3d's figures for e, in the popa3d column of the e rows.
  h      One user with 100,000 messages of 1-2 KiB, delivered to new/:
         time from sending PASS to its +OK at the first login (the server
         first sees new/) and at later logins (median of 3), and the time
         of the complete LIST and UIDL answers (median of 3).  Dovecot's
         login process answers PASS before its pop3 process has read the
         mailbox, pop3d only once its store has; so the rows "PASS sent ->
         STAT answered" (PASS, then STAT at once) compare the same work,
         and the targets are judged on them.
  i      1000 idle logged-in sessions (USER, PASS, STAT, then nothing):
         the proportional set size (PSS) of the server's process tree with
         them open, less without, divided by 1000; in the clear and over
         implicit TLS.
  j      Sequential logins (connect to the +OK of PASS) of random users of
         a database of 1000 users and of 1,000,000 users (one shared hash
         for all: only the lookup differs); the mean latency of each, and
         1M/1k.
Every RETR is checked: the octet count against LIST's size, every line
ending in CRLF, the dot-stuffing undone, and the bytes against the
message as delivered (by its X-Bench-Id header).  Below the table, the
client's ceiling: the same client against an in-memory Python server, so
that one can see the client was not the limit.
"""

import collections
import ctypes
import grp
import multiprocessing
import os
import pwd
import random
import re
import resource
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import time

HOST = "127.0.0.1"
BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(BENCH_DIR)
POP3D = os.environ.get("POP3D", "/usr/local/sbin/pop3d")
DOVECOT = "/usr/sbin/dovecot"
DOVECONF = "/usr/bin/doveconf"
SOCAT = "/usr/bin/socat"
POPA3D = os.environ.get("POPA3D", "/usr/sbin/popa3d")

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")


def _q(full, quick):
    return quick if QUICK else full


THRU_N = _q(1000, 100)          # a, b, c: messages of THRU_SIZE
THRU_SIZE = 100 * 1024
SMALL_N = _q(10000, 1000)       # d: messages of SMALL_SIZE
SMALL_SIZE = 4 * 1024
THRU_SECONDS = _q(3.0, 1.0)     # a-d: timed part of each run, at least
PIPE_DEPTH = 8
LOGIN_USERS = _q(1000, 100)     # e, f, i: users with one tiny message
POPA3D_USERS = _q(200, 20)      # g: system accounts (useradd is slow)
LOGIN_CLIENTS = 16
LOGIN_SECONDS = _q(10.0, 3.0)   # e, f, g: each server, each mode
BIG_N = _q(100000, 5000)        # h
WARM_LOGINS = 3                 # h: later logins, the median is shown
IDLE_N = _q(1000, 100)          # i
J_SMALL = 1000                  # j
J_BIG = _q(1000000, 20000)
J_LOGINS = _q(200, 50)
J_BUDGET = 60                   # j: seconds of logins at most, each case
J_TIMEOUT = 120.0               # j: one answer
CRYPT_CALLS = 200
LOGIN_TIMEOUT = 120.0           # one answer; longer is a failure
BIG_TIMEOUT = 600.0             # h: one answer over 100,000 messages

CLK_TCK = os.sysconf("SC_CLK_TCK")
MAIN_PID = os.getpid()


class BenchError(Exception):
    pass


def note(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ journal
# Everything a run creates outside WORKDIR is written down before it is
# made, so that the cleanup (at the end, on ^C, or run.sh's trap calling
# --cleanup after a crash) removes exactly that and nothing else.

class Journal:
    def __init__(self, workdir):
        self.path = os.path.join(workdir, "journal")

    def add(self, kind, *vals):
        with open(self.path, "a") as f:
            f.write(" ".join([kind] + [str(v) for v in vals]) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def entries(self):
        try:
            with open(self.path) as f:
                return [ln.split() for ln in f if ln.strip()]
        except FileNotFoundError:
            return []


def proc_stat(pid):
    """(ppid, state, starttime, cpu ticks incl. reaped children) or None."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read()
    except OSError:
        return None
    rest = data[data.rindex(b")") + 2:].split()
    # fields from 3 (state): state ppid ... utime(14) stime cutime cstime
    return (int(rest[1]), rest[0].decode(), int(rest[19]),
            int(rest[11]) + int(rest[12]) + int(rest[13]) + int(rest[14]))


def proc_table():
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = proc_stat(int(name))
            if st is not None:
                table[int(name)] = st
    return table


def tree(root, table=None):
    """root and all its descendants that exist now."""
    table = table if table is not None else proc_table()
    if root not in table:
        return []
    kids = collections.defaultdict(list)
    for pid, st in table.items():
        kids[st[0]].append(pid)
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, ()))
    return out


def tree_cpu(root):
    """Seconds of CPU of root's tree, reaped children included."""
    table = proc_table()
    return sum(table[p][3] for p in tree(root, table)) / CLK_TCK


def tree_pss(root):
    """(KiB of PSS of root's tree, number of processes)."""
    pids = tree(root)
    total = 0
    for p in pids:
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                for ln in f:
                    if ln.startswith("Pss:"):
                        total += int(ln.split()[1])
                        break
        except OSError:
            pass
    return total, len(pids)


def alive(pid, start=None):
    st = proc_stat(pid)
    if st is None or st[1] in ("Z", "X"):
        return False
    return start is None or st[2] == start


def kill_tree(pid, start=None, grace=10.0):
    """SIGTERM pid, then SIGKILL what is left of its tree (by pid)."""
    if not alive(pid, start):
        return
    table = proc_table()
    kids = [(p, table[p][2]) for p in tree(pid, table) if p != pid]
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    end = time.monotonic() + grace
    while alive(pid, start) and time.monotonic() < end:
        time.sleep(0.05)
        _reap()
    for p, s in [(pid, start)] + kids:
        if alive(p, s):
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
    _reap()


def _reap():
    # We are a subreaper: orphans of the servers end up as our children.
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def uid_pids(uid):
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat("/proc/" + name).st_uid == uid:
                    out.append(int(name))
            except OSError:
                pass
    return out


def cleanup(workdir, quiet=False):
    """Undo the journal of workdir, newest first, then remove workdir."""
    j = Journal(workdir)
    for ent in reversed(j.entries()):
        kind, vals = ent[0], ent[1:]
        try:
            if kind == "pid":
                kill_tree(int(vals[0]), int(vals[1]))
            elif kind == "user":
                name = vals[0]
                try:
                    uid = pwd.getpwnam(name).pw_uid
                except KeyError:
                    continue
                # Left-over processes of a throw-away user are ours.
                for p in uid_pids(uid):
                    try:
                        os.kill(p, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                subprocess.run(["userdel", name], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            elif kind == "group":
                try:
                    grp.getgrnam(vals[0])
                except KeyError:
                    continue
                subprocess.run(["groupdel", vals[0]],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            elif kind == "file":
                try:
                    os.unlink(vals[0])
                except FileNotFoundError:
                    pass
            elif kind == "dir":
                shutil.rmtree(vals[0], ignore_errors=True)
        except Exception as e:  # keep going: undo all we can
            if not quiet:
                note("cleanup: %s %s: %s" % (kind, " ".join(vals), e))
    _reap()
    base = os.path.basename(os.path.normpath(workdir))
    if base.startswith("p3bench.") and os.path.isdir(workdir):
        # rm(1) is much faster than shutil on 200,000 files.
        subprocess.run(["rm", "-rf", "--one-file-system", workdir])


# ------------------------------------------------------------------- crypt

_libcrypt = ctypes.CDLL("libcrypt.so.1", use_errno=True)
_libcrypt.crypt.restype = ctypes.c_char_p
_libcrypt.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
SALT_CHARS = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def crypt(password, setting):
    r = _libcrypt.crypt(password.encode(), setting.encode())
    if not r or r.startswith(b"*"):
        raise BenchError("crypt(3) failed for %r" % setting)
    return r.decode()


def sha512_crypt(password, rng):
    """SHA-512-crypt, default 5000 rounds, 16 salt characters."""
    salt = "".join(rng.choice(SALT_CHARS) for _ in range(16))
    return crypt(password, "$6$" + salt + "$")


def crypt_cost(h, password):
    """CPU seconds of one crypt(3) of hash h (median of 5 batches)."""
    crypt(password, h)
    batches = []
    for _ in range(5):
        t0 = time.process_time()
        for _ in range(CRYPT_CALLS // 5):
            if crypt(password, h) != h:
                raise BenchError("crypt(3) does not reproduce its hash")
        batches.append((time.process_time() - t0) / (CRYPT_CALLS // 5))
    return statistics.median(batches)


# ---------------------------------------------------------------- messages

def line_pool(rng):
    """Lines of text; about one in 25 starts with a dot."""
    pool = []
    letters = "abcdefghijklmnopqrstuvwxyz     ABCDEFGHIJ,.0123456789"
    for _ in range(2000):
        n = rng.randint(10, 76)
        pool.append(("".join(rng.choice(letters) for _ in range(n))
                     + "\n").encode())
    for _ in range(80):
        pool.append(rng.choice([b".\n", b"..\n", b"...\n", b". dot\n",
                                b".. two dots\n", b".x\n"]))
    return pool


class Messages:
    """A set of messages, as delivered (LF) and as RETR sends them."""

    def __init__(self, rng, pool, count, lo, hi, first_id, tag):
        self.raw = {}        # id -> bytes as on disk
        self.wire = {}       # id -> CRLF, dot-stuffed, with the last CRLF
        self.size = {}       # id -> octets LIST must give (CRLF)
        avg = sum(len(x) for x in pool) / len(pool)
        for k in range(count):
            ident = first_id + k
            target = lo if lo == hi else rng.randint(lo, hi)
            head = (b"Return-Path: <sender@bench.example>\n"
                    b"Received: from bench.example by bench.example;"
                    b" Thu, 01 Jan 2026 00:00:00 +0000\n"
                    b"From: Bench Sender <sender@bench.example>\n"
                    b"To: %s@bench.example\n"
                    b"Subject: bench message %d\n"
                    b"Message-ID: <%d.%s@bench.example>\n"
                    b"X-Bench-Id: %d\n"
                    b"Date: Thu, 01 Jan 2026 00:00:00 +0000\n"
                    b"\n"
                    b".a line that starts with a dot\n"
                    b".\n"
                    b"..\n") % (tag, ident, ident, tag, ident)
            need = target - len(head)
            body = b"".join(rng.choices(pool, k=int(need / avg) + 4))
            cut = body.rfind(b"\n", 0, max(need - 1, 1)) + 1
            body = body[:cut]
            pad = need - len(body)
            if pad >= 2:
                body += b"z" * (pad - 1) + b"\n"
            elif pad == 1:
                body += b"\n"
            raw = head + body
            self.raw[ident] = raw
            crlf = raw.replace(b"\n", b"\r\n")
            self.size[ident] = len(crlf)
            self.wire[ident] = stuff(crlf)

    def ids(self):
        return list(self.raw)


def stuff(crlf):
    w = crlf.replace(b"\r\n.", b"\r\n..")
    return b"." + w if w.startswith(b".") else w


BENCH_ID = re.compile(rb"\r\nX-Bench-Id: (\d+)\r\n")


def check_retr(body_wire, list_size, msgs):
    """The full check of one RETR answer (between status and final dot):
    CRLF line ends, dot-stuffing, octets against LIST, bytes against the
    delivered message.  Returns the message's id."""
    if body_wire.count(b"\n") != body_wire.count(b"\r\n"):
        raise BenchError("RETR: a line does not end in CRLF")
    if body_wire and not body_wire.endswith(b"\r\n"):
        raise BenchError("RETR: last line without CRLF")
    lines = body_wire.split(b"\r\n")[:-1]
    out = []
    for ln in lines:
        if ln[:1] == b".":
            if ln[:2] != b"..":
                raise BenchError("RETR: line %r not dot-stuffed" % ln[:40])
            ln = ln[1:]
        out.append(ln)
    plain = b"\r\n".join(out) + (b"\r\n" if out else b"")
    if len(plain) != list_size:
        raise BenchError("RETR: %d octets, LIST said %d"
                         % (len(plain), list_size))
    m = BENCH_ID.search(plain, 0, 2048)
    if m is None:
        raise BenchError("RETR: no X-Bench-Id header")
    ident = int(m.group(1))
    if ident not in msgs.raw:
        raise BenchError("RETR: unknown message %d" % ident)
    if plain != msgs.raw[ident].replace(b"\n", b"\r\n"):
        raise BenchError("RETR: message %d differs from the one delivered"
                         % ident)
    return ident


def write_maildir(maildir, msgs, ids, stamp):
    """Deliver into new/ as an MTA does, names carrying ,S=size."""
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(maildir, sub), 0o700, exist_ok=True)
    new = os.path.join(maildir, "new")
    names = []
    for k, ident in enumerate(ids):
        raw = msgs.raw[ident]
        name = "%d.M%06dP%dQ%d.bench.example,S=%d" % (
            stamp + k // 1000, k % 1000000, 4242, ident, len(raw))
        fd = os.open(os.path.join(new, name),
                     os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, raw)
        os.close(fd)
        names.append(name)
    return names


def link_maildir(src, dst, names):
    """The same files (hard links) in a second Maildir: identical data."""
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(dst, sub), 0o700, exist_ok=True)
    for n in names:
        os.link(os.path.join(src, "new", n), os.path.join(dst, "new", n))


# ------------------------------------------------------------------ client

def client_tls():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Pop3:
    """A POP3 client: one line answers, multi-line answers, timings."""

    def __init__(self, port, tls=False, timeout=LOGIN_TIMEOUT, ctx=None):
        s = socket.create_connection((HOST, port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls:
            s = (ctx or client_tls()).wrap_socket(s)
        self.sock = s
        self.buf = bytearray()
        self.greeting = self.line()
        if not self.greeting.startswith(b"+OK"):
            raise BenchError("greeting %r" % self.greeting[:80])

    def _fill(self):
        d = self.sock.recv(1 << 20)
        if not d:
            raise BenchError("server closed the connection")
        self.buf += d

    def line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                ln = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return ln
            self._fill()

    def cmd(self, text, ok=True):
        self.sock.sendall(text.encode() + b"\r\n")
        ln = self.line()
        if ok and not ln.startswith(b"+OK"):
            what = text.split()[0] + (" ..." if " " in text else "")
            raise BenchError("%s: %s" % (what, ln[:120].decode(
                "ascii", "replace")))
        return ln

    def multi(self, text):
        """A multi-line answer, without status and final dot."""
        self.cmd(text)
        if self.buf.startswith(b".\r\n"):
            del self.buf[:3]
            return b""
        scan = 0
        while True:
            i = self.buf.find(b"\r\n.\r\n", scan)
            if i >= 0:
                body = bytes(self.buf[:i + 2])
                del self.buf[:i + 5]
                return body
            scan = max(0, len(self.buf) - 4)
            self._fill()

    def login(self, user, password):
        """Seconds from sending PASS to its answer."""
        self.cmd("USER " + user)
        t0 = time.perf_counter()
        self.cmd("PASS " + password)
        return time.perf_counter() - t0

    def list_sizes(self):
        sizes = {}
        for ln in self.multi("LIST").split(b"\r\n")[:-1]:
            n, sz = ln.split()
            sizes[int(n)] = int(sz)
        return sizes

    def quit(self):
        try:
            self.cmd("QUIT")
        finally:
            self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def retr_stream(conn, sizes, msgs, depth, num2id, seconds=None):
    """RETR the messages of sizes (1..N), depth outstanding at a time.
    Without seconds: one pass, every answer fully checked (check_retr),
    which fills num2id.  With seconds: cycle through the messages until
    that much time has passed and a whole pass is done; each answer is
    compared with the expected bytes.  Returns (answers, octets, s)."""
    order = sorted(sizes)
    total = len(order)
    s = conn.sock
    cap = 16 << 20
    rb = bytearray(cap)
    mv = memoryview(rb)
    rlen = len(conn.buf)
    rb[:rlen] = conn.buf
    conn.buf.clear()
    pos = scan = 0
    pending = collections.deque()
    sent = done = octets = 0
    stop = False
    t0 = time.perf_counter()
    while True:
        # Top up to depth outstanding commands, in one write.
        if not stop:
            if seconds is None:
                stop = sent >= total
            else:
                stop = (done >= total and
                        time.perf_counter() - t0 >= seconds)
        if not stop and len(pending) < depth:
            cmds = []
            while len(pending) < depth and (seconds is not None or
                                            sent < total):
                num = order[sent % total]
                cmds.append(b"RETR %d\r\n" % num)
                pending.append(num)
                sent += 1
            s.sendall(b"".join(cmds))
        if not pending:
            break
        end = rb.find(b"\r\n.\r\n", scan, rlen)
        if end < 0:
            scan = max(pos, rlen - 4)
            if cap - rlen < (1 << 20):
                rest = rlen - pos
                rb[0:rest] = rb[pos:rlen]
                scan -= pos
                rlen = rest
                pos = 0
            n = s.recv_into(mv[rlen:], cap - rlen)
            if n == 0:
                raise BenchError("server closed the connection in RETR")
            rlen += n
            continue
        num = pending.popleft()
        if rb[pos:pos + 3] != b"+OK":
            raise BenchError("RETR %d: %r" % (num, bytes(rb[pos:pos + 80])))
        hl = rb.find(b"\r\n", pos, end + 2)
        body = rb[hl + 2:end + 2]
        if seconds is None:
            num2id[num] = check_retr(bytes(body), sizes[num], msgs)
        elif body != msgs.wire[num2id[num]]:
            # Not what the checked pass saw: check it fully to say why.
            check_retr(bytes(body), sizes[num], msgs)
            raise BenchError("RETR %d: not the message of the first pass"
                             % num)
        octets += sizes[num]
        done += 1
        pos = scan = end + 5
    elapsed = time.perf_counter() - t0
    conn.buf = bytearray(rb[pos:rlen])
    return done, octets, elapsed


def throughput(port, tls, user, password, msgs, depth):
    """One connection: a checked pass, then the timed part.
    Returns (MB/s, messages/s, TLS version and cipher or None)."""
    c = Pop3(port, tls=tls)
    try:
        c.login(user, password)
        sizes = c.list_sizes()
        if sorted(sizes.values()) != sorted(msgs.size.values()):
            raise BenchError("LIST: %d messages, sizes differ from the %d"
                             " delivered" % (len(sizes), len(msgs.size)))
        num2id = {}
        retr_stream(c, sizes, msgs, depth, num2id)
        if sorted(num2id.values()) != sorted(msgs.ids()):
            raise BenchError("RETR: not every message came back once")
        n, octets, secs = retr_stream(c, sizes, msgs, depth, num2id,
                                      THRU_SECONDS)
        cipher = None
        if tls:
            cipher = "%s %s" % (c.sock.version(), c.sock.cipher()[0])
        c.quit()
    finally:
        c.close()
    return octets / secs / 1e6, n / secs, cipher


def _answer(s):
    d = s.recv(4096)
    while not d.endswith(b"\r\n"):
        more = s.recv(4096)
        if not more:
            raise BenchError("connection closed: %r" % d[:80])
        d += more
    if not d.startswith(b"+OK"):
        raise BenchError("answer %r" % d[:120])
    return d


def login_once(port, ctx, user, password, stat):
    s = socket.create_connection((HOST, port), timeout=LOGIN_TIMEOUT)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if ctx is not None:
            s = ctx.wrap_socket(s)
        _answer(s)
        s.sendall(b"USER %s\r\n" % user)
        _answer(s)
        s.sendall(b"PASS %s\r\n" % password)
        _answer(s)
        s.sendall(b"STAT\r\n")
        got = _answer(s)
        if stat is not None and got.split()[:3] != stat:
            raise BenchError("STAT %r, want %r" % (got[:60], stat))
        s.sendall(b"QUIT\r\n")
        _answer(s)
    finally:
        s.close()


def login_worker(port, tls, creds, stat, start_at, stop_at, out):
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    ctx = client_tls() if tls else None
    n = 0
    err = None
    i = 0
    while time.monotonic() < start_at:
        time.sleep(0.001)
    try:
        while time.monotonic() < stop_at:
            user, password = creds[i % len(creds)]
            i += 1
            login_once(port, ctx, user, password, stat)
            n += 1
    except Exception as e:
        err = "%s: %s" % (type(e).__name__, e)
    out.send((n, time.monotonic(), err))
    out.close()


def login_rate(port, tls, creds, stat, root_pid, seconds):
    """LOGIN_CLIENTS processes log in at once for seconds.
    Returns (logins/s, server CPU ms per login)."""
    mp = multiprocessing.get_context("fork")
    start_at = time.monotonic() + 0.5
    stop_at = start_at + seconds
    procs = []
    for w in range(LOGIN_CLIENTS):
        share = creds[w::LOGIN_CLIENTS] or creds
        rd, wr = mp.Pipe(duplex=False)
        p = mp.Process(target=login_worker,
                       args=(port, tls, share, stat, start_at, stop_at, wr))
        p.start()
        wr.close()
        procs.append((p, rd))
    while time.monotonic() < start_at - 0.05:
        time.sleep(0.01)
    cpu0 = tree_cpu(root_pid) if root_pid else 0.0
    total, ends, errs = 0, [], []
    for p, rd in procs:
        try:
            if not rd.poll(seconds + LOGIN_TIMEOUT + 10):
                raise BenchError("a login client hung")
            n, end, err = rd.recv()
        except EOFError:
            n, end, err = 0, time.monotonic(), "client process died"
        total += n
        ends.append(end)
        if err:
            errs.append(err)
    for p, rd in procs:
        p.join(5)
        if p.is_alive():
            p.kill()
            p.join()
    cpu1 = tree_cpu(root_pid) if root_pid else 0.0
    if errs:
        raise BenchError("%d of %d clients failed, first: %s"
                         % (len(errs), LOGIN_CLIENTS, errs[0]))
    if total == 0:
        raise BenchError("no login succeeded")
    secs = max(ends) - start_at
    return total / secs, (cpu1 - cpu0) * 1000.0 / total


# -------------------------------------------------------------- servers

def free_port(avoid=()):
    while True:
        s = socket.socket()
        s.bind((HOST, 0))
        port = s.getsockname()[1]
        s.close()
        if port not in avoid:
            return port


def render(template, values):
    with open(os.path.join(BENCH_DIR, template)) as f:
        text = f.read()
    for k, v in values.items():
        text = text.replace("@%s@" % k, str(v))
    left = [m for ln in text.splitlines() if not ln.lstrip().startswith("#")
            for m in re.findall(r"@[A-Z_]+@", ln)]
    if left:
        raise BenchError("%s: unreplaced %s" % (template, left[0]))
    return text


class Server:
    label = "?"
    greets = True   # the plain port says +OK once it serves

    def __init__(self, env, tag):
        self.env = env
        self.dir = os.path.join(env.work, tag)
        os.makedirs(self.dir, 0o755, exist_ok=True)
        self.log = os.path.join(self.dir, "log")
        self.proc = None
        self.start_time = None
        self.port = free_port()
        self.tlsport = free_port((self.port,))

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def argv(self):
        raise NotImplementedError

    def prepare(self):
        pass

    def start(self):
        self.prepare()
        with open(self.log, "ab") as lf:
            lf.write(b"==== %s ====\n" % " ".join(self.argv()).encode())
            lf.flush()
            self.proc = subprocess.Popen(
                self.argv(), stdin=subprocess.DEVNULL, stdout=lf,
                stderr=subprocess.STDOUT, start_new_session=True,
                cwd=self.dir)
        st = proc_stat(self.proc.pid)
        self.start_time = st[2] if st else None
        self.env.journal.add("pid", self.proc.pid, self.start_time or 0)
        self.wait_ready()

    def wait_ready(self, seconds=20.0):
        end = time.monotonic() + seconds
        err = None
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise BenchError("%s exited (status %s) before serving:\n%s"
                                 % (self.label, self.proc.returncode,
                                    self.log_tail()))
            try:
                if self.greets:
                    Pop3(self.port, timeout=5).quit()
                Pop3(self.tlsport, tls=True, timeout=5).quit()
                return
            except (OSError, BenchError) as e:
                err = e
                time.sleep(0.1)
        raise BenchError("%s does not serve on port %d within %.0f s (%s):\n"
                         "%s" % (self.label, self.port, seconds, err,
                                 self.log_tail()))

    def check_alive(self):
        if self.proc is None or self.proc.poll() is not None:
            raise BenchError("%s is no longer running (status %s):\n%s"
                             % (self.label, self.proc.returncode
                                if self.proc else None, self.log_tail()))

    def stop(self):
        if self.proc is None:
            return
        kill_tree(self.proc.pid, self.start_time)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self.proc = None

    def log_tail(self, n=25):
        try:
            with open(self.log, errors="replace") as f:
                lines = f.readlines()
        except OSError:
            return "(no log)"
        return "".join("    " + ln for ln in lines[-n:]).rstrip()

    def notable(self):
        """Log lines that say something went wrong."""
        pat = re.compile(r"fatal|killed|signal|seccomp|crash|panic|"
                         r"error|warn|refus|larger than|dumped", re.I)
        # What our own stop causes is not news.
        benign = re.compile(r"terminating on signal 15|"
                            r"Killed with signal 15 \(by pid=%d " % MAIN_PID)
        try:
            with open(self.log, errors="replace") as f:
                return [ln.rstrip() for ln in f
                        if pat.search(ln) and not benign.search(ln)]
        except OSError:
            return []


class Pop3dServer(Server):
    label = "pop3d"

    def __init__(self, env, tag, users_file):
        super().__init__(env, tag)
        self.users_file = users_file
        self.conf = os.path.join(self.dir, "pop3d.conf")

    def prepare(self):
        text = render("pop3d.conf.in", {
            "PORT": self.port, "TLSPORT": self.tlsport,
            "CERT": self.env.cert, "KEY": self.env.key,
            "USERS": self.users_file, "MAILUSER": self.env.mailuser,
            "MAILROOT": self.env.mailroot["pop3d"],
            "CTL": os.path.join(self.dir, "ctl.sock")})
        with open(self.conf, "w") as f:
            f.write(text)
        r = subprocess.run([POP3D, "-n", "-f", self.conf],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        if r.returncode != 0:
            raise BenchError("pop3d -n refuses %s:\n%s"
                             % (self.conf, r.stdout.rstrip()))

    def argv(self):
        return [POP3D, "-d", "-f", self.conf]


class DovecotServer(Server):
    label = "Dovecot"

    def __init__(self, env, tag, passwd_file):
        super().__init__(env, tag)
        self.passwd_file = passwd_file
        self.conf = os.path.join(self.dir, "dovecot.conf")

    def prepare(self):
        run_dir = os.path.join(self.dir, "run")
        state = os.path.join(self.dir, "state")
        for d in (run_dir, state):
            os.makedirs(d, 0o755, exist_ok=True)
        text = render("dovecot.conf.in", {
            "BASE_DIR": run_dir, "STATE_DIR": state,
            "INSTANCE": "p3bench-" + os.path.basename(self.dir),
            "LOG": self.log, "CERT": self.env.cert, "KEY": self.env.key,
            "UID": self.env.mail_uid, "GID": self.env.mail_gid,
            "MAILROOT": self.env.mailroot["dovecot"],
            "PASSWD": self.passwd_file,
            "PORT": self.port, "TLSPORT": self.tlsport})
        with open(self.conf, "w") as f:
            f.write(text)
        r = subprocess.run([DOVECONF, "-c", self.conf, "-n"],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            raise BenchError("doveconf refuses %s:\n%s"
                             % (self.conf, r.stderr.rstrip()))

    def argv(self):
        return [DOVECOT, "-F", "-c", self.conf]


class Popa3dServer(Server):
    """Debian's popa3d is an inetd server: socat plays inetd."""
    label = "popa3d"

    def argv(self):
        return [SOCAT, "TCP-LISTEN:%d,bind=%s,fork,reuseaddr,backlog=128"
                % (self.port, HOST), "EXEC:%s,nofork" % POPA3D]

    def wait_ready(self, seconds=20.0):
        # No TLS port: only the plain one.
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise BenchError("socat exited:\n" + self.log_tail())
            try:
                Pop3(self.port, timeout=5).quit()
                return
            except (OSError, BenchError):
                time.sleep(0.1)
        raise BenchError("popa3d does not answer behind socat:\n"
                         + self.log_tail())


# ----------------------------------------------------------- environment

class Env:
    """What both servers share: users, mail, certificate."""

    def __init__(self, work):
        self.work = work
        self.journal = Journal(work)
        self.rng = random.Random(1939)
        self.tag = "".join(random.SystemRandom().choice(
            "abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(4))
        self.mailroot = {"pop3d": os.path.join(work, "mail-pop3d"),
                         "dovecot": os.path.join(work, "mail-dovecot")}
        self.users = {}          # name -> (password, hash)
        self.servers = {}        # "pop3d"/"dovecot" -> [Server], for logs

    # -- system users -----------------------------------------------------
    def useradd(self, name, args):
        self.journal.add("user", name)
        self.journal.add("group", name)
        r = subprocess.run(["useradd"] + args + [name],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        if r.returncode != 0:
            raise BenchError("useradd %s: %s" % (name, r.stdout.strip()))

    def setup_mailuser(self):
        self.mailuser = "p3bm" + self.tag
        self.useradd(self.mailuser, ["-r", "-U", "-M", "-d", "/nonexistent",
                                     "-s", "/usr/sbin/nologin"])
        pw = pwd.getpwnam(self.mailuser)
        self.mail_uid, self.mail_gid = pw.pw_uid, pw.pw_gid

    # -- certificate ------------------------------------------------------
    def setup_cert(self):
        self.cert = os.path.join(self.work, "server.crt")
        self.key = os.path.join(self.work, "server.key")
        old = os.umask(0o077)
        try:
            r = subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                 "-days", "2", "-subj", "/CN=localhost", "-addext",
                 "subjectAltName=IP:127.0.0.1,DNS:localhost",
                 "-keyout", self.key, "-out", self.cert],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                timeout=120)
        finally:
            os.umask(old)
        if r.returncode != 0:
            raise BenchError("openssl req: " + r.stdout)
        os.chown(self.key, 0, 0)
        os.chmod(self.key, 0o600)
        os.chmod(self.cert, 0o644)

    # -- virtual users, the same for pop3d and Dovecot --------------------
    def add_user(self, name):
        password = "".join(self.rng.choice(SALT_CHARS[2:])
                           for _ in range(14))
        self.users[name] = (password, sha512_crypt(password, self.rng))
        return name

    def mkmaildirs(self, name, msgs=None, ids=()):
        """The user's Maildir for each server, the same files in both."""
        src = os.path.join(self.mailroot["pop3d"], name, "Maildir")
        names = write_maildir(src, msgs, ids, 1767225600) if msgs else []
        if not msgs:
            for sub in ("cur", "new", "tmp"):
                os.makedirs(os.path.join(src, sub), 0o700, exist_ok=True)
        link_maildir(src, os.path.join(self.mailroot["dovecot"], name,
                                       "Maildir"), names)

    def write_users(self, path_pop3d, path_dovecot, names, shared=None):
        """pop3d's users file (name:hash:apop:scram:flags, owned by
        _pop3dauth, 0600, replaced atomically) and Dovecot's passwd-file
        (name:hash), with the same hashes; shared: one hash for all."""
        auth = pwd.getpwnam("_pop3dauth")
        dc = grp.getgrnam("dovecot").gr_gid
        for path, fmt, owner, mode in (
                (path_pop3d, "%s:%s:::\n", (auth.pw_uid, auth.pw_gid), 0o600),
                (path_dovecot, "%s:%s\n", (0, dc), 0o640)):
            tmp = path + ".new"
            with open(tmp, "w", buffering=1 << 20) as f:
                chunk = []
                for n in names:
                    chunk.append(fmt % (n, shared or self.users[n][1]))
                    if len(chunk) >= 65536:
                        f.write("".join(chunk))
                        chunk = []
                f.write("".join(chunk))
            os.chown(tmp, *owner)
            os.chmod(tmp, mode)
            os.replace(tmp, path)

    def setup(self):
        note("preparing users, mail and certificate in %s" % self.work)
        os.chmod(self.work, 0o755)
        self.setup_mailuser()
        self.setup_cert()
        for d in self.mailroot.values():
            os.makedirs(d, 0o755)
        self.authdir = os.path.join(self.work, "pop3d-auth")
        os.makedirs(self.authdir, 0o700)
        os.chown(self.authdir, pwd.getpwnam("_pop3dauth").pw_uid, -1)
        self.dcdir = os.path.join(self.work, "dovecot-auth")
        os.makedirs(self.dcdir, 0o750)
        os.chown(self.dcdir, 0, grp.getgrnam("dovecot").gr_gid)

        rng = self.rng
        pool = line_pool(rng)
        t0 = time.monotonic()
        self.thru = Messages(rng, pool, THRU_N, THRU_SIZE, THRU_SIZE,
                             1, b"thru")
        self.small = Messages(rng, pool, SMALL_N, SMALL_SIZE, SMALL_SIZE,
                              100001, b"small")
        self.big = Messages(rng, pool, BIG_N, 1024, 2048, 1000001, b"big")
        self.tiny = Messages(rng, pool, 1, 300, 300, 9000001, b"tiny")
        note("messages generated in %.1f s" % (time.monotonic() - t0))

        t0 = time.monotonic()
        self.thru_user = self.add_user("p3bthru")
        self.mkmaildirs(self.thru_user, self.thru, self.thru.ids())
        self.small_user = self.add_user("p3bsmall")
        self.mkmaildirs(self.small_user, self.small, self.small.ids())
        self.big_user = self.add_user("p3bbig")
        self.mkmaildirs(self.big_user, self.big, self.big.ids())
        self.login_users = []
        for k in range(LOGIN_USERS):
            u = self.add_user("p3bu%04d" % k)
            self.mkmaildirs(u, self.tiny, self.tiny.ids())
            self.login_users.append(u)
        tiny = self.tiny.size[self.tiny.ids()[0]]
        self.stat_tiny = [b"+OK", b"1", str(tiny).encode()]
        self.users_pop3d = os.path.join(self.authdir, "users")
        self.users_dovecot = os.path.join(self.dcdir, "passwd")
        self.write_users(self.users_pop3d, self.users_dovecot,
                         sorted(self.users))
        note("users and maildirs made in %.1f s (%d users)"
             % (time.monotonic() - t0, len(self.users)))
        h = self.users[self.login_users[0]]
        self.crypt_s = crypt_cost(h[1], h[0])

    def chown_mail(self):
        for d in self.mailroot.values():
            subprocess.run(["chown", "-R", "%d:%d" % (self.mail_uid,
                                                      self.mail_gid), d],
                           check=True)
            os.chown(d, 0, 0)
            os.chmod(d, 0o755)

    def creds(self, names):
        return [(n.encode(), self.users[n][0].encode()) for n in names]


# --------------------------------------------------------------- results

class Results:
    def __init__(self):
        self.v = {}
        self.errors = []      # (what, message)
        self.info = {}

    def put(self, key, value):
        self.v[key] = value

    def fail(self, keys, what, err):
        msg = str(err)
        first = msg.splitlines()[0] if msg else type(err).__name__
        for k in keys:
            self.v.setdefault(k, "FAILED: " + first[:60])
        self.errors.append((what, msg))
        note("%s FAILED: %s" % (what, first))


def attempt(res, keys, what, fn, srv=None):
    """Run one measurement; a failure is recorded with the server's log
    lines that say something went wrong, and the run goes on."""
    try:
        fn()
    except (BenchError, OSError, ssl.SSLError) as e:
        msg = str(e) if isinstance(e, BenchError) else \
            "%s: %s" % (type(e).__name__, e)
        if srv is not None:
            lines = srv.notable()
            if lines:
                msg += "\n  %s log (%s), last lines of note:\n" % (
                    srv.label, srv.log) + "\n".join(
                    "    " + ln[:200] for ln in lines[-8:])
        res.fail(keys, what, BenchError(msg))


# ------------------------------------------------------------- scenarios

def scen_throughput(env, res, srv, key):
    s = srv

    def a():
        mbs, mps, cipher = throughput(s.tlsport, True, env.thru_user,
                                      env.users[env.thru_user][0],
                                      env.thru, 1)
        res.put(("a_mbs", key), mbs)
        res.put(("a_mps", key), mps)
        res.info["tls_" + key] = cipher
        note("a %s: %.1f MB/s %.0f msg/s (%s)" % (s.label, mbs, mps, cipher))

    def b():
        mbs, mps, _ = throughput(s.port, False, env.thru_user,
                                 env.users[env.thru_user][0], env.thru, 1)
        res.put(("b_mbs", key), mbs)
        res.put(("b_mps", key), mps)
        note("b %s: %.1f MB/s %.0f msg/s" % (s.label, mbs, mps))

    def c():
        mbs, mps, _ = throughput(s.tlsport, True, env.thru_user,
                                 env.users[env.thru_user][0], env.thru,
                                 PIPE_DEPTH)
        res.put(("c_mbs", key), mbs)
        note("c %s: %.1f MB/s" % (s.label, mbs))

    def d():
        mbs, mps, _ = throughput(s.port, False, env.small_user,
                                 env.users[env.small_user][0], env.small,
                                 PIPE_DEPTH)
        res.put(("d_mps", key), mps)
        note("d %s: %.0f msg/s (%.1f MB/s)" % (s.label, mps, mbs))

    attempt(res, [("a_mbs", key), ("a_mps", key)], "a " + s.label, a, s)
    attempt(res, [("b_mbs", key), ("b_mps", key)], "b " + s.label, b, s)
    attempt(res, [("c_mbs", key)], "c " + s.label, c, s)
    attempt(res, [("d_mps", key)], "d " + s.label, d, s)


def scen_logins(env, res, srv, key, modes=("e", "f")):
    creds = env.creds(env.login_users)
    for mode in modes:
        tls = mode == "f"

        def run():
            # A few logins first, so that lazily started helpers exist.
            for u, p in creds[:3]:
                login_once(srv.tlsport if tls else srv.port,
                           client_tls() if tls else None, u, p,
                           env.stat_tiny)
            rate, cpu = login_rate(srv.tlsport if tls else srv.port, tls,
                                   creds, env.stat_tiny, srv.pid,
                                   LOGIN_SECONDS)
            srv.check_alive()
            res.put((mode + "_rate", key), rate)
            res.put((mode + "_cpu", key), cpu)
            note("%s %s: %.0f logins/s, %.2f ms CPU/login"
                 % (mode, srv.label, rate, cpu))
        attempt(res, [(mode + "_rate", key), (mode + "_cpu", key)],
                mode + " " + srv.label, run, srv)


def scen_popa3d(env, res):
    """g: popa3d behind socat, system accounts, /var/mail/USER."""
    keys = [("e_rate", "popa3d"), ("e_cpu", "popa3d")]
    if not os.access(POPA3D, os.X_OK):
        for k in keys:
            res.put(k, "no popa3d binary")
        res.errors.append(("g popa3d", "no executable popa3d at %s (run.sh"
                           " gets it with apt-get download)" % POPA3D))
        return
    if not os.access(SOCAT, os.X_OK):
        for k in keys:
            res.put(k, "no socat")
        res.errors.append(("g popa3d", "socat is missing"))
        return
    srv = None
    made = []
    try:
        # popa3d's own needs, compiled in: the user "popa3d" and its
        # empty chroot directory /var/lib/popa3d.
        try:
            pwd.getpwnam("popa3d")
        except KeyError:
            env.useradd("popa3d", ["-r", "-U", "-M", "-d", "/var/lib/popa3d",
                                   "-s", "/usr/sbin/nologin"])
            made.append("popa3d")
        if not os.path.isdir("/var/lib/popa3d"):
            env.journal.add("dir", "/var/lib/popa3d")
            os.makedirs("/var/lib/popa3d", 0o755)
        group = "p3bg" + env.tag
        env.journal.add("group", group)
        subprocess.run(["groupadd", group], check=True)
        names = []
        t0 = time.monotonic()
        for k in range(POPA3D_USERS):
            src = env.login_users[k % len(env.login_users)]
            name = "p3bp%s%03d" % (env.tag, k)
            env.journal.add("user", name)
            spool = "/var/mail/" + name
            env.journal.add("file", spool)
            # The same SHA-512-crypt hash as pop3d's and Dovecot's user.
            r = subprocess.run(["useradd", "-M", "-N", "-g", group, "-d",
                                "/nonexistent", "-s", "/usr/sbin/nologin",
                                name], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            if r.returncode != 0:
                raise BenchError("useradd %s: %s" % (name, r.stdout))
            names.append((name, src))
            raw = env.tiny.raw[env.tiny.ids()[0]]
            with open(spool, "wb") as f:
                f.write(b"From sender@bench.example Thu Jan  1 00:00:00 2026"
                        b"\n" + raw + b"\n")
            pw = pwd.getpwnam(name)
            os.chown(spool, pw.pw_uid, grp.getgrnam("mail").gr_gid)
            os.chmod(spool, 0o600)
        r = subprocess.run(["chpasswd", "-e"], input="".join(
            "%s:%s\n" % (n, env.users[s][1]) for n, s in names),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise BenchError("chpasswd -e: " + r.stdout)
        note("popa3d: %d system users in %.1f s"
             % (len(names), time.monotonic() - t0))
        creds = [(n.encode(), env.users[s][0].encode()) for n, s in names]
        srv = Popa3dServer(env, "popa3d")
        srv.start()

        def run():
            for u, p in creds[:3]:
                login_once(srv.port, None, u, p, env.stat_tiny)
            rate, cpu = login_rate(srv.port, False, creds, env.stat_tiny,
                                   srv.pid, LOGIN_SECONDS)
            res.put(("e_rate", "popa3d"), rate)
            res.put(("e_cpu", "popa3d"), cpu)
            note("g popa3d: %.0f logins/s, %.2f ms CPU/login" % (rate, cpu))
        attempt(res, keys, "g popa3d", run, srv)
    except (BenchError, OSError, subprocess.CalledProcessError) as e:
        res.fail(keys, "g popa3d", e)
    finally:
        if srv:
            srv.stop()
        # The system accounts go now, not at the end: they would lengthen
        # every NSS lookup of the other scenarios.
        t0 = time.monotonic()
        for e in env.journal.entries():
            if e[0] == "user" and e[1].startswith("p3bp" + env.tag):
                subprocess.run(["userdel", e[1]], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            elif e[0] == "file" and e[1].startswith("/var/mail/p3bp"):
                try:
                    os.unlink(e[1])
                except FileNotFoundError:
                    pass
        subprocess.run(["groupdel", "p3bg" + env.tag],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        note("popa3d users removed in %.1f s" % (time.monotonic() - t0))


def scen_bigbox(env, res, srv, key):
    """h: 100,000 messages."""
    user = env.big_user
    password = env.users[user][0]
    want = sorted(env.big.size.values())

    def first():
        c = Pop3(srv.port, timeout=BIG_TIMEOUT)
        t = c.login(user, password)
        t0 = time.perf_counter()
        st = c.cmd("STAT").split()
        ts = t + time.perf_counter() - t0
        if int(st[1]) != BIG_N:
            raise BenchError("STAT %r after the first login, want %d"
                             % (st, BIG_N))
        c.quit()
        res.put(("h_first", key), t * 1000)
        res.put(("h_first_stat", key), ts * 1000)
        note("h %s: first login %.0f ms, to STAT's answer %.0f ms"
             % (srv.label, t * 1000, ts * 1000))

    def warm():
        tp, ts, tl, tu = [], [], [], []
        for k in range(WARM_LOGINS):
            c = Pop3(srv.port, timeout=BIG_TIMEOUT)
            tp.append(c.login(user, password))
            t0 = time.perf_counter()
            c.cmd("STAT")
            ts.append(tp[-1] + time.perf_counter() - t0)
            t0 = time.perf_counter()
            body = c.multi("LIST")
            tl.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            ubody = c.multi("UIDL")
            tu.append(time.perf_counter() - t0)
            lines = body.split(b"\r\n")[:-1]
            sizes = {}
            for ln in lines:
                n, sz = ln.split()
                sizes[int(n)] = int(sz)
            if sorted(sizes.values()) != want:
                raise BenchError("LIST: %d messages whose sizes are not the"
                                 " %d delivered" % (len(sizes), BIG_N))
            uids = [ln.split()[1] for ln in ubody.split(b"\r\n")[:-1]]
            if len(uids) != BIG_N or len(set(uids)) != BIG_N:
                raise BenchError("UIDL: %d lines, %d distinct, want %d"
                                 % (len(uids), len(set(uids)), BIG_N))
            if k == 0:
                # Some messages fully checked, spread over the box.
                for num in random.Random(5).sample(sorted(sizes), 50):
                    c.sock.sendall(b"RETR %d\r\n" % num)
                    status = c.line()
                    if not status.startswith(b"+OK"):
                        raise BenchError("RETR %d: %r" % (num, status))
                    scan = 0
                    if c.buf.startswith(b".\r\n"):
                        raise BenchError("RETR %d: empty" % num)
                    while True:
                        i = c.buf.find(b"\r\n.\r\n", scan)
                        if i >= 0:
                            break
                        scan = max(0, len(c.buf) - 4)
                        c._fill()
                    wire = bytes(c.buf[:i + 2])
                    del c.buf[:i + 5]
                    check_retr(wire, sizes[num], env.big)
            c.quit()
        res.put(("h_warm", key), statistics.median(tp) * 1000)
        res.put(("h_warm_stat", key), statistics.median(ts) * 1000)
        res.put(("h_list", key), statistics.median(tl) * 1000)
        res.put(("h_uidl", key), statistics.median(tu) * 1000)
        note("h %s: warm login %.0f ms, LIST %.0f ms, UIDL %.0f ms"
             % (srv.label, statistics.median(tp) * 1000,
                statistics.median(tl) * 1000, statistics.median(tu) * 1000))

    attempt(res, [("h_first", key), ("h_first_stat", key)],
            "h first login " + srv.label, first, srv)
    attempt(res, [("h_warm", key), ("h_warm_stat", key), ("h_list", key),
                  ("h_uidl", key)],
            "h later logins " + srv.label, warm, srv)


def settle(root, seconds=15.0):
    """Wait until the number of processes of root's tree stops changing."""
    end = time.monotonic() + seconds
    last, same_since = -1, time.monotonic()
    while time.monotonic() < end:
        n = len(tree(root))
        if n != last:
            last, same_since = n, time.monotonic()
        elif time.monotonic() - same_since >= 1.0:
            return n
        time.sleep(0.2)
    return last


def scen_idle(env, res, srv, key):
    """i: PSS per idle logged-in session, plain then TLS."""
    creds = env.creds(env.login_users)
    for mode, tls in (("i_plain", False), ("i_tls", True)):
        def run():
            port = srv.tlsport if tls else srv.port
            ctx = client_tls() if tls else None
            for u, p in creds[:3]:
                login_once(port, ctx, u, p, env.stat_tiny)
            settle(srv.pid)
            before, nb = tree_pss(srv.pid)
            conns = []
            try:
                for k in range(IDLE_N):
                    u, p = creds[k % len(creds)]
                    c = Pop3(port, tls=tls, ctx=ctx)
                    conns.append(c)
                    c.cmd("USER " + u.decode())
                    c.cmd("PASS " + p.decode())
                    st = c.cmd("STAT").split()
                    if st[:3] != env.stat_tiny:
                        raise BenchError("STAT %r" % st)
                settle(srv.pid)
                after, na = tree_pss(srv.pid)
                srv.check_alive()
            finally:
                for c in conns:
                    try:
                        c.sock.sendall(b"QUIT\r\n")
                    except OSError:
                        pass
                for c in conns:
                    c.close()
            per = (after - before) / IDLE_N
            res.put((mode, key), per)
            note("%s %s: %.0f KiB PSS per session (%d -> %d processes)"
                 % (mode, srv.label, per, nb, na))
            settle(srv.pid, 30)
        attempt(res, [(mode, key)], "%s %s" % (mode, srv.label), run, srv)


def latency(port, creds, picks, budget=None):
    """Mean seconds from connect to the +OK of PASS, sequential.  With a
    budget (seconds), stops early once it is spent, after 5 logins at
    least; returns (mean, logins done)."""
    times = []
    t_end = time.monotonic() + budget if budget else None
    for i in picks:
        u, p = creds[i]
        t0 = time.perf_counter()
        c = Pop3(port, timeout=J_TIMEOUT)
        c.cmd("USER " + u)
        c.cmd("PASS " + p)
        times.append(time.perf_counter() - t0)
        c.quit()
        if t_end and time.monotonic() > t_end and len(times) >= 5:
            break
    return statistics.mean(times), len(times)


def scen_million(env, res):
    """j: 1000 and 1,000,000 users, one shared hash."""
    password = "million-" + env.tag
    shared = sha512_crypt(password, env.rng)
    rng = random.Random(77)
    picks_small = [rng.randrange(J_SMALL) for _ in range(J_LOGINS)]
    picks_big = [rng.randrange(J_BIG) for _ in range(J_LOGINS)]
    names = ["p3bj%07d" % i for i in range(J_BIG)]
    creds = [(n, password) for n in names]
    for i in set(picks_small) | set(picks_big) | {0, J_BIG - 1}:
        env.mkmaildirs(names[i])
    env.chown_mail()
    res.info["j_short"] = []
    pfile = os.path.join(env.authdir, "users-j")
    dfile = os.path.join(env.dcdir, "passwd-j")
    for key, cls, path in (("pop3d", Pop3dServer, pfile),
                           ("dovecot", DovecotServer, dfile)):
        srv = None
        try:
            env.write_users(pfile, dfile, names[:J_SMALL], shared)
            srv = cls(env, key + "-j", path)
            env.servers.setdefault(key, []).append(srv)
            srv.start()
            for size, picks in (("1k", picks_small), ("1m", picks_big)):
                def run():
                    if size == "1m":
                        t0 = time.monotonic()
                        env.write_users(pfile, dfile, names, shared)
                        note("j: %d users written in %.1f s (%d MB)"
                             % (J_BIG, time.monotonic() - t0,
                                os.path.getsize(pfile) // 1000000))
                        # Dovecot looks at its passwd-file's stamp at
                        # most once a second.
                        time.sleep(1.5)
                    # One login first, of a user only the new file has
                    # when it is the big one: Dovecot loads its
                    # passwd-file then, and it proves the new file is in use.
                    latency(srv.port, creds, [J_BIG - 1 if size == "1m"
                                              else 0])
                    t, n = latency(srv.port, creds, picks, J_BUDGET)
                    srv.check_alive()
                    res.put(("j_" + size, key), t * 1000)
                    if n < len(picks):
                        res.info["j_short"].append(
                            "%s %s users: %d of %d logins within %d s"
                            % (srv.label, size, n, len(picks), J_BUDGET))
                    note("j %s %s users: %.2f ms per login (%d logins)"
                         % (srv.label, size, t * 1000, n))
                attempt(res, [("j_" + size, key)],
                        "j %s %s users" % (srv.label, size), run, srv)
        except BenchError as e:
            res.fail([("j_1k", key), ("j_1m", key)], "j " + key, e)
        finally:
            if srv:
                srv.stop()
    for f in (pfile, dfile):
        try:
            os.unlink(f)
        except FileNotFoundError:
            pass


# ---------------------------------------------------- client's ceiling

def mock_serve(lsock, tls_files, responses, list_resp):
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    sctx = None
    if tls_files:
        sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sctx.load_cert_chain(*tls_files)
    while True:
        conn, _ = lsock.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if sctx:
            conn = sctx.wrap_socket(conn, server_side=True)
        conn.sendall(b"+OK mock\r\n")
        buf = b""
        done = False
        while not done:
            d = conn.recv(65536)
            if not d:
                break
            buf += d
            out = []
            while b"\r\n" in buf:
                ln, buf = buf.split(b"\r\n", 1)
                w = ln.split()
                if w and w[0] == b"RETR":
                    out.append(responses[int(w[1])])
                elif w and w[0] == b"LIST":
                    out.append(list_resp)
                elif w and w[0] == b"STAT":
                    out.append(b"+OK 1 %d\r\n" % mock_serve.tiny)
                elif w and w[0] == b"QUIT":
                    out.append(b"+OK bye\r\n")
                    done = True
                    break
                else:
                    out.append(b"+OK\r\n")
            if out:
                conn.sendall(b"".join(out))
        conn.close()


def ceiling(env):
    """The client against an in-memory Python server (forked): what the
    client can take at least.  Returns text."""
    out = []
    mp = multiprocessing.get_context("fork")
    tiny = env.tiny.size[env.tiny.ids()[0]]
    mock_serve.tiny = tiny
    for label, msgs, tls, depth in (
            ("b plain, one at a time, 100 KiB", env.thru, False, 1),
            ("a TLS, one at a time, 100 KiB", env.thru, True, 1),
            ("d plain, 8 pipelined, 4 KiB", env.small, False, PIPE_DEPTH)):
        ids = msgs.ids()
        responses = {k + 1: b"+OK %d octets\r\n" % msgs.size[i]
                     + msgs.wire[i] + b".\r\n" for k, i in enumerate(ids)}
        list_resp = (b"+OK\r\n" + b"".join(b"%d %d\r\n" % (k + 1,
                     msgs.size[i]) for k, i in enumerate(ids)) + b".\r\n")
        ls = socket.socket()
        ls.bind((HOST, 0))
        ls.listen(16)
        p = mp.Process(target=mock_serve, args=(
            ls, (env.cert, env.key) if tls else None, responses, list_resp))
        p.start()
        try:
            mbs, mps, _ = throughput(ls.getsockname()[1], tls, "u", "p",
                                     msgs, depth)
            out.append("%s: %.0f MB/s, %.0f msg/s" % (label, mbs, mps))
        except BenchError as e:
            out.append("%s: %s" % (label, e))
        finally:
            p.kill()
            p.join()
            ls.close()
    # Logins: 4 forked mock servers on one socket, the same 16 clients.
    ls = socket.socket()
    ls.bind((HOST, 0))
    ls.listen(128)
    procs = [mp.Process(target=mock_serve, args=(ls, None, {}, b""))
             for _ in range(4)]
    for p in procs:
        p.start()
    try:
        rate, _ = login_rate(ls.getsockname()[1], False,
                             env.creds(env.login_users[:50]),
                             [b"+OK", b"1", str(tiny).encode()], None,
                             min(LOGIN_SECONDS, 3.0))
        out.append("e plain logins, 16 clients: %.0f logins/s" % rate)
    except BenchError as e:
        out.append("e logins: %s" % e)
    finally:
        for p in procs:
            p.kill()
            p.join()
        ls.close()
    return out


# ----------------------------------------------------------------- table

def fmt(v):
    if isinstance(v, str):
        return v
    if v is None:
        return "-"
    if v >= 100:
        return "%.0f" % v
    if v >= 10:
        return "%.1f" % v
    return "%.2f" % v


def table(env, res, crypt_ms):
    V = res.v.get
    rows = []   # (scenario, what, unit, pop3d, dovecot, popa3d, ratio,
    #              target, verdict)

    def num(x):
        return isinstance(x, (int, float))

    def cmp_row(sc, what, unit, key, higher, factor=None, target=None):
        p, d = V((key, "pop3d")), V((key, "dovecot"))
        ratio = None
        if num(p) and num(d) and p > 0 and d > 0:
            ratio = p / d if higher else d / p
        verdict = ""
        if factor is not None:
            verdict = ("n/a" if ratio is None else
                       "met" if ratio >= factor else "missed")
        rows.append((sc, what, unit, p, d, V((key, "popa3d")), ratio,
                     target or "", verdict))

    def own_row(sc, what, unit, value, target, ok):
        verdict = "n/a" if not num(value) else "met" if ok else "missed"
        rows.append((sc, what, unit, value, None, None, None, target,
                     verdict))

    cmp_row("a", "POP3S RETR 100 KiB, one at a time", "MB/s", "a_mbs", True,
            1.5, ">= 1.5x Dovecot")
    cmp_row("a", "", "msg/s", "a_mps", True)
    pa, pb = V(("a_mbs", "pop3d")), V(("b_mbs", "pop3d"))
    r = pa / pb if num(pa) and num(pb) and pb > 0 else None
    own_row("a", "pop3d POP3S / pop3d plain (a/b)", "x", r,
            ">= 0.5 (within 2x)", num(r) and r >= 0.5)
    cmp_row("b", "plain RETR 100 KiB, one at a time", "MB/s", "b_mbs", True)
    cmp_row("b", "", "msg/s", "b_mps", True)
    cmp_row("c", "POP3S RETR 100 KiB, 8 pipelined", "MB/s", "c_mbs", True)
    cmp_row("d", "plain RETR 4 KiB, 8 pipelined", "msg/s", "d_mps", True,
            1.0, ">= Dovecot")
    cmp_row("e", "plain logins, 16 clients (g: popa3d)", "logins/s",
            "e_rate", True, 2.0, ">= 2x Dovecot")
    pe, ge = V(("e_rate", "pop3d")), V(("e_rate", "popa3d"))
    r = pe / ge if num(pe) and num(ge) and ge > 0 else None
    own_row("e", "pop3d / popa3d logins/s", "x", r, ">= 1 (>= popa3d)",
            num(r) and r >= 1.0)
    cmp_row("e", "server CPU per login", "ms", "e_cpu", False)
    pc = V(("e_cpu", "pop3d"))
    r = pc / crypt_ms if num(pc) and crypt_ms else None
    own_row("e", "pop3d CPU per login / one crypt(3) (%.2f ms)" % crypt_ms,
            "x", r, "<= 2", num(r) and r <= 2.0)
    cmp_row("f", "POP3S logins, 16 clients", "logins/s", "f_rate", True,
            1.5, ">= 1.5x Dovecot")
    cmp_row("f", "server CPU per login", "ms", "f_cpu", False)
    # The targets are judged on the rows that time the same work for
    # both servers (see h above): Dovecot's +OK to PASS comes before its
    # mailbox is read.
    cmp_row("h", "%d msgs: first login, PASS->+OK" % BIG_N, "ms",
            "h_first", False)
    cmp_row("h", "first login, PASS sent -> STAT answered", "ms",
            "h_first_stat", False, 1.0, "<= Dovecot")
    cmp_row("h", "later login, PASS->+OK", "ms", "h_warm", False)
    cmp_row("h", "later login, PASS sent -> STAT answered", "ms",
            "h_warm_stat", False, 3.0, "<= 1/3 Dovecot")
    cmp_row("h", "LIST, whole answer", "ms", "h_list", False, 1.0,
            "<= Dovecot")
    cmp_row("h", "UIDL, whole answer", "ms", "h_uidl", False, 1.0,
            "<= Dovecot")
    cmp_row("i", "%d idle sessions, plain: PSS each" % IDLE_N, "KiB",
            "i_plain", False, 1.0, "<= Dovecot")
    cmp_row("i", "%d idle sessions, POP3S: PSS each" % IDLE_N, "KiB",
            "i_tls", False, 1.0, "<= Dovecot")
    cmp_row("j", "login latency, %d users" % J_SMALL, "ms", "j_1k", False)
    cmp_row("j", "login latency, %d users" % J_BIG, "ms", "j_1m", False)
    lat = {}
    for k in ("pop3d", "dovecot"):
        a, b = V(("j_1k", k)), V(("j_1m", k))
        lat[k] = b / a if num(a) and num(b) and a > 0 else None
    rows.append(("j", "latency %s users / %d users" % (
        "1M" if J_BIG == 1000000 else J_BIG, J_SMALL), "x", lat["pop3d"],
        lat["dovecot"], None, None, "pop3d <= 1.2",
        "n/a" if lat["pop3d"] is None else
        "met" if lat["pop3d"] <= 1.2 else "missed"))

    head = ("", "figure", "unit", "pop3d", "Dovecot", "popa3d",
            "ratio", "target (pop3d)", "")
    cells = [head] + [tuple(fmt(x) if i in (3, 4, 5, 6) else (x or "")
                            for i, x in enumerate(r)) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    widths = [min(w, 44) for w in widths]
    lines = []
    for c in cells:
        parts = []
        for i, x in enumerate(c):
            x = x if len(x) <= widths[i] else x[:widths[i] - 1] + "~"
            parts.append(x.rjust(widths[i]) if i in (3, 4, 5, 6)
                         else x.ljust(widths[i]))
        lines.append("  ".join(parts).rstrip())
    rule = "-" * max(len(x) for x in lines)
    return [rule, lines[0], rule] + lines[1:] + [rule]


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              timeout=30).stdout.strip()
    except Exception:
        return "?"


def header(env):
    mem = sh("awk '/MemTotal/ {printf \"%.0f GiB\", $2/1048576}' "
             "/proc/meminfo")
    cpu = sh("awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo")
    rev = sh("git -C %s rev-parse --short HEAD 2>/dev/null" % REPO_DIR)
    dirty = sh("git -C %s status --porcelain -uno 2>/dev/null | wc -l"
               % REPO_DIR)
    try:
        built = time.strftime("%Y-%m-%d %H:%M",
                              time.localtime(os.stat(POP3D).st_mtime))
    except OSError:
        built = "?"
    pv = sh("dpkg-query -W -f '${Version}' popa3d 2>/dev/null") or ""
    if not pv:
        pv = sh("%s -V 2>&1 | head -1" % POPA3D)
    n = 100
    t0 = time.perf_counter()
    for _ in range(n):
        os.waitpid(os.posix_spawn("/bin/true", ["true"], {}), 0)
    spawn_ms = (time.perf_counter() - t0) * 1000 / n
    return [
        "pop3d benchmark (make bench): pop3d against Dovecot, 127.0.0.1,"
        " one server at a time%s" % (" [BENCH_QUICK: small sizes]"
                                     if QUICK else ""),
        "machine: %s cores (nproc), %s, kernel %s, %s; one fork+exec of"
        " /bin/true: %.1f ms" % (len(os.sched_getaffinity(0)), cpu, os.uname().release,
                                 mem, spawn_ms),
        "pop3d: %s (built %s; source %s%s)" % (
            POP3D, built, rev, ", %s changed files" % dirty
            if dirty not in ("0", "?") else ""),
        "Dovecot: %s; popa3d: %s (behind socat %s)" % (
            sh("%s --version" % DOVECOT), pv,
            sh("%s -V 2>/dev/null | awk '/socat version/ {print $3}'"
               % SOCAT)),
        "%s; Python %s (the client); crypt(3): libxcrypt %s" % (
            ssl.OPENSSL_VERSION, sys.version.split()[0],
            sh("dpkg-query -W -f '${Version}' libcrypt1")),
    ]


# ------------------------------------------------------------------- main

def main(work):
    # Descriptors for 1000 sessions, in the client and the servers
    # (which inherit it): as high as we may.
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (65536, 65536))
    except (ValueError, OSError):
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    # Orphans of the servers become our children, so that the cleanup
    # finds them (PR_SET_CHILD_SUBREAPER).
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
    for path, what in ((POP3D, "pop3d"), (DOVECOT, "Dovecot"),
                       (DOVECONF, "doveconf")):
        if not os.access(path, os.X_OK):
            raise BenchError("%s missing: %s" % (what, path))
    env = Env(work)
    res = Results()
    t_start = time.monotonic()
    env.setup()
    env.chown_mail()
    crypt_ms = env.crypt_s * 1000
    note("one crypt(3) of a SHA-512-crypt hash: %.2f ms" % crypt_ms)
    ceil = ceiling(env)
    for ln in ceil:
        note("client ceiling: " + ln)

    servers = env.servers

    def each(fn, keys, what):
        for key, cls, path in (("pop3d", Pop3dServer, env.users_pop3d),
                               ("dovecot", DovecotServer, env.users_dovecot)):
            srv = cls(env, "%s-%s" % (key, what), path)
            try:
                srv.start()
                servers.setdefault(key, []).append(srv)
                fn(srv, key)
                srv.check_alive()
            except BenchError as e:
                res.fail([(k, key) for k in keys], "%s %s" % (what, key), e)
            finally:
                srv.stop()

    each(lambda s, k: scen_throughput(env, res, s, k),
         ["a_mbs", "a_mps", "b_mbs", "b_mps", "c_mbs", "d_mps"], "abcd")
    each(lambda s, k: scen_logins(env, res, s, k),
         ["e_rate", "e_cpu", "f_rate", "f_cpu"], "ef")
    scen_popa3d(env, res)
    each(lambda s, k: scen_bigbox(env, res, s, k),
         ["h_first", "h_warm", "h_list", "h_uidl"], "h")
    each(lambda s, k: scen_idle(env, res, s, k), ["i_plain", "i_tls"], "i")
    scen_million(env, res)

    out = header(env)
    out.append("TLS negotiated: pop3d %s; Dovecot %s"
               % (res.info.get("tls_pop3d", "?"),
                  res.info.get("tls_dovecot", "?")))
    out.append("ratio = how many times better pop3d is than Dovecot: "
               "pop3d/Dovecot for rates, Dovecot/pop3d for times, CPU "
               "and memory; > 1 means pop3d is better.")
    out.extend(table(env, res, crypt_ms))
    for ln in res.info.get("j_short", []):
        out.append("j: " + ln + " (the mean is of those)")
    out.append("client ceiling (same client, in-memory Python server): "
               + "; ".join(ceil))
    out.append("total time %.0f s" % (time.monotonic() - t_start))
    print("\n".join(out), flush=True)

    notable = []
    for key in ("pop3d", "dovecot"):
        for srv in servers.get(key, []):
            lines = srv.notable()
            if lines:
                notable.append("%s log (%s): %d notable lines%s" % (
                    srv.label, os.path.basename(srv.dir), len(lines),
                    ", first ones:" if len(lines) > 8 else ":"))
                notable.extend("    " + ln[:200] for ln in lines[:8])
    if notable:
        print("\n".join(notable), flush=True)
    if res.errors:
        print("\nFAILED runs (%d):" % len(res.errors))
        for what, msg in res.errors:
            print("- %s: %s" % (what, msg))
        return 1
    return 0


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("bench.py: must run as root")
    if len(sys.argv) == 3 and sys.argv[1] == "--cleanup":
        cleanup(sys.argv[2], quiet=True)
        sys.exit(0)
    if len(sys.argv) != 2:
        sys.exit("usage: bench.py WORKDIR | --cleanup WORKDIR")
    workdir = os.path.abspath(sys.argv[1])
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGHUP, _raise_interrupt)
    rc = 1
    try:
        rc = main(workdir)
    except KeyboardInterrupt:
        if os.getpid() == MAIN_PID:
            note("interrupted; cleaning up")
        rc = 130
    except BenchError as e:
        print("bench: FAILED: %s" % e, flush=True)
        rc = 1
    finally:
        if os.getpid() == MAIN_PID:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            t0 = time.monotonic()
            cleanup(workdir)
            note("cleaned up in %.1f s" % (time.monotonic() - t0))
        else:
            os._exit(rc)
    sys.exit(rc)
