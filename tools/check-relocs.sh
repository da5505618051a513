#!/usr/bin/env bash
# gnu-efi's start-up code applies only R_X86_64_RELATIVE relocations; any
# other dynamic relocation left in keel.so (JUMP_SLOT, GLOB_DAT, 64) would be
# a jump through an unrelocated GOT at run time (docs/platforms.md).  Fail the build.
set -euo pipefail
so=$1
bad=$(readelf -rW "$so" | awk '/^[0-9a-f]+ +[0-9a-f]+ +R_X86_64_/ && $3 != "R_X86_64_RELATIVE" {print}')
if [ -n "$bad" ]; then
    echo "check-relocs: $so has relocations gnu-efi will not apply:" >&2
    echo "$bad" >&2
    exit 1
fi
