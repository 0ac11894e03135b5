/* xalloc: aborting allocation (see xalloc.h for why). */
#include "common/xalloc.h"

#include <stdio.h>
#include <stdlib.h>

static void s_die(size_t n)
{
    fprintf(stderr, "fatal: out of memory (%zu bytes)\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) s_die(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) s_die(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) s_die(n);
    return q;
}
