package dev.runway;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import dev.runway.archleft.Left;
import dev.runway.archright.Right;
import dev.runway.dispatch.DispatchQueue;
import dev.runway.jobs.JobRepository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package rules of docs/architecture.md: no cycles between feature packages, and one writer
 * class per table, called only by the classes named here.
 */
class ArchitectureTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.runway");

  /** Outside {@code jobs}, the only classes that may call the jobs-table writer. */
  static final Set<String> JOBS_WRITER_CALLERS =
      Set.of(
          "dev.runway.Runway",
          "dev.runway.dispatch.DispatchWorker",
          "dev.runway.dispatch.Redispatch",
          "dev.runway.claims.Claims",
          "dev.runway.claims.LeaseReaper",
          "dev.runway.claims.RunnerBinding",
          "dev.runway.claims.StaleJobCheck",
          // Reads only (list, find); its redispatch goes through DispatchQueue like the CLI's.
          "dev.runway.ui.OperatorUi",
          // Takes the job's lock before releasing a claim whose runner failed (Claims.release).
          "dev.runway.claims.RunnerStates",
          // Reads the job's pool and outcome to signal waiting claimers; writes nothing.
          "dev.runway.claims.ClaimableSignals",
          // Deletes completed jobs after RUNWAY_RETENTION_JOBS, through JobRepository.
          "dev.runway.retention.Pruner",
          // Reads only (find, findLatest): GET /api/v1/jobs/{id} and the job page's ledger.
          "dev.runway.ledger.JobLedger");

  /**
   * The only classes that may enqueue into {@code scheduled_tasks} through {@link DispatchQueue}.
   */
  static final Set<String> QUEUE_WRITER_CALLERS =
      Set.of(
          "dev.runway.dispatch.DispatchQueue",
          "dev.runway.webhook.DeliveryWriter",
          "dev.runway.dispatch.RedispatchCommand",
          // Claimable jobs whose pool vanished: redispatch tasks, the CLI's statement narrowed.
          "dev.runway.dispatch.VanishedPools",
          // The UI's redispatch buttons: the CLI's statement (one job, or one outcome).
          "dev.runway.ui.OperatorUi");

  static final ArchRule NO_CYCLES = slices().matching("dev.runway.(*)..").should().beFreeOfCycles();

  static final ArchRule ONLY_NAMED_CLASSES_WRITE_JOBS =
      noClasses()
          .that()
          .resideOutsideOfPackage("dev.runway.jobs..")
          .and(not(in(JOBS_WRITER_CALLERS)))
          .should()
          .accessClassesThat()
          .belongToAnyOf(JobRepository.class)
          .because("the jobs table has one writer, JobRepository, and named callers");

  static final ArchRule ONLY_NAMED_CLASSES_ENQUEUE =
      noClasses()
          .that(not(in(QUEUE_WRITER_CALLERS)))
          .should()
          .callMethodWhere(
              DescribedPredicate.describe(
                  "DispatchQueue.enqueue*",
                  (JavaMethodCall call) ->
                      call.getTargetOwner().isEquivalentTo(DispatchQueue.class)
                          && call.getName().startsWith("enqueue")))
          .because("scheduled_tasks has one writer, DispatchQueue, and named callers");

  /**
   * The service and other features reuse the redelivery and credential classes; the {@code runway
   * deliveries} CLI sits on top of them and nothing sits on it.
   */
  static final ArchRule NOTHING_DEPENDS_ON_THE_DELIVERIES_CLI =
      noClasses()
          .that()
          .resideOutsideOfPackages("dev.runway.deliveries..")
          .and(not(in(Set.of("dev.runway.Main"))))
          .should()
          .dependOnClassesThat()
          .resideInAPackage("dev.runway.deliveries..")
          .because("deliveries is the CLI; the reconciler and credentials live in their own rooms");

  @Test
  void onlyMainMountsTheDeliveriesCli() {
    NOTHING_DEPENDS_ON_THE_DELIVERIES_CLI.check(MAIN);
  }

  @Test
  void featurePackagesHaveNoCycles() {
    NO_CYCLES.check(MAIN);
  }

  @Test
  void onlyNamedClassesCallTheJobsWriter() {
    ONLY_NAMED_CLASSES_WRITE_JOBS.check(MAIN);
  }

  @Test
  void onlyNamedClassesEnqueueDispatchTasks() {
    ONLY_NAMED_CLASSES_ENQUEUE.check(MAIN);
  }

  @Test
  void theRulesCatchACycleAndAForeignJobsWriter() {
    JavaClasses bad = new ClassFileImporter().importClasses(Left.class, Right.class);
    assertThatThrownBy(() -> NO_CYCLES.check(bad)).hasMessageContaining("Cycle detected");
    assertThatThrownBy(() -> ONLY_NAMED_CLASSES_WRITE_JOBS.check(bad))
        .hasMessageContaining(Left.class.getName());
  }

  /**
   * The SQL that writes each table sits in its one repository class; ArchUnit sees calls, this sees
   * the statements themselves.
   */
  @Test
  void writeStatementsLiveInTheOwningClass() throws IOException {
    assertThat(filesWriting("jobs")).containsExactly("jobs/JobRepository.java");
    assertThat(filesWriting("scheduled_tasks")).containsExactly("dispatch/DispatchQueue.java");
    assertThat(filesWriting("repository_settings"))
        .containsExactly("repos/RepositorySettings.java");
    assertThat(filesWriting("job_reruns")).containsExactly("claims/RerunRepository.java");
  }

  private static List<String> filesWriting(String table) throws IOException {
    Pattern write =
        Pattern.compile("(?i)(insert\\s+into|update|delete\\s+from)\\s+" + table + "\\b");
    Path root = Path.of("src/main/java/dev/runway");
    try (Stream<Path> files = Files.walk(root)) {
      return files
          .filter(p -> p.toString().endsWith(".java"))
          .filter(p -> write.matcher(read(p)).find())
          .map(p -> root.relativize(p).toString().replace('\\', '/'))
          .sorted()
          .toList();
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static DescribedPredicate<JavaClass> in(Set<String> names) {
    return DescribedPredicate.describe(
        "one of " + names, c -> names.contains(c.getName().replaceFirst("\\$.*", "")));
  }

  private static <T> DescribedPredicate<T> not(DescribedPredicate<T> p) {
    return DescribedPredicate.not(p);
  }
}
