package org.cil4j.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import org.cil4j.CilException;
import org.cil4j.experiment.ConfigLoader;
import org.cil4j.experiment.MethodConfig;
import org.cil4j.experiment.Methods;
import org.cil4j.experiment.RunResult;
import org.cil4j.loss.CrossEntropy;
import org.cil4j.testutil.ShortRuns;
import org.cil4j.train.StepLoss;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * DER: its loss against values worked out from the formula, its parameters and refusals, and a
 * short run on real images (Fashion-MNIST, 6 classes in 3 phases of 2, 150 training and 50 test
 * images per class, the small CNN, 2 epochs per phase) against fine-tuning.
 */
class DerTest {
    @Test
    void lossIsCrossEntropyPlusTheAuxiliaryCrossEntropyWithAllOldClassesAsOne() {
        try (NDManager m = NDManager.newBaseManager()) {
            // 2 old classes, 2 new: labels 0 and 1 are old (auxiliary class 0), 2 and 3 the new
            // ones (auxiliary classes 1 and 2)
            NDArray logits = m.create(new float[][] {
                {2f, 0.5f, -1f, 0.3f}, {0.1f, 1.2f, 0.4f, -0.6f}, {-0.5f, 0.2f, 1.5f, 0.7f}, {0.3f, -0.2f, 0.9f, 2.1f}
            });
            NDArray aux = m.create(
                    new float[][] {{1f, -0.5f, 0.2f}, {0.3f, 0.8f, -1.1f}, {-0.4f, 0.6f, 0.1f}, {0.2f, 0f, 1.3f}});
            NDArray labels = m.create(new long[] {0, 1, 2, 3});
            StepLoss loss = Der.loss(logits, CrossEntropy.loss(logits, labels), aux, labels, 2);
            // mean of -log softmax(row)[target]: logits with targets 0, 1, 2, 3 give 0.527509;
            // the auxiliary logits with targets 0, 0, 1, 2 give 0.682759 (worked out in double precision)
            assertEquals(0.527509, loss.terms().get("ce").getFloat(), 1e-5);
            assertEquals(0.682759, loss.terms().get("aux").getFloat(), 1e-5);
            assertEquals(1.210268, loss.total().getFloat(), 1e-5);
            // the same batch with 3 old classes (auxiliary targets 0, 0, 0, 1) needs 2 auxiliary outputs
            assertThrows(
                    IllegalArgumentException.class,
                    () -> Der.loss(logits, CrossEntropy.loss(logits, labels), aux, labels, 3));
        }
    }

    @Test
    void parametersAreReplaysAndSayWhichIsWrong() throws Exception {
        try (Method der = Methods.create(MethodConfig.of("der", null))) {
            assertEquals("der", der.name());
            assertEquals(TestParams.defaults(Replay.Params.class), ((Der) der).params());
        }
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"memoryPerClass\": 0}                        | memoryPerClass",
                "{\"memoryBudget\": -1}                         | memoryBudget",
                "{\"memoryPerClass\": 5, \"memoryBudget\": 100} | memoryBudget",
                "{\"selection\": \"best\"}                      | selection",
                "{\"auxWeight\": 1}                             | auxWeight",
            })
    void badParametersFailNamingTheOption(String params, String option) {
        CilException e = assertThrows(
                CilException.class,
                () -> Methods.create(MethodConfig.of("der", new ObjectMapper().readTree(params)))
                        .close());
        assertTrue(e.getMessage().contains(option), e.getMessage());
    }

    @Test
    void refusesTheCosineClassifierAndTheMultiTaskSetting() {
        ObjectNode cosine = tree("der", 3);
        ConfigLoader.set(cosine, "model.classifier=\"cosine\"");
        CilException c = assertThrows(CilException.class, () -> run(cosine));
        assertTrue(c.getMessage().contains("model.classifier"), c.getMessage());
        ObjectNode tasks = tree("der", 3);
        ConfigLoader.set(tasks, "scenario.setting=\"multi-task\"");
        CilException t = assertThrows(CilException.class, () -> run(tasks));
        assertTrue(t.getMessage().contains("scenario.setting"), t.getMessage());
    }

    /**
     * Fine-tuning forgets the first classes; DER keeps their backbone frozen, trains on exemplars
     * and aligns the new classes' weight norms to the old ones'.
     */
    @Test
    void remembersTheFirstClassesBetterThanFineTuningAndAlignsTheNewWeights() {
        RunResult ft = run(tree("finetune", 150));
        RunResult der = run(tree("der", 150));
        assertTrue(der.complete());
        double ftFirst = ft.cnn().get(2, 0);
        double derFirst = der.cnn().get(2, 0);
        assertTrue(
                derFirst > ftFirst + 10,
                "first classes after the last phase: DER " + derFirst + ", fine-tuning " + ftFirst);
        assertTrue(
                der.cnn().accuracyAfter(2) > ft.cnn().accuracyAfter(2) + 10,
                "all classes: DER " + der.cnn().accuracyAfter(2) + ", fine-tuning "
                        + ft.cnn().accuracyAfter(2));
        assertEquals(120, der.phases().get(2).memory().get("samples"), "20 exemplars for each of 6 classes");
        double[] norms = der.phases().get(2).norms().weight();
        double old = (norms[0] + norms[1] + norms[2] + norms[3]) / 4;
        double fresh = (norms[4] + norms[5]) / 2;
        assertEquals(old, fresh, 1e-4 * old, "mean weight norms, old and new classes: " + Arrays.toString(norms));
    }

    private static ObjectNode tree(String method, int trainPerClass) {
        return ShortRuns.tree(method, trainPerClass);
    }

    private static RunResult run(ObjectNode tree) {
        return ShortRuns.run(tree);
    }
}
