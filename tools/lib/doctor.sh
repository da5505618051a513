# shellcheck shell=bash
# `tools/keel doctor`: what this machine has for building and running Keel.
# Sourced by tools/keel after deps.sh and accel.sh.  Changes nothing.

# One line per KEEL_DEPS entry: package, dpkg's state, the file, and whether
# it is there.  Sets DOCTOR_BAD to the number of problems.
doctor_packages() {
    local d pkg file rest state have
    local -A states=()
    DOCTOR_BAD=0
    printf '%-16s %-16s %-38s %s\n' PACKAGE STATE FILE ''
    for d in "${KEEL_DEPS[@]}"; do
        read -r pkg file rest <<<"$d"
        [[ -n ${states[$pkg]:-} ]] || states[$pkg]=$(pkg_state "$pkg")
        state=${states[$pkg]}
        have=present
        if [[ ! -e ${KEEL_DEPS_SYSROOT:-}$file ]]; then
            have=MISSING
            DOCTOR_BAD=$((DOCTOR_BAD + 1))
        elif ! pkg_state_ok "$state"; then
            have="present (but the package is $state)"
            DOCTOR_BAD=$((DOCTOR_BAD + 1))
        fi
        printf '%-16s %-16s %-38s %s\n' "$pkg" "$state" "$file" "$have"
    done
}

# PACKAGE VERSION (Debian), or 'not installed'.
doctor_pkg_version() {
    local v=''
    if pkg_state_ok "$(pkg_state "$1")"; then
        v=$(dpkg-query -W -f='${Version}' -- "$1" 2>/dev/null) || v=''
    fi
    if [[ -n $v ]]; then echo "$1 $v (Debian)"; else echo "not installed"; fi
}

# The emulators' and the firmware's versions, as far as they are installed.
doctor_versions() {
    local v
    v=$(qemu-system-x86_64 --version 2>/dev/null | head -n 1) || v=''
    echo "  QEMU:  ${v:-not installed}"
    echo "  Bochs: $(doctor_pkg_version bochs)"
    echo "  OVMF:  $(doctor_pkg_version ovmf)"
}

# What --accel auto picks for each platform, and why.
doctor_accel() {
    local p d
    accel_facts
    echo "  host CPU: $ACC_VENDOR; /dev/kvm: $ACC_KVM; nested: $ACC_NESTED"
    for p in qemu-svm qemu-vmx bochs-vmx bochs-svm; do
        if d=$(accel_decide "$p" auto); then
            printf '  %-10s %s (%s)\n' "$p" "${d%% *}" "${d#* }"
        else
            printf '  %-10s unavailable: %s\n' "$p" "$d"
        fi
    done
    echo "  VMX tests run on: $(accel_vmx_platform auto)"
}

doctor_main() {
    (($# == 0)) || die "tools/keel doctor takes no options"
    echo "Debian packages and the files Keel uses from them:"
    doctor_packages
    echo
    echo "Emulators:"
    doctor_versions
    echo
    echo "Accelerator (--accel auto):"
    doctor_accel
    echo
    if ((DOCTOR_BAD)); then
        echo "doctor: $DOCTOR_BAD problem(s); 'tools/keel deps' installs what is missing"
        return 1
    fi
    echo "doctor: everything Keel needs is here"
}
