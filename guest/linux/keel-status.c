/* SPDX-License-Identifier: MIT */
/*
 * keel-status N: sets the status the VM ends with at its next power-off
 * (Keel's power-off status port, KEEL_STATUS_PORT in hv/abi.h).
 * keel-status --tsc: prints the TSC in decimal (tools/keel bench linux:
 * under QEMU's -icount shift=0 it counts instructions).  A Linux
 * user program of the initramfs, built by the host compiler for x86-64
 * Linux without a C library (Debian's cloud kernel has no /dev/port, so
 * busybox cannot reach the port): ioperm(2) for the one port, then OUT.
 * Exit status 0, 1 on a bad argument, 2 when ioperm is refused.
 */
#include "hv/abi.h"

#define SYS_write  1
#define SYS_ioperm 173
#define SYS_exit   60

static long sys3(long nr, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

static void say(const char *s)
{
    long n = 0;
    while (s[n])
        n++;
    sys3(SYS_write, 2, (long)s, n);
}

static int parse_status(const char *s)
{
    int v = 0;
    if (!s || !*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 127)
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v > 127 ? -1 : v;
}

static void print_tsc(void)
{
    unsigned lo, hi;
    char buf[24], *p = buf + sizeof(buf);
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    unsigned long long t = (unsigned long long)hi << 32 | lo;
    *--p = '\0';
    *--p = '\n';
    do {
        *--p = (char)('0' + t % 10);
        t /= 10;
    } while (t);
    long n = 0;
    while (p[n])
        n++;
    sys3(SYS_write, 1, (long)p, n);
}

static int keel_status_main(long argc, char **argv)
{
    const char *tsc = "--tsc";
    if (argc == 2) {
        int i = 0;
        while (tsc[i] && argv[1][i] == tsc[i])
            i++;
        if (!tsc[i] && !argv[1][i]) {
            print_tsc();
            return 0;
        }
    }
    int v = argc == 2 ? parse_status(argv[1]) : -1;
    if (v < 0) {
        say("usage: keel-status N (0..127): the status of the VM's next power-off\n"
            "       keel-status --tsc: the TSC, in decimal\n");
        return 1;
    }
    if (sys3(SYS_ioperm, KEEL_STATUS_PORT, 1, 1) != 0) {
        say("keel-status: ioperm refused (not root?)\n");
        return 2;
    }
    __asm__ volatile("outb %b0, %w1" : : "a"((unsigned char)v), "Nd"((unsigned short)KEEL_STATUS_PORT));
    return 0;
}

/* The kernel's entry: RSP points at argc, then argv[]. */
__attribute__((used)) static void keel_status_start(long *sp)
{
    sys3(SYS_exit, keel_status_main(sp[0], (char **)(sp + 1)), 0, 0);
    for (;;)
        ;
}

__asm__(".globl _start\n_start:\n  mov %rsp, %rdi\n  and $-16, %rsp\n  call keel_status_start\n");
