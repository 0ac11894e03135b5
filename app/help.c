/* help: usage texts of the subcommands (see help.h). */
#include "app/help.h"

#include <string.h>
#include "app/cli.h"

static void s_rule_flags(const app_ops *ops, FILE *out)
{
    fprintf(out, "rule flags (as run-local):");
    for (size_t i = 0; ops->flags[i]; i++)
        fprintf(out, " %s%s", ops->flags[i], cli_in(ops->bool_flags, ops->flags[i]) ? "" : " V");
    fprintf(out, "\n");
}

static void s_new(const app_ops *ops, FILE *out)
{
    fprintf(out,
            "usage: %s new --servers FILE --roll DIR|FILE --deadline WHEN --out FILE\n"
            "              [--id ID] [--title TEXT] [--question TEXT] [--t T] [--bits K]\n"
            "              [--security malicious|semi-honest] [--domain field|binary]\n"
            "              [--timeout-ms MS] [--close deadline|all_voted] [rule flags] [--json]\n"
            "Write a definition file, checked as a server will load it; print its session id\n"
            "(--json: {\"session_id\": HEX, \"path\": FILE}). FILE must not exist.\n"
            "  --servers FILE  lines \"index mesh_endpoint client_endpoint pubfile [http_origin]\"\n"
            "                  ('#' comments); http_origin: http[s]://HOST:PORT of its web page;\n"
            "                  endpoints tcp://ADDRESS:PORT with the numeric address the server\n"
            "                  owns and the others reach (no host name, no wildcard)\n"
            "  --roll DIR      every NAME.pub in DIR (roll in byte order of the names)\n"
            "  --roll FILE     lines \"name pubfile\" or \"name hexkey\" (the Ed25519 key in hex,\n"
            "                  as `%s credentials` writes); relative paths are beside FILE\n"
            "  --deadline      +90m, +3h, +2d, or ISO-8601 2026-03-01T18:00[:SS] with Z, an\n"
            "                  offset (+01:00) or nothing (local time); at most 366 days ahead\n"
            "  --id ID         default %s-YYYYMMDD-HHMMSS (UTC now)\n"
            "  --title, --question  shown to voters and bidders by `info` and the web page\n"
            "                  (at most 200 / 2000 bytes, no control characters)\n"
            "  --t T           default (n-1)/2; fewer than 3 servers need --t 0\n"
            "  --close         deadline (default: re-voting until then) or all_voted (close\n"
            "                  once every roll member has submitted)\n"
            "  --domain        field (default: inputs shared as elements of the prime field)\n"
            "                  or binary (auctions: a bid's bits shared over GF(2^4), the\n"
            "                  comparisons bit-sliced; bits at most 63)\n",
            ops->name, ops->name, ops->name);
    s_rule_flags(ops, out);
}

