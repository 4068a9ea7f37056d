# pop3d: builds with GNU make and bmake alike, so only portable features:
# suffix rules, ${VAR}, ${<D}, ?=, != and nested expansion; no
# conditionals.
#
# One folder a program, and so a privilege (see ARCHITECTURE):
#   lib/            libpop3d.a: the frame layer, messages, log, sandbox,
#                   the message transform, the user database, proto.h
#   pop3d/          the root parent
#   pop3d-session/  one client connection, chrooted and sandboxed: two
#                   programs, pop3d-session (no TLS) and pop3d-session-tls
#   pop3d-auth/     decides every login
#   pop3d-store/    one user's maildrop
#   pop3ctl/        the administrator's tool
# A program's objects see lib/, compat/ and their own folder; pop3ctl
# also sees pop3d/, whose parser it shares to read pop3d.conf, and
# ctl_migrate.o pop3d-store/, whose backends it links (ARCHITECTURE).

PREFIX?=	/usr/local
SBINDIR?=	${PREFIX}/sbin
LIBEXECDIR?=	${PREFIX}/libexec/pop3d
MANDIR?=	${PREFIX}/share/man
SYSCONFDIR?=	/etc
CHROOTDIR?=	/var/empty
DESTDIR?=

CC?=		cc
AR?=		ar
YACC?=		byacc
PKGS=		libmd libbsd-overlay libevent libseccomp libtls libcrypto
PKG_CFLAGS!=	pkg-config --cflags ${PKGS} 2>/dev/null || true
PKG_LIBS!=	pkg-config --libs ${PKGS} 2>/dev/null || true
# pop3d-session serves clients in the clear and links no TLS library.
PLAIN_PKGS=	libmd libbsd-overlay libseccomp
PLAIN_LIBS!=	pkg-config --libs ${PLAIN_PKGS} 2>/dev/null || true
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
CPPFLAGS+=	-Ilib -Icompat ${PKG_CFLAGS} -D_GNU_SOURCE \
		-DPOP3D_LIBEXECDIR=\"${LIBEXECDIR}\" \
		-DPOP3D_CONFIG=\"${SYSCONFDIR}/pop3d.conf\" \
		-DPOP3D_CHROOT=\"${CHROOTDIR}\"
ALLCFLAGS=	${CFLAGS} ${WARNINGS} ${WERROR} ${CPPFLAGS}
# lib/sanitize.o in the sanitizer build only (regress/sanitize.sh): it
# is linked into every program, not archived, since nothing calls it.
SANITIZE_OBJS?=
LIBS=		${SANITIZE_OBJS} ${PKG_LIBS} -lresolv -lcrypt
SESSION_LIBS=	${SANITIZE_OBJS} ${PLAIN_LIBS} -lresolv

LIB=		lib/libpop3d.a
LIB_OBJS=	lib/frame.o lib/proto.o lib/dispatch.o lib/msg.o lib/log.o lib/util.o lib/addr.o \
		lib/proxy.o \
		lib/accessarg.o \
		lib/xform.o lib/tlsctx.o lib/base64.o lib/userdb.o \
		lib/sandbox_${SANDBOX}.o compat/timingsafe_bcmp.o
LIB_HDRS=	lib/params.h lib/pathnames.h lib/proto.h lib/frame.h \
		lib/dispatch.h \
		lib/msg.h lib/log.h lib/util.h lib/addr.h lib/accessarg.h \
		lib/xform.h lib/tlsctx.h lib/base64.h lib/userdb.h lib/sandbox.h \
		lib/proxy.h compat/compat.h

POP3D_OBJS=	pop3d/pop3d.o pop3d/proc.o pop3d/grant.o pop3d/access.o \
		pop3d/access_rt.o pop3d/metrics.o \
		pop3d/control.o pop3d/submit.o pop3d/tlsmat.o \
		pop3d/listener.o pop3d/config.o pop3d/printconf.o pop3d/parse.o
POP3D_HDRS=	pop3d/pop3d.h pop3d/proc.h
SESSION_OBJS=	pop3d-session/session.o pop3d-session/pop3.o \
		pop3d-session/poppass.o pop3d-session/xmit.o \
		pop3d-session/io.o pop3d-session/proxyio.o
PLAIN_OBJS=	${SESSION_OBJS} pop3d-session/session_plain.o
TLS_OBJS=	${SESSION_OBJS} pop3d-session/session_tls.o \
		pop3d-session/tls.o
