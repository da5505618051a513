#!/usr/bin/env bash
# config.too-many-cpus: two VMs that together ask for more CPUs than the
# machine has (4).  The error is on the line that takes the total over.
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
expect_cfg_error 'vm1.cpus = 2' 'VMs ask for 6 CPUs, the machine has 4'
finish
