/* page.h - the HTML pages of mmlspark-eula: the license page (rendered once) and fixed replies. */
#ifndef MMLSPARK_EULA_PAGE_H
#define MMLSPARK_EULA_PAGE_H

#include <stddef.h>

/* Largest EULA text we serve; a bigger file is an error, not a slow page. */
#define EULA_TEXT_MAX (1024 * 1024)

struct page {
    char *data; /* malloc'ed, NUL-terminated */
    size_t len;
};

/* Renders the license page: text[0..len) HTML-escaped, two forms carrying nonce (hex digits
 * only). Returns 0, or -1 when len > EULA_TEXT_MAX or memory is short. */
int page_render_eula(const char *text, size_t len, const char *nonce, struct page *out);
void page_free(struct page *p);

/* Fixed pages (static strings). */
extern const char page_accepted[];  /* Jupyter is starting: polls /api, then goes to / */
extern const char page_declined[];  /* how to accept later */
extern const char page_forbidden[]; /* stale or missing nonce */
extern const char page_not_found[];
extern const char page_method[];
extern const char page_too_large[];
extern const char page_media_type[];
extern const char page_conflict[]; /* the other choice was already made */
extern const char page_bad_request[];

#endif
