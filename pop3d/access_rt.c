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
 * Runs as root, in the parent: the runtime access list, which pop3ctl
 * access changes while pop3d runs (an administrator by hand, or a tool
 * such as fail2ban).  Its entries decide before pop3d.conf's grant and
 * deny rules; auto-deny and penalties still apply to what they let in.
 * Of the entries that hold an address, the longest prefix decides, and
 * a deny wins over a grant of the same prefix.
 *
 * The list lives across reloads, since the configuration does not hold
 * it.  With "access state", it is also written to that file at every
 * change (a new file, synced, renamed over the old one, so that a crash
 * leaves the old list or the new one) and read at start.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pop3d.h"
#include "accessarg.h"

struct rtaccess {
	TAILQ_ENTRY(rtaccess)	 entry;		/* in the order added */
	enum access_action	 action;
	struct addr		 net;
	int			 prefixlen;
	time_t			 until;		/* 0: until deleted */
	char			 reason[ACCESS_REASON_MAX + 1];
};

static TAILQ_HEAD(, rtaccess)	 rtlist = TAILQ_HEAD_INITIALIZER(rtlist);
static size_t			 rtcount;
static struct event		 ev_expire;
static int			 rt_timer_set;	/* ev_expire initialised */
static char			 state_path[PATH_MAX];
static int			 state_loaded;

static const char *
action_name(enum access_action action)
{
	return (action == ACCESS_DENY ? "deny" : "grant");
}

static struct rtaccess *
rt_find(const struct addr *net, int prefixlen)
{
	struct rtaccess	*e;

	TAILQ_FOREACH(e, &rtlist, entry)
		if (e->prefixlen == prefixlen && addr_cmp(&e->net, net) == 0)
			return (e);
	return (NULL);
}

static void
rt_remove(struct rtaccess *e)
{
	TAILQ_REMOVE(&rtlist, e, entry);
	rtcount--;
	free(e);
}

/* " for 120 seconds", or " until deleted"; then the reason, if any. */
static const char *
rt_describe(const struct rtaccess *e, time_t now)
{
	static char	buf[64 + ACCESS_REASON_MAX];
	char		why[16 + ACCESS_REASON_MAX];

	why[0] = '\0';
	if (e->reason[0] != '\0')
		snprintf(why, sizeof(why), ", reason \"%s\"", e->reason);
	if (e->until == 0)
		snprintf(buf, sizeof(buf), " until deleted%s", why);
	else
		snprintf(buf, sizeof(buf), " for %lld seconds%s",
		    (long long)(e->until > now ? e->until - now : 0), why);
	return (buf);
}

/*
 * The state file, written whole: a temporary file beside it, synced,
 * renamed over it, and the directory synced, so that the name always
 * holds a complete list.  A failure is logged; the list in memory
 * stays what it is.
 */
static int
state_write_entries(FILE *f)
{
	struct rtaccess	*e;

	fprintf(f, "# pop3d runtime access list (pop3ctl access), written "
	    "by pop3d\n# action network expiry(time(3) or never) [reason]\n");
	TAILQ_FOREACH(e, &rtlist, entry) {
		fprintf(f, "%s %s ", action_name(e->action),
		    addr_net_text(&e->net, e->prefixlen));
		if (e->until == 0)
			fprintf(f, "never");
		else
			fprintf(f, "%lld", (long long)e->until);
		if (e->reason[0] != '\0')
			fprintf(f, " %s", e->reason);
		fprintf(f, "\n");
	}
	if (fflush(f) == EOF || ferror(f) || fsync(fileno(f)) == -1)
		return (-1);
	return (0);
}

static void
state_sync_dir(const char *path)
{
	char	 dir[PATH_MAX];
	int	 fd;

	strlcpy(dir, path, sizeof(dir));
	if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return;
	fsync(fd);
	close(fd);
}

