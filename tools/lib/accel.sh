# shellcheck shell=bash
# The accelerator of a QEMU run: `--accel auto|kvm|tcg` of `tools/keel run`
# and `tools/keel test`.  Sourced by tools/keel after tools/lib/common.sh.
#
# Keel is a hypervisor: under QEMU it needs the virtual CPU to offer SVM or
# VMX.  TCG emulates SVM (platform qemu-svm, `-cpu EPYC`) but not VMX; with
# KVM the virtual CPU is the host's (`-cpu host`) and offers SVM or VMX only
# when the host's KVM allows nested virtualization.  So:
#   qemu-svm   KVM on an AMD (or Hygon) host whose kvm_amd has nested=1,
#              TCG otherwise (auto) or on request;
#   qemu-vmx   KVM on an Intel host whose kvm_intel has nested=Y, and nothing
#              else (QEMU's TCG has no VMX); the VMX tests use it instead of
#              bochs-vmx when auto finds it, and nested VMX gives Keel what
#              Bochs lacks: posted interrupts, and IPI virtualization where the
#              host CPU has it;
#   bochs-vmx, bochs-svm  full emulators: no accelerator applies.
# auto also requires /dev/kvm to be readable and writable and QEMU to open
# it (a probe with `-machine none`): some sandboxes have a /dev/kvm that
# cannot run firmware, and that shows there.
#
# accel_decide is pure over the facts accel_facts gathers, so that the choice
# is unit-tested (tests/tools/accel.sh) with fake facts; test hooks:
# KEEL_KVM_DEV, KEEL_CPUINFO, KEEL_SYSFS, KEEL_KVM_PROBE (ok|fail: skip QEMU).

readonly KEEL_KVM_TIMEOUT_DIVISOR=4   # KVM boots OVMF and Keel >10x faster than TCG
readonly KEEL_KVM_TIMEOUT_MIN=30      # but no run gets less than this

# Facts, set by accel_facts (or by a test):
#   ACC_VENDOR  amd, intel or other (the host CPU)
#   ACC_KVM     ok, or why KVM cannot be used
#   ACC_NESTED  ok, or why the host's KVM offers no nested SVM/VMX
#   ACC_PROBED  ok or fail when the QEMU probe ran (accel_share_probe)
ACC_VENDOR='' ACC_KVM='' ACC_NESTED='' ACC_PROBED=''

# The host CPU's vendor from cpuinfo: amd, intel or other.
host_vendor() {
    local v
    v=$(awk -F': *' '/^vendor_id/ { print $2; exit }' "${KEEL_CPUINFO:-/proc/cpuinfo}" 2>/dev/null)
    case $v in
        AuthenticAMD|HygonGenuine) echo amd ;;
        GenuineIntel) echo intel ;;
        *) echo other ;;
    esac
}

# ok when the kvm module of VENDOR has nested virtualization on, else why.
kvm_nested() {
    local mod p v
    case $1 in
        amd) mod=kvm_amd ;;
        intel) mod=kvm_intel ;;
        *) echo "the host CPU is neither AMD nor Intel"; return ;;
    esac
    p=${KEEL_SYSFS:-/sys}/module/$mod/parameters/nested
    if [[ ! -r $p ]]; then
        echo "$mod is not loaded ($p not found)"
        return
    fi
    v=$(<"$p")
    case $v in
        1|Y|y) echo ok ;;
        *) echo "$mod has nested=$v (load it with nested=1)" ;;
    esac
}

# ok when QEMU can open KVM, else why.
kvm_probe() {
    case ${KEEL_KVM_PROBE:-} in
        ok) echo ok; return ;;
        fail) echo "QEMU could not start with -accel kvm"; return ;;
    esac
    command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 not found"; return; }
    if echo quit | timeout 20 qemu-system-x86_64 -accel kvm -machine none -nodefaults \
           -display none -monitor stdio >/dev/null 2>&1; then
        echo ok
    else
        echo "QEMU could not start with -accel kvm (a /dev/kvm that cannot run guests)"
    fi
}

