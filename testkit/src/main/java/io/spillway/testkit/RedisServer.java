package io.spillway.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real redis-server as a child process, on a random loopback port, with its data in a temp
 * directory. The binary is {@code $SPILLWAY_REDIS_SERVER}, else the one shipped inside the
 * {@code com.github.codemonstur:embedded-redis} jar (Redis 6.2, Linux x86-64), so tests need
 * nothing installed. {@link #kill()} sends SIGKILL (no shutdown save); {@link #start()}
 * restarts it on the same port with the same data directory, as after a crash.
 */
public final class RedisServer implements AutoCloseable {
  /** Redis persistence for the fault tests. */
  public enum Fsync { NONE, EVERYSEC, ALWAYS }

  private static final String BUNDLED = "redis-server-6.2.6-v5-linux-amd64";

  private final int port;
  private final Path dir;
  private final Fsync fsync;
  private final List<String> extraArgs;
  private Process process;

  private RedisServer(int port, Path dir, Fsync fsync, List<String> extraArgs) {
    this.port = port;
    this.dir = dir;
    this.fsync = fsync;
    this.extraArgs = extraArgs;
  }

  /** Starts a server with the given persistence and extra redis-server arguments. */
  public static RedisServer launch(Fsync fsync, String... extraArgs) {
    try {
      RedisServer s = new RedisServer(freePort(), Files.createTempDirectory("spillway-redis-"), fsync, List.of(extraArgs));
      s.start();
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A server on a fixed port whose data lives in {@code dir} across restarts (for {@code spillway
   * up}); {@link #stop()} lets Redis flush its AOF, and {@link #close()} must not be used on it.
   */
  public static RedisServer launchPersistent(Path dir, int port, Fsync fsync) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    RedisServer s = new RedisServer(port, dir, fsync, List.of());
    s.start();
    return s;
  }

  /** Starts a server without persistence. */
  public static RedisServer launch() {
    return launch(Fsync.NONE);
  }

  public int port() {
    return port;
  }

  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  public Path dataDir() {
    return dir;
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Starts (or restarts after {@link #kill()}/{@link #stop()}) and waits until it answers PING. */
  public synchronized void start() {
    if (isRunning()) return;
    List<String> cmd = new ArrayList<>(List.of(binary().toString(),
        "--port", Integer.toString(port), "--bind", "127.0.0.1", "--dir", dir.toString(),
        "--save", "", "--daemonize", "no", "--protected-mode", "no", "--logfile", dir.resolve("redis.log").toString()));
    if (fsync != Fsync.NONE) {
      cmd.addAll(List.of("--appendonly", "yes", "--appendfsync", fsync == Fsync.ALWAYS ? "always" : "everysec"));
    }
    cmd.addAll(extraArgs);
    try {
      process = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(dir.resolve("redis.stdout").toFile()).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + cmd.get(0), e);
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) throw new IllegalStateException("redis-server exited: " + tail());
      if ("+PONG".equals(command("PING"))) return;
      sleep(20);
    }
    process.destroyForcibly(); // never leave an orphan behind a failed start
    waitFor();
    throw new IllegalStateException("redis-server did not answer PING within 20 s: " + tail());
  }

  /** SIGKILL: no save, no goodbye, connections reset. */
  public synchronized void kill() {
    if (process == null) return;
    process.destroyForcibly();
    waitFor();
  }

  /** SIGTERM: Redis flushes the AOF and exits. */
  public synchronized void stop() {
    if (process == null) return;
    process.destroy();
    waitFor();
  }

  /**
   * One inline command over a fresh connection, returning the first reply line (e.g. {@code +PONG},
   * {@code :42}); null if the server is unreachable. For test assertions, not for code under test.
   */
  public String command(String... args) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      s.setSoTimeout(5000);
      StringBuilder req = new StringBuilder("*").append(args.length).append("\r\n");
      for (String a : args) {
        byte[] b = a.getBytes(StandardCharsets.UTF_8);
        req.append('$').append(b.length).append("\r\n").append(a).append("\r\n");
      }
      OutputStream out = s.getOutputStream();
      out.write(req.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = s.getInputStream();
      StringBuilder line = new StringBuilder();
      for (int c; (c = in.read()) >= 0 && c != '\n'; ) if (c != '\r') line.append((char) c);
      return line.toString();
    } catch (IOException e) {
      return null;
    }
  }

  /** {@code XLEN key} as a number. */
  public long xlen(String key) {
    String r = command("XLEN", key);
    if (r == null || !r.startsWith(":")) throw new IllegalStateException("XLEN failed: " + r);
    return Long.parseLong(r.substring(1));
  }

  @Override
  public synchronized void close() {
    kill();
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // temp dir: best effort
    }
  }

  private void waitFor() {
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) throw new IllegalStateException("redis-server did not exit");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private String tail() {
    try {
      return Files.readString(dir.resolve("redis.log"));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  private static synchronized Path binary() {
    String configured = System.getenv("SPILLWAY_REDIS_SERVER");
    if (configured != null && !configured.isEmpty()) return Path.of(configured);
    Path target = Path.of(System.getProperty("java.io.tmpdir"), "spillway-" + BUNDLED);
    if (Files.isExecutable(target)) return target;
    try (InputStream in = RedisServer.class.getClassLoader().getResourceAsStream(BUNDLED)) {
      if (in == null) throw new IllegalStateException(BUNDLED + " not on the classpath (embedded-redis jar missing?)");
      Path tmp = Files.createTempFile(target.getParent(), "spillway-redis", ".tmp");
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A port that was free a moment ago on 127.0.0.1. */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
