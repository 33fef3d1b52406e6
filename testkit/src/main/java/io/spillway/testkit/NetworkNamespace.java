package io.spillway.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Linux network namespace joined to this host by veth pairs ("links"), for tests that cut a
 * network link rather than kill a process: a process started with {@link #commandPrefix()} runs
 * inside, reachable from the host at {@link #address(int)} over link {@code i}. {@link #cut(int)}
 * takes the namespace's end of a link down: packets to and from it are dropped (the host keeps a
 * permanent neighbour entry, so not even an ARP failure tells the sender), and connections hang
 * until their timeouts, as across a broken WAN — unlike a killed process, whose port refuses at
 * once. Addresses are link-local ({@code 169.254.x.y}, one /30 per link) and never leave the host.
 *
 * <p>Needs root and iproute2's {@code ip} ({@code tc netem} is not needed); {@link #unavailable()}
 * says why not, for a test assumption. Everything made is removed by {@link #close()} (and by a
 * shutdown hook if a test forgets).
 */
public final class NetworkNamespace implements AutoCloseable {
  private static final AtomicInteger COUNTER = new AtomicInteger();
  private final String name;
  private final String id;
  private final int subnet;
  private final int links;
  private final Thread hook;

  private NetworkNamespace(String name, String id, int subnet, int links) {
    this.name = name;
    this.id = id;
    this.subnet = subnet;
    this.links = links;
    this.hook = new Thread(this::remove, "netns-cleanup-" + name);
  }

  /** Null when this machine can make namespaces; otherwise why not (not root, no {@code ip}, ...). */
  public static String unavailable() {
    String probe = "spwprobe" + ProcessHandle.current().pid();
    Result r = run(List.of("ip", "netns", "add", probe));
    if (r.code != 0) return "cannot create a network namespace (needs root and iproute2's ip): " + r.output.trim();
    run(List.of("ip", "netns", "del", probe));
    return null;
  }

  /** A namespace with {@code links} veth links to the host, each up, with a loopback inside. */
  public static NetworkNamespace create(int links) {
    if (links < 1 || links > 8) throw new IllegalArgumentException("links: 1 to 8, got " + links);
    String id = "s" + (ProcessHandle.current().pid() % 10000) + "x" + COUNTER.incrementAndGet();
    NetworkNamespace ns = new NetworkNamespace("spw-" + id, id, freeSubnet(), links);
    Runtime.getRuntime().addShutdownHook(ns.hook);
    try {
      ns.setUp();
      return ns;
    } catch (RuntimeException e) {
      ns.close();
      throw e;
    }
  }

  private void setUp() {
    must("ip", "netns", "add", name);
    must("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up");
    // Should a host-side route ever vanish, this keeps the namespace's addresses from being sent to the default route.
    must("ip", "route", "add", "unreachable", "169.254." + subnet + ".0/24");
    for (int i = 0; i < links; i++) {
      String host = hostDevice(i);
      String inside = nsDevice(i);
      must("ip", "link", "add", host, "type", "veth", "peer", "name", inside);
      must("ip", "link", "set", inside, "netns", name);
      must("ip", "addr", "add", hostAddress(i) + "/30", "dev", host);
      must("ip", "link", "set", host, "up");
      must("ip", "netns", "exec", name, "ip", "addr", "add", address(i) + "/30", "dev", inside);
      must("ip", "netns", "exec", name, "ip", "link", "set", inside, "up");
      // Permanent neighbours both ways: with the link cut, packets are dropped silently instead of
      // an ARP failure answering "no route to host" after 3 s.
      String insideMac = must("ip", "netns", "exec", name, "cat", "/sys/class/net/" + inside + "/address").trim();
      String hostMac = must("cat", "/sys/class/net/" + host + "/address").trim();
      must("ip", "neigh", "replace", address(i), "lladdr", insideMac, "dev", host, "nud", "permanent");
      must("ip", "netns", "exec", name, "ip", "neigh", "replace", hostAddress(i), "lladdr", hostMac, "dev", inside, "nud", "permanent");
    }
  }

  public String name() {
    return name;
  }

  public int links() {
    return links;
  }

  /** Prepend to a command to run it inside the namespace. */
  public List<String> commandPrefix() {
    return List.of("ip", "netns", "exec", name);
  }

  /** The namespace's address on link {@code i} (what a process inside listens on). */
  public String address(int i) {
    check(i);
    return "169.254." + subnet + "." + (4 * i + 2);
  }

  /** The host's address on link {@code i}. */
  public String hostAddress(int i) {
    check(i);
    return "169.254." + subnet + "." + (4 * i + 1);
  }

  /** Cuts link {@code i}: the namespace's end goes down; connections over it hang until their timeouts. */
  public void cut(int i) {
    check(i);
    must("ip", "netns", "exec", name, "ip", "link", "set", nsDevice(i), "down");
  }

  /** Restores a cut link (its address, route and neighbour come back with it). */
  public void restore(int i) {
    check(i);
    must("ip", "netns", "exec", name, "ip", "link", "set", nsDevice(i), "up");
    String hostMac = must("cat", "/sys/class/net/" + hostDevice(i) + "/address").trim();
    must("ip", "netns", "exec", name, "ip", "neigh", "replace", hostAddress(i), "lladdr", hostMac, "dev", nsDevice(i), "nud", "permanent");
  }

  /** Kills what still runs inside, deletes the namespace (and with it the links) and the guard route. */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException ignored) {
      // shutting down: the hook runs anyway
    }
    remove();
  }

  private synchronized void remove() {
    Result pids = run(List.of("ip", "netns", "pids", name));
    if (pids.code == 0) {
      for (String pid : pids.output.trim().split("\\s+")) {
        if (!pid.isEmpty()) run(List.of("kill", "-9", pid));
      }
    }
    run(List.of("ip", "netns", "del", name));
    for (int i = 0; i < links; i++) run(List.of("ip", "link", "del", hostDevice(i)));
    run(List.of("ip", "route", "del", "unreachable", "169.254." + subnet + ".0/24"));
  }

  private String hostDevice(int i) {
    return id + "h" + i;
  }

  private String nsDevice(int i) {
    return id + "n" + i;
  }

  private void check(int i) {
    if (i < 0 || i >= links) throw new IllegalArgumentException("link " + i + " of " + links);
  }

  /** A 169.254.X.0/24 no interface or route of this host uses yet (X in 200..249, avoiding the metadata address). */
  private static int freeSubnet() {
    String used = run(List.of("ip", "-o", "addr")).output + run(List.of("ip", "route")).output;
    int start = (int) (ProcessHandle.current().pid() % 50);
    for (int k = 0; k < 50; k++) {
      int x = 200 + (start + COUNTER.get() + k) % 50;
      if (!used.contains("169.254." + x + ".")) return x;
    }
    throw new IllegalStateException("no free 169.254.200-249.0/24 subnet on this host");
  }

  private static String must(String... cmd) {
    Result r = run(List.of(cmd));
    if (r.code != 0) throw new IllegalStateException(String.join(" ", cmd) + " exited " + r.code + ": " + r.output.trim());
    return r.output;
  }

  private record Result(int code, String output) {}

  private static Result run(List<String> cmd) {
    try {
      Path out = Files.createTempFile("spillway-netns-", ".out");
      try {
        Process p = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          return new Result(-1, "timed out");
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      return new Result(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, "interrupted");
    }
  }
}
