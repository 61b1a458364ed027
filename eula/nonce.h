/* nonce.h - the per-run form nonce: 256 random bits from getrandom(2), compared in constant time.
 */
#ifndef MMLSPARK_EULA_NONCE_H
#define MMLSPARK_EULA_NONCE_H

#include <stdbool.h>
#include <stddef.h>

#define NONCE_BYTES 32
#define NONCE_HEX_LEN (2 * NONCE_BYTES)

/* Fills out with NONCE_HEX_LEN lowercase hex digits and a NUL. Returns 0, or -1 (errno set). */
int nonce_generate(char out[NONCE_HEX_LEN + 1]);

/* True when given[0..given_len) equals expected (NONCE_HEX_LEN characters). The time taken does
 * not depend on where the two differ, only on NONCE_HEX_LEN. */
bool nonce_equal(const char *expected, const char *given, size_t given_len);

#endif
