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

# Makes the user database files that the golden tests users.N.in and
# usersbad.N.conf name as @USERSDIR@/...: pop3d wants a database owned
# by _pop3dauth with no access for group or other, which no
# checked-out file can promise, so they are made at test time, by
# conf_test.sh and update.sh alike.  Only their metadata matters to the
# parser, so they are empty.  Run as root, after "make install" has
# created _pop3dauth.
#
# usage: sh usersfiles.sh DIR	(DIR must not exist yet)

set -e

[ $# -eq 1 ] || { echo "usage: sh usersfiles.sh DIR" >&2; exit 2; }
id _pop3dauth >/dev/null 2>&1 ||
    { echo "no user _pop3dauth: run make install" >&2; exit 1; }
mkdir -m 700 "$1"
cd "$1"

# users and users-0400 are accepted: owned by the user pop3d-auth runs
# as, no access for group or other.  users-root is refused: pop3d-auth
# could not read it.
for f in users users-0400 users-root; do
	: >"${f}"
	chmod 600 "${f}"
done
chown _pop3dauth users users-0400
chmod 400 users-0400

# Refused: modes that give group or other any access, another owner,
# and what is not a regular file (a FIFO must not hang the parser).
for mode in 0644 0640 0602 0610; do
	: >"users-${mode}"
	chown _pop3dauth "users-${mode}"
	chmod "${mode}" "users-${mode}"
done
: >users-nobody
chmod 600 users-nobody
chown 65534 users-nobody
ln -s users users-link
mkdir -m 700 users-dir
mkfifo -m 600 users-fifo
