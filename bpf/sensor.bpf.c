// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * WorkloadProfiles kernel sensor (CO-RE). Tracepoints only: kprobes, fentry and LSM are not available everywhere
 * the agent runs, and the syscall/sched/cgroup tracepoints carry everything a profile needs.
 *
 * Filtering policy (decided here, documented in the README):
 *  - Activity (exec, fork, exit, open, connect, DNS) is emitted only for tasks whose cgroup v2 id is in
 *    `profiled_cgroups`. Lineage does not need events from other cgroups: a container's processes stay in its
 *    cgroup, and the agent reads /proc for processes that existed before the cgroup became profiled.
 *  - cgroup mkdir/rmdir of the default hierarchy are emitted for every cgroup: that is how the agent discovers
 *    new containers and learns that one stopped, without polling the runtime.
 *  - Open, connect and DNS are deduplicated per (cgroup, process, kind, key) within a window. The window is the
 *    cgroup's `generation` in `profiled_cgroups`: the agent bumps it on rotation instead of clearing the LRU map,
 *    and stale entries age out. Exec, fork and exit are never deduplicated: they build the process tree.
 *  - A full ring buffer is counted in `counters[WP_CTR_RINGBUF_DROPS]`, never hidden.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "sensor.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define DNS_PORT 53
#define DNS_HEADER_LEN 12

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024 * 1024); /* the agent may resize before load */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct wp_profiled);
} profiled_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct wp_dedup_key);
	__type(value, __u64);
} dedup SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WP_CTR_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* openat/openat2 arguments between sys_enter and sys_exit, keyed by pid_tgid (LRU: a thread killed mid-syscall
 * must not leak an entry). */
struct open_args {
	const char *filename;
	__s64 flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct open_args);
} open_stash SEC(".maps");

#define EXE_WALK_BUF 1024 /* components are written right to left below offset 512; the mask keeps reads in bounds */
#define EXE_WALK_MASK 511
#define EXE_WALK_DEPTH 24

/* Per-CPU scratch: the stack is 512 bytes, a path or a DNS packet does not fit beside the rest. */
struct scratch {
	char path[WP_PATH_MAX];
	__u8 packet[WP_DNS_PACKET_MAX];
	char walk[EXE_WALK_BUF];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

static __always_inline void count(__u32 index)
{
	__u64 *value = bpf_map_lookup_elem(&counters, &index);
	if (value)
		*value += 1;
}

static __always_inline struct wp_profiled *profiled_current(__u64 *cgroup_id)
{
	*cgroup_id = bpf_get_current_cgroup_id();
	return bpf_map_lookup_elem(&profiled_cgroups, cgroup_id);
}

static __always_inline void *reserve(__u64 size)
{
	void *record = bpf_ringbuf_reserve(&events, size, 0);
	if (!record)
		count(WP_CTR_RINGBUF_DROPS);
	return record;
}

static __always_inline void submit(void *record)
{
	count(WP_CTR_EMITTED);
	bpf_ringbuf_submit(record, 0);
}

static __always_inline void fill_header(struct wp_header *hdr, __u32 kind, __u64 cgroup_id)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();

	hdr->ktime_ns = bpf_ktime_get_ns();
	hdr->cgroup_id = cgroup_id;
	hdr->kind = kind;
	hdr->tgid = pid_tgid >> 32;
	hdr->tid = (__u32)pid_tgid;
	hdr->ppid = BPF_CORE_READ(task, real_parent, tgid);
	hdr->uid = (__u32)uid_gid;
	hdr->gid = uid_gid >> 32;
	bpf_get_current_comm(hdr->comm, sizeof(hdr->comm));
}

/* FNV-1a over a NUL-terminated string of at most `max` bytes. */
static __always_inline __u64 hash_string(const char *s, __u32 max)
{
	__u64 hash = 0xcbf29ce484222325ULL;
	for (__u32 i = 0; i < WP_PATH_MAX && i < max; i++) {
		char c = s[i];
		if (!c)
			break;
		hash ^= (__u8)c;
		hash *= 0x100000001b3ULL;
	}
	return hash;
}

