# The certflow image for `docker compose build`: module cli, the service commands (ingest, streams, sink,
# simulate, topics, config, tail) without the one-JVM stack's embedded broker and database (module local).
# Without a Docker daemon, build the same image as a tarball with Jib:
#   mvn -B -DskipTests -pl cli -am package jib:buildTar  (cli/target/jib-image.tar)
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q -DskipTests -pl cli -am package

FROM eclipse-temurin:17-jre
RUN useradd --system --uid 10001 certflow
WORKDIR /app
COPY --from=build /src/cli/target/lib /app/lib
COPY --from=build /src/cli/target/certflow.jar /app/certflow.jar
USER certflow
EXPOSE 8080
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/app/certflow.jar"]
CMD ["--help"]
