/* fuzz_net_hdr: net_hdr_decode on any bytes. Only ERR_PARSE on refusal; when it
 * accepts, every validated field holds its documented value and net_hdr_encode
 * reproduces the 52 header bytes exactly (the transport compares the decoded
 * session id, sender and step with its own state, so no field may shift). */
#include <stdlib.h>
#include <string.h>
#include "common/net.h"
#include "tests/fuzz/util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    net_hdr h;
    memset(&h, 0xa5, sizeof h);
    /* libFuzzer hands over an exact-size heap copy: ASan sees any overread. */
    const uint8_t *in = data;
    int rc = net_hdr_decode(&h, in, size);
    if (rc == 0) {
        if (size < NET_HDR_LEN || h.magic != NET_MAGIC || h.version != NET_VERSION ||
            h.reserved != 0 || h.len > NET_MAX_PAYLOAD)
            abort();
        uint8_t out[NET_HDR_LEN];
        net_hdr_encode(out, &h);
        if (memcmp(out, in, NET_HDR_LEN) != 0) abort();
    } else if (rc != ERR_PARSE) {
        abort();   /* the contract allows ERR_PARSE only */
    }
    return 0;
}
