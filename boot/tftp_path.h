/* SPDX-License-Identifier: MIT */
/*
 * Names of files on the TFTP server keel.efi was PXE-booted from: the
 * directory of the boot file the DHCP server named, and a keel.cfg path
 * inside it.  Pure string work, host-tested (tests/unit/test_tftp_path.c).
 */
#ifndef KEEL_BOOT_TFTP_PATH_H
#define KEEL_BOOT_TFTP_PATH_H

#include <stddef.h>

/* The directory part of BOOTFILE (at most MAX bytes of it are read: the
 * DHCP 'file' field need not be terminated), with a trailing '/', or "" for
 * a file at the top; backslashes count as '/'.  Returns -1 when it does not
 * fit in OUT (N bytes). */
int tftp_boot_dir(const char *bootfile, size_t max, char *out, size_t n);

/* DIR + PATH into OUT (N bytes), '\' turned into '/'.  Returns -1 when PATH
 * is empty or absolute, or the result does not fit. */
int tftp_join(const char *dir, const char *path, char *out, size_t n);

#endif /* KEEL_BOOT_TFTP_PATH_H */
