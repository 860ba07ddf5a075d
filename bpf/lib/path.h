/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Paths as the kernel resolved them: a (mount, dentry) pair walked up to the acting task's root, crossing mounts, the
 * way the kernel's d_path does (bpf_d_path itself is not available to tracepoints). For a container the root is its
 * root file system, so paths are the ones the container sees; symlinks, `.`, `..` and repeated slashes were resolved
 * by the kernel when the file was opened. Prior art: Tetragon's bpf/lib/bpf_d_path.h.
 */
#ifndef WP_LIB_PATH_H
#define WP_LIB_PATH_H

#include "scratch.h"
#include "task.h"

#define WP_WALK_DEPTH 64 /* components; deeper paths fall back to what the process passed */
#define AT_FDCWD -100

struct path_walk {
	struct dentry *dentry;
	struct mount *mnt;
	struct dentry *mnt_root;
	struct dentry *root_dentry; /* the task's root (container root, chroot): the walk stops there */
	void *root_mnt;
	__u32 pos; /* start of the path built so far in scratch->walk */
	__u32 complete;
};

static __always_inline void *vfsmount_of(struct mount *mnt)
{
	return (void *)mnt + bpf_core_field_offset(struct mount, mnt);
}

/* One component, as a bpf_loop callback: the verifier checks it once instead of once per unrolled iteration and
 * branch combination (a plain loop exceeds its instruction budget). Returns 1 to stop. */
static long path_walk_step(__u32 index, struct path_walk *w)
{
	struct scratch *s = get_scratch();
	if (!s)
		return 1;
	struct dentry *dentry = w->dentry;
	struct mount *mnt = w->mnt; /* a local: BPF_CORE_READ must not relocate the path_walk field access */
	if (dentry == w->root_dentry && vfsmount_of(mnt) == w->root_mnt) {
		w->complete = 1;
		return 1;
	}
	struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
	if (dentry == w->mnt_root || dentry == parent) {
		struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
		/* A disconnected dentry (pseudo file systems, memfd) or the root of the mount tree: the path is complete. */
		if (dentry != w->mnt_root || mnt == mnt_parent) {
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
	__u32 pos = w->pos & WP_WALK_MASK;
	if (len + 1 > pos)
		return 1; /* longer than WP_WALK_SPAN: incomplete */
	pos -= len;
	bpf_probe_read_kernel(&s->walk[pos & WP_WALK_MASK], len, name.name);
	pos -= 1;
	s->walk[pos & WP_WALK_MASK] = '/';
	w->pos = pos;
	w->dentry = parent;
	return 0;
}

/* Walks (vfsmnt, dentry) into s->walk; returns the offset of the NUL-terminated absolute path there, or -1 when the
 * walk did not reach the root within WP_WALK_DEPTH components and WP_WALK_SPAN bytes. */
static __always_inline int walk_path(struct scratch *s, struct vfsmount *vfsmnt, struct dentry *dentry)
{
	if (!vfsmnt || !dentry)
		return -1;
	struct task_struct *task = current_task();
	struct path_walk w = {
		.dentry = dentry,
		.mnt = (struct mount *)((void *)vfsmnt - bpf_core_field_offset(struct mount, mnt)),
		.mnt_root = BPF_CORE_READ(vfsmnt, mnt_root),
		.root_dentry = BPF_CORE_READ(task, fs, root.dentry),
		.root_mnt = BPF_CORE_READ(task, fs, root.mnt),
		.pos = WP_WALK_MASK,
	};
	s->walk[WP_WALK_MASK] = 0;
	bpf_loop(WP_WALK_DEPTH, path_walk_step, &w, 0);
	if (!w.complete)
		return -1;
	if (w.pos >= WP_WALK_MASK) { /* the root itself */
		s->walk[WP_WALK_MASK - 1] = '/';
		return WP_WALK_MASK - 1;
	}
	return w.pos;
}

static __always_inline int walk_file(struct scratch *s, struct file *file)
{
	if (!file)
		return -1;
	return walk_path(s, BPF_CORE_READ(file, f_path.mnt), BPF_CORE_READ(file, f_path.dentry));
}

/* The directory a relative name is looked up from: the working directory, or the directory behind dirfd. */
static __always_inline int walk_lookup_dir(struct scratch *s, int dirfd)
{
	if (dirfd != AT_FDCWD)
		return walk_file(s, file_of_fd(dirfd));
	struct task_struct *task = current_task();
	return walk_path(s, BPF_CORE_READ(task, fs, pwd.mnt), BPF_CORE_READ(task, fs, pwd.dentry));
}

/* The lookup directory + "/" + a relative name read from user memory, in s->walk; returns the offset or -1.
 * `..` and `.` in the name are left for the agent to resolve lexically. */
static __always_inline int join_relative(struct scratch *s, int dirfd, const char *name)
{
	int pos = walk_lookup_dir(s, dirfd);
	if (pos < 0)
		return -1;
	if (pos == WP_WALK_MASK - 1)
		pos = WP_WALK_MASK; /* the directory is the root: "/name", not "//name" */
	s->walk[WP_WALK_MASK] = '/';
	if (bpf_probe_read_user_str(&s->walk[WP_WALK_SPAN], WP_WALK_SPAN, name) <= 0)
		return -1;
	return pos;
}

/* Copies the path at `pos` of s->walk into out[WP_PATH_MAX]; returns its length without the NUL. */
static __always_inline __u16 copy_walked(struct scratch *s, int pos, char *out)
{
	long n = bpf_probe_read_kernel_str(out, WP_PATH_MAX, &s->walk[pos & WP_WALK_MASK]);
	return n > 0 ? n - 1 : 0;
}

#endif
