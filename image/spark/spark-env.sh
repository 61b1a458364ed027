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

# (Hadoop's login in every Spark JVM needs a user name, and Java's user.home is the passwd
# entry's home: the NSS module, libnss_mmlspark.so.2, gives both to any uid.)

# Writes text (argument 2) to path (argument 1) unless it already holds exactly that text; a file
# that is not this uid's own regular file, or that others may write, is never used. Atomic: a
# rename, so a concurrent reader sees the old file or the new one. Exit 0 when the file is ready.
mmlspark_keep_file() {
  if [ -f "$1" ] && [ ! -L "$1" ] && [ -O "$1" ]; then
    case $(ls -ln "$1" 2>/dev/null) in
      ?????w????* | ????????w?*) return 1 ;;
    esac
    [ "$(cat "$1" 2>/dev/null)" = "$2" ] && return 0
  elif [ -e "$1" ] || [ -L "$1" ]; then
    return 1
  fi
  (umask 022 && printf '%s\n' "$2" >"$1.$$" && mv -f "$1.$$" "$1") 2>/dev/null || {
    rm -f "$1.$$" 2>/dev/null
    return 1
  }
}

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

# Your data where it lives (docs/data.md). Each setting below becomes a Spark property of the
# drivers launched here (-D in SPARK_SUBMIT_OPTS: a user's --conf, spark-defaults.conf entry or
# builder setting still wins), never with a secret's value in it: a credential is named as
# ${env.NAME}, which Hadoop reads from the environment of the JVM that uses it (the driver, and
# each executor from its own node's environment). A property already in SPARK_SUBMIT_OPTS is left.
_mmlspark_prop() { # KEY VALUE
  case " ${SPARK_SUBMIT_OPTS:-} " in
    *" -D$1="* | *" \"-D$1="*) return 0 ;;
  esac
  case $2 in
    *[[:space:]]*) SPARK_SUBMIT_OPTS="${SPARK_SUBMIT_OPTS:+$SPARK_SUBMIT_OPTS }\"-D$1=$2\"" ;;
    *) SPARK_SUBMIT_OPTS="${SPARK_SUBMIT_OPTS:+$SPARK_SUBMIT_OPTS }-D$1=$2" ;;
  esac
}
# MMLSPARK_TABLE_FORMATS=delta|iceberg|delta,iceberg: the table formats' SQL extensions and
# catalogs in every session (Delta: spark_catalog; Iceberg: the catalog `iceberg`, a Hadoop
# catalog in MMLSPARK_ICEBERG_WAREHOUSE, default spark-warehouse/iceberg under the directory
# Spark starts in, where Spark keeps its own tables).
if [ -n "${MMLSPARK_TABLE_FORMATS:-}" ]; then
  _mmlspark_ext=
  for _mmlspark_fmt in $(tr ',' ' ' <<<"$MMLSPARK_TABLE_FORMATS"); do
    case ${_mmlspark_fmt,,} in
      delta)
        _mmlspark_ext="${_mmlspark_ext:+$_mmlspark_ext,}io.delta.sql.DeltaSparkSessionExtension"
        _mmlspark_prop spark.sql.catalog.spark_catalog org.apache.spark.sql.delta.catalog.DeltaCatalog ;;
      iceberg)
        _mmlspark_ext="${_mmlspark_ext:+$_mmlspark_ext,}org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions"
        _mmlspark_prop spark.sql.catalog.iceberg org.apache.iceberg.spark.SparkCatalog
        _mmlspark_prop spark.sql.catalog.iceberg.type hadoop
        _mmlspark_prop spark.sql.catalog.iceberg.warehouse "${MMLSPARK_ICEBERG_WAREHOUSE:-$PWD/spark-warehouse/iceberg}" ;;
      *)
        echo "mmlspark: MMLSPARK_TABLE_FORMATS='$MMLSPARK_TABLE_FORMATS' is not valid: give delta, iceberg or delta,iceberg" >&2
        exit 64 ;;
    esac
  done
  _mmlspark_prop spark.sql.extensions "$_mmlspark_ext"
  unset _mmlspark_ext _mmlspark_fmt
fi
# An S3-compatible endpoint (MinIO, Ceph, a test server) the way AWS's own tools take it:
# AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL; such servers want path-style requests
# (AWS_S3_PATH_STYLE=false turns that off). AWS's keys (AWS_ACCESS_KEY_ID, ...), profiles
# (~/.aws, AWS_PROFILE) and web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN) are read by
# the credential chain of spark-defaults.conf.
_mmlspark_s3=${AWS_ENDPOINT_URL_S3:-${AWS_ENDPOINT_URL:-}}
if [ -n "$_mmlspark_s3" ]; then
  _mmlspark_prop spark.hadoop.fs.s3a.endpoint "$_mmlspark_s3"
  case ${AWS_S3_PATH_STYLE:-true} in
    [Ff]alse | 0 | [Nn]o) ;;
    *) _mmlspark_prop spark.hadoop.fs.s3a.path.style.access true ;;
  esac
  case $_mmlspark_s3 in
    http://*) _mmlspark_prop spark.hadoop.fs.s3a.connection.ssl.enabled false ;;
  esac
fi
[ -z "${AWS_REGION:-${AWS_DEFAULT_REGION:-}}" ] ||
  _mmlspark_prop spark.hadoop.fs.s3a.endpoint.region "${AWS_REGION:-$AWS_DEFAULT_REGION}"
