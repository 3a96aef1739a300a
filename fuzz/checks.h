/* Property checks shared by the harnesses: each decodes one format fully,
 * checks the error contract on failure and, on success, re-encodes and
 * checks decode(encode(x)) == x and byte stability. They abort() on a
 * broken invariant. */
#ifndef SAMI_FUZZ_CHECKS_H
#define SAMI_FUZZ_CHECKS_H

#include <stddef.h>
#include <stdint.h>

#include "sami/xfer.h"

/* The documented test key (docs/PROTOCOL.md section 6): id 1, octets 0..31.
 * The transfer seeds are signed with it, so sami_xfer_open accepts them. */
#define FZ_TEST_KEY_ID 1
void fz_test_keyring(struct sami_xfer_keyring *kr);
const struct sami_xfer_key *fz_test_key(void);

/* VDP ULPDU (after the ECP header): iterator, whole-PDU decode, filter
 * accessor for every entry, per-TLV and whole-PDU re-encode, builder, and the
 * sami org TLVs inside. */
void fz_check_vdp(const uint8_t *buf, size_t len);

/* sami notification / feedback value (from the OUI on), default OUI. */
void fz_check_notif(const uint8_t *value, size_t len);
void fz_check_feedback(const uint8_t *value, size_t len);

/* LLDPDU (after ethertype 0x88CC): iterator, decode, accessors, re-encode,
 * builder, EVB and sami capability from every org TLV. */
void fz_check_lldp(const uint8_t *buf, size_t len);

/* One transfer message: unauthenticated decode, every element reader and
 * writer, re-encode, builder; with `crypto`, also sami_xfer_open with the
 * test key (as received, and re-sealed so the body and replay checks run). */
void fz_check_xfer(const uint8_t *buf, size_t len, int crypto);

/* One DI record value of DI type `type`. */
void fz_check_di(uint8_t type, const uint8_t *value, size_t len);

#endif