/* True when this (process, kind, key) was already sent in the cgroup's current window; otherwise records it. */
static __always_inline bool seen_before(__u64 cgroup_id, const struct wp_profiled *profiled, __u16 kind, __u64 key_hash)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct wp_dedup_key key = {};
	__u64 now = bpf_ktime_get_ns();

	key.cgroup_id = cgroup_id;
	key.process_start_ns = BPF_CORE_READ(task, group_leader, start_time);
	key.key_hash = key_hash;
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	key.kind = kind;
	key.generation = profiled->generation;
	if (bpf_map_update_elem(&dedup, &key, &now, BPF_NOEXIST) != 0) {
		count(WP_CTR_DEDUP_SUPPRESSED);
		return true;
	}
	return false;
}

static __always_inline struct scratch *get_scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&scratch_map, &zero);
}

/* ---- process lifecycle ---- */

/*
 * The path of the running executable (mm->exe_file), rebuilt by walking dentries up to the root of the task's
 * mount namespace and crossing mounts: bpf_d_path is not available to tracepoints. For a container it is the path
 * inside the container (its root mount has no parent in its namespace). Used when the exec'd filename does not
 * name the binary: a re-exec of /proc/self/exe (busybox applets) or a relative path.
 * Returns false when the walk did not reach the root within EXE_WALK_DEPTH components.
 */
struct exe_walk {
	struct dentry *dentry;
	struct mount *mnt;
	struct dentry *mnt_root;
	__u32 pos; /* start of the path built so far in scratch->walk */
	__u32 complete;
};

/* One component of the walk, as a bpf_loop callback: the verifier checks it once instead of once per unrolled
 * iteration and branch combination (a plain loop exceeds its 1M-instruction budget). Returns 1 to stop. */
static long exe_walk_step(__u32 index, struct exe_walk *w)
{
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);
	if (!s)
		return 1;
	struct dentry *dentry = w->dentry;
	struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
	if (dentry == w->mnt_root || dentry == parent) {
		struct mount *mnt = w->mnt; /* a local: BPF_CORE_READ must not relocate the exe_walk field access */
		struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
		if (mnt == mnt_parent || dentry == parent) {
			w->complete = 1;
			return 1;
		}
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = mnt_parent;
		w->mnt_root = BPF_CORE_READ(mnt_parent, mnt.mnt_root);
		return 0;
	}
	struct qstr name = BPF_CORE_READ(dentry, d_name);
	__u32 len = name.len & 255;
	__u32 pos = w->pos & EXE_WALK_MASK;
	if (len + 1 > pos)
		return 1;
	pos -= len;
	bpf_probe_read_kernel(&s->walk[pos & EXE_WALK_MASK], len, name.name);
	pos -= 1;
	s->walk[pos & EXE_WALK_MASK] = '/';
	w->pos = pos;
	w->dentry = parent;
	return 0;
}

/*
 * The path of the running executable (mm->exe_file), rebuilt by walking dentries up to the root of the task's
 * mount namespace and crossing mounts: bpf_d_path is not available to tracepoints. For a container it is the path
 * inside the container (its root mount has no parent in its namespace). Used when the exec'd filename does not
 * name the binary: a re-exec of /proc/self/exe (busybox applets) or a relative path.
 * Returns false when the walk did not reach the root within EXE_WALK_DEPTH components.
 */
static __always_inline bool read_exe_path(struct task_struct *task, char *out, __u32 out_size, struct scratch *s)
{
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	if (!exe)
		return false;
	struct vfsmount *vfsmnt = BPF_CORE_READ(exe, f_path.mnt);
	struct exe_walk w = {
		.dentry = BPF_CORE_READ(exe, f_path.dentry),
		.mnt = (struct mount *)((void *)vfsmnt - bpf_core_field_offset(struct mount, mnt)),
		.mnt_root = BPF_CORE_READ(vfsmnt, mnt_root),
		.pos = EXE_WALK_MASK,
	};
	s->walk[EXE_WALK_MASK] = 0;
	bpf_loop(EXE_WALK_DEPTH, exe_walk_step, &w, 0);
	if (!w.complete || w.pos >= EXE_WALK_MASK)
		return false;
	return bpf_probe_read_kernel_str(out, out_size, &s->walk[w.pos & EXE_WALK_MASK]) > 0;
}

