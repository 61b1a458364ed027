/* form.h - one field of an application/x-www-form-urlencoded body, percent-decoded, bounded. */
#ifndef MMLSPARK_EULA_FORM_H
#define MMLSPARK_EULA_FORM_H

#include <stddef.h>

enum form_result {
    FORM_OK = 0,
    FORM_MISSING = -1,   /* no field with that name */
    FORM_MALFORMED = -2, /* bad %-escape, NUL byte, or a name/value that cannot be decoded */
    FORM_TOO_LONG = -3,  /* the decoded value does not fit in out */
    FORM_DUPLICATE = -4, /* the field appears twice: ambiguous, refused */
};

/* Longest field name we decode; longer names cannot match and are only validated. */
#define FORM_NAME_MAX 64

/* Finds the field called name in body[0..len) (pairs split by '&', name and value split by the
 * first '=', '+' is a space, %XX a byte). The whole body must be well formed. On FORM_OK the
 * decoded value is in out (NUL-terminated, *outlen bytes, no NUL inside); otherwise out is ""
 * (when outsize > 0). Never reads past len, never writes more than outsize bytes. */
enum form_result form_get_field(const char *body, size_t len, const char *name, char *out,
                                size_t outsize, size_t *outlen);

#endif
