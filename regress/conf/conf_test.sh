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

# pop3d.conf golden tests, after OpenBSD regress/usr.sbin/bgpd/config:
# every pop3d.conf.N.in must print exactly pop3d.conf.N.ok with
# "pop3d -nv", that output must parse again to itself, and every
# bad.N.conf must fail with exactly bad.N.err on stderr.  The daemon is
# the installed one unless POP3D names another.  Files are named
# relative to this directory, since the expected messages quote them.
# tls.N.in and tlsbad.N.conf do the same with certificate files made
# at test time (tlsfiles.sh), whose directory they name as @CERTDIR@,
# and users.N.in and usersbad.N.conf with user databases made at test
# time (usersfiles.sh), named @USERSDIR@.  update.sh regenerates the
# .ok and .err files.

conf_init()
{
	POP3D=${POP3D:-/usr/local/sbin/pop3d}
	[ -x "${POP3D}" ] || atf_fail "no daemon at ${POP3D}; run make install"
	WORK=$(pwd)
	cd "$(atf_get_srcdir)" || atf_fail "no source directory"
}

# Certificates and keys in the work directory, and copies of the TLS
# configurations and their expected output that point at them; the tests
# then run in the work directory, so that messages name the same files.
tls_init()
{
	command -v openssl >/dev/null 2>&1 ||
	    atf_skip "openssl is not installed"
	certdir=${WORK}/certs
	sh ./tlsfiles.sh "${certdir}" || atf_fail "cannot make TLS files"
	for f in tls.*.in tls.*.ok tlsbad.*.conf tlsbad.*.err; do
		sed "s|@CERTDIR@|${certdir}|g" "${f}" >"${WORK}/${f}"
	done
	cd "${WORK}" || atf_fail "no work directory"
}

# User databases in the work directory, and copies of the configurations
# that name them; the tests then run there, as with tls_init.  The one
# that also needs a certificate is left out when openssl is missing.
users_init()
{
	usersdir=${WORK}/users
	sh ./usersfiles.sh "${usersdir}" ||
	    atf_fail "cannot make the user databases"
	certdir=${WORK}/certs
	if command -v openssl >/dev/null 2>&1; then
		sh ./tlsfiles.sh "${certdir}" ||
		    atf_fail "cannot make TLS files"
	else
		certdir=
	fi
	for f in users.*.in users.*.ok usersbad.*.conf usersbad.*.err; do
		[ -z "${certdir}" ] && grep -q @CERTDIR@ "${f}" && continue
		sed -e "s|@USERSDIR@|${usersdir}|g" \
		    -e "s|@CERTDIR@|${certdir}|g" "${f}" >"${WORK}/${f}"
	done
	cd "${WORK}" || atf_fail "no work directory"
}

atf_test_case good
good_head()
{
	atf_set descr "each pop3d.conf.N.in prints exactly pop3d.conf.N.ok with -nv"
	atf_set require.user root
}
good_body()
{
	conf_init
	n=0
	for f in pop3d.conf.*.in; do
		atf_check -s exit:0 -o "file:${f%.in}.ok" \
		    -e inline:"configuration OK\n" "${POP3D}" -nv -f "${f}"
		n=$((n + 1))
	done
	[ ${n} -ge 8 ] || atf_fail "only ${n} golden configurations"
}

atf_test_case reparse
reparse_head()
{
	atf_set descr "the -nv output of each good configuration parses to itself"
	atf_set require.user root
}
reparse_body()
{
	conf_init
	for f in pop3d.conf.*.in; do
		out=${WORK}/${f%.in}.out
		"${POP3D}" -nv -f "${f}" >"${out}" 2>/dev/null ||
		    atf_fail "${f} does not parse"
		atf_check -s exit:0 -o "file:${out}" \
		    -e inline:"configuration OK\n" "${POP3D}" -nv -f "${out}"
	done
}

atf_test_case bad
bad_head()
{
	atf_set descr "each bad.N.conf fails with exactly bad.N.err, all errors at once"
	atf_set require.user root
}
bad_body()
{
	conf_init
	n=0
	for f in bad.*.conf; do
		atf_check -s exit:1 -o empty -e "file:${f%.conf}.err" \
		    "${POP3D}" -n -f "${f}"
		n=$((n + 1))
	done
	[ ${n} -ge 10 ] || atf_fail "only ${n} bad configurations"
}