# Azure Storage the way Azure's CLI and SDKs take it: AZURE_STORAGE_ACCOUNT with
# AZURE_STORAGE_KEY (an account key: wasb[s]:// and abfs[s]://); a service principal
# (AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID: OAuth client credentials, abfs[s]://).
if [ -n "${AZURE_STORAGE_ACCOUNT:-}" ] && [ -n "${AZURE_STORAGE_KEY:-}" ]; then
  _mmlspark_prop "spark.hadoop.fs.azure.account.key.$AZURE_STORAGE_ACCOUNT.blob.core.windows.net" '${env.AZURE_STORAGE_KEY}'
  _mmlspark_prop "spark.hadoop.fs.azure.account.key.$AZURE_STORAGE_ACCOUNT.dfs.core.windows.net" '${env.AZURE_STORAGE_KEY}'
fi
if [ -n "${AZURE_CLIENT_ID:-}" ] && [ -n "${AZURE_CLIENT_SECRET:-}" ] && [ -n "${AZURE_TENANT_ID:-}" ]; then
  _mmlspark_prop spark.hadoop.fs.azure.account.auth.type OAuth
  _mmlspark_prop spark.hadoop.fs.azure.account.oauth.provider.type org.apache.hadoop.fs.azurebfs.oauth2.ClientCredsTokenProvider
  _mmlspark_prop spark.hadoop.fs.azure.account.oauth2.client.id '${env.AZURE_CLIENT_ID}'
  _mmlspark_prop spark.hadoop.fs.azure.account.oauth2.client.secret '${env.AZURE_CLIENT_SECRET}'
  _mmlspark_prop spark.hadoop.fs.azure.account.oauth2.client.endpoint 'https://login.microsoftonline.com/${env.AZURE_TENANT_ID}/oauth2/token'
fi
# Behind a proxy: HTTPS_PROXY / HTTP_PROXY / NO_PROXY (or their lower-case forms) for the JVM's
# own connections (Ivy's --packages, Azure's connectors) and S3A's (which reach the executors);
# a user name and password in the URL are not passed (they would show in `ps`).
_mmlspark_proxy() { # SCHEME URL
  local hostport=${2#*://}
  hostport=${hostport%%/*}
  hostport=${hostport##*@}
  local host=${hostport%:*} port=${hostport##*:}
  [ "$port" != "$hostport" ] || port=$([ "${2%%://*}" = https ] && echo 443 || echo 80)
  [ -n "$host" ] || return 0
  _mmlspark_prop "$1.proxyHost" "$host"
  _mmlspark_prop "$1.proxyPort" "$port"
  if [ "$1" = https ]; then
    _mmlspark_prop spark.hadoop.fs.s3a.proxy.host "$host"
    _mmlspark_prop spark.hadoop.fs.s3a.proxy.port "$port"
  fi
}
[ -z "${HTTPS_PROXY:-${https_proxy:-}}" ] || _mmlspark_proxy https "${HTTPS_PROXY:-$https_proxy}"
[ -z "${HTTP_PROXY:-${http_proxy:-}}" ] || _mmlspark_proxy http "${HTTP_PROXY:-$http_proxy}"
if [ -n "${NO_PROXY:-${no_proxy:-}}" ]; then
  _mmlspark_np=$(tr ',' '\n' <<<"${NO_PROXY:-$no_proxy}" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//; s/^\./*./; /^$/d' | paste -sd'|')
  _mmlspark_prop http.nonProxyHosts "$_mmlspark_np"
  unset _mmlspark_np
fi
# MMLSPARK_MAVEN_MIRROR: a Maven repository that --packages uses in place of Maven Central
# (ivysettings.xml).
[ -z "${MMLSPARK_MAVEN_MIRROR:-}" ] || _mmlspark_prop mmlspark.maven.mirror "$MMLSPARK_MAVEN_MIRROR"
# SPARK_EVENT_LOG_DIR (docs/history.md): every application launched here writes its event log
# there (an absolute path, made when missing, or a URI such as s3a://BUCKET/DIR), and Spark's
# history server (SPARK_MODE=history) reads it.
if [ -n "${SPARK_EVENT_LOG_DIR:-}" ]; then
  case $SPARK_EVENT_LOG_DIR in
    /*) mkdir -p "$SPARK_EVENT_LOG_DIR" 2>/dev/null || true
        _mmlspark_events=file:$SPARK_EVENT_LOG_DIR ;;
    [a-zA-Z]*://*) _mmlspark_events=$SPARK_EVENT_LOG_DIR ;;
    *) echo "mmlspark: SPARK_EVENT_LOG_DIR='$SPARK_EVENT_LOG_DIR' is not valid: give an absolute path or a URI (s3a://BUCKET/DIR)" >&2
       exit 64 ;;
  esac
  _mmlspark_prop spark.eventLog.enabled true
  _mmlspark_prop spark.eventLog.dir "$_mmlspark_events"
  case " ${SPARK_HISTORY_OPTS:-} " in
    *" -Dspark.history.fs.logDirectory="*) ;;
    *) SPARK_HISTORY_OPTS="-Dspark.history.fs.logDirectory=$_mmlspark_events${SPARK_HISTORY_OPTS:+ $SPARK_HISTORY_OPTS}" ;;
  esac
  unset _mmlspark_events
fi
unset -f _mmlspark_prop _mmlspark_proxy mmlspark_keep_file
unset _mmlspark_s3
