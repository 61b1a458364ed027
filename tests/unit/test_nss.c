/* Unit tests: nss/, the NSS service that names every uid and gid the files lack (called directly,
 * as glibc calls it), and its "mmlspark-ID" parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idname.h"
#include "nss_mmlspark.h"

/* NSS_MMLSPARK_ETC and NSS_MMLSPARK_HOME: directories in the build tree (tests/unit/CMakeLists). */
static char tmpdir[] = "/tmp/mmlspark-nss.XXXXXX";

/* The module answers a root caller for its own ids alone: as root, the lookups run with the
 * effective uid 4000 (the real one stays 0, so root's work between them is one seteuid away). */
#define CALLER 4000

static void as_root(void)
{
    if (getuid() == 0)
        assert_int_equal(seteuid(0), 0);
}

static void as_caller(void)
{
    if (getuid() == 0)
        assert_int_equal(seteuid(CALLER), 0);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
    (void)state;
    mkdir(NSS_MMLSPARK_ETC, 0755);
    mkdir(NSS_MMLSPARK_HOME, 0755);
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    setenv("TMPDIR", tmpdir, 1);
    /* a line longer than the module's read buffer, uid 9999 past its end */
    char *passwd = malloc(20000);
    assert_non_null(passwd);
    snprintf(passwd, 20000,
             "root:x:0:0:root:/root:/bin/bash\n"
             "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
             "mmlspark-777:x:500:500::/:/bin/sh\n"
             "wraps:x:12345678901234567890:1::/:/bin/sh\n"
             "long%05000d:x:9999:9999::/:/bin/sh\n"
             "nonl:x:31337:31337::/:/bin/sh",
             0);
    write_file(NSS_MMLSPARK_ETC "/passwd", passwd);
    free(passwd);
    write_file(NSS_MMLSPARK_ETC "/group", "root:x:0:\ndaemon:x:1:\nmmlspark-888:x:600:\n"
                                          "users:x:100:a,b\n");
    as_caller();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    as_root();
    rmdir(tmpdir);
    return 0;
}

static enum nss_status pwuid(uid_t uid, struct passwd *pw, int *err)
{
    static char buf[1024];
    return _nss_mmlspark_getpwuid_r(uid, pw, buf, sizeof(buf), err);
}

static void test_a_uid_without_an_entry_is_named_mmlspark_uid(void **state)
{
    (void)state;
    struct passwd pw;
    int err = 0;
    assert_int_equal(pwuid(12345, &pw, &err), NSS_STATUS_SUCCESS);
    assert_string_equal(pw.pw_name, "mmlspark-12345");
    assert_int_equal(pw.pw_uid, 12345);
    assert_string_equal(pw.pw_shell, "/bin/bash");
    if (getuid() != 12345)
        assert_int_equal(pw.pw_gid, 12345);
    char want[256];
    snprintf(want, sizeof(want), "%s/home-12345", tmpdir);
    if (getuid() == 0) /* root owns the notebook home here: 12345 may not write it */
        assert_string_equal(pw.pw_dir, want);
    char buf[1024];
    assert_int_equal(_nss_mmlspark_getpwnam_r("mmlspark-12345", &pw, buf, sizeof(buf), &err),
                     NSS_STATUS_SUCCESS);
    assert_int_equal(pw.pw_uid, 12345);
    assert_string_equal(pw.pw_name, "mmlspark-12345");
}

static void test_home_is_the_notebook_home_when_the_uid_owns_it(void **state)
{
    (void)state;
    if (getuid() != 0)
        skip();
    as_root();
    assert_int_equal(chown(NSS_MMLSPARK_HOME, 12345, 0), 0);
    as_caller();
    struct passwd pw;
    int err = 0;
    assert_int_equal(pwuid(12345, &pw, &err), NSS_STATUS_SUCCESS);
    assert_string_equal(pw.pw_dir, NSS_MMLSPARK_HOME);
    as_root();
    assert_int_equal(chown(NSS_MMLSPARK_HOME, 0, 0), 0);
    as_caller();
}

/* In a child as uid 12345, gid 777: what that process itself is told. */
static int own_lookup(mode_t home_mode, gid_t home_gid, const char *tmp, char *dir, size_t len)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    as_root();
    assert_int_equal(chown(NSS_MMLSPARK_HOME, 0, home_gid), 0);
    assert_int_equal(chmod(NSS_MMLSPARK_HOME, home_mode), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        if (getuid() == 0 && seteuid(0) != 0)
            _exit(2);
        if (tmp)
            setenv("TMPDIR", tmp, 1);
        else
            unsetenv("TMPDIR");
        if (setgroups(0, NULL) != 0 || setgid(777) != 0 || setuid(12345) != 0)
            _exit(2);
        struct passwd pw;
        char buf[1024];
        int err = 0;
        if (_nss_mmlspark_getpwuid_r(12345, &pw, buf, sizeof(buf), &err) != NSS_STATUS_SUCCESS ||
            pw.pw_gid != 777)
            _exit(3);
        ssize_t n = write(fds[1], pw.pw_dir, strlen(pw.pw_dir));
        _exit(n < 0 ? 4 : 0);
    }
    as_caller();
    close(fds[1]);
    ssize_t n = read(fds[0], dir, len - 1);
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(status, 0);
    dir[n > 0 ? n : 0] = '\0';
    return 0;
}

