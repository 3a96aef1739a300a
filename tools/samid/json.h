/* JSON for the samid control protocol: a writer (samid builds every answer
 * with it) and a small parser (samictl reads the answers with it). Plain C,
 * no allocation in the writer beyond its growing buffer; the parser builds
 * a tree of nodes in one malloc'd array.
 *
 * The writer tracks commas itself: callers say key / value / begin / end
 * and never emit separators. Strings are escaped per RFC 8259 (control
 * characters as \u00XX); bytes >= 0x80 pass through (names and identities
 * are UTF-8 or ASCII). */
#ifndef SAMID_JSON_H
#define SAMID_JSON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct jw {
    char *buf;
    size_t len, cap;
    int oom;            /* an allocation failed: the text is incomplete */
    int depth;
    uint8_t need_comma[32]; /* per nesting level: a value was written */
    int after_key;      /* the next value follows "key": no comma */
};

void jw_init(struct jw *w);
void jw_free(struct jw *w);
void jw_reset(struct jw *w);
void jw_obj(struct jw *w);   /* { */
void jw_end_obj(struct jw *w);
void jw_arr(struct jw *w);   /* [ */
void jw_end_arr(struct jw *w);
void jw_key(struct jw *w, const char *k);
void jw_str(struct jw *w, const char *s);
void jw_strn(struct jw *w, const char *s, size_t n);
void jw_u64(struct jw *w, uint64_t v);
void jw_i64(struct jw *w, int64_t v);
void jw_bool(struct jw *w, int v);
void jw_null(struct jw *w);
void jw_raw(struct jw *w, const char *text); /* a pre-formatted value */
/* key + value shorthands */
void jw_kstr(struct jw *w, const char *k, const char *s);
void jw_ku64(struct jw *w, const char *k, uint64_t v);
void jw_ki64(struct jw *w, const char *k, int64_t v);
void jw_kbool(struct jw *w, const char *k, int v);
/* printf-formatted string value */
void jw_kfmt(struct jw *w, const char *k, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- parser ---- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

/* One value. Children of arrays / objects are stored contiguously after
 * their parent in document order; `next` skips a whole subtree. Strings are
 * unescaped into the parser's own copy (NUL-terminated). Object members:
 * `key` set on each child. */
struct jnode {
    int type;
    const char *key;    /* member name inside an object, else NULL */
    const char *str;    /* J_STR: the string; J_NUM: its text */
    double num;
    int boolean;
    size_t n;           /* J_ARR / J_OBJ: number of direct children */
    size_t next;        /* index of the node after this subtree */
};

struct jdoc {
    struct jnode *nodes;
    size_t count, cap;
    char *text;         /* unescaped strings live here */
};

/* Parses text (NUL-terminated). 0, or -1 with a message in err. */
int jparse(const char *text, struct jdoc *doc, char *err, size_t errlen);
void jdoc_free(struct jdoc *doc);
/* Member of object node i called key: its index, or 0 when absent (0 is
 * always the root, never a member). */
size_t jget(const struct jdoc *d, size_t i, const char *key);
/* First child of node i (arrays and objects with n > 0). */
static inline size_t jchild(size_t i)
{
    return i + 1;
}

#ifdef __cplusplus
}
#endif
#endif
