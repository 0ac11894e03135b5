/* defn: the definition file of one auction or election (JSON, docs/definition-file.md):
 * servers, roll of eligible clients, parameters and application rules, strictly
 * validated; its BLAKE2b-256 hash is the session id.
 *
 * Parsed with libjansson (JSON_REJECT_DUPLICATES). Every message names the field
 * ("servers[1].curve_pk: expected 64 hex characters"); unknown keys are refused at
 * every level except inside "rules", which the application checks with the
 * defn_rule_* getters. Nothing here is secret: the file holds public keys only. */
#ifndef MPC_DEFN_H
#define MPC_DEFN_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "common/err.h"
#include "common/field.h"
#include "common/limits.h"

#define DEFN_KEY_LEN      32            /* CURVE and Ed25519 public keys */
#define DEFN_MAX_ID       64            /* id and roll names: bytes */
#define DEFN_MAX_ENDPOINT 255
#define DEFN_MAX_ROLL     (1u << 20)
#define DEFN_MAX_FILE     (64u << 20)   /* refused before reading */

/* DEFN_SUM: a sum/average of client values (the seed's average-raise example). */
enum { DEFN_AUCTION = 1, DEFN_VOTE = 2, DEFN_SUM = 3 };
/* The "security" setting: against actively cheating servers, or semi-honest. */
enum { DEFN_MALICIOUS = 1, DEFN_SEMI_HONEST = 2 };
/* The "domain" of the clients' inputs: shares of field elements of p
 * (default), or shares of bits over GF(2^4) (protocols/gf2.h; auctions only). */
enum { DEFN_DOMAIN_FIELD = 0, DEFN_DOMAIN_BINARY = 1 };

typedef struct defn defn;

/* One compute server; index is 1-based. Strings are owned by the defn. */
typedef struct defn_server {
    int index;
    const char *mesh;                   /* endpoint of the server mesh */
    const char *client;                 /* endpoint where clients submit */
    const char *http;                   /* its HTTP origin for the web page
                                         * ("http[s]://host:port"), NULL: none */
    uint8_t curve_pk[DEFN_KEY_LEN];
    uint8_t sign_pk[DEFN_KEY_LEN];
} defn_server;

/* One roll entry (an eligible bidder or voter). Its roll index is its 0-based
 * position in the file. The CURVE key is optional in the file (a voter may
 * authenticate by the Ed25519 signature on the submission only): curve_pk is
 * all zero when the entry has none (the loader refuses an all-zero key, so zero
 * always means absent), and defn_write omits an all-zero one. */
typedef struct defn_voter {
    const char *name;
    uint8_t curve_pk[DEFN_KEY_LEN];     /* all zero: none */
    uint8_t sign_pk[DEFN_KEY_LEN];
} defn_voter;

/* Parse and validate a definition from bytes (fuzzable: any input is safe).
 * On success *out is owned by the caller (defn_free). On failure returns ERR_PARSE
 * (malformed or invalid field), ERR_RANGE (no prime fits) and writes a message
 * naming the field into err (may be NULL). */
int defn_parse(defn **out, const uint8_t *bytes, size_t len, char *err, size_t errlen) MPC_WUR;
/* Read path (at most DEFN_MAX_FILE bytes) then defn_parse; ERR_IO if unreadable. */
int defn_load(defn **out, const char *path, char *err, size_t errlen) MPC_WUR;
void defn_free(defn **pp);

/* Accessors; every pointer stays valid until defn_free. */
const uint8_t *defn_sid(const defn *d);       /* MPC_SID_LEN bytes: BLAKE2b-256 of the file */
const char *defn_id(const defn *d);
/* Optional texts shown to voters and bidders ("title", "question"; NULL when
 * absent): 1..DEFN_MAX_TITLE / DEFN_MAX_QUESTION bytes, no control character. */
#define DEFN_MAX_TITLE 200
#define DEFN_MAX_QUESTION 2000
const char *defn_title(const defn *d);
const char *defn_question(const defn *d);
/* 1 if s is such a text of at most max bytes. */
int defn_text_ok(const char *s, size_t max);
int defn_kind(const defn *d);                 /* DEFN_AUCTION, DEFN_VOTE or DEFN_SUM */
/* 1 when s is a valid id or name: 1..DEFN_MAX_ID characters of [A-Za-z0-9._-]. */
int defn_name_ok(const char *s);
/* 1 if s is a valid roll name: 1..DEFN_MAX_ID bytes, no control character. */
int defn_roll_name_ok(const char *s);
int defn_n(const defn *d);
int defn_t(const defn *d);
int defn_bits(const defn *d);
int defn_kappa(const defn *d);
/* DEFN_MALICIOUS (default) or DEFN_SEMI_HONEST, and its name in files/results. */
int defn_security(const defn *d);
const char *defn_security_name(int security);
/* DEFN_DOMAIN_FIELD (default) or DEFN_DOMAIN_BINARY. */
int defn_domain(const defn *d);
const field *defn_field(const defn *d);
int64_t defn_deadline(const defn *d);         /* unix seconds */
int defn_timeout_ms(const defn *d);
/* Server i (1..n), NULL out of range. */
const defn_server *defn_server_at(const defn *d, int i);
size_t defn_roll_size(const defn *d);
/* Roll entry i (0-based), NULL out of range. */
const defn_voter *defn_roll_at(const defn *d, size_t i);
/* Roll index of the entry whose CURVE (resp. Ed25519) key is pk, or -1.
 * O(log roll size). Entries without a CURVE key are never found by
 * defn_roll_find (an all-zero pk gives -1). */
