/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers of the Xen backends (cold): the logger bridge, common checks and
 * the descriptor duplicate.
 */
#include "backend-xen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int xen_priority(xentoollog_level level)
{
	if (level >= XTL_ERROR)
		return LOG_ERR;
	if (level >= XTL_WARN)
		return LOG_WARNING;
	if (level >= XTL_NOTICE)
		return LOG_NOTICE;
	if (level >= XTL_INFO)
		return LOG_INFO;
	return LOG_DEBUG;
}

static void xen_vmessage(xentoollog_logger *base, xentoollog_level level,
			 int errnoval, const char *context, const char *format,
			 va_list al) __attribute__((format(printf, 5, 0)));

static void xen_vmessage(xentoollog_logger *base, xentoollog_level level,
			 int errnoval, const char *context, const char *format,
			 va_list al)
{
	struct vmm_xen_logger *l = (struct vmm_xen_logger *)base;
	int prio = xen_priority(level);
	char msg[256];

	if (!l->fn || prio > l->priority)
		return;
	vsnprintf(msg, sizeof(msg), format, al);
	if (errnoval >= 0)
		vmm_log(l->fn, l->data, prio, "xen", 0, context ? context : "xen",
			"%s: %s", msg, strerror(errnoval));
	else
		vmm_log(l->fn, l->data, prio, "xen", 0, context ? context : "xen",
			"%s", msg);
}

static void xen_destroy(xentoollog_logger *base)
{
}

struct vmm_xen_logger *vmm_xen_logger_new(struct vmm_mem *mem)
{
	struct vmm_xen_logger *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->base.vmessage = xen_vmessage;
	l->base.destroy = xen_destroy;
	l->fn = __atomic_load_n(&mem->log_fn, __ATOMIC_ACQUIRE);
	l->data = __atomic_load_n(&mem->log_data, __ATOMIC_ACQUIRE);
	l->priority = __atomic_load_n(&mem->log_priority, __ATOMIC_RELAXED);
	return l;
}

void vmm_xen_logger_free(struct vmm_xen_logger *l)
{
	free(l);
}

int vmm_xen_check(struct vmm_mem *mem, const struct vmm_mem_region_desc *d)
{
	if ((d->gpa | d->size) & (VMM_XEN_PAGE - 1)) {
		verr(mem, "Xen region 0x%llx + 0x%llx is not made of 4 KiB "
		     "Xen pages", (unsigned long long)d->gpa,
		     (unsigned long long)d->size);
		return -EINVAL;
	}
	if (vmm_host_page_size() != VMM_XEN_PAGE) {
		verr(mem, "Xen regions need a 4 KiB host page");
		return -EOPNOTSUPP;
	}
	return 0;
}

int vmm_xen_dup(struct vmm_mem *mem, const struct vmm_mem_region_desc *d,
		struct vmm_region *r)
{
	if (d->fd < 0)
		return 0;
	r->fd = fcntl(d->fd, F_DUPFD_CLOEXEC, 3);
	if (r->fd < 0) {
		int e = errno;

		verr(mem, "cannot duplicate fd %d: %s", d->fd, strerror(e));
		return -e;
	}
	return 0;
}

void vmm_xen_undup(struct vmm_region *r)
{
	if (r->fd >= 0) {
		close(r->fd);
		r->fd = -1;
	}
}
