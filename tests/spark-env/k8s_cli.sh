#!/bin/sh
# k8s_cli.sh ENV_BINARY roles|decom - `driver`, `executor`, `entrypoint.sh`, `tini` and `decom.sh`
# as a pod runs them, with a fake `java` and `spark-submit` that print their arguments and a fake
# `hadoop`. `decom` runs in a PID namespace of its own (root; else skipped, 77): decom.sh signals
# the executor it finds in /proc, never one of another test's.
env_bin=$1
mode=$2
fails=0
check() { # NAME EXPECTED_RC ACTUAL_RC
  if [ "$2" = "$3" ]; then echo "PASS: $1"; else echo "FAIL: $1 (exit $3, expected $2)"; fails=$((fails + 1)); fi
}
t=$(mktemp -d)
chmod 755 "$t"
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/bin" "$t/java/bin" "$t/spark/bin" "$t/spark/jars" "$t/hadoop/bin" "$t/work"
for role in driver executor decom.sh entrypoint.sh tini; do ln -s "$env_bin" "$t/bin/$role"; done
printf '#!/bin/sh\nprintf "%%s\\n" "$@"\n' >"$t/java/bin/java"
printf '#!/bin/sh\nprintf "%%s\\n" "$@"\necho "SPARK_DRIVER_MEMORY=$SPARK_DRIVER_MEMORY"\n' >"$t/spark/bin/spark-submit"
printf '#!/bin/sh\n[ "$1" = classpath ] && echo "/hadoop/etc:/hadoop/common/*"\n' >"$t/hadoop/bin/hadoop"
chmod +x "$t/java/bin/java" "$t/spark/bin/spark-submit" "$t/hadoop/bin/hadoop"
export MMLSPARK_LOG=warn JAVA_HOME="$t/java" SPARK_HOME="$t/spark" PATH="$t/bin:$PATH"
unset SPARK_DRIVER_MEMORY SPARK_DIST_CLASSPATH HADOOP_HOME PYSPARK_PYTHON SPARK_CLASSPATH
pod="SPARK_DRIVER_URL=spark://d:7078 SPARK_EXECUTOR_ID=1 SPARK_EXECUTOR_CORES=1
     SPARK_EXECUTOR_MEMORY=1g SPARK_APPLICATION_ID=app SPARK_EXECUTOR_POD_IP=10.0.0.7
     SPARK_EXECUTOR_POD_NAME=p SPARK_RESOURCE_PROFILE_ID=0"
cp_of() { sed -n '/^-cp$/{n;p;}'; } # the class path the fake java was given