SESSION_HDRS=	pop3d-session/session.h
AUTH_OBJS=	pop3d-auth/auth.o pop3d-auth/auth_passwd.o \
		pop3d-auth/auth_file.o pop3d-auth/auth_apop.o \
		pop3d-auth/auth_sasl.o pop3d-auth/auth_delay.o
AUTH_HDRS=	pop3d-auth/auth.h
STORE_OBJS=	pop3d-store/store.o pop3d-store/maildir.o \
		pop3d-store/mbox.o pop3d-store/lock.o pop3d-store/uidlist.o
STORE_HDRS=	pop3d-store/store.h
CTL_OBJS=	pop3ctl/pop3ctl.o pop3ctl/ctl_user.o pop3ctl/ctl_daemon.o \
		pop3ctl/ctl_migrate.o
CTL_HDRS=	pop3ctl/ctl.h
# The store's backends, which pop3ctl migrate scans a maildrop with, as
# its owner (ARCHITECTURE); store.o, the process, is not among them.
CTL_STORE_OBJS=	pop3d-store/maildir.o pop3d-store/mbox.o \
		pop3d-store/lock.o pop3d-store/uidlist.o
# The parent's parser, which pop3ctl shares to read pop3d.conf.
CONF_OBJS=	pop3d/config.o pop3d/printconf.o pop3d/tlsmat.o \
		pop3d/parse.o

PROGS=		pop3d/pop3d pop3d-session/pop3d-session \
		pop3d-session/pop3d-session-tls \
		pop3d-auth/pop3d-auth pop3d-store/pop3d-store pop3ctl/pop3ctl

.SUFFIXES: .c .o
.c.o:
	${CC} ${ALLCFLAGS} -c $< -o $@

all: ${PROGS}

${LIB}: ${LIB_OBJS} ${SANITIZE_OBJS}
	rm -f $@
	${AR} rcs $@ ${LIB_OBJS}

pop3d/pop3d: ${POP3D_OBJS} ${LIB}
	${CC} ${LDFLAGS} -o $@ ${POP3D_OBJS} ${LIB} ${LIBS}

pop3d-session/pop3d-session: ${PLAIN_OBJS} ${LIB}
	${CC} ${LDFLAGS} -o $@ ${PLAIN_OBJS} ${LIB} ${SESSION_LIBS}

pop3d-session/pop3d-session-tls: ${TLS_OBJS} ${LIB}
	${CC} ${LDFLAGS} -o $@ ${TLS_OBJS} ${LIB} ${LIBS}

pop3d-auth/pop3d-auth: ${AUTH_OBJS} ${LIB}
	${CC} ${LDFLAGS} -o $@ ${AUTH_OBJS} ${LIB} ${LIBS}

pop3d-store/pop3d-store: ${STORE_OBJS} ${LIB}
	${CC} ${LDFLAGS} -o $@ ${STORE_OBJS} ${LIB} ${LIBS}

pop3ctl/pop3ctl: ${CTL_OBJS} ${CONF_OBJS} ${CTL_STORE_OBJS} ${LIB}
	${CC} ${LDFLAGS} -o $@ ${CTL_OBJS} ${CONF_OBJS} ${CTL_STORE_OBJS} \
	    ${LIB} ${LIBS}

# pop3ctl's objects see the parent's configuration structure.
pop3ctl/pop3ctl.o: pop3ctl/pop3ctl.c
	${CC} ${ALLCFLAGS} -Ipop3d -c pop3ctl/pop3ctl.c -o $@
pop3ctl/ctl_user.o: pop3ctl/ctl_user.c
	${CC} ${ALLCFLAGS} -Ipop3d -c pop3ctl/ctl_user.c -o $@
pop3ctl/ctl_daemon.o: pop3ctl/ctl_daemon.c
	${CC} ${ALLCFLAGS} -Ipop3d -c pop3ctl/ctl_daemon.c -o $@
pop3ctl/ctl_migrate.o: pop3ctl/ctl_migrate.c
	${CC} ${ALLCFLAGS} -Ipop3d -Ipop3d-store -c pop3ctl/ctl_migrate.c \
	    -o $@

# The generated parser is not held to the warning flags of hand code.
pop3d/parse.c: pop3d/parse.y
	${YACC} -o $@ pop3d/parse.y
