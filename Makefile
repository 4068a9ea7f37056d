# pop3d: builds with GNU make and bmake alike, so only portable features:
# suffix rules, ${VAR}, ?=, != and nested expansion; no conditionals.

PREFIX?=	/usr/local
SBINDIR?=	${PREFIX}/sbin
LIBEXECDIR?=	${PREFIX}/libexec/pop3d
MANDIR?=	${PREFIX}/share/man
SYSCONFDIR?=	/etc
CHROOTDIR?=	/var/empty
DESTDIR?=

CC?=		cc
YACC=		byacc
PKGS=		libmd libbsd-overlay libevent libseccomp libtls libcrypto
PKG_CFLAGS!=	pkg-config --cflags ${PKGS} 2>/dev/null || true
PKG_LIBS!=	pkg-config --libs ${PKGS} 2>/dev/null || true
ATF_CFLAGS!=	pkg-config --cflags atf-c 2>/dev/null || true
ATF_LIBS!=	pkg-config --libs atf-c 2>/dev/null || true

OS!=		uname -s
SANDBOX_Linux=	seccomp
SANDBOX_OpenBSD= pledge
SANDBOX=	${SANDBOX_${OS}}

WARNINGS=	-Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes \
		-Wmissing-declarations -Wshadow -Wpointer-arith -Wcast-qual \
		-Wsign-compare -Wno-unused-parameter
WERROR?=	-Werror
CFLAGS?=	-O2 -g
CPPFLAGS+=	-Icompat -Ipop3d ${PKG_CFLAGS} \
		-DPOP3D_LIBEXECDIR=\"${LIBEXECDIR}\" \
		-DPOP3D_CONFIG=\"${SYSCONFDIR}/pop3d.conf\" \
		-DPOP3D_CHROOT=\"${CHROOTDIR}\" \
		-Ipop3d-store -Ipop3d-auth ${ATF_CFLAGS} -D_GNU_SOURCE
ALLCFLAGS=	${CFLAGS} ${WARNINGS} ${WERROR} ${CPPFLAGS}
# glibc keeps b64_ntop/b64_pton in libresolv; the BSDs have them in libc.
RESOLV_Linux=	-lresolv
LIBS=		${PKG_LIBS} -lcrypt ${RESOLV_${OS}}

COMPAT=		compat/timingsafe_bcmp.o
COMMON=		pop3d/imsg.o pop3d/msg.o pop3d/log.o pop3d/util.o \
		pop3d/sandbox_${SANDBOX}.o ${COMPAT}
POP3D_OBJS=	pop3d/pop3d.o pop3d/proc.o pop3d/submit.o pop3d/access.o pop3d/control.o \
		pop3d/config.o pop3d/parse.o \
		pop3d/session.o pop3d/pop3.o pop3d/poppass.o pop3d/xmit.o \
		pop3d/io.o pop3d/tls.o \
		pop3d/xform.o \
		${COMMON}
AUTH_OBJS=	pop3d-auth/auth.o pop3d-auth/auth_passwd.o \
		pop3d-auth/auth_file.o pop3d-auth/auth_apop.o \
		pop3d-auth/auth_sasl.o pop3d-auth/auth_penalty.o \
		pop3d-auth/userdb.o ${COMMON}
STORE_OBJS=	pop3d-store/store.o pop3d-store/maildir.o \
		pop3d-store/mbox.o pop3d-store/lock.o pop3d/xform.o ${COMMON}
CTL_OBJS=	pop3d/pop3ctl.o pop3d/ctl_user.o pop3d/ctl_daemon.o \
		pop3d/parse.o pop3d/config.o pop3d-auth/userdb.o ${COMMON}
PROGS=		pop3d/pop3d pop3d-auth/pop3d-auth pop3d-store/pop3d-store \
		pop3d/pop3ctl

UNIT_TESTS=	regress/unit/imsg_test regress/unit/msg_test \
		regress/unit/xform_test regress/unit/maildir_test \
		regress/unit/mbox_test regress/unit/pop3_test \
		regress/unit/tls_test \
		regress/unit/auth_test regress/unit/userdb_test
UNIT_OBJS=	regress/unit/imsg_test.o regress/unit/msg_test.o \
		regress/unit/xform_test.o regress/unit/maildir_test.o \
		regress/unit/mbox_test.o regress/unit/pop3_test.o \
		regress/unit/tls_test.o \
		regress/unit/auth_test.o regress/unit/userdb_test.o
HEADERS=	compat/compat.h pop3d/pop3d.h pop3d/params.h pop3d/imsg.h \
		pop3d/log.h pop3d/msg.h pop3d/sandbox.h pop3d/xform.h \
		pop3d/session.h pop3d/proc.h pop3d/ctl.h pop3d-store/store.h pop3d-auth/auth.h \
		pop3d-auth/userdb.h

.SUFFIXES: .c .o
.c.o:
	${CC} ${ALLCFLAGS} -c $< -o $@

all: ${PROGS}

pop3d/pop3d: ${POP3D_OBJS}
	${CC} ${LDFLAGS} -o $@ ${POP3D_OBJS} ${LIBS}

pop3d-auth/pop3d-auth: ${AUTH_OBJS}
	${CC} ${LDFLAGS} -o $@ ${AUTH_OBJS} ${LIBS}

pop3d-store/pop3d-store: ${STORE_OBJS}
	${CC} ${LDFLAGS} -o $@ ${STORE_OBJS} ${LIBS}

pop3d/pop3ctl: ${CTL_OBJS}
	${CC} ${LDFLAGS} -o $@ ${CTL_OBJS} ${LIBS}

