package io.spillway.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a service runs with: {@code bin/spillway edge|bridge|delivery} and the Docker image use the
 * launcher's runtime classpath (target/classpath.txt, written at package time, the list the image
 * copies). It must hold no Kafka broker, no Scala, no embedded Redis, no test library: those are
 * {@code spillway up}'s, in its own module.
 */
class ServiceClasspathIntegrationTests {
  @Test
  void servicesCarryNoBrokerScalaEmbeddedRedisOrTestLibrary() throws Exception {
    List<String> jars = Arrays.stream(Files.readString(Path.of("target", "classpath.txt")).trim().split(":"))
        .map(p -> Path.of(p).getFileName().toString()).toList();
    assertThat(jars).as("the launcher's runtime classpath").isNotEmpty()
        .anySatisfy(j -> assertThat(j).startsWith("kafka-clients-"))
        .anySatisfy(j -> assertThat(j).startsWith("undertow-core-"))
        .noneSatisfy(j -> assertThat(j).matches("(kafka_2\\.\\d+|kafka-server|kafka-raft|kafka-metadata|scala-.*|embedded-redis"
            + "|spillway-testkit|spillway-up|junit.*|opentest4j|assertj.*|jqwik.*|awaitility|sentry|connect-runtime|connect-mirror"
            + "|jetty-.*|jersey-.*)-.*\\.jar"));
  }
}
