package org.cil4j.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cil4j.CilException;
import org.cil4j.experiment.ConfigLoader;
import org.cil4j.experiment.Experiment;
import org.cil4j.experiment.MethodConfig;
import org.cil4j.experiment.Methods;
import org.cil4j.experiment.RunResult;
import org.cil4j.testutil.ShortRuns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * PODNet: its parameters and refusals (the model is checked before any data loads), and a short
 * run on real images (Fashion-MNIST, 6 classes in 3 phases of 2, 150 training and 50 test images
 * per class, the small CNN, 2 epochs per phase) against fine-tuning. Its loss terms are pinned in
 * {@code PodNcaTest}, the classifier in {@code StagesAndClassifiersTest}.
 */
class PodnetTest {
    @Test
    void defaultsAreTheAuthorsAndPycilsIsThreeParametersAway() throws Exception {
        try (Method m = Methods.create(MethodConfig.of("podnet", null))) {
            Podnet.Params p = ((Podnet) m).params();
            assertEquals(new Podnet.Params(20, 0, "herding", 3.0, 1.0, 0.6, true, true, "classifier", 20, 0.05), p);
            assertEquals("nca(margin=0.6)", m.baseRecipe());
        }
        Podnet.Params pycil = TestParams.bind(
                Podnet.Params.class, "{\"imprint\": false, \"finetune\": \"pycil\", \"lambdaSpatial\": 5}");
        assertEquals(
                new Podnet.Params(20, 0, "herding", 5.0, 1.0, 0.6, false, true, "pycil", 20, 0.005),
                pycil,
                "PyCIL's finetuning rate follows its mode");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"memoryPerClass\": 0}     | memoryPerClass",
                "{\"selection\": \"best\"}   | selection",
                "{\"lambdaSpatial\": -1}     | lambdaSpatial",
                "{\"lambdaFlat\": \"NaN\"}   | lambdaFlat",
                "{\"margin\": -0.1}          | margin",
                "{\"finetuneEpochs\": 0}     | finetuneEpochs",
                "{\"finetuneLr\": 0}         | finetuneLr",
                "{\"finetune\": \"all\"}      | finetune",
                "{\"nbProxy\": 10}           | nbProxy",
            })
    void badParametersFailNamingTheOption(String params, String option) {
        CilException e = assertThrows(
                CilException.class,
                () -> Methods.create(MethodConfig.of("podnet", new ObjectMapper().readTree(params)))
                        .close());
        assertTrue(e.getMessage().contains(option), e.getMessage());
    }

    @Test
    void refusesAnotherClassifierTheLastReluAndMultiTaskAndChecksTheModelBeforeTheData() {
        ObjectNode linear = tree("podnet", 3);
        ConfigLoader.set(linear, "model.classifier=\"cosine\"");
        CilException c = assertThrows(
                CilException.class,
                () -> new Experiment(ConfigLoader.bind(linear, "test"))
                        .dataSource(cfg -> {
                            throw new AssertionError("the data were loaded before the model was checked");
                        })
                        .run());
        assertTrue(c.getMessage().contains("model.classifier = lsc"), c.getMessage());
        ObjectNode relu = tree("podnet", 3);
        ConfigLoader.set(relu, "model.lastRelu=true");
        CilException r = assertThrows(CilException.class, () -> run(relu));
        assertTrue(r.getMessage().contains("model.lastRelu"), r.getMessage());
        ObjectNode tasks = tree("podnet", 3);
        ConfigLoader.set(tasks, "scenario.setting=\"multi-task\"");
        CilException t = assertThrows(CilException.class, () -> run(tasks));
        assertTrue(t.getMessage().contains("scenario.setting"), t.getMessage());
    }

    /**
     * Fine-tuning forgets the first classes; PODNet with the authors' recipe (the defaults:
     * imprinted proxies, the classifier finetuned on the balanced memory, POD-spatial weighted 3)
     * keeps them in its network output, and with PyCIL's in its nearest mean of exemplars.
     */
    @Test
    void remembersTheFirstClassesBetterThanFineTuning() {
        RunResult ft = run(tree("finetune", 150));
        RunResult pod = run(tree("podnet", 150));
        assertTrue(pod.complete());
        double ftFirst = ft.cnn().get(2, 0);
        double podFirst = pod.cnn().get(2, 0);
        assertTrue(
                podFirst > ftFirst + 10,
                "first classes after the last phase: PODNet " + podFirst + ", fine-tuning " + ftFirst);
        assertTrue(
                pod.cnn().accuracyAfter(2) > ft.cnn().accuracyAfter(2) + 10,
                "all classes: PODNet " + pod.cnn().accuracyAfter(2) + ", fine-tuning "
                        + ft.cnn().accuracyAfter(2));
        assertEquals(120, pod.phases().get(2).memory().get("samples"), "20 exemplars for each of 6 classes");
        ObjectNode pycilRecipe = tree("podnet", 150);
        ConfigLoader.set(pycilRecipe, "method.params.imprint=false");
        ConfigLoader.set(pycilRecipe, "method.params.finetune=\"pycil\"");
        ConfigLoader.set(pycilRecipe, "method.params.lambdaSpatial=5");
        RunResult pycil = run(pycilRecipe);
        assertTrue(
                pycil.nme().get(2, 0) > ftFirst + 10,
                "first classes, nearest mean: PODNet " + pycil.nme().get(2, 0) + ", fine-tuning's network " + ftFirst);
    }

    /** The short run, with the local similarity classifier for PODNet. */
    private static ObjectNode tree(String method, int trainPerClass) {
        ObjectNode t = ShortRuns.tree(method, trainPerClass);
        if (method.equals("podnet")) {
            ConfigLoader.set(t, "model.classifier=\"lsc\"");
            ConfigLoader.set(t, "model.lastRelu=false");
        }
        return t;
    }

    private static RunResult run(ObjectNode tree) {
        return ShortRuns.run(tree);
    }
}
