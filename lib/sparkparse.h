/* sparkparse.h - validation of the Spark package settings (MML_PACKAGE, MML_M2REPOS). */
#ifndef MMLSPARK_SPARKPARSE_H
#define MMLSPARK_SPARKPARSE_H

/* A comma list of Maven coordinates group:artifact:version ([A-Za-z0-9._-]+ each, no spaces).
 * Returns 0 or -1. */
int parse_maven_coordinates(const char *value);

/* A comma list of repository URLs: http://, https:// or file:/ followed by printable, non-space,
 * non-quote characters. Returns 0 or -1. */
int parse_repository_urls(const char *value);

/* A standalone master URL: spark://HOST:PORT[,HOST:PORT...] (HOST [A-Za-z0-9.-]+, PORT 1..65535).
 * Returns 0 or -1. */
int parse_spark_master_url(const char *value);

/* SPARK_MODE: notebook, master, worker, connect or history. Returns 0 or -1. */
int parse_spark_mode(const char *value);

#endif
