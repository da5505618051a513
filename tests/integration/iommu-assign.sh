#!/usr/bin/env bash
# iommu.assign-amd-vi, iommu.assign-vt-d, iommu.assign-none,
# iommu.assign-missing, iommu.assign-dma-stop: device assignment
# (docs/iommu.md).  QEMU's edu device at 00:05.0 is given to vm0 with
# keel.cfg 'pci = 00:05.0'; the passthru guest finds it on its virtual PCI
# bus, maps its BAR, DMAs to and from its own RAM, DMAs outside its RAM (the
# IOMMU blocks it and Keel reports the fault) and takes its MSI.  In the amd
# and intel modes a QEMU e1000e at 00:06.0 is given to vm0 too (2 vCPUs):
# the guest programs its MSI-X table (mediated by Keel), steers a cause to
# entries 0 and 1, masks an entry and the function (the interrupt waits in
# the PBA until unmasked) and moves the target to vCPU 1.
#   amd       QEMU -device amd-iommu: AMD-Vi DTE, on_dma_fault = continue.
#             QEMU 7.2's AMD-Vi model never writes its event log (its
#             amdvi_test_mask() ORs instead of ANDs, fixed upstream in 2025), so
#             the blocked DMA is checked in QEMU's own trace (amdvi_page_fault)
#             instead of Keel's report
#   intel     QEMU -device intel-iommu: VT-d context entry and TE; Keel's
#             fault report from the fault recording registers
#   none      no IOMMU: the assignment is refused in one line and the VM
#             does not start (Keel ends with the boot-failure status)
#   missing   an IOMMU, but no function at 00:06.0: refused in one line
#   stop      VT-d with on_dma_fault = stop: the blocked DMA stops the VM
#   bridge    VT-d, edu behind a pcie-root-port at 00:07.0 (01:00.0): QEMU's DMAR
#             lists the port as a bridge scope, whose buses Keel reads at boot
#   vm1       AMD-Vi, the device given to vm1 (its own domain, 2, its vCPU 0 on
#             CPU 1) while vm0 runs the basic guest
#   iommu-assign.sh amd|intel|none|missing|stop
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
mode=${1:?usage: iommu-assign.sh amd|intel|none|missing|stop|vm1|bridge}
require_guest passthru basic

args=(--guest passthru --cpus 1 --set pci=00:05.0)
if [[ $mode == vm1 ]]; then
    write_cfg <<'CFG'
vm0.guest = basic.elf
vm0.cpus = 1
vm1.guest = passthru.elf
vm1.cpus = 1
vm1.pci = 00:05.0
vm1.on_dma_fault = continue
CFG
    args=(--cfg "$CFG" --file "$GUESTS/basic.elf" --file "$GUESTS/passthru.elf" --cpus 2)
fi
if [[ $mode == amd || $mode == intel ]]; then
    args=(--guest passthru --cpus 2 --set pci=00:05.0 --set pci=00:06.0)
    args+=(--qemu-arg -device --qemu-arg 'e1000e,addr=06.0')
fi
case $mode in
amd | missing | vm1)
    args+=(--qemu-arg -device --qemu-arg 'amd-iommu,intremap=on')
    args+=(--qemu-arg -trace --qemu-arg amdvi_page_fault --qemu-arg -trace --qemu-arg amdvi_ir_remap_msi)
    ;;
bridge)
    args=(--guest passthru --cpus 1 --set pci=01:00.0 --set on_dma_fault=continue)
    args+=(--qemu-arg -device --qemu-arg 'intel-iommu,intremap=on')
    args+=(--qemu-arg -device --qemu-arg 'pcie-root-port,id=rp1,chassis=1,addr=07.0')
    args+=(--qemu-arg -device --qemu-arg 'edu,bus=rp1,addr=00.0')
    ;;
intel | stop)
    args+=(--qemu-arg -device --qemu-arg 'intel-iommu,intremap=on')
    args+=(--qemu-arg -trace --qemu-arg vtd_ir_remap_msi)
    ;;
