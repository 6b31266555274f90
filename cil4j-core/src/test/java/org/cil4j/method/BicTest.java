package org.cil4j.method;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.cil4j.CilException;
import org.cil4j.engine.Engines;
import org.cil4j.experiment.MethodConfig;
import org.cil4j.experiment.Methods;
import org.cil4j.loss.CrossEntropy;
import org.cil4j.model.IncrementalNet;
import org.cil4j.model.ModelConfig;
import org.cil4j.train.StepLoss;
import org.cil4j.util.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** BiC's bias layer, its loss, its folding into the head, the held-out split, its parameters. */
class BicTest {
    @Test
    void defaultsAreThePapersAndFacils() {
        assertEquals(new Bic.Params(20, 0, "herding", 2.0, 0.1, 200), TestParams.defaults(Bic.Params.class));
        assertEquals(2, TestParams.defaults(Bic.Params.class).heldOut(20), "9:1 of 20 exemplars");
        assertEquals(
                3,
                TestParams.bind(Bic.Params.class, "{\"valFraction\": 0.3}").heldOut(10),
                "0.3 * 10 is 3, not 2.9999");
        try (Method m = Methods.create(MethodConfig.of("bic", null))) {
            assertEquals("bic", m.name());
        }
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"valFraction\": 0}               | valFraction",
                "{\"valFraction\": 1}               | valFraction",
                "{\"biasEpochs\": 0}                | biasEpochs",
                "{\"temperature\": -1}              | temperature",
                "{\"memoryPerClass\": 0}            | memoryPerClass",
                "{\"memoryPerClass\": 5, \"memoryBudget\": 100} | memoryBudget",
                "{\"alpha\": 1}                     | alpha",
            })
    void badParametersFailNamingTheOption(String params, String option) {
        CilException e = assertThrows(
                CilException.class,
                () -> Methods.create(MethodConfig.of("bic", new ObjectMapper().readTree(params)))
                        .close());
        assertTrue(e.getMessage().contains(option), e.getMessage());
    }

    @Test
    void theBiasLayerScalesAndShiftsOnlyTheNewClassesLogitsAndItsLossIsCrossEntropyPlusFacilsPenalty() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[][] {{1f, 2f, 0.5f}, {0f, -1f, 0.3f}});
            NDArray alpha = m.create(new float[] {0.5f});
            NDArray beta = m.create(new float[] {0.2f});
            // one old class, two new: [1, 0.5 * 2 + 0.2, 0.5 * 0.5 + 0.2] and [0, -0.3, 0.35]
            NDArray corrected = Bic.correct(logits, 1, alpha, beta);
            assertArrayEquals(new float[] {1f, 1.2f, 0.45f, 0f, -0.3f, 0.35f}, corrected.toFloatArray(), 1e-6f);
            StepLoss loss = Bic.biasLoss(corrected, CrossEntropy.loss(corrected, m.create(new long[] {1, 0})), beta);
            // CE: (logsumexp(1, 1.2, 0.45) - 1.2 + logsumexp(0, -0.3, 0.35) - 0) / 2 = 0.989783;
            // penalty 0.1 * 0.2^2 / 2 = 0.002
            assertEquals(0.989783, loss.terms().get("ce").getFloat(), 1e-5);
            assertEquals(0.002, loss.terms().get("beta_l2").getFloat(), 1e-7);
            assertEquals(0.991783, loss.total().getFloat(), 1e-5);
        }
    }

    @Test
    void foldingTheLayerIntoTheHeadGivesTheCorrectedLogits() {
        Engines.start("cpu", 0);
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet net =
                        IncrementalNet.create(new ModelConfig("small-cnn", true, "linear"), 1, 16, 3, root)) {
            net.addHead(2);
            net.addHead(3);
            NDArray x = root.randomNormal(new Shape(4, 1, 16, 16));
            NDArray f = net.features(x, false);
            NDArray before = net.logits(f);
            float[] expected = Bic.correct(before, 2, root.create(new float[] {0.7f}), root.create(new float[] {-0.4f}))
                    .toFloatArray();
            float[] oldHead = net.headWeight(0).toFloatArray();
            Bic.fold(net, 1, 0.7f, -0.4f);
            assertArrayEquals(expected, net.logits(f).toFloatArray(), 1e-5f);
            assertArrayEquals(oldHead, net.headWeight(0).toFloatArray(), 0f, "the old head is not touched");
            assertEquals(
                    4,
                    net.params().params().keySet().stream()
                            .filter(n -> n.startsWith("head."))
                            .count());
        }
    }

    @Test
    void theHeldOutImagesAreDrawnFromTheSeedAndNeverTrainedOn() {
        int[][] a = Bic.holdOut(20, 2, Rng.stream(1993, "bic-validation", 1, 4), 4);
        int[][] b = Bic.holdOut(20, 2, Rng.stream(1993, "bic-validation", 1, 4), 4);
        assertArrayEquals(a[0], b[0], "the same seed, phase and class hold out the same images");
        assertEquals(2, a[0].length);
        assertEquals(18, a[1].length);
        Set<Integer> all = new HashSet<>();
        Arrays.stream(a[0]).forEach(all::add);
        Arrays.stream(a[1]).forEach(all::add);
        assertEquals(20, all.size(), "held out and kept are disjoint and cover the class");
        boolean differs = false;
        for (int c = 0; c < 10 && !differs; c++) {
            differs = !Arrays.equals(a[0], Bic.holdOut(20, 2, Rng.stream(1993, "bic-validation", 2, c), c)[0]);
        }
        assertTrue(differs, "other phases and classes draw other images");
        CilException e = assertThrows(CilException.class, () -> Bic.holdOut(2, 2, Rng.stream(1, "x"), 7));
        assertTrue(e.getMessage().contains("valFraction") && e.getMessage().contains("class 7"), e.getMessage());
    }
}
