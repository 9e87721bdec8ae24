// Over 400 lines because every house rule, its one list and its check against the failing
// fixture sit together: a rule split from its list or its fixture check drifts from them.
package dev.runway;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
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
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import dev.runway.dispatch.DispatchQueue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The house rules of docs/architecture.md: three tiers (platform, features, edges) under a root of
 * its own; the exact list of features each feature may use; no cycles between any two packages, the
 * root included; no feature or platform class that imports an edge or the root; and one writer per
 * table, from one table list. Every rule is written over a base package, so that it runs once on
 * the product and once on {@code dev.runway.archfixture}, a test tree laid out the same way whose
 * classes each break one rule: each rule is shown to fail.
 */
class ArchitectureTest {
  private static final String BASE = "dev.runway";
  private static final String FIXTURE = "dev.runway.archfixture";

  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages(BASE);

  private static final JavaClasses BAD =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.ONLY_INCLUDE_TESTS)
          .importPackages(FIXTURE);

  /** Platform packages: they may use platform only. */
  static final List<String> PLATFORM = List.of("platform");

  /**
   * Each feature and the features it may use (platform is always allowed). The list of
   * docs/architecture.md; a new arrow between features is a change of this map, reviewed as such.
   */
  static final Map<String, Set<String>> FEATURES =
      Map.ofEntries(
          Map.entry("ingest", Set.of()),
          Map.entry("accounts", Set.of()),
          Map.entry("pools", Set.of()),
          Map.entry("jobs", Set.of()),
          Map.entry("repos", Set.of()),
          Map.entry("operators", Set.of()),
          Map.entry("dispatch", Set.of("ingest", "accounts", "pools", "jobs")),
          Map.entry("claims", Set.of("jobs", "pools", "repos")),
          Map.entry("runners", Set.of("claims", "jobs", "pools")),
          Map.entry("provisioner", Set.of("claims", "runners", "pools")),
          Map.entry("providers", Set.of("claims", "runners", "pools", "provisioner")),
          Map.entry("redelivery", Set.of("ingest")),
          Map.entry("retention", Set.of("claims", "ingest", "jobs", "redelivery")),
          Map.entry("ledger", Set.of("claims", "runners", "ingest", "jobs", "pools")));

  /** Edges: what a person or another machine talks to. They may use features and platform. */
  static final List<String> EDGES = List.of("cli", "ui", "agent");

  /**
   * Every table and the one source file whose SQL writes it (db-scheduler's own writes to
   * scheduled_tasks aside). A table a migration creates must be listed here.
   */
  static final Map<String, Set<String>> TABLE_WRITERS =
      Map.ofEntries(
          Map.entry("accounts", Set.of("accounts/AccountRepository.java")),
          Map.entry("claims", Set.of("claims/ClaimRepository.java")),
          Map.entry("inbox", Set.of("ingest/inbox/InboxRepository.java")),
          Map.entry("job_reruns", Set.of("runners/RerunRepository.java")),
          Map.entry("jobs", Set.of("jobs/JobRepository.java")),
          Map.entry("operator_tokens", Set.of("operators/OperatorTokens.java")),
          Map.entry("pool_tokens", Set.of("claims/PoolTokens.java")),
          Map.entry("reconciler_checkpoints", Set.of("redelivery/ReconcilerCheckpoints.java")),
          Map.entry("redeliveries", Set.of("redelivery/RedeliveryRepository.java")),
          Map.entry("repository_settings", Set.of("repos/RepositorySettings.java")),
          Map.entry("provider_instances", Set.of("providers/InstanceRepository.java")),
          // One row, written by its migration only: the installation's GARM controller id.
          Map.entry("provider_controller", Set.of()),
          Map.entry("scheduled_tasks", Set.of("dispatch/DispatchQueue.java")));

  /** Outside {@code jobs}, the only classes that may call the jobs-table writer. */
  static final Set<String> JOBS_WRITER_CALLERS =
      Set.of(
          "Runway",
          "dispatch.DispatchWorker",
          "dispatch.Redispatch",
          "claims.Claims",
          "claims.LeaseReaper",
          "runners.RunnerBinding",
          "runners.StaleJobCheck",
          // Takes the job's lock before releasing a claim whose runner failed (Claims.release).
          "runners.RunnerStates",
          // Reads the job's pool and outcome to signal waiting claimers; writes nothing.
          "claims.ClaimableSignals",
          // Deletes completed jobs after RUNWAY_RETENTION_JOBS, through JobRepository.
          "retention.Pruner",
          // Reads only (find, findLatest): GET /api/v1/jobs/{id} and the job page's ledger.
          "ledger.JobLedger",
          // runway jobs list / show: reads only.
          "cli.admin.JobsCommand");

  /** The only classes that may enqueue into {@code scheduled_tasks} through DispatchQueue. */
  static final Set<String> QUEUE_WRITER_CALLERS =
      Set.of(
          "dispatch.DispatchQueue",
          "cli.admin.RedispatchCommand",
          // Claimable jobs whose pool vanished: redispatch tasks, the CLI's statement narrowed.
          "dispatch.VanishedPools",
          // The UI's redispatch buttons: the CLI's statement (one job, or one outcome).
          "ui.JobsPage");

  // ---- the rules, over a base package ----

  static ArchRule tiers(String base) {
    return layeredArchitecture()
        .consideringOnlyDependenciesInLayers()
        .layer("root")
        .definedBy(DescribedPredicate.describe("the root package", inRoot(base)))
        .layer("platform")
        .definedBy(packages(base, PLATFORM))
        .layer("features")
        .definedBy(packages(base, List.copyOf(FEATURES.keySet())))
        .layer("edges")
        .definedBy(packages(base, EDGES))
        .whereLayer("root")
        .mayNotBeAccessedByAnyLayer()
        .whereLayer("edges")
        .mayOnlyBeAccessedByLayers("root")
        .whereLayer("features")
        .mayOnlyBeAccessedByLayers("root", "edges")
        .whereLayer("platform")
        .mayOnlyBeAccessedByLayers("root", "edges", "features")
        .because("platform serves features, features serve edges, and the root wires them");
  }

  /** A class in no tier is a room nobody has placed: every package belongs to one. */
  static ArchRule everyClassInATier(String base) {
    List<String> all = new ArrayList<>();
    all.addAll(PLATFORM);
    all.addAll(FEATURES.keySet());
    all.addAll(EDGES);
    return classes()
        .should(
            com.tngtech.archunit.lang.conditions.ArchConditions.be(
                DescribedPredicate.describe(
                    "in the root or in a tier",
                    (JavaClass c) -> inRoot(base).test(c) || tierOf(base, c, all) != null)))
        .allowEmptyShould(true);
  }

  static List<ArchRule> featureUses(String base) {
    List<ArchRule> rules = new ArrayList<>();
    FEATURES.forEach(
        (feature, allowed) -> {
          List<String> forbidden =
              FEATURES.keySet().stream()
                  .filter(f -> !f.equals(feature) && !allowed.contains(f))
                  .map(f -> base + "." + f + "..")
                  .toList();
          rules.add(
              noClasses()
                  .that()
                  .resideInAPackage(base + "." + feature + "..")
                  .should()
                  .dependOnClassesThat()
                  .resideInAnyPackage(forbidden.toArray(String[]::new))
                  .allowEmptyShould(true)
                  .because(feature + " may use only " + allowed + " among the features"));
        });
    return rules;
  }

  /** No feature or platform class imports an edge or the root. */
  static ArchRule noFeatureImportsAnEdge(String base) {
    List<String> inner = new ArrayList<>();
    PLATFORM.forEach(p -> inner.add(base + "." + p + ".."));
    FEATURES.keySet().forEach(f -> inner.add(base + "." + f + ".."));
    return noClasses()
        .that()
        .resideInAnyPackage(inner.toArray(String[]::new))
        .should()
        .dependOnClassesThat(
            DescribedPredicate.describe(
                "an edge (cli, ui, agent) or the root",
                (JavaClass c) -> inRoot(base).test(c) || tierOf(base, c, EDGES) != null))
        .allowEmptyShould(true);
  }

  /** Every package is a slice, the root package included, so a cycle through the root shows. */
  static ArchRule noCycles(String base) {
    return slices()
        .assignedFrom(
            new SliceAssignment() {
              @Override
              public SliceIdentifier getIdentifierOf(JavaClass c) {
                String pkg = c.getPackageName();
                if (!pkg.equals(base) && !pkg.startsWith(base + ".")) {
                  return SliceIdentifier.ignore();
                }
                return SliceIdentifier.of(pkg.equals(base) ? "(root)" : pkg);
              }

              @Override
              public String getDescription() {
                return "every package under " + base + ", the root one too";
              }
            })
        .should()
        .beFreeOfCycles();
  }

  static ArchRule onlyNamedClassesCallTheJobsWriter(String jobsWriter) {
    return noClasses()
        .that()
        .resideOutsideOfPackage(BASE + ".jobs..")
        .and(not(in(BASE, JOBS_WRITER_CALLERS)))
        .should()
        .accessClassesThat()
        .haveFullyQualifiedName(jobsWriter)
        .because("the jobs table has one writer, JobRepository, and named callers");
  }

  static final ArchRule ONLY_NAMED_CLASSES_ENQUEUE =
      noClasses()
          .that(not(in(BASE, QUEUE_WRITER_CALLERS)))
          .should()
          .callMethodWhere(
              DescribedPredicate.describe(
                  "DispatchQueue.enqueue*",
                  (JavaMethodCall call) ->
                      call.getTargetOwner().isEquivalentTo(DispatchQueue.class)
                          && call.getName().startsWith("enqueue")))
          .because("scheduled_tasks has one writer, DispatchQueue, and named callers");

  /**
   * The UI reads through each feature's read API ({@code JobReads}, {@code InboxReads}, ...) and
   * acts through its service API, never through a repository: a page then cannot write a table by
   * mistake, and a repository's statements can change without the pages. A repository's nested
   * records are values, named by their own simple names, and stay allowed.
   */
  static ArchRule uiUsesNoRepository(String base) {
    return noClasses()
        .that()
        .resideInAPackage(base + ".ui..")
        .should()
        .dependOnClassesThat()
        .haveSimpleNameEndingWith("Repository")
        .allowEmptyShould(true)
        .because("the UI reads through the features' read APIs and acts through their services");
  }

  /** The UI's SQL lives with the feature that owns the table; the UI only hands a connection on. */
  static ArchRule uiRunsNoSql(String base) {
    return noClasses()
        .that()
        .resideInAPackage(base + ".ui..")
        .should()
        .dependOnClassesThat()
        .haveFullyQualifiedName("java.sql.Statement")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("java.sql.PreparedStatement")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("java.sql.ResultSet")
        .allowEmptyShould(true)
        .because("the UI reads through the features' read APIs, which own their tables' SQL");
  }

  // ---- on the product ----

  @Test
  void theTiersHold() {
    tiers(BASE).check(MAIN);
    everyClassInATier(BASE).check(MAIN);
  }

  @Test
  void eachFeatureUsesOnlyTheFeaturesItLists() {
    featureUses(BASE).forEach(r -> r.check(MAIN));
  }

  @Test
  void noFeatureImportsCliUiOrTheRoot() {
    noFeatureImportsAnEdge(BASE).check(MAIN);
  }

  @Test
  void noPackageIsInACycleTheRootIncluded() {
    noCycles(BASE).check(MAIN);
  }

  @Test
  void theUiUsesNoRepository() {
    uiUsesNoRepository(BASE).check(MAIN);
  }

  @Test
  void theUiRunsNoSql() {
    uiRunsNoSql(BASE).check(MAIN);
  }

  @Test
  void onlyNamedClassesCallTheJobsWriter() {
    onlyNamedClassesCallTheJobsWriter(BASE + ".jobs.JobRepository").check(MAIN);
  }

  @Test
  void onlyNamedClassesEnqueueDispatchTasks() {
    ONLY_NAMED_CLASSES_ENQUEUE.check(MAIN);
  }

  /**
   * The SQL that writes each table sits in its one owning file; ArchUnit sees calls, this sees the
   * statements themselves. The table list is the migrations' own: a new table must be listed.
   */
  @Test
  void everyTableHasItsListedWriterOnly() throws IOException {
    Path root = Path.of("src/main/java/dev/runway");
    assertThat(TABLE_WRITERS.keySet()).containsExactlyInAnyOrderElementsOf(migrationTables());
    TABLE_WRITERS.forEach(
        (table, owners) ->
            assertThat(filesWriting(root, table))
                .as(table)
                .containsExactlyInAnyOrderElementsOf(owners));
  }

  /**
   * SQL functions in the migrations write tables too (the claim runs in the server, V34): each one
   * is named for the one table it writes ({@code jobs_mark_claimed} writes only {@code jobs}), so
   * it belongs to that table's owner, and another table's rows change only by calling that table's
   * own function.
   */
  @Test
  void everySqlFunctionWritesOnlyTheTableItIsNamedFor() {
    assertThat(functionsWritingOtherTables(Path.of("src/main/resources/db/migration"))).isEmpty();
  }

  // ---- on the fixture: each rule fails ----

  @Test
  void eachRuleFailsOnTheBadFixture() {
    assertThatThrownBy(() -> tiers(FIXTURE).check(BAD))
        .hasMessageContaining("UsesFeature")
        .hasMessageContaining("UsesCli");
    assertThatThrownBy(() -> featureUses(FIXTURE).forEach(r -> r.check(BAD)))
        .hasMessageContaining("pools may use only []");
    assertThatThrownBy(() -> noFeatureImportsAnEdge(FIXTURE).check(BAD))
        .hasMessageContaining("UsesCli");
    assertThatThrownBy(() -> noCycles(FIXTURE).check(BAD))
        .hasMessageContaining("Cycle detected")
        .hasMessageContaining("(root)");
    assertThatThrownBy(
            () -> onlyNamedClassesCallTheJobsWriter(BASE + ".jobs.JobRepository").check(BAD))
        .hasMessageContaining("UsesClaims");
    assertThatThrownBy(() -> uiUsesNoRepository(FIXTURE).check(BAD))
        .hasMessageContaining("ui.ReadsRepository")
        .hasMessageContaining("InboxRepository");
    assertThatThrownBy(() -> uiRunsNoSql(FIXTURE).check(BAD))
        .hasMessageContaining("ui.RunsSql")
        .hasMessageContaining("PreparedStatement");
  }

  @Test
  void theFunctionCheckNamesAFunctionWritingAnotherTable() {
    assertThat(functionsWritingOtherTables(Path.of("src/test/resources/archfixture")))
        .containsExactly("claims_steal writes jobs");
  }

  @Test
  void theWriterCheckNamesASecondWriter() {
    assertThat(filesWriting(Path.of("src/test/resources/archfixture"), "jobs"))
        .containsExactly("SecondWriter.java.txt");
  }

  // ---- helpers ----

  private static DescribedPredicate<JavaClass> inRoot(String base) {
    return DescribedPredicate.describe(
        "in " + base, (JavaClass c) -> c.getPackageName().equals(base));
  }

  private static String[] packages(String base, List<String> names) {
    return names.stream().map(n -> base + "." + n + "..").toArray(String[]::new);
  }

  private static String tierOf(String base, JavaClass c, List<String> names) {
    String pkg = c.getPackageName();
    for (String n : names) {
      String p = base + "." + n;
      if (pkg.equals(p) || pkg.startsWith(p + ".")) {
        return n;
      }
    }
    return null;
  }

  private static Set<String> migrationTables() throws IOException {
    Pattern create = Pattern.compile("(?i)create\\s+table\\s+(?:if\\s+not\\s+exists\\s+)?(\\w+)");
    Set<String> tables = new TreeSet<>();
    try (Stream<Path> files = Files.walk(Path.of("src/main/resources/db/migration"))) {
      files
          .filter(p -> p.toString().endsWith(".sql"))
          .forEach(
              p -> {
                Matcher m = create.matcher(read(p));
                while (m.find()) {
                  tables.add(m.group(1).toLowerCase(java.util.Locale.ROOT));
                }
              });
    }
    return tables;
  }

  private static List<String> filesWriting(Path root, String table) {
    Pattern write =
        Pattern.compile("(?i)(insert\\s+into|update|delete\\s+from)\\s+" + table + "\\b");
    try (Stream<Path> files = Files.walk(root)) {
      return files
          .filter(p -> p.toString().endsWith(".java") || p.toString().endsWith(".java.txt"))
          .filter(p -> write.matcher(read(p)).find())
          .map(p -> root.relativize(p).toString().replace('\\', '/'))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** "function writes table" for each SQL function writing a table it is not named for. */
  private static List<String> functionsWritingOtherTables(Path dir) {
    Pattern function =
        Pattern.compile(
            "(?is)create\\s+(?:or\\s+replace\\s+)?function\\s+(\\w+).*?\\$\\$(.*?)\\$\\$");
    Pattern write =
        Pattern.compile("(?i)(?:insert\\s+into|(?<!for\\s)update|delete\\s+from)\\s+(\\w+)");
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.filter(f -> f.toString().matches(".*\\.sql(\\.txt)?$")).toList()) {
        Matcher f = function.matcher(read(p));
        while (f.find()) {
          String name = f.group(1).toLowerCase(java.util.Locale.ROOT);
          Matcher w = write.matcher(f.group(2));
          while (w.find()) {
            String table = w.group(1).toLowerCase(java.util.Locale.ROOT);
            if (!name.startsWith(table + "_")) {
              out.add(name + " writes " + table);
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static DescribedPredicate<JavaClass> in(String base, Set<String> names) {
    return DescribedPredicate.describe(
        "one of " + names,
        c -> {
          String n = c.getName().replaceFirst("\\$.*", "");
          return n.startsWith(base + ".") && names.contains(n.substring(base.length() + 1));
        });
  }

  private static <T> DescribedPredicate<T> not(DescribedPredicate<T> p) {
    return DescribedPredicate.not(p);
  }
}