atf_test_case tls_good
tls_good_head()
{
	atf_set descr "each tls.N.in prints exactly tls.N.ok with -nv, which parses to itself"
	atf_set require.user root
}
tls_good_body()
{
	conf_init
	tls_init
	n=0
	for f in tls.*.in; do
		atf_check -s exit:0 -o "file:${f%.in}.ok" \
		    -e inline:"configuration OK\n" "${POP3D}" -nv -f "${f}"
		atf_check -s exit:0 -o "file:${f%.in}.ok" \
		    -e inline:"configuration OK\n" "${POP3D}" -nv -f "${f%.in}.ok"
		n=$((n + 1))
	done
	[ ${n} -ge 3 ] || atf_fail "only ${n} TLS golden configurations"
}

atf_test_case tls_bad
tls_bad_head()
{
	atf_set descr "each tlsbad.N.conf fails with exactly tlsbad.N.err"
	atf_set require.user root
}
tls_bad_body()
{
	conf_init
	tls_init
	n=0
	for f in tlsbad.*.conf; do
		atf_check -s exit:1 -o empty -e "file:${f%.conf}.err" \
		    "${POP3D}" -n -f "${f}"
		n=$((n + 1))
	done
	[ ${n} -ge 1 ] || atf_fail "no bad TLS configuration"
}

atf_test_case tls_key_owner
tls_key_owner_head()
{
	atf_set descr "the key belongs to root or to the user running pop3d, no one else"
	atf_set require.user root
}
tls_key_owner_body()
{
	conf_init
	tls_init
	printf 'listen on 127.0.0.1 tls\ntls certificate "%s" key "%s"\n' \
	    "${certdir}/cert.pem" "${certdir}/key.pem" >owner.conf
	atf_check -s exit:0 -o empty -e inline:"configuration OK\n" \
	    "${POP3D}" -n -f owner.conf
	# Any other owner is refused, even with mode 0600.
	chown 65534 "${certdir}/key.pem"
	atf_check -s exit:1 -o empty \
	    -e inline:"owner.conf:2: key file ${certdir}/key.pem is owned by uid 65534, not by root\n" \
	    "${POP3D}" -n -f owner.conf
	# pop3d -n run by that user accepts it: the key is its own.
	command -v setpriv >/dev/null 2>&1 || atf_skip "no setpriv"
	chmod 755 "${WORK}" "${certdir}"
	chmod 644 owner.conf "${certdir}/cert.pem"
	asnobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
	${asnobody} test -r owner.conf ||
	    atf_skip "uid 65534 cannot reach the work directory"
	atf_check -s exit:0 -o empty -e inline:"configuration OK\n" \
	    ${asnobody} "${POP3D}" -n -f owner.conf
	# It refuses a key of a third user, even one it can read.
	chown 1 "${certdir}/key.pem"
	chmod 604 "${certdir}/key.pem"
	atf_check -s exit:1 -o empty \
	    -e inline:"owner.conf:2: key file ${certdir}/key.pem is owned by uid 1, neither root nor uid 65534\n" \
	    ${asnobody} "${POP3D}" -n -f owner.conf
}

atf_test_case users_good
users_good_head()
{
	atf_set descr "each users.N.in prints exactly users.N.ok with -nv, which parses to itself"
	atf_set require.user root
}
users_good_body()
{
	conf_init
	users_init
	n=0
	for f in users.*.in; do
		atf_check -s exit:0 -o "file:${f%.in}.ok" \
		    -e inline:"configuration OK\n" "${POP3D}" -nv -f "${f}"
		atf_check -s exit:0 -o "file:${f%.in}.ok" \
		    -e inline:"configuration OK\n" "${POP3D}" -nv -f "${f%.in}.ok"
		n=$((n + 1))
	done
	[ ${n} -ge 2 ] || atf_fail "only ${n} users golden configurations"
}

atf_test_case users_bad
users_bad_head()
{
	atf_set descr "each usersbad.N.conf fails with exactly usersbad.N.err"
	atf_set require.user root
}
users_bad_body()
{
	conf_init
	users_init
	n=0
	for f in usersbad.*.conf; do
		atf_check -s exit:1 -o empty -e "file:${f%.conf}.err" \
		    "${POP3D}" -n -f "${f}"
		n=$((n + 1))
	done
	[ ${n} -ge 3 ] || atf_fail "only ${n} bad users configurations"
}

