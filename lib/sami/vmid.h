/* The VM identity every sami protocol names a VM by: its VDP VSI identity.
 * Lives in lib/ because the transfer messages and the DI store key on it and
 * firmware links lib/ alone. */
#ifndef SAMI_VMID_H
#define SAMI_VMID_H

#include <stdint.h>

#include "sami/cursor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SAMI_VM_ID_LEN 21

/* VSI type id(3) | type version(1) | VSI ID format(1) | VSI ID(16). */
struct sami_vm_id {
    uint32_t type_id;            /* 24 bits */
    uint8_t type_version;
    uint8_t id_format;           /* VDP: 1 IPv4, 2 IPv6, 3 MAC, 4 local, 5 UUID; not checked */
    uint8_t id[16];
};

/* Reads / writes the 21-octet VM identity. Read fails only with TRUNCATED;
 * write emits the low 24 bits of type_id (encoders check it first). */
int sami_vm_id_read(struct sami_rd *r, struct sami_vm_id *out);
void sami_vm_id_write(struct sami_wr *w, const struct sami_vm_id *in);

/* 1 when format and VSI ID are equal: the key a VM is known by (type id and
 * version are the port profile, which may change across a migration). */
int sami_vm_id_same_vm(const struct sami_vm_id *a, const struct sami_vm_id *b);

#ifdef __cplusplus
}
#endif
#endif
