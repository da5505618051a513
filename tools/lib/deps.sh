# shellcheck shell=bash
# Debian packages: which ones Keel needs, which files of theirs the build and
# the emulators really use, and installing what is missing (`tools/keel
# doctor` reads the same table: doctor.sh).  Sourced by tools/keel after
# tools/lib/common.sh, never run.
#
# Why files and not only package states: dpkg can say "installed" while a
# file the build needs is gone (deleted by hand, a broken symlink after a
# partial upgrade), and a package can be known to dpkg yet not installed
# (half-installed, unpacked, removed with its configuration files left).
# The launcher decides from both, and checks the files again after apt-get.
#
# Test hooks (tests/tools/deps.sh): KEEL_DEPS_SYSROOT is put in front of
# every file path; dpkg-query and apt-get are whatever PATH finds.

# One dependency a line: package, a file the project uses from it, and what
# for.  A package may have several lines; every file must exist.
KEEL_DEPS=(
    "cmake           /usr/bin/cmake                        the build system (CMakeLists.txt)"
    "cmake           /usr/bin/ctest                        the test runner (tools/keel test)"
    "make            /usr/bin/make                         CMake's generator"
    "gcc             /usr/bin/gcc                          host unit tests with ASan/UBSan"
    "binutils        /usr/bin/ld                           links keel.efi and the guests"
    "binutils        /usr/bin/objcopy                      turns keel.so into a PE image"
    "clang           /usr/bin/clang                        compiles keel.efi, the guests and newlib"
    "libclang-rt-14-dev /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a  libFuzzer for tests/fuzz"
    "llvm            /usr/bin/llvm-ar                      archives newlib and the guest runtime"
    "llvm            /usr/bin/llvm-ranlib                  indexes newlib's archives"
    "xz-utils        /usr/bin/xz                           unpacks the newlib tarball"
    "gnu-efi         /usr/lib/crt0-efi-x86_64.o            keel.efi's start-up code"
    "gnu-efi         /usr/lib/elf_x86_64_efi.lds           keel.efi's linker script"
    "gnu-efi         /usr/include/efi/efi.h                UEFI headers"
    "gnu-efi         /usr/lib/libefi.a                     UEFI library"
    "newlib-source   /usr/src/newlib/newlib-3.3.0.tar.xz   the C library, built once per build dir"
    "qemu-system-x86 /usr/bin/qemu-system-x86_64           platforms qemu-svm and qemu-vmx"
    "ovmf            /usr/share/OVMF/OVMF_CODE_4M.fd       UEFI firmware for QEMU"
    "ovmf            /usr/share/OVMF/OVMF_VARS_4M.fd       UEFI variable store for QEMU"
    "ovmf            /usr/share/OVMF/OVMF_CODE.fd          UEFI firmware for Bochs (2 MiB)"
    "ovmf            /usr/share/OVMF/OVMF_VARS.fd          UEFI variable store for Bochs"
    "bochs           /usr/bin/bochs-bin                    platform bochs-vmx"
    "bochsbios       /usr/share/bochs/BIOS-bochs-latest    Bochs' own BIOS (Keel's runs map OVMF)"
    "vgabios         /usr/share/vgabios/vgabios.bin        Bochs' VGA BIOS"
    "shellcheck      /usr/bin/shellcheck                   lint of tools/ and tests/ (lint.shellcheck)"
    "fdisk           /usr/sbin/sfdisk                      the GPT of tools/keel image"
    "dosfstools      /usr/sbin/mkfs.fat                    the FAT32 ESP of tools/keel image"
    "mtools          /usr/bin/mcopy                        copies files into the image (no mount)"
    "busybox-static  /bin/busybox                          the Linux guest's initramfs (guest/linux)"
    "gzip            /bin/gzip                             compresses the Linux guest's initramfs"
    "libzydis-dev    /usr/include/Zydis/Zydis.h            reference disassembler: the decoder's length cross-check (unit.test_decode_xcheck, fuzz.x86_decode)"
    "libzydis-dev    /usr/lib/x86_64-linux-gnu/libZydis.so the same, the library linked"
    "linux-image-cloud-amd64 /usr/share/bug/linux-image-cloud-amd64/presubj  pulls in the Linux guest's kernel, /boot/vmlinuz-*-cloud-amd64 (a versioned name: found by glob)"
)

# The packages of KEEL_DEPS, once each, in table order.
deps_packages() {
    local d
    for d in "${KEEL_DEPS[@]}"; do
        printf '%s\n' "${d%% *}"
    done | awk '!seen[$0]++'
}

# dpkg's state of one package: installed, not-installed (also for a name
# dpkg has never heard of), config-files (removed, configuration kept),
# half-installed, unpacked, half-configured, triggers-awaited,
# triggers-pending.  One query per package: dpkg-query exits 1 as soon as one
# name of a list is unknown, and must never take the launcher down with it.
pkg_state() {
    local s
    s=$(dpkg-query -W -f='${db:Status-Status}' -- "$1" 2>/dev/null) || s=''
    printf '%s\n' "${s:-not-installed}"
}

