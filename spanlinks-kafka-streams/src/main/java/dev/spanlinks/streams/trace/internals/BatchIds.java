package dev.spanlinks.streams.trace.internals;

import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.TraceId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/**
 * The trace and span ids of one batch, derived from (application id, batch key, window start, input
 * partition) and the chunk index, so that re-emitting a window after a crash (spans are not
 * transactional) yields the very same ids, and anyone can compute a batch's trace id from the batch
 * itself. The partition is there because one (key, window) can be two batches: producers with other
 * partitioners (librdkafka hashes keys with CRC32, the Java client with murmur2) or added
 * partitions put one key's orders on two partitions, that is two tasks, and two batches with
 * different orders must never share a span id.
 *
 * <p>Chunk index 0 is the batch span; 1..n are its link chunk spans. Ids are the leading bytes of a
 * SHA-256 digest over a length-prefixed encoding of the inputs, so distinct inputs cannot collide
 * by concatenation.
 */
public record BatchIds(String applicationId, String batchKey, long windowStartMs, int partition) {

  public BatchIds {
    Objects.requireNonNull(applicationId, "applicationId");
    Objects.requireNonNull(batchKey, "batchKey");
  }

  /** The batch's trace id, shared by the batch span and all its chunk spans. */
  public String traceId() {
    byte[] digest = digest(-1);
    return TraceId.fromBytes(nonZero(digest, 16));
  }

  /**
   * The trace id of the batch's chunk trace {@code index} (from 1): chunks that would take the
   * batch's trace past its byte budget go into traces of their own.
   */
  String chunkTraceId(int index) {
    if (index < 1) {
      throw new IllegalArgumentException("chunk trace index must be >= 1");
    }
    byte[] digest = digest(-1 - index);
    return TraceId.fromBytes(nonZero(digest, 16));
  }

  /** The span id of the batch span (chunk 0) or of link chunk span {@code chunkIndex}. */
  public String spanId(int chunkIndex) {
    if (chunkIndex < 0) {
      throw new IllegalArgumentException("chunkIndex must be >= 0");
    }
    byte[] digest = digest(chunkIndex);
    return SpanId.fromBytes(nonZero(digest, 8));
  }

  /**
   * The span id of the reverse ({@code batched}) span of one linked order: it lives in the order's
   * trace, so a batch re-emitted after a crash must give it the same id, or the order's trace shows
   * it twice. Distinct per order even when two orders share a span context.
   */
  String reverseSpanId(String orderTraceId, String orderSpanId, String orderId) {
    byte[] order =
        (orderTraceId + '/' + orderSpanId + '/' + orderId).getBytes(StandardCharsets.UTF_8);
    return SpanId.fromBytes(nonZero(digest(REVERSE_SPAN, order), 8));
  }

  /** The chunk index that marks a reverse span's digest; chunk indexes are never negative. */
  private static final int REVERSE_SPAN = Integer.MIN_VALUE;

  private byte[] digest(int chunkIndex) {
    return digest(chunkIndex, new byte[0]);
  }

  private byte[] digest(int chunkIndex, byte[] suffix) {
    byte[] app = applicationId.getBytes(StandardCharsets.UTF_8);
    byte[] key = batchKey.getBytes(StandardCharsets.UTF_8);
    ByteBuffer input =
        ByteBuffer.allocate(4 + app.length + 4 + key.length + 8 + 4 + 4 + suffix.length);
    input.putInt(app.length).put(app).putInt(key.length).put(key);
    input.putLong(windowStartMs).putInt(partition).putInt(chunkIndex).put(suffix);
    return SHA_256.get().digest(input.array()); // digest() resets it for the next use
  }

  /** One per thread: looking the algorithm up for every id cost more than the digest. */
  private static final ThreadLocal<MessageDigest> SHA_256 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException("Every Java platform provides SHA-256", e);
            }
          });

  /** All-zero ids are invalid in W3C trace context; the odds are nil, but make it impossible. */
  private static byte[] nonZero(byte[] digest, int length) {
    byte[] id = new byte[length];
    System.arraycopy(digest, 0, id, 0, length);
    boolean zero = true;
    for (byte b : id) {
      zero &= b == 0;
    }
    if (zero) {
      id[length - 1] = 1;
    }
    return id;
  }
}
