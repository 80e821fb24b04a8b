package dev.skein.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * skein user create|list|delete as a user types them, against a plaintext broker without
 * SCRAM authentication (the credentials are stored and listed all the same); ScramClusterTest in
 * broker-core checks logging in with them.
 */
class UserCommandTest {

  @RegisterExtension
  static final CommandTestCluster fixture = new CommandTestCluster(1, 1);

  static SkeinCliTest.Run skein(String stdin, String... args) {
    return fixture.skein(stdin, args);
  }

  @Test
  void createListAndDeleteUsers() throws Exception {
    Path passwordFile = fixture.dir().resolve("alice.password");
    Files.writeString(passwordFile, "alice-secret\n");
    SkeinCliTest.Run alice = skein("", "user", "create", "--name", "alice", "--password-file", passwordFile.toString());
    assertThat(alice.code()).as(alice.err()).isZero();
    assertThat(alice.out()).contains("Stored the SCRAM-SHA-512 credential of user alice (4096 iterations)")
        .doesNotContain("alice-secret");
    SkeinCliTest.Run bob = skein("bob-secret\n", "user", "create", "--name", "bob", "--iterations", "8192");
    assertThat(bob.code()).as(bob.err()).isZero();

    SkeinCliTest.Run list = skein("", "user", "list");
    assertThat(list.code()).as(list.err()).isZero();
    assertThat(list.lines()).hasSize(3);
    assertThat(list.lines().get(0).split("\\s+")).containsExactly("NAME", "MECHANISM", "ITERATIONS");
    assertThat(list.lines().get(1).split("\\s+")).containsExactly("alice", "SCRAM-SHA-512", "4096");
    assertThat(list.lines().get(2).split("\\s+")).containsExactly("bob", "SCRAM-SHA-512", "8192");

    SkeinCliTest.Run deleted = skein("", "user", "delete", "--name", "alice");
    assertThat(deleted.code()).as(deleted.err()).isZero();
    assertThat(skein("", "user", "list").out()).doesNotContain("alice").contains("bob");

    SkeinCliTest.Run again = skein("", "user", "delete", "--name", "alice");
    assertThat(again.code()).isNotZero();
    assertThat(again.err()).contains("has no SCRAM-SHA-512 credential");
    SkeinCliTest.Run weak = skein("pw\n", "user", "create", "--name", "carol", "--iterations", "100");
    assertThat(weak.code()).isNotZero();
    assertThat(weak.err()).contains("between 4096 and 16384");
    SkeinCliTest.Run empty = skein("", "user", "create", "--name", "carol");
    assertThat(empty.code()).isNotZero();
    assertThat(empty.err()).contains("the password is empty");
  }

  @Test
  void saslOptionsNeedAUserAndAPassword() {
    SkeinCliTest.Run run = SkeinCliTest.skein(Map.of(), "", "topic", "list", "--bootstrap",
        fixture.cluster().address(1).toString(), "--sasl-username", "alice");
    assertThat(run.code()).isNotZero();
    assertThat(run.err()).contains("needs sasl.username and sasl.password");
  }
}
