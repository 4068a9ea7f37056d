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

"""Helpers for the pop3d integration tests.

A raw-socket POP3 client with timeouts and a transcript on stderr, the
seeded message sets (Maildir and mbox) with their expected transmitted
forms, and /proc readers for the privilege separation tests.  Only the
standard library is used, so Debian's python3 is enough.

Used as a module by the small scripts in the atf-sh test programs
(PYTHONPATH is set by pop3test.sh) and as a command:

    pop3test.py port                       print a free TCP port
    pop3test.py wait PORT SECONDS [PID]    wait until PORT accepts
    pop3test.py chat PORT                  run a dialogue read from stdin
    pop3test.py seed-maildir MAILDIR SEEDDIR SET...
    pop3test.py seed-mbox FILE SEEDDIR
    pop3test.py expected FILE              print FILE as transmitted

The client speaks TLS too: implicit TLS from the first byte (tls=) and
STLS (starttls()), with contexts from tls_context() that verify the
test's self-signed certificate.
"""

import hashlib
import os
import re
import socket
import ssl
import sys
import time

HOST = "127.0.0.1"
TIMEOUT = float(os.environ.get("P3_TIMEOUT", "10"))


class Failure(Exception):
    """A test expectation that did not hold."""


class Closed(Failure):
    """The server closed the connection where a reply was expected."""


def fail(msg):
    raise Failure(msg)


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def short(data, limit=120):
    """A printable, bounded rendering of bytes or str for the transcript."""
    if isinstance(data, bytes):
        data = data.decode("latin-1")
    text = repr(data)
    if len(text) > limit:
        text = text[:limit] + "...(%d chars)" % len(data)
    return text


# ---------------------------------------------------------------------------
# Message forms

def transmitted(raw):
    """The octets a POP3 server sends for a stored message, before
    dot-stuffing: every line ends in CRLF (a stored CRLF stays one CRLF)
    and a last line without a newline gets one."""
    if not raw:
        return b""
    lines = raw.split(b"\n")
    if raw.endswith(b"\n"):
        lines = lines[:-1]
    out = []
    for line in lines:
        if line.endswith(b"\r"):
            line = line[:-1]
        out.append(line + b"\r\n")
    return b"".join(out)


def lf_form(raw):
    """The message as a local delivery agent writes it: LF line ends."""
    return transmitted(raw).replace(b"\r\n", b"\n")


def stuff(data):
    """RFC 1939 byte-stuffing of CRLF text."""
    lines = data.split(b"\r\n")
    return b"\r\n".join(b"." + l if l.startswith(b".") else l for l in lines)


def top_form(raw, nlines):
    """What TOP msg n sends (unstuffed): the header, the blank line and
    the first nlines lines of the body."""
    t = transmitted(raw)
    lines = t.split(b"\r\n")[:-1] if t else []
    try:
        sep = lines.index(b"")
    except ValueError:
        return t
    keep = lines[:sep + 1 + nlines]
    return b"".join(l + b"\r\n" for l in keep)


FROM_RE = re.compile(rb"^>*From ")


def mboxrd_quote(raw):
    """mboxrd: one more '>' before any line matching ^>*From ."""
    lines = lf_form(raw).split(b"\n")
    return b"\n".join(b">" + l if FROM_RE.match(l) else l for l in lines)


def digest(data):
    return hashlib.sha256(data).hexdigest()[:16]


# ---------------------------------------------------------------------------
# The client

