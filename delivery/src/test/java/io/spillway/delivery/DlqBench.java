package io.spillway.delivery;

import io.spillway.testkit.KafkaCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code bench/dlq/run.sh}: a real single-broker KRaft cluster holding a DLQ of {@code --events}
 * dead letters ({@link DlqFixture}: two days of them, {@code --recent} in the last five minutes,
 * every {@code --large-every}-th a large event in three pieces), and a config file for
 * {@code bin/spillway dlq}. Prints {@code READY <config>} and keeps the broker up until stdin closes.
 */
final class DlqBench {
  private DlqBench() {}

  public static void main(String[] args) throws IOException {
    long events = 1_000_000;
    long recent = 1_000;
    int largeEvery = 100;
    int partitions = 12;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--events" -> events = Long.parseLong(args[i + 1]);
        case "--recent" -> recent = Long.parseLong(args[i + 1]);
        case "--large-every" -> largeEvery = Integer.parseInt(args[i + 1]);
        case "--partitions" -> partitions = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    try (KafkaCluster kafka = KafkaCluster.start(1)) {
      Runtime.getRuntime().addShutdownHook(new Thread(kafka::close)); // a SIGTERM does not leave the broker behind
      String topic = "spillway.events";
      kafka.createTopic(topic, partitions, (short) 1);
      kafka.createTopic(topic + ".dlq", partitions, (short) 1);
      long t0 = System.nanoTime();
      DlqFixture.Written w = DlqFixture.write(kafka.bootstrapServers(), topic + ".dlq", events, recent, largeEvery, System.currentTimeMillis());
      System.out.printf("wrote %d dead letters (%d events, %d in the last 5 min: %d records, %d large) in %.1f s%n",
          w.records(), w.entries(), w.recentEntries(), w.recentRecords(), w.recentLarge(), (System.nanoTime() - t0) / 1e9);
      Path config = Files.createTempFile("spillway-dlq-bench-", ".yml");
      Files.writeString(config, """
          delivery: { admin: "127.0.0.1:0" }
          kafka: { bootstrap_servers: "%s", topic: "%s", partitions: %d }
          upstreams:
            a: { url: "http://127.0.0.1:9", projects: { a1: { id: 1, key: k1 }, a2: { id: 2, key: k2 } } }
            b: { url: "http://127.0.0.1:9", projects: { b1: { id: 3, key: k3 }, b2: { id: 4, key: k4 } } }
            c: { url: "http://127.0.0.1:9", projects: { c1: { id: 5, key: k5 } } }
          """.formatted(kafka.bootstrapServers(), topic, partitions));
      System.out.println("READY " + config);
      System.out.flush();
      while (System.in.read() >= 0) {
        // until stdin closes
      }
    }
  }
}
