# mmlspark/release: Jupyter + PySpark on Debian bookworm, supervised by mmlspark-init (PID 1).
# Build (no BuildKit needed):  DOCKER_BUILDKIT=0 docker build -t mmlspark/release:latest .
# Releases: tools/release.sh passes versions.env (the pinned inputs; the ARG defaults below mirror
# it) and VERSION/REVISION/CREATED as build args. Locked inputs: image/python/requirements.lock
# and image/synapseml/maven.sha256 (tools/lock.sh makes both from versions.env); a download that
# does not match them fails the build.
# Stage order keeps a C change cheap: "base" (apt, pip) is cached; "build" recompiles; the final
# stage only re-runs its COPY layers. Build-only trust: image/ca/*.crt (a TLS proxy's CA) is
# installed only in the "download" stage and its children; the released image is
# built from "runtime" and gets only their outputs (/opt/venv, /opt/synapseml) by COPY --from.

ARG DEBIAN_IMAGE=debian:bookworm

# ---------------------------------------------------------------------------------------------
# os: the Debian base in one layer, without what a runtime never reads: apt's downloaded
# packages and lists (a debootstrap-built base keeps about 80 MB of them), debootstrap's log,
# manuals and translations (dpkg skips them from now on; every package's copyright file stays).
FROM ${DEBIAN_IMAGE} AS debian
COPY image/dpkg/ /etc/dpkg/dpkg.cfg.d/
RUN rm -rf /var/cache/apt/archives/*.deb /var/cache/apt/*.bin /var/lib/apt/lists/* \
      /var/log/bootstrap.log /usr/share/man/* /usr/share/info/* \
 && find /usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + \
 && find /usr/share/doc -type f ! -name copyright -delete \
 && find /usr/share/doc -depth -type d -empty -delete \
 && mkdir -p /usr/share/man/man1
# COPY --from keeps owners, groups and modes (setuid/setgid) of every file.
FROM scratch AS os
COPY --from=debian / /

# ---------------------------------------------------------------------------------------------
# runtime: Debian's packages, with the security and updates suites, pending updates applied. This
# stage and everything the released image is built from never see the build machine's CA
# certificates (image/ca/): its trust stores are Debian's. apt needs no extra CA: Debian's
# archives are read over plain http and checked with the archive keyring (an https URI behind a
# TLS-intercepting proxy would not verify here: give the http one).
# DEBIAN_MIRROR / DEBIAN_SECURITY_MIRROR: the archive URIs (tests/image/run.sh passes the build
# machine's, printed by tools/apt-mirrors.sh); empty: the base image's own, and the security
# archive next to it ("URI-security") unless the base image names one.
# Pinned for reproducibility: Java's major version (the package name) and everything Python and
# Maven (below); Debian's packages are whatever the suites hold at build time, recorded in
# /usr/share/mmlspark/manifest.txt.
# Not kept: the JDK's class-data archive for heaps of 32 GB and more (classes_nocoops.jsa, 12 MB;
# such a JVM starts as without one).
FROM os AS runtime
ARG DEBIAN_MIRROR
ARG DEBIAN_SECURITY_MIRROR
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN . /etc/os-release \
 && uris=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | tr ' ' '\n'; \
           awk '$1 == "deb" { print ($2 ~ /^\[/ ? $3 : $2) }' /etc/apt/sources.list 2>/dev/null || true) \
 && mirror=${DEBIAN_MIRROR:-$(grep -m1 -E '/debian/?$' <<<"$uris" || true)} \
 && mirror=${mirror%/} \
 && security=${DEBIAN_SECURITY_MIRROR:-$(grep -m1 -E '/debian-security/?$' <<<"$uris" || echo "${mirror}-security")} \
 && { [ -n "$mirror" ] || { echo "no Debian archive URI: pass --build-arg DEBIAN_MIRROR=URI" >&2; exit 1; }; } \
 && rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources \
 && printf '%s\n' "Types: deb" "URIs: $mirror" "Suites: $VERSION_CODENAME $VERSION_CODENAME-updates" \
      "Components: main" "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" "" \
      "Types: deb" "URIs: ${security%/}" "Suites: $VERSION_CODENAME-security" \
      "Components: main" "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" \
      >/etc/apt/sources.list.d/debian.sources \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get upgrade -y \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates openjdk-17-jre-headless ca-certificates-java \
      python3 python3-venv \
      procps less \
      libgomp1 \
      libconfuse2 libpam0g libpam-modules libpam-runtime libmicrohttpd12 libcap2 \
 && ln -s "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")" /usr/lib/jvm/default-java \
 && rm -f /usr/lib/jvm/default-java/lib/server/classes_nocoops.jsa \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb \
      /var/cache/debconf/*-old /var/lib/dpkg/*-old /var/log/apt /var/log/dpkg.log /var/log/alternatives.log \
      /tmp/* /root/.cache
ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# ---------------------------------------------------------------------------------------------
# download (build only): runtime + the build machine's extra CA certificates (a TLS proxy's,
# corporate ones) so that pip and Spark's Ivy can download; only /opt/venv and /opt/synapseml
# leave its children (COPY --from), never a trust store. tools/lock.sh runs pip-compile here.
FROM runtime AS download
# update-ca-certificates also rebuilds Java's cacerts (ca-certificates-java's hook), for Ivy.
COPY image/ca/ /usr/local/share/ca-certificates/
RUN find /usr/local/share/ca-certificates -type f ! -name '*.crt' -delete \
 && update-ca-certificates

# ---------------------------------------------------------------------------------------------
# spark (build only): the venv, everything Python: exactly the packages of
# image/python/requirements.lock (versions and sha256 hashes; tools/lock.sh makes it from the pins
# below, which mirror versions.env). pyspark, the Python stack of Spark ML / SynapseML, Jupyter
# (JupyterLab 4, Notebook 7 at /tree, jupyter_server 2, ipykernel, nbconvert 7,
# jupyter-server-proxy: Spark's UI behind Jupyter's port and authentication; sparkmonitor:
# Spark's progress under the running cell; jupyterhub: the hub's single-user server), pip and
# setuptools. The build stops when the lock
# does not hold these versions, or a download does not match its hash.
# Not kept (nothing reads them at run time): test suites, JavaScript source maps, pyarrow's C++
# headers, sparkmonitor's classic-notebook extension and its listeners for Scala 2.13 / Spark 4,
# native libraries for other systems than this one inside Spark's jars, JupyterHub's own web UI
# (share/jupyterhub/static, 60 MB: only the hub reads it, jupyterhub-singleuser uses its package's
# templates), Arrow Flight (pyarrow.flight, 21 MB: an RPC framework Spark does not use), the C and
# Cython sources wheels ship beside their compiled modules (20 MB; numpy's headers stay, for
# building against numpy).
FROM download AS spark
ARG PIP_VERSION=26.3
ARG SETUPTOOLS_VERSION=80.10.2
ARG PYSPARK_VERSION=3.5.9
ARG NUMPY_VERSION=1.26.4
ARG PANDAS_VERSION=2.0.3
ARG PYARROW_VERSION=14.0.2
ARG MATPLOTLIB_VERSION=3.8.4
ARG SCIKIT_LEARN_VERSION=1.5.2
ARG JUPYTERLAB_VERSION=4.6.6
ARG NOTEBOOK_VERSION=7.6.5
ARG JUPYTER_SERVER_VERSION=2.21.1
ARG IPYKERNEL_VERSION=6.31.0
ARG NBCONVERT_VERSION=7.17.2
ARG JUPYTER_SERVER_PROXY_VERSION=4.6.0
ARG SPARKMONITOR_VERSION=3.3.0
ARG JUPYTERHUB_VERSION=6.1.1
ARG DELTA_SPARK_VERSION=3.3.2
ARG GRPCIO_VERSION=1.62.3
ARG GRPCIO_STATUS_VERSION=1.62.3
ARG GOOGLEAPIS_COMMON_PROTOS_VERSION=1.65.0
ARG PROTOBUF_VERSION=4.25.8
COPY image/python/ /tmp/python/
RUN /tmp/python/install.sh /tmp/python/requirements.lock "pip==${PIP_VERSION}" \
      "setuptools==${SETUPTOOLS_VERSION}" "pyspark==${PYSPARK_VERSION}" "numpy==${NUMPY_VERSION}" \
      "pandas==${PANDAS_VERSION}" "pyarrow==${PYARROW_VERSION}" "matplotlib==${MATPLOTLIB_VERSION}" \
      "scikit-learn==${SCIKIT_LEARN_VERSION}" "jupyterlab==${JUPYTERLAB_VERSION}" \
      "notebook==${NOTEBOOK_VERSION}" "jupyter_server==${JUPYTER_SERVER_VERSION}" \
      "ipykernel==${IPYKERNEL_VERSION}" "nbconvert==${NBCONVERT_VERSION}" \
      "jupyter-server-proxy==${JUPYTER_SERVER_PROXY_VERSION}" "sparkmonitor==${SPARKMONITOR_VERSION}" \
      "jupyterhub==${JUPYTERHUB_VERSION}" "delta-spark==${DELTA_SPARK_VERSION}" \
      "grpcio==${GRPCIO_VERSION}" "grpcio-status==${GRPCIO_STATUS_VERSION}" \
      "googleapis-common-protos==${GOOGLEAPIS_COMMON_PROTOS_VERSION}" "protobuf==${PROTOBUF_VERSION}" \
 && rm -rf /tmp/python \
 && find /opt/venv/lib -type d -name tests -path '*/site-packages/*' -prune -exec rm -rf {} + \
 && find /opt/venv -name '*.js.map' -delete \
 && cd /opt/venv/lib/python3.*/site-packages \
 && rm -rf sparkmonitor/nbextension sparkmonitor/listener_spark4_2.13.jar \
      sparkmonitor/listener_spark3_2.13.jar pyarrow/include \
      pyarrow/libarrow_flight.so* pyarrow/libarrow_python_flight.so pyarrow/_flight.*.so \
      /opt/venv/share/jupyterhub/static \
 && find babel/locale-data -type f ! -name root.dat ! -name 'en.dat' ! -name 'en_*.dat' -delete \
 && find . -path ./numpy -prune -o -type f \( -name '*.c' -o -name '*.cpp' -o -name '*.h' \
      -o -name '*.hpp' -o -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' \) -exec rm -f {} + \
 && cd / \
 && python3 -c 'import pyspark, py4j, pyspark.ml, pyspark.pandas, sklearn, matplotlib; print("pyspark", pyspark.__version__)' \
 && python3 -c 'import jupyterlab, notebook, jupyter_server_proxy, sparkmonitor, ipykernel, nbconvert' \
 && python3 -c 'import pyspark.sql.connect.session, babel; babel.Locale.parse("en_US")' \
 && jupyterhub-singleuser --version \
 && ln -s "$(python3 -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')" /opt/spark