SEC("tp/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	__u64 cgroup_id;
	if (!profiled_current(&cgroup_id))
		return 0;

	struct wp_exec *e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, WP_EXEC, cgroup_id);

	unsigned int filename_loc = ctx->__data_loc_filename & 0xFFFF;
	long n = bpf_probe_read_kernel_str(e->path, sizeof(e->path), (void *)ctx + filename_loc);
	e->path_len = n > 0 ? n - 1 : 0;

	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	bool self_reexec = e->path[0] == '/' && e->path[1] == 'p' && e->path[2] == 'r' && e->path[3] == 'o' &&
			   e->path[4] == 'c' && e->path[5] == '/';
	if (e->path[0] != '/' || self_reexec) {
		struct scratch *s = get_scratch();
		if (s && read_exe_path(task, e->path, sizeof(e->path), s)) {
			e->path_len = 0;
			for (int i = 0; i < WP_PATH_MAX; i++) {
				if (!e->path[i])
					break;
				e->path_len++;
			}
		}
	}

	/* argv lives in the new mm between arg_start and arg_end, each string NUL-terminated. */
	unsigned long arg_start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long arg_end = BPF_CORE_READ(task, mm, arg_end);
	unsigned long len = arg_end > arg_start ? arg_end - arg_start : 0;
	e->args_truncated = len > WP_ARGS_MAX;
	if (len > WP_ARGS_MAX)
		len = WP_ARGS_MAX;
	if (bpf_probe_read_user(e->args, len, (void *)arg_start) != 0)
		len = 0;
	e->args_len = len;

	submit(e);
	return 0;
}

/* raw_tp, not tp: the raw tracepoint hands over the child task, so a new thread (same tgid) can be told apart
 * from a new process. Raw tracepoints need no trampoline (unlike fentry/tp_btf). */
SEC("raw_tp/sched_process_fork")
int handle_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	__u32 child_pid = BPF_CORE_READ(child, pid);
	__u32 child_tgid = BPF_CORE_READ(child, tgid);
	if (child_pid != child_tgid)
		return 0;

	__u64 cgroup_id;
	if (!profiled_current(&cgroup_id))
		return 0;

	struct wp_fork *e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, WP_FORK, cgroup_id);
	e->child_tgid = child_tgid;
	e->pad = 0;
	submit(e);
	return 0;
}

SEC("tp/sched/sched_process_exit")
int handle_exit(struct trace_event_raw_sched_process_exit *ctx)
{
	/* One event per thread group: only when its last thread exits. */
	if (!ctx->group_dead)
		return 0;

	__u64 cgroup_id;
	if (!profiled_current(&cgroup_id))
		return 0;

	struct wp_exit *e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, WP_EXIT, cgroup_id);
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	e->exit_code = BPF_CORE_READ(task, exit_code);
	e->pad = 0;
	submit(e);
	return 0;
}

/* ---- file opens: stash at enter, emit at exit on success ---- */

static __always_inline int stash_open(const char *filename, __s64 flags)
{
	__u64 cgroup_id;
	if (!profiled_current(&cgroup_id))
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	struct open_args args = { .filename = filename, .flags = flags };
	bpf_map_update_elem(&open_stash, &id, &args, BPF_ANY);
	return 0;
}

SEC("tp/syscalls/sys_enter_openat")
int handle_enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	return stash_open((const char *)ctx->args[1], (__s64)ctx->args[2]);
}

SEC("tp/syscalls/sys_enter_open")
int handle_enter_open(struct trace_event_raw_sys_enter *ctx)
{
	return stash_open((const char *)ctx->args[0], (__s64)ctx->args[1]);
}

