package dev.skein.client.internal;

/** Golden key,partition pairs from Kafka 4.2.0's default partitioner (bench/kafka-partitions.sh 13 30). */
final class KafkaPartitionPairs {

  static final String PAIRS_13 = """
      key-0, 3
      customer-7919, 7
      order/33232, 5
      key-3, 1
      customer-31676, 3
      order/7fd7d, 6
      key-6, 8
      customer-55433, 8
      order/cc8c8, 0
      key-9, 1
      customer-79190, 9
      order/119413, 1
      key-12, 7
      customer-102947, 7
      order/165f5e, 1
      key-15, 1
      customer-126704, 8
      order/1b2aa9, 11
      key-18, 3
      customer-150461, 11
      order/1ff5f4, 11
      key-21, 5
      customer-174218, 5
      order/24c13f, 8
      key-24, 11
      customer-197975, 2
      order/298c8a, 1
      key-27, 10
      customer-221732, 0
      order/2e57d5, 10
      """;

  private KafkaPartitionPairs() {}
}
