package io.spillway.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentry.Sentry;
import io.sentry.protocol.SentryId;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.Route;
import io.spillway.testkit.RedisServer;
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The real SDKs from Maven Central, unmodified, pointed at the edge by DSN only. Each sends 100
 * distinct events through a {@link RecordingProxy}; the stream must then hold exactly 100 entries
 * on the right route, with bodies byte-identical to what the SDK put on the wire.
 *
 * <p>The legacy SDKs ({@code io.sentry:sentry:1.7.30}, {@code com.getsentry.raven:raven:8.0.3}) share
 * package names with (or are older versions of) the modern SDK on the test classpath, so they run
 * from their own jars (copied to {@code target/legacy-sdks/} by the build) in an isolated class
 * loader whose parent is the platform loader, driven by reflection.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EdgeSdkIntegrationTests {
  static final Route VOD_BE = new Route("wow", "vod_be");
  static final int EVENTS = 100;
  static EdgeFixture f;

  @BeforeAll
  static void start() {
    f = EdgeFixture.start(RedisServer.Fsync.NONE);
  }

  @AfterAll
  static void stop() {
    if (f != null) f.close();
  }

  @BeforeEach
  void clear() {
    f.clear();
  }

  /** sentry-java 8: envelopes, gzip, Connection: close; alias DSN without secret. */
  @Test
  void sentryJava8() throws Exception {
    try (RecordingProxy proxy = new RecordingProxy(f.edge.port())) {
      Sentry.init(o -> {
        o.setDsn("http://vodbe@127.0.0.1:" + proxy.port() + "/20");
        o.setMaxQueueSize(EVENTS * 2); // default 30 drops most of a burst (sentry-protocol.md §7.1)
        o.setSendClientReports(false);
        o.setEnableAutoSessionTracking(false);
        o.setEnableUncaughtExceptionHandler(false);
        o.setEnableShutdownHook(false);
        o.setEnableDeduplication(false);
        o.setEnableExternalConfiguration(false);
        o.setFlushTimeoutMillis(30_000);
        o.setShutdownTimeoutMillis(30_000);
      });
      List<String> ids = new ArrayList<>();
      try {
        for (int i = 0; i < EVENTS; i++) {
          SentryId id = Sentry.captureMessage("sentry-java 8 event " + i);
          ids.add(id.toString());
        }
        Sentry.flush(30_000);
      } finally {
        Sentry.close();
      }
      List<BufferedEvent> events = verify(proxy, EndpointKind.ENVELOPE);
      assertThat(events).extracting(BufferedEvent::eventId).containsExactlyInAnyOrderElementsOf(ids);
      assertThat(events).allSatisfy(e -> {
        assertThat(e.contentEncoding()).isEqualTo("gzip");
        assertThat(e.contentType()).isEqualTo("application/x-sentry-envelope");
        assertThat(e.sentryClient()).startsWith("sentry.java/8.63.0");
      });
    }
  }

  /** sentry-java 1.7.30: /store/, gzip JSON; legacy DSN form upstream:project. */
  @Test
  void sentryJava1() throws Exception {
    try (RecordingProxy proxy = new RecordingProxy(f.edge.port());
         URLClassLoader loader = legacyLoader("sentry-1.7.30")) {
      String dsn = "http://wow:vod_be@127.0.0.1:" + proxy.port() + "/20?async.queuesize=" + (EVENTS * 2)
          + "&async.shutdowntimeout=30000&uncaught.handler.enabled=false&stacktrace.app.packages=";
      withContextLoader(loader, () -> {
        Class<?> sentry = loader.loadClass("io.sentry.Sentry");
        sentry.getMethod("init", String.class).invoke(null, dsn);
        Method capture = sentry.getMethod("capture", String.class);
        for (int i = 0; i < EVENTS; i++) capture.invoke(null, "sentry-java 1.7.30 event " + i);
        sentry.getMethod("close").invoke(null); // graceful: drains the async queue
      });
      List<BufferedEvent> events = verify(proxy, EndpointKind.STORE);
      assertThat(events).allSatisfy(e -> {
        assertThat(e.contentEncoding()).isEqualTo("gzip");
        assertThat(e.sentryClient()).startsWith("sentry-java/1.7.30");
        assertThat(e.sentryVersion()).isEqualTo("6");
      });
    }
  }

  /** raven-java 8.0.3: /store/, base64(zlib(JSON)) without Content-Encoding; alias DSN with a secret. */
  @Test
  void ravenJava8() throws Exception {
    try (RecordingProxy proxy = new RecordingProxy(f.edge.port());
         URLClassLoader loader = legacyLoader("raven-8.0.3")) {
      String dsn = "http://vodbe:unused@127.0.0.1:" + proxy.port() + "/20?raven.async.queuesize=" + (EVENTS * 2)
          + "&raven.async.shutdowntimeout=30000&raven.stacktrace.app.packages=io.spillway";
      withContextLoader(loader, () -> {
        Object raven = loader.loadClass("com.getsentry.raven.RavenFactory").getMethod("ravenInstance", String.class).invoke(null, dsn);
        Method send = raven.getClass().getMethod("sendMessage", String.class);
        for (int i = 0; i < EVENTS; i++) send.invoke(raven, "raven-java 8.0.3 event " + i);
        raven.getClass().getMethod("closeConnection").invoke(raven);
      });
      List<BufferedEvent> events = verify(proxy, EndpointKind.STORE);
      assertThat(events).allSatisfy(e -> {
        assertThat(e.contentEncoding()).isNull();
        assertThat(e.sentryClient()).startsWith("raven-java/8.0.3");
      });
    }
  }

  /** Exactly EVENTS entries, right route and kind, distinct event ids, bodies = what the SDK sent. */
  private static List<BufferedEvent> verify(RecordingProxy proxy, EndpointKind kind) {
    assertThat(proxy.sent).as("requests the SDK sent").hasSize(EVENTS);
    assertThat(proxy.sent).allSatisfy(s -> assertThat(s.status()).isEqualTo(200));
    List<BufferedEvent> events = f.events();
    assertThat(events).hasSize(EVENTS);
    assertThat(events).allSatisfy(e -> {
      assertThat(e.route()).isEqualTo(VOD_BE);
      assertThat(e.kind()).isEqualTo(kind);
      assertThat(e.path()).isEqualTo("/api/20/" + kind.wireName() + "/");
      assertThat(e.eventId()).matches("[0-9a-f]{32}");
    });
    Set<String> eventIds = events.stream().map(BufferedEvent::eventId).collect(Collectors.toSet());
    assertThat(eventIds).hasSize(EVENTS);
    List<String> stored = events.stream().map(e -> Base64.getEncoder().encodeToString(e.body())).toList();
    List<String> sent = proxy.sent.stream().map(s -> Base64.getEncoder().encodeToString(s.body())).toList();
    assertThat(stored).containsExactlyInAnyOrderElementsOf(sent);
    return events;
  }

  interface Action {
    void run() throws Exception;
  }

  private static void withContextLoader(ClassLoader loader, Action action) throws Exception {
    Thread t = Thread.currentThread();
    ClassLoader previous = t.getContextClassLoader();
    t.setContextClassLoader(loader);
    try {
      action.run();
    } finally {
      t.setContextClassLoader(previous);
    }
  }

  private static URLClassLoader legacyLoader(String name) throws IOException {
    Path dir = Path.of(System.getProperty("spillway.legacy.sdks", "target/legacy-sdks"), name);
    List<URL> jars = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : files.filter(p -> p.toString().endsWith(".jar")).toList()) jars.add(p.toUri().toURL());
    }
    assertThat(jars).as("jars in " + dir + " (copied by maven-dependency-plugin)").isNotEmpty();
    return new URLClassLoader(jars.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
  }
}