# Spark's jars without the native libraries of other systems (RocksDB's jar alone carries 13
# builds, 59 MB); the synapseml stage uses the same script.
COPY image/jars/ /tmp/jars/
# Left out too: Spark on Mesos (deprecated since Spark 3.2, gone in 4.0; 7.7 MB), which no role of
# the image uses (local, standalone, Kubernetes).
RUN python3 /tmp/jars/strip_natives.py /opt/spark/jars \
 && rm /opt/spark/jars/mesos-*.jar /opt/spark/jars/spark-mesos_*.jar

# ---------------------------------------------------------------------------------------------
# synapseml (build only): MML_PACKAGE resolved once, with Spark's own Ivy, into a Maven-layout
# repository (/opt/synapseml/maven: the only copy of its jars in the image) plus the resolved
# classpath; every file checked against image/synapseml/maven.sha256 (tools/lock.sh records it).
# MML_ONNXRUNTIME: ONNX Runtime's CPU build in place of the GPU build SynapseML's pom names (this
# is a CPU image); empty: the GPU build, as the pom says (README, "SynapseML, offline").
FROM spark AS synapseml
ARG MML_PACKAGE=com.microsoft.azure:synapseml_2.12:1.1.0
ARG MML_ONNXRUNTIME=com.microsoft.onnxruntime:onnxruntime:1.8.1
COPY image/synapseml/ /tmp/synapseml/
RUN /tmp/synapseml/resolve.sh --onnxruntime "$MML_ONNXRUNTIME" --check /tmp/synapseml/maven.sha256 \
      "$MML_PACKAGE" /out/opt/synapseml /opt/synapseml

