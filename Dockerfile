# mmlspark/release: Jupyter + PySpark on Debian bookworm, supervised by mmlspark-init (PID 1).
# Build (no BuildKit needed):  DOCKER_BUILDKIT=0 docker build -t mmlspark/release:latest .
# Releases: tools/release.sh passes versions.env (the pinned inputs; the ARG defaults below mirror
# it) and VERSION/REVISION/CREATED as build args.
# Stage order keeps a C change cheap: "base" (apt, pip) is cached; "build" recompiles; the final
# stage only re-runs its COPY layers.

ARG DEBIAN_IMAGE=debian:bookworm

# ---------------------------------------------------------------------------------------------
# os: the Debian base in one layer, without what a runtime never reads: apt's downloaded
# packages and lists (a debootstrap-built base keeps about 80 MB of them), manuals and
# translations (dpkg skips them from now on; every package's copyright file stays).
FROM ${DEBIAN_IMAGE} AS debian
COPY image/dpkg/ /etc/dpkg/dpkg.cfg.d/
RUN rm -rf /var/cache/apt/archives/*.deb /var/cache/apt/*.bin /var/lib/apt/lists/* \
      /usr/share/man/* /usr/share/info/* \
 && find /usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + \
 && find /usr/share/doc -type f ! -name copyright -delete \
 && find /usr/share/doc -depth -type d -empty -delete \
 && mkdir -p /usr/share/man/man1
# COPY --from keeps owners, groups and modes (setuid/setgid) of every file.
FROM scratch AS os
COPY --from=debian / /

# ---------------------------------------------------------------------------------------------
# spark: Java, Python, pyspark and its Python stack. Slow to build, rarely changes.
FROM os AS spark
ARG PYSPARK_VERSION=3.5.9
ARG NUMPY_VERSION=1.26.4
ARG PANDAS_VERSION=2.0.3
ARG PYARROW_VERSION=14.0.2
ARG MATPLOTLIB_VERSION=3.8.4
ARG SCIKIT_LEARN_VERSION=1.5.2
# Debian package pins (versions.env). An empty value installs the mirror's current version.
ARG OPENJDK_VERSION=17.0.19+10-1~deb12u2
ARG PYTHON3_VERSION=3.11.2-1+b1
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# Extra CA certificates (a TLS proxy's, corporate ones) from the build context: picked up by
# update-ca-certificates and, through ca-certificates-java, by Java's cacerts (Spark's Ivy).
COPY image/ca/ /usr/local/share/ca-certificates/
RUN find /usr/local/share/ca-certificates -type f ! -name '*.crt' -delete \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates "openjdk-17-jre-headless${OPENJDK_VERSION:+=$OPENJDK_VERSION}" ca-certificates-java \
      "python3${PYTHON3_VERSION:+=$PYTHON3_VERSION}" python3-venv \
      procps less \
      libgomp1 \
      libconfuse2 libpam0g libpam-modules libpam-runtime libmicrohttpd12 libcap2 \
 && update-ca-certificates \
 && ln -s "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")" /usr/lib/jvm/default-java \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb /var/log/apt /var/log/dpkg.log

ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# The venv holds everything Python, pinned. This layer: pyspark and the Python stack of Spark ML /
# SynapseML (numpy, pandas, pyarrow, matplotlib, scikit-learn); the SynapseML stage needs no more.
RUN python3 -m venv --system-site-packages /opt/venv \
 && pip install --no-cache-dir "pyspark==${PYSPARK_VERSION}" \
      "numpy==${NUMPY_VERSION}" "pandas==${PANDAS_VERSION}" "pyarrow==${PYARROW_VERSION}" \
      "matplotlib==${MATPLOTLIB_VERSION}" "scikit-learn==${SCIKIT_LEARN_VERSION}" \
 && find /opt/venv/lib -type d -name tests -path '*/site-packages/*' -prune -exec rm -rf {} + \
 && python3 -c 'import pyspark, py4j, pyspark.ml, pyspark.pandas, sklearn, matplotlib; print("pyspark", pyspark.__version__)' \
 && ln -s "$(python3 -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')" /opt/spark

# ---------------------------------------------------------------------------------------------
# synapseml: MML_PACKAGE resolved once, with Spark's own Ivy, into a Maven-layout repository
# (/opt/synapseml/maven: the only copy of its jars in the image) plus the resolved classpath.
FROM spark AS synapseml
ARG MML_PACKAGE=com.microsoft.azure:synapseml_2.12:1.1.0
COPY image/synapseml/ /tmp/synapseml/
RUN /tmp/synapseml/resolve.sh "$MML_PACKAGE" /out/opt/synapseml /opt/synapseml

# ---------------------------------------------------------------------------------------------
# base: spark + Jupyter + the notebook user.
FROM spark AS base
ARG JUPYTERLAB_VERSION=4.6.6
ARG NOTEBOOK_VERSION=7.6.5
ARG JUPYTER_SERVER_VERSION=2.21.1
ARG IPYKERNEL_VERSION=6.31.0
ARG NBCONVERT_VERSION=7.17.2
ARG JUPYTER_SERVER_PROXY_VERSION=4.6.0
ARG SPARKMONITOR_VERSION=3.3.0
# Jupyter: JupyterLab 4, Notebook 7 (/tree), jupyter_server 2, ipykernel, nbconvert 7,
# jupyter-server-proxy (Spark's UI behind Jupyter's port and authentication), sparkmonitor
# (Spark's progress under the running cell). --system-site-packages (above) keeps the user site
# (~/.local) on the path: `pip install` as the notebook user lands there, constrained to what the
# image ships (PIP_CONSTRAINT=/opt/venv/constraints.txt, the `pip freeze` of this layer).
# Not kept: test suites, JavaScript source maps, sparkmonitor's classic-notebook extension and
# its listeners for Scala 2.13 / Spark 4, pyarrow's C++ headers.
RUN pip install --no-cache-dir \
      "jupyterlab==${JUPYTERLAB_VERSION}" "notebook==${NOTEBOOK_VERSION}" \
      "jupyter_server==${JUPYTER_SERVER_VERSION}" "ipykernel==${IPYKERNEL_VERSION}" \
      "nbconvert==${NBCONVERT_VERSION}" "jupyter-server-proxy==${JUPYTER_SERVER_PROXY_VERSION}" \
      "sparkmonitor==${SPARKMONITOR_VERSION}" \
 && find /opt/venv/lib -type d -name tests -path '*/site-packages/*' -prune -exec rm -rf {} + \
 && find /opt/venv -name '*.js.map' -delete \
 && cd /opt/venv/lib/python3.*/site-packages \
 && rm -rf sparkmonitor/nbextension sparkmonitor/listener_spark4_2.13.jar \
      sparkmonitor/listener_spark3_2.13.jar pyarrow/include \
 && cd / \
 && python3 -c 'import jupyterlab, notebook, jupyter_server_proxy, sparkmonitor, ipykernel, nbconvert' \
 && pip freeze --exclude-editable | grep -v -i -E '^(pip|setuptools|wheel)==' >/opt/venv/constraints.txt

