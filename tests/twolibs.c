/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvmmem and libvmmem-xen in one process: two plugins, one linked
 * against each, loaded together with RTLD_GLOBAL (the setting most prone to
 * interposition).  Each plugin's calls must reach its own library: the
 * versioned symbols bind to LIBVMMEM_* and LIBVMMEM_XEN_* respectively.
 * Exit 0 on success, 1 on failure.
 */
#ifndef _GNU_SOURCE	/* config.h may define it already */
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef int (*probe_fn)(const char **lib, int *xen_rc);

static int probe(const char *dir, const char *name, const char *want_lib,
		 int xen)
{
	char path[4096];
	const char *lib = NULL;
	int xen_rc = 0, rc;
	void *h;
	probe_fn fn;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
	if (!h) {
		printf("FAIL: dlopen %s: %s\n", path, dlerror());
		return 1;
	}
	fn = (probe_fn)(uintptr_t)dlsym(h, "twolibs_probe");
	if (!fn) {
		printf("FAIL: %s has no probe\n", path);
		return 1;
	}
	rc = fn(&lib, &xen_rc);
	printf("%s: calls reach %s; a Xen grant region gives %d (%s)\n",
	       name, lib ? lib : "?", xen_rc, strerror(-xen_rc));
	if (rc) {
		printf("FAIL: %s: standard region: %d\n", name, rc);
		return 1;
	}
	if (!lib || !strstr(lib, want_lib)) {
		printf("FAIL: %s should reach %s\n", name, want_lib);
		return 1;
	}
	if (xen ? xen_rc == -EOPNOTSUPP || xen_rc == 0 :
		  xen_rc != -EOPNOTSUPP) {
		printf("FAIL: %s: unexpected Xen result\n", name);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/.libs";
	int fail = 0;

	/* xen first, so that a wrong binding of the plain plugin would find
	 * libvmmem-xen's definitions first */
	fail |= probe(dir, "twolibs-xen.so", "libvmmem-xen.so", 1);
	fail |= probe(dir, "twolibs-unix.so", "libvmmem.so", 0);
	fail |= probe(dir, "twolibs-xen.so", "libvmmem-xen.so", 1);
	return fail;
}
