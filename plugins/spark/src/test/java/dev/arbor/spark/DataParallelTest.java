package dev.arbor.spark;

import static dev.arbor.spark.Training.assertClose;
import static dev.arbor.spark.Training.assertLossesClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.nn.optim.Optimizers;
import dev.arbor.nn.optim.Optimizers.SgdState;
import dev.arbor.spark.DataParallel.AllReduce;
import dev.arbor.spark.Training.Batch;
import dev.arbor.spark.Training.Mlp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both all-reduce paths on {@code local[2]} (one SparkContext for the class; {@code local[2,4]}
 * lets Spark retry failed tasks as a cluster would) against single-machine training.
 */
class DataParallelTest {
  private static final double LR = 0.2;
  private static final double TOL = 2e-5;
  private static JavaSparkContext sc;
  private static final Queue<String> JOB_DESCRIPTIONS = new ConcurrentLinkedQueue<>();

  /** Written by the step hook, which runs in this JVM in local mode. */
  private static final Queue<int[]> HOOK_CALLS = new ConcurrentLinkedQueue<>();

  @BeforeAll
  static void start() {
    sc =
        new JavaSparkContext(
            new SparkConf()
                .setMaster("local[2,4]")
                .setAppName("DataParallelTest")
                .set("spark.ui.enabled", "false")
                .set("spark.ui.showConsoleProgress", "false"));
    sc.sc()
        .addSparkListener(
            new SparkListener() {
              @Override
              public void onJobStart(SparkListenerJobStart job) {
                String d = job.properties().getProperty("spark.job.description");
                if (d != null) {
                  JOB_DESCRIPTIONS.add(d);
                }
              }
            });
  }

  @AfterAll
  static void stop() {
    sc.stop();
  }

  /** Two partitions of unequal shard counts and sizes: 2 shards of 6, and 3 shards of 10. */
  private static List<List<Batch>> unevenPartitions() {
    Batch all = Training.data(7, 6 * 2 + 10 * 3);
    List<Batch> p0 = List.of(Training.slice(all, 0, 6), Training.slice(all, 6, 12));
    List<Batch> p1 =
        List.of(
            Training.slice(all, 12, 22), Training.slice(all, 22, 32), Training.slice(all, 32, 42));
    return List.of(p0, p1);
  }

  private static JavaRDD<Batch> rddOf(List<List<Batch>> partitions) {
    List<Batch> flat = new ArrayList<>();
    partitions.forEach(flat::addAll);
    // parallelize slices [0, 5) into [0, 2) and [2, 5): exactly the two partitions above.
    JavaRDD<Batch> rdd = sc.parallelize(flat, 2);
    assertEquals(List.of(2, 3), rdd.glom().map(List::size).collect());
    return rdd;
  }

  @Test
  void driverLoopEqualsSingleMachineTraining() {
    var parts = unevenPartitions();
    Mlp init = Training.init(1);
    var expected = Training.train(parts, init, LR, 2);
    List<StepReport> seen = new ArrayList<>();
    var trained =
        DataParallel.of(Training::loss, UpdateRule.<Mlp, SgdState>of(() -> Optimizers.sgd(LR)))
            .named("driver-test")
            .onStep(seen::add)
            .fit(rddOf(parts), init, 2);
    assertClose(expected.params(), trained.params(), TOL);
    assertLossesClose(expected.losses(), trained.steps(), 1e-5);
    assertEquals(trained.steps(), seen);
    assertEquals(
        List.of(16L, 16L, 10L),
        trained.steps().subList(0, 3).stream().map(StepReport::examples).toList());
    assertTrue(
        trained.steps().stream().allMatch(r -> r.seconds() > 0 && r.examplesPerSecond() > 0));
    assertTrue(
        JOB_DESCRIPTIONS.stream()
            .anyMatch(d -> d.startsWith("driver-test: epoch 2/2 step 3/3 (last step: loss ")),
        () -> "job descriptions: " + JOB_DESCRIPTIONS);
  }

  @Test
  void ringEqualsSingleMachineTraining() {
    var parts = unevenPartitions();
    Mlp init = Training.init(2);
    var expected = Training.train(parts, init, LR, 2);
    var trained =
        DataParallel.of(Training::loss, UpdateRule.<Mlp, SgdState>of(() -> Optimizers.sgd(LR)))
            .named("ring-test")
            .withAllReduce(AllReduce.RING)
            .fit(rddOf(parts), init, 2);
    assertClose(expected.params(), trained.params(), TOL);
    assertLossesClose(expected.losses(), trained.steps(), 1e-5);
    assertEquals(
        List.of(0, 1, 2, 0, 1, 2), trained.steps().stream().map(StepReport::step).toList());
    assertTrue(
        JOB_DESCRIPTIONS.stream()
            .anyMatch(
                d ->
                    d.startsWith("ring-test: epoch 2/2 (last step: loss ")
                        && d.contains("[ring all-reduce: 1 barrier stage, 2 tasks, 3 steps]")),
        () -> "job descriptions: " + JOB_DESCRIPTIONS);
  }

  @Test
  void ringResumesFromTheCheckpointAfterAKilledTask(@TempDir Path dir) throws Exception {
    var parts = unevenPartitions();
    Mlp init = Training.init(3);
    var expected = Training.train(parts, init, LR, 2);
    HOOK_CALLS.clear();
    var trained =
        DataParallel.of(Training::loss, UpdateRule.<Mlp, SgdState>of(() -> Optimizers.sgd(LR)))
            .withAllReduce(AllReduce.RING)
            .checkpoints(new SafetensorsStore(dir.toString()), 1)
            .withStepHook(
                (partition, attempt, epoch, step) -> {
                  HOOK_CALLS.add(new int[] {partition, attempt, epoch, step});
                  if (partition == 1 && attempt == 0 && epoch == 0 && step == 2) {
                    throw new IllegalStateException("injected failure of task 1 at step 2");
                  }
                })
            .fit(rddOf(parts), init, 2);
    assertClose(expected.params(), trained.params(), TOL);
    // The retried stage (attempt 1) resumed from a checkpoint, not from step 0.
    int firstRetriedStep =
        HOOK_CALLS.stream()
            .filter(c -> c[1] == 1 && c[2] == 0)
            .mapToInt(c -> c[3])
            .min()
            .orElse(-1);
    assertTrue(firstRetriedStep >= 1, "attempt 1 started at step " + firstRetriedStep);
    assertFalse(
        HOOK_CALLS.stream().anyMatch(c -> c[1] == 1 && c[2] == 0 && c[3] == 0),
        "no task of the retried stage re-ran step 0");
    try (var files = Files.list(dir)) {
      assertTrue(files.anyMatch(f -> f.getFileName().toString().endsWith("-epoch0.safetensors")));
    }
  }
}