static void
state_save(void)
{
	char	 tmp[PATH_MAX];
	FILE	*f;
	int	 fd;

	if (state_path[0] == '\0')
		return;
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", state_path) >=
	    (int)sizeof(tmp)) {
		log_warnx("access state %s: path too long", state_path);
		return;
	}
	/* mkstemp(3) makes it 0600, and root's. */
	if ((fd = mkstemp(tmp)) == -1) {
		log_warn("access state %s: cannot create %s", state_path,
		    tmp);
		return;
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		log_warn("access state %s: fdopen", state_path);
		close(fd);
		unlink(tmp);
		return;
	}
	if (fchmod(fd, S_IRUSR | S_IWUSR) == -1 ||
	    state_write_entries(f) == -1) {
		log_warn("access state %s: cannot write %s", state_path, tmp);
		fclose(f);
		unlink(tmp);
		return;
	}
	if (fclose(f) == EOF) {
		log_warn("access state %s: cannot write %s", state_path, tmp);
		unlink(tmp);
		return;
	}
	if (rename(tmp, state_path) == -1) {
		log_warn("access state %s: rename", state_path);
		unlink(tmp);
		return;
	}
	state_sync_dir(state_path);
}

static void	rt_arm(void);

/* Expired entries go, each with a log line. */
static void
rt_expire(int fd, short event, void *arg)
{
	struct rtaccess	*e, *next;
	time_t		 now = time(NULL);
	int		 n = 0;

	TAILQ_FOREACH_SAFE(e, &rtlist, entry, next) {
		if (e->until == 0 || e->until > now)
			continue;
		log_info("runtime access list: %s %s expired",
		    action_name(e->action),
		    addr_net_text(&e->net, e->prefixlen));
		rt_remove(e);
		n++;
	}
	if (n > 0)
		state_save();
	rt_arm();
}

/* The timer for the entry that expires first, if any does. */
static void
rt_arm(void)
{
	struct rtaccess	*e;
	struct timeval	 tv;
	time_t		 first = 0, now = time(NULL);

	if (!rt_timer_set)
		return;
	evtimer_del(&ev_expire);
	TAILQ_FOREACH(e, &rtlist, entry)
		if (e->until != 0 && (first == 0 || e->until < first))
			first = e->until;
	if (first == 0)
		return;
	tv.tv_sec = first > now ? first - now : 0;
	tv.tv_usec = 0;
	evtimer_add(&ev_expire, &tv);
}

void
access_rt_init(void)
{
	evtimer_set(&ev_expire, rt_expire, NULL);
	rt_timer_set = 1;
}

/*
 * What the runtime list says of address a: ACCESS_GRANT, ACCESS_DENY,
 * or 0 when no entry holds it.  An expired entry the timer has not
 * removed yet no longer counts.
 */
int
access_rt_match(const struct addr *a, time_t now)
{
	struct rtaccess	*e, *best = NULL;

	TAILQ_FOREACH(e, &rtlist, entry) {
		if (e->until != 0 && e->until <= now)
			continue;
		if (!addr_in_net(a, &e->net, e->prefixlen))
			continue;
		if (best == NULL || e->prefixlen > best->prefixlen ||
		    (e->prefixlen == best->prefixlen &&
		    e->action == ACCESS_DENY))
			best = e;
	}
	return (best != NULL ? (int)best->action : 0);
}

/* "ADDR[/PREFIX]" as grant and deny take it; host bits are cleared. */
static int
rt_net(const char *text, struct addr *net, int *plen, char *msg,
    size_t len)
{
	char	err[128];
	int	hostbits;

	if (addr_parse_net(text, net, plen, &hostbits, err,
	    sizeof(err)) == -1) {
		snprintf(msg, len, "%s: %s", text, err);
		return (-1);
	}
	return (0);
}

/*
 * Add an entry, or change the one of the same network; until is when
 * it expires, 0 never.  NULL if the list is full.
 */
static struct rtaccess *
rt_put(enum access_action action, const struct addr *net, int plen,
    time_t until, const char *reason)
{
	struct rtaccess	*e;

	if ((e = rt_find(net, plen)) == NULL) {
		if (rtcount >= ACCESS_RUNTIME_MAX)
			return (NULL);
		e = xcalloc(1, sizeof(*e));
		e->net = *net;
		e->prefixlen = plen;
		TAILQ_INSERT_TAIL(&rtlist, e, entry);
		rtcount++;
	}
	e->action = action;
	e->until = until;
	strlcpy(e->reason, reason, sizeof(e->reason));
	return (e);
}

