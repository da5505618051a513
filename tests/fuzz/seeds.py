#!/usr/bin/env python3
# Writes the seed corpora tests/fuzz/corpus/<name>/ (committed; run this
# only to change them): a handful of valid inputs per harness, in the input
# format its fuzz_<name>.c describes.  Not needed to build or test.
#   python3 tests/fuzz/seeds.py
import os
import struct
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(name, seed, data):
    d = os.path.join(ROOT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, seed), "wb") as f:
        f.write(data)


def tftp_path():
    # n, max, BOOTFILE NUL PATH
    put("tftp_path", "nested", b"\x40\x80keel/x86/keel.efi\0keel.cfg")
    put("tftp_path", "backslash", b"\x40\x80\\efi\\boot\\bootx64.efi\0guests\\basic.elf")
    put("tftp_path", "top", b"\x10\x80keel.efi\0basic.elf")
    put("tftp_path", "short-out", b"\x08\x80abcdefgh/keel.efi\0x")
    put("tftp_path", "unterminated", b"\x40\x06a/b/cdefgh\0y")


# (mode, hex): 0 real, 1 16-bit protected, 2 32-bit, 3 64-bit.
X86 = [
    ("cpuid", 3, "0f a2"), ("rdmsr", 3, "0f 32"), ("wrmsr", 3, "0f 30"),
    ("vmmcall", 3, "0f 01 d9"), ("out-dx-al", 3, "ee"), ("in-al-imm", 2, "e4 71"),
    ("rep-outsb", 3, "f3 6e"), ("rep-insw-16", 0, "f3 6d"),
    ("mov-store-rip", 3, "89 05 f0 0f 00 00"), ("mov-load-sib", 3, "48 8b 44 8b 10"),
    ("mov-imm-disp32", 2, "c7 80 00 03 00 00 ff 00 00 00"),
    ("movzx-16", 1, "0f b7 47 04"), ("lock-xchg", 3, "f0 48 87 03"),
    ("lock-add-imm", 3, "f0 83 00 01"), ("mov-cr3", 3, "0f 22 d8"),
    ("amd-mov-cr8", 2, "f0 0f 20 c0"), ("movabs", 3, "48 a1 00 00 e0 fe 00 00 00 00"),
    ("seg-prefixes", 2, "26 2e 36 3e 64 65 66 67 89 00"), ("3dnow", 3, "0f 0f c1 b4"),
    ("vex", 3, "c5 f8 77"), ("enter", 0, "c8 10 00 01"), ("far-jmp", 2, "ea 00 00 10 00 08 00"),
    ("sse4-0f3a", 3, "66 0f 3a 0f c1 08"), ("too-long", 3, "66" * 15 + "90"),
]


def x86_decode():
    for name, mode, hexs in X86:
        put("x86_decode", name, bytes([mode]) + bytes.fromhex(hexs))


CFG = {
    "minimal": (4, "guest = builtin\ncpus = 1\n"),
    "docs-two-vms": (4, """# keel.cfg
log_level   = info
serial_port = 0x3f8
debug_exit  = 0xf4
on_exit     = halt

# vm0: the builtin test guest on CPUs 0-1
vm0.name    = tests
vm0.cpus    = 2
vm0.memory  = 64M

# vm1: a kernel with an initrd and a data module, on CPUs 2-3
vm1.name    = linux-ish
vm1.guest   = guests\\kernel.elf
vm1.cmdline = console=ttyS0 quiet
vm1.cpus    = 2
vm1.memory  = 1G
vm1.module  = guests/initrd.img
vm1.module  = guests/table.bin mode=fast level=3
"""),
    "triple-contained": (4, "debug_exit = 0xf4\nvm0.guest = basic.elf\nvm0.cpus = 2\n"
                            "vm0.cmdline = fault=triple\nvm1.guest = basic.elf\nvm1.cpus = 2\n"),
    "platform-keys": (2, "\ufeffconsole = com2,57600\r\nbochs_exit = yes\r\non_exit = reset\r\n"
                         "x2apic = no\r\ntsc_deadline = off\r\nmadt_x2apic = no\r\n"
                         "pit_lost_ticks = discard\r\nexit_port = yes\r\nirq_ports = 1\r\n"
                         "x2apic_exact_ids = true\r\napic_accel = no\r\nmemory = 0x8000000\r\n"),
    "eight-vms": (64, "".join("vm%d.guest = g%d.elf\nvm%d.cpus = %d\nvm%d.memory = %dM\n"
                              % (i, i, i, i + 1, i, 16 + 2 * i) for i in range(8))),
    "bad-line": (4, "guest = builtin\ncpus 1\n"),
    "too-many-cpus": (4, "vm0.guest = builtin\nvm0.cpus = 4\nvm1.guest = builtin\nvm1.cpus = 2\n"),
}