pop3d/parse.o: pop3d/parse.c
	${CC} ${CFLAGS} ${CPPFLAGS} -Wall ${WERROR} -c pop3d/parse.c -o $@

${LIB_OBJS}: ${LIB_HDRS}
${POP3D_OBJS}: ${LIB_HDRS} ${POP3D_HDRS}
${TLS_OBJS} ${PLAIN_OBJS}: ${LIB_HDRS} ${SESSION_HDRS}
${AUTH_OBJS}: ${LIB_HDRS} ${AUTH_HDRS}
${STORE_OBJS}: ${LIB_HDRS} ${STORE_HDRS}
${CTL_OBJS}: ${LIB_HDRS} ${POP3D_HDRS} ${CTL_HDRS}
pop3ctl/ctl_migrate.o: ${STORE_HDRS}

# Unit tests: atf-c programs that link the objects they test.  Only they
# get the ATF flags, and each sees the folder of the code it tests.
UNIT_TESTS=	regress/unit/frame_test regress/unit/msg_test \
		regress/unit/dispatch_test regress/unit/addr_test \
		regress/unit/xform_test regress/unit/maildir_test \
		regress/unit/mbox_test regress/unit/pop3_test \
		regress/unit/tls_test regress/unit/auth_test \
		regress/unit/userdb_test regress/admin/access_test \
		regress/unit/proxy_test regress/unit/accessarg_test \
		regress/unit/mdlock_test
UNIT_OBJS=	regress/unit/frame_test.o regress/unit/msg_test.o \
		regress/unit/dispatch_test.o regress/unit/addr_test.o \
		regress/unit/xform_test.o regress/unit/maildir_test.o \
		regress/unit/mbox_test.o regress/unit/pop3_test.o \
		regress/unit/tls_test.o regress/unit/auth_test.o \
		regress/unit/userdb_test.o regress/admin/access_test.o \
		regress/unit/proxy_test.o regress/unit/accessarg_test.o \
		regress/unit/mdlock_test.o
TESTCFLAGS=	${ALLCFLAGS} ${ATF_CFLAGS}
TESTLINK=	${CC} ${LDFLAGS} -o $@

regress/unit/frame_test.o: regress/unit/frame_test.c
	${CC} ${TESTCFLAGS} -c regress/unit/frame_test.c -o $@
regress/unit/dispatch_test.o: regress/unit/dispatch_test.c
	${CC} ${TESTCFLAGS} -c regress/unit/dispatch_test.c -o $@
regress/unit/addr_test.o: regress/unit/addr_test.c
	${CC} ${TESTCFLAGS} -c regress/unit/addr_test.c -o $@
regress/unit/msg_test.o: regress/unit/msg_test.c
	${CC} ${TESTCFLAGS} -c regress/unit/msg_test.c -o $@
regress/unit/xform_test.o: regress/unit/xform_test.c
	${CC} ${TESTCFLAGS} -c regress/unit/xform_test.c -o $@
regress/unit/userdb_test.o: regress/unit/userdb_test.c
	${CC} ${TESTCFLAGS} -c regress/unit/userdb_test.c -o $@
regress/unit/proxy_test.o: regress/unit/proxy_test.c
	${CC} ${TESTCFLAGS} -c regress/unit/proxy_test.c -o $@
regress/unit/accessarg_test.o: regress/unit/accessarg_test.c
	${CC} ${TESTCFLAGS} -c regress/unit/accessarg_test.c -o $@
regress/unit/maildir_test.o: regress/unit/maildir_test.c
	${CC} ${TESTCFLAGS} -Ipop3d-store -c regress/unit/maildir_test.c -o $@
regress/unit/mdlock_test.o: regress/unit/mdlock_test.c
	${CC} ${TESTCFLAGS} -Ipop3d-store -c regress/unit/mdlock_test.c -o $@
regress/unit/mbox_test.o: regress/unit/mbox_test.c
	${CC} ${TESTCFLAGS} -Ipop3d-store -c regress/unit/mbox_test.c -o $@
regress/unit/pop3_test.o: regress/unit/pop3_test.c
	${CC} ${TESTCFLAGS} -Ipop3d-session -c regress/unit/pop3_test.c -o $@
regress/unit/tls_test.o: regress/unit/tls_test.c
	${CC} ${TESTCFLAGS} -Ipop3d-session -c regress/unit/tls_test.c -o $@
