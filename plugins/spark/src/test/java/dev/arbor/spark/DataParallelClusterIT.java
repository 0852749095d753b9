package dev.arbor.spark;

import static dev.arbor.spark.Training.assertClose;
import static dev.arbor.spark.Training.assertLossesClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.arbor.nn.optim.Optimizers;
import dev.arbor.nn.optim.Optimizers.SgdState;
import dev.arbor.spark.DataParallel.AllReduce;
import dev.arbor.spark.Training.Batch;
import dev.arbor.spark.Training.Mlp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Multi-JVM: {@code local-cluster[2,1,1024]} runs two executor JVMs (one core each) beside the
 * driver, so tensors, parameters and gradients really cross process boundaries, and the ring's TCP
 * connections join two JVMs.
 */
class DataParallelClusterIT {
  private static final double LR = 0.2;
  private static JavaSparkContext sc;

  @BeforeAll
  static void start() throws IOException {
    String sparkHome = System.getenv("SPARK_HOME");
    if (sparkHome == null) {
      throw new IllegalStateException("run through Maven (failsafe sets SPARK_HOME)");
    }
    Files.createDirectories(Path.of(sparkHome, "jars"));
    String classPath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    sc =
        new JavaSparkContext(
            new SparkConf()
                .setMaster("local-cluster[2,1,1024]")
                .setAppName("DataParallelClusterIT")
                .set("spark.ui.enabled", "false")
                .set("spark.ui.showConsoleProgress", "false")
                .set("spark.executor.extraClassPath", classPath)
                .set(
                    "spark.executor.extraJavaOptions",
                    System.getProperty("arbor.spark.jvmFlags", "")));
  }

  @AfterAll
  static void stop() {
    if (sc != null) {
      sc.stop();
    }
  }

  private static List<List<Batch>> partitions() {
    Batch all = Training.data(11, 64);
    List<List<Batch>> parts = List.of(new ArrayList<>(), new ArrayList<>());
    for (int s = 0; s < 4; s++) {
      for (int p = 0; p < 2; p++) {
        parts.get(p).add(Training.slice(all, s * 16 + p * 8, s * 16 + p * 8 + 8));
      }
    }
    return parts;
  }

  private static JavaRDD<Batch> rdd() {
    JavaRDD<Batch> rdd = DataParallel.shard(sc, Training.data(11, 64), 2, 8);
    assertEquals(List.of(4, 4), rdd.glom().map(List::size).collect());
    return rdd;
  }

  @Test
  void tasksRunInOtherJvms() {
    String driverPid = Long.toString(ManagementFactory.getRuntimeMXBean().getPid());
    List<String> pids =
        sc.parallelize(List.of(0, 1), 2)
            .map(i -> Long.toString(ManagementFactory.getRuntimeMXBean().getPid()))
            .collect();
    assertTrue(pids.stream().noneMatch(driverPid::equals), pids + " vs driver " + driverPid);
  }

  @Test
  void bothPathsEqualSingleMachineTraining() {
    Mlp init = Training.init(5);
    var expected = Training.train(partitions(), init, LR, 2);
    for (AllReduce path : AllReduce.values()) {
      var trained =
          DataParallel.of(Training::loss, UpdateRule.<Mlp, SgdState>of(() -> Optimizers.sgd(LR)))
              .withAllReduce(path)
              .fit(rdd(), init, 2);
      assertClose(expected.params(), trained.params(), 2e-5);
      assertLossesClose(expected.losses(), trained.steps(), 1e-5);
    }
  }

  @Test
  void ringRecoversAKilledTaskFromTheCheckpoint(@TempDir Path dir) throws IOException {
    Mlp init = Training.init(6);
    var expected = Training.train(partitions(), init, LR, 2);
    String marks = dir.toString();
    var trained =
        DataParallel.of(Training::loss, UpdateRule.<Mlp, SgdState>of(() -> Optimizers.sgd(LR)))
            .withAllReduce(AllReduce.RING)
            .checkpoints(new SafetensorsStore(marks), 1)
            .withStepHook(
                (partition, attempt, epoch, step) -> {
                  try { // executors are other JVMs: leave marks in the shared folder
                    Files.writeString(
                        Path.of(
                            marks, "ran-" + partition + "-" + attempt + "-" + epoch + "-" + step),
                        "");
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                  if (partition == 1 && attempt == 0 && epoch == 1 && step == 2) {
                    throw new IllegalStateException("injected failure of task 1 at step 2");
                  }
                })
            .fit(rdd(), init, 2);
    assertClose(expected.params(), trained.params(), 2e-5);
    List<String> retried;
    try (var files = Files.list(dir)) {
      retried =
          files
              .map(f -> f.getFileName().toString())
              .filter(f -> f.startsWith("ran-"))
              .filter(f -> f.split("-")[2].equals("1") && f.split("-")[3].equals("1"))
              .toList();
    }
    assertTrue(!retried.isEmpty(), "the stage was retried");
    assertTrue(
        retried.stream().noneMatch(f -> f.split("-")[4].equals("0")),
        "the retried stage resumed from a checkpoint, not step 0: " + retried);
  }
}
