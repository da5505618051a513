#!/usr/bin/env bash
# boot.basic-1cpu, boot.basic-4cpu, vmx.basic-*, bsvm.basic-*: the basic
# guest runs its in-guest tests on CPUS vCPUs (the argument) on PLATFORM
# (default qemu-svm), reports them all passed and exits with status 0.  A
# third argument is passed to keel.cfg as apic_accel (yes|no).  On bochs-svm
# the CPU has nRIP, and Keel must take its instruction lengths from it.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cpus=${1:?usage: boot-basic.sh CPUS [PLATFORM]}
platform=${2:-qemu-svm}
require_guest basic

accel=${3:-}
args=(--platform "$platform" --guest basic --cpus "$cpus")
[[ -n $accel ]] && args+=(--set "apic_accel=$accel")
keel_run "${args[@]}"
expect_started
if [[ $platform == bochs-svm ]]; then
    expect_match "${KEEL}svm: .*features: .*\\bnrips\\b"
    forbid_line 'svm: no nRIP'
fi
if ((cpus > 1)); then
    expect_line "keel: took $cpus CPUs"
fi
expect_match '^vm0\| '
expect_match '^vm0\| [1-9][0-9]* passed, 0 failed'
expect_match "${KEEL}vm0 \(vm0\) reported [1-9][0-9]* passed, 0 failed"
expect_line 'keel: vm0 (vm0) exited with status 0'
forbid_line ' stopped: '
expect_end 0
finish
