#!/bin/sh
# bench/run.sh: `make bench`, pop3d against Dovecot 2.3 (and popa3d for
# logins) on 127.0.0.1.  Run as root from the top of the tree:
#
#	sh bench/run.sh
#
# It installs what is missing with apt-get, without letting Debian's
# maintainer scripts start any service (a policy-rc.d that says no, for
# the length of the install, unless the machine has one already), then
# runs bench/bench.py in a directory of its own under /tmp and removes
# everything that run made (users, files, processes), also after ^C or
# a crash.  It exits non-zero when a run failed (a server that did not
# start, an answer that did not verify), never because a target was
# missed.  POP3D=/abs/path/pop3d benchmarks another binary; BENCH_QUICK=1
# runs small sizes for a quick look (the figures then mean little).
#
# popa3d: Debian's package conflicts with dovecot-pop3d (both provide
# pop3-server), so it is not installed: the copy regress/deps.sh
# unpacked in /opt/popa3d is used, else its package is fetched with
# `apt-get download` and unpacked into the run's directory; its binary
# runs behind socat, as it would behind inetd.

set -u
cd "$(dirname "$0")/.." || exit 1
PY=/usr/bin/python3
WORK=
POLICY_MADE=

cleanup()
{
	if [ -n "${POLICY_MADE}" ]; then
		rm -f /usr/sbin/policy-rc.d
		POLICY_MADE=
	fi
	if [ -n "${WORK}" ] && [ -d "${WORK}" ]; then
		# Whatever bench.py could not undo (killed, say): its journal.
		[ -x "${PY}" ] && "${PY}" bench/bench.py --cleanup "${WORK}"
		case "${WORK}" in
		/tmp/p3bench.*)	rm -rf "${WORK}" ;;
		esac
		WORK=
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if [ "$(id -u)" != 0 ]; then
	echo "bench: must run as root" >&2
	exit 1
fi

# -- packages ------------------------------------------------------------
need=
for p in dovecot-core dovecot-pop3d socat openssl python3 passwd \
    libcrypt1 procps make; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q '^install ok installed$' || need="${need} $p"
done
if [ -n "${need}" ]; then
	echo "bench: installing${need}" >&2
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		POLICY_MADE=1
		printf '#!/bin/sh\n# bench/run.sh: no service starts during its install\nexit 101\n' \
		    >/usr/sbin/policy-rc.d
		chmod 0755 /usr/sbin/policy-rc.d
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null 2>&1
	# --no-remove: never take another package away for these.
	if ! apt-get install -y -q --no-remove ${need}; then
		echo "bench: apt-get install${need} failed" >&2
		exit 1
	fi
	if [ -n "${POLICY_MADE}" ]; then
		rm -f /usr/sbin/policy-rc.d
		POLICY_MADE=
	fi
fi

# -- pop3d ---------------------------------------------------------------
if [ -z "${POP3D:-}" ]; then
	POP3D=/usr/local/sbin/pop3d
	if [ ! -x "${POP3D}" ]; then
		echo "bench: ${POP3D} missing: make install" >&2
		make -C "$(pwd)" install || exit 1
	fi
fi
case "${POP3D}" in
/*)	;;
*)	echo "bench: POP3D must be an absolute path" >&2; exit 1 ;;
esac
[ -x "${POP3D}" ] || { echo "bench: no pop3d at ${POP3D}" >&2; exit 1; }
export POP3D

WORK=$(mktemp -d /tmp/p3bench.XXXXXXXX) || exit 1
chmod 0755 "${WORK}"

# -- popa3d --------------------------------------------------------------
if [ -x /usr/sbin/popa3d ]; then
	POPA3D=/usr/sbin/popa3d
elif [ -x /opt/popa3d/usr/sbin/popa3d ]; then
	POPA3D=/opt/popa3d/usr/sbin/popa3d
else
	POPA3D=${WORK}/popa3d-root/usr/sbin/popa3d
	mkdir -p "${WORK}/popa3d-deb"
	if (cd "${WORK}/popa3d-deb" && apt-get download popa3d) \
	    >"${WORK}/popa3d-deb/log" 2>&1 &&
	    dpkg-deb -x "${WORK}"/popa3d-deb/popa3d_*.deb \
	    "${WORK}/popa3d-root" 2>>"${WORK}/popa3d-deb/log"; then
		:
	else
		echo "bench: could not get popa3d:" >&2
		cat "${WORK}/popa3d-deb/log" >&2
	fi
fi
export POPA3D

PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
"${PY}" bench/bench.py "${WORK}"
rc=$?
exit ${rc}
