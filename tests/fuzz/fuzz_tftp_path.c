/* SPDX-License-Identifier: MIT */
/*
 * boot/tftp_path.c: the DHCP boot file name and keel.cfg paths come from
 * the network and the user.  Input: n (1 byte, the output size), max
 * (1 byte), then BOOTFILE and PATH separated by the first NUL.
 * Invariants: both functions agree with a straightforward model (the
 * directory part up to the last separator, '\' as '/'; DIR + PATH), never
 * write past n bytes (the output buffer is exactly n bytes on the heap),
 * never read past max bytes of the boot file, and refuse instead of
 * truncating.
 */
#include "boot/tftp_path.h"
#include "fuzz.h"

/* The model of tftp_boot_dir: length of the directory part of s[0..len). */
static size_t model_dir_len(const char *s, size_t len)
{
    size_t dir = 0;

    for (size_t i = 0; i < len && s[i]; i++)
        if (s[i] == '/' || s[i] == '\\')
            dir = i + 1;
    return dir;
}

static void check_boot_dir(const char *boot, size_t blen, size_t max, size_t n)
{
    /* The boot file and its NUL, cut to max bytes, in a heap buffer of
     * exactly that size: reading past max (or the NUL) is an ASan report. */
    size_t avail = max < blen + 1 ? max : blen + 1;
    char *file = malloc(avail ? avail : 1);
    char *out = malloc(n ? n : 1);
    size_t dir;

    memcpy(file, boot, avail);
    dir = model_dir_len(file, max < blen ? max : blen);
    if (tftp_boot_dir(file, max, out, n) == 0) {
        FUZZ_ASSERT(dir + 1 <= n);
        FUZZ_ASSERT(strlen(out) == dir);
        for (size_t i = 0; i < dir; i++)
            FUZZ_ASSERT(out[i] == (file[i] == '\\' ? '/' : file[i]));
        FUZZ_ASSERT(dir == 0 || out[dir - 1] == '/');
    } else {
        FUZZ_ASSERT(dir + 1 > n);
    }
    free(file);
    free(out);
}

static void check_join(const char *dir, const char *path, size_t n)
{
    char *out = malloc(n ? n : 1);
    size_t dl = strlen(dir), pl = strlen(path);
    bool ok = pl > 0 && path[0] != '/' && path[0] != '\\' && dl + pl + 1 <= n;

    if (tftp_join(dir, path, out, n) == 0) {
        FUZZ_ASSERT(ok);
        FUZZ_ASSERT(strlen(out) == dl + pl);
        FUZZ_ASSERT(memcmp(out, dir, dl) == 0);
        for (size_t i = 0; i < pl; i++)
            FUZZ_ASSERT(out[dl + i] == (path[i] == '\\' ? '/' : path[i]));
    } else {
        FUZZ_ASSERT(!ok);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    size_t n = fuzz_u8(&in), max = fuzz_u8(&in);
    /* Two NUL-terminated strings from the rest. */
    char *text = calloc(in.n + 2, 1);
    const char *boot, *path;

    memcpy(text, in.p, in.n);
    boot = text;
    path = text + strlen(text) + 1;
    check_boot_dir(boot, strlen(boot), max, n);
    check_join(boot, path, n);
    free(text);
    return 0;
}