atf_test_case users_nonroot
users_nonroot_head()
{
	atf_set descr "pop3d -n run by another user judges the database the same way"
	atf_set require.user root
}
users_nonroot_body()
{
	conf_init
	users_init
	command -v setpriv >/dev/null 2>&1 || atf_skip "no setpriv"
	printf 'listen on 127.0.0.1\nusers file "%s" mailuser "nobody" %s\n' \
	    "${usersdir}/users" 'maildrop maildir "/var/vmail/%u"' >nonroot.conf
	chmod 755 "${WORK}"
	chmod 644 nonroot.conf
	asnobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
	${asnobody} test -r nonroot.conf ||
	    atf_skip "uid 65534 cannot reach the work directory"
	# It cannot look into the directory, and says so.
	atf_check -s exit:1 -o empty \
	    -e inline:"nonroot.conf:2: users file ${usersdir}/users: Permission denied\n" \
	    ${asnobody} "${POP3D}" -n -f nonroot.conf
	# Given a look, it accepts the file, which it does not own.
	chmod 711 "${usersdir}"
	atf_check -s exit:0 -o empty -e inline:"configuration OK\n" \
	    ${asnobody} "${POP3D}" -n -f nonroot.conf
	# The owner stays _pop3dauth or root, whoever runs pop3d -n.
	chown 65534 "${usersdir}/users"
	atf_check -s exit:1 -o empty \
	    -e inline:"nonroot.conf:2: users file ${usersdir}/users is owned by uid 65534, not _pop3dauth\n" \
	    ${asnobody} "${POP3D}" -n -f nonroot.conf
}

atf_test_case access_warnings
access_warnings_head()
{
	atf_set descr "host bits under a mask and lines without effect in the mode are warnings"
	atf_set require.user root
}
access_warnings_body()
{
	conf_init
	f=access-warn.conf
	atf_check -s exit:0 \
	    -o match:'^access default deny$' \
	    -o match:'^deny 10\.0\.0\.0/8$' \
	    -o match:'^deny 156\.21\.50\.0/24$' \
	    -o match:'^grant 192\.0\.2\.1$' \
	    -o match:'^deny 2001:db8::/32$' \
	    -o match:'^grant 198\.51\.100\.0/24$' \
	    -e inline:"\
${f}:4: deny 10.1.2.3/8: host bits set, using 10.0.0.0/8
${f}:5: deny 156.21.50.7/255.255.255.0: host bits set, using 156.21.50.0/24
${f}:7: deny ::ffff:10.1.2.3/104: host bits set, using 10.0.0.0/8
${f}:8: deny 2001:db8::1/32: host bits set, using 2001:db8::/32
${f}:10: grant 198.51.100.1/24: host bits set, using 198.51.100.0/24
${f}:4: deny 10.0.0.0/8: no effect under access default deny
${f}:5: deny 156.21.50.0/24: no effect under access default deny
${f}:7: deny 10.0.0.0/8: no effect under access default deny
${f}:8: deny 2001:db8::/32: no effect under access default deny
configuration OK
" \
	    "${POP3D}" -nv -f "${f}"
	# Printed back, the rules are clean; only the useless ones warn.
	out=${WORK}/access-warn.out
	"${POP3D}" -nv -f "${f}" >"${out}" 2>/dev/null
	n=$(grep -n '^access default' "${out}" | cut -d: -f1)
	atf_check -s exit:0 -o "file:${out}" -e inline:"\
${out}:$((n + 1)): deny 10.0.0.0/8: no effect under access default deny
${out}:$((n + 2)): deny 156.21.50.0/24: no effect under access default deny
${out}:$((n + 4)): deny 10.0.0.0/8: no effect under access default deny
${out}:$((n + 5)): deny 2001:db8::/32: no effect under access default deny
configuration OK
" \
	    "${POP3D}" -nv -f "${out}"
}

atf_test_case missing
missing_head()
{
	atf_set descr "a configuration file that cannot be read is named"
	atf_set require.user root
}
missing_body()
{
	conf_init
	atf_check -s exit:1 -o empty \
	    -e inline:"nosuch.conf: No such file or directory\n" \
	    "${POP3D}" -n -f nosuch.conf
	atf_check -s exit:1 -o empty -e inline:".: not a regular file\n" \
	    "${POP3D}" -n -f .
}

