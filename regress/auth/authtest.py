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

"""Clients for the authentication tests: AUTH PLAIN and SCRAM-SHA-256
(RFC 5034, RFC 4616, RFC 5802, RFC 7677) over pop3test's POP3 class,
the Eudora poppass protocol over a raw socket, and readers of the user
database file.  Only the standard library: hashlib, hmac, base64."""

import base64
import hashlib
import hmac
import os
import re
import socket
import time

from pop3test import POP3, Closed, HOST, check, fail, log, short


def b64(data):
    return base64.b64encode(data).decode("ascii")


def unb64(text):
    return base64.b64decode(text.encode("ascii"), validate=True)


def continuation(p):
    """A "+ base64" line; its decoded bytes.  Anything else fails."""
    r = p.reply()
    check(r.startswith("+ ") or r == "+", "expected a continuation, got %s"
        % short(r))
    return unb64(r[2:]) if len(r) > 2 else b""


def auth_plain(p, user, password, initial=True, authzid=""):
    """AUTH PLAIN; the final status line."""
    msg = b64(("%s\0%s\0%s" % (authzid, user, password)).encode())
    if initial:
        return p.cmd("AUTH PLAIN %s" % msg)
    p.send("AUTH PLAIN")
    check(continuation(p) == b"", "PLAIN: the server's challenge is not "
        "empty")
    return p.cmd(msg)


def scram_keys(password, salt, iters):
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iters)
    ckey = hmac.new(salted, b"Client Key", "sha256").digest()
    skey = hmac.new(salted, b"Server Key", "sha256").digest()
    return ckey, hashlib.sha256(ckey).digest(), skey


def parse_attrs(msg):
    out = {}
    for part in msg.split(","):
        check(len(part) >= 2 and part[1] == "=", "bad SCRAM attribute %s"
            % short(part))
        out[part[0]] = part[2:]
    return out


class ScramResult:
    def __init__(self):
        self.server_first = None
        self.status = None
        self.verified = False


def auth_scram(p, user, password, initial=True, cnonce=None, tamper=False):
    """AUTH SCRAM-SHA-256, the client side of RFC 5802.  Returns a
    ScramResult: the server-first attributes, the final status line,
    and whether the server's signature was right.  tamper flips a bit
    of the proof."""
    res = ScramResult()
    cnonce = cnonce or b64(os.urandom(18))
    bare = "n=%s,r=%s" % (user.replace("=", "=3D").replace(",", "=2C"),
        cnonce)
    first = "n,," + bare
    if initial:
        p.send("AUTH SCRAM-SHA-256 %s" % b64(first.encode()))
    else:
        p.send("AUTH SCRAM-SHA-256")
        check(continuation(p) == b"", "SCRAM: first challenge not empty")
        p.send(b64(first.encode()))
    r = p.reply()
    if not r.startswith("+"):
        res.status = r
        return res
    sfirst = unb64(r[2:]).decode("ascii")
    a = parse_attrs(sfirst)
    res.server_first = a
    check(a["r"].startswith(cnonce) and len(a["r"]) > len(cnonce),
        "server nonce %s does not extend ours %s" % (a["r"], cnonce))
    salt = unb64(a["s"])
    iters = int(a["i"])
    check(iters >= 4096, "iteration count %d below RFC 7677's 4096" % iters)
    ckey, stored, skey = scram_keys(password, salt, iters)
    wo = "c=biws,r=%s" % a["r"]
    authmsg = ",".join((bare, sfirst, wo)).encode()
    sig = hmac.new(stored, authmsg, "sha256").digest()
    proof = bytearray(x ^ y for x, y in zip(ckey, sig))
    if tamper:
        proof[0] ^= 1
    p.send(b64(("%s,p=%s" % (wo, b64(bytes(proof)))).encode()))
    r = p.reply()
    if not r.startswith("+"):
        res.status = r
        return res
    sfinal = unb64(r[2:]).decode("ascii")
    want = hmac.new(skey, authmsg, "sha256").digest()
    res.verified = sfinal == "v=" + b64(want)
    check(res.verified, "server signature %s, want v=%s" % (sfinal,
        b64(want)))
    res.status = p.cmd("")
    return res


class Poppass:
    """The Eudora poppass protocol: 200 greeting, USER, PASS, NEWPASS,
    QUIT; 200 and 500 replies."""

    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection((HOST, int(port)),
            timeout=timeout)
        self.f = self.sock.makefile("rb")
        self.greeting = self.reply()
        check(self.greeting.startswith("200"), "poppass greeting %s" %
            short(self.greeting))

    def reply(self):
        line = self.f.readline()
        if not line:
            log("poppass S: <closed>")
            raise Closed("poppass: connection closed")
        line = line.decode("latin-1").rstrip("\r\n")
        log("poppass S: %s" % short(line))
        return line

    def cmd(self, line, shown=None):
        log("poppass C: %s" % (shown or line))
        self.sock.sendall(line.encode("latin-1") + b"\r\n")
        return self.reply()

    def close(self):
        try:
            self.cmd("QUIT")
        except (Closed, OSError):
            pass
        self.sock.close()


def poppass_change(port, user, old, new):
    """A whole change; the reply to NEWPASS, or to the first command
    that was refused."""
    pp = Poppass(port)
    try:
        r = pp.cmd("USER %s" % user)
        if not r.startswith("200"):
            return r
        r = pp.cmd("PASS %s" % old, "PASS ********")
        if not r.startswith("200"):
            return r
        return pp.cmd("NEWPASS %s" % new, "NEWPASS ********")
    finally:
        pp.close()


def login_ok(port, user, password):
    """True if USER/PASS logs in, False on -ERR [AUTH]."""
    p = POP3(port)
    p.ok("USER %s" % user)
    r = p.cmd("PASS %s" % password)
    p.cmd("QUIT")
    check(r.startswith("+OK") or r.startswith("-ERR [AUTH]"),
        "PASS: %s" % short(r))
    return r.startswith("+OK")


def db_lines(path):
    """The user database as {name: fields}, and the raw text."""
    with open(path) as f:
        text = f.read()
    users = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        fields = line.split(":")
        check(len(fields) == 5, "%s: malformed line %s" % (path,
            short(line)))
        check(fields[0] not in users, "%s: user %s twice" % (path,
            fields[0]))
        users[fields[0]] = fields
    return users, text


def scram_matches(fields, password):
    """The stored SCRAM keys are those of password."""
    it, salt, stored, server = fields[3].split(",")
    _, st, sk = scram_keys(password, unb64(salt), int(it))
    return b64(st) == stored and b64(sk) == server