regress/unit/auth_test.o: regress/unit/auth_test.c
	${CC} ${TESTCFLAGS} -Ipop3d-auth -c regress/unit/auth_test.c -o $@
regress/admin/access_test.o: regress/admin/access_test.c
	${CC} ${TESTCFLAGS} -Ipop3d -c regress/admin/access_test.c -o $@
${UNIT_OBJS}: ${LIB_HDRS} ${POP3D_HDRS} ${SESSION_HDRS} ${AUTH_HDRS} \
		${STORE_HDRS}

regress/unit/frame_test: regress/unit/frame_test.o ${LIB}
	${TESTLINK} regress/unit/frame_test.o ${LIB} ${ATF_LIBS} ${LIBS}
regress/unit/dispatch_test: regress/unit/dispatch_test.o ${LIB}
	${TESTLINK} regress/unit/dispatch_test.o ${LIB} ${ATF_LIBS} ${LIBS}
regress/unit/addr_test: regress/unit/addr_test.o ${LIB}
	${TESTLINK} regress/unit/addr_test.o ${LIB} ${ATF_LIBS} ${LIBS}
regress/unit/msg_test: regress/unit/msg_test.o ${LIB}
	${TESTLINK} regress/unit/msg_test.o ${LIB} ${ATF_LIBS} ${LIBS}
regress/unit/xform_test: regress/unit/xform_test.o ${LIB}
	${TESTLINK} regress/unit/xform_test.o ${LIB} ${ATF_LIBS} ${LIBS}
regress/unit/userdb_test: regress/unit/userdb_test.o ${LIB}
	${TESTLINK} regress/unit/userdb_test.o ${LIB} ${ATF_LIBS} ${LIBS}
regress/unit/proxy_test: regress/unit/proxy_test.o ${LIB}
	${TESTLINK} regress/unit/proxy_test.o ${LIB} ${ATF_LIBS} ${LIBS}
regress/unit/accessarg_test: regress/unit/accessarg_test.o ${LIB}
	${TESTLINK} regress/unit/accessarg_test.o ${LIB} ${ATF_LIBS} ${LIBS}
regress/unit/maildir_test: regress/unit/maildir_test.o \
		pop3d-store/maildir.o pop3d-store/lock.o \
		pop3d-store/uidlist.o ${LIB}
	${TESTLINK} regress/unit/maildir_test.o pop3d-store/maildir.o \
	    pop3d-store/lock.o pop3d-store/uidlist.o ${LIB} ${ATF_LIBS} \
	    ${LIBS}
regress/unit/mdlock_test: regress/unit/mdlock_test.o \
		pop3d-store/maildir.o pop3d-store/lock.o \
		pop3d-store/uidlist.o ${LIB}
	${TESTLINK} regress/unit/mdlock_test.o pop3d-store/maildir.o \
	    pop3d-store/lock.o pop3d-store/uidlist.o ${LIB} ${ATF_LIBS} \
	    ${LIBS}
regress/unit/mbox_test: regress/unit/mbox_test.o pop3d-store/mbox.o \
		pop3d-store/lock.o pop3d-store/uidlist.o ${LIB}
	${TESTLINK} regress/unit/mbox_test.o pop3d-store/mbox.o \
	    pop3d-store/lock.o pop3d-store/uidlist.o ${LIB} ${ATF_LIBS} \
	    ${LIBS}
regress/unit/pop3_test: regress/unit/pop3_test.o pop3d-session/pop3.o \
		pop3d-session/xmit.o pop3d-session/io.o pop3d-session/tls.o \
		${LIB}
	${TESTLINK} regress/unit/pop3_test.o pop3d-session/pop3.o \
	    pop3d-session/xmit.o pop3d-session/io.o pop3d-session/tls.o \
	    ${LIB} ${ATF_LIBS} ${LIBS}
regress/unit/tls_test: regress/unit/tls_test.o pop3d-session/tls.o \
		pop3d-session/io.o ${LIB}
	${TESTLINK} regress/unit/tls_test.o pop3d-session/tls.o \
	    pop3d-session/io.o ${LIB} ${ATF_LIBS} ${LIBS}
AUTH_UNIT=	pop3d-auth/auth_passwd.o pop3d-auth/auth_file.o \
		pop3d-auth/auth_apop.o pop3d-auth/auth_sasl.o \
		pop3d-auth/auth_delay.o
