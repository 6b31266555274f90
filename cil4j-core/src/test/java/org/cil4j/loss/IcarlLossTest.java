package org.cil4j.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class IcarlLossTest {
    private static final double TOL = 1e-5;

    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** Binary cross-entropy of a logit against a target, in the naive form. */
    private static double bce(double x, double y) {
        return -(y * Math.log(sigmoid(x)) + (1 - y) * Math.log(1 - sigmoid(x)));
    }

    @Test
    void reproducesProtocolVector() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray loss = IcarlLoss.loss(
                    m.create(new float[][] {{1, -1, 0.5f}}),
                    m.create(new float[][] {{2, 0}}),
                    m.create(new long[] {2}),
                    2);
            assertEquals(0.573268, loss.getFloat(), TOL);
            assertEquals(1.719803, loss.getFloat() * 3, TOL);
            assertEquals(0, loss.getShape().dimension());
        }
    }

    @Test
    void firstPhaseIsOneHotBinaryCrossEntropy() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray loss =
                    IcarlLoss.loss(m.create(new float[][] {{1, -1}, {0.5f, 2}}), null, m.create(new int[] {0, 0}), 0);
            double expected = (bce(1, 1) + bce(-1, 0) + bce(0.5, 1) + bce(2, 0)) / 4;
            assertEquals(expected, loss.getFloat(), TOL);
        }
    }

    @Test
    void exemplarsGetTeacherTargetsOnOldAndZeroOnNewClasses() {
        try (NDManager m = NDManager.newBaseManager()) {
            // label 1 is an old class: the one-hot does not reach the old columns
            NDArray loss = IcarlLoss.loss(
                    m.create(new float[][] {{1, -1, 0.5f}}),
                    m.create(new float[][] {{2, 0}}),
                    m.create(new int[] {1}),
                    2);
            double expected = (bce(1, sigmoid(2)) + bce(-1, 0.5) + bce(0.5, 0)) / 3;
            assertEquals(expected, loss.getFloat(), TOL);
        }
    }

    @Test
    void allClassesOld() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray loss = IcarlLoss.loss(
                    m.create(new float[][] {{1, -1}}), m.create(new float[][] {{2, 0}}), m.create(new int[] {0}), 2);
            assertEquals((bce(1, sigmoid(2)) + bce(-1, 0.5)) / 2, loss.getFloat(), TOL);
        }
    }

    @Test
    void stableForLargeLogits() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray loss = IcarlLoss.loss(m.create(new float[][] {{200, -200}}), null, m.create(new int[] {1}), 0);
            assertEquals(200, loss.getFloat(), 1e-3);
        }
    }

    @Test
    void gradientIsSigmoidMinusTargetAndSkipsTeacher() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[][] {{1, -1, 0.5f}});
            NDArray teacher = m.create(new float[][] {{2, 0}});
            logits.setRequiresGradient(true);
            teacher.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(IcarlLoss.loss(logits, teacher, m.create(new int[] {2}), 2));
            }
            float[] expected = {
                (float) ((sigmoid(1) - sigmoid(2)) / 3),
                (float) ((sigmoid(-1) - 0.5) / 3),
                (float) ((sigmoid(0.5) - 1) / 3)
            };
            assertArrayEquals(expected, logits.getGradient().toFloatArray(), 1e-6f);
            assertArrayEquals(new float[2], teacher.getGradient().toFloatArray(), 0f);
        }
    }

    @Test
    void rejectsBadArguments() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[][] {{1, -1, 0.5f}});
            NDArray labels = m.create(new int[] {2});
            assertThrows(IllegalArgumentException.class, () -> IcarlLoss.loss(logits, null, labels, 2));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> IcarlLoss.loss(logits, m.create(new float[][] {{2, 0, 1}}), labels, 2));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> IcarlLoss.loss(logits, m.create(new float[][] {{2, 0}}), labels, 4));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> IcarlLoss.loss(logits, m.create(new float[][] {{2, 0}}), labels, -1));
            assertThrows(
                    IllegalArgumentException.class, () -> IcarlLoss.loss(logits, null, m.create(new int[] {3}), 0));
        }
    }

    /**
     * FACIL's term: per old class the batch mean of BCE(sigmoid(s), sigmoid(t)), summed over the
     * old classes (1.375072 computed by hand from the formula).
     */
    @Test
    void facilDistillationSumsOverOldClassesAndAveragesOverTheBatch() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray student = m.create(new float[][] {{1, -1}, {0.5f, 2}});
            NDArray teacher = m.create(new float[][] {{2, 0}, {-1, 1}});
            NDArray loss = IcarlLoss.sigmoidDistillation(student, teacher);
            assertEquals(0, loss.getShape().dimension());
            assertEquals(1.375072, loss.getFloat(), TOL);
            double expected =
                    (bce(1, sigmoid(2)) + bce(0.5, sigmoid(-1))) / 2 + (bce(-1, sigmoid(0)) + bce(2, sigmoid(1))) / 2;
            assertEquals(expected, loss.getFloat(), TOL);
            assertThrows(
                    IllegalArgumentException.class,
                    () -> IcarlLoss.sigmoidDistillation(student, m.create(new float[][] {{2, 0, 1}, {0, 0, 0}})));
        }
    }

    @Test
    void facilDistillationGradientIsSigmoidMinusTargetOverBatch() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray student = m.create(new float[][] {{1, -1}, {0.5f, 2}});
            NDArray teacher = m.create(new float[][] {{2, 0}, {-1, 1}});
            student.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(IcarlLoss.sigmoidDistillation(student, teacher));
            }
            float[] expected = {
                (float) ((sigmoid(1) - sigmoid(2)) / 2), (float) ((sigmoid(-1) - 0.5) / 2),
                (float) ((sigmoid(0.5) - sigmoid(-1)) / 2), (float) ((sigmoid(2) - sigmoid(1)) / 2)
            };
            assertArrayEquals(expected, student.getGradient().toFloatArray(), 1e-6f);
        }
    }
}
