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

# The demo ("make demo"): a system user pop3demo (password pop3demo)
# with a Maildir of a few messages, a self-signed certificate in
# /etc/pop3d-demo, and the installed pop3d in the foreground with
# protocol traces on: 127.0.0.1 port 1110 (POP3, STLS offered) and port
# 1995 (implicit TLS).  Stop it with ^C.  Run it again at any time: the
# user is kept, the Maildir is refilled only when it is empty, and the
# certificate is made again only when it is missing or about to expire.

set -e

POP3D=${POP3D:-/usr/local/sbin/pop3d}
POP3CTL=${POP3CTL:-/usr/local/sbin/pop3ctl}
user=pop3demo
pass=pop3demo
# A user of pop3d's own database, with a password and an APOP secret;
# its mail belongs to the system user above.
vuser=apopdemo
vpass=apopdemo-pw
vsecret=apopdemo-secret
port=1110
tlsport=1995
certdir=/etc/pop3d-demo
cert=${certdir}/cert.pem
key=${certdir}/key.pem

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: run as root: it creates a system user" >&2
	exit 1
fi
if [ ! -x "${POP3D}" ]; then
	echo "demo.sh: no pop3d at ${POP3D}; run make install first" >&2
	exit 1
fi
if ! command -v openssl >/dev/null 2>&1; then
	echo "demo.sh: openssl is missing; run sh regress/deps.sh" >&2
	exit 1
fi

nologin=/usr/sbin/nologin
[ -x "${nologin}" ] || nologin=/sbin/nologin

if ! id "${user}" >/dev/null 2>&1; then
	useradd -m -d "/home/${user}" -s "${nologin}" -c "pop3d demo" "${user}"
	echo "demo.sh: created the system user ${user}"
fi
printf '%s:%s\n' "${user}" "${pass}" | chpasswd
home=$(getent passwd "${user}" | cut -d: -f6)
maildir=${home}/Maildir

mkdir -p "${home}"
chown "${user}:" "${home}"
for d in "${maildir}" "${maildir}/cur" "${maildir}/new" "${maildir}/tmp"; do
	[ -d "$d" ] || mkdir -m 0700 "$d"
done

# msg N SUBJECT: a message from standard input, as a delivery agent
# writes one: into tmp/, then renamed into new/.
msg()
{
	name="$(date +%s).P$$Q$1.demo"
	{
		echo "From: pop3d demo <demo@localhost>"
		echo "To: ${user}@localhost"
		echo "Subject: $2"
		echo "Date: $(LC_ALL=C date -R)"
		echo "Message-ID: <demo-$1-$$@localhost>"
		echo "MIME-Version: 1.0"
		echo "Content-Type: text/plain; charset=utf-8"
		echo
		cat
	} >"${maildir}/tmp/${name}"
	mv "${maildir}/tmp/${name}" "${maildir}/new/${name}"
}

count=$(find "${maildir}/new" "${maildir}/cur" -type f | wc -l)
if [ "${count}" -eq 0 ]; then
	msg 1 "Welcome to pop3d" <<EOF
Hello ${user},

this message was delivered into ~/Maildir by etc/demo.sh and is served
by pop3d: the session that sends it to you runs as _pop3d, chrooted
and under seccomp, and the maildrop is read by pop3d-store running as
${user}, chrooted to the Maildir.
EOF
	msg 2 "Lines that start with a dot" <<'EOF'
POP3 ends a message with a line holding a single dot, so a server
must double every leading dot on the wire and a client must undo it.
The next lines start with dots:
.
..
.hidden
... and this one too.
EOF
	msg 3 "8-bit text: Grüße, café, naïve" <<'EOF'
This message has UTF-8 in its Subject and here: Grüße aus Berlin.
Its size in LIST is counted in octets, with CR LF line ends.
EOF
	i=1
	while [ $i -le 30 ]; do
		echo "Line $i of a longer message: try TOP 4 5 to see only five."
		i=$((i + 1))
	done | msg 4 "A longer message for TOP"
	echo "demo.sh: put 4 messages into ${maildir}"
else
	echo "demo.sh: ${maildir} already holds ${count} messages"
fi
chown -R "${user}:" "${maildir}"

# A self-signed certificate for 127.0.0.1 and localhost.  pop3d reads
# the key as root and refuses it unless root owns it and it is 0600.
if [ ! -s "${cert}" ] || [ ! -s "${key}" ] ||
    ! openssl x509 -checkend 86400 -noout -in "${cert}" >/dev/null 2>&1
then
	mkdir -p "${certdir}"
	chmod 0755 "${certdir}"
	rm -f "${cert}" "${key}"
	( umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
	    -subj "/CN=localhost" \
	    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
	    -keyout "${key}" -out "${cert}" ) >/dev/null 2>&1 || {
		echo "demo.sh: openssl req failed" >&2
		exit 1
	}
	chmod 0644 "${cert}"
	echo "demo.sh: made a self-signed certificate, ${cert}"
fi
chown 0:0 "${cert}" "${key}"
chmod 0600 "${key}"
fingerprint=$(openssl x509 -noout -fingerprint -sha256 -in "${cert}" |
    sed 's/^[^=]*=//')