atf_test_case sample
sample_head()
{
	atf_set descr "the example configuration file we ship is ok"
	atf_set require.user root
}
sample_body()
{
	conf_init
	sample=../../etc/pop3d.conf
	[ -f "${sample}" ] || atf_fail "no ${sample}"
	atf_check -s exit:0 -o empty -e inline:"configuration OK\n" \
	    "${POP3D}" -n -f "${sample}"
	# It listens on IPv4 loopback only, so it works without IPv6.
	"${POP3D}" -nv -f "${sample}" >"${WORK}/sample.out" 2>/dev/null
	atf_check -s exit:0 -o inline:"listen on 127.0.0.1 port 110\n" \
	    grep '^listen' "${WORK}/sample.out"
	atf_check -s exit:0 -o "file:${WORK}/sample.out" -e inline:"configuration OK\n" \
	    "${POP3D}" -nv -f "${WORK}/sample.out"
	# Its commented-out statements are valid too (bar the include of a
	# file that need not exist); later ones override earlier ones.
	# The certificate and key it names are made here; without openssl,
	# the statements that need them are left out.
	if command -v openssl >/dev/null 2>&1; then
		certdir=${WORK}/certs
		sh ./tlsfiles.sh "${certdir}" || atf_fail "cannot make TLS files"
		tlsfix="s|\"/etc/ssl/pop3d.crt\"|\"${certdir}/cert.pem\"|;
		    s|\"/etc/ssl/private/pop3d.key\"|\"${certdir}/key.pem\"|"
		tlsmatch='^listen on 127\.0\.0\.1 port 995 tls$'
	else
		tlsfix='/^#tls certificate /d; /^#listen .* tls$/d'
		tlsmatch='^plaintext-auth no$'
	fi
	# The same for the user database, and a mail user that exists.
	usersdir=${WORK}/users
	sh ./usersfiles.sh "${usersdir}" ||
	    atf_fail "cannot make the user databases"
	usersfix="s|\"/etc/pop3d/users\" mailuser \"_vmail\"|\"${usersdir}/users\" mailuser \"nobody\"|"
	# The submission program need not be installed: a stand-in, so that
	# it does not warn.
	xmitprog=/usr/sbin/sendmail
	if ! [ -f "${xmitprog}" ] || ! [ -x "${xmitprog}" ]; then
		xmitprog=${WORK}/sendmail
		printf '#!/bin/sh\nexit 0\n' >"${xmitprog}"
		chmod 755 "${xmitprog}"
	fi
	xmitfix="s|sendmail \"/usr/sbin/sendmail |sendmail \"${xmitprog} |"
	uc=${WORK}/uncommented.conf
	sed -e "${tlsfix}" -e "${usersfix}" -e "${xmitfix}" \
	    -e 's/^#\([a-z]\)/\1/' \
	    -e '/^include /d' "${sample}" >"${uc}"
	# It shows both access modes; the later, deny, leaves the deny
	# lines without effect.
	d1=$(grep -n '^deny 156\.21\.50\.0/255\.255\.255\.0$' "${uc}" | cut -d: -f1)
	d2=$(grep -n '^deny 2001:db8:bad::/48$' "${uc}" | cut -d: -f1)
	[ -n "${d1}" ] && [ -n "${d2}" ] ||
	    atf_fail "the sample lost its deny lines"
	atf_check -s exit:0 -o match:'^listen on :: port 110$' \
	    -o match:'^maildrop mbox "/var/mail/%u"$' \
	    -o match:"${tlsmatch}" \
	    -o match:'^listen on 127\.0\.0\.1 port 106 poppass$' \
	    -o match:'^users system min-uid 1000$' \
	    -o match:"^users file \"${usersdir}/users\" mailuser \"nobody\" maildrop maildir \"/var/vmail/%u\"\$" \
	    -o match:'^apop yes$' \
	    -o match:'^access default deny$' \
	    -o match:'^grant 127\.0\.0\.0/8$' \
	    -o match:'^penalty none$' \
	    -o match:"^xtnd-xmit yes sendmail \"${xmitprog} -i -t\" max-size 10M\$" \
	    -e inline:"\
${uc}:${d1}: deny 156.21.50.0/24: no effect under access default deny
${uc}:${d2}: deny 2001:db8:bad::/48: no effect under access default deny
configuration OK
" \
	    "${POP3D}" -nv -f "${uc}"
}

