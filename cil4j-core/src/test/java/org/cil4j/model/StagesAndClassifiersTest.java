package org.cil4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.cil4j.engine.Engines;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The stage outputs of each backbone, and PODNet's local similarity classifier. */
class StagesAndClassifiersTest {
    @BeforeAll
    static void engine() {
        Engines.start("cpu", 0);
    }

    private static void stages(String arch, int channels, int side, List<Shape> expected) {
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet net =
                        IncrementalNet.create(new ModelConfig(arch, false, "linear"), channels, side, 3, root)) {
            try (NDManager sub = root.newSubManager()) {
                NDArray x = sub.randomUniform(0, 1, new Shape(2, channels, side, side));
                float[] plain = net.features(x, false).toFloatArray();
                int before = sub.getManagedArrays().size();
                Backbone.Stages s = net.featuresAndStages(x, false);
                assertArrayEquals(plain, s.features().toFloatArray(), 0f, arch + ": the same features");
                assertEquals(
                        expected, s.stages().stream().map(NDArray::getShape).toList(), arch);
                if (arch.startsWith("resnet")) {
                    assertEquals(
                            before + expected.size() + 1,
                            sub.getManagedArrays().size(),
                            arch + ": in inference only the stages and the features stay");
                }
            }
        }
    }

    @Test
    void eachBackboneReturnsItsStagesAndTheSameFeatures() {
        stages("resnet20", 3, 32, List.of(new Shape(2, 16, 32, 32), new Shape(2, 32, 16, 16), new Shape(2, 64, 8, 8)));
        stages("small-cnn", 1, 28, List.of(new Shape(2, 32, 14, 14), new Shape(2, 64, 7, 7)));
        stages(
                "resnet18",
                3,
                32,
                List.of(
                        new Shape(2, 64, 32, 32),
                        new Shape(2, 128, 16, 16),
                        new Shape(2, 256, 8, 8),
                        new Shape(2, 512, 4, 4)));
    }

    @Test
    void severalBackbonesRefuseStageOutputs() {
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet net =
                        IncrementalNet.create(new ModelConfig("small-cnn", true, "linear"), 1, 28, 3, root)) {
            net.addHead(2);
            net.addBackbone();
            NDArray x = root.randomUniform(0, 1, new Shape(1, 1, 28, 28));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> net.featuresAndStages(x, false));
            assertTrue(e.getMessage().contains("2 side by side"), e.getMessage());
        }
    }

    @Test
    void localSimilarityIsTheSoftmaxWeightedMeanOfAClassesProxies() {
        try (NDManager m = NDManager.newBaseManager()) {
            // class 0: softmax(0.5, -0.5) = (0.7310586, 0.2689414), 0.7310586 * 0.5 - 0.2689414 * 0.5
            // class 1: softmax(1, 0) = (0.7310586, 0.2689414), 0.7310586 * 1 + 0
            NDArray sims = m.create(new float[][] {{0.5f, -0.5f, 1f, 0f}});
            assertArrayEquals(
                    new float[] {0.2310586f, 0.7310586f},
                    LocalSimilarityClassifier.aggregate(sims, 2).toFloatArray(),
                    1e-6f);
            assertThrows(IllegalArgumentException.class, () -> LocalSimilarityClassifier.aggregate(sims, 3));
        }
    }

    @Test
    void anLscHeadHoldsTenProxiesPerClassAndItsLogitsAreScaledSimilarities() {
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet net =
                        IncrementalNet.create(new ModelConfig("small-cnn", false, "lsc"), 1, 28, 5, root)) {
            net.addHead(2);
            NDArray x = root.randomNormal(new Shape(3, 1, 28, 28));
            float[] first = net.logits(net.features(x, false)).toFloatArray();
            net.addHead(3);
            assertEquals(new Shape(30, 256), net.headWeight(1).getShape());
            assertEquals(
                    List.of("backbone", "head.0.weight", "head.1.weight", "sigma"),
                    net.params().params().keySet().stream()
                            .map(n -> n.startsWith("backbone") ? "backbone" : n)
                            .distinct()
                            .sorted()
                            .toList());
            NDArray f = net.features(x, false);
            NDArray logits = net.logits(f);
            assertEquals(new Shape(3, 5), logits.getShape());
            assertArrayEquals(
                    first, logits.get(":, 0:2").toFloatArray(), 0f, "a new head leaves the old classes' logits");
            net.sigma().set(new ai.djl.ndarray.index.NDIndex(":"), root.create(new float[] {4f}));
            assertArrayEquals(
                    net.similarities(f).mul(4).toFloatArray(), net.logits(f).toFloatArray(), 1e-6f);
            try (IncrementalNet copy = net.frozenCopy()) {
                assertArrayEquals(
                        net.logits(f).toFloatArray(),
                        copy.logits(copy.features(x, false)).toFloatArray(),
                        0f);
            }
            assertThrows(IllegalStateException.class, () -> net.cosine(f));
        }
    }
}