def config():
    for name, (ncpus, text) in CFG.items():
        put("config", name, bytes([ncpus]) + text.encode("utf-8"))


ACPI_BASE = 0xE0000  # FAKE_BASE of fuzz_acpi.c


def csum_fix(b, at):
    b[at] = (-sum(b)) & 0xFF
    return bytes(b)


def sdt(sig, body, rev=1):
    b = bytearray(sig + struct.pack("<IBB", 36 + len(body), rev, 0) + b"BOCHS BXPC    "
                  + struct.pack("<I", 1) + b"BXPC" + struct.pack("<I", 1) + body)
    return csum_fix(b, 9)


def rsdp(rsdt, xsdt=None):
    b = bytearray(b"RSD PTR " + b"\0" + b"BOCHS " + bytes([2 if xsdt else 0])
                  + struct.pack("<I", rsdt))
    csum_fix(b, 8)
    if xsdt is None:
        return bytes(b)
    b += struct.pack("<IQ", 36, xsdt) + b"\0\0\0\0"
    return csum_fix(b, 32)


def madt(ncpus, x2apic=False):
    e = b""
    for i in range(ncpus):
        if x2apic:
            e += struct.pack("<BBHIII", 9, 16, 0, i, 1, i)
        else:
            e += struct.pack("<BBBBI", 0, 8, i, i, 1)
    e += struct.pack("<BBBBII", 1, 12, 0, 0, 0xFEC00000, 0)               # I/O APIC
    for irq, gsi, fl in ((0, 2, 0), (5, 5, 0xD), (9, 9, 0xD), (10, 10, 0xD), (11, 11, 0xD)):
        e += struct.pack("<BBBBIH", 2, 10, 0, irq, gsi, fl)               # overrides
    e += struct.pack("<BBBHB", 4, 6, 0xFF, 0, 1)                          # LAPIC NMI
    return sdt(b"APIC", struct.pack("<II", 0xFEE00000, 1) + e, rev=3 if x2apic else 1)


def spcr(iftype=0, space=1, addr=0x2F8, baud=7):
    body = bytearray(44)
    body[0] = iftype
    body[4:16] = struct.pack("<BBBBQ", space, 8, 0, 1, addr)
    body[22] = baud
    return sdt(b"SPCR", bytes(body), rev=2)


def acpi_world(tables, xsdt=False):
    """RSDP at the base, then the root table, then the tables, 16-aligned."""
    mem = bytearray(0x40)
    addrs = []
    at = 0x40 + 36 + 8 * len(tables)
    at = (at + 15) & ~15
    blob = bytearray()
    for t in tables:
        addrs.append(ACPI_BASE + at + len(blob))
        blob += t + bytes((-len(t)) % 16)
    root = sdt(b"XSDT" if xsdt else b"RSDT",
               b"".join(struct.pack("<Q" if xsdt else "<I", a) for a in addrs))
    mem[0:36] = rsdp(0 if xsdt else ACPI_BASE + 0x40, ACPI_BASE + 0x40 if xsdt else None).ljust(36, b"\0")
    mem += root
    mem += bytes(at - len(mem))
    return bytes(mem + blob)


