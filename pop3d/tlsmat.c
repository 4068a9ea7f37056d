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
 * Runs as root, in the parent: the TLS material.  The parser checks the
 * outline of the certificate, chain and key files and the protocol and
 * cipher strings, so that pop3d -n finds what is wrong; at start and on
 * reload the parent reads the files and builds one context from them to
 * let libtls judge their contents; each new session gets the bytes
 * (pop3d.c).  No child ever opens these files.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tls.h>
#include <unistd.h>

#include "pop3d.h"
#include "tlsctx.h"

/*
 * A line that starts a PEM block.  Not necessarily the first line:
 * "openssl x509 -text" and PKCS#12 exports put text before it, and
 * libtls skips that.  A DER file, or the wrong file, has none.
 */
static int
pem_begins(const char *buf, size_t len)
{
	static const char	 begin[] = "-----BEGIN ";
	const char		*p = buf, *end = buf + len, *nl;

	while (p < end) {
		if ((size_t)(end - p) >= sizeof(begin) - 1 &&
		    memcmp(p, begin, sizeof(begin) - 1) == 0)
			return (1);
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			break;
		p = nl + 1;
	}
	return (0);
}

/* A secret gives group and other no access at all, not even execute. */
int
secret_mode_ok(const char *what, const char *path, const struct stat *st,
    char *err, size_t len)
{
	if ((st->st_mode & (S_IRGRP | S_IROTH)) != 0) {
		snprintf(err, len, "%s %s is readable by group or other "
		    "(mode %04o)", what, path,
		    (unsigned int)(st->st_mode & 07777));
		return (0);
	}
	if ((st->st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(err, len, "%s %s is accessible by group or other "
		    "(mode %04o)", what, path,
		    (unsigned int)(st->st_mode & 07777));
		return (0);
	}
	return (1);
}

/*
 * check_file_secrecy(), as OpenBSD's daemons do it: a private key that
 * someone else owns, or others may read or replace, is no secret.
 */
static int
secrecy_ok(const char *what, const char *path, const struct stat *st,
    char *err, size_t len)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		if (geteuid() == 0)
			snprintf(err, len, "%s %s is owned by uid %u, not by "
			    "root", what, path, (unsigned int)st->st_uid);
		else
			snprintf(err, len, "%s %s is owned by uid %u, neither "
			    "root nor uid %u", what, path,
			    (unsigned int)st->st_uid, (unsigned int)geteuid());
		return (0);
	}
	return (secret_mode_ok(what, path, st, err, len));
}

/* The first bytes of a file that fstat() said is st_size long. */
static char *
file_head(int fd, const struct stat *st, size_t *len, int *errnum)
{
	char	*buf;
	ssize_t	 n;

	/* A file that grew since fstat() is judged by its first bytes. */
	buf = xcalloc(1, st->st_size + 1);
	*len = 0;
	while (*len < (size_t)st->st_size &&
	    (n = read(fd, buf + *len, st->st_size - *len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			*errnum = errno;
			freezero(buf, st->st_size + 1);
			return (NULL);
		}
		*len += n;
	}
	return (buf);
}

/*
 * The outline of a certificate, chain or key file (secret: the key):
 * a regular PEM file within TLS_PEM_MAX, and a key nobody else may
 * touch.  libtls judges the contents when the parent loads them.
 * O_NONBLOCK keeps a FIFO from hanging the parse before fstat()
 * refuses it.  1 if good, else 0 with the reason in err.
 */
int
tlsmat_file_ok(const char *what, const char *path, int secret, char *err,
    size_t len)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 n = 0;
	int		 fd, ok = 0, errnum = 0;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		snprintf(err, len, "%s %s: %s", what, path, strerror(errno));
		return (0);
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, len, "%s %s: %s", what, path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, len, "%s %s: not a regular file", what, path);
		goto done;
	}
	if (st.st_size > TLS_PEM_MAX) {
		snprintf(err, len, "%s %s: larger than %d bytes", what, path,
		    TLS_PEM_MAX);
		goto done;
	}
	if (secret && !secrecy_ok(what, path, &st, err, len))
		goto done;
	if ((buf = file_head(fd, &st, &n, &errnum)) == NULL) {
		snprintf(err, len, "%s %s: %s", what, path, strerror(errnum));
		goto done;
	}
	if (!pem_begins(buf, n)) {
		snprintf(err, len, "%s %s: not PEM (no -----BEGIN line)", what,
		    path);
		goto done;
	}
	ok = 1;
 done:
	/* The key's bytes are no business of the parser's. */
	if (buf != NULL)
		freezero(buf, st.st_size + 1);
	close(fd);
	return (ok);
}

