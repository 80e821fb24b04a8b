package dev.skein.cli;

import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Takes an option's default from the environment: {@code --node-id} from {@code SKEIN_NODE_ID}
 * (upper case, dashes and dots become underscores), which is how containers configure Skein.
 * A flag on the command line still wins.
 */
final class EnvironmentDefaults implements CommandLine.IDefaultValueProvider {

  private final Map<String, String> environment;

  EnvironmentDefaults(Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  static String variableFor(String optionName) {
    String bare = optionName.replaceFirst("^-+", "");
    return "SKEIN_" + bare.toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_');
  }

  @Override
  public String defaultValue(ArgSpec argSpec) {
    if (argSpec instanceof OptionSpec option && !option.usageHelp() && !option.versionHelp()) {
      String value = environment.get(variableFor(option.longestName()));
      if (value != null) {
        return value;
      }
    }
    return argSpec.defaultValue();
  }
}
