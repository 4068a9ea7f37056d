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

# The sanitizer build's tree (make sanitize): a copy of the sources and
# of regress/ under OBJDIR, where the programs and unit tests are built
# with ASan and UBSan, so that neither the objects nor the programs of
# the normal build change.  Usage:
#
#	sh regress/sanitize.sh OBJDIR GENERATED...
#
# GENERATED names what make builds in the tree (programs, unit tests,
# the parser), which is never copied, nor are objects and archives.  A
# file is copied only when it is new or changed, with its times, so that
# make rebuilds only what a change touched.

set -e
[ $# -ge 1 ] || { echo "usage: sh regress/sanitize.sh OBJDIR GENERATED..." >&2;
    exit 1; }
top=$(cd "$(dirname "$0")/.." && pwd)
cd "${top}"
objdir=$1
shift
case "${objdir}" in
/*)	;;
*)	objdir=${top}/${objdir} ;;
esac
skip=" $* "

mkdir -p "${objdir}"
find . \( -path ./.git -o -path ./regress/obj \) -prune -o -type f \
    ! -name '*.o' ! -name '*.a' -print | while read -r f; do
	f=${f#./}
	case "${skip}" in
	*" ${f} "*)	continue ;;
	esac
	if [ ! -e "${objdir}/${f}" ] || [ "${f}" -nt "${objdir}/${f}" ] ||
	    [ "${f}" -ot "${objdir}/${f}" ]; then
		mkdir -p "${objdir}/$(dirname "${f}")"
		cp -p "${f}" "${objdir}/${f}"
	fi
done

# Not the fuzz targets, which are sanitizer builds already, nor the
# crash program, whose thousands of kills are about the files a store
# leaves, not its memory: the suite would take twice as long.
grep -v -e '"crash/' -e '"fuzz/' regress/Kyuafile >"${objdir}/regress/Kyuafile"
# Nor the Debian package, which is built with the normal flags from a
# copy of its own, whichever tree it runs from.
grep -v -e '"deb_test' regress/ops/Kyuafile >"${objdir}/regress/ops/Kyuafile"
