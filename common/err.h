/* err: error codes shared by every layer, and their static messages. */
#ifndef MPC_ERR_H
#define MPC_ERR_H

#include <stddef.h>

#define MPC_WUR __attribute__((warn_unused_result))

/* Fallible functions return 0 or one of these (negative). */
enum {
    ERR_OK       = 0,
    ERR_ARG      = -1,  /* invalid argument from a caller or user */
    ERR_RANGE    = -2,  /* value out of range (element >= p, bid >= 2^k) */
    ERR_PARSE    = -3,  /* malformed input: file, message, key */
    ERR_IO       = -4,  /* file or socket I/O failure */
    ERR_CRYPTO   = -5,  /* signature/auth/MAC failure, forged data */
    ERR_TIMEOUT  = -6,  /* a peer stayed silent past the deadline */
    ERR_PROTO    = -7,  /* protocol violation (wrong step, type, sender) */
    ERR_CHEAT    = -8,  /* inconsistent shares: a party deviated */
    ERR_NOMEM    = -9,
    ERR_REFUSED  = -10, /* request refused by policy (roll, deadline, budget) */
    ERR_STATE    = -11, /* operation not valid in the current state */
};

/* Static text for an error code; never NULL. */
const char *err_str(int code);

/* printf into a caller's message buffer (truncating, always NUL-terminated);
 * does nothing when err is NULL or errlen 0, so every (err, errlen) pair of
 * the API may be omitted. */
__attribute__((format(printf, 3, 4)))
void err_fmt(char *err, size_t errlen, const char *fmt, ...);

#endif
