#! /usr/bin/env atf-sh
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

# The Debian package (make deb, etc/deb.sh): built once from a fresh
# copy of this tree into the work directory, then read with dpkg-deb
# and lintian.  It is never installed: that would replace this machine's
# pop3d.  Its postinst runs with adduser, getent and the systemd helpers
# replaced by programs that record how they were called.

db_load()
{
	DB_TOP=$(cd "$(atf_get_srcdir)/../.." && pwd)
	DB_OUT=$(pwd)/out
	DB_DEB=$(pwd)/deb.path
	export DB_TOP DB_OUT
}

# db_build: make deb into the work directory; DB_PKG is the package.
db_build()
{
	db_load
	make -C "${DB_TOP}" deb DEB_OUTDIR="${DB_OUT}" >build.out 2>&1 || {
		tail -n 60 build.out >&2
		atf_fail "make deb failed"
	}
	DB_PKG=$(grep -v '^make' build.out | tail -n 1)
	[ -f "${DB_PKG}" ] || atf_fail "no package at ${DB_PKG}"
	case "${DB_PKG}" in
	"${DB_OUT}"/pop3d_*.deb)	;;
	*)	atf_fail "the package ${DB_PKG} is not in ${DB_OUT}" ;;
	esac
	export DB_PKG
}

atf_test_case package cleanup
package_head()
{
	atf_set descr "make deb builds a package from a copy of the tree: programs, helpers, conffiles, unit, manual pages, a postinst that makes the users, no lintian error; its programs serve a login"
	atf_set require.progs "make dpkg-buildpackage dh lintian dpkg-deb"
	atf_set require.user root
	atf_set timeout 900
}
package_body()
{
	db_load
	# The developer's build is left alone: its programs stay as they
	# are (make deb must not run the tree's clean).
	_before=
	[ -x "${DB_TOP}/pop3d/pop3d" ] &&
	    _before=$(stat -c %Y "${DB_TOP}/pop3d/pop3d")
	db_build
	if [ -n "${_before}" ]; then
		[ -x "${DB_TOP}/pop3d/pop3d" ] ||
		    atf_fail "make deb removed the tree's pop3d/pop3d"
		[ "$(stat -c %Y "${DB_TOP}/pop3d/pop3d")" = "${_before}" ] ||
		    atf_fail "make deb rebuilt the tree's pop3d/pop3d"
	fi

	dpkg-deb -c "${DB_PKG}" | awk '{ print $NF }' | sed 's|^\./|/|' \
	    >contents || atf_fail "dpkg-deb -c failed"
	for f in /usr/sbin/pop3d /usr/sbin/pop3ctl \
	    /usr/libexec/pop3d/pop3d-session \
	    /usr/libexec/pop3d/pop3d-session-tls \
	    /usr/libexec/pop3d/pop3d-auth /usr/libexec/pop3d/pop3d-store \
	    /etc/pop3d.conf /lib/systemd/system/pop3d.service \
	    /etc/fail2ban/filter.d/pop3d.conf \
	    /etc/fail2ban/action.d/pop3d.conf \
	    /etc/fail2ban/jail.d/pop3d.conf \
	    /usr/share/doc/pop3d/copyright; do
		grep -qx "$f" contents || {
			cat contents >&2
			atf_fail "$f is not in the package"
		}
	done
	for page in "${DB_TOP}"/man/*.[58]; do
		_p=${page##*/}
		grep -qx "/usr/share/man/man${_p##*.}/${_p}.gz" contents ||
		    atf_fail "manual page ${_p} is not in the package"
	done
	# Nothing under /usr/local, no directory a package may not own.
	grep -e '^/usr/local' -e '^/var' contents &&
	    atf_fail "the package has files under /usr/local or /var"

	dpkg-deb -I "${DB_PKG}" conffiles >conffiles ||
	    atf_fail "the package has no conffiles"
	for f in /etc/pop3d.conf /etc/fail2ban/filter.d/pop3d.conf \
	    /etc/fail2ban/action.d/pop3d.conf /etc/fail2ban/jail.d/pop3d.conf
	do
		grep -qx "$f" conffiles || atf_fail "$f is not a conffile"
	done
	dpkg-deb -f "${DB_PKG}" Depends | grep -qw adduser ||
	    atf_fail "the package does not depend on adduser"

	mkdir root
	dpkg-deb -x "${DB_PKG}" root || atf_fail "dpkg-deb -x failed"
	atf_check -o match:'^ExecStart=/usr/sbin/pop3d -d$' \
	    grep '^ExecStart=' root/lib/systemd/system/pop3d.service
	cmp -s root/etc/pop3d.conf "${DB_TOP}/etc/pop3d.conf" ||
	    atf_fail "/etc/pop3d.conf is not etc/pop3d.conf"
	# The paths the programs were built with, and they run.
	for s in /usr/libexec/pop3d/pop3d-session /etc/pop3d.conf; do
		grep -q -a -F -e "$s" root/usr/sbin/pop3d ||
		    atf_fail "pop3d was not built with $s"
	done
	atf_check -e match:'configuration OK' \
	    root/usr/sbin/pop3d -n -f root/etc/pop3d.conf

	# lintian: warnings are allowed, errors are not.
	lintian --fail-on error "${DB_PKG}" >lintian.out 2>&1
	_rc=$?
	cat lintian.out >&2
	grep '^E: ' lintian.out && atf_fail "lintian reports errors"
	[ ${_rc} -eq 0 ] || atf_fail "lintian exited ${_rc}"

	db_postinst
	db_serve
}
package_cleanup()
{
	. "$(atf_get_srcdir)/../lib/pop3test.sh"
	p3_cleanup
}

