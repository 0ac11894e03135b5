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

/* The honest servers' verdicts over the runs of a sweep. */
typedef struct flip_tally {
    unsigned runs, fired, correct, aborted, wrong, late;
} flip_tally;

/* One run of the parties with F installed (its target, all and bit set):
 * adds correct / aborted / wrong / late to ty (flip_sweep counts runs and
 * fired). */
typedef void (*flip_run_fn)(flip *F, void *arg, flip_tally *ty);

/* The whole sweep: one recording run, which must come out correct (else -1),
 * then every site for one recipient (ty[0]) and for all (ty[1]), at each of
 * npos bit positions, position q of site s being pos[q][0] + pos[q][1] * s;
 * the deviating runs with harness_timeout_ms = timeout_ms (restored after).
 * Returns the number of sites. */
int flip_sweep(flip *F, flip_run_fn run, void *arg, const size_t (*pos)[2], int npos,
               int timeout_ms, flip_tally ty[2]);
/* One line per class: title, sites, runs, fired, correct, aborted, wrong,
 * late. */
void flip_print(const char *title, int nsites, const flip_tally ty[2]);

/* Initialise F for server `cheater`, recording only. */
void flip_init(flip *F, int cheater);
/* Install F as the hub's hook for the next runs (flip_off removes it); clears
 * fired. */
void flip_on(flip *F);
void flip_off(void);

#endif
