/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A plugin built twice, against libvmmem and against libvmmem-xen: it
 * reports which library its calls reach and what a Xen region gives there.
 */
#ifndef _GNU_SOURCE	/* config.h may define it already */
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <vmmem.h>

int twolibs_probe(const char **lib, int *xen_rc);

__attribute__((visibility("default"))) int twolibs_probe(const char **lib,
							 int *xen_rc)
{
	struct vmm_mem_region_desc d;
	vmm_mem_t *m;
	Dl_info info;
	int rc;

	if (!dladdr((void *)vmm_mem_add_region, &info) || !info.dli_fname)
		return -ENOENT;
	*lib = info.dli_fname;
	rc = vmm_mem_new(&m);
	if (rc)
		return rc;
	memset(&d, 0, sizeof(d));
	d.type = VMM_MEM_REGION_XEN_GRANT;
	d.gpa = 0x10000;
	d.size = 0x1000;
	d.fd = -1;
	d.domid = 1;
	*xen_rc = vmm_mem_add_region(m, &d, sizeof(d));
	d.type = VMM_MEM_REGION_ANON;
	d.domid = 0;
	rc = vmm_mem_add_region(m, &d, sizeof(d));
	if (rc == 0)
		rc = vmm_mem_num_regions(m) == 1 ? 0 : -EIO;
	vmm_mem_unref(m);
	return rc;
}
