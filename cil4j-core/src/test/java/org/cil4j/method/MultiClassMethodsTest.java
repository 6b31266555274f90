package org.cil4j.method;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.Map;
import org.cil4j.data.Datasets;
import org.cil4j.eval.AccuracyMatrix;
import org.cil4j.experiment.ConfigLoader;
import org.cil4j.experiment.Experiment;
import org.cil4j.experiment.RunResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * End to end on real images: Fashion-MNIST, 6 classes in 3 phases of 2, 150 training and 50
 * test images per class, the small CNN, 2 epochs per phase (about 15-25 s a run on 2 cores).
 */
class MultiClassMethodsTest {
    private static Datasets.TrainTest data;
    private static RunResult finetune;

    @BeforeAll
    static void load() {
        data = Datasets.load("fashion-mnist", null);
        finetune = run("finetune", "{}", false);
    }

    private static RunResult run(String method, String params, boolean lucirModel) {
        ObjectNode tree = ConfigLoader.MAPPER.createObjectNode();
        String json = """
                {"name": "e2e-%s", "seed": 1993, "device": "cpu",
                 "data": {"dataset": "fashion-mnist", "rgb": false},
                 "scenario": {"setting": "multi-class", "classes": 6, "base": 2, "increment": 2,
                              "trainPerClass": 150, "testPerClass": 50},
                 "model": {"arch": "small-cnn", "lastRelu": %s, "classifier": "%s"},
                 "train": {"epochs": 2, "batchSize": 32, "lr": 0.05},
                 "method": {"name": "%s", "params": %s}}
                """.formatted(method, !lucirModel, lucirModel ? "cosine" : "linear", method, params);
        try {
            tree = (ObjectNode) ConfigLoader.MAPPER.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        long t0 = System.nanoTime();
        RunResult r = new Experiment(ConfigLoader.bind(tree, "test"))
                .dataSource(c -> data)
                .run();
        System.out.printf(
                "%s: CNN %s NME %s (%.1f s)%n",
                method,
                Arrays.deepToString(r.cnn().accuracy()),
                r.nme() == null ? "-" : Arrays.deepToString(r.nme().accuracy()),
                (System.nanoTime() - t0) / 1e9);
        return r;
    }

    /** Accuracy on the first phase's classes after the last phase. */
    private static double firstPhaseAtEnd(AccuracyMatrix m) {
        return m.get(m.phases() - 1, 0);
    }

    @Test
    void icarlRemembersTheFirstClassesBetterThanFineTuning() {
        RunResult r = run("icarl", "{}", false);
        assertTrue(r.complete());
        assertNotNull(r.nme(), "iCaRL reports NME next to CNN");
        assertEquals(3, r.nme().phases());
        double ft = firstPhaseAtEnd(finetune.cnn());
        double nme = firstPhaseAtEnd(r.nme());
        assertTrue(nme > ft + 10, "iCaRL NME on phase 0 after the last phase " + nme + " vs fine-tuning " + ft);
        assertTrue(
                r.nme().accuracyAfter(2) > finetune.cnn().accuracyAfter(2),
                "iCaRL overall " + r.nme().accuracyAfter(2) + " vs fine-tuning "
                        + finetune.cnn().accuracyAfter(2));
        Map<String, Object> mem = r.phases().get(2).memory();
        assertEquals(120, mem.get("samples"), "20 exemplars for each of 6 classes");
        assertEquals(20L * 6 * (28 * 28 + 4), ((Number) mem.get("bytes")).longValue());
        assertTrue(
                r.cnn().get(2, 2) > 50,
                "the network's own output predicts the newest classes: "
                        + r.cnn().get(2, 2));
    }

    /** FACIL's loss, PyCIL's memory: a total of 100 exemplars, floor(100 / seen) per class. */
    @Test
    void icarlFacilSharesABudgetAmongTheSeenClasses() {
        RunResult r = run("icarl", "{\"variant\": \"facil\", \"memoryBudget\": 100}", false);
        assertTrue(r.complete());
        assertArrayEquals(new int[] {50, 50}, (int[]) r.phases().get(0).memory().get("samplesPerClass"));
        assertArrayEquals(new int[] {16, 16, 16, 16, 16, 16}, (int[])
                r.phases().get(2).memory().get("samplesPerClass"));
        assertEquals(100, r.phases().get(2).memory().get("budget"));
        assertTrue(
                r.cnn().get(2, 2) > 50,
                "the network's own output predicts the newest classes: "
                        + r.cnn().get(2, 2));
        assertTrue(firstPhaseAtEnd(r.nme()) > firstPhaseAtEnd(finetune.cnn()) + 10);
    }

    /** Replay (PyCIL replay.py): exemplars and cross-entropy alone keep the old classes. */
    @Test
    void replayRemembersTheFirstClassesBetterThanFineTuning() {
        RunResult r = run("replay", "{}", false);
        assertTrue(r.complete());
        double ft = firstPhaseAtEnd(finetune.cnn());
        double cnn = firstPhaseAtEnd(r.cnn());
        assertTrue(cnn > ft + 10, "replay CNN on phase 0 after the last phase " + cnn + " vs fine-tuning " + ft);
        assertTrue(r.cnn().accuracyAfter(2) > finetune.cnn().accuracyAfter(2));
        assertNotNull(r.nme(), "replay reports the nearest mean of exemplars, as PyCIL does");
        assertEquals(120, r.phases().get(2).memory().get("samples"));
    }

    /**
     * WA (PyCIL wa.py): after each later phase the new classes' weights have the old ones' mean
     * norm. A budget of 120 exemplars (60, then 30 per old class, against 150 new images per
     * class; PyCIL's 2,000 of CIFAR-100's 500 per class are in that range): with 20 per class the
     * new classes outnumber the old 7.5 to 1 and the output keeps none of the first classes.
     */
    @Test
    void waAlignsTheNewWeightNormsAndRemembersBetterThanFineTuning() {
        RunResult r = run("wa", "{\"memoryBudget\": 120}", false);
        assertTrue(r.complete());
        double ft = firstPhaseAtEnd(finetune.cnn());
        assertTrue(firstPhaseAtEnd(r.cnn()) > ft + 10, "WA CNN on phase 0 " + firstPhaseAtEnd(r.cnn()) + " vs " + ft);
        assertTrue(r.cnn().accuracyAfter(2) > finetune.cnn().accuracyAfter(2));
        double[] norms = r.phases().get(2).norms().weight();
        double old = (norms[0] + norms[1] + norms[2] + norms[3]) / 4;
        double fresh = (norms[4] + norms[5]) / 2;
        assertEquals(old, fresh, 1e-4 * old, "mean weight norms, old and new classes: " + Arrays.toString(norms));
    }

    /**
     * BiC (PyCIL bic.py) with the budget of the WA test: a tenth of each class's exemplars (6,
     * then 3) held out, the bias layer trained on them corrects the new classes' logits.
     */
    @Test
    void bicCorrectsTheNewClassesLogitsAndRemembersBetterThanFineTuning() {
        RunResult r = run("bic", "{\"memoryBudget\": 120}", false);
        assertTrue(r.complete());
        double ft = firstPhaseAtEnd(finetune.cnn());
        assertTrue(firstPhaseAtEnd(r.cnn()) > ft + 10, "BiC CNN on phase 0 " + firstPhaseAtEnd(r.cnn()) + " vs " + ft);
        assertTrue(r.cnn().accuracyAfter(2) > finetune.cnn().accuracyAfter(2));
        float[][] layers = (float[][]) r.phases().get(2).memory().get("biasLayers");
        System.out.println("bic bias layers " + Arrays.deepToString(layers));
        assertArrayEquals(new float[] {1f, 0f}, layers[0], "the first phase has no correction");
        assertEquals(3, layers.length);
        for (int p = 1; p < 3; p++) {
            assertTrue(
                    layers[p][0] != 1f && layers[p][1] != 0f,
                    "phase " + (p + 1) + "'s layer was trained: " + Arrays.toString(layers[p]));
        }
        assertEquals(120, r.phases().get(2).memory().get("samples"), "the held-out images are part of the memory");
    }

    /**
     * DER++ (Mammoth derpp.py) with a buffer of 120 images, the WA test's budget: the reservoir
     * keeps a uniform sample of the 900 images offered, their logits replayed with the labels.
     */
    @Test
    void derppReplaysStoredLogitsAndRemembersBetterThanFineTuning() {
        RunResult r = run("der++", "{\"memoryBudget\": 120}", false);
        assertTrue(r.complete());
        assertNull(r.nme(), "DER++ classifies with the network only, as Mammoth");
        double ft = firstPhaseAtEnd(finetune.cnn());
        assertTrue(
                firstPhaseAtEnd(r.cnn()) > ft + 10, "DER++ CNN on phase 0 " + firstPhaseAtEnd(r.cnn()) + " vs " + ft);
        assertTrue(r.cnn().accuracyAfter(2) > finetune.cnn().accuracyAfter(2));
        Map<String, Object> mem = r.phases().get(2).memory();
        assertEquals(120, mem.get("samples"));
        assertEquals(900L, ((Number) mem.get("offered")).longValue(), "every training image offered once");
        int[] perClass = (int[]) mem.get("samplesPerClass");
        assertEquals(6, perClass.length);
        for (int c = 0; c < 6; c++) {
            // a uniform sample of 120 of 900: 20 per class expected, a binomial spread of about 3.7
            assertTrue(perClass[c] >= 8 && perClass[c] <= 32, "class " + c + ": " + Arrays.toString(perClass));
        }
        assertEquals(120, r.phases().get(0).memory().get("samples"), "the first phase fills the buffer");
    }

    @Test
    void lwfMcKeepsNothingAndClassifiesWithTheNetwork() {
        RunResult r = run("lwf-mc", "{}", false);
        assertTrue(r.complete());
        assertNull(r.nme(), "no exemplars, no NME");
        assertTrue(r.phases().get(2).memory().isEmpty());
        assertTrue(
                r.cnn().accuracyAfter(2) > finetune.cnn().accuracyAfter(2),
                "distillation forgets less than fine-tuning: " + r.cnn().accuracyAfter(2) + " vs "
                        + finetune.cnn().accuracyAfter(2));
    }

    @Test
    void lucirBeatsFineTuningOnOldClasses() {
        RunResult r = run("lucir", "{}", true);
        assertTrue(r.complete());
        assertNotNull(r.nme());
        double ft = firstPhaseAtEnd(finetune.cnn());
        double cnn = firstPhaseAtEnd(r.cnn());
        assertTrue(cnn > ft + 10, "LUCIR CNN on phase 0 after the last phase " + cnn + " vs fine-tuning " + ft);
        assertTrue(
                r.cnn().accuracyAfter(2) > finetune.cnn().accuracyAfter(2),
                "LUCIR overall " + r.cnn().accuracyAfter(2) + " vs fine-tuning "
                        + finetune.cnn().accuracyAfter(2));
        assertEquals(120, r.phases().get(2).memory().get("samples"));
    }
}
