package org.cil4j.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class MarginRankingTest {
    private static final double TOL = 1e-5;
    private static final float[][] SCORES = {{0.6f, 0.1f, 0f, 0.7f, 0.2f, 0.55f}, {0.1f, 0.3f, 0.2f, 0.1f, 0.25f, 0.05f}
    };

    @Test
    void reproducesProtocolVector() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray loss = MarginRanking.loss(m.create(SCORES), m.create(new long[] {0, 1}), 3, 0.5, 2);
            assertEquals(0.45, loss.getFloat(), TOL);
            assertEquals(0, loss.getShape().dimension());
            assertEquals(
                    0.45,
                    MarginRanking.loss(m.create(SCORES), m.create(new int[] {0, 1}), 3)
                            .getFloat(),
                    TOL);
        }
    }

    @Test
    void newClassSamplesDoNotTakePart() {
        try (NDManager m = NDManager.newBaseManager()) {
            // Sample 1 now has a new-class label: only sample 0's pairs (0.6, 0.45) count.
            NDArray loss = MarginRanking.loss(m.create(SCORES), m.create(new long[] {0, 4}), 3, 0.5, 2);
            assertEquals(0.525, loss.getFloat(), TOL);
            // K = 1: sample 0 -> 0.6, sample 1 -> 0.45
            NDArray k1 = MarginRanking.loss(m.create(SCORES), m.create(new long[] {0, 1}), 3, 0.5, 1);
            assertEquals(0.525, k1.getFloat(), TOL);
        }
    }

    @Test
    void hingeClipsAtZero() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray scores = m.create(new float[][] {{0.9f, 0.1f, 0.2f}});
            NDArray loss = MarginRanking.loss(scores, m.create(new int[] {0}), 1, 0.5, 2);
            assertEquals(0, loss.getFloat(), 0);
        }
    }

    @Test
    void noOldSampleGivesZeroThatBackpropagates() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray scores = m.create(SCORES);
            scores.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = MarginRanking.loss(scores, m.create(new int[] {3, 5}), 3, 0.5, 2);
                assertEquals(0, loss.getShape().dimension());
                assertEquals(0, loss.getFloat(), 0);
                gc.backward(loss);
            }
            assertArrayEquals(new float[12], scores.getGradient().toFloatArray(), 0f);
        }
    }

    @Test
    void gradientPushesGroundTruthUpAndNegativesDown() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray scores = m.create(SCORES);
            scores.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(MarginRanking.loss(scores, m.create(new int[] {0, 1}), 3, 0.5, 2));
            }
            // Four active pairs, each with weight 1/4: sample 0 gt gets -2/4, its negatives
            // (classes 3 and 5) +1/4; likewise sample 1 with negatives 4 and 3.
            float[] expected = {-0.5f, 0, 0, 0.25f, 0, 0.25f, 0, -0.5f, 0, 0.25f, 0.25f, 0};
            assertArrayEquals(expected, scores.getGradient().toFloatArray(), 1e-6f);
        }
    }

    @Test
    void rejectsBadArguments() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray scores = m.create(SCORES);
            NDArray labels = m.create(new int[] {0, 1});
            assertThrows(IllegalArgumentException.class, () -> MarginRanking.loss(scores, labels, 3, 0.5, 4));
            assertThrows(IllegalArgumentException.class, () -> MarginRanking.loss(scores, labels, 3, 0.5, 0));
            assertThrows(IllegalArgumentException.class, () -> MarginRanking.loss(scores, labels, 6, 0.5, 1));
            assertThrows(IllegalArgumentException.class, () -> MarginRanking.loss(scores, labels, -1, 0.5, 1));
            assertThrows(IllegalArgumentException.class, () -> MarginRanking.loss(scores, labels, 3, Double.NaN, 2));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> MarginRanking.loss(scores, m.create(new int[] {0, 6}), 3, 0.5, 2));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> MarginRanking.loss(scores, m.create(new int[] {0}), 3, 0.5, 2));
        }
    }
}
