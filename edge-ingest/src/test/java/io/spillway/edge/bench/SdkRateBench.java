package io.spillway.edge.bench;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.sentry.ILogger;
import io.sentry.Sentry;
import io.sentry.SentryLevel;
import io.sentry.protocol.SentryId;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The highest steady rate at which ONE sentry-java 8 process with default settings reports events
 * without dropping any (issue 6). Run by {@code bench/sdk/run.sh}; not a test.
 *
 * <p>Default settings on purpose: one sender thread, {@code maxQueueSize} 30, the SDK's own
 * {@code HttpURLConnection} transport, which sends {@code Connection: close} (a new TCP connection
 * per envelope). The only option set besides the DSN is a logger (with {@code debug} on so the SDK
 * calls it): it counts what the SDK says about each envelope, which is how drops are seen inside
 * the SDK ("Submit cancelled" = the queue of 30 was full, the envelope was discarded).
 *
 * <p>Each step: {@code Sentry.init}, {@code captureMessage} at a fixed rate R for T seconds (each
 * with a unique tag), note the SDK's queue backlog at the end of the window, flush, close, then
 * count what arrived at the target (edge: {@code XLEN} growth of its Redis stream; sink: its
 * request counter). A step passes when nothing was dropped or failed, everything captured arrived,
 * and the backlog at the end of the window was at most {@link #maxEndBacklog} (5 events, or 2 % of
 * those captured at high rates, where a short stall leaves a few more queued for a moment) —
 * without that last condition a rate just above what the sender can do would pass a short step,
 * because the queue of 30 absorbs the difference for a while. After an unrecorded warm-up step at the start rate, R
 * doubles until a step fails, then bisects.
 *
 * <p>Args: {@code --dsn DSN --label NAME --count redis://HOST:PORT/STREAM|http://HOST:PORT
 * [--start R=50] [--seconds T=15] [--bisect STEPS=4] [--max-rate R=20000]}
 */
final class SdkRateBench {
  /** Queued at the end of the window and still "steady": at most 5, or 2 % of what was captured. */
  static long maxEndBacklog(long captured) {
    return Math.max(5, captured / 50);
  }

  public static void main(String[] args) throws Exception {
    String dsn = arg(args, "--dsn", null);
    String label = arg(args, "--label", "target");
    String count = arg(args, "--count", null);
    double start = Double.parseDouble(arg(args, "--start", "50"));
    int seconds = Integer.parseInt(arg(args, "--seconds", "15"));
    int bisect = Integer.parseInt(arg(args, "--bisect", "4"));
    double maxRate = Double.parseDouble(arg(args, "--max-rate", "20000"));
    if (dsn == null || count == null) throw new IllegalArgumentException("--dsn and --count are required");
    Arrivals arrivals = count.startsWith("redis://") ? new StreamLength(count) : new SinkCount(count);

    double pass = 0;
    double fail = Double.POSITIVE_INFINITY;
    double saturation = 0;
    // an app's SDK runs in a warm JVM: one unrecorded step at the start rate first (JIT, class loading, first connections)
    run(0, label + "-warmup", dsn, arrivals, start, Math.min(5, seconds));
    int step = 0;
    for (double r = start; r <= maxRate; r *= 2) { // doubling until the first drop
      Step s = run(++step, label, dsn, arrivals, r, seconds);
      if (s.passed()) {
        pass = r;
      } else {
        fail = r;
        saturation = Math.max(saturation, s.senderRate());
        break;
      }
    }
    for (int i = 0; i < bisect && fail != Double.POSITIVE_INFINITY; i++) {
      double r = Math.round((pass + fail) / 2 * 10) / 10.0; // 0.1/s resolution: the direct target does ~10/s
      if (r <= pass || r >= fail) break;
      Step s = run(++step, label, dsn, arrivals, r, seconds);
      if (s.passed()) {
        pass = r;
      } else {
        fail = r;
        saturation = Math.max(saturation, s.senderRate());
      }
    }
    arrivals.close();
    System.out.printf("RESULT target=%s max_steady_rate=%s first_failing_rate=%s sender_rate_at_saturation=%.1f seconds_per_step=%d steps=%d%n",
        label, fmt(pass), fail == Double.POSITIVE_INFINITY ? "none<=" + fmt(maxRate) : fmt(fail), saturation, seconds, step);
  }

  record Step(boolean passed, double senderRate) {}

