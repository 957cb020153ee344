package dev.spanlinks.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the public surface deliberate: the module descriptor exports exactly these packages, and
 * these packages hold exactly these public types. A new export or a new public class in an exported
 * package fails here until it is added below on purpose, with Javadoc for its users.
 *
 * <p>The tests run on the class path, where the descriptor is not applied, so it is read from the
 * compiled {@code module-info.class} beside the library's classes.
 */
class PublicApiTest {
  private static final Set<String> EXPORTED =
      Set.of("dev.spanlinks.streams", "dev.spanlinks.streams.trace");

  private static final Set<String> PUBLIC_TYPES =
      Set.of(
          "dev.spanlinks.streams.BatchConfig",
          "dev.spanlinks.streams.BatchedRecord",
          "dev.spanlinks.streams.DeadLetterHandler",
          "dev.spanlinks.streams.DeferredRejection",
          "dev.spanlinks.streams.LinkedBatch",
          "dev.spanlinks.streams.LinkedWindows",
          "dev.spanlinks.streams.RecordReader",
          "dev.spanlinks.streams.RetryingExceptionHandler",
          "dev.spanlinks.streams.SpansBeforeCommitClientSupplier",
          "dev.spanlinks.streams.RejectedRecordException",
          "dev.spanlinks.streams.trace.MessagingConventions",
          "dev.spanlinks.streams.trace.KafkaHeadersSetter",
          "dev.spanlinks.streams.trace.SpanExportTimeoutException",
          "dev.spanlinks.streams.trace.SpanlinksAttributes",
          "dev.spanlinks.streams.SpanlinksTelemetry",
          "dev.spanlinks.streams.trace.ValidContextsSpanProcessor");

  @Test
  void shouldExportOnlyThePackagesUsersCall() throws IOException {
    ModuleDescriptor module = descriptor();

    assertThat(module.name()).isEqualTo("dev.spanlinks.streams");
    assertThat(module.exports())
        .allSatisfy(export -> assertThat(export.isQualified()).isFalse())
        .extracting(ModuleDescriptor.Exports::source)
        .containsExactlyInAnyOrderElementsOf(EXPORTED);
  }

  @Test
  void shouldProvideTheSamplerAsTheServiceFileDoes() throws IOException {
    String service = "io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSamplerProvider";
    String serviceFile = Files.readString(classesDir().resolve("META-INF/services/" + service));

    assertThat(descriptor().provides())
        .singleElement()
        .satisfies(
            provides -> {
              assertThat(provides.service()).isEqualTo(service);
              assertThat(provides.providers()).containsExactly(serviceFile.trim());
            });
  }

  @Test
  void shouldHoldOnlyTheListedPublicTypesInExportedPackages() throws Exception {
    Set<String> publicTypes = new TreeSet<>();
    for (String pkg : EXPORTED) {
      for (String name : topLevelClassNames(pkg)) {
        Class<?> type = Class.forName(name, false, getClass().getClassLoader());
        if (Modifier.isPublic(type.getModifiers())) {
          publicTypes.add(name);
        }
      }
    }

    assertThat(publicTypes).containsExactlyInAnyOrderElementsOf(PUBLIC_TYPES);
  }

  private static ModuleDescriptor descriptor() throws IOException {
    try (InputStream in = Files.newInputStream(classesDir().resolve("module-info.class"))) {
      return ModuleDescriptor.read(in);
    }
  }

  /** The library's compiled classes: {@code target/classes}, where the descriptor is too. */
  private static Path classesDir() {
    try {
      return Path.of(BatchConfig.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Classes directly in {@code pkg}, not in its subpackages; nested classes left out. */
  private static Set<String> topLevelClassNames(String pkg) throws IOException {
    Path dir = classesDir().resolve(pkg.replace('.', '/'));
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(file -> file.getFileName().toString())
          .filter(file -> file.endsWith(".class") && !file.contains("$"))
          .filter(file -> !file.equals("package-info.class"))
          .map(file -> pkg + "." + file.substring(0, file.length() - ".class".length()))
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }
}
