/* Address builders the benchmarks share for their DI record mixes
 * (bench_store, bench_xfer_rate): one definition, so both measure the same
 * records. */
#ifndef SAMI_BENCH_ADDR_H
#define SAMI_BENCH_ADDR_H

#include <stdint.h>
#include <string.h>

/* IPv4 as the ::ffff:-mapped addr16 the DI codec wants. */
static inline void v4(uint8_t a[16], uint8_t x, uint32_t low24)
{
    memset(a, 0, 16);
    a[10] = a[11] = 0xff;
    a[12] = x;
    a[13] = (uint8_t)(low24 >> 16);
    a[14] = (uint8_t)(low24 >> 8);
    a[15] = (uint8_t)low24;
}

/* A global-unicast IPv6 address whose low 32 bits are u (prefix p). */
static inline void v6(uint8_t a[16], uint16_t p, uint32_t u)
{
    static const uint8_t base[16] = {0x20, 0x01, 0x0d, 0xb8};
    memcpy(a, base, 16);
    a[4] = (uint8_t)(p >> 8);
    a[5] = (uint8_t)p;
    a[12] = (uint8_t)(u >> 24);
    a[13] = (uint8_t)(u >> 16);
    a[14] = (uint8_t)(u >> 8);
    a[15] = (uint8_t)u;
}

/* A locally administered MAC (52:54:...) numbered x. */
static inline void mac_of(uint8_t m[6], uint32_t x)
{
    m[0] = 0x52;
    m[1] = 0x54;
    m[2] = (uint8_t)(x >> 24);
    m[3] = (uint8_t)(x >> 16);
    m[4] = (uint8_t)(x >> 8);
    m[5] = (uint8_t)x;
}

#endif
