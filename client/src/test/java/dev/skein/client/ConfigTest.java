package dev.skein.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.proto.v1.Acks;
import dev.skein.proto.v1.Compression;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigTest {

  @Test
  void producerTakesKafkaNamesAndDefaults() {
    ProducerConfig config = ProducerConfig.from(Map.of("bootstrap.servers", "a:1,b", "acks", "1",
        "compression.type", "ZSTD", "linger.ms", "20"));
    assertThat(config.client().bootstrap()).containsExactly(new BrokerAddress("a", 1), new BrokerAddress("b", 9092));
    assertThat(config.acks()).isEqualTo(Acks.ACKS_LEADER);
    assertThat(config.compression()).isEqualTo(Compression.COMPRESSION_ZSTD);
    assertThat(config.linger().toMillis()).isEqualTo(20);
    assertThat(config.batchSize()).isEqualTo(16_384);
    assertThat(ProducerConfig.of("x:2").acks()).isEqualTo(Acks.ACKS_ALL);
  }

  @Test
  void badSettingsAreNamedInTheError() {
    assertThatThrownBy(() -> ProducerConfig.from(Map.of("acks", "2")))
        .hasMessageContaining("acks").hasMessageContaining("'2'");
    assertThatThrownBy(() -> ProducerConfig.from(Map.of("linger.ms", "soon")))
        .hasMessageContaining("linger.ms must be a whole number");
    assertThatThrownBy(() -> ProducerConfig.from(Map.of("lingr.ms", "5")))
        .hasMessageContaining("unknown setting 'lingr.ms'");
    assertThatThrownBy(() -> ConsumerConfig.from(Map.of("auto.offset.reset", "middle")))
        .hasMessageContaining("auto.offset.reset");
    assertThatThrownBy(() -> BrokerAddress.parse("host:port"))
        .hasMessageContaining("bad port");
  }

  @Test
  void parsesIpv6Addresses() {
    assertThat(BrokerAddress.parse("[::1]:9093")).isEqualTo(new BrokerAddress("::1", 9093));
    assertThat(BrokerAddress.parse("[::1]:9093").toString()).isEqualTo("[::1]:9093");
  }

  @Test
  void saslSettingsTakeKafkaNamesAndNeverShowThePassword() {
    ProducerConfig sasl = ProducerConfig.from(Map.of("security.protocol", "SASL_PLAINTEXT",
        "sasl.mechanism", "scram-sha-512", "sasl.username", "alice", "sasl.password", "alice-secret"));
    assertThat(sasl.client().sasl()).isEqualTo(new ClientSasl("SCRAM-SHA-512", "alice", "alice-secret"));
    assertThat(sasl.client().tls().enabled()).isFalse();
    assertThat(sasl.client().sasl().toString()).doesNotContain("alice-secret");
    assertThat(sasl.toString()).doesNotContain("alice-secret");
    assertThat(ClientConfig.of("a:1").sasl()).isEqualTo(ClientSasl.NONE);
    assertThatThrownBy(() -> ClientConfig.from(Map.of("security.protocol", "SASL_SSL")))
        .hasMessageContaining("security.protocol=SASL_SSL needs sasl.mechanism=SCRAM-SHA-512");
    assertThatThrownBy(() -> ClientConfig.from(Map.of("sasl.mechanism", "SCRAM-SHA-512", "sasl.username", "a",
        "sasl.password", "p"))).hasMessageContaining("sasl.mechanism needs security.protocol=SASL_SSL");
    assertThatThrownBy(() -> ClientConfig.from(Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN",
        "sasl.username", "a", "sasl.password", "p"))).hasMessageContaining("sasl.mechanism must be SCRAM-SHA-512");
    assertThatThrownBy(() -> ClientConfig.from(Map.of("security.protocol", "SASL_SSL", "sasl.mechanism",
        "SCRAM-SHA-512", "sasl.username", "a"))).hasMessageContaining("needs sasl.username and sasl.password");
  }
}
