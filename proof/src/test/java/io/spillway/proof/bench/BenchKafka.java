package io.spillway.proof.bench;

import io.spillway.testkit.KafkaCluster;
import java.nio.file.Path;

/**
 * One KRaft broker for {@code bench/e2e/run.sh}: the same node {@code spillway up} runs
 * ({@link KafkaCluster#startPersistent}: broker+controller, fixed ports, data in DIR), so the
 * benchmark measures the broker configuration Spillway ships with, without a second copy of it in
 * bash. Usage: {@code BenchKafka DIR BROKER_PORT} (the controller listens on BROKER_PORT+1).
 * Prints one line {@code READY bootstrap=...} once the broker serves (the broker is this JVM's only
 * child: the script takes its PID from there), then runs until SIGTERM, which stops the broker cleanly.
 */
final class BenchKafka {
  private BenchKafka() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 2) {
      System.err.println("usage: BenchKafka DIR BROKER_PORT");
      System.exit(2);
    }
    int port = Integer.parseInt(args[1]);
    KafkaCluster kafka = KafkaCluster.startPersistent(Path.of(args[0]), port, port + 1);
    Runtime.getRuntime().addShutdownHook(new Thread(kafka::close, "bench-kafka-stop"));
    System.out.println("READY bootstrap=" + kafka.bootstrapServers());
    System.out.flush();
    Thread.currentThread().join(); // until SIGTERM: the shutdown hook stops the broker
  }
}
