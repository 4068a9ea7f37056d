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

# make test: the suite against the normal build (sh regress/run.sh,
# shown as it runs) and, side by side, the command given, the suite
# against the sanitizer build, whose report follows.  Most of a test's
# time is spent waiting on the daemon's timers and delays, so two
# suites together take little longer than one.  Prints each suite's
# own count, and last a single line for both,
#
#	N passed, N failed, N skipped
#
# and exits non-zero if any test of either failed or either ran none.
#
#	sh regress/both.sh COMMAND...

[ $# -ge 1 ] || { echo "usage: sh regress/both.sh COMMAND..." >&2; exit 1; }
top=$(cd "$(dirname "$0")/.." && pwd)

tmp=$(mktemp -d /tmp/pop3d-both.XXXXXXXX) || exit 1
pid=
trap 'rm -rf "${tmp}"' EXIT
trap '[ -n "${pid}" ] && kill -TERM "${pid}" 2>/dev/null; exit 130' INT TERM

"$@" >"${tmp}/second" 2>&1 &
pid=$!
sh "${top}/regress/run.sh" 2>&1 | tee "${tmp}/first"
wait "${pid}"
pid=

echo
echo "==== The suite against the sanitizer build ===="
sed '$d' "${tmp}/second"

# The last line of each: "N passed, N failed, N skipped", or less when
# a suite could not run.
total()
{
	tail -n 1 "$1" | awk '{ p = $1 + 0; f = $3 + 0; s = $5 + 0 }
	    /^[0-9]+ passed, [0-9]+ failed/ { ok = 1 }
	    END { if (!ok || p == 0) f++; printf "%d %d %d\n", p, f, s }'
}
set -- $(total "${tmp}/first") $(total "${tmp}/second")
echo
echo "normal build:    $1 passed, $2 failed, $3 skipped"
echo "sanitizer build: $4 passed, $5 failed, $6 skipped"
echo
echo "$(($1 + $4)) passed, $(($2 + $5)) failed, $(($3 + $6)) skipped"
[ $(($2 + $5)) -eq 0 ] && exit 0
exit 1
