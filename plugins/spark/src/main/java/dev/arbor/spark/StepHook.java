package dev.arbor.spark;

import java.io.Serializable;

/**
 * Called by every task of the gang-scheduled path before each step; for fault-injection tests (an
 * exception thrown here fails the task, hence the barrier stage, which Spark then retries).
 */
@FunctionalInterface
public interface StepHook extends Serializable {
  /**
   * @param partition the task's partition (its rank in the ring)
   * @param stageAttempt the stage attempt, 0 for the first run, higher for Spark's retries
   * @param epoch the epoch
   * @param step the step within the epoch about to run
   */
  void beforeStep(int partition, int stageAttempt, int epoch, int step);
}
