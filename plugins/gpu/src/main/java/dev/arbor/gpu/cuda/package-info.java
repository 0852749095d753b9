/** Internal: the {@code cuda} backend and its FFM bindings to the CUDA driver API. */
package dev.arbor.gpu.cuda;
