// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Load generator of the agent benchmark, run inside a container: opens FILES distinct files per child process, in a
 * loop of short-lived children (a new process makes every path new again for the sensor's per-process dedup).
 * With RATE > 0 it paces itself to about RATE opens per second; 0 runs flat out.
 *   openloop DIR FILES RATE
 * Built static (-static) so it runs in a busybox rootfs.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s DIR FILES RATE\n", argv[0]);
		return 2;
	}
	const char *dir = argv[1];
	int files = atoi(argv[2]);
	double rate = atof(argv[3]);
	double start = now();
	unsigned long long done = 0;
	char path[256];
	for (;;) {
		pid_t child = fork();
		if (child == 0) {
			for (int i = 0; i < files; i++) {
				snprintf(path, sizeof(path), "%s/f%04d", dir, i);
				int fd = open(path, O_RDONLY);
				if (fd >= 0)
					close(fd);
			}
			_exit(0);
		}
		waitpid(child, NULL, 0);
		done += files;
		if (rate > 0) {
			double ahead = done / rate - (now() - start);
			if (ahead > 0) {
				struct timespec ts = { (time_t)ahead, (long)((ahead - (time_t)ahead) * 1e9) };
				nanosleep(&ts, NULL);
			}
		}
	}
}
