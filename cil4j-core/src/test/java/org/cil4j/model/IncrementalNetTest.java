package org.cil4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import org.cil4j.engine.Engines;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class IncrementalNetTest {
    @BeforeAll
    static void engine() {
        Engines.start("cpu", 0);
    }

    private static Map<String, float[]> snapshot(IncrementalNet net) {
        Map<String, float[]> m = new LinkedHashMap<>();
        net.params().all().forEach((k, v) -> m.put(k, v.toFloatArray()));
        return m;
    }

    @Test
    void growingAHeadNeverChangesExistingWeights() {
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet net =
                        IncrementalNet.create(new ModelConfig("small-cnn", true, "linear"), 1, 28, 7, root)) {
            net.addHead(2);
            net.addHead(3);
            Map<String, float[]> before = snapshot(net);
            net.addHead(4);
            Map<String, float[]> after = snapshot(net);
            for (Map.Entry<String, float[]> e : before.entrySet()) {
                assertArrayEquals(e.getValue(), after.get(e.getKey()), 0f, e.getKey());
            }
            assertEquals(before.size() + 2, after.size(), "a linear head adds a weight and a bias");
            assertEquals(9, net.numClasses());
            assertEquals(5, net.headOffset(2));
            NDArray x = root.randomNormal(new Shape(4, 1, 28, 28));
            assertEquals(new Shape(4, 9), net.logits(net.features(x, false)).getShape());
        }
    }

    @Test
    void theFirstHeadsOutputsAreUnchangedByGrowth() {
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet net =
                        IncrementalNet.create(new ModelConfig("resnet20", true, "linear"), 3, 32, 3, root)) {
            net.addHead(5);
            NDArray x = root.randomNormal(new Shape(2, 3, 32, 32));
            float[] before = net.logits(net.features(x, false)).toFloatArray();
            net.addHead(5);
            float[] after = net.logits(net.features(x, false)).get(":, 0:5").toFloatArray();
            assertArrayEquals(before, after, 0f);
        }
    }

    /**
     * In inference the ResNet closes each intermediate array once the next is computed, so a
     * forward pass leaves only its input and output on the caller's manager (DJL would keep
     * every activation until the manager closes: about 1 GiB at batch 256); in training every
     * activation stays for the backward pass.
     */
    @Test
    void inferenceLeavesOnlyInputAndOutputAlive() {
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet net =
                        IncrementalNet.create(new ModelConfig("resnet20", true, "linear"), 3, 32, 3, root)) {
            net.addHead(4);
            float[] kept;
            try (NDManager sub = root.newSubManager()) {
                NDArray x = sub.randomUniform(0, 1, new Shape(2, 3, 32, 32));
                NDArray f = net.features(x, false);
                assertEquals(2, sub.getManagedArrays().size(), "input and features only, not the activations");
                kept = f.toFloatArray();
                NDArray again = net.features(x, false);
                assertArrayEquals(
                        kept, again.toFloatArray(), "the input survives the pass and gives the same features");
            }
            try (NDManager sub = root.newSubManager()) {
                NDArray x = sub.randomUniform(0, 1, new Shape(2, 3, 32, 32));
                net.features(x, true);
                assertTrue(
                        sub.getManagedArrays().size() > 50,
                        "training keeps the activations: "
                                + sub.getManagedArrays().size());
            }
        }
    }

    @Test
    void resnet32HasTheCifarStructure() {
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet net =
                        IncrementalNet.create(new ModelConfig("resnet32", false, "linear"), 3, 32, 1, root)) {
            // 3x3 stem (16), three stages of five basic blocks (16/32/64 channels), 1x1
            // convolution shortcuts with batch norm where the shape changes (LUCIR's resnet_cifar):
            // 432 + 32 + 23,360 + 88,768 + 353,664 learnable scalars.
            assertEquals(466_256, net.params().countParams());
            assertEquals(64, net.backbone().featureDim());
            NDArray f = net.features(root.randomNormal(new Shape(3, 3, 32, 32)), false);
            assertEquals(new Shape(3, 64), f.getShape());
            // without the last ReLU, features take negative values (LUCIR, Sec. 3.2)
            assertEquals(true, f.min().getFloat() < 0);
        }
    }

    @Test
    void sameSeedSameWeightsOtherSeedOtherWeights() {
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet a =
                        IncrementalNet.create(new ModelConfig("small-cnn", true, "linear"), 1, 28, 11, root);
                IncrementalNet b =
                        IncrementalNet.create(new ModelConfig("small-cnn", true, "linear"), 1, 28, 11, root);
                IncrementalNet c =
                        IncrementalNet.create(new ModelConfig("small-cnn", true, "linear"), 1, 28, 12, root)) {
            a.addHead(2);
            b.addHead(2);
            c.addHead(2);
            String w = "backbone.conv1.weight";
            assertArrayEquals(
                    a.params().params().get(w).toFloatArray(),
                    b.params().params().get(w).toFloatArray(),
                    0f);
            assertEquals(
                    false,
                    java.util.Arrays.equals(
                            a.params().params().get(w).toFloatArray(),
                            c.params().params().get(w).toFloatArray()));
        }
    }

    @Test
    void frozenCopyComputesTheSameAndDoesNotTrack() {
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet net =
                        IncrementalNet.create(new ModelConfig("resnet20", true, "cosine"), 3, 32, 5, root)) {
            net.addHead(3);
            net.addHead(2);
            try (IncrementalNet copy = net.frozenCopy()) {
                NDArray x = root.randomNormal(new Shape(2, 3, 32, 32));
                assertArrayEquals(
                        net.logits(net.features(x, false)).toFloatArray(),
                        copy.logits(copy.features(x, false)).toFloatArray(),
                        1e-6f);
                copy.params().params().values().forEach(p -> assertEquals(false, p.hasGradient()));
            }
        }
    }

    @Test
    void cosineLogitsAreScaledCosines() {
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet net =
                        IncrementalNet.create(new ModelConfig("small-cnn", false, "cosine"), 1, 28, 5, root)) {
            net.addHead(3);
            NDArray f = net.features(root.randomNormal(new Shape(2, 1, 28, 28)), false);
            float[] cos = net.cosine(f).toFloatArray();
            for (float c : cos) {
                assertEquals(true, c <= 1.0001f && c >= -1.0001f);
            }
            assertArrayEquals(cos, net.logits(f).toFloatArray(), 1e-6f, "sigma starts at 1");
        }
    }

    @Test
    void badConfigsAreRefusedWithTheOptionName() {
        var e = assertThrows(org.cil4j.CilException.class, () -> new ModelConfig("resnet33", true, "linear"));
        assertEquals(true, e.getMessage().contains("model.arch"));
        var e2 = assertThrows(org.cil4j.CilException.class, () -> new ModelConfig("resnet32", true, "cos"));
        assertEquals(true, e2.getMessage().contains("model.classifier"));
    }
}
