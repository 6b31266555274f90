package org.cil4j.method;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.cil4j.CilException;
import org.cil4j.engine.Engines;
import org.cil4j.experiment.MethodConfig;
import org.cil4j.experiment.Methods;
import org.cil4j.loss.CrossEntropy;
import org.cil4j.model.IncrementalNet;
import org.cil4j.model.ModelConfig;
import org.cil4j.train.StepLoss;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Replay, WA, EWC and MAS: their defaults (the references'), their refusals (each naming the
 * option), WA's loss and alignment against values worked out by hand.
 */
class ComparedMethodsTest {
    private static Method create(String method, String params) throws Exception {
        return Methods.create(MethodConfig.of(method, new ObjectMapper().readTree(params)));
    }

    @Test
    void defaultsAreTheReferences() throws Exception {
        assertEquals(new Replay.Params(20, 0, "herding"), TestParams.defaults(Replay.Params.class));
        assertEquals(new Wa.Params(20, 0, "herding", 2.0, "lambda"), TestParams.defaults(Wa.Params.class));
        assertEquals(new Ewc.Params(5000, 0.5, "max_pred"), TestParams.defaults(Ewc.Params.class));
        assertEquals(new Mas.Params(1, 0.5), TestParams.defaults(Mas.Params.class));
        for (String m : new String[] {"replay", "wa", "ewc", "mas"}) {
            try (Method method = Methods.create(MethodConfig.of(m, null))) {
                assertEquals(m, method.name());
                // the report's --vary reads a default through params()
                assertTrue(method.getClass().getMethod("params").invoke(method) instanceof Record, m);
            }
        }
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "replay | {\"memoryPerClass\": 0}                     | memoryPerClass",
                "replay | {\"memoryBudget\": -5}                      | memoryBudget",
                "replay | {\"selection\": \"best\"}                   | selection",
                "replay | {\"memoryPerClass\": 5, \"memoryBudget\": 100} | memoryBudget",
                "wa     | {\"memoryPerClass\": 0}                     | memoryPerClass",
                "wa     | {\"temperature\": 0}                        | temperature",
                "wa     | {\"lambda\": 1}                             | lambda",
                "ewc    | {\"lamb\": -1}                              | lamb",
                "wa     | {\"loss\": \"pycil\"}                        | loss",
                "ewc    | {\"alpha\": 1.5}                            | alpha",
                "ewc    | {\"alpha\": -1}                             | alpha",
                "ewc    | {\"sampling\": \"multinomial\"}             | sampling",
                "mas    | {\"lamb\": \"NaN\"}                         | lamb",
                "mas    | {\"alpha\": 2}                              | alpha",
                "mas    | {\"sampling\": \"true\"}                    | sampling",
            })
    void badParametersFailNamingTheOption(String method, String params, String option) {
        CilException e =
                assertThrows(CilException.class, () -> create(method, params).close());
        assertTrue(e.getMessage().contains(option), e.getMessage());
    }

    @Test
    void waWeighsCrossEntropyAndDistillationByTheShareOfOldClasses() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[][] {{1f, 2f, 0.5f}, {0f, -1f, 0.3f}});
            NDArray labels = m.create(new long[] {2, 0});
            NDArray teacher = m.create(new float[][] {{2f, 0f}, {0.5f, 1f}});
            StepLoss loss = ExemplarMethod.distillationLoss(
                    logits, CrossEntropy.loss(logits, labels), teacher, 2, ExemplarMethod.Weighing.LAMBDA);
            // 2 old of 3 seen: lambda 2/3. CE = 1.482084; PyCIL's _KD_loss at T = 2 on the first two
            // logits = 0.797386 (softmax(teacher / 2) against log_softmax(student / 2), summed, / batch)
            assertEquals(1.482084 / 3, loss.terms().get("ce").getFloat(), 1e-5);
            assertEquals(0.797386 * 2 / 3, loss.terms().get("kd_old").getFloat(), 1e-5);
            assertEquals(1.025619, loss.total().getFloat(), 1e-5);
        }
    }

    @Test
    void waWithPyCils2021LossWeighsCrossEntropyOneAndDistillationTwo() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[][] {{1f, 2f, 0.5f}, {0f, -1f, 0.3f}});
            NDArray labels = m.create(new long[] {2, 0});
            NDArray teacher = m.create(new float[][] {{2f, 0f}, {0.5f, 1f}});
            StepLoss loss = ExemplarMethod.distillationLoss(
                    logits,
                    CrossEntropy.loss(logits, labels),
                    teacher,
                    2,
                    new Wa.Params(20, 0, "herding", 2.0, "pycil-2021").weighing());
            // the same terms as above, weighed 1 and 2 whatever the share of old classes
            assertEquals(1.482084, loss.terms().get("ce").getFloat(), 1e-5);
            assertEquals(0.797386 * 2, loss.terms().get("kd_old").getFloat(), 1e-5);
            assertEquals(1.482084 + 2 * 0.797386, loss.total().getFloat(), 1e-5);
        }
    }

    @Test
    void waScalesTheNewestHeadsRowsToTheOldRowsMeanNormAndLeavesTheRest() {
        Engines.start("cpu", 0);
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet net =
                        IncrementalNet.create(new ModelConfig("small-cnn", true, "linear"), 1, 16, 3, root)) {
            net.addHead(2);
            net.addHead(1);
            net.addHead(2);
            int d = net.backbone().featureDim();
            // old rows of norms 1, 3 and 2 (mean 2); new rows of norms 4 and 8 (mean 6): gamma 1/3
            setRows(net.headWeight(0), d, 1f, 3f);
            setRows(net.headWeight(1), d, 2f);
            setRows(net.headWeight(2), d, 4f, 8f);
            float[] oldBefore = net.headWeight(0).toFloatArray();
            float[] biasBefore = net.params().params().get("head.2.bias").toFloatArray();
            Wa.align(net, 2);
            float[] w = net.headWeight(2).toFloatArray();
            assertEquals(4f / 3, w[0], 1e-6f);
            assertEquals(8f / 3, w[d], 1e-6f);
            assertEquals(0f, w[1], 0f);
            assertArrayEquals(oldBefore, net.headWeight(0).toFloatArray(), 0f, "old heads unchanged");
            assertArrayEquals(
                    biasBefore,
                    net.params().params().get("head.2.bias").toFloatArray(),
                    0f,
                    "PyCIL scales the weights, not the biases");
            Wa.align(net, 2);
            assertEquals(
                    4f / 3, net.headWeight(2).toFloatArray()[0], 1e-6f, "aligning twice (PyCIL does) changes nothing");
        }
    }

    /** Sets row {@code r} of a head to {@code norms[r]} times the first unit vector. */
    private static void setRows(NDArray head, int d, float... norms) {
        float[] flat = new float[norms.length * d];
        for (int r = 0; r < norms.length; r++) {
            flat[r * d] = norms[r];
        }
        try (NDArray v = head.getManager().create(flat, head.getShape())) {
            head.set(new NDIndex(":"), v);
        }
    }
}
