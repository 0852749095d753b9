package dev.arbor.examples.fashion;

import dev.arbor.Arbor;
import dev.arbor.GradAndAux;
import dev.arbor.WithAux;
import dev.arbor.array.Tensor;
import dev.arbor.core.Scope;
import dev.arbor.module.Module;
import dev.arbor.nn.Activation;
import dev.arbor.nn.Conv2d;
import dev.arbor.nn.Flatten;
import dev.arbor.nn.Linear;
import dev.arbor.nn.Losses;
import dev.arbor.nn.MLP;
import dev.arbor.nn.MaxPool2d;
import dev.arbor.nn.Padding;
import dev.arbor.nn.Sequential;
import dev.arbor.nn.optim.Optimizer;
import dev.arbor.nn.optim.Optimizers;
import dev.arbor.random.Key;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The demo behind {@code ./arbor demo}: trains a classifier on Fashion-MNIST with arbor-nn (an MLP
 * 784-256-128-100-10 by default, or a small convnet with {@code --model conv}) using Adam, and
 * prints a progress bar, the test accuracy and the time of every epoch; writes a PNG of the loss
 * and accuracy curves.
 *
 * <p>Data: {@code --data DIR} (the four standard IDX files), else {@code
 * /usr/share/datasets/fashion-mnist} (Debian package {@code dataset-fashion-mnist}), else the
 * bundled 6,000/1,000-image subset.
 */
@Command(
    name = "arbor demo",
    mixinStandardHelpOptions = true,
    versionProvider = FashionMnistDemo.Version.class,
    description = "Trains a Fashion-MNIST classifier with Arbor (grad + arbor-nn + Adam).")
public final class FashionMnistDemo implements Callable<Integer> {
  /** The model kinds of {@code --model}. */
  public enum ModelKind {
    mlp,
    conv
  }

  @Option(
      names = "--epochs",
      description = "passes over the training data (default: ${DEFAULT-VALUE})",
      defaultValue = "3")
  int epochs;

  @Option(
      names = "--batch-size",
      description = "examples per step (default: ${DEFAULT-VALUE})",
      defaultValue = "128")
  int batchSize;

  @Option(
      names = "--lr",
      description = "Adam learning rate (default: ${DEFAULT-VALUE})",
      defaultValue = "1e-3")
  double lr;

  @Option(
      names = "--data",
      description =
          "folder with the IDX files, or 'bundled' for the bundled 6,000/1,000 subset (default:"
              + " /usr/share/datasets/fashion-mnist if installed, else the bundled subset)")
  Path data;

  @Option(
      names = "--model",
      description = "mlp or conv (default: ${DEFAULT-VALUE})",
      defaultValue = "mlp")
  ModelKind model;

  @Option(
      names = "--plot",
      description = "PNG file for the curves (default: ${DEFAULT-VALUE})",
      defaultValue = "fashion-mnist.png")
  Path plot;

  @Option(
      names = "--backend",
      description = "Arbor backend, e.g. reference or cpu-simd (default: the best available)")
  String backend;

  @Option(
      names = "--train-size",
      description = "use only the first N training images (default: ${DEFAULT-VALUE}; 0 = all)",
      defaultValue = "0")
  int trainSize;

  @Option(
      names = "--verbose",
      description = "also log each primitive a backend runs through the reference fallback")
  boolean verbose;

  @Option(
      names = "--seed",
      description = "initialization and shuffling seed (default: ${DEFAULT-VALUE})",
      defaultValue = "0")
  long seed;

  /** Prints Arbor's version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"Arbor " + Arbor.version()};
    }
  }

  /** What {@link #train} measured. */
  public record Result(
      List<Double> stepLoss,
      List<Double> trainAccuracy,
      List<Double> testAccuracy,
      List<Double> epochSeconds) {
    public double finalTestAccuracy() {
      return testAccuracy.get(testAccuracy.size() - 1);
    }
  }

  /** The model for {@code kind}, from {@code key}. */
  public static Module<Tensor, Tensor> model(ModelKind kind, Key key) {
    if (kind == ModelKind.mlp) {
      return MLP.init(key, Activation.RELU, FashionMnist.PIXELS, 256, 128, 100, 10);
    }
    Key[] k = key.split(3);
    return Sequential.of(
        Conv2d.init(k[0], 1, 16, 3, 1, Padding.SAME),
        Activation.RELU.layer(),
        new MaxPool2d(2),
        Conv2d.init(k[1], 16, 32, 3, 1, Padding.SAME),
        Activation.RELU.layer(),
        new MaxPool2d(2),
        new Flatten(),
        Linear.init(k[2], 7 * 7 * 32, 10));
  }