/*
 * pop3ctl access grant and deny, from who: checked again here, since
 * the control socket's client is trusted no more than its frame.
 * 0, or -1; msg gets what to tell pop3ctl either way.
 */
int
access_rt_set(const struct ctl_access *req, const char *who, char *msg,
    size_t len)
{
	struct rtaccess	*e;
	struct addr	 net;
	char		 err[128];
	time_t		 now = time(NULL);
	int		 plen, existed;

	if (req->action != ACCESS_GRANT && req->action != ACCESS_DENY) {
		snprintf(msg, len, "unknown action");
		return (-1);
	}
	if (rt_net(req->net, &net, &plen, msg, len) == -1)
		return (-1);
	if (req->duration < 0 || req->duration > ACCESS_DURATION_MAX) {
		snprintf(msg, len, "duration out of range (1 second to %lld "
		    "days)", (long long)(ACCESS_DURATION_MAX / 86400));
		return (-1);
	}
	if (req->reason[0] != '\0' &&
	    !access_reason_ok(req->reason, err, sizeof(err))) {
		snprintf(msg, len, "%s", err);
		return (-1);
	}
	existed = rt_find(&net, plen) != NULL;
	if ((e = rt_put(req->action, &net, plen, req->duration == 0 ? 0 :
	    now + req->duration, req->reason)) == NULL) {
		snprintf(msg, len, "runtime access list full (%d entries): "
		    "%s %s refused", ACCESS_RUNTIME_MAX,
		    action_name(req->action), addr_net_text(&net, plen));
		log_warnx("runtime access list full (%d entries): %s %s "
		    "from %s refused", ACCESS_RUNTIME_MAX,
		    action_name(req->action), addr_net_text(&net, plen), who);
		return (-1);
	}
	log_info("runtime access list: %s %s %s by %s:%s",
	    action_name(e->action), addr_net_text(&e->net, e->prefixlen),
	    existed ? "changed" : "added", who, rt_describe(e, now));
	snprintf(msg, len, "%s %s%s", action_name(e->action),
	    addr_net_text(&e->net, e->prefixlen), rt_describe(e, now));
	state_save();
	rt_arm();
	return (0);
}

/* pop3ctl access delete: the entry of exactly that network. */
int
access_rt_delete(const struct ctl_access *req, const char *who, char *msg,
    size_t len)
{
	struct rtaccess	*e;
	struct addr	 net;
	int		 plen;

	if (req->action != 0 || req->duration != 0 || req->reason[0] != '\0') {
		snprintf(msg, len, "delete takes a network and nothing else");
		return (-1);
	}
	if (rt_net(req->net, &net, &plen, msg, len) == -1)
		return (-1);
	if ((e = rt_find(&net, plen)) == NULL) {
		snprintf(msg, len, "%s is not on the runtime access list",
		    addr_net_text(&net, plen));
		return (-1);
	}
	log_info("runtime access list: %s %s deleted by %s",
	    action_name(e->action), addr_net_text(&e->net, e->prefixlen),
	    who);
	snprintf(msg, len, "%s %s deleted", action_name(e->action),
	    addr_net_text(&e->net, e->prefixlen));
	rt_remove(e);
	state_save();
	rt_arm();
	return (0);
}

void
access_rt_show(void (*cb)(const struct ctl_access_entry *, void *),
    void *arg)
{
	struct rtaccess		*e;
	struct ctl_access_entry	 ce;
	time_t			 now = time(NULL);

	TAILQ_FOREACH(e, &rtlist, entry) {
		if (e->until != 0 && e->until <= now)
			continue;
		memset(&ce, 0, sizeof(ce));
		ce.origin = ACCESS_ORIGIN_RUNTIME;
		ce.action = e->action;
		ce.prefixlen = e->prefixlen;
		ce.left = e->until == 0 ? -1 : e->until - now;
		addr_text(&e->net, ce.addr, sizeof(ce.addr));
		strlcpy(ce.reason, e->reason, sizeof(ce.reason));
		cb(&ce, arg);
	}
}

size_t
access_rt_count(void)
{
	return (rtcount);
}

/*
 * One line of the state file: "ACTION NET EXPIRY [REASON]".  0, or -1
 * with the reason in err.
 */
