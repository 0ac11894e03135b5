/* adv: test-only frame hook of the in-process hub (see adv.h). Empty in the
 * shipped library. */
#include "common/adv.h"

#ifdef MPC_TEST_ADVERSARY
#include "common/net.h"

static mpc_adv_fn s_fn;
static void *s_arg;

void mpc_adv_set(mpc_adv_fn fn, void *arg)
{
    s_fn = fn;
    s_arg = arg;
}

void mpc_adv_frame(int from, int to, uint8_t *frame, size_t len)
{
    net_hdr h;
    if (!s_fn || net_hdr_decode(&h, frame, len) != 0 || len < NET_HDR_LEN + (size_t)h.len) return;
    s_fn(s_arg, from, to, h.type, h.step, frame + NET_HDR_LEN, h.len);
}
#else
typedef int s_adv_unused;   /* the shipped library has no hook */
#endif
