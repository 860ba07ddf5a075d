// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * WorkloadProfiles kernel sensor (CO-RE). Tracepoints only: kprobes, fentry and LSM are not available everywhere
 * the agent runs, and the syscall/sched/cgroup tracepoints carry everything a profile and detection need.
 * One header per concern under lib/: output (ring buffer, counters), scratch, task, creds, cgroup (which cgroups are
 * watched), dedup, path (kernel path walks), net, dns.
 *
 * Policy (documented in bpf/README.md):
 *  - Activity (exec, fork, exit, open, connect, DNS) is emitted for every watched cgroup: every container on the host
 *    and the cgroups nested in it, from its creation on (lib/cgroup.h). Which containers form profiling snapshots is
 *    the agent's decision, not the kernel's.
 *  - cgroup mkdir/rmdir of the default hierarchy are emitted for every cgroup: that is how the agent discovers new
 *    containers and learns that one stopped, without polling the runtime.
 *  - Paths are the kernel's: the binary a process runs (mm->exe_file), its working directory, and the file an open
 *    returned, walked from dentries and mounts (lib/path.h), not the strings the process passed.
 *  - Open, connect and DNS are deduplicated per (container, process, kind, key) within a window (lib/dedup.h). Exec,
 *    fork and exit are never deduplicated: they build the process tree.
 *  - A full ring buffer is counted in `counters[WP_CTR_RINGBUF_DROPS]`, never hidden.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "sensor.h"
#include "lib/output.h"
#include "lib/scratch.h"
#include "lib/task.h"
#include "lib/cgroup.h"
#include "lib/dedup.h"
#include "lib/path.h"
#include "lib/net.h"
#include "lib/dns.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define O_ACCMODE 3
#define O_CREAT 0100
#define O_TRUNC 01000

/* ---- process lifecycle ---- */

SEC("tp/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct wp_watch *watch = watched_current();
	if (!watch)
		return 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;

	struct wp_exec *e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, WP_EXEC, watch->container);
	e->flags = 0;

	/* The binary the process now runs, as /proc/<pid>/exe names it: a symlink (/bin/sh → busybox), a re-exec of
	 * /proc/self/exe or a relative name all resolve to one path, so an exec seen live and a process found by the
	 * agent's /proc scan get the same node. */
	struct task_struct *task = current_task();
	int pos = walk_file(s, BPF_CORE_READ(task, mm, exe_file));
	if (pos >= 0) {
		e->path_len = copy_walked(s, pos, e->path);
	} else {
		unsigned int filename_loc = ctx->__data_loc_filename & 0xFFFF;
		long n = bpf_probe_read_kernel_str(e->path, sizeof(e->path), (void *)ctx + filename_loc);
		e->path_len = n > 0 ? n - 1 : 0;
		e->flags |= WP_EXEC_PATH_AS_INVOKED;
	}

	pos = walk_path(s, BPF_CORE_READ(task, fs, pwd.mnt), BPF_CORE_READ(task, fs, pwd.dentry));
	if (pos >= 0) {
		e->cwd_len = copy_walked(s, pos, e->cwd);
	} else {
		e->cwd_len = 0;
		e->cwd[0] = 0;
	}

	/* argv lives in the new mm between arg_start and arg_end, each string NUL-terminated. */
	unsigned long arg_start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long arg_end = BPF_CORE_READ(task, mm, arg_end);
	unsigned long len = arg_end > arg_start ? arg_end - arg_start : 0;
	if (len > WP_ARGS_MAX) {
		e->flags |= WP_EXEC_ARGS_TRUNCATED;
		len = WP_ARGS_MAX;
	}
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

	struct wp_watch *watch = watched_current();
	if (!watch)
		return 0;

	struct wp_fork *e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, WP_FORK, watch->container);
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

	struct wp_watch *watch = watched_current();
	if (!watch)
		return 0;

	struct wp_exit *e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, WP_EXIT, watch->container);
	e->exit_code = BPF_CORE_READ(current_task(), exit_code);
	e->pad = 0;
	submit(e);
	return 0;
}

/* ---- file opens: stash at enter, emit at exit on success ---- */

