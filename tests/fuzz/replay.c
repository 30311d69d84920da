// SPDX-License-Identifier: BSD-3-Clause
/*
 * Replay driver for compilers without libFuzzer (gcc): runs every file named on the command
 * line, or every file in a directory named there (in name order, so runs are repeatable),
 * through the target's LLVMFuzzerTestOneInput once. An invariant broken aborts, a sanitizer
 * report fails the run; the exit status is 0 only when every input ran and at least one did
 * (an empty corpus is a broken test, not a pass).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;
	int ret = -1;

	if (!f) {
		perror(path);
		return -1;
	}
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto out_close;
	/* One spare byte: malloc(0) may return NULL. */
	buf = malloc((size_t)len + 1);
	if (!buf)
		goto out_close;
	if (fread(buf, 1, (size_t)len, f) == (size_t)len) {
		LLVMFuzzerTestOneInput(buf, (size_t)len);
		ret = 0;
	}
	free(buf);
out_close:
	fclose(f);
	if (ret)
		fprintf(stderr, "%s: cannot read\n", path);
	return ret;
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_dot(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Returns files run, or -1 on a read error. */
static int replay_path(const char *path)
{
	struct dirent **ents;
	char full[4096];
	int n, i, done = 0;

	n = scandir(path, &ents, not_dot, name_cmp);
	if (n < 0)
		return replay_file(path) ? -1 : 1;
	for (i = 0; i < n; i++) {
		snprintf(full, sizeof(full), "%s/%s", path, ents[i]->d_name);
		if (done >= 0)
			done = replay_file(full) ? -1 : done + 1;
		free(ents[i]);
	}
	free(ents);
	return done;
}

int main(int argc, char **argv)
{
	int total = 0, n;

	for (int i = 1; i < argc; i++) {
		n = replay_path(argv[i]);
		if (n < 0)
			return 1;
		total += n;
	}
	printf("replayed %d inputs\n", total);
	return total > 0 ? 0 : 1;
}
