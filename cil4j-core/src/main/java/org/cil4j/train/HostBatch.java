package org.cil4j.train;

/**
 * A batch prepared on the Java side: normalized, augmented pixels and labels.
 *
 * @param pixels {@code size * channels * height * width} floats, channel-first
 * @param labels incremental class labels
 * @param indices the positions of the samples in their dataset
 * @param size number of samples
 */
public record HostBatch(float[] pixels, int[] labels, int[] indices, int size) {}
