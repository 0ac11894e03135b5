/* fuzz_net_recv: the transport's frame validation and buffering (net_recv,
 * net_recv_vec, net_bye) fed with raw frames from authenticated but hostile
 * peers, over the in-process hub (3 parties in this thread; party 1 receives).
 * The input is a script of operations:
 *   0x00..0x7f  frame: sender 2 + (op & 1), u16 big-endian length, that many
 *               bytes (clipped to the input), sent as is with net_send_raw;
 *   0x80..0xfe  receive: peer 2 + (op & 1), type u8, step u8, count u8;
 *               op & 2: net_recv_vec of count elements of 2^89-1, else net_recv;
 *   0xff        net_bye on party 1 (needs a bye frame from 2 and 3).
 * Seeds carry the fixed session id, so mutations reach the checks past it.
 * Checks: every call returns 0 or a documented error; a payload or vector
 * handed out fits in the input. A receive that finds nothing waits for the
 * 1 ms timeout (the shortest the hub allows), so a script runs at most 16
 * receives and stops after its second timeout. */
#include <stdlib.h>
#include <string.h>
#include "common/net.h"
#include "tests/fuzz/util.h"

#define S_MAX_RECV     16
#define S_MAX_TIMEOUTS 2

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

static int s_documented(int rc)
{
    return rc == 0 || rc == ERR_PROTO || rc == ERR_CRYPTO || rc == ERR_TIMEOUT ||
           rc == ERR_STATE || rc == ERR_ARG;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const field *F = fuzz_field(FUZZ_F89);
    net_hub *hub = net_hub_new(3);
    net *nw[4] = { NULL, NULL, NULL, NULL };
    if (!hub) abort();
    for (int i = 1; i <= 3; i++) {
        nw[i] = net_mem_new(hub, i, fuzz_sid, 1);
        if (!nw[i]) abort();
    }
    size_t pos = 0;
    int recvs = 0, timeouts = 0;
    while (pos < size && recvs < S_MAX_RECV && timeouts < S_MAX_TIMEOUTS) {
        uint8_t op = data[pos++];
        int peer = 2 + (op & 1);
        if (op < 0x80) {
            if (size - pos < 2) break;
            size_t len = (size_t)data[pos] << 8 | data[pos + 1];
            pos += 2;
            if (len > size - pos) len = size - pos;
            if (net_send_raw(nw[peer], 1, data + pos, len) != 0) abort();
            pos += len;
        } else if (op == 0xff) {
            recvs++;
            int rc = net_bye(nw[1]);
            if (rc == ERR_ARG || !s_documented(rc)) abort();
            timeouts += rc == ERR_TIMEOUT;
        } else {
            if (size - pos < 3) break;
            uint8_t type = data[pos], step = data[pos + 1], m = data[pos + 2];
            pos += 3;
            recvs++;
            if (op & 2) {
                fe v[256];
                int rc = net_recv_vec(nw[1], peer, type, step, F, v, m);
                if (!s_documented(rc)) abort();
                timeouts += rc == ERR_TIMEOUT;
                for (int i = 0; rc == 0 && i < m; i++)
                    if (v[i] >= F->p) abort();
            } else {
                uint8_t *payload = NULL;
                size_t len = 0;
                int rc = net_recv(nw[1], peer, type, step, &payload, &len);
                if (!s_documented(rc)) abort();
                timeouts += rc == ERR_TIMEOUT;
                if (rc == 0) {
                    /* The frame came from this input: its payload fits in it. */
                    if (!payload || len > size) abort();
                    free(payload);
                } else if (payload) {
                    abort();
                }
            }
        }
    }
    for (int i = 1; i <= 3; i++) net_free(&nw[i]);
    net_hub_free(&hub);
    return 0;
}
