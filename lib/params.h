/*
 * Copyright (c) 2026 The pop3d developers
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

#ifndef POP3D_PARAMS_H
#define POP3D_PARAMS_H

/*
 * Every bound and timeout of pop3d lives here, each with the reason for
 * its value.  Configurable values have their default here and their
 * range; pop3d.conf(5) documents the same numbers.
 */

/*
 * Inter-process frames.  The largest legitimate payload is a log line or
 * a packed user name plus password; 16 KiB leaves room and still bounds
 * what a compromised peer can make us allocate.
 */
#define FRAME_MAX		16384

/* A forwarded log line, NUL included; longer lines are cut, not refused. */
#define LOG_LINE_MAX		1024

/*
 * Log lines the parent writes for one child: a burst, then so many a
 * second; the rest are counted and the count is logged.  A session or
 * store may not log above LOG_ERR (no LOG_EMERG on every terminal).
 */
#define CHILD_LOG_BURST		200
#define CHILD_LOG_RATE		20

/* Frames the parent reads from one child before it serves the others. */
#define CHILD_DRAIN_MAX		64

/*
 * RFC 2449 section 4: a command line is at most 255 octets including the
 * CRLF.  Arguments are at most 40 octets, but AUTH (RFC 5034) initial
 * responses are longer, so the line limit is what we police.
 */
#define POP3_LINE_MAX		255
#define POP3_ARG_MAX		40

/*
 * auto-deny (pop3d.conf(5)): a line of more than 512 characters before
 * its CRLF is an attack, not a client; a line of 256 to 512 is only
 * refused.
 */
#define AUTODENY_LINE		512
/*
 * XTND XMIT: the default and largest message size.  The session holds
 * the message in an anonymous file; its RLIMIT_FSIZE is the largest
 * size, since it writes no other file.  The submission program gets
 * XMIT_TIMEOUT seconds before it is killed.
 */
#define XMIT_MAX_DEFAULT	(10 * 1024 * 1024)
#define XMIT_MAX_LIMIT		(64 * 1024 * 1024)
#define XMIT_SENDMAIL_DEFAULT	"/usr/sbin/sendmail -i -t"
#define XMIT_TIMEOUT		120
#define XMIT_ARGS_MAX		32

/* How long to wait for the rest of an over-long line to measure it. */
#define AUTODENY_MEASURE_WAIT	10

/*
 * RFC 5034 section 4: SASL responses are not bound by the command line
 * limit; SCRAM-SHA-256 messages are a few hundred octets, base64 adds a
 * third.
 */
#define SASL_LINE_MAX		4096

/* RFC 1939 section 7: "<process-ID.clock@hostname>", bounded. */
#define APOP_CHALLENGE_MAX	128

/* Longest user name and password we pass to pop3d-auth. */
#define POP3_USER_MAX		64
#define POP3_PASS_MAX		128

/* RFC 1939 section 4: the server listens on TCP port 110. */
#define POP3_PORT		110
/* RFC 8314: pop3s, POP3 over implicit TLS, is TCP port 995. */
#define POP3S_PORT		995
/* Eudora poppass, IANA "poppassd". */
#define POPPASS_PORT		106

/*
 * poppass: shortest new password accepted; 8 is the floor current
 * guidance (NIST SP 800-63B) sets for user-chosen secrets.
 */
#define POPPASS_MIN_LENGTH_DEFAULT	8

/*
 * users system: the lowest uid that may log in.  Below it are the
 * accounts of daemons and packages (Debian and the BSDs give people
 * 1000 and up, login.defs UID_MIN), whose passwords, when they have
 * any, are not meant for mail.
 */
#define USERS_MIN_UID_DEFAULT		1000

