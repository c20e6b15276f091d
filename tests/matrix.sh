#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The compiler and platform matrix, one leg per call, from the top of a
# source tree on a Debian 12 amd64 machine:
#
#   tests/matrix.sh gcc     gcc -Werror build, make check
#   tests/matrix.sh clang   clang -Werror build, make check
#   tests/matrix.sh arm64   aarch64-linux-gnu cross build (-Werror), the
#                           Check suites under qemu-aarch64 with 64 KiB pages
#   tests/matrix.sh i386    i686-linux-gnu cross build (-Werror), the Check
#                           suites and tests/tool.sh under qemu-i386 (or
#                           natively, when the kernel runs 32-bit x86
#                           programs)
#   tests/matrix.sh deps    print the Debian packages the legs need
#
# Each leg builds in build-LEG/ and fails on any warning, failed check or
# error; checks that a platform cannot run report SKIP with their reason.
# The cross legs need the arm64 and i386 multiarch packages ("deps").
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
[ "$jobs" -gt 2 ] 2>/dev/null || jobs=2

# The suites the cross legs run: the Check programs (the script tests
# drive host tools such as QEMU and nm, which a cross build cannot).
suites() {
	sed -n '/^CHECK_SUITES = /,/^[^\t]/p' Makefile.am |
		grep -o 'tests/check_[a-z_]*' | tr '\n' ' '
}

configure_leg() {	# DIR, configure arguments...
	local dir=$1
	shift
	[ -x configure ] || autoreconf -fi
	mkdir -p "$dir"
	(cd "$dir" && ../configure -q "$@")
}

cross_leg() {		# LEG, host triplet, runner...
	local leg=$1 host=$2 dir=build-$1
	shift 2
	# Without the target's pkg-config, configure would take the amd64
	# libraries' flags and fail much later on the wrong headers.
	command -v "$host-pkg-config" >/dev/null ||
		{ echo "matrix: $host-pkg-config missing (pkgconf:$leg)" >&2; exit 1; }
	configure_leg "$dir" --host="$host" CFLAGS="-O2 -g -Werror"
	make -C "$dir" -j"$jobs" >/dev/null
	make -C "$dir" -j"$jobs" check TESTS= >/dev/null
	make -C "$dir" check TESTS="$(suites)" \
		LOG_COMPILER="\$(LIBTOOL) --mode=execute $*"
}

# Does this kernel run 32-bit x86 programs?  (Many CI kernels do; some
# are built without IA32 emulation.)
runs_i386() {
	local t
	t=$(mktemp -d)
	printf 'int main(void){return 0;}\n' >"$t/t.c"
	i686-linux-gnu-gcc -o "$t/t" "$t/t.c" 2>/dev/null && "$t/t" 2>/dev/null
	local rc=$?
	rm -rf "$t"
	return $rc
}

case ${1:-} in
gcc|clang)
	configure_leg "build-$1" CC="$1" CFLAGS="-O2 -g -Werror"
	make -C "build-$1" -j"$jobs" >/dev/null
	make -C "build-$1" -j"$jobs" check
	;;
arm64)
	# qemu-user takes its loader and libraries from /lib/aarch64-linux-gnu
	# (libc6:arm64); pointing it at the cross toolchain's copy
	# (QEMU_LD_PREFIX=/usr/aarch64-linux-gnu) hangs threaded programs.
	# -p 65536: the programs see 64 KiB pages, as on many ARM64 kernels.
	unset QEMU_LD_PREFIX
	cross_leg arm64 aarch64-linux-gnu qemu-aarch64 -p 65536
	;;
i386)
	unset QEMU_LD_PREFIX
	if runs_i386; then
		runner=
	else
		runner=qemu-i386
	fi
	cross_leg i386 i686-linux-gnu $runner
	# The tool's script tests too: 32-bit sizes and offsets on its
	# command line.  (Not on the ARM64 leg: they assume 4 KiB pages.)
	top_builddir=$PWD/build-i386 TOOL_RUNNER=$runner sh tests/tool.sh
	;;
deps)
	echo clang
	echo gcc-aarch64-linux-gnu libc6-dev:arm64 liburcu-dev:arm64 check:arm64 pkgconf:arm64
	echo gcc-i686-linux-gnu libc6-dev:i386 liburcu-dev:i386 check:i386 pkgconf:i386
	echo qemu-user
	;;
*)
	echo "usage: $0 gcc|clang|arm64|i386|deps" >&2
	exit 2
	;;
esac
