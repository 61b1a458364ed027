/* htmlesc.h - HTML escaping of untrusted text for element content and quoted attributes. */
#ifndef MMLSPARK_EULA_HTMLESC_H
#define MMLSPARK_EULA_HTMLESC_H

#include <stddef.h>

/* Length of the escaped form of in[0..len), without a NUL; SIZE_MAX if it would overflow. */
size_t html_escaped_len(const char *in, size_t len);

/* Writes the escaped form of in[0..len) and a NUL into out: & < > " ' become entities, CR and
 * control characters other than tab and newline are dropped. Returns the length written
 * (without the NUL), or SIZE_MAX if outsize is too small (out then holds "" if outsize > 0). */
size_t html_escape(const char *in, size_t len, char *out, size_t outsize);

#endif
