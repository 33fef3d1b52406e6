package io.spillway.rules.privacy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;

/**
 * One scrubber is shared by all of the edge's IO threads, from their first request on. The schema's
 * derived facts were computed lazily and a racing thread could read a provisional answer ("nothing
 * below can be scrubbed"), so an event scrubbed during that window kept its e-mail and IPs (the fault
 * suite saw one such event at its upstream). Each trial loads the scrubber in a class loader of its
 * own, so its schema starts as cold as in a new edge, and scrubs from several threads released at once.
 */
class ScrubberConcurrencyUnitTests {
  static final int TRIALS = 40;
  static final int THREADS = 8;
  static final int EVENTS_PER_THREAD = 20;

  @Test
  void aColdScrubberSharedByThreadsScrubsEveryEvent() throws Exception {
    int leaked = 0;
    for (int trial = 0; trial < TRIALS; trial++) {
      try (Isolated loader = new Isolated()) {
        @SuppressWarnings("unchecked")
        Class<? extends IntSupplier> race = (Class<? extends IntSupplier>) loader.loadClass(Race.class.getName());
        leaked += race.getDeclaredConstructor().newInstance().getAsInt();
      }
    }
    assertThat(leaked).as("events that kept personal data, of " + TRIALS * THREADS * EVENTS_PER_THREAD).isZero();
  }

  /** Runs in its own class loader: counts events scrubbed on racing threads that still carry personal data. */
  public static final class Race implements IntSupplier {
    static final List<String> PERSONAL = List.of("jane.doe@example.com", "203.0.113.7", "hunter2", "4111 1111 1111 1111",
        "198.51.100.23");

    @Override
    public int getAsInt() {
      Scrubber scrubber = Scrubber.of(Scrub.defaultsAndIp());
      byte[] event = ("{\"event_id\":\"0123456789abcdef0123456789abcdef\",\"message\":\"m\",\"level\":\"info\","
          + "\"user\":{\"email\":\"jane.doe@example.com\",\"ip_address\":\"203.0.113.7\"},"
          + "\"extra\":{\"password\":\"hunter2\",\"card\":\"4111 1111 1111 1111\"},"
          + "\"breadcrumbs\":{\"values\":[{\"message\":\"login from 198.51.100.23\"}]}}").getBytes(StandardCharsets.UTF_8);
      CyclicBarrier start = new CyclicBarrier(THREADS);
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      try {
        List<Future<Integer>> results = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
          results.add(pool.submit(() -> {
            start.await();
            int leaks = 0;
            for (int i = 0; i < EVENTS_PER_THREAD; i++) {
              Scrubber.Scrubbed s = scrubber.scrub(Payload.EVENT, event);
              String out = new String(s.json(), s.offset(), s.length(), StandardCharsets.UTF_8);
              if (PERSONAL.stream().anyMatch(out::contains)) leaks++;
            }
            return leaks;
          }));
        }
        int leaks = 0;
        for (Future<Integer> f : results) leaks += f.get();
        return leaks;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  /** Loads this module's and the schemas module's classes itself (child first); the rest from the test's loader. */
  static final class Isolated extends URLClassLoader {
    Isolated() {
      super(new URL[] {location(Scrubber.class), location(io.spillway.schemas.config.PrivacyConfig.class),
          location(ScrubberConcurrencyUnitTests.class)}, ScrubberConcurrencyUnitTests.class.getClassLoader());
    }

    private static URL location(Class<?> c) {
      return c.getProtectionDomain().getCodeSource().getLocation();
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      if (!name.startsWith("io.spillway.")) return super.loadClass(name, resolve);
      synchronized (getClassLoadingLock(name)) {
        Class<?> c = findLoadedClass(name);
        if (c == null) c = findClass(name);
        if (resolve) resolveClass(c);
        return c;
      }
    }
  }
}
