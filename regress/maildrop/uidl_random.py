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

"""Random operations on one maildrop, and the UIDL invariants after each.

    uidl_random.py maildir | mbox

UIDL_OPS operations (default UIDL_OPS_DEFAULT, set by the caller), drawn
with a seeded RNG: UIDL_SEED replays a run (the seed is printed first).
The operations: a delivery (now and then an exact copy of a message
there, From_ line and all), a login, RETR, DELE, RSET, QUIT, a session
cut off without QUIT, another program changing a message's flags (a
Maildir rename) or its Status: and X-Status: headers (an mbox rewrite,
under the dot lock and the fcntl lock, between sessions), and a second
login while a session holds the maildrop, which must get [IN-USE].

The model is the list of messages in maildrop order (both formats keep
delivery order), each with its content and the UIDL it was first given.
After every login and every command it checks: STAT and LIST agree with
the model, every message is retrieved byte for byte, a message's UIDL
never changes, no two messages share one, and no UIDL a message ever had
is given to another; QUIT deletes exactly what was marked, a cut-off
session nothing.
"""

import fcntl
import os
import pwd
import random
import socket
import sys
import time

from pop3test import (POP3, check, fail, log, mboxrd_quote,
                      transmitted, run, TestEnv)

MBOX_FROMS = [b"From a@example.org Mon Jan  1 00:00:%02d 2024\n" % i
              for i in range(60)]


class Msg:
    def __init__(self, mid, raw, frm=None):
        self.mid = mid
        self.raw = raw          # the message as a client gets it, LF form
        self.frm = frm          # mbox: its From_ line
        self.uidl = None
        self.name = None        # Maildir: base name


