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

"""PROXY protocol headers (v1 text, v2 binary) for the tests of
proxy-protocol listeners (regress/proxy), and a client that sends one
before it reads the greeting, as a load balancer would."""

import socket
import struct

from pop3test import POP3, HOST

V2SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v1(src, sport, dst="127.0.0.1", dport=110):
    """A v1 line; TCP6 when src is an IPv6 address."""
    proto = "TCP6" if ":" in src else "TCP4"
    if proto == "TCP6" and ":" not in dst:
        dst = "::1"
    return ("PROXY %s %s %s %d %d\r\n" % (proto, src, dst, sport,
        dport)).encode()


def v1_unknown():
    return b"PROXY UNKNOWN\r\n"


def v2(src, sport, dst="127.0.0.1", dport=110, tlvs=b"", cmd=1, fam=None,
        block=None):
    """A v2 header: PROXY over TCP/IPv4 or TCP/IPv6 (by src), or with an
    explicit family byte and address block."""
    if block is None:
        if ":" in src:
            fam = 0x21 if fam is None else fam
            if ":" not in dst:
                dst = "::1"
            block = (socket.inet_pton(socket.AF_INET6, src) +
                socket.inet_pton(socket.AF_INET6, dst) +
                struct.pack("!HH", sport, dport))
        else:
            fam = 0x11 if fam is None else fam
            block = (socket.inet_aton(src) + socket.inet_aton(dst) +
                struct.pack("!HH", sport, dport))
    block += tlvs
    return V2SIG + bytes([0x20 | cmd, fam]) + struct.pack("!H",
        len(block)) + block


def v2_local():
    return V2SIG + bytes([0x20, 0x00]) + struct.pack("!H", 0)


def tlv(kind, value):
    return bytes([kind]) + struct.pack("!H", len(value)) + value


def proxied(port, header, host=HOST, **kw):
    """A POP3 connection from this host (a trusted balancer) that opens
    with header, then reads the greeting."""
    p = POP3(port, host=host, greet=False, **kw)
    p.sendraw(header)
    p.greeting = p.reply()
    return p


def refused_after(port, header, host=HOST, timeout=10.0):
    """Send header and return the first line that comes back: b"" when
    the server closed (or reset) without a byte."""
    s = socket.create_connection((host, int(port)), timeout=timeout)
    data = b""
    try:
        s.sendall(header)
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    finally:
        s.close()
    return data
