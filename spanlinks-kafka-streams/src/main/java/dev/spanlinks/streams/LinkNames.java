package dev.spanlinks.streams;

import java.util.regex.Pattern;

/**
 * The names one linked stream gives its processors and stores, derived from the name it was given
 * ({@link LinkedWindows.Builder#named}), so that two linked streams fit one topology and a
 * changelog topic keeps its name across releases. Unnamed, the names of spanlinks' own orders
 * topology ({@link Names}), whose stored state they must keep reading.
 *
 * @param name null for the unnamed default
 */
record LinkNames(String name) {
  static final LinkNames DEFAULT = new LinkNames(null);

  /** What a store name may hold, since it is part of its changelog topic's name. */
  private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]{1,100}");

  /**
   * @throws IllegalArgumentException for a name a changelog topic could not carry
   */
  static LinkNames of(String name) {
    if (name == null || !LEGAL.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "A linked stream's name is 1 to 100 of a-z, A-Z, 0-9, '.', '_' and '-', as it becomes"
              + " part of its changelog topics' names: "
              + name);
    }
    return new LinkNames(name);
  }

  private String named(String suffix, String unnamed) {
    return name == null ? unnamed : name + "-" + suffix;
  }

  String capture() {
    return named("capture", Names.CAPTURE_ORDER);
  }

  String close() {
    return named("close-windows", Names.CLOSE_WINDOWS);
  }

  String contributionsStore() {
    return named("batch-contributions", Names.CONTRIBUTIONS_STORE);
  }

  String progressStore() {
    return named("window-progress", Names.WINDOW_PROGRESS_STORE);
  }

  /** The Processor API children that receive batches and late records ({@link LinkedWindows}). */
  String batches() {
    return named("batches", "linked-batches");
  }

  String late() {
    return named("late", "linked-late");
  }

  /** The prefix of the DSL nodes that split batches from late records after the close. */
  String split() {
    return close() + "-";
  }

  /**
   * What batch ids derive from besides batch key, window and partition: the configured namespace,
   * and the name, so that two linked streams never share a batch span id.
   */
  String batchIdsNamespace(String configured) {
    return name == null ? configured : configured + "/" + name;
  }
}