/*
 * pop3d-session-tls judges the ClientHello (its ALPN) before libtls
 * reads it.  The message may be cut across records (RFC 8446 5.1), so
 * it is put back together: up to TLS_HELLO_MAX bytes, far above real
 * hellos (under 2K, a few K with post-quantum key shares), from at most
 * TLS_HELLO_PEEK bytes of records (a hello in many small fragments);
 * one beyond either is refused, since it cannot be judged.
 * TLS_RECORD_MAX is the largest record plaintext (RFC 8446 5.1).
 */
#define TLS_RECORD_MAX		16384
#define TLS_HELLO_MAX		16384
#define TLS_HELLO_PEEK		(4 * (5 + TLS_RECORD_MAX))

/*
 * RFC 1939 section 3: "An autologout timer MUST be of at least 10 minutes
 * duration", measured from the last client command.  Shorter is allowed
 * (tests want seconds) with a warning.
 */
#define RFC1939_IDLE_MIN	(10 * 60)
#define TIMEOUT_IDLE_DEFAULT	(10 * 60)
#define TIMEOUT_IDLE_MIN	1
#define TIMEOUT_IDLE_MAX	(24 * 60 * 60)

/*
 * From connect to a successful login, as sshd's LoginGraceTime: a client
 * that trickles a byte at a time cannot hold a session process longer.
 */
#define TIMEOUT_LOGIN_DEFAULT	120
#define TIMEOUT_LOGIN_MAX	(60 * 60)

/*
 * How long a session waits for pop3d-auth or the store to answer.  The
 * store may scan or rewrite a large mbox; past this the session gives
 * up with [SYS/TEMP] rather than hang.
 */
#define TIMEOUT_BACKEND		(10 * 60)

/* A single reply write may stall this long before the client is dropped. */
#define TIMEOUT_WRITE		(5 * 60)

/*
 * Connections.  Each session is a process: the total bounds the process
 * count and memory; the per-source bound keeps one host from taking all.
 */
#define MAX_SESSIONS_DEFAULT	200
#define MAX_SESSIONS_LIMIT	10000
#define MAX_SESSIONS_PER_SOURCE_DEFAULT	10

/*
 * A source, for every per-source count (penalties, auto-deny, the limit
 * above, the choice of pop3d-auth and its delays): the network of this
 * many leading bits.  An IPv6 host is handed a /64 and may use any
 * address in it, so anything longer gives it endless fresh sources.
 */
#define SOURCE_PREFIX_INET_DEFAULT	32
#define SOURCE_PREFIX_INET6_DEFAULT	64

/*
 * Pre-spawned, already sandboxed session processes waiting for a
 * connection, so that accept-to-greeting never waits for fork and exec.
 */
#define SESSION_POOL_DEFAULT	4
#define SESSION_POOL_MAX	64

/*
 * pop3d-auth processes: one per online CPU, so that password hashes
 * run on every core, at most this many (each holds its own index of
 * the users file).  A client address is always served by the same one,
 * so that its answer delays and a session's APOP and SCRAM state stay
 * in one process.
 */
#define AUTH_PROCS_MAX		8

/* Listeners in one configuration, and the listen(2) backlog of each. */
#define MAX_LISTENERS		32
#define LISTEN_BACKLOG		128

/*
 * RFC 2449 sections 6.7 and 6.8 set no upper bound on EXPIRE (days) and
 * LOGIN-DELAY (seconds); beyond these a value is a typo, not a policy.
 */
#define EXPIRE_DAYS_MAX		9999
#define LOGIN_DELAY_MAX		(24 * 60 * 60)

/* pop3d.conf includes: deeper nesting is a file that includes itself. */
#define INCLUDE_DEPTH_MAX	8

/*
 * TLS.  Certificates, chains and keys travel from the parent to each
 * session in chunks; a PEM file over TLS_PEM_MAX is refused at config
 * time (a long chain is some 10 KiB).  RFC 8997: TLS 1.2 at least.
 */
