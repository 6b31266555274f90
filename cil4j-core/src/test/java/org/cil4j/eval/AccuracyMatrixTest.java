package org.cil4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import org.junit.jupiter.api.Test;

class AccuracyMatrixTest {
    private static final double TOL = 1e-9;
    private static final double[][] EXAMPLE = {{90}, {60, 80}, {50, 55, 85}};

    private static AccuracyMatrix example() {
        return AccuracyMatrix.empty()
                .withRow(new double[] {90}, new int[] {1000})
                .withRow(new double[] {60, 80}, new int[] {1000, 1000})
                .withRow(new double[] {50, 55, 85}, new int[] {1000, 1000, 1000});
    }

    @Test
    void protocolWorkedExample() {
        AccuracyMatrix acc = example();
        assertEquals(3, acc.phases());
        assertArrayEquals(new double[] {90, 70, 190.0 / 3}, acc.perPhaseAccuracy(), TOL);
        assertEquals(63.333, acc.accuracyAfter(2), 1e-3);
        assertEquals((90 + 70 + 190.0 / 3) / 3, acc.averageIncrementalAccuracy(), TOL);
        assertEquals(74.444, acc.averageIncrementalAccuracy(), 1e-3);
        assertEquals(32.5, acc.forgetting(), TOL);
        assertEquals(-32.5, acc.backwardTransfer(), TOL);
        assertEquals(40, acc.forgettingOf(0), TOL);
        assertEquals(25, acc.forgettingOf(1), TOL);
    }

    @Test
    void equalCountsFactoryMatchesExplicitCounts() {
        AccuracyMatrix equal = AccuracyMatrix.withEqualCounts(EXAMPLE);
        AccuracyMatrix explicit = example();
        assertArrayEquals(explicit.perPhaseAccuracy(), equal.perPhaseAccuracy(), TOL);
        assertEquals(explicit.forgetting(), equal.forgetting(), TOL);
        assertNotEquals(explicit, equal); // the counts differ
    }

    @Test
    void perPhaseAccuracyIsWeightedBySamples() {
        // a 50-class base phase (5000 test images) and a 10-class phase (1000)
        AccuracyMatrix acc = AccuracyMatrix.empty()
                .withRow(new double[] {80}, new int[] {5000})
                .withRow(new double[] {60, 90}, new int[] {5000, 1000});
        assertEquals(65, acc.accuracyAfter(1), TOL); // (5 * 60 + 90) / 6, not (60 + 90) / 2
        assertArrayEquals(new double[] {80, 65}, acc.perPhaseAccuracy(), TOL);
        assertEquals(72.5, acc.averageIncrementalAccuracy(), TOL);
        assertEquals(60, acc.oldAccuracy(1), TOL);
        assertEquals(90, acc.newAccuracy(1), TOL);
        // forgetting and backward transfer weigh each old phase once
        assertEquals(20, acc.forgetting(), TOL);
        assertEquals(-20, acc.backwardTransfer(), TOL);
    }

    @Test
    void forgettingUsesTheBestEarlierAccuracy() {
        // phase 0 improves after phase 1 (70 -> 75), then drops to 40
        AccuracyMatrix acc =
                AccuracyMatrix.withEqualCounts(new double[][] {{70}, {75, 60}, {70, 50, 90}, {40, 55, 80, 95}});
        assertEquals(35, acc.forgettingOf(0), TOL); // max(70, 75, 70) - 40
        assertEquals(5, acc.forgettingOf(1), TOL); // max(60, 50) - 55
        assertEquals(10, acc.forgettingOf(2), TOL);
        assertEquals(50.0 / 3, acc.forgetting(), TOL);
        assertEquals(((40 - 70) + (55 - 60) + (80 - 90)) / 3.0, acc.backwardTransfer(), TOL);
        assertEquals((40 + 55 + 80) / 3.0, acc.oldAccuracy(3), TOL);
    }

