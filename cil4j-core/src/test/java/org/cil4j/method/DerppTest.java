package org.cil4j.method;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.SplittableRandom;
import org.cil4j.CilException;
import org.cil4j.experiment.MethodConfig;
import org.cil4j.experiment.Methods;
import org.cil4j.loss.CrossEntropy;
import org.cil4j.train.StepLoss;
import org.cil4j.util.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** DER++'s loss, its reservoir and its parameters. */
class DerppTest {
    @Test
    void defaultsAreMammothsForFiveTasksOfTwoClasses() throws Exception {
        assertEquals(new Derpp.Params(20, 0, 0.1, 0.5), TestParams.defaults(Derpp.Params.class));
        assertEquals(200, TestParams.defaults(Derpp.Params.class).capacity(10), "20 per class of the scenario");
        assertEquals(
                400,
                TestParams.bind(Derpp.Params.class, "{\"memoryBudget\": 400}").capacity(10),
                "a budget is the buffer's size");
        try (Method m = Methods.create(MethodConfig.of("der++", new ObjectMapper().readTree("{\"alpha\": 0}")))) {
            assertEquals("der++", m.name());
            assertEquals("cross-entropy", m.baseRecipe(), "its first phase is fine-tuning's, so it can be shared");
        }
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"alpha\": -0.1}                  | alpha",
                "{\"beta\": \"Infinity\"}           | beta",
                "{\"beta\": \"NaN\"}                | beta",
                "{\"memoryPerClass\": 0}            | memoryPerClass",
                "{\"memoryBudget\": -1}             | memoryBudget",
                "{\"memoryPerClass\": 5, \"memoryBudget\": 100} | memoryBudget",
                "{\"minibatch\": 32}                | minibatch",
            })
    void badParametersFailNamingTheOption(String params, String option) {
        CilException e = assertThrows(
                CilException.class,
                () -> Methods.create(MethodConfig.of("der++", new ObjectMapper().readTree(params)))
                        .close());
        assertTrue(e.getMessage().contains(option), e.getMessage());
    }

    @Test
    void theLossIsCrossEntropyPlusTheStoredColumnsMsePlusTheBuffersCrossEntropy() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[][] {{0f, 0f}});
            NDArray ce = CrossEntropy.loss(logits, m.create(new long[] {0}));
            // the first image was stored when 2 classes were seen, the second when 3 were
            NDArray replayed = m.create(new float[][] {{1f, 2f, 3f}, {0f, 1f, -1f}});
            NDArray stored = m.create(new float[][] {{0.5f, 2.5f, 0f}, {1f, 0f, 0f}});
            NDArray mask = m.create(new float[][] {{1f, 1f, 0f}, {1f, 1f, 1f}});
            StepLoss loss =
                    Derpp.loss(logits, ce, replayed, stored, mask, m.create(1.2f), new Derpp.Params(20, 0, 0.2, 0.5));
            // MSE over the 5 stored columns: (0.25 + 0.25 + 1 + 1 + 1) / 5 = 0.7, the padded 3 - 0 left out
            assertEquals(Math.log(2), loss.terms().get("ce").getFloat(), 1e-6);
            assertEquals(0.2 * 0.7, loss.terms().get("mse_buffer").getFloat(), 1e-6);
            assertEquals(0.5 * 1.2, loss.terms().get("ce_buffer").getFloat(), 1e-6);
            assertEquals(Math.log(2) + 0.14 + 0.6, loss.total().getFloat(), 1e-5);
        }
    }

    @Test
    void theReservoirFillsItsFreeSlotsThenKeepsEachImageWithEqualChance() {
        SplittableRandom unused = new SplittableRandom(1);
        for (int n = 0; n < 5; n++) {
            assertEquals(n, Derpp.slot(n, 5, unused), "free slots are taken in order");
        }
        // 20 images into 5 slots, 20,000 times: each image ends in the buffer with probability 5/20
        int trials = 20_000;
        int[] kept = new int[20];
        for (int t = 0; t < trials; t++) {
            int[] buffer = new int[5];
            SplittableRandom rnd = Rng.stream(1993, "reservoir", t);
            for (int i = 0; i < 20; i++) {
                int s = Derpp.slot(i, 5, rnd);
                if (s >= 0) {
                    buffer[s] = i;
                }
            }
            for (int i : buffer) {
                kept[i]++;
            }
        }
        for (int i = 0; i < 20; i++) {
            assertEquals(0.25, (double) kept[i] / trials, 0.015, "image " + i);
        }
        int[] a = new int[30];
        int[] b = new int[30];
        SplittableRandom ra = Rng.stream(7, "reservoir", 2);
        SplittableRandom rb = Rng.stream(7, "reservoir", 2);
        for (int i = 0; i < 30; i++) {
            a[i] = Derpp.slot(100 + i, 50, ra);
            b[i] = Derpp.slot(100 + i, 50, rb);
        }
        assertArrayEquals(a, b, "the same seed draws the same slots");
    }
}
