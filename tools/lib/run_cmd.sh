# shellcheck shell=bash
# The `tools/keel run` command, step by step: options, checks, packages and
# build, the accelerator, the run directory and ESP, keel.cfg, the emulator
# command, then the run and its status.  Sourced by tools/keel after run.sh
# (the helpers) and bochs.sh.  The steps share the R_* variables below; the
# command always ends with exit, so they never outlive it.

readonly KEEL_RUN_TIMEOUT=300       # default --timeout under TCG (scaled for KVM)
readonly KEEL_PLATFORMS=(qemu-svm bochs-vmx qemu-vmx bochs-svm)
readonly KEEL_LINUX_MEM=256M            # the Linux guest's memory without --mem
readonly KEEL_LINUX_CMDLINE=console=ttyS0

# Options, as given (run_parse) and checked (run_check_platform,
# run_check_values, run_check_boot_source).
run_defaults() {
    R_CPUS=4 R_MEM='' R_GUEST='' R_APPEND='' R_HAVE_APPEND=0 R_PLATFORM=qemu-svm
    R_TIMEOUT='' R_ACCEL_REQ=${KEEL_ACCEL:-auto} R_ACCEL='' R_PLATFORM_CFG='' R_CFG='' R_ICOUNT=0 R_LOG=''
    R_MACHINE_MEM='' R_DRY=0 R_BUILD=1 R_RUN_DIR='' R_STALL=0 R_BOCHS_MODEL=''
    R_MODULES=() R_SETS=() R_FILES=() R_QEMU_EXTRA=() R_BOCHS_LINES=()
    R_PROBLEMS=0 R_WRITE_CPUS=1 R_USB_IMAGE='' R_PXE=0 R_PXE_TREE=''
    R_GUEST_SRC='' R_GUEST_CFG=builtin R_MODULE_SRCS=() R_MODULE_LINES=() R_LINUX=0
}

# run_set_option OPTION VALUE: one option that takes a value.
run_set_option() {
    case $1 in
        --cpus) R_CPUS=$2 ;;
        --mem) R_MEM=$2 ;;
        --guest) R_GUEST=$2 ;;
        --append) R_APPEND=$2; R_HAVE_APPEND=1 ;;
        --module) R_MODULES+=("$2") ;;
        --platform) R_PLATFORM=$2 ;;
        --timeout) R_TIMEOUT=$2 ;;
        --set) R_SETS+=("$2") ;;
        --cfg) R_CFG=$2 ;;
        --file) R_FILES+=("$2") ;;
        --log) R_LOG=$2 ;;
        --qemu-arg) R_QEMU_EXTRA+=("$2") ;;
        --machine-mem) R_MACHINE_MEM=$2 ;;
        --run-dir) R_RUN_DIR=$2 ;;
        --bochs-model) R_BOCHS_MODEL=$2 ;;
        --bochsrc-line) R_BOCHS_LINES+=("$2") ;;
        --accel) R_ACCEL_REQ=$2 ;;
        --stall) R_STALL=$2 ;;
        --usb-image) R_USB_IMAGE=$2 ;;
        --pxe-tree) R_PXE_TREE=$2; R_PXE=1 ;;
        *) return 1 ;;
    esac
}