#define TLS_PEM_MAX		(256 * 1024)
#define TLS_STRING_MAX		256
#define CONF_TLS_PROTOCOLS	"tlsv1.2,tlsv1.3"
#define CONF_TLS_CIPHERS	"secure"
/* How long a client may take over the TLS handshake. */
#define TIMEOUT_TLS_HANDSHAKE	30

/* pop3d.conf: the longest banner a client may see, pop3d.conf(5). */
#define BANNER_MAX		400

/*
 * Maildrop caps, so that a single huge maildrop cannot stop the whole
 * service: the store refuses to open one beyond them ([SYS/PERM]).
 */
#define MAX_MAILBOX_MESSAGES	1000000
#define MAX_MAILBOX_BYTES	(64ULL * 1024 * 1024 * 1024)

/*
 * mbox dot locks: MTAs hold one for the length of a delivery, so a few
 * seconds of retries (DOTLOCK_TRIES, LOCK_RETRY_MS apart) outlast a
 * normal holder; a lock older than five minutes is a crashed holder's
 * (the figure procmail and liblockfile use).
 */
#define DOTLOCK_TRIES		10
#define LOCK_RETRY_MS		250
#define DOTLOCK_STALE		(5 * 60)

/*
 * The Maildir lock file, pop3d-store(8), which every node sharing the
 * Maildir over NFS sees (flock(2) may not be, by client and mount).
 * MAILDIR_LOCK_TRIES attempts LOCK_RETRY_MS apart at a lock of another
 * host: a holder releases before its client hears the QUIT reply, so
 * under a second is only the window of a release in flight over NFS,
 * not a session to wait out ([IN-USE] soon is what RFC 2449 clients
 * expect).  A lock untouched for
 * MAILDIR_LOCK_STALE is a dead node's: its holder touches it every
 * MAILDIR_LOCK_REFRESH, ten times within that, so an NFS server slow
 * for a minute costs no live session its lock; the five minutes are
 * the figure of mbox dot locks.  The lock taken to break a stale one
 * is held for a few file operations only, so MAILDIR_LOCK_BREAK_STALE
 * is long for it, and short next to MAILDIR_LOCK_STALE so that a node
 * dying mid-break delays the next login little.
 */
#define MAILDIR_LOCK_TRIES	4
#define MAILDIR_LOCK_STALE	(5 * 60)
#define MAILDIR_LOCK_REFRESH	30
#define MAILDIR_LOCK_BREAK_STALE	30

/*
 * Symbolic links pop3d-store follows on the way to a maildrop (only
 * root's, pop3d-store(8)): the 40 of Linux's own path lookup, so that
 * whatever the kernel resolves, the store does too, and a loop of links
 * ends.
 */
#define STORE_SYMLINKS_MAX	40

/* RFC 1939 section 7: a unique-id is 1 to 70 characters 0x21 to 0x7E. */
#define UIDL_MAX		70

/*
 * The UIDL list a maildrop keeps (pop3d-store(8)): one line a message,
 * its key (a Maildir file name, at most NAME_MAX, or an mbox digest),
 * two sizes of up to 20 digits and a UIDL, so UIDLIST_LINE_MAX holds
 * the longest good line with room to spare; a longer one is damage and
 * is dropped.  The list names at most the messages a maildrop may have,
 * so a file longer than UIDLIST_ENTRIES_MAX lines of UIDLIST_LINE_MAX
 * bytes is damaged too, and is read no further: a corrupt list costs a
 * bounded read and a rebuild, never unbounded memory or time.
 */
#define UIDLIST_LINE_MAX	512
#define UIDLIST_ENTRIES_MAX	MAX_MAILBOX_MESSAGES
#define UIDLIST_BYTES_MAX	((uint64_t)UIDLIST_ENTRIES_MAX * UIDLIST_LINE_MAX)

