/* SPDX-License-Identifier: MIT */
/*
 * newlib's system hooks.  Built with --disable-newlib-supplied-syscalls,
 * newlib's _write_r etc. call the plain POSIX names, so those are what the
 * runtime defines: stdout and stderr are the console, nothing else exists.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_internal.h"

int write(int fd, const void *buf, size_t n)
{
    if (fd != STDOUT_FILENO && fd != STDERR_FILENO) {
        errno = EBADF;
        return -1;
    }
    rt_console_write(buf, n);
    return (int)n;
}

int read(int fd, void *buf, size_t n)
{
    return 0;   /* end of file */
}

int close(int fd)
{
    errno = EBADF;
    return -1;
}

int fstat(int fd, struct stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_mode = S_IFCHR;
    return 0;
}

int isatty(int fd)
{
    return fd >= STDIN_FILENO && fd <= STDERR_FILENO;
}

off_t lseek(int fd, off_t offset, int whence)
{
    errno = ESPIPE;
    return -1;
}

int kill(pid_t pid, int sig)
{
    errno = EINVAL;
    return -1;
}

pid_t getpid(void)
{
    return 1;
}

void _exit(int status)
{
    rt_exit(status);
}
