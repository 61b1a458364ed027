/* nonce.c - random nonce and a timing-safe comparison. */
#include "nonce.h"

#include <errno.h>
#include <sys/random.h>

int nonce_generate(char out[NONCE_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char raw[NONCE_BYTES];
    size_t got = 0;
    /* Bounded: getrandom returns at least 256 bytes per call once the pool is initialised. */
    for (int tries = 0; got < sizeof(raw) && tries < 100; tries++) {
        ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    if (got < sizeof(raw)) {
        errno = EAGAIN;
        return -1;
    }
    for (size_t i = 0; i < NONCE_BYTES; i++) {
        out[2 * i] = digits[raw[i] >> 4];
        out[2 * i + 1] = digits[raw[i] & 15];
    }
    out[NONCE_HEX_LEN] = '\0';
    return 0;
}

bool nonce_equal(const char *expected, const char *given, size_t given_len)
{
    /* The length is not secret; the loop always runs NONCE_HEX_LEN times. */
    volatile unsigned char diff = given_len == NONCE_HEX_LEN ? 0 : 1;
    for (size_t i = 0; i < NONCE_HEX_LEN; i++) {
        unsigned char g = i < given_len ? (unsigned char)given[i] : 0;
        diff |= (unsigned char)(g ^ (unsigned char)expected[i]);
    }
    return diff == 0;
}
