package dev.skein.cli.console;

/**
 * A request the console answers with an error: the HTTP status, a sentence for a person
 * ({@code error}) and a stable machine-readable {@code reason} (the broker's reason when the
 * broker refused, e.g. UNKNOWN_TOPIC, or the console's own: BAD_PARAMETER, WRITES_DISABLED, ...).
 */
final class ApiException extends RuntimeException {

  private final int status;
  private final String reason;

  ApiException(int status, String reason, String error) {
    super(error, null, false, false);
    this.status = status;
    this.reason = reason;
  }

  static ApiException badParameter(String error) {
    return new ApiException(400, "BAD_PARAMETER", error);
  }

  static ApiException notFound(String reason, String error) {
    return new ApiException(404, reason, error);
  }

  int status() {
    return status;
  }

  String reason() {
    return reason;
  }
}
