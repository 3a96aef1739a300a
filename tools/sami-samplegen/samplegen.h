/* sami-samplegen: writes the pcap-samples/ captures, reproducibly.
 *
 * Every sample is built with the libsami encoders; malformed samples are
 * valid encodings with a documented byte edit. Each sample is also decoded
 * again with the libsami decoders and the result compared with what the
 * sample is meant to show (0 for valid samples, the documented error code
 * for malformed ones), so a sample can never silently stop showing what its
 * README row claims. */
#ifndef SAMI_SAMPLEGEN_H
#define SAMI_SAMPLEGEN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "sami/xfer.h"

#define FRAME_MAX 1600u     /* >= 14 + 1500 */
#define ETH_HDR_LEN 14u
#define ETH_MIN_FRAME 60u   /* without FCS */

/* Fixed addresses (so output never depends on the host). */
extern const uint8_t mac_hv[6];    /* hypervisor 52:54:00:00:00:01 */
extern const uint8_t mac_br_o[6];  /* original bridge 02:53:4d:00:00:01 */
extern const uint8_t mac_br_d[6];  /* destination bridge 02:53:4d:00:00:02 */
extern const uint8_t mac_ecp[6];   /* ECP/VDP: nearest customer bridge group */
extern const uint8_t mac_lldp[6];  /* LLDP: nearest bridge group */

/* Shared scenario values (one migration of one VM). */
#define SG_MIGRATION_ID UINT64_C(0x5a4d000000000001)
#define SG_TIME_MS UINT64_C(1767225600000) /* 2026-01-01T00:00:00Z */
#define SG_VSI_TYPE_ID 0x00a1b2u
#define SG_VSI_TYPE_VER 1u
extern const uint8_t sg_vm_uuid[16];
extern const uint8_t sg_vm_mac[6];
#define SG_VM_VID 100u
extern const uint8_t sg_vm_ipv4[4];
extern const uint8_t sg_vm_ipv6[16];

/* The documented test key: id 1, octets 0x00..0x1f. */
extern struct sami_xfer_key sg_key;
extern const struct sami_hmac_provider *sg_hmac;

struct gen;

/* One sample = one pcap file <out>/<family>/<name>.pcap. */
void sample_begin(struct gen *g, const char *family, const char *name, const char *what);
void sample_frame(struct gen *g, const uint8_t *frame, size_t len);
/* Closes a valid sample: its decode check must give 0. */
void sample_valid(struct gen *g, int check_rc);
/* Closes a malformed sample: the check must give want_rc; the text says
 * which bytes were edited and what the decoder reports. */
void sample_malformed(struct gen *g, int check_rc, int want_rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Fatal encoder failure: the generator cannot produce the sample. */
void sg_must(int rc, const char *what);
void sg_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Ethernet header; returns 14. */
size_t eth_hdr(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t ethertype);
/* Zero-pads to the 60-octet minimum; returns the new length. */
size_t eth_pad(uint8_t *f, size_t len);

/* Family generators (gen_*.c). */
void gen_ecp(struct gen *g);
void gen_vdp(struct gen *g);
void gen_samitlv(struct gen *g);
void gen_lldp(struct gen *g);
void gen_xfer(struct gen *g);
void gen_l2(struct gen *g);
void gen_di(struct gen *g);

/* Decode checks shared between families: the first error any layer reports
 * for a whole Ethernet frame (ECP + VDP + sami TLVs; L2 transfer binding +
 * message + DI records), 0 when every layer decodes. */
int check_ecp_frame(const uint8_t *f, size_t len);
int check_xfer_message(const uint8_t *msg, size_t len);
int check_l2_frame(const uint8_t *f, size_t len);

/* Transfer helpers (gen_xfer.c), used by the DI family too. */
void xfer_hdr_init(struct sami_xfer_hdr *h, uint8_t type, uint16_t flags, int from_dest);
/* Wraps a message that fits one frame into an L2 DATA frame; returns the
 * frame length. */
size_t l2_data_frame(uint8_t *f, const uint8_t *msg, size_t msg_len, uint16_t l2_seq,
                     int from_dest);

#endif