# db_serve: the package's programs, as built with its flags, serve a
# login under their sandboxes.  They look for the helpers in
# /usr/libexec/pop3d, so the daemon runs in a mount namespace of its
# own where the package's directory is mounted there; nothing changes
# outside it.  Where no mount namespace can be made, this is skipped.
db_serve()
{
	if ! unshare -m --propagation private true 2>/dev/null; then
		echo "deb_test: no mount namespace here; the package's" \
		    "programs are not run" >&2
		return 0
	fi
	. "$(atf_get_srcdir)/../lib/pop3test.sh"
	_root=$(pwd)/root
	POP3D=$(pwd)/pop3d-ns
	{
		echo '#!/bin/sh'
		echo "exec unshare -m --propagation private sh -c '" \
		    "mount -t tmpfs -o mode=0755 tmpfs /usr/libexec &&" \
		    "mkdir /usr/libexec/pop3d &&" \
		    "mount --bind ${_root}/usr/libexec/pop3d /usr/libexec/pop3d &&" \
		    "exec ${_root}/usr/sbin/pop3d \"\$@\"' pop3d \"\$@\""
	} >"${POP3D}"
	chmod 0755 "${POP3D}"
	export POP3D
	p3_init
	p3_useradd
	p3_maildir basic
	p3_conf
	p3_start
	p3_py <<'EOF'
from pop3test import *
E = TestEnv()
def main():
    p = E.login(source="127.0.0.1")
    match_all(p, E.seed)
    quit_ok(p)
run(main)
EOF
	p3_stop
}

# db_postinst: the postinst of DB_PKG makes _pop3d and _pop3dauth with
# adduser, once, and leaves existing users alone.
db_postinst()
{
	dpkg-deb -e "${DB_PKG}" control || atf_fail "dpkg-deb -e failed"
	atf_check sh -n control/postinst
	# Stand-ins: getent knows the users listed in "known", adduser
	# records its arguments, the systemd helpers do nothing.
	mkdir bin
	_rec=$(pwd)/calls
	cat >bin/getent <<EOF
#!/bin/sh
[ "\$1" = passwd ] && grep -qx "\$2" "$(pwd)/known"
EOF
	cat >bin/adduser <<EOF
#!/bin/sh
echo "adduser \$*" >>"${_rec}"
EOF
	for p in deb-systemd-helper deb-systemd-invoke systemctl; do
		printf '#!/bin/sh\nexit 0\n' >"bin/$p"
	done
	chmod 0755 bin/*
	: >known
	atf_check env PATH="$(pwd)/bin:${PATH}" sh control/postinst configure
	cat >want <<'EOF'
adduser --system --group --home /var/empty --no-create-home --shell /usr/sbin/nologin --gecos pop3d session --quiet _pop3d
adduser --system --group --home /var/empty --no-create-home --shell /usr/sbin/nologin --gecos pop3d authentication --quiet _pop3dauth
EOF
	atf_check -o file:want cat calls
	# Again, as on an upgrade, with the users there: nothing is made.
	rm calls
	printf '_pop3d\n_pop3dauth\n' >known
	atf_check env PATH="$(pwd)/bin:${PATH}" sh control/postinst configure \
	    0.1
	test -e calls && atf_fail "postinst called adduser for existing" \
	    "users: $(cat calls)"
	# An argument dpkg never passes is refused.
	atf_check -s exit:1 -e match:'unknown argument' \
	    env PATH="$(pwd)/bin:${PATH}" sh control/postinst frobnicate
}

atf_test_case build_depends
build_depends_head()
{
	atf_set descr "debian/control builds with what regress/deps.sh installs: every Build-Depends is in BUILD, every library of BUILD in Build-Depends"
}
build_depends_body()
{
	db_load
	sed -n '/^BUILD="/,/"/p' "${DB_TOP}/regress/deps.sh" |
	    sed 's/^BUILD="//; s/"$//' | tr -s ' \t' '\n\n' | sed '/^$/d' |
	    sort >build
	[ -s build ] || atf_fail "no BUILD list in regress/deps.sh"
	sed -n '/^Build-Depends:/,/^[A-Z]/p' "${DB_TOP}/debian/control" |
	    sed '$d; s/^Build-Depends://' | tr ',' '\n' |
	    sed 's/(.*)//; s/[[:space:]]//g; /^$/d; /^debhelper-compat$/d' |
	    sort >bdeps
	[ -s bdeps ] || atf_fail "no Build-Depends in debian/control"
	# build-essential, and what only checks the code (debian/control).
	printf '%s\n' gcc make libc6-dev bmake clang libclang-rt-14-dev |
	    sort >skip
	comm -23 bdeps build >extra
	comm -23 build skip | comm -23 - bdeps >missing
	[ -s extra ] && atf_fail "Build-Depends not in BUILD: $(cat extra)"
	[ -s missing ] && atf_fail "BUILD not in Build-Depends: $(cat missing)"
	return 0
}

atf_init_test_cases()
{
	atf_add_test_case package
	atf_add_test_case build_depends
}
