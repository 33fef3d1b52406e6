package io.spillway.delivery.tools;

import io.spillway.schemas.KafkaForm;
import io.spillway.schemas.Route;
import io.spillway.schemas.SpillwayId;
import io.spillway.schemas.config.RouteTable;
import io.spillway.schemas.config.SpillwayConfig;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * {@code spillway replay}: re-delivers a range of {@code kafka.topic}. The selected records are
 * written again to the same topic (same key, value and headers, plus {@value #HEADER} = the replay
 * id), so the running delivery sends them under its normal rules: holds, retries, the DLQ and the
 * fleet-wide rate limits all apply, and there is no second sender to keep in line with them.
 * The originals are only read (assigned partitions, no consumer group), never changed. Records
 * are streamed: memory does not grow with the range.
 *
 * <ul>
 *   <li><b>Per destination.</b> With {@code --route} or {@code --upstream} the copies go to those
 *       destinations only: a copy per destination route of the selection that the record's route
 *       delivers to ({@code copy_to}, with its sample share), carrying
 *       {@code spillway.destination=<that route>}. Without a selection, a copy goes where the
 *       original went.
 *   <li><b>Large events</b> (several records, {@code spillway.chunk}) are replayed whole: an event
 *       is in the range if its first piece is; all its pieces are copied, even those past
 *       {@code --to} (up to the topic's end when the replay started); pieces whose first piece
 *       lies before {@code --from} are skipped.
 *   <li>Records that are themselves replay copies are skipped: the originals in the range stand for them.
 * </ul>
 */
public final class Replay {
  /** Header on every replayed copy: the replay id. */
  public static final String HEADER = KafkaForm.REPLAY;
  /**
   * The counter delivery keeps of what it made of a replay's copies, labelled {@code replay},
   * {@code upstream}, {@code outcome} (exported as {@code <name>_total}); {@link ReplayWatch} reads it.
   */
  public static final String OUTCOMES_METRIC = "spillway_delivery_replay";
  /** A large event whose pieces are this many records apart is not waited for any longer. */
  static final int PIECE_WINDOW = DlqGroups.WINDOW;

  private Replay() {}

  /**
   * Which records to replay, and for which destinations: all (each to where it went), one
   * destination route ({@code upstream/project}) or one upstream's destinations.
   */
  public record Selection(Route route, String upstream) {
    public Selection {
      if (route != null && upstream != null) throw new IllegalArgumentException("choose a route or an upstream, not both");
    }

    public static Selection all() {
      return new Selection(null, null);
    }

    boolean isAll() {
      return route == null && upstream == null;
    }

    boolean takes(Route destination) {
      return route != null ? route.equals(destination) : destination.upstream().equals(upstream);
    }

    /**
     * The destination routes of this selection a record goes to: {@code only} (the route a copy
     * was restricted to) if set, else its route's destinations that take it. Empty: not selected.
     * A route missing from the config is matched by its name (delivery will dead-letter it).
     */
    List<Route> destinations(RouteTable routes, String key, String only, String sampleBy) {
      if (key == null) return List.of();
      Route own;
      try {
        own = Route.parse(key);
      } catch (IllegalArgumentException e) {
        return List.of();
      }
      List<Route> out = new ArrayList<>();
      if (only != null) {
        try {
          Route o = Route.parse(only);
          if (takes(o)) out.add(o);
        } catch (IllegalArgumentException e) {
          // not a route: not selected
        }
        return out;
      }
      List<RouteTable.Destination> ds = routes.destinations(own);
      if (ds.isEmpty() && takes(own)) return List.of(own);
      for (RouteTable.Destination d : ds) if (takes(d.route()) && d.takes(sampleBy)) out.add(d.route());
      return out;
    }
  }

  /**
   * A replay to run.
   *
   * @param source    the topic to read: {@code kafka.topic} when null
   * @param from      first record (inclusive); never null
   * @param to        end (exclusive); null = the topic's end now
   * @param rate      events per second at most (0 = as fast as Kafka takes them)
   */
  public record Request(String source, Bound from, Bound to, Selection selection, boolean dryRun, double rate) {
    public Request {
      if (from == null) throw new NullPointerException("from == null");
      if (selection == null) throw new NullPointerException("selection == null");
      if (rate < 0 || Double.isNaN(rate)) throw new IllegalArgumentException("--rate must be positive, got " + rate);
    }

    public static Request of(Bound from, Bound to, Selection selection) {
      return new Request(null, from, to, selection, false, 0);
    }

    public Request dryRun(boolean dry) {
      return new Request(source, from, to, selection, dry, rate);
    }

    public Request rate(double eventsPerSecond) {
      return new Request(source, from, to, selection, dryRun, eventsPerSecond);
    }

    public Request source(String topic) {
      return new Request(topic, from, to, selection, dryRun, rate);
    }
  }

  /**
   * What a replay did. {@code sent} counts records the broker acknowledged; what delivery then made
   * of them (ok, held, DLQ) is on delivery's metrics and in the DLQ (copies keep {@value #HEADER}).
   *
   * @param startedAt     epoch ms the replay began (its copies and their dead letters are younger)
   * @param scanned       records read
   * @param selected      events selected (a large event counts once)
   * @param records       records written (or that would be): per destination, every piece
   * @param deliveries    deliveries the copies ask for (per destination): what {@code --wait} waits for
   * @param skippedCopies records in the range that were copies of an earlier replay
   * @param skippedPieces pieces whose event's first piece lies before the range
   * @param incomplete    large events begun in the range whose pieces were not all found
   * @param sent          records written and acknowledged (0 on a dry run)
   * @param ranges        per partition, the offsets read: {@code p:[start,end)}
   */
  public record Summary(String replayId, String source, long startedAt, boolean dryRun, long scanned, long selected, long records,
      long deliveries, long skippedCopies, long skippedPieces, long incomplete, long sent, List<String> ranges) {}

  /** Runs a replay; {@code progress} gets a line about once a second. */
  public static Summary run(SpillwayConfig config, Request request, Consumer<String> progress) {
    if (config == null) throw new NullPointerException("config == null");
    if (request == null) throw new NullPointerException("request == null");
    if (progress == null) throw new NullPointerException("progress == null");
    String source = request.source() != null ? request.source() : config.kafka().topic();
    String topic = config.kafka().topic();
    long startedAt = System.currentTimeMillis();
    String replayId = new SpillwayId().next(startedAt);
    byte[] replayIdBytes = replayId.getBytes(StandardCharsets.UTF_8);
    RouteTable routes = config.routes();
    Selection selection = request.selection();
    try (KafkaConsumer<byte[], byte[]> consumer = ToolClients.consumer(config, "spillway-replay");
         KafkaProducer<byte[], byte[]> producer = request.dryRun() ? null : ToolClients.producer(config, "spillway-replay")) {
      List<TopicPartition> tps = ToolClients.partitions(consumer, source, source.equals(topic) ? "kafka.topic" : "--datacenter", config);
      // The end is fixed now: copies written by this replay land after it and are not read again.
      List<Span> spans = Span.resolve(consumer, tps, request.from(), request.to());
      long total = 0;
      for (Span s : spans) total += s.size();
      Counts n = new Counts();
      Acks acks = new Acks();
      Pacer pacer = new Pacer(request.rate());
      Map<Integer, Map<String, Event>> open = new HashMap<>(); // per partition: large events being copied
      long[] lastLine = {System.nanoTime()};
      long totalInRange = total;
      long scanned = RangeReader.read(consumer, spans, new RangeReader.Visitor() {
        @Override
        public boolean visit(ConsumerRecord<byte[], byte[]> r, boolean pastEnd) {
          if (!pastEnd) n.inRange++;
          take(r, pastEnd);
          if (System.nanoTime() - lastLine[0] > TimeUnit.SECONDS.toNanos(1)) {
            lastLine[0] = System.nanoTime();
            progress.accept(line(n.inRange, totalInRange, n.selected, request.dryRun()));
          }
          return true;
        }

        @Override
        public boolean more(TopicPartition tp) {
          Map<String, Event> events = open.get(tp.partition());
          if (events == null) return false;
          for (Event e : events.values()) if (e.selected) return true;
          return false;
        }

        private void take(ConsumerRecord<byte[], byte[]> r, boolean pastEnd) {
          if (r.headers().lastHeader(HEADER) != null) {
            if (!pastEnd) n.skippedCopies++;
            return;
          }
          Piece piece = Piece.of(r);
          if (piece == null) {
            if (!pastEnd) start(r, 1);
            return;
          }
          Map<String, Event> events = open.computeIfAbsent(r.partition(), k -> new HashMap<>());
          Event e = events.get(piece.key);
          if (e == null) {
            if (pastEnd) return;
            if (piece.index != 0) {
              n.skippedPieces++;
              return;
            }
            e = start(r, piece.count);
            events.put(piece.key, e);
          } else if (e.selected && !e.seen.get(piece.index)) {
            write(r, e.destinations);
          }
          e.seen.set(piece.index);
          e.last = r.offset();
          if (e.seen.cardinality() == piece.count) events.remove(piece.key);
          // Pieces of one event are written one after the other; one that stops coming is given up.
          events.values().removeIf(x -> {
            boolean gone = r.offset() - x.last > PIECE_WINDOW;
            if (gone && x.selected) n.incomplete++;
            return gone;
          });
        }

        /** An event (whole, or the first piece of a large one) in the range: selected and copied, or not. */
        private Event start(ConsumerRecord<byte[], byte[]> r, int pieces) {
          List<Route> destinations;
          long deliveries;
          if (selection.isAll()) {
            destinations = null;
            deliveries = deliveriesOf(routes, r);
          } else {
            String eventId = ToolClients.text(r, "event-id");
            String sampleBy = eventId != null ? eventId : ToolClients.text(r, "spillway.id");
            destinations = selection.destinations(routes, r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
                ToolClients.text(r, KafkaForm.ONLY_DESTINATION), sampleBy == null ? "" : sampleBy);
            if (destinations.isEmpty()) return new Event(false, null, pieces);
            deliveries = destinations.size();
          }
          pacer.await();
          n.selected++;
          n.deliveries += deliveries;
          write(r, destinations);
          return new Event(true, destinations, pieces);
        }

        /** One copy per destination (or one as it was, for no selection). */
        private void write(ConsumerRecord<byte[], byte[]> r, List<Route> destinations) {
          if (destinations == null) {
            send(r, null);
          } else {
            for (Route d : destinations) send(r, d.toString());
          }
        }

        private void send(ConsumerRecord<byte[], byte[]> r, String only) {
          n.records++;
          if (producer == null) return;
          RecordHeaders headers = new RecordHeaders();
          for (Header h : r.headers()) if (only == null || !h.key().equals(KafkaForm.ONLY_DESTINATION)) headers.add(h);
          if (only != null) headers.add(KafkaForm.ONLY_DESTINATION, only.getBytes(StandardCharsets.UTF_8));
          headers.add(HEADER, replayIdBytes);
          // Timestamp = now: the topic's time index stays in order; received-at travels in its header.
          producer.send(new ProducerRecord<>(topic, null, null, r.key(), r.value(), headers), acks::done);
        }
      });
      for (Map<String, Event> events : open.values()) n.incomplete += events.values().stream().filter(e -> e.selected).count();
      if (producer != null) {
        producer.flush();
        if (acks.failed.get() > 0) {
          throw new IllegalStateException("replay " + replayId + ": " + acks.failed.get() + " of " + n.records
              + " copies were not acknowledged (" + acks.ok.get() + " were; the range can be replayed again): " + acks.firstError);
        }
      }
      progress.accept(line(n.inRange, totalInRange, n.selected, request.dryRun()));
      return new Summary(replayId, source, startedAt, request.dryRun(), scanned, n.selected, n.records, n.deliveries,
          n.skippedCopies, n.skippedPieces, n.incomplete, acks.ok.get(), spans.stream().map(Span::toString).toList());
    }
  }

  /** Deliveries a copy as it was asks for: one per destination of its route that takes it (or its one destination). */
  private static long deliveriesOf(RouteTable routes, ConsumerRecord<byte[], byte[]> r) {
    if (r.headers().lastHeader(KafkaForm.ONLY_DESTINATION) != null || r.key() == null) return 1;
    try {
      String eventId = ToolClients.text(r, "event-id");
      String sampleBy = eventId != null ? eventId : String.valueOf(ToolClients.text(r, "spillway.id"));
      long n = routes.destinations(Route.parse(new String(r.key(), StandardCharsets.UTF_8))).stream().filter(d -> d.takes(sampleBy)).count();
      return Math.max(1, n); // an unknown route: one dead letter
    } catch (IllegalArgumentException e) {
      return 1;
    }
  }

  private static final class Counts {
    long inRange;
    long selected;
    long records;
    long deliveries;
    long skippedCopies;
    long skippedPieces;
    long incomplete;
  }

  /** A large event being copied: its destinations (decided at its first piece) and the pieces seen. */
  private static final class Event {
    final boolean selected;
    final List<Route> destinations;
    final BitSet seen;
    long last;

    Event(boolean selected, List<Route> destinations, int count) {
      this.selected = selected;
      this.destinations = destinations;
      this.seen = new BitSet(count);
    }
  }

  /** The chunk headers of a piece of a large event; null for a whole record. */
  private record Piece(String key, int index, int count) {
    static Piece of(ConsumerRecord<byte[], byte[]> r) {
      String chunk = ToolClients.text(r, "spillway.chunk");
      String id = ToolClients.text(r, "spillway.id");
      if (chunk == null || id == null) return null;
      int slash = chunk.indexOf('/');
      try {
        int index = Integer.parseInt(chunk.substring(0, slash));
        int count = Integer.parseInt(chunk.substring(slash + 1));
        if (index < 0 || index >= count) return null;
        // One copy of one event: earlier redrives or single-destination copies are events of their own.
        String only = ToolClients.text(r, KafkaForm.ONLY_DESTINATION);
        String redrive = ToolClients.text(r, KafkaForm.REDRIVE);
        return new Piece(id + '\0' + (only == null ? "" : only) + '\0' + (redrive == null ? "" : redrive), index, count);
      } catch (RuntimeException e) {
        return null; // delivery dead-letters what does not parse; copied as a record of its own
      }
    }
  }

  /** Acknowledgements of the copies, counted as they come (no future per record is kept). */
  private static final class Acks {
    final AtomicLong ok = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    volatile String firstError;

    void done(org.apache.kafka.clients.producer.RecordMetadata md, Exception e) {
      if (e == null) {
        ok.incrementAndGet();
      } else {
        if (failed.getAndIncrement() == 0) firstError = String.valueOf(e);
      }
    }
  }

  /** At most {@code rate} events per second: consecutive events at least {@code 1 / rate} apart; 0 = no limit. */
  private static final class Pacer {
    private final long intervalNanos;
    private long next = System.nanoTime();

    Pacer(double rate) {
      this.intervalNanos = rate <= 0 ? 0 : (long) (1e9 / rate);
    }

    void await() {
      if (intervalNanos == 0) return;
      long wait = next - System.nanoTime();
      if (wait > 0) {
        try {
          TimeUnit.NANOSECONDS.sleep(wait);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("replay interrupted", e);
        }
      }
      next = Math.max(next, System.nanoTime()) + intervalNanos; // no catching up: never two events closer than the interval
    }
  }

  private static String line(long scanned, long total, long selected, boolean dryRun) {
    return DeadLetters.bar(scanned, total) + " " + scanned + "/" + total + " read, " + selected + (dryRun ? " would be replayed" : " replayed");
  }
}
