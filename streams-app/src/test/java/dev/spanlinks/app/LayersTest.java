package dev.spanlinks.app;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * What may import what, checked on the compiled main classes of the library and the app (this
 * module's class path holds both): the app is the library's first client and uses only what the
 * library exports, the library knows nothing of the app, and no two packages depend on each other.
 * {@code PublicApiTest} in the library pins which types the exported packages hold.
 */
class LayersTest {
  private static final JavaClasses MAIN_CLASSES =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.spanlinks.streams", "dev.spanlinks.app");

  /** The packages the library's module descriptor does not export. */
  private static final String[] LIBRARY_INTERNALS = {
    "dev.spanlinks.streams.state..", "dev.spanlinks.streams..internals.."
  };

  /** The rules below hold for something: both modules' classes were imported. */
  @Test
  void shouldSeeTheLibraryAndTheApp() {
    assertThat(MAIN_CLASSES.contain("dev.spanlinks.app.orders.OrdersTopology")).isTrue();
    assertThat(MAIN_CLASSES.contain("dev.spanlinks.streams.state.ContributionStore")).isTrue();
    assertThat(MAIN_CLASSES.contain("dev.spanlinks.app.orders.TopologyFixture"))
        .as("main classes only")
        .isFalse();
  }

  @Test
  void shouldUseOnlyTheLibrarysExportedPackagesInTheApp() {
    noClasses()
        .that()
        .resideInAPackage("dev.spanlinks.app..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(LIBRARY_INTERNALS)
        .because("the app builds its topology with the library's public API, as any user does")
        .check(MAIN_CLASSES);
  }

  @Test
  void shouldKeepTheLibraryFreeOfTheApp() {
    noClasses()
        .that()
        .resideInAPackage("dev.spanlinks.streams..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.spanlinks.app..")
        .because("orders are the app's domain; the library takes records of any type")
        .check(MAIN_CLASSES);
  }

  @Test
  void shouldKeepTheLibrarysInternalsFreeOfItsEntryPoints() {
    noClasses()
        .that()
        .resideInAnyPackage(LIBRARY_INTERNALS)
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.spanlinks.streams")
        .because("the entry points build on the internals, never the other way round")
        .check(MAIN_CLASSES);
  }

  @Test
  void shouldHaveNoCyclesBetweenPackages() {
    slices().matching("dev.spanlinks.(**)").should().beFreeOfCycles().check(MAIN_CLASSES);
  }
}
