package io.spillway.edge;

import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.spillway.runtime.SpillwayMetric;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.RedisForm;
import io.spillway.schemas.config.SpillwayConfig;
import io.spillway.testkit.PrometheusText;
import io.spillway.testkit.RedisServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;

/** A real Redis and a real edge in front of it, with the route table the tests use. */
final class EdgeFixture implements AutoCloseable {
  static final String STREAM = "spillway:events";
  /** Real public key of wow/vod_be (apps that only swap the host). */
  static final String VOD_BE_KEY = "0123456789abcdef0123456789abcdef";
  static final String LIMITED_KEY = "fedcba9876543210fedcba9876543210";

  final RedisServer redis;
  final EdgeServer edge;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final RedisClient client;
  private final StatefulRedisConnection<String, byte[]> connection;

  private EdgeFixture(RedisServer redis, EdgeServer edge) {
    this.redis = redis;
    this.edge = edge;
    this.client = RedisClient.create(redis.uri());
    this.connection = client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
  }

  static String yaml(String redisUri, String edgeExtra, String redisExtra) {
    return """
        edge:
          listen: "127.0.0.1:0"
          admin: "127.0.0.1:0"
          instance: "edge-test"
          datacenter: "test-dc"
          max_event_bytes: 65536
          max_envelope_bytes: 262144
          read_timeout: "2s"
        %s
        redis:
          uri: "%s"
          stream: "%s"
        %s
        upstreams:
          wow:
            url: "http://127.0.0.1:9"
            projects:
              vod_be: { alias: "vodbe", id: 20, key: "%s" }
              limited: { alias: "limited", id: 21, key: "%s", quota_events_per_second: 0.2 }
          other:
            url: "http://127.0.0.1:9"
            projects:
              p1: { alias: "other1", id: 1, key: "11111111111111111111111111111111" }
              p2: { alias: "other2", id: 2, key: "22222222222222222222222222222222" }
              p3: { alias: "other3", id: 3, key: "33333333333333333333333333333333" }
        """.formatted(indent(edgeExtra), redisUri, STREAM, indent(redisExtra), VOD_BE_KEY, LIMITED_KEY);
  }

  private static String indent(String lines) {
    return lines.isEmpty() ? "" : ("  " + lines.strip().replace("\n", "\n  "));
  }

  static EdgeFixture start(RedisServer.Fsync fsync) {
    return start(fsync, "", "");
  }

  /** {@code edgeExtra} / {@code redisExtra}: more {@code key: value} lines for those sections. */
  static EdgeFixture start(RedisServer.Fsync fsync, String edgeExtra, String redisExtra) {
    return start(fsync, edgeExtra, redisExtra, "");
  }

  /** {@code topLevelExtra}: more top-level sections (e.g. {@code filters:}). */
  static EdgeFixture start(RedisServer.Fsync fsync, String edgeExtra, String redisExtra, String topLevelExtra) {
    RedisServer redis = RedisServer.launch(fsync);
    try {
      SpillwayConfig config = SpillwayConfig.parse(yaml(redis.uri(), edgeExtra, redisExtra) + topLevelExtra, Map.of(), "test");
      return new EdgeFixture(redis, EdgeServer.start(config));
    } catch (RuntimeException e) {
      redis.close();
      throw e;
    }
  }

  URI uri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + edge.port() + pathAndQuery);
  }

  HttpResponse<String> send(HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  HttpResponse<byte[]> sendBytes(HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Every entry of the stream, decoded (a malformed entry fails the test). */
  List<BufferedEvent> events() {
    List<BufferedEvent> out = new ArrayList<>();
    for (StreamMessage<String, byte[]> m : connection.sync().xrange(STREAM, Range.create("-", "+"))) {
      out.add(RedisForm.decode(m.getBody()));
    }
    return out;
  }

  List<Map<String, byte[]>> rawEntries() {
    List<Map<String, byte[]>> out = new ArrayList<>();
    for (StreamMessage<String, byte[]> m : connection.sync().xrange(STREAM, Range.create("-", "+"))) out.add(m.getBody());
    return out;
  }

  long count() {
    return connection.sync().xlen(STREAM);
  }

  void clear() {
    connection.sync().del(STREAM);
  }

  String metrics() {
    return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.adminPort() + "/metrics")).build()).body();
  }

  /** Sum of every series of {@code name} whose labels contain all of {@code labels} (e.g. {@code reason="too_large"}). */
  double metric(SpillwayMetric metric, String... labels) {
    return PrometheusText.sumOrZero(metrics(), metric.exportedName(), labels);
  }

  @Override
  public void close() {
    try {
      edge.close();
    } finally {
      connection.close();
      client.shutdown();
      redis.close();
    }
  }

  // ---- bodies ----

  static String envelope(String eventId, String message) {
    String event = "{\"event_id\":\"" + eventId + "\",\"message\":\"" + message + "\",\"level\":\"error\"}";
    return "{\"event_id\":\"" + eventId + "\",\"sent_at\":\"2026-11-27T07:00:00Z\"}\n"
        + "{\"type\":\"event\",\"length\":" + event.getBytes(StandardCharsets.UTF_8).length + "}\n" + event + "\n";
  }

  static byte[] gzip(byte[] b) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(b);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  static byte[] zlib(byte[] b) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DeflaterOutputStream z = new DeflaterOutputStream(out, new Deflater())) {
      z.write(b);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * A valid brotli stream holding {@code b} in one uncompressed meta-block (RFC 7932 §9.2): the
   * Java brotli artifact only decodes, and this is enough to prove the edge reads {@code br}.
   */
  static byte[] brotliStored(byte[] b) {
    if (b.length == 0 || b.length > 65536) throw new IllegalArgumentException("1..65536 bytes");
    long m = b.length - 1;
    // bit 0 WBITS=0 (16), bit 1 ISLAST=0, bits 2-3 MNIBBLES=4 (code 0), bits 4-19 MLEN-1, bit 20 ISUNCOMPRESSED=1
    long bits = (m << 4) | (1L << 20);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write((int) (bits & 0xff));
    out.write((int) ((bits >> 8) & 0xff));
    out.write((int) ((bits >> 16) & 0xff));
    out.write(b, 0, b.length);
    out.write(0x03); // ISLAST=1, ISLASTEMPTY=1
    return out.toByteArray();
  }

  static String hex32(int i) {
    return String.format("%08x%024x", i, System.nanoTime() & 0xffffffffffffL);
  }
}
