# shellcheck shell=bash disable=SC2034 # the R_* variables are read by run_cmd.sh's steps
# Boot media for real machines: `tools/keel image`, a disk image to write to
# a USB stick with dd, and `tools/keel pxe DIR`, a TFTP tree to PXE-boot
# from.  Sourced by tools/keel after run_cmd.sh, whose option parsing and
# ESP layout they share: the stick's EFI/BOOT/ and the TFTP tree hold what a
# run's ESP holds (keel.efi, keel.cfg, the guest images).
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
    printf 'tools/keel %s: %s (see tools/keel --help)\n' "${MEDIA_CMD:-image}" "$*" >&2
    exit "$KEEL_EXIT_LAUNCHER"
}

# media_parse WHAT ARGS...: the options of `image` (WHAT = image, with
# --out) and `pxe` (WHAT = pxe, with its directory as the first argument),
# over run's defaults; keel.cfg gets `cpus` only when --cpus is given.
media_parse() {
    local what=$1 opt
    shift
    MEDIA_CMD=$what
    run_defaults
    R_WRITE_CPUS=0 IMG_OUT=$KEEL_BUILD_DIR/keel.img PXE_DIR=''
    if [[ $what == pxe ]]; then
        if (($# == 0)) || [[ $1 == -* ]]; then
            image_usage_error "wants a directory first: tools/keel pxe DIR [options]"
        fi
        PXE_DIR=$1
        shift
    fi
    while (($#)); do
        if [[ $1 == --*=* ]]; then
            set -- "${1%%=*}" "${1#*=}" "${@:2}"
        fi
        opt=$1
        case $opt in
            -h|--help) usage; exit 0 ;;
            --no-build) R_BUILD=0; shift; continue ;;
            --out) [[ $what == image ]] || image_usage_error "unknown option '$opt'"
                (($# >= 2)) || image_usage_error "$opt needs a value" ;;
            --cpus|--mem|--guest|--append|--module|--set|--cfg|--file)
                (($# >= 2)) || image_usage_error "$opt needs a value" ;;
            *) image_usage_error "unknown option '$opt'" ;;
        esac
        case $opt in
            --out) IMG_OUT=$2 ;;
            --cpus) R_WRITE_CPUS=1; run_set_option "$opt" "$2" ;;
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

# The ESP content of the options (keel.efi, keel.cfg without the emulator's
# exit port, the guests) in a fresh directory: R_DIR, R_ESP, R_BOOT.
media_lay_out() {
    run_check_values
    # No exit port on a real machine: Keel halts (or resets: on_exit) at the end.
    R_EXIT_LINE='' R_PLATFORM=media
    if ((R_BUILD)); then
        install_deps
        build_all || die "the build failed"
    fi
    R_EFI=$KEEL_BUILD_DIR/boot/keel.efi
    [[ -f $R_EFI ]] || note_missing "$(pretty_path "$R_EFI") not found (is the build done?)"
    run_check_images
    ((R_PROBLEMS == 0)) || exit "$KEEL_EXIT_LAUNCHER"
    R_RUN_DIR=$(mktemp -d)
    run_make_esp
    rm -f -- "$R_ESP/startup.nsh"   # the UEFI Shell is not the way a real machine boots
    run_cfg_text >"$R_BOOT/keel.cfg"
}

# Lists DIR's files and keel.cfg on stderr.
media_show() {
    (cd "$1" && find . -type f ! -name .keel-pxe | sort | sed 's|^\./|    |') >&2
    say "keel.cfg:"
    sed 's/^/    /' "$2" >&2
}

image_main() {
    media_parse image "$@"
    media_lay_out
    mkdir -p -- "$(dirname -- "$IMG_OUT")" || die "cannot create the directory of $IMG_OUT"
    image_pack "$R_ESP" "$IMG_OUT"
    say "wrote $(pretty_path "$IMG_OUT") ($(($(stat -c %s -- "$IMG_OUT") / 1048576)) MiB): GPT, FAT32 ESP with"
    media_show "$R_ESP" "$R_BOOT/keel.cfg"
    say "write it to a USB stick (all data on it is lost): dd if=$(pretty_path "$IMG_OUT") of=/dev/sdX bs=4M conv=fsync"
    rm -rf -- "$R_DIR"
}

# tools/keel pxe DIR: DIR gets keel.efi, keel.cfg and the guests, flat.  DIR
# must be new, empty, or an earlier pxe tree (it holds .keel-pxe).
pxe_main() {
    media_parse pxe "$@"
    if [[ -e $PXE_DIR ]]; then
        [[ -d $PXE_DIR ]] || image_usage_error "$PXE_DIR exists and is not a directory"
        [[ -z $(ls -A -- "$PXE_DIR") || -f $PXE_DIR/.keel-pxe ]] ||
            image_usage_error "$PXE_DIR is not empty and is not an earlier tools/keel pxe tree"
    fi
    media_lay_out
    rm -rf -- "$PXE_DIR"
    mkdir -p -- "$PXE_DIR" || die "cannot create $PXE_DIR"
    : >"$PXE_DIR/.keel-pxe"
    cp -- "$R_BOOT/BOOTX64.EFI" "$PXE_DIR/keel.efi"
    find "$R_BOOT" -maxdepth 1 -type f ! -name BOOTX64.EFI -exec cp -- {} "$PXE_DIR/" \;
    rm -rf -- "$R_DIR"
    say "wrote the TFTP tree $(pretty_path "$PXE_DIR"):"
    media_show "$PXE_DIR" "$PXE_DIR/keel.cfg"
    say "serve it by TFTP and have DHCP name keel.efi as the UEFI x86-64 boot file, e.g. dnsmasq:"
    say "    enable-tftp, tftp-root=$(cd "$PXE_DIR" && pwd -P), dhcp-match=set:efi64,option:client-arch,7,"
    say "    dhcp-boot=tag:efi64,keel.efi; Keel reads keel.cfg and the guests from the boot file's directory"
}
