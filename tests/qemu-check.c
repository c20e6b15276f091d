/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qemu-check.c - library-level check for tests/qemu.sh: does libvmmem see,
 * in a QEMU guest's memory file, the bytes QEMU put there?
 *
 *   qemu-check RAMFILE LOWSIZE BLOB GPA
 *
 * Builds the PC layout QEMU uses for a RAM backend file: [0, LOWSIZE) at
 * file offset 0 and the rest of the file at 4 GiB (file offset LOWSIZE),
 * with vmm_mem_new_from_ranges_with_files(); then compares BLOB with guest
 * memory at GPA through vmm_mem_read_exact() and through the host pointer
 * of vmm_mem_get_slice().  Numbers: decimal or 0x hex.
 * Exit status: 0 match, 1 mismatch or error, 2 usage.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vmmem.h>

static int number(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return *s < '0' || *s > '9' || *end || errno ? -1 : 0;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "qemu-check: %s: %s\n", what, strerror(err));
	return 1;
}

int main(int argc, char **argv)
{
	struct vmm_mem_file_range ranges[2];
	uint64_t low, gpa;
	unsigned char *blob, *got;
	vmm_mem_t *mem;
	struct stat st, bst;
	void *hva;
	int fd, bfd, ret;

	if (argc != 5 || number(argv[2], &low) || number(argv[4], &gpa)) {
		fputs("usage: qemu-check RAMFILE LOWSIZE BLOB GPA\n", stderr);
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st))
		return fail(argv[1], errno);
	if ((uint64_t)st.st_size <= low) {
		fprintf(stderr, "qemu-check: %s: smaller than LOWSIZE\n",
			argv[1]);
		return 1;
	}
	bfd = open(argv[3], O_RDONLY | O_CLOEXEC);
	if (bfd < 0 || fstat(bfd, &bst))
		return fail(argv[3], errno);
	blob = malloc((size_t)bst.st_size + 1);
	if (!blob)
		return fail("malloc", ENOMEM);
	if (read(bfd, blob, (size_t)bst.st_size) != bst.st_size)
		return fail(argv[3], EIO);

	memset(ranges, 0, sizeof(ranges));
	ranges[0] = (struct vmm_mem_file_range){ 0, low, fd, 0, 0 };
	ranges[1] = (struct vmm_mem_file_range){
		UINT64_C(1) << 32, (uint64_t)st.st_size - low, fd, 0, low };
	ret = vmm_mem_new_from_ranges_with_files(&mem, ranges, 2);
	if (ret < 0)
		return fail("vmm_mem_new_from_ranges_with_files", -ret);
	close(fd);

	got = malloc((size_t)bst.st_size + 1);
	if (!got)
		return fail("malloc", ENOMEM);
	ret = vmm_mem_read_exact(mem, gpa, got, (size_t)bst.st_size);
	if (ret < 0)
		return fail("vmm_mem_read_exact", -ret);
	if (memcmp(got, blob, (size_t)bst.st_size)) {
		fprintf(stderr, "qemu-check: vmm_mem_read_exact at GPA 0x%"
			PRIx64 " differs from %s\n", gpa, argv[3]);
		return 1;
	}
	ret = vmm_mem_get_slice(mem, gpa, (uint64_t)bst.st_size, &hva);
	if (ret < 0)
		return fail("vmm_mem_get_slice", -ret);
	if (memcmp(hva, blob, (size_t)bst.st_size)) {
		fprintf(stderr, "qemu-check: host memory of GPA 0x%" PRIx64
			" differs from %s\n", gpa, argv[3]);
		return 1;
	}
	printf("qemu-check: %jd bytes at GPA 0x%" PRIx64 " match %s "
	       "(vmm_mem_read_exact, vmm_mem_get_slice)\n",
	       (intmax_t)bst.st_size, gpa, argv[3]);
	free(got);
	free(blob);
	close(bfd);
	vmm_mem_unref(mem);
	return 0;
}
