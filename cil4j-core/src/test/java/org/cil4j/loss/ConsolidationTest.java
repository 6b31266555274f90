package org.cil4j.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.junit.jupiter.api.Test;

/** EWC's and MAS's penalty and importance, against values worked out from the formulas. */
class ConsolidationTest {
    private static final double TOL = 1e-5;

    @Test
    void penaltyIsHalfTheImportanceWeightedSquaredDistanceToTheAnchors() {
        try (NDManager m = NDManager.newBaseManager()) {
            // a matrix and a vector, as a backbone has: differences (1, 0, 2, 3) weighted
            // (0.5, 1, 2, 0.1) give 0.5 + 0 + 8 + 0.9 = 9.4; (1, -1) weighted (3, 1) give 4;
            // (9.4 + 4) / 2 = 6.7. The gradient is Omega (theta - theta*).
            NDArray w = m.create(new float[][] {{1f, 2f}, {3f, 4f}});
            NDArray b = m.create(new float[] {1f, -1f});
            w.setRequiresGradient(true);
            b.setRequiresGradient(true);
            List<NDArray> anchors =
                    List.of(m.create(new float[][] {{0f, 2f}, {1f, 1f}}), m.create(new float[] {0f, 0f}));
            List<NDArray> importance =
                    List.of(m.create(new float[][] {{0.5f, 1f}, {2f, 0.1f}}), m.create(new float[] {3f, 1f}));
            try (NDManager step = m.newSubManager();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray p = Consolidation.penalty(step, List.of(w, b), anchors, importance);
                assertEquals(0, p.getShape().dimension());
                assertEquals(6.7, p.getFloat(), TOL);
                assertEquals(step, p.getManager(), "the result lives in the step's manager");
                gc.backward(p);
            }
            assertArrayEquals(new float[] {0.5f, 0f, 4f, 0.3f}, w.getGradient().toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {3f, -1f}, b.getGradient().toFloatArray(), 1e-6f);
            assertEquals(
                    0,
                    Consolidation.penalty(m, List.of(w), List.of(w.duplicate()), List.of(importance.get(0)))
                            .getFloat(),
                    0,
                    "no penalty at the anchor");
        }
    }

    @Test
    void penaltyRefusesMismatchedTensors() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.zeros(new ai.djl.ndarray.types.Shape(2, 3));
            NDArray b = m.zeros(new ai.djl.ndarray.types.Shape(3, 2));
            assertThrows(
                    IllegalArgumentException.class, () -> Consolidation.penalty(m, List.of(a), List.of(b), List.of(a)));
            assertThrows(
                    IllegalArgumentException.class, () -> Consolidation.penalty(m, List.of(a), List.of(a), List.of()));
            assertThrows(
                    IllegalArgumentException.class, () -> Consolidation.penalty(m, List.of(), List.of(), List.of()));
        }
    }

    @Test
    void fisherLossIsTheCrossEntropyTowardThePredictionOrTheLabels() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[][] {{1f, 2f, 0f}, {0.5f, 0.1f, -1f}});
            // predictions (1, 0): mean of logsumexp - the top logit, (2.407606 - 2 + 1.138401 - 0.5) / 2
            assertEquals(0.523003, Consolidation.fisher(logits, null).getFloat(), TOL);
            // labels (2, 1): (2.407606 - 0 + 1.138401 - 0.1) / 2
            assertEquals(
                    1.723003,
                    Consolidation.fisher(logits, m.create(new long[] {2, 1})).getFloat(),
                    TOL);
        }
    }

    @Test
    void outputNormIsTheBatchMeanOfEachSamplesL2NormAndItsGradient() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[][] {{3f, 4f}, {1f, 0f}});
            logits.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray n = Consolidation.outputNorm(logits);
                assertEquals(3.0, n.getFloat(), TOL); // (5 + 1) / 2
                gc.backward(n);
            }
            // d/dz mean ||z_i|| = z_i / ||z_i|| / batch
            assertArrayEquals(
                    new float[] {0.3f, 0.4f, 0.5f, 0f}, logits.getGradient().toFloatArray(), 1e-6f);
        }
    }

    @Test
    void importanceAddsEachBatchsSquaredOrAbsoluteGradientTimesItsSize() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray ewc = m.zeros(new ai.djl.ndarray.types.Shape(2));
            NDArray mas = m.zeros(new ai.djl.ndarray.types.Shape(2));
            NDArray g1 = m.create(new float[] {1f, -2f});
            NDArray g2 = m.create(new float[] {0.5f, 1f});
            Consolidation.accumulate(ewc, g1, 4, true);
            Consolidation.accumulate(ewc, g2, 2, true);
            Consolidation.accumulate(mas, g1, 4, false);
            Consolidation.accumulate(mas, g2, 2, false);
            assertArrayEquals(new float[] {4.5f, 18f}, ewc.toFloatArray(), 1e-6f); // 1*4 + 0.25*2, 4*4 + 1*2
            assertArrayEquals(new float[] {5f, 10f}, mas.toFloatArray(), 1e-6f); // 1*4 + 0.5*2, 2*4 + 1*2
        }
    }

    @Test
    void mergeWeighsTheKeptImportanceByAlpha() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray kept = m.create(new float[] {2f, 4f});
            Consolidation.merge(kept, m.create(new float[] {6f, 0f}), 0.5);
            assertArrayEquals(new float[] {4f, 2f}, kept.toFloatArray(), 1e-6f);
            Consolidation.merge(kept, m.create(new float[] {8f, 2f}), 0.25); // 1 + 6, 0.5 + 1.5
            assertArrayEquals(new float[] {7f, 2f}, kept.toFloatArray(), 1e-6f);
        }
    }
}
