/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Credentials of the acting task, as the host sees them (not mapped into a user namespace). */
#ifndef WP_LIB_CREDS_H
#define WP_LIB_CREDS_H

static __always_inline void read_creds(__u32 *uid, __u32 *gid)
{
	__u64 uid_gid = bpf_get_current_uid_gid();
	*uid = (__u32)uid_gid;
	*gid = uid_gid >> 32;
}

#endif