for p in "${port}" "${tlsport}"; do
	if command -v ss >/dev/null 2>&1 &&
	    ss -Htln "sport = :${p}" 2>/dev/null | grep -q .; then
		echo "demo.sh: port ${p} is in use; is a demo already running?" >&2
		exit 1
	fi
done

# The own database: made anew each run, owned by _pop3dauth, mode 0600.
usersdb=${certdir}/users
rm -f "${usersdb}"
install -o _pop3dauth -m 600 /dev/null "${usersdb}"
printf '%s\n' "${vpass}" | "${POP3CTL}" -u "${usersdb}" user add "${vuser}"
printf '%s\n' "${vsecret}" | "${POP3CTL}" -u "${usersdb}" user apop "${vuser}"
vmaildir=${home}/virtual/${vuser}
if [ ! -d "${vmaildir}/cur" ]; then
	mkdir -p "${vmaildir}/cur" "${vmaildir}/new" "${vmaildir}/tmp"
	printf 'From: pop3d demo <demo@localhost>\nTo: %s\nSubject: %s\n\n%s\n' \
	    "${vuser}" "Hello from pop3d's own user database" \
	    "You logged in with APOP or a password from pop3d's database." \
	    >"${vmaildir}/new/$(date +%s).P$$Q1.demo"
	chown -R "${user}" "${home}/virtual"
fi

dir=$(mktemp -d /tmp/pop3d-demo.XXXXXXXX)
chmod 0755 "${dir}"
conf=${dir}/pop3d.conf
cat >"${conf}" <<EOF
# pop3d demo configuration, written by etc/demo.sh
listen on 127.0.0.1 port ${port}
listen on 127.0.0.1 port ${tlsport} tls
listen on 127.0.0.1 port 1106 poppass
tls certificate "${cert}" key "${key}"
plaintext-auth from 127.0.0.1
users system
users file "${usersdb}" mailuser "${user}" maildrop maildir "~/virtual/%u"
apop yes
maildrop maildir "~/Maildir"
debug yes
EOF

# mpop: one account over STLS, one over implicit TLS; both keep the
# mail on the server and deliver into an mbox file here.
cat >"${dir}/mpoprc" <<EOF
defaults
auth user
user ${user}
password ${pass}
host 127.0.0.1
tls on
tls_trust_file ${cert}
keep on
only_new off
delivery mbox ${dir}/mpop.mbox
uidls_file ${dir}/mpop.uidls

account stls
port ${port}
tls_starttls on

account tls
port ${tlsport}
tls_starttls off
EOF
chmod 0600 "${dir}/mpoprc"

cat <<EOF

pop3d demo: user ${user}, password ${pass}
  127.0.0.1 port ${port}: POP3, STLS offered
  127.0.0.1 port ${tlsport}: implicit TLS (as port 995)
configuration: ${conf}
certificate:   ${cert} (self-signed)
  SHA-256 ${fingerprint}

In another terminal, over TLS (-k: the certificate is self-signed;
or use --cacert ${cert} instead):
  curl --ssl-reqd -k pop3://${user}:${pass}@127.0.0.1:${port}/1    STLS
  curl -k pop3s://${user}:${pass}@127.0.0.1:${tlsport}/1         implicit TLS
  curl -k pop3s://${user}:${pass}@127.0.0.1:${tlsport}/          list
  mpop -C ${dir}/mpoprc stls     fetch all over STLS into
  mpop -C ${dir}/mpoprc tls      ${dir}/mpop.mbox, or over port ${tlsport}
  openssl s_client -quiet -crlf -starttls pop3 -connect 127.0.0.1:${port}
  openssl s_client -quiet -crlf -connect 127.0.0.1:${tlsport}
      and type POP3 commands as below

Without TLS: passwords in the clear are refused ("-ERR [AUTH]", and CAPA
does not offer USER) unless the client's address is listed, as here
127.0.0.1 is ("plaintext-auth from"; see pop3d.conf(5)):
  curl pop3://${user}:${pass}@127.0.0.1:${port}/       list the messages
  curl pop3://${user}:${pass}@127.0.0.1:${port}/2      the dot lines
  curl --interface 127.0.0.2 pop3://${user}:${pass}@127.0.0.1:${port}/
      refused: 127.0.0.2 stands for another host
  nc 127.0.0.1 ${port}      (or telnet) and type, one per line:
      CAPA
      USER ${user}
      PASS ${pass}
      STAT
      LIST
      UIDL
      TOP 4 5
      RETR 2
      QUIT
  ps -eo pid,user,args | grep 'pop3d:'      the processes and their users

pop3d's own user database (${usersdb}): user ${vuser}, password
${vpass}, APOP secret ${vsecret}; APOP (the greeting carries the
timestamp), passwords and SASL (PLAIN, SCRAM-SHA-256) work for it:
  python3 -c 'import poplib; p = poplib.POP3("127.0.0.1", ${port}); p.apop("${vuser}", "${vsecret}"); print(p.stat()); p.quit()'
  curl --ssl-reqd -k pop3://${vuser}:${vpass}@127.0.0.1:${port}/
Password changes (Eudora poppass) on port 1106, e.g. nc 127.0.0.1 1106:
  USER ${vuser} / PASS ${vpass} / NEWPASS a-new-password / QUIT

Below, pop3d's log with protocol traces (debug yes).  Stop with ^C.

EOF

exec "${POP3D}" -d -f "${conf}"