/* open/openat/openat2/creat/open_by_handle_at arguments between sys_enter and sys_exit, keyed by pid_tgid (LRU: a
 * thread killed mid-syscall must not leak an entry). */
struct open_args {
	const char *filename; /* NULL for open_by_handle_at */
	__s64 flags;
	__s32 dirfd;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct open_args);
} open_stash SEC(".maps");

static __always_inline int stash_open(int dirfd, const char *filename, __s64 flags)
{
	if (!watched_current())
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	struct open_args args = { .filename = filename, .flags = flags, .dirfd = dirfd };
	bpf_map_update_elem(&open_stash, &id, &args, BPF_ANY);
	return 0;
}

SEC("tp/syscalls/sys_enter_openat")
int handle_enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	return stash_open((int)ctx->args[0], (const char *)ctx->args[1], (__s64)ctx->args[2]);
}

SEC("tp/syscalls/sys_enter_open")
int handle_enter_open(struct trace_event_raw_sys_enter *ctx)
{
	return stash_open(AT_FDCWD, (const char *)ctx->args[0], (__s64)ctx->args[1]);
}

SEC("tp/syscalls/sys_enter_openat2")
int handle_enter_openat2(struct trace_event_raw_sys_enter *ctx)
{
	struct open_how how = {};
	bpf_probe_read_user(&how, sizeof(how.flags), (void *)ctx->args[2]);
	return stash_open((int)ctx->args[0], (const char *)ctx->args[1], (__s64)how.flags);
}

/* creat(2) is open(O_CREAT|O_WRONLY|O_TRUNC): a write that must not slip past the open rules. */
SEC("tp/syscalls/sys_enter_creat")
int handle_enter_creat(struct trace_event_raw_sys_enter *ctx)
{
	return stash_open(AT_FDCWD, (const char *)ctx->args[0], O_CREAT | 1 /* O_WRONLY */ | O_TRUNC);
}

/* open_by_handle_at names no path; the opened file's walk gives it. */
SEC("tp/syscalls/sys_enter_open_by_handle_at")
int handle_enter_open_by_handle_at(struct trace_event_raw_sys_enter *ctx)
{
	return stash_open((int)ctx->args[0], NULL, (__s64)ctx->args[2]);
}

/* The dedup key of an open: the file opened (dentry and inode, so the same name in another directory is another
 * key) and whether it may be written. */
static __always_inline __u64 open_key(struct file *file, __s32 flags)
{
	__u64 write = (flags & (O_ACCMODE | O_CREAT | O_TRUNC)) != 0;
	__u64 dentry = (__u64)BPF_CORE_READ(file, f_path.dentry);
	__u64 ino = BPF_CORE_READ(file, f_inode, i_ino);
	return (dentry * 0x9E3779B97F4A7C15ULL) ^ ino ^ (write << 63);
}

/* One successful open of `file` by the current task: deduplicated, then emitted with the file's canonical path.
 * `filename` (user memory, may be NULL) and `dirfd` are the fallback when the file cannot be walked. */
static __always_inline int emit_file_open(struct wp_watch *watch, struct file *file, __s32 flags, const char *filename, int dirfd)
{
	if (!file && !filename)
		return 0;
	__u64 key_hash = file ? open_key(file, flags) : 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	if (!file) {
		/* Not expected after a successful open; key on the name instead. */
		if (bpf_probe_read_user_str(s->walk, WP_PATH_MAX, filename) <= 0)
			return 0;
		key_hash = hash_string(s->walk, WP_PATH_MAX) ^ ((__u64)(flags & O_ACCMODE) << 62);
	}
	if (seen_before(watch, WP_OPEN, key_hash))
		return 0;

	struct wp_open *e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, WP_OPEN, watch->container);
	e->flags = flags;
	e->pad = 0;
	e->resolution = WP_PATH_OPENED_FILE;
	int pos = walk_file(s, file);
	if (pos < 0 && filename) {
		/* Deeper than the walk goes: the passed name, joined to its lookup directory when relative. */
		count(WP_CTR_PATH_FALLBACK);
		char first = 0;
		bpf_probe_read_user(&first, 1, filename);
		pos = first == '/' ? -1 : join_relative(s, dirfd, filename);
		e->resolution = pos >= 0 ? WP_PATH_JOINED : WP_PATH_AS_PASSED;
	}
	if (pos >= 0) {
		e->path_len = copy_walked(s, pos, e->path);
	} else if (filename) {
		long n = bpf_probe_read_user_str(e->path, sizeof(e->path), filename);
		e->path_len = n > 0 ? n - 1 : 0;
		e->resolution = WP_PATH_AS_PASSED;
	} else {
		count(WP_CTR_PATH_FALLBACK);
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	submit(e);
	return 0;
}

