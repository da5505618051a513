#!/usr/bin/env bash
# Every header compiles on its own (docs/style.md, item 13): each hypervisor
# header is included alone into an empty translation unit and compiled with
# the freestanding flags keel.efi uses.
#
#   tools/check-headers.sh <cc> <newlib include dir> <compiler include dir>
set -uo pipefail
cc=$1 newlib=$2 ccinc=$3
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
fail=0 n=0
for h in $(git ls-files 'boot/*.h' 'hv/*.h' 'svm/*.h' 'vmx/*.h' 'apic/*.h' 'iommu/*.h' 2>/dev/null); do
    n=$((n + 1))
    if ! echo "#include \"$h\"" | "$cc" -x c -ffreestanding -nostdinc -isystem "$newlib" \
        -isystem "$ccinc" -isystem /usr/include/efi -isystem /usr/include/efi/x86_64 \
        -DGNU_EFI_USE_MS_ABI -mno-red-zone -mgeneral-regs-only -fpic \
        -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes -Wshadow \
        -I "$top" -fsyntax-only - 2>/tmp/check-headers.$$; then
        echo "not self-contained: $h"
        sed 's/^/    /' /tmp/check-headers.$$ | head -n 5
        fail=$((fail + 1))
    fi
done
rm -f /tmp/check-headers.$$
echo "check-headers: $((n - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
