package dev.arbor.spark;

import java.io.Serial;
import java.io.Serializable;

/**
 * One training step as reported to the driver.
 *
 * @param epoch the epoch, from 0
 * @param step the step within the epoch, from 0
 * @param loss the mean loss over the step's global batch, at the parameters before the step
 * @param examples the number of examples in the global batch
 * @param seconds wall time of the step (gradients, all-reduce and update)
 */
public record StepReport(int epoch, int step, double loss, long examples, double seconds)
    implements Serializable {
  @Serial private static final long serialVersionUID = 1L;

  /** Examples per second over this step. */
  public double examplesPerSecond() {
    return seconds > 0 ? examples / seconds : Double.POSITIVE_INFINITY;
  }
}
