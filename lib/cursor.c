/* the out-of-line sami_rd_init, whatever this file's optimisation level */
#define SAMI_CURSOR_IMPL 1
#include "sami/cursor.h"

void sami_rd_init(struct sami_rd *r, const void *buf, size_t len, struct sami_err *err)
{
    sami_rd_init_inline(r, buf, len, err);
}

int sami_rd_fail_tlv(struct sami_rd *r, size_t abs_offset, int tlv_type, int code,
                     const char *what)
{
    if (r->err && r->err->code == 0) {
        r->err->code = code;
        r->err->offset = abs_offset;
        r->err->tlv_type = tlv_type;
        r->err->what = what ? what : "?";
    }
    return code;
}

int sami_rd_fail_at(struct sami_rd *r, size_t abs_offset, int code, const char *what)
{
    return sami_rd_fail_tlv(r, abs_offset, r->tlv_type, code, what);
}

int sami_rd_fail_fields(struct sami_rd *r, const struct sami_rd_field *f, size_t n)
{
    size_t pos = r->pos;
    for (size_t i = 0; i < n; i++) {
        if (f[i].size > r->len - pos)
            return sami_rd_fail_at(r, r->origin + pos, SAMI_ERR_TRUNCATED, f[i].what);
        pos += f[i].size;
    }
    /* only called when something does not fit; keep the contract anyway */
    return sami_rd_fail_at(r, r->origin + pos, SAMI_ERR_TRUNCATED, n ? f[n - 1].what : NULL);
}

int sami_rd_fail(struct sami_rd *r, int code, const char *what)
{
    return sami_rd_fail_at(r, sami_rd_offset(r), code, what);
}
