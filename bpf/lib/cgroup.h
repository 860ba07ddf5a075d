/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which cgroups are watched: every container's cgroup (and cgroups nested below it), whether or not the container
 * holds a profiling slot — detection covers every container. The agent fills the map at start; afterwards the
 * kernel adds each new cgroup itself at creation, before any task can run in it, so no container's first exec is
 * missed while the agent looks at the new cgroup:
 *  - created by a task of a watched cgroup (a container making sub-cgroups): nested, attributed to that container;
 *  - otherwise provisional: the agent confirms it when its path names a container, and removes it when not.
 * A removed cgroup leaves the map here, in the kernel.
 */
#ifndef WP_LIB_CGROUP_H
#define WP_LIB_CGROUP_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct wp_watch);
} watched_cgroups SEC(".maps");

/* The watch of the current task's cgroup, or NULL when it is not watched (the host, or a non-container cgroup). */
static __always_inline struct wp_watch *watched_current(void)
{
	__u64 cgroup_id = bpf_get_current_cgroup_id();
	return bpf_map_lookup_elem(&watched_cgroups, &cgroup_id);
}

/* At cgroup creation: the new cgroup's watch (see above). Returns the container it was attached to, or 0. */
static __always_inline __u64 watch_new_cgroup(__u64 id)
{
	struct wp_watch *creator = watched_current();
	struct wp_watch watch = {};
	if (creator) {
		watch.container = creator->container;
		watch.generation = creator->generation;
		watch.flags = WP_WATCH_NESTED;
	} else {
		watch.container = id;
		watch.flags = WP_WATCH_PROVISIONAL;
	}
	if (bpf_map_update_elem(&watched_cgroups, &id, &watch, BPF_NOEXIST) != 0)
		count(WP_CTR_WATCH_FULL);
	return creator ? watch.container : 0;
}

static __always_inline void unwatch_cgroup(__u64 id)
{
	bpf_map_delete_elem(&watched_cgroups, &id);
}

#endif
