/* pamsession.c - open and close the PAM session like runuser: no authentication, root only. */
#include "pamsession.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

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
    char **env = pam_getenvlist(pamh);
    if (env == NULL)
        return;
    /* putenv keeps the strings: they live until the exec or _exit. */
    for (char **e = env; *e; e++)
        if (putenv(*e) != 0)
            log_warn("cannot set PAM's environment variable %s", *e);
    free(env);
}

static int fail(struct pam_session *ps, const char *step, int rc)
{
    log_error("PAM service '%s': %s failed: %s", MML_PAM_SERVICE, step, pam_strerror(ps->pamh, rc));
    pamsession_close(ps);
    return -1;
}

int pamsession_open(struct pam_session *ps, const char *confdir, const char *user, gid_t gid,
                    const char *tty)
{
    static const struct pam_conv conv = {conversation, NULL};
    memset(ps, 0, sizeof(*ps));
    int rc = pam_start_confdir(MML_PAM_SERVICE, user, &conv, confdir, &ps->pamh);
    if (rc != PAM_SUCCESS) {
        log_error("PAM service '%s': cannot start: %s", MML_PAM_SERVICE, pam_strerror(NULL, rc));
        ps->pamh = NULL;
        return -1;
    }
    if (tty && (rc = pam_set_item(ps->pamh, PAM_TTY, tty)) != PAM_SUCCESS)
        return fail(ps, "setting the tty", rc);
    if ((rc = pam_set_item(ps->pamh, PAM_RUSER, "root")) != PAM_SUCCESS)
        return fail(ps, "setting the requesting user", rc);
    if (initgroups(user, gid) != 0) {
        log_error("cannot set the groups of user %s: %s", user, strerror(errno));
        pamsession_close(ps);
        return -1;
    }
    if ((rc = pam_setcred(ps->pamh, PAM_ESTABLISH_CRED)) != PAM_SUCCESS)
        return fail(ps, "pam_setcred", rc);
    ps->cred = true;
    if ((rc = pam_open_session(ps->pamh, 0)) != PAM_SUCCESS)
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
    if (ps->open && (rc = pam_close_session(ps->pamh, 0)) != PAM_SUCCESS)
        log_warn("PAM: pam_close_session failed: %s", pam_strerror(ps->pamh, rc));
    if (ps->cred)
        pam_setcred(ps->pamh, PAM_DELETE_CRED | PAM_SILENT);
    pam_end(ps->pamh, rc);
    ps->pamh = NULL;
    ps->open = ps->cred = false;
}
