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

# Install pop3d: the programs, the manual pages, the service script
# (rc.d on OpenBSD, a systemd unit on Linux where systemd is), the two
# system users and the empty chroot directory.  Called by "make install"
# as
#
#	sh etc/install.sh DESTDIR SBINDIR LIBEXECDIR MANDIR CHROOTDIR
#
# It may be run again at any time: existing users and directories are
# left as they are.  With DESTDIR set (building a package) it only
# copies files; users belong to the package's install script then.
# The service is installed, never enabled or started; pop3d.conf is
# not touched.

set -e

usage()
{
	echo "usage: sh etc/install.sh DESTDIR SBINDIR LIBEXECDIR MANDIR" \
	    "CHROOTDIR" >&2
	exit 1
}

[ $# -eq 5 ] || usage
destdir=$1
sbindir=$2
libexecdir=$3
mandir=$4
chrootdir=$5
[ -n "${sbindir}" ] && [ -n "${libexecdir}" ] && [ -n "${mandir}" ] &&
    [ -n "${chrootdir}" ] || usage

top=$(cd "$(dirname "$0")/.." && pwd)
cd "${top}"

for p in pop3d/pop3d pop3d-session/pop3d-session \
    pop3d-session/pop3d-session-tls pop3d-auth/pop3d-auth \
    pop3d-store/pop3d-store pop3ctl/pop3ctl; do
	if [ ! -x "$p" ]; then
		echo "install.sh: $p is not built; run make first" >&2
		exit 1
	fi
done

if [ -z "${destdir}" ] && [ "$(id -u)" -ne 0 ]; then
	echo "install.sh: run as root (or set DESTDIR to stage a package)" >&2
	exit 1
fi

echo "installing pop3d into ${destdir}${sbindir}, helpers into" \
    "${destdir}${libexecdir}"
install -d -m 0755 "${destdir}${sbindir}" "${destdir}${libexecdir}"
install -m 0555 pop3d/pop3d "${destdir}${sbindir}/pop3d"
install -m 0555 pop3ctl/pop3ctl "${destdir}${sbindir}/pop3ctl"
install -m 0555 pop3d-session/pop3d-session \
    "${destdir}${libexecdir}/pop3d-session"
install -m 0555 pop3d-session/pop3d-session-tls \
    "${destdir}${libexecdir}/pop3d-session-tls"
install -m 0555 pop3d-auth/pop3d-auth "${destdir}${libexecdir}/pop3d-auth"
install -m 0555 pop3d-store/pop3d-store \
    "${destdir}${libexecdir}/pop3d-store"

for section in 5 8; do
	for page in man/*.${section}; do
		[ -f "${page}" ] || continue
		install -d -m 0755 "${destdir}${mandir}/man${section}"
		install -m 0444 "${page}" "${destdir}${mandir}/man${section}/"
		echo "installed ${destdir}${mandir}/man${section}/${page#man/}"
	done
done

# The service files name the daemon by the path it is installed at.
service_install()
{
	install -d -m 0755 "${destdir}$2"
	sed "s|/usr/local/sbin/pop3d|${sbindir}/pop3d|g" "$1" \
	    >"${destdir}$2/$3.tmp"
	chmod "$4" "${destdir}$2/$3.tmp"
	mv "${destdir}$2/$3.tmp" "${destdir}$2/$3"
	echo "installed ${destdir}$2/$3 (not enabled)"
}

# POP3D_SERVICE=no: a test build under its own prefix (make sanitize),
# whose service file would replace the real one.
case ${POP3D_SERVICE:-yes}:$(uname -s) in
no:*)
	;;
*:OpenBSD)
	service_install etc/rc.d/pop3d /etc/rc.d pop3d 0555
	;;
*:Linux)
	# The vendor unit directory if there is one, else the local one;
	# without systemd there is nothing to install.
	for d in /lib/systemd/system /usr/lib/systemd/system \
	    /etc/systemd/system; do
		if [ -d "${destdir}$d" ] || { [ -n "${destdir}" ] &&
		    [ "$d" = /lib/systemd/system ]; }; then
			service_install etc/pop3d.service "$d" \
			    pop3d.service 0644
			break
		fi
	done
	;;
esac

if [ ! -d "${destdir}${chrootdir}" ]; then
	install -d -m 0755 "${destdir}${chrootdir}"
	echo "created ${destdir}${chrootdir}"
fi
if [ -z "${destdir}" ]; then
	# A chroot directory that anyone but root can write would let that
	# user plant files for the sandboxed session; say so, change nothing.
	set -- $(ls -ldn "${chrootdir}")
	case "$1:$3" in
	d????-??-?:0)	;;
	*)	echo "install.sh: warning: ${chrootdir} should be owned by" \
		    "root and writable by no one else ($1, owner $3)" >&2 ;;
	esac
fi

# The packager creates users on the target system, not here.
[ -n "${destdir}" ] && exit 0

nologin=/usr/sbin/nologin
[ -x "${nologin}" ] || nologin=/sbin/nologin

adduser_system()
{
	if id "$1" >/dev/null 2>&1; then
		return 0
	fi
	case $(uname -s) in
	Linux)
		useradd -r -M -d /var/empty -s "${nologin}" -c "$2" "$1"
		;;
	FreeBSD|DragonFly)
		pw useradd -n "$1" -d /var/empty -s "${nologin}" -c "$2"
		;;
	OpenBSD|NetBSD)
		useradd -g =uid -d /var/empty -s "${nologin}" -c "$2" "$1"
		;;
	*)
		echo "install.sh: create the system user $1 by hand" \
		    "(home /var/empty, no shell)" >&2
		return 1
		;;
	esac
	echo "created system user $1"
}

adduser_system _pop3d "pop3d session"
adduser_system _pop3dauth "pop3d authentication"
exit 0
