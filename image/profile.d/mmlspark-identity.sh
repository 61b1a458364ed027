# /etc/profile.d/mmlspark-identity.sh - a user name and a writable HOME for any uid and gid
# (`--user UID:GID`, OpenShift, Kubernetes' runAsUser) and a read-only root filesystem
# (`--read-only --tmpfs /tmp`). POSIX sh, sourced by: login shells (Jupyter's terminals),
# interactive bash (/etc/bash.bashrc: `docker exec -it NAME bash`), mmlspark-identity (in front of
# Jupyter and JupyterHub's single-user server, so kernels and terminals inherit the result) and
# /opt/spark/conf/spark-env.sh (every Spark launcher). Done once per process tree: what it sets is
# exported, and a second run finds it in place.
#
# HOME: kept when it is a directory this uid may write; else the notebook user's home when
# writable (group 0 may write it); else ${TMPDIR:-/tmp}/home-UID (made 0700). With none of these,
# one line says what to mount. The Python user site (`pip install --user`), Jupyter's runtime and
# data dirs (~/.local) and Spark's Ivy cache (~/.ivy2) follow HOME.
# A user name: a uid without a passwd entry gets one through nss_wrapper (LD_PRELOAD), in one file
# per uid (${TMPDIR:-/tmp}/mmlspark-passwd-UID), written once and reused by every later process.

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

_mmlspark_uid=$(id -u)
_mmlspark_tmp=${TMPDIR:-/tmp}
if ! { [ -n "${HOME:-}" ] && [ "$HOME" != / ] && [ -d "$HOME" ] && [ -w "$HOME" ] && [ -x "$HOME" ]; }; then
  if [ -d /home/mmlspark ] && [ -w /home/mmlspark ] && [ -x /home/mmlspark ]; then
    HOME=/home/mmlspark
  elif { [ -d "$_mmlspark_tmp/home-$_mmlspark_uid" ] || mkdir -m 700 "$_mmlspark_tmp/home-$_mmlspark_uid" 2>/dev/null; } \
       && [ -O "$_mmlspark_tmp/home-$_mmlspark_uid" ] && [ -w "$_mmlspark_tmp/home-$_mmlspark_uid" ]; then
    HOME=$_mmlspark_tmp/home-$_mmlspark_uid
  elif [ -z "${MMLSPARK_IDENTITY_WARNED:-}" ]; then
    echo "mmlspark: no writable directory for HOME (HOME=${HOME:-unset}; $_mmlspark_tmp is not writable either): pip install --user, Jupyter's settings and Spark's package cache need one; mount one, e.g. docker run --tmpfs /tmp" >&2
    MMLSPARK_IDENTITY_WARNED=1
    export MMLSPARK_IDENTITY_WARNED
  fi
  export HOME
fi

if ! id -un >/dev/null 2>&1 && [ -z "${NSS_WRAPPER_PASSWD:-}" ] \
   && mmlspark_keep_file "$_mmlspark_tmp/mmlspark-passwd-$_mmlspark_uid" "$(cat /etc/passwd)
mmlspark-$_mmlspark_uid:x:$_mmlspark_uid:$(id -g):notebook user:$HOME:/bin/bash"; then
  NSS_WRAPPER_PASSWD=$_mmlspark_tmp/mmlspark-passwd-$_mmlspark_uid
  NSS_WRAPPER_GROUP=/etc/group
  LD_PRELOAD="libnss_wrapper.so${LD_PRELOAD:+ $LD_PRELOAD}"
  USER=mmlspark-$_mmlspark_uid
  LOGNAME=$USER
  export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP LD_PRELOAD USER LOGNAME
fi
unset _mmlspark_uid _mmlspark_tmp
