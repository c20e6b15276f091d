# SPDX-License-Identifier: LGPL-2.1-or-later
# vub-lib.sh - shared part of the vhost-user-blk guest tests, sourced by
# tests/vub-boot.sh, tests/vub-migrate.sh and tests/vub-qsd.sh.
#
# The guest: Debian's cloud kernel with its virtio modules and a static
# busybox, unpacked by tests/guest-fetch.sh into $VMMEM_GUEST_DIR (default
# $top_builddir/guest-cache), plus tests/vub-guest (the workload).  Guest
# RAM is two shared memory-backend-file objects of 128 MiB, two NUMA nodes
# to QEMU, so the back end gets (at least) two memory regions that meet at
# GPA 128 MiB.  The guest kernel runs with numa=off, so its page allocator
# treats both as one zone and a physically contiguous buffer can cross the
# boundary (vub-guest span).
#
# A test skips (77) only when qemu-system-x86_64 or the kernel is absent.

: "${top_builddir:=.}"
: "${top_srcdir:=.}"
top_builddir=$(cd "$top_builddir" && pwd) || exit 99
top_srcdir=$(cd "$top_srcdir" && pwd) || exit 99
guest_dir=${VMMEM_GUEST_DIR:-$top_builddir/guest-cache}
vub=$top_builddir/tools/vmmem-vhost-user-blk
vubg=$top_builddir/tests/vub-guest
qemu=qemu-system-x86_64
# Seconds a guest may take to boot and finish; TCG on a loaded machine.
: "${VUB_GUEST_TIMEOUT:=600}"
ram_mb=128
split=$((ram_mb * 1024 * 1024))
me=${0##*/}

skip() {
	echo "$me: SKIP: $*"
	exit 77
}
if ! command -v "$qemu" >/dev/null 2>&1; then
	skip "$qemu not found"
fi
if [ ! -f "$guest_dir/vmlinuz" ] || [ ! -x "$guest_dir/busybox" ] ||
	[ ! -f "$guest_dir/modules/virtio_blk.ko" ]; then
	skip "no guest kernel in $guest_dir (run tests/guest-fetch.sh $guest_dir)"
fi
for p in "$vub" "$vubg"; do
	if [ ! -x "$p" ]; then
		echo "$me: $p is not built" >&2
		exit 99
	fi
done

. "$top_srcdir/tests/script-lib.sh"
enter_tmp vub

# The initramfs: busybox, the six virtio modules in load order, the
# workload, and an /init that runs the command line's vub.run=WORD.
make_initrd() {
	mkdir -p initrd/bin initrd/lib initrd/dev initrd/proc initrd/sys
	cp "$guest_dir/busybox" initrd/bin/busybox
	cp "$vubg" initrd/bin/vub-guest
	for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do
		cp "$guest_dir/modules/$m.ko" initrd/lib/
	done
	cat >initrd/init <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t devtmpfs dev /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do
	insmod /lib/$m.ko || echo "VUB FAIL insmod $m"
done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
run=; split=; secs=
for w in $(cat /proc/cmdline); do
	case $w in
	vub.run=*) run=${w#vub.run=} ;;
	vub.split=*) split=${w#vub.split=} ;;
	vub.secs=*) secs=${w#vub.secs=} ;;
	esac
done
echo "VUB init $run"
case $run in
boot)
	echo "VUB disk-md5 $(md5sum </dev/vda | cut -d' ' -f1)"
	vub-guest write /dev/vda
	vub-guest span /dev/vda $split
	echo "VUB disk-md5-after $(md5sum </dev/vda | cut -d' ' -f1)"
	;;
loop)
	vub-guest loop /dev/vda $secs $split
	;;
bench)
	t0=$(cut -d' ' -f1 /proc/uptime)
	dd if=/dev/vda of=/dev/null bs=1M iflag=direct 2>/dev/null
	dd if=/dev/vda of=/dev/null bs=4k iflag=direct 2>/dev/null
	dd if=/dev/zero of=/dev/vda bs=64k count=128 oflag=direct 2>/dev/null
	t1=$(cut -d' ' -f1 /proc/uptime)
	echo "VUB bench $t0 $t1"
	;;
esac
sync
echo "VUB done"
poweroff -f
EOF
	chmod +x initrd/init
	(cd initrd && find . | ./bin/busybox cpio -o -H newc 2>/dev/null) | gzip -1 >initrd.gz ||
		{ echo "$me: cannot build the initramfs" >&2; exit 99; }
}

