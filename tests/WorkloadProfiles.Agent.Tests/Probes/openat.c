// Test probe, built static and copied into a test container: opens NAME relative to the directory DIR with
// openat(2) (a directory file descriptor, not the working directory), reads it and exits 0 when it could.
//   openat DIR NAME
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s DIR NAME\n", argv[0]);
		return 2;
	}
	int dir = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (dir < 0) {
		perror(argv[1]);
		return 1;
	}
	int fd = openat(dir, argv[2], O_RDONLY);
	if (fd < 0) {
		perror(argv[2]);
		return 1;
	}
	char buffer[64];
	return read(fd, buffer, sizeof buffer) >= 0 ? 0 : 1;
}
