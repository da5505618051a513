#!/usr/bin/env bash
# linux.two-vms: Linux side by side with a test guest.  vm0 runs the basic
# guest told to triple-fault (fault=triple) and is stopped; vm1 runs
# Debian's kernel in check mode on 2 vCPUs and goes on to the end: every
# CPU online, hotplug, its checks, ACPI power-off.  The run's status is
# vm0's, 112 (stopped).  Stopping one VM leaves the other running.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_guest basic
require_linux_images

write_cfg <<CFG
vm0.guest = basic.elf
vm0.cpus = 2
vm0.cmdline = fault=triple
vm1.guest = $(basename -- "$kernel")
vm1.initrd = initramfs.cpio.gz
vm1.cmdline = console=ttyS0 keel.check=1 panic=-1
vm1.memory = 256M
vm1.cpus = 2
CFG
keel_run --cfg "$CFG" --cpus 4 --file "$GUESTS/basic.elf" --file "$kernel" --file "$initramfs"
expect_started
expect_match "${KEEL}vm0 \([^)]*\) stopped: triple fault"
forbid_match "${KEEL}vm1 \([^)]*\) stopped: "
expect_match '^vm1\| keel-linux: Linux [0-9][^ ]*, 2 CPU\(s\) online, [0-9]+ kB memory'"$KMSG_TAIL"'$'
expect_match '^vm1\| keel-check: hotplugged=1$'
expect_match '^vm1\| keel-check: cpus_online_after=2$'
expect_match '^vm1\| keel-check: dmesg_apic_error=0$'
expect_match '^vm1\| keel-check: done$'
forbid_match '^vm1\| .*(Kernel panic|invalid opcode|general protection fault|BUG:|Oops)'
expect_match "${KEEL}vm1 \\(vm1\\) powered off \\(ACPI sleep state S5\\)"
expect_end 112
finish