/*
 * pop3d-auth answers a failed login late, per source address: the first
 * failure after AUTH_FAIL_DELAY_MS, each further one twice as long, up
 * to AUTH_DELAY_MAX_MS, so that a guesser who opens a new connection
 * for every try still waits longer each time.  A few seconds is long
 * enough to make guessing slow and short enough that a client which
 * mistyped does not time out.  Each quiet AUTH_DELAY_DECAY_SEC forgives
 * one failure.  At most AUTH_DELAY_SOURCES_MAX sources are kept; when
 * full, the one quiet for longest goes.  The dummy hash for unknown
 * users makes both kinds of failure cost the same.  (The parent's
 * refusals at accept are the penalties below.)
 */
#define AUTH_FAIL_DELAY_MS	500
#define AUTH_DELAY_MAX_MS	4000
#define AUTH_DELAY_DECAY_SEC	60
#define AUTH_DELAY_SOURCES_MAX	4096

/*
 * Every failed login is padded to the dearest check (pop3d-auth(8)),
 * which is timed for at most CALIBRATE_KINDS kinds of hash in the users
 * file each time it changes: a few kinds in any real file, and a file
 * of odd ones cannot stall pop3d-auth.  AUTH_PAD_MAX_MS bounds the pad
 * below the parent's limit on a reported delay (one minute).
 */
#define CALIBRATE_KINDS		8
#define AUTH_PAD_MAX_MS		30000

/*
 * Commands a client may send before logging in; a client that needs more
 * is probing, not logging in.
 */
#define MAX_PREAUTH_COMMANDS	32
#define MAX_AUTH_TRIES		3

/*
 * RETRs a session asks the store for at once when a client pipelines
 * them: the store opens the next messages while the session sends one,
 * instead of a round trip between them per message.
 */
#define RETR_PREFETCH_MAX	16

/* Read and write chunk when copying a message to the client. */
#define RETR_CHUNK		65536
/*
 * A session's reply buffer: a RETR_CHUNK of message data goes out in
 * one write, and a pipelined batch of short replies too.
 */
#define IO_OUTBUF		(64 * 1024)

/* File descriptors the parent keeps free for children and logging. */
#define FD_RESERVE		16

/*
 * Penalties for authentication failures, per source address, as OpenSSH's
 * PerSourcePenalties: after "failures" failures new connections from the
 * address are refused for "time" seconds, doubling with each further
 * failure up to "max".  Five failures is more than a user's typos and
 * fewer than a guessing run; an hour at most lets a mistaken block lift
 * by itself.  An address's failures are forgotten "max" seconds after
 * its last failure and its last refusal.  Refusals run from when
 * pop3d-auth's delayed answer reaches the client.
 */
#define PENALTY_FAILURES_DEFAULT	5
#define PENALTY_FAILURES_LIMIT	1000
#define PENALTY_TIME_DEFAULT	60
#define PENALTY_TIME_LIMIT	(24 * 60 * 60)
#define PENALTY_MAX_DEFAULT	(60 * 60)
#define PENALTY_MAX_LIMIT	(7 * 24 * 60 * 60)

/*
 * Addresses the parent tracks for penalties.  An entry is some 64 bytes;
 * the bound keeps a flood of distinct failing addresses from exhausting
 * memory.  When full, the entry whose refusal ends soonest (expired and
 * merely counting ones first) is forgotten, and that is logged.
 */
#define PENALTY_TABLE_MAX	4096

/*
 * max-commands: commands before login.  A client needs a handful (CAPA,
 * STLS, USER, PASS, a retry or two); 32 is MAX_PREAUTH_COMMANDS, and
 * more than the limit is no client at all.
 */
#define MAX_COMMANDS_DEFAULT	MAX_PREAUTH_COMMANDS
#define MAX_COMMANDS_LIMIT	1000

/*
 * Auto-deny: listed addresses stay until restart or pop3ctl.  The bound
 * keeps a flood from distinct addresses (a botnet, or IPv6 sources from
 * one /64) from exhausting memory.  When full, the oldest entry is
 * dropped and that is logged: the newest sources are the ones attacking
 * now.
 */
#define AUTODENY_TABLE_MAX	4096