# The generated parser is not held to the warning flags of hand code.
pop3d/parse.c: pop3d/parse.y
	${YACC} -o $@ pop3d/parse.y
pop3d/parse.o: pop3d/parse.c
	${CC} ${CFLAGS} ${CPPFLAGS} -Wall ${WERROR} -c pop3d/parse.c -o $@

${POP3D_OBJS} ${AUTH_OBJS} ${STORE_OBJS} ${CTL_OBJS}: ${HEADERS}

# Unit tests link the object they test plus the common layer.
UNIT_COMMON=	pop3d/imsg.o pop3d/msg.o pop3d/log.o pop3d/util.o ${COMPAT}
regress/unit/imsg_test: regress/unit/imsg_test.o ${UNIT_COMMON}
	${CC} ${LDFLAGS} -o $@ regress/unit/imsg_test.o ${UNIT_COMMON} ${ATF_LIBS} ${LIBS}
regress/unit/msg_test: regress/unit/msg_test.o ${UNIT_COMMON}
	${CC} ${LDFLAGS} -o $@ regress/unit/msg_test.o ${UNIT_COMMON} ${ATF_LIBS} ${LIBS}
regress/unit/xform_test: regress/unit/xform_test.o pop3d/xform.o ${UNIT_COMMON}
	${CC} ${LDFLAGS} -o $@ regress/unit/xform_test.o pop3d/xform.o ${UNIT_COMMON} ${ATF_LIBS} ${LIBS}
regress/unit/maildir_test: regress/unit/maildir_test.o pop3d-store/maildir.o pop3d-store/lock.o pop3d/xform.o ${UNIT_COMMON}
	${CC} ${LDFLAGS} -o $@ regress/unit/maildir_test.o pop3d-store/maildir.o pop3d-store/lock.o pop3d/xform.o ${UNIT_COMMON} ${ATF_LIBS} ${LIBS}
regress/unit/mbox_test: regress/unit/mbox_test.o pop3d-store/mbox.o pop3d-store/lock.o pop3d/xform.o ${UNIT_COMMON}
	${CC} ${LDFLAGS} -o $@ regress/unit/mbox_test.o pop3d-store/mbox.o pop3d-store/lock.o pop3d/xform.o ${UNIT_COMMON} ${ATF_LIBS} ${LIBS}
regress/unit/pop3_test: regress/unit/pop3_test.o pop3d/pop3.o pop3d/xmit.o pop3d/io.o pop3d/tls.o pop3d/xform.o ${UNIT_COMMON}
	${CC} ${LDFLAGS} -o $@ regress/unit/pop3_test.o pop3d/pop3.o pop3d/xmit.o pop3d/io.o pop3d/tls.o pop3d/xform.o ${UNIT_COMMON} ${ATF_LIBS} ${LIBS}
regress/unit/tls_test: regress/unit/tls_test.o pop3d/tls.o pop3d/io.o ${UNIT_COMMON}
	${CC} ${LDFLAGS} -o $@ regress/unit/tls_test.o pop3d/tls.o pop3d/io.o ${UNIT_COMMON} ${ATF_LIBS} ${LIBS}
AUTH_UNIT=	pop3d-auth/auth_passwd.o pop3d-auth/auth_file.o \
		pop3d-auth/auth_apop.o pop3d-auth/auth_sasl.o \
		pop3d-auth/auth_penalty.o pop3d-auth/userdb.o
regress/unit/auth_test: regress/unit/auth_test.o ${AUTH_UNIT} ${UNIT_COMMON}
	${CC} ${LDFLAGS} -o $@ regress/unit/auth_test.o ${AUTH_UNIT} ${UNIT_COMMON} ${ATF_LIBS} ${LIBS}
regress/unit/userdb_test: regress/unit/userdb_test.o pop3d-auth/userdb.o ${UNIT_COMMON}
	${CC} ${LDFLAGS} -o $@ regress/unit/userdb_test.o pop3d-auth/userdb.o ${UNIT_COMMON} ${ATF_LIBS} ${LIBS}
${UNIT_OBJS}: ${HEADERS}

ADMIN_TESTS=	regress/admin/access_test
regress/admin/access_test: regress/admin/access_test.o pop3d/access.o ${UNIT_COMMON}
	${CC} ${LDFLAGS} -o $@ regress/admin/access_test.o pop3d/access.o ${UNIT_COMMON} ${ATF_LIBS} ${LIBS}
regress/admin/access_test.o: ${HEADERS}

regress-build: all ${UNIT_TESTS} ${ADMIN_TESTS}

# The two commands of the README.
deps:
	sh regress/deps.sh

test: deps
	${MAKE} all
	${MAKE} install
	${MAKE} regress-build
	sh regress/run.sh

demo: deps
	${MAKE} all
	${MAKE} install
	sh etc/demo.sh

install: all
	sh etc/install.sh "${DESTDIR}" "${SBINDIR}" "${LIBEXECDIR}" \
	    "${MANDIR}" "${CHROOTDIR}"

lint:
	mandoc -Tlint -Wstyle man/*.[0-9]

clean:
	rm -f ${POP3D_OBJS} ${AUTH_OBJS} ${STORE_OBJS} ${CTL_OBJS} ${PROGS} \
	    pop3d/pop3ctl \
	    pop3d/parse.c ${UNIT_TESTS} ${UNIT_OBJS} \
	    ${ADMIN_TESTS} regress/admin/access_test.o
	rm -rf regress/obj

.PHONY: all clean install deps test demo regress-build lint