SEC("tp/syscalls/sys_enter_openat2")
int handle_enter_openat2(struct trace_event_raw_sys_enter *ctx)
{
	struct open_how how = {};
	bpf_probe_read_user(&how, sizeof(how.flags), (void *)ctx->args[2]);
	return stash_open((const char *)ctx->args[1], (__s64)how.flags);
}

static __always_inline int emit_open(struct trace_event_raw_sys_exit *ctx)
{
	__u64 cgroup_id;
	struct wp_profiled *profiled = profiled_current(&cgroup_id);
	if (!profiled)
		return 0;

	__u64 id = bpf_get_current_pid_tgid();
	struct open_args *args = bpf_map_lookup_elem(&open_stash, &id);
	if (!args) {
		count(WP_CTR_OPEN_UNMATCHED);
		return 0;
	}
	const char *filename = args->filename;
	__s32 flags = (__s32)args->flags;
	bpf_map_delete_elem(&open_stash, &id);
	if (ctx->ret < 0)
		return 0;

	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	long n = bpf_probe_read_user_str(s->path, sizeof(s->path), filename);
	if (n <= 0)
		return 0;
	/* The key is the path and the access mode: a read and a write of one file are different behaviour. */
	__u64 key_hash = hash_string(s->path, WP_PATH_MAX) ^ ((__u64)(flags & 3) << 62);
	if (seen_before(cgroup_id, profiled, WP_OPEN, key_hash))
		return 0;

	struct wp_open *e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, WP_OPEN, cgroup_id);
	e->flags = flags;
	e->path_len = n - 1;
	e->pad = 0;
	bpf_probe_read_kernel_str(e->path, sizeof(e->path), s->path);
	submit(e);
	return 0;
}

SEC("tp/syscalls/sys_exit_openat")
int handle_exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	return emit_open(ctx);
}

SEC("tp/syscalls/sys_exit_open")
int handle_exit_open(struct trace_event_raw_sys_exit *ctx)
{
	return emit_open(ctx);
}

SEC("tp/syscalls/sys_exit_openat2")
int handle_exit_openat2(struct trace_event_raw_sys_exit *ctx)
{
	return emit_open(ctx);
}

/* ---- network ---- */

/* The socket behind fd in the current task, or NULL when fd is not a socket. */
static __always_inline struct socket *socket_of_fd(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
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

SEC("tp/syscalls/sys_enter_connect")
int handle_connect(struct trace_event_raw_sys_enter *ctx)
{
	__u64 cgroup_id;
	struct wp_profiled *profiled = profiled_current(&cgroup_id);
	if (!profiled)
		return 0;

	struct endpoint ep = {};
	if (!read_sockaddr(&ep, (const void *)ctx->args[1]))
		return 0;
	__u8 transport = transport_of(socket_of_fd((int)ctx->args[0]));

	__u64 key_hash = ((__u64)ep.family << 56) ^ ((__u64)transport << 48) ^ ((__u64)ep.port << 32);
	__u64 a0, a1;
	__builtin_memcpy(&a0, ep.addr, 8);
	__builtin_memcpy(&a1, ep.addr + 8, 8);
	key_hash ^= a0 * 0x9E3779B97F4A7C15ULL ^ a1;
	if (seen_before(cgroup_id, profiled, WP_CONNECT, key_hash))
		return 0;

	struct wp_connect *e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, WP_CONNECT, cgroup_id);
	e->family = ep.family;
	e->port = ep.port;
	e->transport = transport;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	__builtin_memcpy(e->addr, ep.addr, sizeof(e->addr));
	submit(e);
	return 0;
}

/*
 * A DNS question: the payload of a UDP send to port 53. The QNAME's wire form "\3www\7example\3com\0" becomes
 * "www.example.com" by replacing each length byte with '.', so one bounded pass over the bytes after the first
 * length byte both validates and converts it. Compression pointers cannot occur in a question's first name.
 */
