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

#ifndef POP3D_FUZZ_H
#define POP3D_FUZZ_H

/* What the libFuzzer targets share (fuzz/README). */

#include <stddef.h>
#include <stdint.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* session_harness.c: which program of pop3d-session a target drives. */
enum fuzz_session {
	FUZZ_POP3,		/* pop3_run(), every command */
	FUZZ_POPPASS,		/* poppass_run() */
};

void	fuzz_quiet(void);
void	fuzz_session(enum fuzz_session, const char *, const uint8_t *,
	    size_t);
int	fuzz_tmpfile(const char *, const uint8_t *, size_t, char *, size_t);
int	fuzz_tmpdir(char *, size_t);
void	fuzz_rmtree(const char *);

#endif /* POP3D_FUZZ_H */
