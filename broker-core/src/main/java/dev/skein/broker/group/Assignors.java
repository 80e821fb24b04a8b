package dev.skein.broker.group;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The assignors a group can use, by name. */
public final class Assignors {

  public static final String DEFAULT = UniformAssignor.NAME;

  private static final Map<String, Assignor> BY_NAME = Map.of(
      UniformAssignor.NAME, new UniformAssignor(),
      RangeAssignor.NAME, new RangeAssignor());

  private Assignors() {}

  public static Optional<Assignor> byName(String name) {
    return Optional.ofNullable(BY_NAME.get(name.isEmpty() ? DEFAULT : name));
  }

  public static List<String> names() {
    return BY_NAME.keySet().stream().sorted().toList();
  }
}
