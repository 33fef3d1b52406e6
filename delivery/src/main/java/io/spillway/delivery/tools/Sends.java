package io.spillway.delivery.tools;

import io.spillway.schemas.config.SpillwayConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A redrive's writes, followed without keeping them: each entry (a record, or all pieces of a
 * large event) is a {@link Unit}; once all of its records are acknowledged, its redriven markers
 * are written (never before: a copy that failed stays redrivable). The producer's own buffer
 * ({@code buffer.memory}) bounds what is in flight; callbacks only queue finished units, the
 * caller's thread writes the markers ({@link #drainMarkers}), as a producer callback must not send.
 */
final class Sends {
  private final KafkaProducer<byte[], byte[]> producer;
  private final SpillwayConfig config;
  private final Queue<Unit> finished = new ConcurrentLinkedQueue<>();
  private final AtomicLong markerFailures = new AtomicLong();
  private final List<String> errors = new ArrayList<>();
  private long entriesAcknowledged;
  private long entriesFailed;
  private long units;

  Sends(KafkaProducer<byte[], byte[]> producer, SpillwayConfig config) {
    this.producer = producer;
    this.config = config;
  }

  /** The records of one entry: its DLQ ids are marked once every one of them is acknowledged. */
  final class Unit {
    private final List<String> ids;
    private int pending;
    private boolean sealed;
    private boolean failed;
    private boolean reported;

    private Unit(List<String> ids) {
      this.ids = List.copyOf(ids);
    }

    private synchronized void sent() {
      pending++;
    }

    private synchronized boolean acked(Exception e) {
      pending--;
      if (e != null) failed = true;
      return ready();
    }

    /** No more records for this entry. */
    void seal() {
      boolean ready;
      synchronized (this) {
        sealed = true;
        ready = ready();
      }
      if (ready) finished.add(this);
    }

    private boolean ready() {
      if (!sealed || pending > 0 || reported) return false;
      reported = true;
      return true;
    }
  }

  Unit unit(List<String> ids) {
    units++;
    return new Unit(ids);
  }

  void send(ProducerRecord<byte[], byte[]> record, Unit unit) {
    unit.sent();
    producer.send(record, (md, e) -> {
      if (e != null) error(unit.ids.get(0) + ": " + e);
      if (unit.acked(e)) finished.add(unit);
    });
  }

  /** Writes the markers of entries whose records are all acknowledged. */
  void drainMarkers() {
    for (Unit u; (u = finished.poll()) != null; ) {
      boolean ok;
      synchronized (u) {
        ok = !u.failed;
      }
      if (!ok) {
        entriesFailed++;
        continue;
      }
      entriesAcknowledged++;
      for (String id : u.ids) {
        producer.send(RedriveMarkers.marker(config, id), (md, e) -> {
          if (e != null) {
            markerFailures.incrementAndGet();
            error("marker " + id + ": " + e);
          }
        });
      }
    }
  }

  /** Waits for every write; throws if a copy or a marker failed, saying what that means. */
  void finish() {
    producer.flush();
    drainMarkers();
    producer.flush();
    if (entriesFailed > 0 || markerFailures.get() > 0) {
      List<String> first;
      synchronized (errors) {
        first = List.copyOf(errors);
      }
      throw new IllegalStateException("redrive: " + entriesAcknowledged + " of " + units + " entries sent back; "
          + entriesFailed + " failed (still redrivable), " + markerFailures.get()
          + " markers failed (those entries may be redriven again); first errors: " + first);
    }
  }

  long entriesAcknowledged() {
    return entriesAcknowledged;
  }

  private void error(String e) {
    synchronized (errors) {
      if (errors.size() < 3) errors.add(e);
    }
  }
}
