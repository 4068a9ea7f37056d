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
 * The duration and reason of a runtime access entry (pop3ctl access),
 * in lib/ since pop3ctl checks them before it sends and the parent
 * after it receives.
 */

#include <sys/types.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "params.h"
#include "accessarg.h"

/*
 * "120", "120s", "5m", "2h", "7d": a whole number of seconds, minutes,
 * hours or days, from 1 second to ACCESS_DURATION_MAX.  0, or -1 with
 * the reason in err.
 */
int
access_duration_parse(const char *s, int64_t *secs, char *err, size_t len)
{
	char		 num[32];
	const char	*errstr;
	long long	 n, unit = 1, max;
	size_t		 digits;

	digits = strspn(s, "0123456789");
	if (digits == 0 || digits >= sizeof(num) ||
	    (s[digits] != '\0' && s[digits + 1] != '\0')) {
		snprintf(err, len, "duration \"%s\": not a number of seconds, "
		    "nor a number followed by s, m, h or d", s);
		return (-1);
	}
	switch (s[digits]) {
	case '\0':
	case 's':
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 60 * 60;
		break;
	case 'd':
		unit = 24 * 60 * 60;
		break;
	default:
		snprintf(err, len, "duration \"%s\": unknown unit %c (s, m, h "
		    "or d)", s, s[digits]);
		return (-1);
	}
	memcpy(num, s, digits);
	num[digits] = '\0';
	max = ACCESS_DURATION_MAX / unit;
	n = strtonum(num, 1, max, &errstr);
	if (errstr != NULL) {
		snprintf(err, len, "duration \"%s\" is %s (1 second to %lld "
		    "days)", s, errstr,
		    (long long)(ACCESS_DURATION_MAX / (24 * 60 * 60)));
		return (-1);
	}
	*secs = n * unit;
	return (0);
}

/*
 * A reason goes into the log and onto the administrator's terminal:
 * one line of printable ASCII, 1 to ACCESS_REASON_MAX characters.
 */
int
access_reason_ok(const char *s, char *err, size_t len)
{
	size_t	i;

	if (s[0] == '\0') {
		snprintf(err, len, "reason is empty");
		return (0);
	}
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= ACCESS_REASON_MAX) {
			snprintf(err, len, "reason is longer than %d "
			    "characters", ACCESS_REASON_MAX);
			return (0);
		}
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) {
			snprintf(err, len, "reason contains a control or "
			    "non-ASCII character");
			return (0);
		}
	}
	return (1);
}
