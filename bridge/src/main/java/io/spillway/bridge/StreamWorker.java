package io.spillway.bridge;

import io.lettuce.core.Consumer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.micrometer.core.instrument.Counter;
import io.spillway.kafka.KafkaClients;
import io.spillway.kafka.KafkaRecords;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.Chunks;
import io.spillway.schemas.RecordFormatException;
import io.spillway.schemas.RedisForm;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves one Redis stream into Kafka. One thread, one Redis connection (XREADGROUP BLOCK holds
 * it). Batches are produced asynchronously, a few at a time; an entry is XACKed and XDELed (in
 * one Lua call, so a crash cannot leave it acknowledged but still in the stream) only after
 * Kafka acknowledged its record. Whatever is not acknowledged stays in this consumer's pending
 * list and is read again (from id 0) after a back-off, or taken over by another bridge with
 * XAUTOCLAIM if this one dies.
 */
final class StreamWorker implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(StreamWorker.class);
  static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
  private static final String ACK_AND_DELETE =
      "redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, 2)) return redis.call('XDEL', KEYS[1], unpack(ARGV, 2))";
  /** Lua's unpack is limited to a few thousand values. */
  private static final int ACK_CHUNK = 1000;
  /** Batches produced but not yet acknowledged; bounds what an outage can leave in the producer. */
  static final int MAX_BATCHES_IN_FLIGHT = 16;
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
  /**
   * Bytes one read aims at: XREADGROUP counts entries, not bytes, so the count is derived from the
   * average entry size seen so far (chunks of large events are up to 512 KiB each).
   */
  static final long READ_BUDGET_BYTES = 8L * 1024 * 1024;
  /** Body bytes produced and not yet acknowledged: half the producer's buffer, so send() never blocks on it. */
  static final long MAX_BYTES_IN_FLIGHT = KafkaLink.BUFFER_MEMORY / 2;

  private final String stream;
  private final Consumer<String> consumer;
  private final String group;
  private final int batchSize;
  private final Duration block;
  private final Duration claimIdle;
  private final String deadLetterStream;
  private final RedisClient client;
  private final String redactedUri;
  private final KafkaLink kafka;
  private final Status redisStatus;
  private final BridgeMetrics metrics;
  private final Counter moved;
  private final Counter deadLettered;
  private final Counter claimed;

  private final LinkedBlockingQueue<Batch> completed = new LinkedBlockingQueue<>();
  private final Set<String> inFlightIds = ConcurrentHashMap.newKeySet();
  private final List<String> acksToRetry = new ArrayList<>();
  private volatile boolean running = true;
  private int batchesInFlight;
  private long bytesInFlight;
  /** Moving average of the body bytes per entry read, for the next read's count. */
  private double averageEntryBytes = 64 * 1024;

  private StatefulRedisConnection<String, byte[]> connection;
  private RedisCommands<String, byte[]> redis;
  private boolean groupReady;
  private boolean readingPending = true; // start with our own pending entries (a previous life of this consumer)
  private String pendingCursor = "0";
  private boolean recovering;
  private boolean claimScanActive;
  private String claimCursor = "0-0";
  private long lastClaimScan = System.nanoTime();
  private long backoffMillis = 100; // after a Redis error; reset by any step that went through
  private long kafkaBackoffMillis = 100; // before producing failed records again; reset by an acknowledged batch

  StreamWorker(String stream, String group, String consumer, int batchSize, Duration block, Duration claimIdle,
      String deadLetterStream, RedisClient client, String redactedUri, KafkaLink kafka, Status redisStatus, BridgeMetrics metrics) {
    if (stream == null) throw new NullPointerException("stream == null");
    this.stream = stream;
    this.group = group;
    this.consumer = Consumer.from(group, consumer);
    this.batchSize = batchSize;
    this.block = block;
    this.claimIdle = claimIdle;
    this.deadLetterStream = deadLetterStream;
    this.client = client;
    this.redactedUri = redactedUri;
    this.kafka = kafka;
    this.redisStatus = redisStatus;
    this.metrics = metrics;
    this.moved = metrics.moved(stream);
    this.deadLettered = metrics.deadLettered(stream);
    this.claimed = metrics.claimed(stream);
  }

  /** Stops reading; {@link #run()} then finishes the batches in flight (produce + XACK) and returns. */
  void stop() {
    running = false;
  }

  @Override
  public void run() {
    while (running) {
      try {
        step();
        backoffMillis = 100;
      } catch (RedisException e) {
        metrics.error("redis");
        redisStatus.failed("redis error on " + stream + " (" + redactedUri + "): " + KafkaClients.describe(e));
        if (String.valueOf(e.getMessage()).contains("NOGROUP")) groupReady = false; // Redis lost its data
        // whatever was read but not yet handed to Kafka is still in our pending list: read it again, a
        // chunk's worth of entries at a time (a read of a large event's pieces that timed out would time out
        // again at the same count, for ever: a 100 MiB report was never moved)
        readingPending = true;
        pendingCursor = "0";
        averageEntryBytes = Math.max(averageEntryBytes, Chunks.CHUNK_BYTES);
        log.warn("redis error on {}: {}", stream, KafkaClients.describe(e));
        backoff();
      } catch (RuntimeException e) {
        metrics.error("internal");
        log.error("unexpected error on {}", stream, e);
        readingPending = true;
        pendingCursor = "0";
        backoff();
      } catch (Error e) {
        log.error("worker for {} stopped", stream, e);
        throw e;
      }
    }
    finish();
  }

  private void step() {
    connect();
    drainCompleted(0);
    if (!acksToRetry.isEmpty()) return; // drainCompleted threw or will retry: never read ahead of XACKs
    if (!kafka.topicsReady()) {
      sleep(200);
      return;
    }
    if (recovering) {
      if (batchesInFlight > 0) {
        drainCompleted(200);
        return;
      }
      sleep(kafkaBackoffMillis);
      kafkaBackoffMillis = Math.min(kafkaBackoffMillis * 2, MAX_BACKOFF.toMillis());
      recovering = false;
      readingPending = true;
      pendingCursor = "0";
      return;
    }
    // Kafka in trouble: one batch at a time, so the producer never holds more than that
    int limit = kafka.healthy() ? MAX_BATCHES_IN_FLIGHT : 1;
    if (batchesInFlight >= limit || (batchesInFlight > 0 && bytesInFlight >= MAX_BYTES_IN_FLIGHT)) {
      drainCompleted(200);
      return;
    }
    List<StreamMessage<String, byte[]>> entries = next();
    if (entries.isEmpty()) {
      if (batchesInFlight > 0) drainCompleted(block.toMillis());
      return;
    }
    submit(entries);
  }

  private void connect() {
    if (connection == null) {
      connection = client.connect(CODEC);
      redis = connection.sync();
    }
    if (!groupReady) {
      try {
        redis.xgroupCreate(XReadArgs.StreamOffset.from(stream, "0"), group, XGroupCreateArgs.Builder.mkstream());
        log.info("created consumer group {} on {}", group, stream);
      } catch (RedisException e) {
        if (!String.valueOf(e.getMessage()).startsWith("BUSYGROUP")) throw e;
      }
      groupReady = true;
      readingPending = true;
      pendingCursor = "0";
    }
  }

  /** Own pending entries first, then a periodic XAUTOCLAIM scan, then new entries. */
  private List<StreamMessage<String, byte[]>> next() {
    if (readingPending) {
      // a previous life's pending entries may be a large event's pieces: never more than the read budget of them
      int count = (int) Math.max(1, Math.min(readCount(), READ_BUDGET_BYTES / Chunks.CHUNK_BYTES));
      List<StreamMessage<String, byte[]>> raw = redis.xreadgroup(consumer, XReadArgs.Builder.count(count),
          XReadArgs.StreamOffset.from(stream, pendingCursor));
      if (raw.isEmpty()) {
        readingPending = false;
        return List.of();
      }
      pendingCursor = raw.get(raw.size() - 1).getId();
      return withoutInFlight(raw);
    }
    long claimEvery = Math.max(claimIdle.toNanos() / 2, TimeUnit.MILLISECONDS.toNanos(200));
    if (claimScanActive || System.nanoTime() - lastClaimScan >= claimEvery) {
      var result = redis.xautoclaim(stream, new XAutoClaimArgs<String>().consumer(consumer)
          .minIdleTime(claimIdle).startId(claimCursor).count(readCount()));
      claimCursor = result.getId();
      claimScanActive = !"0-0".equals(claimCursor);
      if (!claimScanActive) lastClaimScan = System.nanoTime();
      List<StreamMessage<String, byte[]>> taken = withoutInFlight(result.getMessages());
      if (!taken.isEmpty()) {
        claimed.increment(taken.size());
        log.info("claimed {} entries idle for more than {} on {}", taken.size(), claimIdle, stream);
        return taken;
      }
    }
    XReadArgs args = XReadArgs.Builder.count(readCount());
    if (batchesInFlight == 0) args.block(block); // with batches in flight, wait on their acks instead
    return redis.xreadgroup(consumer, args, XReadArgs.StreamOffset.lastConsumed(stream));
  }

  /** Entries to ask for: {@code bridge.batch_size}, fewer when entries are large (chunks), at least one. */
  private int readCount() {
    return (int) Math.max(1, Math.min(batchSize, READ_BUDGET_BYTES / Math.max(1.0, averageEntryBytes)));
  }

  /** Entries of ours still waiting for Kafka are not produced a second time. */
  private List<StreamMessage<String, byte[]>> withoutInFlight(List<StreamMessage<String, byte[]>> raw) {
    if (inFlightIds.isEmpty()) return raw;
    List<StreamMessage<String, byte[]>> out = new ArrayList<>(raw.size());
    for (StreamMessage<String, byte[]> m : raw) if (!inFlightIds.contains(m.getId())) out.add(m);
    return out;
  }

  private void submit(List<StreamMessage<String, byte[]>> entries) {
    metrics.batchSize.record(entries.size());
    Batch batch = new Batch(entries);
    // down slowly, up at once: the next read after a large event's first pieces must not ask for hundreds more of them
    averageEntryBytes = Math.max(batch.largest, 0.7 * averageEntryBytes + 0.3 * ((double) batch.bytes / entries.size()));
    batchesInFlight++;
    bytesInFlight += batch.bytes;
    try {
      send(entries, batch);
    } finally {
      batch.seal(); // even after a Redis error mid-batch: what was sent completes and is acked
    }
  }

  private void send(List<StreamMessage<String, byte[]>> entries, Batch batch) {
    // set when a send failed at once (no metadata within max.block.ms, buffer full, producer
    // closed): the rest of the batch is not even tried, or each record would block again
    Exception refused = null;
    for (StreamMessage<String, byte[]> m : entries) {
      Map<String, byte[]> fields = m.getBody();
      if (fields == null || fields.isEmpty()) {
        // in our pending list but gone from the stream: trimmed (XTRIM/MAXLEN) by someone; nothing to produce
        metrics.error("trimmed");
        log.warn("entry {} of {} was pending but no longer exists in the stream", m.getId(), stream);
        batch.ackWithoutRecord(m.getId());
        continue;
      }
      BufferedEvent event;
      try {
        event = RedisForm.decode(fields);
      } catch (RecordFormatException e) {
        deadLetter(m, "undecodable: " + e.getMessage());
        continue;
      }
      if (refused == null && !running) refused = new KafkaException("not sent: the bridge is stopping");
      if (refused != null) {
        batch.sending(m.getId(), 1);
        batch.done(m.getId(), refused); // stays pending; produced again later
        continue;
      }
      inFlightIds.add(m.getId());
      // A large event the edge wrote whole (before it wrote chunks) travels in chunks all the same.
      List<BufferedEvent> records = event.isChunk() ? List.of(event) : Chunks.split(event);
      batch.sending(m.getId(), records.size());
      for (BufferedEvent piece : records) {
        if (refused != null) {
          batch.done(m.getId(), refused);
          continue;
        }
        ProducerRecord<byte[], byte[]> record = KafkaRecords.toRecord(kafka.topic(), piece);
        long start = System.nanoTime();
        try {
          Future<RecordMetadata> f = kafka.producer().send(record, (md, e) -> {
            if (e == null) metrics.produceLatency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            batch.done(m.getId(), e);
          });
          if (f.isDone()) refused = failureOf(f); // a send that completed at once can only have failed
        } catch (RuntimeException e) {
          // thrown instead of calling back: producer closed or in a fatal state
          refused = e instanceof KafkaException ? e : new KafkaException(e);
          batch.done(m.getId(), refused);
        }
      }
    }
  }

  /** The failure of a completed send, unless it concerns only that record (too large …). */
  private static Exception failureOf(Future<RecordMetadata> f) {
    try {
      f.get();
      return null;
    } catch (ExecutionException e) {
      Exception cause = e.getCause() instanceof Exception x ? x : e;
      return isRecordRejected(cause) ? null : cause;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return e;
    }
  }

  /** Handles finished batches; waits up to {@code waitMillis} for the first one. */
  private void drainCompleted(long waitMillis) {
    if (!acksToRetry.isEmpty()) ackAndDelete(acksToRetry); // Redis was down last time: ack before anything else
    Batch b;
    try {
      b = waitMillis > 0 ? completed.poll(waitMillis, TimeUnit.MILLISECONDS) : completed.poll();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
      return;
    }
    while (b != null) {
      batchesInFlight--;
      bytesInFlight -= b.bytes;
      List<String> ok = b.acknowledged();
      Exception failure = null;
      int failed = 0;
      for (Map.Entry<String, Exception> f : b.failures().entrySet()) {
        inFlightIds.remove(f.getKey());
        if (isRecordRejected(f.getValue())) {
          // Kafka will never take this record (too large, invalid): retrying would block the stream
          deadLetter(b.entry(f.getKey()), "rejected by kafka: " + KafkaClients.describe(f.getValue()));
        } else {
          failed++;
          failure = f.getValue();
        }
      }
      if (failed > 0 && !running) {
        recovering = true; // stopping: what was not sent stays pending for the next bridge
      } else if (failed > 0) {
        metrics.error("kafka");
        kafka.sendFailed(failure);
        log.warn("{} of {} records from {} not acknowledged by kafka ({}); they stay pending and will be produced again",
            failed, b.size(), stream, KafkaClients.describe(failure));
        recovering = true;
      } else if (!ok.isEmpty()) {
        kafka.acknowledged();
        kafkaBackoffMillis = 100;
      }
      acksToRetry.addAll(ok);
      ackAndDelete(acksToRetry);
      b = completed.poll();
    }
  }

  private static boolean isRecordRejected(Exception e) {
    return e instanceof RecordTooLargeException || e instanceof RecordBatchTooLargeException || e instanceof InvalidRecordException;
  }

  /** XACK + XDEL atomically; on a Redis error the ids are kept and retried first thing next time. */
  private void ackAndDelete(List<String> ids) {
    while (!ids.isEmpty()) {
      List<String> chunk = ids.subList(0, Math.min(ACK_CHUNK, ids.size()));
      byte[][] args = new byte[chunk.size() + 1][];
      args[0] = group.getBytes(StandardCharsets.UTF_8);
      for (int i = 0; i < chunk.size(); i++) args[i + 1] = chunk.get(i).getBytes(StandardCharsets.UTF_8);
      redis.eval(ACK_AND_DELETE, ScriptOutputType.INTEGER, new String[] {stream}, args);
      redisStatus.ok();
      moved.increment(countProduced(chunk));
      inFlightIds.removeAll(chunk);
      chunk.clear();
    }
  }

  private final Set<String> notProduced = ConcurrentHashMap.newKeySet();

  private int countProduced(List<String> ids) {
    int n = 0;
    for (String id : ids) if (!notProduced.remove(id)) n++;
    return n;
  }

  /** The original fields plus {@code reason}, {@code source_stream}, {@code source_id}; then the original goes. */
  private void deadLetter(StreamMessage<String, byte[]> m, String reason) {
    Map<String, byte[]> fields = new LinkedHashMap<>(m.getBody());
    fields.put("reason", reason.getBytes(StandardCharsets.UTF_8));
    fields.put("source_stream", stream.getBytes(StandardCharsets.UTF_8));
    fields.put("source_id", m.getId().getBytes(StandardCharsets.UTF_8));
    redis.xadd(deadLetterStream, fields);
    notProduced.add(m.getId());
    ackAndDelete(new ArrayList<>(List.of(m.getId())));
    deadLettered.increment();
    metrics.error("decode");
    log.warn("entry {} of {} moved to {}: {}", m.getId(), stream, deadLetterStream, reason);
  }

  /** On stop: wait (bounded by the producer's delivery timeout) for the batches in flight, ack them. */
  private void finish() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    while ((batchesInFlight > 0 || !acksToRetry.isEmpty()) && System.nanoTime() < deadline) {
      try {
        drainCompleted(200);
      } catch (RuntimeException e) {
        log.warn("while finishing {}: {}", stream, KafkaClients.describe(e));
        sleep(200);
      }
    }
    if (batchesInFlight > 0) log.warn("stopped with {} batches unacknowledged on {}; they stay pending", batchesInFlight, stream);
    if (connection != null) connection.close();
  }

  private void backoff() {
    sleep(backoffMillis);
    backoffMillis = Math.min(backoffMillis * 2, MAX_BACKOFF.toMillis());
  }

  private void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  /** The records of one read, completed by the producer's callbacks. */
  private final class Batch {
    private final Map<String, StreamMessage<String, byte[]>> entries = new LinkedHashMap<>();
    /** Per entry: records sent and not yet answered (a large event is several records). */
    private final Map<String, Integer> unanswered = new HashMap<>();
    private final List<String> acknowledged = new ArrayList<>();
    private final Map<String, Exception> failures = new LinkedHashMap<>();
    private int outstanding = 1; // the seal
    final long bytes;
    final long largest;

    Batch(List<StreamMessage<String, byte[]>> list) {
      long n = 0;
      long max = 0;
      for (StreamMessage<String, byte[]> m : list) {
        entries.put(m.getId(), m);
        byte[] body = m.getBody() == null ? null : m.getBody().get("body");
        int len = body == null ? 0 : body.length;
        n += len;
        max = Math.max(max, len);
      }
      this.bytes = n;
      this.largest = max;
    }

    /** {@code records} records of entry {@code id} are being produced; each is answered by {@link #done}. */
    synchronized void sending(String id, int records) {
      outstanding += records;
      unanswered.merge(id, records, Integer::sum);
    }

    synchronized void ackWithoutRecord(String id) {
      notProduced.add(id);
      acknowledged.add(id);
    }

    /**
     * One record of entry {@code id} answered. The entry is acknowledged once all its records are,
     * and failed if any of them failed (then it stays pending and all its records are produced again).
     */
    void done(String id, Exception e) {
      boolean last;
      synchronized (this) {
        if (e != null) failures.putIfAbsent(id, e);
        int left = unanswered.merge(id, -1, Integer::sum);
        if (left == 0 && !failures.containsKey(id)) acknowledged.add(id);
        last = --outstanding == 0;
      }
      if (last) completed.add(this);
    }

    void seal() {
      boolean last;
      synchronized (this) {
        last = --outstanding == 0;
      }
      if (last) completed.add(this);
    }

    synchronized List<String> acknowledged() {
      return new ArrayList<>(acknowledged);
    }

    synchronized Map<String, Exception> failures() {
      return new LinkedHashMap<>(failures);
    }

    StreamMessage<String, byte[]> entry(String id) {
      return entries.get(id);
    }

    int size() {
      return entries.size();
    }
  }
}
