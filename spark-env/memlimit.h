/* memlimit.h - Spark's heap defaults from the container's memory limit (cgroup v2 or v1). */
#ifndef MMLSPARK_MEMLIMIT_H
#define MMLSPARK_MEMLIMIT_H

#include <stdint.h>

#define MEMLIMIT_MIB (UINT64_C(1) << 20)

/* The memory limit of this process' cgroup, in bytes, read under ROOT (normally
 * "/sys/fs/cgroup"): v2 memory.max, else v1 memory/memory.limit_in_bytes. 0 when there is no
 * limit ("max", v1's huge "unlimited" value, or a value at least the machine's RAM, MEMTOTAL
 * bytes; 0 = unknown RAM) or no readable file. */
uint64_t memlimit_read(const char *root, uint64_t memtotal);

/* Parses one cgroup limit file's text: a decimal byte count, or "max". Returns the bytes, 0 for
 * "max", or -1 (in *ok false) when it is neither. */
uint64_t memlimit_parse(const char *text, int *ok);

/* The driver's heap in MiB for a container limited to LIMIT bytes: 60 % of what is left after
 * 1 GiB for Jupyter, the kernels' Python and the JVM's own non-heap memory, at least 512 MiB
 * (or half the limit when that is smaller), in whole 64 MiB. 0 when LIMIT is 0 (no limit: Spark's
 * own default, 1g, stays). */
uint64_t memlimit_driver_heap_mib(uint64_t limit);

/* A standalone worker's SPARK_WORKER_MEMORY in MiB for a container limited to LIMIT bytes: the
 * limit less 1 GiB for the worker's own JVM (SPARK_DAEMON_MEMORY) and the executors' non-heap
 * memory, at least 512 MiB, in whole 64 MiB. 0 when LIMIT is 0 (Spark's default: the machine's
 * RAM less 1 GiB). */
uint64_t memlimit_worker_mib(uint64_t limit);

#endif