# ---------------------------------------------------------------------------------------------
# connectors (build only): DATA_PACKAGES (versions.env: S3A, Azure Blob/ADLS, Delta Lake, Iceberg)
# resolved like SynapseML into /opt/connectors (maven/, classpath), checked against
# image/connectors/maven.sha256. The build stops when the Hadoop connectors are not of the
# version of Spark's own Hadoop client, or Delta's jars not of the delta-spark Python package's.
FROM spark AS connectors
ARG DATA_PACKAGES=org.apache.hadoop:hadoop-aws:3.3.4,com.amazonaws:aws-java-sdk-s3:1.12.262,com.amazonaws:aws-java-sdk-sts:1.12.262,com.amazonaws:aws-java-sdk-dynamodb:1.12.262,org.apache.hadoop:hadoop-azure:3.3.4,io.delta:delta-spark_2.12:3.3.2,org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:1.10.1,org.apache.spark:spark-connect_2.12:3.5.7
ARG DATA_EXCLUDE=com.amazonaws:aws-java-sdk-bundle,org.apache.hadoop.thirdparty:hadoop-shaded-guava,com.google.guava:guava,com.fasterxml.jackson.core:jackson-core,com.fasterxml.jackson.core:jackson-databind,com.fasterxml.jackson.core:jackson-annotations,org.codehaus.jackson:jackson-core-asl,org.codehaus.jackson:jackson-mapper-asl,org.apache.httpcomponents:httpclient,org.apache.httpcomponents:httpcore,commons-codec:commons-codec,commons-logging:commons-logging,joda-time:joda-time,org.slf4j:slf4j-api
COPY image/synapseml/ /tmp/synapseml/
COPY image/connectors/ /tmp/connectors/
RUN hadoop=$(find /opt/spark/jars/ -name 'hadoop-client-api-*.jar' -printf '%f' | sed 's/^hadoop-client-api-//; s/\.jar$//') \
 && delta=$(python3 -c 'import importlib.metadata as m; print(m.version("delta-spark"))') \
 && spark=$(python3 -c 'import pyspark; print(".".join(pyspark.__version__.split(".")[:2]))') \
 && for a in $(tr ',' ' ' <<<"$DATA_PACKAGES"); do case $a in \
      org.apache.hadoop:*:"$hadoop"|io.delta:*:"$delta"|org.apache.spark:*:"$spark".*) ;; \
      org.apache.hadoop:*|io.delta:*|org.apache.spark:*) echo "DATA_PACKAGES: $a is not of Spark's Hadoop $hadoop / delta-spark $delta / Spark $spark" >&2; exit 1 ;; \
    esac; done \
 && /tmp/synapseml/resolve.sh --exclude "$DATA_EXCLUDE" --check /tmp/connectors/maven.sha256 \
      "$DATA_PACKAGES" /out/opt/connectors /opt/connectors

