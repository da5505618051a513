/* SPDX-License-Identifier: MIT */
/*
 * mkcpio: writes a "newc" cpio archive (the format the Linux kernel unpacks
 * as an initramfs: Documentation/driver-api/early-userspace/buffer-format.rst)
 * to stdout from entries named on the command line.  Every entry is owned
 * by root with mtime 0, so the archive is the same on every build, and
 * device nodes are written without being created on the build machine (no
 * root, no mknod).  A host build tool: it runs at build time only.
 *
 *   mkcpio ENTRY...
 *     dir:NAME:MODE                 a directory
 *     file:NAME:MODE:SOURCE         a regular file with SOURCE's contents
 *     slink:NAME:TARGET             a symbolic link
 *     nod:NAME:MODE:c|b:MAJOR:MINOR a character or block device
 *
 * NAME is the path inside the archive, without a leading '/'; MODE is octal
 * permission bits.  Exit status 0, or 1 after a message naming the bad entry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_IFMT_DIR  0040000u
#define S_IFMT_REG  0100000u
#define S_IFMT_LNK  0120000u
#define S_IFMT_CHR  0020000u
#define S_IFMT_BLK  0060000u
#define MAX_FIELDS  6
#define MAX_FILE    (256u << 20)

static unsigned long next_ino = 1;
static unsigned long long out_bytes;

static void put(const void *p, size_t n)
{
    if (fwrite(p, 1, n, stdout) != n) {
        fprintf(stderr, "mkcpio: write error: %s\n", strerror(errno));
        exit(1);
    }
    out_bytes += n;
}

static void pad4(void)
{
    static const char zero[4];
    put(zero, (size_t)((4 - out_bytes % 4) % 4));
}

/* One entry: the 110-byte ASCII header (magic 070701 and 13 eight-digit
 * hex fields), the NUL-terminated name, padding to 4 bytes, the data,
 * padding to 4 bytes. */
static void entry(const char *name, unsigned mode, unsigned nlink, unsigned rmaj, unsigned rmin,
                  const void *data, size_t len)
{
    char hdr[160]; /* 110 bytes when every field fits 8 digits */
    size_t namesize = strlen(name) + 1;
    int n = snprintf(hdr, sizeof(hdr), "070701%08lX%08X%08X%08X%08X%08X%08lX%08X%08X%08X%08X%08lX%08X",
             next_ino++, mode, 0u, 0u, nlink, 0u, (unsigned long)len, 0u, 0u, rmaj, rmin,
             (unsigned long)namesize, 0u);
    if (n != 110) {
        fprintf(stderr, "mkcpio: entry %s: a field does not fit the newc header\n", name);
        exit(1);
    }
    put(hdr, 110);
    put(name, namesize);
    pad4();
    put(data, len);
    pad4();
}

static void *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "mkcpio: cannot open %s: %s\n", path, strerror(errno));
        exit(1);
    }
    char *buf = malloc(MAX_FILE);
    if (!buf)
        exit(1);
    *len = fread(buf, 1, MAX_FILE, f);
    if (ferror(f) || !feof(f)) {
        fprintf(stderr, "mkcpio: cannot read %s (or larger than %u bytes)\n", path, MAX_FILE);
        exit(1);
    }
    fclose(f);
    return buf;
}

static unsigned parse_num(const char *s, int base, const char *arg)
{
    char *end;
    unsigned long v = strtoul(s, &end, base);
    if (!*s || *end || v > 0xffffffu) {
        fprintf(stderr, "mkcpio: bad number '%s' in '%s'\n", s, arg);
        exit(1);
    }
    return (unsigned)v;
}

static void add(char *arg)
{
    char copy[4096], *f[MAX_FIELDS];
    unsigned n = 0;
    snprintf(copy, sizeof(copy), "%s", arg);
    for (char *p = copy, *tok; n < MAX_FIELDS && (tok = strsep(&p, ":")) != NULL;)
        f[n++] = tok;
    if (n == 3 && !strcmp(f[0], "dir")) {
        entry(f[1], S_IFMT_DIR | parse_num(f[2], 8, arg), 2, 0, 0, "", 0);
    } else if (n == 4 && !strcmp(f[0], "file")) {
        size_t len;
        void *data = read_file(f[3], &len);
        entry(f[1], S_IFMT_REG | parse_num(f[2], 8, arg), 1, 0, 0, data, len);
        free(data);
    } else if (n == 3 && !strcmp(f[0], "slink")) {
        entry(f[1], S_IFMT_LNK | 0777u, 1, 0, 0, f[2], strlen(f[2]));
    } else if (n == 6 && !strcmp(f[0], "nod") && (!strcmp(f[3], "c") || !strcmp(f[3], "b"))) {
        unsigned type = f[3][0] == 'c' ? S_IFMT_CHR : S_IFMT_BLK;
        entry(f[1], type | parse_num(f[2], 8, arg), 1, parse_num(f[4], 10, arg),
              parse_num(f[5], 10, arg), "", 0);
    } else {
        fprintf(stderr, "mkcpio: bad entry '%s' (dir:NAME:MODE, file:NAME:MODE:SOURCE, "
                "slink:NAME:TARGET, nod:NAME:MODE:c|b:MAJOR:MINOR)\n", arg);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mkcpio ENTRY... > archive.cpio\n");
        return 1;
    }
    for (int i = 1; i < argc; i++)
        add(argv[i]);
    next_ino = 0;
    entry("TRAILER!!!", 0, 1, 0, 0, "", 0);
    return fflush(stdout) ? 1 : 0;
}