atf_test_case define
define_head()
{
	atf_set descr "-D sets a macro and overrides the file's definition"
	atf_set require.user root
}
define_body()
{
	conf_init
	atf_check -s exit:0 -o match:'^listen on 127\.0\.0\.1 port 1100$' \
	    -o match:'^banner "Test server"$' -o match:'^max-sessions 20$' \
	    -e inline:"configuration OK\n" "${POP3D}" -nv -f macros.conf
	atf_check -s exit:0 -o match:'^listen on ::1 port 1200$' \
	    -o match:'^banner "Overridden, with spaces"$' \
	    -o match:'^max-sessions 20$' -e inline:"configuration OK\n" \
	    "${POP3D}" -nv -D addr=::1 -D pop3port=1200 \
	    -D 'greeting=Overridden, with spaces' -f macros.conf
	# A value is one value: it cannot add words to a statement.
	atf_check -s exit:1 -o empty -e inline:"macros.conf:7: syntax error\n" \
	    "${POP3D}" -n -D 'pop3port=1100 port 1200' -f macros.conf
	atf_check -s exit:1 -o empty \
	    -e match:'could not parse macro definition' \
	    "${POP3D}" -n -D novalue -f macros.conf
	atf_check -s exit:1 -o empty \
	    -e match:'could not parse macro definition' \
	    "${POP3D}" -n -D 'bad-name=1' -f macros.conf
	atf_check -s exit:1 -o empty \
	    -e match:'could not parse macro definition' \
	    "${POP3D}" -n -D 'port=1' -f macros.conf
}

atf_test_case unused
unused_head()
{
	atf_set descr "-v warns about macros that are defined but not used"
	atf_set require.user root
}
unused_body()
{
	conf_init
	atf_check -s exit:0 -o ignore \
	    -e inline:"-D extra: macro not used\nconfiguration OK\n" \
	    "${POP3D}" -nv -D extra=1 -f macros.conf
	atf_check -s exit:0 -o empty -e inline:"configuration OK\n" \
	    "${POP3D}" -n -D extra=1 -f macros.conf
	atf_check -s exit:0 -o ignore \
	    -e inline:"unused.conf:2: macro \"spare\" not used\nconfiguration OK\n" \
	    "${POP3D}" -nv -f unused.conf
}

atf_test_case banner_long
banner_long_head()
{
	atf_set descr "a banner over 400 characters warns and keeps the default"
	atf_set require.user root
}
banner_long_body()
{
	conf_init
	atf_check -s exit:0 -o match:'^banner ""$' \
	    -e inline:"banner-long.conf:3: banner longer than 400 characters, using the default\nconfiguration OK\n" \
	    "${POP3D}" -nv -f banner-long.conf
	atf_check -s exit:0 -o empty \
	    -e inline:"banner-long.conf:3: banner longer than 400 characters, using the default\nconfiguration OK\n" \
	    "${POP3D}" -n -f banner-long.conf
}

atf_test_case idle_short
idle_short_head()
{
	atf_set descr "timeout idle below RFC 1939's 10 minutes warns but is used"
	atf_set require.user root
}
idle_short_body()
{
	conf_init
	atf_check -s exit:0 -o match:'^timeout idle 5$' \
	    -e inline:"idle-short.conf:3: timeout idle below 600 seconds, RFC 1939 wants at least 10 minutes\nconfiguration OK\n" \
	    "${POP3D}" -nv -f idle-short.conf
}

atf_test_case xmit_default
xmit_default_head()
{
	atf_set descr "xtnd-xmit yes alone takes the default program and size"
	atf_set require.user root
}
xmit_default_body()
{
	conf_init
	f=xmit-default.conf
	prog=/usr/sbin/sendmail
	# Whether it warns depends on the MTA installed here.
	if [ -f "${prog}" ] && [ -x "${prog}" ]; then
		err="configuration OK\n"
	elif [ ! -e "${prog}" ] && [ ! -L "${prog}" ]; then
		err="${f}:4: xtnd-xmit sendmail ${prog}: No such file or directory\nconfiguration OK\n"
	else
		err=
	fi
	if [ -n "${err}" ]; then
		errcheck="inline:${err}"
	else
		errcheck="match:^configuration OK$"
	fi
	atf_check -s exit:0 \
	    -o match:'^xtnd-xmit yes sendmail "/usr/sbin/sendmail -i -t" max-size 10M$' \
	    -e "${errcheck}" "${POP3D}" -nv -f "${f}"
	out=${WORK}/xmit-default.out
	"${POP3D}" -nv -f "${f}" >"${out}" 2>/dev/null ||
	    atf_fail "${f} does not parse"
	atf_check -s exit:0 -o "file:${out}" -e match:'^configuration OK$' \
	    "${POP3D}" -nv -f "${out}"
	# Off unless asked for.
	atf_check -s exit:0 -o match:'^xtnd-xmit no$' \
	    -e inline:"configuration OK\n" "${POP3D}" -nv -f pop3d.conf.1.in
}

