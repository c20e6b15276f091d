/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Linux header <xen/privcmd.h> includes <xen/interface/xen.h>, which
 * exists only inside the kernel tree.  User space gets the same types
 * (domid_t, xen_pfn_t, grant_ref_t) from Xen's public headers; the kernel
 * headers also expect size_t and the _IOC() macros to be defined.
 */
#ifndef VMMEM_XEN_SHIM_INTERFACE_XEN_H
#define VMMEM_XEN_SHIM_INTERFACE_XEN_H
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <xen/xen.h>
#include <xen/grant_table.h>
#endif
