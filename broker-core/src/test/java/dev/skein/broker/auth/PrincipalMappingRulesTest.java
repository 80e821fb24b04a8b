package dev.skein.broker.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PrincipalMappingRulesTest {

  @Test
  void defaultKeepsTheWholeSubject() {
    assertThat(PrincipalMappingRules.parse("DEFAULT").map("CN=alice,OU=dev")).contains("CN=alice,OU=dev");
    assertThat(PrincipalMappingRules.parse("").map("CN=alice")).contains("CN=alice");
  }

  @Test
  void firstMatchingRuleWinsWithCaseChanges() {
    PrincipalMappingRules rules = PrincipalMappingRules.parse(
        "RULE:^CN=([^,]+),OU=ops.*$/ops-$1/U, RULE:^CN=([^,]+).*$/$1/L,DEFAULT");
    assertThat(rules.map("CN=Alice,OU=ops,O=Example")).contains("OPS-ALICE");
    assertThat(rules.map("CN=Bob,OU=dev")).contains("bob");
    assertThat(rules.map("O=NoCommonName")).contains("O=NoCommonName");
  }

  @Test
  void aSubjectNoRuleMatchesHasNoName() {
    PrincipalMappingRules rules = PrincipalMappingRules.parse("RULE:^CN=([^,]+)$/$1/");
    assertThat(rules.map("CN=alice")).contains("alice");
    assertThat(rules.map("CN=alice,OU=dev")).isEmpty();
  }

  @Test
  void escapedSlashesBelongToTheRule() {
    PrincipalMappingRules rules = PrincipalMappingRules.parse("RULE:^CN=([^\\/]+)\\/(.*)$/$1\\/$2/");
    assertThat(rules.map("CN=team/alice")).contains("team/alice");
  }

  @Test
  void malformedRulesAreRefused() {
    assertThatThrownBy(() -> PrincipalMappingRules.parse("RULE:^CN=(.*)$")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("RULE:regex/replacement/[LU]");
    assertThatThrownBy(() -> PrincipalMappingRules.parse("RULE:([/x/")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not compile");
    assertThatThrownBy(() -> PrincipalMappingRules.parse("NOPE")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PrincipalMappingRules.parse("DEFAULT x")).isInstanceOf(IllegalArgumentException.class);
  }
}