static int
state_line(char *line, time_t now, char *err, size_t len)
{
	struct addr	 net;
	const char	*errstr, *reason = "";
	char		*action, *nettext, *expiry, *p = line;
	long long	 until = 0;
	int		 plen;

	action = strsep(&p, " ");
	nettext = strsep(&p, " ");
	expiry = strsep(&p, " ");
	if (p != NULL)
		reason = p;
	if (nettext == NULL || expiry == NULL) {
		snprintf(err, len, "expected: action network expiry [reason]");
		return (-1);
	}
	if (strcmp(action, "grant") != 0 && strcmp(action, "deny") != 0) {
		snprintf(err, len, "unknown action \"%s\"", action);
		return (-1);
	}
	if (rt_net(nettext, &net, &plen, err, len) == -1)
		return (-1);
	if (strcmp(expiry, "never") != 0) {
		until = strtonum(expiry, 1, LLONG_MAX, &errstr);
		if (errstr != NULL) {
			snprintf(err, len, "expiry \"%s\" is %s", expiry,
			    errstr);
			return (-1);
		}
	}
	if (reason[0] != '\0' && !access_reason_ok(reason, err, len))
		return (-1);
	if (rt_find(&net, plen) != NULL) {
		snprintf(err, len, "%s listed twice, the first one kept",
		    addr_net_text(&net, plen));
		return (-1);
	}
	if (until != 0 && until <= now) {
		log_info("runtime access list: %s %s expired while pop3d was "
		    "not running", action, addr_net_text(&net, plen));
		return (0);
	}
	if (rt_put(strcmp(action, "deny") == 0 ? ACCESS_DENY : ACCESS_GRANT,
	    &net, plen, (time_t)until, reason) == NULL) {
		snprintf(err, len, "runtime access list full (%d entries)",
		    ACCESS_RUNTIME_MAX);
		return (-1);
	}
	return (0);
}

/*
 * Refused if anyone but root could have written it: its entries let
 * addresses in.
 */
static FILE *
state_open(const char *path)
{
	struct stat	 sb;
	FILE		*f;

	if ((f = fopen(path, "re")) == NULL) {
		if (errno != ENOENT)
			log_warn("access state %s", path);
		return (NULL);
	}
	if (fstat(fileno(f), &sb) == -1) {
		log_warn("access state %s", path);
		fclose(f);
		return (NULL);
	}
	if (!S_ISREG(sb.st_mode) || sb.st_uid != 0 ||
	    (sb.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		log_warnx("access state %s: not read, it must be a regular "
		    "file of root's that no one else may write", path);
		fclose(f);
		return (NULL);
	}
	return (f);
}

/* At start: bad lines are logged as file:line and skipped. */
static void
state_load(const char *path)
{
	char		 line[ACCESS_STATE_LINE_MAX + 2], err[256];
	FILE		*f;
	time_t		 now = time(NULL);
	size_t		 len, before = rtcount;
	int		 lineno = 0, longline = 0;

	if ((f = state_open(path)) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(f)) {
			/* The rest of an overlong line is no line. */
			if (!longline)
				log_warnx("%s:%d: line longer than %d "
				    "characters, skipped", path, lineno + 1,
				    ACCESS_STATE_LINE_MAX);
			longline = 1;
			continue;
		}
		lineno++;
		if (longline) {
			longline = 0;
			continue;
		}
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (state_line(line, now, err, sizeof(err)) == -1)
			log_warnx("%s:%d: %s, skipped", path, lineno, err);
	}
	if (ferror(f))
		log_warn("access state %s", path);
	fclose(f);
	log_info("runtime access list: %zu entries read from %s",
	    rtcount - before, path);
}

/*
 * At start and at every reload.  The first time, the state file is
 * read; a reload that names another file writes the list there.  The
 * list itself is the running daemon's, and no reload changes it.
 */
void
access_rt_configure(const struct pop3d_conf *conf)
{
	if (strcmp(conf->access_state, state_path) == 0 && state_loaded)
		return;
	strlcpy(state_path, conf->access_state, sizeof(state_path));
	if (!state_loaded) {
		state_loaded = 1;
		if (state_path[0] != '\0')
			state_load(state_path);
	} else
		state_save();
	rt_arm();
}
