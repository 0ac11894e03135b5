/* e2e: helpers of the end-to-end tests, which drive the real application
 * binaries ($MPC_BUILD/auction/auction, $MPC_BUILD/vote/vote) as processes:
 * run a command capturing stdout, stderr and the exit status; temporary files
 * and directories; the JSON a run prints; byte searches over a kept run
 * directory; a real session (keygen, hand-written definition file, servers in
 * the background, clients); and a seeded PRNG for reproducible input sets (test
 * inputs only, never secrets). Implemented in tests/lib/e2e.c, tested by
 * tests/test_e2e_util.c.
 *
 * The helpers assert with Criterion (a failing helper ends the test). Every
 * process, temporary directory and session they create is recorded and undone
 * by e2e_cleanup(), the suites' .fini, even after a failed assertion; spawned
 * processes also die with the test process (PR_SET_PDEATHSIG). */
#ifndef MPC_TEST_E2E_H
#define MPC_TEST_E2E_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#define E2E_TIMEOUT_MS 60000     /* default bound on one command (ASan is slow) */
#define E2E_MAX_SERVERS 9
#define E2E_PATH 512

/* Bound (ms) on each command e2e_app / e2e_run_local run; E2E_TIMEOUT_MS after
 * e2e_setup, a test may lower it. */
extern int e2e_timeout_ms;

/* What a finished command left. out and err are malloc'd and NUL-terminated
 * (never NULL after e2e_exec); free with e2e_out_free. */
typedef struct e2e_out {
    int status;        /* exit code; 128 + signal if killed by one; -1 not run */
    int timed_out;     /* killed (with its process group) at the deadline */
    char *out;
    size_t out_len;
    char *err;
    size_t err_len;
} e2e_out;

/* Suite .init: secmem_init, and the cleanup lists. */
void e2e_setup(void);
/* Suite .fini: kill what is still running, remove the temporary directories. */
void e2e_cleanup(void);

/* Path of an application binary: $MPC_BUILD/app/app, MPC_BUILD defaulting to
 * "build". Returns out. */
const char *e2e_bin(char *out, size_t outlen, const char *app);

/* Run argv (argv[0] a path, NULL-terminated) with stdin from /dev/null in its
 * own process group; capture stdout and stderr; after timeout_ms kill the whole
 * group. Asserts that the process could be started. */
void e2e_exec(e2e_out *r, const char *const *argv, int timeout_ms);
/* e2e_exec of the application binary app with the NULL-terminated arguments
 * (e2e_timeout_ms). */
void e2e_app(e2e_out *r, const char *app, ...) __attribute__((sentinel));
void e2e_out_free(e2e_out *r);

/* New directory /tmp/e2e-<tag>-XXXXXX (removed by e2e_cleanup) into out. */
void e2e_tmpdir(char *out, size_t outlen, const char *tag);
/* Write text to path (asserts). */
void e2e_write(const char *path, const char *text);
/* Read a whole file: malloc'd, NUL-terminated (NULL if unreadable). */
char *e2e_read(const char *path, size_t *len);
/* Remove a directory tree (no error if absent). */
void e2e_rmtree(const char *dir);

/* `app run-local --bids|--ballots FILE --json --keep --dir DIR FLAGS...`:
 * inputs (the file's text) is written to a fresh temporary directory; DIR is
 * dir, or a "run" directory beside the inputs when dir is NULL (both removed
 * by e2e_cleanup). Returns the parsed stdout (owned, json_decref) when the run
 * exited 0, else NULL; *r holds the run either way. */
json_t *e2e_run_local(e2e_out *r, const char *app, const char *inputs, const char *dir, ...)
    __attribute__((sentinel));

/* A run-local that must have refused its input before starting anything: no
 * JSON, no hang, exit status `status`, nothing on stdout, an "error" naming
 * `says` on stderr, and no server log or data directory under dir. what names
 * the case in messages. */
void e2e_expect_refused(const e2e_out *r, json_t *j, const char *dir, const char *what,
                        int status, const char *says);

