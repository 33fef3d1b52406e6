package io.spillway.delivery;

import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBufferManager;

/**
 * One RocksDB memory budget ({@code delivery.store_memory}) for every store of a delivery instance,
 * the way Kafka Streams' documentation bounds RocksDB: one block cache shared by all stores, and
 * the stores' write buffers (memtables) charged to that same cache through a
 * {@link WriteBufferManager}, index and filter blocks included. Without it each store of each task
 * has its own 50 MiB block cache and up to three 16 MiB memtables: with 12 partitions and two stores
 * per task that is over 2 GiB at worst, and what an instance actually used grew with the partitions
 * it owned, not with its work.
 *
 * <p>Streams creates the {@link Setter} by reflection, once per store; it finds its instance's
 * budget in the Streams config under {@link #CONFIG}.
 */
final class StoreMemory implements AutoCloseable {
  /** Streams config key holding this object (not a Kafka setting: Streams passes unknown keys through). */
  static final String CONFIG = "spillway.delivery.store.memory";
  /** Memtables may take up to this share of the budget; the rest is block cache (reads back, index, filters). */
  static final double WRITE_BUFFER_SHARE = 0.5;
  /**
   * Per store: a memtable is flushed at this size (or earlier, when all memtables together reach
   * their share). Large enough that an event put and deleted soon after meet in the memtable and
   * never reach an SST file in the common case, small enough for several stores to share the budget.
   */
  static final long WRITE_BUFFER_BYTES = 8L << 20;

  final long bytes;
  private final Cache cache;
  private final WriteBufferManager writeBuffers;

  StoreMemory(long bytes) {
    if (bytes <= 0) throw new IllegalArgumentException("bytes <= 0: " + bytes);
    this.bytes = bytes;
    RocksDB.loadLibrary(); // idempotent; Streams loads it only when it opens the first store
    // Not strict: a read that needs a block gets it even when the cache is full (no read errors).
    // High-priority pool for index and filter blocks, so a scan of cold events cannot evict them.
    this.cache = new LRUCache(bytes, -1, false, 0.1);
    this.writeBuffers = new WriteBufferManager((long) (bytes * WRITE_BUFFER_SHARE), cache);
  }

  void apply(Options options) {
    BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
    table.setBlockCache(cache);
    table.setCacheIndexAndFilterBlocks(true);
    table.setCacheIndexAndFilterBlocksWithHighPriority(true);
    table.setPinTopLevelIndexAndFilter(true);
    options.setTableFormatConfig(table);
    options.setWriteBufferManager(writeBuffers);
    options.setWriteBufferSize(Math.min(WRITE_BUFFER_BYTES, Math.max(1L << 20, (long) (bytes * WRITE_BUFFER_SHARE) / 2)));
    options.setMaxWriteBufferNumber(2);
  }

  /**
   * Releases this object's handles. The native cache and write-buffer manager live on as long as a
   * store still refers to them (they are reference-counted), so closing after Streams is safe.
   */
  @Override
  public void close() {
    writeBuffers.close();
    cache.close();
  }

  /** Named in {@code rocksdb.config.setter}; one per store, made by Streams. */
  public static final class Setter implements RocksDBConfigSetter {
    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
      Object memory = configs.get(CONFIG);
      if (!(memory instanceof StoreMemory m)) {
        throw new IllegalStateException(CONFIG + " is not set: stores of " + storeName + " would have no memory bound");
      }
      m.apply(options);
    }

    @Override
    public void close(String storeName, Options options) {
      // the cache and the write-buffer manager are shared: StoreMemory.close() releases them
    }
  }
}