atf_test_case xmit_sizes
xmit_sizes_head()
{
	atf_set descr "xtnd-xmit max-size prints in the largest exact unit and parses back"
	atf_set require.user root
}
xmit_sizes_body()
{
	conf_init
	cd "${WORK}" || atf_fail "no work directory"
	for t in 1:1 1023:1023 1024:1K 1025:1025 0001K:1K 1536K:1536K \
	    1024K:1M 2048K:2M 1048576:1M 1049600:1025K 64M:64M 65536K:64M \
	    67108864:64M 67108863:67108863; do
		given=${t%%:*}
		printed=${t#*:}
		printf 'listen on 127.0.0.1\nxtnd-xmit yes max-size %s sendmail "/bin/sh"\n' \
		    "${given}" >size.conf
		"${POP3D}" -nv -f size.conf >size.out 2>/dev/null ||
		    atf_fail "max-size ${given} does not parse"
		atf_check -s exit:0 \
		    -o inline:"xtnd-xmit yes sendmail \"/bin/sh\" max-size ${printed}\n" \
		    grep '^xtnd-xmit' size.out
		atf_check -s exit:0 -o file:size.out \
		    -e inline:"configuration OK\n" "${POP3D}" -nv -f size.out
	done
}

atf_test_case xmit_warnings
xmit_warnings_head()
{
	atf_set descr "a sendmail program that cannot run now warns, and is kept"
	atf_set require.user root
}
xmit_warnings_body()
{
	conf_init
	cd "${WORK}" || atf_fail "no work directory"
	mkdir dir
	: >noexec
	chmod 644 noexec
	printf '#!/bin/sh\nexit 0\n' >submit
	chmod 755 submit
	{
		echo 'listen on 127.0.0.1'
		for p in nosuch dir noexec submit; do
			echo "xtnd-xmit yes sendmail \"${WORK}/${p} -t\""
		done
		echo "xtnd-xmit yes sendmail \"${WORK}/noexec\""
	} >warn.conf
	atf_check -s exit:0 \
	    -o match:"^xtnd-xmit yes sendmail \"${WORK}/noexec\" max-size 10M\$" \
	    -e inline:"\
warn.conf:2: xtnd-xmit sendmail ${WORK}/nosuch: No such file or directory
warn.conf:3: xtnd-xmit sendmail ${WORK}/dir: not a regular file
warn.conf:4: xtnd-xmit sendmail ${WORK}/noexec: not executable
warn.conf:6: xtnd-xmit sendmail ${WORK}/noexec: not executable
configuration OK
" \
	    "${POP3D}" -nv -f warn.conf
	# Turned off, the (default) program is not looked at.
	printf 'listen on 127.0.0.1\nxtnd-xmit no\n' >off.conf
	atf_check -s exit:0 -o empty -e inline:"configuration OK\n" \
	    "${POP3D}" -n -f off.conf
}

atf_test_case hostname
hostname_head()
{
	atf_set descr "a host name listens on each of its addresses"
	atf_set require.user root
}
hostname_body()
{
	conf_init
	getent hosts localhost >/dev/null ||
	    atf_skip "localhost does not resolve here"
	"${POP3D}" -nv -f localhost.conf >"${WORK}/localhost.out" 2>/dev/null
	atf_check -s exit:0 -o match:'^listen on 127\.0\.0\.1 port 1110$' \
	    cat "${WORK}/localhost.out"
	# Whatever else localhost is (::1 in many /etc/hosts), it is loopback.
	atf_check -s exit:1 -o empty sh -c "grep '^listen' '${WORK}/localhost.out' |
	    grep -v -E '^listen on (127\\.0\\.0\\.1|::1) port 1110\$'"
	atf_check -s exit:0 -o "file:${WORK}/localhost.out" \
	    -e inline:"configuration OK\n" "${POP3D}" -nv -f "${WORK}/localhost.out"
}

atf_init_test_cases()
{
	atf_add_test_case good
	atf_add_test_case reparse
	atf_add_test_case bad
	atf_add_test_case tls_good
	atf_add_test_case tls_bad
	atf_add_test_case tls_key_owner
	atf_add_test_case users_good
	atf_add_test_case users_bad
	atf_add_test_case users_nonroot
	atf_add_test_case access_warnings
	atf_add_test_case missing
	atf_add_test_case sample
	atf_add_test_case define
	atf_add_test_case unused
	atf_add_test_case banner_long
	atf_add_test_case idle_short
	atf_add_test_case hostname
	atf_add_test_case xmit_default
	atf_add_test_case xmit_sizes
	atf_add_test_case xmit_warnings
}
