/* flip: a test-only cheating server on the in-process hub (common/adv.h)
 * that flips one bit of what it sends at one site, a site being one
 * (message type, step) it sends in a run. A first run with target -1 records
 * the sites; then each is tried: the same flip to every recipient (all), or
 * to the first recipient seen only (an equivocation). Implemented in
 * tests/lib/flip.c. */
#ifndef MPC_TEST_FLIP_H
#define MPC_TEST_FLIP_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define FLIP_MAXSITES 512

typedef struct flip_site {
    uint8_t type;
    uint64_t step;
    int to;            /* first recipient seen */
} flip_site;

typedef struct flip {
    pthread_mutex_t mu;
    int cheater;       /* the server that deviates (1-based) */
    flip_site sites[FLIP_MAXSITES];
    int nsites, target, all;   /* target -1: record only */
    size_t bit;        /* which bit of the payload (mod its length) */
    int fired;
} flip;

/* Initialise F for server `cheater`, recording only. */
void flip_init(flip *F, int cheater);
/* Install F as the hub's hook for the next runs (flip_off removes it); clears
 * fired. */
void flip_on(flip *F);
void flip_off(void);

#endif
