#!/bin/sh
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

# Makes the certificate, key and chain files that the TLS golden tests
# (tls.N.in, tlsbad.N.conf) name as @CERTDIR@/...: pop3d wants a key
# owned by root with mode 0600, which no checked-out file can promise,
# so they are made at test time, by conf_test.sh and update.sh alike.
# Run as root: one key must belong to another user.
#
# usage: sh tlsfiles.sh DIR	(DIR must not exist yet)

set -e

[ $# -eq 1 ] || { echo "usage: sh tlsfiles.sh DIR" >&2; exit 2; }
command -v openssl >/dev/null 2>&1 || { echo "no openssl" >&2; exit 1; }
mkdir -m 700 "$1"
cd "$1"

# A self-signed pair; the test only parses, so one pair does for all.
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 2 \
    -keyout key.pem -out cert.pem 2>/dev/null
chmod 600 key.pem
cp cert.pem chain.pem

# Accepted: text before the PEM block, as "openssl x509 -text" writes
# it; a key reached through a symbolic link, as certbot lays them out; a
# chain of exactly TLS_PEM_MAX (256 KiB) bytes.
openssl x509 -in cert.pem -text -out cert-text.pem
ln -s key.pem key-link.pem
cp cert.pem chain-max.pem
truncate -s 262144 chain-max.pem

# Refused: DER rather than PEM, empty, one byte too large, a FIFO (which
# must not hang the parser), and keys that are not secret.
openssl x509 -in cert.pem -outform DER -out cert.der
openssl pkey -in key.pem -outform DER -out key.der
chmod 600 key.der
: >empty.pem
cp cert.pem big.pem
truncate -s 262145 big.pem
mkfifo fifo.pem
for mode in 0644 0640 0602; do
	cp key.pem "key-${mode}.pem"
	chmod "${mode}" "key-${mode}.pem"
done
cp key.pem key-nobody.pem
chmod 600 key-nobody.pem
chown 65534 key-nobody.pem
