package dev.arbor.spark;

import java.io.IOException;
import java.io.Serializable;
import java.util.Optional;

/**
 * Where the gang-scheduled path keeps checkpoints to resume from after a failed task. Every task of
 * a retried stage must see what rank 0 saved: on a cluster, a directory all executors mount (or a
 * store reached over the network); on {@code local} and {@code local-cluster}, any local folder.
 *
 * <p>Shipped to executors with Java serialization.
 */
public interface CheckpointStore extends Serializable {
  /**
   * Saves {@code tree} (a pytree whose leaves are tensors) under {@code name}, replacing any
   * earlier one atomically: a reader sees the old checkpoint or the new one, never half of one.
   */
  void save(String name, Object tree) throws IOException;

  /**
   * The checkpoint saved under {@code name}, read into the structure of {@code like} (same tree
   * structure and leaf shapes), or empty if there is none.
   */
  <T> Optional<T> load(String name, T like) throws IOException;
}