  /** The images {@code [from, from + n)} of {@code order} as the model's input tensor. */
  static Tensor images(FashionMnist d, int[] order, int from, int n, ModelKind kind) {
    float[] x = new float[n * FashionMnist.PIXELS];
    for (int i = 0; i < n; i++) {
      System.arraycopy(
          d.images(),
          order[from + i] * FashionMnist.PIXELS,
          x,
          i * FashionMnist.PIXELS,
          FashionMnist.PIXELS);
    }
    return kind == ModelKind.mlp
        ? Tensor.fromArray(x, n, FashionMnist.PIXELS)
        : Tensor.fromArray(x, n, 28, 28, 1);
  }

  static Tensor labels(FashionMnist d, int[] order, int from, int n) {
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = d.labels()[order[from + i]];
    }
    return Tensor.of(y);
  }

  static int[] identity(int n) {
    int[] o = new int[n];
    for (int i = 0; i < n; i++) {
      o[i] = i;
    }
    return o;
  }

  /** Fraction of {@code d} that {@code m} classifies correctly (batches of 500). */
  @SuppressWarnings("try") // the scope only releases the batch's temporaries at close
  public static double accuracy(Module<Tensor, Tensor> m, FashionMnist d, ModelKind kind) {
    int[] order = identity(d.size());
    double correct = 0;
    for (int from = 0; from < d.size(); from += 500) {
      int n = Math.min(500, d.size() - from);
      try (Scope scope = Arbor.scope()) {
        Tensor logits = m.call(images(d, order, from, n, kind));
        correct += Losses.accuracy(logits, labels(d, order, from, n)).item() * n;
      }
    }
    return correct / d.size();
  }

  /**
   * Trains {@code kind} on {@code train} for {@code epochs} with Adam and reports to {@code out}
   * (progress bar, test accuracy and time per epoch).
   */
  public static Result train(
      ModelKind kind,
      FashionMnist train,
      FashionMnist test,
      int epochs,
      int batchSize,
      double lr,
      long seed,
      PrintStream out) {
    Module<Tensor, Tensor> model = model(kind, Key.of(seed));
    Optimizer<Optimizers.AdamState> opt = Optimizers.adam(lr);
    Optimizers.AdamState state = opt.init(model);
    List<Double> stepLoss = new ArrayList<>();
    List<Double> trainAcc = new ArrayList<>();
    List<Double> testAcc = new ArrayList<>();
    List<Double> seconds = new ArrayList<>();
    java.util.Random shuffle = new java.util.Random(seed);
    int steps = train.size() / batchSize;
    if (steps == 0) {
      throw new IllegalArgumentException(
          "--batch-size " + batchSize + " is larger than the " + train.size() + " training images");
    }
    boolean live = ProgressBar.terminal();
    for (int epoch = 1; epoch <= epochs; epoch++) {
      long start = System.nanoTime();
      int[] order = identity(train.size());
      for (int i = order.length - 1; i > 0; i--) {
        int j = shuffle.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      ProgressBar bar =
          new ProgressBar(
              out, String.format(Locale.ROOT, "epoch %2d/%d", epoch, epochs), steps, live);
      double lossSum = 0;
      double hits = 0;
      for (int step = 0; step < steps; step++) {
        // step-begin
        try (Scope s = Arbor.scope()) { // releases this step's temporaries at once
          Tensor x = images(train, order, step * batchSize, batchSize, kind);
          Tensor y = labels(train, order, step * batchSize, batchSize);
          Function<Module<Tensor, Tensor>, WithAux<Tensor>> loss =
              m -> {
                Tensor logits = m.call(x);
                return new WithAux<>(Losses.softmaxCrossEntropy(logits, y), logits);
              };
          GradAndAux<Module<Tensor, Tensor>, Tensor> g = Arbor.gradWithAux(loss).apply(model);
          Optimizer.Step<Module<Tensor, Tensor>, Optimizers.AdamState> u =
              opt.update(g.grad(), state, model);
          model = s.keep(Optimizers.applyUpdates(model, u.updates()));
          state = s.keep(u.state());
          double l = g.value().item();
          stepLoss.add(l);
          lossSum += l;
          hits += Losses.accuracy(g.aux(), y).item() * batchSize;
        }
        // step-end
        bar.step(step + 1, String.format(Locale.ROOT, "loss %.4f", lossSum / (step + 1)));
      }
      double secs = (System.nanoTime() - start) / 1e9;
      double accTest = accuracy(model, test, kind);
      trainAcc.add(hits / ((double) steps * batchSize));
      testAcc.add(accTest);
      seconds.add(secs);
      bar.finish(
          String.format(
              Locale.ROOT,
              "loss %.4f  train acc %.2f%%  test acc %.2f%%  (%.1f s/epoch)",
              lossSum / steps,
              100 * trainAcc.get(trainAcc.size() - 1),
              100 * accTest,
              secs));
    }
    return new Result(stepLoss, trainAcc, testAcc, seconds);
  }

  /** Held so that the level set on it stays (java.util.logging keeps loggers weakly). */
  private static final java.util.logging.Logger BACKEND_LOG =
      java.util.logging.Logger.getLogger("dev.arbor.backend");

  @Override
  public Integer call() throws IOException {
    if (backend != null) {
      System.setProperty("arbor.backend", backend);
    }
    if (!verbose) {
      // cpu-simd runs the PRNG, argmax and integer ops through the reference kernels (slow only
      // at initialization); its one-time warnings would bury the demo's output.
      BACKEND_LOG.setLevel(java.util.logging.Level.SEVERE);
    }
    PrintStream out = System.out;
    FashionMnist.Splits splits = FashionMnist.load(data);
    FashionMnist trainSet = trainSize > 0 ? splits.train().head(trainSize) : splits.train();
    out.printf(
        "Arbor %s on the '%s' backend, %d thread(s) available%n",
        Arbor.version(), Arbor.backend(), Runtime.getRuntime().availableProcessors());
    out.printf(
        "Fashion-MNIST from %s: %,d train / %,d test images%n",
        splits.source(), trainSet.size(), splits.test().size());
    out.printf("model %s, Adam lr %s, batch %d, %d epoch(s)%n", kind(), lr, batchSize, epochs);
    Result r = train(model, trainSet, splits.test(), epochs, batchSize, lr, seed, out);
    CurvePlot.write(
        plot,
        smooth(r.stepLoss(), Math.max(1, r.stepLoss().size() / 200)),
        r.stepLoss().size(),
        r.trainAccuracy(),
        r.testAccuracy(),
        String.format(
            Locale.ROOT,
            "Fashion-MNIST, %s: test accuracy %.2f%% after %d epoch(s)",
            kind(),
            100 * r.finalTestAccuracy(),
            epochs));
    double total = r.epochSeconds().stream().mapToDouble(Double::doubleValue).sum();
    out.printf(
        "test accuracy %.2f%%, training time %.1f s; curves written to %s%n",
        100 * r.finalTestAccuracy(), total, plot.toAbsolutePath());
    boolean bundled = splits.source().startsWith("bundled");
    if (epochs < 10 || trainSize > 0 || bundled) {
      String where =
          bundled ? " (after apt-get install dataset-fashion-mnist, or with --data DIR)" : "";
      out.println(
          model == ModelKind.mlp
              ? "full run (all 60,000 images, 10 epochs, ~88-89%): ./arbor demo --epochs 10" + where
              : "full run (all 60,000 images, 10 epochs; ~35 s per epoch here):"
                  + " ./arbor demo --model conv --epochs 10"
                  + where);
    }
    return 0;
  }

  private String kind() {
    return model == ModelKind.mlp
        ? "MLP 784-256-128-100-10 (ReLU)"
        : "convnet (2 conv 3x3 + 2x2 max-pool)";
  }

  /** Averages of {@code every} consecutive values. */
  static List<Double> smooth(List<Double> v, int every) {
    List<Double> out = new ArrayList<>();
    for (int i = 0; i < v.size(); i += every) {
      double s = 0;
      int n = 0;
      for (int j = i; j < Math.min(v.size(), i + every); j++) {
        s += v.get(j);
        n++;
      }
      out.add(s / n);
    }
    return out;
  }

  public static void main(String[] args) {
    System.exit(
        new CommandLine(new FashionMnistDemo())
            .setCaseInsensitiveEnumValuesAllowed(true)
            .setExecutionExceptionHandler(
                (e, cmd, parsed) -> {
                  // Data and I/O problems are the user's to fix: one line, no stack trace.
                  if (e instanceof IOException || e instanceof IllegalArgumentException) {
                    cmd.getErr().println("arbor demo: " + e.getMessage());
                    return 2;
                  }
                  throw e;
                })
            .execute(args));
  }
}
