/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * consumer.c - a program built against an installed libvmmem with nothing
 * but `pkg-config --cflags --libs libvmmem` (tests/consumer.sh).  It uses
 * calls of each released version node and checks their results: the
 * header and the library it runs with must agree.
 */
#include <vmmem.h>
#include <stdio.h>
#include <string.h>

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "consumer: %s failed\n", #cond);  \
			return 1;                                         \
		}                                                         \
	} while (0)

int main(void)
{
	const struct vmm_mem_range ranges[] = {
		{ 0x0, 0xa0000 },	/* low RAM */
		{ 0x100000, 0x100000 },	/* RAM from 1 MiB */
	};
	const char msg[] = "installed consumer";
	char back[sizeof(msg)];
	vmm_mem_snapshot_t *snap = NULL;
	vmm_mem_t *mem = NULL;
	uint32_t v = 0;

	/* LIBVMMEM_1.0 */
	CHECK(vmm_mem_version() == VMM_MEM_VERSION);
	CHECK(strcmp(vmm_mem_version_string(), "") != 0);
	CHECK(vmm_mem_new_from_ranges(&mem, ranges, 2) == 0);
	CHECK(vmm_mem_num_regions(mem) == 2);
	CHECK(vmm_mem_write_le32(mem, 0x100000, 0xfeedc0de) == 0);
	CHECK(vmm_mem_read_le32(mem, 0x100000, &v) == 0 && v == 0xfeedc0de);
	CHECK(vmm_mem_read_u32(mem, 0xa0000, &v) == -EFAULT);	/* the hole */
	CHECK(vmm_mem_write_exact(mem, 0x100100, msg, sizeof(msg)) == 0);

	/* LIBVMMEM_1.1 */
	CHECK(vmm_mem_snapshot_get(mem, &snap) == 0);
	CHECK(vmm_mem_snapshot_read_exact(snap, 0x100100, back, sizeof(back)) == 0);
	CHECK(memcmp(back, msg, sizeof(msg)) == 0);
	vmm_mem_snapshot_put(snap);

	CHECK(vmm_mem_unref(mem) == NULL);
	printf("consumer: libvmmem %s: ok\n", vmm_mem_version_string());
	return 0;
}