class Drop:
    """The maildrop on disk and the model of it."""

    def __init__(self, kind, env, rng):
        self.kind = kind
        self.env = env
        self.rng = rng
        self.msgs = []          # present, in maildrop order
        self.ever = {}          # UIDL -> mid of the message that had it
        self.next_mid = 1
        pw = pwd.getpwnam(env.user)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        self.deliveries = 0

    # -- deliveries -------------------------------------------------------

    def content(self, mid):
        r = self.rng
        lines = [b"From: sender%d@example.org" % r.randrange(5),
                 b"To: user@example.org",
                 b"Subject: message %d" % mid,
                 b"Message-ID: <%d.%d@uidl.test>" % (mid, r.randrange(10**9))]
        if r.random() < 0.3:
            lines.append(b"Status: O")
        body = []
        for _ in range(r.randrange(1, 12)):
            c = r.random()
            if c < 0.1:
                body.append(b"From here, a line to quote")
            elif c < 0.2:
                body.append(b"." * r.randrange(1, 3))
            elif c < 0.25:
                body.append(b"")
            else:
                body.append(b"line %d of %d" % (r.randrange(10**6), mid))
        return b"\n".join(lines) + b"\n\n" + b"\n".join(body) + b"\n"

    def deliver(self):
        copy = None
        if self.msgs and self.rng.random() < 0.15:
            copy = self.rng.choice(self.msgs)
        mid = self.next_mid
        self.next_mid += 1
        if copy is not None:
            m = Msg(mid, copy.raw, copy.frm)
        else:
            m = Msg(mid, self.content(mid),
                    self.rng.choice(MBOX_FROMS))
        if self.kind == "maildir":
            self.maildir_deliver(m)
        else:
            self.mbox_deliver(m)
        self.msgs.append(m)
        self.deliveries += 1
        log("deliver %d%s" % (mid, " (copy of %d)" % copy.mid
                              if copy is not None else ""))

    def maildir_deliver(self, m):
        # Names that sort in delivery order, as the seconds they begin
        # with and then the base name order the store's numbering.
        m.name = "%d.P%dQ%d.uidl.test" % (1700000000 + m.mid, os.getpid(),
                                          m.mid)
        tmp = os.path.join(self.env.maildir, "tmp", m.name)
        with open(tmp, "wb") as f:
            f.write(m.raw)
        os.chown(tmp, self.uid, self.gid)
        os.rename(tmp, os.path.join(self.env.maildir, "new", m.name))

    def mbox_locked(self, fn):
        """fn(fd) under the dot lock and an fcntl lock, as an MTA."""
        lock = self.env.mbox + ".lock"
        deadline = time.time() + 30
        while True:
            try:
                os.close(os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                                 0o600))
                break
            except FileExistsError:
                if time.time() > deadline:
                    fail("dot lock %s held for 30 seconds" % lock)
                time.sleep(0.01)
        try:
            fd = os.open(self.env.mbox, os.O_RDWR)
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX)
                fn(fd)
                os.fsync(fd)
            finally:
                os.close(fd)
        finally:
            os.unlink(lock)

    def mbox_deliver(self, m):
        block = m.frm + mboxrd_quote(m.raw) + b"\n"

        def append(fd):
            os.lseek(fd, 0, os.SEEK_END)
            os.write(fd, block)
        self.mbox_locked(append)

    # -- another program --------------------------------------------------

    def flag_rename(self):
        cur = os.path.join(self.env.maildir, "cur")
        names = sorted(os.listdir(cur))
        if not names:
            return
        name = self.rng.choice(names)
        base = name.split(":2,")[0]
        flags = self.rng.choice(["", "S", "RS", "FS", "T"])
        try:
            os.rename(os.path.join(cur, name),
                      os.path.join(cur, base + ":2," + flags))
        except FileNotFoundError:
            pass        # the store deleted it meanwhile
        log("flags of %s now %r" % (base, flags))

    def status_rewrite(self):
        """A mail reader marks a message read: Status: and X-Status:
        added or changed in its header, the file rewritten in place."""
        if not self.msgs:
            return
        m = self.rng.choice(self.msgs)
        head, sep, body = m.raw.partition(b"\n\n")
        lines = [l for l in head.split(b"\n")
                 if not l.startswith((b"Status:", b"X-Status:"))]
        lines.append(b"Status: " + self.rng.choice([b"RO", b"O", b"R"]))
        if self.rng.random() < 0.5:
            lines.append(b"X-Status: " + self.rng.choice([b"A", b"F", b"AF"]))
        m.raw = b"\n".join(lines) + sep + body

        def rewrite(fd):
            data = b"".join(x.frm + mboxrd_quote(x.raw) + b"\n"
                            for x in self.msgs)
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            os.write(fd, data)
        self.mbox_locked(rewrite)
        log("Status of %d rewritten" % m.mid)

    # -- checks -------------------------------------------------------------

    def check_uidl(self, m, u, where):
        if m.uidl is None:
            other = self.ever.get(u)
            if other is not None:
                fail("%s: message %d got UIDL %r, which message %d had" %
                     (where, m.mid, u, other))
            m.uidl = u
            self.ever[u] = m.mid
        else:
            check(u == m.uidl, "%s: UIDL of message %d changed from %r to "
                  "%r" % (where, m.mid, m.uidl, u))


