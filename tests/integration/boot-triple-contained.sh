#!/usr/bin/env bash
# boot.triple-contained: a triple fault in vm0 stops vm0 only; vm1 runs its
# tests to the end.  The run's status is vm0's, 112 (stopped).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_guest basic

write_cfg <<'CFG'
vm0.guest = basic.elf
vm0.cpus = 2
vm0.cmdline = fault=triple
vm1.guest = basic.elf
vm1.cpus = 2
CFG
keel_run --cfg "$CFG" --file "$GUESTS/basic.elf"
expect_started
expect_match "${KEEL}vm0 \([^)]*\) stopped: triple fault"
forbid_match "${KEEL}vm1 \([^)]*\) stopped: "
expect_match '^vm1\| [0-9]+ passed, 0 failed'
expect_match "${KEEL}vm1 \([^)]*\) reported [0-9]+ passed, 0 failed"
expect_match "${KEEL}vm1 \([^)]*\) exited with status 0"
expect_end 112
finish
