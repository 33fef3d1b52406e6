package io.spillway.edge;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** HTTP/1.1 over a plain socket, for what java.net.http will not send (exact framing, stalls, oversized bodies). */
final class RawHttp implements AutoCloseable {
  final Socket socket = new Socket();

  RawHttp(int port, int soTimeoutMillis) throws IOException {
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    socket.setSoTimeout(soTimeoutMillis);
  }

  RawHttp write(String s) throws IOException {
    return write(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  RawHttp write(byte[] b) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(b);
    out.flush();
    return this;
  }

  /** A chunk of {@code n} bytes of {@code 'x'}. */
  RawHttp chunk(int n) throws IOException {
    write(Integer.toHexString(n) + "\r\n");
    write("x".repeat(n) + "\r\n");
    return this;
  }

  record Response(int status, String head, String body) {}

  /** Reads one response (status line, headers, Content-Length body); null if the server closed without one. */
  Response read() throws IOException {
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int state = 0;
    while (state < 4) {
      int c = in.read();
      if (c < 0) return null;
      head.write(c);
      state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
    }
    String h = head.toString(StandardCharsets.ISO_8859_1);
    int status = Integer.parseInt(h.substring(9, 12));
    int len = 0;
    for (String line : h.split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) len = Integer.parseInt(line.substring(15).trim());
    }
    byte[] body = in.readNBytes(len);
    return new Response(status, h, new String(body, StandardCharsets.UTF_8));
  }

  /** True once the server has closed the connection (EOF or reset); false if it is still open at SO_TIMEOUT. */
  boolean closedByServer() {
    try {
      InputStream in = socket.getInputStream();
      while (true) {
        int c = in.read();
        if (c < 0) return true;
      }
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
