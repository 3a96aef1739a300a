#include "sami/vmid.h"

#include <string.h>

int sami_vm_id_read(struct sami_rd *r, struct sami_vm_id *out)
{
    if (sami_rd_u24(r, &out->type_id, "vm_id.type_id") ||
        sami_rd_u8(r, &out->type_version, "vm_id.type_version") ||
        sami_rd_u8(r, &out->id_format, "vm_id.id_format") ||
        sami_rd_bytes(r, out->id, sizeof out->id, "vm_id.id"))
        return SAMI_ERR_TRUNCATED;
    return 0;
}

void sami_vm_id_write(struct sami_wr *w, const struct sami_vm_id *in)
{
    sami_wr_u24(w, in->type_id & 0xffffffu);
    sami_wr_u8(w, in->type_version);
    sami_wr_u8(w, in->id_format);
    sami_wr_bytes(w, in->id, sizeof in->id);
}

int sami_vm_id_same_vm(const struct sami_vm_id *a, const struct sami_vm_id *b)
{
    return a->id_format == b->id_format && memcmp(a->id, b->id, sizeof a->id) == 0;
}
