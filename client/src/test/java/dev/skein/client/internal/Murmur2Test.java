package dev.skein.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Murmur2Test {

  /** The vectors of Kafka's own UtilsTest.testMurmur2. */
  @ParameterizedTest
  @CsvSource({
      "21, -973932308",
      "foobar, -790332482",
      "a-little-bit-long-string, -985981536",
      "a-little-bit-longer-string, -1486304829",
      "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8, -58897971",
      "abc, 479470107"
  })
  void hashesLikeKafka(String input, int expected) {
    assertThat(Murmur2.hash(input.getBytes(StandardCharsets.UTF_8))).isEqualTo(expected);
  }

  /**
   * Key to partition pairs produced by Kafka 4.2.0's own default partitioner
   * (org.apache.kafka.clients.producer.internals.BuiltInPartitioner.partitionForKey)
   * for 13 partitions; see bench/kafka-partitions.sh for how to regenerate them.
   */
  @ParameterizedTest
  @CsvSource(textBlock = KafkaPartitionPairs.PAIRS_13)
  void placesKeysOnKafkasPartitions(String key, int expectedPartition) {
    assertThat(Murmur2.partitionForKey(key.getBytes(StandardCharsets.UTF_8), 13)).isEqualTo(expectedPartition);
  }

  @ParameterizedTest
  @CsvSource({"0", "1", "2", "3", "4", "5"})
  void emptyAndShortKeysUseTheTailBytes(int length) {
    byte[] key = new byte[length];
    for (int i = 0; i < length; i++) {
      key[i] = (byte) (0xF0 + i);
    }
    int partition = Murmur2.partitionForKey(key, 7);
    assertThat(partition).isBetween(0, 6);
    assertThat(Murmur2.toPositive(Murmur2.hash(key)) % 7).isEqualTo(partition);
  }
}
