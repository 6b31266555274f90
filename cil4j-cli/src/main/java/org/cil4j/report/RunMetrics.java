package org.cil4j.report;

import java.util.Arrays;
import org.cil4j.eval.AccuracyMatrix;
import org.cil4j.experiment.RunResult;

/** Per-phase series of a run, computed from its accuracy matrices. */
public final class RunMetrics {
    private RunMetrics() {}

    /**
     * The matrix of a run's own metric: task-aware in the multi-task setting, task-agnostic
     * (CNN) otherwise.
     *
     * @param r a result
     * @return its primary matrix
     */
    public static AccuracyMatrix primary(RunResult r) {
        return "taskAware".equals(r.summary().primary()) ? r.taskAware() : r.cnn();
    }

    /**
     * @param m a matrix
     * @param rows how many of its first phases to keep
     * @return the matrix as it was after phase {@code rows - 1}
     */
    public static AccuracyMatrix firstPhases(AccuracyMatrix m, int rows) {
        return new AccuracyMatrix(Arrays.copyOf(m.accuracy(), rows), Arrays.copyOf(m.counts(), rows));
    }

    /**
     * Average forgetting (Chaudhry et al., ECCV 2018) as it stood after each phase.
     *
     * @param m a matrix
     * @return one value per phase; NaN for phase 0, which has nothing to forget
     */
    public static double[] forgettingPerPhase(AccuracyMatrix m) {
        double[] f = new double[m.phases()];
        f[0] = Double.NaN;
        for (int i = 1; i < f.length; i++) {
            f[i] = firstPhases(m, i + 1).forgetting();
        }
        return f;
    }

    /**
     * @param m a matrix
     * @return accuracy on the classes of earlier phases after each phase (sample-weighted);
     *     NaN for phase 0
     */
    public static double[] oldAccuracy(AccuracyMatrix m) {
        double[] a = new double[m.phases()];
        a[0] = Double.NaN;
        for (int i = 1; i < a.length; i++) {
            a[i] = m.oldAccuracy(i);
        }
        return a;
    }

    /**
     * @param m a matrix
     * @return accuracy on each phase's own new classes, right after it
     */
    public static double[] newAccuracy(AccuracyMatrix m) {
        double[] a = new double[m.phases()];
        for (int i = 0; i < a.length; i++) {
            a[i] = m.newAccuracy(i);
        }
        return a;
    }

    /**
     * @param r a result
     * @return classes seen after each phase done, the x axis of the accuracy curves
     */
    public static int[] classesSeen(RunResult r) {
        return r.phases().stream().mapToInt(p -> p.seen()).toArray();
    }
}
