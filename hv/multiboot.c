/* SPDX-License-Identifier: MIT */
#include "hv/multiboot.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Header flags (spec 3.1.2). */
#define MBH_PAGE_ALIGN  (1u << 0)
#define MBH_MEMINFO     (1u << 1)
#define MBH_VIDEO       (1u << 2)
#define MBH_AOUT_KLUDGE (1u << 16)
#define MBH_KNOWN_REQUIRED (MBH_PAGE_ALIGN | MBH_MEMINFO)

/* ELF (System V gABI) field offsets for the parts the loader reads. */
#define EI_CLASS 4
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ET_EXEC 2
#define PT_LOAD 1
#define EM_386 3
#define EM_X86_64 62

struct mb_header {
    uint32_t magic, flags, checksum;
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void wr64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static long mb_find_header(const uint8_t *img, size_t len, struct mb_header *h)
{
    size_t lim = len < MB_SEARCH_LIMIT ? len : MB_SEARCH_LIMIT;
    for (size_t off = 0; off + 12 <= lim; off += 4) {
        if (rd32(img + off) != MB_MAGIC_HEADER)
            continue;
        uint32_t flags = rd32(img + off + 4), sum = rd32(img + off + 8);
        if ((uint32_t)(MB_MAGIC_HEADER + flags + sum) != 0)
            continue;
        memset(h, 0, sizeof(*h));
        size_t n = (flags & MBH_AOUT_KLUDGE) ? 32 : 12;
        if (off + n > len)
            return -1;
        memcpy(h, img + off, n);
        return (long)off;
    }
    return -1;
}

/* One loadable piece: file bytes [off, off+filesz) to GPA paddr, zero up
 * to memsz. */
struct mb_seg {
    uint64_t off, filesz, paddr, memsz;
};

#define MB_MAX_SEGS 16

struct mb_plan {
    struct mb_seg seg[MB_MAX_SEGS];
    unsigned nseg;
    struct mb_image_info info;
};

static int plan_aout(const struct mb_header *h, long hoff, size_t len, struct mb_plan *p,
                     char *err, size_t errlen)
{
    if (h->header_addr < h->load_addr || h->header_addr - h->load_addr > (uint64_t)hoff) {
        snprintf(err, errlen, "multiboot header addresses are inconsistent");
        return -1;
    }
    uint64_t off = (uint64_t)hoff - (h->header_addr - h->load_addr);
    uint64_t filesz = h->load_end_addr ? (uint64_t)h->load_end_addr - h->load_addr : len - off;
    if (h->load_end_addr && h->load_end_addr < h->load_addr) {
        snprintf(err, errlen, "multiboot load_end_addr is below load_addr");
        return -1;
    }
    if (off + filesz > len) {
        snprintf(err, errlen, "image is shorter than its multiboot header says");
        return -1;
    }
    uint64_t memsz = filesz;
    if (h->bss_end_addr) {
        if (h->bss_end_addr < h->load_addr + filesz) {
            snprintf(err, errlen, "multiboot bss_end_addr is below the loaded image");
            return -1;
        }
        memsz = (uint64_t)h->bss_end_addr - h->load_addr;
    }
    p->seg[0] = (struct mb_seg){ off, filesz, h->load_addr, memsz };
    p->nseg = 1;
    p->info.entry = h->entry_addr;
    p->info.is_aout_kludge = 1;
    return 0;
}

static int plan_elf_phdr(const uint8_t *ph, bool is64, size_t len, struct mb_plan *p,
                         char *err, size_t errlen)
{
    if (rd32(ph) != PT_LOAD)
        return 0;
    struct mb_seg s;
    if (is64) {
        s.off = rd64(ph + 8);
        s.paddr = rd64(ph + 24);
        s.filesz = rd64(ph + 32);
        s.memsz = rd64(ph + 40);
    } else {
        s.off = rd32(ph + 4);
        s.paddr = rd32(ph + 12);
        s.filesz = rd32(ph + 16);
        s.memsz = rd32(ph + 20);
    }
    if (s.memsz == 0)
        return 0;
    if (s.filesz > s.memsz || s.off > len || s.filesz > len - s.off) {
        snprintf(err, errlen, "ELF segment at file offset %#llx is truncated or inconsistent",
                 (unsigned long long)s.off);
        return -1;
    }
    if (p->nseg == MB_MAX_SEGS) {
        snprintf(err, errlen, "ELF image has more than %u loadable segments", MB_MAX_SEGS);
        return -1;
    }
    p->seg[p->nseg++] = s;
    return 0;
}

static int plan_elf(const uint8_t *img, size_t len, struct mb_plan *p, char *err, size_t errlen)
{
    if (len < 52 || memcmp(img, "\177ELF", 4) != 0) {
        snprintf(err, errlen, "not an ELF file and no multiboot a.out-kludge addresses");
        return -1;
    }
    bool is64 = img[EI_CLASS] == ELFCLASS64;
    if (!is64 && img[EI_CLASS] != ELFCLASS32) {
        snprintf(err, errlen, "unknown ELF class %u", img[EI_CLASS]);
        return -1;
    }
    if ((is64 && len < 64) || rd16(img + 16) != ET_EXEC) {
        snprintf(err, errlen, "ELF file is not an executable");
        return -1;
    }
    uint16_t mach = rd16(img + 18);
    if (mach != (is64 ? EM_X86_64 : EM_386)) {
        snprintf(err, errlen, "ELF machine %u is not x86", mach);
        return -1;
    }
    uint64_t entry = is64 ? rd64(img + 24) : rd32(img + 24);
    uint64_t phoff = is64 ? rd64(img + 32) : rd32(img + 28);
    uint16_t phentsize = rd16(img + (is64 ? 54 : 42)), phnum = rd16(img + (is64 ? 56 : 44));
    if (phentsize < (is64 ? 56 : 32) || phoff > len || (uint64_t)phentsize * phnum > len - phoff) {
        snprintf(err, errlen, "ELF program headers are outside the file");
        return -1;
    }
    if (entry >= (1ull << 32)) {
        snprintf(err, errlen, "entry point %#llx is above 4 GiB (multiboot enters in 32-bit mode)",
                 (unsigned long long)entry);
        return -1;
    }
    for (uint16_t i = 0; i < phnum; i++)
        if (plan_elf_phdr(img + phoff + (uint64_t)i * phentsize, is64, len, p, err, errlen))
            return -1;
    if (!p->nseg) {
        snprintf(err, errlen, "ELF file has no loadable segment");
        return -1;
    }
    p->info.entry = (uint32_t)entry;
    p->info.elf_class = is64 ? 64 : 32;
    return 0;
}

static int mb_plan(const uint8_t *img, size_t len, uint64_t mem_size, struct mb_plan *p,
                   char *err, size_t errlen)
{
    struct mb_header h;
    memset(p, 0, sizeof(*p));
    long hoff = mb_find_header(img, len, &h);
    if (hoff < 0) {
        snprintf(err, errlen, "no multiboot header in the first %u bytes", MB_SEARCH_LIMIT);
        return -1;
    }
    uint32_t unknown = h.flags & 0xffffu & ~MBH_KNOWN_REQUIRED;
    if (unknown) {
        snprintf(err, errlen, "multiboot header requires features Keel does not provide "
                 "(flags %#x%s)", unknown, (unknown & MBH_VIDEO) ? ": video mode" : "");
        return -1;
    }
    int r = (h.flags & MBH_AOUT_KLUDGE) ? plan_aout(&h, hoff, len, p, err, errlen)
                                        : plan_elf(img, len, p, err, errlen);
    if (r)
        return r;
    p->info.load_lo = UINT64_MAX;
    for (unsigned i = 0; i < p->nseg; i++) {
        const struct mb_seg *s = &p->seg[i];
        if (s->paddr < MB_HIGHMEM || s->paddr + s->memsz > mem_size || s->paddr + s->memsz < s->paddr) {
            snprintf(err, errlen, "image segment [%#llx, %#llx) does not fit guest RAM "
                     "[1 MiB, %llu MiB)", (unsigned long long)s->paddr,
                     (unsigned long long)(s->paddr + s->memsz), (unsigned long long)(mem_size >> 20));
            return -1;
        }
        if (s->paddr < p->info.load_lo)
            p->info.load_lo = s->paddr;
        if (s->paddr + s->memsz > p->info.load_hi)
            p->info.load_hi = s->paddr + s->memsz;
    }
    if (p->info.entry < p->info.load_lo || p->info.entry >= p->info.load_hi) {
        snprintf(err, errlen, "entry point %#x is outside the loaded image", p->info.entry);
        return -1;
    }
    return 0;
}

int mb_check(const uint8_t *image, size_t len, uint64_t mem_size, struct mb_image_info *info,
             char *err, size_t errlen)
{
    static struct mb_plan plan; /* big for a stack frame; callers are serialised at boot */
    if (mb_plan(image, len, mem_size, &plan, err, errlen))
        return -1;
    if (info)
        *info = plan.info;
    return 0;
}

/* A bump allocator over the low information area. */
struct lowmem {
    uint8_t *ram;
    uint32_t next;
};

static uint32_t low_alloc(struct lowmem *lm, uint32_t size)
{
    uint32_t at = (lm->next + 7u) & ~7u;
    if (size > MB_INFO_LIMIT - at)
        return 0;
    lm->next = at + size;
    memset(lm->ram + at, 0, size);
    return at;
}

static uint32_t low_string(struct lowmem *lm, const char *s)
{
    uint32_t n = (uint32_t)strlen(s ? s : "") + 1;
    uint32_t at = low_alloc(lm, n);
    if (at)
        memcpy(lm->ram + at, s ? s : "", n);
    return at;
}

/* Multiboot 0.6.96 3.3 "mmap_*": type 1 available RAM, 2 reserved; RAM
 * past the PCI hole from 4 GiB when there is any. */
static uint32_t build_mmap(struct lowmem *lm, uint64_t mem_size, uint64_t high_size,
                           uint32_t *len_out)
{
    const uint64_t ranges[4][3] = {
        { 0, MB_LOWMEM_END, 1 },
        { MB_LOWMEM_END, MB_HIGHMEM - MB_LOWMEM_END, 2 },
        { MB_HIGHMEM, mem_size - MB_HIGHMEM, 1 },
        { MB_HIGH_RAM_BASE, high_size, 1 },
    };
    unsigned n = high_size ? 4 : 3;
    uint32_t at = low_alloc(lm, n * 24);
    if (!at)
        return 0;
    for (unsigned i = 0; i < n; i++) {
        uint8_t *e = lm->ram + at + i * 24;
        wr32(e, 20); /* size of the entry, not counting this field */
        wr64(e + 4, ranges[i][0]);
        wr64(e + 12, ranges[i][1]);
        wr32(e + 20, (uint32_t)ranges[i][2]);
    }
    *len_out = n * 24;
    return at;
}

static int load_modules(struct lowmem *lm, const struct mb_module *mods, unsigned nmods,
                        uint64_t start, uint64_t mem_size, uint32_t *list, uint64_t *end,
                        char *err, size_t errlen)
{
    *list = low_alloc(lm, 16 * (nmods ? nmods : 1));
    if (!*list)
        goto no_room;
    uint64_t at = (start + 0xfffu) & ~0xfffull;
    uint64_t top = mem_size < (1ull << 32) ? mem_size : (1ull << 32); /* 32-bit mod_start/end */
    for (unsigned i = 0; i < nmods; i++) {
        if (mods[i].len > top || at > top - mods[i].len) {
            snprintf(err, errlen, "module %u (%zu bytes) does not fit in guest RAM", i + 1,
                     mods[i].len);
            return -1;
        }
        memcpy(lm->ram + at, mods[i].data, mods[i].len);
        uint32_t str = low_string(lm, mods[i].cmdline);
        if (!str)
            goto no_room;
        uint8_t *e = lm->ram + *list + 16 * i;
        wr32(e, (uint32_t)at);
        wr32(e + 4, (uint32_t)(at + mods[i].len));
        wr32(e + 8, str);
        wr32(e + 12, 0);
        at = (at + mods[i].len + 0xfffu) & ~0xfffull;
    }
    *end = at;
    return 0;
no_room:
    snprintf(err, errlen, "the multiboot information does not fit below 640 KiB");
    return -1;
}

int mb_load(const uint8_t *image, size_t len, const char *cmdline, const struct mb_module *mods,
            unsigned nmods, uint8_t *ram, uint64_t mem_size, uint64_t high_size,
            struct mb_load_result *res, char *err, size_t errlen)
{
    static struct mb_plan plan;
    if (nmods > MB_MAX_MODULES) {
        snprintf(err, errlen, "more than %u modules", MB_MAX_MODULES);
        return -1;
    }
    if (mb_plan(image, len, mem_size, &plan, err, errlen))
        return -1;
    for (unsigned i = 0; i < plan.nseg; i++) {
        const struct mb_seg *s = &plan.seg[i];
        memcpy(ram + s->paddr, image + s->off, s->filesz);
        memset(ram + s->paddr + s->filesz, 0, s->memsz - s->filesz);
    }
    struct lowmem lm = { ram, MB_INFO_GPA };
    uint32_t mbi = low_alloc(&lm, 128);
    uint32_t mmap_len = 0, mmap = build_mmap(&lm, mem_size, high_size, &mmap_len);
    uint32_t cmd = low_string(&lm, cmdline), loader = low_string(&lm, "Keel");
    uint32_t list = 0;
    uint64_t mods_end = plan.info.load_hi;
    if (!mbi || !mmap || !cmd || !loader) {
        snprintf(err, errlen, "the multiboot information does not fit below 640 KiB");
        return -1;
    }
    if (load_modules(&lm, mods, nmods, plan.info.load_hi, mem_size, &list, &mods_end, err, errlen))
        return -1;
    uint8_t *m = ram + mbi;
    wr32(m + 0, MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MODS | MBI_FLAG_MMAP | MBI_FLAG_LOADER);
    wr32(m + 4, MB_LOWMEM_END / 1024);
    wr32(m + 8, (uint32_t)((mem_size - MB_HIGHMEM) / 1024));
    wr32(m + 16, cmd);
    wr32(m + 20, nmods);
    wr32(m + 24, list);
    wr32(m + 44, mmap_len);
    wr32(m + 48, mmap);
    wr32(m + 64, loader);
    res->entry = plan.info.entry;
    res->info_gpa = mbi;
    res->modules_end = mods_end;
    return 0;
}
