package org.cil4j.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class CrossEntropyTest {
    private static final double TOL = 1e-5;

    /** -log softmax(row)[label], computed independently in double precision. */
    private static double reference(float[] row, int label) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : row) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : row) {
            sum += Math.exp(v - max);
        }
        return -(row[label] - max - Math.log(sum));
    }

    @Test
    void matchesIndependentComputation() {
        float[][] logits = {{1.5f, 1f, -0.5f}, {0f, 0.5f, -0.2f}};
        try (NDManager m = NDManager.newBaseManager()) {
            double expected = (reference(logits[0], 0) + reference(logits[1], 2)) / 2;
            NDArray loss = CrossEntropy.loss(m.create(logits), m.create(new long[] {0, 2}));
            assertEquals(expected, loss.getFloat(), TOL);
            assertEquals(0, loss.getShape().dimension());
            // int32 labels give the same value
            assertEquals(
                    expected,
                    CrossEntropy.loss(m.create(logits), m.create(new int[] {0, 2}))
                            .getFloat(),
                    TOL);
        }
    }

    @Test
    void uniformLogitsGiveLogOfClassCount() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.zeros(new Shape(3, 10));
            assertEquals(
                    Math.log(10),
                    CrossEntropy.loss(logits, m.create(new int[] {0, 5, 9})).getFloat(),
                    TOL);
        }
    }

    @Test
    void stableForLargeLogits() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[][] {{1000f, -1000f}});
            assertEquals(0, CrossEntropy.loss(logits, m.create(new int[] {0})).getFloat(), TOL);
            assertEquals(
                    2000, CrossEntropy.loss(logits, m.create(new int[] {1})).getFloat(), 1e-2);
        }
    }

    @Test
    void maskRestrictsSoftmaxToTheSampleTask() {
        float[][] logits = {{2f, 1f, 0.5f, 3f}, {0.2f, 4f, 1f, 2f}};
        float big = -1e9f;
        // sample 0 belongs to task {0, 1}, sample 1 to task {2, 3}
        float[][] mask = {{0, 0, big, big}, {big, big, 0, 0}};
        try (NDManager m = NDManager.newBaseManager()) {
            double expected = (reference(new float[] {2f, 1f}, 1) + reference(new float[] {1f, 2f}, 0)) / 2;
            NDArray loss = CrossEntropy.loss(m.create(logits), m.create(new long[] {1, 2}), m.create(mask));
            assertEquals(expected, loss.getFloat(), TOL);
            // an all-zero mask is the plain loss
            NDArray plain = CrossEntropy.loss(m.create(logits), m.create(new long[] {1, 2}));
            NDArray zeroMask =
                    CrossEntropy.loss(m.create(logits), m.create(new long[] {1, 2}), m.zeros(new Shape(2, 4)));
            assertEquals(plain.getFloat(), zeroMask.getFloat(), 1e-7);
        }
    }

    @Test
    void gradientIsSoftmaxMinusOneHotOverBatch() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[][] {{1f, 2f, 3f}, {0f, 0f, 0f}});
            logits.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(CrossEntropy.loss(logits, m.create(new int[] {2, 0})));
            }
            NDArray p = logits.stopGradient().softmax(1);
            NDArray oneHot = m.create(new float[][] {{0, 0, 1}, {1, 0, 0}});
            assertArrayEquals(
                    p.sub(oneHot).div(2).toFloatArray(), logits.getGradient().toFloatArray(), 1e-6f);
        }
    }

    @Test
    void rejectsBadArguments() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[][] {{1f, 2f, 3f}, {0f, 0f, 0f}});
            assertThrows(IllegalArgumentException.class, () -> CrossEntropy.loss(logits, m.create(new int[] {0, 3})));
            assertThrows(IllegalArgumentException.class, () -> CrossEntropy.loss(logits, m.create(new int[] {-1, 0})));
            assertThrows(IllegalArgumentException.class, () -> CrossEntropy.loss(logits, m.create(new int[] {0})));
            assertThrows(
                    IllegalArgumentException.class, () -> CrossEntropy.loss(logits, m.create(new float[] {0f, 1f})));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> CrossEntropy.loss(m.create(new float[] {1f, 2f}), m.create(new int[] {0})));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> CrossEntropy.loss(logits, m.create(new int[] {0, 1}), m.zeros(new Shape(2, 2))));
            assertThrows(NullPointerException.class, () -> CrossEntropy.loss(logits, m.create(new int[] {0, 1}), null));
        }
    }

    /**
     * LwF's multi-class term: the softmax covers the new classes only (1.007337 by hand; over
     * all four classes the same batch gives 2.168766).
     */
    @Test
    void fromCoversOnlyTheClassesFromThere() {
        float[][] logits = {{1, -1, 0.5f, 2}, {0.5f, 2, -1, 0}};
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray labels = m.create(new long[] {2, 3});
            NDArray loss = CrossEntropy.from(m.create(logits), labels, 2);
            assertEquals(1.007337, loss.getFloat(), TOL);
            double expected = (reference(new float[] {0.5f, 2}, 0) + reference(new float[] {-1, 0}, 1)) / 2;
            assertEquals(expected, loss.getFloat(), TOL);
            assertEquals(
                    2.168766, CrossEntropy.from(m.create(logits), labels, 0).getFloat(), TOL);
            assertEquals(2.168766, CrossEntropy.loss(m.create(logits), labels).getFloat(), TOL);
            assertThrows(
                    IllegalArgumentException.class,
                    () -> CrossEntropy.from(m.create(logits), m.create(new long[] {1, 3}), 2),
                    "an old label");
            assertThrows(IllegalArgumentException.class, () -> CrossEntropy.from(m.create(logits), labels, 4));
        }
    }
}