class POP3:
    """One POP3 connection.  Every read has a deadline; every line sent
    and every reply's first line is written to stderr."""

    def __init__(self, port, host=HOST, timeout=None, greet=True, tag="",
            source=None, tls=None, server_hostname=None):
        """source: the local address to connect from (any port).
        tls: an ssl.SSLContext; the handshake is made right after the
        connect, before the greeting is read (implicit TLS, RFC 8314)."""
        self.args = dict(port=port, host=host, timeout=timeout,
            greet=greet, tag=tag, source=source, tls=tls,
            server_hostname=server_hostname)
        self.timeout = TIMEOUT if timeout is None else timeout
        self.tag = tag
        self.host = host
        self.buf = bytearray()
        self.pos = 0
        self.sock = socket.create_connection((host, int(port)),
            timeout=self.timeout,
            source_address=None if source is None else (source, 0))
        if source is not None:
            check(self.sock.getsockname()[0] == source,
                "connected from %s, not from %s" %
                (self.sock.getsockname()[0], source))
        self.greeting = None
        if tls is not None:
            self.tls_wrap(tls, server_hostname)
        if greet:
            self.greeting = self.reply()
            check(self.greeting.startswith("+OK"),
                "greeting is not +OK: %s" % short(self.greeting))

    def local_port(self):
        return self.sock.getsockname()[1]

    def local_addr(self):
        return self.sock.getsockname()[0]

    def is_tls(self):
        return isinstance(self.sock, ssl.SSLSocket)

    def tls_wrap(self, ctx, server_hostname=None, ragged_eof=True):
        """The TLS handshake over the connection as it stands.  Nothing
        may be buffered: bytes that came in the clear before the
        handshake would otherwise be taken for protected ones.  With
        ragged_eof False, a close without close_notify is an error
        (see expect_tls_close)."""
        check(not self.pending(), "plaintext data before the TLS "
            "handshake: %s" % short(self.pending()))
        self.sock.settimeout(self.timeout)
        try:
            self.sock = ctx.wrap_socket(self.sock,
                server_hostname=server_hostname or self.host,
                suppress_ragged_eofs=ragged_eof)
        except (ssl.SSLError, ssl.CertificateError) as e:
            raise Failure("TLS handshake failed: %s" % e)
        except socket.timeout:
            raise Failure("TLS handshake timed out (%.1f s)" % self.timeout)
        except OSError as e:
            raise Closed("TLS handshake: connection lost: %s" % e)
        self._log("--", "TLS: %s %s, certificate sha256 %s" % (
            self.sock.version(), self.sock.cipher()[0],
            self.peer_fingerprint()))

    def starttls(self, ctx, server_hostname=None, ragged_eof=True):
        """STLS (RFC 2595): +OK, then the handshake."""
        r = self.ok("STLS")
        self.tls_wrap(ctx, server_hostname, ragged_eof)
        return r

    def expect_tls_close(self, timeout=None):
        """The server ends the TLS session with a close_notify alert
        (RFC 8446 6.1) and closes, sending nothing else.  Needs a
        connection wrapped with ragged_eof=False."""
        check(not self.pending(), "unexpected data before close: %s" %
            short(self.pending()))
        self.sock.settimeout(self.timeout if timeout is None else timeout)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            fail("the server did not close the TLS session")
        except ssl.SSLEOFError as e:
            fail("the server closed the connection without a TLS "
                "close_notify alert (%s)" % e)
        except ConnectionResetError:
            fail("the server reset the connection instead of sending a "
                "TLS close_notify alert")
        check(not data, "unexpected data instead of close: %s" %
            short(data))
        self._log("S:", "<close_notify>")

    def peer_fingerprint(self):
        """SHA-256 of the server's certificate, as openssl x509
        -fingerprint -sha256 prints it."""
        return fingerprint(self.sock.getpeercert(binary_form=True))

    def silent(self, seconds):
        """Nothing arrives for seconds (the connection stays open)."""
        check(not self.pending(), "unexpected data: %s" %
            short(self.pending()))
        self.sock.settimeout(seconds)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return
        except ConnectionResetError:
            fail("connection reset where the server should wait")
        if not data:
            fail("connection closed where the server should wait")
        fail("unexpected data: %s" % short(data))

    def capa(self):
        """CAPA: the capability names, upper case, and the lines."""
        self.ok("CAPA")
        lines = [l.decode("latin-1") for l in self.block()]
        for l in lines:
            check(not l.startswith(("+OK", "-ERR")),
                "status line %s inside the CAPA response" % short(l))
        return [l.split(" ")[0].upper() for l in lines], lines

    def _log(self, direction, text):
        log("%s%s %s" % (self.tag, direction, text))

    def sendraw(self, data):
        self._log("C:", short(data))
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise Closed("send failed: %s" % e)

    def send(self, line):
        if isinstance(line, str):
            line = line.encode("latin-1")
        self._log("C:", short(line))
        try:
            self.sock.sendall(line + b"\r\n")
        except OSError as e:
            raise Closed("send of %s failed: %s" % (short(line), e))

    def _fill(self, deadline):
        remain = deadline - time.monotonic()
        if remain <= 0:
            raise Failure("timeout waiting for the server (%.1f s)" %
                self.timeout)
        self.sock.settimeout(remain)
        try:
            data = self.sock.recv(262144)
        except socket.timeout:
            raise Failure("timeout waiting for the server (%.1f s)" %
                self.timeout)
        except ConnectionResetError:
            data = b""
        if not data:
            raise Closed("connection closed by the server")
        self.buf += data

    def readline(self, timeout=None):
        """One line without its CRLF; a line not ending in CRLF fails.
        The buffer is a bytearray consumed from self.pos, so that a
        10 MiB message is not copied once per line."""
        deadline = time.monotonic() + (self.timeout if timeout is None
            else timeout)
        start = self.pos
        while True:
            i = self.buf.find(b"\n", start)
            if i >= 0:
                break
            start = len(self.buf)
            if start - self.pos > 64 * 1024 * 1024:
                fail("no line end in 64 MiB of reply")
            self._fill(deadline)
        line = bytes(self.buf[self.pos:i + 1])
        self.pos = i + 1
        if self.pos > 1024 * 1024:
            del self.buf[:self.pos]
            self.pos = 0
        check(line.endswith(b"\r\n"),
            "line not terminated by CRLF: %s" % short(line))
        return line[:-2]

    def pending(self):
        return bytes(self.buf[self.pos:])

    def reply(self, timeout=None):
        try:
            line = self.readline(timeout).decode("latin-1")
        except Closed:
            self._log("S:", "<connection closed>")
            raise
        self._log("S:", short(line))
        return line

    def cmd(self, line, timeout=None):
        self.send(line)
        return self.reply(timeout)

    def ok(self, line, timeout=None):
        r = self.cmd(line, timeout)
        check(r.startswith("+OK"), "%s: expected +OK, got %s" %
            (short(line), short(r)))
        return r

    def err(self, line, code=None, timeout=None):
        r = self.cmd(line, timeout)
        check(r.startswith("-ERR"), "%s: expected -ERR, got %s" %
            (short(line), short(r)))
        if code is not None:
            check(r.startswith("-ERR [%s]" % code),
                "%s: expected -ERR [%s], got %s" % (short(line), code,
                short(r)))
        return r

    def block(self):
        """The lines of a multi-line response up to the lone '.', as sent
        (still stuffed)."""
        lines = []
        while True:
            line = self.readline()
            if line == b".":
                break
            lines.append(line)
        self._log("S:", "<%d lines, %d octets, then '.'>" % (len(lines),
            sum(len(l) + 2 for l in lines)))
        return lines

    def body(self):
        """A multi-line response un-stuffed, with CRLF line ends."""
        out = []
        for line in self.block():
            if line.startswith(b"."):
                line = line[1:]
            out.append(line + b"\r\n")
        return b"".join(out)

    def login(self, user, password):
        self.ok("USER %s" % user)
        self.ok("PASS %s" % password)

    def login_retry(self, user, password, seconds=5.0):
        """Log in, retrying while the previous session of the same user
        still holds the maildrop ([IN-USE]): a dropped connection is
        released asynchronously.  The server ends a session whose
        maildrop is refused, so each retry is a new connection."""
        deadline = time.monotonic() + seconds
        while True:
            self.ok("USER %s" % user)
            r = self.cmd("PASS %s" % password)
            if r.startswith("+OK"):
                return r
            check(r.startswith("-ERR [IN-USE]") and
                time.monotonic() < deadline,
                "PASS: expected +OK, got %s" % short(r))
            self.expect_closed()
            time.sleep(0.5)
            self.reconnect()

    def stat(self):
        r = self.ok("STAT")
        m = re.match(r"^\+OK (\d+) (\d+)(?: .*)?$", r)
        check(m, "STAT: malformed drop listing %s" % short(r))
        return int(m.group(1)), int(m.group(2))

    def list_all(self):
        self.ok("LIST")
        out = {}
        for line in self.block():
            m = re.match(rb"^(\d+) (\d+)(?: .*)?$", line)
            check(m, "LIST: malformed scan listing %s" % short(line))
            n = int(m.group(1))
            check(n not in out, "LIST: message %d listed twice" % n)
            out[n] = int(m.group(2))
        return out

    def list_one(self, n):
        r = self.ok("LIST %d" % n)
        m = re.match(r"^\+OK (\d+) (\d+)(?: .*)?$", r)
        check(m and int(m.group(1)) == n,
            "LIST %d: malformed scan listing %s" % (n, short(r)))
        return int(m.group(2))

    def uidl_all(self):
        self.ok("UIDL")
        out = {}
        for line in self.block():
            m = re.match(rb"^(\d+) ([\x21-\x7e]{1,70})$", line)
            check(m, "UIDL: malformed unique-id listing %s" % short(line))
            out[int(m.group(1))] = m.group(2).decode()
        return out

    def uidl_one(self, n):
        r = self.ok("UIDL %d" % n)
        m = re.match(r"^\+OK (\d+) ([\x21-\x7e]{1,70})$", r)
        check(m and int(m.group(1)) == n,
            "UIDL %d: malformed unique-id listing %s" % (n, short(r)))
        return m.group(2)

    def retr(self, n):
        """RETR n; checks the announced octet count against the body."""
        r = self.ok("RETR %d" % n)
        m = re.match(r"^\+OK (\d+) octets", r)
        check(m, "RETR %d: expected '+OK <size> octets', got %s" %
            (n, short(r)))
        data = self.body()
        check(int(m.group(1)) == len(data),
            "RETR %d: announced %s octets, sent %d" % (n, m.group(1),
            len(data)))
        return data

    def retr_raw(self, n):
        """RETR n as a fast client reads it: the whole response in large
        reads up to CRLF . CRLF, then unstuffed and checked against the
        announced octet count.  For timing tests, where a Python loop
        per line would cost more than the server does."""
        r = self.ok("RETR %d" % n)
        m = re.match(r"^\+OK (\d+) octets", r)
        check(m, "RETR %d: expected '+OK <size> octets', got %s" %
            (n, short(r)))
        deadline = time.monotonic() + self.timeout
        start = self.pos
        while True:
            i = self.buf.find(b"\r\n.\r\n", max(start - 4, self.pos))
            if i >= 0 or bytes(self.buf[self.pos:self.pos + 3]) == b".\r\n":
                break
            start = len(self.buf)
            self._fill(deadline)
        if i < 0 or bytes(self.buf[self.pos:self.pos + 3]) == b".\r\n":
            data = b""
            self.pos += 3
        else:
            data = bytes(self.buf[self.pos:i + 2])
            self.pos = i + 5
        del self.buf[:self.pos]
        self.pos = 0
        data = data.replace(b"\r\n..", b"\r\n.")
        if data.startswith(b".."):
            data = data[1:]
        check(int(m.group(1)) == len(data),
            "RETR %d: announced %s octets, sent %d" % (n, m.group(1),
            len(data)))
        return data

    def top(self, n, lines):
        self.ok("TOP %d %d" % (n, lines))
        return self.body()

    def expect_closed(self, timeout=None, what="the server"):
        """The server must close the connection within timeout seconds
        without sending anything more."""
        t = self.timeout if timeout is None else timeout
        check(not self.pending(), "unexpected data before close: %s" %
            short(self.pending()))
        deadline = time.monotonic() + t
        while True:
            remain = deadline - time.monotonic()
            check(remain > 0, "%s did not close the connection within "
                "%.1f s" % (what, t))
            self.sock.settimeout(remain)
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except ConnectionResetError:
                data = b""
            if not data:
                self._log("S:", "<connection closed>")
                return
            fail("unexpected data instead of close: %s" % short(data))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def reconnect(self):
        """A new connection made as the first one was, greeting read."""
        self.close()
        self.__init__(**self.args)


