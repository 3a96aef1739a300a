/* Types shared by every engine. Time is always an argument: engines never
 * read a clock. */
#ifndef SAMI_TYPES_H
#define SAMI_TYPES_H

#include <stdint.h>

/* Monotonic time in microseconds, as given by the host (samid: CLOCK_MONOTONIC;
 * simulator: its fake clock). Only differences are meaningful. */
typedef uint64_t sami_usec_t;

/* "No timer pending": the value engines return from their next-deadline query
 * when nothing is scheduled. */
#define SAMI_NO_DEADLINE UINT64_MAX

#define SAMI_MSEC(ms) ((sami_usec_t)(ms) * 1000u)
#define SAMI_SEC(s) ((sami_usec_t)(s) * 1000000u)

#endif
