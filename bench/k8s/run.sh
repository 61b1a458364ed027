#!/usr/bin/env bash
# bench/k8s/run.sh - seconds from spark-submit to its exit of one SynapseML LightGBM job with two
# executors, in the same run: on Kubernetes (tests/spark-k8s: fabric8's mock API server and the
# test kubelet, executor pods started by the driver on demand; client mode, driver in a container)
# and on the example docker-compose.yml's standalone cluster (master and two 1-core workers,
# brought up by the bench before its clock starts; submitted from its notebook container, asking
# for the two executors' cores with spark.cores.max=2). Prints both, their ratio, and the
# Kubernetes time split into the executor pods' start, their registration and the job.
# Usage: bench/k8s/run.sh [IMAGE]   (default mmlspark/release:latest)
# Needs what tests/spark-k8s/run.sh needs, plus docker-compose. Removes what it made, also when
# interrupted (Ctrl+C, SIGTERM).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
exec "$top/tests/spark-k8s/run.sh" "${1:-mmlspark/release:latest}" --bench
