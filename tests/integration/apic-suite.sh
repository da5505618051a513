#!/usr/bin/env bash
# apic.<mode>-<N>cpu, vmx.apic-*: the in-guest APIC suite (guest/apic) on N
# vCPUs in xAPIC or x2APIC mode, on PLATFORM (default qemu-svm): every test
# passes or skips for a stated reason, none fails.
# The suite raises IRQ lines through the pc-testdev compatible ports.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cpus=${1:?usage: apic-suite.sh CPUS xapic|x2apic [PLATFORM]}
mode=${2:?usage: apic-suite.sh CPUS xapic|x2apic [PLATFORM]}
platform=${3:-qemu-svm}
require_guest apic

args=(--platform "$platform" --guest apic --cpus "$cpus" --set irq_ports=yes)
[[ $mode == x2apic ]] && args+=(--append x2apic)
keel_run "${args[@]}"
expect_started
expect_match '^vm0\| [1-9][0-9]* passed, 0 failed'
expect_match "${KEEL}vm0 \(vm0\) reported [1-9][0-9]* passed, 0 failed"
forbid_match '^vm0\| FAIL - '
forbid_line ' stopped: '
expect_end 0
finish
