/* flip: the bit-flipping cheater of tests/flip.h. */
#include "tests/flip.h"

#include <string.h>
#include "common/adv.h"
#include "protocols/mpc.h"

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
