#!/usr/bin/env bash
# iommu.shell-vt-d: the shell's `iommu` command with a device assigned.
# QEMU's edu device at 00:05.0 behind VT-d (intremap=on) is given to vm0,
# which runs the echo guest; the test switches to the shell over COM2
# (console_lib.sh) and checks the unit, the assigned function (host and
# guest address, IDs, domain, MSI remapped and why, no fault yet) and the summary,
# then powers the machine off from the shell.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=console_lib.sh
source "$(dirname "$0")/console_lib.sh"
require_guest echo

console_start --guest echo --cpus 1 --set pci=00:05.0 \
    --qemu-arg -device --qemu-arg 'intel-iommu,intremap=on' --qemu-arg -device --qemu-arg 'edu,addr=05.0'
wait_for 'vm0\| tick 2$' || finish
from=$(lines)
send '\x01\x01\x01'
wait_for '^keel> ' "$from" || finish
from=$(lines)
send 'iommu\r'
wait_for '^assigned devices: ' "$from" || finish
LOG=$CON
expect_match '^  unit 0: VT-d at 0x[0-9a-f]+, .*; queue ready$'
expect_match '^  vm0 \(vm0\): 00:05\.0 \[1234:11e8\] as 00:01\.0, IOMMU unit 0, domain 1, MSI remapped \(the guest.s MSI is off\), 0 DMA faults$'
expect_match '^assigned devices: 1; faults of devices no VM owns: 0$'
send 'poweroff\r'
console_end
expect_line 'keel: vm0 (vm0) stopped: poweroff from the shell'
finish
