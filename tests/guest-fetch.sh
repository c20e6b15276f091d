#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# guest-fetch.sh DIR - put a guest kernel, its virtio modules and a static
# busybox into DIR for the guest tests (tests/vhost-user-blk.sh), without
# installing anything: Debian's cloud kernel and busybox-static are
# downloaded with `apt-get download` and unpacked with `dpkg-deb -x`.
# The kernel package's ABI number changes with security updates, so it is
# resolved from the package index at run time.  Nothing is done when DIR
# already holds a complete set.  Needs `apt-get update` to have run.
set -eu
dir=${1:?usage: guest-fetch.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ -f "$dir/vmlinuz" ] && [ -x "$dir/busybox" ] && [ -f "$dir/modules/virtio_blk.ko" ]; then
	echo "guest-fetch: $dir is complete"
	exit 0
fi
kpkg=$(apt-cache depends linux-image-cloud-amd64 |
	awk '/Depends: linux-image-/{print $2; exit}')
[ -n "$kpkg" ] || { echo "guest-fetch: no linux-image-cloud-amd64 in the package index" >&2; exit 1; }
work=$(mktemp -d "$dir/fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get -q -o APT::Sandbox::User=root download "$kpkg" busybox-static)
for deb in "$work"/*.deb; do
	dpkg-deb -x "$deb" "$work/root"
done
mkdir -p "$dir/modules"
cp "$work"/root/boot/vmlinuz-* "$dir/vmlinuz"
cp "$work/root/bin/busybox" "$dir/busybox"
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do
	f=$(find "$work/root/lib/modules" -name "$m.ko" | head -n 1)
	[ -n "$f" ] || { echo "guest-fetch: module $m not in $kpkg" >&2; exit 1; }
	cp "$f" "$dir/modules/$m.ko"
done
echo "$kpkg" > "$dir/kernel-package"
echo "guest-fetch: $kpkg and busybox-static unpacked into $dir"
