package org.cil4j.eval;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * The accuracy matrix of a class-incremental run: {@code acc[i][j]}, the top-1 accuracy in
 * percent on the test samples of phase {@code j}'s classes, measured after training phase
 * {@code i}, for {@code j <= i} (a lower-triangular matrix), together with the number of test
 * samples behind each cell.
 *
 * <p>The counts make the per-phase accuracy exact: the accuracy after phase {@code i} is
 * top-1 over all test samples of all classes seen so far, that is the sample-weighted mean of
 * row {@code i} (so a 50-class base phase weighs five times a 10-class phase). All metrics are
 * pure functions of the matrix:
 *
 * <ul>
 *   <li>{@link #averageIncrementalAccuracy()}, the mean of the per-phase accuracies over all
 *       phases, the base phase included (Rebuffi et al., iCaRL, CVPR 2017; Hou et al., LUCIR,
 *       CVPR 2019);
 *   <li>{@link #forgetting()} and {@link #backwardTransfer()} after the last phase (Chaudhry et
 *       al., Riemannian Walk for Incremental Learning, ECCV 2018; Lopez-Paz &amp; Ranzato,
 *       Gradient Episodic Memory, NeurIPS 2017).
 * </ul>
 *
 * <p>Instances are immutable; {@link #withRow} returns a new matrix with one more phase. The
 * JSON form is {@code {"accuracy": [[...], ...], "counts": [[...], ...]}} with rows of length
 * 1, 2, 3, ...
 */
@JsonAutoDetect(
        fieldVisibility = Visibility.NONE,
        getterVisibility = Visibility.NONE,
        isGetterVisibility = Visibility.NONE,
        setterVisibility = Visibility.NONE,
        creatorVisibility = Visibility.NONE)
@JsonPropertyOrder({"accuracy", "counts"})
public final class AccuracyMatrix {
    private static final AccuracyMatrix EMPTY = new AccuracyMatrix(new double[0][], new int[0][]);

    private final double[][] accuracy;
    private final int[][] counts;

    /**
     * Creates a matrix from its rows, checking its shape and values.
     *
     * @param accuracy row {@code i} holds {@code acc[i][0..i]}, percentages in [0, 100]
     * @param counts row {@code i} holds the number of test samples behind each cell of {@code
     *     accuracy[i]}, each at least 1
     * @throws IllegalArgumentException if the rows are not lower-triangular, the two arrays
     *     disagree in shape, an accuracy is outside [0, 100] or a count is below 1
     */
    @JsonCreator
    public AccuracyMatrix(
            @JsonProperty(value = "accuracy", required = true) double[][] accuracy,
            @JsonProperty(value = "counts", required = true) int[][] counts) {
        Objects.requireNonNull(accuracy, "accuracy");
        Objects.requireNonNull(counts, "counts");
        if (accuracy.length != counts.length) {
            throw new IllegalArgumentException(
                    "accuracy has " + accuracy.length + " rows but counts has " + counts.length);
        }
        this.accuracy = new double[accuracy.length][];
        this.counts = new int[counts.length][];
        for (int i = 0; i < accuracy.length; i++) {
            checkRow(i, accuracy[i], counts[i]);
            this.accuracy[i] = accuracy[i].clone();
            this.counts[i] = counts[i].clone();
        }
    }

    /**
     * A matrix with no phase yet, the start of {@link #withRow} chains.
     *
     * @return the empty matrix
     */
    public static AccuracyMatrix empty() {
        return EMPTY;
    }

    /**
     * A matrix in which every cell has the same weight, as when every phase has as many test
     * samples (useful for matrices copied from papers).
     *
     * @param accuracy row {@code i} holds {@code acc[i][0..i]}, percentages in [0, 100]
     * @return the matrix, with a count of 1 in every cell
     * @throws IllegalArgumentException if the rows are not lower-triangular or an accuracy is
     *     outside [0, 100]
     */
    public static AccuracyMatrix withEqualCounts(double[][] accuracy) {
        Objects.requireNonNull(accuracy, "accuracy");
        int[][] counts = new int[accuracy.length][];
        for (int i = 0; i < accuracy.length; i++) {
            counts[i] = new int[accuracy[i] == null ? 0 : accuracy[i].length];
            Arrays.fill(counts[i], 1);
        }
        return new AccuracyMatrix(accuracy, counts);
    }

    /**
     * Returns this matrix with the results of one more phase.
     *
     * @param rowAccuracy {@code acc[p][0..p]} for the new phase {@code p = phases()}, in percent
     * @param rowCounts the number of test samples behind each value, each at least 1
     * @return a new matrix with {@code phases() + 1} phases
     * @throws IllegalArgumentException if a row does not have {@code phases() + 1} values, an
     *     accuracy is outside [0, 100] or a count is below 1
     */
    public AccuracyMatrix withRow(double[] rowAccuracy, int[] rowCounts) {
        double[][] a = Arrays.copyOf(accuracy, accuracy.length + 1);
        int[][] c = Arrays.copyOf(counts, counts.length + 1);
        a[accuracy.length] = rowAccuracy;
        c[counts.length] = rowCounts;
        return new AccuracyMatrix(a, c);
    }

    /** @return the number of phases evaluated so far (rows of the matrix) */
    public int phases() {
        return accuracy.length;
    }

    /**
     * @param i the phase after which accuracy was measured
     * @param j the phase whose classes were tested, {@code j <= i}
     * @return {@code acc[i][j]}, in percent
     * @throws IndexOutOfBoundsException if the cell is outside the lower triangle
     */
    public double get(int i, int j) {
        checkCell(i, j);
        return accuracy[i][j];
    }

    /**
     * @param i the phase after which accuracy was measured
     * @param j the phase whose classes were tested, {@code j <= i}
     * @return the number of test samples behind {@code acc[i][j]}
     * @throws IndexOutOfBoundsException if the cell is outside the lower triangle
     */
    public int count(int i, int j) {
        checkCell(i, j);
        return counts[i][j];
    }

    /** @return a copy of the accuracy rows, row {@code i} of length {@code i + 1} */
    @JsonProperty("accuracy")
    public double[][] accuracy() {
        double[][] copy = new double[accuracy.length][];
        for (int i = 0; i < accuracy.length; i++) {
            copy[i] = accuracy[i].clone();
        }
        return copy;
    }

    /** @return a copy of the count rows, row {@code i} of length {@code i + 1} */
    @JsonProperty("counts")
    public int[][] counts() {
        int[][] copy = new int[counts.length][];
        for (int i = 0; i < counts.length; i++) {
            copy[i] = counts[i].clone();
        }
        return copy;
    }

    /**
     * The accuracy after phase {@code i}: top-1 over all test samples of all classes seen so
     * far, the sample-weighted mean of row {@code i}.
     *
     * @param i a phase in [0, phases())
     * @return the accuracy in percent
     * @throws IndexOutOfBoundsException if the phase does not exist
     */
    public double accuracyAfter(int i) {
        checkPhase(i);
        return weightedMean(i, i + 1);
    }

    /** @return {@link #accuracyAfter(int)} for every phase, in order */
    public double[] perPhaseAccuracy() {
        double[] result = new double[accuracy.length];
        for (int i = 0; i < result.length; i++) {
            result[i] = weightedMean(i, i + 1);
        }
        return result;
    }

    /**
     * Average incremental accuracy: the mean of the per-phase accuracies over all phases, the
     * base phase included, as iCaRL (Rebuffi et al., CVPR 2017) and LUCIR (Hou et al., CVPR
     * 2019) report it.
     *
     * @return the average in percent
     * @throws IllegalStateException if the matrix has no phase
     */
    public double averageIncrementalAccuracy() {
        if (accuracy.length == 0) {
            throw new IllegalStateException("the accuracy matrix has no phase yet");
        }
        double sum = 0;
        for (double a : perPhaseAccuracy()) {
            sum += a;
        }
        return sum / accuracy.length;
    }

    /**
     * The forgetting of phase {@code j} after the last phase (Chaudhry et al., ECCV 2018): the
     * best accuracy ever reached on its classes before the last phase, minus the accuracy on
     * them now, {@code max over l in [j, last) of acc[l][j] - acc[last][j]}.
     *
     * @param j an old phase, in [0, phases() - 1)
     * @return the forgetting in percentage points (negative if accuracy improved)
     * @throws IndexOutOfBoundsException if {@code j} is not an old phase
     */
    public double forgettingOf(int j) {
        int last = accuracy.length - 1;
        if (j < 0 || j >= last) {
            throw new IndexOutOfBoundsException(
                    "forgetting is defined for the old phases [0, " + Math.max(last, 0) + "), got " + j);
        }
        double best = Double.NEGATIVE_INFINITY;
        for (int l = j; l < last; l++) {
            best = Math.max(best, accuracy[l][j]);
        }
        return best - accuracy[last][j];
    }

    /**
     * Average forgetting after the last phase (Chaudhry et al., ECCV 2018): the mean of {@link
     * #forgettingOf(int)} over the old phases. Each old phase counts once, whatever its size.
     *
     * @return the forgetting in percentage points; 0 when there are fewer than two phases
     */
    public double forgetting() {
        int last = accuracy.length - 1;
        if (last < 1) {
            return 0;
        }
        double sum = 0;
        for (int j = 0; j < last; j++) {
            sum += forgettingOf(j);
        }
        return sum / last;
    }

    /**
     * Backward transfer after the last phase (Lopez-Paz &amp; Ranzato, NeurIPS 2017): the mean
     * over the old phases {@code j} of {@code acc[last][j] - acc[j][j]}, the change in accuracy
     * on a phase's classes since the phase was learned. Negative values mean forgetting.
     *
     * @return the backward transfer in percentage points; 0 when there are fewer than two phases
     */
    public double backwardTransfer() {
        int last = accuracy.length - 1;
        if (last < 1) {
            return 0;
        }
        double sum = 0;
        for (int j = 0; j < last; j++) {
            sum += accuracy[last][j] - accuracy[j][j];
        }
        return sum / last;
    }

    /**
     * The accuracy after phase {@code i} on the classes of the earlier phases only, weighted by
     * test samples.
     *
     * @param i a phase in [1, phases())
     * @return the old-class accuracy in percent
     * @throws IndexOutOfBoundsException if {@code i} is 0 or does not exist
     */
    public double oldAccuracy(int i) {
        checkPhase(i);
        if (i == 0) {
            throw new IndexOutOfBoundsException("phase 0 has no old classes");
        }
        return weightedMean(i, i);
    }

    /**
     * The accuracy after phase {@code i} on the classes that phase {@code i} introduced.
     *
     * @param i a phase in [0, phases())
     * @return {@code acc[i][i]}, in percent
     * @throws IndexOutOfBoundsException if the phase does not exist
     */
    public double newAccuracy(int i) {
        checkPhase(i);
        return accuracy[i][i];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AccuracyMatrix other
                && Arrays.deepEquals(accuracy, other.accuracy)
                && Arrays.deepEquals(counts, other.counts);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.deepHashCode(accuracy) + Arrays.deepHashCode(counts);
    }

    @Override
    public String toString() {
        return "AccuracyMatrix{accuracy="
                + Arrays.deepToString(accuracy)
                + ", counts="
                + Arrays.deepToString(counts)
                + "}";
    }

    /** Sample-weighted mean of {@code acc[i][0..end)}. */
    private double weightedMean(int i, int end) {
        double sum = 0;
        long total = 0;
        for (int j = 0; j < end; j++) {
            sum += accuracy[i][j] * counts[i][j];
            total += counts[i][j];
        }
        return sum / total;
    }

    private void checkPhase(int i) {
        if (i < 0 || i >= accuracy.length) {
            throw new IndexOutOfBoundsException("phase " + i + " is outside [0, " + accuracy.length + ")");
        }
    }

    private void checkCell(int i, int j) {
        checkPhase(i);
        if (j < 0 || j > i) {
            throw new IndexOutOfBoundsException("cell (" + i + ", " + j + ") is outside the lower triangle");
        }
    }

    private static void checkRow(int i, double[] accuracyRow, int[] countRow) {
        if (accuracyRow == null || countRow == null) {
            throw new IllegalArgumentException("row " + i + " is missing");
        }
        if (accuracyRow.length != i + 1 || countRow.length != i + 1) {
            throw new IllegalArgumentException("row "
                    + i
                    + " must have "
                    + (i + 1)
                    + " values (phases 0.."
                    + i
                    + "), got "
                    + accuracyRow.length
                    + " accuracies and "
                    + countRow.length
                    + " counts");
        }
        for (int j = 0; j <= i; j++) {
            if (!(accuracyRow[j] >= 0 && accuracyRow[j] <= 100)) {
                throw new IllegalArgumentException(
                        "accuracy (" + i + ", " + j + ") must be a percentage in [0, 100], got " + accuracyRow[j]);
            }
            if (countRow[j] < 1) {
                throw new IllegalArgumentException(
                        "count (" + i + ", " + j + ") must be at least 1, got " + countRow[j]);
            }
        }
    }
}