/*
 * The runtime access list (pop3ctl access): entries the administrator
 * or a tool such as fail2ban adds while pop3d runs.  Every connection
 * is checked against all of them, and the state file holds them all,
 * so the table is bounded; a full table refuses a new entry (a tool
 * that floods it is told so) rather than drop one the administrator
 * set.  4096 is a large fail2ban jail at a few hundred bytes an entry.
 */
#define ACCESS_RUNTIME_MAX	4096
/* A reason: one short line for the log and pop3ctl show access. */
#define ACCESS_REASON_MAX	128
/*
 * "for DURATION": at most ten years; an entry meant to stay is given
 * no duration at all and stays until deleted.
 */
#define ACCESS_DURATION_MAX	(3650LL * 24 * 60 * 60)
/* ADDR[/PREFIX] as pop3ctl sends it: an IPv6 address and "/128". */
#define ACCESS_NET_TEXT_MAX	(INET6_ADDRSTRLEN + 20)
/*
 * A line of the state file: the action, the network, the expiry and
 * the reason, with room to spare; a longer line is not one pop3d wrote.
 */
#define ACCESS_STATE_LINE_MAX	(ACCESS_NET_TEXT_MAX + ACCESS_REASON_MAX + 64)

/*
 * Refusal log lines, as POPA3D's MIN_DELAY: at most one per source
 * address per REFUSAL_LOG_INTERVAL seconds and REFUSAL_LOG_PER_SEC in
 * all, the rest counted and summed up in one line per interval, so that
 * a flood of connections cannot fill the disk.  The last
 * REFUSAL_LOG_SOURCES sources are remembered for this.
 */
#define REFUSAL_LOG_INTERVAL	10
#define REFUSAL_LOG_PER_SEC	20
#define REFUSAL_LOG_SOURCES	256

/*
 * The control socket (SMTPD control.c).  pop3ctl opens one connection
 * per command, so a few per user are plenty; the cap and the descriptor
 * reserve keep a runaway script from taking the descriptors that
 * accepting clients and starting their sessions need.
 */
#define CONTROL_MAXCONN_PER_CLIENT	4
#define CONTROL_MAXCONN		32
#define CONTROL_FD_RESERVE	FD_RESERVE
#define CONTROL_BACKLOG		8
/* The text of a pop3ctl reply: room for several config error lines. */
#define CTL_MSG_MAX		2048
/* pop3ctl gives up on a daemon that does not answer for this long. */
#define CTL_TIMEOUT		60

/*
 * pop3ctl show metrics: the parent asks every pop3d-auth for its
 * counters and answers once all have, or after this many seconds with
 * what came (a pop3d-auth answers between two checks, so a few hashes
 * at most); well within CTL_TIMEOUT.
 */
#define METRICS_AUTH_TIMEOUT	5
/*
 * The buckets of pop3d-auth's latency histogram, in milliseconds: from
 * a request read off a session's channel to its check done, queue
 * included.  A cheap hash takes a few ms, bcrypt or a slow NSS some
 * hundreds, a flood queues seconds.
 */
#define AUTH_LATENCY_BOUNDS_MS	{ 5, 10, 25, 50, 100, 250, 500, 1000, \
				    2500, 5000, 10000 }
#define AUTH_LATENCY_BUCKETS	11

/*
 * pop3d's own user database (the users file), read by pop3d-auth and
 * written by it and by pop3ctl.
 */
/*
 * The longest line: a name, a crypt(3) hash (CRYPT_OUTPUT_SIZE is 384),
 * an APOP secret in base64 and SCRAM keys in base64 fit in half of it.
 */
#define USERDB_LINE_MAX		2048

/*
 * A bigger file is a mistake, not a user list: refuse to slurp it.  A
 * line with a SHA-512-crypt hash is some 130 bytes, some 300 with APOP
 * and SCRAM: this holds a few million users.  pop3d-auth keeps the file
 * in memory, indexed.
 */
