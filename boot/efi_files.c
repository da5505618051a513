/* SPDX-License-Identifier: MIT */
#include "boot/efi_files.h"

#include <ctype.h>
#include <efilib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "boot/tftp_path.h"

/* TFTP error code 1, "File not found" (RFC 1350). */
#define TFTP_ERR_NOT_FOUND 1

/* The directory of keel.efi on a file system: the image's file path is
 * \dir\...\keel.efi, keep what is before the last backslash. */
static EFI_STATUS fs_open(EFI_LOADED_IMAGE *li, EFI_FILE_IO_INTERFACE *fs, struct efi_files *f)
{
    EFI_FILE_HANDLE root;
    CHAR16 dirpath[256];
    EFI_STATUS st = uefi_call_wrapper(fs->OpenVolume, 2, fs, &root);
    if (EFI_ERROR(st))
        return st;
    dirpath[0] = 0;
    EFI_DEVICE_PATH *dp = li->FilePath;
    if (dp && DevicePathType(dp) == MEDIA_DEVICE_PATH && DevicePathSubType(dp) == MEDIA_FILEPATH_DP) {
        FILEPATH_DEVICE_PATH *fp = (FILEPATH_DEVICE_PATH *)dp;
        size_t n = 0, last = 0;
        for (; fp->PathName[n] && n + 1 < sizeof(dirpath) / sizeof(dirpath[0]); n++) {
            dirpath[n] = fp->PathName[n];
            if (dirpath[n] == L'\\')
                last = n;
        }
        dirpath[last] = 0;
    }
    snprintf(f->where, sizeof(f->where), "the directory of keel.efi on its file system");
    if (!dirpath[0]) {
        f->dir = root;
        return EFI_SUCCESS;
    }
    st = uefi_call_wrapper(root->Open, 5, root, &f->dir, dirpath, EFI_FILE_MODE_READ, 0);
    uefi_call_wrapper(root->Close, 1, root);
    return st;
}

/* The packet that named the boot server and file: a PXE server's reply,
 * else a proxy DHCP offer, else the DHCP acknowledgement (UEFI 2.x 24.3,
 * EFI_PXE_BASE_CODE_MODE). */
static EFI_PXE_BASE_CODE_DHCPV4_PACKET *pxe_boot_packet(EFI_PXE_BASE_CODE_MODE *m)
{
    if (m->PxeReplyReceived)
        return &m->PxeReply.Dhcpv4;
    if (m->ProxyOfferReceived)
        return &m->ProxyOffer.Dhcpv4;
    if (m->DhcpAckReceived)
        return &m->DhcpAck.Dhcpv4;
    return NULL;
}

static EFI_STATUS pxe_open(EFI_PXE_BASE_CODE *pxe, struct efi_files *f)
{
    EFI_PXE_BASE_CODE_MODE *m = pxe->Mode;
    if (!m || !m->Started || m->UsingIpv6)
        return EFI_UNSUPPORTED;   /* Keel reads over TFTP on IPv4 only */
    EFI_PXE_BASE_CODE_DHCPV4_PACKET *p = pxe_boot_packet(m);
    if (!p)
        return EFI_NOT_READY;
    memset(&f->server, 0, sizeof(f->server));
    memcpy(f->server.v4.Addr, p->BootpSiAddr, 4);
    if (tftp_boot_dir((const char *)p->BootpBootFile, sizeof(p->BootpBootFile), f->prefix,
                      sizeof(f->prefix)))
        return EFI_BAD_BUFFER_SIZE;
    f->pxe = pxe;
    snprintf(f->where, sizeof(f->where), "tftp://%u.%u.%u.%u/%s", p->BootpSiAddr[0],
             p->BootpSiAddr[1], p->BootpSiAddr[2], p->BootpSiAddr[3], f->prefix);
    return EFI_SUCCESS;
}

EFI_STATUS efi_files_open(EFI_HANDLE image, struct efi_files *f)
{
    static EFI_GUID lip_guid = LOADED_IMAGE_PROTOCOL;
    static EFI_GUID sfs_guid = SIMPLE_FILE_SYSTEM_PROTOCOL;
    static EFI_GUID pxe_guid = EFI_PXE_BASE_CODE_PROTOCOL_GUID;
    EFI_LOADED_IMAGE *li;
    EFI_FILE_IO_INTERFACE *fs;
    EFI_PXE_BASE_CODE *pxe;
    memset(f, 0, sizeof(*f));
    EFI_STATUS st = uefi_call_wrapper(BS->HandleProtocol, 3, image, &lip_guid, (void **)&li);
    if (EFI_ERROR(st))
        return st;
    st = uefi_call_wrapper(BS->HandleProtocol, 3, li->DeviceHandle, &sfs_guid, (void **)&fs);
    if (!EFI_ERROR(st))
        return fs_open(li, fs, f);
    st = uefi_call_wrapper(BS->HandleProtocol, 3, li->DeviceHandle, &pxe_guid, (void **)&pxe);
    if (!EFI_ERROR(st))
        return pxe_open(pxe, f);
    return EFI_UNSUPPORTED;
}

