// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The raw baseline of the agent benchmark: a bare libbpf ring-buffer reader on the same sensor object. It loads and
 * attaches bpf/sensor.bpf.o, marks the given cgroups as watched containers and counts records (touching each one's header,
 * as any consumer must) until the duration elapses. With --print it dumps records, which doubles as a debug tool.
 *
 *   ringbuf_reader OBJ SECONDS [--print] CGROUP_DIR...
 * Prints: records=<n> seconds=<s> rate=<n/s> drops=<kernel ring-buffer drops> cpu_us=<its own user+system CPU while
 * reading, after the object was loaded and attached>
 */
#include <errno.h>
#include <linux/types.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "../../bpf/sensor.h"

static volatile sig_atomic_t stop;
static unsigned long long records, checksum;
static int print;

static void on_signal(int sig) { (void)sig; stop = 1; }

static int on_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	const struct wp_header *h = data;
	records++;
	checksum += h->kind + h->tgid;
	if (!print)
		return 0;
	printf("kind=%u tgid=%u ppid=%u cg=%llu comm=%.16s", h->kind, h->tgid, h->ppid,
	       (unsigned long long)h->cgroup_id, h->comm);
	switch (h->kind) {
	case WP_EXEC: {
		const struct wp_exec *e = data;
		printf(" path=%s cwd=%s args_len=%u flags=%u", e->path, e->cwd, e->args_len, e->flags);
		break;
	}
	case WP_OPEN: {
		const struct wp_open *e = data;
		printf(" path=%s flags=%d resolution=%u", e->path, e->flags, e->resolution);
		break;
	}
	case WP_FORK: printf(" child=%u", ((const struct wp_fork *)data)->child_tgid); break;
	case WP_EXIT: printf(" code=%d", ((const struct wp_exit *)data)->exit_code); break;
	case WP_CONNECT: {
		const struct wp_connect *e = data;
		printf(" family=%u port=%u transport=%u addr=%u.%u.%u.%u", e->family, e->port, e->transport, e->addr[0],
		       e->addr[1], e->addr[2], e->addr[3]);
		break;
	}
	case WP_DNS: {
		const struct wp_dns *e = data;
		printf(" name=%s qtype=%u port=%u", e->name, e->qtype, e->port);
		break;
	}
	case WP_CGROUP_MKDIR:
	case WP_CGROUP_RMDIR: {
		const struct wp_cgroup *e = data;
		printf(" id=%llu container=%llu path=%s", (unsigned long long)e->id, (unsigned long long)e->container, e->path);
		break;
	}
	}
	printf(" size=%zu\n", size);
	fflush(stdout);
	return 0;
}

static unsigned long long cpu_microseconds(void)
{
	struct rusage usage;
	getrusage(RUSAGE_SELF, &usage);
	return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000ULL + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s OBJ SECONDS [--print] CGROUP_DIR...\n", argv[0]);
		return 2;
	}
	double seconds = atof(argv[2]);
	int first_cgroup = 3;
	if (strcmp(argv[3], "--print") == 0) {
		print = 1;
		first_cgroup = 4;
	}

	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "load %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, obj) {
		if (!bpf_program__attach(prog)) {
			fprintf(stderr, "attach %s: %s\n", bpf_program__name(prog), strerror(errno));
			return 1;
		}
	}
	int watched_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "watched_cgroups"));
	for (int i = first_cgroup; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st)) {
			fprintf(stderr, "stat %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		__u64 id = st.st_ino;
		struct wp_watch value = { .container = id, .generation = 1 };
		bpf_map_update_elem(watched_fd, &id, &value, BPF_ANY);
	}

	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "events")), on_record,
						  NULL, NULL);
	if (!rb) {
		fprintf(stderr, "ring_buffer__new: %s\n", strerror(errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("ready\n");
	fflush(stdout);
	unsigned long long cpu_at_start = cpu_microseconds();

	double start = now_seconds(), end = start + seconds;
	/* The sensor wakes the reader only when much is waiting, so poll on a short timer: every 10 ms, as the agent did
	 * until it learnt to sleep until its first batch is due (at most 50 ms; README, agent benchmark). */
	while (!stop && now_seconds() < end) {
		ring_buffer__poll(rb, 10);
		ring_buffer__consume(rb);
	}
	double elapsed = now_seconds() - start;

	int counters_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "counters"));
	int ncpu = libbpf_num_possible_cpus();
	__u64 values[ncpu];
	__u32 key = WP_CTR_RINGBUF_DROPS;
	unsigned long long drops = 0;
	if (bpf_map_lookup_elem(counters_fd, &key, values) == 0)
		for (int i = 0; i < ncpu; i++)
			drops += values[i];

	unsigned long long cpu_us = cpu_microseconds() - cpu_at_start;
	printf("records=%llu seconds=%.3f rate=%.0f drops=%llu checksum=%llu cpu_us=%llu\n", records, elapsed, records / elapsed,
	       drops, checksum, cpu_us);
	ring_buffer__free(rb);
	bpf_object__close(obj);
	return 0;
}
