#include "tree.h"

#include <string.h>

void tr_init(struct tree *t, bool on)
{
    t->on = on;
    sb_init(&t->arena, t->mem, sizeof t->mem, NULL);
    tr_reset(t);
}

void tr_reset(struct tree *t)
{
    t->full = false;
    t->depth = 0;
    t->n = 0;
    t->limit = TREE_MAX_NODES;
    sb_reset(&t->arena);
    t->arena.cap = sizeof t->mem - TREE_RESERVE_ARENA;
}

void tr_use_reserve(struct tree *t)
{
    t->limit = TREE_MAX_NODES + TREE_RESERVE_NODES;
    t->arena.cap = sizeof t->mem;
}

struct tnode *tr_add_on(struct tree *t, const char *key, enum tkind kind)
{
    if (!t->on || t->n >= t->limit) {
        if (t->on)
            t->full = true;
        memset(&t->dummy, 0, sizeof t->dummy);
        return &t->dummy;
    }
    struct tnode *n = &t->nodes[t->n++];
    memset(n, 0, sizeof *n);
    n->key = key;
    n->kind = (uint8_t)kind;
    n->depth = t->depth;
    return n;
}

void tr_close_to(struct tree *t, uint16_t d)
{
    while (t->on && t->depth > d)
        t->depth--;
}

void tr_set_str_m(struct tree *t, struct tnode *n, uint32_t mark)
{
    if (mark > t->arena.len)
        mark = (uint32_t)t->arena.len;
    n->s = mark;
    n->slen = (uint32_t)t->arena.len - mark;
}

void tr_ann_m(struct tree *t, struct tnode *n, uint32_t mark, uint8_t flag)
{
    if (mark > t->arena.len)
        mark = (uint32_t)t->arena.len;
    n->a = mark;
    n->alen = (uint32_t)t->arena.len - mark;
    n->flags |= flag;
}

void tr_ann(struct tree *t, struct tnode *n, const char *s, uint8_t flag)
{
    if (!t->on || !s)
        return;
    uint32_t m = tr_mark(t);
    sb_puts(&t->arena, s);
    tr_ann_m(t, n, m, flag);
}

struct tnode *tr_u(struct tree *t, const char *key, uint64_t v)
{
    struct tnode *n = tr_add(t, key, T_U);
    n->num = v;
    return n;
}

struct tnode *tr_i(struct tree *t, const char *key, int64_t v)
{
    struct tnode *n = tr_add(t, key, T_I);
    n->num = (uint64_t)v;
    return n;
}

struct tnode *tr_x(struct tree *t, const char *key, uint64_t v, int digits)
{
    struct tnode *n = tr_u(t, key, v);
    n->flags |= TF_HEX;
    n->hexw = (uint8_t)digits;
    return n;
}

struct tnode *tr_b(struct tree *t, const char *key, bool v)
{
    struct tnode *n = tr_add(t, key, T_BOOL);
    n->num = v;
    return n;
}

struct tnode *tr_un(struct tree *t, const char *key, uint64_t v, const char *name)
{
    struct tnode *n = tr_u(t, key, v);
    tr_ann(t, n, name, TF_NAME);
    return n;
}

struct tnode *tr_xn(struct tree *t, const char *key, uint64_t v, int digits, const char *name)
{
    struct tnode *n = tr_x(t, key, v, digits);
    tr_ann(t, n, name, TF_NAME);
    return n;
}

struct tnode *tr_sn(struct tree *t, const char *key, const void *s, size_t len, uint8_t flags)
{
    struct tnode *n = tr_add(t, key, T_STR);
    if (!t->on)
        return n;
    uint32_t m = tr_mark(t);
    sb_putn(&t->arena, (const char *)s, len);
    tr_set_str_m(t, n, m);
    n->flags |= flags;
    return n;
}

struct tnode *tr_s(struct tree *t, const char *key, const char *s)
{
    return tr_sn(t, key, s, strlen(s), 0);
}

struct tnode *tr_sm(struct tree *t, const char *key, uint32_t mark)
{
    struct tnode *n = tr_add(t, key, T_STR);
    tr_set_str_m(t, n, mark);
    return n;
}

