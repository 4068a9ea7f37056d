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


#ifndef POP3D_ADDR_H
#define POP3D_ADDR_H

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdint.h>

/*
 * An address as rules and tables hold it: an IPv4-mapped IPv6 address
 * is its IPv4 address, so that ::ffff:192.0.2.1 cannot dodge a rule for
 * 192.0.2.1.
 */
struct addr {
	sa_family_t	family;		/* AF_INET or AF_INET6 */
	uint8_t		a[16];		/* 4 bytes for AF_INET */
};

const char	*ss_to_text(const struct sockaddr_storage *);
in_port_t	 ss_port(const struct sockaddr_storage *);
socklen_t	 ss_len(const struct sockaddr_storage *);
int		 ss_same_addr(const struct sockaddr_storage *,
		    const struct sockaddr_storage *);

int		 addr_from_ss(const struct sockaddr_storage *, struct addr *);
int		 addr_from_text(const char *, struct addr *);
void		 addr_text(const struct addr *, char *, size_t);
int		 addr_cmp(const struct addr *, const struct addr *);
int		 addr_bits(const struct addr *);
void		 addr_mask(struct addr *, int);
int		 addr_in_net(const struct addr *, const struct addr *, int);
int		 addr_parse_net(const char *, struct addr *, int *, int *,
		    char *, size_t);
const char	*addr_net_text(const struct addr *, int);

#endif /* POP3D_ADDR_H */
