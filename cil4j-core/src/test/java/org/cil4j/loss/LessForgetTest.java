package org.cil4j.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class LessForgetTest {
    private static final double TOL = 1e-5;

    @Test
    void reproducesProtocolVector() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray oldF = m.create(new float[][] {{1, 2, 2}, {0, 1, 0}});
            NDArray newF = m.create(new float[][] {{2, 1, 2}, {0, 1, 1}});
            double loss = LessForget.loss(oldF, newF).getFloat();
            assertEquals(0.202002, loss, TOL);
            double lambda = LessForget.adaptiveLambda(5, 50, 10);
            assertEquals(11.180340, lambda, TOL);
            assertEquals(2.258453, loss * lambda, TOL);
            assertEquals(0, LessForget.loss(oldF, newF).getShape().dimension());
        }
    }

    @Test
    void zeroForParallelAndTwoForOpposite() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[][] {{1, 2, 3}});
            assertEquals(0, LessForget.loss(a, a.mul(4)).getFloat(), 1e-6);
            assertEquals(2, LessForget.loss(a, a.neg()).getFloat(), 1e-6);
        }
    }

    @Test
    void noGradientIntoOldFeatures() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray oldF = m.create(new float[][] {{1, 0}});
            NDArray newF = m.create(new float[][] {{0, 1}});
            oldF.setRequiresGradient(true);
            newF.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(LessForget.loss(oldF, newF));
            }
            // d(1 - cos)/d new at new = (0, 1), old = (1, 0): -(old - cos * new) / |new| = (-1, 0)
            assertArrayEquals(new float[] {-1f, 0f}, newF.getGradient().toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {0f, 0f}, oldF.getGradient().toFloatArray(), 0f);
        }
    }

    @Test
    void adaptiveLambdaEdgeCasesAndValidation() {
        assertEquals(0, LessForget.adaptiveLambda(5, 0, 10), 0);
        assertEquals(5, LessForget.adaptiveLambda(5, 10, 10), 1e-12);
        assertEquals(10, LessForget.adaptiveLambda(5, 40, 10), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> LessForget.adaptiveLambda(5, 50, 0));
        assertThrows(IllegalArgumentException.class, () -> LessForget.adaptiveLambda(5, -1, 10));
        assertThrows(IllegalArgumentException.class, () -> LessForget.adaptiveLambda(-1, 5, 10));
        assertThrows(IllegalArgumentException.class, () -> LessForget.adaptiveLambda(Double.NaN, 5, 10));
    }

    @Test
    void rejectsMismatchedShapes() {
        try (NDManager m = NDManager.newBaseManager()) {
            assertThrows(
                    IllegalArgumentException.class,
                    () -> LessForget.loss(m.create(new float[][] {{1, 2}}), m.create(new float[][] {{1, 2, 3}})));
        }
    }
}