long defn_roll_find(const defn *d, const uint8_t curve_pk[DEFN_KEY_LEN]);
long defn_roll_find_sign(const defn *d, const uint8_t sign_pk[DEFN_KEY_LEN]);
/* NULL if s is a valid HTTP origin of a server: "http://" or "https://",
 * then an IPv4 literal, a bracketed IPv6 literal or a host name ([A-Za-z0-9.-]),
 * then ":PORT" (1..65535, no leading zero), nothing after (no path, no '/');
 * else why not. *port (may be NULL) gets the port, *tls 1 for https. */
const char *defn_http_origin_problem(const char *s, int *port, int *tls);
/* Server index (1..n) whose CURVE (resp. Ed25519) key is pk, or -1. */
int defn_server_find(const defn *d, const uint8_t curve_pk[DEFN_KEY_LEN]);
int defn_server_find_sign(const defn *d, const uint8_t sign_pk[DEFN_KEY_LEN]);

/* The "rules" object (borrowed; do not modify or free), for nested content. */
const json_t *defn_rules(const defn *d);

/* Rules getters. Each returns 0, or ERR_PARSE with a message naming the key
 * ("rules.price: expected a string") in err. An absent key yields the default. */
/* When intake closes (rules.close): at the deadline (the default, so re-voting
 * stays possible until then) or as soon as every roll member has submitted. */
#define DEFN_CLOSE_DEADLINE  0
#define DEFN_CLOSE_ALL_VOTED 1
int defn_close(const defn *d);
/* ERR_PARSE naming the first key of "rules" not in allowed (NULL-terminated)
 * or a bad "close" (a rule of every application, always allowed). */
int defn_rules_check_keys(const defn *d, const char *const allowed[], char *err,
                          size_t errlen) MPC_WUR;
/* String; *out points into the defn (or is dflt). */
int defn_rule_str(const defn *d, const char *key, const char *dflt, const char **out,
                  char *err, size_t errlen) MPC_WUR;
/* Integer in [min, max]. */
int defn_rule_int(const defn *d, const char *key, int64_t dflt, int64_t min, int64_t max,
                  int64_t *out, char *err, size_t errlen) MPC_WUR;
/* JSON true/false into 1/0. */
int defn_rule_bool(const defn *d, const char *key, int dflt, int *out, char *err,
                   size_t errlen) MPC_WUR;
/* Array of min..max distinct non-empty strings (absent: empty, an error if min > 0).
 * *out is a malloc'd array of *count pointers into the defn (free() the array;
 * NULL when empty). */
int defn_rule_strlist(const defn *d, const char *key, size_t min, size_t max,
                      const char ***out, size_t *count, char *err, size_t errlen) MPC_WUR;
/* Rational "num/den" as a string, 0 < num <= den <= 10^9; absent gives
 * dflt_num/dflt_den. */
int defn_rule_rational(const defn *d, const char *key, int64_t dflt_num, int64_t dflt_den,
                       int64_t *num, int64_t *den, char *err, size_t errlen) MPC_WUR;

/* What an organizer (or `run-local`, or a test) writes. Every field is written
 * explicitly; the text is parsed back with defn_parse before it is returned, so
 * a writer never produces a file the loader refuses. */
typedef struct defn_spec {
    const char *id;
    const char *title, *question;       /* NULL: omitted */
    int kind;                           /* DEFN_AUCTION or DEFN_VOTE */
    int t, bits, kappa;
    int security;                       /* 0 or DEFN_MALICIOUS: default; DEFN_SEMI_HONEST */
    int domain;                         /* DEFN_DOMAIN_FIELD (0, omitted) or _BINARY */
    const char *prime;                  /* NULL: the default for bits + kappa */
    int64_t deadline;
    int timeout_ms;                     /* 0: omitted (default 10000) */
    int n;
    const defn_server *servers;         /* n entries with index 1..n */
    size_t roll_size;
    const defn_voter *roll;
    const json_t *rules;                /* the rules object (copied), or NULL: */
    const char *rules_json;             /* its JSON text instead; both NULL: {} */
} defn_spec;

/* Build the JSON text of spec: *out is malloc'd, NUL-terminated, *len bytes
 * without the NUL (free() it). ERR_PARSE/ERR_ARG with a message when the spec
 * would not load. */
int defn_format(char **out, size_t *len, const defn_spec *spec, char *err,
                size_t errlen) MPC_WUR;
/* defn_format then replace path atomically and durably (fs_write_atomic, mode
 * 0644 less the umask). ERR_IO with the file name and strerror in err. */
int defn_write(const char *path, const defn_spec *spec, char *err, size_t errlen) MPC_WUR;

#endif
