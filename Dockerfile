# Runtime image of a Skein broker, from the distribution `mvn -B -DskipTests package` leaves
# in cli/target/skein. On a normal machine:
#   docker build -t skein .
# Offline (no registry), scripts/docker-image.sh builds a local Debian base and passes it here.
# The base needs a Java 17+ runtime on the PATH and bash; iproute2/iptables are only for the chaos tests.
ARG BASE_IMAGE=eclipse-temurin:17-jre
FROM ${BASE_IMAGE}

# A fixed uid, so volumes made by one image version stay writable for the next.
RUN groupadd --system --gid 10001 skein \
 && useradd --system --uid 10001 --gid skein --home-dir /var/lib/skein --shell /usr/sbin/nologin skein \
 && mkdir -p /var/lib/skein \
 && chown skein:skein /var/lib/skein

COPY --chown=root:root cli/target/skein /opt/skein

# Every broker option comes from SKEIN_<OPTION> (see `skein broker --help`), for example
# SKEIN_NODE_ID, SKEIN_QUORUM_VOTERS, SKEIN_ADVERTISED_ADDRESS; these are the image's defaults.
ENV PATH=/opt/skein/bin:$PATH \
    SKEIN_DATA_DIR=/var/lib/skein \
    SKEIN_LISTEN=0.0.0.0:9092 \
    SKEIN_HEAP=512m

VOLUME ["/var/lib/skein"]
# 9092: clients and replication (gRPC); 9093: the metadata quorum (Raft).
EXPOSE 9092 9093 9644 8080
USER skein
WORKDIR /var/lib/skein

# Asks this container's own broker; a small heap, since it runs a JVM per check (client
# commands run with C1 only anyway).
HEALTHCHECK --interval=10s --timeout=10s --start-period=60s --retries=3 \
  CMD SKEIN_HEAP=64m \
      skein health --bootstrap "localhost:${SKEIN_LISTEN##*:}" --timeout-ms 5000 || exit 1

ENTRYPOINT ["skein"]
CMD ["broker"]