def acpi():
    facp = sdt(b"FACP", bytes(80))
    hpet = sdt(b"HPET", bytes(20))
    put("acpi", "qemu-pc", acpi_world([facp, madt(4), hpet]))
    put("acpi", "qemu-pc-spcr", acpi_world([facp, madt(2), spcr()]))
    put("acpi", "qemu-q35-xsdt", acpi_world([facp, madt(4), hpet, spcr(0x12, 1, 0x3F8, 0)], True))
    put("acpi", "x2apic", acpi_world([madt(8, x2apic=True)], True))
    put("acpi", "spcr-mmio", acpi_world([spcr(3, 0, 0xFEDC9000, 6), madt(1)]))


MB_MAGIC = 0x1BADB002


def mb_header(flags, aout=None):
    h = struct.pack("<III", MB_MAGIC, flags, (-(MB_MAGIC + flags)) & 0xFFFFFFFF)
    if aout:
        h += struct.pack("<5I", *aout)
    return h


def elf32(code=b"\xf4" * 16, bss=0x1000):
    img = bytearray(0x100)
    img[0:16] = b"\x7fELF\x01\x01\x01" + bytes(9)
    img[16:52] = struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, 0x100080, 0x40, 0, 0, 52, 32, 1, 40, 0, 0)
    img[0x60:0x60 + 12] = mb_header(3)
    img[0x80:0x80 + len(code)] = code
    img[0x40:0x60] = struct.pack("<8I", 1, 0, 0x100000, 0x100000, len(img), len(img) + bss, 7, 0x1000)
    return bytes(img)


def elf64():
    img = bytearray(0x100)
    img[0:16] = b"\x7fELF\x02\x01\x01" + bytes(9)
    img[16:64] = struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0x100080, 0x40, 0, 0, 64, 56, 1, 64, 0, 0)
    img[0xa0:0xa0 + 12] = mb_header(2)
    img[0x80:0x90] = b"\xf4" * 16
    img[0x40:0x78] = struct.pack("<IIQQQQQQ", 1, 7, 0, 0x100000, 0x100000, len(img), len(img) + 64, 0x1000)
    return bytes(img)


def aout():
    # header at 0x10: header_addr, load_addr, load_end_addr, bss_end_addr, entry
    img = bytearray(0x80)
    img[0x10:0x30] = mb_header(0x10003, (0x100010, 0x100000, 0x100080, 0x102000, 0x100040))
    img[0x40:0x50] = b"\xf4" * 16
    return bytes(img)


def multiboot():
    put("multiboot", "elf32", b"\x10\x00" + elf32())
    put("multiboot", "elf64", b"\x10\x00" + elf64())
    put("multiboot", "aout-kludge", b"\x10\x00" + aout())
    # two modules: slices [0x10, 0x30) and [0x80, 0x100) of the image
    put("multiboot", "elf32-2mods", b"\x20\x02" + struct.pack("<HHHH", 0x10, 0x20, 0x80, 0x80) + elf32())


def walk_seed(mode, gva, cr3, entries, flags=0, access=0, length=16):
    mem = bytearray(0x4000)
    for addr, size, val in entries:
        mem[addr:addr + size] = val.to_bytes(size, "little")
    return (bytes([mode, flags, 0, access]) + struct.pack("<QBH", gva, length, cr3)
            + bytes(mem.rstrip(b"\0")))


def guest_walk():
    put("guest_walk", "paging-off", walk_seed(0, 0x1ff8, 0, []))
    put("guest_walk", "32bit-4k", walk_seed(1, 0xabc, 0x1000, [(0x1000, 4, 0x2007), (0x2000, 4, 0x3007)],
                                            flags=1, access=3))
    put("guest_walk", "32bit-pse-4m", walk_seed(2, 0x400123, 0x1000, [(0x1004, 4, 0x400087)]))
    put("guest_walk", "pae-4k", walk_seed(3, 0xff8, 0x1000, [(0x1000, 8, 0x2001), (0x2000, 8, 0x3007),
                                                             (0x3000, 8, 0x8000000000000007)],
                                          flags=2, access=4))
    put("guest_walk", "long4-2m", walk_seed(4, 0x1234, 0x1000, [(0x1000, 8, 0x2007), (0x2000, 8, 0x3007),
                                                                (0x3000, 8, 0x87)], flags=16 | 1, access=1))
    put("guest_walk", "long5-1g", walk_seed(5, 0x3ff8, 0x0000, [(0x0000, 8, 0x1007), (0x1000, 8, 0x2007),
                                                                (0x2000, 8, 0x83)], flags=12, access=2))


