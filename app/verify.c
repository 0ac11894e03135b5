/* verify: t+1 matching signatures make a result (see verify.h). */
#include "app/verify.h"

#include <stdio.h>
#include <string.h>

#include "protocols/result.h"

static json_t *s_with_counts(const result_stmt *o)
{
    json_error_t je;
    json_t *j = json_loadb((const char *)o->output, o->output_len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    json_object_set_new(j, "accepted", json_integer((json_int_t)o->accepted));
    json_object_set_new(j, "excluded", json_integer((json_int_t)o->excluded));
    return j;
}

int app_verify(const defn *d, uint8_t *const *blobs, const size_t *lens, size_t count,
               json_t **out, char *msg, size_t msglen)
{
    int n = defn_n(d);
    result_stmt *st[APP_VERIFY_MAX] = { 0 };
    size_t ns = 0;
    for (size_t i = 0; i < count && ns < APP_VERIFY_MAX; i++)
        if (blobs[i] && result_stmt_decode(&st[ns], blobs[i], lens[i]) == 0) ns++;
    uint8_t pks[MPC_MAX_SERVERS][32];
    for (int i = 0; i < n; i++) memcpy(pks[i], defn_server_at(d, i + 1)->sign_pk, 32);
    result_verdict v;
    int rc = result_accept(&v, (const result_stmt *const *)st, ns, defn_sid(d),
                           (const uint8_t(*)[32])pks, n, defn_t(d));
    snprintf(msg, msglen, "%s", v.msg);
    if (rc == 0) {
        *out = s_with_counts(v.outcome);
        if (!*out) {
            snprintf(msg, msglen, "the signed output is not a JSON object");
            rc = ERR_PARSE;
        }
    }
    for (size_t i = 0; i < ns; i++) result_stmt_free(&st[i]);
    return rc;
}
