package io.spillway.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Real Kafka brokers in KRaft mode (the {@code kafka_2.13} broker, {@code kafka.Kafka}), each a
 * child JVM so a test can SIGKILL one. Every node is a combined broker+controller with a static
 * {@code controller.quorum.voters} list, so one node is a complete cluster and three nodes form a
 * quorum of three that survives the loss of one. Ports are random on 127.0.0.1; data lives in a
 * temp directory that {@link #close()} deletes. Broker logs (WARN and up) go to each node's
 * {@code JavaProcess} log, shown when a node fails to start.
 */
public final class KafkaCluster implements AutoCloseable {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

  private final Path dir;
  private final boolean ephemeral;
  private final List<NodeSpec> nodes;
  private final JavaProcess[] processes;

  /**
   * One node: its listeners (name → host:port; the first is what {@link #bootstrapServers()} gives),
   * its controller listener, and the command prefix its JVM starts with (a network namespace).
   */
  private record NodeSpec(int id, java.util.LinkedHashMap<String, String> listeners, String controller, Path config, List<String> prefix) {
    String first() {
      return listeners.values().iterator().next();
    }
  }

  private KafkaCluster(Path dir, List<NodeSpec> nodes, boolean ephemeral) {
    this.dir = dir;
    this.ephemeral = ephemeral;
    this.nodes = nodes;
    this.processes = new JavaProcess[nodes.size()];
  }

  /**
   * Starts {@code brokers} combined nodes (1 or 3 are the intended sizes) and waits until every
   * broker is registered and unfenced.
   */
  public static KafkaCluster start(int brokers) {
    if (brokers < 1) throw new IllegalArgumentException("brokers < 1: " + brokers);
    Path dir;
    try {
      dir = Files.createTempDirectory("spillway-kafka-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<int[]> ports = new ArrayList<>();
    for (int i = 0; i < brokers; i++) ports.add(new int[] {RedisServer.freePort(), RedisServer.freePort()});
    return start(dir, ports, true);
  }

  /**
   * One node on fixed ports whose data survives restarts (for {@code spillway up}): the log dir
   * is formatted only the first time. {@link #close()} then stops it cleanly and keeps the data.
   */
  public static KafkaCluster startPersistent(Path dir, int brokerPort, int controllerPort) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return start(dir, List.<int[]>of(new int[] {brokerPort, controllerPort}), false);
  }

  private static KafkaCluster start(Path dir, List<int[]> ports, boolean ephemeral) {
    List<java.util.LinkedHashMap<String, String>> listeners = new ArrayList<>();
    List<String> controllers = new ArrayList<>();
    for (int[] p : ports) {
      java.util.LinkedHashMap<String, String> l = new java.util.LinkedHashMap<>();
      l.put("PLAINTEXT", "127.0.0.1:" + p[0]);
      listeners.add(l);
      controllers.add("127.0.0.1:" + p[1]);
    }
    return start(dir, listeners, controllers, List.of(), ephemeral);
  }

  /**
   * One node inside a network namespace, with a listener on each of its links ({@code LINK0},
   * {@code LINK1}, …, on ports 9092, 9093, …; the controller on the namespace's loopback). Clients on the
   * host reach it over link {@code i} at {@link #bootstrapServers(int)}; cutting that link makes
   * their connections hang while the other links keep working (a WAN cut between two sites that
   * each still reach the cluster on their LAN).
   */
  public static KafkaCluster startIn(NetworkNamespace ns) {
    Path dir;
    try {
      dir = Files.createTempDirectory("spillway-kafka-ns-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    java.util.LinkedHashMap<String, String> l = new java.util.LinkedHashMap<>();
    for (int i = 0; i < ns.links(); i++) l.put("LINK" + i, ns.address(i) + ":" + (9092 + i));
    return start(dir, List.of(l), List.of("127.0.0.1:9091"), ns.commandPrefix(), true);
  }

  private static KafkaCluster start(Path dir, List<java.util.LinkedHashMap<String, String>> listeners, List<String> controllers,
      List<String> prefix, boolean ephemeral) {
    int brokers = listeners.size();
    String voters = "";
    for (int i = 0; i < brokers; i++) voters += (i == 0 ? "" : ",") + i + "@" + controllers.get(i);
    String clusterId = Uuid.randomUuid().toString();
    Path logback = writeLoggingConfig(dir);
    List<NodeSpec> specs = new ArrayList<>();
    for (int i = 0; i < brokers; i++) {
      Path nodeDir = dir.resolve("node-" + i);
      Path config = nodeDir.resolve("server.properties");
      try {
        Files.createDirectories(nodeDir.resolve("data"));
        Files.writeString(config, serverProperties(i, brokers, listeners.get(i), controllers.get(i), voters, nodeDir.resolve("data")));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      // A persistent node formatted before keeps its data and its cluster id.
      if (!Files.exists(nodeDir.resolve("data").resolve("meta.properties"))) format(clusterId, config);
      specs.add(new NodeSpec(i, listeners.get(i), controllers.get(i), config, prefix));
    }
    KafkaCluster cluster = new KafkaCluster(dir, List.copyOf(specs), ephemeral);
    try {
      for (int i = 0; i < brokers; i++) {
        cluster.processes[i] = JavaProcess.start(specs.get(i).prefix(), "kafka.Kafka", List.of(
            "-Xmx256m", "-Xms64m", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
            "-Dlogback.configurationFile=" + logback), specs.get(i).config().toString());
      }
      for (int i = 0; i < brokers; i++) cluster.awaitServing(i);
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /** Comma-separated {@code host:port} of every broker's (first) listener. */
  public String bootstrapServers() {
    return nodes.stream().map(NodeSpec::first).collect(Collectors.joining(","));
  }

  /** For a cluster in a network namespace ({@link #startIn}): the brokers as reached over link {@code link}. */
  public String bootstrapServers(int link) {
    return nodes.stream().map(n -> {
      String hp = n.listeners().get("LINK" + link);
      if (hp == null) throw new IllegalArgumentException("no listener on link " + link + ": " + n.listeners().keySet());
      return hp;
    }).collect(Collectors.joining(","));
  }

  public int size() {
    return nodes.size();
  }

  /** SIGKILL: no controlled shutdown, as in a crash. */
  public void killBroker(int index) {
    processes[index].kill();
  }

  /** SIGTERM: controlled shutdown (leadership moved away first when there are other brokers). */
  public void stopBroker(int index) {
    processes[index].stop();
  }

  /** Restarts a killed or stopped node with the same ports and data; waits until it serves. */
  public void startBroker(int index) {
    processes[index].start();
    awaitServing(index);
  }

  public boolean isRunning(int index) {
    return processes[index].isAlive();
  }

  /** The node's log (broker WARN/ERROR lines and JVM output). */
  public String output(int index) {
    return processes[index].output();
  }

  /**
   * Creates a topic (a no-op if it exists) and waits until every partition has a leader, so a
   * producer started right after does not race the metadata.
   */
  public void createTopic(String name, int partitions, short replicationFactor) {
    createTopic(name, partitions, replicationFactor, Map.of());
  }

  /** Same, with topic configs such as {@code min.insync.replicas}. */
  public void createTopic(String name, int partitions, short replicationFactor, Map<String, String> configs) {
    try (Admin admin = admin(bootstrapServers())) {
      try {
        admin.createTopics(List.of(new NewTopic(name, partitions, replicationFactor).configs(configs))).all().get(60, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) throw new IllegalStateException("cannot create topic " + name, e.getCause());
      }
      long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
      while (System.nanoTime() < deadline) {
        try {
          TopicDescription d = admin.describeTopics(List.of(name)).allTopicNames().get(10, TimeUnit.SECONDS).get(name);
          if (d.partitions().size() == partitions && d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) return;
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
          // metadata not propagated yet: retry
        }
        sleep(100);
      }
      throw new IllegalStateException("topic " + name + " has no leader for every partition within " + READY_TIMEOUT);
    } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
      if (e instanceof InterruptedException) Thread.currentThread().interrupt();
      throw new IllegalStateException("cannot create topic " + name, e);
    }
  }

  /**
   * Partition leaders and in-sync replicas of a topic, for assertions and diagnostics. A broker that has not yet
   * received the metadata of a topic just created answers "unknown topic": asked again until READY_TIMEOUT.
   */
  public List<TopicPartitionInfo> describeTopic(String name) {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    try (Admin admin = admin(bootstrapServers())) {
      while (true) {
        try {
          return admin.describeTopics(List.of(name)).allTopicNames().get(30, TimeUnit.SECONDS).get(name).partitions();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
            throw new IllegalStateException("cannot describe topic " + name, e);
          }
          sleep(100);
        }
      }
    } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
      if (e instanceof InterruptedException) Thread.currentThread().interrupt();
      throw new IllegalStateException("cannot describe topic " + name, e);
    }
  }

  /** Kills every node and deletes the data directory (a persistent node is stopped cleanly and kept). */
  @Override
  public void close() {
    if (!ephemeral) {
      for (JavaProcess p : processes) {
        if (p != null) p.stop();
      }
      return;
    }
    for (JavaProcess p : processes) {
      if (p != null) p.kill();
    }
    try (var files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // temp dir: best effort
    }
    for (JavaProcess p : processes) {
      if (p != null) p.log().toFile().delete();
    }
  }

  /** Waits until the node answers on its own listener and the cluster lists it as a live broker. */
  private void awaitServing(int index) {
    NodeSpec node = nodes.get(index);
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    String last = "not tried";
    try (Admin admin = admin(node.first())) {
      while (System.nanoTime() < deadline) {
        if (!processes[index].isAlive()) {
          throw new IllegalStateException("kafka node " + index + " exited:\n" + tail(processes[index].output()));
        }
        try {
          Collection<Node> live = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
          Set<Integer> ids = live.stream().map(Node::id).collect(Collectors.toSet());
          if (ids.contains(node.id())) return;
          last = "live brokers " + ids;
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
          last = String.valueOf(e.getCause() != null ? e.getCause() : e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
        sleep(200);
      }
    }
    throw new IllegalStateException("kafka node " + index + " not serving within " + READY_TIMEOUT + " (" + last + "):\n"
        + tail(processes[index].output()));
  }

  private static Admin admin(String bootstrap) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
    return Admin.create(p);
  }

  private static String serverProperties(int id, int size, java.util.Map<String, String> listeners, String controller, String voters,
      Path data) {
    int rf = Math.min(size, 3);
    int minIsr = rf == 1 ? 1 : 2;
    String advertised = listeners.entrySet().stream().map(e -> e.getKey() + "://" + e.getValue()).collect(Collectors.joining(","));
    String protocols = listeners.keySet().stream().map(n -> n + ":PLAINTEXT").collect(Collectors.joining(","));
    return String.join("\n",
        "process.roles=broker,controller",
        "node.id=" + id,
        "controller.quorum.voters=" + voters,
        "listeners=" + advertised + ",CONTROLLER://" + controller,
        "advertised.listeners=" + advertised,
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=" + listeners.keySet().iterator().next(),
        "listener.security.protocol.map=" + protocols + ",CONTROLLER:PLAINTEXT",
        "log.dirs=" + data,
        "num.partitions=1",
        "default.replication.factor=" + rf,
        // internal topics sized for the cluster: RF 3 on one broker would never come up
        "offsets.topic.replication.factor=" + rf,
        "offsets.topic.num.partitions=4",
        "transaction.state.log.replication.factor=" + rf,
        "transaction.state.log.min.isr=" + minIsr,
        "transaction.state.log.num.partitions=4",
        "share.coordinator.state.topic.replication.factor=" + rf,
        "share.coordinator.state.topic.min.isr=" + minIsr,
        "group.initial.rebalance.delay.ms=0",
        // a shared 2-core machine: few threads, but timeouts loose enough not to flap under load
        "num.network.threads=2",
        "num.io.threads=4",
        "num.recovery.threads.per.data.dir=1",
        "background.threads=4",
        "broker.heartbeat.interval.ms=1000",
        // Several brokers: a dead one must be fenced within seconds (the fault suite kills one). A single
        // node only heartbeats to its own controller, and on a machine starved of CPU a late heartbeat
        // fenced it at 6 s (a flaky "produce() gave up after 30 s" in delivery's tests): 15 s. Not more:
        // a node restarted after SIGKILL is refused registration until its old session expires (the
        // reactivated controller counts the old registration as alive from its own start), so the session
        // is also how long every kill/restart of a single node takes; at 60 s the restarted broker gave up.
        "broker.session.timeout.ms=" + (size == 1 ? 15000 : 6000),
        // a restarted node keeps trying to register for up to 2 min instead of exiting after 1 min
        "initial.broker.registration.timeout.ms=120000",
        "log.segment.bytes=67108864",
        // retention is enforced every 2 s (default 5 min), so a test that shrinks a topic's retention sees it applied
        "log.retention.check.interval.ms=2000",
        // the cleaner's dedupe buffer is on the heap (128 MiB by default): too much for a small broker JVM
        "log.cleaner.dedupe.buffer.size=8388608",
        "log.cleaner.threads=1",
        "auto.create.topics.enable=true",
        "") ;
  }

  /** {@code kafka-storage.sh format} in-process: it only writes meta.properties and the bootstrap checkpoint. */
  private static void format(String clusterId, Path config) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int rc;
    try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      rc = kafka.tools.StorageTool.execute(new String[] {"format", "-t", clusterId, "-c", config.toString(), "--ignore-formatted"}, ps);
    } catch (RuntimeException e) {
      throw new IllegalStateException("kafka storage format failed for " + config + ": " + out.toString(StandardCharsets.UTF_8), e);
    }
    if (rc != 0) throw new IllegalStateException("kafka storage format exited " + rc + ": " + out.toString(StandardCharsets.UTF_8));
  }

  private static Path writeLoggingConfig(Path dir) {
    Path file = dir.resolve("broker-logback.xml");
    try {
      Files.writeString(file, """
          <configuration>
            <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
              <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{30} - %msg%n</pattern></encoder>
            </appender>
            <root level="WARN"><appender-ref ref="OUT"/></root>
          </configuration>
          """);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  private static String tail(String s) {
    return s.length() <= 4000 ? s : s.substring(s.length() - 4000);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
