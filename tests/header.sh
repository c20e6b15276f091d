#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# header.sh CC CXX - the public header compiles on its own, as the first and
# only include, with CC as C99 and C11 and with CXX as C++11 and C++17,
# under -Wall -Wextra -Werror -pedantic (and -O2, for the warnings that need
# the optimiser).  The test unit takes the address of every inline helper,
# so each one is compiled, and includes the header twice.
#
# Run by `make check` through header-gcc.sh and header-clang.sh; exits 77
# (SKIP) when CC or CXX is not installed.
set -u
: "${top_srcdir:=.}"
cc=${1:?usage: header.sh CC CXX}
cxx=${2:?usage: header.sh CC CXX}
for c in "$cc" "$cxx"; do
	if ! command -v "$c" >/dev/null 2>&1; then
		echo "header: $c is not installed; skipped"
		exit 77
	fi
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmmem-header.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

# The unit, the same text for C and C++.
cat >"$tmp/unit.c" <<'UNIT'
#include <vmmem.h>
#include <vmmem.h>

typedef int (*vmm_test_rd8)(vmm_mem_t *, uint64_t, uint8_t *);
typedef int (*vmm_test_rd16)(vmm_mem_t *, uint64_t, uint16_t *);
typedef int (*vmm_test_rd32)(vmm_mem_t *, uint64_t, uint32_t *);
typedef int (*vmm_test_rd64)(vmm_mem_t *, uint64_t, uint64_t *);
typedef int (*vmm_test_wr8)(vmm_mem_t *, uint64_t, uint8_t);
typedef int (*vmm_test_wr16)(vmm_mem_t *, uint64_t, uint16_t);
typedef int (*vmm_test_wr32)(vmm_mem_t *, uint64_t, uint32_t);
typedef int (*vmm_test_wr64)(vmm_mem_t *, uint64_t, uint64_t);

int vmm_test_unit(vmm_mem_t *m, int i);

int vmm_test_unit(vmm_mem_t *m, int i)
{
	static const vmm_test_rd16 rd16[] = { vmm_mem_read_u16,
		vmm_mem_read_le16, vmm_mem_read_be16 };
	static const vmm_test_rd32 rd32[] = { vmm_mem_read_u32,
		vmm_mem_read_le32, vmm_mem_read_be32 };
	static const vmm_test_rd64 rd64[] = { vmm_mem_read_u64,
		vmm_mem_read_le64, vmm_mem_read_be64 };
	static const vmm_test_wr16 wr16[] = { vmm_mem_write_u16,
		vmm_mem_write_le16, vmm_mem_write_be16 };
	static const vmm_test_wr32 wr32[] = { vmm_mem_write_u32,
		vmm_mem_write_le32, vmm_mem_write_be32 };
	static const vmm_test_wr64 wr64[] = { vmm_mem_write_u64,
		vmm_mem_write_le64, vmm_mem_write_be64 };
	const vmm_test_rd8 rd8 = vmm_mem_read_u8;
	const vmm_test_wr8 wr8 = vmm_mem_write_u8;
	static struct vmm_mem_region_desc d;
	uint8_t a;
	uint16_t b;
	uint32_t c;
	uint64_t e;
	int r;

	r = vmm_mem_add_region(m, &d, sizeof(d));
	r |= rd8(m, 0, &a) | wr8(m, 0, a);
	r |= rd16[i % 3](m, 0, &b) | wr16[i % 3](m, 0, b);
	r |= rd32[i % 3](m, 0, &c) | wr32[i % 3](m, 0, c);
	r |= rd64[i % 3](m, 0, &e) | wr64[i % 3](m, 0, e);
	return r | (int)(VMM_MEM_VERSION == vmm_mem_version());
}
UNIT
cp "$tmp/unit.c" "$tmp/unit.cc"

fail=0
n=0
# build COMPILER STD SOURCE
build() {
	n=$((n + 1))
	if "$1" -std="$2" -Wall -Wextra -Werror -pedantic -O2 \
		-I"$top_srcdir/include" -c -o "$tmp/unit.o" "$3" 2>"$tmp/err"; then
		echo "header: $1 -std=$2: ok"
	else
		echo "header: $1 -std=$2 -Wall -Wextra -Werror -pedantic: FAILED"
		cat "$tmp/err"
		fail=$((fail + 1))
	fi
}
build "$cc" c99 "$tmp/unit.c"
build "$cc" c11 "$tmp/unit.c"
build "$cxx" c++11 "$tmp/unit.cc"
build "$cxx" c++17 "$tmp/unit.cc"
echo "header: $((n - fail)) passed, $fail failed"
[ $fail -eq 0 ]
