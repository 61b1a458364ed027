/* procutil.h - the steps every child of init takes before exec, and one decoder of wait statuses. */
#ifndef MML_PROCUTIL_H
#define MML_PROCUTIL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "stopsig.h"

#ifndef __GLIBC__
/* A C library without glibc's sigabbrev_np (musl: PID 1's static build): the same names. */
const char *sigabbrev_np(int sig);
#endif

/* Sets every signal's disposition to its default and the signal mask to *mask (NULL: none
 * blocked), then runs argv (a PATH search when search_path). Does not return: on failure one error
 * line and _exit(EXIT_NOTFOUND) or _exit(EXIT_NOEXEC). */
void exec_with_default_signals(char *const argv[], const sigset_t *mask, bool search_path)
    __attribute__((noreturn));

/* The same for the program at path, with argv[0] naming it (for a file reached through
 * /proc/PID/fd/N: what runs is the file that descriptor holds, whatever its path now names). */
void exec_with_default_signals_at(const char *path, char *const argv[]) __attribute__((noreturn));

/* TSTP, TTIN or TTOU: the stops a terminal causes, which nobody in a container can resume (no
 * job-control shell), so init and the session process neither pass them on nor leave a job
 * stopped by them. */
bool is_terminal_stop_signal(int sig);

/* True for a SIGPIPE that this process raised itself by writing to a closed pipe (a log line to
 * a closed stderr): never passed on to the job. */
bool is_own_sigpipe(int sig, int code, pid_t sender);


/* Sends sig to pid's process group when group is set and the group exists, else to pid alone.
 * Returns 0, or -1 with errno set (ESRCH: already gone). */
int signal_group_or_leader(pid_t pid, int sig, bool group);

/* path = the program name next to this executable (/proc/self/exe's directory): mmlspark-init
 * and mmlspark-setup find each other so, installed or in the build tree. Returns 0 or -1. */
int sibling_program(const char *name, char *path, size_t len);

/* True when process pid runs the program file at path (/proc/PID/exe is that inode). */
bool pid_runs_program(pid_t pid, const char *path);

/* The setup's role comes from argv: mmlspark-init (PID 1) execs "mmlspark-setup --setup=FD:MASK
 * ARGS" (argv[1] only), and mmlspark-setup believes it only when its parent holds the pipe's
 * other end. */
#define SETUP_OPTION "--setup="

/* Job control, the same in init and the session process: a container has no shell that could
 * resume a job stopped by the terminal or by TSTP/TTIN/TTOU, so such a job (pid, its group when
 * group) is continued at once; a SIGSTOP stays until somebody sends SIGCONT. Logs one line. */
void job_stopped_by(pid_t pid, int sig, bool group);

/* The exit code a shell would report for a waitpid() status: the code, or 128+n for signal n. */
int wait_status_code(int wstatus);

/* "exit code N" or "killed by signal SIGNAME", for log lines. */
void wait_status_describe(int wstatus, char *buf, size_t len);

#endif
