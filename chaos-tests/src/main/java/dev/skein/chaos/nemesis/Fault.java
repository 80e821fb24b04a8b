package dev.skein.chaos.nemesis;

/** A fault in force: what it is, and how to take it back. */
public record Fault(String description, Runnable healer) {

  public void heal() {
    healer.run();
  }

  public static Fault none(String description) {
    return new Fault(description, () -> { });
  }
}
