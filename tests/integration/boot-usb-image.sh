#!/usr/bin/env bash
# boot.usb-image: `tools/keel image` makes a GPT disk with a FAT32 ESP
# holding keel.efi, keel.cfg and the basic guest; QEMU boots it as a USB
# stick on an xHCI controller (`tools/keel run --usb-image`), the way a real
# machine boots the stick, and the guest's checks pass.  A missing guest is
# refused by `image` before anything is written.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_guest basic
img=$TEST_DIR/keel.img

"$KEEL_ROOT/tools/keel" image --no-build --out "$TEST_DIR/none.img" --guest "$TEST_DIR/no-such.elf" \
    >"$TEST_DIR/image-bad.out" 2>&1
rc=$?
((rc == 126)) || fail "image with a missing guest: status $rc, expected 126"
grep -q "no-such.elf not found" "$TEST_DIR/image-bad.out" || fail "image with a missing guest: no message naming it"
[[ ! -e $TEST_DIR/none.img ]] || fail "image with a missing guest wrote an image"

"$KEEL_ROOT/tools/keel" image --no-build --out "$img" --guest basic --cpus 2 \
    --set debug_exit=0xf4 >"$TEST_DIR/image.out" 2>&1 || fail "tools/keel image failed: $(tail -n 3 "$TEST_DIR/image.out")"
if [[ -f $img ]]; then
    sfdisk -d -- "$img" 2>/dev/null | grep -qi 'type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B' ||
        fail "the image has no EFI System Partition in a GPT"
    keel_run --usb-image "$img" --cpus 2
    expect_started
    expect_match 'BdsDxe: starting Boot[0-9A-F]+ "UEFI QEMU QEMU USB HARDDRIVE'
    expect_match '^vm0\| [1-9][0-9]* passed, 0 failed'
    expect_end 0
fi
finish