regress/unit/auth_test: regress/unit/auth_test.o ${AUTH_UNIT} ${LIB}
	${TESTLINK} regress/unit/auth_test.o ${AUTH_UNIT} ${LIB} \
	    ${ATF_LIBS} ${LIBS}
regress/admin/access_test: regress/admin/access_test.o pop3d/access.o \
		pop3d/access_rt.o ${LIB}
	${TESTLINK} regress/admin/access_test.o pop3d/access.o \
	    pop3d/access_rt.o ${LIB} ${ATF_LIBS} ${LIBS}

# libFuzzer targets (fuzz/README): clang with ASan and UBSan, every
# object built again as a .fo beside its source, so that "make all" and
# "make fuzz" never share an object.
FUZZ_CC?=	clang
FUZZ_SAN=	-fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_BASE=	-O1 -g -fno-omit-frame-pointer ${FUZZ_SAN} \
		-fsanitize=fuzzer-no-link ${CPPFLAGS}
FUZZ_CFLAGS=	${FUZZ_BASE} ${WARNINGS} ${WERROR}
FUZZ_LINK=	${FUZZ_CC} ${FUZZ_SAN} -fsanitize=fuzzer -o $@
FUZZ_TIME?=	60
# No sandbox: no target installs one, and the seccomp headers' macros
# trip clang's -Wmissing-field-initializers.
FUZZ_LIB_OBJS=	lib/frame.fo lib/proto.fo lib/dispatch.fo lib/msg.fo \
		lib/log.fo lib/util.fo lib/addr.fo lib/xform.fo \
		lib/tlsctx.fo lib/base64.fo lib/userdb.fo lib/proxy.fo \
		compat/timingsafe_bcmp.fo
FUZZ_COMMON=	fuzz/common.fo
FUZZ_SESSION=	fuzz/session_harness.fo pop3d-session/pop3.fo \
		pop3d-session/poppass.fo pop3d-session/xmit.fo \
		pop3d-session/io.fo pop3d-session/tls.fo
FUZZ_AUTH=	pop3d-auth/auth_passwd.fo pop3d-auth/auth_file.fo \
		pop3d-auth/auth_apop.fo pop3d-auth/auth_sasl.fo \
		pop3d-auth/auth_delay.fo
FUZZ_CONF=	pop3d/config.fo pop3d/printconf.fo pop3d/tlsmat.fo \
		pop3d/parse.fo
FUZZ_TARGETS=	fuzz/fuzz_pop3 fuzz/fuzz_poppass fuzz/fuzz_xmit \
		fuzz/fuzz_sasl fuzz/fuzz_tlshello fuzz/fuzz_conf \
		fuzz/fuzz_userdb fuzz/fuzz_maildir fuzz/fuzz_mbox \
		fuzz/fuzz_frame fuzz/fuzz_proxy
FUZZ_MAIN=	fuzz/fuzz_pop3.fo fuzz/fuzz_poppass.fo fuzz/fuzz_xmit.fo \
		fuzz/fuzz_sasl.fo fuzz/fuzz_tlshello.fo fuzz/fuzz_conf.fo \
		fuzz/fuzz_userdb.fo fuzz/fuzz_maildir.fo fuzz/fuzz_mbox.fo \
		fuzz/fuzz_frame.fo fuzz/fuzz_proxy.fo
FUZZ_OBJS=	${FUZZ_LIB_OBJS} ${FUZZ_COMMON} ${FUZZ_SESSION} ${FUZZ_AUTH} \
		${FUZZ_CONF} ${FUZZ_MAIN} pop3d-store/maildir.fo \
		pop3d-store/mbox.fo pop3d-store/lock.fo pop3d-store/uidlist.fo

.SUFFIXES: .fo
# A target sees the folder of the code it drives.
.c.fo:
	${FUZZ_CC} ${FUZZ_CFLAGS} -Ipop3d -Ipop3d-session -Ipop3d-auth \
	    -Ipop3d-store -Ifuzz -c $< -o $@

pop3d/parse.fo: pop3d/parse.c
	${FUZZ_CC} ${FUZZ_BASE} -Wall ${WERROR} -c pop3d/parse.c -o $@

${FUZZ_OBJS}: ${LIB_HDRS} ${POP3D_HDRS} ${SESSION_HDRS} ${AUTH_HDRS} \
		${STORE_HDRS} fuzz/fuzz.h

