/* xalloc: allocation that cannot fail for the caller. Used where running out
 * of memory leaves no sensible way to continue (engine tables, wire frames):
 * the process prints one line and aborts, so no half-initialised state is ever
 * used and no caller writes an unchecked NULL path. Sizes that come from the
 * network must be bounded before they reach these functions. */
#ifndef MPC_XALLOC_H
#define MPC_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
/* Zeroed; n * size overflow aborts too. */
void *xcalloc(size_t n, size_t size);
/* Like realloc, aborting on failure (p may be NULL). */
void *xrealloc(void *p, size_t n);

#endif
