package org.cil4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.cil4j.data.ImageDataset;
import org.cil4j.engine.Engines;
import org.cil4j.loss.CrossEntropy;
import org.cil4j.model.IncrementalNet;
import org.cil4j.model.ModelConfig;
import org.cil4j.scenario.Scenario;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The trainer's gradient pass, which EWC's Fisher information and MAS's importance come from. */
class GradientPassTest {
    @BeforeAll
    static void engine() {
        Engines.start("cpu", 0);
    }

    @Test
    void visitsFullBatchesOnlyGivesTheSelectedGradientsAndChangesNothing() {
        ImageDataset data = TrainerTest.brightness(70, 1);
        Scenario sc = new Scenario(new int[] {0, 1}, new int[] {2}, false, data.classNames());
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet net =
                        IncrementalNet.create(new ModelConfig("small-cnn", true, "linear"), 1, 16, 3, root)) {
            net.addHead(2);
            Trainer t = new Trainer(root, Normalization.of(data), 0.9, 42, TrainListener.NONE);
            Map<String, float[]> before = new HashMap<>();
            net.params().all().forEach((n, a) -> before.put(n, a.toFloatArray()));
            int arrays = net.params().manager().getManagedArrays().size();
            NDArray bias = net.params().params().get("backbone.fc.bias");
            List<Integer> sizes = new ArrayList<>();
            List<float[]> biasGrads = new ArrayList<>();
            // the loss is the batch size times the sum of the biases (a step-local view of them, so that no
            // temporary lands in the parameters' manager): every gradient entry is the batch size
            int samples = t.gradients(
                    net,
                    n -> n.equals("backbone.fc.bias") || n.equals("backbone.conv1.weight"),
                    data,
                    Augment.NONE,
                    16,
                    sc,
                    0,
                    b -> b.manager().zeros(bias.getShape()).add(bias).sum().mul(b.size()),
                    (n, g, size) -> {
                        assertTrue(n.equals("backbone.fc.bias") || n.equals("backbone.conv1.weight"), n);
                        if (n.equals("backbone.fc.bias")) {
                            sizes.add(size);
                            biasGrads.add(g.toFloatArray());
                        }
                    });
            assertEquals(64, samples, "70 // 16 = 4 full batches, as FACIL's islice(loader, len // batch_size)");
            assertEquals(List.of(16, 16, 16, 16), sizes);
            for (float[] g : biasGrads) {
                for (float v : g) {
                    assertEquals(16f, v, 0f, "each batch's gradient alone: the previous batch's was cleared");
                }
            }
            net.params()
                    .all()
                    .forEach((n, a) -> assertArrayEquals(before.get(n), a.toFloatArray(), 0f, n + " changed"));
            net.params().params().values().forEach(a -> assertFalse(a.hasGradient(), "nothing left trainable"));
            assertEquals(
                    arrays,
                    net.params().manager().getManagedArrays().size(),
                    "a pass must not leave arrays in the parameters' manager");
        }
    }

    @Test
    void theSameSeedAndPhaseGiveTheSameGradientsAndAnotherPhaseAnotherOrder() {
        ImageDataset data = TrainerTest.brightness(48, 2);
        Scenario sc = new Scenario(new int[] {0, 1}, new int[] {1, 1}, false, data.classNames());
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet net = TrainerTest.twoPhases(root)) {
            Trainer t = new Trainer(root, Normalization.of(data), 0.9, 42, TrainListener.NONE);
            List<List<Double>> runs = new ArrayList<>();
            for (int phase : new int[] {1, 1, 2}) {
                List<Double> sums = new ArrayList<>();
                t.gradients(
                        net,
                        n -> n.equals("backbone.fc.weight"),
                        data,
                        Augment.NONE,
                        16,
                        sc,
                        phase,
                        b -> CrossEntropy.loss(net.logits(net.features(b.x(), true)), b.y()),
                        (n, g, size) -> {
                            double sum = 0;
                            for (float v : g.toFloatArray()) {
                                sum += Math.abs(v);
                            }
                            sums.add(sum);
                        });
                runs.add(sums);
            }
            assertEquals(3, runs.get(0).size());
            assertEquals(runs.get(0), runs.get(1));
            assertFalse(runs.get(0).equals(runs.get(2)), "phase 2 shuffles differently: " + runs);
        }
    }
}