int app_usage(const app_ops *ops, const char *cmd, FILE *out)
{
    const char *n = ops->name;
    if (!cmd) {
        fprintf(out,
                "usage: %s COMMAND [options]   (%s COMMAND --help for one command)\n"
                "  keygen      --out PREFIX                 write PREFIX.key (0600) and PREFIX.pub\n"
                "  credentials --out DIR (--count N | --names FILE)   voter codes + public roll\n"
                "  new         --servers FILE --roll DIR|FILE --deadline WHEN --out FILE ...\n"
                "  info        --defn FILE [--json]\n"
                "  server      --defn FILE --keys KEY --data DIR [--serve S] [--http A:P]\n"
                "  %-11s --defn FILE --keys KEY [--retry S] [--tracker FILE] [--json] INPUT\n"
                "  result      --defn FILE [STATEMENT...] [--json]\n"
                "  record      --defn FILE --out FILE [STATEMENT...]\n"
                "  verify      RECORD [--json]\n"
                "  check       --defn FILE --keys KEY [--tracker FILE]\n"
                "  status      --defn FILE [--json]         each server: up, intake, accepted\n"
                "  run-local   %s FILE [--servers N] [--bits K] [--json] ...\n",
                n, n, ops->verb, ops->inputs_flag);
        return 0;
    }
    if (!strcmp(cmd, "keygen")) {
        fprintf(out, "usage: %s keygen --out PREFIX\n"
                     "Write PREFIX.key (secret, mode 0600, never overwritten) and PREFIX.pub.\n", n);
    } else if (!strcmp(cmd, "credentials")) {
        fprintf(out, "usage: %s credentials --out DIR (--count N | --names FILE) [--json]\n"
                     "Make one secret credential DIR/NAME.cred (mode 0600) per %s and the public\n"
                     "roll DIR/roll.txt (\"name hexkey\" lines) for `%s new --roll`. DIR must be new\n"
                     "or empty. Names: --names FILE (one a line) or %s001, %s002, ...\n"
                     "(--json: {\"count\": N, \"dir\": DIR, \"roll\": DIR/roll.txt}). A .cred file (or\n"
                     "a file holding just its code, mode 0600) works wherever --keys takes a key.\n",
                n, ops->noun, n, ops->noun, ops->noun);
    } else if (!strcmp(cmd, "new")) {
        s_new(ops, out);
    } else if (!strcmp(cmd, "info")) {
        fprintf(out, "usage: %s info --defn FILE [--json]\n"
                     "Print a definition for humans: session id, servers, roll size, rules in\n"
                     "words, security, deadline in local time and UTC.\n", n);
    } else if (!strcmp(cmd, "server")) {
        fprintf(out, "usage: %s server --defn FILE --keys KEY --data DIR [--serve SECONDS] [--log L]\n"
                     "       [--http ADDR:PORT [--tls-cert FILE --tls-key FILE] [--web DIR]]\n"
                     "Run one compute server: intake until the deadline, reconcile with the other\n"
                     "servers, compute, sign the result (DIR/result.stmt, DIR/accepted.json), then\n"
                     "serve it to anyone for SECONDS (0..86400; default: until stopped). Restarted on\n"
                     "a finished DIR, it serves the signed result again.\n"
                     "  --http ADDR:PORT  also take envelopes and serve the web page over HTTP\n"
                     "                    (docs/http.md); ADDR an IP address of this host, PORT the\n"
                     "                    one of this server's \"http\" origin in the definition\n"
                     "  --tls-cert/--tls-key FILE  PEM certificate and key: HTTPS instead\n"
                     "  --web DIR         the page's files (default $MPC_WEB, else ../web beside\n"
                     "                    the binary's directory, i.e. build/web)\n", n);
    } else if (!strcmp(cmd, ops->verb)) {
        fprintf(out, "usage: %s %s --defn FILE --keys KEY [--retry SECONDS] [--tracker FILE]\n"
                     "       [--json] (INPUT | --raw V)\n"
                     "Seal one input in a signed envelope and send it to every server, retrying\n"
                     "the silent ones for SECONDS (default 60); again before the close replaces\n"
                     "it. Exit 0 once it is safely cast (n-t receipts). Prints the tracker\n"
                     "(envelope hash), also written to KEY.ballot (or --tracker) for `check`.\n"
                     "KEY is a key file or a credential file. --json: {\"receipts\", \"servers\",\n"
                     "\"safely_cast\", \"seq\", \"tracker\"}.\n", n, ops->verb);
    } else if (!strcmp(cmd, "result")) {
        fprintf(out, "usage: %s result --defn FILE [STATEMENT...] [--json]\n"
                     "Print the result once t+1 servers' signed statements agree (fetched from\n"
                     "the servers, which publish them to anyone, or read from STATEMENT files).\n", n);
    } else if (!strcmp(cmd, "record")) {
        fprintf(out, "usage: %s record --defn FILE --out FILE [STATEMENT...]\n"
                     "Write the election record: the definition, the accepted set (roll index,\n"
                     "sequence, envelope hash of every counted input) and the signed statements.\n", n);
    } else if (!strcmp(cmd, "verify")) {
        fprintf(out, "usage: %s verify RECORD [--json]\n"
                     "Check a record offline (t+1 signatures, the accepted set is the one they\n"
                     "sign) and print its outcome.\n", n);
    } else if (!strcmp(cmd, "check")) {
        fprintf(out, "usage: %s check --defn FILE --keys KEY [--tracker FILE]\n"
                     "Tell whether your latest input (sequence and tracker from KEY.ballot) is in\n"
                     "the accepted set the servers signed. Exit 0 if it is counted.\n", n);
    } else if (!strcmp(cmd, "status")) {
        fprintf(out, "usage: %s status --defn FILE [--json]\n"
                     "Ask every server (no key needed) and print one line each: its client\n"
                     "endpoint, up or unreachable, intake open or closed, inputs accepted, result\n"
                     "ready or not, and its clock minus this machine's (seconds). Warns of a\n"
                     "server running another definition. --json: {\"session_id\", \"servers\":\n"
                     "[{\"index\", \"endpoint\", \"up\", \"intake\", \"accepted\", \"result\",\n"
                     "\"same_session\", \"clock_offset_s\"}]} (only the first three when not up).\n"
                     "Exit 0 if every server answered for this definition, else 1.\n", n);
    } else if (!strcmp(cmd, "run-local")) {
        fprintf(out, "usage: %s run-local %s FILE [--servers N] [--t T] [--bits K] [--dir D]\n"
                     "       [--keep] [--verbose] [--security malicious|semi-honest]\n"
                     "       [--domain field|binary] [rule flags] [--json]\n"
                     "Run servers and clients on loopback, one input per line of FILE.\n",
                n, ops->inputs_flag);
        s_rule_flags(ops, out);
    } else {
        return -1;
    }
    return 0;
}

int app_wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
    return 0;
}