def quit_ok(p):
    """QUIT, +OK, then the server closes."""
    p.ok("QUIT")
    p.expect_closed()
    p.close()


# ---------------------------------------------------------------------------
# TLS

def fingerprint(der):
    """AA:BB:... upper-case SHA-256 of a DER certificate."""
    h = hashlib.sha256(der).hexdigest().upper()
    return ":".join(h[i:i + 2] for i in range(0, len(h), 2))


def file_fingerprint(path):
    """The fingerprint of the (first) certificate of a PEM file."""
    with open(path) as f:
        pem = f.read()
    m = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----",
        pem, re.S)
    check(m, "no certificate in %s" % path)
    return fingerprint(ssl.PEM_cert_to_DER_cert(m.group(0)))


def tls_context(cafile=None, alpn=None, minimum=None, maximum=None):
    """A client context.  With cafile it trusts only that file (the test's
    self-signed certificate) and checks the name or address; without it
    it verifies nothing."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if cafile is None:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx.load_verify_locations(cafile=cafile)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    if minimum is not None:
        ctx.minimum_version = minimum
    if maximum is not None:
        ctx.maximum_version = maximum
    return ctx


# ---------------------------------------------------------------------------
# Seeded messages

def _msg(n, subject, body, extra=b""):
    return (b"Return-Path: <sender@example.org>\n"
        b"From: Sender <sender@example.org>\n"
        b"To: Recipient <rcpt@example.org>\n"
        b"Subject: " + subject + b"\n"
        b"Date: Tue, 14 Nov 2023 22:13:%02d +0000\n" % n +
        b"Message-ID: <p3test-%d@example.org>\n" % n +
        extra + b"\n" + body)


def _lines(n, width=70, prefix=b"line"):
    return b"".join(b"%s %04d %s\n" % (prefix, i, b"x" * (width - 15))
        for i in range(1, n + 1))


def _big(size):
    """About size octets of text with a dot line now and then."""
    out = []
    total = 0
    i = 0
    while total < size:
        i += 1
        if i % 1000 == 0:
            line = b".dot line %d\n" % i
        else:
            line = b"%08d abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ"\
                b" 0123456789\n" % i
        out.append(line)
        total += len(line)
    return b"".join(out)


def message_set(name):
    """(key, raw bytes, where) triples; where is 'new', 'new-S' (name
    carries ,S=), 'new-SW' (,S= and ,W=) or 'cur' (seen, :2,S)."""
    if name == "basic":
        return [
            ("simple", _msg(1, b"simple", b"Hello,\nthis is a test.\n"),
                "new"),
            ("dots", _msg(2, b"dots", b"before\n.\n..\n.foo\nafter\n"),
                "new-S"),
            ("long", _msg(3, b"long body", _lines(40)), "cur"),
        ]
    if name == "special":
        return [
            ("dotlines", _msg(11, b"dot lines",
                b".\n..\n.foo\n...\nend\n. \n"), "new"),
            ("emptybody", _msg(12, b"empty body", b""), "new-S"),
            ("nofinalnl", _msg(13, b"no final newline",
                b"first\nlast line without newline"), "new"),
            ("eightbit", _msg(14, "Gr\u00fc\u00dfe \u2013 UTF-8".encode(),
                b"caf\xc3\xa9\n", b"X-Latin1: Jos\xe9 Mar\xeda\n"),
                "new-SW"),
            ("crlf", _msg(15, b"stored with CRLF",
                b"one\ntwo\n.three\n").replace(b"\n", b"\r\n"), "new"),
            ("fromline", _msg(16, b"from line", b"From here\n>From there\n"),
                "cur"),
        ]
    if name == "big":
        return [("big", _msg(21, b"ten MiB", _big(10 * 1024 * 1024)),
            "new-SW")]
    if name == "retr100k":
        # Sequential RETR timing: many messages of about 100 KiB, each
        # more than one TLS record and one socket buffer write.
        return [("r100k-%03d" % i, _msg(i % 60, b"100k %d" % i,
            _big(100 * 1024)), "new-SW") for i in range(200)]
    if name == "one":
        return [("one", _msg(31, b"one", b"only message\n"), "new")]
    fail("unknown message set %s" % name)


def seed_maildir(maildir, seeddir, sets):
    """Write the messages of sets into maildir (new/ and cur/, the
    directories must exist) and a root-owned copy of each into seeddir,
    where load_seed() finds them after the server renamed or removed
    the Maildir files."""
    os.makedirs(seeddir, exist_ok=True)
    t0 = 1700000000 + len(os.listdir(seeddir)) * 10
    n = 0
    for s in sets:
        for key, raw, where in message_set(s):
            n += 1
            base = "%d.P%dQ%d.p3test" % (t0 + n, 4000 + n, n)
            sub = "new"
            if where in ("new-S", "new-SW"):
                base += ",S=%d" % len(raw)
            if where == "new-SW":
                base += ",W=%d" % len(transmitted(raw))
            if where == "cur":
                base += ",S=%d:2,S" % len(raw)
                sub = "cur"
            path = os.path.join(maildir, sub, base)
            with open(path, "wb") as f:
                f.write(raw)
            os.utime(path, (t0 + n, t0 + n))
            with open(os.path.join(seeddir, key + ".eml"), "wb") as f:
                f.write(raw)


MBOX_FROM = b"From sender@example.org Tue Nov 14 22:13:20 2023\n"


def mbox_messages():
    return [
        ("m1", _msg(41, b"mbox one", b"Hello from an mbox.\n")),
        ("m2", _msg(42, b"mbox quoting",
            b"From here, a line that was quoted.\n"
            b">From there, quoted twice.\n"
            b"Fromage is not quoted.\n")),
        ("m3", _msg(43, b"mbox with X-UIDL", b"Has an X-UIDL.\n",
            b"X-UIDL: p3test-xuidl-0043\n")),
        ("m4", _msg(44, b"mbox dots", b".\n..\n.foo\nend\n")),
    ]


def mbox_block(raw):
    return MBOX_FROM + mboxrd_quote(raw) + b"\n"


def seed_mbox(path, seeddir):
    """Write an mboxrd file and keep each message and each From_ block
    in seeddir."""
    os.makedirs(os.path.join(seeddir, "blocks"), exist_ok=True)
    data = b""
    for key, raw in mbox_messages():
        with open(os.path.join(seeddir, key + ".eml"), "wb") as f:
            f.write(raw)
        block = mbox_block(raw)
        with open(os.path.join(seeddir, "blocks", key), "wb") as f:
            f.write(block)
        data += block
    with open(path, "wb") as f:
        f.write(data)
    return data


def load_seed(seeddir):
    """key -> raw message, from the copies seed_* kept."""
    out = {}
    for name in sorted(os.listdir(seeddir)):
        if name.endswith(".eml"):
            with open(os.path.join(seeddir, name), "rb") as f:
                out[name[:-4]] = f.read()
    return out


def match_all(p, seed):
    """LIST and RETR every message and match each to a seeded one by its
    transmitted form, whatever order the server numbers them in.
    Checks LIST sizes against the octets sent.  Returns n -> key."""
    listing = p.list_all()
    count, octets = p.stat()
    check(count == len(seed), "STAT says %d messages, %d were seeded" %
        (count, len(seed)))
    check(sorted(listing) == list(range(1, len(seed) + 1)),
        "LIST numbers %s, expected 1..%d" % (sorted(listing), len(seed)))
    want = {k: transmitted(v) for k, v in seed.items()}
    check(octets == sum(len(v) for v in want.values()),
        "STAT says %d octets, the seeded messages are %d octets as "
        "transmitted" % (octets, sum(len(v) for v in want.values())))
    left = dict(want)
    mapping = {}
    for n in sorted(listing):
        data = p.retr(n)
        key = next((k for k, v in left.items() if v == data), None)
        if key is None:
            fail("RETR %d: %d octets (sha %s) match no seeded message; "
                "first bytes %s" % (n, len(data), digest(data),
                short(data[:200])))
        del left[key]
        check(listing[n] == len(data), "LIST says message %d (%s) has %d "
            "octets, RETR sent %d" % (n, key, listing[n], len(data)))
        mapping[n] = key
    return mapping


def match_multiset(got, want, what):
    """got: name -> bytes as a client delivered them; want: key -> the
    bytes expected.  Every message delivered matches a different
    expected one and none is missing.  Returns name -> key."""
    left = dict(want)
    mapping = {}
    for name, data in sorted(got.items()):
        key = next((k for k, v in left.items() if v == data), None)
        check(key is not None, "%s %s (%d octets, sha %s) matches no "
            "expected message; starts %s" % (what, name, len(data),
            digest(data), short(data[:300])))
        log("%s %s is %s, %d octets" % (what, name, key, len(data)))
        del left[key]
        mapping[name] = key
    check(not left, "%s: not delivered: %s" % (what, sorted(left)))
    return mapping


def read_tree(d):
    """path -> contents of every file below d."""
    out = {}
    for root, dirs, files in os.walk(d):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                out[os.path.join(root, name)] = f.read()
    return out


def maildir_files(maildir):
    """Contents of every message file in new/ and cur/."""
    out = []
    for sub in ("new", "cur"):
        d = os.path.join(maildir, sub)
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), "rb") as f:
                out.append(f.read())
    return out


def check_maildir_holds(maildir, raws):
    """The Maildir holds exactly the messages raws, byte for byte."""
    have = sorted(digest(x) for x in maildir_files(maildir))
    want = sorted(digest(x) for x in raws)
    check(have == want, "Maildir %s holds %d messages %s, expected %d %s" %
        (maildir, len(have), have, len(want), want))


# ---------------------------------------------------------------------------
# Processes

def proc_info(pid):
    """What /proc says about pid, or None when it is gone."""
    base = "/proc/%d" % int(pid)
    info = {"pid": int(pid)}
    try:
        with open(base + "/cmdline", "rb") as f:
            info["cmdline"] = f.read().replace(b"\0", b" ").decode(
                "latin-1").strip()
        with open(base + "/stat", "rb") as f:
            stat = f.read().decode("latin-1")
        with open(base + "/status") as f:
            status = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    rest = stat[stat.rindex(")") + 2:].split()
    info["state"] = rest[0]
    info["ppid"] = int(rest[1])
    for line in status.splitlines():
        k, _, v = line.partition(":")
        v = v.split()
        if k == "Uid":
            info["uids"] = [int(x) for x in v]
        elif k == "Gid":
            info["gids"] = [int(x) for x in v]
        elif k == "Groups":
            info["groups"] = [int(x) for x in v]
        elif k == "Seccomp":
            info["seccomp"] = int(v[0])
        elif k == "NoNewPrivs":
            info["nnp"] = int(v[0])
    try:
        info["root"] = os.readlink(base + "/root")
    except OSError:
        info["root"] = None
    if info["state"] == "Z":
        return None
    return info


def children(ppid):
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            info = proc_info(int(name))
            if info is not None and info["ppid"] == int(ppid):
                out.append(info)
    return out


def alive(pid):
    return proc_info(pid) is not None


def wait_gone(pid, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return not alive(pid)


def _socket_inodes(lport, rport):
    """Inodes of TCP sockets with local port lport and remote rport."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for row in rows:
            col = row.split()
            local, remote, inode = col[1], col[2], col[9]
            if (int(local.rsplit(":", 1)[1], 16) == lport and
                int(remote.rsplit(":", 1)[1], 16) == rport and
                inode != "0"):
                found.append(inode)
    return found


