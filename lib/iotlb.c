/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "internal.h"

int vmm_fault(const struct vmm_table *t, uint64_t addr, uint64_t len,
	      unsigned int perm)
{
	return -EFAULT;
}

void vmm_view_free(struct vmm_mem *mem)
{
}
