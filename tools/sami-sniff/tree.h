/* The dissection tree of one frame, rendered as the -v indented tree or as
 * one JSON object.
 *
 * Nodes are kept in pre-order with their depth in one fixed array, strings
 * in one fixed arena; both are reset per frame, so dissecting allocates
 * nothing. A node's key is its JSON key and its -v label. Flags shape the two
 * renderings where they should differ:
 *   - TF_NAME: a number with a symbolic name: -v "op: 0 (request)", JSON
 *     "op":0,"op_name":"request" (stable: the _name key is derived);
 *   - TF_NOTE: like TF_NAME in -v, nothing extra in JSON;
 *   - TF_JONLY / TF_VONLY: a node (and its subtree) only in one rendering;
 *   - TF_HEX: a number shown as 0x.. in -v (JSON keeps the number);
 *   - TF_QUOTE: a string quoted in -v (wire strings, so spaces are visible);
 *   - TF_COMPACT: a container whose -v title says it all (children hidden).
 * Containers may carry a title (the -v line instead of the key) and a byte
 * range (offset from the start of the frame), shown as [off+len] in -v.
 *
 * When the tree is off (one-line mode) every call is a cheap no-op; callers
 * guard expensive formatting with tr_on(). When the node array or arena is
 * full the rest is dropped and the renderings say "tree truncated". */
#ifndef SNIFF_TREE_H
#define SNIFF_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "out.h"

enum tkind { T_OBJ, T_ARR, T_U, T_I, T_STR, T_BOOL };

#define TF_HEX 0x01u
#define TF_QUOTE 0x02u
#define TF_JONLY 0x04u
#define TF_VONLY 0x08u
#define TF_RANGE 0x10u
#define TF_NAME 0x20u
#define TF_NOTE 0x40u
#define TF_COMPACT 0x80u /* -v: the title line only, children hidden */

struct tnode {
    const char *key; /* static string; NULL for array items */
    uint64_t num;    /* T_U, T_I (as two's complement), T_BOOL */
    uint32_t s, slen; /* T_STR value, or container title, in the arena */
    uint32_t a, alen; /* annotation (TF_NAME / TF_NOTE) in the arena */
    uint32_t off, len; /* byte range (TF_RANGE) */
    uint16_t depth;
    uint8_t kind;
    uint8_t flags;
    uint8_t hexw; /* TF_HEX digits */
};

#define TREE_MAX_NODES 32768u
#define TREE_ARENA (512u * 1024u)
/* Kept back for the frame's final nodes (the malformed report) so that a
 * huge frame that filled the tree still says what was wrong with it. */
#define TREE_RESERVE_NODES 16u
#define TREE_RESERVE_ARENA 1024u

struct tree {
    bool on;
    bool full;      /* nodes were dropped */
    uint16_t depth; /* current nesting */
    uint32_t n;
    uint32_t limit; /* TREE_MAX_NODES, or + reserve at the end of a frame */
    struct tnode nodes[TREE_MAX_NODES + TREE_RESERVE_NODES];
    struct sbuf arena; /* truncating */
    char mem[TREE_ARENA];
    struct tnode dummy; /* absorbs writes when off or full */
};

void tr_init(struct tree *t, bool on);
void tr_reset(struct tree *t);
/* Opens the reserve (call once per frame, for its last nodes). */
void tr_use_reserve(struct tree *t);
static inline bool tr_on(const struct tree *t) { return t->on; }

/* Position in the arena: format into &t->arena, then hand the mark to a
 * *_m call to turn what was written since into a node string. */
static inline uint32_t tr_mark(const struct tree *t) { return (uint32_t)t->arena.len; }

struct tnode *tr_add_on(struct tree *t, const char *key, enum tkind kind);
/* Inline so that with the tree off (one-line mode) a call is one test: the
 * dummy node absorbs whatever the caller sets on it and is never shown. */
static inline struct tnode *tr_add(struct tree *t, const char *key, enum tkind kind)
{
    return t->on ? tr_add_on(t, key, kind) : &t->dummy;
}
/* Containers. */
static inline struct tnode *tr_open(struct tree *t, const char *key, enum tkind kind)
{
    if (!t->on)
        return &t->dummy;
    struct tnode *n = tr_add_on(t, key, kind);
    t->depth++;
    return n;
}
static inline struct tnode *tr_open_r(struct tree *t, const char *key, enum tkind kind, size_t off,
                                      size_t len)
{
    if (!t->on)
        return &t->dummy;
    struct tnode *n = tr_open(t, key, kind);
    n->flags |= TF_RANGE;
    n->off = (uint32_t)off;
    n->len = (uint32_t)len;
    return n;
}
static inline void tr_close(struct tree *t)
{
    if (t->on && t->depth)
        t->depth--;
}
/* Closes until depth d (0 = top level of the frame object). */
void tr_close_to(struct tree *t, uint16_t d);
/* Sets a container's title (or any node's string) from a mark. */
void tr_set_str_m(struct tree *t, struct tnode *n, uint32_t mark);
/* Sets the annotation from a mark or a C string. */
void tr_ann_m(struct tree *t, struct tnode *n, uint32_t mark, uint8_t flag);
void tr_ann(struct tree *t, struct tnode *n, const char *s, uint8_t flag);

/* Leaves. */
struct tnode *tr_u(struct tree *t, const char *key, uint64_t v);
struct tnode *tr_i(struct tree *t, const char *key, int64_t v);
struct tnode *tr_x(struct tree *t, const char *key, uint64_t v, int digits);
struct tnode *tr_b(struct tree *t, const char *key, bool v);
struct tnode *tr_un(struct tree *t, const char *key, uint64_t v, const char *name);
struct tnode *tr_xn(struct tree *t, const char *key, uint64_t v, int digits, const char *name);
struct tnode *tr_s(struct tree *t, const char *key, const char *s);
struct tnode *tr_sn(struct tree *t, const char *key, const void *s, size_t n, uint8_t flags);
struct tnode *tr_sm(struct tree *t, const char *key, uint32_t mark);
/* Hex string of bytes (at most `max` octets, then "..."). */
struct tnode *tr_hex(struct tree *t, const char *key, const uint8_t *p, size_t n, size_t max);
struct tnode *tr_mac(struct tree *t, const char *key, const uint8_t m[6]);

/* Renderings. The text form indents by 2 per level starting at 2. */
void tr_render_text(const struct tree *t, struct sbuf *out);
/* Writes the frame as one JSON object (no newline). */
void tr_render_json(const struct tree *t, struct sbuf *out);

#endif