static void test_own_uid_gets_its_gid_and_a_group_writable_notebook_home(void **state)
{
    (void)state;
    if (getuid() != 0)
        skip();
    char dir[512], want[256];
    own_lookup(02775, 777, tmpdir, dir, sizeof(dir));
    assert_string_equal(dir, NSS_MMLSPARK_HOME);
    own_lookup(02755, 777, tmpdir, dir, sizeof(dir));
    snprintf(want, sizeof(want), "%s/home-12345", tmpdir);
    assert_string_equal(dir, want);
    own_lookup(02775, 778, tmpdir, dir, sizeof(dir)); /* not its group */
    assert_string_equal(dir, want);
    own_lookup(02755, 777, "relative/tmp", dir, sizeof(dir));
    assert_string_equal(dir, "/tmp/home-12345");
    own_lookup(02755, 777, NULL, dir, sizeof(dir));
    assert_string_equal(dir, "/tmp/home-12345");
    as_root();
    assert_int_equal(chmod(NSS_MMLSPARK_HOME, 0755), 0);
    assert_int_equal(chown(NSS_MMLSPARK_HOME, 0, 0), 0);
    as_caller();
}

/* useradd and groupadd (root) must find every free id free. */
static void test_root_is_answered_for_its_own_ids_alone(void **state)
{
    (void)state;
    if (getuid() != 0)
        skip();
    as_root();
    struct passwd pw;
    struct group gr;
    char buf[1024];
    int err = 0;
    assert_int_equal(pwuid(12345, &pw, &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_mmlspark_getpwnam_r("mmlspark-12345", &pw, buf, sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_mmlspark_getgrgid_r(12345, &gr, buf, sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
    gid_t extra = 5556;
    assert_int_equal(setgroups(1, &extra), 0);
    assert_int_equal(setegid(5555), 0);
    assert_int_equal(_nss_mmlspark_getgrgid_r(5555, &gr, buf, sizeof(buf), &err),
                     NSS_STATUS_SUCCESS);
    assert_int_equal(_nss_mmlspark_getgrnam_r("mmlspark-5556", &gr, buf, sizeof(buf), &err),
                     NSS_STATUS_SUCCESS);
    assert_int_equal(setegid(0), 0);
    assert_int_equal(setgroups(0, NULL), 0);
    as_caller();
}

static void test_ids_and_names_the_files_hold_are_not_found(void **state)
{
    (void)state;
    struct passwd pw;
    struct group gr;
    char buf[1024];
    int err = 0;
    const uid_t taken[] = {0, 1, 500, 777, 9999, 31337, (uid_t)-1};
    for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
        err = 0;
        assert_int_equal(pwuid(taken[i], &pw, &err), NSS_STATUS_NOTFOUND);
        assert_int_equal(err, ENOENT);
    }
    assert_int_equal(pwuid(3944680146u, &pw, &err), NSS_STATUS_SUCCESS); /* no wrap-around */
    assert_int_equal(_nss_mmlspark_getpwnam_r("mmlspark-1", &pw, buf, sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_mmlspark_getpwnam_r("mmlspark-777", &pw, buf, sizeof(buf), &err),
                     NSS_STATUS_NOTFOUND);
    const gid_t gtaken[] = {0, 1, 100, 600, 888};
    for (size_t i = 0; i < sizeof(gtaken) / sizeof(gtaken[0]); i++)
        assert_int_equal(_nss_mmlspark_getgrgid_r(gtaken[i], &gr, buf, sizeof(buf), &err),
                         NSS_STATUS_NOTFOUND);
}

static void test_bad_names_are_not_found(void **state)
{
    (void)state;
    const char *bad[] = {"",
                         "mmlspark",
                         "mmlspark-",
                         "mmlspark-0",
                         "mmlspark-00",
                         "mmlspark-012345",
                         "mmlspark-+12345",
                         "mmlspark--12345",
                         "mmlspark- 12345",
                         "mmlspark-12345 ",
                         "mmlspark-12345\n",
                         "mmlspark-12a45",
                         "mmlspark-0x10",
                         "MMLSPARK-12345",
                         "xmmlspark-12345",
                         "mmlspark-4294967295",
                         "mmlspark-4294967296",
                         "mmlspark-18446744073709551617",
                         "mmlspark-99999999999999999999999999999999"};
    struct passwd pw;
    struct group gr;
    char buf[1024];
    uint32_t id;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int err = 0;
        assert_int_equal(idname_parse(bad[i], &id), -1);
        assert_int_equal(_nss_mmlspark_getpwnam_r(bad[i], &pw, buf, sizeof(buf), &err),
                         NSS_STATUS_NOTFOUND);
        assert_int_equal(err, ENOENT);
        assert_int_equal(_nss_mmlspark_getgrnam_r(bad[i], &gr, buf, sizeof(buf), &err),
                         NSS_STATUS_NOTFOUND);
    }
    assert_int_equal(idname_parse(NULL, &id), -1);
    assert_int_equal(idname_parse("mmlspark-4294967294", &id), 0);
    assert_int_equal(id, 4294967294u);
    assert_int_equal(idname_parse("mmlspark-1", &id), 0);
    assert_int_equal(id, 1);
}

/* Every buffer shorter than the entry: TRYAGAIN and ERANGE, nothing written past its end. */
static void test_a_short_buffer_gives_erange_and_stays_in_bounds(void **state)
{
    (void)state;
    char buf[512];
    size_t need_pw = 0, need_gr = 0;
    for (size_t len = 0; len < sizeof(buf) - 16 && (need_pw == 0 || need_gr == 0); len++) {
        struct passwd pw;
        struct group gr;
        int err = 0;
        memset(buf, 0x5a, sizeof(buf));
        enum nss_status s = _nss_mmlspark_getpwuid_r(12345, &pw, buf, len, &err);
        if (need_pw == 0 && s == NSS_STATUS_SUCCESS)
            need_pw = len;
        else if (need_pw == 0)
            assert_true(s == NSS_STATUS_TRYAGAIN && err == ERANGE);
        for (size_t i = len; i < sizeof(buf); i++)
            assert_int_equal((unsigned char)buf[i], 0x5a);
        memset(buf, 0x5a, sizeof(buf));
        s = _nss_mmlspark_getgrgid_r(12345, &gr, buf, len, &err);
        if (need_gr == 0 && s == NSS_STATUS_SUCCESS)
            need_gr = len;
        else if (need_gr == 0)
            assert_true(s == NSS_STATUS_TRYAGAIN && err == ERANGE);
        for (size_t i = len; i < sizeof(buf); i++)
            assert_int_equal((unsigned char)buf[i], 0x5a);
    }
    assert_true(need_pw > strlen("mmlspark-12345") + strlen(tmpdir));
    assert_true(need_gr > strlen("mmlspark-12345"));
}

static void test_a_gid_without_a_group_is_named_and_has_no_members(void **state)
{
    (void)state;
    struct group gr;
    char buf[256];
    int err = 0;
    assert_int_equal(_nss_mmlspark_getgrgid_r(12345, &gr, buf, sizeof(buf), &err),
                     NSS_STATUS_SUCCESS);
    assert_string_equal(gr.gr_name, "mmlspark-12345");
    assert_int_equal(gr.gr_gid, 12345);
    assert_null(gr.gr_mem[0]);
    assert_int_equal(_nss_mmlspark_getgrnam_r("mmlspark-4294967294", &gr, buf, sizeof(buf), &err),
                     NSS_STATUS_SUCCESS);
    assert_int_equal(gr.gr_gid, 4294967294u);
}

static void test_enumeration_lists_nothing(void **state)
{
    (void)state;
    struct passwd pw;
    struct group gr;
    char buf[256];
    int err = 0;
    assert_int_equal(_nss_mmlspark_setpwent(0), NSS_STATUS_SUCCESS);
    assert_int_equal(_nss_mmlspark_getpwent_r(&pw, buf, sizeof(buf), &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_mmlspark_endpwent(), NSS_STATUS_SUCCESS);
    assert_int_equal(_nss_mmlspark_setgrent(1), NSS_STATUS_SUCCESS);
    assert_int_equal(_nss_mmlspark_getgrent_r(&gr, buf, sizeof(buf), &err), NSS_STATUS_NOTFOUND);
    assert_int_equal(_nss_mmlspark_endgrent(), NSS_STATUS_SUCCESS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_uid_without_an_entry_is_named_mmlspark_uid),
        cmocka_unit_test(test_home_is_the_notebook_home_when_the_uid_owns_it),
        cmocka_unit_test(test_own_uid_gets_its_gid_and_a_group_writable_notebook_home),
        cmocka_unit_test(test_root_is_answered_for_its_own_ids_alone),
        cmocka_unit_test(test_ids_and_names_the_files_hold_are_not_found),
        cmocka_unit_test(test_bad_names_are_not_found),
        cmocka_unit_test(test_a_short_buffer_gives_erange_and_stays_in_bounds),
        cmocka_unit_test(test_a_gid_without_a_group_is_named_and_has_no_members),
        cmocka_unit_test(test_enumeration_lists_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
