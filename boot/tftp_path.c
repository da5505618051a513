/* SPDX-License-Identifier: MIT */
#include "boot/tftp_path.h"

int tftp_boot_dir(const char *bootfile, size_t max, char *out, size_t n)
{
    size_t len = 0, dir = 0;
    while (len < max && bootfile[len]) {
        if (bootfile[len] == '/' || bootfile[len] == '\\')
            dir = len + 1;
        len++;
    }
    if (dir + 1 > n)
        return -1;
    for (size_t i = 0; i < dir; i++)
        out[i] = bootfile[i] == '\\' ? '/' : bootfile[i];
    out[dir] = 0;
    return 0;
}

int tftp_join(const char *dir, const char *path, char *out, size_t n)
{
    size_t k = 0;
    if (!path[0] || path[0] == '/' || path[0] == '\\')
        return -1;
    for (size_t i = 0; dir[i]; i++) {
        if (k + 1 >= n)
            return -1;
        out[k++] = dir[i];
    }
    for (size_t i = 0; path[i]; i++) {
        if (k + 1 >= n)
            return -1;
        out[k++] = path[i] == '\\' ? '/' : path[i];
    }
    out[k] = 0;
    return 0;
}
