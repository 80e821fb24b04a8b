package dev.skein.broker.auth;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Turns a client certificate's subject (RFC 2253, as {@code X500Principal.getName()} writes it:
 * {@code CN=alice,OU=dev,O=Example}) into a user name, by Kafka's {@code ssl.principal.mapping.rules}
 * syntax: a comma-separated list of {@code RULE:regex/replacement/[L|U]} and {@code DEFAULT}.
 * The first rule whose regex matches the whole subject gives the name (its replacement, lower-
 * or upper-cased with {@code L}/{@code U}); {@code DEFAULT} gives the subject unchanged. A
 * {@code /} inside a regex or a replacement is written {@code \/}.
 *
 * <p>A subject that no rule matches has no name: the caller is refused rather than given some
 * fallback identity that ACLs were not written for.
 */
public final class PrincipalMappingRules {

  public static final String DEFAULT = "DEFAULT";

  private sealed interface Rule permits Default, Replace {}

  private record Default() implements Rule {}

  private record Replace(Pattern pattern, String replacement, char caseChange) implements Rule {}

  private final List<Rule> rules;
  private final String text;

  private PrincipalMappingRules(List<Rule> rules, String text) {
    this.rules = List.copyOf(rules);
    this.text = text;
  }

  /** @throws IllegalArgumentException naming what is wrong with the rules */
  public static PrincipalMappingRules parse(String text) {
    String source = text == null || text.isBlank() ? DEFAULT : text;
    List<Rule> rules = new ArrayList<>();
    int i = 0;
    int n = source.length();
    while (i < n) {
      while (i < n && (Character.isWhitespace(source.charAt(i)) || source.charAt(i) == ',')) {
        i++;
      }
      if (i >= n) {
        break;
      }
      if (source.startsWith(DEFAULT, i)) {
        rules.add(new Default());
        i += DEFAULT.length();
      } else if (source.startsWith("RULE:", i)) {
        i += "RULE:".length();
        StringBuilder regex = new StringBuilder();
        i = readUntilSlash(source, i, regex);
        StringBuilder replacement = new StringBuilder();
        i = readUntilSlash(source, i, replacement);
        char caseChange = 0;
        if (i < n && (source.charAt(i) == 'L' || source.charAt(i) == 'U')) {
          caseChange = source.charAt(i);
          i++;
        }
        try {
          rules.add(new Replace(Pattern.compile(regex.toString()), replacement.toString(), caseChange));
        } catch (PatternSyntaxException e) {
          throw new IllegalArgumentException("principal mapping rule regex '" + regex + "' does not compile: "
              + e.getDescription());
        }
      } else {
        throw new IllegalArgumentException("principal mapping rules: expected RULE:regex/replacement/[LU] or "
            + "DEFAULT at '" + source.substring(i) + "'");
      }
      while (i < n && Character.isWhitespace(source.charAt(i))) {
        i++;
      }
      if (i < n && source.charAt(i) != ',') {
        throw new IllegalArgumentException("principal mapping rules: expected ',' at '" + source.substring(i) + "'");
      }
    }
    if (rules.isEmpty()) {
      throw new IllegalArgumentException("principal mapping rules are empty");
    }
    return new PrincipalMappingRules(rules, source);
  }

  /** Reads up to the next unescaped '/', turning "\/" into "/"; returns the index after the slash. */
  private static int readUntilSlash(String source, int start, StringBuilder out) {
    int i = start;
    while (i < source.length()) {
      char c = source.charAt(i);
      if (c == '\\' && i + 1 < source.length() && source.charAt(i + 1) == '/') {
        out.append('/');
        i += 2;
      } else if (c == '/') {
        return i + 1;
      } else {
        out.append(c);
        i++;
      }
    }
    throw new IllegalArgumentException("principal mapping rule '" + source.substring(start)
        + "' is not RULE:regex/replacement/[LU]");
  }

  /** The user name for a certificate subject, or empty if no rule matches it. */
  public Optional<String> map(String subject) {
    for (Rule rule : rules) {
      if (rule instanceof Default) {
        return Optional.of(subject);
      }
      Replace replace = (Replace) rule;
      Matcher matcher = replace.pattern().matcher(subject);
      if (matcher.matches()) {
        String name = matcher.replaceAll(replace.replacement());
        if (replace.caseChange() == 'L') {
          name = name.toLowerCase(Locale.ROOT);
        } else if (replace.caseChange() == 'U') {
          name = name.toUpperCase(Locale.ROOT);
        }
        return name.isEmpty() ? Optional.empty() : Optional.of(name);
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return text;
  }
}