static __always_inline int emit_open(struct trace_event_raw_sys_exit *ctx)
{
	struct wp_watch *watch = watched_current();
	if (!watch)
		return 0;

	__u64 id = bpf_get_current_pid_tgid();
	struct open_args *stashed = bpf_map_lookup_elem(&open_stash, &id);
	if (!stashed) {
		count(WP_CTR_OPEN_UNMATCHED);
		return 0;
	}
	struct open_args args = *stashed;
	bpf_map_delete_elem(&open_stash, &id);
	if (ctx->ret < 0)
		return 0;
	return emit_file_open(watch, file_of_fd((int)ctx->ret), (__s32)args.flags, args.filename, args.dirfd);
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

SEC("tp/syscalls/sys_exit_creat")
int handle_exit_creat(struct trace_event_raw_sys_exit *ctx)
{
	return emit_open(ctx);
}

SEC("tp/syscalls/sys_exit_open_by_handle_at")
int handle_exit_open_by_handle_at(struct trace_event_raw_sys_exit *ctx)
{
	return emit_open(ctx);
}

/* Opens submitted through io_uring (IORING_OP_OPENAT, OPENAT2) never pass the open syscalls: they run inside
 * io_uring_enter or on an io-wq worker thread of the same process (sharing its fd table and cgroup). Their completion
 * carries the new fd, walked like a syscall's. An open into a fixed-file slot returns no fd: counted, not walked. */
SEC("tp/io_uring/io_uring_complete")
int handle_uring_complete(struct trace_event_raw_io_uring_complete *ctx)
{
	struct wp_watch *watch = watched_current();
	if (!watch || ctx->res < 0)
		return 0;
	struct io_kiocb *req = ctx->req;
	__u8 opcode = BPF_CORE_READ(req, opcode);
	if (opcode != IORING_OP_OPENAT && opcode != IORING_OP_OPENAT2)
		return 0;
	struct io_open *open = (struct io_open *)&req->cmd;
	if (BPF_CORE_READ(open, file_slot)) {
		count(WP_CTR_URING_FIXED_OPEN);
		return 0;
	}
	return emit_file_open(watch, file_of_fd(ctx->res), (__s32)BPF_CORE_READ(open, how.flags), NULL, 0);
}

/* ---- network ---- */

SEC("tp/syscalls/sys_enter_connect")
int handle_connect(struct trace_event_raw_sys_enter *ctx)
{
	struct wp_watch *watch = watched_current();
	if (!watch)
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
	if (seen_before(watch, WP_CONNECT, key_hash))
		return 0;

	struct wp_connect *e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, WP_CONNECT, watch->container);
	e->family = ep.family;
	e->port = ep.port;
	e->transport = transport;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	__builtin_memcpy(e->addr, ep.addr, sizeof(e->addr));
	submit(e);
	return 0;
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

static __always_inline int emit_cgroup(struct trace_event_raw_cgroup *ctx, __u32 kind, __u64 container)
{
	struct wp_cgroup *e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_header(&e->hdr, kind, 0);
	e->id = ctx->id;
	e->container = container;
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
	if (ctx->root != 0) /* hierarchy 0 is cgroup v2, the one bpf_get_current_cgroup_id() reports */
		return 0;
	__u64 container = watch_new_cgroup(ctx->id);
	return emit_cgroup(ctx, WP_CGROUP_MKDIR, container);
}

SEC("tp/cgroup/cgroup_rmdir")
int handle_cgroup_rmdir(struct trace_event_raw_cgroup *ctx)
{
	if (ctx->root != 0)
		return 0;
	unwatch_cgroup(ctx->id);
	return emit_cgroup(ctx, WP_CGROUP_RMDIR, 0);
}
