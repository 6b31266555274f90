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

class DistillationTest {
    private static final double TOL = 1e-5;

    private static NDArray teacher(NDManager m) {
        return m.create(new float[][] {{2f, 0.5f, -1f}, {0.1f, 0.2f, 0.3f}});
    }

    private static NDArray student(NDManager m) {
        return m.create(new float[][] {{1.5f, 1f, -0.5f}, {0f, 0.5f, -0.2f}});
    }

    @Test
    void reproducesProtocolVectors() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray s = student(m);
            NDArray t = teacher(m);
            assertEquals(0.022240, Distillation.kl(s, t, 2).getFloat(), TOL);
            assertEquals(0.088959, Distillation.kd(s, t, 2).getFloat(), TOL);
            assertEquals(0.088959, Distillation.kd(s, t).getFloat(), TOL);
            assertEquals(1.038294, Distillation.softCrossEntropy(s, t, 2).getFloat(), TOL);
        }
    }

    @Test
    void scoreDistillationIsTheSummedSquaredDifferenceAveragedOverTheBatch() {
        try (NDManager m = NDManager.newBaseManager()) {
            // differences (-0.5, 0.5, 0.5) and (-0.1, 0.3, -0.5): sums of squares 0.75 and 0.35
            assertEquals(0.55, Distillation.scores(student(m), teacher(m)).getFloat(), TOL);
            // cosine scores as LUCIR has them: (0.1, -0.3) and (-0.2, 0.3), sums 0.10 and 0.13;
            // the released code's MSELoss * num_old_classes: (0.01 + 0.09 + 0.04 + 0.09) / 4 * 2
            NDArray s = m.create(new float[][] {{0.5f, -0.2f}, {0.1f, 0.9f}});
            NDArray t = m.create(new float[][] {{0.4f, 0.1f}, {0.3f, 0.6f}});
            NDArray loss = Distillation.scores(s, t);
            assertEquals(0.115, loss.getFloat(), TOL);
            assertEquals(0, loss.getShape().dimension());
            assertEquals(0, Distillation.scores(t, t).getFloat(), 0);
        }
    }

    @Test
    void scoreDistillationGradientFlowsToTheStudentOnly() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray s = m.create(new float[][] {{0.5f, -0.2f}, {0.1f, 0.9f}});
            NDArray t = m.create(new float[][] {{0.4f, 0.1f}, {0.3f, 0.6f}});
            s.setRequiresGradient(true);
            t.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(Distillation.scores(s, t));
            }
            // d/ds of mean_i sum_c (s - t)^2 = 2 (s - t) / N, N = 2
            assertArrayEquals(
                    new float[] {0.1f, -0.3f, -0.2f, 0.3f}, s.getGradient().toFloatArray(), 1e-6f);
            assertArrayEquals(new float[4], t.getGradient().toFloatArray(), 0f);
            NDArray narrow = m.create(new float[][] {{1f}, {2f}});
            assertThrows(IllegalArgumentException.class, () -> Distillation.scores(s, narrow));
        }
    }

    @Test
    void resultIsAScalar() {
        try (NDManager m = NDManager.newBaseManager()) {
            assertEquals(
                    0, Distillation.kl(student(m), teacher(m), 2).getShape().dimension());
            assertEquals(
                    0,
                    Distillation.softCrossEntropy(student(m), teacher(m), 2)
                            .getShape()
                            .dimension());
        }
    }

    @Test
    void klIsZeroForIdenticalOutputsAndSoftCrossEntropyIsTheEntropy() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray t = teacher(m);
            assertEquals(0, Distillation.kl(t, t, 3).getFloat(), 1e-6);
            // Entropy of softmax([1, 1, 1, 1]) is log 4, whatever the temperature.
            NDArray flat = m.ones(new Shape(1, 4));
            assertEquals(
                    Math.log(4), Distillation.softCrossEntropy(flat, flat, 5).getFloat(), TOL);
        }
    }

    @Test
    void softCrossEntropyExceedsKlByTeacherEntropy() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray s = student(m);
            NDArray t = teacher(m);
            double ce = Distillation.softCrossEntropy(s, t, 2).getFloat();
            double kl = Distillation.kl(s, t, 2).getFloat();
            double entropy = Distillation.softCrossEntropy(t, t, 2).getFloat();
            assertEquals(ce, kl + entropy, TOL);
        }
    }

    @Test
    void stableForLargeLogits() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray s = m.create(new float[][] {{1000f, 0f}});
            NDArray t = m.create(new float[][] {{0f, 1000f}});
            // p_teacher = (0, 1), log p_student(1) = -500 at T = 2: KL = 500.
            assertEquals(500, Distillation.kl(s, t, 2).getFloat(), 1e-3);
            assertEquals(500, Distillation.softCrossEntropy(s, t, 2).getFloat(), 1e-3);
        }
    }

    @Test
    void gradientFlowsToStudentOnlyAndMatchesAnalyticForm() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray s = student(m);
            NDArray t = teacher(m);
            s.setRequiresGradient(true);
            t.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(Distillation.kd(s, t, 2));
            }
            // d(T^2 * mean KL)/ds = T^2 / (N * T) * (p_s - p_t) = (p_s - p_t) for T = 2, N = 2.
            NDArray expected = s.stopGradient()
                    .div(2)
                    .softmax(1)
                    .sub(t.stopGradient().div(2).softmax(1));
            assertArrayEquals(expected.toFloatArray(), s.getGradient().toFloatArray(), 1e-6f);
            assertArrayEquals(new float[6], t.getGradient().toFloatArray(), 0f);
        }
    }

    @Test
    void rejectsBadArguments() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray s = student(m);
            NDArray t = teacher(m);
            assertThrows(IllegalArgumentException.class, () -> Distillation.kl(s, t, 0));
            assertThrows(IllegalArgumentException.class, () -> Distillation.kl(s, t, -1));
            assertThrows(IllegalArgumentException.class, () -> Distillation.kd(s, t, Double.NaN));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> Distillation.softCrossEntropy(s, t, Double.POSITIVE_INFINITY));
            NDArray narrow = m.create(new float[][] {{1f, 2f}, {3f, 4f}});
            assertThrows(IllegalArgumentException.class, () -> Distillation.kl(s, narrow, 2));
            NDArray vector = m.create(new float[] {1f, 2f, 3f});
            assertThrows(IllegalArgumentException.class, () -> Distillation.kd(vector, vector));
            NDArray ints = m.create(new int[][] {{1, 2, 3}, {4, 5, 6}});
            assertThrows(IllegalArgumentException.class, () -> Distillation.softCrossEntropy(s, ints, 2));
        }
    }
}
