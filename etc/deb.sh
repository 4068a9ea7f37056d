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


# Build the Debian package (make deb) in a copy of the tree, so that
# dpkg-buildpackage's clean and build leave the developer's objects and
# programs alone.  Usage:
#
#	sh etc/deb.sh [OUTDIR]
#
# The copy holds the files git knows of or would add (the tracked ones
# and the untracked ones it does not ignore), or without git everything
# but .git and regress/obj; it is made in a fresh directory under
# TMPDIR (default /tmp) and removed afterwards.  The .deb, .buildinfo
# and .changes go to OUTDIR (default regress/obj/deb), and the last
# line printed is the path of the .deb.  Nothing is installed or signed.

set -e

top=$(cd "$(dirname "$0")/.." && pwd)
cd "${top}"
outdir=${1:-regress/obj/deb}
case "${outdir}" in
/*)	;;
*)	outdir=${top}/${outdir} ;;
esac

for p in dpkg-buildpackage dpkg-parsechangelog dh; do
	if ! command -v "$p" >/dev/null 2>&1; then
		echo "deb.sh: $p is missing; run sh regress/deps.sh" \
		    "(dpkg-dev, debhelper)" >&2
		exit 1
	fi
done

version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=pop3d_${version}_${arch}.deb

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pop3d-deb.XXXXXXXX")
trap 'rm -rf "${tmp}"' EXIT
trap 'exit 130' INT TERM
src=${tmp}/pop3d-${version}
mkdir "${src}"

if git -C "${top}" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# A tracked file deleted in the tree is left out.
	git ls-files -co --exclude-standard | while read -r f; do
		[ -e "${f}" ] && printf '%s\n' "${f}"
	done >"${tmp}/files"
	tar -cf - -T "${tmp}/files" | tar -C "${src}" -xf -
else
	tar -cf - --exclude=./.git --exclude=./regress/obj . |
	    tar -C "${src}" -xf -
fi

echo "deb.sh: building pop3d ${version} in ${src}"
(cd "${src}" && dpkg-buildpackage -b --no-sign)

mkdir -p "${outdir}"
for f in "${tmp}"/pop3d*_"${version}"_*; do
	cp "${f}" "${outdir}/"
done
echo "deb.sh: the package is"
echo "${outdir}/${deb}"
