package org.cil4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.cil4j.engine.Engines;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** PODNet's loss terms against values worked out by hand from the released code's formulas. */
class PodNcaTest {
    @BeforeAll
    static void engine() {
        Engines.start("cpu", 0);
    }

    @Test
    void podSpatialComparesNormalizedWidthAndHeightPoolingsOfTheSquaredMaps() {
        try (NDManager m = NDManager.newBaseManager()) {
            // one sample, one channel, 1x2: squared old map [1, 4] pools to [5] over the width and
            // [1, 4] over the height, concatenated [5, 1, 4] / sqrt(42); the new map [2, 1] gives
            // [5, 4, 1] / sqrt(42); their distance is sqrt((0 + 9 + 9) / 42) = sqrt(3/7)
            NDArray old = m.create(new float[] {1, 2}, new Shape(1, 1, 1, 2));
            NDArray now = m.create(new float[] {2, 1}, new Shape(1, 1, 1, 2));
            assertEquals(
                    Math.sqrt(3.0 / 7), Pod.spatial(List.of(old), List.of(now)).getFloat(), 1e-6);
            // the rows are normalized: a scaled map is the same map
            assertEquals(
                    Math.sqrt(3.0 / 7),
                    Pod.spatial(List.of(old), List.of(now.mul(3))).getFloat(),
                    1e-6);
            // a second stage that did not move: the mean over stages halves the loss
            NDArray same = m.create(new float[] {1, -2, 3, 0.5f, 1, 1, 2, 0}, new Shape(2, 2, 1, 2));
            assertEquals(
                    Math.sqrt(3.0 / 7) / 2,
                    Pod.spatial(List.of(old, same), List.of(now, same)).getFloat(),
                    1e-6);
            assertThrows(IllegalArgumentException.class, () -> Pod.spatial(List.of(old), List.of(now, same)));
        }
    }

    @Test
    void podSpatialHasAFiniteGradientWhereNothingMoved() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray old = m.create(new float[] {1, 2, 0, -1}, new Shape(1, 1, 2, 2));
            NDArray now = old.duplicate();
            now.setRequiresGradient(true);
            try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray loss = Pod.spatial(List.of(old), List.of(now));
                assertEquals(0f, loss.getFloat(), 0f);
                gc.backward(loss);
            }
            for (float g : now.getGradient().toFloatArray()) {
                assertTrue(Float.isFinite(g), "gradient " + g);
            }
        }
    }

    @Test
    void podFlatIsOneMinusTheCosineOfOldAndNewFeatures() {
        try (NDManager m = NDManager.newBaseManager()) {
            // rows: 1 - cos([1,0],[1,1]) = 1 - 1/sqrt(2); 1 - cos([0,2],[0,-1]) = 2
            NDArray old = m.create(new float[][] {{1, 0}, {0, 2}});
            NDArray now = m.create(new float[][] {{1, 1}, {0, -1}});
            assertEquals((1 - 1 / Math.sqrt(2) + 2) / 2, Pod.flat(old, now).getFloat(), 1e-6);
        }
    }

    @Test
    void ncaLeavesTheTrueClassOutOfTheDenominatorAsTheReleasedCodeDoes() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray sims = m.create(new float[][] {{0.2f, 0.8f, -0.4f}, {0.9f, 0.1f, 0.3f}});
            NDArray labels = m.create(new long[] {0, 0});
            NDArray scale = m.create(new float[] {2f});
            // row 1: z = 2 s = [0.4, 1.6, -0.8], M = 1.6, shifted [-1.2, 0, -2.4]:
            //   1.2 + log(1 + e^0 + e^-2.4) = 1.9375075 (the true class's term is e^0 = 1)
            // row 2: z = [1.8, 0.2, 0.6], the true class leads: log(1 + e^-1.6 + e^-1.2) = 0.4075235,
            //   the cross-entropy
            assertEquals(
                    (1.9375075 + 0.4075235) / 2,
                    Nca.loss(sims, scale, labels, 0).getFloat(),
                    1e-6);
            assertEquals(
                    0.4075235,
                    CrossEntropy.loss(sims.get("1:").mul(2), labels.get("1:")).getFloat(),
                    1e-6);
            // the paper's margin 0.6 on the true class's logit: z_true = 0.4 - 0.6 = -0.2 in row 1,
            //   shifted [-1.8, 0, -2.4] (1.8 + 0.7375075 = 2.5375075); 1.8 - 0.6 = 1.2 in row 2, still
            //   leading, shifted [0, -1, -0.6] (log(1 + e^-1 + e^-0.6) = 0.6506003)
            assertEquals(
                    (2.5375075 + 0.6506003) / 2,
                    Nca.loss(sims, scale, labels, Nca.PAPER_MARGIN).getFloat(),
                    1e-6);
        }
    }

    @Test
    void ncaMarginOnEveryClassCancelsAsInTheReleasedCode() {
        try (NDManager m = NDManager.newBaseManager()) {
            // the releases subtract the margin from every similarity; the shift by the maximum
            // removes it, which is why margin 0 is their loss: shifting all similarities alike
            // changes nothing
            NDArray sims = m.create(new float[][] {{0.2f, 0.8f, -0.4f}, {0.9f, 0.1f, 0.3f}});
            NDArray labels = m.create(new long[] {2, 1});
            NDArray scale = m.create(new float[] {3f});
            assertEquals(
                    Nca.loss(sims, scale, labels, 0).getFloat(),
                    Nca.loss(sims.sub(0.6f), scale, labels, 0).getFloat(),
                    1e-6);
        }
    }
}
