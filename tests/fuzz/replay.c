/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Runs inputs of the fuzzing harness without libFuzzer, with any compiler:
 * each file named (a directory stands for the files in it) goes through
 * LLVMFuzzerTestOneInput() once.  Without arguments it runs the committed
 * seeds, $top_srcdir/tests/fuzz/seeds, so that `make check` keeps the
 * harness and its model in step with the library.  A mismatch aborts.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	static uint8_t data[1 << 20];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		perror(path);
		return 1;
	}
	n = fread(data, 1, sizeof(data), f);
	fclose(f);
	LLVMFuzzerTestOneInput(data, n);
	printf("ok %s (%zu bytes)\n", path, n);
	return 0;
}

static int run_path(const char *path)
{
	struct dirent **names;
	struct stat st;
	int i, n, rc = 0;

	if (stat(path, &st) < 0) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		perror(path);
		return 1;
	}
	for (i = 0; i < n; i++) {
		char p[4096];

		if (names[i]->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", path, names[i]->d_name);
			rc |= run_file(p);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir");
	char seeds[4096];
	int i, rc = 0;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			rc |= run_path(argv[i]);
		return rc;
	}
	snprintf(seeds, sizeof(seeds), "%s/tests/fuzz/seeds", top ? top : ".");
	return run_path(seeds);
}