if [ "$mode" = roles ]; then
  cd "$t/work" || exit 1
  here=$(pwd -P)
  # shellcheck disable=SC2086
  out=$(env $pod executor 2>&1)
  check executor_runs_java 0 $?
  [ "$(printf '%s\n' "$out" | cp_of)" = "$t/spark/conf:$t/spark/jars/*:$here" ]
  check executor_working_directory_is_last_on_the_class_path 0 $?

  # shellcheck disable=SC2086
  out=$(env $pod HADOOP_HOME="$t/hadoop" executor 2>&1)
  [ "$(printf '%s\n' "$out" | cp_of)" = "$t/spark/conf:$t/spark/jars/*:/hadoop/etc:/hadoop/common/*:$here" ]
  check executor_hadoop_home_gives_spark_dist_classpath 0 $?
  # shellcheck disable=SC2086
  out=$(env $pod HADOOP_HOME="$t/hadoop" SPARK_DIST_CLASSPATH=/mine/* executor 2>&1)
  [ "$(printf '%s\n' "$out" | cp_of)" = "$t/spark/conf:$t/spark/jars/*:/mine/*:$here" ]
  check executor_users_spark_dist_classpath_wins_over_hadoop_home 0 $?

  # shellcheck disable=SC2086
  out=$(env $pod PYSPARK_PYTHON=/nonexistent/python3 executor 2>&1)
  check executor_runs_with_a_pyspark_python_the_image_lacks 0 $?
  printf '%s' "$out" | grep -q "PYSPARK_PYTHON='/nonexistent/python3' is not in this image"
  check executor_warns_about_the_missing_python 0 $?

  out=$(SPARK_DRIVER_BIND_ADDRESS=10.0.0.5 driver --properties-file /p local:///job.py 2>&1)
  check driver_runs_spark_submit 0 $?
  printf '%s\n' "$out" | grep -qx "spark.executorEnv.SPARK_DRIVER_POD_IP=10.0.0.5"
  check driver_passes_spark_driver_pod_ip_to_executors 0 $?
  printf '%s\n' "$out" | grep -qx "SPARK_DRIVER_MEMORY=1g"
  check driver_launcher_gets_sparks_default_heap_not_the_pod_limits 0 $?
  out=$(SPARK_DRIVER_BIND_ADDRESS=10.0.0.5 SPARK_DRIVER_MEMORY=3g driver 2>&1)
  printf '%s\n' "$out" | grep -qx "SPARK_DRIVER_MEMORY=3g"
  check driver_keeps_the_users_spark_driver_memory 0 $?
  out=$(SPARK_DRIVER_BIND_ADDRESS=10.0.0.5 PYSPARK_PYTHON=nope driver 2>&1)
  check driver_runs_with_a_pyspark_python_the_image_lacks 0 $?

  # a read-only working directory (read-only root): the first of Spark's local dirs instead
  mkdir -p "$t/ro" "$t/local1" && chmod 555 "$t/ro"
  as_other=  # root writes anywhere: the test runs as nobody then
  [ "$(id -u)" != 0 ] || as_other="setpriv --reuid 65534 --regid 65534 --clear-groups"
  # shellcheck disable=SC2086
  out=$(cd "$t/ro" && env $pod SPARK_LOCAL_DIRS="$t/local1,$t/local2" $as_other executor 2>&1)
  [ "$(printf '%s\n' "$out" | cp_of)" = "$t/spark/conf:$t/spark/jars/*:$t/local1" ]
  check executor_in_a_read_only_directory_works_in_the_first_local_dir 0 $?

  # command: overrides as Spark's docs write them (here not PID 1: the command runs directly)
  # shellcheck disable=SC2086
  out=$(env $pod entrypoint.sh executor 2>&1)
  printf '%s\n' "$out" | grep -qx "org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend"
  check entrypoint_sh_executor_runs_the_executor 0 $?
  # shellcheck disable=SC2086
  out=$(env $pod tini -s -- entrypoint.sh executor 2>&1)
  printf '%s\n' "$out" | grep -qx "org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend"
  check tini_s_entrypoint_sh_executor_runs_the_executor 0 $?
  tini -s -g -p SIGTERM -- sh -c 'exit 5' 2>/dev/null
  check tini_passes_the_exit_status_on 5 $?
  err=$(tini -x -- true 2>&1)
  check tini_unknown_option_exits_64 64 $?
  [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ]
  check tini_unknown_option_is_one_line 0 $?
fi

if [ "$mode" = decom ]; then
  if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
    echo "SKIP: decom tests need root and unshare (a PID namespace of their own)"
    exit 77
  fi
  if [ -z "${IN_PIDNS:-}" ]; then
    IN_PIDNS=1 exec unshare -fp --mount-proc sh "$0" "$@"
  fi
  decom.sh 2>/dev/null
  check decom_without_an_executor_exits_0 0 $?
  # A fake executor that takes 62 s to migrate after SIGPWR: longer than the old 60 s bound.
  # (its parent subshell reaps it at once, as PID 1 does in a pod)
  (bash -c 'trap "sleep 62; exit 0" PWR; while :; do sleep 1; done' \
     org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend &
   echo $! >"$t/fake.pid"
   wait) &
  sleep 1
  fake=$(cat "$t/fake.pid")
  start=$(date +%s)
  decom.sh 2>/dev/null
  rc=$?
  took=$(($(date +%s) - start))
  check decom_exits_0_when_the_executor_has_exited 0 $rc
  [ "$took" -ge 61 ] && ! kill -0 "$fake" 2>/dev/null
  check "decom_waits_for_the_executor_past_60_s (${took} s)" 0 $?
fi
[ $fails -eq 0 ]