# nss_wrapper: Spark's JVMs under an arbitrary uid get a passwd entry (/opt/spark/conf/spark-env.sh).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libnss-wrapper \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log

# The notebook user: group 0 member and group-0-writable dirs so an arbitrary uid still works.
RUN useradd --create-home --home-dir /home/mmlspark --shell /bin/bash --uid 1000 \
      --user-group --groups 0,users mmlspark \
 && mkdir -p /notebooks /etc/mmlspark /usr/share/mmlspark /usr/local/bin/start.d \
 && chown mmlspark:0 /notebooks /home/mmlspark \
 && chmod 2775 /notebooks /home/mmlspark

# ---------------------------------------------------------------------------------------------
# build: the C programs. Only this stage and the final COPY re-run when C code changes.
FROM ${DEBIAN_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config libconfuse-dev libpam0g-dev libmicrohttpd-dev \
      libcap-dev libcmocka-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt VERSION ./
COPY lib lib/
COPY init init/
COPY eula eula/
COPY spark-env spark-env/
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
COPY --chown=mmlspark:0 image/notebooks/ /notebooks/
RUN rm -f /etc/pam.d/.keep \
 && chmod -R g+w /notebooks \
 && sed -i "s|^mml_package *=.*|mml_package = \"${MML_PACKAGE}\"|; s|^mml_m2repos *=.*|mml_m2repos = \"${MML_M2REPOS}\"|" \
      /etc/mmlspark/mmlspark.conf
COPY --from=build /out/ /

USER mmlspark
WORKDIR /notebooks
# Jupyter; a kernel's Spark UI (also at Jupyter's /proxy/4040/); SPARK_MODE=master: RPC, web UI;
# SPARK_MODE=worker: web UI (its RPC port is random).
EXPOSE 8888 4040 7077 8080 8081
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["/usr/local/bin/mmlspark-healthcheck"]
ENTRYPOINT ["/usr/local/bin/mmlspark-init"]
CMD []

# The release stamp comes last: REVISION and CREATED change on every release build, and only
# this metadata-only layer is rebuilt for them (tools/release.sh sets all five).
ARG VERSION=0.0.0
ARG REVISION=
ARG CREATED=
ARG SOURCE=https://github.com/microsoft/SynapseML
ARG LICENSES=MIT
LABEL org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="${LICENSES}"
