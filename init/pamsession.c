/* pamsession.c - open and close the PAM session like runuser: no authentication, root only.
 * libpam is loaded with dlopen in the session process only: PID 1 never maps it (nor
 * libaudit and libcap-ng, which it pulls in). */
#include "pamsession.h"

#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "log.h"

#define LIBPAM "libpam.so.0"

static struct {
    int (*start_confdir)(const char *, const char *, const struct pam_conv *, const char *,
                         pam_handle_t **);
    int (*set_item)(pam_handle_t *, int, const void *);
    int (*setcred)(pam_handle_t *, int);
    int (*open_session)(pam_handle_t *, int);
    int (*close_session)(pam_handle_t *, int);
    int (*end)(pam_handle_t *, int);
    const char *(*strerror)(pam_handle_t *, int);
    char **(*getenvlist)(pam_handle_t *);
} pam;

/* dlsym returns an object pointer; memcpy turns it into a function pointer without the cast
 * ISO C forbids. */
static int resolve(void *lib, const char *name, void *fn, size_t size)
{
    void *sym = dlsym(lib, name);
    if (sym == NULL) {
        log_error("cannot find %s in %s: %s", name, LIBPAM, dlerror());
        return -1;
    }
    memcpy(fn, &sym, size);
    return 0;
}

#define SYMBOL(field, name)                                                                        \
    {                                                                                              \
        name, &pam.field, sizeof(pam.field)                                                        \
    }

static int load_libpam(void)
{
    const struct {
        const char *name;
        void *fn;
        size_t size;
    } symbols[] = {
        SYMBOL(start_confdir, "pam_start_confdir"),
        SYMBOL(set_item, "pam_set_item"),
        SYMBOL(setcred, "pam_setcred"),
        SYMBOL(open_session, "pam_open_session"),
        SYMBOL(close_session, "pam_close_session"),
        SYMBOL(end, "pam_end"),
        SYMBOL(strerror, "pam_strerror"),
        SYMBOL(getenvlist, "pam_getenvlist"),
    };
    void *lib = dlopen(LIBPAM, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        log_error("cannot load %s: %s", LIBPAM, dlerror());
        return -1;
    }
    for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++)
        if (resolve(lib, symbols[i].name, symbols[i].fn, symbols[i].size) != 0)
            return -1;
    return 0;
}

/* Nobody is there to answer: messages are logged, prompts refused. */
static int conversation(int n, const struct pam_message **msg, struct pam_response **resp,
                        void *data)
{
    (void)data;
    *resp = NULL;
    for (int i = 0; i < n; i++) {
        if (msg[i]->msg_style == PAM_ERROR_MSG)
            log_warn("PAM: %s", msg[i]->msg);
        else if (msg[i]->msg_style == PAM_TEXT_INFO)
            log_info("PAM: %s", msg[i]->msg);
        else
            return PAM_CONV_ERR;
    }
    return PAM_SUCCESS;
}

static void export_env(pam_handle_t *pamh)
{
    char **env = pam.getenvlist(pamh);
    if (env == NULL)
        return;
    /* setenv copies: PAM's strings are freed here, none is left owned by nobody. */
    for (char **e = env; *e; e++) {
        char *eq = strchr(*e, '=');
        if (eq != NULL) {
            *eq = '\0';
            if (setenv(*e, eq + 1, 1) != 0)
                log_warn("cannot set PAM's environment variable %s", *e);
        }
        free(*e);
    }
    free(env);
}

static int fail(struct pam_session *ps, const char *step, int rc)
{
    log_error("PAM service '%s': %s failed: %s", MML_PAM_SERVICE, step, pam.strerror(ps->pamh, rc));
    pamsession_close(ps);
    return -1;
}

int pamsession_open(struct pam_session *ps, const char *confdir, const char *user, gid_t gid,
                    const char *tty)
{
    static const struct pam_conv conv = {conversation, NULL};
    memset(ps, 0, sizeof(*ps));
    if (load_libpam() != 0)
        return -1;
    int rc = pam.start_confdir(MML_PAM_SERVICE, user, &conv, confdir, &ps->pamh);
    if (rc != PAM_SUCCESS) {
        log_error("PAM service '%s': cannot start: %s", MML_PAM_SERVICE, pam.strerror(NULL, rc));
        ps->pamh = NULL;
        return -1;
    }
    if (tty && (rc = pam.set_item(ps->pamh, PAM_TTY, tty)) != PAM_SUCCESS)
        return fail(ps, "setting the tty", rc);
    if ((rc = pam.set_item(ps->pamh, PAM_RUSER, "root")) != PAM_SUCCESS)
        return fail(ps, "setting the requesting user", rc);
    if (initgroups(user, gid) != 0) {
        log_error("cannot set the groups of user %s: %s", user, strerror(errno));
        pamsession_close(ps);
        return -1;
    }
    if ((rc = pam.setcred(ps->pamh, PAM_ESTABLISH_CRED)) != PAM_SUCCESS)
        return fail(ps, "pam_setcred", rc);
    ps->cred = true;
    if ((rc = pam.open_session(ps->pamh, 0)) != PAM_SUCCESS)
        return fail(ps, "pam_open_session", rc);
    ps->open = true;
    export_env(ps->pamh);
    return 0;
}

void pamsession_close(struct pam_session *ps)
{
    if (ps->pamh == NULL)
        return;
    int rc = PAM_SUCCESS;
    if (ps->open && (rc = pam.close_session(ps->pamh, 0)) != PAM_SUCCESS)
        log_warn("PAM: pam_close_session failed: %s", pam.strerror(ps->pamh, rc));
    if (ps->cred)
        pam.setcred(ps->pamh, PAM_DELETE_CRED | PAM_SILENT);
    pam.end(ps->pamh, rc);
    ps->pamh = NULL;
    ps->open = ps->cred = false;
}