run_parse() {
    local opt
    while (($#)); do
        if [[ $1 == --*=* ]]; then
            set -- "${1%%=*}" "${1#*=}" "${@:2}"
        fi
        opt=$1
        case $opt in
            --dry-run) R_DRY=1; shift; continue ;;
            --icount) R_ICOUNT=1; shift; continue ;;
            --no-build) R_BUILD=0; shift; continue ;;
            --pxe) R_PXE=1; shift; continue ;;
            -h|--help) usage; exit 0 ;;
        esac
        if (($# < 2)); then
            run_set_option "$opt" '' || run_usage_error "unknown option '$opt'"
            run_usage_error "$opt needs a value"
        fi
        run_set_option "$opt" "$2" || run_usage_error "unknown option '$opt'"
        shift 2
    done
}

# The options that depend on the platform.
run_check_platform() {
    case $R_PLATFORM in
        qemu-svm|qemu-vmx)
            [[ -z $R_BOCHS_MODEL && ${#R_BOCHS_LINES[@]} == 0 ]] ||
                run_usage_error "--bochs-model and --bochsrc-line are for the Bochs platforms"
            ;;
        bochs-vmx|bochs-svm)
            ((!R_ICOUNT)) || run_usage_error "--icount is for QEMU (Bochs always counts instructions: see --help)"
            ((${#R_QEMU_EXTRA[@]} == 0)) || run_usage_error "--qemu-arg is for QEMU; use --bochsrc-line"
            R_BOCHS_MODEL=${R_BOCHS_MODEL:-$(bochs_models "$R_PLATFORM" | head -n 1)}
            bochs_model_ok "$R_BOCHS_MODEL" "$R_PLATFORM" ||
                run_usage_error "--bochs-model wants one of $(bochs_models "$R_PLATFORM" | tr '\n' ' ')for $R_PLATFORM, not '$R_BOCHS_MODEL'"
            ;;
        *) run_usage_error "unknown platform '$R_PLATFORM' (platforms: ${KEEL_PLATFORMS[*]})" ;;
    esac
    # The keel.cfg line that lets Keel end the emulator with its status.
    R_EXIT_LINE='debug_exit = 0xf4'
    [[ $R_PLATFORM == bochs-* ]] && R_EXIT_LINE='bochs_exit = yes'
    return 0
}

# Numbers, sizes and files of the options.
run_check_values() {
    local s
    if [[ ! $R_CPUS =~ ^[0-9]+$ ]] || ((10#$R_CPUS < 1 || 10#$R_CPUS > 64)); then
        run_usage_error "--cpus wants a number from 1 to 64, not '$R_CPUS'"
    fi
    R_CPUS=$((10#$R_CPUS))
    [[ $R_STALL =~ ^[0-9]+$ ]] || run_usage_error "--stall wants a number of seconds (0 = off), not '$R_STALL'"
    R_STALL=$((10#$R_STALL))
    if [[ -n $R_TIMEOUT && ! $R_TIMEOUT =~ ^[0-9]+$ ]]; then
        run_usage_error "--timeout wants a number of seconds (0 = none), not '$R_TIMEOUT'"
    fi
    if [[ -n $R_MEM ]]; then
        size_to_mib "$R_MEM" >/dev/null || run_usage_error "--mem wants a size such as 64M or 1G, not '$R_MEM'"
    fi
    if [[ -n $R_MACHINE_MEM ]]; then
        size_to_mib "$R_MACHINE_MEM" >/dev/null ||
            run_usage_error "--machine-mem wants a size such as 2G, not '$R_MACHINE_MEM'"
    fi
    for s in "${R_SETS[@]}"; do
        [[ $s == *=* && -n ${s%%=*} ]] || run_usage_error "--set wants key=value, not '$s'"
    done
    if [[ -n $R_CFG && ! -f $R_CFG ]]; then
        run_usage_error "--cfg file '$R_CFG' not found"
    fi
}

# --pxe, and --usb-image or --pxe-tree: the image or tree holds keel.efi,
# keel.cfg and the guests, so the options that would make them are refused.
run_check_boot_source() {
    if ((R_PXE)); then
        [[ $R_PLATFORM == qemu-* ]] || run_usage_error "--pxe is for the QEMU platforms"
        [[ -z $R_USB_IMAGE ]] || run_usage_error "--pxe and --usb-image exclude each other"
    fi
    local what=${R_USB_IMAGE:+--usb-image}
    [[ -z $R_PXE_TREE ]] || what=--pxe-tree
    [[ -n $what ]] || return 0
    [[ $R_PLATFORM == qemu-* ]] || run_usage_error "$what is for the QEMU platforms"
    [[ -z $R_USB_IMAGE || -f $R_USB_IMAGE ]] || run_usage_error "--usb-image file '$R_USB_IMAGE' not found"
    [[ -z $R_PXE_TREE || -f $R_PXE_TREE/keel.efi ]] ||
        run_usage_error "--pxe-tree '$R_PXE_TREE' has no keel.efi (make it with tools/keel pxe)"
    if [[ -n $R_GUEST$R_CFG$R_MEM ]] || ((R_HAVE_APPEND || ${#R_MODULES[@]} || ${#R_SETS[@]} || ${#R_FILES[@]})); then
        local cmd=image
        [[ $what == --usb-image ]] || cmd=pxe
        run_usage_error "$what boots what it holds: make it with tools/keel $cmd and its options"
    fi
    [[ -z $R_USB_IMAGE ]] || R_USB_IMAGE=$(cd "$(dirname -- "$R_USB_IMAGE")" && pwd -P)/$(basename -- "$R_USB_IMAGE")
    [[ -z $R_PXE_TREE ]] || R_PXE_TREE=$(cd "$R_PXE_TREE" && pwd -P)
}

# The accelerator (after the packages: the KVM probe needs QEMU) and the
# time budget: TCG's by default, scaled to the accelerator; --timeout is exact.
run_choose_accel() {
    run_pick_accel "$R_PLATFORM" "$R_ACCEL_REQ"
    R_ACCEL=$RUN_ACCEL
    if ((R_ICOUNT)) && [[ $R_ACCEL == kvm ]]; then
        run_usage_error "--icount counts instructions under TCG only: add --accel tcg"
    fi
    if [[ -z $R_TIMEOUT ]] && run_interactive; then
        R_TIMEOUT=0 # a person at the guest's shell: no clock runs out on them
    fi
    [[ -n $R_TIMEOUT ]] || R_TIMEOUT=$(accel_timeout "$KEEL_RUN_TIMEOUT" "$R_ACCEL")
    R_TIMEOUT=$((10#$R_TIMEOUT))
    # QEMU's TCG counts the TSC from the host's clock (invariant) but cannot
    # announce invtsc (CPUID 80000007H EDX[8]); keel.cfg says it for it, first,
    # so a --cfg file or --set can say otherwise (docs/config.md invariant_tsc).
    R_PLATFORM_CFG=''
    if [[ $R_PLATFORM == qemu-* && $R_ACCEL == tcg ]]; then R_PLATFORM_CFG='invariant_tsc = on'; fi
}

# True when a person is at the terminal: stdin and stdout are terminals and
# the platform takes input there (QEMU's -serial stdio; Bochs' COM1 is a file).
run_interactive() {
    [[ -t 0 && -t 1 && $R_PLATFORM == qemu-* && -z ${KEEL_TEST_NAME:-} ]]
}

# The Linux guest (--guest linux, and `run` without a guest or --cfg):
# Debian's kernel, the project's initramfs, enough memory for both.
# KEEL_LINUX_KERNEL overrides the kernel (default: the newest
# /boot/vmlinuz-*-cloud-amd64, from linux-image-cloud-amd64).
linux_kernel_path() {
    if [[ -n ${KEEL_LINUX_KERNEL:-} ]]; then
        printf '%s\n' "$KEEL_LINUX_KERNEL"
    else
        find /boot -maxdepth 1 -name 'vmlinuz-*-cloud-amd64' 2>/dev/null | sort -V | tail -n 1
    fi
}

run_linux_guest() {
    local kernel initramfs=$KEEL_BUILD_DIR/guest/initramfs.cpio.gz
    kernel=$(linux_kernel_path)
    R_LINUX=1 R_GUEST_SRC=$kernel R_GUEST_CFG=$(basename -- "${kernel:-vmlinuz}")
    if [[ -z $kernel ]]; then
        note_missing "no Linux kernel: /boot/vmlinuz-*-cloud-amd64 not found (Debian package linux-image-cloud-amd64; tools/keel deps installs it), or use --guest hello"
    elif [[ ! -r $kernel ]]; then
        note_missing "the Linux kernel $kernel is not readable (Debian makes it root's only: run as root), or use --guest hello"
    fi
    if [[ -f $initramfs ]]; then
        R_FILES+=("$initramfs")
    else
        note_missing "$(pretty_path "$initramfs") not found (the build makes it from Debian's busybox-static)"
    fi
}

# A missing input: an error (counted in R_PROBLEMS), a warning in a dry run.
note_missing() {
    if ((R_DRY)); then warn "$*"; else say "error: $*"; fi
    R_PROBLEMS=$((R_PROBLEMS + 1))
}

# keel.efi and what the platform's emulator needs.
run_check_machine() {
    R_EFI=$KEEL_BUILD_DIR/boot/keel.efi
    [[ -n $R_USB_IMAGE$R_PXE_TREE || -f $R_EFI ]] || note_missing "$(pretty_path "$R_EFI") not found (is the build done?)"
    if [[ $R_PLATFORM == qemu-* ]]; then
        [[ -f $KEEL_OVMF_CODE ]] || note_missing "$KEEL_OVMF_CODE not found (Debian package ovmf)"
        [[ -f $KEEL_OVMF_VARS ]] || note_missing "$KEEL_OVMF_VARS not found (Debian package ovmf)"
        command -v qemu-system-x86_64 >/dev/null ||
            note_missing "qemu-system-x86_64 not found (Debian package qemu-system-x86)"
    else
        local m
        while IFS= read -r m; do
            [[ -z $m ]] || note_missing "missing for $R_PLATFORM: $m"
        done < <(bochs_missing)
    fi
}

# The guest (builtin, a NAME from build/guest/NAME.elf, or a PATH with a /),
# the modules and the --file copies: R_GUEST_SRC, R_GUEST_CFG,
# R_MODULE_SRCS, R_MODULE_LINES.
run_check_images() {
    local m mpath margs f
    R_GUEST_SRC='' R_GUEST_CFG=builtin R_MODULE_SRCS=() R_MODULE_LINES=() R_LINUX=0
    if [[ $R_GUEST == linux ]]; then
        run_linux_guest
    elif [[ -n $R_GUEST && $R_GUEST != builtin ]]; then
        R_GUEST_SRC=$R_GUEST
        [[ $R_GUEST == */* ]] || R_GUEST_SRC=$KEEL_BUILD_DIR/guest/$R_GUEST.elf
        R_GUEST_CFG=$(basename -- "$R_GUEST_SRC")
        [[ -f $R_GUEST_SRC ]] || note_missing "guest image $(pretty_path "$R_GUEST_SRC") not found"
    fi
    for m in "${R_MODULES[@]}"; do
        mpath=${m%% *}
        margs=''
        [[ $m == *' '* ]] && margs=${m#* }
        [[ -f $mpath ]] || note_missing "module $mpath not found"
        R_MODULE_SRCS+=("$mpath")
        R_MODULE_LINES+=("module = $(basename -- "$mpath")${margs:+ $margs}")
    done
    for f in "${R_FILES[@]}"; do
        [[ -f $f ]] || note_missing "--file $f not found"
    done
}

# The run directory (R_DIR) and the ESP in it (R_ESP, R_BOOT = EFI/BOOT).
run_make_esp() {
    local f
    if [[ -n $R_RUN_DIR ]]; then
        prepare_run_dir "$R_RUN_DIR"
        R_DIR=$(cd "$R_RUN_DIR" && pwd -P)
    else
        mkdir -p "$KEEL_BUILD_DIR/runs" || die "cannot create $KEEL_BUILD_DIR/runs"
        prune_runs
        R_DIR=$(mktemp -d "$KEEL_BUILD_DIR/runs/run.XXXXXX") || die "mktemp failed"
        : >"$R_DIR/.keel-run"
    fi
    R_ESP=$R_DIR/esp R_BOOT=$R_DIR/esp/EFI/BOOT
    mkdir -p "$R_BOOT"
    if [[ -f $R_EFI ]]; then
        cp -- "$R_EFI" "$R_BOOT/BOOTX64.EFI"
    fi
    for f in ${R_GUEST_SRC:+"$R_GUEST_SRC"} "${R_MODULE_SRCS[@]}" "${R_FILES[@]}"; do
        if [[ -f $f ]]; then
            esp_add_file "$f" "$R_BOOT"
        fi
    done
    printf '%s\r\n' '@echo -off' \
        'echo "startup.nsh: the UEFI Shell runs, so keel.efi did not take over the machine; powering off"' \
        'reset -s' >"$R_ESP/startup.nsh"
}

# The run directory of a --usb-image run: the image's keel.cfg is copied out
# (mtools) for machine_memory_for_cfg and for the record.
run_usb_image_dir() {
    R_EFI='' R_GUEST_CFG="from $(basename -- "$R_USB_IMAGE")"
    run_make_esp
    MTOOLS_SKIP_CHECK=1 mcopy -n -i "$R_USB_IMAGE@@1048576" ::/EFI/BOOT/keel.cfg "$R_BOOT/keel.cfg" 2>/dev/null ||
        warn "could not read EFI/BOOT/keel.cfg from $R_USB_IMAGE (not an image of tools/keel image?)"
    [[ -f $R_BOOT/keel.cfg ]] || : >"$R_BOOT/keel.cfg"
}

# keel.cfg on stdout: later lines override earlier ones, so --set lines
# come last.
run_cfg_text() {
    local m s
    if [[ -n $R_CFG ]]; then
        [[ -z $R_EXIT_LINE ]] || echo "$R_EXIT_LINE"
        [[ -z $R_PLATFORM_CFG ]] || echo "$R_PLATFORM_CFG"
        cat -- "$R_CFG"
        if [[ -n $(tail -c 1 -- "$R_CFG") ]]; then echo; fi
        if [[ -n $R_GUEST ]]; then echo "guest = $R_GUEST_CFG"; fi
        if ((R_LINUX)); then echo "initrd = initramfs.cpio.gz"; fi
    else
        # No serial_port: COM1 is the default, and without it a machine's
        # ACPI SPCR may name the console (tools/keel image and pxe).
        echo 'log_level = info'
        [[ -z $R_EXIT_LINE ]] || echo "$R_EXIT_LINE"
        [[ -z $R_PLATFORM_CFG ]] || echo "$R_PLATFORM_CFG"
        echo "guest = $R_GUEST_CFG"
        # the bench's IN/OUT rows time Keel's emulated PM timer port
        # (docs/exit-path.md), not the host's (keel.cfg pm_timer)
        if [[ $R_GUEST == bench ]]; then echo 'pm_timer = emulated'; fi
        if ((R_LINUX)); then
            echo "initrd = initramfs.cpio.gz"
            echo "memory = $KEEL_LINUX_MEM"
            echo "cmdline = $KEEL_LINUX_CMDLINE"
        fi
    fi
    if ((R_HAVE_APPEND)); then echo "cmdline = $R_APPEND"; fi
    for m in "${R_MODULE_LINES[@]}"; do echo "$m"; done
    if [[ -z $R_CFG ]] && ((R_WRITE_CPUS)); then echo "cpus = $R_CPUS"; fi
    if [[ -n $R_MEM ]]; then echo "memory = $R_MEM"; fi
    for s in "${R_SETS[@]}"; do
        echo "${s%%=*} = ${s#*=}"
    done
}

# The emulator's command line (R_EMU), saved as qemu.cmd or bochs.cmd.
run_emulator_cmd() {
    local -a accel_args boot_disk
    if [[ $R_PLATFORM == qemu-* ]]; then
        # The ESP directory as a virtio disk, or the --usb-image as a USB
        # stick on an xHCI controller (as a real machine boots it).
        boot_disk=(-drive "file=fat:${R_ESP//,/,,},format=raw,if=virtio,readonly=on")
        # shellcheck disable=SC2054 # QEMU's option values have commas
        [[ -z $R_USB_IMAGE ]] ||
            boot_disk=(-drive "if=none,id=stick,format=raw,readonly=on,file=${R_USB_IMAGE//,/,,}"
                       -device qemu-xhci,id=xhci -device usb-storage,bus=xhci.0,drive=stick)
        ((R_PXE == 0)) || run_pxe_args
        cp -- "$KEEL_OVMF_VARS" "$R_DIR/OVMF_VARS.fd" 2>/dev/null || true
        mapfile -t accel_args < <(accel_qemu_args "$R_PLATFORM" "$R_ACCEL")
        # QEMU's -drive takes a comma-separated list: double commas in paths.
        R_EMU=(qemu-system-x86_64 -name keel -machine q35 "${accel_args[@]}"
            -smp "$R_CPUS" -m "$R_MACHINE_MEM" -nodefaults -display none -no-reboot
            -drive "if=pflash,format=raw,unit=0,readonly=on,file=${KEEL_OVMF_CODE//,/,,}"
            -drive "if=pflash,format=raw,unit=1,file=${R_DIR//,/,,}/OVMF_VARS.fd"
            "${boot_disk[@]}"
            -serial stdio -device "isa-debug-exit,iobase=0xf4,iosize=4"
            -d cpu_reset -D "$R_DIR/qemu.log")
        ((R_PXE)) || R_EMU+=(-net none)
        if ((R_ICOUNT)); then
            R_EMU+=(-icount "shift=0,sleep=off")
        fi
        R_EMU+=("${R_QEMU_EXTRA[@]}")
        quote_cmd "${R_EMU[@]}" >"$R_DIR/qemu.cmd"
    else
        [[ $R_DIR != *[\",]* ]] || die "the run directory $R_DIR has a double quote or a comma: a bochsrc cannot name it"
        bochs_prepare "$R_DIR" "$R_CPUS" "$(size_to_mib "$R_MACHINE_MEM")" "$R_BOCHS_MODEL" "${R_BOCHS_LINES[@]}"
        R_ISOLATION=$(bochs_isolation)
        # shellcheck disable=SC2206 # the prefix is words: unshare and its options
        R_EMU=($R_ISOLATION "$(bochs_binary || echo bochs-bin)" -q -f "$R_DIR/bochsrc" -rc "$R_DIR/bochs.rc")
        quote_cmd "${R_EMU[@]}" >"$R_DIR/bochs.cmd"
    fi
}

# --pxe: the ESP tree is the TFTP root of QEMU's user-mode network (isolated:
# restrict=on), whose DHCP server names EFI/BOOT/BOOTX64.EFI as the boot
# file; OVMF boots it through the virtio-net option ROM (ipxe-qemu) and its
# PXE base code, and Keel reads EFI/BOOT/keel.cfg and the guests over TFTP.
# A disk with only startup.nsh is attached too: not bootable, but the UEFI
# Shell finds it and powers off when keel.efi returns to the firmware.
# With --pxe-tree DIR, DIR is the TFTP root and keel.efi the boot file.
run_pxe_args() {
    local shell=$R_DIR/shell root=$R_ESP file=EFI/BOOT/BOOTX64.EFI
    [[ -z $R_PXE_TREE ]] || { root=$R_PXE_TREE; file=keel.efi; }
    mkdir -p -- "$shell"
    mv -- "$R_ESP/startup.nsh" "$shell/startup.nsh"
    # shellcheck disable=SC2054 # QEMU's option values have commas
    boot_disk=(-netdev "user,id=net0,restrict=on,ipv6=off,tftp=${root//,/,,},bootfile=$file"
               -device virtio-net-pci,netdev=net0,romfile=
               -drive "file=fat:${shell//,/,,},format=raw,if=virtio,readonly=on")
}

# --dry-run: what would run.
run_print_dry() {
    echo "# keel.cfg ($(pretty_path "$R_BOOT/keel.cfg"))"
    cat "$R_BOOT/keel.cfg"
    echo "# ESP ($(pretty_path "$R_ESP"))"
    (cd "$R_ESP" && find . -type f | sort | sed 's|^\./|    |')
    if [[ $R_PLATFORM == qemu-* ]]; then
        echo "# QEMU command (dry run: not started; timeout ${R_TIMEOUT} s)"
        cat "$R_DIR/qemu.cmd"
    else
        echo "# bochsrc ($(pretty_path "$R_DIR/bochsrc"))"
        cat "$R_DIR/bochsrc"
        echo "# Bochs command (dry run: not started; timeout ${R_TIMEOUT} s)"
        cat "$R_DIR/bochs.cmd"
    fi
}

# Runs the emulator; sets R_STATUS, the run's exit status.
run_boot() {
    local input=/dev/null start rc
    start=$SECONDS
    if [[ $R_PLATFORM == bochs-* ]]; then
        [[ -n ${R_ISOLATION:-} ]] ||
            warn "unshare --net is not available: Bochs' VNC server listens on TCP port 5900+ of every interface during the run"
        bochs_run "$R_DIR" "$R_TIMEOUT" "$R_LOG" "$R_STALL" "${R_EMU[@]}"
        bochs_classify "$((SECONDS - start))" "$R_TIMEOUT" "$R_DIR" && R_STATUS=0 || R_STATUS=$?
        return 0
    fi
    if [[ -t 0 ]]; then
        input=/dev/stdin
    fi
    set +e
    if run_interactive; then
        # A person at the guest's shell: the bytes reach the terminal as they
        # come (a prompt has no newline; line editing and colours are escape
        # sequences), and the log is cleaned afterwards.
        run_watched "$R_STALL" "$R_DIR/serial.raw" \
            timeout --foreground -k 10 "$R_TIMEOUT" "${R_EMU[@]}" <"$input" 2>"$R_DIR/qemu.err" |
            tee "$R_DIR/serial.raw" | terminal_view
        rc=${PIPESTATUS[0]}
        clean_serial <"$R_DIR/serial.raw" >"$R_DIR/serial.log"
        [[ -z $R_LOG ]] || cp -- "$R_DIR/serial.log" "$R_LOG"
    else
        run_watched "$R_STALL" "$R_DIR/serial.log" \
            timeout --foreground -k 10 "$R_TIMEOUT" "${R_EMU[@]}" <"$input" 2>"$R_DIR/qemu.err" |
            clean_serial | tee "$R_DIR/serial.log" ${R_LOG:+"$R_LOG"}
        rc=${PIPESTATUS[0]}
    fi
    set -e
    show_qemu_stderr "$R_DIR/qemu.err"
    classify_run "$rc" "$((SECONDS - start))" "$R_TIMEOUT" "$R_DIR" && R_STATUS=0 || R_STATUS=$?
}

# After a refused keel.cfg from --cfg: its line numbers in the user's file.
run_explain_cfg_lines() {
    local n head=1 first=$R_EXIT_LINE
    ((R_STATUS == KEEL_EXIT_FIRMWARE)) && [[ -n $R_CFG ]] || return 0
    if [[ -n $R_PLATFORM_CFG ]]; then head=2 first="$R_EXIT_LINE' and '$R_PLATFORM_CFG"; fi
    while read -r n; do
        if ((n > head)); then
            say "keel.cfg line $n is line $((n - head)) of $R_CFG (the launcher puts '$first' first)"
        fi
    done < <(sed -nE "s/${KEEL_LINE}keel: error: keel\\.cfg:([0-9]+):.*/\\2/p" -- "$R_DIR/serial.log")
}

run_main() {
    run_defaults
    run_parse "$@"
    run_check_platform
    run_check_values
    run_check_boot_source
    # Packages and build first: the files checked below come from the build.
    if ((R_BUILD && !R_DRY)); then
        install_deps
        build_all || die "the build failed"
    fi
    run_choose_accel
    run_check_machine
    # No guest and no keel.cfg: Linux, the main job (docs/linux.md).
    [[ -n $R_GUEST$R_CFG$R_USB_IMAGE$R_PXE_TREE ]] || R_GUEST=linux
    [[ -n $R_USB_IMAGE$R_PXE_TREE ]] || run_check_images
    if ((R_PROBLEMS && !R_DRY)); then
        exit "$KEEL_EXIT_LAUNCHER"
    fi
    if [[ -n $R_USB_IMAGE ]]; then
        run_usb_image_dir
    elif [[ -n $R_PXE_TREE ]]; then
        R_EFI='' R_GUEST_CFG="from $R_PXE_TREE"
        run_make_esp
        cp -- "$R_PXE_TREE/keel.cfg" "$R_BOOT/keel.cfg" 2>/dev/null || : >"$R_BOOT/keel.cfg"
    else
        run_make_esp
        run_cfg_text >"$R_BOOT/keel.cfg"
    fi
    [[ -n $R_MACHINE_MEM ]] || R_MACHINE_MEM=$(machine_memory_for_cfg <"$R_BOOT/keel.cfg")
    run_emulator_cmd
    if ((R_DRY)); then
        run_print_dry
        exit 0
    fi
    local what="guest $R_GUEST_CFG"
    [[ -z $R_CFG ]] || what="keel.cfg from $R_CFG"
    local limit="timeout ${R_TIMEOUT} s"
    ((R_TIMEOUT)) || limit="no timeout"
    say "booting Keel: $R_PLATFORM ($R_ACCEL), $R_CPUS CPU(s), $R_MACHINE_MEM, $what, $limit$( ((R_STALL == 0)) || echo ", stall ${R_STALL} s")"
    if run_interactive; then
        say "the terminal is the serial line: typing goes to vm0's console; Ctrl-A three times switches to Keel's shell (docs/shell.md); Ctrl-C ends the run"
    fi
    say "run directory $(pretty_path "$R_DIR")"
    if [[ -n $R_LOG ]]; then
        mkdir -p -- "$(dirname -- "$R_LOG")" || die "cannot create the directory of --log $R_LOG"
    fi
    run_boot
    run_explain_cfg_lines
    say "status $R_STATUS; serial log $(pretty_path "$R_DIR/serial.log")${R_LOG:+ (and $R_LOG)}"
    exit "$R_STATUS"
}