# ---------------------------------------------------------------------------------------------
# connect-gate (build only): the door of SPARK_MODE=connect (image/connect/*.java: the token check
# as a gRPC interceptor, and the TLS port), compiled against the Connect server's jar.
FROM spark AS connect-gate
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-17-jdk-headless \
 && rm -rf /var/lib/apt/lists/*
COPY --from=connectors /out/opt/connectors/ /opt/connectors/
COPY image/connect/*.java /tmp/connect/
RUN jar=$(find /opt/connectors/maven -name 'spark-connect_*.jar') \
 && test -n "$jar" \
 && javac --release 17 -Xlint:all -Werror -d /tmp/classes -cp "$jar" /tmp/connect/*.java \
 && mkdir -p /out/usr/local/lib/mmlspark \
 && jar --create --file /out/usr/local/lib/mmlspark/connect-gate.jar -C /tmp/classes .

# ---------------------------------------------------------------------------------------------
# jupyter (build only): spark's venv + the constraints of `pip install` in the image.
# --system-site-packages (install.sh) keeps the user site (~/.local) on the path: `pip install`
# as the notebook user lands there, constrained to what the image ships
# (PIP_CONSTRAINT=/opt/venv/constraints.txt: the locked versions, without pip and setuptools).
FROM spark AS jupyter
RUN pip freeze --exclude-editable | grep -v -i -E '^(pip|setuptools|wheel)==' >/opt/venv/constraints.txt

# ---------------------------------------------------------------------------------------------
# base: runtime (Debian's trust stores only) + the venv + the notebook user.
FROM runtime AS base
COPY --from=jupyter /opt/venv/ /opt/venv/
COPY image/identity /usr/local/bin/mmlspark-identity
# The notebook user (uid 1000): group 0 member and group-0-writable dirs so that an arbitrary uid
# still works. Interactive bash (`docker exec -it NAME bash`): Docker gives a uid without a passwd
# line HOME=/ (it reads the file, not NSS), and a read-only root makes the notebook user's home
# unwritable, so bash.bashrc takes the home NSS gives the uid, else init's $TMPDIR/home-UID.
RUN ln -s "$(python3 -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')" /opt/spark \
 && useradd --create-home --home-dir /home/mmlspark --shell /bin/bash --uid 1000 \
      --user-group --groups 0,users mmlspark \
 && mkdir -p /notebooks /etc/mmlspark /usr/share/mmlspark /usr/local/bin/start.d \
 && chown mmlspark:0 /notebooks /home/mmlspark \
 && chmod 2775 /notebooks /home/mmlspark \
 && printf '%s\n' '' '# mmlspark: HOME=/ (docker exec of a uid without a passwd line) or unwritable (read-only root): the home NSS names, else the one init makes' \
      'if [ "${HOME:-/}" = / ] || [ ! -w "$HOME" ]; then for _h in "$(getent passwd "$(id -u)" | cut -d: -f6)" "${TMPDIR:-/tmp}/home-$(id -u)"; do { [ -d "$_h" ] || mkdir -m 700 "$_h"; } 2>/dev/null && [ -w "$_h" ] && export HOME="$_h" && break; done; unset _h; fi' \
      >>/etc/bash.bashrc

# ---------------------------------------------------------------------------------------------
# build: the C programs. Only this stage and the final COPY re-run when C code changes.
FROM ${DEBIAN_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config libconfuse-dev libpam0g-dev libmicrohttpd-dev \
      libcap-dev libcmocka-dev musl-tools \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt VERSION ./
COPY lib lib/
COPY init init/
COPY eula eula/
COPY spark-env spark-env/
COPY nss nss/
RUN cmake -S . -B /build -DMMLSPARK_TESTS=OFF -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build -j"$(nproc)" \
 && DESTDIR=/out cmake --install /build --prefix /usr/local --strip \
 && mkdir -p /out/usr/share/mmlspark \
 && if [ -f eula/EULA.txt ]; then cp eula/EULA.txt /out/usr/share/mmlspark/EULA.txt; \
    else printf '%s\n' 'MMLSpark Docker image: the EULA text was not available when this image' \
      'was built. The source code is released under the MIT license.' \
      > /out/usr/share/mmlspark/EULA.txt; fi \
 && ls -l /out/usr/local/bin

# ---------------------------------------------------------------------------------------------
# release: base + configuration + notebooks + binaries.
FROM base AS release
ARG MML_PACKAGE=com.microsoft.azure:synapseml_2.12:1.1.0
ARG MML_M2REPOS=file:/opt/synapseml/maven
LABEL org.opencontainers.image.title="mmlspark/release" \
      org.opencontainers.image.description="Jupyter and PySpark with SynapseML, supervised by mmlspark-init" \
      org.opencontainers.image.base.name="debian:bookworm"
ENV MML_PACKAGE=${MML_PACKAGE} \
    PIP_CONSTRAINT=/opt/venv/constraints.txt \
    PYARROW_IGNORE_TIMEZONE=1 \
    MML_M2REPOS=${MML_M2REPOS} \
    SPARK_HOME=/opt/spark \
    JAVA_HOME=/usr/lib/jvm/default-java \
    PYSPARK_PYTHON=/opt/venv/bin/python3 \
    JUPYTER_PATH=/opt/venv/share/jupyter \
    MMLSPARK_JUPYTER_PORT=8888 \
    SPARK_WORKER_DIR=/tmp/spark-worker

COPY image/pam.d/ /etc/pam.d/
COPY image/mmlspark.conf /etc/mmlspark/mmlspark.conf
COPY image/ipython/ /etc/ipython/
COPY image/jupyter/ /opt/venv/share/jupyter/
COPY image/jupyter-config/ /etc/jupyter/
COPY image/healthcheck /usr/local/bin/mmlspark-healthcheck
COPY image/profile.d/ /etc/profile.d/
COPY image/spark/ /opt/spark/conf/
COPY --from=synapseml /out/opt/synapseml/ /opt/synapseml/
COPY --from=connectors /out/opt/connectors/ /opt/connectors/
# SPARK_MODE=connect and history (docs/connect.md, docs/history.md): their job, the TLS key's
# maker and the Connect server's door; /var/lib/spark-events, the event logs' default directory
# (group 0 writable, like /notebooks: a volume mounted there starts so).
COPY --from=connect-gate /out/ /
COPY image/connect/mmlspark-role /usr/local/bin/mmlspark-role
COPY image/connect/connect_tls.py /usr/local/lib/mmlspark/connect_tls.py
# spark-submit first on PATH: Spark's own, which also returns a Kubernetes cluster-mode driver's
# exit code (image/submit/spark-submit; docs/kubernetes.md)
COPY image/submit/spark-submit /opt/venv/bin/spark-submit
COPY image/submit/submit_status.py /usr/local/lib/mmlspark/submit_status.py
RUN mkdir -p /var/lib/spark-events /var/lib/spark-connect \
 && chown mmlspark:0 /var/lib/spark-events /var/lib/spark-connect \
 && chmod 2775 /var/lib/spark-events /var/lib/spark-connect
# Notebook kernels' Spark (image/kernel/mmlspark_kernel.py, loaded by /etc/ipython/startup) and
# the kernel itself (mmlspark_kernel_app.py, run by kernel.json); not in image/python/, which the
# venv's layer copies whole.
# SynapseML's Python API, taken out of its jars once, is on the venv's path (a .pth file): the
# driver and every Python worker of a node of this image import it from there; its jars go on the
# class path where they lie (no per-kernel or per-executor copy).
COPY image/kernel/mmlspark_kernel.py image/kernel/mmlspark_kernel_app.py /opt/venv/lib/python3.11/site-packages/
RUN python3 -c 'import sys, zipfile; [zipfile.ZipFile(j).extractall("/opt/synapseml/python", [n for n in zipfile.ZipFile(j).namelist() if n.startswith("synapse/") and n.endswith(".py")]) for j in open("/opt/synapseml/pythonpath").read().split()]' \
 && echo /opt/synapseml/python >/opt/venv/lib/python3.11/site-packages/synapseml.pth \
 && python3 -m compileall -q /opt/synapseml/python /opt/venv/lib/python3.11/site-packages/mmlspark_kernel.py \
      /opt/venv/lib/python3.11/site-packages/mmlspark_kernel_app.py \
 && python3 -c 'import synapse.ml.lightgbm, mmlspark_kernel, mmlspark_kernel_app; mmlspark_kernel_app.kernel_app_class()'
# The connectors and table formats on the class path of every Spark JVM of the image (notebook
# kernels, pyspark, spark-submit, cluster workers' executors, Kubernetes pods: all read Spark's
# jars/): a link there to each jar of /opt/connectors/classpath where it lies in its repository.
RUN test -s /opt/connectors/classpath \
 && xargs -a /opt/connectors/classpath ln -s -t /opt/spark/jars/ \
 && ls -l /opt/spark/jars | grep -c -- '-> /opt/connectors/'
# Class-data sharing for the notebook kernels' Spark (image/cds/dump.py): the classes a driver's
# first work loads, and those of spark-submit's launcher, mapped from an archive instead of loaded
# and verified (Spark's start 2.4 -> 1.4 s, its first job 2.7 -> 1.4 s: docs/benchmarks.md).
# Made after the last change to Spark's jars and the JVM: an archive holds their sizes and
# times, and a JVM ignores it when they differ.
COPY image/cds/dump.py /tmp/cds/dump.py
RUN python3 /tmp/cds/dump.py \
 && rm -rf /tmp/* /root/.ivy2 /root/.cache
# The manifest: the exact version of every Debian package, Python package (the venv) and Maven
# artifact (the image's repository) installed; tools/release.sh puts it into the release notes.
RUN { echo "# mmlspark image manifest: deb NAME VERSION (dpkg), pypi NAME VERSION (/opt/venv), maven GROUP:ARTIFACT VERSION (/opt/synapseml/maven, /opt/connectors/maven)"; \
      dpkg-query -W -f '${Status} ${Package} ${Version}\n' | awk '$1 == "install" && $3 == "installed" { print "deb", $4, $5 }' | LC_ALL=C sort; \
      python3 -m pip list --format=freeze | awk -F'==' '{ print "pypi", $1, $2 }' | LC_ALL=C sort; \
      cd /opt \
        && find synapseml/maven connectors/maven -name '*.pom' | sed 's|^[^/]*/maven||' | awk -F/ '{ v = $(NF-1); a = $(NF-2); g = $2; for (i = 3; i < NF-2; i++) g = g "." $i; print "maven", g ":" a, v }' | LC_ALL=C sort -u; \
    } >/usr/share/mmlspark/manifest.txt \
 && grep -c '' /usr/share/mmlspark/manifest.txt
