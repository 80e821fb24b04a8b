package dev.skein.storage.state;

import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The broker's small, keyed, mutable state in one RocksDB database per data directory (by convention
 * {@code <data-dir>/}{@value #DIRECTORY_NAME}). Never log data.
 *
 * <p>Keys and values are opaque bytes in a {@link StateNamespace}. Writes are not fsynced unless asked
 * ({@link #write(Consumer, boolean)} with {@code sync}, or {@link #syncWal()}): RocksDB's write-ahead log
 * survives a process crash, and the periodic checkpoints written here only lose freshness, never safety,
 * when a power failure drops the last ones.
 *
 * <p>Thread-safe. {@link #close()} waits for calls in progress and then frees every native resource; a
 * call after close throws {@link IllegalStateException} rather than touching freed native memory.
 */
public final class StateStore implements AutoCloseable {

  public static final String DIRECTORY_NAME = "state";

  private static final Logger log = LoggerFactory.getLogger(StateStore.class);

  /** Atomic group of writes; see {@link #write(Consumer, boolean)}. */
  public interface Batch {
    void put(StateNamespace namespace, byte[] key, byte[] value);

    void delete(StateNamespace namespace, byte[] key);
  }

  private final Path directory;
  private final RocksDB db;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions columnFamilyOptions;
  private final List<ColumnFamilyHandle> handles;
  private final Map<StateNamespace, ColumnFamilyHandle> namespaces;
  private final WriteOptions asyncWrites;
  private final WriteOptions syncWrites;
  /** Fsyncs of the write-ahead log so far (synced writes and {@link #syncWal()} calls). */
  private final LongAdder walSyncs = new LongAdder();
  /** Calls hold it shared; close holds it exclusively, so no call uses a freed handle. */
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private boolean closed;

  private StateStore(Path directory, RocksDB db, DBOptions dbOptions, ColumnFamilyOptions columnFamilyOptions,
            List<ColumnFamilyHandle> handles, Map<StateNamespace, ColumnFamilyHandle> namespaces) {
    this.directory = directory;
    this.db = db;
    this.dbOptions = dbOptions;
    this.columnFamilyOptions = columnFamilyOptions;
    this.handles = handles;
    this.namespaces = namespaces;
    this.asyncWrites = new WriteOptions();
    this.syncWrites = new WriteOptions().setSync(true);
  }

  /** Opens or creates the store in {@code directory}. */
  public static StateStore open(Path directory) {
    RocksDB.loadLibrary();
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not create state directory " + directory, e);
    }
    String path = directory.toString();
    // RocksDB must open every column family a database has, including ones a newer version added.
    Set<String> families = new LinkedHashSet<>();
    families.add(new String(RocksDB.DEFAULT_COLUMN_FAMILY, StandardCharsets.UTF_8));
    families.addAll(existingColumnFamilies(directory));
    for (StateNamespace namespace : StateNamespace.values()) {
      families.add(namespace.columnFamilyName());
    }

    ColumnFamilyOptions columnFamilyOptions = new ColumnFamilyOptions().optimizeForSmallDb();
    DBOptions dbOptions = new DBOptions()
        .setCreateIfMissing(true)
        .setCreateMissingColumnFamilies(true)
        .setInfoLogLevel(InfoLogLevel.WARN_LEVEL)
        .setKeepLogFileNum(3);
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    for (String family : families) {
      descriptors.add(new ColumnFamilyDescriptor(family.getBytes(StandardCharsets.UTF_8), columnFamilyOptions));
    }
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try {
      RocksDB db = RocksDB.open(dbOptions, path, descriptors, handles);
      Map<StateNamespace, ColumnFamilyHandle> namespaces = new EnumMap<>(StateNamespace.class);
      for (ColumnFamilyHandle handle : handles) {
        String name = new String(handle.getName(), StandardCharsets.UTF_8);
        for (StateNamespace namespace : StateNamespace.values()) {
          if (namespace.columnFamilyName().equals(name)) {
            namespaces.put(namespace, handle);
          }
        }
      }
      log.info("Opened state store in {} with column families {}", directory, families);
      return new StateStore(directory, db, dbOptions, columnFamilyOptions, List.copyOf(handles), namespaces);
    } catch (RocksDBException e) {
      handles.forEach(ColumnFamilyHandle::close);
      dbOptions.close();
      columnFamilyOptions.close();
      throw new StateStoreException("Could not open the state store in " + directory, e);
    }
  }

  private static List<String> existingColumnFamilies(Path directory) {
    if (!Files.exists(directory.resolve("CURRENT"))) {
      return List.of();
    }
    try (Options options = new Options()) {
      List<String> names = new ArrayList<>();
      for (byte[] name : RocksDB.listColumnFamilies(options, directory.toString())) {
        names.add(new String(name, StandardCharsets.UTF_8));
      }
      return names;
    } catch (RocksDBException e) {
      throw new StateStoreException("Could not list the column families of " + directory, e);
    }
  }

  public Optional<byte[]> get(StateNamespace namespace, byte[] key) {
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      return Optional.ofNullable(db.get(handle(namespace), key));
    } catch (RocksDBException e) {
      throw new StateStoreException("Read from " + namespace + " failed", e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  public void put(StateNamespace namespace, byte[] key, byte[] value) {
    write(batch -> batch.put(namespace, key, value), false);
  }

  public void delete(StateNamespace namespace, byte[] key) {
    write(batch -> batch.delete(namespace, key), false);
  }

  /**
   * Applies the writes {@code body} makes, all or none.
   *
   * @param sync whether to fsync the write-ahead log before returning
   */
  public void write(Consumer<Batch> body, boolean sync) {
    lifecycle.readLock().lock();
    try (WriteBatch writeBatch = new WriteBatch()) {
      ensureOpen();
      body.accept(new Batch() {
        @Override
        public void put(StateNamespace namespace, byte[] key, byte[] value) {
          try {
            writeBatch.put(handle(namespace), key, value);
          } catch (RocksDBException e) {
            throw new StateStoreException("Write to " + namespace + " failed", e);
          }
        }

        @Override
        public void delete(StateNamespace namespace, byte[] key) {
          try {
            writeBatch.delete(handle(namespace), key);
          } catch (RocksDBException e) {
            throw new StateStoreException("Delete from " + namespace + " failed", e);
          }
        }
      });
      db.write(sync ? syncWrites : asyncWrites, writeBatch);
      if (sync) {
        walSyncs.increment();
      }
    } catch (RocksDBException e) {
      throw new StateStoreException("Write to the state store in " + directory + " failed", e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** Visits every entry of {@code namespace} whose key starts with {@code keyPrefix}, in key order. */
  public void forEach(StateNamespace namespace, byte[] keyPrefix, BiConsumer<byte[], byte[]> visitor) {
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      try (RocksIterator iterator = db.newIterator(handle(namespace))) {
        for (iterator.seek(keyPrefix); iterator.isValid(); iterator.next()) {
          byte[] key = iterator.key();
          if (!startsWith(key, keyPrefix)) {
            break;
          }
          visitor.accept(key, iterator.value());
        }
        iterator.status();
      }
    } catch (RocksDBException e) {
      throw new StateStoreException("Scan of " + namespace + " failed", e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** Fsyncs the write-ahead log: every write so far survives a power failure. */
  public void syncWal() {
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      db.flushWal(true);
      walSyncs.increment();
    } catch (RocksDBException e) {
      throw new StateStoreException("Sync of the state store in " + directory + " failed", e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** How many times the write-ahead log was fsynced since the store was opened. */
  public long walSyncs() {
    return walSyncs.sum();
  }

  public Path directory() {
    return directory;
  }

  /** Syncs the write-ahead log and frees every native resource. Idempotent. */
  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      try {
        db.flushWal(true);
      } catch (RocksDBException e) {
        log.warn("Could not sync the state store's write-ahead log in {} at close", directory, e);
      }
      // Handles before the database, options last: RocksJava's documented order.
      handles.forEach(ColumnFamilyHandle::close);
      try {
        db.closeE();
      } catch (RocksDBException e) {
        throw new StateStoreException("Close of the state store in " + directory + " failed", e);
      } finally {
        asyncWrites.close();
        syncWrites.close();
        dbOptions.close();
        columnFamilyOptions.close();
      }
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  private ColumnFamilyHandle handle(StateNamespace namespace) {
    return Objects.requireNonNull(namespaces.get(namespace), () -> "No column family for " + namespace);
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("The state store in " + directory + " is closed");
    }
  }

  private static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }
}