static EFI_STATUS fs_read(EFI_FILE_HANDLE dir, const char *path, void **data, size_t *len)
{
    CHAR16 name[260];
    size_t n = 0;
    for (; path[n] && n + 1 < sizeof(name) / sizeof(name[0]); n++)
        name[n] = path[n] == '/' ? L'\\' : (CHAR16)(unsigned char)path[n];
    name[n] = 0;
    EFI_FILE_HANDLE fh;
    EFI_STATUS st = uefi_call_wrapper(dir->Open, 5, dir, &fh, name, EFI_FILE_MODE_READ, 0);
    if (EFI_ERROR(st))
        return st;
    EFI_FILE_INFO *info = LibFileInfo(fh);
    if (!info) {
        uefi_call_wrapper(fh->Close, 1, fh);
        return EFI_DEVICE_ERROR;
    }
    UINTN size = info->FileSize;
    FreePool(info);
    void *buf = NULL;
    st = uefi_call_wrapper(BS->AllocatePool, 3, EfiLoaderData, size ? size : 1, &buf);
    if (!EFI_ERROR(st))
        st = uefi_call_wrapper(fh->Read, 3, fh, &size, buf);
    uefi_call_wrapper(fh->Close, 1, fh);
    if (EFI_ERROR(st))
        return st;
    *data = buf;
    *len = size;
    return EFI_SUCCESS;
}

/* Did the server say the file does not exist?  TFTP error code 1 (RFC
 * 1350).  EDK2's PXE base code (OVMF, and most firmware built on it) stores
 * the code without turning it from network byte order, so that every code
 * below 256 reads as 0 ("not defined"): then the server's text decides. */
static bool tftp_not_found(const EFI_PXE_BASE_CODE_TFTP_ERROR *e)
{
    if (e->ErrorCode == TFTP_ERR_NOT_FOUND)
        return true;
    if (e->ErrorCode != 0)
        return false;
    char text[sizeof(e->ErrorString) + 1];
    size_t n = 0;
    for (; n < sizeof(e->ErrorString) && e->ErrorString[n]; n++)
        text[n] = (char)tolower((unsigned char)e->ErrorString[n]);
    text[n] = 0;
    return strstr(text, "not found") || strstr(text, "no such file");
}

/* A TFTP error packet "file not found" becomes EFI_NOT_FOUND, so that a
 * missing keel.cfg means the defaults here as on a disk. */
static EFI_STATUS pxe_status(struct efi_files *f, EFI_STATUS st)
{
    EFI_PXE_BASE_CODE_MODE *m = f->pxe->Mode;
    f->detail[0] = 0;
    if (st != EFI_TFTP_ERROR || !m->TftpErrorReceived)
        return st;
    snprintf(f->detail, sizeof(f->detail), " (TFTP error %u: %.*s)", m->TftpError.ErrorCode,
             (int)sizeof(m->TftpError.ErrorString), m->TftpError.ErrorString);
    return tftp_not_found(&m->TftpError) ? EFI_NOT_FOUND : st;
}

const char *efi_files_detail(struct efi_files *f)
{
    return f->detail;
}

/* The size first (the tsize option), then the file into a buffer of that
 * size. */
static EFI_STATUS pxe_read(struct efi_files *f, const char *path, void **data, size_t *len)
{
    char name[256];
    if (tftp_join(f->prefix, path, name, sizeof(name)))
        return EFI_INVALID_PARAMETER;
    EFI_PXE_BASE_CODE *pxe = f->pxe;
    UINT64 size = 0;
    EFI_STATUS st = uefi_call_wrapper(pxe->Mtftp, 10, pxe, EFI_PXE_BASE_CODE_TFTP_GET_FILE_SIZE,
                                      NULL, FALSE, &size, NULL, &f->server, (UINT8 *)name, NULL,
                                      FALSE);
    if (EFI_ERROR(st))
        return pxe_status(f, st);
    void *buf = NULL;
    st = uefi_call_wrapper(BS->AllocatePool, 3, EfiLoaderData, size ? size : 1, &buf);
    if (EFI_ERROR(st))
        return st;
    if (size) {
        st = uefi_call_wrapper(pxe->Mtftp, 10, pxe, EFI_PXE_BASE_CODE_TFTP_READ_FILE, buf, FALSE,
                               &size, NULL, &f->server, (UINT8 *)name, NULL, FALSE);
        if (EFI_ERROR(st)) {
            FreePool(buf);
            return pxe_status(f, st);
        }
    }
    *data = buf;
    *len = (size_t)size;
    return EFI_SUCCESS;
}

EFI_STATUS efi_files_read(struct efi_files *f, const char *path, void **data, size_t *len)
{
    if (f->pxe)
        return pxe_read(f, path, data, len);
    return fs_read(f->dir, path, data, len);
}