/* Parse text as one JSON object (NULL if it is not one). */
json_t *e2e_json(const char *text);
/* Integer / string member of o; assert that it exists with that type. */
int64_t e2e_jint(const json_t *o, const char *key);
const char *e2e_jstr(const json_t *o, const char *key);
int e2e_jbool(const json_t *o, const char *key);
int e2e_jhas(const json_t *o, const char *key);

/* Byte search. e2e_tree_find: first regular file under dir whose bytes contain
 * needle; 1 (path into where) or 0. */
int e2e_mem_has(const void *hay, size_t hay_len, const void *needle, size_t len);
int e2e_tree_find(const char *dir, const void *needle, size_t len, char *where, size_t wlen);
/* v as width bytes, big-endian (the wire form of a field element) / little-endian. */
void e2e_be(uint8_t *out, size_t width, uint64_t v);
void e2e_le(uint8_t *out, size_t width, uint64_t v);

/* splitmix64: reproducible test inputs from a fixed seed (not for secrets). */
uint64_t e2e_rand(uint64_t *state);
/* Uniform-enough value in [0, bound) (bound > 0; a test's modulo bias is fine). */
uint64_t e2e_rand_below(uint64_t *state, uint64_t bound);

/* A real session: `app keygen` for n servers and for every client name (roll
 * members and others), a definition file written by hand, n servers
 * `app server --defn --keys --data --serve` in the background. Files live in
 * dir: <name>.key/.pub, server<i>.key/.pub, definition.json, d<i>/ (data),
 * server<i>.out / server<i>.log (stdout / stderr). */
typedef struct e2e_session {
    char app[16];
    char dir[E2E_PATH];
    char defn[E2E_PATH + 32];
    int n;
    pid_t pid[E2E_MAX_SERVERS];
    int serve_s;
    int http_port[E2E_MAX_SERVERS];   /* with e2e_session_web: server i+1's HTTP port */
} e2e_session;

/* timeout_ms written into the definition files of new sessions (default 10000);
 * crash tests lower it so the survivors give up on a dead peer quickly. */
extern int e2e_session_timeout_ms;
/* Seconds from now to the deadline of new sessions (default 3600). */
extern int e2e_session_deadline_s;
/* The "security" of new sessions' definitions (NULL: omitted, i.e. malicious). */
extern const char *e2e_session_security;
/* rules.close of new sessions unless their rules say (default "all_voted"). */
extern const char *e2e_session_close;
/* A web directory (default NULL: no HTTP): new sessions give every server an
 * "http" origin http://127.0.0.1:PORT on a free port and start it with
 * --http 127.0.0.1:PORT --web DIR (docs/http.md). */
extern const char *e2e_session_web;
/* With e2e_session_web: a PEM certificate and key (default NULL): the origins
 * are https:// and the servers get --tls-cert and --tls-key. */
extern const char *e2e_session_tls_cert, *e2e_session_tls_key;

/* Keys, definition (kind from app, t, rules as JSON text, deadline in an hour)
 * and started servers (serving fetches for serve_s seconds after the result). */
void e2e_session_start(e2e_session *s, const char *app, int n, int t,
                       const char *const *roll, const char *const *others,
                       const char *rules_json, int serve_s);
/* `app bid|cast --defn F --keys DIR/who.key input` (r is the client's run). */
void e2e_session_submit(e2e_session *s, e2e_out *r, const char *who, const char *input);
/* Wait until every server wrote d<i>/result.stmt (asserts within the timeout). */
void e2e_session_wait_results(const e2e_session *s, int timeout_ms);
/* (Re)start server i (1-based) with the same keys and data directory, its log
 * appended to; failpoint (may be NULL) goes into MPC_FAILPOINT (docs/reliability.md). */
void e2e_session_restart(e2e_session *s, int i, const char *failpoint);
/* SIGKILL server i and reap it. Returns its wait status code (128 + signal). */
int e2e_session_kill(e2e_session *s, int i);
/* Wait for server i to exit by itself within timeout_ms; its exit code, or -1. */
int e2e_session_wait_exit(e2e_session *s, int i, int timeout_ms);

/* SIGTERM the servers and reap them; status[i] (may be NULL) gets server i+1's
 * exit status. The directory stays until e2e_cleanup. */
void e2e_session_stop(e2e_session *s, int *status);

#endif