struct tnode *tr_hex(struct tree *t, const char *key, const uint8_t *p, size_t len, size_t max)
{
    if (!t->on)
        return tr_add(t, key, T_STR);
    uint32_t m = tr_mark(t);
    sb_hexbytes(&t->arena, p, len < max ? len : max, 0);
    if (len > max)
        sb_putn(&t->arena, "...", 3);
    return tr_sm(t, key, m);
}

struct tnode *tr_mac(struct tree *t, const char *key, const uint8_t mac[6])
{
    if (!t->on)
        return tr_add(t, key, T_STR);
    uint32_t m = tr_mark(t);
    sb_mac(&t->arena, mac);
    return tr_sm(t, key, m);
}

/* ---- renderings ---- */

static uint32_t subtree_end(const struct tree *t, uint32_t i)
{
    uint16_t d = t->nodes[i].depth;
    uint32_t j = i + 1;
    while (j < t->n && t->nodes[j].depth > d)
        j++;
    return j;
}

static void indent(struct sbuf *out, unsigned depth)
{
    static const char sp[] = "                                                                ";
    size_t n = 2u * (depth + 1);
    while (n) {
        size_t k = n < sizeof sp - 1 ? n : sizeof sp - 1;
        sb_putn(out, sp, k);
        n -= k;
    }
}

#define MAXD 64

void tr_render_text(const struct tree *t, struct sbuf *out)
{
    /* Per level: the open container and how many children it had so far,
     * for "key[i]" labels of array items. */
    const struct tnode *parent[MAXD + 1];
    uint32_t child[MAXD + 1];
    parent[0] = NULL;
    child[0] = 0;
    const char *arena = t->mem;
    for (uint32_t i = 0; i < t->n;) {
        const struct tnode *n = &t->nodes[i];
        if (n->flags & TF_JONLY) {
            i = subtree_end(t, i);
            continue;
        }
        unsigned d = n->depth > MAXD ? MAXD : n->depth;
        const struct tnode *par = parent[d];
        uint32_t idx = child[d]++;
        indent(out, d);
        const char *label = n->key ? n->key : (par && par->key ? par->key : "item");
        bool in_arr = par && par->kind == T_ARR;
        if (n->kind == T_OBJ || n->kind == T_ARR) {
            if (n->slen) {
                sb_putn(out, arena + n->s, n->slen);
            } else {
                sb_puts(out, label);
                if (in_arr) {
                    sb_putc(out, '[');
                    sb_u64(out, idx);
                    sb_putc(out, ']');
                }
            }
            if (n->flags & TF_RANGE) {
                sb_putn(out, " [", 2);
                sb_u64(out, n->off);
                sb_putc(out, '+');
                sb_u64(out, n->len);
                sb_putc(out, ']');
            }
            if (n->alen) {
                sb_putn(out, " (", 2);
                sb_putn(out, arena + n->a, n->alen);
                sb_putc(out, ')');
            }
            sb_putc(out, '\n');
            if (n->flags & TF_COMPACT) {
                i = subtree_end(t, i);
                continue;
            }
            if (d < MAXD) {
                parent[d + 1] = n;
                child[d + 1] = 0;
            }
            i++;
            continue;
        }
        sb_puts(out, label);
        if (in_arr) {
            sb_putc(out, '[');
            sb_u64(out, idx);
            sb_putc(out, ']');
        }
        sb_putn(out, ": ", 2);
        switch (n->kind) {
        case T_U:
            if (n->flags & TF_HEX)
                sb_0x(out, n->num, n->hexw ? n->hexw : 2);
            else
                sb_u64(out, n->num);
            break;
        case T_I:
            sb_i64(out, (int64_t)n->num);
            break;
        case T_BOOL:
            sb_puts(out, n->num ? "true" : "false");
            break;
        default:
            if (!n->slen && !(n->flags & TF_QUOTE)) {
                sb_puts(out, "(empty)"); /* no trailing blank in golden files */
            } else if (n->flags & TF_QUOTE) {
                sb_putc(out, '"');
                sb_text_esc(out, arena + n->s, n->slen);
                sb_putc(out, '"');
            } else {
                sb_text_esc(out, arena + n->s, n->slen);
            }
            break;
        }
        if (n->alen) {
            sb_putn(out, " (", 2);
            sb_putn(out, arena + n->a, n->alen);
            sb_putc(out, ')');
        }
        sb_putc(out, '\n');
        i++;
    }
    if (t->full || t->arena.truncated)
        sb_puts(out, "  ... (tree truncated)\n");
}

