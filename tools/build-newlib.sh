#!/usr/bin/env bash
# Builds newlib from Debian's newlib-source for a freestanding x86_64 target.
# Used once per build directory by CMake (see CMakeLists.txt); the result is
# the C library of both keel.efi and the guests.
#
#   tools/build-newlib.sh <newlib tarball> <build dir> <install prefix>
#
# Flags, and why:
#  -fPIC                 keel.efi is a position-independent GNU-EFI image.
#  -mno-red-zone         the hypervisor takes exceptions on the same stack.
#  -fno-vectorize ...    keep SSE out of integer code paths; the hypervisor runs
#                        with CR0.TS set and saves guest FPU state lazily (#NM),
#                        so SSE use is correct but costs a trap.
set -euo pipefail
tarball=$1 build=$2 prefix=$3
if [ -f "$prefix/x86_64-elf/lib/libc.a" ]; then
    exit 0
fi
rm -rf "$build"
mkdir -p "$build"
tar -xf "$tarball" -C "$build"
src=$(find "$build" -maxdepth 2 -name configure -path '*/configure' -printf '%h\n' | head -n 1)
mkdir -p "$build/obj"
cd "$build/obj"
cflags="-O2 -g -ffreestanding -fPIC -mno-red-zone -fno-stack-protector -fno-vectorize -fno-slp-vectorize -Wno-everything"
"$src/configure" --target=x86_64-elf --prefix="$prefix" \
    --disable-multilib --disable-newlib-supplied-syscalls \
    --enable-newlib-io-c99-formats --enable-newlib-io-long-long \
    --disable-nls \
    CC_FOR_TARGET="clang --target=x86_64-unknown-elf $cflags" \
    AR_FOR_TARGET=llvm-ar RANLIB_FOR_TARGET=llvm-ranlib \
    CFLAGS_FOR_TARGET="$cflags" > configure.log 2>&1 \
    || { tail -n 30 configure.log >&2; exit 1; }
make -j"$(nproc)" all-target-newlib > make.log 2>&1 || { tail -n 40 make.log >&2; exit 1; }
make install-target-newlib > install.log 2>&1 || { tail -n 40 install.log >&2; exit 1; }
test -f "$prefix/x86_64-elf/lib/libc.a"
