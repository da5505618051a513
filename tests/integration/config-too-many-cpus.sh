#!/usr/bin/env bash
# config.too-many-cpus: two VMs that together ask for more CPUs than the
# machine has (4).  No single line is wrong, so Keel may name either 'cpus'
# line or none ('keel.cfg: VMs ask for ...').
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_keel

write_cfg <<'CFG'
vm0.guest = builtin
vm0.cpus = 4
vm1.guest = builtin
vm1.cpus = 2
CFG
keel_run --cfg "$CFG" --cpus 4
n0=$(grep -nxF 'vm0.cpus = 4' "$ESP_CFG" | cut -d: -f1)
n1=$(grep -nxF 'vm1.cpus = 2' "$ESP_CFG" | cut -d: -f1)
expect_status 125
expect_match "${KEEL}error: keel\\.cfg:(${n0}:|${n1}:)? VMs ask for 6 CPUs, the machine has 4\$"
expect_line 'keel: returning to the firmware'
forbid_match '^vm[0-7]\| '
finish
