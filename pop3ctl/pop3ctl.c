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

#include <sys/types.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pop3d.h"
#include "ctl.h"

static __dead void
usage(void)
{
	fprintf(stderr,
	    "usage: pop3ctl [-v] [-f file] [-s socket] command [argument ...]\n"
	    "       pop3ctl [-f file] [-u usersfile] user command "
	    "[argument ...]\n"
	    "       pop3ctl [-f file] migrate uidl [-nv] [-F format] "
	    "source USER|/path ...\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct ctl_options	opts;
	int			ch;

	memset(&opts, 0, sizeof(opts));
	opts.conffile = POP3D_CONFIG;
	log_init(1, 0);
	while ((ch = getopt(argc, argv, "+f:s:u:v")) != -1) {
		switch (ch) {
		case 'f':
			opts.conffile = optarg;
			break;
		case 's':
			opts.socket = optarg;
			break;
		case 'u':
			opts.usersfile = optarg;
			break;
		case 'v':
			opts.verbose = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (strcmp(argv[0], "user") == 0)
		return (ctl_user(argc - 1, argv + 1, &opts));
	if (strcmp(argv[0], "migrate") == 0)
		return (ctl_migrate(argc - 1, argv + 1, &opts));
	return (ctl_daemon(argc, argv, &opts));
}
