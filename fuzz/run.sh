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

# Run each libFuzzer target for SECONDS, one after the other (one job,
# so that a shared machine keeps its other cores), and print a line a
# target:
#
#	fuzz_pop3: 60 s, 123456 runs, ok
#
# New inputs go to fuzz/findings/<target>/ (not in git), which the next
# run starts from as well as fuzz/corpus/<target>/; a crash is written
# there as crash-* and its report to <target>.log.  Exits non-zero if
# any target found something.
#
#	sh fuzz/run.sh SECONDS fuzz/fuzz_pop3 ...

secs=${1:?usage: run.sh seconds target ...}
shift
top=$(cd "$(dirname "$0")/.." && pwd)
rc=0
summary=

for t in "$@"; do
	name=$(basename "$t")
	corpus=${top}/fuzz/corpus/${name#fuzz_}
	found=${top}/fuzz/findings/${name}
	log=${found}.log
	mkdir -p "${found}"
	"${top}/${t#${top}/}" -max_total_time="${secs}" -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="${found}/" "${found}" "${corpus}" \
	    >"${log}" 2>&1
	st=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "${log}" |
	    tail -1)
	if [ ${st} -eq 0 ]; then
		res=ok
	else
		res="FOUND (exit ${st}; see ${log})"
		rc=1
	fi
	line="${name}: ${secs} s, ${runs:-?} runs, ${res}"
	echo "${line}"
	summary="${summary}${line}
"
done
echo
echo "==== fuzz summary (${secs} s a target) ===="
printf '%s' "${summary}"
exit ${rc}
