package org.cil4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.SplittableRandom;
import org.cil4j.data.ImageDataset;
import org.cil4j.engine.Engines;
import org.cil4j.loss.CrossEntropy;
import org.cil4j.model.IncrementalNet;
import org.cil4j.model.ModelConfig;
import org.cil4j.scenario.Scenario;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TrainerTest {
    @BeforeAll
    static void engine() {
        Engines.start("cpu", 0);
    }

    /** Two classes told apart by brightness: trivially learnable. */
    /** @return the small CNN on 16x16 gray images (weights from seed 3) with two heads of one class: phase 2's network */
    static IncrementalNet twoPhases(NDManager root) {
        IncrementalNet net = IncrementalNet.create(new ModelConfig("small-cnn", true, "linear"), 1, 16, 3, root);
        net.addHead(1);
        net.addHead(1);
        return net;
    }

    static ImageDataset brightness(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] px = new byte[n * 16 * 16];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 2;
            for (int k = 0; k < 256; k++) {
                px[i * 256 + k] = (byte) (y[i] == 0 ? r.nextInt(0, 100) : r.nextInt(150, 256));
            }
        }
        return new ImageDataset("synthetic", px, y, 1, 16, 16, List.of("dark", "bright"));
    }

    private static Stage stage(IncrementalNet net, ImageDataset data, int epochs) {
        TrainConfig cfg = TrainConfig.of(epochs, 16, 0.05, 0.9, 5e-4, List.of(), 0.1, Augment.NONE, 64);
        return Stage.standard(
                "train",
                net,
                data,
                b -> {
                    NDArray logits = net.logits(net.features(b.x(), true));
                    return new StepLoss()
                            .add("ce", CrossEntropy.loss(logits, b.y()))
                            .accuracyFrom(logits);
                },
                cfg);
    }

    private static float[] weights(IncrementalNet net, String name) {
        return net.params().params().get(name).toFloatArray();
    }

    @Test
    void learnsASeparableProblemAndStepsLeakNothing() {
        ImageDataset data = brightness(96, 1);
        Scenario sc = new Scenario(new int[] {0, 1}, new int[] {2}, false, data.classNames());
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet net =
                        IncrementalNet.create(new ModelConfig("small-cnn", true, "linear"), 1, 16, 3, root)) {
            net.addHead(2);
            Trainer t = new Trainer(root, Normalization.of(data), 0.9, 42, TrainListener.NONE);
            int before = net.params().manager().getManagedArrays().size();
            List<EpochRecord> log = t.fit(stage(net, data, 4), sc, 0);
            int after = net.params().manager().getManagedArrays().size();
            assertEquals(before, after, "a training step must not leave arrays in the parameters' manager");
            assertEquals(4, log.size());
            assertTrue(log.get(3).losses().get("ce") < log.get(0).losses().get("ce"), "the loss goes down: " + log);
            assertTrue(log.get(3).trainAccuracy() > 95, "learns brightness: " + log.get(3));
        }
    }

    @Test
    void parametersOutsideTheGroupsDoNotChangeAtAll() {
        ImageDataset data = brightness(64, 2);
        Scenario sc = new Scenario(new int[] {0, 1}, new int[] {1, 1}, false, data.classNames());
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet net =
                        IncrementalNet.create(new ModelConfig("small-cnn", true, "linear"), 1, 16, 3, root)) {
            net.addHead(1);
            net.addHead(1);
            float[] conv = weights(net, "backbone.conv1.weight");
            float[] head0 = weights(net, "head.0.weight");
            float[] head1 = weights(net, "head.1.weight");
            Trainer t = new Trainer(root, Normalization.of(data), 0.9, 42, TrainListener.NONE);
            t.fit(
                    stage(net, data, 1)
                            .withGroups(List.of(new ParamGroup("h1", n -> n.startsWith("head.1."), 0.1, 5e-4))),
                    sc,
                    1);
            assertArrayEquals(conv, weights(net, "backbone.conv1.weight"), 0f);
            assertArrayEquals(head0, weights(net, "head.0.weight"), 0f);
            assertEquals(false, java.util.Arrays.equals(head1, weights(net, "head.1.weight")));
        }
    }

    @Test
    void theSameSeedGivesTheSameWeights() {
        ImageDataset data = brightness(64, 3);
        Scenario sc = new Scenario(new int[] {0, 1}, new int[] {2}, false, data.classNames());
        float[][] results = new float[2][];
        for (int run = 0; run < 2; run++) {
            try (NDManager root = NDManager.newBaseManager();
                    IncrementalNet net =
                            IncrementalNet.create(new ModelConfig("small-cnn", true, "linear"), 1, 16, 9, root)) {
                net.addHead(2);
                new Trainer(root, Normalization.of(data), 0.9, 77, TrainListener.NONE).fit(stage(net, data, 2), sc, 0);
                results[run] = weights(net, "backbone.fc.weight");
            }
        }
        assertArrayEquals(results[0], results[1], 0f);
    }

    @Test
    void aLossThatIsNotFiniteStopsNamingTheStepAndItsTerms() {
        ImageDataset data = brightness(64, 6);
        Scenario sc = new Scenario(new int[] {0, 1}, new int[] {1, 1}, false, data.classNames());
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet net = twoPhases(root)) {
            int[] step = {0};
            TrainConfig cfg = TrainConfig.of(1, 16, 0.05, 0.9, 5e-4, List.of(), 0.1, Augment.NONE, 64);
            Stage diverging = Stage.standard(
                    "target",
                    net,
                    data,
                    b -> {
                        NDArray logits = net.logits(net.features(b.x(), true));
                        NDArray ce = CrossEntropy.loss(logits, b.y());
                        // the third step's distillation term is not finite, as a diverging one would be
                        NDArray kd = ce.mul(0).add(++step[0] == 3 ? Float.NaN : 0.5f);
                        return new StepLoss().add("ce", ce).add("kd_old", kd);
                    },
                    cfg);
            Trainer t = new Trainer(root, Normalization.of(data), 0.9, 42, TrainListener.NONE);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.fit(diverging, sc, 1));
            String m = e.getMessage();
            assertTrue(m.contains("phase 2, stage target, epoch 1, step 3 of 4"), m);
            assertTrue(m.contains("kd_old NaN") && m.contains("ce "), m);
            assertTrue(m.contains("lower train.lr"), m);
        }
    }

    @Test
    void multiStepScheduleDecaysAtMilestones() {
        assertEquals(1.0, TrainConfig.lrFactor(4, List.of(5, 7), 0.1), 1e-12);
        assertEquals(0.1, TrainConfig.lrFactor(5, List.of(5, 7), 0.1), 1e-12);
        assertEquals(0.01, TrainConfig.lrFactor(7, List.of(5, 7), 0.1), 1e-12);
    }

    @Test
    void sgdFollowsPyTorchSemantics() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.create(new float[] {1f, -2f});
            w.setRequiresGradient(true);
            Sgd sgd = new Sgd(0.9);
            ParamGroup g = new ParamGroup("all", n -> true, 0.1, 0.01);
            float[] expectV = {0, 0};
            float[] expectW = {1f, -2f};
            for (int step = 0; step < 3; step++) {
                try (var gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                    gc.backward(w.mul(w).sum()); // grad = 2w
                }
                for (int i = 0; i < 2; i++) {
                    float d = 2 * expectW[i] + 0.01f * expectW[i];
                    expectV[i] = 0.9f * expectV[i] + d;
                    expectW[i] -= 0.1f * expectV[i];
                }
                sgd.step(List.of(new ResolvedGroup(g, java.util.Map.of("w", w))), 1.0);
                assertArrayEquals(expectW, w.toFloatArray(), 1e-6f);
            }
        }
    }

    /**
     * A stage with secondary data (DR's reserved samples): every step carries a secondary batch of
     * the size asked, here as large as the primary batch and larger than the secondary data, and
     * the secondary draws run on across steps and epochs in passes that each hold every secondary
     * sample once.
     */
    @Test
    void secondaryBatchesCycleThroughTheSecondaryDataInWholePasses() {
        ImageDataset data = brightness(64, 4);
        ImageDataset reserved = brightness(12, 5);
        Scenario sc = new Scenario(new int[] {0, 1}, new int[] {2}, false, data.classNames());
        List<int[]> drawn = new java.util.ArrayList<>();
        try (NDManager root = NDManager.newBaseManager();
                IncrementalNet net =
                        IncrementalNet.create(new ModelConfig("small-cnn", true, "linear"), 1, 16, 3, root)) {
            net.addHead(2);
            Stage plain = stage(net, data, 3);
            Stage st = new Stage(
                            "train",
                            net,
                            data,
                            plain.groups(),
                            b -> {
                                assertEquals(16, b.size());
                                assertEquals(16, b.secondary().size());
                                drawn.add(b.secondary().indices());
                                NDArray logits = net.logits(
                                        net.features(b.x().concat(b.secondary().x(), 0), true));
                                return new StepLoss().add("ce", CrossEntropy.loss(logits.get("0:16"), b.y()));
                            },
                            3,
                            List.of(),
                            0.1,
                            16,
                            Augment.NONE,
                            null,
                            0)
                    .withSecondary(reserved, 16);
            new Trainer(root, Normalization.of(data), 0.9, 42, TrainListener.NONE).fit(st, sc, 0);
        }
        assertEquals(3 * 4, drawn.size(), "4 steps in each of 3 epochs");
        int[] all = drawn.stream().flatMapToInt(java.util.Arrays::stream).toArray();
        // 12 steps x 16 = 192 draws = 16 whole passes over the 12 reserved samples
        for (int p = 0; p < 16; p++) {
            int[] pass = java.util.Arrays.copyOfRange(all, p * 12, (p + 1) * 12);
            java.util.Arrays.sort(pass);
            assertArrayEquals(java.util.stream.IntStream.range(0, 12).toArray(), pass, "pass " + p);
        }
    }
}
