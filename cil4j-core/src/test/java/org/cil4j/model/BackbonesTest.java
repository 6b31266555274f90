package org.cil4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.cil4j.engine.Engines;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A network that gains backbones (DER): weights kept, features concatenated, old members frozen. */
class BackbonesTest {
    @BeforeAll
    static void engine() {
        Engines.start("cpu", 0);
    }

    @Test
    void aNewBackboneStartsFromTheNewestAndTheHeadsKeepTheirOldColumns() {
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet net =
                        IncrementalNet.create(new ModelConfig("small-cnn", true, "linear"), 1, 28, 7, root)) {
            net.addHead(2);
            List<String> namesBefore = new ArrayList<>(net.params().all().keySet());
            float[] head = net.headWeight(0).toFloatArray();
            float[] bias = net.params().params().get("head.0.bias").toFloatArray();
            NDArray x = root.randomNormal(new Shape(3, 1, 28, 28));
            float[] features = net.features(x, false).toFloatArray();

            assertEquals(1, net.addBackbone());
            assertEquals(2, net.backbone().size());
            assertEquals(512, net.backbone().featureDim());
            Map<String, NDArray> all = net.params().all();
            assertArrayEquals(
                    all.get("backbone.conv1.weight").toFloatArray(),
                    all.get("backbone1.conv1.weight").toFloatArray(),
                    0f,
                    "PyCIL loads the previous backbone's state into the new one");
            assertEquals(
                    namesBefore,
                    new ArrayList<>(all.keySet()).subList(0, namesBefore.size()),
                    "the existing tensors keep their names and order (checkpoints of one backbone stay readable)");
            assertEquals(new Shape(2, 512), net.headWeight(0).getShape());
            float[] grown = net.headWeight(0).toFloatArray();
            for (int r = 0; r < 2; r++) {
                for (int c = 0; c < 256; c++) {
                    assertEquals(head[r * 256 + c], grown[r * 512 + c], 0f, "old column " + c + " of row " + r);
                }
                boolean fresh = false;
                for (int c = 256; c < 512; c++) {
                    assertTrue(Math.abs(grown[r * 512 + c]) <= 1 / Math.sqrt(512) + 1e-7);
                    fresh |= grown[r * 512 + c] != 0;
                }
                assertTrue(fresh, "the new columns are initialized");
            }
            assertArrayEquals(bias, net.params().params().get("head.0.bias").toFloatArray(), 0f);

            // both members hold the same weights, so both halves of a feature are the old feature
            float[] two = net.features(x, false).toFloatArray();
            for (int i = 0; i < 3; i++) {
                for (int c = 0; c < 256; c++) {
                    assertEquals(features[i * 256 + c], two[i * 512 + c], 1e-6f);
                    assertEquals(features[i * 256 + c], two[i * 512 + 256 + c], 1e-6f);
                }
            }
            net.addHead(3);
            assertEquals(new Shape(3, 512), net.headWeight(1).getShape());
            assertEquals(new Shape(3, 5), net.logits(net.features(x, false)).getShape());

            try (IncrementalNet copy = net.frozenCopy()) {
                assertEquals(2, copy.backbone().size());
                assertArrayEquals(
                        net.logits(net.features(x, false)).toFloatArray(),
                        copy.logits(copy.features(x, false)).toFloatArray(),
                        0f);
            }
        }
    }

    @Test
    void aFrozenMemberPassesNoGradientAndKeepsItsBatchNormStatistics() {
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet net =
                        IncrementalNet.create(new ModelConfig("resnet20", true, "linear"), 1, 8, 3, root)) {
            net.addHead(2);
            net.addBackbone();
            net.addHead(2);
            net.backbone().freezeFirst(1);
            assertTrue(net.backbone().inFrozenMember("backbone.conv1.weight"));
            assertFalse(net.backbone().inFrozenMember("backbone1.conv1.weight"));
            assertFalse(net.backbone().inFrozenMember("head.0.weight"));
            Map<String, NDArray> all = net.params().all();
            float[] oldMean = all.get("backbone.bn1.running_mean").toFloatArray();
            float[] newMean = all.get("backbone1.bn1.running_mean").toFloatArray();
            net.params().setTrainable(n -> true);
            try (NDManager step = root.newSubManager()) {
                NDArray x = step.randomNormal(new Shape(4, 1, 8, 8));
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(net.logits(net.features(x, true)).square().sum());
                }
                assertEquals(
                        0f,
                        all.get("backbone.conv1.weight")
                                .getGradient()
                                .abs()
                                .sum()
                                .getFloat(),
                        0f,
                        "the frozen member's output is a constant");
                assertTrue(all.get("backbone1.conv1.weight")
                                .getGradient()
                                .abs()
                                .sum()
                                .getFloat()
                        > 0);
                assertTrue(all.get("head.0.weight").getGradient().abs().sum().getFloat() > 0);
            }
            net.params().setTrainable(n -> false);
            assertArrayEquals(
                    oldMean,
                    all.get("backbone.bn1.running_mean").toFloatArray(),
                    0f,
                    "the frozen member's batch norm ran in inference mode");
            assertFalse(
                    java.util.Arrays.equals(
                            newMean, all.get("backbone1.bn1.running_mean").toFloatArray()),
                    "the newest member's batch norm updated its statistics");
        }
    }

    @Test
    void replacingAParameterKeepsItsPlaceAndRemovingOneDropsIt() {
        try (NDManager root = NDManager.newBaseManager();
                Params p = new Params(root.newSubManager())) {
            p.param("a", new Shape(1), new float[] {1});
            p.param("aux.w", new Shape(1), new float[] {2});
            p.param("b", new Shape(1), new float[] {3});
            p.replace("a", new Shape(2), new float[] {5, 6});
            assertEquals(List.of("a", "aux.w", "b"), new ArrayList<>(p.params().keySet()));
            assertArrayEquals(new float[] {5, 6}, p.params().get("a").toFloatArray(), 0f);
            p.remove("aux.w");
            assertEquals(List.of("a", "b"), new ArrayList<>(p.all().keySet()));
        }
    }
}