  private static Step run(int step, String label, String dsn, Arrivals arrivals, double rate, int seconds) throws Exception {
    CountingLogger log = new CountingLogger();
    AtomicReference<Integer> queueSize = new AtomicReference<>();
    Sentry.init(o -> {
      o.setDsn(dsn);
      o.setLogger(log);
      o.setDebug(true); // the SDK calls the logger only in debug mode; nothing is printed, only counted
      o.setDiagnosticLevel(SentryLevel.DEBUG);
      queueSize.set(o.getMaxQueueSize());
    });
    long before = arrivals.count();
    long n = Math.round(rate * seconds);
    long intervalNanos = (long) (1e9 / rate);
    long captured = 0;
    long maxLateNanos = 0;
    long t0 = System.nanoTime();
    for (long i = 0; i < n; i++) {
      long due = t0 + i * intervalNanos; // a fixed schedule: late events are sent at once, never skipped
      long wait = due - System.nanoTime();
      if (wait > 0) LockSupport.parkNanos(wait);
      else maxLateNanos = Math.max(maxLateNanos, -wait);
      String tag = label + "-" + step + "-" + i;
      SentryId id = Sentry.captureMessage("spillway sdk bench " + tag, scope -> scope.setTag("spillway.bench.event", tag));
      if (!SentryId.EMPTY_ID.equals(id)) captured++;
    }
    double window = (System.nanoTime() - t0) / 1e9;
    long sentInWindow = log.sent.get();
    long backlog = captured - sentInWindow - log.queueOverflow.get();
    Sentry.flush(120_000);
    Sentry.close();
    long arrived = settle(arrivals, before, captured);
    boolean passed = log.queueOverflow.get() == 0 && log.failed.get() == 0 && log.rateLimited.get() == 0
        && arrived == captured && backlog <= maxEndBacklog(captured);
    double senderRate = sentInWindow / window;
    System.out.printf("step %d target=%s rate=%s/s seconds=%.1f captured=%d sdk_sent=%d arrived=%d queue_overflow=%d failed=%d "
            + "rate_limited=%d backlog_at_end=%d sender_rate=%.1f/s generator_max_late_ms=%.1f max_queue_size=%s %s%s%n",
        step, label, fmt(rate), window, captured, log.sent.get(), arrived, log.queueOverflow.get(), log.failed.get(),
        log.rateLimited.get(), backlog, senderRate, maxLateNanos / 1e6, queueSize.get(), passed ? "PASS" : "FAIL",
        log.firstError.get() == null ? "" : " first_error=\"" + log.firstError.get() + "\"");
    return new Step(passed, senderRate);
  }

  /** Waits until the target counted everything captured, or its count stopped moving for 2 s. */
  private static long settle(Arrivals arrivals, long before, long captured) throws Exception {
    long last = -1;
    long stableSince = System.nanoTime();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      long now = arrivals.count() - before;
      if (now >= captured) return now;
      if (now != last) {
        last = now;
        stableSince = System.nanoTime();
      }
      if (System.nanoTime() - stableSince > TimeUnit.SECONDS.toNanos(2) || System.nanoTime() > deadline) return now;
      Thread.sleep(100);
    }
  }

  /** Counts the SDK's own reports about envelopes; formats nothing. */
  static final class CountingLogger implements ILogger {
    final AtomicLong sent = new AtomicLong();
    final AtomicLong queueOverflow = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final AtomicLong rateLimited = new AtomicLong();
    final AtomicReference<String> firstError = new AtomicReference<>();

    private void count(SentryLevel level, String message, Throwable t) {
      if (message == null) return;
      if (message.startsWith("Envelope sent successfully")) sent.incrementAndGet();
      else if (message.startsWith("Submit cancelled")) queueOverflow.incrementAndGet(); // QueuedThreadPoolExecutor: queue full
      else if (message.contains("rate limit")) rateLimited.incrementAndGet();
      else if (message.startsWith("Request failed") || message.startsWith("An exception occurred while submitting")
          || message.startsWith("The transport failed to send")) failed.incrementAndGet();
      if ((level == SentryLevel.ERROR || level == SentryLevel.FATAL) && firstError.get() == null) {
        firstError.compareAndSet(null, (message + (t == null ? "" : ": " + t)).replace('"', '\''));
      }
    }

    @Override public void log(SentryLevel level, String message, Object... args) { count(level, message, null); }
    @Override public void log(SentryLevel level, String message, Throwable t) { count(level, message, t); }
    @Override public void log(SentryLevel level, Throwable t, String message, Object... args) { count(level, message, t); }
    @Override public boolean isEnabled(SentryLevel level) { return true; }
  }

  interface Arrivals extends AutoCloseable {
    long count() throws Exception;

    @Override default void close() {}
  }

  /** Events the edge stored: the length of its Redis stream (no bridge runs, nothing is removed). */
  static final class StreamLength implements Arrivals {
    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final String stream;

    StreamLength(String spec) { // redis://host:port/STREAM
      int slash = spec.indexOf('/', "redis://".length());
      this.stream = spec.substring(slash + 1);
      this.client = RedisClient.create(spec.substring(0, slash));
      this.connection = client.connect();
    }

    @Override public long count() { return connection.sync().xlen(stream); }

    @Override public void close() {
      connection.close();
      client.shutdown();
    }
  }

  /** Requests the baseline's sink.sh answered (its /_sink/count endpoint). */
  static final class SinkCount implements Arrivals {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI uri;

    SinkCount(String base) { this.uri = URI.create(base + "/_sink/count"); }

    @Override public long count() throws Exception {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) throw new IllegalStateException("sink count: HTTP " + r.statusCode());
      return Long.parseLong(r.body().trim());
    }
  }

  private static String fmt(double r) {
    return r == Math.rint(r) ? Long.toString((long) r) : Double.toString(r);
  }

  private static String arg(String[] args, String name, String dflt) {
    for (int i = 0; i < args.length - 1; i++) if (args[i].equals(name)) return args[i + 1];
    return dflt;
  }
}
