package io.spillway.schemas;

/**
 * Which Sentry ingestion endpoint a request came in on. Delivery re-sends each event to the same
 * kind of endpoint on its upstream. The wire name is what the record stores.
 */
public enum EndpointKind {
  ENVELOPE("envelope"),
  STORE("store"),
  MINIDUMP("minidump"),
  SECURITY("security"),
  CSP_REPORT("csp-report"),
  UNREAL("unreal"),
  ATTACHMENTS("attachments"),
  CRON("cron"),
  NEL("nel");

  private final String wireName;

  EndpointKind(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  public static EndpointKind fromWireName(String name) {
    for (EndpointKind k : values()) {
      if (k.wireName.equals(name)) return k;
    }
    throw new RecordFormatException("unknown endpoint kind: " + name);
  }
}
