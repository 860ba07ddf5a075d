/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Open, connect and DNS records are sent once per (container, process, kind, key) within a window: a process
 * re-opening a file or re-asking a name sends it once. The window is the watch's generation, which the agent bumps
 * (a profiling session renews, or a detection window passes) instead of clearing the LRU map.
 */
#ifndef WP_LIB_DEDUP_H
#define WP_LIB_DEDUP_H

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct wp_dedup_key);
	__type(value, __u64);
} dedup SEC(".maps");

/* FNV-1a over a NUL-terminated string of at most `max` (≤ WP_PATH_MAX) bytes. */
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

/* True when this (process, kind, key) was already sent in the container's current window; otherwise records it. */
static __always_inline bool seen_before(const struct wp_watch *watch, __u16 kind, __u64 key_hash)
{
	struct task_struct *task = current_task();
	struct wp_dedup_key key = {};
	__u64 now = bpf_ktime_get_ns();

	key.cgroup_id = watch->container;
	key.process_start_ns = process_start_ns(task);
	key.key_hash = key_hash;
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	key.kind = kind;
	key.generation = watch->generation;
	if (bpf_map_update_elem(&dedup, &key, &now, BPF_NOEXIST) != 0) {
		count(WP_CTR_DEDUP_SUPPRESSED);
		return true;
	}
	return false;
}

#endif
