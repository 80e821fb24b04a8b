package dev.skein.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * skein acl add|list|remove as a user types them. The broker runs without the authorizer (the
 * ACLs are stored and listed all the same); AclClusterTest in broker-core checks enforcement.
 */
class AclCommandTest {

  @RegisterExtension
  static final CommandTestCluster fixture = new CommandTestCluster(1, 1);

  static SkeinCliTest.Run skein(String... args) {
    return fixture.skein("", args);
  }

  @Test
  void addListAndRemove() {
    SkeinCliTest.Run added = skein("acl", "add", "--allow-principal", "User:alice", "--deny-principal", "User:bob",
        "--operation", "read", "--operation", "describe", "--topic", "orders-", "--resource-pattern-type", "prefixed");
    assertThat(added.code()).as(added.err()).isZero();
    assertThat(added.out()).contains("Added 4 ACL bindings");

    SkeinCliTest.Run group = skein("acl", "add", "--allow-principal", "User:alice", "--operation", "read", "--group",
        "billing", "--host", "10.0.0.7");
    assertThat(group.code()).as(group.err()).isZero();

    SkeinCliTest.Run all = skein("acl", "list");
    assertThat(all.code()).as(all.err()).isZero();
    assertThat(all.lines().get(0).split("\\s+")).containsExactly("PRINCIPAL", "HOST", "RESOURCE-TYPE",
        "RESOURCE-NAME", "PATTERN", "OPERATION", "PERMISSION");
    assertThat(all.lines()).hasSize(6);
    assertThat(all.out()).contains("User:bob").contains("deny").contains("10.0.0.7").contains("billing");

    // Every binding that applies to the topic orders-eu: the prefixed ones.
    SkeinCliTest.Run matching = skein("acl", "list", "--topic", "orders-eu", "--resource-pattern-type", "match");
    assertThat(matching.lines()).hasSize(5);
    SkeinCliTest.Run exact = skein("acl", "list", "--topic", "orders-eu");
    assertThat(exact.lines()).hasSize(1);

    SkeinCliTest.Run removed = skein("acl", "remove", "--principal", "User:bob", "--topic", "orders-",
        "--resource-pattern-type", "prefixed");
    assertThat(removed.code()).as(removed.err()).isZero();
    assertThat(removed.out()).contains("Removed 2 ACL bindings");
    assertThat(skein("acl", "list", "--principal", "User:bob").lines()).hasSize(1);
  }

  @Test
  void badInputIsExplained() {
    SkeinCliTest.Run noPrincipal = skein("acl", "add", "--operation", "read", "--topic", "t");
    assertThat(noPrincipal.code()).isNotZero();
    assertThat(noPrincipal.err()).contains("--allow-principal or --deny-principal");
    SkeinCliTest.Run badOperation = skein("acl", "add", "--allow-principal", "User:a", "--operation", "fly",
        "--topic", "t");
    assertThat(badOperation.code()).isNotZero();
    assertThat(badOperation.err()).contains("unknown operation 'fly'");
    SkeinCliTest.Run badPrincipal = skein("acl", "add", "--allow-principal", "alice", "--operation", "read",
        "--topic", "t");
    assertThat(badPrincipal.code()).isNotZero();
    assertThat(badPrincipal.err()).contains("must be User:<name>");
  }
}
