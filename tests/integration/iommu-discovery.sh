#!/usr/bin/env bash
# iommu.amd-vi, iommu.vt-d, iommu.none, iommu.bad-ivrs: Keel finds the
# platform's IOMMU in the firmware's ACPI tables and brings up its queue
# before any VM starts, without disturbing the guests:
#   amd       QEMU -device amd-iommu (an IVRS): one AMD-Vi unit at 0xfed80000,
#             command buffer and event log up, a COMPLETION_WAIT stored
#   intel     QEMU -device intel-iommu (a DMAR): one VT-d unit at 0xfed90000,
#             invalidation queue up, a wait descriptor's status written
#   none      no IOMMU: one clear line, Keel runs without
#   bad-ivrs  an IVRS (QEMU -acpitable) whose IVHD runs past the table: refused
#             in one line, Keel runs without an IOMMU
#   iommu-discovery.sh amd|intel|none|bad-ivrs
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
mode=${1:?usage: iommu-discovery.sh amd|intel|none|bad-ivrs}
require_keel

# put_le N VALUE: VALUE as N little-endian bytes (octal escapes for printf).
put_le() {
    local n=$1 v=$2 i
    for ((i = 0; i < n; i++)); do
        printf '\\%03o' $(((v >> (8 * i)) & 0xff))
    done
}

# A 72-byte IVRS (#48882 5.2): the header, IVinfo, then an IVHD type 10h
# that claims 64 bytes where 24 remain.  The checksum makes the bytes sum to 0.
make_bad_ivrs() {
    local body sum=0 b
    body="IVRS$(put_le 4 72)\\002\\000KEELTSBADTABLE$(put_le 4 1)KEEL$(put_le 4 1)"
    body+="$(put_le 4 0x3000)$(put_le 8 0)"                                    # 36: IVinfo, reserved
    body+="\\020\\260$(put_le 2 64)$(put_le 2 2)$(put_le 2 0x40)$(put_le 8 0xfed80000)" # 48: IVHD 10h
    body+="$(put_le 2 0)$(put_le 2 0)$(put_le 4 0)"                            # segment, info, features
    # shellcheck disable=SC2059 # the format is the table, octal escapes and all
    printf "$body" >"$TEST_DIR/ivrs.bin"
    while read -r b; do sum=$((sum + b)); done < <(od -An -v -tu1 -w1 "$TEST_DIR/ivrs.bin")
    # shellcheck disable=SC2059 # one octal escape
    printf "\\$(printf '%03o' $(((256 - sum % 256) % 256)))" |
        dd of="$TEST_DIR/ivrs.bin" bs=1 seek=9 conv=notrunc status=none
}

args=(--guest builtin --cpus 1)
case $mode in
amd) args+=(--qemu-arg -device --qemu-arg 'amd-iommu,intremap=on') ;;
intel) args+=(--qemu-arg -device --qemu-arg 'intel-iommu,intremap=on') ;;
none) ;;
bad-ivrs)
    make_bad_ivrs
    [[ $(stat -c %s "$TEST_DIR/ivrs.bin") == 72 ]] || fail "test bug: the IVRS is not 72 bytes"
    args+=(--qemu-arg -acpitable --qemu-arg "file=$TEST_DIR/ivrs.bin")
    ;;
*) fail "unknown mode $mode" ;;
esac
keel_run "${args[@]}"
expect_started
case $mode in
amd)
    expect_line 'keel: iommu: IVRS: 1 unit, '
    expect_match '^keel: iommu: unit 0: AMD-Vi at 0xfed80000, segment 0 00:[0-9a-f]{2}\.[0-7], [1-9][0-9]* scopes?, features: IR( [A-Za-z0-9-]+)*$'
    expect_match '^keel: iommu: unit 0: AMD-Vi command buffer and event log up, COMPLETION_WAIT stored in [0-9]+ us, 0 events'
    ;;
intel)
    expect_line 'keel: iommu: DMAR: 1 unit, '
    expect_match '^keel: iommu: unit 0: VT-d at 0xfed90000, segment 0, [1-9][0-9]* scopes?, features: IR( [A-Za-z0-9-]+)*$'
    expect_match '^keel: iommu: unit 0: VT-d [0-9]+\.[0-9]+ invalidation queue up, wait descriptor done in [0-9]+ us; IR yes, EIM (yes|no), posting (yes|no), 0 faults recorded$'
    ;;
none)
    expect_line 'keel: iommu: none (no IVRS or DMAR table): Keel runs without an IOMMU'
    forbid_line 'keel: iommu: unit'
    ;;
bad-ivrs)
    expect_line 'keel: iommu: IVRS refused: IVRS: block at offset 0x30 has length 64, past the table'"'"'s 72: Keel runs without an IOMMU'
    forbid_line 'keel: iommu: unit'
    ;;
esac
forbid_line 'no queue'
forbid_match 'iommu: .*(DMA blocked|interrupt blocked|bad device entry|command refused|hardware error)'
expect_line 'keel: vm0 (vm0) exited with status 0'
expect_end 0
finish
