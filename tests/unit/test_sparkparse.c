/* Unit tests: MML_PACKAGE coordinates and MML_M2REPOS URLs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sparkparse.h"

static void test_maven_coordinates_valid(void **state)
{
    (void)state;
    assert_int_equal(parse_maven_coordinates("com.microsoft.azure:synapseml_2.12:1.1.0"), 0);
    assert_int_equal(parse_maven_coordinates("org.example:hello:1.0"), 0);
    assert_int_equal(parse_maven_coordinates("a:b:c,d.e:f-g:1.0-SNAPSHOT"), 0);
}

static void test_maven_coordinates_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {"",         "a:b",      "a:b:c:d", "a::c",         ":b:c",
                                      "a:b:",     "a:b:c,",   ",a:b:c",  "a:b:c,,d:e:f", "a b:c:d",
                                      "a:b:c;rm", "a:b:$(x)", "a:b:c\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse_maven_coordinates(bad[i]), -1);
    assert_int_equal(parse_maven_coordinates(NULL), -1);
}

static void test_repository_urls(void **state)
{
    (void)state;
    assert_int_equal(parse_repository_urls("https://mmlspark.azureedge.net/maven"), 0);
    assert_int_equal(parse_repository_urls("file:///repo"), 0);
    assert_int_equal(parse_repository_urls("http://h:8081/r,https://x/y"), 0);
    static const char *const bad[] = {"",           "ftp://x",     "https://",
                                      "repo",       "https://a b", "https://a\"b",
                                      "file:",      "https://x,",  "https://x,,https://y",
                                      "https://x\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse_repository_urls(bad[i]), -1);
}

static void test_spark_master_url(void **state)
{
    (void)state;
    assert_int_equal(parse_spark_master_url("spark://master:7077"), 0);
    assert_int_equal(parse_spark_master_url("spark://10.0.0.1:7077,m2.example:7078"), 0);
    static const char *const bad[] = {"",
                                      "master:7077",
                                      "spark://master",
                                      "spark://:7077",
                                      "spark://m:0",
                                      "spark://m:65536",
                                      "spark://m:77a",
                                      "spark://m:7077,",
                                      "spark://m m:7077",
                                      "http://m:7077",
                                      "spark://m:7077/x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse_spark_master_url(bad[i]), -1);
}

static void test_spark_mode_words(void **state)
{
    (void)state;
    assert_int_equal(parse_spark_mode("notebook"), 0);
    assert_int_equal(parse_spark_mode("master"), 0);
    assert_int_equal(parse_spark_mode("worker"), 0);
    assert_int_equal(parse_spark_mode("connect"), 0);
    assert_int_equal(parse_spark_mode("history"), 0);
    assert_int_equal(parse_spark_mode("Connect"), -1);
    assert_int_equal(parse_spark_mode("Master"), -1);
    assert_int_equal(parse_spark_mode("driver"), -1);
    assert_int_equal(parse_spark_mode(""), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maven_coordinates_valid),
        cmocka_unit_test(test_maven_coordinates_invalid),
        cmocka_unit_test(test_repository_urls),
        cmocka_unit_test(test_spark_master_url),
        cmocka_unit_test(test_spark_mode_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
