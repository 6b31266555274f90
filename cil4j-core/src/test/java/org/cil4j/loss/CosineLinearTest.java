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

class CosineLinearTest {
    private static final float TOL = 1e-5f;
    private static final float[] EXPECTED = {6f, 8f, 9.899495f, 7.071068f, -7.071068f, 0f};

    @Test
    void reproducesProtocolVector() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray features = m.create(new float[][] {{3, 4}, {1, -1}});
            NDArray weights = m.create(new float[][] {{1, 0}, {0, 2}, {1, 1}});
            NDArray logits = CosineLinear.logits(features, weights, 10);
            assertEquals(new Shape(2, 3), logits.getShape());
            assertArrayEquals(EXPECTED, logits.toFloatArray(), TOL);
            NDArray cosine = CosineLinear.cosine(features, weights);
            assertArrayEquals(EXPECTED, cosine.mul(10).toFloatArray(), TOL);
            NDArray learned = CosineLinear.logits(features, weights, m.create(10f));
            assertArrayEquals(EXPECTED, learned.toFloatArray(), TOL);
        }
    }

    @Test
    void zeroRowsGiveZeroNotNaN() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray features = m.create(new float[][] {{0, 0}, {1, 0}});
            NDArray weights = m.create(new float[][] {{1, 1}, {0, 0}});
            float[] cos = CosineLinear.cosine(features, weights).toFloatArray();
            assertArrayEquals(new float[] {0f, 0f, (float) Math.sqrt(0.5), 0f}, cos, TOL);
        }
    }

    @Test
    void scaleInvariantAndBounded() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray features = m.randomNormal(new Shape(5, 8));
            NDArray weights = m.randomNormal(new Shape(4, 8));
            NDArray a = CosineLinear.cosine(features, weights);
            NDArray b = CosineLinear.cosine(features.mul(7), weights.mul(0.01));
            assertArrayEquals(a.toFloatArray(), b.toFloatArray(), TOL);
            for (float v : a.toFloatArray()) {
                assertEquals(0, v, 1 + TOL);
            }
        }
    }

    @Test
    void gradientReachesLearnableSigma() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray features = m.create(new float[][] {{3, 4}, {1, -1}});
            NDArray weights = m.create(new float[][] {{1, 0}, {0, 2}, {1, 1}});
            NDArray sigma = m.create(new float[] {10f});
            sigma.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(CosineLinear.logits(features, weights, sigma).sum());
            }
            // d(sum sigma * cos)/d sigma = sum of the cosines
            double sum = 0;
            for (float v : EXPECTED) {
                sum += v / 10;
            }
            assertEquals(sum, sigma.getGradient().getFloat(), TOL);
        }
    }

    @Test
    void rejectsBadShapes() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray features = m.create(new float[][] {{3, 4}, {1, -1}});
            assertThrows(
                    IllegalArgumentException.class,
                    () -> CosineLinear.cosine(features, m.create(new float[][] {{1, 0, 0}})));
            assertThrows(
                    IllegalArgumentException.class, () -> CosineLinear.cosine(m.create(new float[] {1, 2}), features));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> CosineLinear.logits(features, features, m.create(new float[] {1, 2})));
        }
    }
}
