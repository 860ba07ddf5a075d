/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ring buffer every record goes to, and the per-CPU loss/volume counters. Submitting does not wake the consumer
 * for each record (a wakeup costs the agent more than decoding the record): the agent drains the buffer on a timer
 * (until its first batch is due, at most half its flush interval), and the kernel wakes it early only when
 * WP_WAKEUP_BYTES are waiting, so a burst cannot fill the buffer.
 */
#ifndef WP_LIB_OUTPUT_H
#define WP_LIB_OUTPUT_H

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024); /* the agent may resize before load (Agent:RingBufferBytes) */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, WP_CTR_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 index)
{
	__u64 *value = bpf_map_lookup_elem(&counters, &index);
	if (value)
		*value += 1;
}

static __always_inline void *reserve(__u64 size)
{
	void *record = bpf_ringbuf_reserve(&events, size, 0);
	if (!record)
		count(WP_CTR_RINGBUF_DROPS);
	return record;
}

#define WP_WAKEUP_BYTES (256 * 1024)

static __always_inline void submit(void *record)
{
	count(WP_CTR_EMITTED);
	__u64 waiting = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	bpf_ringbuf_submit(record, waiting >= WP_WAKEUP_BYTES ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

#endif
