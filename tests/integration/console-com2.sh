#!/usr/bin/env bash
# console.com2-spcr, console.com2-key: Keel's console on COM2 (port 0x2f8)
# instead of COM1, chosen by the firmware's ACPI SPCR table (QEMU
# -acpitable, which OVMF installs) or by keel.cfg `console = com2`.  COM1 is
# the launcher's serial log; COM2 is a file.  Before it takes the machine
# Keel writes through the firmware's console (COM1); after, to COM2 only.
#   console-com2.sh spcr|key
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
how=${1:?usage: console-com2.sh spcr|key}
require_guest basic
com2=$TEST_DIR/com2.log

# put_le N VALUE: VALUE as N little-endian bytes (octal escapes for printf).
put_le() {
    local n=$1 v=$2 i
    for ((i = 0; i < n; i++)); do
        printf '\\%03o' $(((v >> (8 * i)) & 0xff))
    done
}

# An 80-byte SPCR (revision 2): a 16550 (type 0) in system I/O space at
# 0x2f8, 115200 baud (code 7); the checksum makes the bytes sum to 0.
make_spcr() {
    local body sum=0 b
    body="SPCR$(put_le 4 80)\\002\\000KEELTSTESTSPCR$(put_le 4 1)KEEL$(put_le 4 1)"
    body+="\\000\\000\\000\\000"                      # 36: interface type 0, reserved
    body+="\\001\\010\\000\\001$(put_le 8 0x2f8)"     # 40: GAS: I/O, 8 bits, byte access, 0x2f8
    body+="\\000\\003$(put_le 4 0)\\007\\000\\001\\000\\000" # 52: irq type, irq, GSI, baud 7, parity, stop, flow, terminal
    # 63: reserved, PCI device and vendor (none), bus, device, function, flags, segment, reserved
    body+="\\000$(put_le 2 0xffff)$(put_le 2 0xffff)\\000\\000\\000$(put_le 4 0)\\000$(put_le 4 0)"
    # shellcheck disable=SC2059 # the format is the table, octal escapes and all
    printf "$body" >"$TEST_DIR/spcr.bin"
    while read -r b; do sum=$((sum + b)); done < <(od -An -v -tu1 -w1 "$TEST_DIR/spcr.bin")
    # The checksum byte (offset 9) makes the sum 0 mod 256.
    # shellcheck disable=SC2059 # one octal escape
    printf "\\$(printf '%03o' $(((256 - sum % 256) % 256)))" |
        dd of="$TEST_DIR/spcr.bin" bs=1 seek=9 conv=notrunc status=none
}

args=(--guest basic --cpus 2 --qemu-arg -serial --qemu-arg "file:$com2")
if [[ $how == spcr ]]; then
    make_spcr
    [[ $(stat -c %s "$TEST_DIR/spcr.bin") == 80 ]] || fail "test bug: the SPCR is not 80 bytes"
    args+=(--qemu-arg -acpitable --qemu-arg "file=$TEST_DIR/spcr.bin")
else
    args+=(--set console=com2)
fi
keel_run "${args[@]}"
expect_started
[[ $how == spcr ]] && expect_line 'keel: acpi: SPCR: console on the UART at port 0x2f8, 115200 baud'
forbid_match "${KEEL}took the machine"      # not on COM1 any more
LOG=$com2                                     # the checks below read COM2
expect_match "${KEEL}took the machine"
expect_match '^vm0\| [1-9][0-9]* passed, 0 failed'
expect_line 'keel: all VMs ended, status 0'
expect_status 0
finish
