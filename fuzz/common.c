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

/* What every target needs around the code it fuzzes. */

#include <sys/types.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "fuzz.h"

/*
 * Log lines would cost more than the parsing and drown libFuzzer's, so
 * they go nowhere; but they are still formatted, debug ones too, so
 * that a bad format argument is found.
 */
void
fuzz_quiet(void)
{
	static int	done;

	if (done)
		return;
	log_init(0, LOG_DAEMON);
	log_setverbose(1);
	log_setnone();
	done = 1;
}

static const char *
fuzz_tmproot(void)
{
	const char	*t = getenv("TMPDIR");

	return (t != NULL && *t == '/' ? t : "/tmp");
}

/* The input as a file, for the parsers that read files. */
int
fuzz_tmpfile(const char *tag, const uint8_t *data, size_t size,
    char *path, size_t pathsz)
{
	int	fd;

	if ((size_t)snprintf(path, pathsz, "%s/pop3d-fuzz-%s.XXXXXX",
	    fuzz_tmproot(), tag) >= pathsz ||
	    (fd = mkstemp(path)) == -1)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	return (0);
}

int
fuzz_tmpdir(char *path, size_t pathsz)
{
	if ((size_t)snprintf(path, pathsz, "%s/pop3d-fuzz.XXXXXX",
	    fuzz_tmproot()) >= pathsz || mkdtemp(path) == NULL)
		abort();
	return (0);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_DP)
		(void)rmdir(path);
	else
		(void)unlink(path);
	return (0);
}

void
fuzz_rmtree(const char *path)
{
	(void)nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
