package dev.skein.storage.state;

/** RocksDB failed; the state store (and so the broker's data directory) should be treated as failed. */
public final class StateStoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StateStoreException(String message, Throwable cause) {
    super(message, cause);
  }

  public StateStoreException(String message) {
    super(message);
  }
}
