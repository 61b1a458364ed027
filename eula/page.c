/* page.c - HTML of the license page and of every fixed reply; small, no script except the
 * accepted page's poller. */
#include "page.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "htmlesc.h"

#define HEAD_START                                                                                 \
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"                      \
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
#define STYLE                                                                                      \
    "<style>\n"                                                                                    \
    "body{font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;margin:0;"          \
    "color:#1b1b1b;background:#f6f6f6}\n"                                                          \
    "main{max-width:46rem;margin:0 auto;padding:1rem}\n"                                           \
    "h1{font-size:1.5rem;margin:.5rem 0}\n"                                                        \
    ".terms{overflow-wrap:anywhere;background:#fff;border:1px solid "                              \
    "#ccc;border-radius:4px;padding:1rem;max-height:60vh;overflow:auto}\n"                         \
    ".terms:focus{outline:3px solid #0b5fff}\n"                                                    \
    "form{display:inline-block;margin:1rem 1rem 0 0}\n"                                            \
    "button{font:inherit;padding:.6rem 1.2rem;border-radius:4px;border:1px solid #555;"            \
    "cursor:pointer;min-height:44px}\n"                                                            \
    "button:focus{outline:3px solid #0b5fff;outline-offset:2px}\n"                                 \
    ".accept{background:#0b5fff;color:#fff;border-color:#0b5fff}\n"                                \
    ".decline{background:#fff;color:#1b1b1b}\n"                                                    \
    ".terms p{margin:0 0 .8rem}\n"                                                                 \
    "code{background:#eee;padding:0 .2rem}\n"                                                      \
    "</style>\n"
#define SIMPLE_PAGE(title, body)                                                                   \
    HEAD_START "<title>" title "</title>\n" STYLE "</head>\n<body>\n<main>\n" body                 \
               "</main>\n</body>\n</html>\n"

static const char eula_head[] =
    HEAD_START "<title>MMLSpark: license terms</title>\n" STYLE "</head>\n<body>\n<main>\n"
               "<h1 id=\"title\">MMLSpark Docker image: license terms</h1>\n"
               "<p id=\"intro\">Please read the license terms below. Jupyter starts once you "
               "accept them.</p>\n"
               "<div class=\"terms\" role=\"region\" aria-labelledby=\"title\" tabindex=\"0\">\n";

/* Two forms, so that neither needs JavaScript nor the formaction attribute. */
static const char eula_forms[] =
    "</div>\n"
    "<form method=\"post\" action=\"/accept\">\n"
    "<input type=\"hidden\" name=\"nonce\" value=\"%NONCE%\">\n"
    "<button type=\"submit\" class=\"accept\" id=\"accept\" aria-describedby=\"intro\">"
    "Accept and start Jupyter</button>\n"
    "</form>\n"
    "<form method=\"post\" action=\"/decline\">\n"
    "<input type=\"hidden\" name=\"nonce\" value=\"%NONCE%\">\n"
    "<button type=\"submit\" class=\"decline\" id=\"decline\">Decline</button>\n"
    "</form>\n"
    "<p>Without a browser: restart the container with <code>-e ACCEPT_EULA=yes</code> to "
    "accept these terms.</p>\n"
    "</main>\n</body>\n</html>\n";

static const char nonce_marker[] = "%NONCE%";

