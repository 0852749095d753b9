/**
 * The Fashion-MNIST demo ({@code ./arbor demo}): IDX loading, training of an MLP or a small convnet
 * with arbor-nn, a progress bar and a PNG of the training curves.
 */
package dev.arbor.examples.fashion;
