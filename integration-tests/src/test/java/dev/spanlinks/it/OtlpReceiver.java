package dev.spanlinks.it;

import com.google.protobuf.InvalidProtocolBufferException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.zip.GZIPInputStream;

/**
 * A test OTLP trace receiver, on loopback: decodes the bytes the real exporter sends, over
 * http/protobuf ({@code POST /v1/traces}) and over gRPC ({@code TraceService/Export}), with {@code
 * opentelemetry-proto}. Collects every span with its service name.
 */
final class OtlpReceiver implements AutoCloseable {
  /**
   * One received span with the {@code service.name} and {@code service.instance.id} (empty when
   * unset) of the resource that sent it.
   */
  record ReceivedSpan(String serviceName, String serviceInstanceId, Span span) {}

  private final List<ReceivedSpan> spans = new ArrayList<>();
  private final List<Metric> metrics = new ArrayList<>();
  private final HttpServer http;
  private final Server grpc;
  private volatile Hold hold;

  /**
   * An export request held before its answer ({@link #holdNext}): the exporter that sent it, and
   * whatever waits for the exporter, wait until {@link #release()}, or {@link #MAX_HOLD} at most.
   */
  static final class Hold {
    static final Duration MAX_HOLD = Duration.ofSeconds(5);
    private final String spanName;
    private final CompletableFuture<ReceivedSpan> held = new CompletableFuture<>();
    private final CountDownLatch released = new CountDownLatch(1);

    private Hold(String spanName) {
      this.spanName = spanName;
    }

    /** The first span named as asked of the held request, once it has come. */
    ReceivedSpan await(Duration timeout) throws InterruptedException {
      try {
        return held.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        throw new AssertionError("No span " + spanName + " within " + timeout, e);
      } catch (ExecutionException e) {
        throw new IllegalStateException(e);
      }
    }

    /** Answers the held request. */
    void release() {
      released.countDown();
    }
  }

  OtlpReceiver() throws IOException {
    http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.createContext("/v1/traces", this::handleHttp);
    http.createContext("/v1/metrics", this::handleMetrics);
    http.start();
    MethodDescriptor<byte[], byte[]> export =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("opentelemetry.proto.collector.trace.v1.TraceService/Export")
            .setRequestMarshaller(new BytesMarshaller())
            .setResponseMarshaller(new BytesMarshaller())
            .build();
    grpc =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .addService(
                ServerServiceDefinition.builder(
                        "opentelemetry.proto.collector.trace.v1.TraceService")
                    .addMethod(
                        export,
                        ServerCalls.asyncUnaryCall(
                            (request, response) -> {
                              accept(request);
                              response.onNext(
                                  ExportTraceServiceResponse.getDefaultInstance().toByteArray());
                              response.onCompleted();
                            }))
                    .build())
            .build()
            .start();
  }

  /**
   * Holds the answer to the next http/protobuf export request that carries a span named {@code
   * spanName}: its spans are received at once ({@link #spans()} has them), and the exporter waits
   * for the answer. An app that waits for its spans before it commits is then caught between a
   * window close and its commit. While one request is held, no other is answered.
   */
  Hold holdNext(String spanName) {
    Hold next = new Hold(spanName);
    hold = next;
    return next;
  }

  String httpEndpoint() {
    return "http://127.0.0.1:" + http.getAddress().getPort();
  }

  String grpcEndpoint() {
    return "http://127.0.0.1:" + grpc.getPort();
  }

  synchronized List<ReceivedSpan> spans() {
    return List.copyOf(spans);
  }

  List<Span> spansNamed(String name) {
    return spans().stream().map(ReceivedSpan::span).filter(s -> s.getName().equals(name)).toList();
  }

  /** Every metric data point batch received, oldest first (cumulative: the last is current). */
  synchronized List<Metric> metrics() {
    return List.copyOf(metrics);
  }

  private void handleMetrics(HttpExchange exchange) throws IOException {
    try (exchange) {
      ExportMetricsServiceRequest request =
          ExportMetricsServiceRequest.parseFrom(exchange.getRequestBody().readAllBytes());
      synchronized (this) {
        for (ResourceMetrics resource : request.getResourceMetricsList()) {
          for (ScopeMetrics scope : resource.getScopeMetricsList()) {
            metrics.addAll(scope.getMetricsList());
          }
        }
      }
      byte[] response = ExportMetricsServiceResponse.getDefaultInstance().toByteArray();
      exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, response.length == 0 ? -1 : response.length);
      if (response.length > 0) {
        exchange.getResponseBody().write(response);
      }
    }
  }

  private void handleHttp(HttpExchange exchange) throws IOException {
    try (exchange) {
      InputStream body = exchange.getRequestBody();
      if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
        body = new GZIPInputStream(body);
      }
      List<ReceivedSpan> received = accept(body.readAllBytes());
      holdIfAsked(received);
      byte[] response = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
      exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, response.length == 0 ? -1 : response.length);
      if (response.length > 0) {
        exchange.getResponseBody().write(response);
      }
    }
  }

  private void holdIfAsked(List<ReceivedSpan> received) {
    Hold armed = hold;
    if (armed == null) {
      return;
    }
    Optional<ReceivedSpan> match =
        received.stream().filter(s -> s.span().getName().equals(armed.spanName)).findFirst();
    if (match.isPresent() && armed.held.complete(match.get())) {
      hold = null;
      try {
        armed.released.await(Hold.MAX_HOLD.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private List<ReceivedSpan> accept(byte[] bytes) {
    ExportTraceServiceRequest request;
    try {
      request = ExportTraceServiceRequest.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new UncheckedIOException(e);
    }
    List<ReceivedSpan> received = new ArrayList<>();
    for (ResourceSpans resource : request.getResourceSpansList()) {
      String service = attribute(resource, "service.name");
      String instance = attribute(resource, "service.instance.id");
      for (ScopeSpans scope : resource.getScopeSpansList()) {
        for (Span span : scope.getSpansList()) {
          received.add(new ReceivedSpan(service, instance, span));
        }
      }
    }
    synchronized (this) {
      spans.addAll(received);
    }
    return received;
  }

  private static String attribute(ResourceSpans resource, String key) {
    return resource.getResource().getAttributesList().stream()
        .filter(a -> a.getKey().equals(key))
        .map(a -> a.getValue().getStringValue())
        .findFirst()
        .orElse("");
  }

  @Override
  public void close() {
    http.stop(0);
    grpc.shutdownNow();
  }

  private static final class BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
