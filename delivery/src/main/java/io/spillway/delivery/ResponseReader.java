package io.spillway.delivery;

import java.io.IOException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Reads one HTTP/1.1 response from bytes as they arrive (any split), for both of
 * {@link Http1Client}'s transports: status line and headers (kept, names lower-cased, the first of
 * a repeated header wins), then the body skipped according to its framing — none (1xx, 204,
 * 304), {@code Content-Length}, chunked (trailers skipped), or until the server closes. The request
 * side is {@link UpstreamRequest#head}.
 */
final class ResponseReader {
  /** Longest status line + headers accepted. */
  static final int MAX_HEAD = 64 * 1024;

  private enum State { HEAD, LENGTH, CHUNK_SIZE, CHUNK_DATA, CHUNK_CRLF, TRAILERS, UNTIL_CLOSE, DONE }

  private State state = State.HEAD;
  private final StringBuilder line = new StringBuilder(128);
  private String statusLine;
  private final Map<String, String> headers = new HashMap<>();
  private long remaining;
  private boolean close;
  private boolean started;

  /**
   * Takes bytes from {@code b[off, off+len)}; returns how many it used (fewer than {@code len} only
   * once the response is complete: the rest belongs to nothing we asked for).
   */
  int feed(byte[] b, int off, int len) throws IOException {
    try {
      return read(b, off, len);
    } catch (NumberFormatException e) {
      throw new IOException("malformed answer: " + e.getMessage());
    }
  }

  private int read(byte[] b, int off, int len) throws IOException {
    if (len > 0) started = true;
    int i = off;
    int end = off + len;
    while (i < end && state != State.DONE) {
      switch (state) {
        case LENGTH, CHUNK_DATA -> {
          int n = (int) Math.min(remaining, end - i);
          i += n;
          remaining -= n;
          if (remaining == 0) state = state == State.LENGTH ? State.DONE : State.CHUNK_CRLF;
        }
        case UNTIL_CLOSE -> i = end;
        default -> { // line-based states
          byte c = b[i++];
          if (c == '\n') {
            String l = line.toString();
            line.setLength(0);
            onLine(l);
          } else if (c != '\r') {
            if (line.length() >= MAX_HEAD) throw new IOException("response head too long");
            line.append((char) (c & 0xff));
          }
        }
      }
    }
    return i - off;
  }

  /** The server closed the connection: completes a body that runs until close, else fails. */
  void eof() throws IOException {
    if (state == State.UNTIL_CLOSE) {
      state = State.DONE;
      close = true;
    } else if (state != State.DONE) {
      throw new java.io.EOFException(started ? "connection closed mid-answer" : "connection closed before the status line");
    }
  }

  /** Whether any byte of the answer arrived (a kept-alive connection closed before that was stale). */
  boolean started() {
    return started;
  }

  boolean done() {
    return state == State.DONE;
  }

  /** The connection cannot carry another request after this response. */
  boolean close() {
    return close;
  }

  Http1Client.Response response() {
    return new Http1Client.Response(Integer.parseInt(statusLine.substring(9, 12)), headers);
  }

  private void onLine(String l) throws IOException {
    switch (state) {
      case HEAD -> {
        if (statusLine == null) {
          if (!l.startsWith("HTTP/1.") || l.length() < 12) throw new IOException("bad status line");
          statusLine = l;
          Integer.parseInt(l.substring(9, 12)); // NumberFormatException is a bad status line too
        } else if (!l.isEmpty()) {
          int colon = l.indexOf(':');
          if (colon > 0) headers.putIfAbsent(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
        } else {
          headEnded();
        }
      }
      case CHUNK_SIZE -> {
        int semi = l.indexOf(';');
        long n = Long.parseLong((semi < 0 ? l : l.substring(0, semi)).trim(), 16);
        if (n == 0) {
          state = State.TRAILERS;
        } else {
          remaining = n;
          state = State.CHUNK_DATA;
        }
      }
      case CHUNK_CRLF -> state = State.CHUNK_SIZE;
      case TRAILERS -> {
        if (l.isEmpty()) state = State.DONE;
      }
      default -> throw new IllegalStateException(state.name());
    }
  }

  private void headEnded() {
    int code = Integer.parseInt(statusLine.substring(9, 12));
    close = "close".equalsIgnoreCase(headers.get("connection")) || statusLine.startsWith("HTTP/1.0");
    if (code == 204 || code == 304 || (code >= 100 && code < 200)) {
      state = State.DONE;
    } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      state = State.CHUNK_SIZE;
    } else if (headers.containsKey("content-length")) {
      remaining = Long.parseLong(headers.get("content-length"));
      state = remaining == 0 ? State.DONE : State.LENGTH;
    } else {
      state = State.UNTIL_CLOSE;
    }
  }
}
