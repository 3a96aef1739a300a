/* Shared test-vector helpers: a named hex vector (as in docs/PROTOCOL.md) and
 * a hex parser for tests. Test-only code; may use stdio/stdlib. */
#ifndef SAMI_TEST_VECTORS_H
#define SAMI_TEST_VECTORS_H

#include <stddef.h>
#include <stdint.h>

struct sami_vector {
    const char *name; /* e.g. "vdp-assoc-req"; the name used in docs/PROTOCOL.md */
    const char *hex;  /* hex digits, whitespace allowed */
};

/* Parses hex (ignoring whitespace) into out; returns the byte count, or -1 on a
 * bad digit, an odd digit count or when cap is too small. */
static inline long sami_test_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (const char *p = hex; *p; p++) {
        int v;
        char c = *p;
        if (c == ' ' || c == '\n' || c == '\t' || c == '\r')
            continue;
        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'a' && c <= 'f')
            v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v = c - 'A' + 10;
        else
            return -1;
        if (hi < 0) {
            hi = v;
        } else {
            if (n >= cap)
                return -1;
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return hi < 0 ? (long)n : -1;
}

#endif
