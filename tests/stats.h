/* stats: the two-sample chi-square test of the privacy tests: do masked
 * openings depend on the secret? (implemented in tests/lib/stats.c) */
#ifndef MPC_TEST_STATS_H
#define MPC_TEST_STATS_H

#include <stddef.h>
#include "common/field.h"

/* 1 when the openings ca and cb (m each, made with two different secrets)
 * differ in distribution at alpha = 1e-6, over 16 buckets of the 4 bits of
 * each value from bit K-2 up (where a leak of a K-bit secret would show); a
 * degenerate sample (one bucket) counts as a leak. *stat: the statistic. */
int stats_leaks(const fe *ca, const fe *cb, size_t m, int K, double *stat);

#endif
