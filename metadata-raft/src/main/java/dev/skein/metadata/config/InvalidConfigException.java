package dev.skein.metadata.config;

/** A config name that is not known, or a value the config does not accept. */
public final class InvalidConfigException extends Exception {

  private static final long serialVersionUID = 1L;

  private final String configName;

  public InvalidConfigException(String configName, String message) {
    super(message);
    this.configName = configName;
  }

  /** The config the problem is with. */
  public String configName() {
    return configName;
  }
}
