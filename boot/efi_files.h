/* SPDX-License-Identifier: MIT */
/*
 * Where keel.cfg and the guest images come from: the directory keel.efi
 * was loaded from, on a file system (a disk or USB stick: the simple file
 * system protocol, UEFI 2.x ch. 13.4) or on the TFTP server it was
 * PXE-booted from (the PXE base code protocol, UEFI 2.x ch. 24.3: the boot
 * server and boot file of the DHCP/proxy/PXE reply).  Boot CPU only, before
 * ExitBootServices.
 */
#ifndef KEEL_BOOT_EFI_FILES_H
#define KEEL_BOOT_EFI_FILES_H

#include <efi.h>
#include <stddef.h>

struct efi_files {
    EFI_FILE_HANDLE dir;          /* a file system, or NULL */
    EFI_PXE_BASE_CODE *pxe;       /* or the PXE base code of the boot NIC */
    EFI_IP_ADDRESS server;        /* the TFTP server (IPv4) */
    char prefix[128];             /* keel.efi's directory on it, "" or ".../" */
    char where[192];              /* for messages: "the ESP", "tftp://..." */
    char detail[192];             /* efi_files_detail() */
};

/* Opens the place keel.efi was loaded from. */
EFI_STATUS efi_files_open(EFI_HANDLE image, struct efi_files *f);

/* Reads PATH ('/' between directories) from there into pool memory.
 * EFI_NOT_FOUND when there is no such file. */
EFI_STATUS efi_files_read(struct efi_files *f, const char *path, void **data, size_t *len);

/* What the TFTP server said about the last failed read (" (TFTP error N:
 * text)"), or "" when it said nothing or the files are on a disk. */
const char *efi_files_detail(struct efi_files *f);

#endif /* KEEL_BOOT_EFI_FILES_H */
