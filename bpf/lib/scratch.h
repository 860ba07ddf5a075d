/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Per-CPU scratch space: the stack is 512 bytes, a path or a DNS packet does not fit beside the rest. */
#ifndef WP_LIB_SCRATCH_H
#define WP_LIB_SCRATCH_H

#define WP_WALK_SPAN WP_PATH_MAX /* a walk builds paths of up to WP_WALK_SPAN - 1 bytes */
#define WP_WALK_MASK (WP_WALK_SPAN - 1)
/* Components are written right to left ending at WP_WALK_MASK; a relative name may follow from WP_WALK_SPAN on. */
#define WP_WALK_BUF (2 * WP_WALK_SPAN)

struct scratch {
	char walk[WP_WALK_BUF];
	__u8 packet[WP_DNS_PACKET_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

static __always_inline struct scratch *get_scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&scratch_map, &zero);
}

#endif
