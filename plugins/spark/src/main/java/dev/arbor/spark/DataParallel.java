package dev.arbor.spark;

import dev.arbor.array.DType;
import dev.arbor.array.Tensor;
import dev.arbor.tree.TreeDef;
import dev.arbor.tree.Trees;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.CollectionAccumulator;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * Data-parallel training of any {@code (params, batch) -> loss} written with Arbor, on Apache
 * Spark.
 *
 * <p>The data is an RDD of <b>shards</b>: each element is a batch-sized piece of the data (a pytree
 * whose leaves hold examples on axis 0, e.g. {@code record Batch(Tensor x, Tensor y)}). Step {@code
 * s} of an epoch uses element {@code s} of every partition: their union is the step's global batch.
 * Each task computes its shard's gradient with {@code jit(valueAndGrad(loss))} on its executor's
 * backend; the gradients are summed as pytrees, weighted by shard sizes, so the result is the
 * gradient of the mean loss over the global batch; then the {@link UpdateRule} is applied. An epoch
 * has as many steps as the largest partition has shards (a partition that runs out sits the
 * remaining steps out). {@link #shard} builds such an RDD from one in-memory dataset.
 *
 * <p>Two all-reduce paths, same results (to float rounding):
 *
 * <ul>
 *   <li>{@link AllReduce#DRIVER} (default): per step, broadcast the parameters, {@code
 *       mapPartitions} to gradients, {@code treeReduce} them, update on the driver. One Spark job
 *       per step; works on any deployment; a failed task is simply retried by Spark.
 *   <li>{@link AllReduce#RING}: one barrier stage per epoch; the tasks exchange addresses once
 *       ({@code BarrierTaskContext.allGather}) and then all-reduce over a ring of TCP connections
 *       between them every step, each applying the same update. Needs as many free task slots as
 *       partitions. A failed task fails the stage; Spark re-runs it and the tasks resume from the
 *       last checkpoint of the {@link #checkpoints store}, if any, else from the epoch's start.
 * </ul>
 *
 * <p>Progress: every step is reported to the driver ({@link #onStep}, and {@link Trained#steps()});
 * Spark's UI shows each job with a description naming the run, epoch, step, last loss and
 * throughput. On the ring path, step reports travel in an accumulator and reach the listener when
 * the epoch's stage ends.
 *
 * <p>What is shipped: the loss and update rule (serializable lambdas or classes), shards (so {@code
 * D} must be {@code Serializable}, e.g. a record that implements it), and the parameters and
 * optimizer state as {@link SerializedTree}s (any pytree of records, lists, maps and tensors).
 *
 * <p>Immutable: the {@code with…} methods return a new trainer. Not for concurrent {@code fit}
 * calls on one {@code SparkContext} (job descriptions are per thread, but accumulators are per
 * run).
 *
 * <pre>{@code
 * JavaRDD<Batch> shards = DataParallel.shard(sc, trainSet, 2, 64);
 * var trained = DataParallel.of(Model::loss, UpdateRule.<Mlp>sgd(0.1))
 *     .withAllReduce(DataParallel.AllReduce.RING)
 *     .fit(shards, initialParams, 3);
 * }</pre>
 *
 * @param <P> the parameters (a pytree of tensors)
 * @param <D> a shard of data (a serializable pytree of tensors)
 * @param <S> the optimizer state (a pytree of tensors)
 */
public final class DataParallel<P, D, S> {
  /** How per-shard gradients are summed. */
  public enum AllReduce {
    /** {@code mapPartitions} + {@code treeReduce}, one job per step, update on the driver. */
    DRIVER,
    /** One barrier stage per epoch, ring all-reduce over TCP between tasks. */
    RING
  }

  /**
   * The result of {@link #fit}.
   *
   * @param params the trained parameters
   * @param optState the final optimizer state
   * @param steps every step, in order
   */
  public record Trained<P, S>(P params, S optState, List<StepReport> steps) {}

  private final Loss<P, D> loss;
  private final UpdateRule<P, S> rule;
  private final AllReduce allReduce;
  private final Consumer<StepReport> onStep;
  private final CheckpointStore store;
  private final int checkpointEvery;
  private final StepHook hook;
  private final String name;
  private final int ringTimeoutMillis;

  private DataParallel(
      Loss<P, D> loss,
      UpdateRule<P, S> rule,
      AllReduce allReduce,
      Consumer<StepReport> onStep,
      CheckpointStore store,
      int checkpointEvery,
      StepHook hook,
      String name,
      int ringTimeoutMillis) {
    this.loss = loss;
    this.rule = rule;
    this.allReduce = allReduce;
    this.onStep = onStep;
    this.store = store;
    this.checkpointEvery = checkpointEvery;
    this.hook = hook;
    this.name = name;
    this.ringTimeoutMillis = ringTimeoutMillis;
  }

  /** A trainer of {@code loss} with {@code rule}, on the driver all-reduce path. */
  public static <P, D, S> DataParallel<P, D, S> of(Loss<P, D> loss, UpdateRule<P, S> rule) {
    return new DataParallel<>(
        Objects.requireNonNull(loss, "loss"),
        Objects.requireNonNull(rule, "rule"),
        AllReduce.DRIVER,
        r -> {},
        null,
        0,
        null,
        "arbor",
        600_000);
  }

  /** The all-reduce path (default {@link AllReduce#DRIVER}). */
  public DataParallel<P, D, S> withAllReduce(AllReduce path) {
    return new DataParallel<>(
        loss,
        rule,
        Objects.requireNonNull(path),
        onStep,
        store,
        checkpointEvery,
        hook,
        name,
        ringTimeoutMillis);
  }

  /** Called on the driver for every step, in order (default: nothing). */
  public DataParallel<P, D, S> onStep(Consumer<StepReport> listener) {
    return new DataParallel<>(
        loss,
        rule,
        allReduce,
        Objects.requireNonNull(listener),
        store,
        checkpointEvery,
        hook,
        name,
        ringTimeoutMillis);
  }

  /**
   * On the ring path, saves parameters and optimizer state to {@code store} after every {@code
   * everySteps} steps of an epoch, and resumes from the latest one when Spark re-runs a failed
   * stage. (The driver path needs none: each step is its own job, retried task by task.)
   */
  public DataParallel<P, D, S> checkpoints(CheckpointStore store, int everySteps) {
    if (everySteps < 1) {
      throw new IllegalArgumentException("everySteps must be >= 1, got " + everySteps);
    }
    return new DataParallel<>(
        loss,
        rule,
        allReduce,
        onStep,
        Objects.requireNonNull(store),
        everySteps,
        hook,
        name,
        ringTimeoutMillis);
  }

  /** A hook every ring task calls before each step (fault-injection tests). */
  public DataParallel<P, D, S> withStepHook(StepHook stepHook) {
    return new DataParallel<>(
        loss, rule, allReduce, onStep, store, checkpointEvery, stepHook, name, ringTimeoutMillis);
  }

  /** The name shown in Spark's job descriptions (default {@code "arbor"}). */
  public DataParallel<P, D, S> named(String runName) {
    return new DataParallel<>(
        loss,
        rule,
        allReduce,
        onStep,
        store,
        checkpointEvery,
        hook,
        Objects.requireNonNull(runName),
        ringTimeoutMillis);
  }

  /** How long a ring task waits for a neighbour before failing (default 10 minutes). */
  public DataParallel<P, D, S> withRingTimeoutMillis(int millis) {
    return new DataParallel<>(
        loss, rule, allReduce, onStep, store, checkpointEvery, hook, name, millis);
  }

  /**
   * Splits {@code dataset} (leaves with examples on axis 0) into an RDD of {@code partitions}
   * partitions of shards of {@code shardSize} examples, so that step {@code s} trains on examples
   * {@code [s*B, (s+1)*B)} with {@code B = partitions * shardSize}, partition {@code p} holding the
   * {@code p}-th shard of each: the same global batches as single-machine training on batches of
   * {@code B} in order. Examples past the last full global batch are dropped.
   */
  public static <D> JavaRDD<D> shard(
      JavaSparkContext sc, D dataset, int partitions, int shardSize) {
    if (partitions < 1 || shardSize < 1) {
      throw new IllegalArgumentException(
          "partitions and shardSize must be >= 1, got " + partitions + ", " + shardSize);
    }
    long n = ShardGradients.examples(dataset);
    long global = (long) partitions * shardSize;
    int steps = (int) (n / global);
    if (steps == 0) {
      throw new IllegalArgumentException(
          "the dataset has "
              + n
              + " examples, fewer than one global batch of "
              + partitions
              + " x "
              + shardSize);
    }
    List<D> shards = new ArrayList<>(partitions * steps);
    for (int p = 0; p < partitions; p++) { // parallelize slices the list into contiguous ranges
      for (int s = 0; s < steps; s++) {
        int from = (int) (s * global + (long) p * shardSize);
        int to = from + shardSize;
        shards.add(Trees.map(leaf -> ((Tensor) leaf).slice(0, from, to), dataset));
      }
    }
    return sc.parallelize(shards, partitions);
  }

  /**
   * Trains for {@code epochs} epochs from {@code params}, with a fresh optimizer state.
   *
   * @param shards the data (see the class comment); persisted for the run if it is not already
   */
  public Trained<P, S> fit(JavaRDD<D> shards, P params, int epochs) {
    return fit(shards, params, rule.init(params), epochs);
  }

  /** As {@link #fit(JavaRDD, Object, int)}, continuing from optimizer state {@code optState}. */
  public Trained<P, S> fit(JavaRDD<D> shards, P params, S optState, int epochs) {
    if (epochs < 0) {
      throw new IllegalArgumentException("epochs must be >= 0, got " + epochs);
    }
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(shards.context());
    boolean persisted = shards.getStorageLevel() != StorageLevel.NONE();
    if (!persisted) {
      shards.persist(StorageLevel.MEMORY_ONLY());
    }
    String runId = UUID.randomUUID().toString().substring(0, 8);
    String previousDescription = sc.getLocalProperty("spark.job.description");
    try {
      sc.setJobDescription(name + ": counting shards per partition");
      List<Integer> counts =
          shards
              .mapPartitions(
                  it -> {
                    int c = 0;
                    for (; it.hasNext(); it.next()) {
                      c++;
                    }
                    return List.of(c).iterator();
                  })
              .collect();
      int steps = counts.stream().mapToInt(Integer::intValue).max().orElse(0);
      if (steps == 0) {
        throw new IllegalArgumentException("the RDD holds no shards");
      }
      List<StepReport> reports = new ArrayList<>();
      Run run = new Run(sc, runId, steps, epochs, reports);
      return allReduce == AllReduce.DRIVER
          ? driverLoop(shards, params, optState, run)
          : ring(shards, params, optState, counts.size(), run);
    } finally {
      sc.setJobDescription(previousDescription);
      if (!persisted) {
        shards.unpersist(false);
      }
    }
  }

  private record Run(
      JavaSparkContext sc, String runId, int steps, int epochs, List<StepReport> reports) {}

  private Trained<P, S> driverLoop(JavaRDD<D> shards, P params, S state, Run run) {
    TreeDef def = Trees.structure(params);
    Loss<P, D> f = loss;
    String runId = run.runId();
    for (int epoch = 0; epoch < run.epochs(); epoch++) {
      for (int step = 0; step < run.steps(); step++) {
        long t0 = System.nanoTime();
        run.sc().setJobDescription(describe(run, epoch, step));
        Broadcast<SerializedTree<P>> bc = run.sc().broadcast(SerializedTree.of(params));
        int s = step;
        Partial total;
        try {
          total =
              shards
                  .mapPartitions(
                      (Iterator<D> it) -> {
                        for (int k = 0; k < s && it.hasNext(); k++) {
                          it.next();
                        }
                        if (!it.hasNext()) {
                          return List.<Partial>of().iterator();
                        }
                        return List.of(
                                ShardGradients.compute(runId, f, bc.value().get(), it.next()))
                            .iterator();
                      })
                  .treeReduce(Partial::plus);
        } finally {
          bc.destroy(false);
        }
        double inv = 1.0 / total.count();
        List<Tensor> mean = new ArrayList<>(total.weightedGrads().size());
        for (Tensor g : total.weightedGrads()) {
          mean.add(g.mul(inv));
        }
        UpdateRule.Updated<P, S> next = rule.apply(params, def.unflatten(mean), state);
        params = next.params();
        state = next.state();
        report(
            run,
            new StepReport(
                epoch,
                step,
                total.lossSum() / total.count(),
                total.count(),
                (System.nanoTime() - t0) / 1e9));
      }
    }
    return new Trained<>(params, state, List.copyOf(run.reports()));
  }

  private Trained<P, S> ring(JavaRDD<D> shards, P params, S state, int partitions, Run run) {
    CollectionAccumulator<StepReport> acc =
        run.sc().sc().collectionAccumulator(name + " steps (" + run.runId() + ")");
    @SuppressWarnings("unchecked")
    ClassTag<SerializedTree<TrainingState>> tag =
        (ClassTag<SerializedTree<TrainingState>>)
            (ClassTag<?>) ClassTag$.MODULE$.apply(SerializedTree.class);
    for (int epoch = 0; epoch < run.epochs(); epoch++) {
      Broadcast<SerializedTree<TrainingState>> bc =
          run.sc()
              .broadcast(
                  SerializedTree.of(new TrainingState(params, state, Tensor.scalar(0, DType.I64))));
      run.sc()
          .setJobDescription(
              describe(run, epoch, -1)
                  + String.format(
                      Locale.ROOT,
                      " [ring all-reduce: 1 barrier stage, %d tasks, %d steps]",
                      partitions,
                      run.steps()));
      GangEpoch<P, D, S> stage =
          new GangEpoch<>(
              run.runId(),
              loss,
              rule,
              epoch,
              bc,
              acc,
              store,
              checkpointEvery,
              hook,
              ringTimeoutMillis);
      List<SerializedTree<TrainingState>> out;
      try {
        // The shuffle after the barrier stage matters: Spark re-runs a failed barrier stage only
        // if it is a shuffle map stage (a failed barrier result stage aborts the job).
        out =
            JavaRDD.fromRDD(
                    shards.rdd().barrier().mapPartitions(stage.asStageFunction(), false, tag), tag)
                .repartition(1)
                .collect();
      } finally {
        bc.destroy(false);
      }
      if (out.size() != 1) {
        throw new AssertionError("the ring stage returned " + out.size() + " results, not 1");
      }
      @SuppressWarnings("unchecked")
      P p = (P) out.get(0).get().params();
      @SuppressWarnings("unchecked")
      S st = (S) out.get(0).get().optState();
      params = p;
      state = st;
      List<StepReport> epochReports = new ArrayList<>(acc.value());
      acc.reset();
      epochReports.sort(Comparator.comparingInt(StepReport::step));
      epochReports.forEach(r -> report(run, r));
    }
    return new Trained<>(params, state, List.copyOf(run.reports()));
  }

  private void report(Run run, StepReport r) {
    run.reports().add(r);
    onStep.accept(r);
  }

  private String describe(Run run, int epoch, int step) {
    StringBuilder b =
        new StringBuilder(name)
            .append(": epoch ")
            .append(epoch + 1)
            .append('/')
            .append(run.epochs());
    if (step >= 0) {
      b.append(" step ").append(step + 1).append('/').append(run.steps());
    }
    if (!run.reports().isEmpty()) {
      StepReport last = run.reports().getLast();
      b.append(
          String.format(
              Locale.ROOT,
              " (last step: loss %.5f, %.0f examples/s)",
              last.loss(),
              last.examplesPerSecond()));
    }
    return b.toString();
  }
}