def vl_setup(flags=0x07, apic_id=0, tick=1, tsc=1000):
    return bytes([flags, apic_id, tick]) + struct.pack("<I", tsc)


def vl_mmio_w(off, val):
    return bytes([1]) + struct.pack("<HBI", off >> 4, 0, val)


def vl_msr_w(reg_off, val):
    return bytes([3, reg_off >> 4]) + struct.pack("<Q", val)


def vl_time(d, fire=True):
    return bytes([16, 0x80 if fire else 0]) + struct.pack("<H", d)


ACK, EOI_REG = bytes([10]), bytes([11, 2])


def vlapic():
    put("vlapic", "xapic-periodic-timer", vl_setup() + vl_mmio_w(0xF0, 0x1FF)
        + vl_mmio_w(0x320, (1 << 17) | 0x40) + vl_mmio_w(0x3E0, 0xB) + vl_mmio_w(0x380, 1000)
        + vl_time(1500) + ACK + EOI_REG + vl_time(700) + vl_mmio_w(0x3E0, 0x3) + vl_time(9000))
    put("vlapic", "x2apic-self-ipi", vl_setup(apic_id=5) + bytes([5, 1]) + vl_msr_w(0xF0, 0x1FF)
        + vl_msr_w(0x3F0, 0x55) + ACK + EOI_REG + bytes([4]) + struct.pack("<Q", (1 << 18) | 0x66)
        + ACK + bytes([12, 0x70]) + bytes([4]) + struct.pack("<Q", (5 << 32) | 0x8066) + EOI_REG)
    put("vlapic", "tsc-deadline", vl_setup() + vl_mmio_w(0xF0, 0x1FF) + vl_mmio_w(0x320, (2 << 17) | 0x50)
        + bytes([19, 1]) + struct.pack("<H", 500) + vl_time(600) + ACK + EOI_REG)
    put("vlapic", "lint0-level", vl_setup() + vl_mmio_w(0xF0, 0x1FF) + vl_mmio_w(0x350, 0x8070)
        + bytes([8, 2]) + ACK + EOI_REG + bytes([8, 0]))
    put("vlapic", "init-sipi", vl_setup(flags=0x06) + vl_mmio_w(0xF0, 0x1FF) + bytes([7, 5, 0])
        + bytes([7, 6, 0x9A]) + bytes([14]) + bytes([15, 1]) + bytes([7, 4, 0]) + bytes([14]))


def ioapic():
    def sel(reg):
        return bytes([0, reg])

    def win(val):
        return bytes([1]) + struct.pack("<I", val)
    edge = sel(0x12) + win(0x31) + sel(0x13) + win(0x01000000) + bytes([3, 0x81, 3, 0x01, 3, 0x81])
    level = (sel(0x14) + win(0x8041) + bytes([3, 0x82]) + bytes([4, 1]) + bytes([3, 0x02])
             + bytes([4, 3]) + bytes([5, 0x14, 5, 0x01, 5, 0x00]))
    put("ioapic", "edge-pin1", bytes([2]) + edge)
    put("ioapic", "level-pin2-eoi", bytes([2]) + level)
    put("ioapic", "eoi-register", bytes([0]) + level + bytes([2]) + struct.pack("<HI", 0x40, 0x41))


