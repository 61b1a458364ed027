/* envparse.h - strict parsers for the values users pass in environment variables. */
#ifndef MMLSPARK_ENVPARSE_H
#define MMLSPARK_ENVPARSE_H

#include <stdbool.h>

enum eula_decision { EULA_PENDING = 0, EULA_ACCEPTED = 1, EULA_DECLINED = 2 };

/* ACCEPT_EULA: y/yes/true/1 accepted, n/no/false/0 declined (any case), NULL or "" pending.
 * Returns 0, or -1 for any other value. */
int parse_accept_eula(const char *value, enum eula_decision *out);

/* A TCP port, decimal 1..65535, no sign, no spaces. Returns 0 or -1. */
int parse_port(const char *value, unsigned *out);

/* A decimal integer in [min, max], no sign, no spaces, no trailing text. Returns 0 or -1. */
int parse_ulong(const char *value, unsigned long min, unsigned long max, unsigned long *out);

/* Seconds as a non-negative decimal ("5", "0.5"), at most max. Returns 0 or -1. */
int parse_seconds(const char *value, double max, double *out);

/* A boolean: y/yes/true/1/on, n/no/false/0/off (any case). Returns 0 or -1. */
int parse_bool(const char *value, bool *out);

/* A comma- or space-separated list of exit codes 0..255 into a 256-entry set. Returns 0 or -1. */
int parse_exit_code_list(const char *value, bool set[256]);

#endif
