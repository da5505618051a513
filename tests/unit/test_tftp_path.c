/* SPDX-License-Identifier: MIT */
/* boot/tftp_path.c: the boot file's directory on the TFTP server, and
 * keel.cfg paths joined to it. */
#include <string.h>

#include "boot/tftp_path.h"
#include "check.h"

static void test_boot_dir(void)
{
    char out[16];
    CHECK_EQ(tftp_boot_dir("keel.efi", 128, out, sizeof(out)), 0);
    CHECK(strcmp(out, "") == 0);
    CHECK_EQ(tftp_boot_dir("keel/x86/keel.efi", 128, out, sizeof(out)), 0);
    CHECK(strcmp(out, "keel/x86/") == 0);
    CHECK_EQ(tftp_boot_dir("\\efi\\boot\\bootx64.efi", 128, out, sizeof(out)), 0);
    CHECK(strcmp(out, "/efi/boot/") == 0);
    /* The DHCP 'file' field is 128 bytes and need not end with a NUL. */
    char field[8] = { 'a', '/', 'b', '/', 'c', 'd', 'e', 'f' };
    CHECK_EQ(tftp_boot_dir(field, sizeof(field), out, sizeof(out)), 0);
    CHECK(strcmp(out, "a/b/") == 0);
    CHECK_EQ(tftp_boot_dir("a/b/", 4, out, sizeof(out)), 0);
    CHECK(strcmp(out, "a/b/") == 0);
    /* Too long for OUT: refused, not truncated. */
    CHECK_EQ(tftp_boot_dir("0123456789abcdef/keel.efi", 128, out, sizeof(out)), -1);
    CHECK_EQ(tftp_boot_dir("0123456789abcd/k", 128, out, sizeof(out)), 0);
    CHECK(strcmp(out, "0123456789abcd/") == 0);
    CHECK_EQ(tftp_boot_dir("", 128, out, sizeof(out)), 0);
    CHECK(strcmp(out, "") == 0);
}

static void test_join(void)
{
    char out[16];
    CHECK_EQ(tftp_join("", "keel.cfg", out, sizeof(out)), 0);
    CHECK(strcmp(out, "keel.cfg") == 0);
    CHECK_EQ(tftp_join("k/", "g\\a.elf", out, sizeof(out)), 0);
    CHECK(strcmp(out, "k/g/a.elf") == 0);
    CHECK_EQ(tftp_join("k/", "", out, sizeof(out)), -1);
    CHECK_EQ(tftp_join("k/", "/etc/passwd", out, sizeof(out)), -1);
    CHECK_EQ(tftp_join("k/", "\\x", out, sizeof(out)), -1);
    CHECK_EQ(tftp_join("0123456789/", "abcd", out, sizeof(out)), 0);   /* 15 + NUL */
    CHECK(strcmp(out, "0123456789/abcd") == 0);
    CHECK_EQ(tftp_join("0123456789/", "abcde", out, sizeof(out)), -1);
}

int main(void)
{
    test_boot_dir();
    test_join();
    return check_report("test_tftp_path");
}
