/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The acting task: identity fields every record carries. */
#ifndef WP_LIB_TASK_H
#define WP_LIB_TASK_H

#include "creds.h"

static __always_inline struct task_struct *current_task(void)
{
	return (struct task_struct *)bpf_get_current_task();
}

/* Start time of the task's process (its thread-group leader), CLOCK_MONOTONIC like bpf_ktime_get_ns(): with the
 * pid it names one process, also across pid reuse. */
static __always_inline __u64 process_start_ns(struct task_struct *task)
{
	return BPF_CORE_READ(task, group_leader, start_time);
}

/* `container` is the cgroup id of the container the task belongs to (the watched cgroup's association). */
static __always_inline void fill_header(struct wp_header *hdr, __u32 kind, __u64 container)
{
	struct task_struct *task = current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	hdr->ktime_ns = bpf_ktime_get_ns();
	hdr->cgroup_id = container;
	hdr->start_ns = process_start_ns(task);
	hdr->kind = kind;
	hdr->tgid = pid_tgid >> 32;
	hdr->tid = (__u32)pid_tgid;
	hdr->ppid = BPF_CORE_READ(task, real_parent, tgid);
	read_creds(&hdr->uid, &hdr->gid);
	bpf_get_current_comm(hdr->comm, sizeof(hdr->comm));
}

/* The file behind fd in the current task, or NULL. */
static __always_inline struct file *file_of_fd(int fd)
{
	struct task_struct *task = current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

#endif
