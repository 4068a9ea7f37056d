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


#ifndef POP3D_PATHNAMES_H
#define POP3D_PATHNAMES_H

/*
 * Where the programs find each other and their files.  The Makefile
 * sets the first four from PREFIX, SYSCONFDIR and CHROOTDIR.
 */

#ifndef POP3D_CONFIG
#define POP3D_CONFIG		"/etc/pop3d.conf"
#endif
#ifndef POP3D_LIBEXECDIR
#define POP3D_LIBEXECDIR	"/usr/local/libexec/pop3d"
#endif
#ifndef POP3D_CHROOT
#define POP3D_CHROOT		"/var/empty"
#endif
#ifndef POP3D_CONTROL_SOCKET
#define POP3D_CONTROL_SOCKET	"/var/run/pop3d.sock"
#endif
#define POP3D_USER		"_pop3d"
#define POP3D_AUTH_USER		"_pop3dauth"
#define POP3D_SESSION_PATH	POP3D_LIBEXECDIR "/pop3d-session"
#define POP3D_SESSION_TLS_PATH	POP3D_LIBEXECDIR "/pop3d-session-tls"
#define POP3D_AUTH_PATH		POP3D_LIBEXECDIR "/pop3d-auth"
#define POP3D_STORE_PATH	POP3D_LIBEXECDIR "/pop3d-store"

/* Every child finds its channel to the parent here after exec. */
#define PARENT_FD		3
/* pop3d-store finds its channel to the session here. */
#define STORE_SESSION_FD	4

#endif /* POP3D_PATHNAMES_H */
