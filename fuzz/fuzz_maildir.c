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
 * A Maildir (pop3d-store/maildir.c): its file names and its UIDL list,
 * pop3d-uidlist (uidlist.c).  The input is the names, one a line
 * ("new/NAME" for new/, else cur/), then a NUL, then the list.  A list
 * that starts with '+' gets a header that matches cur/ as made, so that
 * the fuzzer reaches the path that trusts the list whole; one that
 * starts with '-' is written as the older size cache, pop3d-sizes,
 * which a maildrop without a list still reads its sizes from.  Each
 * file holds its own name.  The maildrop is scanned as at login, every
 * message opened as for RETR, every other one deleted as at QUIT,
 * which writes the list again.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "fuzz.h"

/* Enough for order and duplicates, few enough to stay fast. */
#define FUZZ_NAMES_MAX	64

/* maildir.c keeps this name to itself; the format is what we feed. */
#define MAILDIR_SIZES	"pop3d-sizes"

static void
put_file(int dfd, const char *name, const void *data, size_t size)
{
	int	fd;

	if ((fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1)
		return;		/* a name the file system refuses */
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

static int
name_usable(const char *s, size_t len)
{
	return (len > 0 && len <= NAME_MAX && memchr(s, '/', len) == NULL &&
	    !(len == 1 && s[0] == '.') &&
	    !(len == 2 && s[0] == '.' && s[1] == '.'));
}

/* One file a usable line of the names section. */
static void
put_names(int md, const char *names, size_t len)
{
	const char	*p = names, *end = names + len, *nl;
	char		 name[NAME_MAX + 1];
	size_t		 n, count = 0;
	int		 dfd, newfd, curfd;

	if ((curfd = openat(md, "cur", O_RDONLY | O_DIRECTORY)) == -1 ||
	    (newfd = openat(md, "new", O_RDONLY | O_DIRECTORY)) == -1)
		abort();
	for (; p < end && count < FUZZ_NAMES_MAX; p = nl + 1) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end;
		dfd = curfd;
		if (nl - p > 4 && memcmp(p, "new/", 4) == 0) {
			dfd = newfd;
			p += 4;
		}
		n = nl - p;
		if (!name_usable(p, n))
			continue;
		memcpy(name, p, n);
		name[n] = '\0';
		put_file(dfd, name, name, n);
		count++;
	}
	close(newfd);
	close(curfd);
}

/* cur/ as it will be at the scan, seconds ago so that it is quiet. */
static void
put_list(int md, const char *list, size_t len)
{
	struct timespec	 ts[2];
	struct stat	 st;
	char		*buf;
	size_t		 i, lines = 0;
	int		 curfd, n;

	if (len > 0 && list[0] == '-') {
		put_file(md, MAILDIR_SIZES, list + 1, len - 1);
		return;
	}
	if (len == 0 || list[0] != '+') {
		put_file(md, ULIST_NAME, list, len);
		return;
	}
	list++;
	len--;
	for (i = 0; i < len; i++)
		lines += list[i] == '\n';
	if ((curfd = openat(md, "cur", O_RDONLY | O_DIRECTORY)) == -1 ||
	    clock_gettime(CLOCK_REALTIME, &ts[0]) == -1)
		abort();
	ts[0].tv_sec -= 10;
	ts[1] = ts[0];
	if (futimens(curfd, ts) == -1 || fstat(curfd, &st) == -1)
		abort();
	close(curfd);
	n = asprintf(&buf, "pop3d-uidlist 1 100 1700000000 %zu %llu %lld %ld "
	    "1\n%.*s", lines, (unsigned long long)st.st_ino,
	    (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec, (int)len,
	    list);
	if (n == -1)
		abort();
	put_file(md, ULIST_NAME, buf, n);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		 base[PATH_MAX];
	static int		 basefd = -1;
	struct maildrop		 md;
	struct store_update	 up;
	const char		*in = (const char *)data, *nul;
	char			 path[PATH_MAX];
	uint64_t		 off, len;
	size_t			 i, nlen;
	int			 mfd, fd;

	fuzz_quiet();
	if (basefd == -1) {
		fuzz_tmpdir(base, sizeof(base));
		if ((basefd = open(base, O_RDONLY | O_DIRECTORY)) == -1)
			abort();
	}
	if (mkdirat(basefd, "md", 0700) == -1 ||
	    (mfd = openat(basefd, "md", O_RDONLY | O_DIRECTORY)) == -1 ||
	    mkdirat(mfd, "cur", 0700) == -1 || mkdirat(mfd, "new", 0700) == -1 ||
	    mkdirat(mfd, "tmp", 0700) == -1)
		abort();
	nul = memchr(in, '\0', size);
	nlen = nul == NULL ? size : (size_t)(nul - in);
	put_names(mfd, in, nlen);
	if (nul != NULL)
		put_list(mfd, nul + 1, size - nlen - 1);

	maildrop_setup(&md, &maildir_ops, mfd, NULL);
	if (md.ops->scan(&md) == 0) {
		for (i = 0; i < md.nmsgs; i++) {
			if ((fd = md.ops->open(&md, &md.msgs[i], &off,
			    &len)) != -1)
				close(fd);
			md.msgs[i].deleted = i % 2 == 1;
		}
		(void)md.ops->update(&md, &up);
	}
	md.ops->release(&md);
	close(mfd);
	snprintf(path, sizeof(path), "%s/md", base);
	fuzz_rmtree(path);
	return (0);
}
