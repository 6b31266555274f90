package org.cil4j.model;

import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Weight imprinting for a new class of a cosine classifier, as LUCIR initializes new classes
 * (Hou et al., Learning a Unified Classifier Incrementally via Rebalancing, CVPR 2019, in the
 * authors' released code; after Qi et al., Low-Shot Learning with Imprinted Weights, CVPR
 * 2018).
 *
 * <p>The new weight is the direction of the mean of the class's L2-normalized features,
 * scaled to the mean L2 norm of the old classes' weight rows so that it starts on the same
 * footing as them. Pure Java, in double precision.
 *
 * <p>{@link #proxies} imprints the several weight vectors of a class of PODNet's local similarity
 * classifier as the authors' code does ({@code add_imprinted_classes} with {@code
 * multi_class_diff = kmeans}): the centres of a k-means of the class's normalized features.
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
        double meanNorm = meanNorm(oldWeights, dim);
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

    /**
     * The imprinted proxies of one new class: the {@code k} centres of a k-means of the class's
     * L2-normalized features (k-means++ seeding, Lloyd iterations to convergence, as
     * scikit-learn's {@code KMeans} with one initialization), each scaled by the mean L2 norm of
     * the old weight rows.
     *
     * @param newClassFeatures the class's features, at least one row
     * @param oldWeights the old classes' weight rows (every proxy), at least one
     * @param k proxies, at least 1; with fewer samples than {@code k} some centres repeat
     * @param rnd the seeding's random stream
     * @return {@code k} rows of length {@code dim}
     */
    public static float[][] proxies(float[][] newClassFeatures, float[][] oldWeights, int k, SplittableRandom rnd) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, got " + k);
        }
        int dim = weights(newClassFeatures, oldWeights).length; // checks the arrays
        double meanNorm = meanNorm(oldWeights, dim);
        int n = newClassFeatures.length;
        double[][] x = new double[n][dim];
        for (int i = 0; i < n; i++) {
            double nrm = Math.max(norm(newClassFeatures[i]), 1e-12);
            for (int d = 0; d < dim; d++) {
                x[i][d] = newClassFeatures[i][d] / nrm;
            }
        }
        double[][] centres = seed(x, k, rnd);
        int[] assign = new int[n];
        java.util.Arrays.fill(assign, -1);
        for (int iter = 0; iter < 300; iter++) {
            boolean moved = false;
            for (int i = 0; i < n; i++) {
                int best = nearest(x[i], centres);
                moved |= best != assign[i];
                assign[i] = best;
            }
            if (!moved) {
                break;
            }
            for (int c = 0; c < k; c++) {
                double[] sum = new double[dim];
                int count = 0;
                for (int i = 0; i < n; i++) {
                    if (assign[i] == c) {
                        count++;
                        for (int d = 0; d < dim; d++) {
                            sum[d] += x[i][d];
                        }
                    }
                }
                if (count > 0) {
                    for (int d = 0; d < dim; d++) {
                        centres[c][d] = sum[d] / count;
                    }
                }
            }
        }
        float[][] out = new float[k][dim];
        for (int c = 0; c < k; c++) {
            for (int d = 0; d < dim; d++) {
                out[c][d] = (float) (centres[c][d] * meanNorm);
            }
        }
        return out;
    }

    /** k-means++ seeding: each next centre drawn with probability proportional to the squared distance. */
    private static double[][] seed(double[][] x, int k, SplittableRandom rnd) {
        int n = x.length;
        double[][] centres = new double[k][];
        centres[0] = x[rnd.nextInt(n)].clone();
        double[] d2 = new double[n];
        for (int c = 1; c < k; c++) {
            double total = 0;
            for (int i = 0; i < n; i++) {
                d2[i] = Double.MAX_VALUE;
                for (int j = 0; j < c; j++) {
                    d2[i] = Math.min(d2[i], squared(x[i], centres[j]));
                }
                total += d2[i];
            }
            int pick = rnd.nextInt(n);
            if (total > 0) {
                double r = rnd.nextDouble() * total;
                for (int i = 0; i < n; i++) {
                    r -= d2[i];
                    if (r <= 0) {
                        pick = i;
                        break;
                    }
                }
            }
            centres[c] = x[pick].clone();
        }
        return centres;
    }

    private static int nearest(double[] v, double[][] centres) {
        int best = 0;
        double bestD = Double.MAX_VALUE;
        for (int c = 0; c < centres.length; c++) {
            double d = squared(v, centres[c]);
            if (d < bestD) {
                bestD = d;
                best = c;
            }
        }
        return best;
    }

    private static double squared(double[] a, double[] b) {
        double s = 0;
        for (int d = 0; d < a.length; d++) {
            s += (a[d] - b[d]) * (a[d] - b[d]);
        }
        return s;
    }

    private static double meanNorm(float[][] oldWeights, int dim) {
        double sum = 0;
        for (int j = 0; j < oldWeights.length; j++) {
            sum += norm(checkRow(oldWeights[j], dim, "oldWeights", j));
        }
        return sum / oldWeights.length;
    }

    private static float[] checkRow(float[] row, int dim, String name, int i) {
        Objects.requireNonNull(row, name + "[" + i + "]");
        if (row.length != dim) {
            throw new IllegalArgumentException(name + "[" + i + "] has " + row.length + " values, expected " + dim);
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
