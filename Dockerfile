# Runway's image: `docker build -t runway .` (not built in this repository's CI: its machines
# have no container engine and no registry to pull the base images from).
#
# Stage 1 builds the one runnable jar with Maven, stage 2 runs it on a JRE 17 as a non-root user.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# Dependencies first, so a source change does not download them again.
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src ./src
RUN mvn -B -q -DskipTests package

FROM eclipse-temurin:17-jre
# The uid/gid match the Helm chart's podSecurityContext (runAsUser/fsGroup 10001).
RUN groupadd --system --gid 10001 runway \
 && useradd --system --uid 10001 --gid runway --home-dir /var/lib/runway --shell /usr/sbin/nologin runway \
 && mkdir -p /app /var/lib/runway/spool \
 && chown -R runway:runway /var/lib/runway
COPY --from=build /src/target/runway.jar /app/runway.jar
# The heap follows the container's memory limit, and an OutOfMemoryError ends the process so that
# Kubernetes restarts it instead of leaving it half alive. The chart sets its own (jvmOptions).
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError" \
    RUNWAY_DATA_DIR=/var/lib/runway \
    RUNWAY_SPOOL_DIR=/var/lib/runway/spool
# RUNWAY_DATABASE_URL is required in a container: the embedded PostgreSQL is for one machine.
USER 10001:10001
WORKDIR /var/lib/runway
EXPOSE 8080 9090
VOLUME ["/var/lib/runway"]
ENTRYPOINT ["java", "-jar", "/app/runway.jar"]
CMD ["serve"]
