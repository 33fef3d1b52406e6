package io.spillway.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The golden vectors in {@code io/spillway/schemas/golden/}: records with their exact Redis and
 * Kafka forms, and Redis entries that every reader must reject. They are written by hand (not by
 * the encoder) and shipped on the classpath so every module's tests check the same bytes.
 */
public final class GoldenVectors {
  private static final String DIR = "/io/spillway/schemas/golden/";

  /** A record and its two encodings. */
  public record Valid(String name, String description, BufferedEvent event, Map<String, byte[]> redisFields, KafkaForm kafka) {}

  /** A Redis entry that must be rejected with {@link RecordFormatException}. */
  public record Invalid(String name, String description, Map<String, byte[]> redisFields) {}

  private GoldenVectors() {}

  public static List<Valid> valid() {
    List<Valid> out = new ArrayList<>();
    for (String name : index()) {
      if (name.startsWith("invalid-")) continue;
      JsonNode n = read(name);
      JsonNode e = n.get("event");
      BufferedEvent event = BufferedEvent.builder()
          .id(e.get("id").asText())
          .receivedAt(e.get("receivedAt").asLong())
          .edge(e.get("edge").asText())
          .datacenter(e.get("datacenter").asText())
          .route(Route.parse(e.get("route").asText()))
          .kind(EndpointKind.fromWireName(e.get("kind").asText()))
          .method(e.get("method").asText())
          .path(e.get("path").asText())
          .query(text(e, "query"))
          .contentType(text(e, "contentType"))
          .contentEncoding(text(e, "contentEncoding"))
          .userAgent(text(e, "userAgent"))
          .sentryClient(text(e, "sentryClient"))
          .sentryVersion(text(e, "sentryVersion"))
          .clientIp(text(e, "clientIp"))
          .eventId(text(e, "eventId"))
          .body(Base64.getDecoder().decode(e.get("body_base64").asText()))
          .chunk(chunk(e.get("chunk")))
          .build();
      JsonNode k = n.get("kafka");
      List<KafkaForm.Header> headers = new ArrayList<>();
      for (JsonNode h : k.get("headers")) {
        headers.add(new KafkaForm.Header(h.get(0).asText(), h.get(1).asText().getBytes(StandardCharsets.UTF_8)));
      }
      KafkaForm kafka = new KafkaForm(k.get("key").asText().getBytes(StandardCharsets.UTF_8),
          Base64.getDecoder().decode(k.get("value_base64").asText()), k.get("timestamp").asLong(), List.copyOf(headers));
      out.add(new Valid(name, n.get("description").asText(), event, redisFields(n.get("redis")), kafka));
    }
    return out;
  }

  public static List<Invalid> invalid() {
    List<Invalid> out = new ArrayList<>();
    for (String name : index()) {
      if (!name.startsWith("invalid-")) continue;
      JsonNode n = read(name);
      out.add(new Invalid(name, n.get("description").asText(), redisFields(n.get("redis"))));
    }
    return out;
  }

  private static Map<String, byte[]> redisFields(JsonNode r) {
    Map<String, byte[]> fields = new LinkedHashMap<>();
    for (JsonNode f : r.get("fields")) fields.put(f.get(0).asText(), f.get(1).asText().getBytes(StandardCharsets.UTF_8));
    JsonNode body = r.get("body_base64");
    if (body != null && !body.isNull()) fields.put("body", Base64.getDecoder().decode(body.asText()));
    return fields;
  }

  private static BufferedEvent.Chunk chunk(JsonNode c) {
    if (c == null || c.isNull()) return null;
    return new BufferedEvent.Chunk(c.get("index").asInt(), c.get("count").asInt(), c.get("total").asLong());
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static List<String> index() {
    List<String> names = new ArrayList<>();
    try (InputStream in = open("index.txt");
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) if (!line.isBlank()) names.add(line.trim());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return names;
  }

  private static JsonNode read(String name) {
    try (InputStream in = open(name)) {
      return new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static InputStream open(String name) {
    InputStream in = GoldenVectors.class.getResourceAsStream(DIR + name);
    if (in == null) throw new IllegalStateException("golden vector missing: " + name);
    return in;
  }
}