fuzz/fuzz_pop3: fuzz/fuzz_pop3.fo ${FUZZ_SESSION} ${FUZZ_COMMON} \
		${FUZZ_LIB_OBJS}
	${FUZZ_LINK} fuzz/fuzz_pop3.fo ${FUZZ_SESSION} ${FUZZ_COMMON} \
	    ${FUZZ_LIB_OBJS} ${LIBS} -lpthread
fuzz/fuzz_poppass: fuzz/fuzz_poppass.fo ${FUZZ_SESSION} ${FUZZ_COMMON} \
		${FUZZ_LIB_OBJS}
	${FUZZ_LINK} fuzz/fuzz_poppass.fo ${FUZZ_SESSION} ${FUZZ_COMMON} \
	    ${FUZZ_LIB_OBJS} ${LIBS} -lpthread
fuzz/fuzz_xmit: fuzz/fuzz_xmit.fo ${FUZZ_SESSION} ${FUZZ_COMMON} \
		${FUZZ_LIB_OBJS}
	${FUZZ_LINK} fuzz/fuzz_xmit.fo ${FUZZ_SESSION} ${FUZZ_COMMON} \
	    ${FUZZ_LIB_OBJS} ${LIBS} -lpthread
fuzz/fuzz_sasl: fuzz/fuzz_sasl.fo ${FUZZ_AUTH} ${FUZZ_COMMON} \
		${FUZZ_LIB_OBJS}
	${FUZZ_LINK} fuzz/fuzz_sasl.fo ${FUZZ_AUTH} ${FUZZ_COMMON} \
	    ${FUZZ_LIB_OBJS} ${LIBS}
fuzz/fuzz_tlshello: fuzz/fuzz_tlshello.fo pop3d-session/tls.fo \
		pop3d-session/io.fo ${FUZZ_COMMON} ${FUZZ_LIB_OBJS}
	${FUZZ_LINK} fuzz/fuzz_tlshello.fo pop3d-session/tls.fo \
	    pop3d-session/io.fo ${FUZZ_COMMON} ${FUZZ_LIB_OBJS} ${LIBS}
fuzz/fuzz_conf: fuzz/fuzz_conf.fo ${FUZZ_CONF} ${FUZZ_COMMON} \
		${FUZZ_LIB_OBJS}
	${FUZZ_LINK} fuzz/fuzz_conf.fo ${FUZZ_CONF} ${FUZZ_COMMON} \
	    ${FUZZ_LIB_OBJS} ${LIBS}
fuzz/fuzz_userdb: fuzz/fuzz_userdb.fo ${FUZZ_COMMON} ${FUZZ_LIB_OBJS}
	${FUZZ_LINK} fuzz/fuzz_userdb.fo ${FUZZ_COMMON} ${FUZZ_LIB_OBJS} \
	    ${LIBS}
fuzz/fuzz_maildir: fuzz/fuzz_maildir.fo pop3d-store/maildir.fo \
		pop3d-store/lock.fo pop3d-store/uidlist.fo ${FUZZ_COMMON} \
		${FUZZ_LIB_OBJS}
	${FUZZ_LINK} fuzz/fuzz_maildir.fo pop3d-store/maildir.fo \
	    pop3d-store/lock.fo pop3d-store/uidlist.fo ${FUZZ_COMMON} \
	    ${FUZZ_LIB_OBJS} ${LIBS}
fuzz/fuzz_mbox: fuzz/fuzz_mbox.fo pop3d-store/mbox.fo \
		pop3d-store/lock.fo pop3d-store/uidlist.fo ${FUZZ_COMMON} \
		${FUZZ_LIB_OBJS}
	${FUZZ_LINK} fuzz/fuzz_mbox.fo pop3d-store/mbox.fo \
	    pop3d-store/lock.fo pop3d-store/uidlist.fo ${FUZZ_COMMON} \
	    ${FUZZ_LIB_OBJS} ${LIBS}
fuzz/fuzz_frame: fuzz/fuzz_frame.fo ${FUZZ_COMMON} ${FUZZ_LIB_OBJS}
	${FUZZ_LINK} fuzz/fuzz_frame.fo ${FUZZ_COMMON} ${FUZZ_LIB_OBJS} \
	    ${LIBS}

fuzz/fuzz_proxy: fuzz/fuzz_proxy.fo ${FUZZ_COMMON} ${FUZZ_LIB_OBJS}
	${FUZZ_LINK} fuzz/fuzz_proxy.fo ${FUZZ_COMMON} ${FUZZ_LIB_OBJS} \
	    ${LIBS}