/* Keys are string literals, a few dozen distinct ones: remember their
 * lengths by address (direct-mapped) instead of measuring them per use. */
static size_t key_len(const char *k)
{
    static const char *ptr[1024];
    static uint8_t len[1024];
    unsigned h = (unsigned)(((uintptr_t)k ^ (uintptr_t)k >> 10) & 1023u);
    if (ptr[h] == k)
        return len[h];
    size_t n = strlen(k);
    if (n < 256) {
        ptr[h] = k;
        len[h] = (uint8_t)n;
    }
    return n;
}

/* Copies n octets in 16-octet steps (overlapping at the end), never
 * reading past s + n. */
static inline void copy_small(char *d, const char *s, size_t n)
{
    while (n > 16) {
        memcpy(d, s, 16);
        d += 16;
        s += 16;
        n -= 16;
    }
    sb_copy16(d, s, n);
}

static void json_key(struct sbuf *out, const char *key, const char *suffix)
{
    if (!key)
        key = "_";
    size_t kn = key_len(key), xn = suffix ? key_len(suffix) : 0;
    char *d = sb_want(out, kn + xn + 3);
    if (d) {
        d[0] = '"';
        copy_small(d + 1, key, kn);
        copy_small(d + 1 + kn, suffix, xn);
        d[1 + kn + xn] = '"';
        d[2 + kn + xn] = ':';
        out->len += kn + xn + 3;
        return;
    }
    sb_putc(out, '"');
    sb_putn(out, key, kn);
    if (suffix)
        sb_putn(out, suffix, xn);
    sb_putn(out, "\":", 2);
}

void tr_render_json(const struct tree *t, struct sbuf *out)
{
    enum tkind kind[MAXD + 2];
    bool first[MAXD + 2];
    unsigned open = 0; /* containers open below the frame object */
    const char *arena = t->mem;
    kind[0] = T_OBJ;
    first[0] = true;
    sb_putc(out, '{');
    for (uint32_t i = 0; i < t->n;) {
        const struct tnode *n = &t->nodes[i];
        if (n->flags & TF_VONLY) {
            i = subtree_end(t, i);
            continue;
        }
        unsigned d = n->depth > MAXD ? MAXD : n->depth;
        while (open > d) {
            sb_putc(out, kind[open] == T_ARR ? ']' : '}');
            open--;
        }
        if (!first[open])
            sb_putc(out, ',');
        first[open] = false;
        bool in_obj = kind[open] == T_OBJ;
        if (in_obj)
            json_key(out, n->key, NULL);
        switch (n->kind) {
        case T_OBJ:
        case T_ARR:
            sb_putc(out, n->kind == T_ARR ? '[' : '{');
            if (open < MAXD) {
                open++;
                kind[open] = (enum tkind)n->kind;
                first[open] = true;
            }
            i++;
            continue;
        case T_U:
            sb_u64(out, n->num);
            break;
        case T_I:
            sb_i64(out, (int64_t)n->num);
            break;
        case T_BOOL:
            sb_puts(out, n->num ? "true" : "false");
            break;
        default:
            sb_putc(out, '"');
            sb_json_esc(out, arena + n->s, n->slen);
            sb_putc(out, '"');
            break;
        }
        if ((n->flags & TF_NAME) && in_obj) {
            sb_putc(out, ',');
            json_key(out, n->key, "_name");
            sb_putc(out, '"');
            sb_json_esc(out, arena + n->a, n->alen);
            sb_putc(out, '"');
        }
        i++;
    }
    while (open > 0) {
        sb_putc(out, kind[open] == T_ARR ? ']' : '}');
        open--;
    }
    if (t->full || t->arena.truncated)
        sb_puts(out, first[0] ? "\"tree_truncated\":true" : ",\"tree_truncated\":true");
    sb_putc(out, '}');
}
