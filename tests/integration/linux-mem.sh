#!/usr/bin/env bash
# linux.mem-6g, vmx.linux-mem-1g: Debian's Linux kernel in check mode
# (linux-check.sh) in a VM with SIZE of RAM (the first argument) on PLATFORM
# (the second, default qemu-svm), so that RAM lies above 4 GiB (the layout of
# hv/mm/guest_ram.h: RAM to 2 GiB, the PCI hole, the rest from 4 GiB;
# docs/linux.md "Memory").  Checked: Keel's boot line with the nested-page
# counts (1 GiB pages where the CPU has them: QEMU's EPYC model has Page1GB),
# the e820 map Linux prints (RAM above 4 GiB, the ECAM window reserved),
# MemTotal, the MCFG window taken and found reserved, the ISA bridge at
# 00:1F.0, no complaint about the root bridge's _CRS, and the dmesg checks of
# linux-check.sh.  The machine gets SIZE + 2 GiB (QEMU -m) so that the VM's
# RAM comes in a few large host chunks (SIZE + 1 GiB up to 2 GiB of RAM).
# Bochs (vmx.linux-mem-1g) gets 1 GiB: Bochs 2.7 keeps at most 2 GiB of
# guest RAM in host memory and, with more (a swap file), did not reach
# keel.efi within 90 s on a 5 GiB machine, so RAM above 4 GiB is tested on
# QEMU only; on Bochs the test checks 1 GiB EPT pages, MCFG and the ISA
# bridge under VMX.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
size=${1:?usage: linux-mem.sh SIZE(G) [PLATFORM]}
platform=${2:-qemu-svm}
require_keel
require_linux_images
gib=${size%G}
high=0 # GiB above 4 GiB
((gib > 2)) && high=$((gib - 2))
machine=$((gib + (gib > 2 ? 2 : 1)))

keel_run --platform "$platform" --guest "$kernel" --file "$initramfs" --set initrd=initramfs.cpio.gz \
    --mem "${gib}G" --machine-mem "${machine}G" --cpus 1 \
    --append 'console=ttyS0 keel.check=1 panic=-1'
expect_started
one_g='[1-9][0-9]*'
[[ $platform == qemu-svm ]] || one_g='[0-9]+'
low=$((gib > 2 ? 2048 : gib * 1024))
expect_match "${KEEL}vm0 \\(vm0\\): $((gib * 1024)) MiB RAM \\($low below 4 GiB\\) in [0-9]+ host chunks?; nested pages up to (1G|2M): 1G=$one_g 2M=[0-9]+ 4K=0\$"
low_end=$(printf '%016x' $((low * 1024 * 1024 - 1)))
expect_match "^vm0\\| \\[ *[0-9.]+\\] BIOS-e820: \\[mem 0x0000000000100000-0x$low_end\\] usable\$"
expect_match '^vm0\| \[ *[0-9.]+\] BIOS-e820: \[mem 0x00000000b0000000-0x00000000bfffffff\] reserved$'
if ((high > 0)); then
    end=$(printf '%016x' $(((4 + high) * 1024 * 1024 * 1024 - 1)))
    expect_match "^vm0\\| \\[ *[0-9.]+\\] BIOS-e820: \\[mem 0x0000000100000000-0x$end\\] usable\$"
else
    forbid_match '^vm0\| \[ *[0-9.]+\] BIOS-e820: \[mem 0x0000000100000000-'
fi
mem=$(sed -nE 's/^vm0\| keel-check: mem_total_kb=([0-9]+)$/\1/p' "$LOG")
# MemTotal is the RAM less what the kernel keeps for itself: at least 90 %.
if [[ -z $mem ]] || ((mem < gib * 1024 * 1024 * 9 / 10)); then
    fail "MemTotal ${mem:-missing} kB for ${gib} GiB of RAM"
fi
expect_match '^vm0\| keel-check: pci=0000:00:00\.0=1b36:0008/060000 0000:00:1f\.0=8086:7110/060100$'
expect_match '^vm0\| keel-check: mmconfig_reserved=[1-9]$'
expect_linux_check_clean
finish