def socket_holders(server_port, client_port):
    """PIDs of the processes holding the server side of the connection
    from client_port to server_port."""
    inodes = {"socket:[%s]" % i for i in
        _socket_inodes(int(server_port), int(client_port))}
    pids = []
    if not inodes:
        return pids
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        fddir = "/proc/%s/fd" % name
        try:
            fds = os.listdir(fddir)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(os.path.join(fddir, fd)) in inodes:
                    pids.append(int(name))
                    break
            except OSError:
                continue
    return sorted(pids)


def session_pid(server_port, client_port, seconds=5.0):
    """The one process serving the connection.  The parent hands the
    socket over after accept, so allow it a moment to close its copy."""
    deadline = time.monotonic() + seconds
    while True:
        pids = socket_holders(server_port, client_port)
        if len(pids) == 1:
            return pids[0]
        if time.monotonic() > deadline:
            fail("connection from port %d is held by processes %s, "
                "expected exactly one" % (client_port, pids))
        time.sleep(0.1)


# ---------------------------------------------------------------------------
# Small commands

def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, seconds, pid=None):
    """True once port accepts a connection; False after seconds, or as
    soon as process pid (the daemon) is gone."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pid is not None and not alive(pid):
            return False
        try:
            s = socket.create_connection((HOST, int(port)), timeout=1)
            s.close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def chat(port, script):
    """Run a dialogue.  Lines of script:
        > TEXT      send TEXT and CRLF
        < PREFIX    read a reply line; it must start with PREFIX
        ~ REGEX     read a reply line; it must match REGEX entirely
        *           read a multi-line response up to the '.'
        *N          the same, and it must have N lines
        closed      the server must close the connection now
        sleep S     wait S seconds
        raw TEXT    send TEXT with Python escapes (\\r, \\n, \\x00) as is
    The greeting is read and checked first.  Blank lines and lines
    starting with # are skipped."""
    p = POP3(port)
    for lineno, line in enumerate(script.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        op, _, arg = line.partition(" ")
        where = "dialogue line %d (%s)" % (lineno, line)
        if op == ">":
            p.send(arg)
        elif op == "<":
            r = p.reply()
            check(r.startswith(arg), "%s: got %s" % (where, short(r)))
        elif op == "~":
            r = p.reply()
            check(re.fullmatch(arg, r), "%s: got %s" % (where, short(r)))
        elif op.startswith("*"):
            lines = p.block()
            if op != "*":
                check(len(lines) == int(op[1:]), "%s: got %d lines" %
                    (where, len(lines)))
        elif op == "closed":
            p.expect_closed()
        elif op == "sleep":
            time.sleep(float(arg))
        elif op == "raw":
            p.sendraw(arg.encode("latin-1").decode("unicode_escape").encode(
                "latin-1"))
        else:
            fail("bad dialogue line %d: %s" % (lineno, line))
    p.close()


class TestEnv:
    """The variables pop3test.sh exports, for the test scripts."""

    def __init__(self):
        g = os.environ.get
        self.port = int(g("P3_PORT", "0"))
        self.user = g("P3_USER")
        self.pw = g("P3_PASS")
        self.dir = g("P3_DIR")
        self.home = g("P3_HOME")
        self.maildir = g("P3_MAILDIR")
        self.mbox = g("P3_MBOX")
        self.spool = g("P3_SPOOL")
        self.log = g("P3_LOG")
        self.pid = int(g("P3_PID", "0"))
        self.tlsport = int(g("P3_TLSPORT", "0"))
        self.cert = g("P3_CERT")
        self.key = g("P3_KEY")
        seeddir = g("P3_SEED")
        self.seed = {}
        if seeddir and os.path.isdir(seeddir):
            self.seed = load_seed(seeddir)

    def connect(self, **kw):
        return POP3(self.port, **kw)

    def login(self, **kw):
        p = POP3(self.port, **kw)
        p.login(self.user, self.pw)
        return p

    def ctx(self, **kw):
        """A client context that trusts the test's certificate."""
        return tls_context(self.cert, **kw)

    def connect_tls(self, **kw):
        """A connection to the implicit TLS listener, verified."""
        kw.setdefault("tls", self.ctx())
        return POP3(self.tlsport, **kw)

    def connect_stls(self, **kw):
        """A connection to the plain listener, upgraded with STLS."""
        p = POP3(self.port, **kw)
        p.starttls(self.ctx())
        return p

    def logtext(self):
        with open(self.log, "rb") as f:
            return f.read().decode("latin-1")


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "port":
        print(free_port())
    elif cmd == "wait":
        pid = int(args[2]) if len(args) > 2 else None
        return 0 if wait_port(int(args[0]), float(args[1]), pid) else 1
    elif cmd == "chat":
        chat(int(args[0]), sys.stdin.read())
    elif cmd == "seed-maildir":
        seed_maildir(args[0], args[1], args[2:])
    elif cmd == "seed-mbox":
        seed_mbox(args[0], args[1])
    elif cmd == "expected":
        with open(args[0], "rb") as f:
            sys.stdout.buffer.write(transmitted(f.read()))
    else:
        print("unknown command %s" % cmd, file=sys.stderr)
        return 2
    return 0


def run(fn):
    """Run a test script's main function: FAIL: and exit 1 on a failed
    expectation, so that the shell side can report the reason."""
    try:
        fn()
    except Failure as e:
        log("FAIL: %s" % e)
        sys.exit(1)
    except OSError as e:
        log("FAIL: %s: %s" % (type(e).__name__, e))
        sys.exit(1)


if __name__ == "__main__":
    run(lambda: sys.exit(main(sys.argv)))


# ---------------------------------------------------------------------------
# Access control, limits and the control socket (regress/admin)

def first_line(port, source=None, host=HOST, timeout=5.0):
    """Connect to host:port from source (any port) and read the first
    line.  Returns it without CRLF, or None when the server closed the
    connection without sending a byte, as pop3d does with a peer it
    refuses at accept."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    data = b""
    try:
        if source is not None:
            s.bind((source, 0))
        s.connect((host, int(port)))
        deadline = time.monotonic() + timeout
        while b"\r\n" not in data:
            remain = deadline - time.monotonic()
            if remain <= 0:
                fail("%s -> %s port %s: neither a greeting nor a close "
                    "within %.1f s" % (source, host, port, timeout))
            s.settimeout(remain)
            try:
                chunk = s.recv(1024)
            except ConnectionResetError:
                chunk = b""
            except socket.timeout:
                continue
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    if not data:
        return None
    return data.split(b"\r\n")[0].decode("latin-1")


def expect_served(port, source=None, host=HOST, what=""):
    """A connection from source gets a +OK greeting."""
    g = first_line(port, source, host)
    log("-- %s -> %s: %s" % (source or "default", host, short(g)))
    check(g is not None and g.startswith("+OK"), "%sconnection from %s "
        "to %s: expected a greeting, got %s" % (what and what + ": ",
        source or "the default address", host,
        "a close" if g is None else short(g)))


def expect_refused(port, source=None, host=HOST, what=""):
    """A connection from source is closed before a byte is sent."""
    g = first_line(port, source, host)
    log("-- %s -> %s: %s" % (source or "default", host,
        "<closed without a byte>" if g is None else short(g)))
    check(g is None, "%sconnection from %s to %s: expected a close "
        "without a byte, got %s" % (what and what + ": ",
        source or "the default address", host, short(g)))


def wait_served(port, source=None, host=HOST, seconds=5.0):
    """Wait until a connection from source is served again."""
    deadline = time.monotonic() + seconds
    while True:
        g = first_line(port, source, host)
        if g is not None and g.startswith("+OK"):
            return
        check(time.monotonic() < deadline, "connections from %s still "
            "refused after %.1f s" % (source, seconds))
        time.sleep(0.2)


def have_ipv6():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def log_lines(path, pattern):
    """The lines of the log file at path that match the regex pattern."""
    with open(path, "rb") as f:
        text = f.read().decode("latin-1")
    return [l for l in text.splitlines() if re.search(pattern, l)]


def wait_log(path, pattern, seconds=5.0, count=1):
    """Wait until at least count lines of the log match pattern."""
    deadline = time.monotonic() + seconds
    while True:
        got = log_lines(path, pattern)
        if len(got) >= count:
            return got
        check(time.monotonic() < deadline, "no log line matching %r "
            "within %.1f s" % (pattern, seconds))
        time.sleep(0.1)


def msg_types(header):
    """The message types of proto.h, in the order of PROTO_MESSAGES after
    MSG_NONE (0): name -> value."""
    with open(header) as f:
        text = f.read()
    m = re.search(r"#define PROTO_MESSAGES\(X\)(.*?)\n\n", text, re.S)
    check(m, "no PROTO_MESSAGES in %s" % header)
    body = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)
    names = re.findall(r"\bX\((MSG_[A-Z0-9_]+),", body)
    check(names, "no X(MSG_...) entries in %s" % header)
    return {n: i + 1 for i, n in enumerate(names)}


def proto_version(header):
    with open(header) as f:
        m = re.search(r"#define\s+PROTO_VERSION\s+(\d+)", f.read())
    check(m, "no PROTO_VERSION in %s" % header)
    return int(m.group(1))


def ctl_raw(path, frames, timeout=5.0, until=()):
    """Talk to the control socket at path in its own framing: send each
    (type, peerid, payload) as one datagram, then collect what comes
    back until the server closes, a frame of a type in until arrives,
    or the server is silent for timeout seconds.  Returns
    [(type, peerid, payload)] and whether the server closed."""
    import struct
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(timeout)
    s.connect(path)
    for t, peerid, payload in frames:
        s.send(struct.pack("=IIII", t, 16 + len(payload), peerid, 0) +
            payload)
    got, closed = [], False
    while True:
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            d = b""
        if not d:
            closed = True
            break
        t, n, peerid, _ = struct.unpack("=IIII", d[:16])
        got.append((t, peerid, d[16:]))
        if t in until:
            break
    s.close()
    return got, closed


# ---------------------------------------------------------------------------
# XTND XMIT: the submission records of fake-sendmail and an SMTP sink
# (regress/xmit)

def xmit_wire(lines):
    """What a client sends after the +OK of XTND XMIT for a message made
    of lines (bytes without line ends): each line dot-stuffed and ended
    by CRLF, then the terminating dot line."""
    return b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n"
        for l in lines) + b".\r\n"


def xmit_expected(lines):
    """The message as the submission program must read it after the
    Received header: the lines unstuffed, each ended by LF."""
    return b"".join(l + b"\n" for l in lines)


def xmit_send(p, data, timeout=30):
    """XTND XMIT, which must answer +OK, then data as it is (the form of
    xmit_wire); returns the reply to the message."""
    p.ok("XTND XMIT")
    p.sendraw(data)
    return p.reply(timeout)


def _read_opt(path, mode="rb"):
    try:
        with open(path, mode) as f:
            return f.read()
    except FileNotFoundError:
        return None


def xmit_run(path):
    """One run recorded by fake-sendmail in directory path: a dict with
    argv (list of str), uid, gid, groups (ints), uids and gids (the real,
    effective, saved and fs ids from /proc), environ (dict), fds (fd ->
    link target), stdin (bytes), done (it reached its exit) and exit
    (the status it exited with).  Files not written yet are None."""
    r = {"path": path}
    argv = _read_opt(os.path.join(path, "argv"))
    r["argv"] = None if argv is None else \
        argv.decode("latin-1").split("\n")[:-1]
    for k in ("uid", "gid"):
        v = _read_opt(os.path.join(path, k))
        r[k] = None if v is None else int(v.strip())
    v = _read_opt(os.path.join(path, "groups"))
    r["groups"] = None if v is None else sorted(int(x) for x in v.split())
    r["uids"] = r["gids"] = None
    v = _read_opt(os.path.join(path, "status"))
    if v is not None:
        for line in v.decode("latin-1").splitlines():
            k, _, rest = line.partition(":")
            if k == "Uid":
                r["uids"] = [int(x) for x in rest.split()]
            elif k == "Gid":
                r["gids"] = [int(x) for x in rest.split()]
    v = _read_opt(os.path.join(path, "environ"))
    r["environ"] = None
    r["environ_raw"] = v
    if v is not None:
        env = {}
        for item in v.split(b"\0"):
            if item:
                k, _, val = item.decode("latin-1").partition("=")
                env[k] = val
        r["environ"] = env
    v = _read_opt(os.path.join(path, "fds"))
    r["fds"] = None
    if v is not None:
        fds = {}
        for line in v.decode("latin-1").splitlines():
            m = re.search(r" (\d+) -> (.*)$", line)
            if m:
                fds[int(m.group(1))] = m.group(2)
        r["fds"] = fds
    r["stdin"] = _read_opt(os.path.join(path, "stdin"))
    r["done"] = os.path.exists(os.path.join(path, "done"))
    v = _read_opt(os.path.join(path, "exit"))
    r["exit"] = None if v is None else int(v.strip())
    return r


def xmit_runs(recdir):
    """Every run that fake-sendmail recorded in recdir, in order."""
    names = [n for n in os.listdir(recdir) if n.isdigit()]
    return [xmit_run(os.path.join(recdir, n))
        for n in sorted(names, key=int)]


def xmit_wait_runs(recdir, count, seconds=10.0):
    """Wait until recdir holds count finished runs; returns the runs.
    Fails on more runs than count."""
    deadline = time.monotonic() + seconds
    while True:
        runs = xmit_runs(recdir)
        check(len(runs) <= count, "the submission program ran %d times, "
            "expected %d" % (len(runs), count))
        if len(runs) == count and all(r["done"] for r in runs):
            return runs
        check(time.monotonic() < deadline, "%d finished runs of the "
            "submission program within %.1f s, expected %d" %
            (sum(1 for r in runs if r["done"]), seconds, count))
        time.sleep(0.1)


def xmit_no_run(recdir, seconds=2.0, what="the submission program"):
    """Nothing is recorded in recdir now nor seconds later."""
    deadline = time.monotonic() + seconds
    while True:
        runs = xmit_runs(recdir)
        if runs:
            fail("%s ran (%d records in %s; the first as uid %s with "
                "argv %r)" % (what, len(runs), recdir, runs[0]["uid"],
                runs[0]["argv"]))
        if time.monotonic() >= deadline:
            return
        time.sleep(0.2)


def split_received(data):
    """Split off the first header field of data, which must be a
    Received field ended by LF (folded lines too).  Returns the field
    unfolded with its whitespace runs made single spaces, its raw
    bytes, and the rest of data."""
    check(data.startswith(b"Received: "), "the submitted message does not "
        "start with 'Received: ': %s" % short(data[:200]))
    end = 0
    while True:
        i = data.find(b"\n", end)
        check(i >= 0, "the Received header has no line end: %s" %
            short(data[:300]))
        end = i + 1
        if data[end:end + 1] not in (b" ", b"\t"):
            break
    raw = data[:end]
    check(b"\r" not in raw, "CR in the Received header (its lines must "
        "end with LF): %s" % short(raw))
    for line in raw.split(b"\n")[:-1]:
        check(len(line) <= 998, "a Received header line of %d characters "
            "(RFC 5322: at most 998)" % len(line))
    check(all(0x20 <= b < 0x7f or b in (0x09, 0x0a) for b in raw),
        "the Received header is not printable US-ASCII: %s" % short(raw))
    text = " ".join(raw.decode("ascii").split())
    return text, raw, data[end:]


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
    "Oct", "Nov", "Dec"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
DATE_RE = re.compile(r"(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) "
    r"(\d{2}):(\d{2})(?::(\d{2}))? ([+-]\d{4})")


def check_rfc5322_utc(date, slack=600):
    """date is an RFC 5322 date-time in UTC (zone +0000) within slack
    seconds of now, with the right day of the week."""
    import datetime
    m = DATE_RE.fullmatch(date)
    check(m, "date %r is not an RFC 5322 date-time" % date)
    check(m.group(8) == "+0000", "date %r is not in UTC (+0000)" % date)
    try:
        t = datetime.datetime(int(m.group(4)), MONTHS.index(m.group(3)) + 1,
            int(m.group(2)), int(m.group(5)), int(m.group(6)),
            int(m.group(7) or 0), tzinfo=datetime.timezone.utc)
    except ValueError as e:
        fail("date %r: %s" % (date, e))
    if m.group(1):
        check(DAYS[t.weekday()] == m.group(1), "date %r: %s is a %s" %
            (date, t.date(), DAYS[t.weekday()]))
    now = datetime.datetime.now(datetime.timezone.utc)
    check(abs((now - t).total_seconds()) <= slack, "date %r is %.0f s "
        "from now" % (date, (now - t).total_seconds()))


def check_received(text, user, addr):
    """The unfolded Received field of split_received: from the client
    address, by this host, (pop3d) with XTND XMIT for the user, dated
    now in UTC."""
    m = re.fullmatch(r"Received: from (\S+) by (\S+) \(pop3d\) with XTND "
        r"XMIT for authenticated user (\S+); (.+)", text)
    check(m, "malformed Received header %r, expected 'Received: from %s by "
        "HOST (pop3d) with XTND XMIT for authenticated user %s; DATE'" %
        (text, addr, user))
    check(m.group(1) == addr, "Received header names the client %r, "
        "expected %r: %r" % (m.group(1), addr, text))
    check(m.group(3) == user, "Received header names the user %r, "
        "expected %r: %r" % (m.group(3), user, text))
    names = {socket.gethostname().lower(), socket.getfqdn().lower()}
    check(m.group(2).lower() in names, "Received header names the host %r, "
        "expected one of %r" % (m.group(2), sorted(names)))
    check_rfc5322_utc(m.group(4))


def check_submitted(data, user, addr, lines):
    """data, what the submission program read, is the Received header
    for user and addr, then exactly xmit_expected(lines)."""
    text, raw, rest = split_received(data)
    log("-- %s" % text)
    check_received(text, user, addr)
    want = xmit_expected(lines)
    if rest != want:
        n = next((i for i in range(min(len(rest), len(want)))
            if rest[i] != want[i]), min(len(rest), len(want)))
        fail("the message after the Received header differs from the one "
            "sent: %d octets, expected %d; first difference at octet %d: "
            "got %s, expected %s" % (len(rest), len(want), n,
            short(rest[max(0, n - 40):n + 40]),
            short(want[max(0, n - 40):n + 40])))


def smtp_sink(outdir, portfile, lifetime=120.0):
    """A minimal SMTP server on 127.0.0.1 and a free port, for an MTA to
    deliver to: 220, then 250 to EHLO, HELO, MAIL, RCPT, RSET and NOOP,
    354 to DATA and 250 after the data, 221 to QUIT.  Each message goes
    to outdir as N.eml (the data unstuffed, CRLF line ends as sent) and
    N.env (the MAIL and RCPT lines), made whole by a rename.  The port
    is written to portfile once it listens; the sink ends by itself
    after lifetime seconds."""
    import socketserver
    import threading
    counter = [0]
    lock = threading.Lock()

    def store(env, data):
        with lock:
            counter[0] += 1
            n = counter[0]
        for ext, blob in (("env", env), ("eml", data)):
            tmp = os.path.join(outdir, ".%d.%s.tmp" % (n, ext))
            with open(tmp, "wb") as f:
                f.write(blob)
            os.rename(tmp, os.path.join(outdir, "%d.%s" % (n, ext)))

    class Handler(socketserver.StreamRequestHandler):
        timeout = 30

        def out(self, line):
            self.wfile.write(line + b"\r\n")
            self.wfile.flush()

        def handle(self):
            env = []
            self.out(b"220 127.0.0.1 p3test SMTP sink")
            while True:
                line = self.rfile.readline(65536)
                if not line:
                    return
                cmd = line.rstrip(b"\r\n")
                verb = cmd.split(b" ", 1)[0].upper()
                if verb == b"EHLO":
                    self.out(b"250-127.0.0.1 hello")
                    self.out(b"250-8BITMIME")
                    self.out(b"250 SIZE 104857600")
                elif verb in (b"HELO", b"NOOP"):
                    self.out(b"250 ok")
                elif verb == b"RSET":
                    env = []
                    self.out(b"250 ok")
                elif verb in (b"MAIL", b"RCPT"):
                    env.append(cmd)
                    self.out(b"250 ok")
                elif verb == b"DATA":
                    self.out(b"354 end with <CRLF>.<CRLF>")
                    data = []
                    while True:
                        l = self.rfile.readline(1 << 20)
                        if not l:
                            return
                        if l == b".\r\n":
                            break
                        if l.startswith(b"."):
                            l = l[1:]
                        data.append(l)
                    store(b"\n".join(env) + b"\n", b"".join(data))
                    env = []
                    self.out(b"250 ok: queued")
                elif verb == b"QUIT":
                    self.out(b"221 bye")
                    return
                else:
                    self.out(b"502 not implemented")

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = Server((HOST, 0), Handler)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(portfile + ".tmp", portfile)
    threading.Timer(lifetime, srv.shutdown).start()
    srv.serve_forever(poll_interval=0.2)


def sink_messages(outdir):
    """[(envelope lines, data)] that smtp_sink stored, in order."""
    out = []
    names = [n for n in os.listdir(outdir) if re.fullmatch(r"\d+\.eml", n)]
    for name in sorted(names, key=lambda n: int(n.split(".")[0])):
        base = os.path.join(outdir, name[:-4])
        with open(base + ".env", "rb") as f:
            env = f.read().decode("latin-1").splitlines()
        with open(base + ".eml", "rb") as f:
            out.append((env, f.read()))
    return out


XMIT_UTF8 = "Gr\u00fc\u00dfe \u2013 caf\u00e9 \u2615 \u65e5\u672c\u8a9e".encode()
XMIT_LATIN1 = b"Jos\xe9 Mar\xeda, \xa9 \xab\xbb \xff\xfe end"


def xmit_sample(user, tag="1"):
    """The lines (bytes, no line ends) of a message for XTND XMIT: 8-bit
    header and body (UTF-8 and Latin-1), lines that need dot-stuffing
    (the last one a lone dot), and body lines of 600 and 2000
    characters, longer than any command line."""
    return [
        b"From: " + user.encode() + b"@example.org",
        b"To: Recipient <rcpt@example.org>",
        b"Cc: cc@example.org",
        b"Subject: XTND XMIT " + tag.encode() + b" " + XMIT_UTF8,
        b"Date: Tue, 14 Nov 2023 22:13:20 +0000",
        b"Message-ID: <p3test-xmit-" + tag.encode() + b"@example.org>",
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=utf-8",
        b"Content-Transfer-Encoding: 8bit",
        b"X-Latin1: " + XMIT_LATIN1,
        b"",
        b"Lines that start with a dot follow.",
        b".",
        b".foo",
        b"..",
        b"...",
        b". ",
        b" .",
        b"x.",
        b"",
        XMIT_UTF8,
        XMIT_LATIN1,
        b"A" * 600,
        b"." + b"B" * 599,
        b"0123456789" * 200,
        b"\t tab first, space last ",
        b"From the start of a line",
        b"last line, then a lone dot",
        b".",
    ]
