#include "sami/cursor.h"

/* A NULL input becomes an empty window over a real object, so that no pointer
 * arithmetic is ever done on NULL (UB even for an offset of 0). */
static const uint8_t sami_rd_empty[1];

void sami_rd_init(struct sami_rd *r, const void *buf, size_t len, struct sami_err *err)
{
    r->p = buf ? (const uint8_t *)buf : sami_rd_empty;
    r->len = buf ? len : 0;
    r->pos = 0;
    r->origin = 0;
    r->err = err;
    r->tlv_type = -1;
    if (err) {
        err->code = 0;
        err->offset = 0;
        err->tlv_type = -1;
        err->what = NULL;
    }
}

int sami_rd_fail_at(struct sami_rd *r, size_t abs_offset, int code, const char *what)
{
    if (r->err && r->err->code == 0) {
        r->err->code = code;
        r->err->offset = abs_offset;
        r->err->tlv_type = r->tlv_type;
        r->err->what = what ? what : "?";
    }
    return code;
}

int sami_rd_fail(struct sami_rd *r, int code, const char *what)
{
    return sami_rd_fail_at(r, sami_rd_offset(r), code, what);
}