def pic():
    def w(port_idx, val):
        return bytes([0, port_idx, val])
    init = (w(0, 0x11) + w(1, 0x20) + w(1, 0x04) + w(1, 0x01) + w(2, 0x11) + w(3, 0x28)
            + w(3, 0x02) + w(3, 0x01) + w(1, 0xF8) + w(3, 0xFE))
    put("pic", "linux-init-irq0", init + bytes([2, 0x80, 3]) + w(0, 0x20) + bytes([2, 0x00]))
    put("pic", "slave-irq8", init + bytes([2, 0x88, 3]) + w(2, 0x20) + w(0, 0x20) + w(0, 0x0B)
        + bytes([1, 0]))
    put("pic", "elcr-level-aeoi", w(0, 0x11) + w(1, 0x30) + w(1, 0x04) + w(1, 0x03) + w(1, 0x00)
        + w(4, 0x20) + bytes([2, 0x85, 3, 3]) + w(0, 0x0C) + bytes([1, 0]))


def pit():
    def w(port_idx, val):
        return bytes([0, port_idx, val])

    def t(k, d):
        return bytes([2, k]) + struct.pack("<H", d)
    hz100 = w(3, 0x34) + w(0, 0x9C) + w(0, 0x2E)
    put("pit", "mode2-100hz-reinject", bytes([0]) + struct.pack("<I", 5000) + hz100
        + t(0x88, 39063) + bytes([3, 4, 5]) + t(0x08, 60000) + bytes([3, 4, 4]) + w(3, 0xC2)
        + bytes([1, 0, 1, 0, 1, 0]))
    put("pit", "counter2-calibration", bytes([1]) + struct.pack("<I", 0) + w(4, 0x01) + w(3, 0xB0)
        + w(2, 0xFF) + w(2, 0xFF) + t(0x04, 3000) + bytes([1, 4, 1, 2, 1, 2]))
    put("pit", "mode0-oneshot-discard", bytes([1]) + struct.pack("<I", 77) + w(3, 0x30) + w(0, 0x10)
        + w(0, 0x00) + t(0x90, 1) + bytes([3, 5]))


def uart():
    def w(off, val):
        return bytes([off << 2, val])

    def r(off):
        return bytes([(off << 2) | 1])
    setup = w(3, 0x80) + w(0, 0x01) + w(1, 0x00) + w(3, 0x03) + w(2, 0xC7) + w(4, 0x0B) + w(1, 0x01)
    put("uart", "fifo-rx-hello", setup + bytes([2, 5]) + b"hello" + r(2) + r(5) + r(0) * 5 + r(2))
    put("uart", "thr-interrupt", setup + w(1, 0x03) + r(2) + w(0, ord("x")) + r(2) + r(5))
    put("uart", "loopback", setup + w(4, 0x1B) + w(0, 0x41) + r(5) + r(0) + r(6) + w(4, 0x0B) + r(6))
    put("uart", "16450-overrun", w(4, 0x08) + w(1, 0x05) + bytes([2, 3]) + b"abc" + r(5) + r(0) + r(5))


def avic_model():
    def world(flags, maxi, pat, entries):
        return bytes([flags]) + struct.pack("<HB", maxi, pat) + b"".join(bytes(e) for e in entries)

    def vmrun_all():
        return bytes([0x00, 0x10, 0x20, 0x30])

    def icr(p, dest, lo):
        return bytes([(p << 4) | 10, dest]) + struct.pack("<I", lo)

    def msr_w(p, idx, val):
        return bytes([(p << 4) | 5, idx]) + struct.pack("<Q", val)

    def take(p):
        return bytes([(p << 4) | 6])

    def eoi(p):
        return bytes([(p << 4) | 7])
    running = [(0x03 | (v << 4), 0x80 | v) for v in range(4)]
    put("avic_model", "xapic-ipis", world(0x00, 3, 0, running) + vmrun_all()
        + icr(0, 1, 0x41) + take(1) + eoi(1) + bytes([0x0C, 0x20]) + icr(2, 0x0F, 0x800 | 0x52)
        + take(3) + take(0) + icr(1, 0, (3 << 18) | 0x66) + take(0) + take(2) + eoi(0)
        + icr(3, 0, (1 << 18) | 0x70) + take(3) + icr(0, 1, 0x400 | 0x4000))
    put("avic_model", "x2avic-msrs", world(0x0D, 7, 0x00, running) + vmrun_all()
        + bytes([0x0B]) + struct.pack("<Q", (2 << 32) | 0x61) + take(2) + bytes([0x04, 0x02])
        + msr_w(0, 0x08, 0x30) + msr_w(0, 0x3F, 0x77) + take(0) + eoi(0) + msr_w(1, 0x32, 0x100ef)
        + bytes([0x10]) + bytes([0x09, 2, 0x50]) + take(2) + msr_w(3, 0x02, 5))
    not_running = list(running)
    not_running[1] = (0x01 | (1 << 4), 0x81)
    put("avic_model", "not-running-doorbell", world(0x00, 3, 0, not_running) + bytes([0x00, 0x20])
        + icr(0, 1, 0x45) + bytes([0x00]) + bytes([0x18, 2]) + bytes([0x10]) + take(1)
        + bytes([0x09, 2, 0x90]) + take(2) + bytes([0x28, 2]) + take(2))
