/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Sockets and inet addresses: what connect and DNS records carry. */
#ifndef WP_LIB_NET_H
#define WP_LIB_NET_H

#include "task.h"

#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define S_IFMT 00170000
#define S_IFSOCK 0140000

/* The socket behind fd in the current task, or NULL when fd is not a socket. */
static __always_inline struct socket *socket_of_fd(int fd)
{
	struct file *file = file_of_fd(fd);
	if (!file)
		return NULL;
	umode_t mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	return (struct socket *)BPF_CORE_READ(file, private_data);
}

static __always_inline __u8 transport_of(struct socket *sock)
{
	if (!sock)
		return WP_TRANSPORT_UNKNOWN;
	short type = BPF_CORE_READ(sock, type);
	return type == SOCK_STREAM ? WP_TRANSPORT_TCP : type == SOCK_DGRAM ? WP_TRANSPORT_UDP : WP_TRANSPORT_UNKNOWN;
}

struct endpoint {
	__u16 family;
	__u16 port; /* host order */
	__u8 addr[16];
};

/* Reads an inet sockaddr from user memory; false for other families. */
static __always_inline bool read_sockaddr(struct endpoint *ep, const void *uaddr)
{
	__u16 family = 0;
	if (!uaddr || bpf_probe_read_user(&family, sizeof(family), uaddr) != 0)
		return false;
	ep->family = family;
	if (family == AF_INET) {
		struct sockaddr_in sin = {};
		bpf_probe_read_user(&sin, sizeof(sin), uaddr);
		ep->port = bpf_ntohs(sin.sin_port);
		__builtin_memcpy(ep->addr, &sin.sin_addr.s_addr, 4);
		return true;
	}
	if (family == AF_INET6) {
		struct sockaddr_in6 sin6 = {};
		bpf_probe_read_user(&sin6, sizeof(sin6), uaddr);
		ep->port = bpf_ntohs(sin6.sin6_port);
		__builtin_memcpy(ep->addr, &sin6.sin6_addr, 16);
		return true;
	}
	return false;
}

/* The peer of a connected socket (send/write without an address). */
static __always_inline bool read_peer(struct endpoint *ep, struct socket *sock)
{
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return false;
	ep->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	ep->port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (ep->family == AF_INET) {
		__u32 daddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(ep->addr, &daddr, 4);
		return true;
	}
	if (ep->family == AF_INET6) {
		BPF_CORE_READ_INTO(&ep->addr, sk, __sk_common.skc_v6_daddr);
		return true;
	}
	return false;
}

#endif
