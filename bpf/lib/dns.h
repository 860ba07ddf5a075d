/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* DNS questions: the payload of a UDP send to port 53, whichever syscall sent it. */
#ifndef WP_LIB_DNS_H
#define WP_LIB_DNS_H

#include "cgroup.h"
#include "dedup.h"
#include "net.h"
#include "output.h"
#include "scratch.h"

#define DNS_PORT 53
#define DNS_HEADER_LEN 12

/*
 * A DNS question: the payload of a UDP send to port 53. The QNAME's wire form "\3www\7example\3com\0" becomes
 * "www.example.com" by replacing each length byte with '.', so one bounded pass over the bytes after the first
 * length byte both validates and converts it. Compression pointers cannot occur in a question's first name.
 */
static __always_inline int emit_dns(const struct wp_watch *watch, const struct endpoint *ep,
				    const void *payload, __u64 payload_len)
{
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	__u32 len = payload_len > WP_DNS_PACKET_MAX ? WP_DNS_PACKET_MAX : payload_len;
	if (len <= DNS_HEADER_LEN + 1 || bpf_probe_read_user(s->packet, len, payload) != 0) {
		count(WP_CTR_DNS_UNPARSED);
		return 0;
	}

	__u16 flags = ((__u16)s->packet[2] << 8) | s->packet[3];
	if (flags & 0x8000) /* a response, not a question */
		return 0;
	__u8 first = s->packet[DNS_HEADER_LEN];
	if (first == 0 || first > 63) {
		count(WP_CTR_DNS_UNPARSED);
		return 0;
	}

	struct wp_dns *e = reserve(sizeof(*e));
	if (!e)
		return 0;

	__u32 next_len_at = DNS_HEADER_LEN + 1 + first; /* wire offset of the next length byte */
	__u32 name_len = 0;
	bool complete = false;
	for (__u32 i = 0; i < WP_DNS_NAME_MAX - 1; i++) {
		__u32 at = DNS_HEADER_LEN + 1 + i;
		if (at >= len)
			break;
		__u8 c = s->packet[at & (WP_DNS_PACKET_MAX - 1)];
		if (at == next_len_at) {
			if (c == 0) {
				complete = true;
				name_len = i;
				break;
			}
			if (c > 63)
				break;
			next_len_at = at + 1 + c;
			c = '.';
		} else if (c >= 'A' && c <= 'Z') {
			c += 'a' - 'A';
		}
		e->name[i & (WP_DNS_NAME_MAX - 1)] = c;
	}
	__u32 qtype_at = DNS_HEADER_LEN + 1 + name_len + 1;
	if (!complete || qtype_at + 2 > len) {
		bpf_ringbuf_discard(e, 0);
		count(WP_CTR_DNS_UNPARSED);
		return 0;
	}
	e->name[name_len & (WP_DNS_NAME_MAX - 1)] = 0;
	e->qtype = ((__u16)s->packet[qtype_at & (WP_DNS_PACKET_MAX - 1)] << 8) |
		   s->packet[(qtype_at + 1) & (WP_DNS_PACKET_MAX - 1)];
	e->name_len = name_len;

	__u64 key_hash = hash_string(e->name, WP_DNS_NAME_MAX) ^ ((__u64)e->qtype << 48);
	if (seen_before(watch, WP_DNS, key_hash)) {
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	fill_header(&e->hdr, WP_DNS, watch->container);
	e->family = ep->family;
	e->port = ep->port;
	__builtin_memcpy(e->addr, ep->addr, sizeof(e->addr));
	submit(e);
	return 0;
}

/* Shared by sendto/sendmsg/write: dest is the explicit address (may be NULL for a connected socket). */
static __always_inline int maybe_dns(int fd, const void *dest, const void *payload, __u64 payload_len)
{
	struct wp_watch *watch = watched_current();
	if (!watch)
		return 0;

	struct endpoint ep = {};
	if (dest) {
		if (!read_sockaddr(&ep, dest) || ep.port != DNS_PORT)
			return 0;
		struct socket *sock = socket_of_fd(fd);
		if (transport_of(sock) != WP_TRANSPORT_UDP)
			return 0;
	} else {
		struct socket *sock = socket_of_fd(fd);
		if (!sock || transport_of(sock) != WP_TRANSPORT_UDP || !read_peer(&ep, sock) || ep.port != DNS_PORT)
			return 0;
	}
	return emit_dns(watch, &ep, payload, payload_len);
}

#endif
