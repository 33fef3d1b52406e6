package io.spillway.schemas.body;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A Sentry envelope (sentry-protocol.md §3.3), read with Relay's rules and nothing looser or
 * stricter: a header line that is one JSON object, then items, each a JSON header line with a
 * string {@code type} and an optional non-negative 32-bit {@code length}, then the payload —
 * {@code length} bytes followed by {@code \n} or the end, or without {@code length} everything up
 * to the next {@code \n}. Whitespace before a header line is skipped (as serde does); a JSON value
 * must end right at its {@code \n}; anything else is an {@link EnvelopeException} naming the item.
 *
 * <p>Two ways in: {@link #scan} walks a decoded stream of any size keeping only headers (the edge
 * checks framing without holding payloads), {@link #parse} reads a decoded array and keeps each
 * payload as a slice of it (to read or replace items, then {@link #toBytes}).
 */
public final class Envelope {
  /** Longest header line read (real ones are well under 2 KiB). */
  public static final int MAX_HEADER_LINE = 64 * 1024;
  /** Item types after which Relay insists on an envelope {@code event_id} (Item::requires_event). */
  public static final Set<String> REQUIRES_EVENT_ID = Set.of("event", "transaction", "security", "attachment",
      "form_data", "raw_security", "unreal_report", "user_report", "feedback", "replay_event", "profile");

  static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).maxStringLength(MAX_HEADER_LINE).build())
      .build();
  private static final ObjectMapper MAPPER = new ObjectMapper(JSON);

  /**
   * The envelope header line.
   *
   * @param line    the JSON object as sent, without its newline
   * @param eventId {@code event_id} as 32 lower-case hex, or null
   * @param dsn     {@code dsn}, or null
   * @param sentAt  {@code sent_at} as sent, or null
   */
  public record Header(byte[] line, String eventId, String dsn, String sentAt) {}

  /**
   * One item.
   *
   * @param headerLine     the JSON object as sent, without its newline
   * @param type           its {@code type}
   * @param declaredLength its {@code length}, or -1 when the payload runs to the next newline
   * @param payloadLength  the payload's length
   */
  public record ItemHeader(byte[] headerLine, String type, long declaredLength, long payloadLength) {}

  /** An item of a {@link #parse}d envelope: its header and its payload (a slice of the envelope). */
  public static final class Item {
    private final ItemHeader header;
    private final byte[] source;
    private final int offset;
    private final int length;

    Item(ItemHeader header, byte[] source, int offset, int length) {
      this.header = header;
      this.source = source;
      this.offset = offset;
      this.length = length;
    }

    public ItemHeader header() {
      return header;
    }

    public String type() {
      return header.type();
    }

    /** A copy of the payload. */
    public byte[] payload() {
      return java.util.Arrays.copyOfRange(source, offset, offset + length);
    }

    /** The same item with another payload; its header's {@code length} is set to the new size. */
    public Item withPayload(byte[] payload) {
      byte[] line = withField(header.headerLine(), "length", (long) payload.length);
      return new Item(new ItemHeader(line, header.type(), payload.length, payload.length), payload, 0, payload.length);
    }

    void writeTo(ByteArrayOutputStream out) {
      out.write(header.headerLine(), 0, header.headerLine().length);
      out.write('\n');
      out.write(source, offset, length);
      out.write('\n');
    }
  }

  /** What {@link #scan} saw: the header and each item's header, in order. */
  public record Scan(Header header, List<ItemHeader> items) {
    /** Whether Relay would give this envelope an event id (it has an item that needs one). */
    public boolean needsEventId() {
      for (ItemHeader i : items) if (REQUIRES_EVENT_ID.contains(i.type())) return true;
      return false;
    }

    public List<String> types() {
      return items.stream().map(ItemHeader::type).toList();
    }
  }

  private final Header header;
  private final List<Item> items;

  private Envelope(Header header, List<Item> items) {
    this.header = header;
    this.items = List.copyOf(items);
  }

  public Header header() {
    return header;
  }

  public List<Item> items() {
    return items;
  }

  /** This envelope with other items (same header). */
  public Envelope withItems(List<Item> newItems) {
    return new Envelope(header, newItems);
  }

  /** Serialized: header, then each item's header and payload, each followed by a newline. */
  public byte[] toBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(header.line().length + 64);
    out.write(header.line(), 0, header.line().length);
    out.write('\n');
    for (Item i : items) i.writeTo(out);
    return out.toByteArray();
  }

  /** Reads a decoded envelope held in memory; payloads stay slices of {@code decoded}. */
  public static Envelope parse(byte[] decoded) {
    try {
      Reader r = new Reader(decoded);
      Header header = r.header();
      List<Item> items = new ArrayList<>();
      while (r.moreItems()) {
        Reader.Found f = r.item(items.size() + 1);
        items.add(new Item(f.header(), decoded, (int) f.payloadOffset(), (int) f.header().payloadLength()));
      }
      return new Envelope(header, items);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen: an array is read without I/O
    }
  }

  /**
   * Walks a decoded envelope stream to its end, checking the framing of every item without
   * keeping payloads. {@code maxBytes} bounds how much it reads ({@link ContentEncoding.TooLarge}).
   */
  public static Scan scan(InputStream decoded, long maxBytes) throws IOException {
    Reader r = new Reader(decoded, maxBytes);
    Header header = r.header();
    List<ItemHeader> items = new ArrayList<>();
    while (r.moreItems()) items.add(r.item(items.size() + 1).header());
    return new Scan(header, items);
  }

  /** {@link #scan} of a decoded envelope held in memory (no copy). */
  public static Scan scan(byte[] decoded) {
    try {
      Reader r = new Reader(decoded);
      Header header = r.header();
      List<ItemHeader> items = new ArrayList<>();
      while (r.moreItems()) items.add(r.item(items.size() + 1).header());
      return new Scan(header, items);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen: an array is read without I/O
    }
  }

  /**
   * The payload of the first item of {@code type} in a decoded envelope stream, or null when no
   * such item comes before the end or its payload is longer than {@code maxPayload} (it is not read
   * further). Reads no further than that item, so a stream cut after it (the first piece of a large
   * event, decoded) is enough.
   */
  public static byte[] firstPayload(InputStream decoded, String type, int maxPayload) throws IOException {
    Reader r = new Reader(decoded, Long.MAX_VALUE);
    r.header();
    for (int n = 1; r.moreItems(); n++) {
      Reader.Found f = r.item(n, type, maxPayload);
      if (f.payload() != null) return f.payload();
      if (f.header().type().equals(type)) return null; // too long
    }
    return null;
  }

  /** Only the header line of a decoded envelope stream (reads no further than its newline). */
  public static Header header(InputStream decoded) throws IOException {
    return new Reader(decoded, Long.MAX_VALUE).header();
  }

  /** The header line of a decoded array. */
  public static Header header(byte[] decoded) {
    try {
      return new Reader(decoded).header();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen: an array is read without I/O
    }
  }

  /**
   * {@code decoded} with {@code event_id} set in its header line: inserted right after the opening
   * brace when absent; every other byte stays as it was.
   */
  public static byte[] withEventId(byte[] decoded, String eventId32) {
    Header h = header(decoded);
    if (h.eventId() != null) return decoded;
    int brace = indexOf(decoded, (byte) '{');
    byte[] field = ("\"event_id\":\"" + eventId32 + "\"").getBytes(StandardCharsets.US_ASCII);
    boolean empty = isEmptyObject(h.line());
    ByteArrayOutputStream out = new ByteArrayOutputStream(decoded.length + field.length + 1);
    out.write(decoded, 0, brace + 1);
    out.write(field, 0, field.length);
    if (!empty) out.write(',');
    out.write(decoded, brace + 1, decoded.length - brace - 1);
    return out.toByteArray();
  }

  /**
   * {@code decoded} with the string value of the header's top-level {@code field} replaced by
   * {@code value} (only those characters change), or null when the header has no such string.
   */
  public static byte[] withHeaderString(byte[] decoded, String field, String value) {
    int lineEnd = indexOf(decoded, (byte) '\n');
    int end = lineEnd < 0 ? decoded.length : lineEnd;
    try (JsonParser p = JSON.createParser(decoded, 0, end)) {
      if (p.nextToken() != JsonToken.START_OBJECT) return null;
      for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        if (v == JsonToken.VALUE_STRING && name.equals(field)) {
          long start = p.currentTokenLocation().getByteOffset(); // the opening quote
          p.getText();
          long stop = p.currentLocation().getByteOffset(); // after the closing quote
          byte[] replacement = ("\"" + value + "\"").getBytes(StandardCharsets.UTF_8);
          ByteArrayOutputStream out = new ByteArrayOutputStream(decoded.length + replacement.length);
          out.write(decoded, 0, (int) start);
          out.write(replacement, 0, replacement.length);
          out.write(decoded, (int) stop, decoded.length - (int) stop);
          return out.toByteArray();
        }
        p.skipChildren();
      }
      return null;
    } catch (IOException e) {
      return null;
    }
  }

  private static boolean isEmptyObject(byte[] line) {
    for (byte b : line) if (b != '{' && b != '}' && b != ' ' && b != '\t' && b != '\r' && b != '\n') return false;
    return true;
  }

  private static int indexOf(byte[] b, byte c) {
    for (int i = 0; i < b.length; i++) if (b[i] == c) return i;
    return -1;
  }

  /** The header line with {@code name} set to {@code value} (field order otherwise kept). */
  static byte[] withField(byte[] headerLine, String name, long value) {
    try {
      ObjectNode node = (ObjectNode) MAPPER.readTree(headerLine);
      node.put(name, value);
      return MAPPER.writeValueAsBytes(node);
    } catch (IOException | ClassCastException e) {
      throw new UncheckedIOException(new IOException("item header is not a JSON object", e));
    }
  }

  /**
   * The cursor over a decoded envelope: over an array (no copy) or a stream (an 8 KiB window that
   * grows to at most {@link #MAX_HEADER_LINE} for a long header line).
   */
  private static final class Reader {
    /** {@code payload}: the payload read into an array, when asked for (see {@link #item(int, String, int)}). */
    record Found(ItemHeader header, long payloadOffset, byte[] payload) {
      Found(ItemHeader header, long payloadOffset) {
        this(header, payloadOffset, null);
      }
    }

    private final InputStream in;
    private final long maxBytes;
    private byte[] buf;
    private int pos;
    private int limit;
    private long consumed; // bytes of the stream before buf[0]
    private boolean eof;

    Reader(byte[] decoded) {
      this.in = null;
      this.maxBytes = Long.MAX_VALUE;
      this.buf = decoded;
      this.limit = decoded.length;
      this.eof = true;
    }

    Reader(InputStream in, long maxBytes) {
      this.in = in;
      this.maxBytes = maxBytes;
      this.buf = new byte[8192];
    }

    /** Offset in the decoded envelope of the next unread byte. */
    long offset() {
      return consumed + pos;
    }

    /** Makes at least {@code n} bytes available unless the end comes first; returns what is available. */
    private int fill(int n) throws IOException {
      while (limit - pos < n && !eof) {
        if (pos > 0 && (pos == limit || limit == buf.length)) { // slide what is left to the front
          System.arraycopy(buf, pos, buf, 0, limit - pos);
          consumed += pos;
          limit -= pos;
          pos = 0;
        }
        if (limit == buf.length) {
          if (buf.length >= MAX_HEADER_LINE + 2) return limit - pos;
          buf = java.util.Arrays.copyOf(buf, Math.min(buf.length * 2, MAX_HEADER_LINE + 2));
        }
        int r = in.read(buf, limit, buf.length - limit);
        if (r < 0) {
          eof = true;
        } else {
          limit += r;
          if (consumed + limit > maxBytes) throw new ContentEncoding.TooLarge(maxBytes);
        }
      }
      return limit - pos;
    }

    /** Skips whitespace (space, tab, CR, LF) as serde does before a JSON value; false at the end. */
    private boolean skipWhitespace() throws IOException {
      while (true) {
        if (fill(1) == 0) return false;
        byte b = buf[pos];
        if (b != ' ' && b != '\t' && b != '\r' && b != '\n') return true;
        pos++;
      }
    }

    /** The bytes up to the next newline or the end (not included); the newline, if any, is consumed. */
    private byte[] line(String what) throws IOException {
      int scanned = 0;
      while (true) {
        int avail = fill(scanned + 1);
        for (int i = pos + scanned; i < pos + avail; i++) {
          if (buf[i] == '\n') {
            byte[] line = java.util.Arrays.copyOfRange(buf, pos, i);
            pos = i + 1;
            return line;
          }
        }
        if (avail == scanned) {
          if (!eof) throw new EnvelopeException(what + ": header line longer than " + MAX_HEADER_LINE + " bytes");
          byte[] line = java.util.Arrays.copyOfRange(buf, pos, limit); // the last line, without a newline
          pos = limit;
          return line;
        }
        scanned = avail;
        if (scanned > MAX_HEADER_LINE) throw new EnvelopeException(what + ": header line longer than " + MAX_HEADER_LINE + " bytes");
      }
    }

    Header header() throws IOException {
      if (!skipWhitespace()) throw new EnvelopeException("missing envelope header");
      return parseHeader(line("envelope header"));
    }

    boolean moreItems() throws IOException {
      return fill(1) > 0;
    }

    Found item(int n) throws IOException {
      return item(n, null, 0);
    }

    /**
     * The next item; when its type is {@code keepType} and its payload at most {@code maxKeep}
     * bytes, the payload is read into {@link Found#payload}. An item of that type with a longer
     * payload is returned at once, its payload unread (the reader is then not usable further).
     */
    Found item(int n, String keepType, int maxKeep) throws IOException {
      if (!skipWhitespace()) throw new EnvelopeException("item " + n + ": unexpected end of envelope (blank lines after the last item)");
      byte[] line = line("item " + n);
      String[] type = new String[1];
      long declared = parseItemHeader(line, n, type);
      long payloadOffset = offset();
      boolean keep = type[0].equals(keepType);
      if (keep && declared > maxKeep) return new Found(new ItemHeader(line, type[0], declared, declared), payloadOffset);
      ByteArrayOutputStream kept = keep ? new ByteArrayOutputStream((int) Math.max(0, Math.min(declared, 8192))) : null;
      if (declared >= 0) {
        long need = declared;
        while (need > 0) { // step over the payload (reading and dropping it from a stream, unless kept)
          int avail = fill(1);
          if (avail == 0) {
            throw new EnvelopeException("item " + n + " (" + type[0] + "): length " + declared
                + " runs past the end of the envelope (" + (declared - need) + " bytes of payload)");
          }
          int step = (int) Math.min(avail, need);
          if (kept != null) kept.write(buf, pos, step);
          pos += step;
          need -= step;
        }
        if (fill(1) > 0) {
          if (buf[pos] != '\n') {
            throw new EnvelopeException("item " + n + " (" + type[0] + "): no newline after its " + declared + "-byte payload");
          }
          pos++;
        }
        return new Found(new ItemHeader(line, type[0], declared, declared), payloadOffset, kept == null ? null : kept.toByteArray());
      }
      while (true) { // up to the next newline or the end
        int avail = fill(1);
        if (avail == 0) break;
        int nl = -1;
        for (int i = pos; i < pos + avail; i++) {
          if (buf[i] == '\n') {
            nl = i;
            break;
          }
        }
        int end = nl >= 0 ? nl : pos + avail;
        if (kept != null) {
          if (kept.size() + (end - pos) > maxKeep) return new Found(new ItemHeader(line, type[0], -1, -1), payloadOffset);
          kept.write(buf, pos, end - pos);
        }
        pos = end;
        if (nl >= 0) break;
      }
      long payloadLength = offset() - payloadOffset;
      if (fill(1) > 0) pos++; // the newline
      return new Found(new ItemHeader(line, type[0], -1, payloadLength), payloadOffset, kept == null ? null : kept.toByteArray());
    }

    private static Header parseHeader(byte[] line) {
      String eventId = null, dsn = null, sentAt = null;
      try (JsonParser p = JSON.createParser(line)) {
        if (p.nextToken() != JsonToken.START_OBJECT) throw new EnvelopeException("invalid envelope header");
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
          if (t != JsonToken.FIELD_NAME) throw new EnvelopeException("invalid envelope header");
          String name = p.currentName();
          JsonToken v = p.nextToken();
          if (v == null) throw new EnvelopeException("invalid envelope header");
          if (v == JsonToken.VALUE_NULL) continue;
          switch (name) {
            case "event_id" -> {
              if (v != JsonToken.VALUE_STRING) throw new EnvelopeException("invalid event id");
              eventId = EventIds.normalize(p.getText());
              if (eventId == null) throw new EnvelopeException("invalid event id");
            }
            case "dsn" -> {
              if (v != JsonToken.VALUE_STRING) throw new EnvelopeException("invalid envelope header: dsn is not a string");
              dsn = p.getText();
            }
            case "sent_at" -> {
              if (v == JsonToken.VALUE_STRING) sentAt = p.getText();
              else p.skipChildren();
            }
            default -> p.skipChildren();
          }
        }
        requireEndOfLine(p, line, "invalid envelope header");
      } catch (IOException e) {
        throw new EnvelopeException("invalid envelope header");
      }
      return new Header(line, eventId, dsn, sentAt);
    }

    /** Returns the declared length or -1; sets type[0]. */
    private static long parseItemHeader(byte[] line, int n, String[] type) {
      long length = -1;
      String what = "item " + n + ": invalid item header";
      try (JsonParser p = JSON.createParser(line)) {
        if (p.nextToken() != JsonToken.START_OBJECT) throw new EnvelopeException(what);
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
          if (t != JsonToken.FIELD_NAME) throw new EnvelopeException(what);
          String name = p.currentName();
          JsonToken v = p.nextToken();
          if (v == null) throw new EnvelopeException(what);
          if (name.equals("type")) {
            if (v != JsonToken.VALUE_STRING) throw new EnvelopeException(what + " (type is not a string)");
            type[0] = p.getText();
          } else if (name.equals("length") && v != JsonToken.VALUE_NULL) {
            if (v != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                || p.getLongValue() < 0 || p.getLongValue() > 0xFFFF_FFFFL) {
              throw new EnvelopeException(what + " (length is not a 32-bit unsigned integer)");
            }
            length = p.getLongValue();
          } else {
            p.skipChildren();
          }
        }
        requireEndOfLine(p, line, what);
      } catch (IOException e) {
        throw new EnvelopeException(what);
      }
      if (type[0] == null) throw new EnvelopeException(what + " (no type)");
      return length;
    }

    /** The JSON value must end exactly at the end of its line (Relay: a newline must follow it). */
    private static void requireEndOfLine(JsonParser p, byte[] line, String what) throws IOException {
      if (p.currentLocation().getByteOffset() != line.length) {
        throw new EnvelopeException(what + " (text after the JSON object)");
      }
    }
  }
}
