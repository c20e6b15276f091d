#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# consumer.sh - the library as its users get it.  Builds tests/consumer.c
# and tests/consumer.cc with nothing but `pkg-config --cflags --libs MODULE`,
# runs them, and checks with readelf -d that they need the library's SONAME
# and with objdump -T that every vmm_mem_* function they call is bound to a
# version node of that library (libvmmem: LIBVMMEM_x.y; libvmmem-xen:
# LIBVMMEM_XEN_x.y).
#
#   consumer.sh               (make check) installs the build's libraries,
#                             header and .pc files into a temporary DESTDIR
#                             and checks every libvmmem*.pc found there, with
#                             pkg-config seeing nothing else: so no .pc of a
#                             dependency (liburcu) may be needed;
#   consumer.sh --installed MODULE...
#                             checks what is installed on the system (the
#                             Debian packages), with the system's pkg-config.
#
# Exits 77 (SKIP) when pkg-config, readelf, objdump or a C or C++ compiler
# is missing.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
cc=${CC:-cc}
cxx=${CXX:-c++}
for t in pkg-config readelf objdump "$cc" "$cxx"; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "consumer: $t is not installed; skipped"
		exit 77
	fi
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmmem-consumer.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0
passed=0
bad() {
	echo "consumer: FAIL: $*"
	fail=$((fail + 1))
}

if [ "${1:-}" = --installed ]; then
	shift
	[ $# -gt 0 ] || { echo "usage: consumer.sh --installed MODULE..." >&2; exit 99; }
	root=
	modules=$*
else
	# Only what `make install` puts in place for a developer: libraries,
	# headers, .pc files.
	root=$tmp/root
	if ! MAKEFLAGS= ${MAKE:-make} -s -C "$top_builddir" DESTDIR="$root" \
		install-libLTLIBRARIES install-includeHEADERS install-pkgconfigDATA \
		>"$tmp/install.log" 2>&1; then
		cat "$tmp/install.log"
		echo "consumer: make install into $root failed"
		exit 1
	fi
	pcdir=$(dirname "$(find "$root" -name libvmmem.pc | head -n 1)")
	[ -f "$pcdir/libvmmem.pc" ] || { echo "consumer: no libvmmem.pc installed"; exit 1; }
	# pkg-config sees the installed .pc files first, and puts the DESTDIR
	# in front of the paths they name.  After them come the system's, for
	# the Requires.private of libvmmem-xen.pc (Xen's libraries, which
	# libvmmem-xen-dev depends on).
	PKG_CONFIG_LIBDIR=$pcdir:$(pkg-config --variable pc_path pkg-config)
	PKG_CONFIG_PATH=
	PKG_CONFIG_SYSROOT_DIR=$root
	export PKG_CONFIG_LIBDIR PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
	modules=$(cd "$pcdir" && ls libvmmem*.pc | sed 's/\.pc$//')
fi

for m in $modules; do
	if ! flags=$(pkg-config --cflags --libs "$m" 2>"$tmp/pc.err"); then
		cat "$tmp/pc.err"
		bad "pkg-config --cflags --libs $m"
		continue
	fi
	echo "consumer: pkg-config --cflags --libs $m: $flags"
	libdir=$(pkg-config --variable=libdir "$m")
	case $libdir in "$root"/*) ;; *) libdir=$root$libdir ;; esac
	lib=$libdir/$m.so
	soname=$(LC_ALL=C readelf -d "$lib" 2>/dev/null |
		sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
	case $soname in
	"$m.so."[0-9]*) ;;
	*) bad "$lib has SONAME '$soname'"; continue ;;
	esac
	node=$(echo "$m" | tr 'a-z-' 'A-Z_')_

	for src in consumer.c consumer.cc; do
		case $src in
		*.c) comp="$cc -std=c99" ;;
		*) comp="$cxx -std=c++11" ;;
		esac
		exe=$tmp/$m-$src.bin
		# The sanitizer flags of this build, if any, so that its
		# instrumented library can be loaded.
		if ! $comp ${SAN_CFLAGS:-} -o "$exe" "$top_srcdir/tests/$src" \
			$flags >"$tmp/cc.log" 2>&1; then
			cat "$tmp/cc.log"
			bad "$m: $comp $src \$(pkg-config --cflags --libs $m)"
			continue
		fi
		needed=$(LC_ALL=C readelf -d "$exe" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
		if ! echo "$needed" | grep -qx "$soname"; then
			bad "$m: $src does not need $soname (NEEDED: $needed)"
		fi
		if echo "$needed" | grep -q urcu; then
			bad "$m: $src links liburcu itself (NEEDED: $needed)"
		fi
		# objdump -T: "... *UND* ... (NODE) name" for a versioned reference.
		LC_ALL=C objdump -T "$exe" | awk '$NF ~ /^vmm_mem_/ && /\*UND\*/' >"$tmp/refs"
		if [ ! -s "$tmp/refs" ]; then
			bad "$m: $src references no vmm_mem_ function"
		elif grep -v "($node[0-9][0-9.]*) *vmm_mem_" "$tmp/refs" >"$tmp/unbound"; then
			cat "$tmp/unbound"
			bad "$m: $src has references not bound to a $node* node"
		else
			echo "consumer: $src: needs $soname, binds" \
				"$(sed 's/.*(\(.*\)).*/\1/' "$tmp/refs" | sort -u | tr '\n' ' ')"
		fi
		if [ -n "$root" ]; then
			LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
				"$exe" >"$tmp/out" 2>&1
		else
			"$exe" >"$tmp/out" 2>&1
		fi
		rc=$?
		cat "$tmp/out"
		if [ $rc -ne 0 ] || ! grep -q ': ok$' "$tmp/out"; then
			bad "$m: $src exited with $rc"
		else
			passed=$((passed + 1))
		fi
	done
done
echo "consumer: $passed passed, $fail failed"
[ $fail -eq 0 ] && [ $passed -gt 0 ]
