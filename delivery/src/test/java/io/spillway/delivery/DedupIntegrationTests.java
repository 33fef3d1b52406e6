package io.spillway.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spillway.schemas.KafkaForm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Dedup} in a real Kafka Streams application on a real broker: a processor that forwards
 * what {@code check} lets through. Copies of an id in the same partition are dropped and counted
 * per source topic, replay and redrive copies pass, a copy after the window passes, and a new
 * instance with an empty state directory (restored from the changelog) still knows the ids.
 */
@Timeout(240)
class DedupIntegrationTests {
  static final Duration WINDOW = Duration.ofMinutes(10);

  /** Forwards records whose copy is not a duplicate; the wall clock is the test's. */
  static final class Forward implements Processor<byte[], byte[], byte[], byte[]> {
    private final AtomicLong clock;
    private final PrometheusMeterRegistry registry;
    private ProcessorContext<byte[], byte[]> context;
    private Dedup dedup;

    Forward(AtomicLong clock, PrometheusMeterRegistry registry) {
      this.clock = clock;
      this.registry = registry;
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
      this.context = context;
      WindowStore<Bytes, byte[]> store = context.getStateStore(Dedup.STORE);
      this.dedup = new Dedup(store, WINDOW, clock::get, registry);
    }

    @Override
    public void process(Record<byte[], byte[]> r) {
      var md = context.recordMetadata().orElseThrow();
      if (dedup.check(r.headers(), md.topic(), md.partition(), md.offset()) != Dedup.Verdict.DUPLICATE) {
        context.forward(r);
      }
    }
  }

  record App(KafkaStreams streams, PrometheusMeterRegistry registry) implements AutoCloseable {
    @Override
    public void close() {
      streams.close(Duration.ofSeconds(30));
    }
  }

  static App start(String appId, String in, String out, AtomicLong clock, Path stateDir) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Topology t = new Topology();
    t.addSource("in", new ByteArrayDeserializer(), new ByteArrayDeserializer(), in);
    t.addProcessor("dedup", () -> new Forward(clock, registry), "in");
    t.addStateStore(Dedup.storeBuilder(WINDOW), "dedup");
    t.addSink("out", out, new ByteArraySerializer(), new ByteArraySerializer(), "dedup");
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, Pipeline.kafka().bootstrapServers());
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    p.put(StreamsConfig.consumerPrefix("session.timeout.ms"), 6000);
    KafkaStreams s = new KafkaStreams(t, p);
    s.start();
    await().atMost(Duration.ofSeconds(60)).until(() -> s.state() == KafkaStreams.State.RUNNING);
    return new App(s, registry);
  }

  static List<String> produce(String topic, List<String> ids, String extraHeader) throws Exception {
    try (KafkaProducer<byte[], byte[]> producer = Pipeline.producer()) {
      List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
      for (String id : ids) {
        RecordHeaders h = new RecordHeaders();
        h.add("spillway.id", id.getBytes(StandardCharsets.UTF_8));
        if (extraHeader != null) h.add(extraHeader, "x".getBytes(StandardCharsets.UTF_8));
        // the key decides the partition: a copy lands where the first one did
        acks.add(producer.send(new ProducerRecord<>(topic, null, ("wow/p" + (id.hashCode() & 7)).getBytes(StandardCharsets.UTF_8),
            "{}".getBytes(StandardCharsets.UTF_8), h)));
      }
      for (var f : acks) f.get(30, TimeUnit.SECONDS);
    }
    return ids;
  }

  static Map<String, Integer> forwarded(String out, int atLeast) {
    Map<String, Integer> counts = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : Pipeline.readAll(out, atLeast, Duration.ofSeconds(60))) {
      counts.merge(Pipeline.header(r, "spillway.id"), 1, Integer::sum);
    }
    return counts;
  }

  static List<String> ids(int n) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) ids.add(UUID.randomUUID().toString());
    return ids;
  }

  @Test
  void copiesWithinTheWindowAreDroppedOthersPass() throws Exception {
    String in = "dc1." + Pipeline.unique("dedup");
    String out = Pipeline.unique("dedup-out");
    Pipeline.kafka().createTopic(in, 3, (short) 1);
    Pipeline.kafka().createTopic(out, 1, (short) 1);
    AtomicLong clock = new AtomicLong(System.currentTimeMillis());
    String appId = Pipeline.unique("dedup-app");
    Path state = Files.createTempDirectory("spillway-dedup-");
    List<String> first = ids(200);
    List<String> replayed = ids(20);
    try (App app = start(appId, in, out, clock, state)) {
      produce(in, first, null);
      produce(in, first, null); // every one copied again (as MM2 after a restart)
      produce(in, replayed, null);
      produce(in, replayed, KafkaForm.REPLAY); // asked-for copies
      produce(in, replayed.subList(0, 10), KafkaForm.REDRIVE);
      await().atMost(Duration.ofSeconds(60)).until(() ->
          app.registry().scrape().contains("spillway_delivery_duplicates_dropped_total{source=\"" + in + "\"} 200.0"));
      Map<String, Integer> got = forwarded(out, 200 + 20 + 20 + 10);
      for (String id : first) assertThat(got.get(id)).as("copies of %s forwarded", id).isEqualTo(1);
      for (String id : replayed.subList(0, 10)) assertThat(got.get(id)).isEqualTo(3);
      for (String id : replayed.subList(10, 20)) assertThat(got.get(id)).isEqualTo(2);

    }

    // The changelog is kept by the broker's clock (LogAppendTime), not by the events' own timestamps.
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, Pipeline.kafka().bootstrapServers()))) {
      ConfigResource changelog = new ConfigResource(ConfigResource.Type.TOPIC, appId + "-" + Dedup.STORE + "-changelog");
      var c = admin.describeConfigs(List.of(changelog)).all().get(30, TimeUnit.SECONDS).get(changelog);
      assertThat(c.get("message.timestamp.type").value()).isEqualTo("LogAppendTime");
    }

    // A new instance on an empty state directory restores the ids from the changelog.
    try (App app = start(appId, in, out, clock, Files.createTempDirectory("spillway-dedup-"))) {
      produce(in, first.subList(100, 200), null);
      await().atMost(Duration.ofSeconds(60)).until(() ->
          app.registry().scrape().contains("spillway_delivery_duplicates_dropped_total{source=\"" + in + "\"} 100.0"));
      Map<String, Integer> got = forwarded(out, 250);
      for (String id : first.subList(100, 200)) assertThat(got.get(id)).as("%s after the restore", id).isEqualTo(1);

      // past the window, a copy is an event again
      clock.addAndGet(WINDOW.toMillis() + 60_000);
      produce(in, first.subList(0, 5), null);
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        Map<String, Integer> now = forwarded(out, 0);
        return first.subList(0, 5).stream().allMatch(id -> now.get(id) == 2);
      });
      assertThat(app.registry().scrape()).contains("spillway_delivery_duplicates_dropped_total{source=\"" + in + "\"} 100.0");
    }
  }
}