def ivhd(typ, devid, base, entries, feat=0):
    head = struct.pack("<BBHHHQHH", typ, 0xB0, 0, devid, 0x40, base, 0, 0)
    head += struct.pack("<I", feat) if typ == 0x10 else struct.pack("<IQQ", 0, feat, 0)
    b = bytearray(head + entries)
    struct.pack_into("<H", b, 2, len(b))
    return bytes(b)


def dmar_struct(typ, fixed, scopes):
    return struct.pack("<HH", typ, 4 + len(fixed) + len(scopes)) + fixed + scopes


def dscope(typ, enum_id, bus, *path):
    return struct.pack("<BBHBB", typ, 6 + 2 * len(path), 0, enum_id, bus) + bytes(
        x for hop in path for x in hop)


def iommu_tables():
    # Byte 0: bit 0 DMAR (else IVRS), bit 1 the harness fixes signature, length, checksum.
    dev4 = lambda t, i, dte=0: struct.pack("<BHB", t, i, dte)
    dev8 = lambda t, i, hi, dte=0: struct.pack("<BHBI", t, i, dte, hi)
    qemu_entries = dev4(3, 0x0000) + dev4(4, 0xFFFF) + dev8(0x48, 0, 0x00 | 0xA0 << 8 | 1 << 24, 0xD7)
    ivrs_body = struct.pack("<IQ", (64 << 15) | (48 << 8), 0)
    qemu_ivrs = sdt(b"IVRS", ivrs_body + ivhd(0x10, 0x0010, 0xFED80000, qemu_entries, 1 << 6)
                    + ivhd(0x11, 0x0010, 0xFED80000, qemu_entries, (1 << 7)))
    put("iommu_tables", "ivrs-qemu", b"\x00" + qemu_ivrs)
    rich = (dev4(1, 0) + dev4(2, 0x10) + dev8(0x42, 0x200, 0x030000) + dev8(0x43, 0x300, 0x040000)
            + dev4(4, 0x3FF) + dev8(0x46, 0x210, 0x80000000) + dev8(0x47, 0x500, 0) + dev4(4, 0x5FF)
            + dev8(0x48, 0, 0x21 | 0xA0 << 8 | 1 << 24) + dev8(0x48, 0, 0xA1 << 8 | 2 << 24)
            + struct.pack("<BHB8s8sBB", 0xF0, 0xA5, 0, b"AMDI0020", b"\0" * 8, 2, 2) + b"AB")
    ivmd = struct.pack("<BBHHHQQQ", 0x21, 7, 32, 0x10, 0, 0, 0x7F000000, 0x100000)
    put("iommu_tables", "ivrs-rich", b"\x02" + sdt(b"IVRS", ivrs_body + ivhd(0x40, 2, 0xFD200000, rich, 0x84)
                                                   + ivhd(0x40, 0x4002, 0xFD300000, dev4(2, 0x800)) + ivmd))
    dmar_body = struct.pack("<BB10x", 38, 1)
    ioapic = dscope(3, 0, 0, (0x1F, 0))
    qemu_dmar = sdt(b"DMAR", dmar_body + dmar_struct(0, struct.pack("<BBHQ", 1, 0, 0, 0xFED90000), ioapic))
    put("iommu_tables", "dmar-qemu", b"\x01" + qemu_dmar)
    units = (dmar_struct(0, struct.pack("<BBHQ", 0, 0, 0, 0xFED90000),
                         dscope(1, 0, 0, (2, 0)) + dscope(2, 0, 0, (0x1C, 0)) + dscope(1, 0, 0, (0x1D, 0), (0, 0)))
             + dmar_struct(0, struct.pack("<BBHQ", 1, 0, 0, 0xFED91000), ioapic + dscope(4, 0, 0, (0xF, 0)))
             + dmar_struct(1, struct.pack("<HHQQ", 0, 0, 0x7C000000, 0x7C7FFFFF), dscope(1, 0, 0, (0x14, 0)))
             + dmar_struct(2, struct.pack("<BBH", 0, 0, 0), dscope(2, 0, 0, (0x1C, 0)))
             + dmar_struct(3, struct.pack("<IQI", 0, 0xFED90000, 0), b""))
    put("iommu_tables", "dmar-rich", b"\x03" + sdt(b"DMAR", struct.pack("<BB10x", 45, 3) + units))


