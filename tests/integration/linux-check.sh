#!/usr/bin/env bash
# linux.check-1cpu, linux.check-4cpu, vmx.linux-check-1cpu (and with x2apic,
# linux.check-x2apic-4cpu, vmx.linux-check-x2apic-2cpu): Debian's Linux
# kernel (linux-image-cloud-amd64) boots under Keel on CPUS vCPUs (the first
# argument) on PLATFORM (the second, default qemu-svm)
# with the project's initramfs (guest/linux) in check mode: every CPU comes
# online (INIT/SIPI), /init prints its summary, keel-check its
# machine-readable lines (docs/linux.md) with local timer interrupts on
# every CPU, the MCFG window and the ISA bridge found, no _CRS complaint,
# and no APIC error, spurious or lost interrupt lines in dmesg,
# and `poweroff -f` ends the VM through ACPI S5 with status 0.  The kernel
# is the newest /boot/vmlinuz-*-cloud-amd64 (readable only by root on
# Debian); a machine without one fails as a missing build product does
# (tools/keel deps installs the package).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cpus=${1:?usage: linux-check.sh CPUS [PLATFORM [x2apic]]}
platform=${2:-qemu-svm}
mode=${3:-xapic}
extra=()
if [[ $mode == x2apic ]]; then
    # As firmware leaves a machine with x2APIC on: every vCPU in x2APIC mode
    # at entry, the MADT with x2APIC entries (docs/linux.md, "x2APIC").
    extra=(--set apic_mode=x2apic --set madt_x2apic=yes)
fi
require_keel
require_linux_images
# Under Bochs an idle guest second costs 30-120 s of wall clock with the
# machine's load (docs/linux.md, "the silent stretch"): keel-check's
# pauses print a line first, and the silence allowed is doubled there.
if [[ $platform == bochs-* && -z ${KEEL_TEST_STALL:-} ]]; then TEST_STALL=180; fi

# rising NAME KEY1 KEY2: every CPU's count in keel-check's KEY2 line is
# above its count in the KEY1 line.
rising() {
    local a b i
    IFS=, read -r -a a <<<"$(sed -nE "s/^vm0\\| keel-check: $2=([0-9,]*)\$/\\1/p" "$LOG")"
    IFS=, read -r -a b <<<"$(sed -nE "s/^vm0\\| keel-check: $3=([0-9,]*)\$/\\1/p" "$LOG")"
    ((${#a[@]} == cpus && ${#b[@]} == cpus)) || { fail "$1: not one count per CPU ($2, $3)"; return; }
    for ((i = 0; i < cpus; i++)); do
        ((b[i] > a[i])) || fail "$1 did not rise on CPU $i (${a[i]} then ${b[i]})"
    done
}

keel_run --platform "$platform" --guest "$kernel" --file "$initramfs" --set initrd=initramfs.cpio.gz \
    --mem 256M --cpus "$cpus" --append 'console=ttyS0 keel.check=1 panic=-1' "${extra[@]}"
expect_started
if [[ $mode == x2apic ]]; then
    expect_match '^vm0\| \[ *[0-9.]+\] x2apic: enabled by BIOS, switching to x2apic ops$'
    # Linux 6.1 keeps x2APIC only with interrupt remapping (or a hypervisor
    # it knows): with apic_mode = x2apic the VM has Keel's virtual VT-d
    # unit (irq_remap = auto, hv/dev/vtd_ir.h), Linux finds it in the DMAR
    # with the I/O APIC in its scope, remaps in x2APIC mode (EIM) and stays
    # in x2APIC mode (docs/linux.md, "x2APIC").
    expect_match '^vm0\| \[ *[0-9.]+\] DMAR-IR: IOAPIC id 0 under DRHD base  0xfed90000 IOMMU 0$'
    expect_match '^vm0\| \[ *[0-9.]+\] DMAR-IR: Enabled IRQ remapping in x2apic mode$'
    forbid_match "IRQ remapping doesn't support X2APIC mode"
    forbid_match 'DMAR-IR: Failed|x2apic:? disabled|Switched APIC routing to physical flat'
    # the I/O APIC's interrupts are remapped ones, the console's among them
    # delivered (an edge-triggered pin through an IRTE), and the unit
    # translates no DMA (Linux ignores it as a DMA unit: no device in scope)
    expect_match '^vm0\| keel-check: ioapic_chips=IR-IO-APIC$'
    expect_match '^vm0\| keel-check: ioapic_irqs=.*4:[1-9][0-9]*\(ttyS0\)'
    expect_match '^vm0\| keel-check: iommu_dma=$'
    # Keel's side: the unit, Linux turning remapping on with x2APIC
    # destinations and compatibility format blocked, and no fault
    expect_match "${KEEL}vm0: virtual VT-d interrupt-remapping unit at 0xfed90000 "
    expect_match "${KEEL}vm0: virtual VT-d: interrupt remapping on \(table at 0x[0-9a-f]+, 65536 entries, x2APIC destinations, compatibility format blocked\)"
    forbid_match 'virtual VT-d: .*\(reason'
else
    # irq_remap = auto is off in xAPIC mode: the platform as before
    expect_match '^vm0\| keel-check: ioapic_chips=IO-APIC$'
    forbid_match '^vm0\| .*DMAR'
fi
expect_match "${KEEL}vm0 \(vm0\): Linux boot protocol 2\.[0-9]+, kernel at 0x"
expect_match '^vm0\| \[ *[0-9.]+\] Linux version '
expect_match "^vm0\| keel-linux: Linux [0-9][^ ]*, $cpus CPU\(s\) online, [0-9]+ kB memory$KMSG_TAIL\$"
expect_match "^vm0\| keel-check: cpus_online=$cpus\$"
expect_match '^vm0\| keel-check: mem_total_kb=[0-9]{5,}$'
# the CMOS RTC gave the host's time of day, not 1970
expect_match '^vm0\| keel-check: date=20[2-9][0-9]-[01][0-9]-[0-3][0-9]T'
# one non-zero LOC count per CPU
expect_match "^vm0\| keel-check: loc=[1-9][0-9]*(,[1-9][0-9]*){$((cpus - 1))}\$"
# CPU hotplug: every AP offline and online again (INIT/SIPI once more)
expect_match "^vm0\\| keel-check: hotplugged=$((cpus - 1))\$"
expect_match "^vm0\\| keel-check: cpus_online_after=$cpus\$"
# LOC (and with 2+ CPUs CAL and RES) rose on every CPU between the samples
rising LOC loc loc2
if ((cpus > 1)); then
    rising CAL cal cal2
    rising RES res res2
fi
expect_linux_check_clean
finish
