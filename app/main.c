/* main: the subcommand dispatch of an application binary (with --help on
 * each), and keygen. */
#include "app/app.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/admin.h"
#include "app/cli.h"
#include "app/client.h"
#include "app/help.h"
#include "app/record.h"
#include "app/runlocal.h"
#include "app/server.h"
#include "app/status.h"
#include "common/keys.h"
#include "common/rpc.h"
#include "common/secmem.h"

static int s_keygen(int argc, char **argv)
{
    static const char *const vf[] = { "--out", NULL };
    cli_args a;
    const char *prefix;
    if (cli_parse(&a, argc, argv, vf, NULL) || cli_need(&a, "--out", &prefix)) return 2;
    char sk[4096], pk[4096], err[256];
    snprintf(sk, sizeof sk, "%s.key", prefix);
    snprintf(pk, sizeof pk, "%s.pub", prefix);
    keys *k = keys_generate();
    int rc = keys_save_secret(k, sk, err, sizeof err);
    if (rc == 0) rc = keys_save_public(k, pk, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "error: %s\n", err);
        keys_free(&k);
        return 1;
    }
    char hex[65];
    keys_hex_encode(hex, keys_curve_pk(k), 32);
    printf("secret key: %s (mode 0600)\npublic key: %s\ncurve_pk %s\n", sk, pk, hex);
    keys_hex_encode(hex, keys_sign_pk(k), 32);
    printf("sign_pk  %s\n", hex);
    keys_free(&k);
    return 0;
}

static int s_runlocal(const app_ops *ops, int argc, char **argv)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "error: cannot find own executable\n");
        return 1;
    }
    self[n] = 0;
    return app_runlocal_main(ops, argc, argv, self);
}

int app_submit(const defn *d, const keys *k, const fe *plain, uint32_t m, FILE *report)
{
    return app_client_submit(d, k, plain, m, app_client_seq(), 0, NULL, report) == 0 ? 0 : 1;
}

void app_client_done(void)
{
    rpc_thread_done();
}

int app_main(const app_ops *ops, int argc, char **argv)
{
    if (secmem_init() != 0) {
        fprintf(stderr, "error: libsodium initialisation failed\n");
        return 1;
    }
    if (argc < 2) {
        app_usage(ops, NULL, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    int sub_argc = argc - 2;
    char **sub_argv = argv + 2;
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        /* "help COMMAND" is "COMMAND --help" */
        if (sub_argc > 0 && app_usage(ops, sub_argv[0], stdout) == 0) return 0;
        app_usage(ops, NULL, stdout);
        return 0;
    }
    /* --help anywhere after a known command: its usage, nothing run */
    if (app_wants_help(sub_argc, sub_argv) && app_usage(ops, cmd, stdout) == 0) return 0;
    if (strcmp(cmd, "keygen") == 0) return s_keygen(sub_argc, sub_argv);
    if (strcmp(cmd, "server") == 0) return app_server_main(ops, sub_argc, sub_argv);
    if (strcmp(cmd, ops->verb) == 0) return app_client_main(ops, sub_argc, sub_argv);
    if (strcmp(cmd, "result") == 0) return app_result_main(ops, sub_argc, sub_argv);
    if (strcmp(cmd, "record") == 0) return app_record_main(ops, sub_argc, sub_argv);
    if (strcmp(cmd, "verify") == 0) return app_verify_record_main(ops, sub_argc, sub_argv);
    if (strcmp(cmd, "check") == 0) return app_check_main(ops, sub_argc, sub_argv);
    if (strcmp(cmd, "status") == 0) return app_status_main(ops, sub_argc, sub_argv);
    if (strcmp(cmd, "run-local") == 0) return s_runlocal(ops, sub_argc, sub_argv);
    if (strcmp(cmd, "new") == 0) return app_new_main(ops, sub_argc, sub_argv);
    if (strcmp(cmd, "info") == 0) return app_info_main(ops, sub_argc, sub_argv);
    if (strcmp(cmd, "credentials") == 0) return app_credentials_main(ops, sub_argc, sub_argv);
    fprintf(stderr, "error: unknown command \"%s\"\n", cmd);
    app_usage(ops, NULL, stderr);
    return 2;
}
