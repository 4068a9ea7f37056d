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
# which build and check the Debian package of make deb, and
# dovecot-pop3d, the real Dovecot that regress/maildrop/migrate_test.sh
# runs on a port of its own with its own configuration (the package's
# service is never used) so that mpop can keep its mail there before
# pop3ctl migrate uidl moves the maildrop to pop3d, and socat, which
# starts popa3d (below) for each connection as inetd would.
TEST="kyua atf-sh libatf-dev mandoc python3 curl fetchmail mpop gdb openssl
    msmtp haproxy passwd procps iproute2 coreutils fail2ban dpkg-dev
    debhelper lintian dovecot-pop3d socat"

# popa3d, the other real server of migrate_test.sh, for an mbox.  Its
# package conflicts with dovecot-pop3d (both provide pop3-server), so
# it is unpacked under POPA3D_ROOT, not installed, with the account and
# the empty chroot directory its package would make.
POPA3D_ROOT=/opt/popa3d

popa3d_unpack()
{
	[ -x /usr/sbin/popa3d ] || [ -x "${POPA3D_ROOT}/usr/sbin/popa3d" ] &&
	    return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps.sh: run as root to unpack popa3d" >&2
		return 1
	fi
	_t=$(mktemp -d)
	chmod 0755 "${_t}"
	getent passwd _apt >/dev/null && chown _apt "${_t}"
	if ! (cd "${_t}" && apt-get -q download popa3d); then
		apt-get -q update
		(cd "${_t}" && apt-get -q download popa3d)
	fi
	dpkg-deb -x "${_t}"/popa3d_*.deb "${POPA3D_ROOT}"
	rm -rf "${_t}"
	getent passwd popa3d >/dev/null || useradd -r -U -M \
	    -d /var/lib/popa3d -s /usr/sbin/nologin popa3d
	mkdir -p -m 0755 /var/lib/popa3d
	echo "deps.sh: popa3d unpacked in ${POPA3D_ROOT}"
}

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
	popa3d_unpack || echo "deps.sh: no popa3d: a test will skip" >&2
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
# The tests run Dovecot on ports of their own: its package must not
# start the system service on port 110 while it installs.
case " ${missing} " in
*" dovecot-pop3d "*)	dovecot=1 ;;
*)			dovecot= ;;
esac
if [ -n "${dovecot}" ] && [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\n# %s\nexit 101\n' \
	    "regress/deps.sh: no service starts during its install" \
	    >/usr/sbin/policy-rc.d
	chmod 0755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get -q update
apt-get -q -y --no-install-recommends -o Dpkg::Use-Pty=0 install ${missing}
echo "deps.sh: installed:${missing}"
popa3d_unpack || echo "deps.sh: no popa3d: a test will skip" >&2
