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

# Regenerates the expected output of the golden tests: pop3d.conf.N.ok
# from "pop3d -nv -f pop3d.conf.N.in", bad.N.err from "pop3d -n -f
# bad.N.conf", and the same for tls.N.in, tlsbad.N.conf, users.N.in and
# usersbad.N.conf, run on certificate files made by tlsfiles.sh and user
# databases made by usersfiles.sh in a scratch directory that the
# expected output names @CERTDIR@ and @USERSDIR@ again.  Use it only
# after changing on
# purpose what pop3d prints (a new statement, a reworded message) or
# after adding a test file, and read every line of "git diff
# regress/conf" before committing: the files it writes are what
# conf_test.sh holds the daemon to.  Run it as root, as the tests are.
#
# usage: [POP3D=/path/to/pop3d] sh update.sh

POP3D=${POP3D:-/usr/local/sbin/pop3d}
cd "$(dirname "$0")" || exit 1
[ -x "${POP3D}" ] || { echo "no daemon at ${POP3D}" >&2; exit 1; }

for f in pop3d.conf.*.in; do
	if ! "${POP3D}" -nv -f "${f}" >"${f%.in}.ok" 2>/dev/null; then
		echo "${f}: does not parse, ${f%.in}.ok is wrong" >&2
		exit 1
	fi
done
for f in bad.*.conf; do
	if "${POP3D}" -n -f "${f}" >/dev/null 2>"${f%.conf}.err"; then
		echo "${f}: parses, but should not" >&2
		exit 1
	fi
done

# The certificates and databases live only as long as this run.
scratch=/tmp/pop3d-conf-files.$$
trap 'rm -rf "${scratch}"' EXIT
trap 'exit 1' HUP INT TERM
mkdir -m 700 "${scratch}" || exit 1
if ! sh ./tlsfiles.sh "${scratch}/certs"; then
	echo "cannot make the TLS files; tls.*.ok, tlsbad.*.err," \
	    "users.*.ok and usersbad.*.err kept" >&2
	exit 1
fi
if ! sh ./usersfiles.sh "${scratch}/users"; then
	echo "cannot make the user databases; tls.*.ok, tlsbad.*.err," \
	    "users.*.ok and usersbad.*.err kept" >&2
	exit 1
fi
certdir=${scratch}/certs
usersdir=${scratch}/users
for f in tls.*.in tlsbad.*.conf users.*.in usersbad.*.conf; do
	sed -e "s|@CERTDIR@|${certdir}|g" -e "s|@USERSDIR@|${usersdir}|g" \
	    "${f}" >"${scratch}/${f}"
done
for f in tls.*.in users.*.in; do
	if ! (cd "${scratch}" && "${POP3D}" -nv -f "${f}") >"${scratch}/out" \
	    2>/dev/null; then
		echo "${f}: does not parse, ${f%.in}.ok is wrong" >&2
		exit 1
	fi
	sed -e "s|${certdir}|@CERTDIR@|g" -e "s|${usersdir}|@USERSDIR@|g" \
	    "${scratch}/out" >"${f%.in}.ok"
done
for f in tlsbad.*.conf usersbad.*.conf; do
	if (cd "${scratch}" && "${POP3D}" -n -f "${f}") >/dev/null \
	    2>"${scratch}/out"; then
		echo "${f}: parses, but should not" >&2
		exit 1
	fi
	sed -e "s|${certdir}|@CERTDIR@|g" -e "s|${usersdir}|@USERSDIR@|g" \
	    "${scratch}/out" >"${f%.conf}.err"
done
