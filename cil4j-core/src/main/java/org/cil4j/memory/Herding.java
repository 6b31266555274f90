package org.cil4j.memory;

import java.util.Objects;

/**
 * Herding selection of exemplars (Rebuffi et al., iCaRL: Incremental Classifier and
 * Representation Learning, CVPR 2017, Algorithm 4 "ConstructExemplarSet"), as iCaRL, LUCIR and
 * their successors use it to fill the memory of each class.
 *
 * <p>Features are first L2-normalized. With {@code mu} the mean of the normalized features,
 * step {@code k = 1, 2, ...} picks, among the samples not picked yet, the one that brings the
 * mean of the picked samples closest to {@code mu}: {@code argmin_i || mu - (sum of picked +
 * f_i) / k ||}. Ties go to the lowest index. The order of the picks matters: the first {@code
 * m'} picks are the best {@code m'}-exemplar set, so shrinking a memory keeps a prefix
 * (iCaRL, Algorithm 5).
 *
 * <p>This is the form of PyCIL. For unit-norm features, minimizing the distance above is the
 * same as maximizing {@code (k mu - sum of picked) . f_i}, which is the iterative {@code w_t}
 * update of the iCaRL and LUCIR released code ({@code w_t = w_t + mu - f_picked}, argmax of
 * {@code w_t . f}). The two agree as long as that code's argmax never lands on a sample it
 * already picked; when it does, the released code spends a step without picking (and gives
 * up after 1000 steps) while this one takes the best sample not yet picked.
 *
 * <p>Pure Java, in double precision; deterministic.
 */
public final class Herding {
    private Herding() {}

    /**
     * Chooses {@code m} exemplars from the features of one class, in herding order.
     *
     * @param features one row per sample, all of the same length; rows of norm zero stay zero
     * @param m the number of exemplars, at least 0; if {@code m >= features.length} every
     *     sample is returned, in herding order
     * @return the indices of the chosen samples, in the order they were picked
     * @throws IllegalArgumentException if {@code m < 0}, the rows differ in length or a value is
     *     not finite
     */
    public static int[] select(float[][] features, int m) {
        Objects.requireNonNull(features, "features");
        if (m < 0) {
            throw new IllegalArgumentException("m must be >= 0, got " + m);
        }
        int n = features.length;
        int count = Math.min(m, n);
        if (count == 0) {
            return new int[0];
        }
        double[][] x = normalizedRows(features);
        int dim = x[0].length;
        double[] mu = new double[dim];
        for (double[] row : x) {
            for (int d = 0; d < dim; d++) {
                mu[d] += row[d];
            }
        }
        for (int d = 0; d < dim; d++) {
            mu[d] /= n;
        }
        double[] sum = new double[dim];
        boolean[] picked = new boolean[n];
        int[] order = new int[count];
        for (int k = 1; k <= count; k++) {
            int best = -1;
            double bestDistance = Double.POSITIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                if (picked[i]) {
                    continue;
                }
                double distance = 0;
                for (int d = 0; d < dim; d++) {
                    double diff = mu[d] - (sum[d] + x[i][d]) / k;
                    distance += diff * diff;
                }
                if (distance < bestDistance) {
                    bestDistance = distance;
                    best = i;
                }
            }
            picked[best] = true;
            order[k - 1] = best;
            for (int d = 0; d < dim; d++) {
                sum[d] += x[best][d];
            }
        }
        return order;
    }

    /**
     * Copies the features into doubles, each row divided by its L2 norm.
     *
     * @param features the rows, all of the same length
     * @return the normalized rows
     */
    private static double[][] normalizedRows(float[][] features) {
        int dim = Objects.requireNonNull(features[0], "features[0]").length;
        double[][] x = new double[features.length][];
        for (int i = 0; i < features.length; i++) {
            float[] row = Objects.requireNonNull(features[i], "features[" + i + "]");
            if (row.length != dim) {
                throw new IllegalArgumentException("row " + i + " has " + row.length + " values, row 0 has " + dim);
            }
            double norm = 0;
            for (float v : row) {
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("row " + i + " holds a non-finite value");
                }
                norm += (double) v * v;
            }
            norm = Math.sqrt(norm);
            x[i] = new double[dim];
            for (int d = 0; d < dim; d++) {
                x[i][d] = norm > 0 ? row[d] / norm : 0;
            }
        }
        return x;
    }
}
