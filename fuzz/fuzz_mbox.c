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

/*
 * An mbox (pop3d-store/mbox.c): the input is the file.  It is scanned
 * as at login, every message is opened as for RETR, every other one is
 * deleted and the file rewritten as at QUIT; the rewritten file must
 * scan again to the messages that were kept.
 */

#include <sys/types.h>

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "fuzz.h"

#define MBOX	"mbox"

static char	tdir[PATH_MAX];
static int	dirfd_ = -1;

static void
put_file(const uint8_t *data, size_t size)
{
	int	fd;

	fd = openat(dirfd_, MBOX, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600);
	if (fd == -1 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct maildrop		 md;
	struct store_update	 up;
	uint64_t		 off, len;
	size_t			 i, kept;
	int			 fd;

	fuzz_quiet();
	if (dirfd_ == -1) {
		fuzz_tmpdir(tdir, sizeof(tdir));
		if ((dirfd_ = open(tdir, O_RDONLY | O_DIRECTORY)) == -1)
			abort();
	}
	put_file(data, size);
	maildrop_setup(&md, &mbox_ops, dirfd_, MBOX);
	if (md.ops->scan(&md) != 0) {
		md.ops->release(&md);
		return (0);
	}
	for (i = 0; i < md.nmsgs; i++) {
		if ((fd = md.ops->open(&md, &md.msgs[i], &off, &len)) != -1)
			close(fd);
		md.msgs[i].deleted = i % 2 == 1;
	}
	kept = md.nmsgs - md.nmsgs / 2;
	if (md.ops->update(&md, &up) != 0) {
		md.ops->release(&md);
		return (0);
	}
	md.ops->release(&md);

	maildrop_setup(&md, &mbox_ops, dirfd_, MBOX);
	if (md.ops->scan(&md) != 0 || md.nmsgs != kept)
		abort();
	md.ops->release(&md);
	return (0);
}
