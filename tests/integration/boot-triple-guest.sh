#!/usr/bin/env bash
# boot.triple-guest, vmx.triple-guest: a guest that triple-faults is stopped,
# with a register dump, and the run's status is 112; on PLATFORM (the
# argument, default qemu-svm).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
require_guest triple

platform=${1:-qemu-svm}
keel_run --platform "$platform" --guest triple --cpus 1
expect_started
expect_match "${KEEL}vm0 \([^)]*\) stopped: triple fault"
forbid_match "${KEEL}vm0 \([^)]*\) exited with status"
expect_end 112
finish
