/* defn_impl: strict JSON member access that the loader (defn.c) shares with
 * the rules getters (defn_rules.c), so a field of "rules" is refused with the
 * same words as a top-level one. Not for callers of defn.h. */
#ifndef MPC_DEFN_IMPL_H
#define MPC_DEFN_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "common/err.h"

/* Copy of a file-supplied string fit for a message: printable ASCII, at most
 * 40 characters then "...". */
void defn_safe_str(char out[48], const char *s);

/* ERR_PARSE naming "path.key: unknown key" for the first member of obj that is
 * not in allowed (NULL-terminated); path "" is the top level. */
int defn_json_check_keys(const json_t *obj, const char *path, const char *const allowed[],
                         char *err, size_t errlen) MPC_WUR;

/* Integer member key of obj in [min, max] into *out; absent gives dflt, or
 * ERR_PARSE if required. ERR_PARSE naming path.key on a wrong type or range. */
int defn_json_int(const json_t *obj, const char *path, const char *key, int required,
                  int64_t dflt, int64_t min, int64_t max, int64_t *out,
                  char *err, size_t errlen) MPC_WUR;

#endif
