// SPDX-License-Identifier: LGPL-2.1-or-later
//
// consumer.cc - the C++ counterpart of consumer.c: the header used from
// C++ (extern "C" linkage), built with nothing but pkg-config's flags.
#include <vmmem.h>
#include <cstdio>
#include <cstring>
#include <memory>

namespace {

struct mem_unref {
	void operator()(vmm_mem_t *m) const { vmm_mem_unref(m); }
};

int fail(const char *what)
{
	std::fprintf(stderr, "consumer++: %s failed\n", what);
	return 1;
}

} // namespace

int main()
{
	vmm_mem_t *raw = nullptr;
	if (vmm_mem_new(&raw) != 0)
		return fail("vmm_mem_new");
	std::unique_ptr<vmm_mem_t, mem_unref> mem(raw);

	vmm_mem_region_desc d;
	std::memset(&d, 0, sizeof(d));
	d.type = VMM_MEM_REGION_ANON;
	d.gpa = 0x10000;
	d.size = 0x10000;
	if (vmm_mem_add_region(mem.get(), &d, sizeof(d)) != 0)
		return fail("vmm_mem_add_region");

	uint64_t v = 0;
	if (vmm_mem_write_be64(mem.get(), 0x1fff8, 0x0102030405060708ull) != 0 ||
	    vmm_mem_read_u64(mem.get(), 0x1fff8, &v) != 0)
		return fail("the 64-bit round trip");
	unsigned char b[8];
	std::memcpy(b, &v, sizeof(b));
	if (b[0] != 1 || b[7] != 8)
		return fail("the big-endian byte order");
	if (vmm_mem_write_u64(mem.get(), 0x1fffc, v) != -EFAULT)
		return fail("the access past the region's end");

	vmm_mem_snapshot_t *snap = nullptr;
	if (vmm_mem_snapshot_get(mem.get(), &snap) != 0 ||
	    vmm_mem_snapshot_num_regions(snap) != 1)
		return fail("the snapshot");
	vmm_mem_snapshot_put(snap);

	std::printf("consumer++: libvmmem %s: ok\n", vmm_mem_version_string());
	return 0;
}
