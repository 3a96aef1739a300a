/* Earliest-deadline index over an engine's table. See sami/dlheap.h. */
#include "sami/dlheap.h"

#include "sami/error.h"

static struct sami_dlheap_link *L(const struct sami_dlheap *h, uint32_t idx)
{
    return (struct sami_dlheap_link *)(void *)(h->base + (size_t)idx * h->stride + h->off);
}

/* Entry index at 1-based heap position p. */
static uint32_t at(const struct sami_dlheap *h, uint32_t p)
{
    return L(h, p - 1)->cell;
}

static void put(struct sami_dlheap *h, uint32_t p, uint32_t idx)
{
    L(h, p - 1)->cell = idx;
    L(h, idx)->pos = p;
}

/* (key, index): equal deadlines in table order, so the heap's shape is a
 * function of the calls alone. */
static int less(const struct sami_dlheap *h, uint32_t a, uint32_t b)
{
    sami_usec_t ka = L(h, a)->key, kb = L(h, b)->key;
    return ka < kb || (ka == kb && a < b);
}

static void sift_up(struct sami_dlheap *h, uint32_t p)
{
    uint32_t x = at(h, p);
    while (p > 1) {
        uint32_t q = p / 2, y = at(h, q);
        if (!less(h, x, y))
            break;
        put(h, p, y);
        p = q;
    }
    put(h, p, x);
}

static void sift_down(struct sami_dlheap *h, uint32_t p)
{
    uint32_t x = at(h, p);
    for (;;) {
        uint32_t c = 2 * p;
        if (c > h->n || c < p)
            break;
        uint32_t y = at(h, c);
        if (c + 1 <= h->n) {
            uint32_t z = at(h, c + 1);
            if (less(h, z, y)) {
                c++;
                y = z;
            }
        }
        if (!less(h, y, x))
            break;
        put(h, p, y);
        p = c;
    }
    put(h, p, x);
}

int sami_dlheap_init(struct sami_dlheap *h, void *base, size_t count, size_t stride, size_t off)
{
    if (!h || !base || count == 0 || count >= UINT32_MAX || stride == 0 ||
        off + sizeof(struct sami_dlheap_link) > stride)
        return SAMI_ERR_INVAL;
    h->base = base;
    h->stride = stride;
    h->off = off;
    h->n = 0;
    h->cap = (uint32_t)count;
    for (uint32_t i = 0; i < h->cap; i++) {
        struct sami_dlheap_link *l = L(h, i);
        l->key = SAMI_NO_DEADLINE;
        l->pos = 0;
        l->cell = 0;
    }
    return 0;
}

void sami_dlheap_set(struct sami_dlheap *h, size_t idx, sami_usec_t key)
{
    if (!h || !h->base || idx >= h->cap)
        return;
    uint32_t i = (uint32_t)idx;
    struct sami_dlheap_link *l = L(h, i);
    if (l->pos == 0) {
        if (key == SAMI_NO_DEADLINE)
            return;
        l->key = key;
        h->n++;
        put(h, h->n, i);
        sift_up(h, h->n);
        return;
    }
    if (key == l->key)
        return;
    uint32_t p = l->pos;
    if (key == SAMI_NO_DEADLINE) {
        /* the last cell fills the hole, then moves whichever way it must */
        uint32_t last = at(h, h->n);
        l->key = SAMI_NO_DEADLINE;
        l->pos = 0;
        h->n--;
        if (p <= h->n) {
            put(h, p, last);
            sift_up(h, p);
            sift_down(h, L(h, last)->pos);
        }
        return;
    }
    sami_usec_t old = l->key;
    l->key = key;
    if (key < old)
        sift_up(h, p);
    else
        sift_down(h, p);
}

sami_usec_t sami_dlheap_min(const struct sami_dlheap *h)
{
    return h && h->n ? L(h, at(h, 1))->key : SAMI_NO_DEADLINE;
}

sami_usec_t sami_dlheap_key(const struct sami_dlheap *h, size_t idx)
{
    if (!h || !h->base || idx >= h->cap)
        return SAMI_NO_DEADLINE;
    const struct sami_dlheap_link *l = L(h, (uint32_t)idx);
    return l->pos ? l->key : SAMI_NO_DEADLINE;
}

int sami_dlheap_check(const struct sami_dlheap *h)
{
    if (!h || !h->base)
        return -1;
    uint32_t queued = 0;
    sami_usec_t lo = SAMI_NO_DEADLINE;
    for (uint32_t i = 0; i < h->cap; i++) {
        const struct sami_dlheap_link *l = L(h, i);
        if (l->pos == 0) {
            if (l->key != SAMI_NO_DEADLINE)
                return -2;
            continue;
        }
        queued++;
        if (l->pos > h->n || at(h, l->pos) != i || l->key == SAMI_NO_DEADLINE)
            return -3;
        if (l->pos > 1 && less(h, i, at(h, l->pos / 2)))
            return -4;
        if (l->key < lo)
            lo = l->key;
    }
    if (queued != h->n)
        return -5;
    return sami_dlheap_min(h) == lo ? 0 : -6;
}