none) ;;
*) fail "unknown mode $mode" ;;
esac
[[ $mode == bridge ]] || args+=(--qemu-arg -device --qemu-arg 'edu,addr=05.0')
[[ $mode == stop || $mode == vm1 || $mode == bridge ]] || args+=(--set on_dma_fault=continue)
[[ $mode == missing ]] && args+=(--set pci=00:06.0)
keel_run "${args[@]}"
expect_match "${KEEL}pci: [1-9][0-9]* functions on the host \(configuration mechanism #1, segment 0\)"
bdf='00:05\.0 \[1234:11e8\] assigned as 00:01\.0 on its bus'
fault='vm0 \(vm0\): DMA fault: DMA blocked \([^)]*\): device 00:05\.0, address 0x8000000, write'
case $mode in
amd | intel)
    unit=$([[ $mode == amd ]] && echo AMD-Vi || echo VT-d)
    # Both remap the device's MSI through an IRTE (checked in QEMU's trace below).
    msi='remapped \(IRTE\)'
    expect_started
    expect_match "${KEEL}vm0 \(vm0\): PCI function $bdf; IOMMU unit 0 \($unit\), domain 1, [34]-level I/O page tables over 64 MiB.*; MSI $msi\$"
    expect_match '^vm0\| edu at 00:01\.0'
    # QEMU's units remap but do not post (AMD-Vi GAMSup 0, VT-d CAP.PI 0):
    # the guest's MSI takes Keel's vector, and the log says why.
    expect_match "${KEEL}vm0 \\(vm0\\): 00:05\\.0 MSI \\(guest address 0xfee[0-9a-f]*, data 0x[0-9a-f]*\\): remapped \\(the IOMMU unit does not post\\), to host vector and injected by Keel\$"
    if [[ $mode == amd ]]; then
        grep -q 'amdvi_page_fault .*address 0x8000000' -- "$RUN_DIR/qemu.log" ||
            fail "QEMU's AMD-Vi model did not block the DMA to 0x8000000 (no amdvi_page_fault in its trace)"
        # The MSI went through the device's IRTE 0: data 0 became vector 0xd0.
        grep -q 'amdvi_ir_remap_msi (addr 0xfee00000, data 0x0) -> (addr 0xfee[0-9a-f]*, data 0x[0-9a-f]*d0)' -- "$RUN_DIR/qemu.log" ||
            fail "QEMU's AMD-Vi model did not remap the MSI through IRTE 0 (no amdvi_ir_remap_msi in its trace)"
    else
        expect_match "${KEEL}$fault"
        # The fault event interrupt (FECTL/FEDATA/FEADDR) made vCPU 0 report it at once.
        expect_match "${KEEL}iommu: unit 0: fault events to vector 0xee on APIC 0 \\(FECTL 0\\)"
        expect_match "${KEEL}vm0 \\(vm0\\): IOMMU interrupt taken: faults and GA log entries are handled at once"
        # Remappable format, handle 0 (address bit 4), data 0, became vector 0xd0.
        grep -q 'vtd_ir_remap_msi (addr 0xfee00010, data 0x0) -> (addr 0xfee[0-9a-f]*, data 0x[0-9a-f]*d0)' -- "$RUN_DIR/qemu.log" ||
            fail "QEMU's VT-d model did not remap the MSI through IRTE 0 (no vtd_ir_remap_msi in its trace)"
    fi
    # MSI-X (e1000e at 00:06.0): 5 entries offered, the table's page
    # emulated; entries 0 and 1 remapped; the byte read refused once.
    e1000e='00:06\.0 \[8086:10d3\] assigned as 00:02\.0 on its bus'
    expect_match "${KEEL}vm0 \(vm0\): PCI function $e1000e; IOMMU unit 0 \($unit\), domain 1, "
    expect_match "${KEEL}vm0 \(vm0\): 00:06\.0 MSI-X: 5 of its 5 entries offered \(table in BAR3 at 0, PBA in BAR3 at 0x2000\), the table's 4 KiB emulated"
    expect_match "${KEEL}vm0 \(vm0\): 00:06\.0 MSI-X entry 0 \(guest address 0xfee00000, data 0x51\): remapped \(the IOMMU unit does not post\)"
    expect_match "${KEEL}vm0 \(vm0\): 00:06\.0 MSI-X entry 1 \(guest address 0xfee0[0-9a-f]*, data 0x53\): remapped"
    expect_match "${KEEL}vm0 \(vm0\): 00:06\.0: read of 1 bytes at MSI-X table offset 0xc: only aligned DWORD and QWORD accesses are defined"
    expect_match '^vm0\| e1000e at 00:02\.0, MSI-X capability at 0xa0'
    if [[ $mode == amd ]]; then
        # Entry 1 went through the device's IRTE 1: data 1 became the second host vector.
        grep -q 'amdvi_ir_remap_msi (addr 0xfee00000, data 0x1) -> (addr 0xfee[0-9a-f]*, data 0x[0-9a-f]*d[0-9a-f])' -- "$RUN_DIR/qemu.log" ||
            fail "QEMU's AMD-Vi model did not remap an MSI-X message through IRTE 1"
        # What the device sent on entry 1 (3 of 0x52, 2 of 0x53), the
        # guest's exact counts' premise: more is QEMU's (its e1000e's EITR
        # flag, guest/passthru/msix.c), so a count too high is not Keel's
        # (or not only); said, not failed: an extra the vLAPIC's IRR merged
        # leaves the guest's counts right.
        sent=$(grep -c 'amdvi_ir_remap_msi (addr 0xfee00000, data 0x1)' -- "$RUN_DIR/qemu.log")
        [[ $sent == 5 ]] ||
            echo "NOTE $TEST_NAME: QEMU's e1000e sent $sent MSI-X messages through IRTE 1, not 5: guest counts of entry 1 above 3 (0x52) and 2 (0x53) may be the device's, not Keel's"
    else
        grep -q 'vtd_ir_remap_msi (addr 0xfee000[0-9a-f]*, data 0x0) -> (addr 0xfee[0-9a-f]*, data 0x[0-9a-f]*d[1-9a-f])' -- "$RUN_DIR/qemu.log" ||
            fail "QEMU's VT-d model did not remap an MSI-X message through another IRTE"
    fi
    expect_match '^vm0\| 7 passed, 0 failed'
    forbid_match '^vm0\| FAIL - '
    expect_match "${KEEL}vm0 \(vm0\): 00:05\.0 stopped: bus mastering off, no FLR \(not offered\), IOMMU entry blocks its DMA"
    forbid_match 'did not complete|refused by the encoder|stays 0 after'
    expect_end 0
    ;;
