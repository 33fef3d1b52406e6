package io.spillway.schemas.pii;

/**
 * What a rule does with what it matched (Relay's redaction methods): {@code remove} the match
 * (a matched key's whole value becomes {@code null}), {@code replace} it with {@code text}
 * (default {@code [Filtered]}), {@code mask} every character with {@code *}, or {@code hash} it
 * (HMAC-SHA1, upper-case hex, keyed with the config's {@code vars.hashKey}). A rule without a
 * redaction removes, as in Relay.
 *
 * @param method what to do
 * @param text   the replacement for {@link Method#REPLACE}, else null
 */
public record Redaction(Method method, String text) {
  public static final String DEFAULT_REPLACEMENT = "[Filtered]";
  public static final Redaction DEFAULT = new Redaction(Method.DEFAULT, null);
  public static final Redaction REMOVE = new Redaction(Method.REMOVE, null);
  public static final Redaction MASK = new Redaction(Method.MASK, null);
  public static final Redaction HASH = new Redaction(Method.HASH, null);

  public enum Method { DEFAULT, REMOVE, REPLACE, MASK, HASH }

  public Redaction {
    if (method == null) throw new NullPointerException("method == null");
    if (method == Method.REPLACE && text == null) text = DEFAULT_REPLACEMENT;
  }

  public static Redaction replace(String text) {
    return new Redaction(Method.REPLACE, text);
  }

  /** Remove or default: the matched value goes away rather than being rewritten. */
  public boolean removes() {
    return method == Method.DEFAULT || method == Method.REMOVE;
  }
}