# start_backend NAME IMAGE [OPTIONS...]: the back end on socket NAME.sock,
# its messages in NAME.log; waits for the socket.
start_backend() {
	name=$1 img=$2
	shift 2
	"$vub" -s "$name.sock" --once "$@" "$img" 2>"$name.log" &
	wait_socket "$name"
}

# wait_socket NAME: the back end just started ($!) listens on NAME.sock.
wait_socket() {
	bpid=$!
	pids="$pids $bpid"
	i=0
	while [ ! -S "$1.sock" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -S "$1.sock" ] || { echo "$me: back end $1 did not start" >&2; cat "$1.log" >&2; exit 99; }
}

qsd=qemu-storage-daemon
# start_qsd NAME IMAGE: the reference back end on NAME.sock.
start_qsd() {
	"$qsd" --blockdev "driver=file,node-name=file0,filename=$2,cache.direct=off" \
		--blockdev driver=raw,node-name=disk0,file=file0 \
		--export "type=vhost-user-blk,id=exp0,node-name=disk0,addr.type=unix,addr.path=$1.sock,writable=on" \
		>"$1.log" 2>&1 &
	wait_socket "$1"
}

stop_qsd() {
	kill "$bpid" 2>/dev/null
	wait "$bpid" 2>/dev/null
}

# qemu_args NAME SOCK RUN [EXTRA APPEND]: the common command line, RAM in
# NAME.ram0 and NAME.ram1.
qemu_args() {
	echo "-accel tcg -machine q35 -m $((2 * ram_mb))M -smp 1" \
		"-object memory-backend-file,id=m0,size=${ram_mb}M,mem-path=$1.ram0,share=on" \
		"-object memory-backend-file,id=m1,size=${ram_mb}M,mem-path=$1.ram1,share=on" \
		"-numa node,nodeid=0,memdev=m0 -numa node,nodeid=1,memdev=m1" \
		"-chardev socket,id=vub,path=$2 -device vhost-user-blk-pci,chardev=vub,num-queues=1" \
		"-kernel $guest_dir/vmlinuz -initrd initrd.gz" \
		"-nographic -nodefaults -no-reboot -qmp unix:$1.qmp,server=on,wait=off"
}
# nokaslr: the kernel image is loaded at its fixed physical address (16
# MiB), not at a random one; a random one covered the frames on either side
# of the region boundary (vub-guest span) in about one boot of sixteen,
# and the image's frames are never freed.  movablecore: the top ram_mb +
# 32 MiB of guest memory, which holds those two frames, serves movable
# allocations only, so that no kernel page can hold them for good; user
# pages there can be pushed out and the frames taken.
append_for() {
	echo "console=ttyS0 panic=-1 quiet numa=off nokaslr movablecore=$((ram_mb + 32))M" \
		"vub.split=$split vub.run=$1 $2"
}

# run_guest NAME SOCK RUN [APPEND]: boot, wait for power-off (bounded),
# serial output in NAME.serial.  Returns QEMU's status.
run_guest() {
	# shellcheck disable=SC2046
	timeout -k 5 "$VUB_GUEST_TIMEOUT" "$qemu" $(qemu_args "$1" "$2") \
		-append "$(append_for "$3" "${4:-}")" -serial "file:$1.serial" >"$1.qemu.log" 2>&1
}

# serial_value NAME KEY: the word after "VUB KEY" on the serial console.
serial_value() {
	grep -a "^VUB $2 " "$1.serial" | tail -n 1 | awk '{print $3}' | tr -d '\r'
}

# wait_for FILE PATTERN SECONDS: until grep -a finds PATTERN in FILE.
wait_for() {
	i=0
	while ! grep -aq "$2" "$1" 2>/dev/null; do
		[ $i -lt $(($3 * 10)) ] || return 1
		sleep 0.1
		i=$((i + 1))
	done
}

# monitor NAME COMMAND...: HMP commands (or QMP JSON) over NAME.qmp.
monitor() {
	name=$1
	shift
	"$top_builddir/tests/qmp" -w 60 "$name.qmp" "$@"
}

show_logs() {
	for f in "$@"; do
		[ -f "$f" ] || continue
		echo "---- $f (last 30 lines)"
		tail -n 30 "$f" | tr -d '\r' | grep -av '^$'
	done
}