# Gathers ACC_VENDOR, ACC_KVM and ACC_NESTED; the QEMU probe runs only when
# the cheap checks pass.
accel_facts() {
    local dev=${KEEL_KVM_DEV:-/dev/kvm}
    ACC_VENDOR=$(host_vendor)
    if [[ ! -e $dev ]]; then
        ACC_KVM="no $dev"
    elif [[ ! -r $dev || ! -w $dev ]]; then
        ACC_KVM="$dev is not readable and writable by this user"
    else
        ACC_KVM=ok
    fi
    ACC_NESTED=$(kvm_nested "$ACC_VENDOR")
    ACC_PROBED=''
    if [[ $ACC_KVM == ok && $ACC_NESTED == ok ]]; then
        ACC_KVM=$(kvm_probe)
        ACC_PROBED=fail
        [[ $ACC_KVM != ok ]] || ACC_PROBED=ok
    fi
}

# Hands the QEMU probe's outcome to the commands this one starts (the runs
# of tools/keel test), through the KEEL_KVM_PROBE hook, so that they do not
# each start QEMU to learn it again.
accel_share_probe() {
    [[ -z $ACC_PROBED ]] || export KEEL_KVM_PROBE=$ACC_PROBED
}

# Why KVM cannot run PLATFORM's guest CPU (qemu-svm: AMD with nested SVM;
# qemu-vmx: Intel with nested VMX), or nothing when it can.
kvm_unusable_for() {
    local want=amd what=SVM
    [[ $1 == qemu-vmx ]] && { want=intel; what=VMX; }
    if [[ $ACC_KVM != ok ]]; then
        echo "$ACC_KVM"
    elif [[ $ACC_VENDOR != "$want" ]]; then
        echo "nested $what needs an ${want^^} host, this one is ${ACC_VENDOR^^}"
    elif [[ $ACC_NESTED != ok ]]; then
        echo "$ACC_NESTED"
    fi
}

# accel_decide PLATFORM REQUEST: prints 'ACCEL REASON' (ACCEL: kvm, tcg or
# none) and returns 0, or prints the reason the request cannot be met and
# returns 1.  Uses the ACC_* facts only.
accel_decide() {
    local platform=$1 req=$2 why
    case $req in
        auto|kvm|tcg) ;;
        *) echo "--accel wants auto, kvm or tcg, not '$req'"; return 1 ;;
    esac
    case $platform in
        bochs-vmx|bochs-svm)
            if [[ $req == kvm ]]; then
                echo "$platform is a full emulator: --accel kvm does not apply (qemu-vmx and qemu-svm run under KVM)"
                return 1
            fi
            echo "none Bochs emulates the whole machine" ;;
        qemu-svm)
            why=$(kvm_unusable_for qemu-svm)
            if [[ $req == tcg ]]; then
                echo "tcg asked for (--accel tcg)"
            elif [[ -z $why ]]; then
                echo "kvm nested SVM under KVM (-cpu host)"
            elif [[ $req == kvm ]]; then
                echo "--accel kvm: $why"; return 1
            else
                echo "tcg $why"
            fi ;;
        qemu-vmx)
            why=$(kvm_unusable_for qemu-vmx)
            if [[ $req == tcg ]]; then
                echo "qemu-vmx needs KVM: QEMU's TCG does not emulate VMX (bochs-vmx does)"; return 1
            elif [[ -n $why ]]; then
                echo "qemu-vmx needs KVM with nested VMX: $why (bochs-vmx runs VMX without KVM)"; return 1
            fi
            echo "kvm nested VMX under KVM (-cpu host)" ;;
        *) echo "unknown platform '$platform'"; return 1 ;;
    esac
}

# The platform of the VMX tests for REQUEST: qemu-vmx where KVM offers
# nested VMX (and REQUEST is not tcg), bochs-vmx otherwise.
accel_vmx_platform() {
    if [[ $1 != tcg ]] && accel_decide qemu-vmx kvm >/dev/null; then
        echo qemu-vmx
    else
        echo bochs-vmx
    fi
}

# accel_timeout SECONDS ACCEL: a time budget written for TCG, scaled to ACCEL.
accel_timeout() {
    local t=$1
    if [[ $2 == kvm ]]; then
        t=$((t / KEEL_KVM_TIMEOUT_DIVISOR))
        ((t >= KEEL_KVM_TIMEOUT_MIN)) || t=$KEEL_KVM_TIMEOUT_MIN
        ((t <= $1)) || t=$1
    fi
    echo "$t"
}

# QEMU's accelerator and CPU options for ACCEL on PLATFORM.
accel_qemu_args() {
    if [[ $2 == kvm ]]; then
        printf '%s\n' -accel kvm -cpu host
    else
        printf '%s\n' -accel tcg -cpu EPYC
    fi
}
