/* origin.h - is a form POST same-origin? Its Origin (or Referer) header against http:// + Host. */
#ifndef MMLSPARK_EULA_ORIGIN_H
#define MMLSPARK_EULA_ORIGIN_H

enum origin_verdict {
    ORIGIN_ABSENT = 0,  /* neither Origin nor Referer: nothing to check (curl, old browsers) */
    ORIGIN_SAME = 1,    /* the header names the host and port this request was sent to */
    ORIGIN_FOREIGN = 2, /* another origin, "null", a malformed header, or no usable Host */
};

/* origin and referer are the request's header values or NULL when absent; Origin is used when
 * present, else Referer (its scheme://host[:port] part). Same origin means: scheme http or
 * https (a TLS proxy in front keeps Host), host equal to Host's ignoring ASCII case (an IPv6
 * literal in brackets), and the same port, a missing one being the scheme's default (80, 443).
 * No user info, no path in Origin. Pure: no allocation, reads only up to each string's NUL. */
enum origin_verdict origin_check(const char *origin, const char *referer, const char *host);

#endif
