/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Wire format of the records the sensor writes to its ring buffer, and of the map values the agent writes. Shared by
 * sensor.bpf.c, the bare C reader of bench/agent/ and mirrored by agent/WorkloadProfiles.Agent/Sensor/SensorRecord.cs:
 * change all three together. Every record starts with wp_header; the kind says which struct follows. Layouts are
 * naturally aligned, so C and C# agree on offsets without packing pragmas. Strings are NUL-terminated within their
 * arrays; *_len counts the bytes before the NUL.
 */
#ifndef WP_SENSOR_H
#define WP_SENSOR_H

#define WP_COMM_LEN 16
#define WP_PATH_MAX 512 /* file, executable, working directory and cgroup paths, NUL included */
#define WP_ARGS_MAX 1024 /* bytes of the NUL-separated argv block copied at exec */
#define WP_DNS_NAME_MAX 256
#define WP_DNS_PACKET_MAX 512 /* scratch copy of the start of a DNS packet (header + question) */

/* Numbered as WorkloadProfiles.Domain.Events.EventKind; cgroup records are agent-internal (discovery). */
enum wp_kind {
	WP_EXEC = 0,
	WP_FORK = 1,
	WP_EXIT = 2,
	WP_OPEN = 3,
	WP_CONNECT = 4,
	WP_DNS = 5,
	WP_CGROUP_MKDIR = 100,
	WP_CGROUP_RMDIR = 101,
};

/* Indices of the per-CPU `counters` array the agent sums and exports as metrics. */
enum wp_counter {
	WP_CTR_RINGBUF_DROPS = 0, /* bpf_ringbuf_reserve failed: the agent is not keeping up */
	WP_CTR_DEDUP_SUPPRESSED = 1,
	WP_CTR_EMITTED = 2,
	WP_CTR_DNS_UNPARSED = 3, /* a port-53 send whose question could not be parsed */
	WP_CTR_OPEN_UNMATCHED = 4, /* openat exit without its stashed enter (stash evicted) */
	WP_CTR_PATH_FALLBACK = 5, /* an open whose file could not be walked: the passed name was used, or, with none (io_uring, open_by_handle_at), it was not reported */
	WP_CTR_WATCH_FULL = 6, /* a new cgroup could not be watched: watched_cgroups is full */
	WP_CTR_URING_FIXED_OPEN = 7, /* an io_uring open into a fixed-file slot: no fd to walk, not emitted */
	WP_CTR_MAX = 8,
};

struct wp_header {
	__u64 ktime_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 cgroup_id; /* the container's cgroup v2 id (the watched cgroup the acting task's cgroup belongs to) */
	__u64 start_ns; /* start time of the acting process (its thread-group leader), CLOCK_MONOTONIC */
	__u32 kind;
	__u32 tgid;
	__u32 tid;
	__u32 ppid; /* real parent's tgid */
	__u32 uid;
	__u32 gid;
	char comm[WP_COMM_LEN];
};

/* wp_exec.flags */
#define WP_EXEC_ARGS_TRUNCATED 1 /* argv was longer than WP_ARGS_MAX */
#define WP_EXEC_PATH_AS_INVOKED 2 /* the binary's path could not be walked: path is the exec'd filename */

struct wp_exec {
	struct wp_header hdr;
	__u16 path_len;
	__u16 args_len; /* bytes of args: argv strings, each NUL-terminated */
	__u16 cwd_len; /* 0 when the working directory could not be walked */
	__u16 flags;
	char path[WP_PATH_MAX]; /* the running binary (mm->exe_file), symlinks resolved: the same path /proc/<pid>/exe shows */
	char cwd[WP_PATH_MAX];
	char args[WP_ARGS_MAX];
};

struct wp_fork {
	struct wp_header hdr;
	__u32 child_tgid;
	__u32 pad;
};

struct wp_exit {
	struct wp_header hdr;
	__s32 exit_code; /* task->exit_code: (status << 8) | signal */
	__u32 pad;
};

/* How an open's path was obtained (wp_open.resolution); values match WorkloadProfiles.Domain.Events.PathResolution. */
enum wp_path_resolution {
	WP_PATH_OPENED_FILE = 0, /* walked from the opened file's dentry and mount: canonical */
	WP_PATH_JOINED = 1, /* the relative name joined to the walked directory (cwd or dirfd); `..` not yet resolved */
	WP_PATH_AS_PASSED = 2, /* the name the process passed, as is */
};

struct wp_open {
	struct wp_header hdr;
	__s32 flags;
	__u16 path_len;
	__u8 resolution;
	__u8 pad;
	char path[WP_PATH_MAX];
};

/* Transport values match WorkloadProfiles.Domain.Events.NetworkTransport. */
enum wp_transport { WP_TRANSPORT_UNKNOWN = 0, WP_TRANSPORT_TCP = 1, WP_TRANSPORT_UDP = 2 };

struct wp_connect {
	struct wp_header hdr;
	__u16 family; /* AF_INET (2) or AF_INET6 (10) */
	__u16 port; /* host byte order */
	__u8 transport;
	__u8 pad[3];
	__u8 addr[16]; /* IPv4 in the first 4 bytes */
};

struct wp_dns {
	struct wp_header hdr;
	__u16 family;
	__u16 port;
	__u16 qtype;
	__u16 name_len;
	__u8 addr[16];
	char name[WP_DNS_NAME_MAX]; /* dotted, lower-case */
};

struct wp_cgroup {
	struct wp_header hdr;
	__u64 id; /* the created/removed cgroup's id */
	__u64 container; /* mkdir: the container it was attached to (created from inside a watched cgroup), else 0 */
	__s32 level;
	__u16 path_len;
	__u16 pad;
	char path[WP_PATH_MAX]; /* relative to the cgroup2 mount, e.g. /libpod_parent/libpod-<id> */
};

/* wp_watch.flags */
#define WP_WATCH_PROVISIONAL 1 /* added by the kernel at cgroup creation; the agent confirms or removes it */
#define WP_WATCH_NESTED 2 /* a cgroup below a container's own: its events are the container's */

/* Value of `watched_cgroups` (key: cgroup id). */
struct wp_watch {
	__u64 container; /* the container's own cgroup id: stamped on every record as wp_header.cgroup_id */
	__u32 generation; /* dedup window: the agent bumps it to start a new one */
	__u32 flags;
};

struct wp_dedup_key {
	__u64 cgroup_id;
	__u64 process_start_ns; /* task start time: a reused pid is a new process */
	__u64 key_hash;
	__u32 tgid;
	__u16 kind;
	__u16 pad;
	__u32 generation;
	__u32 pad2;
};

#endif
