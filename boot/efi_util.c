/* SPDX-License-Identifier: MIT */
#include "boot/efi_util.h"

#include <efilib.h>
#include <string.h>

void efi_con_write(const char *s, size_t n)
{
    CHAR16 buf[129];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            buf[k++] = L'\r';
        buf[k++] = (CHAR16)(unsigned char)s[i];
        if (k >= 127 || i + 1 == n) {
            buf[k] = 0;
            uefi_call_wrapper(ST->ConOut->OutputString, 2, ST->ConOut, buf);
            k = 0;
        }
    }
}

/* Device path node: Messaging (3) / UART (14), UEFI spec 10.3.4.x. */
#define DP_TYPE_MESSAGING 3
#define DP_SUBTYPE_UART   14
#define DP_TYPE_END       0x7f

BOOLEAN efi_conout_is_serial(void)
{
    static EFI_GUID global = EFI_GLOBAL_VARIABLE;
    static UINT8 buf[1024]; /* boot CPU only, before ExitBootServices */
    UINTN size = sizeof(buf);
    UINT32 attrs;
    EFI_STATUS st = uefi_call_wrapper(RT->GetVariable, 5, L"ConOut", &global, &attrs, &size, buf);
    if (EFI_ERROR(st))
        return FALSE;
    for (UINTN off = 0; off + 4 <= size;) {
        UINT8 type = buf[off], sub = buf[off + 1];
        UINT16 len = (UINT16)(buf[off + 2] | (buf[off + 3] << 8));
        if (type == DP_TYPE_MESSAGING && sub == DP_SUBTYPE_UART)
            return TRUE;
        if (len < 4)
            break;
        off += len;
    }
    return FALSE;
}

uint64_t efi_find_rsdp(void)
{
    static EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
    static EFI_GUID acpi10 = ACPI_TABLE_GUID;
    uint64_t v1 = 0;
    for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
        EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];
        if (!CompareGuid(&t->VendorGuid, &acpi20))
            return (uint64_t)(uintptr_t)t->VendorTable;
        if (!CompareGuid(&t->VendorGuid, &acpi10))
            v1 = (uint64_t)(uintptr_t)t->VendorTable;
    }
    return v1;
}

/* EFI_MP_SERVICES_PROTOCOL (PI spec vol. 2, 13.4); gnu-efi lacks it. */
#define MP_SERVICES_GUID \
    { 0x3fdda605, 0xa76e, 0x4f46, { 0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 } }
#define PROCESSOR_AS_BSP_BIT  0x1
#define PROCESSOR_ENABLED_BIT 0x2

typedef struct {
    UINT64 ProcessorId;
    UINT32 StatusFlag;
    UINT32 Package, Core, Thread;
} EFI_PROCESSOR_INFORMATION;

typedef struct _EFI_MP_SERVICES_PROTOCOL EFI_MP_SERVICES_PROTOCOL;
struct _EFI_MP_SERVICES_PROTOCOL {
    EFI_STATUS (EFIAPI *GetNumberOfProcessors)(EFI_MP_SERVICES_PROTOCOL *, UINTN *, UINTN *);
    EFI_STATUS (EFIAPI *GetProcessorInfo)(EFI_MP_SERVICES_PROTOCOL *, UINTN,
                                          EFI_PROCESSOR_INFORMATION *);
    void *StartupAllAPs, *StartupThisAP, *SwitchBSP, *EnableDisableAP, *WhoAmI;
};

static unsigned mp_add(uint32_t *ids, unsigned n, unsigned max, uint32_t id, BOOLEAN first)
{
    if (n == max)
        return n;
    if (first) {
        memmove(ids + 1, ids, n * sizeof(ids[0]));
        ids[0] = id;
    } else {
        ids[n] = id;
    }
    return n + 1;
}

unsigned efi_mp_apic_ids(uint32_t *ids, unsigned max)
{
    static EFI_GUID guid = MP_SERVICES_GUID;
    EFI_MP_SERVICES_PROTOCOL *mp;
    if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &guid, NULL, (void **)&mp)))
        return 0;
    UINTN total = 0, enabled = 0;
    if (EFI_ERROR(uefi_call_wrapper(mp->GetNumberOfProcessors, 3, mp, &total, &enabled)))
        return 0;
    unsigned n = 0;
    for (UINTN i = 0; i < total; i++) {
        EFI_PROCESSOR_INFORMATION pi;
        if (EFI_ERROR(uefi_call_wrapper(mp->GetProcessorInfo, 3, mp, i, &pi)))
            continue;
        if (pi.StatusFlag & PROCESSOR_ENABLED_BIT)
            n = mp_add(ids, n, max, (uint32_t)pi.ProcessorId,
                       (pi.StatusFlag & PROCESSOR_AS_BSP_BIT) != 0);
    }
    return n;
}

uint64_t efi_alloc_pages_aligned(uint64_t npages, uint64_t align)
{
    uint64_t apages = align / 4096, total = npages + apages;
    EFI_PHYSICAL_ADDRESS pa = 0;
    if (EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages, EfiLoaderData,
                                    total, &pa)))
        return 0;
    uint64_t start = (pa + align - 1) & ~(align - 1);
    uint64_t head = (start - pa) / 4096, tail = total - head - npages;
    if (head)
        uefi_call_wrapper(BS->FreePages, 2, pa, head);
    if (tail)
        uefi_call_wrapper(BS->FreePages, 2, start + npages * 4096, tail);
    return start;
}

uint64_t efi_alloc_pages_fit(uint64_t npages, uint64_t align)
{
    UINTN n, key, dsize;
    UINT32 dver;
    EFI_MEMORY_DESCRIPTOR *map = LibMemoryMap(&n, &key, &dsize, &dver);
    uint64_t best = 0, len = npages * 4096;
    if (!map)
        return 0;
    for (UINTN i = 0; i < n; i++) {
        const EFI_MEMORY_DESCRIPTOR *d = (const EFI_MEMORY_DESCRIPTOR *)((uint8_t *)map + i * dsize);
        uint64_t start = (d->PhysicalStart + align - 1) & ~(align - 1);
        uint64_t end = d->PhysicalStart + d->NumberOfPages * 4096;
        if (d->Type == EfiConventionalMemory && start >= d->PhysicalStart && start < end &&
            end - start >= len && start > best)
            best = start;
    }
    FreePool(map);
    EFI_PHYSICAL_ADDRESS pa = best;
    if (!best || EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4, AllocateAddress, EfiLoaderData,
                                             npages, &pa)))
        return 0;
    return pa;
}

uint64_t efi_alloc_pages_below(uint64_t npages, uint64_t max_addr)
{
    EFI_PHYSICAL_ADDRESS pa = max_addr;
    if (EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress, EfiLoaderData,
                                    npages, &pa)))
        return 0;
    return pa;
}
