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

# Run the whole regress suite (or the test filters given as arguments,
# e.g. "proto/proto_test.sh:retr") with kyua, against the installed
# daemon (POP3D overrides its path).  Prints kyua's report, the details
# of each failed or broken test, and last a single line
#
#	N passed, N failed, N skipped
#
# where an expected failure counts as passed and a broken test as
# failed.  Exits non-zero if any test failed or none ran.

top=$(cd "$(dirname "$0")/.." && pwd)
cd "${top}/regress" || exit 1

if ! command -v kyua >/dev/null 2>&1; then
	echo "run.sh: kyua is not installed; run sh regress/deps.sh" >&2
	echo "0 passed, 0 failed"
	exit 1
fi

tmp=$(mktemp -d /tmp/pop3d-regress.XXXXXXXX) || exit 1
trap 'rm -rf "${tmp}"' EXIT
trap 'exit 130' INT TERM
db=${tmp}/results.db

kyua --logfile="${tmp}/kyua.log" test --results-file="${db}" "$@"
rc=$?

if [ ! -s "${db}" ]; then
	echo "run.sh: kyua ran no test (exit status ${rc})." >&2
	echo "run.sh: a program named in a Kyuafile may be missing;" \
	    "make regress-build builds the unit tests." >&2
	echo "0 passed, 0 failed"
	exit 1
fi

echo
kyua report --results-file="${db}"

# The failures in full: only the per-test sections ("===> prog:case"),
# not the environment dump nor the lists and summary printed above.
kyua report --results-file="${db}" --verbose \
    --results-filter=broken,failed >"${tmp}/verbose" 2>&1
if grep -q '^===> [^ ]*:' "${tmp}/verbose"; then
	echo
	echo "==== Details of failed and broken tests ===="
	awk '/^===> [^ ]*:/ { show = 1; print; next }
	    /^===> / { show = 0; next }
	    show' "${tmp}/verbose"
fi

kyua report --results-file="${db}" \
    --results-filter=passed,skipped,xfail,broken,failed >"${tmp}/all" 2>&1
counts=$(awk '
	/  ->  / {
		$0 = substr($0, index($0, "  ->  ") + 6)
		sub(/[: ].*/, "")
		if ($0 == "passed" || $0 == "expected_failure")
			passed++
		else if ($0 == "failed" || $0 == "broken")
			failed++
		else if ($0 == "skipped")
			skipped++
		else
			failed++
	}
	END { printf "%d %d %d\n", passed, failed, skipped }' "${tmp}/all")
set -- ${counts}
passed=$1
failed=$2
skipped=$3

echo
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "${failed}" -eq 0 ] && [ "${passed}" -gt 0 ] && exit 0
exit 1
