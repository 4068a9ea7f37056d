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
# with a Maildir of a few messages, and the installed pop3d in the
# foreground on 127.0.0.1 port 1110 with protocol traces on.  Stop it
# with ^C.  Run it again at any time: the user is kept, and the Maildir
# is refilled only when it is empty.

set -e

POP3D=${POP3D:-/usr/local/sbin/pop3d}
user=pop3demo
pass=pop3demo
port=1110

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: run as root: it creates a system user" >&2
	exit 1
fi
if [ ! -x "${POP3D}" ]; then
	echo "demo.sh: no pop3d at ${POP3D}; run make install first" >&2
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

if command -v ss >/dev/null 2>&1 &&
    ss -Htln "sport = :${port}" 2>/dev/null | grep -q .; then
	echo "demo.sh: port ${port} is in use; is a demo already running?" >&2
	exit 1
fi

dir=$(mktemp -d /tmp/pop3d-demo.XXXXXXXX)
chmod 0755 "${dir}"
conf=${dir}/pop3d.conf
cat >"${conf}" <<EOF
# pop3d demo configuration, written by etc/demo.sh
listen on 127.0.0.1 port ${port}
users system
maildrop maildir "~/Maildir"
debug yes
EOF

cat <<EOF

pop3d demo: user ${user}, password ${pass}, on 127.0.0.1 port ${port}
configuration: ${conf}

In another terminal:
  curl pop3://${user}:${pass}@127.0.0.1:${port}/       list the messages
  curl pop3://${user}:${pass}@127.0.0.1:${port}/1      fetch message 1
  curl pop3://${user}:${pass}@127.0.0.1:${port}/2      the dot lines
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

Below, pop3d's log with protocol traces (debug yes).  Stop with ^C.

EOF

exec "${POP3D}" -d -f "${conf}"
