#!/usr/bin/env bash
# nmi.<N>cpu, vmx.nmi-*, bsvm.nmi-*: the in-guest NMI suite (guest/nmi,
# docs/nmi.md) on CPUS vCPUs on PLATFORM (default qemu-svm): an NMI latched
# while a handler runs lands right after its IRET, one NMI is latched and
# not more, two quick NMIs are both delivered, none lands in an STI or MOV
# SS shadow.  Every test passes (the two-vCPU ones skip on one vCPU).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cpus=${1:?usage: nmi-suite.sh CPUS [PLATFORM]}
platform=${2:-qemu-svm}
require_guest nmi

# nmi_shadow_flood runs everywhere.  On qemu-svm it used to see an NMI on
# the instruction a shadow covers (issue 15): QEMU 7.2 drops INT_STATE at
# VMRUN, so a second exit before that instruction ran reported no shadow at
# its RIP; Keel now single-steps the covered instruction (docs/nmi.md).
keel_run --platform "$platform" --guest nmi --cpus "$cpus"
expect_started
expect_match '^vm0\| ok - nmi_pending_after_iret'
expect_match '^vm0\| ok - nmi_latch_one'
expect_match '^vm0\| ok - nmi_shadow_self'
expect_match '^vm0\| ok - nmi_guest_steps_iret'
if ((cpus > 1)); then
    expect_match '^vm0\| ok - nmi_remote_while_handling'
    expect_match '^vm0\| ok - nmi_two_quick'
    expect_match '^vm0\| ok - nmi_shadow_flood'
fi
forbid_match '^vm0\| FAIL - '
expect_match '^vm0\| [1-9][0-9]* passed, 0 failed'
expect_match "${KEEL}vm0 \(vm0\) reported [1-9][0-9]* passed, 0 failed"
forbid_line ' stopped: '
expect_end 0
finish
