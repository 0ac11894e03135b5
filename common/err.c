/* err: static messages for the error codes, and caller-buffer messages. */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>

const char *err_str(int code)
{
    switch (code) {
    case ERR_OK:      return "success";
    case ERR_ARG:     return "invalid argument";
    case ERR_RANGE:   return "value out of range";
    case ERR_PARSE:   return "malformed input";
    case ERR_IO:      return "I/O error";
    case ERR_CRYPTO:  return "authentication or signature failure";
    case ERR_TIMEOUT: return "timeout: peer silent";
    case ERR_PROTO:   return "protocol violation";
    case ERR_CHEAT:   return "inconsistent shares detected";
    case ERR_NOMEM:   return "out of memory";
    case ERR_REFUSED: return "refused";
    case ERR_STATE:   return "invalid state";
    default:          return "unknown error";
    }
}

void err_fmt(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}
