# shellcheck shell=bash disable=SC2034 # the R_* variables are read by run_cmd.sh's steps
# `tools/keel image`: a disk image to write to a USB stick with dd and boot
# a real machine from.  Sourced by tools/keel after run_cmd.sh, whose option
# parsing and ESP layout it shares: the stick's EFI/BOOT/ holds what a run's
# ESP holds (BOOTX64.EFI = keel.efi, keel.cfg, the guest images).
#
# Layout (UEFI 2.x, 5.3 "GUID Partition Table" and 13.3 "File System
# Format"): a protective MBR and a GPT with one partition, the EFI System
# Partition (type C12A7328-F81F-11D2-BA4B-00A0C93EC93B), starting at 1 MiB,
# formatted FAT32; firmware boots removable media through
# \EFI\BOOT\BOOTX64.EFI without any boot entry.  sfdisk writes the GPT (both
# copies, CRCs included), mkfs.fat the file system in place, mtools copies
# the files in without mounting anything (no loop device, no root needed).

readonly KEEL_IMAGE_ALIGN_MIB=1       # the partition starts at 1 MiB
readonly KEEL_IMAGE_MIN_ESP_MIB=64    # FAT32 wants >= 32 MiB; some firmware wants more
readonly KEEL_ESP_TYPE=C12A7328-F81F-11D2-BA4B-00A0C93EC93B

image_usage_error() {
    printf 'tools/keel image: %s (see tools/keel --help)\n' "$*" >&2
    exit "$KEEL_EXIT_LAUNCHER"
}

image_parse() {
    local opt
    IMG_OUT=$KEEL_BUILD_DIR/keel.img
    while (($#)); do
        if [[ $1 == --*=* ]]; then
            set -- "${1%%=*}" "${1#*=}" "${@:2}"
        fi
        opt=$1
        case $opt in
            -h|--help) usage; exit 0 ;;
            --no-build) R_BUILD=0; shift; continue ;;
            --out|--cpus|--mem|--guest|--append|--module|--set|--cfg|--file)
                (($# >= 2)) || image_usage_error "$opt needs a value" ;;
            *) image_usage_error "unknown option '$opt'" ;;
        esac
        case $opt in
            --out) IMG_OUT=$2 ;;
            --cpus) R_CPUS_GIVEN=1; run_set_option "$opt" "$2" ;;
            *) run_set_option "$opt" "$2" ;;
        esac
        shift 2
    done
}

# The ESP's size in MiB: its files, plus room for the FAT and a margin.
image_esp_mib() {
    local kib
    kib=$(du -sk -- "$1" | cut -f1)
    local mib=$(((2 * kib + 1023) / 1024 + 8))
    ((mib >= KEEL_IMAGE_MIN_ESP_MIB)) || mib=$KEEL_IMAGE_MIN_ESP_MIB
    echo "$mib"
}

# image_pack ESP_DIR OUT: writes the disk image OUT from ESP_DIR.
image_pack() {
    local esp=$1 out=$2 mib start size tmp
    mib=$(image_esp_mib "$esp")
    start=$((KEEL_IMAGE_ALIGN_MIB * 2048))            # in 512-byte sectors
    size=$((mib * 2048))
    tmp=$out.tmp
    rm -f -- "$tmp"
    # 1 MiB before the partition, 1 MiB after it for the backup GPT.
    truncate -s "$(((mib + 2 * KEEL_IMAGE_ALIGN_MIB) * 1048576))" -- "$tmp" || die "cannot create $tmp"
    printf 'label: gpt\nstart=%d, size=%d, type=%s, name="Keel ESP"\n' "$start" "$size" "$KEEL_ESP_TYPE" |
        sfdisk --quiet --no-reread --no-tell-kernel -- "$tmp" >/dev/null ||
        die "sfdisk could not write the partition table of $tmp"
    # (It warns that the file is larger than the file system: the backup GPT.)
    mkfs.fat -F 32 -n KEEL -S 512 --offset "$start" -- "$tmp" "$((size / 2))" >"$tmp.log" 2>&1 || {
        cat -- "$tmp.log" >&2
        die "mkfs.fat could not format the ESP of $tmp"
    }
    rm -f -- "$tmp.log"
    # mtools: IMAGE@@OFFSET is the file system at that byte offset.
    (cd "$esp" && MTOOLS_SKIP_CHECK=1 mcopy -s -Q -i "$tmp@@$((start * 512))" -- * ::/) ||
        die "mcopy could not copy the ESP into $tmp"
    mv -f -- "$tmp" "$out" || die "cannot write $out"
}

image_main() {
    run_defaults
    R_CPUS_GIVEN=0
    image_parse "$@"
    run_check_values
    # No exit port on a real machine: Keel halts (or resets: on_exit) at the end.
    R_EXIT_LINE='' R_PLATFORM=image R_WRITE_CPUS=$R_CPUS_GIVEN
    if ((R_BUILD)); then
        install_deps
        build_all || die "the build failed"
    fi
    R_EFI=$KEEL_BUILD_DIR/boot/keel.efi
    [[ -f $R_EFI ]] || note_missing "$(pretty_path "$R_EFI") not found (is the build done?)"
    run_check_images
    ((R_PROBLEMS == 0)) || exit "$KEEL_EXIT_LAUNCHER"
    mkdir -p -- "$(dirname -- "$IMG_OUT")" || die "cannot create the directory of $IMG_OUT"
    R_RUN_DIR=$(mktemp -d)
    run_make_esp
    rm -f -- "$R_ESP/startup.nsh"   # the UEFI Shell is not the way a real machine boots
    run_cfg_text >"$R_BOOT/keel.cfg"
    image_pack "$R_ESP" "$IMG_OUT"
    say "wrote $(pretty_path "$IMG_OUT") ($(($(stat -c %s -- "$IMG_OUT") / 1048576)) MiB): GPT, FAT32 ESP with"
    (cd "$R_ESP" && find . -type f | sort | sed 's|^\./|    |') >&2
    say "keel.cfg on it:"
    sed 's/^/    /' "$R_BOOT/keel.cfg" >&2
    say "write it to a USB stick (all data on it is lost): dd if=$(pretty_path "$IMG_OUT") of=/dev/sdX bs=4M conv=fsync"
    rm -rf -- "$R_DIR"
}
