package dev.spanlinks.app.replay;

/** Hears how far an export, import or replay got; the command line draws it as a bar. */
public interface Progress {
  /** Hears nothing. */
  Progress NONE =
      new Progress() {
        @Override
        public void total(long records) {}

        @Override
        public void advance(long records) {}
      };

  /** The number of records the job expects, once known; called at most once. */
  void total(long records);

  /** {@code records} more are done. */
  void advance(long records);
}
