#!/bin/sh
# submit_status.sh - the image's spark-submit (image/submit/spark-submit, submit_status.py) with a
# fake Spark's spark-submit that logs a Kubernetes driver pod's final statuses as Spark 3.5 does
# and exits 0 (or fails itself): a cluster-mode submission to Kubernetes exits with the driver's
# code and says so once; client mode, another master, MMLSPARK_SUBMIT_STATUS=spark and a
# submission that did not wait keep Spark's status; stdout passes untouched.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/spark/bin" "$t/lib"
cp "$top/image/submit/submit_status.py" "$t/lib/"
sed "s|/usr/local/lib/mmlspark/|$t/lib/|" "$top/image/submit/spark-submit" >"$t/spark-submit"
cat >"$t/spark/bin/spark-submit" <<'FAKE'
#!/bin/sh
echo "stdout of the application"
case " $* " in *" nowait "*) exit 0 ;; *" refused "*) echo "Exception: refused" >&2; exit 1 ;; esac
printf '%s\n' "INFO LoggingPodStatusWatcherImpl: Application status for spark-1 (phase: Failed)" \
  "Container final statuses:" "" "" "	 container name: spark-kubernetes-driver" \
  "	 container image: img" "	 container state: terminated" "	 exit code: ${FAKE_CODE:-5}" \
  "	 termination reason: Error" >&2
exit 0
FAKE
chmod +x "$t/spark-submit" "$t/spark/bin/spark-submit"
export SPARK_HOME="$t/spark"
fail=0
expect() { # CODE WHAT ARGS...
  want=$1 what=$2
  shift 2
  "$t/spark-submit" "$@" >"$t/out" 2>"$t/err"
  got=$?
  if [ "$got" != "$want" ] || ! grep -q "^stdout of the application$" "$t/out"; then
    echo "FAIL: $what: exit $got (expected $want); stdout: $(cat "$t/out"); stderr: $(tail -3 "$t/err")"
    fail=1
  else
    echo "PASS: $what"
  fi
}
expect 5 "cluster mode on k8s: the driver's code" --master k8s://https://api:6443 --deploy-mode cluster local:///job.py
grep -q "the driver pod's container exited 5" "$t/err" || { echo "FAIL: no line naming the driver's code"; fail=1; }
grep -q "exit code: 5" "$t/err" || { echo "FAIL: Spark's own lines not relayed"; fail=1; }
expect 5 "--master=, --conf spark.submit.deployMode=cluster" --master=k8s://https://api:6443 --conf spark.submit.deployMode=cluster local:///job.py
FAKE_CODE=0 expect 0 "a driver that succeeded" --master k8s://https://api:6443 --deploy-mode cluster local:///job.py
grep -q "the driver pod" "$t/err" && { echo "FAIL: a line for a driver that exited 0"; fail=1; }
expect 0 "client mode is Spark's" --master k8s://https://api:6443 --deploy-mode client local:///job.py
expect 0 "another master is Spark's" --master spark://m:7077 --deploy-mode cluster job.py
MMLSPARK_SUBMIT_STATUS=spark expect 0 "MMLSPARK_SUBMIT_STATUS=spark" --master k8s://https://api:6443 --deploy-mode cluster local:///job.py
expect 0 "a submission that did not wait" --master k8s://https://api:6443 --deploy-mode cluster nowait
expect 1 "spark-submit's own failure" --master k8s://https://api:6443 --deploy-mode cluster refused
exit "$fail"
