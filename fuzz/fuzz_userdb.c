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
 * A line of the users file (lib/userdb.c), as pop3d-auth, pop3ctl and
 * pop3d -n read it; a line that parses is written back and must parse
 * again to the same entry.
 */

#include <stdlib.h>
#include <string.h>

#include "userdb.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct userdb_entry	 a, b;
	const char		*why;
	char			*line, out[USERDB_LINE_MAX + 2];

	if ((line = malloc(size + 1)) == NULL)
		abort();
	memcpy(line, data, size);
	line[size] = '\0';
	if (userdb_parse_line(line, &a, &why) == 0 &&
	    userdb_format_entry(&a, out, sizeof(out)) != -1) {
		out[strcspn(out, "\n")] = '\0';
		if (userdb_parse_line(out, &b, &why) != 0 ||
		    memcmp(&a, &b, sizeof(a)) != 0)
			abort();
	}
	free(line);
	return (0);
}
