#!/usr/bin/env bash
# vmx.inhibit-*: the inhibit machine's transitions on a CPU with real APIC
# virtualization (APICv under Bochs).  APICv itself needs none of these
# reasons; keel.cfg inhibit_test makes them turn acceleration off as they
# would on AVIC, and the APIC suite (guest/apic) drives them: its 8259
# tests wait for interrupt windows to inject ExtINTs (irq-window), its ID
# tests change APIC IDs and restore them (id-modified, id-aliased), its
# base tests move the xAPIC page (base-moved), in xAPIC or x2APIC mode.
# Every in-guest test must still pass, and the log must show the
# activation going off and on again through the history's lines.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cpus=${1:?usage: inhibit-dynamics.sh CPUS xapic|x2apic}
mode=${2:?usage: inhibit-dynamics.sh CPUS xapic|x2apic}
require_guest apic

reasons="irq-window,id-modified,id-aliased,base-moved"
args=(--platform bochs-vmx --guest apic --cpus "$cpus" --set irq_ports=yes
      --set "inhibit_test=$reasons")
[[ $mode == x2apic ]] && args+=(--append x2apic)
keel_run "${args[@]}"
expect_started
expect_match "${KEEL}vm0: inhibit_test: id-modified,id-aliased,base-moved,irq-window also turn"
expect_match '^vm0\| [1-9][0-9]* passed, 0 failed'
expect_match "${KEEL}vm0 \(vm0\) reported [1-9][0-9]* passed, 0 failed"
forbid_match '^vm0\| FAIL - '
forbid_line ' stopped: '
# The IRQ window toggled the activation both ways, and the vCPUs followed.
expect_match "${KEEL}vm0: inhibit irq-window set \(vCPU [0-9]+\): APIC acceleration off"
expect_match "${KEEL}vm0: inhibit irq-window cleared \(vCPU [0-9]+\): APIC acceleration on"
expect_match "${KEEL}vm0 vCPU 0: APIC emulated \(inhibits: [a-z,-]*irq-window"
expect_match "${KEEL}vm0 vCPU 0: APIC accelerated"
# ID changes set their reasons and restoring the IDs cleared them (xAPIC:
# the x2APIC ID is read-only).
if [[ $mode == xapic ]]; then
    expect_match "${KEEL}vm0: inhibit id-modified set"
    expect_match "${KEEL}vm0: inhibit id-modified(,id-aliased)? cleared"
fi
expect_end 0
finish