COPY --chown=mmlspark:0 image/notebooks/ /notebooks/
RUN rm -f /etc/pam.d/.keep \
 && chmod -R g+w /notebooks \
 && sed -i "s|^mml_package *=.*|mml_package = \"${MML_PACKAGE}\"|; s|^mml_m2repos *=.*|mml_m2repos = \"${MML_M2REPOS}\"|" \
      /etc/mmlspark/mmlspark.conf
COPY --from=build /out/ /
# Every uid and gid has a name, in every process (docker exec included): the NSS service mmlspark
# (libnss_mmlspark.so.2, in glibc's directory) after the files. Root, which adds users, sees the
# files alone.
RUN sed -i -E '/^(passwd|group):/{/[[:space:]]mmlspark([[:space:]]|$)/!s/$/ mmlspark/}' /etc/nsswitch.conf \
 && ldconfig \
 && grep -E '^(passwd|group):' /etc/nsswitch.conf \
 && as_12345() { setpriv --reuid 12345 --regid 12345 --clear-groups "$@"; } \
 && test "$(as_12345 getent passwd 12345 | cut -d: -f1,3,7)" = mmlspark-12345:12345:/bin/bash \
 && test "$(as_12345 getent group 12345 | cut -d: -f1)" = mmlspark-12345 \
 && ! getent passwd 12345

