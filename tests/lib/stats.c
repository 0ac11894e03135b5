/* stats: two-sample chi-square over 16 buckets (see tests/stats.h). */
#include "tests/stats.h"

#define S_BUCKETS 16

/* sum (R_j - S_j)^2 / (R_j + S_j) for equal sample sizes; df = non-empty
 * buckets - 1. */
static double s_chi2(const unsigned *r, const unsigned *s, int *df)
{
    double x = 0;
    int nz = 0;
    for (int j = 0; j < S_BUCKETS; j++) {
        double a = r[j], b = s[j];
        if (a + b == 0) continue;
        nz++;
        x += (a - b) * (a - b) / (a + b);
    }
    *df = nz - 1;
    return x;
}

/* Upper 1e-6 quantiles of chi-square, df 1..15. */
static double s_crit(int df)
{
    static const double q[16] = { 0, 23.93, 27.63, 30.66, 33.38, 35.89, 38.26, 40.52,
                                  42.70, 44.81, 46.86, 48.87, 50.83, 52.75, 54.64, 56.49 };
    return df < 1 ? 0 : q[df > 15 ? 15 : df];
}

static unsigned s_feature(fe c, int K)
{
    return (unsigned)((c >> (K >= 2 ? K - 2 : 0)) & (S_BUCKETS - 1));
}

int stats_leaks(const fe *ca, const fe *cb, size_t m, int K, double *stat)
{
    unsigned ha[S_BUCKETS] = { 0 }, hb[S_BUCKETS] = { 0 };
    for (size_t i = 0; i < m; i++) {
        ha[s_feature(ca[i], K)]++;
        hb[s_feature(cb[i], K)]++;
    }
    int df;
    *stat = s_chi2(ha, hb, &df);
    return df < 1 ? 1 : *stat > s_crit(df);
}
