package dev.spanlinks.it;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Asks a streams-app's {@code /health/ready} and {@code /health/live} every few milliseconds, from
 * before the process listens until after it is gone, and keeps every answer: its HTTP status (or
 * {@link #REFUSED}) and the Kafka Streams state its JSON body names. Tests then assert on the
 * sequence, which catches short states that a test polling at its own pace would miss.
 */
final class ProbeRecorder implements AutoCloseable {
  /** The status recorded when nothing listens on the port. */
  static final int REFUSED = -1;

  private static final Pattern STATUS = Pattern.compile("^HTTP/1\\.[01] (\\d{3}) ");
  private static final Pattern STATE = Pattern.compile("\"state\":\"([A-Z_]+)\"");

  /** One answer of one probe; {@code state} is null when the connection was refused. */
  record Answer(int index, String path, int status, String state) {
    boolean ready() {
      return path.equals("/health/ready");
    }

    @Override
    public String toString() {
      return (ready() ? "ready " : "live ")
          + (status == REFUSED ? "refused" : status + " " + state);
    }
  }

  private final ScheduledExecutorService poller =
      Executors.newSingleThreadScheduledExecutor(
          runnable -> {
            Thread thread = new Thread(runnable, "probe-recorder");
            thread.setDaemon(true);
            return thread;
          });
  private final List<Answer> answers = new ArrayList<>();
  private final int port;

  private ProbeRecorder(int port) {
    this.port = port;
  }

  /** Starts asking both probes on {@code port} of 127.0.0.1, one after the other, every 5 ms. */
  static ProbeRecorder start(int port) {
    ProbeRecorder recorder = new ProbeRecorder(port);
    recorder.poller.scheduleWithFixedDelay(recorder::askBoth, 0, 5, TimeUnit.MILLISECONDS);
    return recorder;
  }

  private void askBoth() {
    ask("/health/ready");
    ask("/health/live");
  }

  private void ask(String path) {
    int status;
    String state = null;
    // A plain HTTP/1.0 request on a new connection each time: the server answers and closes, and
    // no keep-alive connection waits on Nagle's algorithm (about 40 ms an answer).
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
      socket.setSoTimeout(5_000);
      socket.getOutputStream().write(("GET " + path + " HTTP/1.0\r\n\r\n").getBytes(US_ASCII));
      String response = new String(socket.getInputStream().readAllBytes(), US_ASCII);
      Matcher statusLine = STATUS.matcher(response);
      Matcher body = STATE.matcher(response);
      status = statusLine.find() ? Integer.parseInt(statusLine.group(1)) : REFUSED;
      state = body.find() ? body.group(1) : "(no state in " + response + ")";
    } catch (IOException e) {
      // Refused, or closed while answering: either way the probe got no answer.
      status = REFUSED;
    }
    synchronized (answers) {
      answers.add(new Answer(answers.size(), path, status, status == REFUSED ? null : state));
    }
  }

  /** Every answer so far, oldest first. */
  List<Answer> answers() {
    synchronized (answers) {
      return List.copyOf(answers);
    }
  }

  /** How many answers so far: a mark to read {@link #since} from. */
  int mark() {
    synchronized (answers) {
      return answers.size();
    }
  }

  /** The answers from {@code mark} on. */
  List<Answer> since(int mark) {
    synchronized (answers) {
      return List.copyOf(answers.subList(mark, answers.size()));
    }
  }

  /** The latest answer of the readiness probe, or null. */
  Answer lastReady() {
    List<Answer> all = answers();
    for (int i = all.size() - 1; i >= 0; i--) {
      if (all.get(i).ready()) {
        return all.get(i);
      }
    }
    return null;
  }

  /**
   * The answers with runs of equal answers folded into one: {@code [ready 503 STARTING x12, ...]}.
   */
  static String summary(List<Answer> answers) {
    List<String> runs = new ArrayList<>();
    String previous = null;
    int count = 0;
    for (Answer answer : answers) {
      String text = answer.toString();
      if (text.equals(previous)) {
        count++;
        continue;
      }
      if (previous != null) {
        runs.add(previous + " x" + count);
      }
      previous = text;
      count = 1;
    }
    if (previous != null) {
      runs.add(previous + " x" + count);
    }
    return String.join(", ", runs);
  }

  @Override
  public void close() {
    poller.shutdownNow();
  }
}