def shell():
    # first byte: VM count; then what a user types (Ctrl-A x3 moves the input)
    esc = b"\x01\x01\x01"
    put("shell", "commands", b"\x01" + esc + b"help\rcpus\rvms\rvcpu 0.0\rapic vm0.1\r"
        b"inhibits\rstats\rlog debug\rmem 0 0x1000 64\rvm stop 0\r")
    put("shell", "bad-args", b"\x02" + esc + esc + b"mem 0 0xffffffffffffffff 2\rvcpu x\r"
        b"frob\rmem 1 2 99999\rlog loud\rvm start 1\r")
    put("shell", "editing", b"\x01" + esc + b"vmx\x7fs\rjunk\x15stats\r\x1b[A\x1b[A\x1b[B\r"
        b"abc\x03\x1bOA\r" + esc + b"\x01x")


def irq_post():
    # byte 0: 0 AMD-Vi, 1 VT-d; then registers, table entries (slot of 8 bytes
    # + value), pointer choices and a program of MSIs (fuzz_irq_post.c)
    def slots(entries):
        return bytes([len(entries)]) + b"".join(struct.pack("<HQ", i, v) for i, v in entries)

    def amd(ctl, table, msis, head=0, tail=0, status=0):
        regs = struct.pack("<QQBBIIHB", ctl, 0x0800000000000000, 1, 1, head, tail, status, 0)
        prog = b"".join(b"\x00" + struct.pack("<4QBIIBH", 0, 0, q2, 0, 1, 0, data, 1, 0x12)
                        for q2, data in msis)
        return b"\x00" + regs + slots(table) + b"\x01" + prog

    def vtd(irta, table, pid, msis):
        regs = struct.pack("<HBIQQ", irta, 1, 0x03000000, 1 << 59, 0x18)
        prog = b"".join(b"\x00" + struct.pack("<HBIBH", sid, 1, addr, 1, data) for sid, addr, data in msis)
        return b"\x01" + regs + slots(table) + b"\x01\x00" + pid.ljust(128, b"\x00") + prog

    q2 = 0x2000000000000009  # IV, 16 entries, IntCtl remapped
    ga = 0x32020000          # GAEn, GAMEn 001b, GALogEn, GAIntEn
    put("irq_post", "amd-remapped", amd(ga, [(6, 0x501), (7, 0x41)], [(q2, 3), (q2, 3)]))
    put("irq_post", "amd-running", amd(ga, [(8, 0xcafe0001000002c1), (9, 0x51)], [(q2, 4)]))
    put("irq_post", "amd-galog", amd(ga, [(10, 0x0000077700000085), (11, 0x30)], [(q2, 5)] * 3,
                                     head=0x10, tail=0x0))
    put("irq_post", "amd-legacy", amd(0, [(1, 0x00610741)], [(q2, 2), (0, 0x4031)]))
    pid = bytes(32) + struct.pack("<Q", 0x0000040000f20000)
    put("irq_post", "vtd-remapped", vtd(0x007, [(20, 0x0000030000450001)], pid,
                                        [(0x10, 0xfee00150, 0), (0x10, 0xfee03000, 0x31)]))
    put("irq_post", "vtd-posted", vtd(0x007, [(40, 0x0000000000558001), (42, 0x000000000055c001)], pid,
                                      [(0x10, 0xfee00290, 0), (0x10, 0xfee00290, 0), (0x10, 0xfee002b0, 0)]))


