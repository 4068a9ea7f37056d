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

# Install what building and testing pop3d needs, on Debian: only the
# packages that are missing, and "apt-get update" only when one is.
# Works unattended (CI=true, no terminal).  "make deps" runs it, and
# "make test" and "make demo" run that first.

set -e

# Build: compiler, libraries, parser generator; bmake and clang check
# that the Makefile and the code are not GNU- or GCC-only; clang with
# libclang-rt-14-dev (libFuzzer and the sanitizer runtimes) builds the
# fuzz targets that make regress-build builds too.
BUILD="gcc make libc6-dev pkg-config byacc bmake clang libclang-rt-14-dev
    libbsd-dev libevent-dev libseccomp-dev libtls-dev libmd-dev
    libcrypt-dev"
# Tests: kyua and atf, manual page lint, the Python client, curl,
# fetchmail and mpop as real clients, gdb for the seccomp test, openssl
# for the test certificates and s_client (make demo makes its
# certificate with it too), msmtp as the real submission program behind
# XTND XMIT, haproxy as the real load balancer in front of
# proxy-protocol listeners (the tests run their own, never the
# service), the user, process and socket tools the helpers call,
# fail2ban, whose fail2ban-regex and server read the log with the filter
# and run the action of etc/fail2ban (no service of its own is started:
# the test runs its own server), and dpkg-dev, debhelper and lintian,
# which build and check the Debian package of make deb.
TEST="kyua atf-sh libatf-dev mandoc python3 curl fetchmail mpop gdb openssl
    msmtp haproxy passwd procps iproute2 coreutils fail2ban dpkg-dev
    debhelper lintian"

# The nfs case of regress/maildrop/shared_test.sh serves a Maildir over
# NFS on loopback: nfs-kernel-server only where the kernel has an NFS
# server (CI containers often have none; the case then skips).
NFS=
if grep -qw nfsd /proc/filesystems 2>/dev/null ||
    { command -v modprobe >/dev/null 2>&1 &&
    modprobe -n nfsd >/dev/null 2>&1; }; then
	NFS=nfs-kernel-server
fi

PKGS=$(echo ${BUILD} ${TEST} ${NFS})

if [ ! -f /etc/debian_version ] || ! command -v dpkg >/dev/null 2>&1 ||
    ! command -v apt-get >/dev/null 2>&1; then
	echo "deps.sh: this is not Debian; nothing installed." >&2
	echo "deps.sh: pop3d needs the equivalents of: ${PKGS}" >&2
	exit 0
fi

missing=
for p in ${PKGS}; do
	if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed$'
	then
		missing="${missing} $p"
	fi
done

if [ -z "${missing}" ]; then
	echo "deps.sh: all build and test dependencies are installed"
	exit 0
fi

echo "deps.sh: missing:${missing}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: run as root to install them, or run:" >&2
	echo "    apt-get install${missing}" >&2
	exit 1
fi

DEBIAN_FRONTEND=noninteractive
export DEBIAN_FRONTEND
apt-get -q update
apt-get -q -y --no-install-recommends -o Dpkg::Use-Pty=0 install ${missing}
echo "deps.sh: installed:${missing}"
