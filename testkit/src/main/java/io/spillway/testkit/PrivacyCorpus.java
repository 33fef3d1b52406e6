package io.spillway.testkit;

import io.sentry.Breadcrumb;
import io.sentry.Sentry;
import io.sentry.protocol.Request;
import io.sentry.protocol.SentryId;
import io.sentry.protocol.SentryStackFrame;
import io.sentry.protocol.User;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Real SDK payloads carrying personal data (see {@code privacy/README.md} beside it) and the secret
 * values in them, for the data scrubbing tests: with Sentry's default scrubbers and IP scrubbing on,
 * none of {@link #SECRETS} may be found anywhere after the edge.
 */
public final class PrivacyCorpus {
  private PrivacyCorpus() {}

  /** What must not survive scrubbing (passwords, card numbers, e-mails, IPs, tokens, keys, session ids). */
  public static final List<String> SECRETS = List.of("hunter2", "4111 1111 1111 1111", "4111111111111111", "4111-1111-1111-1111",
      "5555555555554444", "5555 5555 5555 4444", "jane.doe@example.com", "203.0.113.7", "198.51.100.23", "abc.def.ghi",
      "sk_live_51HxQabcdef", "s3cr3tpw", "eyJhbGciOiJIUzI1NiJ9.payload.sig", "9f8e7d6c5b", "amFuZTpodW50ZXIy", "abc123");

  /** What must survive: safe fields and the fields that make an event useful. */
  public static final List<String> KEPT = List.of("ord_98231", "payment failed", "shop@2.0.1", "shop-web@3.1.0", "u-1138");

  /** The corpus file {@code name} (under {@code io/spillway/testkit/privacy/}). */
  public static byte[] file(String name) {
    try (InputStream in = PrivacyCorpus.class.getResourceAsStream("privacy/" + name)) {
      if (in == null) throw new IllegalArgumentException("no corpus file " + name);
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static final String SENTRY_NODE = "sentry-node-11.12.0.envelope";
  public static final String SENTRY_BROWSER = "sentry-browser-11.envelope";
  public static final String RAVEN_NODE = "raven-node-2.6.4.store";
  public static final String RAVEN_JAVA = "raven-java-8.0.3.store";

  /** The secrets found in {@code text}, as written or percent-encoded. */
  public static List<String> leaks(String text) {
    List<String> found = new ArrayList<>();
    if (text == null) return found;
    for (String s : SECRETS) {
      if (text.contains(s) || text.contains(URLEncoder.encode(s, StandardCharsets.UTF_8))) found.add(s);
    }
    return found;
  }

  /** Same, over bytes read as UTF-8 (binary noise around them does not matter). */
  public static List<String> leaks(byte[] bytes) {
    return leaks(new String(bytes, StandardCharsets.ISO_8859_1));
  }

  /**
   * Sends one exception through sentry-java 8 (the caller's own copy of the SDK) to {@code dsn}, with personal data in
   * user, extra, breadcrumbs, contexts, request and frame vars: every one of {@link #SECRETS} it holds must be scrubbed,
   * {@code ord_98231}, {@code payment failed} and {@code jdoe} kept. Returns the event ids the SDK gave.
   */
  public static List<String> sendWithSentryJava(String dsn) {
    List<String> ids = new ArrayList<>();
    Sentry.init(o -> {
      o.setDsn(dsn);
      o.setSendDefaultPii(true);
      o.setEnableUncaughtExceptionHandler(false);
      o.setSendClientReports(false);
      o.addEventProcessor(new io.sentry.EventProcessor() {
        @Override
        public io.sentry.SentryEvent process(io.sentry.SentryEvent event, io.sentry.Hint hint) {
          Request req = new Request();
          req.setUrl("https://shop.example.com/checkout?token=abc123");
          req.setMethod("POST");
          req.setHeaders(Map.of("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "Cookie", "sessionid=9f8e7d6c5b"));
          req.setData(Map.of("password", "hunter2", "card", "4111 1111 1111 1111", "order_id", "ord_98231"));
          event.setRequest(req);
          if (event.getExceptions() != null && !event.getExceptions().isEmpty()) {
            List<SentryStackFrame> frames = event.getExceptions().get(0).getStacktrace().getFrames();
            frames.get(frames.size() - 1).setVars(Map.of("password", "hunter2", "email", "jane.doe@example.com"));
          }
          return event;
        }
      });
    });
    try {
      User user = new User();
      user.setEmail("jane.doe@example.com");
      user.setIpAddress("203.0.113.7");
      user.setUsername("jdoe");
      Sentry.setUser(user);
      Sentry.setExtra("api_key", "sk_live_51HxQabcdef");
      Sentry.setExtra("note", "call 198.51.100.23");
      Breadcrumb b = new Breadcrumb("login for jane.doe@example.com");
      b.setData("token", "abc.def.ghi");
      Sentry.addBreadcrumb(b);
      Sentry.configureScope(s -> s.setContexts("payment", Map.of("card", "5555 5555 5555 4444", "secret", "s3cr3tpw")));
      SentryId id = Sentry.captureException(new IllegalStateException("payment failed"));
      ids.add(id.toString());
      Sentry.flush(20_000);
    } finally {
      Sentry.close();
    }
    return ids;
  }
}