def vtd_ir():
    # ops of tests/fuzz/fuzz_vtd_ir.c; RAM at 0x10000, the queue at its start,
    # the interrupt remapping table at +0x1000 (op 5 sets both up)
    def reg_w(off, val, size8=False):
        return bytes([0]) + struct.pack("<HBQ", off, 1 if size8 else 0, val)

    def mem_w(off, val):
        return bytes([2]) + struct.pack("<HQ", off // 8, val)

    def rte(val, sid):
        return bytes([3]) + struct.pack("<QH", val, sid)

    def msi(addr, data, sid):
        return bytes([4]) + struct.pack("<IIH", addr, data, sid)

    setup = bytes([5, 0x87])  # EIME, 256 entries
    irte5 = mem_w(0x1000 + 5 * 16, 1 | (0x31 << 16) | (1 << 32)) + mem_w(0x1000 + 5 * 16 + 8,
                                                                          (1 << 18) | 0xf0f8)
    put("vtd_ir", "ioapic-remapped", setup + irte5 + rte((1 << 48) | (5 << 49) | 5, 0xf0f8))
    put("vtd_ir", "msi-shv", setup + irte5 + msi(0x18 | (3 << 5), 2, 0xf0f8))
    wait = mem_w(0, 5 | (1 << 5) | (0x1234 << 32)) + mem_w(8, 0x10800)
    put("vtd_ir", "queue-wait", setup + wait + reg_w(0x88, 0x10))
    put("vtd_ir", "queue-error", setup + mem_w(0, 0xf) + reg_w(0x88, 0x10) + reg_w(0x34, 0x10))
    put("vtd_ir", "faults", setup + reg_w(0x38, 0) + reg_w(0x40, 0xfee00000) +
        rte((1 << 48) | (300 << 49), 0) + rte(0x30, 0) + reg_w(0x40c, 0x80000000))


def pci_msix():
    # header: host table size - 1, Keel's vectors; then (op, offset, value):
    # op bit 0 write, bits 3:1 size index (1, 2, 4, 8, ...), bit 4 config space.
    def acc(write, size, off, val, cfg=False):
        op = int(write) | {1: 0, 2: 1, 4: 2, 8: 3, 3: 4}[size] << 1 | (0x10 if cfg else 0)
        return struct.pack("<BHQ", op, off, val)
    t = 0x800
    prog = (acc(1, 8, t + 16, 0xfee01000) + acc(1, 8, t + 24, 0x41) +
            acc(1, 2, 0x42, 0x8000, True) + acc(0, 4, t + 28, 0) +
            acc(1, 4, t + 28, 1) + acc(0, 8, 0x3000, 0) + acc(1, 4, t + 28, 0))
    put("pci_msix", "program-unmask", b"\x04\x08" + prog)
    put("pci_msix", "function-mask", b"\x04\x02" + acc(1, 8, t, 0xfee00000) + acc(1, 8, t + 8, 0x30) +
        acc(1, 4, 0x40, 0xc0000000, True) + acc(1, 4, 0x40, 0x80000000, True))
    put("pci_msix", "odd-sizes", b"\x07\x03" + acc(1, 2, t + 12, 0) + acc(1, 4, t + 14, 0) +
        acc(0, 1, t, 0) + acc(1, 8, t + 4, 0) + acc(1, 4, t + 0x70, 0) + acc(0, 3, t, 0))


def main():
    for gen in (tftp_path, x86_decode, config, acpi, multiboot, guest_walk, vlapic, ioapic, pic, pit, uart,
                avic_model, iommu_tables, shell):
        gen()
    irq_post()
    vtd_ir()
    pci_msix()
    return 0


if __name__ == "__main__":
    sys.exit(main())