/* True when text[i..] up to the next newline is only spaces and tabs (a paragraph break). */
static bool blank_line(const char *text, size_t len, size_t i, size_t *next)
{
    size_t j = i;
    while (j < len && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r'))
        j++;
    if (j < len && text[j] != '\n')
        return false;
    *next = j < len ? j + 1 : j;
    return true;
}

/* Splits text into paragraphs at blank lines: calls emit(start, len) for each non-empty one.
 * Lines inside a paragraph stay together and the browser reflows them, so a hard-wrapped
 * license file reads well at any width. Returns the number of paragraphs. */
static size_t paragraphs(const char *text, size_t len, char *buf, size_t *o)
{
    size_t count = 0, i = 0;
    while (i < len) {
        size_t next;
        while (i < len && blank_line(text, len, i, &next))
            i = next;
        if (i >= len)
            break;
        size_t start = i;
        while (i < len) {
            const char *nl = memchr(text + i, '\n', len - i);
            i = nl ? (size_t)(nl - text) + 1 : len;
            if (i >= len || blank_line(text, len, i, &next))
                break;
        }
        size_t end = i;
        while (end > start && (text[end - 1] == '\n' || text[end - 1] == '\r'))
            end--;
        if (buf != NULL) {
            memcpy(buf + *o, "<p>", 3);
            *o += 3;
            *o += html_escape(text + start, end - start, buf + *o,
                              html_escaped_len(text + start, end - start) + 1);
            memcpy(buf + *o, "</p>\n", 5);
            *o += 5;
        }
        count++;
    }
    return count;
}

int page_render_eula(const char *text, size_t len, const char *nonce, struct page *out)
{
    out->data = NULL;
    out->len = 0;
    if (len > EULA_TEXT_MAX)
        return -1;
    size_t nonce_len = strlen(nonce);
    if (nonce_len > 128)
        return -1;
    for (size_t i = 0; i < nonce_len; i++)
        if (!((nonce[i] >= '0' && nonce[i] <= '9') || (nonce[i] >= 'a' && nonce[i] <= 'f')))
            return -1; /* goes into an attribute unescaped: hex only */
    size_t o = 0;
    size_t paras = paragraphs(text, len, NULL, &o);
    /* escaped text (an upper bound: the blank lines are dropped), <p></p>\n per paragraph,
     * and the nonce in place of each of the two markers */
    size_t total = sizeof(eula_head) - 1 + html_escaped_len(text, len) + 8 * paras +
                   sizeof(eula_forms) - 1 + 2 * nonce_len;
    char *buf = malloc(total + 1);
    if (buf == NULL)
        return -1;
    memcpy(buf, eula_head, sizeof(eula_head) - 1);
    o = sizeof(eula_head) - 1;
    paragraphs(text, len, buf, &o);
    const char *p = eula_forms;
    const char *m;
    while ((m = strstr(p, nonce_marker)) != NULL) {
        memcpy(buf + o, p, (size_t)(m - p));
        o += (size_t)(m - p);
        memcpy(buf + o, nonce, nonce_len);
        o += nonce_len;
        p = m + sizeof(nonce_marker) - 1;
    }
    size_t rest = strlen(p);
    memcpy(buf + o, p, rest);
    o += rest;
    buf[o] = '\0';
    out->data = buf;
    out->len = o;
    return 0;
}

void page_free(struct page *p)
{
    free(p->data);
    p->data = NULL;
    p->len = 0;
}

/* Accepted: the server exits right after this page, then Jupyter binds the same port. The
 * script asks /api until Jupyter's JSON answers; without script, the noscript refresh. */
const char page_accepted[] =
    HEAD_START "<noscript><meta http-equiv=\"refresh\" content=\"5;url=/\"></noscript>\n"
               "<title>MMLSpark: Jupyter is starting</title>\n" STYLE "</head>\n<body>\n<main>\n"
               "<h1>Thank you: Jupyter is starting</h1>\n"
               "<p id=\"status\" role=\"status\" aria-live=\"polite\">Waiting for Jupyter to "
               "answer on this address; this page moves on by itself.</p>\n"
               "<p>Jupyter asks for a token: the login URL with the token is printed in the "
               "terminal where you ran <code>docker run</code>, or by <code>docker logs "
               "CONTAINER</code>.</p>\n"
               "<p>If nothing happens, <a href=\"/\">open Jupyter</a> in a few seconds.</p>\n"
               "<script>\n"
               "(function () {\n"
               "  var started = Date.now();\n"
               "  function later() {\n"
               "    if (Date.now() - started > 120000) {\n"
               "      document.getElementById('status').textContent = 'Jupyter has not answered "
               "yet: check the terminal or docker logs, then reload this address.';\n"
               "      setTimeout(poll, 5000);\n"
               "    } else {\n"
               "      setTimeout(poll, 500);\n"
               "    }\n"
               "  }\n"
               "  function poll() {\n"
               "    fetch('/api', {cache: 'no-store', credentials: 'same-origin'})\n"
               "      .then(function (r) { return r.json(); })\n"
               "      .then(function (j) { if (j && j.version) { location = '/'; } else { "
               "later(); } })\n"
               "      .catch(later);\n"
               "  }\n"
               "  setTimeout(poll, 300);\n"
               "})();\n"
               "</script>\n"
               "</main>\n</body>\n</html>\n";

const char page_declined[] = SIMPLE_PAGE(
    "MMLSpark: license declined",
    "<h1>You declined the license terms</h1>\n"
    "<p>Jupyter does not start and the container stops now.</p>\n"
    "<p>To accept the terms later, run the image again and accept them on this page, or add "
    "<code>-e ACCEPT_EULA=yes</code> to the <code>docker run</code> command.</p>\n");

const char page_forbidden[] =
    SIMPLE_PAGE("MMLSpark: form expired",
                "<h1>This form has expired</h1>\n"
                "<p>The form was not sent by the current license page (the page is "
                "new each time the container starts). Nothing was changed.</p>\n"
                "<p><a href=\"/\">Reload the license terms</a> and choose again.</p>\n");

const char page_not_found[] =
    SIMPLE_PAGE("MMLSpark: not found", "<h1>Not found</h1>\n"
                                       "<p>Jupyter starts once the license terms are accepted: "
                                       "<a href=\"/\">read the license terms</a>.</p>\n");

const char page_method[] = SIMPLE_PAGE("MMLSpark: method not allowed",
                                       "<h1>Method not allowed</h1>\n"
                                       "<p><a href=\"/\">Read the license terms</a>.</p>\n");

const char page_too_large[] = SIMPLE_PAGE("MMLSpark: request too large",
                                          "<h1>Request too large</h1>\n"
                                          "<p><a href=\"/\">Read the license terms</a>.</p>\n");

const char page_media_type[] = SIMPLE_PAGE(
    "MMLSpark: unsupported form", "<h1>Unsupported form encoding</h1>\n"
                                  "<p>Send the form as application/x-www-form-urlencoded, as the "
                                  "<a href=\"/\">license page</a> does.</p>\n");

const char page_conflict[] = SIMPLE_PAGE(
    "MMLSpark: already decided", "<h1>A choice was already made</h1>\n"
                                 "<p>The license terms were already accepted or declined in "
                                 "another window.</p>\n");

const char page_bad_request[] =
    SIMPLE_PAGE("MMLSpark: bad request", "<h1>Bad request</h1>\n"
                                         "<p><a href=\"/\">Read the license terms</a>.</p>\n");
