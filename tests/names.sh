#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The names check: every exported symbol is declared in the header, listed in
# the version script and has a manual page, and nothing else is exported.
# With libvmmem-xen built (NAMES_LIB=xen), the same for it, with its own
# version nodes, and its sorted export list must equal libvmmem's.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
case ${NAMES_LIB:-} in
xen)	so=$top_builddir/lib/.libs/libvmmem-xen.so node=LIBVMMEM_XEN
	other=$top_builddir/lib/.libs/libvmmem.so ;;
*)	so=$top_builddir/lib/.libs/libvmmem.so node=LIBVMMEM other= ;;
esac
[ -f "$so" ] || { echo "names: $so not built"; exit 1; }
command -v nm >/dev/null 2>&1 || { echo "names: nm not found"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
sed "s/@NODE@/$node/g" "$top_srcdir/lib/libvmmem.sym.in" >"$tmp/sym"

# Exported: every defined dynamic symbol, with its version node.
nm -D --defined-only --with-symbol-versions "$so" >"$tmp/nm" 2>/dev/null ||
	nm -D --defined-only "$so" >"$tmp/nm"
awk '$2 != "A" { print $3 }' "$tmp/nm" | sed 's/@.*//' | sort -u >"$tmp/exported"
if [ -n "$other" ]; then
	# The two libraries: the same names, each under the same release's
	# node of its own flavour.
	[ -f "$other" ] || { echo "names: $other not built"; exit 1; }
	nm -D --defined-only --with-symbol-versions "$other" |
		awk '$2 != "A" { print $3 }' | sed 's/@@LIBVMMEM_/ /' | sort >"$tmp/plain"
	awk '$2 != "A" { print $3 }' "$tmp/nm" | sed 's/@@LIBVMMEM_XEN_/ /' |
		sort >"$tmp/flavoured"
	if ! diff -u "$tmp/plain" "$tmp/flavoured"; then
		echo "names: libvmmem-xen exports other names or nodes than libvmmem"
		fail=1
	fi
	if [ "$(wc -l <"$tmp/plain")" -eq 0 ]; then
		echo "names: libvmmem exports nothing"; fail=1
	fi
fi
# Declared: functions marked VMM_MEM_EXPORT in the header.
# (Declarations may span lines: join them, then take each declaration's
# first "vmm_mem_NAME(".)
tr '\n' ' ' <"$top_srcdir/include/vmmem.h" | sed 's/VMM_MEM_EXPORT/\n&/g' |
	sed -n 's/^VMM_MEM_EXPORT[^;(]*[ *]\(vmm_mem_[a-z0-9_]*\)[[:space:]]*(.*/\1/p' |
	sort -u >"$tmp/declared"
# Listed: the global part of the version script.
sed -n '/global:/,/local:/p' "$tmp/sym" |
	sed -n 's/^[[:space:]]*\(vmm_mem_[a-z0-9_]*\);.*/\1/p' | sort -u >"$tmp/listed"
# Inline helpers in the header: documented like functions, never exported.
sed -n 's/^VMM_MEM__RD(\([a-z0-9]*\),.*/\1/p; s/^VMM_MEM__END(\([a-z0-9]*\),.*/\1/p' \
	"$top_srcdir/include/vmmem.h" |
	while read -r t; do echo "vmm_mem_read_$t"; echo "vmm_mem_write_$t"; done |
	sort -u >"$tmp/inline"

n=$(wc -l <"$tmp/exported")
[ "$n" -gt 0 ] || { echo "names: nothing exported"; exit 1; }
if ! diff -u "$tmp/declared" "$tmp/exported"; then
	echo "names: exported symbols differ from the header's declarations"; fail=1
fi
if ! diff -u "$tmp/listed" "$tmp/exported"; then
	echo "names: exported symbols differ from the version script"; fail=1
fi
# Each symbol carries the version node the script puts it in (symbols are
# never moved between nodes once released).
if grep -q '@' "$tmp/nm"; then
	awk '$2 != "A" { print $3 }' "$tmp/nm" | sed 's/@@/ /' | sort >"$tmp/nodes"
	awk '/^LIBVMMEM_[A-Z0-9_.]* *{/ { node = $1 }
	     /^[[:space:]]*vmm_mem_[a-z0-9_]*;/ { s = $1; sub(";", "", s);
						print s, node }' \
		"$tmp/sym" | sort >"$tmp/script-nodes"
	if ! diff -u "$tmp/script-nodes" "$tmp/nodes"; then
		echo "names: symbol versions differ from the version script"
		fail=1
	fi
fi
# The Debian symbols file of the library's package (named after its SONAME:
# libvmmem.so.0, libvmmem0) lists every exported symbol with its node, and
# the version that introduced it is the node's (LIBVMMEM_1.2 -> 1.2.0), so
# that dpkg-gensymbols (check level 4 in debian/rules) accepts the build and
# programs get the right minimum version.  A new symbol needs its line.
soname=$(LC_ALL=C readelf -d "$so" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
pkg=$(echo "$soname" | sed 's/\.so\.\([0-9]*\)$/\1/')
symbols=$top_srcdir/debian/$pkg.symbols
if [ -f "$top_srcdir/debian/control" ] && [ -s "$tmp/nodes" ]; then
	if [ ! -f "$symbols" ]; then
		echo "names: no debian/$pkg.symbols: each installed library has its Debian package (README, Maintainer notes)"
		fail=1
	else
		awk '{ print $1 "@" $2, $2 }' "$tmp/nodes" >"$tmp/sym-pairs"
		awk '{ print $2 "@" $2, $2 }' "$tmp/nodes" | sort -u >>"$tmp/sym-pairs"
		awk '{ v = $2; sub(/.*_/, "", v); print " " $1 " " v ".0" }' \
			"$tmp/sym-pairs" | sort >"$tmp/sym-want"
		grep '^ ' "$symbols" | sort >"$tmp/sym-have"
		if ! diff -u "$tmp/sym-have" "$tmp/sym-want"; then
			echo "names: debian/$pkg.symbols differs from the exported symbols ('+' lines are missing there)"
			fail=1
		fi
	fi
fi
if [ "$(wc -l <"$tmp/inline")" -eq 0 ]; then
	echo "names: found no inline helpers in the header"; fail=1
fi
for f in $(cat "$tmp/exported" "$tmp/inline"); do
	if [ ! -f "$top_srcdir/man/$f.3" ]; then
		echo "names: no manual page man/$f.3"; fail=1
	fi
	if grep -qx "$f" "$tmp/inline" && grep -qx "$f" "$tmp/exported"; then
		echo "names: inline helper $f is also exported"; fail=1
	fi
done
for f in libvmmem.7 vmmem.1 vmmem-vhost-user-blk.1; do
	[ -f "$top_srcdir/man/$f" ] || { echo "names: no manual page man/$f"; fail=1; }
done
# Every page's title line names this release (the .so alias pages have none).
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
for f in "$top_srcdir"/man/*.[1-9]; do
	th=$(grep -m1 '^\.TH ' "$f") || continue
	case $th in
	*"\"libvmmem $version\""*) ;;
	*) echo "names: $(basename "$f") is titled for another release: $th"; fail=1 ;;
	esac
done
[ $fail = 0 ] && echo "names: $(basename "$so"): $n exported functions, $(wc -l <"$tmp/inline") inline helpers: header, version script, manual pages and Debian symbols file agree"
exit $fail
