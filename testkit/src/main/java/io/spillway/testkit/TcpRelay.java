package io.spillway.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A TCP relay on a free loopback port to a local port: it passes bytes through, or holds every byte
 * while {@link #hold} is on (connections stay open and hang, as on a congested path or behind a
 * stalled peer). Real sockets, a thread per direction: for tests of one or a few connections.
 */
public final class TcpRelay implements AutoCloseable {
  private final ServerSocket server;
  /** Every socket it opened or accepted, closed with it (their pumps then end). */
  private final java.util.Queue<Socket> sockets = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private volatile boolean held;

  public TcpRelay(int targetPort) throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          Socket client = server.accept();
          sockets.add(client);
          Socket target = new Socket(InetAddress.getLoopbackAddress(), targetPort);
          sockets.add(target);
          pump(client, target);
          pump(target, client);
        } catch (IOException e) {
          return;
        }
      }
    }, "relay-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  /** On: bytes are held (in both directions) until it is turned off again. */
  public void hold(boolean on) {
    held = on;
  }

  private void pump(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[8192];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        for (int n; (n = in.read(buf)) > 0; ) {
          while (held) Thread.sleep(5);
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException | InterruptedException e) {
        // the other side closed
      }
    }, "relay-pump");
    t.setDaemon(true);
    t.start();
  }

  /** Stops accepting and closes every connection it relays. */
  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s; (s = sockets.poll()) != null; ) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }
}
