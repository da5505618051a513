#!/usr/bin/env bash
# boot.xsave-*, vmx.xsave-*, bsvm.xsave-*: the xsave guest (guest/xsave:
# XSAVE/XCR0, leaf 0xD, AVX state across exits and vCPUs, the MSRs of
# docs/msrs.md) runs on CPUS vCPUs on PLATFORM (default qemu-svm) and
# reports every test passed.  Keel says once whether it offers XSAVE; the
# platform's CPU model decides (EXPECT_XSAVE: the XCR0 bits it must offer,
# third argument; default 0x7, x87|SSE|AVX, which QEMU's EPYC and Bochs'
# models have).  When offered, no XSAVE test may skip.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cpus=${1:?usage: guest-xsave.sh CPUS [PLATFORM]}
platform=${2:-qemu-svm}
want_xcr0=${3:-0x7}
require_guest xsave

keel_run --platform "$platform" --guest xsave --cpus "$cpus"
expect_started
expect_match "${KEEL}fpu: XSAVE offered to guests, XCR0 bits $want_xcr0 "
if [[ $want_xcr0 == 0xe7 ]]; then
    forbid_match '^vm0\| skip - xsave_'
else
    forbid_match '^vm0\| skip - xsave_(cpuid|xsetbv|area|avx_|state)'
fi
forbid_line 'the CPU has no XSAVE'
expect_match '^vm0\| [1-9][0-9]* passed, 0 failed'
expect_line 'keel: vm0 (vm0) exited with status 0'
forbid_line ' stopped: '
expect_end 0
finish