class Session:
    def __init__(self, drop):
        self.drop = drop
        env = drop.env
        self.p = POP3(env.port)
        # A store outlives its session's QUIT or hang-up by a moment.
        self.p.login_retry(env.user, env.pw, 30)
        # What this session numbers: the messages there at login.
        self.view = list(drop.msgs)
        self.marked = set()
        self.check_all()

    def check_all(self):
        d, p = self.drop, self.p
        count, octets = p.stat()
        live = [m for i, m in enumerate(self.view) if i not in self.marked]
        check(count == len(live), "STAT: %d messages, the model has %d" %
              (count, len(live)))
        listing = p.list_all()
        uidls = p.uidl_all()
        want = sorted(i + 1 for i in range(len(self.view))
                      if i not in self.marked)
        check(sorted(listing) == want, "LIST numbers %s, want %s" %
              (sorted(listing), want))
        check(sorted(uidls) == want, "UIDL numbers %s, want %s" %
              (sorted(uidls), want))
        check(len(set(uidls.values())) == len(uidls),
              "UIDLs not unique: %r" % uidls)
        total = 0
        for n in want:
            m = self.view[n - 1]
            data = p.retr(n)
            check(data == transmitted(m.raw), "RETR %d (message %d): %d "
                  "octets, not the %d delivered" % (n, m.mid, len(data),
                                                   len(transmitted(m.raw))))
            check(listing[n] == len(data), "LIST %d says %d octets, RETR "
                  "sent %d" % (n, listing[n], len(data)))
            total += len(data)
            d.check_uidl(m, uidls[n], "UIDL %d" % n)
        check(total == octets, "STAT says %d octets, the messages are %d" %
              (octets, total))

    def live_numbers(self):
        return [i + 1 for i in range(len(self.view)) if i not in self.marked]

    def retr(self):
        nums = self.live_numbers()
        if not nums:
            return
        n = self.drop.rng.choice(nums)
        m = self.view[n - 1]
        check(self.p.retr(n) == transmitted(m.raw), "RETR %d (message %d) "
              "not as delivered" % (n, m.mid))
        self.drop.check_uidl(m, self.p.uidl_one(n), "UIDL %d" % n)

    def dele(self):
        nums = self.live_numbers()
        if not nums:
            return
        n = self.drop.rng.choice(nums)
        self.p.ok("DELE %d" % n)
        self.marked.add(n - 1)
        self.p.err("RETR %d" % n)

    def rset(self):
        self.p.ok("RSET")
        self.marked.clear()
        self.check_all()

    def quit(self):
        self.p.ok("QUIT")
        self.p.expect_closed()
        self.p.close()
        gone = {id(self.view[i]) for i in self.marked}
        self.drop.msgs = [m for m in self.drop.msgs if id(m) not in gone]

    def abort(self):
        # The client goes away mid-session: nothing is deleted.
        self.p.close()


def in_use(drop):
    p = POP3(drop.env.port)
    p.ok("USER " + drop.env.user)
    line = p.cmd("PASS " + drop.env.pw, timeout=30)
    check(line.startswith("-ERR [IN-USE]"), "a second login while a "
          "session holds the maildrop: %r" % line)
    p.close()


def main():
    kind = sys.argv[1]
    seed = int(os.environ.get("UIDL_SEED") or random.randrange(2**32))
    ops = int(os.environ.get("UIDL_OPS") or
              os.environ.get("UIDL_OPS_DEFAULT", "2000"))
    print("uidl_random %s: UIDL_SEED=%d UIDL_OPS=%d" % (kind, seed, ops),
          file=sys.stderr)
    rng = random.Random(seed)
    env = TestEnv()
    drop = Drop(kind, env, rng)
    for _ in range(3):
        drop.deliver()
    sess = None
    counts = {}
    start = time.time()
    for i in range(ops):
        r = rng.random()
        if sess is None:
            if r < 0.35:
                op = "deliver"
            elif r < 0.45:
                op = "flags" if kind == "maildir" else "status"
            else:
                op = "login"
        else:
            op = rng.choices(["retr", "dele", "rset", "quit", "abort",
                              "deliver", "in-use", "flags"],
                             [20, 25, 4, 12, 4, 12, 3,
                              6 if kind == "maildir" else 0])[0]
        counts[op] = counts.get(op, 0) + 1
        log("op %d: %s" % (i, op))
        # Keep the maildrop small, so that every login retrieves all.
        if op == "deliver" and len(drop.msgs) >= 40:
            op = "login" if sess is None else "dele"
        if op == "deliver":
            drop.deliver()
        elif op == "flags":
            drop.flag_rename()
        elif op == "status":
            drop.status_rewrite()
        elif op == "login":
            sess = Session(drop)
        elif op == "retr":
            sess.retr()
        elif op == "dele":
            sess.dele()
        elif op == "rset":
            sess.rset()
        elif op == "quit":
            sess.quit()
            sess = None
        elif op == "abort":
            sess.abort()
            sess = None
        elif op == "in-use":
            in_use(drop)
    if sess is not None:
        sess.quit()
    # The last word: everything there, as the model says.
    sess = Session(drop)
    sess.quit()
    print("uidl_random %s: %d operations in %.0f s, %d deliveries, %d UIDLs "
          "given, %s" % (kind, ops, time.time() - start, drop.deliveries,
                         len(drop.ever), sorted(counts.items())),
          file=sys.stderr)


if __name__ == "__main__":
    run(main)
