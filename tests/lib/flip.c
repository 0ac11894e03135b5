/* flip: the bit-flipping cheater of tests/flip.h. */
#include "tests/flip.h"

#include <stdio.h>
#include <string.h>
#include "common/adv.h"
#include "protocols/mpc.h"
#include "tests/harness.h"

void flip_init(flip *F, int cheater)
{
    memset(F, 0, sizeof *F);
    pthread_mutex_init(&F->mu, NULL);
    F->cheater = cheater;
    F->target = -1;
}

static int s_find(flip *F, uint8_t type, uint64_t step, int to)
{
    for (int s = 0; s < F->nsites; s++)
        if (F->sites[s].type == type && F->sites[s].step == step) return s;
    if (F->nsites == FLIP_MAXSITES) return -1;
    F->sites[F->nsites] = (flip_site){ type, step, to };
    return F->nsites++;
}

static void s_hook(void *arg, int from, int to, uint8_t type, uint64_t step, uint8_t *p, size_t len)
{
    flip *F = arg;
    if (from != F->cheater || !len || type == MPC_MSG_KEYS) return;
    pthread_mutex_lock(&F->mu);
    int s = s_find(F, type, step, to);
    if (s >= 0 && s == F->target && (F->all || to == F->sites[s].to)) {
        size_t b = F->bit % (8 * len);
        p[b / 8] ^= (uint8_t)(1u << (b % 8));
        F->fired = 1;
    }
    pthread_mutex_unlock(&F->mu);
}

void flip_on(flip *F)
{
    F->fired = 0;
    mpc_adv_set(s_hook, F);
}

void flip_off(void)
{
    mpc_adv_set(NULL, NULL);
}

static void s_one(flip *F, flip_run_fn run, void *arg, flip_tally *ty)
{
    flip_on(F);
    run(F, arg, ty);
    flip_off();
    ty->runs++;
    ty->fired += (unsigned)F->fired;
}

int flip_sweep(flip *F, flip_run_fn run, void *arg, const size_t (*pos)[2], int npos,
               int timeout_ms, flip_tally ty[2])
{
    flip_tally dry = { 0 };
    F->target = -1;
    F->nsites = 0;
    s_one(F, run, arg, &dry);
    if (dry.correct != 1) return -1;
    int nsites = F->nsites, keep = harness_timeout_ms;
    harness_timeout_ms = timeout_ms;
    for (int s = 0; s < nsites; s++)
        for (int all = 0; all < 2; all++)
            for (int q = 0; q < npos; q++) {
                F->target = s;
                F->all = all;
                F->bit = pos[q][0] + pos[q][1] * (size_t)s;
                s_one(F, run, arg, &ty[all]);
            }
    harness_timeout_ms = keep;
    F->target = -1;
    return nsites;
}

void flip_print(const char *title, int nsites, const flip_tally ty[2])
{
    for (int all = 0; all < 2; all++)
        printf("%s (%s): %d sites, %u runs, %u fired, %u correct, %u aborted, %u wrong, %u late\n",
               title, all ? "same change to all" : "one recipient", nsites, ty[all].runs,
               ty[all].fired, ty[all].correct, ty[all].aborted, ty[all].wrong, ty[all].late);
}
