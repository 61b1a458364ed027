# /opt/spark/conf/spark-env.sh - sourced (exported) by every Spark launcher in the image: pyspark,
# spark-submit, spark-class (notebook kernels, cluster master and workers, docker exec shells).
#
# Where the container's host name does not resolve (`--network none`, some `--network host`
# setups) Java cannot find the local host. mmlspark-env then gives SPARK_LOCAL_IP=127.0.0.1 (a
# value the user set is never touched; an inherited one, as in notebook kernels, is not worked out
# again), so Spark starts on the loopback address. With no network at all (only `lo`), the JVMs
# also get a hosts file naming this host 127.0.0.1 (-Djdk.net.hosts.file), which keeps Spark's
# logging from printing a stack trace about it: one file per uid, written once and reused.
# Nothing changes where the host name resolves.
# In a container with a memory limit, mmlspark-env also sizes the driver's heap
# (SPARK_DRIVER_MEMORY) and a worker's offer (SPARK_WORKER_MEMORY) from it, each only when unset;
# spark.driver.memory / --driver-memory still win over the first.
if command -v mmlspark-env >/dev/null 2>&1 \
   && [ -z "${SPARK_LOCAL_IP:-}" -o -z "${SPARK_DRIVER_MEMORY:-}" -o -z "${SPARK_WORKER_MEMORY:-}" ]; then
  eval "$(mmlspark-env 2>/dev/null | grep -E '^export SPARK_(LOCAL_IP|DRIVER_MEMORY|WORKER_MEMORY)=')"
fi

# A user name and a writable HOME for any uid (`--user 12345:12345`, OpenShift): Hadoop's login in
# every Spark JVM fails without a user name ("invalid null input: name"); nss_wrapper gives one
# (/etc/passwd itself stays read-only). Already in place when inherited (Jupyter's kernels).
[ -r /etc/profile.d/mmlspark-identity.sh ] && . /etc/profile.d/mmlspark-identity.sh

if [ "${SPARK_LOCAL_IP:-}" = 127.0.0.1 ] && [ "$(ls /sys/class/net 2>/dev/null)" = lo ] \
   && _mmlspark_hosts=${TMPDIR:-/tmp}/mmlspark-hosts-$(id -u) \
   && mmlspark_keep_file "$_mmlspark_hosts" "127.0.0.1 localhost $(uname -n)
::1 localhost ip6-localhost"; then
  case " ${SPARK_SUBMIT_OPTS:-} " in
    *" -Djdk.net.hosts.file="*) ;;
    *) SPARK_SUBMIT_OPTS="-Djdk.net.hosts.file=$_mmlspark_hosts${SPARK_SUBMIT_OPTS:+ $SPARK_SUBMIT_OPTS}" ;;
  esac
  case " ${SPARK_DAEMON_JAVA_OPTS:-} " in
    *" -Djdk.net.hosts.file="*) ;;
    *) SPARK_DAEMON_JAVA_OPTS="-Djdk.net.hosts.file=$_mmlspark_hosts${SPARK_DAEMON_JAVA_OPTS:+ $SPARK_DAEMON_JAVA_OPTS}" ;;
  esac
fi
unset _mmlspark_hosts

# Spark's shared-secret authentication (spark.authenticate) when SPARK_AUTH_SECRET or
# SPARK_AUTH_SECRET_FILE (a Docker secret, e.g. /run/secrets/spark_auth) is set: the master and
# workers then refuse any worker, driver or executor that does not prove it knows the secret.
# The secret travels in _SPARK_AUTH_SECRET, the environment variable Spark's SecurityManager reads
# first (as it does for the executors a worker starts), never on a command line (ps, docker top)
# nor in a file. A driver of a spark:// master must also have spark.authenticate.secret set
# (SecurityManager.initializeAuth checks that it is set, not its value): it gets a placeholder,
# the real secret comes from the environment. A bad setting stops here with one error line
# (exit 64); mmlspark-init already refused it at the container's start.
if [ -n "${SPARK_AUTH_SECRET:-}${SPARK_AUTH_SECRET_FILE:-}" ]; then
  _SPARK_AUTH_SECRET=$(mmlspark-env --auth-secret) || exit 64
  export _SPARK_AUTH_SECRET
  SPARK_DAEMON_JAVA_OPTS="-Dspark.authenticate=true${SPARK_DAEMON_JAVA_OPTS:+ $SPARK_DAEMON_JAVA_OPTS}"
  SPARK_SUBMIT_OPTS="-Dspark.authenticate=true -Dspark.authenticate.secret=from-environment${SPARK_SUBMIT_OPTS:+ $SPARK_SUBMIT_OPTS}"
fi

# Spark standalone workers (SPARK_MODE=worker, or a Worker started any other way: only Spark's
# Worker reads SPARK_WORKER_OPTS) delete the work directory of every application that has ended
# (its executors' logs, jars and files) once nothing in it changed for an hour, looking every
# 10 minutes; Spark's own default keeps them forever. A key the user set in SPARK_WORKER_OPTS or
# SPARK_DAEMON_JAVA_OPTS is left as the user set it.
_mmlspark_defaults=
for _mmlspark_opt in spark.worker.cleanup.enabled=true spark.worker.cleanup.interval=600 \
                     spark.worker.cleanup.appDataTtl=3600; do
  case " ${SPARK_DAEMON_JAVA_OPTS:-} ${SPARK_WORKER_OPTS:-} " in
    *" -D${_mmlspark_opt%%=*}="*) ;;
    *) _mmlspark_defaults="$_mmlspark_defaults-D$_mmlspark_opt " ;;
  esac
done
SPARK_WORKER_OPTS="$_mmlspark_defaults${SPARK_WORKER_OPTS:-}"
unset _mmlspark_opt _mmlspark_defaults
