/* Unit tests: defaults < config file < environment, and errors naming file, line and key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char path[64];

static const char *write_conf(const char *text)
{
    strcpy(path, "/tmp/mmlspark-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static int teardown(void **state)
{
    (void)state;
    if (path[0])
        unlink(path);
    path[0] = '\0';
    static const char *const vars[] = {"MMLSPARK_JUPYTER_PORT", "ACCEPT_EULA", "MML_PACKAGE",
                                       "MMLSPARK_GRACE_PERIOD", "NB_USER"};
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
    return 0;
}

static void test_defaults_without_file(void **state)
{
    (void)state;
    struct mml_settings s;
    char err[512];
    settings_init(&s);
    assert_int_equal(settings_load_file(&s, "/nonexistent/mmlspark.conf", false, err, sizeof(err)),
                     0);
    assert_int_equal(settings_apply_env(&s, err, sizeof(err)), 0);
    assert_int_equal(s.port, 8888);
    assert_string_equal(s.user, "mmlspark");
    assert_string_equal(s.notebook_dir, "/notebooks");
    assert_int_equal(s.eula, EULA_PENDING);
    assert_true(s.kill_group);
    assert_true(s.grace_seconds == 5.0);
    assert_null(s.config_path);
    assert_int_equal(s.origin[SET_PORT], ORIGIN_DEFAULT);
    settings_free(&s);
}

static void test_required_file_missing_is_an_error(void **state)
{
    (void)state;
    struct mml_settings s;
    char err[512];
    settings_init(&s);
    assert_int_equal(settings_load_file(&s, "/nonexistent/x.conf", true, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent/x.conf"));
    settings_free(&s);
}

static void test_file_values_apply_and_env_wins(void **state)
{
    (void)state;
    struct mml_settings s;
    char err[512];
    settings_init(&s);
    const char *p = write_conf("# comment\nport = 9999\nnotebook_dir = \"/srv/nb\"\n"
                               "grace_period = 0.5\nremap_exit = \"143,130\"\n"
                               "mml_package = \"org.example:hello:1.0\"\n");
    assert_int_equal(settings_load_file(&s, p, true, err, sizeof(err)), 0);
    assert_int_equal(s.port, 9999);
    assert_string_equal(s.notebook_dir, "/srv/nb");
    assert_true(s.grace_seconds == 0.5);
    assert_true(s.remap_exit[143] && s.remap_exit[130] && !s.remap_exit[0]);
    assert_int_equal(s.origin[SET_PORT], ORIGIN_FILE);
    setenv("MMLSPARK_JUPYTER_PORT", "80", 1);
    setenv("ACCEPT_EULA", "YES", 1);
    assert_int_equal(settings_apply_env(&s, err, sizeof(err)), 0);
    assert_int_equal(s.port, 80);
    assert_int_equal(s.origin[SET_PORT], ORIGIN_ENV);
    assert_int_equal(s.eula, EULA_ACCEPTED);
    assert_string_equal(s.mml_package, "org.example:hello:1.0");
    settings_free(&s);
}

static void test_bad_value_names_file_line_and_key(void **state)
{
    (void)state;
    struct mml_settings s;
    char err[512];
    settings_init(&s);
    const char *p = write_conf("user = \"mmlspark\"\n\nport = 70000\n");
    assert_int_equal(settings_load_file(&s, p, true, err, sizeof(err)), -1);
    char expect[128];
    snprintf(expect, sizeof(expect), "%s:3:", p);
    assert_non_null(strstr(err, expect));
    assert_non_null(strstr(err, "'port'"));
    assert_non_null(strstr(err, "70000"));
    assert_non_null(strstr(err, "1..65535"));
    assert_int_equal(s.port, 8888); /* nothing half-applied */
    settings_free(&s);
}

static void test_unknown_key_and_syntax_error_are_reported(void **state)
{
    (void)state;
    struct mml_settings s;
    char err[512];
    settings_init(&s);
    const char *p = write_conf("colour = \"blue\"\n");
    assert_int_equal(settings_load_file(&s, p, true, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":1:"));
    assert_non_null(strstr(err, "colour"));
    unlink(path);
    p = write_conf("port = 80\nuser = {\n");
    assert_int_equal(settings_load_file(&s, p, true, err, sizeof(err)), -1);
    assert_non_null(strstr(err, p));
    settings_free(&s);
}

static void test_bad_env_value_names_variable_and_expected_form(void **state)
{
    (void)state;
    struct mml_settings s;
    char err[512];
    settings_init(&s);
    setenv("MMLSPARK_JUPYTER_PORT", "eighty", 1);
    assert_int_equal(settings_apply_env(&s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "MMLSPARK_JUPYTER_PORT='eighty'"));
    assert_non_null(strstr(err, "1..65535"));
    unsetenv("MMLSPARK_JUPYTER_PORT");
    setenv("MML_PACKAGE", "not a coordinate", 1);
    assert_int_equal(settings_apply_env(&s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "MML_PACKAGE"));
    assert_non_null(strstr(err, "group:artifact:version"));
    settings_free(&s);
}

static void test_empty_env_keeps_default(void **state)
{
    (void)state;
    struct mml_settings s;
    char err[512];
    settings_init(&s);
    setenv("MMLSPARK_JUPYTER_PORT", "", 1);
    setenv("ACCEPT_EULA", "", 1);
    assert_int_equal(settings_apply_env(&s, err, sizeof(err)), 0);
    assert_int_equal(s.port, 8888);
    assert_int_equal(s.eula, EULA_PENDING);
    settings_free(&s);
}

static void test_print_config_shows_origin(void **state)
{
    (void)state;
    struct mml_settings s;
    char err[512];
    settings_init(&s);
    setenv("NB_USER", "alice", 1);
    assert_int_equal(settings_apply_env(&s, err, sizeof(err)), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    settings_print(&s, f);
    fclose(f);
    assert_non_null(strstr(buf, "\"alice\"  # environment NB_USER"));
    assert_non_null(strstr(buf, "\"8888\"  # default"));
    free(buf);
    settings_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_defaults_without_file, teardown),
        cmocka_unit_test_teardown(test_required_file_missing_is_an_error, teardown),
        cmocka_unit_test_teardown(test_file_values_apply_and_env_wins, teardown),
        cmocka_unit_test_teardown(test_bad_value_names_file_line_and_key, teardown),
        cmocka_unit_test_teardown(test_unknown_key_and_syntax_error_are_reported, teardown),
        cmocka_unit_test_teardown(test_bad_env_value_names_variable_and_expected_form, teardown),
        cmocka_unit_test_teardown(test_empty_env_keeps_default, teardown),
        cmocka_unit_test_teardown(test_print_config_shows_origin, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
