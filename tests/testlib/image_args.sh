# image_args.sh - the arguments of the Docker suites' runners (cluster, data, teams, spark-k8s),
# parsed in one place: [IMAGE] [-k NAME_SUBSTRING] and the runner's own flags.
# Source it, then call `image_args "$@"`: sets `image` (default mmlspark/release:latest) and the
# array `args` (the -k pair and those flags, for the Python suite). Flags a runner accepts besides
# -k: IMAGE_ARGS_FLAGS="--bench ..." before the call. Anything else: a usage line, exit 64.
image=mmlspark/release:latest
args=()
image_args_usage() {
  echo "usage: $0 [IMAGE] [-k NAME_SUBSTRING${IMAGE_ARGS_FLAGS:+ | ${IMAGE_ARGS_FLAGS// / | }}]" >&2
  exit 64
}
image_args() {
  while [ $# -gt 0 ]; do
    case $1 in
      -k) [ $# -ge 2 ] || image_args_usage; args+=(-k "$2"); shift ;;
      -*) [[ " ${IMAGE_ARGS_FLAGS:-} " == *" $1 "* ]] || image_args_usage; args+=("$1") ;;
      *) image=$1 ;;
    esac
    shift
  done
}
# suite_fail NAME WHY: the suite cannot start: its one FAIL line and the summary, exit 1.
suite_fail() {
  echo "FAIL: $1: $2"
  echo "0 passed, 1 failed"
  exit 1
}
# image_built: suite_fail unless $image is built (tests/image/run.sh builds it once per run).
image_built() {
  docker image inspect "$image" >/dev/null 2>&1 ||
    suite_fail image_exists "$image is not built (tests/image/run.sh builds it)"
}