static __always_inline int emit_dns(__u64 cgroup_id, struct wp_profiled *profiled, const struct endpoint *ep,
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
	if (seen_before(cgroup_id, profiled, WP_DNS, key_hash)) {
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	fill_header(&e->hdr, WP_DNS, cgroup_id);
	e->family = ep->family;
	e->port = ep->port;
	__builtin_memcpy(e->addr, ep->addr, sizeof(e->addr));
	submit(e);
	return 0;
}

/* Shared by sendto/sendmsg/write: dest is the explicit address (may be NULL for a connected socket). */
static __always_inline int maybe_dns(int fd, const void *dest, const void *payload, __u64 payload_len)
{
	__u64 cgroup_id;
	struct wp_profiled *profiled = profiled_current(&cgroup_id);
	if (!profiled)
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
	return emit_dns(cgroup_id, profiled, &ep, payload, payload_len);
}

SEC("tp/syscalls/sys_enter_sendto")
int handle_sendto(struct trace_event_raw_sys_enter *ctx)
{
	return maybe_dns((int)ctx->args[0], (const void *)ctx->args[4], (const void *)ctx->args[1], ctx->args[2]);
}

static __always_inline int dns_from_msghdr(int fd, const struct user_msghdr *umsg)
{
	struct user_msghdr msg = {};
	if (bpf_probe_read_user(&msg, sizeof(msg), umsg) != 0 || msg.msg_iovlen < 1)
		return 0;
	struct iovec iov = {};
	if (bpf_probe_read_user(&iov, sizeof(iov), msg.msg_iov) != 0)
		return 0;
	return maybe_dns(fd, msg.msg_name, iov.iov_base, iov.iov_len);
}

SEC("tp/syscalls/sys_enter_sendmsg")
int handle_sendmsg(struct trace_event_raw_sys_enter *ctx)
{
	return dns_from_msghdr((int)ctx->args[0], (const struct user_msghdr *)ctx->args[1]);
}

/* glibc's resolver sends A and AAAA questions in one sendmmsg; the first message is enough to know the name, the
 * second is read too so both question types are seen. */
SEC("tp/syscalls/sys_enter_sendmmsg")
int handle_sendmmsg(struct trace_event_raw_sys_enter *ctx)
{
	int fd = (int)ctx->args[0];
	const struct mmsghdr *vec = (const struct mmsghdr *)ctx->args[1];
	unsigned int vlen = (unsigned int)ctx->args[2];
	if (vlen >= 1)
		dns_from_msghdr(fd, &vec[0].msg_hdr);
	if (vlen >= 2)
		dns_from_msghdr(fd, &vec[1].msg_hdr);
	return 0;
}

/* busybox and musl write() the question to a connected UDP socket. */
SEC("tp/syscalls/sys_enter_write")
int handle_write(struct trace_event_raw_sys_enter *ctx)
{
	return maybe_dns((int)ctx->args[0], NULL, (const void *)ctx->args[1], ctx->args[2]);
}

/* ---- container discovery ---- */

static __always_inline int emit_cgroup(struct trace_event_raw_cgroup *ctx, __u32 kind)
{
	if (ctx->root != 0) /* hierarchy 0 is cgroup v2, the one bpf_get_current_cgroup_id() reports */
		return 0;
	struct wp_cgroup *e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, kind, bpf_get_current_cgroup_id());
	e->id = ctx->id;
	e->level = ctx->level;
	e->pad = 0;
	unsigned int path_loc = ctx->__data_loc_path & 0xFFFF;
	long n = bpf_probe_read_kernel_str(e->path, sizeof(e->path), (void *)ctx + path_loc);
	e->path_len = n > 0 ? n - 1 : 0;
	submit(e);
	return 0;
}

SEC("tp/cgroup/cgroup_mkdir")
int handle_cgroup_mkdir(struct trace_event_raw_cgroup *ctx)
{
	return emit_cgroup(ctx, WP_CGROUP_MKDIR);
}

SEC("tp/cgroup/cgroup_rmdir")
int handle_cgroup_rmdir(struct trace_event_raw_cgroup *ctx)
{
	return emit_cgroup(ctx, WP_CGROUP_RMDIR);
}
