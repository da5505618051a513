#!/usr/bin/env bash
# boot.xsave-*, vmx.xsave-*, bsvm.xsave-*: the xsave guest (guest/xsave:
# XSAVE/XCR0, leaf 0xD, AVX state across exits and vCPUs, the MSRs of
# docs/msrs.md) runs on CPUS vCPUs on PLATFORM (default qemu-svm) and
# reports every test passed.  Keel says once whether it offers XSAVE.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cpus=${1:?usage: guest-xsave.sh CPUS [PLATFORM]}
platform=${2:-qemu-svm}
require_guest xsave

keel_run --platform "$platform" --guest xsave --cpus "$cpus"
expect_started
expect_match "${KEEL}fpu: (XSAVE offered to guests|the CPU has no XSAVE)"
expect_match '^vm0\| [1-9][0-9]* passed, 0 failed'
expect_line 'keel: vm0 (vm0) exited with status 0'
forbid_line ' stopped: '
expect_end 0
finish
