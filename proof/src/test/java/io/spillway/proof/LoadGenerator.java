package io.spillway.proof;

import io.spillway.testkit.SentryUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A bounded, fixed-rate event source: {@code rate} envelopes per second for a given time, each
 * with a fresh {@code event_id}, sent through the edge with the app's alias DSN. Requests are
 * asynchronous (so a slow or dead edge does not lower the offered rate) with at most
 * {@link #MAX_IN_FLIGHT} outstanding; a send that would exceed that is skipped and counted. A
 * malformed stream ({@link #runMalformed}) runs the same way with bad requests mixed with events
 * for a route the upstream refuses.
 */
final class LoadGenerator implements AutoCloseable {
  static final int MAX_IN_FLIGHT = 512;
  private final Pipeline pipeline;
  private final ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
    Thread t = new Thread(r, "proof-load-http");
    t.setDaemon(true);
    return t;
  });
  private final HttpClient client;
  private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);

  LoadGenerator(Pipeline pipeline) {
    this.pipeline = pipeline;
    this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(2)).executor(executor).build();
  }

  /** Sends good events at {@code rate}/s for {@code duration}, recording them in {@code ledger}. */
  void run(Ledger ledger, int rate, Duration duration) {
    pace(rate, duration, i -> sendEvent(ledger, Pipeline.APP_ALIAS, false));
  }

  /**
   * Sends a malformed stream at {@code rate}/s for {@code duration}: invalid store JSON, a broken
   * envelope header, an unknown key, a body claiming gzip that is not — all must be refused by the
   * edge — one in six, a valid event for a route the upstream answers 401, which the edge
   * acknowledges and delivery must dead-letter, and one in six a valid event full of personal data,
   * which the edge scrubs (the pipeline runs with data scrubbing on) and delivery must deliver.
   */
  void runMalformed(Ledger ledger, int rate, Duration duration) {
    pace(rate, duration, i -> {
      switch ((int) (i % 6)) {
        case 0 -> sendBad(ledger, "/api/1/store/", "application/json", null, Pipeline.APP_ALIAS, "{\"event_id\": not json".getBytes(StandardCharsets.UTF_8));
        case 1 -> sendBad(ledger, "/api/1/envelope/", "application/x-sentry-envelope", null, Pipeline.APP_ALIAS, "{this is not a header\n{\"type\":\"event\"}\n{}\n".getBytes(StandardCharsets.UTF_8));
        case 2 -> sendBad(ledger, "/api/1/envelope/", "application/x-sentry-envelope", null, "nosuchkeynosuchkeynosuchkey00000", envelope(newId()));
        case 3 -> sendBad(ledger, "/api/1/envelope/", "application/x-sentry-envelope", "gzip", Pipeline.APP_ALIAS, envelope(newId()));
        case 4 -> sendEvent(ledger, Pipeline.APP_ALIAS, false, true);
        default -> sendEvent(ledger, Pipeline.GHOST_ALIAS, true);
      }
    });
  }

  /**
   * Sends large events (an event item and a {@code sizeBytes} attachment of random bytes, so
   * nothing compresses) at {@code perSecond} for {@code duration}, one at a time, recording the
   * SHA-256 of each body so the upstream's copy can be checked whole.
   */
  void runLarge(Ledger ledger, double perSecond, int sizeBytes, Duration duration) {
    long interval = (long) (1_000_000_000L / perSecond);
    long end = System.nanoTime() + duration.toNanos();
    java.util.Random random = new java.util.Random();
    while (System.nanoTime() < end && !Thread.currentThread().isInterrupted()) {
      long next = System.nanoTime() + interval;
      String id = newId();
      byte[] attachment = new byte[sizeBytes];
      random.nextBytes(attachment);
      byte[] body = largeEnvelope(id, attachment);
      ledger.sent.add(id);
      ledger.largeDigests.put(id, io.spillway.testkit.SentryUpstream.sha256(body));
      try {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(pipeline.edgeUri("/api/1/envelope/"))
            .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/x-sentry-envelope")
            .header("X-Sentry-Auth", "Sentry sentry_version=7, sentry_client=spillway-proof/1.0, sentry_key=" + Pipeline.APP_ALIAS)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200 && r.body().contains(id)) ledger.acked.add(id);
        else ledger.rejected(r.statusCode());
      } catch (java.io.IOException e) {
        ledger.noAnswer.incrementAndGet();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      long wait = next - System.nanoTime();
      if (wait > 0) LockSupport.parkNanos(wait);
    }
  }

  static byte[] largeEnvelope(String id, byte[] attachment) {
    String event = "{\"event_id\":\"" + id + "\",\"message\":\"spillway proof large event\",\"level\":\"error\"}";
    byte[] head = ("{\"event_id\":\"" + id + "\"}\n{\"type\":\"event\",\"length\":" + event.length() + "}\n" + event + "\n"
        + "{\"type\":\"attachment\",\"length\":" + attachment.length + ",\"filename\":\"dump.bin\"}\n").getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[head.length + attachment.length + 1];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(attachment, 0, out, head.length, attachment.length);
    out[out.length - 1] = '\n';
    return out;
  }

  private interface Send {
    void send(long i);
  }

  private void pace(int rate, Duration duration, Send send) {
    long total = Math.max(1, rate * duration.toMillis() / 1000);
    long interval = 1_000_000_000L / rate;
    long start = System.nanoTime();
    for (long i = 0; i < total && !Thread.currentThread().isInterrupted(); i++) {
      long due = start + i * interval;
      long wait = due - System.nanoTime();
      if (wait > 0) LockSupport.parkNanos(wait);
      send.send(i);
    }
  }

  private void sendEvent(Ledger ledger, String alias, boolean poison) {
    sendEvent(ledger, alias, poison, false);
  }

  private void sendEvent(Ledger ledger, String alias, boolean poison, boolean personalData) {
    if (!inFlight.tryAcquire()) {
      ledger.skipped.incrementAndGet();
      return;
    }
    String id = newId();
    ledger.sent.add(id);
    HttpRequest request = HttpRequest.newBuilder(pipeline.edgeUri("/api/1/envelope/"))
        .timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/x-sentry-envelope")
        .header("X-Sentry-Auth", "Sentry sentry_version=7, sentry_client=spillway-proof/1.0, sentry_key=" + alias)
        .POST(HttpRequest.BodyPublishers.ofByteArray(personalData ? envelopeWithPersonalData(id) : envelope(id))).build();
    client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((r, err) -> {
      inFlight.release();
      if (err != null) {
        ledger.noAnswer.incrementAndGet();
      } else if (r.statusCode() == 200 && r.body().contains(id)) {
        ledger.acked.add(id);
        if (poison) ledger.ackedPoison.add(id);
      } else {
        ledger.rejected(r.statusCode());
      }
    });
  }

  private void sendBad(Ledger ledger, String path, String contentType, String encoding, String key, byte[] body) {
    if (!inFlight.tryAcquire()) {
      ledger.skipped.incrementAndGet();
      return;
    }
    HttpRequest.Builder b = HttpRequest.newBuilder(pipeline.edgeUri(path)).timeout(Duration.ofSeconds(10))
        .header("Content-Type", contentType)
        .header("X-Sentry-Auth", "Sentry sentry_version=7, sentry_client=spillway-proof/1.0, sentry_key=" + key);
    if (encoding != null) b.header("Content-Encoding", encoding);
    client.sendAsync(b.POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString())
        .whenComplete((r, err) -> {
          inFlight.release();
          if (err != null) {
            ledger.noAnswer.incrementAndGet();
          } else if (r.statusCode() == 200) {
            // Bad input the edge took: it has no id we can follow, so it is reported, and it fails the suite.
            ledger.acked.add("malformed-accepted-" + UUID.randomUUID());
          } else {
            ledger.rejected(r.statusCode());
          }
        });
  }

  static String newId() {
    return UUID.randomUUID().toString().replace("-", "");
  }

  static byte[] envelope(String id) {
    String event = "{\"event_id\":\"" + id + "\",\"message\":\"spillway proof event\",\"level\":\"info\",\"platform\":\"java\",\"timestamp\":\""
        + Instant.now() + "\"}";
    String text = "{\"event_id\":\"" + id + "\",\"sent_at\":\"" + Instant.now() + "\"}\n"
        + "{\"type\":\"event\",\"length\":" + event.getBytes(StandardCharsets.UTF_8).length + "}\n" + event + "\n";
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** An event the edge must scrub: a password, a card number, an e-mail and IPs in extra, user and a breadcrumb. */
  static byte[] envelopeWithPersonalData(String id) {
    String event = "{\"event_id\":\"" + id + "\",\"message\":\"spillway proof event\",\"level\":\"info\",\"platform\":\"java\",\"timestamp\":\""
        + Instant.now() + "\",\"user\":{\"email\":\"jane.doe@example.com\",\"ip_address\":\"203.0.113.7\"},"
        + "\"extra\":{\"password\":\"hunter2\",\"card\":\"4111 1111 1111 1111\"},"
        + "\"breadcrumbs\":{\"values\":[{\"message\":\"login from 198.51.100.23\"}]}}";
    String text = "{\"event_id\":\"" + id + "\",\"sent_at\":\"" + Instant.now() + "\"}\n"
        + "{\"type\":\"event\",\"length\":" + event.getBytes(StandardCharsets.UTF_8).length + "}\n" + event + "\n";
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** Whether a body that reached the upstream still carries any of {@link #envelopeWithPersonalData}'s personal data. */
  static boolean carriesPersonalData(SentryUpstream.Received r) {
    String text = r.decodedText();
    if (text == null) return false;
    for (String secret : PERSONAL_DATA) if (text.contains(secret)) return true;
    return false;
  }

  private static final List<String> PERSONAL_DATA =
      List.of("jane.doe@example.com", "203.0.113.7", "hunter2", "4111 1111 1111 1111", "198.51.100.23");

  /** Waits (bounded) until every request sent has been answered or timed out. */
  void awaitQuiet() {
    try {
      if (inFlight.tryAcquire(MAX_IN_FLIGHT, 30, TimeUnit.SECONDS)) inFlight.release(MAX_IN_FLIGHT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
