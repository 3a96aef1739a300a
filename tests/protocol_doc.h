/* Parses the test vectors out of docs/PROTOCOL.md:
 *     **vector `name`** (N bytes): ...
 *     ```hex
 *     0a 10 ...
 *     ```
 * Test-only code (stdio, malloc are fine here). */
#ifndef SAMI_TEST_PROTOCOL_DOC_H
#define SAMI_TEST_PROTOCOL_DOC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vectors.h"

#define SAMI_DOC_MAX_VECTORS 512
#define SAMI_DOC_MAX_BYTES 4096

struct sami_doc_vector {
    char name[64];
    size_t declared_len; /* the N in "(N bytes)", 0 if absent */
    size_t len;
    uint8_t bytes[SAMI_DOC_MAX_BYTES];
    int line;
};

static inline int sami_doc_name_has_prefix(const char *name, const char *p1, const char *p2)
{
    if (!p1 && !p2)
        return 1;
    return (p1 && strncmp(name, p1, strlen(p1)) == 0) || (p2 && strncmp(name, p2, strlen(p2)) == 0);
}

/* Loads the vectors whose names start with p1 or p2 (both NULL: all), in
 * document order. Returns their number, or -1 (with a message on stderr). */
static inline int sami_doc_load_prefix(const char *path, const char *p1, const char *p2,
                                       struct sami_doc_vector *v, int max)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char line[1024];
    int n = 0, lineno = 0, in_hex = 0, pending = 0;
    static char hex[SAMI_DOC_MAX_BYTES * 3 + 1];
    size_t hexlen = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (in_hex) {
            if (strncmp(line, "```", 3) == 0) {
                in_hex = 0;
                hex[hexlen] = 0;
                long got = sami_test_hex(hex, v[n].bytes, sizeof v[n].bytes);
                if (got < 0) {
                    fprintf(stderr, "%s:%d: vector %s: bad hex\n", path, lineno, v[n].name);
                    fclose(f);
                    return -1;
                }
                v[n].len = (size_t)got;
                if (sami_doc_name_has_prefix(v[n].name, p1, p2))
                    n++;
                continue;
            }
            size_t l = strlen(line);
            if (hexlen + l >= sizeof hex) {
                fprintf(stderr, "%s:%d: vector too long\n", path, lineno);
                fclose(f);
                return -1;
            }
            memcpy(hex + hexlen, line, l);
            hexlen += l;
            continue;
        }
        const char *m = strstr(line, "**vector `");
        if (m) {
            if (n >= max) {
                fprintf(stderr, "%s:%d: too many vectors\n", path, lineno);
                fclose(f);
                return -1;
            }
            m += strlen("**vector `");
            const char *e = strchr(m, '`');
            if (!e || (size_t)(e - m) >= sizeof v[n].name) {
                fprintf(stderr, "%s:%d: bad vector name\n", path, lineno);
                fclose(f);
                return -1;
            }
            memcpy(v[n].name, m, (size_t)(e - m));
            v[n].name[e - m] = 0;
            const char *p = strstr(e, "** (");
            v[n].declared_len = p ? strtoul(p + 4, NULL, 10) : 0;
            v[n].line = lineno;
            pending = 1;
            continue;
        }
        if (pending && strncmp(line, "```hex", 6) == 0) {
            in_hex = 1;
            pending = 0;
            hexlen = 0;
        }
    }
    fclose(f);
    if (in_hex || pending) {
        fprintf(stderr, "%s: vector without a closed ```hex block\n", path);
        return -1;
    }
    return n;
}

static inline int sami_doc_load(const char *path, struct sami_doc_vector *v, int max)
{
    return sami_doc_load_prefix(path, NULL, NULL, v, max);
}

#endif
