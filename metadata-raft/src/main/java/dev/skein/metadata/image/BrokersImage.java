package dev.skein.metadata.image;

import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/** Every registered broker, by id. */
public record BrokersImage(SortedMap<Integer, BrokerRegistration> brokers) {

  public static final BrokersImage EMPTY = new BrokersImage(new TreeMap<>());

  public BrokersImage {
    brokers = Collections.unmodifiableSortedMap(new TreeMap<>(brokers));
  }

  public Optional<BrokerRegistration> get(int brokerId) {
    return Optional.ofNullable(brokers.get(brokerId));
  }

  /** Whether the broker is registered, unfenced and not shutting down. */
  public boolean isUsable(int brokerId) {
    BrokerRegistration broker = brokers.get(brokerId);
    return broker != null && broker.isUsable();
  }

  /** Brokers that may lead partitions and take new replicas, in id order. */
  public List<Integer> usableBrokerIds() {
    return brokers.values().stream().filter(BrokerRegistration::isUsable).map(BrokerRegistration::id).toList();
  }

  public boolean isEmpty() {
    return brokers.isEmpty();
  }
}
