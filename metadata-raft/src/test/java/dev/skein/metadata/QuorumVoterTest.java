package dev.skein.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class QuorumVoterTest {

  @Test
  void parsesTheVotersList() {
    assertThat(QuorumVoter.parseList("1@broker-1:9093, 2@10.0.0.2:9093,3@[::1]:9094")).containsExactly(
        new QuorumVoter(1, "broker-1", 9093), new QuorumVoter(2, "10.0.0.2", 9093), new QuorumVoter(3, "::1", 9094));
    assertThat(new QuorumVoter(3, "::1", 9094).address()).isEqualTo("[::1]:9094");
    assertThat(new QuorumVoter(1, "broker-1", 9093)).hasToString("1@broker-1:9093");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "''|the quorum voters list is empty",
      "broker-1:9093|voter 'broker-1:9093' has no '@'",
      "one@broker-1:9093|id 'one' is not a number",
      "-1@broker-1:9093|id -1 is negative",
      "1@broker-1|voter '1@broker-1' has no port",
      "1@broker-1:http|port 'http' is not a number between 1 and 65535",
      "1@broker-1:70000|port '70000' is not a number between 1 and 65535",
      "1@:9093|has no host",
      "1@::1:9093|put an IPv6 address in brackets",
      "1@a:1,,2@b:2|empty voter entry",
      "1@a:1,1@b:2|voter id 1 is listed twice",
      "1@a:1,2@a:1|voters 1 and 2 have the same address a:1"})
  void explainsWhatIsWrong(String voters, String problem) {
    assertThatThrownBy(() -> QuorumVoter.parseList(voters))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(problem);
  }

  @Test
  void aVotersConfigMustUseItsOwnPort() {
    assertThatThrownBy(() -> QuorumConfig.builder(1, QuorumVoter.parseList("1@a:9093"), "a", 9094,
        java.nio.file.Path.of("/tmp/x")).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("node 1 is voter 1@a:9093 but its raft port is 9094");
  }

  @Test
  void aNodeNotAmongTheVotersIsAListener() {
    QuorumConfig config = QuorumConfig.builder(4, QuorumVoter.parseList("1@a:9093"), "d", 9093,
        java.nio.file.Path.of("/tmp/x")).build();
    assertThat(config.isVoter()).isFalse();
    assertThat(config.raftAddress()).isEqualTo("d:9093");
    assertThat(config.metadataDir()).isEqualTo(java.nio.file.Path.of("/tmp/x/metadata"));
  }
}
