package dev.skein.cli.console;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * JSON text of the console's answers and of {@code skein consume --format json}: maps, lists,
 * strings, numbers, booleans and enums (by name), each on one line. Jackson escapes what
 * JavaScript needs escaped; non-finite numbers become strings rather than invalid JSON.
 */
public final class JsonText {

  private static final JsonMapper JSON = JsonMapper.builder()
      .enable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
      .build();

  private JsonText() {}

  public static String write(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("no JSON form for " + value.getClass().getName(), e);
    }
  }
}
