/* --timeline: every migration rebuilt from the frames that name it
 * (docs/SNIFF.md, "Timeline"). The dissectors report what they decoded;
 * nothing here reads frames itself. */
#ifndef SNIFF_TIMELINE_H
#define SNIFF_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "out.h"
#include "sami/samitlv.h"
#include "sami/xfer.h"

struct sniff_frame;

/* On when --timeline was given; the hooks below do nothing otherwise. */
extern bool timeline_on;

/* A notification / feedback TLV decoded in a VDP PDU. The frame's carriage
 * context (the VSI TLV before it, if any) is in the frame. */
void timeline_notif(const struct sniff_frame *f, const struct sami_notif *n);
void timeline_feedback(const struct sniff_frame *f, const struct sami_feedback *fb);
/* A transfer message header (whole or first fragment). status/reason: the
 * STATUS element when the message had one (has_status). */
void timeline_xfer(const struct sniff_frame *f, const struct sami_xfer_hdr *h, bool has_status,
                   uint8_t status, uint16_t reason);

/* Prints every migration seen, in order of first appearance: text, or one
 * JSON object per migration per line. */
void timeline_print(struct sbuf *out, bool json);
void timeline_free(void);

#endif
