/* SPDX-License-Identifier: MIT */
/*
 * The system hooks newlib calls (built with --disable-newlib-supplied-
 * syscalls, which calls them without a leading underscore; docs/platforms.md).
 * Output goes to the hypervisor console; the heap is a fixed arena; there
 * are no files.  malloc is made safe across CPUs by __malloc_lock.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "hv/host/console.h"
#include "hv/host/panic.h"
#include "hv/host/percpu.h"
#include "hv/host/spinlock.h"

#undef errno
extern int errno;

struct _reent;

/* The arena is in .data (gnu-efi images have no real .bss): keep it small;
 * the hypervisor's own allocations use hv/mm/mem.c, not malloc. */
#define HEAP_SIZE (64u * 1024u)
static uint8_t heap[HEAP_SIZE] __attribute__((aligned(16)));
static size_t heap_used;

int write(int fd, const void *buf, size_t n);
int read(int fd, void *buf, size_t n);
void *sbrk(ptrdiff_t incr);
int close(int fd);
int fstat(int fd, struct stat *st);
int isatty(int fd);
off_t lseek(int fd, off_t off, int whence);
int kill(int pid, int sig);
int getpid(void);
void _exit(int status);
void __malloc_lock(struct _reent *r);
void __malloc_unlock(struct _reent *r);

int write(int fd, const void *buf, size_t n)
{
    if (fd != 1 && fd != 2) {
        errno = EBADF;
        return -1;
    }
    con_write(buf, n);
    return (int)n;
}

int read(int fd, void *buf, size_t n) { errno = EBADF; return -1; }

void *sbrk(ptrdiff_t incr)
{
    if (incr < 0 || (size_t)incr > HEAP_SIZE - heap_used) {
        errno = ENOMEM;
        return (void *)-1;
    }
    void *p = heap + heap_used;
    heap_used += (size_t)incr;
    return p;
}

int close(int fd) { errno = EBADF; return -1; }

int fstat(int fd, struct stat *st)
{
    st->st_mode = S_IFCHR;
    return 0;
}

int isatty(int fd) { return fd <= 2; }
off_t lseek(int fd, off_t off, int whence) { return 0; }
int kill(int pid, int sig) { errno = EINVAL; return -1; }
int getpid(void) { return 1; }

void _exit(int status)
{
    panic("newlib called _exit(%d)", status);
}

/* A recursive lock: newlib may re-enter malloc from within malloc. */
static struct spinlock malloc_spin = SPINLOCK_INIT;
static volatile int malloc_owner = -1;
static unsigned malloc_depth;

void __malloc_lock(struct _reent *r)
{
    struct percpu *pc = this_cpu_or_null();
    int me = pc ? (int)pc->index : 0;
    if (malloc_owner == me) {
        malloc_depth++;
        return;
    }
    spin_lock(&malloc_spin);
    malloc_owner = me;
    malloc_depth = 1;
}

void __malloc_unlock(struct _reent *r)
{
    if (--malloc_depth == 0) {
        malloc_owner = -1;
        spin_unlock(&malloc_spin);
    }
}
