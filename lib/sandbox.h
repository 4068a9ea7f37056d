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

#ifndef POP3D_SANDBOX_H
#define POP3D_SANDBOX_H

/*
 * One API, one file per platform (sandbox_seccomp.c, sandbox_pledge.c).
 * Called after demote() and after every init that opens files or
 * sockets; failing to confine is fatal, never a warning.
 */
enum sandbox_proc {
	SANDBOX_SESSION,
	SANDBOX_AUTH,
	SANDBOX_STORE,
};

void	sandbox_init(enum sandbox_proc);

#endif /* POP3D_SANDBOX_H */