#define USERDB_SIZE_MAX		(1024 * 1024 * 1024)

/* The lock file is the database path with this appended. */
#define USERDB_LOCK_SUFFIX	".lock"

/*
 * A crypt(3) hash with its NUL: libxcrypt's CRYPT_OUTPUT_SIZE, the most
 * any method writes (pop3d-auth checks this at compile time).
 */
#define HASH_MAX		384

/* An APOP secret is what a user types into a client, as a password. */
#define APOP_SECRET_MAX		POP3_PASS_MAX

/*
 * SCRAM-SHA-256 (RFC 7677).  A fresh salt is 16 bytes, as RFC 5802's
 * example and common practice; salts read from the file may be longer.
 * RFC 7677 section 4: "the hash iteration-count announced by a server
 * SHOULD be at least 4096"; we write twice that, which still costs a
 * client only milliseconds, and refuse counts that would make a client
 * grind for minutes.
 */
#define SCRAM_SALT_LEN		16
#define SCRAM_SALT_MAX		64
#define SCRAM_ITER_MIN		4096
#define SCRAM_ITER_DEFAULT	8192
#define SCRAM_ITER_MAX		1000000

/*
 * How long a password change waits for pop3ctl to release the user
 * database; pop3ctl holds it for one rewrite, never while it prompts.
 */
#define AUTH_LOCK_WAIT_MS	2000

/* RFC 5802 nonces: the client's, bounded; ours is random, base64. */
#define SCRAM_NONCE_MAX		256
#define SCRAM_SNONCE_BYTES	18

/* SASL mechanisms, as named in CAPA and AUTH (RFC 5034). */
#define SASL_MECH_MAX		20

/*
 * The PROXY protocol (listen ... proxy-protocol): a trusted load
 * balancer opens each connection with a header naming the client.  A
 * text (v1) header is at most 107 bytes with its CRLF, as its
 * specification bounds it.  A binary (v2) one is 16 bytes and a length
 * of up to 65535: PROXY_V2_LEN_MAX takes the largest address block
 * (two UNIX paths, 216 bytes) and the TLVs a balancer adds (ALPN, the
 * authority, a unique id of up to 128 bytes, TLS details) with room to
 * spare; a longer one is refused rather than read.  A balancer sends
 * the header as it connects, so one that has not arrived within
 * PROXY_HEADER_TIMEOUT seconds will not: the session process it holds
 * is let go.
 */
#define PROXY_V1_MAX		107
#define PROXY_V2_LEN_MAX	1024
#define PROXY_HDR_MAX		(16 + PROXY_V2_LEN_MAX)
#define PROXY_HEADER_TIMEOUT	5

/*
 * pop3ctl migrate uidl reads another server's UIDL list.  A line of
 * Dovecot's dovecot-uidlist is a UID, a few extension fields (sizes, a
 * GUID, a saved POP3 UIDL of at most 70 bytes) and a file name of at
 * most NAME_MAX; one of Courier's courierpop3dsizelist is a file name
 * and three numbers.  MIGRATE_LINE_MAX holds either four times over,
 * so a longer line is damage, refused with its line number.  A list
 * names at most MIGRATE_ENTRIES_MAX messages, as many as a maildrop
 * may hold.  An X-UIDL header is looked for in the first
 * MIGRATE_HEADER_MAX bytes of a message: headers are rarely past a
 * few kilobytes, and one that long is not a server's X-UIDL we could
 * trust.  A -F format of more than MIGRATE_FORMAT_MAX bytes could not
 * make a UIDL of UIDL_MAX anyway.
 */
#define MIGRATE_LINE_MAX	4096
#define MIGRATE_ENTRIES_MAX	MAX_MAILBOX_MESSAGES
#define MIGRATE_HEADER_MAX	65536
#define MIGRATE_FORMAT_MAX	256

#endif /* POP3D_PARAMS_H */
