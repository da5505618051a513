#!/usr/bin/env bash
# boot.pxe: Keel PXE-booted by OVMF from QEMU's user-mode network (TFTP):
# 1. `tools/keel run --pxe`: the boot file is EFI/BOOT/BOOTX64.EFI, so Keel
#    must read EFI/BOOT/keel.cfg and the basic guest from the boot file's
#    directory on the TFTP server; the guest's checks pass;
# 2. a keel.cfg naming a guest the server does not have: refused with the
#    same message as on a disk, and the run ends at once (status 125);
# 3. a tree made by `tools/keel pxe DIR` (keel.efi at the top) boots.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_guest basic

keel_run --pxe --guest basic --cpus 2
expect_started
expect_match '^BdsDxe: starting Boot[0-9A-F]+ "UEFI PXEv4'
expect_match "${KEEL}reading keel.cfg and the guests from tftp://10\\.0\\.2\\.2/EFI/BOOT/"
expect_match '^vm0\| [1-9][0-9]* passed, 0 failed'
expect_end 0

write_cfg <<'EOF'
guest = not-on-the-server.elf
cpus = 1
EOF
keel_run --pxe --cfg "$CFG"
expect_cfg_error 'guest = not-on-the-server.elf' "guest image 'not-on-the-server.elf' not found"

tree=$TEST_DIR/tree
"$KEEL_ROOT/tools/keel" pxe "$tree" --no-build --guest basic --cpus 2 --set debug_exit=0xf4 \
    >"$TEST_DIR/pxe.out" 2>&1 || fail "tools/keel pxe failed: $(tail -n 3 "$TEST_DIR/pxe.out")"
for f in keel.efi keel.cfg basic.elf; do
    [[ -f $tree/$f ]] || fail "tools/keel pxe: no $f in the tree"
done
keel_run --pxe-tree "$tree" --cpus 2
expect_match "${KEEL}reading keel.cfg and the guests from tftp://10\\.0\\.2\\.2/\$"
expect_match '^vm0\| [1-9][0-9]* passed, 0 failed'
expect_end 0
finish
