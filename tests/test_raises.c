/* test_raises: the four engineers' average raise ("Computing on private data"),
 * additively shared over F_p, from tests/vectors/raises.tsv. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/field.h"
#include "common/secmem.h"
#include "protocols/shamir.h"

static void s_setup(void)
{
    cr_assert_eq(secmem_init(), 0);
}

TestSuite(raises, .init = s_setup, .timeout = 30);

enum { S_ENG = 4 };

struct raises {
    char name[S_ENG][16];
    int64_t raise[S_ENG];
    int64_t share[S_ENG][S_ENG];   /* share[from][to] */
};

/* Opens the vector file from the repo root, the build directory or next to this
 * source file. */
static FILE *s_open(void)
{
    static const char *const rel[] = {
        "tests/vectors/raises.tsv", "../tests/vectors/raises.tsv",
        "../../tests/vectors/raises.tsv",
    };
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        FILE *f = fopen(rel[i], "r");
        if (f) return f;
    }
    char path[4096];
    const char *build = getenv("MPC_BUILD");   /* <repo>/build or <repo>/build/asan */
    if (build) {
        static const char *const up[] = { "/../tests/vectors/raises.tsv",
                                          "/../../tests/vectors/raises.tsv" };
        for (size_t i = 0; i < 2; i++) {
            snprintf(path, sizeof path, "%s%s", build, up[i]);
            FILE *f = fopen(path, "r");
            if (f) return f;
        }
    }
    /* the test binary is <repo>/build/tests/unit or <repo>/build/asan/tests/unit */
    char exe[2048];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *dir = strrchr(exe, '/');
        if (dir) *dir = '\0';
        static const char *const up[] = { "/../../tests/vectors/raises.tsv",
                                          "/../../../tests/vectors/raises.tsv" };
        for (size_t i = 0; i < 2; i++) {
            snprintf(path, sizeof path, "%s%s", exe, up[i]);
            FILE *f = fopen(path, "r");
            if (f) return f;
        }
    }
    const char *slash = strrchr(__FILE__, '/');
    if (slash) {
        snprintf(path, sizeof path, "%.*s/vectors/raises.tsv", (int)(slash - __FILE__), __FILE__);
        return fopen(path, "r");
    }
    return NULL;
}

static int s_int(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end != '\0') return -1;
    *out = v;
    return 0;
}

/* Parses the four data rows: name, raise, four shares, tab-separated. */
static void s_load(struct raises *R)
{
    FILE *f = s_open();
    cr_assert_not_null(f, "tests/vectors/raises.tsv not found (run from the repo root)");
    char line[512];
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0') continue;
        cr_assert_lt(rows, S_ENG, "more than four data rows");
        char *save = NULL, *tok = strtok_r(line, "\t", &save);
        int col = 0;
        for (; tok; tok = strtok_r(NULL, "\t", &save), col++) {
            cr_assert_lt(col, 2 + S_ENG, "row %d: too many fields", rows + 1);
            if (col == 0) {
                snprintf(R->name[rows], sizeof R->name[rows], "%s", tok);
                continue;
            }
            int64_t v;
            cr_assert_eq(s_int(tok, &v), 0, "row %d: bad integer '%s'", rows + 1, tok);
            if (col == 1) R->raise[rows] = v;
            else R->share[rows][col - 2] = v;
        }
        cr_assert_eq(col, 2 + S_ENG, "row %d: %d fields", rows + 1, col);
        rows++;
    }
    fclose(f);
    cr_assert_eq(rows, S_ENG);
}

static void s_field(field *F)
{
    cr_assert_eq(field_init_default(F, 32, 40), 0);
}

Test(raises, each_row_of_shares_sums_to_the_raise)
{
    struct raises R;
    field F;
    s_load(&R);
    s_field(&F);
    static const char *const names[S_ENG] = { "alice", "bob", "carlos", "david" };
    static const int64_t raises[S_ENG] = { 3800, 2514, 2982, 3390 };
    for (int r = 0; r < S_ENG; r++) {
        cr_assert_str_eq(R.name[r], names[r]);
        cr_assert_eq(R.raise[r], raises[r]);
        fe sh[S_ENG], sum;
        for (int c = 0; c < S_ENG; c++) sh[c] = fe_from_i64(&F, R.share[r][c]);
        const fe *ptr[S_ENG] = { &sh[0], &sh[1], &sh[2], &sh[3] };
        additive_join(&F, &sum, ptr, 1, S_ENG);
        cr_assert(sum == fe_from_i64(&F, R.raise[r]), "row %s", R.name[r]);
    }
}

Test(raises, published_column_sums_total_and_average)
{
    struct raises R;
    field F;
    s_load(&R);
    s_field(&F);
    /* engineer r's outgoing shares are one "party" vector of four elements */
    fe rows[S_ENG][S_ENG], cols[S_ENG], total;
    for (int r = 0; r < S_ENG; r++)
        for (int c = 0; c < S_ENG; c++) rows[r][c] = fe_from_i64(&F, R.share[r][c]);
    const fe *ptr[S_ENG] = { rows[0], rows[1], rows[2], rows[3] };
    additive_join(&F, cols, ptr, S_ENG, S_ENG);
    static const int64_t published[S_ENG] = { 1950, 3700, -618, 7654 };
    for (int c = 0; c < S_ENG; c++) {
        int64_t v;
        cr_assert_eq(fe_to_i64(&F, cols[c], &v), 0);
        cr_assert_eq(v, published[c], "column %d", c);
    }
    /* the published column sums add up to the total of the raises */
    const fe *cptr[S_ENG] = { &cols[0], &cols[1], &cols[2], &cols[3] };
    additive_join(&F, &total, cptr, 1, S_ENG);
    int64_t tot;
    cr_assert_eq(fe_to_i64(&F, total, &tot), 0);
    cr_assert_eq(tot, 12686);
    cr_assert_eq(tot, R.raise[0] + R.raise[1] + R.raise[2] + R.raise[3]);
    /* average 3171.5: in tenths, 12686 * 10 / 4 = 31715 exactly */
    cr_assert_eq(tot * 10 % S_ENG, 0);
    cr_assert_eq(tot * 10 / S_ENG, 31715);
}

Test(raises, fresh_additive_resharing_gives_the_same_total)
{
    struct raises R;
    field F;
    s_load(&R);
    s_field(&F);
    /* each engineer splits its raise afresh; engineer c publishes the sum of the
     * shares it received; the published sums add to 12686 */
    fe sec[1], sh[S_ENG][S_ENG], cols[S_ENG] = { 0 }, total;
    for (int r = 0; r < S_ENG; r++) {
        sec[0] = fe_from_i64(&F, R.raise[r]);
        additive_split(&F, &sh[r][0], sec, 1, S_ENG);
        for (int c = 0; c < S_ENG; c++) cols[c] = fe_add(&F, cols[c], sh[r][c]);
    }
    const fe *cptr[S_ENG] = { &cols[0], &cols[1], &cols[2], &cols[3] };
    additive_join(&F, &total, cptr, 1, S_ENG);
    int64_t tot;
    cr_assert_eq(fe_to_i64(&F, total, &tot), 0);
    cr_assert_eq(tot, 12686);
}