    @Test
    void singlePhaseAndEmpty() {
        AccuracyMatrix one = AccuracyMatrix.withEqualCounts(new double[][] {{88}});
        assertEquals(0, one.forgetting(), 0);
        assertEquals(0, one.backwardTransfer(), 0);
        assertEquals(88, one.averageIncrementalAccuracy(), 0);
        AccuracyMatrix empty = AccuracyMatrix.empty();
        assertEquals(0, empty.phases());
        assertArrayEquals(new double[0], empty.perPhaseAccuracy());
        assertEquals(0, empty.forgetting(), 0);
        assertThrows(IllegalStateException.class, empty::averageIncrementalAccuracy);
        assertThrows(IndexOutOfBoundsException.class, () -> one.forgettingOf(0));
        assertThrows(IndexOutOfBoundsException.class, () -> one.oldAccuracy(0));
    }

    @Test
    void accessorsCheckTheTriangle() {
        AccuracyMatrix acc = example();
        assertEquals(55, acc.get(2, 1), 0);
        assertEquals(1000, acc.count(2, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> acc.get(0, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> acc.get(3, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> acc.get(1, -1));
        assertThrows(IndexOutOfBoundsException.class, () -> acc.accuracyAfter(3));
        assertThrows(IndexOutOfBoundsException.class, () -> acc.forgettingOf(2));
    }

    @Test
    void isImmutable() {
        double[][] rows = {{90}, {60, 80}};
        AccuracyMatrix acc = AccuracyMatrix.withEqualCounts(rows);
        rows[1][0] = 0;
        assertEquals(60, acc.get(1, 0), 0);
        acc.accuracy()[1][0] = 0;
        acc.counts()[1][0] = 7;
        assertEquals(60, acc.get(1, 0), 0);
        assertEquals(1, acc.count(1, 0));
        double[] row = {60, 80, 70};
        AccuracyMatrix longer = acc.withRow(row, new int[] {1, 1, 1});
        row[0] = 0;
        assertEquals(60, longer.get(2, 0), 0);
        assertEquals(2, acc.phases());
    }

    @Test
    void rejectsMalformedRows() {
        AccuracyMatrix acc = example();
        assertThrows(IllegalArgumentException.class, () -> acc.withRow(new double[] {1, 2, 3}, new int[] {1, 1, 1}));
        assertThrows(IllegalArgumentException.class, () -> acc.withRow(new double[] {1, 2, 3, 4}, new int[] {1, 1, 1}));
        assertThrows(
                IllegalArgumentException.class, () -> acc.withRow(new double[] {1, 2, 3, 101}, new int[] {1, 1, 1, 1}));
        assertThrows(
                IllegalArgumentException.class,
                () -> acc.withRow(new double[] {1, 2, 3, Double.NaN}, new int[] {1, 1, 1, 1}));
        assertThrows(
                IllegalArgumentException.class, () -> acc.withRow(new double[] {1, 2, 3, 4}, new int[] {1, 1, 0, 1}));
        assertThrows(IllegalArgumentException.class, () -> new AccuracyMatrix(new double[][] {{1}}, new int[0][]));
        assertThrows(IllegalArgumentException.class, () -> AccuracyMatrix.withEqualCounts(new double[][] {{1, 2}}));
    }

    @Test
    void jsonRoundTrip() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        AccuracyMatrix acc = AccuracyMatrix.empty()
                .withRow(new double[] {80.5}, new int[] {5000})
                .withRow(new double[] {60.25, 90}, new int[] {5000, 1000});
        String json = mapper.writeValueAsString(acc);
        assertEquals("{\"accuracy\":[[80.5],[60.25,90.0]],\"counts\":[[5000],[5000,1000]]}", json);
        AccuracyMatrix back = mapper.readValue(json, AccuracyMatrix.class);
        assertEquals(acc, back);
        assertEquals(acc.hashCode(), back.hashCode());
        assertEquals("{\"accuracy\":[],\"counts\":[]}", mapper.writeValueAsString(AccuracyMatrix.empty()));
        assertEquals(AccuracyMatrix.empty(), mapper.readValue("{\"accuracy\":[],\"counts\":[]}", AccuracyMatrix.class));
    }

    @Test
    void jsonRejectsInvalidMatrices() {
        ObjectMapper mapper = new ObjectMapper();
        assertThrows(
                MismatchedInputException.class, () -> mapper.readValue("{\"accuracy\":[[1]]}", AccuracyMatrix.class));
        assertThrows(
                ValueInstantiationException.class,
                () -> mapper.readValue("{\"accuracy\":[[1, 2]],\"counts\":[[1, 1]]}", AccuracyMatrix.class));
    }
}