/* RFC 8997 deprecates TLS 1.0 and 1.1: pop3d never offers them. */
int
tlsmat_protocols_ok(const char *s, char *err, size_t len)
{
	uint32_t	protocols;

	if (tls_config_parse_protocols(&protocols, s) == -1) {
		snprintf(err, len, "tls protocols \"%s\": not a libtls "
		    "protocol list", s);
		return (0);
	}
	if ((protocols & (TLS_PROTOCOL_TLSv1_0 | TLS_PROTOCOL_TLSv1_1)) != 0) {
		snprintf(err, len, "tls protocols \"%s\" enables TLS 1.0 or "
		    "1.1, below the TLS 1.2 minimum (RFC 8997)", s);
		return (0);
	}
	if (protocols == 0) {
		snprintf(err, len, "tls protocols \"%s\" enables no protocol",
		    s);
		return (0);
	}
	return (1);
}

/* Only libtls knows what it accepts: ask it, on a context of our own. */
int
tlsmat_ciphers_ok(const char *s, char *err, size_t len)
{
	struct tls_config	*tc;
	int			 ok = 1;

	if ((tc = tls_config_new()) == NULL) {
		snprintf(err, len, "tls ciphers \"%s\": cannot check: libtls "
		    "failed to start", s);
		return (0);
	}
	if (tls_config_set_ciphers(tc, s) == -1) {
		snprintf(err, len, "tls ciphers \"%s\": %s", s,
		    tls_config_error(tc));
		ok = 0;
	}
	tls_config_free(tc);
	return (ok);
}

/* Append a whole file to *buf; -1 with a log line if it cannot. */
static int
file_append(const char *path, uint8_t **buf, size_t *len)
{
	struct stat	 sb;
	uint8_t		*p;
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1) {
		log_warn("%s", path);
		goto fail;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size == 0 ||
	    (size_t)sb.st_size > TLS_PEM_MAX - *len) {
		log_warnx("%s: not a regular file of 1 to %d bytes", path,
		    TLS_PEM_MAX);
		goto fail;
	}
	p = xcalloc(1, *len + sb.st_size);
	if (*len > 0)
		memcpy(p, *buf, *len);
	while (off < (size_t)sb.st_size &&
	    (n = read(fd, p + *len + off, sb.st_size - off)) > 0)
		off += n;
	if (off != (size_t)sb.st_size) {
		log_warnx("%s: short read", path);
		freezero(p, *len + sb.st_size);
		goto fail;
	}
	close(fd);
	freezero(*buf, *len);
	*buf = p;
	*len += off;
	return (0);
 fail:
	if (fd != -1)
		close(fd);
	return (-1);
}

void
tlsmat_free(struct tls_material *m)
{
	freezero(m->cert, m->certlen);
	freezero(m->key, m->keylen);
	memset(m, 0, sizeof(*m));
}

/*
 * Read the certificate, chain and key, and build a context from them
 * once here, so that a bad file is found now and not by every session.
 * Nothing configured is no TLS: 0 with m empty.
 */
int
tlsmat_load(const struct pop3d_conf *c, struct tls_material *m)
{
	struct tls	*ctx;
	const char	*why;

	memset(m, 0, sizeof(*m));
	if (c->tls_cert[0] == '\0')
		return (0);
	if (file_append(c->tls_cert, &m->cert, &m->certlen) == -1 ||
	    (c->tls_ca[0] != '\0' &&
	    file_append(c->tls_ca, &m->cert, &m->certlen) == -1) ||
	    file_append(c->tls_key, &m->key, &m->keylen) == -1)
		goto fail;
	if ((ctx = tlsctx_new(c->tls_protocols, c->tls_ciphers, m->cert,
	    m->certlen, m->key, m->keylen, &why)) == NULL) {
		log_warnx("%s: %s", c->tls_cert, why);
		goto fail;
	}
	tls_free(ctx);
	return (0);
 fail:
	tlsmat_free(m);
	return (-1);
}