# UTF-8 for every process (JVMs included: sun.jnu.encoding, file names): glibc's built-in C.UTF-8.
ENV LANG=C.UTF-8
# By number: Kubernetes' runAsNonRoot checks it (the notebook user mmlspark, uid 1000).
USER 1000
WORKDIR /notebooks
# Jupyter only. `docker run -P` publishes exposed ports on every interface, so nothing without
# authentication is exposed: not a kernel's Spark UI (4040: it can kill jobs; it is behind
# Jupyter's token at /proxy/4040/), not the cluster's ports (master 7077, 8080: runs anyone's
# code; worker 8081). Those are published explicitly with -p (README, "Ports").
EXPOSE 8888
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["/usr/local/bin/mmlspark-healthcheck"]
ENTRYPOINT ["/usr/local/bin/mmlspark-init"]
CMD []

# The release stamp comes last: REVISION and CREATED change on every release build, and only
# this metadata-only layer is rebuilt for them (tools/release.sh sets all five).
ARG VERSION=0.0.0
ARG REVISION=
ARG CREATED=
# SOURCE: this project's repository (tests/image/run.sh and tools/release.sh pass the checkout's
# git remote URL, if it has one). LICENSES: the image is distributed under its EULA
# (/usr/share/mmlspark/EULA.txt); its components' own licenses are under /usr/share/doc (Debian),
# the venv's *.dist-info and the Maven repository's poms.
ARG SOURCE=
ARG LICENSES=LicenseRef-MMLSpark-EULA
LABEL org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="${LICENSES}"
