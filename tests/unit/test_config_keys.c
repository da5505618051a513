/* SPDX-License-Identifier: MIT */
/*
 * The keel.cfg keys are listed in three places: the parser's table
 * (boot/config_keys.c config_keys[]), the reference (docs/config.md, one table
 * for global keys and one for VM keys) and the launcher's help
 * (tools/keel, KEEL_CFG_GLOBAL_KEYS and KEEL_CFG_VM_KEYS).  This test reads
 * the two text files from the source tree and checks that all three name
 * the same keys, each on the same side (global or per VM).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/config.h"
#include "check.h"

#define MAX_KEYS 64
#define KEY_LEN  48

struct key_list {
    char key[MAX_KEYS][KEY_LEN];
    bool per_vm[MAX_KEYS];
    unsigned n;
};

static void add(struct key_list *l, const char *k, size_t len, bool per_vm)
{
    if (l->n >= MAX_KEYS || len == 0 || len >= KEY_LEN)
        return;
    memcpy(l->key[l->n], k, len);
    l->key[l->n][len] = 0;
    l->per_vm[l->n++] = per_vm;
}

static FILE *open_src(const char *rel)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", KEEL_SOURCE_DIR, rel);
    FILE *f = fopen(path, "r");
    if (!f)
        fprintf(stderr, "cannot open %s\n", path);
    return f;
}

/* docs/config.md: rows "| `key` | ..." under "## Global keys" and
 * "## VM keys" (the first table after each heading). */
static void read_docs(struct key_list *l)
{
    FILE *f = open_src("docs/config.md");
    char line[2048];
    int side = -1; /* 0 global, 1 VM, -1 elsewhere */
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, "## ", 3) || !strncmp(line, "### ", 4))
            side = !strncmp(line, "## Global keys", 14) ? 0
                   : !strncmp(line, "## VM keys", 10)   ? 1
                                                        : -1;
        if (side < 0 || strncmp(line, "| `", 3) != 0)
            continue;
        const char *k = line + 3, *end = strchr(k, '`');
        if (end)
            add(l, k, (size_t)(end - k), side == 1);
    }
    fclose(f);
}

/* tools/keel: the array entries '    "key   help..."' between
 * KEEL_CFG_GLOBAL_KEYS=( / KEEL_CFG_VM_KEYS=( and the closing ')'. */
static void read_launcher(struct key_list *l)
{
    FILE *f = open_src("tools/keel");
    char line[1024];
    int side = -1;
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, "KEEL_CFG_GLOBAL_KEYS=(", 22))
            side = 0;
        else if (!strncmp(line, "KEEL_CFG_VM_KEYS=(", 18))
            side = 1;
        else if (line[0] == ')')
            side = -1;
        else if (side >= 0) {
            const char *k = strchr(line, '"');
            if (!k)
                continue;
            k++;
            size_t len = strcspn(k, " \"");
            add(l, k, len, side == 1);
        }
    }
    fclose(f);
}

static int find(const struct key_list *l, const char *k)
{
    for (unsigned i = 0; i < l->n; i++)
        if (!strcmp(l->key[i], k))
            return (int)i;
    return -1;
}

/* Every parser key is in @l on the same side, and @l has nothing else. */
static void agree(const struct key_list *l, const char *where)
{
    CHECK(l->n > 0);
    for (size_t i = 0; i < config_nkeys; i++) {
        int j = find(l, config_keys[i].key);
        if (j < 0)
            fprintf(stderr, "%s lacks the key '%s'\n", where, config_keys[i].key);
        CHECK(j >= 0);
        if (j >= 0 && l->per_vm[j] != config_keys[i].per_vm)
            fprintf(stderr, "%s lists '%s' as %s\n", where, config_keys[i].key,
                    l->per_vm[j] ? "a VM key" : "a global key");
        CHECK(j < 0 || l->per_vm[j] == config_keys[i].per_vm);
    }
    for (unsigned j = 0; j < l->n; j++) {
        bool known = false;
        for (size_t i = 0; i < config_nkeys; i++)
            known |= !strcmp(l->key[j], config_keys[i].key);
        if (!known)
            fprintf(stderr, "%s lists '%s', which the parser does not know\n", where, l->key[j]);
        CHECK(known);
    }
}

int main(void)
{
    static struct key_list docs, launcher;
    read_docs(&docs);
    read_launcher(&launcher);
    agree(&docs, "docs/config.md");
    agree(&launcher, "tools/keel");
    return check_report("test_config_keys");
}
