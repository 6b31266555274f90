package org.cil4j.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.cil4j.eval.AccuracyMatrix;
import org.junit.jupiter.api.Test;

class RunMetricsTest {
    // acc[i][j]; counts make phase 0 weigh twice as much as later phases
    private final AccuracyMatrix m = new AccuracyMatrix(
            new double[][] {{90}, {60, 80}, {30, 70, 95}}, new int[][] {{200}, {200, 100}, {200, 100, 100}});

    @Test
    void forgettingAfterEachPhaseIsTheForgettingOfTheMatrixAsItThenStood() {
        double[] f = RunMetrics.forgettingPerPhase(m);
        assertTrue(Double.isNaN(f[0]));
        assertEquals(30, f[1], 1e-12, "after phase 1: 90 - 60");
        assertEquals(((90 - 30) + (80 - 70)) / 2.0, f[2], 1e-12);
        assertEquals(m.forgetting(), f[2], 1e-12);
    }

    @Test
    void oldAndNewClassAccuracyComeFromTheMatrixWeightedByCounts() {
        double[] old = RunMetrics.oldAccuracy(m);
        assertTrue(Double.isNaN(old[0]));
        assertEquals(60, old[1], 1e-12);
        assertEquals((30 * 200 + 70 * 100) / 300.0, old[2], 1e-12);
        assertArrayEquals(new double[] {90, 80, 95}, RunMetrics.newAccuracy(m), 1e-12);
    }
}
