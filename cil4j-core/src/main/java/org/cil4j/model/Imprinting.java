package org.cil4j.model;

import java.util.Objects;

/**
 * Weight imprinting for a new class of a cosine classifier, as LUCIR initializes new classes
 * (Hou et al., Learning a Unified Classifier Incrementally via Rebalancing, CVPR 2019, in the
 * authors' released code; after Qi et al., Low-Shot Learning with Imprinted Weights, CVPR
 * 2018).
 *
 * <p>The new weight is the direction of the mean of the class's L2-normalized features,
 * scaled to the mean L2 norm of the old classes' weight rows so that it starts on the same
 * footing as them. Pure Java, in double precision.
 */
public final class Imprinting {
    private Imprinting() {}

    /**
     * The imprinted weight row of one new class.
     *
     * @param newClassFeatures the features of the new class's training samples, at least one
     *     row, all of the same length {@code dim}
     * @param oldWeights the weight rows of the old classes, at least one, each of length {@code
     *     dim}
     * @return {@code normalize(mean_i normalize(f_i)) * mean_j ||w_j||}, of length {@code dim};
     *     all zeros if the normalized features cancel out exactly
     * @throws IllegalArgumentException if an array is empty, the lengths disagree or a value is
     *     not finite
     */
    public static float[] weights(float[][] newClassFeatures, float[][] oldWeights) {
        Objects.requireNonNull(newClassFeatures, "newClassFeatures");
        Objects.requireNonNull(oldWeights, "oldWeights");
        if (newClassFeatures.length == 0) {
            throw new IllegalArgumentException("newClassFeatures has no rows");
        }
        if (oldWeights.length == 0) {
            throw new IllegalArgumentException("oldWeights has no rows: no old class to scale to");
        }
        int dim = Objects.requireNonNull(newClassFeatures[0], "newClassFeatures[0]").length;
        double[] mean = new double[dim];
        for (int i = 0; i < newClassFeatures.length; i++) {
            float[] row = checkRow(newClassFeatures[i], dim, "newClassFeatures", i);
            double norm = norm(row);
            if (norm > 0) {
                for (int d = 0; d < dim; d++) {
                    mean[d] += row[d] / norm;
                }
            }
        }
        double meanNorm = 0;
        for (int j = 0; j < oldWeights.length; j++) {
            meanNorm += norm(checkRow(oldWeights[j], dim, "oldWeights", j));
        }
        meanNorm /= oldWeights.length;
        double direction = 0;
        for (double v : mean) {
            direction += v * v;
        }
        direction = Math.sqrt(direction);
        float[] result = new float[dim];
        if (direction > 0) {
            for (int d = 0; d < dim; d++) {
                result[d] = (float) (mean[d] / direction * meanNorm);
            }
        }
        return result;
    }

    private static float[] checkRow(float[] row, int dim, String name, int i) {
        Objects.requireNonNull(row, name + "[" + i + "]");
        if (row.length != dim) {
            throw new IllegalArgumentException(
                    name + "[" + i + "] has " + row.length + " values, expected " + dim);
        }
        for (float v : row) {
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException(name + "[" + i + "] holds a non-finite value");
            }
        }
        return row;
    }

    private static double norm(float[] row) {
        double sum = 0;
        for (float v : row) {
            sum += (double) v * v;
        }
        return Math.sqrt(sum);
    }
}