stop)
    expect_started
    expect_match "${KEEL}$fault"
    expect_match "${KEEL}vm0 \(vm0\) stopped: DMA fault by 00:05\.0 \(on_dma_fault = stop\)"
    forbid_match '^vm0\| [0-9]+ passed'
    expect_end 112
    ;;
bridge)
    expect_started
    expect_match "${KEEL}iommu: DMAR: bridge 00:07\.0 covers buses 01\.\.01"
    expect_match "${KEEL}vm0 \(vm0\): PCI function 01:00\.0 \[1234:11e8\] assigned as 00:01\.0 on its bus; IOMMU unit 0 \(VT-d\), domain 1, "
    expect_match "${KEEL}vm0 \(vm0\): 01:00\.0 MSI \(guest address 0xfee[0-9a-f]*, data 0x41\): remapped"
    expect_match "${KEEL}vm0 \(vm0\): DMA fault: DMA blocked \([^)]*\): device 01:00\.0, address 0x8000000, write"
    expect_match '^vm0\| 7 passed, 0 failed'
    expect_end 0
    ;;
vm1)
    expect_started
    expect_match "${KEEL}vm1 \(vm1\): PCI function $bdf; IOMMU unit 0 \(AMD-Vi\), domain 2, "
    expect_match '^vm1\| edu at 00:01\.0'
    expect_match '^vm1\| 7 passed, 0 failed'
    expect_match '^vm0\| [0-9]+ passed, 0 failed'
    expect_match "${KEEL}vm1 \(vm1\): 00:05\.0 stopped: bus mastering off"
    forbid_match "${KEEL}vm0 \(vm0\): .*00:05\.0"
    expect_end 0
    ;;
none)
    expect_match "${KEEL}(error: )?vm0 \(vm0\): cannot assign PCI function 00:05\.0: the machine has no IOMMU \(no IVRS or DMAR table\): its DMA could not be confined"
    expect_match "${KEEL}(error: )?vm0 \(vm0\) cannot start"
    expect_status 113
    ;;
missing)
    expect_match "${KEEL}vm0 \(vm0\): PCI function $bdf"
    expect_match "${KEEL}(error: )?vm0 \(vm0\): cannot assign PCI function 00:06\.0: no such function on the host"
    expect_status 113
    ;;
esac
finish
