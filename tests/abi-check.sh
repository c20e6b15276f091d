#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# abi-check.sh - the ABI check itself (tests/abi.sh) on small libraries
# built here: a baseline version, then changed versions that abi.sh must
# accept (nothing changed, a function added in a new node, the size-passed
# structure grown at its end) or refuse (a function added to a released
# node, a function removed, a parameter type changed, a member of the
# size-passed structure changed or moved, the SONAME changed).
#
# Run by `make check`; exits 77 (SKIP) without abigail-tools or a C compiler.
set -u
: "${top_srcdir:=.}"
cc=${CC:-cc}
for t in abidw abidiff readelf "$cc"; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "abi-check: $t is not installed; skipped"
		exit 77
	fi
done
abi_sh=$(cd "$top_srcdir/tests" && pwd)/abi.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmmem-abi-check.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

# One library and its header, shaped by build()'s arguments.
cat >"$tmp/vmmem.h.in" <<'END'
#include <stdint.h>
#include <stddef.h>
struct vmm_mem_region_desc {
	uint32_t type;
	@MEMBER@ gpa;
	uint64_t size;
	@EXTRA@
};
int vmm_mem_add_region(void *m, const struct vmm_mem_region_desc *d, size_t n);
int vmm_mem_fill(void *m, @LEN@ len);
#if @PUT@
void vmm_mem_snapshot_put(void *s);
#endif
#if @FROB@
int vmm_mem_frob(void *m);
#endif
END
cat >"$tmp/lib.c.in" <<'END'
#include <vmmem.h>
int vmm_mem_add_region(void *m, const struct vmm_mem_region_desc *d, size_t n)
{ return m && d && n >= sizeof(*d) ? (int)d->type : -22; }
int vmm_mem_fill(void *m, @LEN@ len) { return m ? (int)len : -22; }
#if @PUT@
void vmm_mem_snapshot_put(void *s) { (void)s; }
#endif
#if @FROB@
int vmm_mem_frob(void *m) { return m ? 0 : -22; }
#endif
END

# build DIR SONAME [member=T] [extra=M] [len=T] [frob=N] [put=0]: the library
# DIR/lib/.libs/libt.so and its header DIR/include/vmmem.h.  member= is the
# type of the structure's second member, extra= members at its end, len=
# fill()'s length type, frob= where vmm_mem_frob() goes (0: nowhere, 1: the
# released node, 2: a new node), put=0 drops vmm_mem_snapshot_put().
build() {
	d=$1 soname=$2
	shift 2
	member=uint64_t extra= len=uint64_t frob=0 put=1
	for a in "$@"; do
		case $a in
		member=*) member=${a#member=} ;;
		extra=*) extra=${a#extra=} ;;
		len=*) len=${a#len=} ;;
		frob=*) frob=${a#frob=} ;;
		put=*) put=${a#put=} ;;
		esac
	done
	mkdir -p "$d/include" "$d/lib/.libs" "$d/abi"
	for f in vmmem.h lib.c; do
		sed -e "s/@MEMBER@/$member/" -e "s/@EXTRA@/$extra/" -e "s/@LEN@/$len/" \
			-e "s/@PUT@/$put/" -e "s/@FROB@/$([ "$frob" = 0 ] && echo 0 || echo 1)/" \
			"$tmp/$f.in" >"$d/$f"
	done
	mv "$d/vmmem.h" "$d/include/"
	{
		echo "T_1.0 { global: vmm_mem_add_region; vmm_mem_fill;"
		[ "$put" = 1 ] && echo "vmm_mem_snapshot_put;"
		[ "$frob" = 1 ] && echo "vmm_mem_frob;"
		echo "local: *; };"
		[ "$frob" = 2 ] && echo "T_1.1 { global: vmm_mem_frob; } T_1.0;"
	} >"$d/lib.sym"
	"$cc" -g -O0 -shared -fPIC -I"$d/include" -Wl,-soname,"$soname" \
		-Wl,--version-script="$d/lib.sym" -o "$d/lib/.libs/libt.so" "$d/lib.c"
}

# The baseline.
build "$tmp/base" libt.so.0 || exit 99
(top_srcdir=$tmp/base top_builddir=$tmp/base sh "$abi_sh" update lib/libt.la) >/dev/null ||
	exit 99

fail=0 n=0
# case_ NAME WANT SONAME ARGS...: abi.sh check must exit 0 (WANT=pass) or 1
# (WANT=fail) on the library build() makes with ARGS, against the baseline.
case_() {
	name=$1 want=$2 soname=$3
	shift 3
	n=$((n + 1))
	d=$tmp/c$n
	if ! build "$d" "$soname" "$@" 2>"$tmp/build.log"; then
		cat "$tmp/build.log"
		echo "abi-check: FAIL: $name: could not build"
		fail=$((fail + 1)); return
	fi
	cp "$tmp/base/abi/libt.abi" "$d/abi/"
	top_srcdir=$d top_builddir=$d sh "$abi_sh" check lib/libt.la >"$tmp/out" 2>&1
	rc=$?
	if { [ $want = pass ] && [ $rc -eq 0 ]; } || { [ $want = fail ] && [ $rc -eq 1 ]; }; then
		echo "abi-check: $name: $([ $want = pass ] && echo accepted || echo refused), as it should be"
	else
		cat "$tmp/out"
		echo "abi-check: FAIL: $name: abi.sh exited $rc, it should $want"
		fail=$((fail + 1))
	fi
}
case_ "unchanged" pass libt.so.0
case_ "function added in a new node" pass libt.so.0 frob=2
case_ "structure grown at its end" pass libt.so.0 'extra=void *more;'
case_ "function added to a released node" fail libt.so.0 frob=1
case_ "function removed" fail libt.so.0 put=0
case_ "parameter type changed" fail libt.so.0 len=uint32_t
case_ "member type changed, same size" fail libt.so.0 member=int64_t
case_ "member inserted before the end" fail libt.so.0 'member=uint32_t pad; uint64_t'
case_ "SONAME changed" fail libt.so.1
echo "abi-check: $((n - fail)) passed, $fail failed"
[ $fail -eq 0 ]
