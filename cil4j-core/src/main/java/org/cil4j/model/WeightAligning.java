package org.cil4j.model;

import java.util.Objects;

/**
 * Weight aligning (Zhao, Xiao, Gan, Zhang, Xia, Maintaining Discrimination and Fairness in Class
 * Incremental Learning, CVPR 2020, eq. 6): after a phase the new classes' weight rows are scaled
 * by {@code gamma = mean ||w_old|| / mean ||w_new||}, so that their mean norm equals the old
 * classes' and the classifier stops favouring the classes it learned last. PyCIL's {@code
 * weight_align} ({@code utils/inc_net.py}) scales the rows only, not the biases. Pure Java, in
 * double precision.
 */
public final class WeightAligning {
    private WeightAligning() {}

    /**
     * @param oldRows the old classes' weight rows, at least one
     * @param newRows the new classes' weight rows, at least one, of the same length
     * @return {@code mean_j ||oldRows_j|| / mean_k ||newRows_k||}
     * @throws IllegalArgumentException if a set is empty, the lengths differ or the new rows are
     *     all zero
     */
    public static double gamma(float[][] oldRows, float[][] newRows) {
        Objects.requireNonNull(oldRows, "oldRows");
        Objects.requireNonNull(newRows, "newRows");
        if (oldRows.length == 0 || newRows.length == 0) {
            throw new IllegalArgumentException(
                    "weight aligning needs old and new rows, got " + oldRows.length + " and " + newRows.length);
        }
        int dim = oldRows[0].length;
        double newMean = meanNorm(newRows, dim);
        if (!(newMean > 0)) {
            throw new IllegalArgumentException("the new classes' weights are all zero: nothing to scale");
        }
        return meanNorm(oldRows, dim) / newMean;
    }

    /**
     * @param flat a weight matrix in row-major order
     * @param dim the length of a row
     * @return its rows
     */
    public static float[][] rows(float[] flat, int dim) {
        float[][] rows = new float[flat.length / dim][];
        for (int r = 0; r < rows.length; r++) {
            rows[r] = java.util.Arrays.copyOfRange(flat, r * dim, (r + 1) * dim);
        }
        return rows;
    }

    private static double meanNorm(float[][] rows, int dim) {
        double sum = 0;
        for (float[] row : rows) {
            if (row.length != dim) {
                throw new IllegalArgumentException("weight rows of lengths " + dim + " and " + row.length);
            }
            double sq = 0;
            for (float v : row) {
                sq += (double) v * v;
            }
            sum += Math.sqrt(sq);
        }
        return sum / rows.length;
    }
}
