package io.spillway.edge;

/**
 * A DSN, {@code {PROTOCOL}://{PUBLIC_KEY}[:{SECRET_KEY}]@{HOST}{PATH}/{PROJECT_ID}}
 * (sentry-protocol.md §2). The edge reads DSNs only from an envelope header ({@code "dsn"}, the
 * tunnel form), where the key is all that matters; host and project are not trusted (DSN swap).
 *
 * @param key       public key (required)
 * @param secret    secret, or null (deprecated, optional)
 * @param host      host[:port]
 * @param projectId last path segment
 */
record Dsn(String key, String secret, String host, String projectId) {

  static Dsn parse(String text) {
    if (text == null) throw bad();
    int scheme = text.indexOf("://");
    if (scheme <= 0) throw bad();
    String proto = text.substring(0, scheme);
    if (!proto.equalsIgnoreCase("http") && !proto.equalsIgnoreCase("https")) throw bad();
    String rest = text.substring(scheme + 3);
    int slash = rest.indexOf('/');
    if (slash < 0) throw bad();
    String authority = rest.substring(0, slash);
    String path = rest.substring(slash);
    int at = authority.lastIndexOf('@');
    if (at <= 0) throw bad();
    String userInfo = authority.substring(0, at);
    String host = authority.substring(at + 1);
    if (host.isEmpty()) throw bad();
    int colon = userInfo.indexOf(':');
    String key = colon < 0 ? userInfo : userInfo.substring(0, colon);
    String secret = colon < 0 ? null : userInfo.substring(colon + 1);
    if (key.isEmpty()) throw bad();
    int q = path.indexOf('?');
    if (q >= 0) path = path.substring(0, q);
    while (path.endsWith("/")) path = path.substring(0, path.length() - 1);
    int lastSlash = path.lastIndexOf('/');
    String project = lastSlash < 0 ? "" : path.substring(lastSlash + 1);
    if (project.isEmpty()) throw bad();
    return new Dsn(key, secret == null || secret.isEmpty() ? null : secret, host, project);
  }

  /** The credentials this DSN stands for, as if they had come in a header. */
  SentryAuth auth() {
    return SentryAuth.of(key, secret, null, null, "bad dsn in envelope header");
  }

  private static ProtocolException bad() {
    return ProtocolException.unauthorized("bad dsn in envelope header");
  }

  @Override
  public String toString() {
    return "Dsn{key=***, host=" + host + ", projectId=" + projectId + "}";
  }
}
