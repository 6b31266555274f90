package org.cil4j.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.cil4j.CilException;
import org.cil4j.experiment.MethodConfig;
import org.cil4j.experiment.Methods;
import org.cil4j.train.StepLoss;
import org.junit.jupiter.api.Test;

/**
 * The three losses of iCaRL and LwF-MC on one batch, pinned to values computed by hand from the
 * formulas: logits {@code [[1, -1, 0.5], [0.5, 2, -1]]}, labels {@code [2, 0]}, two old classes
 * whose teacher logits are {@code [[2, 0], [-1, 1]]}. Cross-entropy over the three classes:
 * 1.398134; FACIL's summed sigmoid BCE: 1.375072; PyCIL's soft cross-entropy at T = 2: 0.585390;
 * the paper's BCE mean over the six outputs: 0.589580.
 */
class IcarlVariantTest {
    private static final double TOL = 1e-5;

    private static StepLoss loss(NDManager m, IcarlVariant v, int old) {
        NDArray logits = m.create(new float[][] {{1, -1, 0.5f}, {0.5f, 2, -1}});
        NDArray teacher = old == 0 ? null : m.create(new float[][] {{2, 0}, {-1, 1}});
        return v.loss(logits, teacher, m.create(new long[] {2, 0}), old);
    }

    @Test
    void facilIsCrossEntropyPlusSummedSigmoidDistillation() {
        try (NDManager m = NDManager.newBaseManager()) {
            StepLoss l = loss(m, IcarlVariant.FACIL, 2);
            assertEquals(List.of("ce", "kd_old"), List.copyOf(l.terms().keySet()));
            assertEquals(1.398134, l.terms().get("ce").getFloat(), TOL);
            assertEquals(1.375072, l.terms().get("kd_old").getFloat(), TOL);
            assertEquals(2.773206, l.total().getFloat(), TOL);
        }
    }

    @Test
    void pycilIsCrossEntropyPlusSoftCrossEntropyAtTemperatureTwo() {
        try (NDManager m = NDManager.newBaseManager()) {
            StepLoss l = loss(m, IcarlVariant.PYCIL, 2);
            assertEquals(0.585390, l.terms().get("kd_old").getFloat(), TOL);
            assertEquals(1.983524, l.total().getFloat(), TOL);
        }
    }

    @Test
    void paperIsOneSigmoidBinaryCrossEntropy() {
        try (NDManager m = NDManager.newBaseManager()) {
            StepLoss l = loss(m, IcarlVariant.PAPER, 2);
            assertEquals(List.of("bce"), List.copyOf(l.terms().keySet()));
            assertEquals(0.589580, l.total().getFloat(), TOL);
        }
    }

    @Test
    void withoutOldClassesTheCrossEntropyVariantsAreCrossEntropy() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (IcarlVariant v : List.of(IcarlVariant.FACIL, IcarlVariant.PYCIL)) {
                StepLoss l = loss(m, v, 0);
                assertEquals(List.of("ce"), List.copyOf(l.terms().keySet()), v.key());
                assertEquals(1.398134, l.total().getFloat(), TOL);
            }
        }
    }

    @Test
    void variantsNameTheirFirstPhaseAndTheDefaultsArePycilAndPaper() {
        assertEquals("cross-entropy", IcarlVariant.FACIL.baseRecipe());
        assertEquals("cross-entropy", IcarlVariant.PYCIL.baseRecipe());
        assertEquals("sigmoid-bce", IcarlVariant.PAPER.baseRecipe());
        Icarl icarl = (Icarl) Methods.create(MethodConfig.of("icarl", null));
        assertEquals(IcarlVariant.PYCIL, icarl.variant());
        assertEquals("cross-entropy", icarl.baseRecipe());
        Icarl lwfMc = (Icarl) Methods.create(MethodConfig.of("lwf-mc", null));
        assertEquals(IcarlVariant.PAPER, lwfMc.variant(), "without exemplars only the paper's loss keeps old classes");
        var facil = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
                .objectNode()
                .put("variant", "facil");
        assertEquals(
                "cross-entropy",
                Methods.create(MethodConfig.of("lwf-mc", facil)).baseRecipe());
        var bad = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
                .objectNode()
                .put("variant", "hybrid");
        CilException e = assertThrows(CilException.class, () -> Methods.create(MethodConfig.of("icarl", bad)));
        assertTrue(e.getMessage().contains("variant must be"), e.getMessage());
        var old = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
                .objectNode()
                .put("baseLoss", "cross-entropy");
        e = assertThrows(CilException.class, () -> Methods.create(MethodConfig.of("lwf-mc", old)));
        assertTrue(e.getMessage().contains("baseLoss") && e.getMessage().contains("variant"), e.getMessage());
    }
}
