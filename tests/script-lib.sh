# SPDX-License-Identifier: LGPL-2.1-or-later
# script-lib.sh - what the script tests that start programs share, sourced
# by tests/qemu.sh and tests/vub-lib.sh: a temporary directory they run in,
# the background processes they started (each stopped and reaped at exit,
# whatever happened), and ok/fail reporting.

failed=0
fail() {
	echo "FAIL: $*" >&2
	failed=$((failed + 1))
}
ok() {
	echo "ok: $*"
}

# The PIDs of background processes to stop at exit; add each one started.
pids=
# stop_pids: SIGTERM to each of $pids, up to 5 s for it to go, then SIGKILL;
# every one is reaped.
stop_pids() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	for p in $pids; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	pids=
}

# enter_tmp NAME: make the temporary directory $tmp and work in it
# (relative names: a unix socket path must stay short); at exit the
# processes are stopped and the directory removed.
enter_tmp() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmmem-$1.XXXXXX") || exit 99
	trap 'stop_pids; cd / && rm -rf "$tmp"' EXIT
	trap 'exit 1' HUP INT TERM
	cd "$tmp" || exit 99
}
