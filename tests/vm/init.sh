#!/bin/busybox sh
# The test VM's init, run by busybox from the initramfs (/init), in two stages.
#
# Stage 1 (pid 1 in the initramfs): load the modules listed in /etc/modules, mount the host's
# root read-only over 9p (tag "hostroot") under a tmpfs overlay, fresh /proc, /sys, /dev, /tmp
# and /run in it, the writable shares (tags "rw0", "rw1", ... at the host paths the run's
# vm.env names), then switch_root into it, so the guest's / is the overlay and /proc/PID/root
# reads as on the host.
#
# Stage 2 (pid 1 in the new root, "init.sh run"): run the command the host wrote to
# $VM_CTL/run.sh with its output in $VM_CTL/out, write its exit status to $VM_CTL/status,
# power off. The host reads the three files; the console (kernel messages, this script's own
# complaints) goes to a log file on the host.

bb=/bin/busybox

fail() {
	echo "vm-init: $*"
	[ -n "${VM_CTL:-}" ] && [ -d "$VM_CTL" ] && echo "vm-init: $*" >>"$VM_CTL/init-error"
	$bb sync
	echo o >/proc/sysrq-trigger
	exit 1
}

if [ "${1:-}" = run ]; then
	bb=/run/vm/busybox
	. /run/vm/vm.env
	VM_CTL=$VM_CTL_PATH
	$bb hostname vm
	$bb ip link set lo up
	$bb sh "$VM_CTL/run.sh" >"$VM_CTL/out" 2>&1 </dev/null
	echo $? >"$VM_CTL/status.tmp" && $bb mv "$VM_CTL/status.tmp" "$VM_CTL/status"
	$bb sync
	echo o >/proc/sysrq-trigger
	$bb sleep 10
	exit 0
fi

export PATH=/bin
$bb mkdir -p /proc /sys /dev /ctl /lower /upper /newroot
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs devtmpfs /dev

while read -r m; do
	$bb insmod "/lib/modules/$m.ko" || fail "cannot load module $m"
done </etc/modules

p9() { # tag dir options
	$bb mount -t 9p -o "trans=virtio,version=9p2000.L,msize=512000,$3" "$1" "$2"
}

p9 ctl /ctl cache=none || fail "cannot mount the control share"
VM_CTL=/ctl
. /ctl/vm.env || fail "cannot read vm.env"

p9 hostroot /lower ro,cache=loose || fail "cannot mount the host's root"
$bb mount -t tmpfs -o mode=755 tmpfs /upper || fail "cannot mount the overlay's tmpfs"
$bb mkdir -p /upper/data /upper/work
$bb mount -t overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work overlay /newroot ||
	fail "cannot mount the overlay"

n=/newroot
$bb mount -t tmpfs -o mode=1777 tmpfs $n/tmp || fail "cannot mount /tmp"
$bb mount -t tmpfs -o mode=755 tmpfs $n/run || fail "cannot mount /run"
$bb mkdir -p $n/run/netns $n/run/vm $n/run/lock
$bb cp $bb $n/run/vm/busybox && $bb cp /init $n/run/vm/init.sh || fail "cannot copy busybox"
$bb cp /ctl/vm.env $n/run/vm/vm.env

i=0
while :; do
	eval "dir=\${VM_RW$i:-}"
	[ -n "$dir" ] || break
	$bb mkdir -p "$n$dir" && p9 "rw$i" "$n$dir" cache=loose || fail "cannot mount share rw$i at $dir"
	i=$((i + 1))
done
$bb mkdir -p "$n$VM_CTL_PATH" && $bb mount --move /ctl "$n$VM_CTL_PATH" || fail "cannot move the control share"

$bb mount --move /dev $n/dev || fail "cannot move /dev"
$bb mkdir -p $n/dev/pts $n/dev/shm
$bb mount -t devpts -o newinstance,ptmxmode=0666 devpts $n/dev/pts
$bb mount -t tmpfs -o mode=1777 tmpfs $n/dev/shm
$bb mount --move /sys $n/sys || fail "cannot move /sys"
$bb mount --move /proc $n/proc || fail "cannot move /proc"
exec $bb switch_root $n /run/vm/busybox sh /run/vm/init.sh run