# True when a package in state STATE has its files in place: dpkg has
# unpacked and configured it (pending triggers do not take files away).
pkg_state_ok() {
    case $1 in
        installed|triggers-pending|triggers-awaited) return 0 ;;
        *) return 1 ;;
    esac
}

# Prints the files of KEEL_DEPS that are not there, as 'PACKAGE FILE'.
deps_missing_files() {
    local d pkg rest file
    for d in "${KEEL_DEPS[@]}"; do
        read -r pkg file rest <<<"$d"
        [[ -e ${KEEL_DEPS_SYSROOT:-}$file ]] || printf '%s %s\n' "$pkg" "$file"
    done
}

# The install plan, one 'ACTION PACKAGE WHY' line for each package that needs
# apt-get: install (dpkg has it in no usable state) or reinstall (dpkg calls
# it installed, or half-done, but a file of it is missing, or its state is
# half-installed/unpacked/half-configured and apt-get install alone would not
# touch it).  Nothing is printed when everything is in place.
deps_plan() {
    local pkg state file
    local -A nofile=()
    while read -r pkg file; do
        [[ -n $pkg ]] && nofile[$pkg]=${nofile[$pkg]:-$file}
    done < <(deps_missing_files)
    while read -r pkg; do
        state=$(pkg_state "$pkg")
        case $state in
            not-installed|config-files)
                printf 'install %s %s\n' "$pkg" "$state" ;;
            half-installed|unpacked|half-configured)
                printf 'reinstall %s %s\n' "$pkg" "$state" ;;
            *)  # installed, triggers-*: its files should all be there
                if [[ -n ${nofile[$pkg]:-} ]]; then
                    printf 'reinstall %s %s\n' "$pkg" "$state, ${nofile[$pkg]} missing"
                fi ;;
        esac
    done < <(deps_packages)
}

# Runs apt-get as root (directly, or through sudo: install_deps has made
# sure there is one), non-interactively.
apt_get() {
    local -a sudo=()
    ((EUID == 0)) || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "$@"
}

# Installs what deps_plan asks for, then checks every file of KEEL_DEPS and
# dies naming the package of each file still missing.  KEEL_NO_DEPS=1 skips
# the apt-get part (the files are still checked, with a warning only).
install_deps() {
    if ! command -v dpkg-query >/dev/null; then
        warn "dpkg-query not found: not a Debian system; checking files only"
        deps_check_files warn
        return 0
    fi
    if [[ ${KEEL_NO_DEPS:-0} == 1 ]]; then
        deps_check_files warn
        return 0
    fi
    local -a plan inst=() reinst=()
    local action pkg why line
    mapfile -t plan < <(deps_plan)
    ((${#plan[@]})) || return 0
    for line in "${plan[@]}"; do
        read -r action pkg why <<<"$line"
        say "  $pkg: $why -> apt-get $action"
        if [[ $action == install ]]; then inst+=("$pkg"); else reinst+=("$pkg"); fi
    done
    if ((EUID != 0)) && ! command -v sudo >/dev/null; then
        die "Debian packages to install: ${inst[*]} ${reinst[*]}; run as root or install sudo"
    fi
    say "installing Debian packages: ${inst[*]}${reinst:+ (reinstalling ${reinst[*]})}"
    apt_get update -q || die "apt-get update failed"
    # Without recommends: half the download of a fresh machine (226 MB instead
    # of 460 MB, measured on Debian 12), and nothing Keel uses is only
    # recommended (every file it uses is checked below).
    if ((${#inst[@]})); then
        apt_get install -y -q --no-install-recommends "${inst[@]}" ||
            die "apt-get install failed for: ${inst[*]}"
    fi
    if ((${#reinst[@]})); then
        apt_get install -y -q --no-install-recommends --reinstall "${reinst[@]}" ||
            die "apt-get install --reinstall failed for: ${reinst[*]}"
    fi
    deps_check_files die
}

# Checks every file of KEEL_DEPS; for each missing one names its package and
# dpkg's state of it.  MODE die: exit with an error when one is missing;
# warn: only say so.
deps_check_files() {
    local mode=$1 pkg file n=0
    while read -r pkg file; do
        [[ -n $pkg ]] || continue
        n=$((n + 1))
        if [[ $mode == die ]]; then say "error: $file is missing: Debian package $pkg ($(pkg_state "$pkg"))"
        else warn "$file is missing: Debian package $pkg"; fi
    done < <(deps_missing_files)
    if ((n)) && [[ $mode == die ]]; then
        die "$n file(s) still missing after apt-get; try: apt-get install --reinstall <the packages above>"
    fi
    return 0
}