fuzz-build: ${FUZZ_TARGETS}

# Each target FUZZ_TIME seconds, one after the other (fuzz/README).
fuzz: fuzz-build
	sh fuzz/run.sh ${FUZZ_TIME} ${FUZZ_TARGETS}

regress-build: all ${UNIT_TESTS} fuzz-build

# The two commands of the README.
deps:
	sh regress/deps.sh

# make test runs the suite against the normal build and, side by side,
# against the sanitizer build; make test SANITIZE=1 (or make
# test-sanitize) only the latter.
SANITIZE?=	0
TEST_0=		test-both
TEST_1=		test-sanitize
test: ${TEST_${SANITIZE}}

test-both: deps
	${MAKE} all
	${MAKE} install
	${MAKE} regress-build
	${MAKE} sanitize
	sh regress/both.sh env ${SAN_ENV} sh ${SAN_OBJDIR}/regress/run.sh

test-sanitize: deps
	${MAKE} sanitize
	env ${SAN_ENV} sh ${SAN_OBJDIR}/regress/run.sh

# The sanitizer build: a copy of the tree in SAN_OBJDIR built with ASan
# and UBSan (any finding fatal) and installed under SAN_PREFIX, which
# LIBEXECDIR names in its programs; the normal build is left alone.  Its
# sandboxes allow what the sanitizer runtimes need (POP3D_SANITIZE).
# The service file is not installed: it would name this daemon.
SAN_OBJDIR=	regress/obj/sanitize
SAN_PREFIX?=	/opt/pop3d-san
SAN_FLAGS=	-fsanitize=address,undefined -fno-sanitize-recover=all
SAN_MAKE=	${MAKE} PREFIX="${SAN_PREFIX}" SANITIZE_OBJS=lib/sanitize.o \
		    CFLAGS="-O1 -g -fno-omit-frame-pointer ${SAN_FLAGS} \
		    -DPOP3D_SANITIZE" LDFLAGS="${SAN_FLAGS}"
# Leaks are looked for in the processes the tests start (the parent,
# pop3ctl, the unit tests); lib/sanitize.c says why not in the others.
# The UIDL random cases run a fifth of their operations: the point here
# is the memory checks, and the normal build runs all 10,000.
SAN_ENV=	POP3D="${SAN_PREFIX}/sbin/pop3d" \
		POP3CTL="${SAN_PREFIX}/sbin/pop3ctl" \
		ASAN_OPTIONS=detect_leaks=1 UIDL_OPS_DEFAULT=2000

sanitize:
	sh regress/sanitize.sh ${SAN_OBJDIR} ${PROGS} ${UNIT_TESTS} \
	    ${LIB} pop3d/parse.c
	cd ${SAN_OBJDIR} && ${SAN_MAKE} all ${UNIT_TESTS}
	cd ${SAN_OBJDIR} && POP3D_SERVICE=no ${SAN_MAKE} install

demo: deps
	${MAKE} all
	${MAKE} install
	sh etc/demo.sh

# Not part of test: a comparison with Dovecot, minutes long (bench/README).
bench: deps
	${MAKE} all
	${MAKE} install
	sh bench/run.sh

install: all
	sh etc/install.sh "${DESTDIR}" "${SBINDIR}" "${LIBEXECDIR}" \
	    "${MANDIR}" "${CHROOTDIR}"

lint:
	mandoc -Tlint -Wstyle man/*.[0-9]

# The Debian package, built by dpkg-buildpackage in a copy of the tree
# (etc/deb.sh), so that its clean leaves this build alone; the last
# line printed is the path of the .deb.
DEB_OUTDIR?=	regress/obj/deb
deb:
	sh etc/deb.sh ${DEB_OUTDIR}

clean:
	rm -f ${LIB} ${LIB_OBJS} ${POP3D_OBJS} ${TLS_OBJS} ${PLAIN_OBJS} \
	    ${AUTH_OBJS} ${STORE_OBJS} ${CTL_OBJS} ${PROGS} pop3d/parse.c \
	    ${UNIT_TESTS} ${UNIT_OBJS} ${FUZZ_TARGETS} ${FUZZ_OBJS} \
	    lib/sanitize.o
	rm -rf regress/obj

.PHONY: all clean install deps test demo regress-build lint bench fuzz \
	fuzz-build test-both test-sanitize sanitize deb
